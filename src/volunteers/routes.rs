//! Volunteer application, volunteer and team endpoints.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, types::*};
use crate::auth::roles::Role;
use crate::http::{AppError, AppResult, AuthUser, Page, Pagination, Problem, ValidatedJson, ValidatedQuery, created};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(apply)
        .service(list_applications)
        .service(approve_application)
        .service(reject_application)
        .service(list_volunteers)
        .service(get_volunteer)
        .service(list_teams)
        .service(create_team)
        .service(get_team)
        .service(add_team_member);
}

/// Apply to volunteer
///
/// Roles: any signed-in user with a home station (a resident). Staff of the station approve or
/// reject; approval adds the `volunteer` role, carried by the next access token (log in or
/// refresh).
#[utoipa::path(
    tag = "volunteers",
    request_body = CreateApplicationRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Filed, `pending`", body = ApplicationResponse),
        (status = 409, description = "Already a volunteer (`ALREADY_VOLUNTEER`) or an application is pending (`APPLICATION_PENDING`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/volunteer-applications")]
async fn apply(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<CreateApplicationRequest>,
) -> AppResult<HttpResponse> {
    let station_id = user.home_station()?;
    let app = service::apply(&state.db, user.id, station_id, body.0, state.clock.now()).await?;
    Ok(created(format!("/api/v1/volunteer-applications/{}", app.id), &app))
}

/// List volunteer applications
///
/// Roles: staff see their station's (admins every station's); anyone else sees their own.
/// Newest first.
#[utoipa::path(
    tag = "volunteers",
    params(Pagination, ApplicationFilter),
    security(("bearer" = [])),
    responses((status = 200, description = "Applications", body = Page<ApplicationResponse>))
)]
#[get("/volunteer-applications")]
async fn list_applications(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ValidatedQuery<Pagination>,
    filter: web::Query<ApplicationFilter>,
) -> AppResult<HttpResponse> {
    let (station_id, user_id) = if user.is_admin() {
        (None, None)
    } else if user.is_staff() {
        (Some(user.home_station()?), None)
    } else {
        (None, Some(user.id))
    };
    let (items, total) = service::list_applications(
        &state.db,
        station_id,
        user_id,
        filter.status,
        page.0.offset(),
        page.0.page_size(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

async fn reviewable(state: &AppState, user: &AuthUser, id: i32) -> AppResult<()> {
    let app = service::find_application(&state.db, id).await?;
    if app.user_id != user.id && !user.can_oversee(app.station_id) {
        return Err(AppError::not_found("申请不存在"));
    }
    user.require_staff_of(app.station_id)
}

/// Approve a volunteer application
///
/// Roles: secretary or director of the application's station. Adds the `volunteer` role, the
/// profile and the chosen team membership; the applicant is notified.
#[utoipa::path(
    tag = "volunteers",
    params(("id" = i32, Path, description = "Application id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Approved", body = ApplicationResponse),
        (status = 409, description = "Already reviewed (`APPLICATION_NOT_PENDING`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/volunteer-applications/{id}/approve")]
async fn approve_application(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    reviewable(&state, &user, id).await?;
    let app = service::approve(&state.db, id, user.id, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(app))
}

/// Reject a volunteer application
///
/// Roles: secretary or director of the application's station. The applicant is notified with
/// the reason.
#[utoipa::path(
    tag = "volunteers",
    params(("id" = i32, Path, description = "Application id")),
    request_body = RejectApplicationRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rejected", body = ApplicationResponse),
        (status = 409, description = "Already reviewed (`APPLICATION_NOT_PENDING`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/volunteer-applications/{id}/reject")]
async fn reject_application(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<RejectApplicationRequest>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    reviewable(&state, &user, id).await?;
    let app = service::reject(&state.db, id, user.id, body.0.reason, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(app))
}

/// List volunteers
///
/// Roles: staff (own station), supervisors and admins (every station, or `station_id`).
/// Filters: `skill` (any of several, comma-separated; each matches part of a skill), `team_id`,
/// `platform_id` (members of a team under that platform).
#[utoipa::path(
    tag = "volunteers",
    params(Pagination, VolunteerFilter),
    security(("bearer" = [])),
    responses((status = 200, description = "Volunteers with confirmed hours and ratings", body = Page<VolunteerResponse>))
)]
#[get("/volunteers")]
async fn list_volunteers(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ValidatedQuery<Pagination>,
    filter: ValidatedQuery<VolunteerFilter>,
) -> AppResult<HttpResponse> {
    let filter = filter.0;
    let station_id = if user.is_admin() || user.has(Role::Supervisor) {
        filter.station_id
    } else {
        let station_id = user.home_station()?;
        user.require_staff_of(station_id)?;
        Some(station_id)
    };
    let (items, total) =
        service::list_volunteers(&state.db, station_id, &filter, page.0.offset(), page.0.page_size()).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Get a volunteer
///
/// Roles: staff of the volunteer's station, supervisors, and the volunteer themself. The
/// profile with confirmed hours, finished orders and average rating.
#[utoipa::path(
    tag = "volunteers",
    params(("id" = i32, Path, description = "The volunteer's user id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The volunteer", body = VolunteerResponse))
)]
#[get("/volunteers/{id}")]
async fn get_volunteer(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let model = service::find_volunteer(&state.db, id.into_inner()).await?;
    let overseen = model.station_id.is_some_and(|s| user.can_oversee(s)) || user.has(Role::Supervisor);
    if model.id != user.id && !overseen {
        return Err(AppError::not_found("志愿者不存在"));
    }
    Ok(HttpResponse::Ok().json(service::profile(&state.db, model).await?))
}

/// List teams
///
/// Roles: staff, volunteers and residents see their own station's teams (member ids, never
/// phones); supervisors and admins every station's, or `station_id`. `mine=true`: only the
/// teams the caller belongs to. Oldest first.
#[utoipa::path(
    tag = "volunteers",
    params(Pagination, TeamFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Teams", body = Page<TeamResponse>),
        (status = 403, description = "Another station's teams (`OTHER_STATION`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad paging or filter values (`VALIDATION_FAILED`), or the caller belongs to no station (`STATION_REQUIRED`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/teams")]
async fn list_teams(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ValidatedQuery<Pagination>,
    filter: ValidatedQuery<TeamFilter>,
) -> AppResult<HttpResponse> {
    let filter = filter.0;
    let station_id = service::team_list_station(&user, filter.station_id)?;
    let member_of = filter.mine.unwrap_or(false).then_some(user.id);
    let (items, total) = service::list_teams(
        &state.db,
        station_id,
        filter.platform_id,
        member_of,
        page.0.offset(),
        page.0.page_size(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Create a team
///
/// Roles: secretary or director (own station); admin (names the station). The leader, a
/// volunteer of the station, becomes the first member.
#[utoipa::path(
    tag = "volunteers",
    request_body = CreateTeamRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = TeamResponse),
        (status = 409, description = "A team of this name exists in the station (`TEAM_NAME_TAKEN`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/teams")]
async fn create_team(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<CreateTeamRequest>,
) -> AppResult<HttpResponse> {
    let req = body.0;
    let station_id = user.station_or_home(req.station_id)?;
    user.require_staff_of(station_id)?;
    crate::stations::service::ensure_exists(&state.db, station_id, "station_id").await?;
    crate::platforms::service::ensure_usable(&state.db, req.platform_id, station_id, "platform_id").await?;
    if let Some(leader) = req.leader_id {
        service::ensure_volunteer_of(&state.db, leader, station_id)
            .await
            .map_err(|_| AppError::invalid_field("leader_id", "队长须为本实践站的志愿者"))?;
    }
    let team = service::create_team(&state.db, station_id, req, state.clock.now()).await?;
    Ok(created(format!("/api/v1/teams/{}", team.id), &team))
}

/// Get a team
///
/// Roles: anyone of the team's station (staff, volunteers, residents), supervisors.
#[utoipa::path(
    tag = "volunteers",
    params(("id" = i32, Path, description = "Team id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The team with its members", body = TeamResponse))
)]
#[get("/teams/{id}")]
async fn get_team(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let team = service::find_team(&state.db, id.into_inner()).await?;
    if !service::may_browse_teams_of(&user, team.station_id) {
        return Err(AppError::not_found("服务队不存在"));
    }
    Ok(HttpResponse::Ok().json(service::team(&state.db, team).await?))
}

/// Add a team member
///
/// Roles: secretary or director of the team's station. The member must be a volunteer of the
/// station.
#[utoipa::path(
    tag = "volunteers",
    params(("id" = i32, Path, description = "Team id")),
    request_body = AddMemberRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added; the team with its members", body = TeamResponse),
        (status = 409, description = "Already a member (`ALREADY_MEMBER`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/teams/{id}/members")]
async fn add_team_member(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<AddMemberRequest>,
) -> AppResult<HttpResponse> {
    let team = service::find_team(&state.db, id.into_inner()).await?;
    user.require_staff_of(team.station_id)?;
    service::ensure_volunteer_of(&state.db, body.0.volunteer_id, team.station_id).await?;
    let team_id = team.id;
    let response = service::add_member(&state.db, team, body.0.volunteer_id, state.clock.now()).await?;
    Ok(created(format!("/api/v1/teams/{team_id}"), &response))
}
