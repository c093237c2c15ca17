//! Authentication endpoints.

use actix_web::{HttpRequest, HttpResponse, http::header, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, types::*};
use crate::http::{AppResult, AuthUser, Problem, ValidatedJson, client_address, created};
use crate::state::AppState;
use crate::users::types::UserResponse;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(register)
        .service(login)
        .service(refresh)
        .service(logout)
        .service(change_password);
}

/// Register as a resident
///
/// Anyone may register with a mainland mobile number; the account gets the `resident` role.
/// Registrations are limited per client address (429 with `Retry-After`).
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered", body = UserResponse),
        (status = 409, description = "The phone is already registered (`PHONE_TAKEN`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many registrations from this address (`TOO_MANY_REQUESTS`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Too many passwords being hashed (`BUSY`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/auth/register")]
async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<RegisterRequest>,
) -> AppResult<HttpResponse> {
    let user = service::register(&state, body.0, client_address(&req)).await?;
    Ok(created(format!("/api/v1/users/{}", user.id), &user))
}

/// Log in
///
/// Wrong phone and wrong password get the same 401 (`INVALID_CREDENTIALS`). Failed attempts are
/// limited per phone and client address, with a looser ceiling per phone from all addresses
/// (429 with `Retry-After`); a successful login clears its address's failures.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A token pair", body = TokenResponse),
        (status = 401, description = "Wrong phone or password (`INVALID_CREDENTIALS`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts (`TOO_MANY_REQUESTS`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Too many passwords being checked (`BUSY`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidatedJson<LoginRequest>,
) -> AppResult<HttpResponse> {
    Ok(token_reply(service::login(&state, body.0, client_address(&req)).await?))
}

/// Rotate a refresh token
///
/// Returns a new pair; the refresh token sent stops working. The same token sent again within
/// `REFRESH_REUSE_GRACE_SECS` (30 s by default) of its first use, as two tabs or a retry after a
/// lost answer do, gets the same new refresh token (and a fresh access token). Sent again after
/// that, it revokes every token of that login (`REFRESH_TOKEN_REUSED`).
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse),
        (status = 401, description = "Unknown, expired, revoked or reused token (`INVALID_REFRESH_TOKEN`, `REFRESH_TOKEN_REUSED`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
async fn refresh(state: web::Data<AppState>, body: ValidatedJson<RefreshRequest>) -> AppResult<HttpResponse> {
    Ok(token_reply(service::refresh(&state, body.0).await?))
}

/// Log out
///
/// Revokes the refresh token (and every token rotated from the same login) and the access token
/// the request was made with: from then on it answers 401 `TOKEN_REVOKED`, in every server
/// process. Other logins of the same account keep working.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    security(("bearer" = [])),
    responses((status = 204, description = "Logged out"))
)]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<RefreshRequest>,
) -> AppResult<HttpResponse> {
    service::logout(&state, &user, body.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change own password
///
/// Needs the current password; afterwards every refresh token of the account is revoked and
/// every access token, this one included, is refused from the next request on (401
/// `TOKEN_REVOKED`): log in again with the new password.
#[utoipa::path(
    tag = "me",
    request_body = ChangePasswordRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 503, description = "Too many passwords being hashed (`BUSY`); see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[put("/me/password")]
async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<ChangePasswordRequest>,
) -> AppResult<HttpResponse> {
    service::change_password(&state, user.id, body.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A token pair is a secret: no cache, shared or private, may keep it (RFC 6749 §5.1).
fn token_reply(tokens: TokenResponse) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(tokens)
}
