//! WeChat mini-program login endpoints. With the feature off (no `WECHAT_APPID` and
//! `WECHAT_SECRET`) each answers 404 `WECHAT_DISABLED` before reading its body; unbinding, a
//! signed-in operation, still checks the token first (401 without one, like every such route).

use actix_web::{FromRequest, HttpRequest, HttpResponse, delete, dev::Payload, get, http::header, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{outbox, service, types::*};
use crate::auth::types::TokenResponse;
use crate::http::{AppError, AppResult, AuthUser, Problem, ValidatedJson, client_address};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login)
        .service(bind)
        .service(unbind)
        .service(list_subscriptions)
        .service(add_subscriptions);
}

/// Proof that WeChat login is on; the first argument of every handler here, so that with the
/// feature off a request is answered 404 whatever its body or token.
struct WechatOn;

impl FromRequest for WechatOn {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let on = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|state| state.wechat.is_some());
        std::future::ready(if on { Ok(WechatOn) } else { Err(service::disabled()) })
    }
}

/// A token pair or a ticket is a secret: no cache may keep it (RFC 6749 §5.1).
fn no_store(mut response: actix_web::HttpResponseBuilder, body: &impl serde::Serialize) -> HttpResponse {
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

/// Log in with WeChat
///
/// Send the `code` from `wx.login()`. When the WeChat user is bound to an account the answer is
/// a token pair, the same body as `POST /auth/login`. Otherwise it is
/// `{"bind_required": true, "ticket": …, "expires_in": 600}`: ask for the phone with the
/// `getPhoneNumber` button and call `POST /auth/wechat/bind` with the ticket. Check
/// `bind_required` to tell the two apart. Attempts are limited per client address.
#[utoipa::path(
    tag = "auth",
    operation_id = "wechat_login",
    request_body = WechatLoginRequest,
    responses(
        (status = 200, description = "A token pair (bound), or a bind ticket with `bind_required: true` (not bound yet)", body = WechatLoginResponse),
        (status = 404, description = "WeChat login is not enabled on this server (`WECHAT_DISABLED`)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/wechat-disabled", "title": "Not Found", "status": 404, "detail": "本服务未开通微信登录", "code": "WECHAT_DISABLED"})),
        (status = 422, description = "The code is invalid, expired or already used (`WECHAT_CODE_INVALID`: call `wx.login()` again), or the body failed validation (`VALIDATION_FAILED`)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/wechat-code-invalid", "title": "Unprocessable Entity", "status": 422, "detail": "微信授权 code 无效、已过期或已使用，请重新获取", "code": "WECHAT_CODE_INVALID", "errors": [{"field": "code", "message": "微信授权 code 无效、已过期或已使用，请重新获取"}]})),
        (status = 429, description = "Too many attempts from this address (`TOO_MANY_REQUESTS`), or WeChat's quota is exceeded (`WECHAT_RATE_LIMITED`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait")),
            example = json!({"type": "https://wenming.dev/problems/wechat-rate-limited", "title": "Too Many Requests", "status": 429, "detail": "微信接口调用过于频繁，请稍后再试", "code": "WECHAT_RATE_LIMITED"})),
        (status = 502, description = "WeChat failed, was busy or did not answer in time (`WECHAT_UNAVAILABLE`); try again", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/wechat-unavailable", "title": "Bad Gateway", "status": 502, "detail": "微信服务暂时不可用，请稍后重试", "code": "WECHAT_UNAVAILABLE"})),
    )
)]
#[post("/auth/wechat/login")]
async fn login(
    _on: WechatOn,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<WechatLoginRequest>,
) -> AppResult<HttpResponse> {
    let answer = service::login(&state, body.0, client_address(&req)).await?;
    Ok(no_store(HttpResponse::Ok(), &answer))
}

/// Bind WeChat to an account by phone
///
/// Send the ticket from `POST /auth/wechat/login` and the code of the `getPhoneNumber` button
/// (手机号快速验证). The WeChat user is bound to the account with that phone (200), or, when no
/// account has it, a resident is registered with it in `station_id` (201; without `station_id`
/// 422 `STATION_REQUIRED`, and a new phone code is needed, so send `station_id` whenever the
/// user has chosen one). Either way the answer is a token pair and later logins with
/// `POST /auth/wechat/login` need no bind. An account registered here has no password: it logs
/// in with WeChat.
#[utoipa::path(
    tag = "auth",
    request_body = WechatBindRequest,
    responses(
        (status = 200, description = "Bound to the existing account with this phone; a token pair", body = TokenResponse),
        (status = 201, description = "A resident was registered with this phone and bound; a token pair", body = TokenResponse,
            headers(("Location" = String, description = "The new account"))),
        (status = 401, description = "The ticket is forged, expired or not a ticket (`WECHAT_TICKET_INVALID`): log in with WeChat again", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/wechat-ticket-invalid", "title": "Unauthorized", "status": 401, "detail": "绑定凭证无效或已过期，请重新进行微信登录", "code": "WECHAT_TICKET_INVALID"})),
        (status = 404, description = "WeChat login is not enabled on this server (`WECHAT_DISABLED`)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/wechat-disabled", "title": "Not Found", "status": 404, "detail": "本服务未开通微信登录", "code": "WECHAT_DISABLED"})),
        (status = 409, description = "This WeChat user is bound to another account, or the account with this phone to another WeChat user (`WECHAT_ALREADY_BOUND`)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/wechat-already-bound", "title": "Conflict", "status": 409, "detail": "该微信或该手机号的账号已与其他微信/账号绑定，请先解绑", "code": "WECHAT_ALREADY_BOUND"})),
        (status = 422, description = "The phone code is invalid or used (`WECHAT_CODE_INVALID`), the phone is not a mainland mobile (`WECHAT_PHONE_UNSUPPORTED`), no account has the phone and `station_id` is missing (`STATION_REQUIRED`), or validation failed (`VALIDATION_FAILED`, e.g. an unknown `station_id`)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/station-required", "title": "Unprocessable Entity", "status": 422, "detail": "该手机号尚未注册，请选择所属实践站以注册新账号", "code": "STATION_REQUIRED", "errors": [{"field": "station_id", "message": "该手机号尚未注册，请选择所属实践站以注册新账号"}]})),
        (status = 429, description = "Too many registrations from this address (`TOO_MANY_REQUESTS`), or WeChat's quota is exceeded (`WECHAT_RATE_LIMITED`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait")),
            example = json!({"type": "https://wenming.dev/problems/wechat-rate-limited", "title": "Too Many Requests", "status": 429, "detail": "微信接口调用过于频繁，请稍后再试", "code": "WECHAT_RATE_LIMITED"})),
        (status = 502, description = "WeChat failed, was busy or did not answer in time (`WECHAT_UNAVAILABLE`); try again", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/wechat-unavailable", "title": "Bad Gateway", "status": 502, "detail": "微信服务暂时不可用，请稍后重试", "code": "WECHAT_UNAVAILABLE"})),
        (status = 503, description = "Too many passwords being hashed (`BUSY`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/auth/wechat/bind")]
async fn bind(
    _on: WechatOn,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<WechatBindRequest>,
) -> AppResult<HttpResponse> {
    let bound = service::bind(&state, body.0, client_address(&req)).await?;
    Ok(match bound.created_user {
        Some(user_id) => {
            let mut response = HttpResponse::Created();
            response.insert_header((header::LOCATION, format!("/api/v1/users/{user_id}")));
            no_store(response, &bound.tokens)
        }
        None => no_store(HttpResponse::Ok(), &bound.tokens),
    })
}

/// Unbind WeChat
///
/// Removes the binding between the caller's account and WeChat; the next WeChat login gets a
/// bind ticket again. Tokens already issued keep working.
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Unbound"),
        (status = 404, description = "The account is not bound to WeChat (`WECHAT_NOT_BOUND`), or WeChat login is not enabled on this server (`WECHAT_DISABLED`)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/wechat-not-bound", "title": "Not Found", "status": 404, "detail": "当前账号未绑定微信", "code": "WECHAT_NOT_BOUND"})),
    )
)]
#[delete("/me/wechat")]
async fn unbind(user: AuthUser, _on: WechatOn, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    service::unbind(&state, user.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn message_settings(state: &AppState) -> AppResult<&crate::config::WechatMessageSettings> {
    state
        .settings
        .wechat
        .as_ref()
        .map(|w| &w.messages)
        .ok_or_else(service::disabled)
}

/// List my subscription-message grants
///
/// For each template the caller accepted in `wx.requestSubscribeMessage`, how many messages
/// it still allows. Templates are set by `WECHAT_TEMPLATE_ORDER` (order notices) and
/// `WECHAT_TEMPLATE_ACTIVITY` (activity and sign-up notices).
#[utoipa::path(
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's grants", body = Vec<WechatSubscriptionResponse>),
        (status = 404, description = "WeChat is not enabled on this server (`WECHAT_DISABLED`)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/wechat-disabled", "title": "Not Found", "status": 404, "detail": "本服务未开通微信登录", "code": "WECHAT_DISABLED"})),
    )
)]
#[get("/me/wechat/subscriptions")]
async fn list_subscriptions(user: AuthUser, _on: WechatOn, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let settings = message_settings(&state)?;
    Ok(HttpResponse::Ok().json(outbox::list(&state.db, settings, user.id).await?))
}

/// Record accepted subscription-message templates
///
/// Call it after `wx.requestSubscribeMessage` with the template ids the user answered
/// `accept`. Subscriptions are one-time: each accept allows one message with that template, so
/// the count grows by one per id sent, and each order or activity notice sent through WeChat
/// spends one. The account must be bound to WeChat (`POST /auth/wechat/bind`). Messages carry
/// `thing1` (the notice's title), `thing2` (its text), each at most 20 characters, and `time3`
/// (China time), and open `WECHAT_PAGE_ORDER` or `WECHAT_PAGE_ACTIVITY` with `?id=`.
#[utoipa::path(
    tag = "me",
    request_body = WechatSubscriptionsRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recorded; the caller's grants", body = Vec<WechatSubscriptionResponse>),
        (status = 404, description = "WeChat is not enabled on this server (`WECHAT_DISABLED`)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/wechat-disabled", "title": "Not Found", "status": 404, "detail": "本服务未开通微信登录", "code": "WECHAT_DISABLED"})),
        (status = 409, description = "The account is not bound to WeChat (`WECHAT_BINDING_REQUIRED`)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/wechat-binding-required", "title": "Conflict", "status": 409, "detail": "当前账号未绑定微信，请先用微信登录并绑定后再订阅消息", "code": "WECHAT_BINDING_REQUIRED"})),
        (status = 422, description = "A template id this server does not send (`WECHAT_TEMPLATE_UNKNOWN`), or 0 or more than 10 ids (`VALIDATION_FAILED`)", body = Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/wechat-template-unknown", "title": "Unprocessable Entity", "status": 422, "detail": "订阅消息模板不存在或未启用", "code": "WECHAT_TEMPLATE_UNKNOWN", "errors": [{"field": "template_ids", "message": "订阅消息模板不存在或未启用"}]})),
    )
)]
#[post("/me/wechat/subscriptions")]
async fn add_subscriptions(
    user: AuthUser,
    _on: WechatOn,
    state: web::Data<AppState>,
    body: ValidatedJson<WechatSubscriptionsRequest>,
) -> AppResult<HttpResponse> {
    let settings = message_settings(&state)?;
    let grants = outbox::grant(&state.db, settings, user.id, &body.0.template_ids, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(grants))
}
