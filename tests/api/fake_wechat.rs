//! A fake of WeChat's server API, started by a test on 127.0.0.1 and a random port. It speaks
//! the request and response shapes of the real endpoints (`/sns/jscode2session`,
//! `/cgi-bin/stable_token`, `/wxa/business/getuserphonenumber`), checks the app id and secret,
//! and answers each code from a table the test fills: a WeChat user, an `errcode`, a delay, or a
//! body that is not JSON. Codes work once, as WeChat's do. It counts access-token fetches and can
//! revoke the current token, so a test can see the server cache and replace it.
//!
//! `/cgi-bin/message/subscribe/send` checks the access token like the real one, records each
//! message it accepts, and can be told to fail the next N calls ("system busy", -1), to answer
//! 43101 (the user refused) for an openid, or to answer slower than the server waits.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{App, HttpResponse, HttpServer, dev::ServerHandle, web};
use serde::Deserialize;
use serde_json::json;

pub const APPID: &str = "wx0123456789abcdef";
pub const SECRET: &str = "fake-wechat-app-secret-0123456789";
/// The `session_key` every login answers with.
pub const SESSION_KEY: &str = "tiihtNczf5v6AKRyjwEUhQ==";

/// What a `wx.login` code answers.
#[derive(Clone, Debug)]
pub enum SessionAnswer {
    User {
        openid: String,
        unionid: Option<String>,
    },
    Errcode(i64),
    /// The user, after this long.
    Slow(Duration, String),
    /// An HTML error page with status 200, as a misbehaving proxy would answer.
    NotJson,
}

/// What a `getPhoneNumber` code answers.
#[derive(Clone, Debug)]
pub enum PhoneAnswer {
    Phone { pure: String, country_code: String },
    Errcode(i64),
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<String, Option<SessionAnswer>>,
    phones: HashMap<String, Option<PhoneAnswer>>,
    token: String,
    tokens_made: usize,
    token_fetches: usize,
    /// Messages accepted (errcode 0), in order.
    messages: Vec<serde_json::Value>,
    /// Calls to the send endpoint, whatever the answer.
    send_calls: usize,
    /// The next this many sends answer -1 (system busy).
    fail_sends: usize,
    /// The next this many sends take longer than any test server waits.
    slow_sends: usize,
    /// Openids whose sends answer 43101.
    refusing: std::collections::HashSet<String>,
}

impl Inner {
    fn new_token(&mut self) {
        self.tokens_made += 1;
        self.token = format!("ACCESS_TOKEN_{}_{}", self.tokens_made, uuid::Uuid::new_v4().simple());
    }
}

type Shared = Arc<Mutex<Inner>>;

pub struct FakeWechat {
    pub base: String,
    inner: Shared,
    handle: ServerHandle,
}

impl Drop for FakeWechat {
    fn drop(&mut self) {
        // `stop` sends the command at once; its future only waits for the end.
        drop(self.handle.stop(false));
    }
}

fn errcode(code: i64, message: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({"errcode": code, "errmsg": message}))
}

fn credentials_ok(appid: &str, secret: &str) -> bool {
    appid == APPID && secret == SECRET
}

#[derive(Deserialize)]
struct SessionQuery {
    appid: String,
    secret: String,
    js_code: String,
    grant_type: String,
}

async fn jscode2session(inner: web::Data<Shared>, query: web::Query<SessionQuery>) -> HttpResponse {
    if !credentials_ok(&query.appid, &query.secret) {
        return errcode(40125, "invalid appsecret");
    }
    if query.grant_type != "authorization_code" {
        return errcode(40002, "invalid grant_type");
    }
    // A code answers once; then it is "code been used".
    let answer = match inner.lock().unwrap().sessions.get_mut(&query.js_code) {
        None => return errcode(40029, "invalid code"),
        Some(slot) => match slot.take() {
            None => return errcode(40163, "code been used"),
            Some(answer) => answer,
        },
    };
    let user = |openid: String, unionid: Option<String>| {
        let mut body = json!({"session_key": SESSION_KEY, "openid": openid});
        if let Some(unionid) = unionid {
            body["unionid"] = json!(unionid);
        }
        // The real endpoint labels its JSON text/plain.
        HttpResponse::Ok().content_type("text/plain").body(body.to_string())
    };
    match answer {
        SessionAnswer::User { openid, unionid } => user(openid, unionid),
        SessionAnswer::Errcode(code) => errcode(code, "refused"),
        SessionAnswer::Slow(delay, openid) => {
            tokio::time::sleep(delay).await;
            user(openid, None)
        }
        SessionAnswer::NotJson => HttpResponse::Ok()
            .content_type("text/html")
            .body("<html><body>502 Bad Gateway</body></html>"),
    }
}

#[derive(Deserialize)]
struct StableTokenBody {
    grant_type: String,
    appid: String,
    secret: String,
    #[serde(default)]
    force_refresh: bool,
}

async fn stable_token(inner: web::Data<Shared>, body: web::Json<StableTokenBody>) -> HttpResponse {
    if !credentials_ok(&body.appid, &body.secret) {
        return errcode(40125, "invalid appsecret");
    }
    if body.grant_type != "client_credential" {
        return errcode(40002, "invalid grant_type");
    }
    let mut inner = inner.lock().unwrap();
    inner.token_fetches += 1;
    if inner.token.is_empty() || body.force_refresh {
        inner.new_token();
    }
    HttpResponse::Ok().json(json!({"access_token": inner.token, "expires_in": 7200}))
}

#[derive(Deserialize)]
struct TokenQuery {
    access_token: String,
}

#[derive(Deserialize)]
struct PhoneBody {
    code: String,
}

async fn getuserphonenumber(
    inner: web::Data<Shared>,
    query: web::Query<TokenQuery>,
    body: web::Json<PhoneBody>,
) -> HttpResponse {
    let mut inner = inner.lock().unwrap();
    if inner.token.is_empty() || query.access_token != inner.token {
        return errcode(40001, "invalid credential, access_token is invalid or not latest");
    }
    let answer = match inner.phones.get_mut(&body.code).and_then(Option::take) {
        None => return errcode(40029, "invalid code"),
        Some(answer) => answer,
    };
    match answer {
        PhoneAnswer::Phone { pure, country_code } => HttpResponse::Ok().json(json!({
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": if country_code == "86" { pure.clone() } else { format!("+{country_code}{pure}") },
                "purePhoneNumber": pure,
                "countryCode": country_code,
                "watermark": {"timestamp": chrono::Utc::now().timestamp(), "appid": APPID}
            }
        })),
        PhoneAnswer::Errcode(code) => errcode(code, "refused"),
    }
}

async fn subscribe_send(
    inner: web::Data<Shared>,
    query: web::Query<TokenQuery>,
    body: web::Json<serde_json::Value>,
) -> HttpResponse {
    let slow = {
        let mut inner = inner.lock().unwrap();
        inner.send_calls += 1;
        if inner.token.is_empty() || query.access_token != inner.token {
            return errcode(40001, "invalid credential, access_token is invalid or not latest");
        }
        let slow = inner.slow_sends > 0;
        if slow {
            inner.slow_sends -= 1;
        }
        slow
    };
    if slow {
        tokio::time::sleep(Duration::from_secs(10)).await;
        return errcode(0, "ok");
    }
    let mut inner = inner.lock().unwrap();
    let complete = ["touser", "template_id", "data"]
        .iter()
        .all(|key| body.get(*key).is_some_and(|v| !v.is_null()));
    if !complete {
        return errcode(47003, "argument invalid!");
    }
    if inner.fail_sends > 0 {
        inner.fail_sends -= 1;
        return errcode(-1, "system error");
    }
    if body["touser"]
        .as_str()
        .is_some_and(|openid| inner.refusing.contains(openid))
    {
        return errcode(43101, "user refuse to accept the msg");
    }
    inner.messages.push(body.into_inner());
    errcode(0, "ok")
}

fn fresh_code() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl FakeWechat {
    pub async fn start() -> Self {
        let inner: Shared = Arc::default();
        let data = web::Data::new(inner.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/sns/jscode2session", web::get().to(jscode2session))
                .route("/cgi-bin/stable_token", web::post().to(stable_token))
                .route("/wxa/business/getuserphonenumber", web::post().to(getuserphonenumber))
                .route("/cgi-bin/message/subscribe/send", web::post().to(subscribe_send))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeWechat {
            base: format!("http://127.0.0.1:{port}"),
            inner,
            handle,
        }
    }

    /// The settings that point a test server at this fake.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("WECHAT_APPID", APPID.to_owned()),
            ("WECHAT_SECRET", SECRET.to_owned()),
            ("WECHAT_API_BASE", self.base.clone()),
        ]
    }

    /// A fresh `wx.login` code answering `answer`.
    pub fn code_answering(&self, answer: SessionAnswer) -> String {
        let code = fresh_code();
        self.inner.lock().unwrap().sessions.insert(code.clone(), Some(answer));
        code
    }

    /// A fresh `wx.login` code of the WeChat user `openid`.
    pub fn login_code(&self, openid: &str, unionid: Option<&str>) -> String {
        self.code_answering(SessionAnswer::User {
            openid: openid.to_owned(),
            unionid: unionid.map(str::to_owned),
        })
    }

    /// A fresh `getPhoneNumber` code answering `answer`.
    pub fn phone_code_answering(&self, answer: PhoneAnswer) -> String {
        let code = fresh_code();
        self.inner.lock().unwrap().phones.insert(code.clone(), Some(answer));
        code
    }

    /// A fresh `getPhoneNumber` code of the mainland phone `phone`.
    pub fn phone_code(&self, phone: &str) -> String {
        self.phone_code_answering(PhoneAnswer::Phone {
            pure: phone.to_owned(),
            country_code: "86".to_owned(),
        })
    }

    /// How many times an access token was asked for.
    pub fn token_fetches(&self) -> usize {
        self.inner.lock().unwrap().token_fetches
    }

    /// The subscription messages accepted so far, in order.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        self.inner.lock().unwrap().messages.clone()
    }

    /// Calls to the send endpoint so far, whatever their answer.
    pub fn send_calls(&self) -> usize {
        self.inner.lock().unwrap().send_calls
    }

    /// The next `n` sends answer -1 (system busy).
    pub fn fail_next_sends(&self, n: usize) {
        self.inner.lock().unwrap().fail_sends = n;
    }

    /// The next `n` sends answer only after 10 seconds.
    pub fn slow_next_sends(&self, n: usize) {
        self.inner.lock().unwrap().slow_sends = n;
    }

    /// Sends to `openid` answer 43101 (the user refused the message).
    pub fn refuse_messages_to(&self, openid: &str) {
        self.inner.lock().unwrap().refusing.insert(openid.to_owned());
    }

    /// WeChat replaces its access token: the one handed out is refused with 40001 from now on.
    pub fn revoke_token(&self) {
        self.inner.lock().unwrap().new_token();
    }
}

/// A new WeChat user's openid.
pub fn new_openid() -> String {
    format!("o{}", &uuid::Uuid::new_v4().simple().to_string()[..27])
}
