//! Hours endpoints.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, types::*};
use crate::http::{AppResult, AuthUser, Pagination, ValidatedJson, ValidatedQuery, created};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(my_hours).service(correct_hours);
}

/// List own confirmed service hours
///
/// Every confirmed entry (orders, activities, corrections) with its source, newest first, and
/// the total.
#[utoipa::path(
    tag = "me",
    params(Pagination),
    security(("bearer" = [])),
    responses((status = 200, description = "Confirmed hours", body = HoursResponse))
)]
#[get("/me/hours")]
async fn my_hours(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ValidatedQuery<Pagination>,
) -> AppResult<HttpResponse> {
    let (items, total, minutes) = service::for_user(&state.db, user.id, page.0.offset(), page.0.page_size()).await?;
    Ok(HttpResponse::Ok().json(HoursResponse {
        total_minutes: minutes,
        total_hours: (minutes as f64 / 60.0 * 100.0).round() / 100.0,
        items,
        page: page.0.page(),
        page_size: page.0.page_size(),
        total,
    }))
}

/// Correct a volunteer's hours
///
/// Roles: secretary or director of the volunteer's station, never for one's own hours. Writes
/// a new `correction` entry (negative minutes take hours away); nothing is changed or deleted.
/// A correction of more than `HOURS_CORRECTION_DIRECTOR_MINUTES` minutes (setting, default
/// 480) either way needs the station's director. The volunteer is notified.
#[utoipa::path(
    tag = "volunteers",
    request_body = CorrectionRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The correction entry", body = HoursEntry),
        (status = 403, description = "Not staff of the volunteer's station (`FORBIDDEN`), one's own hours (`OWN_HOURS`), or larger than `HOURS_CORRECTION_DIRECTOR_MINUTES` and the caller is not the director (`DIRECTOR_REQUIRED`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Validation failed (`VALIDATION_FAILED`), or the result would take the volunteer's total or the order's credit below zero (`HOURS_BELOW_ZERO`; `detail` and the `minutes` field error name the resulting figure)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/hours/corrections")]
async fn correct_hours(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: crate::audit::Origin,
    body: ValidatedJson<CorrectionRequest>,
) -> AppResult<HttpResponse> {
    let req = body.0;
    let volunteer_id = req.volunteer_id;
    let limit = state.settings.hours_correction_director_minutes;
    let entry = service::correct(&state.db, (&user, &origin), req, limit, state.clock.now()).await?;
    Ok(created(format!("/api/v1/volunteers/{volunteer_id}"), &entry))
}
