//! Ranking and commendation endpoints.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{rankings, service, types::*};
use crate::audit::Origin;
use crate::auth::roles::{Role, StationScope};
use crate::http::{AppResult, AuthUser, MaybeAuthUser, Page, Pagination, ValidatedJson, ValidatedQuery, created};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(rank_volunteers)
        .service(rank_teams)
        .service(list_commendations)
        .service(nominate)
        .service(get_commendation)
        .service(approve_commendation)
        .service(reject_commendation)
        .service(object)
        .service(list_objections)
        .service(answer_objection);
}

/// Who may read rankings: staff (their own station) and supervisors and admins.
fn ranking_station(user: &AuthUser, query: &RankingQuery) -> AppResult<StationScope> {
    user.require_any(&[Role::Secretary, Role::Director, Role::Supervisor, Role::Admin])?;
    user.listing_station(query.station_id)
}

/// One page of an already ranked list.
fn page_of<T>(items: Vec<T>, page: &Pagination) -> (Vec<T>, u64) {
    let total = items.len() as u64;
    let start = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let size = usize::try_from(page.page_size()).unwrap_or(usize::MAX);
    (items.into_iter().skip(start).take(size).collect(), total)
}

/// Rank the volunteers of a year
///
/// Roles: secretary or director (their own station; 403 `OTHER_STATION` for another),
/// supervisor or admin (a named station, or every station they oversee). Residents and
/// volunteers: 403 `FORBIDDEN`. Every volunteer whose home station is the station, with the
/// year's figures (China time) wherever they served: minutes of confirmed service hours
/// (entries confirmed in the year), orders finished (completed or rated, by `completed_at`)
/// with them as the volunteer, and the stars of those of them rated.
///
/// Formula: `score = confirmed_minutes / 60 + 2 × finished_orders + 10 × (average_rating − 3)`,
/// the rating term only when `rated_orders ≥ 1`, rounded to 2 decimals. Sorted by score, then
/// `confirmed_minutes` (both descending), then `user_id`; `rank` is the place in the whole
/// list, every place distinct.
#[utoipa::path(
    tag = "commendations",
    params(Pagination, RankingQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of the ranking, best first", body = Page<VolunteerRanking>),
        (status = 403, description = "Not staff, supervisor or admin (`FORBIDDEN`), or another station named by staff (`OTHER_STATION`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rankings/volunteers")]
async fn rank_volunteers(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ValidatedQuery<Pagination>,
    query: ValidatedQuery<RankingQuery>,
) -> AppResult<HttpResponse> {
    let station = ranking_station(&user, &query.0)?;
    let year = query
        .0
        .year
        .unwrap_or_else(|| rankings::current_year(state.clock.now()));
    let (items, total) = page_of(rankings::volunteers(&state.db, &station, year).await?, &page.0);
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Rank the volunteer teams of a year
///
/// The same callers and the same formula as the volunteer ranking, over each team's current
/// members: their confirmed hours of the year, and the finished orders of the year dispatched
/// to the team or served by a member (each order once), with those orders' stars.
/// `score = confirmed_minutes / 60 + 2 × finished_orders + 10 × (average_rating − 3)` (rating
/// term only when `rated_orders ≥ 1`), rounded to 2 decimals; ties by minutes, then `team_id`.
#[utoipa::path(
    tag = "commendations",
    params(Pagination, RankingQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of the ranking, best first", body = Page<TeamRanking>),
        (status = 403, description = "Not staff, supervisor or admin (`FORBIDDEN`), or another station named by staff (`OTHER_STATION`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rankings/teams")]
async fn rank_teams(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ValidatedQuery<Pagination>,
    query: ValidatedQuery<RankingQuery>,
) -> AppResult<HttpResponse> {
    let station = ranking_station(&user, &query.0)?;
    let year = query
        .0
        .year
        .unwrap_or_else(|| rankings::current_year(state.clock.now()));
    let (items, total) = page_of(rankings::teams(&state.db, &station, year).await?, &page.0);
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// List commendations
///
/// Public (公示): anyone, with or without a token, sees commendations under notice and final
/// ones, newest first, with the nominee, the reason, the evidence and the end of the notice.
/// Staff of a station also see its pending and rejected nominations (their own station, or a
/// named station they oversee); filter with `status`. A notice that has ended with every
/// objection answered reads `final` at once.
#[utoipa::path(
    tag = "commendations",
    params(Pagination, CommendationFilter),
    security((), ("bearer" = [])),
    responses((status = 200, description = "One page of commendations", body = Page<CommendationResponse>))
)]
#[get("/commendations")]
async fn list_commendations(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    page: ValidatedQuery<Pagination>,
    filter: ValidatedQuery<CommendationFilter>,
) -> AppResult<HttpResponse> {
    let (items, total) = service::list(&state.db, user.0.as_ref(), filter.0, &page.0, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Nominate a volunteer or team (先进评选推荐)
///
/// Roles: secretary of the station (an admin names `station_id`). Exactly one of
/// `volunteer_id` (a volunteer whose home station is the station) and `team_id` (a team of the
/// station). The nominee's figures of the year are copied from the ranking as `evidence`.
/// `pending`; the station's directors are told. One live nomination per nominee and year: a
/// second while one is pending, under notice or final is 409 `ALREADY_NOMINATED` (after a
/// rejection the nominee may be nominated again).
#[utoipa::path(
    tag = "commendations",
    request_body = CreateCommendationRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Pending", body = CommendationResponse),
        (status = 403, description = "Not a secretary of the station (`FORBIDDEN`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already nominated this year (`ALREADY_NOMINATED`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Validation failed (`VALIDATION_FAILED`: neither or both of `volunteer_id` and `team_id`, a nominee not of the station, a year out of range), or no station (`STATION_REQUIRED`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/commendations")]
async fn nominate(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<CreateCommendationRequest>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let row = service::nominate(&state.db, &user, body.0, now).await?;
    let response = service::one(&state.db, Some(&user), row, now).await?;
    Ok(created(format!("/api/v1/commendations/{}", response.id), &response))
}

/// Get a commendation
///
/// Public under notice and once final; pending and rejected ones only for those overseeing
/// the station (404 for anyone else).
#[utoipa::path(
    tag = "commendations",
    params(("id" = i32, Path, description = "Commendation id")),
    security((), ("bearer" = [])),
    responses((status = 200, description = "The commendation", body = CommendationResponse))
)]
#[get("/commendations/{id}")]
async fn get_commendation(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let model = service::find_visible(&state.db, user.0.as_ref(), id.into_inner(), now).await?;
    Ok(HttpResponse::Ok().json(service::one(&state.db, user.0.as_ref(), model, now).await?))
}

const DIRECTOR_ONLY: &str = "Not staff of the station (`FORBIDDEN`), a secretary (`DIRECTOR_REQUIRED`), or the director who made the nomination (`OWN_NOMINATION`)";

/// Approve a nomination
///
/// Roles: director of the station (a secretary: 403 `DIRECTOR_REQUIRED`; nobody approves their
/// own nomination: 403 `OWN_NOMINATION`). `pending` → `notice`: public notice (公示) for 5 days
/// (`notice_ends_at`); the nominee (the volunteer, or the team's leader and members) is told.
/// When the notice ends with every objection answered the commendation is `final`.
#[utoipa::path(
    tag = "commendations",
    params(("id" = i32, Path, description = "Commendation id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Under notice", body = CommendationResponse),
        (status = 403, description = DIRECTOR_ONLY, body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not pending (`COMMENDATION_NOT_PENDING`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/commendations/{id}/approve")]
async fn approve_commendation(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let row = service::approve(&state.db, (&user, &origin), id.into_inner(), now).await?;
    Ok(HttpResponse::Ok().json(service::one(&state.db, Some(&user), row, now).await?))
}

/// Reject a nomination
///
/// Roles: director of the station (a secretary: 403 `DIRECTOR_REQUIRED`). From `pending`, or
/// from `notice` (for instance after an objection the director upholds) → `rejected`, with the
/// reason; the nominator is told. A final commendation is not rejected (409
/// `COMMENDATION_CLOSED`).
#[utoipa::path(
    tag = "commendations",
    params(("id" = i32, Path, description = "Commendation id")),
    request_body = CommendationReasonRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rejected", body = CommendationResponse),
        (status = 403, description = "Not staff of the station (`FORBIDDEN`) or a secretary (`DIRECTOR_REQUIRED`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Final or rejected already (`COMMENDATION_CLOSED`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/commendations/{id}/reject")]
async fn reject_commendation(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: ValidatedJson<CommendationReasonRequest>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let row = service::reject(&state.db, (&user, &origin), id.into_inner(), body.0.reason, now).await?;
    Ok(HttpResponse::Ok().json(service::one(&state.db, Some(&user), row, now).await?))
}

/// Object to a commendation under notice (异议)
///
/// Any logged-in user, once per commendation (409 `ALREADY_OBJECTED`), only while it is under
/// notice and before `notice_ends_at` (409 `NOT_UNDER_NOTICE`). The station's directors are
/// told. An unanswered objection holds the commendation under notice, past its end, until the
/// director answers it or rejects the commendation.
#[utoipa::path(
    tag = "commendations",
    params(("id" = i32, Path, description = "Commendation id")),
    request_body = CommendationReasonRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Objection recorded", body = ObjectionResponse),
        (status = 409, description = "Not under notice or the notice has ended (`NOT_UNDER_NOTICE`), or the caller objected already (`ALREADY_OBJECTED`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/commendations/{id}/objections")]
async fn object(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<CommendationReasonRequest>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let response = service::object(&state.db, &user, id, body.0.reason, state.clock.now()).await?;
    Ok(created(
        format!("/api/v1/commendations/{id}/objections/{}", response.id),
        &response,
    ))
}

/// List objections to a commendation
///
/// Staff of the station (and those overseeing it) see every objection with its answer; anyone
/// else who may see the commendation sees only their own. Oldest first.
#[utoipa::path(
    tag = "commendations",
    params(("id" = i32, Path, description = "Commendation id"), Pagination),
    security(("bearer" = [])),
    responses((status = 200, description = "Objections", body = Page<ObjectionResponse>))
)]
#[get("/commendations/{id}/objections")]
async fn list_objections(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    page: ValidatedQuery<Pagination>,
) -> AppResult<HttpResponse> {
    let (items, total) = service::objections(&state.db, &user, id.into_inner(), &page.0, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Answer an objection
///
/// Roles: director of the station (a secretary: 403 `DIRECTOR_REQUIRED`). Once per objection
/// (409 `ALREADY_ANSWERED`); the objector is told. When the notice has ended and this was the
/// last open objection, the commendation is final.
#[utoipa::path(
    tag = "commendations",
    params(
        ("id" = i32, Path, description = "Commendation id"),
        ("objection_id" = i32, Path, description = "Objection id"),
    ),
    request_body = ObjectionAnswerRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Answered", body = ObjectionResponse),
        (status = 403, description = "Not staff of the station (`FORBIDDEN`) or a secretary (`DIRECTOR_REQUIRED`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Answered already (`ALREADY_ANSWERED`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/commendations/{id}/objections/{objection_id}/answer")]
async fn answer_objection(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i32, i32)>,
    body: ValidatedJson<ObjectionAnswerRequest>,
) -> AppResult<HttpResponse> {
    let (id, objection_id) = path.into_inner();
    let response = service::answer(&state.db, &user, id, objection_id, body.0.answer, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(response))
}
