//! Station endpoints.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, types::*};
use crate::auth::roles::Role;
use crate::http::{AppResult, AuthUser, Page, Pagination, ValidatedJson, ValidatedQuery, created};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_stations)
        .service(get_station)
        .service(create_station)
        .service(update_station);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StationFilter {
    /// Only stations of this district.
    pub district: Option<String>,
}

/// List stations
///
/// The stations residents pick their home station from. Public.
#[utoipa::path(
    tag = "stations",
    params(Pagination, StationFilter),
    responses((status = 200, description = "Stations, oldest first", body = Page<StationResponse>))
)]
#[get("/stations")]
async fn list_stations(
    state: web::Data<AppState>,
    page: ValidatedQuery<Pagination>,
    filter: web::Query<StationFilter>,
) -> AppResult<HttpResponse> {
    let (items, total) = service::list(
        state.read_db(),
        filter.district.as_deref(),
        page.0.offset(),
        page.0.page_size(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Get a station
///
/// Public: a station's name, district and address, for residents choosing theirs.
#[utoipa::path(
    tag = "stations",
    params(("id" = i32, Path, description = "Station id")),
    responses((status = 200, description = "The station", body = StationResponse))
)]
#[get("/stations/{id}")]
async fn get_station(state: web::Data<AppState>, id: web::Path<i32>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::get(state.read_db(), id.into_inner()).await?))
}

/// Create a station
///
/// Roles: admin.
#[utoipa::path(
    tag = "stations",
    request_body = CreateStationRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = StationResponse),
        (status = 409, description = "A station of this name exists (`STATION_NAME_TAKEN`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/stations")]
async fn create_station(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<CreateStationRequest>,
) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Admin])?;
    let station = service::create(&state.db, body.0, state.clock.now()).await?;
    Ok(created(format!("/api/v1/stations/{}", station.id), &station))
}

/// Update a station
///
/// Roles: admin.
#[utoipa::path(
    tag = "stations",
    params(("id" = i32, Path, description = "Station id")),
    request_body = UpdateStationRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Updated", body = StationResponse),
        (status = 409, description = "A station of this name exists (`STATION_NAME_TAKEN`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/stations/{id}")]
async fn update_station(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<UpdateStationRequest>,
) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Admin])?;
    let station = service::update(&state.db, id.into_inner(), body.0, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(station))
}
