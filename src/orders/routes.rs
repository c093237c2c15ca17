//! Order endpoints: one per transition of the state machine, each answering with the order as
//! the caller sees it (with `allowed_actions`).

use actix_web::{HttpResponse, get, post, web};
use entity::order;
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, Caller, Step, Timing};
use super::steps;
use super::types::*;
use crate::audit::Origin;
use crate::auth::roles::Role;
use crate::http::idempotency::{Created, IdempotencyKey, create_once};
use crate::http::{
    AppError, AppResult, AuthUser, OptionalJson, Page, Pagination, Problem, ValidatedJson, ValidatedQuery,
};
use crate::state::AppState;

/// The caller with their teams, at the request's moment.
async fn caller(state: &AppState, user: &AuthUser, origin: &Origin) -> AppResult<Caller> {
    let timing = Timing::new(&state.settings, state.clock.now());
    Caller::load(&state.db, user, origin, timing).await
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_order)
        .service(list_orders)
        .service(get_order)
        .service(order_events)
        .service(dispatch_order)
        .service(redispatch_order)
        .service(reject_order)
        .service(accept_order)
        .service(decline_order)
        .service(release_order)
        .service(start_order)
        .service(complete_order)
        .service(rate_order)
        .service(cancel_order)
        .service(record_follow_up)
        .service(list_follow_ups);
}

/// Place an order (点单)
///
/// Roles: a resident orders for themselves (their home station); staff (secretary, director)
/// may order on behalf of a resident of their station who has no phone (代点单) by naming
/// `resident_id`; the order then shows `placed_by`, and the resident is notified. Starts as
/// `submitted`; the station's staff are notified. `expected_at` and `deadline_at` may not lie
/// in the past, and `deadline_at` may not precede `expected_at` (422 on the field).
///
/// Send an `Idempotency-Key` header to retry safely: the same key from the same user answers
/// with the first result (header `Idempotent-Replayed: true`) and creates nothing new; the same
/// key with a different body is 422 `IDEMPOTENCY_KEY_REUSED`.
///
/// `photo_ids`: up to 9 of the caller's unattached uploads (`POST /uploads`), attached to the
/// order in the same transaction (shown as `photos`); a refused id creates nothing.
#[utoipa::path(
    tag = "orders",
    request_body = CreateOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 printable ASCII characters", min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created (or the first result replayed)", body = OrderResponse),
        (status = 403, description = "Only staff order for someone else (`FORBIDDEN`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (`VALIDATION_FAILED`), e.g. `expected_at` or `deadline_at` in the past, `deadline_at` before `expected_at`, `resident_id` not of the station, more than 9 `photo_ids`; a photo id unknown or not the caller's (`UPLOAD_UNKNOWN`); or a reused key (`IDEMPOTENCY_KEY_REUSED`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The same key is being processed (`IDEMPOTENCY_IN_PROGRESS`), or a photo is already attached elsewhere (`UPLOAD_ALREADY_ATTACHED`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders")]
async fn create_order(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    key: IdempotencyKey,
    body: ValidatedJson<CreateOrderRequest>,
) -> AppResult<HttpResponse> {
    let req = body.0;
    let now = state.clock.now();
    let request_copy = serde_json::to_value(&req).map_err(AppError::internal)?;
    let new = service::new_order(&state.db, &user, req, now).await?;
    let caller = caller(&state, &user, &origin).await?;
    let db = &state.db;
    create_once(db, user.id, "POST /orders", &key, &request_copy, now, async |txn| {
        let model = service::insert(txn, new, now).await?;
        let response = service::view(txn, &caller, model).await?;
        Created::new(format!("/api/v1/orders/{}", response.id), &response)
    })
    .await
}

/// List orders
///
/// Residents: their own orders. Volunteers: their own, those assigned to them or their teams,
/// or with `pool=open` the open orders of their station (without the resident's identity,
/// address and phone). Staff: their station's. Supervisors: their district's stations;
/// admins: every station (`station_id` to pick one; another district's is 403 `OTHER_STATION`), with phones, addresses and names masked. Newest first.
/// `overdue=true`: orders waiting too long to be dispatched (`ORDER_DISPATCH_OVERDUE_MINS`,
/// default 120) or accepted (`ORDER_ACCEPT_OVERDUE_MINS`, default 240).
#[utoipa::path(
    tag = "orders",
    params(Pagination, OrderFilter),
    security(("bearer" = [])),
    responses((status = 200, description = "Orders", body = Page<OrderResponse>))
)]
#[get("/orders")]
async fn list_orders(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    page: ValidatedQuery<Pagination>,
    filter: web::Query<OrderFilter>,
) -> AppResult<HttpResponse> {
    let timing = Timing::new(&state.settings, state.clock.now());
    let caller = Caller::load(state.read_db(), &user, &origin, timing).await?;
    let (items, total) = service::list(state.read_db(), &caller, &filter, page.0.offset(), page.0.page_size()).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Get an order
///
/// Roles: its resident, its volunteer (or team, while assigned), volunteers of the station while
/// it is open, staff of the station, supervisors. Anyone else gets 404. A supervisor opening
/// an order sees the resident's phone and address in full; the read is recorded in the audit
/// log (`phone.revealed`).
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The order", body = OrderResponse))
)]
#[get("/orders/{id}")]
async fn get_order(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    let caller = caller(&state, &user, &origin).await?;
    Ok(HttpResponse::Ok().json(service::open(&state.db, &caller, id.into_inner()).await?))
}

/// Get an order's timeline
///
/// Every transition: who (`actor_id`, `actor_role`), when, from, to and the note. Same access
/// as the order; a volunteer who has not accepted it does not see the resident's (or the
/// placing staff member's) id.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id"), Pagination),
    security(("bearer" = [])),
    responses((status = 200, description = "Events, oldest first", body = Page<OrderEventResponse>))
)]
#[get("/orders/{id}/events")]
async fn order_events(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    page: ValidatedQuery<Pagination>,
) -> AppResult<HttpResponse> {
    let caller = caller(&state, &user, &origin).await?;
    let order = service::find_visible(&state.db, &caller, id.into_inner()).await?;
    let (items, total) = service::events(&state.db, &caller, &order, page.0.offset(), page.0.page_size()).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

async fn run(state: &AppState, user: &AuthUser, origin: &Origin, id: i32, step: Step) -> AppResult<HttpResponse> {
    let caller = caller(state, user, origin).await?;
    let order = service::transition(&state.db, &caller, id, step, state.clock.now()).await?;
    answer(state, &caller, order).await
}

/// The order after a committed change, read from committed state (the reader pool on SQLite).
async fn answer(state: &AppState, caller: &Caller, order: order::Model) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::view(state.read_db(), caller, order).await?))
}

async fn visible_order(state: &AppState, user: &AuthUser, origin: &Origin, id: i32) -> AppResult<order::Model> {
    let caller = caller(state, user, origin).await?;
    service::find_visible(&state.db, &caller, id).await
}

/// Dispatch an order (派单)
///
/// Roles: secretary or director of the order's station. `submitted` → `open` (`mode: open`, to
/// every volunteer of the station) or `assigned` (`mode: volunteer` with `volunteer_id`, or
/// `mode: team` with `team_id`). The volunteer or the team's members are notified; when opened
/// to the pool, the station's volunteers whose skills match the skills of the order's menu item
/// are (every volunteer when the item names none, or when nobody has a matching skill).
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    request_body = DispatchRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Dispatched", body = OrderResponse),
        (status = 403, description = "Not staff of the order's station (`FORBIDDEN`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order, or not visible to the caller (`NOT_FOUND`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not `submitted` (`ORDER_NOT_SUBMITTED`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`volunteer_id` or `team_id` missing or not of the station (`VALIDATION_FAILED`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/dispatch")]
async fn dispatch_order(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: ValidatedJson<DispatchRequest>,
) -> AppResult<HttpResponse> {
    let caller = caller(&state, &user, &origin).await?;
    let order = service::dispatch(&state.db, &caller, id.into_inner(), body.0).await?;
    answer(&state, &caller, order).await
}

/// Re-dispatch an order (改派)
///
/// Roles: secretary or director of the order's station. Moves an `open` or `assigned` order:
/// `mode: submitted` pulls it back to the station (→ `submitted`), `mode: open` puts an
/// assigned order into the pool (→ `open`), `mode: volunteer` with `volunteer_id` or
/// `mode: team` with `team_id` gives it to another volunteer or team (→ `assigned`). The
/// timeline records a `redispatch` event with the note; the volunteer or team it is taken from
/// is notified (`order_withdrawn`), and so is the new one (or the pool). Earlier declines of
/// team members no longer count.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    request_body = RedispatchRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Re-dispatched", body = OrderResponse),
        (status = 403, description = "Not staff of the order's station (`FORBIDDEN`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order, or not visible to the caller (`NOT_FOUND`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not `open` or `assigned`, or `mode: open` for an order already open (`ORDER_NOT_REDISPATCHABLE`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`volunteer_id` or `team_id` missing or not of the station (`VALIDATION_FAILED`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/redispatch")]
async fn redispatch_order(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: ValidatedJson<RedispatchRequest>,
) -> AppResult<HttpResponse> {
    let caller = caller(&state, &user, &origin).await?;
    let order = service::redispatch(&state.db, &caller, id.into_inner(), body.0).await?;
    answer(&state, &caller, order).await
}

/// Reject an order
///
/// Roles: secretary or director of the order's station. `submitted` → `rejected`, with the
/// reason shown to the resident, who is notified.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    request_body = ReasonRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rejected", body = OrderResponse),
        (status = 409, description = "Not `submitted` (`ORDER_NOT_SUBMITTED`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/reject")]
async fn reject_order(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: ValidatedJson<ReasonRequest>,
) -> AppResult<HttpResponse> {
    run(&state, &user, &origin, id.into_inner(), steps::reject(body.0.reason)).await
}

/// Accept an order (接单)
///
/// Roles: a volunteer of the station for an `open` order; the named volunteer or a member of
/// the named team for an `assigned` one. → `accepted`. However many accept at once, exactly one
/// wins; the others get 409 `ORDER_ALREADY_TAKEN`. The resident is notified, and the volunteer
/// now sees the resident's address and phone.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Accepted by the caller", body = OrderResponse),
        (status = 409, description = "Taken by someone else, or no longer open or assigned (`ORDER_ALREADY_TAKEN`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/accept")]
async fn accept_order(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Volunteer])?;
    let step = steps::accept(user.id, state.clock.now());
    run(&state, &user, &origin, id.into_inner(), step).await
}

/// Decline an assigned order
///
/// Roles: the volunteer or a member of the team it was dispatched to, with an optional
/// `reason`. The named volunteer's decline sends it back to the station (`assigned` →
/// `submitted`). A team member's decline only removes that member: the order stays `assigned`
/// to the team for the other members, and goes back to `submitted` once every member has
/// declined. The station's staff are notified with the reason.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    request_body = Option<DeclineRequest>,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Declined", body = OrderResponse),
        (status = 409, description = "Not `assigned` (`INVALID_ORDER_STATE`), or the caller already declined it (`ORDER_ALREADY_DECLINED`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/decline")]
async fn decline_order(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: OptionalJson<DeclineRequest>,
) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Volunteer])?;
    let caller = caller(&state, &user, &origin).await?;
    let order = service::decline(&state.db, &caller, id.into_inner(), body.0.reason).await?;
    answer(&state, &caller, order).await
}

/// Release an accepted order
///
/// Roles: the volunteer who accepted it, before starting. `accepted` → `open`, back in the
/// station's pool; the station's staff are notified.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Released", body = OrderResponse),
        (status = 409, description = "Not `accepted` (`INVALID_ORDER_STATE`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/release")]
async fn release_order(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Volunteer])?;
    run(&state, &user, &origin, id.into_inner(), steps::release(user.id)).await
}

/// Start serving
///
/// Roles: the volunteer who accepted it. `accepted` → `in_service`; the resident is notified.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Started", body = OrderResponse),
        (status = 409, description = "Not `accepted` (`INVALID_ORDER_STATE`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/start")]
async fn start_order(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Volunteer])?;
    run(&state, &user, &origin, id.into_inner(), steps::start(user.id)).await
}

/// Complete an order
///
/// Roles: the volunteer who accepted it. `in_service` → `completed`, with a summary and the
/// minutes served (1 to 1440), which become confirmed hours once rated (or after 7 days
/// unrated). The resident is notified. `photo_ids`: up to 9 of the volunteer's unattached
/// uploads, attached in the same transaction (shown as `completion_photos`).
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    request_body = CompleteRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Completed", body = OrderResponse),
        (status = 409, description = "Not `in_service` (`INVALID_ORDER_STATE`), or a photo is already attached elsewhere (`UPLOAD_ALREADY_ATTACHED`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (`VALIDATION_FAILED`); a photo id unknown or not the caller's (`UPLOAD_UNKNOWN`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/complete")]
async fn complete_order(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: ValidatedJson<CompleteRequest>,
) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Volunteer])?;
    let step = steps::complete(user.id, body.0, state.clock.now());
    run(&state, &user, &origin, id.into_inner(), step).await
}

/// Rate an order (评单)
///
/// Roles: the resident the order is for, once. `completed` → `rated`; the volunteer's minutes
/// become confirmed hours and the volunteer is notified. 1 or 2 stars need a `reason_tag`
/// (`late`, `attitude`, `not_solved`, `other`) and open a follow-up call (回访) on the
/// secretary's list (`GET /follow-ups`); the station's staff are notified with the reason.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    request_body = RateRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rated", body = OrderResponse),
        (status = 409, description = "Already rated (`ORDER_ALREADY_RATED`) or not completed (`ORDER_NOT_COMPLETED`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/rate")]
async fn rate_order(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: ValidatedJson<RateRequest>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let req = body.0;
    // Strangers learn nothing about the order, not even that their body was incomplete.
    visible_order(&state, &user, &origin, id).await?;
    let step = steps::rate(user.id, req, state.clock.now())?;
    run(&state, &user, &origin, id, step).await
}

/// Cancel an order
///
/// Roles: the resident, before service starts (`submitted`, `open`, `assigned`, `accepted`);
/// staff of the station, any time before completion. The resident (when staff cancel) and the
/// volunteer or team are notified.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    request_body = ReasonRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled", body = OrderResponse),
        (status = 409, description = "Too late to cancel (`ORDER_NOT_CANCELLABLE`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/cancel")]
async fn cancel_order(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: ValidatedJson<ReasonRequest>,
) -> AppResult<HttpResponse> {
    run(&state, &user, &origin, id.into_inner(), steps::cancel(body.0.reason)).await
}

/// Record a follow-up call (回访)
///
/// Roles: secretary or director of the order's station. Records the outcome of the call that a
/// 1–2 star rating opened; the order leaves the follow-up list.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    request_body = FollowUpRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Recorded", body = OrderResponse),
        (status = 409, description = "No follow-up pending (`NO_FOLLOW_UP_PENDING`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/follow-up")]
async fn record_follow_up(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    id: web::Path<i32>,
    body: ValidatedJson<FollowUpRequest>,
) -> AppResult<HttpResponse> {
    let step = steps::follow_up(user.id, body.0.outcome, state.clock.now());
    run(&state, &user, &origin, id.into_inner(), step).await
}

/// List follow-up calls (回访)
///
/// Roles: secretary or director (own station). Orders rated 1–2 stars whose follow-up is
/// `pending` (default) or `done`.
#[utoipa::path(
    tag = "orders",
    params(Pagination, FollowUpFilter),
    security(("bearer" = [])),
    responses((status = 200, description = "Orders with a follow-up", body = Page<OrderResponse>))
)]
#[get("/follow-ups")]
async fn list_follow_ups(
    state: web::Data<AppState>,
    user: AuthUser,
    origin: Origin,
    page: ValidatedQuery<Pagination>,
    filter: web::Query<FollowUpFilter>,
) -> AppResult<HttpResponse> {
    let station_id = user.home_station()?;
    user.require_staff_of(station_id)?;
    let caller = caller(&state, &user, &origin).await?;
    let (items, total) = service::follow_ups(
        &state.db,
        &caller,
        station_id,
        filter.status.unwrap_or(FollowUpStatus::Pending),
        page.0.offset(),
        page.0.page_size(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}
