//! Leave request endpoints.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::state::LeaveAction;
use super::{service, types::*};
use crate::audit::Origin;
use crate::http::{AppResult, AuthUser, OptionalJson, Page, Pagination, ValidatedJson, ValidatedQuery, created};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_leave)
        .service(list_leave)
        .service(approve_leave)
        .service(reject_leave)
        .service(withdraw_leave);
}

/// Ask for leave
///
/// A user with a confirmed sign-up for the activity, before it starts (a waitlisted person
/// holds no place to be excused from: they cancel instead, 409 `NOT_CONFIRMED`). A training
/// needs `reason_category`. The host and the secretary who drafted it are notified, and the
/// directors when only a director may decide (a training, or a secretary's or director's own
/// leave). A request still pending at the start is closed as `expired` and the requester told.
#[utoipa::path(
    tag = "leave",
    request_body = CreateLeaveRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Pending", body = LeaveResponse),
        (status = 409, description = "Not signed up (`NOT_SIGNED_UP`), the activity has started (`ACTIVITY_STARTED`) a request is already pending or approved (`LEAVE_ALREADY_REQUESTED`), or the sign-up is waitlisted (`NOT_CONFIRMED`)", body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Validation failed (`VALIDATION_FAILED`: unknown `activity_id`, `reason_category` missing for a training)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leave-requests")]
async fn create_leave(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<CreateLeaveRequest>,
) -> AppResult<HttpResponse> {
    let row = service::create(&state.db, &user, body.0, state.clock.now()).await?;
    let response = service::one(&state.db, &user, row, state.clock.now()).await?;
    Ok(created(format!("/api/v1/leave-requests/{}", response.id), &response))
}

/// List leave requests
///
/// Own requests; secretaries and directors also see their station's; supervisors every
/// station's. Newest first.
#[utoipa::path(
    tag = "leave",
    params(Pagination, LeaveFilter),
    security(("bearer" = [])),
    responses((status = 200, description = "Leave requests", body = Page<LeaveResponse>))
)]
#[get("/leave-requests")]
async fn list_leave(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ValidatedQuery<Pagination>,
    filter: ValidatedQuery<LeaveFilter>,
) -> AppResult<HttpResponse> {
    let (items, total) = service::list(&state.db, &user, filter.0, &page.0, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

async fn decide(
    state: &AppState,
    user: &AuthUser,
    origin: &Origin,
    id: i32,
    action: LeaveAction,
    comment: Option<String>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    let row = service::decide(&state.db, user, origin, id, action, comment, now).await?;
    Ok(HttpResponse::Ok().json(service::one(&state.db, user, row, now).await?))
}

const NOT_PENDING: &str = "Already decided, withdrawn or expired (`LEAVE_NOT_PENDING`), or the activity has started (`ACTIVITY_STARTED`): leave is decided only before the start";
const DECIDE_FORBIDDEN: &str = "Not staff of the station (`FORBIDDEN`); the caller asked for this leave themself (`OWN_LEAVE_REQUEST`); or only a director decides it (`DIRECTOR_REQUIRED`: a training, or a secretary's or director's own leave)";

/// Approve leave
///
/// Roles: secretary or director of the station, before the activity starts (409
/// `ACTIVITY_STARTED` after). Only a director (or an admin) decides a training's leave and a
/// secretary's or director's own leave (403 `DIRECTOR_REQUIRED`); nobody decides their own
/// (403 `OWN_LEAVE_REQUEST`). Frees the place (the earliest waitlisted person is promoted) and
/// makes the absence excused. The body may be left out.
#[utoipa::path(
    tag = "leave",
    params(("id" = i32, Path, description = "Leave request id")),
    request_body = Option<DecisionRequest>,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Approved", body = LeaveResponse),
        (status = 403, description = DECIDE_FORBIDDEN, body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = NOT_PENDING, body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leave-requests/{id}/approve")]
async fn approve_leave(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: OptionalJson<DecisionRequest>,
) -> AppResult<HttpResponse> {
    decide(
        &state,
        &user,
        &origin,
        id.into_inner(),
        LeaveAction::Approve,
        body.0.comment,
    )
    .await
}

/// Reject leave
///
/// The same deciders and the same rules as approving (before the start; never one's own;
/// a director for trainings and staff's own leave). The body may be left out.
#[utoipa::path(
    tag = "leave",
    params(("id" = i32, Path, description = "Leave request id")),
    request_body = Option<DecisionRequest>,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rejected", body = LeaveResponse),
        (status = 403, description = DECIDE_FORBIDDEN, body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = NOT_PENDING, body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leave-requests/{id}/reject")]
async fn reject_leave(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: OptionalJson<DecisionRequest>,
) -> AppResult<HttpResponse> {
    decide(
        &state,
        &user,
        &origin,
        id.into_inner(),
        LeaveAction::Reject,
        body.0.comment,
    )
    .await
}

/// Withdraw own leave request
///
/// The requester, while it is pending and before the activity starts. The body may be left out.
#[utoipa::path(
    tag = "leave",
    params(("id" = i32, Path, description = "Leave request id")),
    request_body = Option<DecisionRequest>,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Withdrawn", body = LeaveResponse),
        (status = 409, description = NOT_PENDING, body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leave-requests/{id}/withdraw")]
async fn withdraw_leave(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: OptionalJson<DecisionRequest>,
) -> AppResult<HttpResponse> {
    decide(
        &state,
        &user,
        &origin,
        id.into_inner(),
        LeaveAction::Withdraw,
        body.0.comment,
    )
    .await
}
