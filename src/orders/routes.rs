//! Order endpoints: one per transition of the state machine, each answering with the order as
//! the caller sees it (with `allowed_actions`).

use actix_web::{HttpResponse, get, post, web};
use entity::order;
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, Caller, Step};
use super::steps;
use super::types::*;
use crate::auth::roles::Role;
use crate::http::idempotency::{Created, IdempotencyKey, create_once};
use crate::http::{AppError, AppResult, AuthUser, Page, Pagination, Problem, ValidatedJson, ValidatedQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_order)
        .service(list_orders)
        .service(get_order)
        .service(order_events)
        .service(dispatch_order)
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
/// `resident_id`; the order then shows `placed_by`. Starts as `submitted`.
///
/// Send an `Idempotency-Key` header to retry safely: the same key from the same user answers
/// with the first result (header `Idempotent-Replayed: true`) and creates nothing new; the same
/// key with a different body is 422 `IDEMPOTENCY_KEY_REUSED`.
#[utoipa::path(
    tag = "orders",
    request_body = CreateOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 printable ASCII characters", min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created (or the first result replayed)", body = OrderResponse),
        (status = 409, description = "The same key is being processed (`IDEMPOTENCY_IN_PROGRESS`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders")]
async fn create_order(
    state: web::Data<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    body: ValidatedJson<CreateOrderRequest>,
) -> AppResult<HttpResponse> {
    let req = body.0;
    let now = state.clock.now();
    let (station_id, resident_id, by_staff) = match req.resident_id {
        Some(resident_id) => {
            if !user.is_staff() {
                return Err(AppError::forbidden("FORBIDDEN", "只有工作人员可以代居民点单"));
            }
            let resident = crate::users::service::find(&state.db, resident_id)
                .await
                .map_err(|_| AppError::invalid_field("resident_id", "居民不存在"))?;
            let Some(station_id) = resident.station_id.filter(|s| user.is_staff_of(*s)) else {
                return Err(AppError::invalid_field("resident_id", "只能为本实践站的居民代点单"));
            };
            (station_id, resident_id, true)
        }
        None => (user.home_station()?, user.id, false),
    };
    crate::platforms::service::ensure_usable(&state.db, req.platform_id, station_id, "platform_id").await?;
    if let Some(item_id) = req.service_item_id {
        crate::service_items::service::ensure_orderable(&state.db, item_id, station_id).await?;
    }
    let caller = Caller::load(&state.db, &user).await?;
    let db = &state.db;
    let request_copy = serde_json::to_value(&req).map_err(AppError::internal)?;
    create_once(db, user.id, "POST /orders", &key, &request_copy, now, async |txn| {
        let model = service::insert(
            txn,
            service::NewOrder {
                station_id,
                resident_id,
                placed_by: user.id,
                placed_by_staff: by_staff,
                request: req,
            },
            now,
        )
        .await?;
        let response = service::view(txn, &caller, model).await?;
        Created::new(format!("/api/v1/orders/{}", response.id), &response)
    })
    .await
}

/// List orders
///
/// Residents: their own orders. Volunteers: their own, those assigned to them or their teams,
/// or with `pool=open` the open orders of their station (without the resident's address and
/// phone). Staff: their station's. Supervisors and admins: every station (`station_id` to pick
/// one). Newest first.
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
    page: ValidatedQuery<Pagination>,
    filter: web::Query<OrderFilter>,
) -> AppResult<HttpResponse> {
    let caller = Caller::load(&state.db, &user).await?;
    let (items, total) = service::list(&state.db, &caller, &filter, page.0.offset(), page.0.page_size()).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, &page.0, total)))
}

/// Get an order
///
/// Roles: its resident, its volunteer (or team, while assigned), volunteers of the station while
/// it is open, staff of the station, supervisors. Anyone else gets 404.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The order", body = OrderResponse))
)]
#[get("/orders/{id}")]
async fn get_order(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let caller = Caller::load(&state.db, &user).await?;
    let order = service::find_visible(&state.db, &caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(service::view(&state.db, &caller, order).await?))
}

/// Get an order's timeline
///
/// Every transition: who (`actor_id`, `actor_role`), when, from, to and the note. Same access
/// as the order.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    security(("bearer" = [])),
    responses((status = 200, description = "Events, oldest first", body = Vec<OrderEventResponse>))
)]
#[get("/orders/{id}/events")]
async fn order_events(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    let caller = Caller::load(&state.db, &user).await?;
    let order = service::find_visible(&state.db, &caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(service::events(&state.db, order.id).await?))
}

async fn run(state: &AppState, user: &AuthUser, id: i32, step: Step) -> AppResult<HttpResponse> {
    let caller = Caller::load(&state.db, user).await?;
    let order = service::transition(&state.db, &caller, id, step, state.clock.now()).await?;
    Ok(HttpResponse::Ok().json(service::view(&state.db, &caller, order).await?))
}

async fn visible_order(state: &AppState, user: &AuthUser, id: i32) -> AppResult<order::Model> {
    let caller = Caller::load(&state.db, user).await?;
    service::find_visible(&state.db, &caller, id).await
}

/// Dispatch an order (派单)
///
/// Roles: secretary or director of the order's station. `submitted` → `open` (`mode: open`, to
/// every volunteer of the station) or `assigned` (`mode: volunteer` with `volunteer_id`, or
/// `mode: team` with `team_id`). The volunteer or the team's members are notified.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    request_body = DispatchRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Dispatched", body = OrderResponse),
        (status = 409, description = "Not `submitted` (`ORDER_NOT_SUBMITTED`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/dispatch")]
async fn dispatch_order(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<DispatchRequest>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let req = body.0;
    let order = visible_order(&state, &user, id).await?;
    user.require_staff_of(order.station_id)?;
    let step = steps::dispatch(&state.db, order.station_id, req).await?;
    run(&state, &user, id, step).await
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
    id: web::Path<i32>,
    body: ValidatedJson<ReasonRequest>,
) -> AppResult<HttpResponse> {
    run(&state, &user, id.into_inner(), steps::reject(body.0.reason)).await
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
async fn accept_order(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Volunteer])?;
    let step = steps::accept(user.id, state.clock.now());
    run(&state, &user, id.into_inner(), step).await
}

/// Decline an assigned order
///
/// Roles: the volunteer or a member of the team it was dispatched to. `assigned` → `submitted`,
/// back to the station to dispatch again.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Declined", body = OrderResponse),
        (status = 409, description = "Not `assigned` (`INVALID_ORDER_STATE`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/decline")]
async fn decline_order(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Volunteer])?;
    let caller = Caller::load(&state.db, &user).await?;
    run(
        &state,
        &user,
        id.into_inner(),
        steps::decline(user.id, &caller.team_ids),
    )
    .await
}

/// Release an accepted order
///
/// Roles: the volunteer who accepted it, before starting. `accepted` → `open`, back in the
/// station's pool.
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
async fn release_order(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Volunteer])?;
    run(&state, &user, id.into_inner(), steps::release(user.id)).await
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
async fn start_order(state: web::Data<AppState>, user: AuthUser, id: web::Path<i32>) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Volunteer])?;
    run(&state, &user, id.into_inner(), steps::start(user.id)).await
}

/// Complete an order
///
/// Roles: the volunteer who accepted it. `in_service` → `completed`, with a summary and the
/// minutes served (1 to 1440), which become confirmed hours once rated (or after 7 days
/// unrated). The resident is notified.
#[utoipa::path(
    tag = "orders",
    params(("id" = i32, Path, description = "Order id")),
    request_body = CompleteRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Completed", body = OrderResponse),
        (status = 409, description = "Not `in_service` (`INVALID_ORDER_STATE`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/complete")]
async fn complete_order(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
    body: ValidatedJson<CompleteRequest>,
) -> AppResult<HttpResponse> {
    user.require_any(&[Role::Volunteer])?;
    let step = steps::complete(user.id, body.0, state.clock.now());
    run(&state, &user, id.into_inner(), step).await
}

/// Rate an order (评单)
///
/// Roles: the resident the order is for, once. `completed` → `rated`; the volunteer's minutes
/// become confirmed hours and the volunteer is notified. 1 or 2 stars need a `reason_tag`
/// (`late`, `attitude`, `not_solved`, `other`) and open a follow-up call (回访) on the
/// secretary's list (`GET /follow-ups`).
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
    id: web::Path<i32>,
    body: ValidatedJson<RateRequest>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let req = body.0;
    // Strangers learn nothing about the order, not even that their body was incomplete.
    visible_order(&state, &user, id).await?;
    let step = steps::rate(user.id, req, state.clock.now())?;
    run(&state, &user, id, step).await
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
    id: web::Path<i32>,
    body: ValidatedJson<ReasonRequest>,
) -> AppResult<HttpResponse> {
    run(&state, &user, id.into_inner(), steps::cancel(body.0.reason)).await
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
    id: web::Path<i32>,
    body: ValidatedJson<FollowUpRequest>,
) -> AppResult<HttpResponse> {
    let step = steps::follow_up(user.id, body.0.outcome, state.clock.now());
    run(&state, &user, id.into_inner(), step).await
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
    page: ValidatedQuery<Pagination>,
    filter: web::Query<FollowUpFilter>,
) -> AppResult<HttpResponse> {
    let station_id = user.home_station()?;
    user.require_staff_of(station_id)?;
    let caller = Caller::load(&state.db, &user).await?;
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
