//! Overview, half-year report and inspection endpoints.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{half_year, inspections, overview, types::*};
use crate::audit::Origin;
use crate::auth::roles::{Role, StationScope};
use crate::http::{AppResult, AuthUser, Page, Pagination, Problem, ValidatedJson, ValidatedQuery, created};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(stats_overview)
        .service(half_year_report)
        .service(create_inspection)
        .service(list_inspections)
        .service(get_inspection)
        .service(rectify_item)
        .service(close_inspection);
}

/// Staff of a station, supervisors and admins read reports; nobody else.
fn require_reader(user: &AuthUser) -> AppResult<()> {
    user.require_any(&[Role::Secretary, Role::Director, Role::Supervisor, Role::Admin])
}

/// Station overview for a period
///
/// Roles: secretary or director (their own station; naming another is 403 `OTHER_STATION`),
/// supervisor or admin (must name `station_id`: 422 `STATION_REQUIRED`). The period is whole
/// days in China time (Asia/Shanghai), `from` and `to` included, at most 366 days (422
/// `PERIOD_TOO_LONG`; `to` before `from` is 422 `INVALID_PERIOD`).
///
/// Activities count when held (`finished` or `archived`) and started in the period;
/// participants are their confirmed sign-ups that checked in (code or marked present); hours are
/// the hours entries confirmed in the period; order figures cover orders placed in the period
/// (status now, acceptance, stars). Every figure is an aggregate query in the database.
#[utoipa::path(
    tag = "reports",
    params(OverviewQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The overview", body = Overview),
        (status = 403, description = "Not staff or supervisor (`FORBIDDEN`), or another station (`OTHER_STATION`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`to` before `from` (`INVALID_PERIOD`), more than 366 days (`PERIOD_TOO_LONG`), no `station_id` from a supervisor (`STATION_REQUIRED`), unknown station (`VALIDATION_FAILED`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/stats/overview")]
async fn stats_overview(
    state: web::Data<AppState>,
    user: AuthUser,
    query: ValidatedQuery<OverviewQuery>,
) -> AppResult<HttpResponse> {
    require_reader(&user)?;
    let query = query.0;
    let station = user.one_listed_station(query.station_id)?;
    half_year::stations(&state.db, &StationScope::One(station)).await?;
    let body = overview::overview(&state.db, station, query.from, query.to).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Half-year report (半年报告)
///
/// Roles: secretary or director (their own station), supervisor or admin (every station they
/// oversee in one answer, or the one named). Per station: the overview of the half; the
/// monthly rule "at least one practice activity held per month" (kind `practice`)
/// month by month — `met` when one was held, `missed` when the month is over
/// without one, `pending` while the month is not over; trainings held from 1 January to the
/// end of the half (the rule: 1–2 a year); leave requests made in the half by status;
/// absences (confirmed sign-ups of activities held in the half with no check-in and no
/// approved leave); orders placed in the half whose follow-up call (回访) is still pending; and
/// the inspections of the half.
///
/// **Score** (0–100) = ⌊60 × months met ÷ (months met + months missed)⌋ (60 when no month is
/// due yet) + 20 when at least one training was held + max(0, 20 − 5 × open follow-ups).
/// Stations are sorted by score, highest first, ties by station id.
#[utoipa::path(
    tag = "reports",
    params(HalfYearQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", body = HalfYearReport),
        (status = 403, description = "Not staff or supervisor (`FORBIDDEN`), or another station (`OTHER_STATION`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`half` not 1 or 2, `year` out of range, unknown station (`VALIDATION_FAILED`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/half-year")]
async fn half_year_report(
    state: web::Data<AppState>,
    user: AuthUser,
    query: ValidatedQuery<HalfYearQuery>,
) -> AppResult<HttpResponse> {
    require_reader(&user)?;
    let query = query.0;
    let scope = user.listing_station(query.station_id)?;
    let stations = half_year::stations(&state.db, &scope).await?;
    let body = half_year::report(&state.db, &stations, query.year, query.half, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// File an inspection (督查)
///
/// Roles: supervisor or admin, for a station they oversee (403 `OTHER_STATION` otherwise).
/// Findings for a station and a half year: a score, a text and rectification items. The
/// station's secretaries and directors are notified (`inspection_filed`).
#[utoipa::path(
    tag = "reports",
    request_body = CreateInspectionRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Filed", body = InspectionResponse),
        (status = 403, description = "Not a supervisor (`FORBIDDEN`), or a station outside the district (`OTHER_STATION`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Validation failed (`VALIDATION_FAILED`: score 0–100, half 1 or 2, unknown station)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/inspections")]
async fn create_inspection(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<CreateInspectionRequest>,
) -> AppResult<HttpResponse> {
    let id = inspections::create(&state.db, &user, body.0, state.clock.now()).await?;
    let response = inspections::get(&state.db, &user, id).await?;
    Ok(created(format!("/api/v1/inspections/{id}"), &response))
}

/// List inspections
///
/// Roles: secretary or director (their own station's; naming another is 403
/// `OTHER_STATION`), supervisor or admin (every station they oversee). Newest first.
#[utoipa::path(
    tag = "reports",
    params(Pagination, InspectionFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Inspections", body = Page<InspectionResponse>),
        (status = 403, description = "Not staff or supervisor (`FORBIDDEN`), or another station (`OTHER_STATION`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/inspections")]
async fn list_inspections(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ValidatedQuery<Pagination>,
    filter: ValidatedQuery<InspectionFilter>,
) -> AppResult<HttpResponse> {
    let (items, total) = inspections::list(&state.db, &user, filter.0, &page.0).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Get an inspection
///
/// Roles: staff of the inspected station, or a supervisor overseeing it; anyone else gets 404.
#[utoipa::path(
    tag = "reports",
    params(("id" = i32, Path, description = "Inspection id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The inspection", body = InspectionResponse))
)]
#[get("/inspections/{id}")]
async fn get_inspection(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(inspections::get(&state.db, &user, id.into_inner()).await?))
}

/// Rectify an item (整改)
///
/// Roles: secretary or director of the inspected station. An open item of an open inspection
/// is marked `rectified` with the note; the supervisor who filed the inspection is notified
/// (`inspection_item_rectified`).
#[utoipa::path(
    tag = "reports",
    params(
        ("id" = i32, Path, description = "Inspection id"),
        ("item_id" = i32, Path, description = "Item id"),
    ),
    request_body = RectifyRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rectified", body = InspectionResponse),
        (status = 403, description = "Not staff of the station (`FORBIDDEN`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The inspection is closed (`INSPECTION_CLOSED`) or the item already rectified (`ITEM_ALREADY_RECTIFIED`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/inspections/{id}/items/{item_id}/rectify")]
async fn rectify_item(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i32, i32)>,
    body: ValidatedJson<RectifyRequest>,
) -> AppResult<HttpResponse> {
    let (id, item_id) = path.into_inner();
    let response = inspections::rectify(&state.db, &user, id, item_id, body.0.note, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(response))
}

/// Close an inspection
///
/// Roles: supervisor (overseeing the station) or admin. Closing needs every item rectified
/// (409 `ITEMS_OPEN`); a closed inspection changes no more (409 `INSPECTION_CLOSED`). The
/// station's staff are notified (`inspection_closed`).
#[utoipa::path(
    tag = "reports",
    params(("id" = i32, Path, description = "Inspection id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Closed", body = InspectionResponse),
        (status = 403, description = "Not a supervisor (`FORBIDDEN`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Items still open (`ITEMS_OPEN`) or already closed (`INSPECTION_CLOSED`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/inspections/{id}/close")]
async fn close_inspection(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let by = (&user, &origin);
    Ok(HttpResponse::Ok().json(inspections::close(&state.db, by, id.into_inner(), state.clock.now()).await?))
}
