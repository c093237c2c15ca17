//! Hours endpoints.

use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, types::*};
use crate::http::{AppResult, AuthUser, Pagination, ValidatedQuery};
use crate::startup::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(my_hours);
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
