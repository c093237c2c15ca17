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
/// Roles: secretary or director of the volunteer's station. Writes a new `correction` entry
/// (negative minutes take hours away); nothing is changed or deleted. The volunteer is notified.
#[utoipa::path(
    tag = "volunteers",
    request_body = CorrectionRequest,
    security(("bearer" = [])),
    responses((status = 201, description = "The correction entry", body = HoursEntry))
)]
#[post("/hours/corrections")]
async fn correct_hours(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<CorrectionRequest>,
) -> AppResult<HttpResponse> {
    let req = body.0;
    let volunteer = crate::volunteers::service::volunteer_station(&state.db, req.volunteer_id).await?;
    user.require_staff_of(volunteer)?;
    let volunteer_id = req.volunteer_id;
    let entry = service::correct(&state.db, volunteer, req, user.id, state.clock.now()).await?;
    Ok(created(format!("/api/v1/volunteers/{volunteer_id}"), &entry))
}
