//! Activity, sign-up and check-in endpoints.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::state::Action;
use super::{service, signups, types::*};
use crate::http::{
    AppResult, AuthUser, MaybeAuthUser, OptionalJson, Page, Pagination, ValidatedJson, ValidatedQuery, created,
    idempotency::{Created, IdempotencyKey, create_once},
};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_activities)
        .service(create_activity)
        .service(get_activity)
        .service(update_activity)
        .service(submit_activity)
        .service(approve_activity)
        .service(reject_activity)
        .service(cancel_activity)
        .service(finish_activity)
        .service(record_activity)
        .service(sign_up)
        .service(cancel_my_signup)
        .service(list_signups)
        .service(checkin_code)
        .service(check_in)
        .service(check_out)
        .service(my_signups);
}

/// List activities
///
/// For a phone: published and ongoing activities that have not ended, by default, sorted by
/// start. Each item carries `places_left` and the caller's own sign-up (`my_signup`). Public;
/// staff also see their station's drafts and pending activities (`status` filter).
#[utoipa::path(
    tag = "activities",
    params(Pagination, ActivityFilter),
    responses((status = 200, description = "One page of activities", body = Page<ActivityResponse>))
)]
#[get("/activities")]
async fn list_activities(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    page: ValidatedQuery<Pagination>,
    filter: ValidatedQuery<ActivityFilter>,
) -> AppResult<HttpResponse> {
    let (items, total) = service::list(&state.db, user.0.as_ref(), filter.0, &page.0, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Draft an activity
///
/// Roles: secretary or director of the station (admin names `station_id`). The host defaults
/// to the caller; `host_id` names a stand-in host from the station.
#[utoipa::path(
    tag = "activities",
    request_body = CreateActivityRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The draft", body = ActivityResponse),
        (status = 422, description = "Validation failed (`VALIDATION_FAILED`: end before start, unknown platform or host, …; `STATION_REQUIRED`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities")]
async fn create_activity(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<CreateActivityRequest>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let model = service::create(&state.db, &user, body.0, now).await?;
    let response = service::one(&state.db, Some(&user), model, now).await?;
    Ok(created(format!("/api/v1/activities/{}", response.id), &response))
}

/// Get an activity
///
/// Public once published; drafts and pending activities only for staff of the station,
/// supervisors and the host (404 for anyone else).
#[utoipa::path(
    tag = "activities",
    params(("id" = i32, Path, description = "Activity id")),
    responses((status = 200, description = "The activity", body = ActivityResponse))
)]
#[get("/activities/{id}")]
async fn get_activity(state: web::Data<AppState>, user: MaybeAuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let model = service::find_visible(&state.db, user.0.as_ref(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(service::one(&state.db, user.0.as_ref(), model, state.clock.now()).await?))
}

const STATE_CONFLICT: &str = "Wrong state for this change (`ACTIVITY_STATE_CONFLICT`)";

/// Edit a draft
///
/// Roles: secretary or director of the station. Only drafts (also after a rejection) change.
#[utoipa::path(
    tag = "activities",
    params(("id" = i32, Path, description = "Activity id")),
    request_body = UpdateActivityRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The draft", body = ActivityResponse),
        (status = 409, description = STATE_CONFLICT, body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/activities/{id}")]
async fn update_activity(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<UpdateActivityRequest>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let model = service::update(&state.db, &user, id.into_inner(), body.0, now).await?;
    Ok(HttpResponse::Ok().json(service::one(&state.db, Some(&user), model, now).await?))
}

async fn transition(
    state: &AppState,
    user: &AuthUser,
    id: i32,
    action: Action,
    reason: Option<String>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let model = service::transition(&state.db, user, id, action, reason, now).await?;
    Ok(HttpResponse::Ok().json(service::one(&state.db, Some(user), model, now).await?))
}

/// Submit a draft for approval
///
/// Roles: secretary or director of the station. `draft` → `pending_approval`.
#[utoipa::path(
    tag = "activities",
    params(("id" = i32, Path, description = "Activity id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Pending the director's approval", body = ActivityResponse),
        (status = 409, description = STATE_CONFLICT, body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{id}/submit")]
async fn submit_activity(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    transition(&state, &user, id.into_inner(), Action::Submit, None).await
}

/// Approve (publish) an activity
///
/// Roles: director of the activity's station (403 `DIRECTOR_REQUIRED` otherwise).
/// `pending_approval` → `published`; from then residents see it and may sign up.
#[utoipa::path(
    tag = "activities",
    params(("id" = i32, Path, description = "Activity id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Published", body = ActivityResponse),
        (status = 409, description = STATE_CONFLICT, body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{id}/approve")]
async fn approve_activity(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    transition(&state, &user, id.into_inner(), Action::Approve, None).await
}

/// Reject an activity
///
/// Roles: director of the activity's station (403 `DIRECTOR_REQUIRED` otherwise).
/// `pending_approval` → `draft`; the reason is kept on the draft (`reject_reason`).
#[utoipa::path(
    tag = "activities",
    params(("id" = i32, Path, description = "Activity id")),
    request_body = ReasonRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Back to draft", body = ActivityResponse),
        (status = 409, description = STATE_CONFLICT, body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{id}/reject")]
async fn reject_activity(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<ReasonRequest>,
) -> AppResult<HttpResponse> {
    transition(&state, &user, id.into_inner(), Action::Reject, Some(body.0.reason)).await
}

/// Cancel an activity
///
/// Roles: secretary or director of the station. From `draft`, `pending_approval`, or
/// `published` before the start; everyone signed up is notified.
#[utoipa::path(
    tag = "activities",
    params(("id" = i32, Path, description = "Activity id")),
    request_body = ReasonRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled", body = ActivityResponse),
        (status = 409, description = STATE_CONFLICT, body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{id}/cancel")]
async fn cancel_activity(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<ReasonRequest>,
) -> AppResult<HttpResponse> {
    transition(&state, &user, id.into_inner(), Action::Cancel, Some(body.0.reason)).await
}

/// Finish an activity
///
/// Roles: the host, or secretary or director of the station. `ongoing` → `finished` (an
/// activity is ongoing from its start time).
#[utoipa::path(
    tag = "activities",
    params(("id" = i32, Path, description = "Activity id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Finished", body = ActivityResponse),
        (status = 409, description = STATE_CONFLICT, body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{id}/finish")]
async fn finish_activity(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    transition(&state, &user, id.into_inner(), Action::Finish, None).await
}

/// Write the record of a finished activity
///
/// Roles: the host, or secretary or director of the station. Saves the ledger record
/// (summary, minutes of a meeting, materials). With `attendance_confirmed: true` it also marks
/// each confirmed sign-up `attended`, `excused` (approved leave) or `absent`, credits
/// volunteers' hours (the overlap of check-in to check-out or end with the activity), and
/// archives the activity.
#[utoipa::path(
    tag = "activities",
    params(("id" = i32, Path, description = "Activity id")),
    request_body = RecordRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The activity with its record", body = ActivityResponse),
        (status = 409, description = "Not finished, or already archived (`ACTIVITY_STATE_CONFLICT`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[put("/activities/{id}/record")]
async fn record_activity(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<RecordRequest>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let model = service::record(&state.db, &user, id.into_inner(), body.0, now).await?;
    Ok(HttpResponse::Ok().json(service::one(&state.db, Some(&user), model, now).await?))
}

/// Sign up for an activity
///
/// Any user, inside the sign-up window and the audience. A place if one is left
/// (`confirmed`), else `waitlisted` with a `position`; confirmed sign-ups never exceed the
/// capacity. Honours `Idempotency-Key`.
#[utoipa::path(
    tag = "signups",
    params(
        ("id" = i32, Path, description = "Activity id"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = r"^[!-~]+$",
            description = "Repeat-safe key (1 to 255 visible ASCII characters): the same key from the same user returns the first result"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Signed up (`confirmed` or `waitlisted`)", body = SignupResponse),
        (status = 403, description = "Not in the activity's audience (`AUDIENCE_NOT_ALLOWED`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already signed up (`ALREADY_SIGNED_UP`), or not published / outside the sign-up window (`SIGNUP_CLOSED`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used for another request (`IDEMPOTENCY_KEY_REUSED`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 400, description = "Bad Idempotency-Key (`INVALID_IDEMPOTENCY_KEY`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{id}/signups")]
async fn sign_up(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    key: IdempotencyKey,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let activity_id = id.into_inner();
    let activity = service::find_visible(&state.db, Some(&user), activity_id).await?;
    let scope = format!("activity-signup:{activity_id}");
    if key.0.is_none() {
        signups::check_can_sign_up(&state.db, &user, &activity, now).await?;
    }
    let precheck = key.0.is_some();
    let db = &state.db;
    create_once(db, user.id, &scope, &key, &activity_id, now, async |txn| {
        if precheck {
            signups::check_can_sign_up(txn, &user, &activity, now).await?;
        }
        let signup = signups::sign_up(txn, &user, &activity, now).await?;
        let mut list = signups::responses(txn, &user, vec![signup], now).await?;
        let response = list
            .pop()
            .ok_or_else(|| crate::http::AppError::not_found("报名不存在"))?;
        Created::new(format!("/api/v1/activities/{activity_id}/signups/me"), &response)
    })
    .await
}

/// Cancel own sign-up
///
/// The signed-up user, before the start. A freed place goes to the earliest waitlisted
/// person, who is notified.
#[utoipa::path(
    tag = "signups",
    params(("id" = i32, Path, description = "Activity id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 409, description = "Not signed up (`NOT_SIGNED_UP`) or the activity has started (`ACTIVITY_STARTED`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/activities/{id}/signups/me")]
async fn cancel_my_signup(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let activity = service::find_visible(&state.db, Some(&user), id.into_inner()).await?;
    signups::cancel_mine(&state.db, &user, &activity, now).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List an activity's sign-ups
///
/// Roles: the host, secretary or director of the station, supervisor. Each sign-up with its
/// status, waitlist position, check-in, check-out, leave, attendance and minutes.
#[utoipa::path(
    tag = "signups",
    params(("id" = i32, Path, description = "Activity id"), Pagination),
    security(("bearer" = [])),
    responses((status = 200, description = "Sign-ups", body = Page<SignupResponse>))
)]
#[get("/activities/{id}/signups")]
async fn list_signups(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    page: ValidatedQuery<Pagination>,
) -> AppResult<HttpResponse> {
    let (items, total) =
        signups::list_for_activity(&state.db, &user, id.into_inner(), &page.0, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Create a check-in code
///
/// Roles: the host, secretary or director of the station; while published or ongoing. The
/// code is valid `ttl_minutes` (default 10); a new code voids the previous one. The body may
/// be left out.
#[utoipa::path(
    tag = "signups",
    params(("id" = i32, Path, description = "Activity id")),
    request_body = CheckinCodeRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The code to show", body = CheckinCodeResponse),
        (status = 409, description = STATE_CONFLICT, body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{id}/checkin-code")]
async fn checkin_code(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: OptionalJson<CheckinCodeRequest>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let ttl = body.0.ttl_minutes.unwrap_or(10);
    let code = service::new_checkin_code(&state.db, &user, id, ttl, state.clock.now()).await?;
    Ok(created(format!("/api/v1/activities/{id}/checkin-code"), &code))
}

const CHECKIN_REFUSALS_422: &str = "Wrong or expired code (`INVALID_CHECKIN_CODE`), outside [start − 30 min, end] (`CHECKIN_WINDOW_CLOSED`), or a field failed validation";
const CHECKIN_REFUSALS_429: &str = "Too many wrong codes (`TOO_MANY_REQUESTS`, with `Retry-After`)";

/// Check in
///
/// A user with a confirmed sign-up, with the host's current code, from 30 minutes before the
/// start until the end; once.
#[utoipa::path(
    tag = "signups",
    params(("id" = i32, Path, description = "Activity id")),
    request_body = CheckinRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Checked in", body = SignupResponse),
        (status = 409, description = "Already checked in (`ALREADY_CHECKED_IN`) or no confirmed sign-up (`NOT_SIGNED_UP`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = CHECKIN_REFUSALS_422, body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 429, description = CHECKIN_REFUSALS_429, body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{id}/checkin")]
async fn check_in(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<CheckinRequest>,
) -> AppResult<HttpResponse> {
    check(&state, &user, id.into_inner(), &body.0.code, false).await
}

/// Check out
///
/// A checked-in user, with the host's current code, until the record is written; once.
/// Optional: without a check-out the hours run to the end.
#[utoipa::path(
    tag = "signups",
    params(("id" = i32, Path, description = "Activity id")),
    request_body = CheckinRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Checked out", body = SignupResponse),
        (status = 409, description = "Already checked out (`ALREADY_CHECKED_OUT`), not checked in (`NOT_CHECKED_IN`) or not signed up (`NOT_SIGNED_UP`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = CHECKIN_REFUSALS_422, body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 429, description = CHECKIN_REFUSALS_429, body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{id}/checkout")]
async fn check_out(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<CheckinRequest>,
) -> AppResult<HttpResponse> {
    check(&state, &user, id.into_inner(), &body.0.code, true).await
}

async fn check(state: &AppState, user: &AuthUser, id: i32, code: &str, checkout: bool) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let activity = service::find_visible(&state.db, Some(user), id).await?;
    let signup =
        signups::check_in_or_out(&state.db, user, &activity, code, checkout, &state.checkin_limiter, now).await?;
    let mut list = signups::responses(&state.db, user, vec![signup], now).await?;
    let response = list
        .pop()
        .ok_or_else(|| crate::http::AppError::not_found("报名不存在"))?;
    Ok(HttpResponse::Ok().json(response))
}

/// List own sign-ups
///
/// Every sign-up of the caller, newest first, with status, position, check-in and hours.
#[utoipa::path(
    tag = "me",
    params(Pagination),
    security(("bearer" = [])),
    responses((status = 200, description = "Own sign-ups", body = Page<SignupResponse>))
)]
#[get("/me/signups")]
async fn my_signups(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ValidatedQuery<Pagination>,
) -> AppResult<HttpResponse> {
    let (items, total) = signups::list_mine(&state.db, &user, &page.0, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}
