//! Order rules and queries: who sees an order, each transition as one guarded update with its
//! event and notifications in the same transaction, and the periodic sweeps.

use super::state::OrderEventAction;
use crate::audit::types::AuditAction;
use crate::notifications::types::NotificationKind;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entity::{order, order_decline, order_event, station, team_member, user, user_role};
use sea_orm::{
    ActiveValue::Set,
    Condition, ConnectionTrait, DatabaseTransaction, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
    prelude::*,
    sea_query::{Expr, ExprTrait, OnConflict, Query, SimpleExpr},
};

use super::state::{self, Actor, DispatchMode, Facts, OrderAction, OrderStatus, Refusal};
use super::types::*;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::roles::Role;
use crate::hours::{service as hours, types::HoursSource};
use crate::http::{AppError, AppResult, AuthUser};
use crate::notifications::service::{About, Notice, notify};
use crate::uploads::{
    service::{self as uploads, Attachment},
    types::UploadPhoto,
};

/// Days a completed order waits for its rating before the hours are confirmed anyway.
pub const AUTO_CONFIRM_DAYS: i64 = 7;

/// The moment of a request and how long orders may wait before they are overdue.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub now: DateTime<Utc>,
    /// A `submitted` order waiting longer than this to be dispatched is overdue.
    pub dispatch_overdue: Duration,
    /// An `assigned` order waiting longer than this to be accepted is overdue.
    pub accept_overdue: Duration,
}

impl Timing {
    pub fn new(settings: &crate::config::Settings, now: DateTime<Utc>) -> Self {
        let minutes = |d: std::time::Duration| Duration::seconds(i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2));
        Timing {
            now,
            dispatch_overdue: minutes(settings.order_dispatch_overdue),
            accept_overdue: minutes(settings.order_accept_overdue),
        }
    }

    /// Overdue orders: waiting in `submitted` or `assigned` (since their last transition,
    /// `updated_at`) longer than allowed.
    fn overdue(&self) -> Condition {
        Condition::any()
            .add(
                Condition::all()
                    .add(order::Column::Status.eq(OrderStatus::Submitted))
                    .add(order::Column::UpdatedAt.lte(self.now - self.dispatch_overdue)),
            )
            .add(
                Condition::all()
                    .add(order::Column::Status.eq(OrderStatus::Assigned))
                    .add(order::Column::UpdatedAt.lte(self.now - self.accept_overdue)),
            )
    }

    fn is_overdue(&self, order: &order::Model) -> bool {
        match order.status {
            OrderStatus::Submitted => order.updated_at <= self.now - self.dispatch_overdue,
            OrderStatus::Assigned => order.updated_at <= self.now - self.accept_overdue,
            _ => false,
        }
    }
}

/// The caller with the teams they belong to, at the moment of the request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: AuthUser,
    /// Where the request came from, for the audit entries of staff actions.
    pub origin: Origin,
    pub team_ids: Vec<i32>,
    pub timing: Timing,
}

impl Caller {
    pub async fn load(db: &impl ConnectionTrait, user: &AuthUser, origin: &Origin, timing: Timing) -> AppResult<Self> {
        let team_ids = if user.has(Role::Volunteer) {
            team_ids_of(db, user.id).await?
        } else {
            Vec::new()
        };
        Ok(Caller {
            user: user.clone(),
            origin: origin.clone(),
            team_ids,
            timing,
        })
    }

    fn actor(&self, order: &order::Model) -> Actor {
        let user = &self.user;
        let is_volunteer = user.has(Role::Volunteer);
        Actor {
            is_owner: order.resident_id == user.id,
            is_staff: user.is_staff_of(order.station_id),
            is_station_volunteer: user.is_volunteer_of(order.station_id),
            is_named_volunteer: is_volunteer && order.volunteer_id == Some(user.id),
            is_team_member: is_volunteer && order.team_id.is_some_and(|t| self.team_ids.contains(&t)),
        }
    }

    /// Whether the caller may see the order at all (else it is a 404).
    fn sees(&self, order: &order::Model) -> bool {
        let actor = self.actor(order);
        let status = order.status;
        actor.is_owner
            || self.user.can_oversee(order.station_id)
            || actor.is_named_volunteer
            || (actor.is_team_member && status == OrderStatus::Assigned)
            || (actor.is_station_volunteer && status == OrderStatus::Open)
    }

    /// How much of the resident the caller may see: the resident, the station's staff and the
    /// volunteer who accepted see everything; supervisors see it masked in lists (in full when
    /// they open the order); everyone else (a volunteer before accepting) sees nothing.
    fn person_view(&self, order: &order::Model, opened: bool) -> PersonView {
        let serves = order.resident_id == self.user.id
            || self.user.is_staff_of(order.station_id)
            || (order.volunteer_id == Some(self.user.id) && order.accepted_at.is_some());
        if serves {
            PersonView::Full
        } else if self.user.can_oversee(order.station_id) {
            if opened { PersonView::Full } else { PersonView::Masked }
        } else {
            PersonView::Hidden
        }
    }

    /// Whether the caller reads the resident's details as a supervisor (not serving them).
    fn oversees_only(&self, order: &order::Model) -> bool {
        order.resident_id != self.user.id
            && !self.user.is_staff_of(order.station_id)
            && self.user.can_oversee(order.station_id)
    }

    fn role_label(&self, actor: Actor) -> &'static str {
        if actor.is_staff {
            "staff"
        } else if actor.is_owner {
            "resident"
        } else {
            "volunteer"
        }
    }
}

pub async fn team_ids_of(db: &impl ConnectionTrait, user_id: i32) -> AppResult<Vec<i32>> {
    Ok(team_member::Entity::find()
        .filter(team_member::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.team_id)
        .collect())
}

async fn team_member_ids(db: &impl ConnectionTrait, team_id: i32) -> AppResult<Vec<i32>> {
    Ok(team_member::Entity::find()
        .filter(team_member::Column::TeamId.eq(team_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

fn facts_of(order: &order::Model, declined_by_caller: bool) -> Facts {
    Facts {
        follow_up_pending: order.follow_up_status == Some(FollowUpStatus::Pending),
        declined_by_caller,
    }
}

/// How much of the resident's personal data a response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PersonView {
    Full,
    Masked,
    Hidden,
}

/// `13912345678` → `139****5678`; short numbers keep only their last two digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() >= 7 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}****{tail}")
    } else {
        let tail: String = chars[chars.len().saturating_sub(2)..].iter().collect();
        format!("****{tail}")
    }
}

/// `东湖路 88 号 3 栋 201` → `东湖路****`: the street, not the door.
pub fn mask_address(address: &str) -> String {
    let head: String = address.chars().take(3).collect();
    format!("{head}****")
}

/// `王芳` → `王*`.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().max(1))),
        None => String::new(),
    }
}

/// Whether `user_id` has declined the team order `order_id`.
async fn has_declined(db: &impl ConnectionTrait, order_id: i32, user_id: i32) -> AppResult<bool> {
    Ok(order_decline::Entity::find_by_id((order_id, user_id))
        .one(db)
        .await?
        .is_some())
}

/// Whether the user holds the `volunteer` role now (their token may be older).
async fn holds_volunteer_role(db: &impl ConnectionTrait, user_id: i32) -> AppResult<bool> {
    Ok(
        user_role::Entity::find_by_id((user_id, Role::Volunteer.as_str().to_owned()))
            .one(db)
            .await?
            .is_some(),
    )
}

/// Secretaries and directors of the station: the people who dispatch its orders.
pub async fn staff_ids(db: &impl ConnectionTrait, station_id: i32) -> AppResult<Vec<i32>> {
    users_with_roles(db, station_id, &[Role::Secretary, Role::Director]).await
}

/// Volunteers whose home station is this one.
async fn volunteer_ids(db: &impl ConnectionTrait, station_id: i32) -> AppResult<Vec<i32>> {
    users_with_roles(db, station_id, &[Role::Volunteer]).await
}

async fn users_with_roles(db: &impl ConnectionTrait, station_id: i32, roles: &[Role]) -> AppResult<Vec<i32>> {
    let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let mut ids: Vec<i32> = user::Entity::find()
        .filter(user::Column::StationId.eq(station_id))
        .filter(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(user_role::Column::UserId)
                    .from(user_role::Entity)
                    .and_where(user_role::Column::Role.is_in(roles))
                    .to_owned(),
            ),
        )
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    ids.dedup();
    Ok(ids)
}

fn about(order_id: i32) -> Option<About> {
    Some(About {
        resource_type: "order",
        resource_id: order_id,
    })
}

/// `title：reason` when there is a reason.
fn with_reason(title: &str, reason: Option<&str>) -> String {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) => format!("{title}：{reason}"),
        None => title.to_owned(),
    }
}

/// Tells the station's staff (except `except`, who acted) about an order.
async fn tell_staff(
    db: &impl ConnectionTrait,
    order: &order::Model,
    except: Option<i32>,
    kind: NotificationKind,
    title: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let staff: Vec<i32> = staff_ids(db, order.station_id)
        .await?
        .into_iter()
        .filter(|id| Some(*id) != except)
        .collect();
    let notice = Notice {
        kind,
        title: title.to_owned(),
        body: with_reason(&order.title, reason),
        about: about(order.id),
    };
    notify(db, &staff, &notice, now).await
}

fn not_found() -> AppError {
    AppError::not_found("订单不存在")
}

fn conflict_message(code: &'static str) -> &'static str {
    match code {
        "ORDER_ALREADY_TAKEN" => "该订单已被其他志愿者接单或已不可接单",
        "ORDER_NOT_CANCELLABLE" => "订单当前状态不可取消",
        "ORDER_ALREADY_RATED" => "该订单已评价",
        "ORDER_NOT_COMPLETED" => "订单尚未完成，不能评价",
        "ORDER_NOT_SUBMITTED" => "只有待审核的订单可以派单或驳回",
        "NO_FOLLOW_UP_PENDING" => "该订单没有待回访记录",
        "ORDER_NOT_REDISPATCHABLE" => "只有待接单（派单池中或已指派）的订单可以改派",
        "ORDER_ALREADY_DECLINED" => "您已拒绝过该订单",
        _ => "订单当前状态不允许此操作",
    }
}

fn refusal(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::NotAllowed => AppError::forbidden("FORBIDDEN", "当前账号无权对该订单进行此操作"),
        Refusal::WrongState(code) => AppError::conflict(code, conflict_message(code)),
    }
}

/// Station districts, resident names, photos and the caller's declines for a set of orders.
struct Context {
    areas: HashMap<i32, String>,
    names: HashMap<i32, String>,
    declined: HashSet<i32>,
    photos: HashMap<i32, Vec<UploadPhoto>>,
    completion_photos: HashMap<i32, Vec<UploadPhoto>>,
}

async fn context(db: &impl ConnectionTrait, caller: &Caller, orders: &[order::Model]) -> AppResult<Context> {
    let order_ids: Vec<i32> = orders.iter().map(|o| o.id).collect();
    let declined = if caller.team_ids.is_empty() {
        HashSet::new()
    } else {
        order_decline::Entity::find()
            .filter(order_decline::Column::UserId.eq(caller.user.id))
            .filter(order_decline::Column::OrderId.is_in(order_ids.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|d| d.order_id)
            .collect()
    };
    let station_ids: Vec<i32> = orders.iter().map(|o| o.station_id).collect();
    let user_ids: Vec<i32> = orders.iter().map(|o| o.resident_id).collect();
    let areas = station::Entity::find()
        .filter(station::Column::Id.is_in(station_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.district))
        .collect();
    let names = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let photos = uploads::photos_of(db, Attachment::Order, &order_ids).await?;
    let completion_photos = uploads::photos_of(db, Attachment::OrderCompletion, &order_ids).await?;
    Ok(Context {
        areas,
        names,
        declined,
        photos,
        completion_photos,
    })
}

fn respond(order: order::Model, caller: &Caller, ctx: &Context, opened: bool) -> OrderResponse {
    let status = order.status;
    let actor = caller.actor(&order);
    let facts = facts_of(&order, ctx.declined.contains(&order.id));
    let person = caller.person_view(&order, opened);
    let shown = |text: String, mask: fn(&str) -> String| match person {
        PersonView::Full => Some(text),
        PersonView::Masked => Some(mask(&text)),
        PersonView::Hidden => None,
    };
    let overdue = caller.timing.is_overdue(&order);
    let rating = order.rated_at.map(|rated_at| RatingResponse {
        stars: order.stars,
        comment: order.rating_comment.clone(),
        reason_tag: order.reason_tag,
        rated_at: Some(rated_at),
        auto_confirmed: order.auto_confirmed,
    });
    let follow_up = order.follow_up_status.map(|status| FollowUpResponse {
        status,
        outcome: order.follow_up_outcome.clone(),
        recorded_by: order.follow_up_by,
        recorded_at: order.follow_up_at,
    });
    OrderResponse {
        id: order.id,
        status,
        title: order.title,
        description: order.description,
        platform_id: order.platform_id,
        service_item_id: order.service_item_id,
        address: shown(order.address, mask_address),
        contact_phone: shown(order.contact_phone, mask_phone),
        area: ctx.areas.get(&order.station_id).cloned().unwrap_or_default(),
        resident_name: ctx
            .names
            .get(&order.resident_id)
            .cloned()
            .and_then(|name| shown(name, mask_name)),
        expected_at: order.expected_at,
        deadline_at: order.deadline_at,
        focus_group: order.focus_group,
        station_id: order.station_id,
        resident_id: (person != PersonView::Hidden).then_some(order.resident_id),
        placed_by: (person != PersonView::Hidden).then_some(order.placed_by),
        volunteer_id: order.volunteer_id,
        team_id: order.team_id,
        reject_reason: order.reject_reason,
        cancel_reason: order.cancel_reason,
        summary: order.summary,
        service_minutes: order.service_minutes,
        accepted_at: order.accepted_at,
        completed_at: order.completed_at,
        rating,
        follow_up,
        created_at: order.created_at,
        updated_at: order.updated_at,
        overdue,
        allowed_actions: state::allowed_actions(status, actor, facts),
        photos: ctx.photos.get(&order.id).cloned().unwrap_or_default(),
        completion_photos: ctx.completion_photos.get(&order.id).cloned().unwrap_or_default(),
    }
}

/// The order as the caller sees it after acting on it.
pub async fn view(db: &impl ConnectionTrait, caller: &Caller, order: order::Model) -> AppResult<OrderResponse> {
    let ctx = context(db, caller, std::slice::from_ref(&order)).await?;
    Ok(respond(order, caller, &ctx, false))
}

/// One order opened by the caller (404 unless they may see it). A supervisor opening it sees
/// the resident's phone and address in full, and the read is audited (`phone.revealed`).
pub async fn open(db: &impl ConnectionTrait, caller: &Caller, id: i32) -> AppResult<OrderResponse> {
    let order = find_visible(db, caller, id).await?;
    if caller.oversees_only(&order) {
        tracing::info!(
            reader_id = caller.user.id,
            order_id = order.id,
            station_id = order.station_id,
            resident_id = order.resident_id,
            "personal data read: an order's phone and address opened by a supervisor"
        );
        let entry = AuditEntry::new(
            &caller.user,
            &caller.origin,
            AuditAction::PhoneRevealed,
            "order",
            order.id,
        )
        .station(Some(order.station_id))
        .detail(serde_json::json!({ "resident_id": order.resident_id, "fields": ["contact_phone", "address"] }));
        audit::record(db, entry, caller.timing.now).await?;
    }
    let ctx = context(db, caller, std::slice::from_ref(&order)).await?;
    Ok(respond(order, caller, &ctx, true))
}

async fn find(db: &impl ConnectionTrait, id: i32) -> AppResult<order::Model> {
    order::Entity::find_by_id(id).one(db).await?.ok_or_else(not_found)
}

/// The order, if the caller may see it (else 404).
pub async fn find_visible(db: &impl ConnectionTrait, caller: &Caller, id: i32) -> AppResult<order::Model> {
    let order = find(db, id).await?;
    if caller.sees(&order) {
        Ok(order)
    } else {
        Err(not_found())
    }
}

/// A new order's fields after its references were checked.
pub struct NewOrder {
    pub station_id: i32,
    pub resident_id: i32,
    pub placed_by: i32,
    pub placed_by_staff: bool,
    pub request: CreateOrderRequest,
}

/// `expected_at` and `deadline_at` lie ahead, and the deadline does not precede the wanted time.
fn check_times(req: &CreateOrderRequest, now: DateTime<Utc>) -> AppResult<()> {
    if req.expected_at.is_some_and(|at| at < now) {
        return Err(AppError::invalid_field("expected_at", "期望服务时间不能早于现在"));
    }
    if req.deadline_at.is_some_and(|at| at < now) {
        return Err(AppError::invalid_field("deadline_at", "截止时间不能早于现在"));
    }
    if let (Some(expected), Some(deadline)) = (req.expected_at, req.deadline_at)
        && deadline < expected
    {
        return Err(AppError::invalid_field("deadline_at", "截止时间不能早于期望服务时间"));
    }
    Ok(())
}

/// Checks a new order: its times, who it is for, and its platform and service item. A resident
/// orders for themselves at their home station; staff (secretary, director) order for a
/// resident of their own station who has no phone (代点单) by naming `resident_id`.
pub async fn new_order(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    request: CreateOrderRequest,
    now: DateTime<Utc>,
) -> AppResult<NewOrder> {
    check_times(&request, now)?;
    let (station_id, resident_id, placed_by_staff) = match request.resident_id {
        Some(resident_id) => {
            if !user.is_staff() {
                return Err(AppError::forbidden("FORBIDDEN", "只有工作人员可以代居民点单"));
            }
            let resident = crate::users::service::find(db, resident_id)
                .await
                .map_err(|_| AppError::invalid_field("resident_id", "居民不存在"))?;
            let Some(station_id) = resident.station_id.filter(|s| user.is_staff_of(*s)) else {
                return Err(AppError::invalid_field("resident_id", "只能为本实践站的居民代点单"));
            };
            (station_id, resident_id, true)
        }
        None => (user.home_station()?, user.id, false),
    };
    crate::platforms::service::ensure_usable(db, request.platform_id, station_id, "platform_id").await?;
    if let Some(item_id) = request.service_item_id {
        crate::service_items::service::ensure_orderable(db, item_id, station_id).await?;
    }
    Ok(NewOrder {
        station_id,
        resident_id,
        placed_by: user.id,
        placed_by_staff,
        request,
    })
}

/// Inserts a submitted order and its first event; the station's staff are told, and the
/// resident too when staff placed it for them (代点单).
pub async fn insert(txn: &DatabaseTransaction, new: NewOrder, now: DateTime<Utc>) -> AppResult<order::Model> {
    let mut req = new.request;
    let photo_ids = req.photo_ids.take().unwrap_or_default();
    let model = order::ActiveModel {
        station_id: Set(new.station_id),
        resident_id: Set(new.resident_id),
        placed_by: Set(new.placed_by),
        title: Set(req.title),
        description: Set(req.description),
        platform_id: Set(req.platform_id),
        service_item_id: Set(req.service_item_id),
        address: Set(req.address),
        contact_phone: Set(req.contact_phone),
        expected_at: Set(req.expected_at),
        deadline_at: Set(req.deadline_at),
        focus_group: Set(req.focus_group),
        status: Set(OrderStatus::Submitted),
        auto_confirmed: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    uploads::attach(txn, new.placed_by, &photo_ids, Attachment::Order, model.id, "photo_ids").await?;
    let note = new.placed_by_staff.then(|| "工作人员代点单".to_owned());
    record_event(
        txn,
        Event {
            order_id: model.id,
            actor_id: Some(new.placed_by),
            actor_role: if new.placed_by_staff { "staff" } else { "resident" },
            action: OrderEventAction::Submit,
            from: None,
            to: OrderStatus::Submitted,
            note,
        },
        now,
    )
    .await?;
    tell_staff(
        txn,
        &model,
        Some(new.placed_by),
        NotificationKind::OrderSubmitted,
        "有新的订单待审核派单",
        None,
        now,
    )
    .await?;
    if new.placed_by_staff {
        let notice = Notice {
            kind: NotificationKind::OrderPlacedForYou,
            title: "工作人员已为您代点单".into(),
            body: model.title.clone(),
            about: about(model.id),
        };
        notify(txn, &[model.resident_id], &notice, now).await?;
    }
    Ok(model)
}

struct Event {
    order_id: i32,
    actor_id: Option<i32>,
    actor_role: &'static str,
    action: OrderEventAction,
    from: Option<OrderStatus>,
    to: OrderStatus,
    note: Option<String>,
}

async fn record_event(db: &impl ConnectionTrait, event: Event, now: DateTime<Utc>) -> AppResult<()> {
    order_event::ActiveModel {
        order_id: Set(event.order_id),
        actor_id: Set(event.actor_id),
        actor_role: Set(event.actor_role.to_owned()),
        action: Set(event.action.as_str().to_owned()),
        from_status: Set(event.from),
        to_status: Set(event.to),
        note: Set(event.note),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The timeline of an order, oldest first. A volunteer who has not accepted the order does not
/// learn who the resident is, nor who placed the order for them.
pub async fn events(
    db: &impl ConnectionTrait,
    caller: &Caller,
    order: &order::Model,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<OrderEventResponse>, u64)> {
    let hidden = caller.person_view(order, true) == PersonView::Hidden;
    let private = [order.resident_id, order.placed_by];
    let query = order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(order.id))
        .order_by_asc(order_event::Column::Id);
    let (events, total) = crate::db::fetch_page(db, query, offset, limit).await?;
    let items = events
        .into_iter()
        .map(|e| OrderEventResponse {
            id: e.id,
            order_id: e.order_id,
            action: e.action,
            actor_id: e.actor_id.filter(|id| !(hidden && private.contains(id))),
            actor_role: e.actor_role,
            from_status: e.from_status,
            to_status: e.to_status,
            note: e.note,
            created_at: e.created_at,
        })
        .collect();
    Ok((items, total))
}

/// Lists what the caller may see, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    caller: &Caller,
    filter: &OrderFilter,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<OrderResponse>, u64)> {
    let user = &caller.user;
    let mut condition = Condition::all();
    if filter.pool.is_some() {
        user.require_any(&[Role::Volunteer])?;
        let station_id = user.home_station()?;
        condition = condition
            .add(order::Column::StationId.eq(station_id))
            .add(order::Column::Status.eq(OrderStatus::Open));
    } else if user.reads_across_stations() {
        condition = condition.add(
            user.listing_station(filter.station_id)?
                .condition(order::Column::StationId),
        );
    } else if user.is_staff() {
        let station_id = user.home_station()?;
        condition = condition.add(order::Column::StationId.eq(station_id));
    } else {
        let mut mine = Condition::any()
            .add(order::Column::ResidentId.eq(user.id))
            .add(order::Column::VolunteerId.eq(user.id));
        if !caller.team_ids.is_empty() {
            mine = mine.add(
                Condition::all()
                    .add(order::Column::TeamId.is_in(caller.team_ids.clone()))
                    .add(order::Column::Status.eq(OrderStatus::Assigned)),
            );
        }
        condition = condition.add(mine);
    }
    if let Some(status) = filter.status {
        condition = condition.add(order::Column::Status.eq(status));
    }
    if let Some(platform_id) = filter.platform_id {
        condition = condition.add(order::Column::PlatformId.eq(platform_id));
    }
    if let Some(group) = filter.focus_group {
        condition = condition.add(order::Column::FocusGroup.eq(group));
    }
    if let Some(from) = filter.from {
        condition = condition.add(order::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        condition = condition.add(order::Column::CreatedAt.lt(to));
    }
    match filter.overdue {
        Some(true) => condition = condition.add(caller.timing.overdue()),
        Some(false) => condition = condition.add(caller.timing.overdue().not()),
        None => {}
    }
    let query = order::Entity::find().filter(condition);
    let total = query.clone().count(db).await?;
    let orders = query
        .order_by_desc(order::Column::CreatedAt)
        .order_by_desc(order::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let ctx = context(db, caller, &orders).await?;
    Ok((
        orders.into_iter().map(|o| respond(o, caller, &ctx, false)).collect(),
        total,
    ))
}

/// Orders of the station whose follow-up call is pending (or done), newest first.
pub async fn follow_ups(
    db: &impl ConnectionTrait,
    caller: &Caller,
    station_id: i32,
    status: FollowUpStatus,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<OrderResponse>, u64)> {
    let query = order::Entity::find()
        .filter(order::Column::StationId.eq(station_id))
        .filter(order::Column::FollowUpStatus.eq(status));
    let total = query.clone().count(db).await?;
    let orders = query
        .order_by_desc(order::Column::RatedAt)
        .order_by_desc(order::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let ctx = context(db, caller, &orders).await?;
    Ok((
        orders.into_iter().map(|o| respond(o, caller, &ctx, false)).collect(),
        total,
    ))
}

/// One transition to make: the action, the columns it sets besides status, and notices.
pub struct Step {
    pub action: OrderAction,
    pub mode: Option<DispatchMode>,
    pub note: Option<String>,
    pub sets: Vec<(order::Column, SimpleExpr)>,
    /// Extra conditions of the guarded update (e.g. that the caller is still the volunteer).
    pub guard: Option<Condition>,
    /// The caller's uploads to attach to the completion, in the same transaction.
    pub completion_photos: Vec<String>,
}

impl Step {
    pub fn new(action: OrderAction) -> Self {
        Step {
            action,
            mode: None,
            note: None,
            sets: Vec::new(),
            guard: None,
            completion_photos: Vec::new(),
        }
    }

    pub fn note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }

    pub fn set(mut self, column: order::Column, value: impl Into<sea_orm::Value>) -> Self {
        self.sets.push((column, Expr::value(value)));
        self
    }
}

/// Who to tell and what, worked out from the order before the change.
fn notices(order: &order::Model, action: OrderAction, actor: Actor, team_members: &[i32]) -> Vec<(Vec<i32>, Notice)> {
    let notice = |kind: NotificationKind, title: &str| Notice {
        kind,
        title: title.to_owned(),
        body: order.title.clone(),
        about: about(order.id),
    };
    let resident = vec![order.resident_id];
    match action {
        OrderAction::Accept => vec![(
            resident,
            notice(NotificationKind::OrderAccepted, "您的订单已有志愿者接单"),
        )],
        OrderAction::Start => vec![(resident, notice(NotificationKind::OrderStarted, "志愿者已开始服务"))],
        OrderAction::Complete => vec![(resident, notice(NotificationKind::OrderCompleted, "服务已完成，请评价"))],
        OrderAction::Reject => vec![(resident, notice(NotificationKind::OrderRejected, "您的订单未通过审核"))],
        OrderAction::Rate => order
            .volunteer_id
            .map(|v| vec![(vec![v], notice(NotificationKind::OrderRated, "居民已评价您的服务"))])
            .unwrap_or_default(),
        OrderAction::Cancel => {
            let mut out = Vec::new();
            if !actor.is_owner {
                out.push((resident, notice(NotificationKind::OrderCancelled, "您的订单已被取消")));
            }
            let volunteers: Vec<i32> = match order.volunteer_id {
                Some(v) => vec![v],
                None if order.status == OrderStatus::Assigned => team_members.to_vec(),
                None => Vec::new(),
            };
            if !volunteers.is_empty() {
                out.push((
                    volunteers,
                    notice(NotificationKind::OrderCancelled, "您负责的订单已取消"),
                ));
            }
            out
        }
        OrderAction::Redispatch if !team_members.is_empty() || order.volunteer_id.is_some() => {
            let before: Vec<i32> = match order.volunteer_id {
                Some(v) => vec![v],
                None => team_members.to_vec(),
            };
            vec![(
                before,
                notice(NotificationKind::OrderWithdrawn, "派给您的订单已被工作人员改派"),
            )]
        }
        _ => Vec::new(),
    }
}

/// The Chinese label of a low rating's reason tag.
fn reason_label(tag: ReasonTag) -> &'static str {
    match tag {
        ReasonTag::Late => "迟到",
        ReasonTag::Attitude => "服务态度",
        ReasonTag::NotSolved => "问题未解决",
        ReasonTag::Other => "其他",
    }
}

/// Notices that need the database (the station's staff, the pool, the team), after the change.
async fn follow_on_notices(
    txn: &impl ConnectionTrait,
    after: &order::Model,
    step: &Step,
    caller: &Caller,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let me = Some(caller.user.id);
    match step.action {
        OrderAction::Dispatch | OrderAction::Redispatch => match after.status {
            OrderStatus::Open => notify_pool(txn, after, now).await,
            OrderStatus::Assigned => notify_assigned(txn, after, now).await,
            _ => Ok(()),
        },
        OrderAction::Decline => {
            let reason = step.note.as_deref();
            tell_staff(
                txn,
                after,
                me,
                NotificationKind::OrderDeclined,
                "志愿者拒单，订单退回待派单",
                reason,
                now,
            )
            .await
        }
        OrderAction::Release => {
            let title = "志愿者放弃了已接的订单，订单回到派单池";
            tell_staff(txn, after, me, NotificationKind::OrderReleased, title, None, now).await
        }
        OrderAction::Rate if after.stars.is_some_and(|s| s <= 2) => {
            let stars = after.stars.unwrap_or(0);
            let mut reason: Vec<String> = after
                .reason_tag
                .map(|tag| reason_label(tag).to_owned())
                .into_iter()
                .collect();
            reason.extend(after.rating_comment.clone());
            let title = format!("居民给出 {stars} 星评价，请回访");
            let reason = reason.join("；");
            tell_staff(
                txn,
                after,
                me,
                NotificationKind::OrderLowRating,
                &title,
                Some(&reason),
                now,
            )
            .await
        }
        _ => Ok(()),
    }
}

/// Makes one transition: checks visibility, the state machine, then one guarded update, the
/// event and the notifications in one transaction. Returns the order after the change.
pub async fn transition<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    caller: &Caller,
    id: i32,
    step: Step,
    now: DateTime<Utc>,
) -> AppResult<order::Model> {
    let order = find(db, id).await?;
    let actor = caller.actor(&order);
    // A volunteer of the station who lost the race no longer "sees" the order, but must hear
    // that it was taken, not that it does not exist.
    let may_know = caller.sees(&order) || (step.action == OrderAction::Accept && actor.is_station_volunteer);
    if !may_know {
        return Err(not_found());
    }
    if step.action == OrderAction::Accept && !holds_volunteer_role(db, caller.user.id).await? {
        // Deactivated since the access token was issued.
        return Err(AppError::forbidden("FORBIDDEN", "您已不是志愿者，不能接单"));
    }
    let from = order.status;
    let declined = actor.is_team_member && has_declined(db, id, caller.user.id).await?;
    let to = state::next(from, step.action, actor, facts_of(&order, declined), step.mode).map_err(refusal)?;
    let team_members = match order.team_id {
        Some(team) if matches!(step.action, OrderAction::Cancel | OrderAction::Redispatch) => {
            team_member_ids(db, team).await?
        }
        _ => Vec::new(),
    };
    let lost = || {
        let code = match step.action {
            OrderAction::Accept => "ORDER_ALREADY_TAKEN",
            OrderAction::Cancel => "ORDER_NOT_CANCELLABLE",
            OrderAction::Rate => "ORDER_ALREADY_RATED",
            _ => "INVALID_ORDER_STATE",
        };
        AppError::conflict(code, conflict_message(code))
    };

    let txn = db.begin().await?;
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(to))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        // A new state may become overdue (and be escalated) afresh.
        .col_expr(order::Column::EscalatedAt, Expr::value(None::<DateTime<Utc>>))
        .filter(order::Column::Id.eq(id));
    for (column, value) in step.sets.clone() {
        update = update.col_expr(column, value);
    }
    update = if step.action == OrderAction::Accept {
        update.filter(accept_guard(caller, id))
    } else if step.action == OrderAction::FollowUp {
        update.filter(order::Column::FollowUpStatus.eq(FollowUpStatus::Pending))
    } else {
        update.filter(order::Column::Status.eq(from))
    };
    if let Some(guard) = step.guard.clone() {
        update = update.filter(guard);
    }
    // The row as changed, from the statement that changed it (no read-back under its lock).
    let Some(changed) = update.exec_with_returning(&txn).await?.pop() else {
        txn.rollback().await?;
        return Err(lost());
    };
    uploads::attach(
        &txn,
        caller.user.id,
        &step.completion_photos,
        Attachment::OrderCompletion,
        id,
        "photo_ids",
    )
    .await?;
    if matches!(step.action, OrderAction::Dispatch | OrderAction::Redispatch) {
        // A fresh dispatch is a fresh ask: earlier declines of team members no longer count.
        order_decline::Entity::delete_many()
            .filter(order_decline::Column::OrderId.eq(id))
            .exec(&txn)
            .await?;
    }
    record_event(
        &txn,
        Event {
            order_id: id,
            actor_id: Some(caller.user.id),
            actor_role: caller.role_label(actor),
            action: step.action.into(),
            from: Some(from),
            to,
            note: step.note.clone(),
        },
        now,
    )
    .await?;
    let audited = match step.action {
        OrderAction::Reject => Some(AuditAction::OrderRejected),
        OrderAction::Cancel if actor.is_staff => Some(AuditAction::OrderCancelled),
        OrderAction::Redispatch => Some(AuditAction::OrderRedispatched),
        _ => None,
    };
    if let Some(action) = audited {
        let entry = AuditEntry::new(&caller.user, &caller.origin, action, "order", id)
            .station(Some(order.station_id))
            .detail(serde_json::json!({ "from": from, "to": to, "note": step.note }));
        audit::record(&txn, entry, now).await?;
    }
    for (users, notice) in notices(&order, step.action, actor, &team_members) {
        notify(&txn, &users, &notice, now).await?;
    }
    // Nothing below writes the order row itself (photos are attached on the uploads' rows).
    let after = changed;
    if step.action == OrderAction::Rate {
        credit_hours(&txn, &after, None, now).await?;
    }
    follow_on_notices(&txn, &after, &step, caller, now).await?;
    txn.commit().await?;
    Ok(after)
}

/// Dispatches a submitted order (staff of its station only; others learn nothing more).
pub async fn dispatch<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    caller: &Caller,
    id: i32,
    req: DispatchRequest,
) -> AppResult<order::Model> {
    let station_id = staff_station(db, caller, id).await?;
    let step = super::steps::dispatch(db, station_id, req).await?;
    transition(db, caller, id, step, caller.timing.now).await
}

/// Moves an open or assigned order: back to the station, into the pool, or to another
/// volunteer or team. The volunteer or team it is taken from is told, and the new one.
pub async fn redispatch<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    caller: &Caller,
    id: i32,
    req: RedispatchRequest,
) -> AppResult<order::Model> {
    let station_id = staff_station(db, caller, id).await?;
    let step = super::steps::redispatch(db, station_id, req).await?;
    transition(db, caller, id, step, caller.timing.now).await
}

/// The station of an order the caller may manage as its staff (404 when they may not see it,
/// 403 when they see it but do not staff its station).
async fn staff_station(db: &impl ConnectionTrait, caller: &Caller, id: i32) -> AppResult<i32> {
    let order = find_visible(db, caller, id).await?;
    caller.user.require_staff_of(order.station_id)?;
    Ok(order.station_id)
}

/// Declines an assigned order. The named volunteer's decline sends it back to the station; a
/// team member's decline only removes that member (they may not take it any more), and the
/// order goes back to the station once every member of the team has declined.
pub async fn decline<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    caller: &Caller,
    id: i32,
    reason: Option<String>,
) -> AppResult<order::Model> {
    let now = caller.timing.now;
    let order = find_visible(db, caller, id).await?;
    let actor = caller.actor(&order);
    if actor.is_named_volunteer || !actor.is_team_member {
        return transition(db, caller, id, super::steps::decline(caller.user.id, reason), now).await;
    }
    let declined = has_declined(db, id, caller.user.id).await?;
    state::next(
        order.status,
        OrderAction::Decline,
        actor,
        facts_of(&order, declined),
        None,
    )
    .map_err(refusal)?;
    let Some(team_id) = order.team_id else {
        return Err(not_found());
    };
    let txn = db.begin().await?;
    // Take the order's row first, so that declines (and member removals) of one order run one
    // after the other and the "every member declined" check below sees the ones before it.
    if lock_assigned_to_team(&txn, Some(id), team_id).await? == 0 {
        txn.rollback().await?;
        return Err(AppError::conflict(
            "INVALID_ORDER_STATE",
            conflict_message("INVALID_ORDER_STATE"),
        ));
    }
    let inserted = order_decline::Entity::insert(order_decline::ActiveModel {
        order_id: Set(id),
        user_id: Set(caller.user.id),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([order_decline::Column::OrderId, order_decline::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        txn.rollback().await?;
        return Err(AppError::conflict(
            "ORDER_ALREADY_DECLINED",
            conflict_message("ORDER_ALREADY_DECLINED"),
        ));
    }
    record_event(
        &txn,
        Event {
            order_id: id,
            actor_id: Some(caller.user.id),
            actor_role: "volunteer",
            action: OrderEventAction::Decline,
            from: Some(OrderStatus::Assigned),
            to: OrderStatus::Assigned,
            note: reason.clone(),
        },
        now,
    )
    .await?;
    let note = "服务队全部成员已拒单";
    if !return_if_team_exhausted(&txn, &order, team_id, note, now).await? {
        let title = "服务队成员拒单，其他成员仍可接单";
        tell_staff(
            &txn,
            &order,
            None,
            NotificationKind::OrderDeclined,
            title,
            reason.as_deref(),
            now,
        )
        .await?;
    }
    let after = find(&txn, id).await?;
    txn.commit().await?;
    Ok(after)
}

/// Takes the row lock of the team's assigned orders (or of one of them) with an update that
/// changes nothing; returns how many there are.
async fn lock_assigned_to_team(db: &impl ConnectionTrait, order_id: Option<i32>, team_id: i32) -> AppResult<u64> {
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::TeamId, Expr::col(order::Column::TeamId))
        .filter(order::Column::Status.eq(OrderStatus::Assigned))
        .filter(order::Column::TeamId.eq(team_id))
        .filter(order::Column::VolunteerId.is_null());
    if let Some(id) = order_id {
        update = update.filter(order::Column::Id.eq(id));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Sends a team order back to the station when no member of the team is left who has not
/// declined it; one conditional update decides, with the check in the database.
async fn return_if_team_exhausted(
    txn: &impl ConnectionTrait,
    order: &order::Model,
    team_id: i32,
    note: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let declined = Query::select()
        .column(order_decline::Column::UserId)
        .from(order_decline::Entity)
        .and_where(order_decline::Column::OrderId.eq(order.id))
        .to_owned();
    let someone_left = Query::select()
        .column(team_member::Column::UserId)
        .from(team_member::Entity)
        .and_where(team_member::Column::TeamId.eq(team_id))
        .and_where(team_member::Column::UserId.not_in_subquery(declined))
        .to_owned();
    let updated = order::Entity::update_many()
        .col_expr(order::Column::Status, Expr::value(OrderStatus::Submitted))
        .col_expr(order::Column::TeamId, Expr::value(None::<i32>))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .col_expr(order::Column::EscalatedAt, Expr::value(None::<DateTime<Utc>>))
        .filter(order::Column::Id.eq(order.id))
        .filter(order::Column::Status.eq(OrderStatus::Assigned))
        .filter(order::Column::TeamId.eq(team_id))
        .filter(order::Column::VolunteerId.is_null())
        .filter(Expr::exists(someone_left).not())
        .exec(txn)
        .await?
        .rows_affected;
    if updated == 0 {
        return Ok(false);
    }
    record_event(
        txn,
        Event {
            order_id: order.id,
            actor_id: None,
            actor_role: "system",
            action: OrderEventAction::Return,
            from: Some(OrderStatus::Assigned),
            to: OrderStatus::Submitted,
            note: Some(note.to_owned()),
        },
        now,
    )
    .await?;
    tell_staff(
        txn,
        order,
        None,
        NotificationKind::OrderReturned,
        "订单已退回待派单",
        Some(note),
        now,
    )
    .await?;
    Ok(true)
}

/// Before a volunteer leaves teams (deactivation, removal from a team): holds the teams'
/// assigned orders so that concurrent declines cannot race the "every member declined" check.
pub async fn hold_team_orders(txn: &impl ConnectionTrait, team_ids: &[i32]) -> AppResult<()> {
    for team_id in team_ids {
        lock_assigned_to_team(txn, None, *team_id).await?;
    }
    Ok(())
}

/// After a volunteer was deactivated or left a team: the orders they hold in progress
/// (`assigned`, `accepted` and `in_service`; only those that came through `team_id` when
/// given) go back to the station as `submitted`, and the teams' assigned orders that no
/// remaining member may take go back too. Each with a timeline event; staff are told. Returns
/// the ids of the orders sent back.
pub async fn return_orders_of(
    txn: &impl ConnectionTrait,
    staff_id: i32,
    user_id: i32,
    team_ids: &[i32],
    only_team: Option<i32>,
    note: &str,
    now: DateTime<Utc>,
) -> AppResult<Vec<i32>> {
    let in_progress = [OrderStatus::Assigned, OrderStatus::Accepted, OrderStatus::InService];
    let mut held = order::Entity::find()
        .filter(order::Column::VolunteerId.eq(user_id))
        .filter(order::Column::Status.is_in(in_progress));
    if let Some(team_id) = only_team {
        held = held.filter(order::Column::TeamId.eq(team_id));
    }
    let mut returned = Vec::new();
    for order in held.order_by_asc(order::Column::Id).all(txn).await? {
        let from = order.status;
        let updated = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(OrderStatus::Submitted))
            .col_expr(order::Column::VolunteerId, Expr::value(None::<i32>))
            .col_expr(order::Column::TeamId, Expr::value(None::<i32>))
            .col_expr(order::Column::AcceptedAt, Expr::value(None::<DateTime<Utc>>))
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .col_expr(order::Column::EscalatedAt, Expr::value(None::<DateTime<Utc>>))
            .filter(order::Column::Id.eq(order.id))
            .filter(order::Column::VolunteerId.eq(user_id))
            .filter(order::Column::Status.eq(from))
            .exec(txn)
            .await?
            .rows_affected;
        if updated == 0 {
            continue;
        }
        record_event(
            txn,
            Event {
                order_id: order.id,
                actor_id: Some(staff_id),
                actor_role: "staff",
                action: OrderEventAction::Return,
                from: Some(from),
                to: OrderStatus::Submitted,
                note: Some(note.to_owned()),
            },
            now,
        )
        .await?;
        tell_staff(
            txn,
            &order,
            None,
            NotificationKind::OrderReturned,
            "订单已退回待派单",
            Some(note),
            now,
        )
        .await?;
        returned.push(order.id);
    }
    for team_id in team_ids {
        let assigned = order::Entity::find()
            .filter(order::Column::Status.eq(OrderStatus::Assigned))
            .filter(order::Column::TeamId.eq(*team_id))
            .filter(order::Column::VolunteerId.is_null())
            .all(txn)
            .await?;
        for order in assigned {
            let why = format!("{note}，服务队已无可接单的成员");
            if return_if_team_exhausted(txn, &order, *team_id, &why, now).await? {
                returned.push(order.id);
            }
        }
    }
    Ok(returned)
}

/// The one condition under which the caller may take the order: still a volunteer (checked in
/// the database, so a deactivated volunteer's older token does not help), and the order open in
/// their station, or assigned to them or to one of their teams without their decline.
fn accept_guard(caller: &Caller, order_id: i32) -> Condition {
    let user = &caller.user;
    let not_own = order::Column::ResidentId.ne(user.id);
    let still_volunteer = Expr::exists(
        Query::select()
            .column(user_role::Column::UserId)
            .from(user_role::Entity)
            .and_where(user_role::Column::UserId.eq(user.id))
            .and_where(user_role::Column::Role.eq(Role::Volunteer.as_str()))
            .to_owned(),
    );
    let mut assigned_to_me = Condition::any().add(order::Column::VolunteerId.eq(user.id));
    if !caller.team_ids.is_empty() {
        let declined = Query::select()
            .column(order_decline::Column::UserId)
            .from(order_decline::Entity)
            .and_where(order_decline::Column::OrderId.eq(order_id))
            .and_where(order_decline::Column::UserId.eq(user.id))
            .to_owned();
        assigned_to_me = assigned_to_me.add(
            Condition::all()
                .add(order::Column::TeamId.is_in(caller.team_ids.clone()))
                .add(Expr::exists(declined).not()),
        );
    }
    let mut any = Condition::any().add(
        Condition::all()
            .add(order::Column::Status.eq(OrderStatus::Assigned))
            .add(assigned_to_me),
    );
    if let Some(station_id) = user.station_id.filter(|_| user.has(Role::Volunteer)) {
        any = any.add(
            Condition::all()
                .add(order::Column::Status.eq(OrderStatus::Open))
                .add(order::Column::StationId.eq(station_id)),
        );
    }
    Condition::all().add(not_own).add(still_volunteer).add(any)
}

/// After dispatching to a volunteer or team: tell them.
async fn notify_assigned(txn: &impl ConnectionTrait, order: &order::Model, now: DateTime<Utc>) -> AppResult<()> {
    let users = match (order.volunteer_id, order.team_id) {
        (Some(v), _) => vec![v],
        (None, Some(team)) => team_member_ids(txn, team).await?,
        _ => Vec::new(),
    };
    let notice = Notice {
        kind: NotificationKind::OrderAssigned,
        title: "有新的订单派给您".into(),
        body: order.title.clone(),
        about: Some(About {
            resource_type: "order",
            resource_id: order.id,
        }),
    };
    notify(txn, &users, &notice, now).await
}

/// After opening an order to the pool: tell the station's volunteers (not the resident). When
/// the order's menu item calls for skills, only the volunteers with a matching skill are told,
/// unless none has one: then every volunteer is, so that the order is never left unseen.
async fn notify_pool(txn: &impl ConnectionTrait, order: &order::Model, now: DateTime<Utc>) -> AppResult<()> {
    let mut users: Vec<i32> = volunteer_ids(txn, order.station_id)
        .await?
        .into_iter()
        .filter(|id| *id != order.resident_id)
        .collect();
    let wanted = crate::service_items::service::skills_for(txn, order.service_item_id).await?;
    if !wanted.is_empty() {
        let matching = crate::volunteers::service::with_any_skill(txn, &users, &wanted).await?;
        if !matching.is_empty() {
            users = matching;
        }
    }
    let notice = Notice {
        kind: NotificationKind::OrderOpen,
        title: "派单池有新的订单可接".into(),
        body: order.title.clone(),
        about: about(order.id),
    };
    notify(txn, &users, &notice, now).await
}

async fn credit_hours(
    db: &impl ConnectionTrait,
    order: &order::Model,
    note: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if let (Some(volunteer), Some(minutes)) = (order.volunteer_id, order.service_minutes) {
        hours::credit(
            db,
            hours::Credit {
                user_id: volunteer,
                station_id: order.station_id,
                source: HoursSource::Order,
                source_id: Some(order.id),
                minutes,
                note: note.or_else(|| Some(order.title.clone())),
                recorded_by: None,
                // The service time: the reported minutes up to the completion.
                interval: order
                    .completed_at
                    .map(|done| (done - chrono::Duration::minutes(i64::from(minutes)), done)),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// Open orders past their deadline (or expected time) become `expired`. Each row is one guarded
/// update, so several processes may sweep at once.
pub async fn expire_overdue<C: ConnectionTrait + TransactionTrait>(db: &C, now: DateTime<Utc>) -> AppResult<u64> {
    let overdue = || {
        Condition::all().add(order::Column::Status.eq(OrderStatus::Open)).add(
            Condition::any().add(order::Column::DeadlineAt.lt(now)).add(
                Condition::all()
                    .add(order::Column::DeadlineAt.is_null())
                    .add(order::Column::ExpectedAt.lt(now)),
            ),
        )
    };
    let candidates = order::Entity::find().filter(overdue()).all(db).await?;
    let mut changed = 0;
    for order in candidates {
        let txn = db.begin().await?;
        let updated = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(OrderStatus::Expired))
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .filter(order::Column::Id.eq(order.id))
            .filter(overdue())
            .exec(&txn)
            .await?
            .rows_affected;
        if updated == 0 {
            txn.rollback().await?;
            continue;
        }
        record_event(
            &txn,
            Event {
                order_id: order.id,
                actor_id: None,
                actor_role: "system",
                action: OrderEventAction::Expire,
                from: Some(OrderStatus::Open),
                to: OrderStatus::Expired,
                note: Some("超过截止时间无人接单".into()),
            },
            now,
        )
        .await?;
        let notice = Notice {
            kind: NotificationKind::OrderExpired,
            title: "您的订单已过期".into(),
            body: order.title.clone(),
            about: Some(About {
                resource_type: "order",
                resource_id: order.id,
            }),
        };
        notify(&txn, &[order.resident_id], &notice, now).await?;
        txn.commit().await?;
        changed += 1;
    }
    Ok(changed)
}

/// Orders waiting too long to be dispatched (`submitted`) or accepted (`assigned`) are
/// escalated: the station's staff are told again, once per wait. Each escalation is claimed
/// with one conditional update of `escalated_at`, so several processes sweeping at once
/// announce it exactly once.
pub async fn escalate_overdue<C: ConnectionTrait + TransactionTrait>(db: &C, timing: Timing) -> AppResult<u64> {
    let due = || {
        Condition::all()
            .add(timing.overdue())
            .add(order::Column::EscalatedAt.is_null())
    };
    let candidates = order::Entity::find().filter(due()).all(db).await?;
    let mut changed = 0;
    for order in candidates {
        let txn = db.begin().await?;
        let updated = order::Entity::update_many()
            .col_expr(order::Column::EscalatedAt, Expr::value(Some(timing.now)))
            .filter(order::Column::Id.eq(order.id))
            .filter(due())
            .exec(&txn)
            .await?
            .rows_affected;
        if updated == 0 {
            txn.rollback().await?;
            continue;
        }
        let status = order.status;
        let (title, note) = if status == OrderStatus::Submitted {
            (
                "订单超时未派单，请尽快处理",
                format!("超过 {} 分钟未派单", timing.dispatch_overdue.num_minutes()),
            )
        } else {
            (
                "订单超时无人接单，请跟进或改派",
                format!("超过 {} 分钟未接单", timing.accept_overdue.num_minutes()),
            )
        };
        record_event(
            &txn,
            Event {
                order_id: order.id,
                actor_id: None,
                actor_role: "system",
                action: OrderEventAction::Escalate,
                from: Some(status),
                to: status,
                note: Some(note.clone()),
            },
            timing.now,
        )
        .await?;
        tell_staff(
            &txn,
            &order,
            None,
            NotificationKind::OrderOverdue,
            title,
            Some(&note),
            timing.now,
        )
        .await?;
        txn.commit().await?;
        changed += 1;
    }
    Ok(changed)
}

/// Completed orders unrated for 7 days become `rated` without stars; the hours are credited.
pub async fn auto_confirm<C: ConnectionTrait + TransactionTrait>(db: &C, now: DateTime<Utc>) -> AppResult<u64> {
    let cutoff = now - Duration::days(AUTO_CONFIRM_DAYS);
    let due = || {
        Condition::all()
            .add(order::Column::Status.eq(OrderStatus::Completed))
            .add(order::Column::CompletedAt.lte(cutoff))
    };
    let candidates = order::Entity::find().filter(due()).all(db).await?;
    let mut changed = 0;
    for order in candidates {
        let txn = db.begin().await?;
        let updated = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(OrderStatus::Rated))
            .col_expr(order::Column::AutoConfirmed, Expr::value(true))
            .col_expr(order::Column::RatedAt, Expr::value(now))
            .col_expr(order::Column::UpdatedAt, Expr::value(now))
            .filter(order::Column::Id.eq(order.id))
            .filter(due())
            .exec(&txn)
            .await?
            .rows_affected;
        if updated == 0 {
            txn.rollback().await?;
            continue;
        }
        record_event(
            &txn,
            Event {
                order_id: order.id,
                actor_id: None,
                actor_role: "system",
                action: OrderEventAction::AutoConfirm,
                from: Some(OrderStatus::Completed),
                to: OrderStatus::Rated,
                note: Some("完成 7 天未评价，自动确认".into()),
            },
            now,
        )
        .await?;
        credit_hours(&txn, &order, None, now).await?;
        if let Some(volunteer) = order.volunteer_id {
            let notice = Notice {
                kind: NotificationKind::OrderConfirmed,
                title: "服务时长已自动确认".into(),
                body: order.title.clone(),
                about: Some(About {
                    resource_type: "order",
                    resource_id: order.id,
                }),
            };
            notify(&txn, &[volunteer], &notice, now).await?;
        }
        txn.commit().await?;
        changed += 1;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_addresses_and_names_are_masked_for_lists() {
        assert_eq!(mask_phone("13912345678"), "139****5678");
        assert_eq!(mask_phone("12345"), "****45");
        assert_eq!(mask_address("东湖路 88 号 3 栋 201"), "东湖路****");
        assert_eq!(mask_name("王芳"), "王*");
        assert_eq!(mask_name("欧阳"), "欧*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn a_notice_carries_its_reason_when_there_is_one() {
        assert_eq!(with_reason("代买降压药", Some("腰伤")), "代买降压药：腰伤");
        assert_eq!(with_reason("代买降压药", Some("  ")), "代买降压药");
        assert_eq!(with_reason("代买降压药", None), "代买降压药");
    }
}
