//! Annual plan rules and queries: drafting, submission (late after 31 January), the director's
//! decision with one approved plan per station and year held by the database, the link from an
//! activity to the plan, and month-by-month compliance.

use crate::audit::types::AuditAction;
use crate::notifications::types::NotificationKind;
use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use entity::{activity, annual_plan, annual_plan_event, annual_plan_item};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, QueryOrder, QuerySelect, TransactionTrait, prelude::*,
    sea_query::Expr,
};

use super::state::{self, PlanAction, PlanActor, PlanEventAction, PlanRefusal, PlanStatus};
use super::types::*;
use crate::activities::state::ActivityStatus;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::roles::Role;
use crate::clock::CHINA;
use crate::http::{AppError, AppResult, AuthUser, Pagination};
use crate::notifications::service::{About, Notice, notify};

/// The first instant of `month` of `year` in China time, as UTC (month 13 is next January).
fn month_start(year: i32, month: u32) -> AppResult<DateTime<Utc>> {
    let (year, month) = if month > 12 {
        (year + 1, month - 12)
    } else {
        (year, month)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| CHINA.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| AppError::invalid_field("year", "年份不合法"))
}

/// A plan submitted at or after this instant (1 February 00:00 Asia/Shanghai, i.e. after
/// 31 January 23:59:59) is late.
pub fn submission_deadline(year: i32) -> AppResult<DateTime<Utc>> {
    month_start(year, 2)
}

fn about(id: i32) -> Option<About> {
    Some(About {
        resource_type: "annual_plan",
        resource_id: id,
    })
}

fn refusal(refusal: PlanRefusal) -> AppError {
    match refusal {
        PlanRefusal::Forbidden => AppError::forbidden("FORBIDDEN", "当前账号无权进行此操作"),
        PlanRefusal::DirectorRequired => AppError::forbidden("DIRECTOR_REQUIRED", "年度方案须由本站站长审批"),
        PlanRefusal::WrongState => AppError::conflict("PLAN_STATE_CONFLICT", "年度方案当前状态不允许此操作"),
    }
}

fn already_approved() -> AppError {
    AppError::conflict("PLAN_ALREADY_APPROVED", "本站该年度已有经批准的年度方案")
}

/// The caller's relation to the plan's station.
fn actor(user: &AuthUser, plan: &annual_plan::Model) -> PlanActor {
    PlanActor {
        staff: user.is_staff_of(plan.station_id),
        director: user.is_director_of(plan.station_id),
    }
}

/// The plan if the caller may see it (staff of its station, supervisors, admins), else 404.
pub async fn find_visible(db: &impl ConnectionTrait, user: &AuthUser, id: i32) -> AppResult<annual_plan::Model> {
    annual_plan::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|plan| user.can_oversee(plan.station_id))
        .ok_or_else(|| AppError::not_found("年度方案不存在"))
}

/// Every item's platform must be usable by the station.
async fn check_items(db: &impl ConnectionTrait, station_id: i32, items: &[PlanItemRequest]) -> AppResult<()> {
    for (index, item) in items.iter().enumerate() {
        crate::platforms::service::ensure_usable(
            db,
            item.platform_id,
            station_id,
            &format!("items[{index}].platform_id"),
        )
        .await?;
    }
    Ok(())
}

async fn insert_items(db: &impl ConnectionTrait, plan_id: i32, items: Vec<PlanItemRequest>) -> AppResult<()> {
    if items.is_empty() {
        return Ok(());
    }
    annual_plan_item::Entity::insert_many(items.into_iter().map(|item| annual_plan_item::ActiveModel {
        plan_id: Set(plan_id),
        month: Set(item.month),
        theme: Set(item.theme),
        platform_id: Set(item.platform_id),
        kind: Set(item.kind),
        ..Default::default()
    }))
    .exec(db)
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn record_event(
    db: &impl ConnectionTrait,
    plan_id: i32,
    actor_id: i32,
    action: PlanEventAction,
    from: Option<PlanStatus>,
    to: PlanStatus,
    note: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    annual_plan_event::ActiveModel {
        plan_id: Set(plan_id),
        actor_id: Set(actor_id),
        action: Set(<&str>::from(action).to_owned()),
        from_status: Set(from),
        to_status: Set(to),
        note: Set(note),
        at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Drafts a plan. Roles: secretary or director of the station (an admin names `station_id`).
pub async fn create(
    db: &DatabaseConnection,
    user: &AuthUser,
    req: CreatePlanRequest,
    now: DateTime<Utc>,
) -> AppResult<annual_plan::Model> {
    user.require_any(&[Role::Secretary, Role::Director, Role::Admin])?;
    let station_id = if user.is_admin() {
        user.station_or_home(req.station_id)?
    } else {
        user.home_station()?
    };
    user.require_staff_of(station_id)?;
    crate::stations::service::ensure_exists(db, station_id, "station_id").await?;
    check_items(db, station_id, &req.items).await?;
    let txn = db.begin().await?;
    let plan = annual_plan::ActiveModel {
        station_id: Set(station_id),
        year: Set(req.year),
        title: Set(req.title),
        goals: Set(req.goals),
        status: Set(PlanStatus::Draft),
        late: Set(false),
        approved_year: Set(None),
        created_by: Set(user.id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    insert_items(&txn, plan.id, req.items).await?;
    record_event(
        &txn,
        plan.id,
        user.id,
        PlanEventAction::Create,
        None,
        PlanStatus::Draft,
        None,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(plan)
}

/// Edits a draft; `items`, when given, replaces every item. Roles: staff of the station.
pub async fn update(
    db: &DatabaseConnection,
    user: &AuthUser,
    id: i32,
    req: UpdatePlanRequest,
    now: DateTime<Utc>,
) -> AppResult<annual_plan::Model> {
    let plan = find_visible(db, user, id).await?;
    state::next(plan.status, PlanAction::Edit, actor(user, &plan)).map_err(refusal)?;
    if let Some(items) = &req.items {
        check_items(db, plan.station_id, items).await?;
    }
    let txn = db.begin().await?;
    let mut update = annual_plan::Entity::update_many().col_expr(annual_plan::Column::UpdatedAt, Expr::value(now));
    if let Some(title) = req.title {
        update = update.col_expr(annual_plan::Column::Title, Expr::value(title));
    }
    if let Some(goals) = req.goals {
        update = update.col_expr(annual_plan::Column::Goals, Expr::value(goals));
    }
    // Only a draft changes: the guard makes a concurrent submit win cleanly.
    let changed = update
        .filter(annual_plan::Column::Id.eq(id))
        .filter(annual_plan::Column::Status.eq(PlanStatus::Draft))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(refusal(PlanRefusal::WrongState));
    }
    if let Some(items) = req.items {
        annual_plan_item::Entity::delete_many()
            .filter(annual_plan_item::Column::PlanId.eq(id))
            .exec(&txn)
            .await?;
        insert_items(&txn, id, items).await?;
    }
    record_event(
        &txn,
        id,
        user.id,
        PlanEventAction::Edit,
        Some(PlanStatus::Draft),
        PlanStatus::Draft,
        None,
        now,
    )
    .await?;
    txn.commit().await?;
    find_visible(db, user, id).await
}

/// Submits, approves or rejects (`note`: the rejection's reason or the approval's comment).
/// Each step is one guarded update with its history event and notices, in one transaction.
pub async fn transition(
    db: &DatabaseConnection,
    user: &AuthUser,
    origin: &Origin,
    id: i32,
    action: PlanAction,
    note: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<annual_plan::Model> {
    let plan = find_visible(db, user, id).await?;
    let to = state::next(plan.status, action, actor(user, &plan)).map_err(refusal)?;
    if action == PlanAction::Approve {
        let approved = annual_plan::Entity::find()
            .filter(annual_plan::Column::StationId.eq(plan.station_id))
            .filter(annual_plan::Column::ApprovedYear.eq(plan.year))
            .count(db)
            .await?;
        if approved > 0 {
            return Err(already_approved());
        }
    }
    let mut update = annual_plan::Entity::update_many()
        .col_expr(annual_plan::Column::Status, Expr::value(to))
        .col_expr(annual_plan::Column::UpdatedAt, Expr::value(now));
    update = match action {
        PlanAction::Submit => update
            .col_expr(annual_plan::Column::SubmittedAt, Expr::value(now))
            .col_expr(
                annual_plan::Column::Late,
                Expr::value(now >= submission_deadline(plan.year)?),
            ),
        PlanAction::Approve => update
            .col_expr(annual_plan::Column::ApprovedYear, Expr::value(plan.year))
            .col_expr(annual_plan::Column::DecidedAt, Expr::value(now))
            .col_expr(annual_plan::Column::DecidedBy, Expr::value(user.id))
            .col_expr(annual_plan::Column::RejectReason, Expr::value(Option::<String>::None)),
        PlanAction::Reject => update
            .col_expr(annual_plan::Column::DecidedAt, Expr::value(now))
            .col_expr(annual_plan::Column::DecidedBy, Expr::value(user.id))
            .col_expr(annual_plan::Column::RejectReason, Expr::value(note.clone())),
        PlanAction::Edit => update,
    };
    let txn = db.begin().await?;
    // The database holds both rules: the status guard, and (on approval) the unique index on
    // (station_id, approved_year), so of two plans approved at once exactly one wins.
    let changed = update
        .filter(annual_plan::Column::Id.eq(id))
        .filter(annual_plan::Column::Status.eq(plan.status))
        .exec(&txn)
        .await
        .map_err(|err| match AppError::from(err) {
            AppError::Conflict { .. } => already_approved(),
            other => other,
        })?;
    if changed.rows_affected == 0 {
        return Err(refusal(PlanRefusal::WrongState));
    }
    record_event(
        &txn,
        id,
        user.id,
        action.into(),
        Some(plan.status),
        to,
        note.clone(),
        now,
    )
    .await?;
    let (mut to_notify, kind, title) = match action {
        PlanAction::Submit => (
            crate::activities::service::directors_of(&txn, plan.station_id).await?,
            NotificationKind::PlanSubmitted,
            "年度方案待审批",
        ),
        PlanAction::Approve => (vec![plan.created_by], NotificationKind::PlanApproved, "年度方案已批准"),
        PlanAction::Reject => (vec![plan.created_by], NotificationKind::PlanRejected, "年度方案被退回"),
        PlanAction::Edit => (Vec::new(), NotificationKind::PlanEdited, ""),
    };
    to_notify.retain(|u| *u != user.id);
    let audited = match action {
        PlanAction::Approve => Some(AuditAction::PlanApproved),
        PlanAction::Reject => Some(AuditAction::PlanRejected),
        PlanAction::Submit | PlanAction::Edit => None,
    };
    if let Some(audited) = audited {
        let entry = AuditEntry::new(user, origin, audited, "annual_plan", id)
            .station(Some(plan.station_id))
            .detail(serde_json::json!({ "year": plan.year, "note": note }));
        audit::record(&txn, entry, now).await?;
    }
    notify(
        &txn,
        &to_notify,
        &Notice {
            kind,
            title: title.into(),
            body: format!(
                "{} 年度方案「{}」：{}{}",
                plan.year,
                plan.title,
                title,
                note.map(|n| format!("（{n}）")).unwrap_or_default()
            ),
            about: about(id),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    find_visible(db, user, id).await
}

/// Builds responses with items, history and the caller's allowed actions.
pub async fn responses(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    rows: Vec<annual_plan::Model>,
) -> AppResult<Vec<PlanResponse>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let mut items: HashMap<i32, Vec<PlanItemResponse>> = HashMap::new();
    let mut history: HashMap<i32, Vec<PlanEventResponse>> = HashMap::new();
    if !ids.is_empty() {
        for item in annual_plan_item::Entity::find()
            .filter(annual_plan_item::Column::PlanId.is_in(ids.clone()))
            .order_by_asc(annual_plan_item::Column::Month)
            .order_by_asc(annual_plan_item::Column::Id)
            .all(db)
            .await?
        {
            items.entry(item.plan_id).or_default().push(PlanItemResponse {
                id: item.id,
                month: item.month,
                theme: item.theme,
                platform_id: item.platform_id,
                kind: item.kind,
            });
        }
        for event in annual_plan_event::Entity::find()
            .filter(annual_plan_event::Column::PlanId.is_in(ids))
            .order_by_asc(annual_plan_event::Column::Id)
            .all(db)
            .await?
        {
            history.entry(event.plan_id).or_default().push(PlanEventResponse {
                id: event.id,
                actor_id: event.actor_id,
                action: event.action,
                from_status: event.from_status,
                to_status: event.to_status,
                note: event.note,
                at: event.at,
            });
        }
    }
    Ok(rows
        .into_iter()
        .map(|plan| PlanResponse {
            allowed_actions: state::allowed_actions(plan.status, actor(user, &plan)),
            items: items.remove(&plan.id).unwrap_or_default(),
            history: history.remove(&plan.id).unwrap_or_default(),
            id: plan.id,
            station_id: plan.station_id,
            year: plan.year,
            title: plan.title,
            goals: plan.goals,
            status: plan.status,
            late: plan.late,
            submitted_at: plan.submitted_at,
            decided_at: plan.decided_at,
            decided_by: plan.decided_by,
            reject_reason: plan.reject_reason,
            created_by: plan.created_by,
            created_at: plan.created_at,
            updated_at: plan.updated_at,
        })
        .collect())
}

/// One plan for the caller.
pub async fn one(db: &impl ConnectionTrait, user: &AuthUser, plan: annual_plan::Model) -> AppResult<PlanResponse> {
    responses(db, user, vec![plan])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("年度方案不存在"))
}

/// Plans the caller may read: staff their own station's, supervisors their district's, admins
/// any station's (`station_id` names one). Newest year first.
pub async fn list(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    filter: PlanFilter,
    page: &Pagination,
) -> AppResult<(Vec<PlanResponse>, u64)> {
    user.require_any(&[Role::Secretary, Role::Director, Role::Supervisor, Role::Admin])?;
    let mut query = annual_plan::Entity::find().filter(
        user.listing_station(filter.station_id)?
            .condition(annual_plan::Column::StationId),
    );
    if let Some(year) = filter.year {
        query = query.filter(annual_plan::Column::Year.eq(year));
    }
    if let Some(status) = filter.status {
        query = query.filter(annual_plan::Column::Status.eq(status));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(annual_plan::Column::Year)
        .order_by_desc(annual_plan::Column::Id)
        .offset(page.offset())
        .limit(page.page_size())
        .all(db)
        .await?;
    Ok((responses(db, user, rows).await?, total))
}

/// The plan link of an activity, once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLink {
    pub plan_id: Option<i32>,
    pub plan_item_id: Option<i32>,
}

/// The one rule for linking an activity of `station_id` to a plan: `plan_id` must name an
/// approved plan of the same station (422 `PLAN_OTHER_STATION`, `PLAN_NOT_APPROVED`), and
/// `plan_item_id` an item of that plan (422 `PLAN_ITEM_MISMATCH`); an item alone implies its plan.
pub async fn check_activity_link(
    db: &impl ConnectionTrait,
    station_id: i32,
    plan_id: Option<i32>,
    plan_item_id: Option<i32>,
) -> AppResult<PlanLink> {
    let mut plan_id = plan_id;
    if let Some(item_id) = plan_item_id {
        let item = annual_plan_item::Entity::find_by_id(item_id).one(db).await?;
        let mismatch = || {
            AppError::unprocessable_field(
                "PLAN_ITEM_MISMATCH",
                "plan_item_id",
                "计划条目不存在或不属于所选年度方案",
            )
        };
        let item = item.ok_or_else(mismatch)?;
        if plan_id.is_some_and(|p| p != item.plan_id) {
            return Err(mismatch());
        }
        plan_id = Some(item.plan_id);
    }
    if let Some(id) = plan_id {
        let plan = annual_plan::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::invalid_field("plan_id", "年度方案不存在"))?;
        if plan.station_id != station_id {
            return Err(AppError::unprocessable_field(
                "PLAN_OTHER_STATION",
                "plan_id",
                "只能关联本实践站的年度方案",
            ));
        }
        if plan.status != PlanStatus::Approved {
            return Err(AppError::unprocessable_field(
                "PLAN_NOT_APPROVED",
                "plan_id",
                "只能关联已批准的年度方案",
            ));
        }
    }
    Ok(PlanLink { plan_id, plan_item_id })
}

/// Compliance of the station's year against its approved plan (planned lists are empty when
/// there is none). For reports that cover a station's year.
pub async fn compliance(
    db: &impl ConnectionTrait,
    station_id: i32,
    year: i32,
    now: DateTime<Utc>,
) -> AppResult<ComplianceReport> {
    let plan = annual_plan::Entity::find()
        .filter(annual_plan::Column::StationId.eq(station_id))
        .filter(annual_plan::Column::ApprovedYear.eq(year))
        .one(db)
        .await?;
    compliance_for(db, station_id, year, plan.as_ref(), now).await
}

/// Compliance of the plan's station and year against this plan (approved or not).
pub async fn plan_compliance(
    db: &impl ConnectionTrait,
    plan: &annual_plan::Model,
    now: DateTime<Utc>,
) -> AppResult<ComplianceReport> {
    compliance_for(db, plan.station_id, plan.year, Some(plan), now).await
}

async fn compliance_for(
    db: &impl ConnectionTrait,
    station_id: i32,
    year: i32,
    plan: Option<&annual_plan::Model>,
    now: DateTime<Utc>,
) -> AppResult<ComplianceReport> {
    let mut planned: HashMap<u32, Vec<PlannedItem>> = HashMap::new();
    if let Some(plan) = plan {
        for item in annual_plan_item::Entity::find()
            .filter(annual_plan_item::Column::PlanId.eq(plan.id))
            .order_by_asc(annual_plan_item::Column::Month)
            .order_by_asc(annual_plan_item::Column::Id)
            .all(db)
            .await?
        {
            planned
                .entry(u32::try_from(item.month).unwrap_or_default())
                .or_default()
                .push(PlannedItem {
                    item_id: item.id,
                    theme: item.theme,
                    platform_id: item.platform_id,
                    kind: item.kind,
                });
        }
    }
    // Only the year's held activities of this one station are read, filtered in the database.
    let year_start = month_start(year, 1)?;
    let year_end = month_start(year, 13)?;
    let mut held: HashMap<u32, Vec<HeldActivity>> = HashMap::new();
    for a in activity::Entity::find()
        .filter(activity::Column::StationId.eq(station_id))
        .filter(activity::Column::Status.is_in([ActivityStatus::Finished, ActivityStatus::Archived]))
        .filter(activity::Column::StartsAt.gte(year_start))
        .filter(activity::Column::StartsAt.lt(year_end))
        .order_by_asc(activity::Column::StartsAt)
        .order_by_asc(activity::Column::Id)
        .all(db)
        .await?
    {
        held.entry(a.starts_at.with_timezone(&CHINA).month())
            .or_default()
            .push(HeldActivity {
                activity_id: a.id,
                title: a.title,
                theme: a.theme,
                kind: a.kind,
                platform_id: a.platform_id,
                starts_at: a.starts_at,
                plan_item_id: a.plan_item_id,
            });
    }
    let mut months = Vec::with_capacity(12);
    let (mut met, mut missed, mut pending, mut trainings) = (0, 0, 0, 0);
    for month in 1..=12u32 {
        let held = held.remove(&month).unwrap_or_default();
        let practice_held = held.iter().filter(|a| a.kind.is_practice()).count() as u32;
        trainings += held.iter().filter(|a| a.kind == ActivityKind::Training).count() as u32;
        let status = if practice_held > 0 {
            met += 1;
            ComplianceStatus::Met
        } else if month_start(year, month + 1)? > now {
            pending += 1;
            ComplianceStatus::Pending
        } else {
            missed += 1;
            ComplianceStatus::Missed
        };
        months.push(PlanMonthCompliance {
            month,
            status,
            planned: planned.remove(&month).unwrap_or_default(),
            held,
            practice_held,
        });
    }
    let trainings_rule = if trainings > 0 {
        ComplianceStatus::Met
    } else if year_end > now {
        ComplianceStatus::Pending
    } else {
        ComplianceStatus::Missed
    };
    Ok(ComplianceReport {
        station_id,
        year,
        plan_id: plan.map(|p| p.id),
        plan_status: plan.map(|p| p.status),
        plan_late: plan.map(|p| p.late),
        months,
        months_met: met,
        months_missed: missed,
        months_pending: pending,
        trainings_held: trainings,
        trainings_rule,
    })
}
