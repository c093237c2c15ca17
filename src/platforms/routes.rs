//! Platform endpoints.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, types::*};
use crate::http::{
    AppResult, AuthUser, MaybeAuthUser, Page, Pagination, Problem, ValidatedJson, ValidatedQuery, created,
};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_platforms).service(create_platform);
}

/// List platforms
///
/// The eight shared platforms (理论宣讲, 教育服务, 文化服务, 科技科普, 健身体育, 法律服务, 卫生服务,
/// 扶贫攻坚) and the station's own. Public.
#[utoipa::path(
    tag = "platforms",
    params(Pagination, PlatformFilter),
    security((), ("bearer" = [])),
    responses((status = 200, description = "Platforms: the shared ones first", body = Page<PlatformResponse>))
)]
#[get("/platforms")]
async fn list_platforms(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    page: ValidatedQuery<Pagination>,
    filter: web::Query<PlatformFilter>,
) -> AppResult<HttpResponse> {
    let station_id = filter.station_id.or(user.0.and_then(|u| u.station_id));
    let (items, total) = service::list(state.read_db(), station_id, page.0.offset(), page.0.page_size()).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Add a station platform
///
/// Roles: secretary or director (own station), admin (names the station).
#[utoipa::path(
    tag = "platforms",
    request_body = CreatePlatformRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = PlatformResponse),
        (status = 409, description = "A platform of this name exists (`PLATFORM_EXISTS`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/platforms")]
async fn create_platform(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<CreatePlatformRequest>,
) -> AppResult<HttpResponse> {
    let req = body.0;
    let station_id = user.station_or_home(req.station_id)?;
    user.require_staff_of(station_id)?;
    crate::stations::service::ensure_exists(&state.db, station_id, "station_id").await?;
    let platform = service::create(&state.db, station_id, req.name, req.description).await?;
    Ok(created(format!("/api/v1/platforms/{}", platform.id), &platform))
}
