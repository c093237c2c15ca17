//! Announcement endpoints, and publishing an activity's record as news.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, types::*};
use crate::http::{
    AppResult, AuthUser, MaybeAuthUser, OptionalJson, Page, Pagination, ValidatedJson, ValidatedQuery, created,
};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_announcements)
        .service(create_announcement)
        .service(get_announcement)
        .service(update_announcement)
        .service(delete_announcement)
        .service(publish_activity_news);
}

/// List announcements
///
/// Public. Published announcements (`publish_at` has come), pinned first, then newest by
/// `publish_at`; filter by `station_id` (exactly that station's; platform-wide ones have none)
/// and `category`. Staff may add `include_scheduled=true` to also see their own station's
/// scheduled ones (admins see every scheduled one).
#[utoipa::path(
    tag = "announcements",
    params(Pagination, AnnouncementFilter),
    security((), ("bearer" = [])),
    responses((status = 200, description = "One page of announcements", body = Page<AnnouncementResponse>))
)]
#[get("/announcements")]
async fn list_announcements(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    page: ValidatedQuery<Pagination>,
    filter: ValidatedQuery<AnnouncementFilter>,
) -> AppResult<HttpResponse> {
    let (items, total) = service::list(&state.db, user.0.as_ref(), filter.0, &page.0, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Publish an announcement
///
/// Roles: secretary or director, for their own station; an admin for a named station or,
/// leaving `station_id` out, platform-wide. A future `publish_at` schedules it: readers see it
/// from then on.
#[utoipa::path(
    tag = "announcements",
    request_body = CreateAnnouncementRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The announcement", body = AnnouncementResponse),
        (status = 403, description = "Not staff of the station (`FORBIDDEN`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Validation failed (`VALIDATION_FAILED`: title 1–200 and body 1–20000 characters, an `http(s)` cover URL, a known category and station, at most 9 `attachment_ids`); an attachment id unknown or not the caller's (`UPLOAD_UNKNOWN`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "An attachment is already attached elsewhere (`UPLOAD_ALREADY_ATTACHED`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/announcements")]
async fn create_announcement(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<CreateAnnouncementRequest>,
) -> AppResult<HttpResponse> {
    let response = service::create(&state.db, &user, body.0, state.clock.now()).await?;
    Ok(created(format!("/api/v1/announcements/{}", response.id), &response))
}

/// Get an announcement
///
/// Public once published; a scheduled one only for staff of its station (404 for anyone else).
#[utoipa::path(
    tag = "announcements",
    params(("id" = i32, Path, description = "Announcement id")),
    security((), ("bearer" = [])),
    responses((status = 200, description = "The announcement", body = AnnouncementResponse))
)]
#[get("/announcements/{id}")]
async fn get_announcement(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let response = service::get(&state.db, user.0.as_ref(), id.into_inner(), state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(response))
}

/// Edit an announcement
///
/// Roles: secretary or director of its station (an admin for platform-wide ones). Absent
/// fields stay; an empty `cover_url` removes the cover. Others get 403 when they can read it,
/// 404 when they cannot.
#[utoipa::path(
    tag = "announcements",
    params(("id" = i32, Path, description = "Announcement id")),
    request_body = UpdateAnnouncementRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The announcement", body = AnnouncementResponse),
        (status = 403, description = "Not staff of its station (`FORBIDDEN`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/announcements/{id}")]
async fn update_announcement(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<UpdateAnnouncementRequest>,
) -> AppResult<HttpResponse> {
    let response = service::update(&state.db, &user, id.into_inner(), body.0, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(response))
}

/// Delete an announcement
///
/// Roles: secretary or director of its station (an admin for platform-wide ones).
#[utoipa::path(
    tag = "announcements",
    params(("id" = i32, Path, description = "Announcement id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not staff of its station (`FORBIDDEN`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/announcements/{id}")]
async fn delete_announcement(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    service::delete(&state.db, &user, id.into_inner(), state.clock.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Publish an activity's record as news
///
/// Roles: secretary or director of the activity's station. The activity must be archived (its
/// record written and attendance confirmed); the news takes the activity's title, and its
/// record summary, time and place as the body (category `news`). Once per activity. The body
/// may be left out.
#[utoipa::path(
    tag = "announcements",
    params(("id" = i32, Path, description = "Activity id")),
    request_body = Option<NewsFromActivityRequest>,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The news", body = AnnouncementResponse),
        (status = 403, description = "Not staff of the activity's station (`FORBIDDEN`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The activity has no confirmed record yet (`ACTIVITY_NOT_RECORDED`), or its record is already published (`ALREADY_PUBLISHED`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{id}/news")]
async fn publish_activity_news(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: OptionalJson<NewsFromActivityRequest>,
) -> AppResult<HttpResponse> {
    let response = service::from_activity(&state.db, &user, id.into_inner(), body.0, state.clock.now()).await?;
    Ok(created(format!("/api/v1/announcements/{}", response.id), &response))
}
