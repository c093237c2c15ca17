//! Annual plan endpoints.

use actix_web::{HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::state::PlanAction;
use super::{service, types::*};
use crate::audit::Origin;
use crate::http::{AppResult, AuthUser, OptionalJson, Page, Pagination, ValidatedJson, ValidatedQuery, created};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_plans)
        .service(create_plan)
        .service(get_plan)
        .service(update_plan)
        .service(submit_plan)
        .service(approve_plan)
        .service(reject_plan)
        .service(plan_compliance);
}

const STATE_CONFLICT: &str = "Wrong state for this change (`PLAN_STATE_CONFLICT`)";
const WRITE_FORBIDDEN: &str =
    "Not a secretary or director of the plan's station (`FORBIDDEN`; supervisors read plans but do not write them)";
const DECIDE_FORBIDDEN: &str = "Not staff of the plan's station (`FORBIDDEN`), or staff but not a director (`DIRECTOR_REQUIRED`: a secretary cannot approve or reject)";

/// List annual plans
///
/// Roles: secretaries and directors see their own station's plans (403 `OTHER_STATION` when
/// they name another); supervisors and admins any station's, or every station's without
/// `station_id`. Newest year first.
#[utoipa::path(
    tag = "plans",
    params(Pagination, PlanFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of plans", body = Page<PlanResponse>),
        (status = 403, description = "Not staff or a supervisor (`FORBIDDEN`), or another station named (`OTHER_STATION`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/annual-plans")]
async fn list_plans(
    state: web::Data<AppState>,
    user: AuthUser,
    page: ValidatedQuery<Pagination>,
    filter: ValidatedQuery<PlanFilter>,
) -> AppResult<HttpResponse> {
    let (items, total) = service::list(&state.db, &user, filter.0, &page.0).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Draft an annual plan
///
/// Roles: secretary or director of the station (an admin names `station_id`). Each item names a
/// month (1–12), a theme, a platform usable by the station and an activity kind. Several plans
/// of a year may be drafted; only one is ever approved.
#[utoipa::path(
    tag = "plans",
    request_body = CreatePlanRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The draft", body = PlanResponse),
        (status = 403, description = WRITE_FORBIDDEN, body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Validation failed (`VALIDATION_FAILED`: a year outside 2000–2100, a month outside 1–12, an unknown platform as `items[i].platform_id`, …; `STATION_REQUIRED`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/annual-plans")]
async fn create_plan(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ValidatedJson<CreatePlanRequest>,
) -> AppResult<HttpResponse> {
    let plan = service::create(&state.db, &user, body.0, state.clock.now()).await?;
    let response = service::one(&state.db, &user, plan).await?;
    Ok(created(format!("/api/v1/annual-plans/{}", response.id), &response))
}

/// Get an annual plan
///
/// With its items, its history and the caller's `allowed_actions`. Staff of its station,
/// supervisors and admins; 404 for anyone else.
#[utoipa::path(
    tag = "plans",
    params(("id" = i32, Path, description = "Plan id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The plan", body = PlanResponse))
)]
#[get("/annual-plans/{id}")]
async fn get_plan(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let plan = service::find_visible(&state.db, &user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(service::one(&state.db, &user, plan).await?))
}

/// Edit a draft plan
///
/// Roles: secretary or director of the station. Only drafts change (also after a rejection);
/// `items`, when given, replaces every item.
#[utoipa::path(
    tag = "plans",
    params(("id" = i32, Path, description = "Plan id")),
    request_body = UpdatePlanRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The draft", body = PlanResponse),
        (status = 403, description = WRITE_FORBIDDEN, body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = STATE_CONFLICT, body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Validation failed (`VALIDATION_FAILED`: a month outside 1–12, an unknown platform, …)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/annual-plans/{id}")]
async fn update_plan(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<UpdatePlanRequest>,
) -> AppResult<HttpResponse> {
    let plan = service::update(&state.db, &user, id.into_inner(), body.0, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(service::one(&state.db, &user, plan).await?))
}

async fn transition(
    state: &AppState,
    user: &AuthUser,
    origin: &Origin,
    id: i32,
    action: PlanAction,
    note: Option<String>,
) -> AppResult<HttpResponse> {
    let plan = service::transition(&state.db, user, origin, id, action, note, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(service::one(&state.db, user, plan).await?))
}

/// Submit a plan for approval
///
/// Roles: secretary or director of the station. `draft` → `pending_approval`; the station's
/// directors are notified. Submitted after 31 January 23:59:59 (Asia/Shanghai) of the plan's
/// year, it is accepted and flagged `late`.
#[utoipa::path(
    tag = "plans",
    params(("id" = i32, Path, description = "Plan id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Pending approval", body = PlanResponse),
        (status = 403, description = WRITE_FORBIDDEN, body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = STATE_CONFLICT, body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/annual-plans/{id}/submit")]
async fn submit_plan(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    transition(&state, &user, &origin, id.into_inner(), PlanAction::Submit, None).await
}

/// Approve a plan
///
/// Roles: a director of the plan's station (or an admin); a secretary gets 403
/// `DIRECTOR_REQUIRED`. A director may approve a plan they drafted: it is the station's plan,
/// not a personal request. At most one plan per station and year is approved, held by a unique
/// index: approving a second is 409 `PLAN_ALREADY_APPROVED`, and of two approvals at once
/// exactly one wins. The plan's author is notified. The body may be left out.
#[utoipa::path(
    tag = "plans",
    params(("id" = i32, Path, description = "Plan id")),
    request_body = Option<ApprovePlanRequest>,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Approved", body = PlanResponse),
        (status = 403, description = DECIDE_FORBIDDEN, body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Wrong state (`PLAN_STATE_CONFLICT`), or the station already has an approved plan for the year (`PLAN_ALREADY_APPROVED`)", body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/annual-plans/{id}/approve")]
async fn approve_plan(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: OptionalJson<ApprovePlanRequest>,
) -> AppResult<HttpResponse> {
    transition(
        &state,
        &user,
        &origin,
        id.into_inner(),
        PlanAction::Approve,
        body.0.comment,
    )
    .await
}

/// Return a plan with a reason
///
/// Roles: a director of the plan's station (or an admin). `pending_approval` → `draft`, the
/// reason kept on the plan and in its history; the plan's author is notified.
#[utoipa::path(
    tag = "plans",
    params(("id" = i32, Path, description = "Plan id")),
    request_body = RejectPlanRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Back to draft", body = PlanResponse),
        (status = 403, description = DECIDE_FORBIDDEN, body = crate::http::Problem, content_type = "application/problem+json"),
        (status = 409, description = STATE_CONFLICT, body = crate::http::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/annual-plans/{id}/reject")]
async fn reject_plan(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: ValidatedJson<RejectPlanRequest>,
) -> AppResult<HttpResponse> {
    transition(
        &state,
        &user,
        &origin,
        id.into_inner(),
        PlanAction::Reject,
        Some(body.0.reason),
    )
    .await
}

/// Month-by-month compliance of a plan
///
/// Staff of the plan's station, supervisors and admins (404 for anyone else). For each month
/// of the plan's year (Asia/Shanghai): the plan's items, the activities the station held
/// (finished or archived) starting in it, and whether the month met "at least one practice
/// activity" — `met` as soon as one was held (planned or not), `pending` while the month is not
/// over, else `missed`. For the year: trainings held and the 1–2 trainings rule.
#[utoipa::path(
    tag = "plans",
    params(("id" = i32, Path, description = "Plan id")),
    security(("bearer" = [])),
    responses((status = 200, description = "Compliance month by month", body = ComplianceReport))
)]
#[get("/annual-plans/{id}/compliance")]
async fn plan_compliance(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let plan = service::find_visible(&state.db, &user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(service::plan_compliance(&state.db, &plan, state.clock.now()).await?))
}
