//! WeChat mini-program login against a fake WeChat server: tickets, binding by phone, one openid
//! one account, WeChat's errors, the cached access token, and the feature switched off.

use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::fake_wechat::{FakeWechat, PhoneAnswer, SessionAnswer, new_openid};
use crate::helpers::*;

/// A server with WeChat login pointed at a fresh fake, plus `extra` settings.
async fn spawn_with_wechat(extra: &[(&str, &str)]) -> (TestApp, FakeWechat) {
    let fake = FakeWechat::start().await;
    let env = fake.env();
    let mut settings: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    settings.extend_from_slice(extra);
    (spawn_app_with(&settings).await, fake)
}

async fn wechat_login(app: &TestApp, code: &str) -> Reply {
    app.post("/auth/wechat/login", None, json!({"code": code})).await
}

async fn bind(app: &TestApp, body: Value) -> Reply {
    app.post("/auth/wechat/bind", None, body).await
}

/// Logs in as a WeChat user no account is bound to; returns the bind ticket.
async fn ticket_for(app: &TestApp, fake: &FakeWechat, openid: &str, unionid: Option<&str>) -> String {
    let reply = wechat_login(app, &fake.login_code(openid, unionid)).await;
    let body = reply.assert_status(200);
    assert_eq!(body["bind_required"], json!(true), "{body}");
    body["ticket"].as_str().unwrap().to_owned()
}

/// The id of the account an access token belongs to.
async fn me(app: &TestApp, token: &str) -> Value {
    app.get("/me", Some(token)).await.assert_status(200).clone()
}

async fn accounts_with_phone(app: &TestApp, phone: &str) -> u64 {
    entity::user::Entity::find()
        .filter(entity::user::Column::Phone.eq(phone))
        .count(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn unbound_login_gets_a_ticket_binding_an_existing_phone_logs_in_as_that_account() {
    let (app, fake) = spawn_with_wechat(&[]).await;
    let station = app.create_station("东湖站").await;
    let (resident, phone) = app.register(station, "王芳").await;
    let openid = new_openid();

    let reply = wechat_login(&app, &fake.login_code(&openid, None)).await;
    let body = reply.assert_status(200);
    assert_eq!(body["bind_required"], json!(true));
    assert_eq!(body["expires_in"], json!(600));
    assert!(body.get("access_token").is_none());
    assert_eq!(reply.headers["cache-control"], "no-store");
    let ticket = body["ticket"].as_str().unwrap();

    let reply = bind(&app, json!({"ticket": ticket, "phone_code": fake.phone_code(&phone)})).await;
    let pair = reply.assert_status(200);
    assert_eq!(pair["token_type"], json!("Bearer"));
    assert!(pair["refresh_token"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(
        me(&app, pair["access_token"].as_str().unwrap()).await["id"],
        json!(resident)
    );

    // From now on the code alone logs in, with the same body as a phone login.
    let reply = wechat_login(&app, &fake.login_code(&openid, None)).await;
    let pair = reply.assert_status(200);
    assert!(pair.get("bind_required").is_none(), "{pair}");
    let phone_login = app.login(&phone, PASSWORD).await;
    let keys = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(pair), keys(phone_login.assert_status(200)));
    assert_eq!(
        me(&app, pair["access_token"].as_str().unwrap()).await["id"],
        json!(resident)
    );
    // The refresh token of a WeChat login rotates like any other.
    let refreshed = app
        .post("/auth/refresh", None, json!({"refresh_token": pair["refresh_token"]}))
        .await;
    refreshed.assert_status(200);
}

#[tokio::test]
async fn binding_a_new_phone_registers_a_resident_in_the_station_given() {
    let (app, fake) = spawn_with_wechat(&[]).await;
    let station = app.create_station("东湖站").await;
    let phone = unique_phone();
    let ticket = ticket_for(&app, &fake, &new_openid(), None).await;

    let reply = bind(&app, json!({"ticket": ticket, "phone_code": fake.phone_code(&phone)})).await;
    reply.assert_problem(422, "STATION_REQUIRED");
    assert_eq!(reply.body["errors"][0]["field"], json!("station_id"));
    let reply = bind(
        &app,
        json!({"ticket": ticket, "phone_code": fake.phone_code(&phone), "station_id": 999_999}),
    )
    .await;
    reply.assert_problem(422, "VALIDATION_FAILED");
    assert_eq!(
        accounts_with_phone(&app, &phone).await,
        0,
        "no account without a station"
    );

    let reply = bind(
        &app,
        json!({"ticket": ticket, "phone_code": fake.phone_code(&phone), "station_id": station}),
    )
    .await;
    let pair = reply.assert_status(201);
    let profile = me(&app, pair["access_token"].as_str().unwrap()).await;
    assert_eq!(profile["phone"], json!(phone));
    assert_eq!(profile["roles"], json!(["resident"]));
    assert_eq!(profile["station_id"], json!(station));
    assert_eq!(profile["name"], json!(format!("微信用户{}", &phone[7..])));
    assert_eq!(
        reply.headers["location"].to_str().unwrap(),
        format!("/api/v1/users/{}", profile["id"])
    );

    // The account has no password anyone could log in with.
    app.login(&phone, "").await.assert_problem(422, "VALIDATION_FAILED");
    for guess in [PASSWORD, "00000000", "微信用户"] {
        app.login(&phone, guess)
            .await
            .assert_problem(401, "INVALID_CREDENTIALS");
    }
}

#[tokio::test]
async fn one_openid_one_account_both_ways() {
    let (app, fake) = spawn_with_wechat(&[]).await;
    let station = app.create_station("东湖站").await;
    let (first, first_phone) = app.register(station, "甲").await;
    let (_, second_phone) = app.register(station, "乙").await;
    let openid = new_openid();
    let ticket = ticket_for(&app, &fake, &openid, None).await;
    bind(
        &app,
        json!({"ticket": ticket, "phone_code": fake.phone_code(&first_phone)}),
    )
    .await
    .assert_status(200);

    // The same pair again is no change.
    bind(
        &app,
        json!({"ticket": ticket, "phone_code": fake.phone_code(&first_phone)}),
    )
    .await
    .assert_status(200);
    // The openid to another account.
    bind(
        &app,
        json!({"ticket": ticket, "phone_code": fake.phone_code(&second_phone)}),
    )
    .await
    .assert_problem(409, "WECHAT_ALREADY_BOUND");
    // The openid to a new account: refused, and nothing registered.
    let new_phone = unique_phone();
    bind(
        &app,
        json!({"ticket": ticket, "phone_code": fake.phone_code(&new_phone), "station_id": station}),
    )
    .await
    .assert_problem(409, "WECHAT_ALREADY_BOUND");
    assert_eq!(accounts_with_phone(&app, &new_phone).await, 0);
    // Another openid to the bound account.
    let other = ticket_for(&app, &fake, &new_openid(), None).await;
    bind(
        &app,
        json!({"ticket": other, "phone_code": fake.phone_code(&first_phone)}),
    )
    .await
    .assert_problem(409, "WECHAT_ALREADY_BOUND");

    let pair = wechat_login(&app, &fake.login_code(&openid, None)).await;
    let token = pair.assert_status(200)["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me(&app, &token).await["id"], json!(first));
}

#[tokio::test]
async fn two_binds_racing_for_one_openid_exactly_one_wins() {
    let (app, fake) = spawn_with_wechat(&[]).await;
    let station = app.create_station("东湖站").await;
    let mut residents = Vec::new();
    for name in ["甲", "乙", "丙", "丁"] {
        residents.push(app.register(station, name).await);
    }
    let openid = new_openid();
    let ticket = ticket_for(&app, &fake, &openid, None).await;
    let shared = &app;
    let replies = futures::future::join_all(residents.iter().map(|(_, phone)| {
        let body = json!({"ticket": ticket, "phone_code": fake.phone_code(phone)});
        async move { bind(shared, body).await }
    }))
    .await;
    let winners: Vec<i64> = replies
        .iter()
        .zip(&residents)
        .filter(|(reply, _)| reply.status == 200)
        .map(|(_, (id, _))| *id)
        .collect();
    assert_eq!(winners.len(), 1, "{replies:?}");
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.assert_problem(409, "WECHAT_ALREADY_BOUND");
    }
    let token = wechat_login(&app, &fake.login_code(&openid, None))
        .await
        .assert_status(200)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(me(&app, &token).await["id"], json!(winners[0]));

    // Racing to register new residents with one openid: one account, the others left nothing.
    let openid = new_openid();
    let ticket = ticket_for(&app, &fake, &openid, None).await;
    let phones: Vec<String> = (0..4).map(|_| unique_phone()).collect();
    let replies = futures::future::join_all(phones.iter().map(|phone| {
        let body = json!({"ticket": ticket, "phone_code": fake.phone_code(phone), "station_id": station});
        async move { bind(shared, body).await }
    }))
    .await;
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 1, "{replies:?}");
    let mut accounts = 0;
    for (reply, phone) in replies.iter().zip(&phones) {
        if reply.status != 201 {
            reply.assert_problem(409, "WECHAT_ALREADY_BOUND");
        }
        accounts += accounts_with_phone(&app, phone).await;
    }
    assert_eq!(accounts, 1);
}

#[tokio::test]
async fn wechat_errcodes_map_to_problems_never_500() {
    let (app, fake) = spawn_with_wechat(&[]).await;
    let cases = [
        (SessionAnswer::Errcode(40029), 422, "WECHAT_CODE_INVALID"),
        (SessionAnswer::Errcode(40163), 422, "WECHAT_CODE_INVALID"),
        (SessionAnswer::Errcode(45011), 429, "WECHAT_RATE_LIMITED"),
        (SessionAnswer::Errcode(-1), 502, "WECHAT_UNAVAILABLE"),
        (SessionAnswer::Errcode(40226), 502, "WECHAT_UNAVAILABLE"),
        (SessionAnswer::NotJson, 502, "WECHAT_UNAVAILABLE"),
    ];
    for (answer, status, code) in cases {
        let reply = wechat_login(&app, &fake.code_answering(answer.clone())).await;
        assert_eq!(reply.status.as_u16(), status, "{answer:?}: {}", reply.text);
        reply.assert_problem(status, code);
        if status == 429 {
            assert_eq!(reply.headers["retry-after"], "60");
        }
    }
    // An unknown code is WeChat's 40029; a used one its 40163.
    wechat_login(&app, "never-issued")
        .await
        .assert_problem(422, "WECHAT_CODE_INVALID");
    let code = fake.login_code(&new_openid(), None);
    wechat_login(&app, &code).await.assert_status(200);
    let reply = wechat_login(&app, &code).await;
    reply.assert_problem(422, "WECHAT_CODE_INVALID");
    assert_eq!(reply.body["errors"][0]["field"], json!("code"));
    wechat_login(&app, "").await.assert_problem(422, "VALIDATION_FAILED");

    let ticket = ticket_for(&app, &fake, &new_openid(), None).await;
    let phone_cases = [
        (PhoneAnswer::Errcode(40029), 422, "WECHAT_CODE_INVALID"),
        (PhoneAnswer::Errcode(45011), 429, "WECHAT_RATE_LIMITED"),
        (PhoneAnswer::Errcode(-1), 502, "WECHAT_UNAVAILABLE"),
        (
            PhoneAnswer::Phone {
                pure: "2025550123".into(),
                country_code: "1".into(),
            },
            422,
            "WECHAT_PHONE_UNSUPPORTED",
        ),
    ];
    for (answer, status, code) in phone_cases {
        let phone_code = fake.phone_code_answering(answer.clone());
        let reply = bind(&app, json!({"ticket": ticket, "phone_code": phone_code})).await;
        assert_eq!(reply.status.as_u16(), status, "{answer:?}: {}", reply.text);
        reply.assert_problem(status, code);
    }
    let reply = bind(&app, json!({"ticket": ticket, "phone_code": "never-issued"})).await;
    reply.assert_problem(422, "WECHAT_CODE_INVALID");
    assert_eq!(reply.body["errors"][0]["field"], json!("phone_code"));
}

#[tokio::test]
async fn a_slow_or_unreachable_wechat_is_a_prompt_502() {
    let (app, fake) = spawn_with_wechat(&[("WECHAT_TIMEOUT_MS", "300")]).await;
    let code = fake.code_answering(SessionAnswer::Slow(Duration::from_secs(5), new_openid()));
    let started = Instant::now();
    wechat_login(&app, &code)
        .await
        .assert_problem(502, "WECHAT_UNAVAILABLE");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );

    // Nothing listens on the port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let base = format!("http://{closed}");
    let app = spawn_app_with(&[
        ("WECHAT_APPID", crate::fake_wechat::APPID),
        ("WECHAT_SECRET", crate::fake_wechat::SECRET),
        ("WECHAT_API_BASE", &base),
    ])
    .await;
    let started = Instant::now();
    wechat_login(&app, "any")
        .await
        .assert_problem(502, "WECHAT_UNAVAILABLE");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn with_the_feature_off_every_route_is_404_wechat_disabled() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let (_, token) = app.resident(station).await;
    let replies = [
        wechat_login(&app, "a-code").await,
        app.post("/auth/wechat/login", None, json!({})).await,
        bind(&app, json!({"ticket": "t", "phone_code": "p"})).await,
        bind(&app, json!({})).await,
        app.delete("/me/wechat", Some(&token)).await,
    ];
    for reply in replies {
        reply.assert_problem(404, "WECHAT_DISABLED");
    }
    // Unbinding is a signed-in operation: the token is checked first, as on every such route.
    app.delete("/me/wechat", None)
        .await
        .assert_problem(401, "MISSING_TOKEN");
    app.delete("/me/wechat", Some("not-a-token"))
        .await
        .assert_problem(401, "INVALID_TOKEN");
}

#[tokio::test]
async fn forged_expired_or_misused_tickets_are_refused() {
    let (app, fake) = spawn_with_wechat(&[]).await;
    let station = app.create_station("东湖站").await;
    let (_, phone) = app.register(station, "甲").await;
    let openid = new_openid();
    let ticket = ticket_for(&app, &fake, &openid, None).await;

    let forger =
        wenming::auth::jwt::JwtKeys::new(b"another-secret-another-secret-0123456", Duration::from_secs(900)).unwrap();
    let forged = forger.issue_bind_ticket(&openid, None, chrono::Utc::now()).unwrap();
    let expired = app
        .state
        .jwt
        .issue_bind_ticket(&openid, None, chrono::Utc::now() - chrono::Duration::minutes(11))
        .unwrap();
    let (_, access_token) = app.resident(station).await;
    let mut parts: Vec<String> = ticket.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    let tampered = parts.join(".");
    for bad in [forged, expired, access_token, tampered, "not-a-jwt".to_owned()] {
        bind(&app, json!({"ticket": bad, "phone_code": fake.phone_code(&phone)}))
            .await
            .assert_problem(401, "WECHAT_TICKET_INVALID");
    }
    // A ticket is no access token.
    app.get("/me", Some(&ticket)).await.assert_problem(401, "INVALID_TOKEN");
    // The ticket itself still works.
    bind(&app, json!({"ticket": ticket, "phone_code": fake.phone_code(&phone)}))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn unbinding_makes_the_next_login_ask_for_a_bind_again() {
    let (app, fake) = spawn_with_wechat(&[]).await;
    let station = app.create_station("东湖站").await;
    let (_, phone) = app.register(station, "甲").await;
    let token = app.token(&phone, PASSWORD).await;
    app.delete("/me/wechat", Some(&token))
        .await
        .assert_problem(404, "WECHAT_NOT_BOUND");
    app.delete("/me/wechat", None)
        .await
        .assert_problem(401, "MISSING_TOKEN");

    let openid = new_openid();
    let ticket = ticket_for(&app, &fake, &openid, None).await;
    bind(&app, json!({"ticket": ticket, "phone_code": fake.phone_code(&phone)}))
        .await
        .assert_status(200);
    let reply = app.delete("/me/wechat", Some(&token)).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    app.delete("/me/wechat", Some(&token))
        .await
        .assert_problem(404, "WECHAT_NOT_BOUND");
    ticket_for(&app, &fake, &openid, None).await;

    // Once unbound, the openid may bind another account.
    let (other, other_phone) = app.register(station, "乙").await;
    let ticket = ticket_for(&app, &fake, &openid, None).await;
    let pair = bind(
        &app,
        json!({"ticket": ticket, "phone_code": fake.phone_code(&other_phone)}),
    )
    .await;
    assert_eq!(
        me(&app, pair.assert_status(200)["access_token"].as_str().unwrap()).await["id"],
        json!(other)
    );
}

#[tokio::test]
async fn a_unionid_finds_the_account_bound_from_another_openid() {
    let (app, fake) = spawn_with_wechat(&[]).await;
    let station = app.create_station("东湖站").await;
    let (resident, phone) = app.register(station, "甲").await;
    let unionid = format!("u{}", new_openid());
    let ticket = ticket_for(&app, &fake, &new_openid(), Some(&unionid)).await;
    bind(&app, json!({"ticket": ticket, "phone_code": fake.phone_code(&phone)}))
        .await
        .assert_status(200);
    let pair = wechat_login(&app, &fake.login_code(&new_openid(), Some(&unionid))).await;
    let token = pair.assert_status(200)["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me(&app, &token).await["id"], json!(resident));
}

#[tokio::test]
async fn the_access_token_is_fetched_once_and_replaced_after_40001() {
    let (app, fake) = spawn_with_wechat(&[]).await;
    let station = app.create_station("东湖站").await;
    assert_eq!(fake.token_fetches(), 0);
    for _ in 0..3 {
        let (_, phone) = app.register(station, "甲").await;
        let ticket = ticket_for(&app, &fake, &new_openid(), None).await;
        bind(&app, json!({"ticket": ticket, "phone_code": fake.phone_code(&phone)}))
            .await
            .assert_status(200);
    }
    assert_eq!(fake.token_fetches(), 1, "one fetch for several binds");

    fake.revoke_token();
    let (_, phone) = app.register(station, "乙").await;
    let ticket = ticket_for(&app, &fake, &new_openid(), None).await;
    bind(&app, json!({"ticket": ticket, "phone_code": fake.phone_code(&phone)}))
        .await
        .assert_status(200);
    assert_eq!(fake.token_fetches(), 2, "refused once, fetched again, retried");
    let (_, phone) = app.register(station, "丙").await;
    let ticket = ticket_for(&app, &fake, &new_openid(), None).await;
    bind(&app, json!({"ticket": ticket, "phone_code": fake.phone_code(&phone)}))
        .await
        .assert_status(200);
    assert_eq!(fake.token_fetches(), 2, "the new token is cached");
}

#[tokio::test]
async fn wechat_logins_are_limited_per_client_address() {
    // One failure a minute per phone pair makes 120 attempts a minute per address (the limit
    // refills one attempt every half second while the loop runs, hence the margin).
    let (app, _fake) = spawn_with_wechat(&[("LOGIN_ATTEMPTS_PER_MINUTE", "1")]).await;
    let mut admitted = 0;
    let refused = loop {
        let reply = wechat_login(&app, "unknown").await;
        if reply.status == 429 || admitted == 200 {
            break reply;
        }
        reply.assert_problem(422, "WECHAT_CODE_INVALID");
        admitted += 1;
    };
    refused.assert_problem(429, "TOO_MANY_REQUESTS");
    assert!(refused.headers.contains_key("retry-after"));
    assert!((120..140).contains(&admitted), "admitted {admitted}");
}

#[tokio::test]
async fn neither_the_app_secret_nor_the_session_key_reaches_the_log() {
    let fake = FakeWechat::start().await;
    let app = spawn_app().await;
    let log = app.db.data_dir.join("server.log");
    let mut env = fake.env();
    env.push(("WECHAT_TIMEOUT_MS", "300".to_owned()));
    env.push(("RUST_LOG", "debug".to_owned()));
    let mut settings: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    settings.push(("LOG_FORMAT", "json"));
    let process = app.spawn_process_logging_to(&settings, Some(&log)).await;
    let login = |code: String| {
        let url = format!("{}/api/v1/auth/wechat/login", process.address);
        let client = app.client.clone();
        async move {
            client
                .post(url)
                .json(&json!({"code": code}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // A login that gets a session_key, a refusal, a timeout and an answer that is not JSON.
    assert_eq!(login(fake.login_code(&new_openid(), None)).await, 200);
    assert_eq!(login(fake.code_answering(SessionAnswer::Errcode(-1))).await, 502);
    let slow = fake.code_answering(SessionAnswer::Slow(Duration::from_secs(2), new_openid()));
    assert_eq!(login(slow).await, 502);
    assert_eq!(login(fake.code_answering(SessionAnswer::NotJson)).await, 502);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("WeChat unreachable"), "the timeout is logged: {text}");
    assert!(!text.contains(crate::fake_wechat::SECRET), "{text}");
    assert!(!text.contains(crate::fake_wechat::SESSION_KEY), "{text}");
}
