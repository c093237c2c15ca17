//! Volunteer application, volunteer and team endpoints.

use actix_web::{HttpResponse, delete, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, types::*};
use crate::audit::Origin;
use crate::auth::roles::StationScope;
use crate::http::{
    AppResult, AuthUser, OptionalJson, Page, Pagination, Problem, ValidatedJson, ValidatedQuery, created,
};
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
        .service(add_team_member)
        .service(deactivate_volunteer)
        .service(remove_team_member);
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
    let (scope, user_id) = if user.is_admin() {
        (StationScope::All, None)
    } else if user.is_staff() {
        (StationScope::One(user.home_station()?), None)
    } else {
        (StationScope::All, Some(user.id))
    };
    let (items, total) = service::list_applications(
        &state.db,
        &scope,
        user_id,
        filter.status,
        page.0.offset(),
        page.0.page_size(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Approve a volunteer application
///
/// Roles: secretary or director of the application's station, never the applicant (a staff
/// member's own application is reviewed by another: 403 `SELF_APPROVAL`). Adds the
/// `volunteer` role, the profile and the chosen team membership; the applicant is notified.
#[utoipa::path(
    tag = "volunteers",
    params(("id" = i32, Path, description = "Application id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Approved", body = ApplicationResponse),
        (status = 403, description = "Not staff of the station (`FORBIDDEN`), or the caller's own application (`SELF_APPROVAL`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already reviewed (`APPLICATION_NOT_PENDING`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/volunteer-applications/{id}/approve")]
async fn approve_application(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    service::ensure_reviewable(&state.db, &user, id).await?;
    let app = service::approve(&state.db, id, (&user, &origin), state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(app))
}

/// Reject a volunteer application
///
/// Roles: secretary or director of the application's station, never the applicant (403
/// `SELF_APPROVAL`). The applicant is notified with the reason.
#[utoipa::path(
    tag = "volunteers",
    params(("id" = i32, Path, description = "Application id")),
    request_body = RejectApplicationRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rejected", body = ApplicationResponse),
        (status = 403, description = "Not staff of the station (`FORBIDDEN`), or the caller's own application (`SELF_APPROVAL`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already reviewed (`APPLICATION_NOT_PENDING`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/volunteer-applications/{id}/reject")]
async fn reject_application(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: ValidatedJson<RejectApplicationRequest>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    service::ensure_reviewable(&state.db, &user, id).await?;
    let app = service::reject(&state.db, id, (&user, &origin), body.0.reason, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(app))
}

/// List volunteers
///
/// Roles: staff (own station), supervisors (their district's stations) and admins (every station), or `station_id`.
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
    let scope = user.listing_station(filter.station_id)?;
    if !user.reads_across_stations() {
        user.require_staff_of(user.home_station()?)?;
    }
    let (mut items, total) =
        service::list_volunteers(&state.db, &scope, &filter, page.0.offset(), page.0.page_size()).await?;
    for item in items.iter_mut().filter(|item| !user.sees_phones_of(item.station_id)) {
        item.phone = crate::orders::service::mask_phone(&item.phone);
    }
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Get a volunteer
///
/// Roles: staff of the volunteer's station, supervisors, and the volunteer themself. The
/// profile with confirmed hours, finished orders and average rating. It carries the phone in
/// full, so anyone but the volunteer opening it is recorded in the audit log (`phone.revealed`).
#[utoipa::path(
    tag = "volunteers",
    params(("id" = i32, Path, description = "The volunteer's user id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The volunteer", body = VolunteerResponse))
)]
#[get("/volunteers/{id}")]
async fn get_volunteer(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let by = (&user, &origin);
    let model = service::find_visible_volunteer(&state.db, by, id.into_inner(), state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(service::profile(&state.db, model).await?))
}

/// List teams
///
/// Roles: staff, volunteers and residents see their own station's teams (member ids, never
/// phones); supervisors their district's stations, admins every station's, or `station_id`. `mine=true`: only the
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
    let scope = user.listing_station(filter.station_id)?;
    let member_of = filter.mine.unwrap_or(false).then_some(user.id);
    let (items, total) = service::list_teams(
        &state.db,
        &scope,
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
    let team = service::create_team(&state.db, &user, body.0, state.clock.now()).await?;
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
    Ok(HttpResponse::Ok().json(service::visible_team(&state.db, &user, id.into_inner()).await?))
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
    let team_id = id.into_inner();
    let response = service::add_member(&state.db, &user, team_id, body.0.volunteer_id, state.clock.now()).await?;
    Ok(created(format!("/api/v1/teams/{team_id}"), &response))
}

/// Deactivate a volunteer
///
/// Roles: secretary or director of the volunteer's station (staff of another station get 404,
/// supervisors 403). In one step: the `volunteer` role is removed (they can no longer accept
/// or be dispatched, whatever their access token says), they leave every team, and the orders
/// they hold in progress (`assigned`, `accepted` and `in_service`) go back to the station as
/// `submitted` for re-dispatch, each with a `return` event and the station's staff notified.
/// Team orders no remaining member may take go back too. The volunteer is notified with the
/// optional `reason`. They may apply again later.
#[utoipa::path(
    tag = "volunteers",
    params(("id" = i32, Path, description = "The volunteer's user id")),
    request_body = Option<DeactivateRequest>,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Deactivated; the orders sent back", body = DeactivationResponse),
        (status = 403, description = "Not staff of the station (`FORBIDDEN`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such volunteer in the caller's station (`NOT_FOUND`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/volunteers/{id}/deactivate")]
async fn deactivate_volunteer(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: OptionalJson<DeactivateRequest>,
) -> AppResult<HttpResponse> {
    let by = (&user, &origin);
    let response = service::deactivate(&state.db, by, id.into_inner(), body.0.reason, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(response))
}

/// Remove a team member
///
/// Roles: secretary or director of the team's station (staff of another station get 404,
/// supervisors 403). The orders the member took through the team and still holds (`accepted`,
/// `in_service`) go back to the station as `submitted` for re-dispatch, with a `return` event;
/// the team's `assigned` orders that no remaining member may take go back too. The station's
/// staff are notified. A leader who leaves stops leading the team.
#[utoipa::path(
    tag = "volunteers",
    params(
        ("id" = i32, Path, description = "Team id"),
        ("user_id" = i32, Path, description = "The member's user id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not staff of the station (`FORBIDDEN`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team in the caller's station, or not a member (`NOT_FOUND`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/teams/{id}/members/{user_id}")]
async fn remove_team_member(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i32, i32)>,
) -> AppResult<HttpResponse> {
    let (team_id, member_id) = path.into_inner();
    service::remove_member(&state.db, &user, team_id, member_id, state.clock.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}
