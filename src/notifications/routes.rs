//! Notification endpoints.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, types::*};
use crate::http::{AppResult, AuthUser, Page, Pagination, ValidatedQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_notifications)
        .service(unread_count)
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
    let (items, total) = service::list(&state.db, user.id, filter.unread, page.0.offset(), page.0.page_size()).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Count unread notifications
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, description = "Unread count", body = UnreadCount))
)]
#[get("/notifications/unread-count")]
async fn unread_count(state: web::Data<AppState>, user: AuthUser) -> AppResult<HttpResponse> {
    let unread = service::unread_count(&state.db, user.id).await?;
    Ok(HttpResponse::Ok().json(UnreadCount { unread }))
}

/// Mark a notification read
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
