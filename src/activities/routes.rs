//! Activity, sign-up and check-in endpoints.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::state::Action;
use super::{service, signups, types::*};
use crate::audit::Origin;
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
        .service(mark_present)
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
    security((), ("bearer" = [])),
    responses((status = 200, description = "One page of activities", body = Page<ActivityResponse>))
)]
#[get("/activities")]
async fn list_activities(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    page: ValidatedQuery<Pagination>,
    filter: ValidatedQuery<ActivityFilter>,
) -> AppResult<HttpResponse> {
    let (items, total) = service::list(state.read_db(), user.0.as_ref(), filter.0, &page.0, state.clock.now()).await?;
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
        (status = 422, description = "Validation failed (`VALIDATION_FAILED`: a start that is not in the future, end before start, unknown platform, host or plan, …; `STATION_REQUIRED`); `plan_id` not an approved plan of the station (`PLAN_OTHER_STATION`, `PLAN_NOT_APPROVED`) or `plan_item_id` not of that plan (`PLAN_ITEM_MISMATCH`)", body = crate::http::Problem, content_type = "application/problem+json"),
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
    security((), ("bearer" = [])),
    responses((status = 200, description = "The activity", body = ActivityResponse))
)]
#[get("/activities/{id}")]
async fn get_activity(state: web::Data<AppState>, user: MaybeAuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let db = state.read_db();
    let model = service::find_visible(db, user.0.as_ref(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(service::one(db, user.0.as_ref(), model, state.clock.now()).await?))
}

const STATE_CONFLICT: &str = "Wrong state for this change (`ACTIVITY_STATE_CONFLICT`)";

/// Edit a draft
///
/// Roles: secretary or director of the station. Only drafts (also after a rejection) change.
/// A new `starts_at` must lie in the future.
#[utoipa::path(
    tag = "activities",
    params(("id" = i32, Path, description = "Activity id")),
    request_body = UpdateActivityRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The draft", body = ActivityResponse),
        (status = 409, description = STATE_CONFLICT, body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Validation failed (`VALIDATION_FAILED`: a start that is not in the future, end before start, …); `plan_id` not an approved plan of the station (`PLAN_OTHER_STATION`, `PLAN_NOT_APPROVED`) or `plan_item_id` not of that plan (`PLAN_ITEM_MISMATCH`)", body = crate::http::Problem, content_type = "application/problem+json"),
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
    origin: &Origin,
    id: i32,
    action: Action,
    reason: Option<String>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let model = service::transition(&state.db, user, origin, id, action, reason, now).await?;
    Ok(HttpResponse::Ok().json(service::one(&state.db, Some(user), model, now).await?))
}

/// Submit a draft for approval
///
/// Roles: secretary or director of the station. `draft` → `pending_approval`. The station's
/// directors are notified (`activity_submitted`, about the activity). A submitted activity
/// not approved by its start is cancelled by the periodic jobs and its creator told.
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
async fn submit_activity(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    transition(&state, &user, &origin, id.into_inner(), Action::Submit, None).await
}

/// Approve (publish) an activity
///
/// Roles: director of the activity's station (403 `DIRECTOR_REQUIRED` otherwise).
/// `pending_approval` → `published`; from then residents see it and may sign up. Only while
/// the start is still ahead.
#[utoipa::path(
    tag = "activities",
    params(("id" = i32, Path, description = "Activity id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Published", body = ActivityResponse),
        (status = 403, description = "Not the station's director (`DIRECTOR_REQUIRED`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Wrong state (`ACTIVITY_STATE_CONFLICT`), or the start has passed (`ACTIVITY_START_PASSED`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{id}/approve")]
async fn approve_activity(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    transition(&state, &user, &origin, id.into_inner(), Action::Approve, None).await
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
    origin: Origin,
    id: web::Path<i32>,
    body: ValidatedJson<ReasonRequest>,
) -> AppResult<HttpResponse> {
    transition(
        &state,
        &user,
        &origin,
        id.into_inner(),
        Action::Reject,
        Some(body.0.reason),
    )
    .await
}

/// Cancel an activity
///
/// Roles: secretary or director of the station. From `draft`, `pending_approval`, or
/// `published` before the start. In the same transaction every sign-up and waitlist place is
/// cancelled and every pending leave request closed (`cancelled`); everyone signed up is
/// notified with the reason.
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
    origin: Origin,
    id: web::Path<i32>,
    body: ValidatedJson<ReasonRequest>,
) -> AppResult<HttpResponse> {
    transition(
        &state,
        &user,
        &origin,
        id.into_inner(),
        Action::Cancel,
        Some(body.0.reason),
    )
    .await
}

/// Finish an activity
///
/// Roles: the host, or secretary or director of the station. `ongoing` → `finished` (an
/// activity is ongoing from its start time). Hours run to the moment it finishes, never past
/// it. The periodic jobs finish an activity left open `ACTIVITY_FINISH_GRACE_HOURS` (setting,
/// default 12) past its scheduled end.
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
async fn finish_activity(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    transition(&state, &user, &origin, id.into_inner(), Action::Finish, None).await
}

/// Write the record of a finished activity
///
/// Roles: the host, or secretary or director of the station. Saves the ledger record
/// (summary, minutes of a meeting, materials). With `attendance_confirmed: true` it also marks
/// each confirmed sign-up `attended`, `excused` (approved leave) or `absent`, credits
/// volunteers' hours (the overlap of check-in to check-out or the actual finish with the
/// scheduled time; minutes already credited to the person for the same time, by another
/// activity or an order, are not credited again), and archives the activity. Confirming is
/// separated from hosting: the host may save the record but not confirm it; the secretary
/// confirms, or the director when the secretary hosts (`confirm_attendance` in
/// `allowed_actions`); a staff member who attended does not confirm their own hours.
/// `material_ids` attaches photos and PDFs (`POST /uploads`) as the record's materials
/// (过程材料), listed in `record.material_files`; the record and its files are shown to the
/// host, the station's staff, supervisors and those with a confirmed sign-up.
#[utoipa::path(
    tag = "activities",
    params(("id" = i32, Path, description = "Activity id")),
    request_body = RecordRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The activity with its record", body = ActivityResponse),
        (status = 403, description = "Not the host or staff (`FORBIDDEN`), the host confirming their own activity's attendance (`HOST_CANNOT_CONFIRM`), or a staff member who attended confirming their own hours (`OWN_ATTENDANCE`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not finished, or already archived (`ACTIVITY_STATE_CONFLICT`); a material id already attached elsewhere (`UPLOAD_ALREADY_ATTACHED`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (`VALIDATION_FAILED`), e.g. more than 9 `material_ids`; a material id unknown or not the caller's (`UPLOAD_UNKNOWN`)", body = crate::http::Problem, content_type = "application/problem+json",
            example = json!({"type": "https://wenming.dev/problems/upload-unknown", "title": "Unprocessable Entity", "status": 422, "detail": "引用的文件不存在或不是您上传的", "code": "UPLOAD_UNKNOWN", "errors": [{"field": "material_ids", "message": "引用的文件不存在或不是您上传的"}]})),
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
/// capacity. Honours `Idempotency-Key`. The body may be left out. 代报名: staff of the
/// activity's station send `{"user_id": N}` to sign up a user of the station who has no
/// phone; the sign-up shows `proxy: true` and `signed_up_by`, the same rules apply, and the
/// person is notified. Refused while the person is checked in at another activity of
/// overlapping time (`SCHEDULE_CONFLICT`).
#[utoipa::path(
    tag = "signups",
    params(
        ("id" = i32, Path, description = "Activity id"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = r"^[!-~]+$",
            description = "Repeat-safe key (1 to 255 visible ASCII characters): the same key from the same user returns the first result"),
    ),
    request_body = Option<SignupRequest>,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Signed up (`confirmed` or `waitlisted`)", body = SignupResponse),
        (status = 403, description = "Not in the activity's audience (`AUDIENCE_NOT_ALLOWED`), or `user_id` sent by someone who is not staff of the station (`FORBIDDEN`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already signed up (`ALREADY_SIGNED_UP`), not published / outside the sign-up window (`SIGNUP_CLOSED`), or checked in at an overlapping activity (`SCHEDULE_CONFLICT`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used for another request (`IDEMPOTENCY_KEY_REUSED`), or `user_id` is not a user of the station (`VALIDATION_FAILED`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 400, description = "Bad Idempotency-Key (`INVALID_IDEMPOTENCY_KEY`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{id}/signups")]
async fn sign_up(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    key: IdempotencyKey,
    body: OptionalJson<SignupRequest>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let activity_id = id.into_inner();
    // The checks read committed state (the reader pool on SQLite); the guarded write re-checks
    // what can change under concurrency.
    let activity = service::find_visible(state.read_db(), Some(&user), activity_id).await?;
    let (target, signed_up_by) = signups::signup_target(state.read_db(), &user, &activity, body.0.user_id).await?;
    let location = format!("/api/v1/activities/{activity_id}/signups/me");
    if key.0.is_none() {
        let response =
            signups::sign_up_and_answer(&state.db, state.read_db(), &user, target, signed_up_by, &activity, now)
                .await?;
        return Ok(created(location, &response));
    }
    // With a key the answer is stored with it, in the same transaction.
    let scope = format!("activity-signup:{activity_id}");
    let db = &state.db;
    create_once(db, user.id, &scope, &key, &(activity_id, target), now, async |txn| {
        signups::check_can_sign_up(txn, &user, target, &activity, now).await?;
        // The key's row was written first, so on SQLite this transaction holds the write lock.
        let revive = signups::prior_signup(txn, activity_id, target).await?;
        let signup = signups::sign_up(txn, target, signed_up_by, &activity, revive, now).await?;
        let mut list = signups::responses(txn, &user, vec![signup], now).await?;
        let response = list
            .pop()
            .ok_or_else(|| crate::http::AppError::not_found("报名不存在"))?;
        Created::new(location, &response)
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
        (status = 409, description = "Not signed up (`NOT_SIGNED_UP`), the activity has started (`ACTIVITY_STARTED`), or already checked in (`ALREADY_CHECKED_IN`: check out instead)", body = crate::http::Problem, content_type = "application/problem+json"),
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
/// code is valid `ttl_minutes` (default 10); a new code voids the previous one (and its
/// geofence). Only a hash of the code is stored. With `latitude`, `longitude` and `radius_m`
/// the code carries a geofence: a check-in must then send coordinates within it. The body
/// may be left out.
#[utoipa::path(
    tag = "signups",
    params(("id" = i32, Path, description = "Activity id")),
    request_body = Option<CheckinCodeRequest>,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The code to show", body = CheckinCodeResponse),
        (status = 409, description = STATE_CONFLICT, body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Validation failed (`VALIDATION_FAILED`: a geofence needs latitude, longitude and radius together, in range)", body = crate::http::Problem, content_type = "application/problem+json"),
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
    let code = service::new_checkin_code(&state.db, &user, id, body.0, state.clock.now()).await?;
    Ok(created(format!("/api/v1/activities/{id}/checkin-code"), &code))
}

const CHECKIN_REFUSALS_422: &str = "Wrong or expired code (`INVALID_CHECKIN_CODE`), outside [start − 30 min, end] (`CHECKIN_WINDOW_CLOSED`), the code has a geofence and no coordinates were sent (`LOCATION_REQUIRED`, check-in only) or they lie outside it (`OUTSIDE_GEOFENCE`, check-in only), or a field failed validation";
const CHECKIN_REFUSALS_429: &str = "Too many wrong codes (`TOO_MANY_REQUESTS`, with `Retry-After`)";

/// Check in
///
/// A user with a confirmed sign-up, with the host's current code, from 30 minutes before the
/// start until the end; once. When the code has a geofence, `latitude` and `longitude` are
/// required and must lie inside it. Refused while checked in at another activity of
/// overlapping time (`SCHEDULE_CONFLICT`).
#[utoipa::path(
    tag = "signups",
    params(("id" = i32, Path, description = "Activity id")),
    request_body = CheckinRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Checked in", body = SignupResponse),
        (status = 409, description = "Already checked in (`ALREADY_CHECKED_IN`), no confirmed sign-up (`NOT_SIGNED_UP`), or checked in at an overlapping activity (`SCHEDULE_CONFLICT`)", body = crate::http::Problem, content_type = "application/problem+json"),
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
    check(&state, &user, id.into_inner(), &body.0, false).await
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
    check(&state, &user, id.into_inner(), &body.0, true).await
}

async fn check(
    state: &AppState,
    user: &AuthUser,
    id: i32,
    body: &CheckinRequest,
    checkout: bool,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let activity = service::find_visible(&state.db, Some(user), id).await?;
    let position = body.latitude.zip(body.longitude);
    let signup = signups::check_in_or_out(
        &state.db,
        user,
        &activity,
        &body.code,
        position,
        checkout,
        &state.checkin_limiter,
        now,
    )
    .await?;
    let mut list = signups::responses(&state.db, user, vec![signup], now).await?;
    let response = list
        .pop()
        .ok_or_else(|| crate::http::AppError::not_found("报名不存在"))?;
    Ok(HttpResponse::Ok().json(response))
}

/// Mark a person present by hand
///
/// Roles: the host, secretary or director of the station; inside the check-in window (30
/// minutes before the start to the end). For a person with a confirmed sign-up who has no
/// phone: checks them in now, recorded as marked by the caller (`manual: true`, `marked_by`),
/// which shows in the sign-up list and the record.
#[utoipa::path(
    tag = "signups",
    params(
        ("id" = i32, Path, description = "Activity id"),
        ("signup_id" = i32, Path, description = "Sign-up id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Checked in by hand", body = SignupResponse),
        (status = 403, description = "Not the host or staff of the station (`FORBIDDEN`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such sign-up of this activity (`NOT_FOUND`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not running (`ACTIVITY_STATE_CONFLICT`), not a confirmed sign-up (`NOT_SIGNED_UP`), already checked in (`ALREADY_CHECKED_IN`), or checked in at an overlapping activity (`SCHEDULE_CONFLICT`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Outside [start − 30 min, end] (`CHECKIN_WINDOW_CLOSED`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/activities/{id}/signups/{signup_id}/checkin")]
async fn mark_present(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(i32, i32)>,
) -> AppResult<HttpResponse> {
    let (id, signup_id) = path.into_inner();
    let now = state.clock.now();
    let activity = service::find_for_change(&state.db, &user, id).await?;
    let signup = signups::mark_present(&state.db, &user, &activity, signup_id, now).await?;
    let mut list = signups::responses(&state.db, &user, vec![signup], now).await?;
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
