//! Notification endpoints.

use actix_web::{HttpRequest, HttpResponse, get, http::header, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, stream, types::*};
use crate::http::{AppError, AppResult, AuthUser, Page, Pagination, ValidatedQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_notifications)
        .service(unread_count)
        .service(notification_stream)
        .service(mark_read)
        .service(mark_all_read);
}

/// List own notifications
///
/// Order, sign-up, leave and activity changes that concern the caller, newest first.
#[utoipa::path(
    tag = "notifications",
    params(Pagination, NotificationFilter),
    security(("bearer" = [])),
    responses((status = 200, description = "Notifications", body = Page<NotificationResponse>))
)]
#[get("/notifications")]
async fn list_notifications(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ValidatedQuery<Pagination>,
    filter: web::Query<NotificationFilter>,
) -> AppResult<HttpResponse> {
    let (items, total) = service::list(
        state.read_db(),
        user.id,
        filter.unread,
        page.0.offset(),
        page.0.page_size(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Count unread notifications
///
/// The badge number; the event stream (`GET /notifications/stream`) pushes it as it changes.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, description = "Unread count", body = UnreadCount))
)]
#[get("/notifications/unread-count")]
async fn unread_count(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let unread = service::unread_count(state.read_db(), user.id).await?;
    Ok(HttpResponse::Ok().json(UnreadCount { unread }))
}

/// Mark a notification read
///
/// Only the caller's own notifications (another's is 404); marking one already read keeps its first `read_at`.
#[utoipa::path(
    tag = "notifications",
    params(("id" = i32, Path, description = "Notification id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The notification, now read", body = NotificationResponse))
)]
#[post("/notifications/{id}/read")]
async fn mark_read(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let notification = service::mark_read(&state.db, user.id, id.into_inner(), state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(notification))
}

/// Mark all notifications read
///
/// Every unread notification of the caller, at once; answers the unread count after (0).
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, description = "Unread count after the change (0)", body = UnreadCount))
)]
#[post("/notifications/read-all")]
async fn mark_all_read(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    service::mark_all_read(&state.db, user.id, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(UnreadCount { unread: 0 }))
}

/// Seconds a client refused for too many streams is told to wait.
const STREAMS_RETRY_AFTER_SECS: u64 = 30;

/// Stream own notifications (Server-Sent Events)
///
/// A `text/event-stream` of the caller's new notifications, as they are written by any server
/// process. Each is an `event: notification` with `id:` the notification id and `data:` the same
/// JSON as an item of `GET /notifications`; after each batch comes an `event: unread` with
/// `data: {"unread": n}`. On connect, the notifications after `Last-Event-ID` (the header, or
/// `?last_event_id=`) come first, oldest first (at most the newest 100 of them: a client away
/// for longer reloads `GET /notifications`), then the current unread count. A `: ping` comment
/// is sent when idle (every `SSE_HEARTBEAT_SECS`, default 15). The stream ends after
/// `SSE_MAX_SECONDS` (default 3600), or when the access token it was opened with expires if that
/// is sooner; reconnect (with a fresh token) and the last id received.
///
/// Authenticate with the `Authorization` header, or, for clients that cannot set one (a
/// browser's `EventSource`), with `?access_token=` (accepted on this route only). A user may hold
/// `SSE_MAX_STREAMS_PER_USER` (default 5) streams on one server process; more are refused with
/// 429 `TOO_MANY_STREAMS`.
#[utoipa::path(
    tag = "notifications",
    params(
        NotificationStreamQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The id of the last notification event received"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The event stream", content_type = "text/event-stream", body = NotificationStreamEvents),
        (status = 400, description = "`Last-Event-ID` is not a notification id (`INVALID_LAST_EVENT_ID`)",
            content_type = "application/problem+json", body = crate::http::Problem),
        (status = 401, description = "No or a bad access token (`MISSING_TOKEN`, `INVALID_TOKEN`, `TOKEN_EXPIRED`, `TOKEN_REVOKED`)",
            content_type = "application/problem+json", body = crate::http::Problem),
        (status = 429, description = "The caller already holds the most streams allowed (`TOO_MANY_STREAMS`); see `Retry-After`",
            content_type = "application/problem+json", body = crate::http::Problem),
    )
)]
#[get("/notifications/stream")]
async fn notification_stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<NotificationStreamQuery>,
) -> AppResult<HttpResponse> {
    let header_id = req
        .headers()
        .get("last-event-id")
        .map(|v| v.to_str().unwrap_or("x").to_owned());
    let last_event_id =
        match header_id.as_deref().or(query.last_event_id.as_deref()).map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(text.parse::<i32>().ok().filter(|id| *id >= 0).ok_or_else(|| {
                AppError::bad_request("INVALID_LAST_EVENT_ID", "Last-Event-ID 须为通知编号（非负整数）")
            })?),
        };
    let slot = state
        .notifications
        .open(user.id, state.settings.sse_max_streams_per_user)
        .ok_or_else(|| {
            AppError::throttled(
                "TOO_MANY_STREAMS",
                "同时打开的通知推送连接过多，请关闭其他连接后再试",
                STREAMS_RETRY_AFTER_SECS,
            )
        })?;
    let body = stream::body(
        state.clone(),
        stream::StreamStart {
            user_id: user.id,
            last_event_id,
            slot,
            // A stream outlives neither its settings nor the token that opened it.
            lasts: state.settings.sse_max_duration.min(std::time::Duration::from_secs(
                (user.token.exp - state.clock.now().timestamp()).max(1) as u64,
            )),
        },
    );
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}
