//! Calls to WeChat's server API: `jscode2session`, the stable access token and
//! `getuserphonenumber`, each with the configured timeout.
//!
//! Every failure of WeChat's (an `errcode`, a timeout, a refused connection, a body that is not
//! JSON) becomes a problem a client can act on; none is a 500. Neither the app secret nor the
//! `session_key` is ever logged: request URLs carry the secret, so transport errors are logged
//! without their URL, and the `session_key` is not even read from the answer.

use serde::{Deserialize, de::DeserializeOwned};
use tokio::{sync::RwLock, time::Instant};

use crate::config::WechatSettings;
use crate::http::{AppError, AppResult};

/// How long before its expiry a cached access token is replaced.
const TOKEN_REFRESH_MARGIN_SECS: u64 = 300;

/// WeChat's answer to a quota exceeded (45011) asks to retry "next minute".
const RATE_LIMIT_RETRY_AFTER_SECS: u64 = 60;

/// The WeChat user a `wx.login` code stands for.
#[derive(Debug, Clone)]
pub struct Session {
    pub openid: String,
    pub unionid: Option<String>,
}

/// The phone number a `getPhoneNumber` code stands for.
#[derive(Debug, Clone)]
pub struct Phone {
    /// Without the country code, e.g. `13912345678`.
    pub pure_phone_number: String,
    /// e.g. `86`.
    pub country_code: String,
}

struct CachedToken {
    value: String,
    refresh_at: Instant,
}

/// A client of WeChat's API for one mini-program.
///
/// The access token for `getuserphonenumber` is cached in this process and replaced five
/// minutes before it expires, or at once when WeChat calls it invalid (40001/42001). Several
/// server processes each keep their own: they get it from `stable_token`, which hands every
/// caller the same token while it is valid instead of revoking the previous one.
pub struct WechatClient {
    http: reqwest::Client,
    settings: WechatSettings,
    token: RwLock<Option<CachedToken>>,
}

fn unavailable() -> AppError {
    AppError::bad_gateway("WECHAT_UNAVAILABLE", "微信服务暂时不可用，请稍后重试")
}

fn code_invalid(field: &str) -> AppError {
    AppError::unprocessable_field(
        "WECHAT_CODE_INVALID",
        field,
        "微信授权 code 无效、已过期或已使用，请重新获取",
    )
}

fn rate_limited() -> AppError {
    AppError::throttled(
        "WECHAT_RATE_LIMITED",
        "微信接口调用过于频繁，请稍后再试",
        RATE_LIMIT_RETRY_AFTER_SECS,
    )
}

/// An `errcode` no rule below expects: WeChat refused for a reason the client cannot fix.
fn unexpected(call: &'static str, errcode: i64, errmsg: Option<&str>) -> AppError {
    tracing::warn!(call, errcode, errmsg, "WeChat refused the call");
    unavailable()
}

#[derive(Deserialize)]
struct SessionReply {
    #[serde(default)]
    errcode: i64,
    errmsg: Option<String>,
    openid: Option<String>,
    unionid: Option<String>,
}

#[derive(Deserialize)]
struct TokenReply {
    #[serde(default)]
    errcode: i64,
    errmsg: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct PhoneReply {
    #[serde(default)]
    errcode: i64,
    errmsg: Option<String>,
    phone_info: Option<PhoneInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneInfo {
    pure_phone_number: String,
    country_code: String,
}

#[derive(Deserialize)]
struct SendReply {
    #[serde(default)]
    errcode: i64,
    errmsg: Option<String>,
}

/// What became of one subscription message (`subscribeMessage.send`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Sent,
    /// 43101: the user has no grant for the template (refused, or already spent): never retried.
    Refused,
    /// An error that trying again cannot fix (a bad openid, template, data or page).
    Rejected(String),
    /// A failure worth trying again later (unreachable, a timeout, busy, a quota).
    Failed(String),
}

enum SendAttempt {
    Done(SendOutcome),
    /// The access token was invalid or expired (40001, 42001).
    TokenRejected,
}

enum PhoneOutcome {
    Phone(Phone),
    /// The access token was invalid or expired (40001, 42001).
    TokenRejected,
}

/// How long a token WeChat says lives `expires_in` seconds is used: until five minutes before
/// its end, or, when it lives shorter than twice that, half its life.
fn replace_after(expires_in: u64) -> std::time::Duration {
    let secs = if expires_in > 2 * TOKEN_REFRESH_MARGIN_SECS {
        expires_in - TOKEN_REFRESH_MARGIN_SECS
    } else {
        expires_in / 2
    };
    std::time::Duration::from_secs(secs)
}

/// An identifier WeChat gave, checked for the length the database keeps.
fn identifier(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty() && v.len() <= 128)
}

impl WechatClient {
    pub fn new(settings: WechatSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            http,
            settings,
            token: RwLock::new(None),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.settings.api_base)
    }

    /// Sends `request` and reads its JSON body (WeChat answers some calls as `text/plain`).
    async fn call<T: DeserializeOwned>(&self, call: &'static str, request: reqwest::RequestBuilder) -> AppResult<T> {
        let transport = |error: reqwest::Error| {
            // The URL holds the app secret: never log it.
            let error = error.without_url();
            tracing::warn!(call, timeout = error.is_timeout(), connect = error.is_connect(), error = %error, "WeChat unreachable");
            unavailable()
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            tracing::warn!(call, status = status.as_u16(), "WeChat answered with an HTTP error");
            return Err(unavailable());
        }
        let body = response.bytes().await.map_err(transport)?;
        serde_json::from_slice(&body).map_err(|_| {
            tracing::warn!(call, bytes = body.len(), "WeChat's answer is not the JSON expected");
            unavailable()
        })
    }

    /// `jscode2session`: the WeChat user of a `wx.login` code.
    pub async fn code2session(&self, code: &str) -> AppResult<Session> {
        let request = self.http.get(self.url("/sns/jscode2session")).query(&[
            ("appid", self.settings.appid.as_str()),
            ("secret", self.settings.secret.as_str()),
            ("js_code", code),
            ("grant_type", "authorization_code"),
        ]);
        let reply: SessionReply = self.call("jscode2session", request).await?;
        match reply.errcode {
            0 => {}
            // Invalid code; code already used.
            40029 | 40163 => return Err(code_invalid("code")),
            45011 => return Err(rate_limited()),
            errcode => return Err(unexpected("jscode2session", errcode, reply.errmsg.as_deref())),
        }
        let openid = identifier(reply.openid).ok_or_else(|| {
            tracing::warn!("jscode2session answered without a usable openid");
            unavailable()
        })?;
        Ok(Session {
            openid,
            unionid: identifier(reply.unionid),
        })
    }

    /// The cached access token, fetched (once, whoever else is waiting) when missing or due.
    async fn access_token(&self) -> AppResult<String> {
        let fresh = |token: &Option<CachedToken>| {
            token
                .as_ref()
                .filter(|t| t.refresh_at > Instant::now())
                .map(|t| t.value.clone())
        };
        if let Some(value) = fresh(&*self.token.read().await) {
            return Ok(value);
        }
        let mut slot = self.token.write().await;
        // Another request may have fetched it while this one waited for the lock.
        if let Some(value) = fresh(&slot) {
            return Ok(value);
        }
        let token = self.fetch_token().await?;
        let value = token.value.clone();
        *slot = Some(token);
        Ok(value)
    }

    /// Forgets `stale` (WeChat refused it) unless another request already replaced it.
    async fn drop_token(&self, stale: &str) {
        let mut slot = self.token.write().await;
        if slot.as_ref().is_some_and(|t| t.value == stale) {
            *slot = None;
        }
    }

    async fn fetch_token(&self) -> AppResult<CachedToken> {
        let request = self
            .http
            .post(self.url("/cgi-bin/stable_token"))
            .json(&serde_json::json!({
                "grant_type": "client_credential",
                "appid": self.settings.appid,
                "secret": self.settings.secret,
                "force_refresh": false,
            }));
        let fetched_at = Instant::now();
        let reply: TokenReply = self.call("stable_token", request).await?;
        if reply.errcode != 0 {
            return Err(match reply.errcode {
                45011 => rate_limited(),
                errcode => unexpected("stable_token", errcode, reply.errmsg.as_deref()),
            });
        }
        let (Some(value), Some(expires_in)) = (reply.access_token.filter(|t| !t.is_empty()), reply.expires_in) else {
            tracing::warn!("stable_token answered without a token");
            return Err(unavailable());
        };
        Ok(CachedToken {
            value,
            refresh_at: fetched_at + replace_after(expires_in),
        })
    }

    async fn request_phone(&self, token: &str, code: &str) -> AppResult<PhoneOutcome> {
        let request = self
            .http
            .post(self.url("/wxa/business/getuserphonenumber"))
            .query(&[("access_token", token)])
            .json(&serde_json::json!({ "code": code }));
        let reply: PhoneReply = self.call("getuserphonenumber", request).await?;
        match reply.errcode {
            0 => {}
            40001 | 42001 => return Ok(PhoneOutcome::TokenRejected),
            40029 => return Err(code_invalid("phone_code")),
            45011 => return Err(rate_limited()),
            errcode => return Err(unexpected("getuserphonenumber", errcode, reply.errmsg.as_deref())),
        }
        let info = reply.phone_info.ok_or_else(|| {
            tracing::warn!("getuserphonenumber answered without phone_info");
            unavailable()
        })?;
        Ok(PhoneOutcome::Phone(Phone {
            pure_phone_number: info.pure_phone_number,
            country_code: info.country_code,
        }))
    }

    async fn request_send(&self, token: &str, message: &serde_json::Value) -> SendAttempt {
        let request = self
            .http
            .post(self.url("/cgi-bin/message/subscribe/send"))
            .query(&[("access_token", token)])
            .json(message);
        let reply: SendReply = match self.call("subscribe_send", request).await {
            Ok(reply) => reply,
            Err(_) => {
                return SendAttempt::Done(SendOutcome::Failed(
                    "WeChat unreachable or its answer unreadable".into(),
                ));
            }
        };
        let error = |errcode: i64| format!("errcode {errcode}: {}", reply.errmsg.as_deref().unwrap_or(""));
        SendAttempt::Done(match reply.errcode {
            0 => SendOutcome::Sent,
            40001 | 42001 => return SendAttempt::TokenRejected,
            43101 => SendOutcome::Refused,
            // Invalid openid, template id, page, data; the template's data rules.
            40003 | 40037 | 41030 | 47003 | 40036 => {
                tracing::warn!(
                    errcode = reply.errcode,
                    errmsg = reply.errmsg,
                    "WeChat rejected a subscription message"
                );
                SendOutcome::Rejected(error(reply.errcode))
            }
            errcode => SendOutcome::Failed(error(errcode)),
        })
    }

    /// `subscribeMessage.send`: sends one subscription message. A token WeChat calls invalid or
    /// expired is replaced and the message tried once more. Never an error: every failure is an
    /// outcome the outbox acts on.
    pub async fn send_subscribe_message(&self, message: &serde_json::Value) -> SendOutcome {
        for _ in 0..2 {
            let token = match self.access_token().await {
                Ok(token) => token,
                Err(_) => return SendOutcome::Failed("no access token".into()),
            };
            match self.request_send(&token, message).await {
                SendAttempt::Done(outcome) => return outcome,
                SendAttempt::TokenRejected => self.drop_token(&token).await,
            }
        }
        tracing::warn!("subscribeMessage.send refused a freshly fetched access token");
        SendOutcome::Failed("access token refused".into())
    }

    /// `getuserphonenumber`: the phone of a `getPhoneNumber` code. A token WeChat calls invalid
    /// or expired is replaced and the call tried once more.
    pub async fn phone_number(&self, code: &str) -> AppResult<Phone> {
        let token = self.access_token().await?;
        if let PhoneOutcome::Phone(phone) = self.request_phone(&token, code).await? {
            return Ok(phone);
        }
        self.drop_token(&token).await;
        let token = self.access_token().await?;
        match self.request_phone(&token, code).await? {
            PhoneOutcome::Phone(phone) => Ok(phone),
            PhoneOutcome::TokenRejected => {
                tracing::warn!("getuserphonenumber refused a freshly fetched access token");
                Err(unavailable())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_replaced_five_minutes_before_it_expires() {
        assert_eq!(replace_after(7_200).as_secs(), 6_900);
        assert_eq!(replace_after(601).as_secs(), 301);
        assert_eq!(replace_after(600).as_secs(), 300);
        assert_eq!(replace_after(0).as_secs(), 0);
    }
}
