//! Request and response types of WeChat mini-program login.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::types::TokenResponse;

/// The code `wx.login()` gave the mini-program (valid five minutes, usable once).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"code": "0a3Xk9000ZxY2N1Qb3200kYw1j3Xk90E"}))]
pub struct WechatLoginRequest {
    #[schema(min_length = 1, max_length = 128)]
    #[validate(length(min = 1, max = 128, message = "请提供 wx.login 返回的 code"))]
    pub code: String,
}

/// The WeChat user has no account here yet: bind one with `POST /auth/wechat/bind`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"bind_required": true, "ticket": "eyJhbGciOiJIUzI1NiJ9…", "expires_in": 600}))]
pub struct WechatBindTicket {
    /// Always `true`: check this field to tell the answer from a token pair.
    pub bind_required: bool,
    /// Send it to `POST /auth/wechat/bind`; it proves which WeChat user logged in and is
    /// good for binding only (never as an access token).
    pub ticket: String,
    /// Seconds until the ticket expires.
    pub expires_in: i64,
}

/// A token pair (the same body as `POST /auth/login`) when the WeChat user is bound to an
/// account, else a bind ticket with `bind_required: true`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum WechatLoginResponse {
    Tokens(TokenResponse),
    BindRequired(WechatBindTicket),
}

/// Binds the WeChat user of `ticket` to the account with the phone of `phone_code`, or registers
/// a resident with that phone.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"ticket": "eyJhbGciOiJIUzI1NiJ9…", "phone_code": "e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144", "station_id": 1}))]
pub struct WechatBindRequest {
    /// The ticket from `POST /auth/wechat/login`.
    #[schema(min_length = 1, max_length = 2048)]
    #[validate(length(min = 1, max = 2048, message = "请提供绑定凭证"))]
    pub ticket: String,
    /// The code of the `getPhoneNumber` button (手机号快速验证), usable once.
    #[schema(min_length = 1, max_length = 256)]
    #[validate(length(min = 1, max = 256, message = "请提供手机号授权 code"))]
    pub phone_code: String,
    /// Home station, from `GET /stations`; required when no account has this phone yet (else
    /// 422 `STATION_REQUIRED`), ignored otherwise.
    pub station_id: Option<i32>,
    /// Display name of a new account; `微信用户` and the phone's last four digits when absent.
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, message = "姓名须为 1 到 50 个字符"))]
    pub name: Option<String>,
}

/// The template ids the user accepted in `wx.requestSubscribeMessage` (those answered `accept`).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"template_ids": ["bDmywsp2oEHjwAadTGKkUHpC0RgBVSvfAn7CJT1KW8E"]}))]
pub struct WechatSubscriptionsRequest {
    /// Each allows one more message with that template (one-time subscriptions).
    #[schema(min_items = 1, max_items = 10)]
    #[validate(length(min = 1, max = 10, message = "请提供 1 到 10 个模板 id"))]
    pub template_ids: Vec<String>,
}

/// The messages a user still allows with one template.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"template_id": "bDmywsp2oEHjwAadTGKkUHpC0RgBVSvfAn7CJT1KW8E", "channel": "order", "remaining": 2, "updated_at": "2026-11-30T08:00:00Z"}))]
pub struct WechatSubscriptionResponse {
    pub template_id: String,
    /// The notices the template carries: `order` (order notices) or `activity` (activity and
    /// sign-up notices).
    pub channel: String,
    /// Messages still allowed: one per accept, one spent per message.
    pub remaining: i32,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}
