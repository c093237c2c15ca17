//! Order rules and queries: who sees an order, each transition as one guarded update with its
//! event and notifications in the same transaction, and the periodic sweeps.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::{order, order_event, station, team_member, user};
use sea_orm::{
    ActiveValue::Set,
    Condition, ConnectionTrait, DatabaseTransaction, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
    prelude::*,
    sea_query::{Expr, SimpleExpr},
};

use super::state::{self, Actor, DispatchMode, Facts, OrderAction, OrderStatus, Refusal};
use super::types::*;
use crate::auth::roles::Role;
use crate::hours::{service as hours, types::HoursSource};
use crate::http::{AppError, AppResult, AuthUser};
use crate::notifications::service::{About, Notice, notify};

/// Days a completed order waits for its rating before the hours are confirmed anyway.
pub const AUTO_CONFIRM_DAYS: i64 = 7;

/// The caller with the teams they belong to.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: AuthUser,
    pub team_ids: Vec<i32>,
}

impl Caller {
    pub async fn load(db: &impl ConnectionTrait, user: &AuthUser) -> AppResult<Self> {
        let team_ids = if user.has(Role::Volunteer) {
            team_ids_of(db, user.id).await?
        } else {
            Vec::new()
        };
        Ok(Caller {
            user: user.clone(),
            team_ids,
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
        let status = status_of(order);
        actor.is_owner
            || self.user.can_oversee(order.station_id)
            || actor.is_named_volunteer
            || (actor.is_team_member && status == OrderStatus::Assigned)
            || (actor.is_station_volunteer && status == OrderStatus::Open)
    }

    /// Whether the caller may see who and where the resident is.
    fn sees_person(&self, order: &order::Model) -> bool {
        order.resident_id == self.user.id
            || self.user.can_oversee(order.station_id)
            || (order.volunteer_id == Some(self.user.id) && order.accepted_at.is_some())
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

fn status_of(order: &order::Model) -> OrderStatus {
    OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Submitted)
}

fn facts_of(order: &order::Model) -> Facts {
    Facts {
        follow_up_pending: order.follow_up_status.as_deref() == Some("pending"),
    }
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
        _ => "订单当前状态不允许此操作",
    }
}

fn refusal(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::NotAllowed => AppError::forbidden("FORBIDDEN", "当前账号无权对该订单进行此操作"),
        Refusal::WrongState(code) => AppError::conflict(code, conflict_message(code)),
    }
}

/// Station districts and resident names for a set of orders.
struct Context {
    areas: HashMap<i32, String>,
    names: HashMap<i32, String>,
}

async fn context(db: &impl ConnectionTrait, orders: &[order::Model]) -> AppResult<Context> {
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
    Ok(Context { areas, names })
}

fn respond(order: order::Model, caller: &Caller, ctx: &Context) -> OrderResponse {
    let status = status_of(&order);
    let actor = caller.actor(&order);
    let facts = facts_of(&order);
    let person = caller.sees_person(&order);
    let rating = order.rated_at.map(|rated_at| RatingResponse {
        stars: order.stars,
        comment: order.rating_comment.clone(),
        reason_tag: order.reason_tag.clone(),
        rated_at: Some(rated_at),
        auto_confirmed: order.auto_confirmed,
    });
    let follow_up = order.follow_up_status.clone().map(|status| FollowUpResponse {
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
        address: person.then_some(order.address),
        contact_phone: person.then_some(order.contact_phone),
        area: ctx.areas.get(&order.station_id).cloned().unwrap_or_default(),
        resident_name: if person {
            ctx.names.get(&order.resident_id).cloned()
        } else {
            None
        },
        expected_at: order.expected_at,
        deadline_at: order.deadline_at,
        focus_group: order.focus_group.as_deref().and_then(FocusGroup::parse),
        station_id: order.station_id,
        resident_id: order.resident_id,
        placed_by: order.placed_by,
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
        allowed_actions: state::allowed_actions(status, actor, facts),
    }
}

/// The order as the caller sees it.
pub async fn view(db: &impl ConnectionTrait, caller: &Caller, order: order::Model) -> AppResult<OrderResponse> {
    let ctx = context(db, std::slice::from_ref(&order)).await?;
    Ok(respond(order, caller, &ctx))
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

/// Inserts a submitted order and its first event.
pub async fn insert(txn: &DatabaseTransaction, new: NewOrder, now: DateTime<Utc>) -> AppResult<order::Model> {
    let req = new.request;
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
        focus_group: Set(req.focus_group.map(|g| g.as_str().to_owned())),
        status: Set(OrderStatus::Submitted.as_str().to_owned()),
        auto_confirmed: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let note = new.placed_by_staff.then(|| "工作人员代点单".to_owned());
    record_event(
        txn,
        Event {
            order_id: model.id,
            actor_id: Some(new.placed_by),
            actor_role: if new.placed_by_staff { "staff" } else { "resident" },
            action: "submit",
            from: None,
            to: OrderStatus::Submitted,
            note,
        },
        now,
    )
    .await?;
    Ok(model)
}

struct Event {
    order_id: i32,
    actor_id: Option<i32>,
    actor_role: &'static str,
    action: &'static str,
    from: Option<OrderStatus>,
    to: OrderStatus,
    note: Option<String>,
}

async fn record_event(db: &impl ConnectionTrait, event: Event, now: DateTime<Utc>) -> AppResult<()> {
    order_event::ActiveModel {
        order_id: Set(event.order_id),
        actor_id: Set(event.actor_id),
        actor_role: Set(event.actor_role.to_owned()),
        action: Set(event.action.to_owned()),
        from_status: Set(event.from.map(|s| s.as_str().to_owned())),
        to_status: Set(event.to.as_str().to_owned()),
        note: Set(event.note),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The timeline of an order, oldest first.
pub async fn events(db: &impl ConnectionTrait, order_id: i32) -> AppResult<Vec<OrderEventResponse>> {
    Ok(order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(order_id))
        .order_by_asc(order_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| OrderEventResponse {
            id: e.id,
            order_id: e.order_id,
            action: e.action,
            actor_id: e.actor_id,
            actor_role: e.actor_role,
            from_status: e.from_status.as_deref().and_then(OrderStatus::parse),
            to_status: OrderStatus::parse(&e.to_status).unwrap_or(OrderStatus::Submitted),
            note: e.note,
            created_at: e.created_at,
        })
        .collect())
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
            .add(order::Column::Status.eq(OrderStatus::Open.as_str()));
    } else if user.is_admin() || user.has(Role::Supervisor) {
        if let Some(station_id) = filter.station_id {
            condition = condition.add(order::Column::StationId.eq(station_id));
        }
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
                    .add(order::Column::Status.eq(OrderStatus::Assigned.as_str())),
            );
        }
        condition = condition.add(mine);
    }
    if let Some(status) = filter.status {
        condition = condition.add(order::Column::Status.eq(status.as_str()));
    }
    if let Some(platform_id) = filter.platform_id {
        condition = condition.add(order::Column::PlatformId.eq(platform_id));
    }
    if let Some(group) = filter.focus_group {
        condition = condition.add(order::Column::FocusGroup.eq(group.as_str()));
    }
    if let Some(from) = filter.from {
        condition = condition.add(order::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        condition = condition.add(order::Column::CreatedAt.lt(to));
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
    let ctx = context(db, &orders).await?;
    Ok((orders.into_iter().map(|o| respond(o, caller, &ctx)).collect(), total))
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
        .filter(order::Column::FollowUpStatus.eq(match status {
            FollowUpStatus::Pending => "pending",
            FollowUpStatus::Done => "done",
        }));
    let total = query.clone().count(db).await?;
    let orders = query
        .order_by_desc(order::Column::RatedAt)
        .order_by_desc(order::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let ctx = context(db, &orders).await?;
    Ok((orders.into_iter().map(|o| respond(o, caller, &ctx)).collect(), total))
}

/// One transition to make: the action, the columns it sets besides status, and notices.
pub struct Step {
    pub action: OrderAction,
    pub mode: Option<DispatchMode>,
    pub note: Option<String>,
    pub sets: Vec<(order::Column, SimpleExpr)>,
    /// Extra conditions of the guarded update (e.g. that the caller is still the volunteer).
    pub guard: Option<Condition>,
}

impl Step {
    pub fn new(action: OrderAction) -> Self {
        Step {
            action,
            mode: None,
            note: None,
            sets: Vec::new(),
            guard: None,
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
    let about = Some(About {
        resource_type: "order",
        resource_id: order.id,
    });
    let notice = |kind: &'static str, title: &str| Notice {
        kind,
        title: title.to_owned(),
        body: order.title.clone(),
        about,
    };
    let resident = vec![order.resident_id];
    match action {
        OrderAction::Accept => vec![(resident, notice("order_accepted", "您的订单已有志愿者接单"))],
        OrderAction::Start => vec![(resident, notice("order_started", "志愿者已开始服务"))],
        OrderAction::Complete => vec![(resident, notice("order_completed", "服务已完成，请评价"))],
        OrderAction::Reject => vec![(resident, notice("order_rejected", "您的订单未通过审核"))],
        OrderAction::Rate => order
            .volunteer_id
            .map(|v| vec![(vec![v], notice("order_rated", "居民已评价您的服务"))])
            .unwrap_or_default(),
        OrderAction::Cancel => {
            let mut out = Vec::new();
            if !actor.is_owner {
                out.push((resident, notice("order_cancelled", "您的订单已被取消")));
            }
            let volunteers: Vec<i32> = match order.volunteer_id {
                Some(v) => vec![v],
                None if order.status == OrderStatus::Assigned.as_str() => team_members.to_vec(),
                None => Vec::new(),
            };
            if !volunteers.is_empty() {
                out.push((volunteers, notice("order_cancelled", "您负责的订单已取消")));
            }
            out
        }
        _ => Vec::new(),
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
    let from = status_of(&order);
    let to = state::next(from, step.action, actor, facts_of(&order), step.mode).map_err(refusal)?;
    let team_members = match order.team_id {
        Some(team) if step.action == OrderAction::Cancel => team_member_ids(db, team).await?,
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
        .col_expr(order::Column::Status, Expr::value(to.as_str()))
        .col_expr(order::Column::UpdatedAt, Expr::value(now))
        .filter(order::Column::Id.eq(id));
    for (column, value) in step.sets.clone() {
        update = update.col_expr(column, value);
    }
    update = if step.action == OrderAction::Accept {
        update.filter(accept_guard(caller))
    } else if step.action == OrderAction::FollowUp {
        update.filter(order::Column::FollowUpStatus.eq("pending"))
    } else {
        update.filter(order::Column::Status.eq(from.as_str()))
    };
    if let Some(guard) = step.guard.clone() {
        update = update.filter(guard);
    }
    if update.exec(&txn).await?.rows_affected == 0 {
        txn.rollback().await?;
        return Err(lost());
    }
    record_event(
        &txn,
        Event {
            order_id: id,
            actor_id: Some(caller.user.id),
            actor_role: caller.role_label(actor),
            action: step.action.as_str(),
            from: Some(from),
            to,
            note: step.note.clone(),
        },
        now,
    )
    .await?;
    for (users, notice) in notices(&order, step.action, actor, &team_members) {
        notify(&txn, &users, &notice, now).await?;
    }
    let after = find(&txn, id).await?;
    match step.action {
        OrderAction::Rate => credit_hours(&txn, &after, None, now).await?,
        OrderAction::Dispatch => notify_assigned(&txn, &after, now).await?,
        _ => {}
    }
    txn.commit().await?;
    Ok(after)
}

/// The one condition under which the caller may take the order: open in their station, or
/// assigned to them or one of their teams.
fn accept_guard(caller: &Caller) -> Condition {
    let user = &caller.user;
    let not_own = order::Column::ResidentId.ne(user.id);
    let mut assigned_to_me = Condition::any().add(order::Column::VolunteerId.eq(user.id));
    if !caller.team_ids.is_empty() {
        assigned_to_me = assigned_to_me.add(order::Column::TeamId.is_in(caller.team_ids.clone()));
    }
    let mut any = Condition::any().add(
        Condition::all()
            .add(order::Column::Status.eq(OrderStatus::Assigned.as_str()))
            .add(assigned_to_me),
    );
    if let Some(station_id) = user.station_id.filter(|_| user.has(Role::Volunteer)) {
        any = any.add(
            Condition::all()
                .add(order::Column::Status.eq(OrderStatus::Open.as_str()))
                .add(order::Column::StationId.eq(station_id)),
        );
    }
    Condition::all().add(not_own).add(any)
}

/// After dispatching to a volunteer or team: tell them.
async fn notify_assigned(txn: &impl ConnectionTrait, order: &order::Model, now: DateTime<Utc>) -> AppResult<()> {
    let users = match (order.volunteer_id, order.team_id) {
        (Some(v), _) => vec![v],
        (None, Some(team)) => team_member_ids(txn, team).await?,
        _ => Vec::new(),
    };
    let notice = Notice {
        kind: "order_assigned",
        title: "有新的订单派给您".into(),
        body: order.title.clone(),
        about: Some(About {
            resource_type: "order",
            resource_id: order.id,
        }),
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
        Condition::all()
            .add(order::Column::Status.eq(OrderStatus::Open.as_str()))
            .add(
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
            .col_expr(order::Column::Status, Expr::value(OrderStatus::Expired.as_str()))
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
                action: "expire",
                from: Some(OrderStatus::Open),
                to: OrderStatus::Expired,
                note: Some("超过截止时间无人接单".into()),
            },
            now,
        )
        .await?;
        let notice = Notice {
            kind: "order_expired",
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

/// Completed orders unrated for 7 days become `rated` without stars; the hours are credited.
pub async fn auto_confirm<C: ConnectionTrait + TransactionTrait>(db: &C, now: DateTime<Utc>) -> AppResult<u64> {
    let cutoff = now - Duration::days(AUTO_CONFIRM_DAYS);
    let due = || {
        Condition::all()
            .add(order::Column::Status.eq(OrderStatus::Completed.as_str()))
            .add(order::Column::CompletedAt.lte(cutoff))
    };
    let candidates = order::Entity::find().filter(due()).all(db).await?;
    let mut changed = 0;
    for order in candidates {
        let txn = db.begin().await?;
        let updated = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(OrderStatus::Rated.as_str()))
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
                action: "auto_confirm",
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
                kind: "order_confirmed",
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
