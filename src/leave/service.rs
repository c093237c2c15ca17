//! Leave request rules and queries.

use crate::audit::types::AuditAction;
use crate::notifications::types::NotificationKind;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{activity, activity_signup, leave_request, user, user_role};
use sea_orm::{
    ActiveValue::Set, Condition, ConnectionTrait, DatabaseConnection, QueryOrder, QuerySelect, TransactionTrait,
    prelude::*, sea_query::Expr,
};

use super::state::{self, LeaveAction, LeaveActor, LeaveRefusal, LeaveStatus};
use super::types::*;
use crate::activities::state::Attendance;
use crate::activities::{
    service as activities,
    signups::{self, free_place, lock_activity},
    state::SignupStatus,
    types::ActivityKind,
};
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::roles::Role;
use crate::http::{AppError, AppResult, AuthUser, Pagination};
use crate::notifications::service::{About, Notice, notify};

fn about(id: i32) -> Option<About> {
    Some(About {
        resource_type: "leave_request",
        resource_id: id,
    })
}

fn is_training(activity: &activity::Model) -> bool {
    activity.kind == ActivityKind::Training
}

/// The caller's relation to a leave request. `requester_is_staff`: the requester is a secretary
/// or director of the request's station (see [`staff_requesters`]).
fn actor(
    user: &AuthUser,
    leave: &leave_request::Model,
    activity: &activity::Model,
    requester_is_staff: bool,
    now: DateTime<Utc>,
) -> LeaveActor {
    LeaveActor {
        requester: user.id == leave.user_id,
        staff: user.is_staff_of(leave.station_id),
        director: user.is_director_of(leave.station_id),
        training: is_training(activity),
        requester_is_staff,
        started: now >= activity.starts_at,
    }
}

/// Of `user_ids`, those holding the secretary or director role, with their home station: their
/// leave at that station is decided by a director.
async fn staff_requesters(db: &impl ConnectionTrait, user_ids: Vec<i32>) -> AppResult<HashMap<i32, Option<i32>>> {
    let staff: HashMap<i32, Option<i32>> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .filter(
            user::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(user_role::Column::UserId)
                    .from(user_role::Entity)
                    .and_where(user_role::Column::Role.is_in([Role::Secretary.as_str(), Role::Director.as_str()]))
                    .to_owned(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.station_id))
        .collect();
    Ok(staff)
}

/// Whether the requester is staff of the request's station.
fn is_staff_requester(staff: &HashMap<i32, Option<i32>>, leave: &leave_request::Model) -> bool {
    staff.get(&leave.user_id).is_some_and(|s| *s == Some(leave.station_id))
}

fn refusal(refusal: LeaveRefusal) -> AppError {
    match refusal {
        LeaveRefusal::Forbidden => AppError::forbidden("FORBIDDEN", "当前账号无权进行此操作"),
        LeaveRefusal::DirectorRequired => {
            AppError::forbidden("DIRECTOR_REQUIRED", "培训请假及工作人员本人的请假须由站长审批")
        }
        LeaveRefusal::OwnRequest => AppError::forbidden("OWN_LEAVE_REQUEST", "不能审批自己的请假申请"),
        LeaveRefusal::NotPending => AppError::conflict("LEAVE_NOT_PENDING", "该请假申请已处理"),
        LeaveRefusal::ActivityStarted => AppError::conflict("ACTIVITY_STARTED", "活动已开始，请假申请不能再审批或撤回"),
    }
}

/// Builds responses with the caller's allowed actions.
pub async fn responses(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    rows: Vec<leave_request::Model>,
    now: DateTime<Utc>,
) -> AppResult<Vec<LeaveResponse>> {
    let activity_ids: Vec<i32> = rows.iter().map(|r| r.activity_id).collect();
    let user_ids: Vec<i32> = rows.iter().map(|r| r.user_id).collect();
    let activities: HashMap<i32, activity::Model> = activity::Entity::find()
        .filter(activity::Column::Id.is_in(activity_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let staff = staff_requesters(db, user_ids.clone()).await?;
    let names: HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let activity = activities.get(&row.activity_id)?;
            let status = row.status;
            Some(LeaveResponse {
                id: row.id,
                activity_id: row.activity_id,
                activity_title: activity.title.clone(),
                activity_kind: activity.kind,
                station_id: row.station_id,
                user_id: row.user_id,
                user_name: names.get(&row.user_id).cloned().unwrap_or_default(),
                allowed_actions: state::allowed_actions(
                    status,
                    actor(user, &row, activity, is_staff_requester(&staff, &row), now),
                ),
                reason: row.reason,
                reason_category: row.reason_category,
                status,
                comment: row.comment,
                decided_by: row.decided_by,
                decided_at: row.decided_at,
                created_at: row.created_at,
            })
        })
        .collect())
}

/// One leave request for the caller.
pub async fn one(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    row: leave_request::Model,
    now: DateTime<Utc>,
) -> AppResult<LeaveResponse> {
    responses(db, user, vec![row], now)
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("请假申请不存在"))
}

/// The directors of a station (they decide training leave).
async fn directors_of(db: &impl ConnectionTrait, station_id: i32) -> AppResult<Vec<i32>> {
    let staff: Vec<i32> = user::Entity::find()
        .filter(user::Column::StationId.eq(station_id))
        .inner_join(user_role::Entity)
        .filter(user_role::Column::Role.eq(Role::Director.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    Ok(staff)
}

/// Every admin account (they decide a director's leave when the station has no other director).
async fn admins(db: &impl ConnectionTrait) -> AppResult<Vec<i32>> {
    Ok(user_role::Entity::find()
        .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect())
}

/// Asks for leave before the start. Trainings need a reason category.
pub async fn create(
    db: &DatabaseConnection,
    user: &AuthUser,
    req: CreateLeaveRequest,
    now: DateTime<Utc>,
) -> AppResult<leave_request::Model> {
    let activity = activities::find_visible(db, Some(user), req.activity_id)
        .await
        .map_err(|_| AppError::invalid_field("activity_id", "活动不存在"))?;
    if is_training(&activity) && req.reason_category.is_none() {
        return Err(AppError::invalid_field("reason_category", "培训请假须选择请假类别"));
    }
    if now >= activity.starts_at {
        return Err(AppError::conflict("ACTIVITY_STARTED", "活动已开始，不能请假"));
    }
    let signup = signups::mine(db, user.id, activity.id).await?;
    if signup.status != SignupStatus::Confirmed {
        return Err(AppError::conflict(
            "NOT_CONFIRMED",
            "候补报名无需请假，如不能参加请取消报名",
        ));
    }
    let txn = db.begin().await?;
    let claimed = activity_signup::Entity::update_many()
        .col_expr(activity_signup::Column::LeaveStatus, Expr::value(LeaveStatus::Pending))
        .col_expr(activity_signup::Column::UpdatedAt, Expr::value(now))
        .filter(activity_signup::Column::Id.eq(signup.id))
        .filter(activity_signup::Column::Status.ne(SignupStatus::Cancelled))
        .filter(
            Condition::any()
                .add(activity_signup::Column::LeaveStatus.is_null())
                .add(activity_signup::Column::LeaveStatus.is_in([LeaveStatus::Rejected, LeaveStatus::Withdrawn])),
        )
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(AppError::conflict(
            "LEAVE_ALREADY_REQUESTED",
            "已有待处理或已批准的请假申请",
        ));
    }
    let row = leave_request::ActiveModel {
        activity_id: Set(activity.id),
        signup_id: Set(signup.id),
        user_id: Set(user.id),
        station_id: Set(activity.station_id),
        reason: Set(req.reason),
        reason_category: Set(req.reason_category),
        status: Set(LeaveStatus::Pending),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // The people who decide are told: the host and the secretary who drafted it, and the
    // directors when only a director may decide (a training, or a staff member's own leave).
    // A director's own leave, with no other director in the station, goes to the admins.
    let mut to = vec![activity.host_id, activity.created_by];
    let own_staff = user.is_staff_of(activity.station_id) && !user.is_admin();
    if is_training(&activity) || own_staff {
        let mut directors = directors_of(&txn, activity.station_id).await?;
        directors.retain(|id| *id != user.id);
        if directors.is_empty() && own_staff {
            directors = admins(&txn).await?;
        }
        to.extend(directors);
    }
    to.sort_unstable();
    to.dedup();
    to.retain(|id| *id != user.id);
    notify(
        &txn,
        &to,
        &Notice {
            kind: NotificationKind::LeaveRequested,
            title: "新的请假申请".into(),
            body: format!("活动「{}」有新的请假申请待审批", activity.title),
            about: about(row.id),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The leave request if the caller may see it (requester, staff of the station, supervisor).
pub async fn find_visible(db: &impl ConnectionTrait, user: &AuthUser, id: i32) -> AppResult<leave_request::Model> {
    leave_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|row| row.user_id == user.id || user.can_oversee(row.station_id))
        .ok_or_else(|| AppError::not_found("请假申请不存在"))
}

/// Approves, rejects or withdraws. Approval frees the place (promoting the waitlist) and
/// excuses the absence, in one transaction.
pub async fn decide(
    db: &DatabaseConnection,
    user: &AuthUser,
    origin: &Origin,
    id: i32,
    action: LeaveAction,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<leave_request::Model> {
    let row = find_visible(db, user, id).await?;
    let activity = activities::find(db, row.activity_id).await?;
    let staff = staff_requesters(db, vec![row.user_id]).await?;
    let to = state::next(
        row.status,
        action,
        actor(user, &row, &activity, is_staff_requester(&staff, &row), now),
    )
    .map_err(refusal)?;
    let txn = db.begin().await?;
    if action == LeaveAction::Approve {
        lock_activity(&txn, activity.id).await?;
    }
    let mut update = leave_request::Entity::update_many()
        .col_expr(leave_request::Column::Status, Expr::value(to))
        .col_expr(leave_request::Column::UpdatedAt, Expr::value(now));
    if action != LeaveAction::Withdraw {
        update = update
            .col_expr(leave_request::Column::Comment, Expr::value(comment.clone()))
            .col_expr(leave_request::Column::DecidedBy, Expr::value(user.id))
            .col_expr(leave_request::Column::DecidedAt, Expr::value(now));
    }
    // Guarded in the database too: still pending and the activity not yet started.
    let changed = update
        .filter(leave_request::Column::Id.eq(id))
        .filter(leave_request::Column::Status.eq(LeaveStatus::Pending))
        .filter(
            leave_request::Column::ActivityId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(activity::Column::Id)
                    .from(activity::Entity)
                    .and_where(activity::Column::StartsAt.gt(now))
                    .to_owned(),
            ),
        )
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(refusal(LeaveRefusal::NotPending));
    }
    let signup = activity_signup::Entity::find_by_id(row.signup_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("报名不存在"))?;
    let mut signup_update = activity_signup::Entity::update_many()
        .col_expr(activity_signup::Column::LeaveStatus, Expr::value(to))
        .col_expr(activity_signup::Column::UpdatedAt, Expr::value(now));
    let held_place = signup.status == SignupStatus::Confirmed;
    if action == LeaveAction::Approve && signup.status != SignupStatus::Cancelled {
        signup_update = signup_update
            .col_expr(activity_signup::Column::Status, Expr::value(SignupStatus::Cancelled))
            .col_expr(activity_signup::Column::Attendance, Expr::value(Attendance::Excused))
            .col_expr(activity_signup::Column::CancelledAt, Expr::value(now));
    }
    signup_update
        .filter(activity_signup::Column::Id.eq(signup.id))
        .exec(&txn)
        .await?;
    if action == LeaveAction::Approve && held_place {
        free_place(&txn, &activity, now).await?;
    }
    let audited = match action {
        LeaveAction::Approve => Some(AuditAction::LeaveApproved),
        LeaveAction::Reject => Some(AuditAction::LeaveRejected),
        LeaveAction::Withdraw => None,
    };
    if let Some(audited) = audited {
        let entry = AuditEntry::new(user, origin, audited, "leave_request", id)
            .station(Some(activity.station_id))
            .detail(serde_json::json!({ "activity_id": activity.id, "requester_id": row.user_id, "comment": comment }));
        audit::record(&txn, entry, now).await?;
    }
    let (who, title) = match action {
        LeaveAction::Approve => (vec![row.user_id], "请假已批准"),
        LeaveAction::Reject => (vec![row.user_id], "请假未获批准"),
        LeaveAction::Withdraw => (vec![activity.host_id], "请假申请已撤回"),
    };
    notify(
        &txn,
        &who,
        &Notice {
            kind: match action {
                LeaveAction::Approve => NotificationKind::LeaveApproved,
                LeaveAction::Reject => NotificationKind::LeaveRejected,
                LeaveAction::Withdraw => NotificationKind::LeaveWithdrawn,
            },
            title: title.into(),
            body: format!(
                "活动「{}」的请假申请：{}{}",
                activity.title,
                title,
                comment.map(|c| format!("（{c}）")).unwrap_or_default()
            ),
            about: about(id),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    find_visible(db, user, id).await
}

/// Own requests; staff also see their station's, supervisors their district's, admins every station's.
pub async fn list(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    filter: LeaveFilter,
    page: &Pagination,
    now: DateTime<Utc>,
) -> AppResult<(Vec<LeaveResponse>, u64)> {
    let mut query = leave_request::Entity::find();
    if user.reads_across_stations() {
        query = query.filter(user.listing_station(None)?.condition(leave_request::Column::StationId));
    } else {
        let mut visible = Condition::any().add(leave_request::Column::UserId.eq(user.id));
        if user.is_staff()
            && let Some(station) = user.station_id
        {
            visible = visible.add(leave_request::Column::StationId.eq(station));
        }
        query = query.filter(visible);
    }
    if let Some(status) = filter.status {
        query = query.filter(leave_request::Column::Status.eq(status));
    }
    if let Some(activity_id) = filter.activity_id {
        query = query.filter(leave_request::Column::ActivityId.eq(activity_id));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(leave_request::Column::Id)
        .offset(page.offset())
        .limit(page.page_size())
        .all(db)
        .await?;
    Ok((responses(db, user, rows, now).await?, total))
}

/// The job sweep: every leave request still pending when its activity starts is closed as
/// `expired` and the requester told. One conditional update per request (`WHERE status =
/// 'pending'`), each with its notice in one transaction, so several processes sweeping at once
/// close and report each request exactly once. Returns how many it closed.
pub async fn expire_started(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<u64> {
    let started = sea_orm::sea_query::Query::select()
        .column(activity::Column::Id)
        .from(activity::Entity)
        .and_where(activity::Column::StartsAt.lte(now))
        .to_owned();
    let due = leave_request::Entity::find()
        .filter(leave_request::Column::Status.eq(LeaveStatus::Pending))
        .filter(leave_request::Column::ActivityId.in_subquery(started))
        .order_by_asc(leave_request::Column::Id)
        .all(db)
        .await?;
    let titles: HashMap<i32, String> = activity::Entity::find()
        .filter(activity::Column::Id.is_in(due.iter().map(|r| r.activity_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.title))
        .collect();
    let mut expired = 0;
    for row in due {
        let txn = db.begin().await?;
        let changed = leave_request::Entity::update_many()
            .col_expr(leave_request::Column::Status, Expr::value(LeaveStatus::Expired))
            .col_expr(leave_request::Column::UpdatedAt, Expr::value(now))
            .filter(leave_request::Column::Id.eq(row.id))
            .filter(leave_request::Column::Status.eq(LeaveStatus::Pending))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 0 {
            txn.rollback().await?;
            continue;
        }
        activity_signup::Entity::update_many()
            .col_expr(activity_signup::Column::LeaveStatus, Expr::value(LeaveStatus::Expired))
            .col_expr(activity_signup::Column::UpdatedAt, Expr::value(now))
            .filter(activity_signup::Column::Id.eq(row.signup_id))
            .filter(activity_signup::Column::LeaveStatus.eq(LeaveStatus::Pending))
            .exec(&txn)
            .await?;
        let title = titles.get(&row.activity_id).cloned().unwrap_or_default();
        notify(
            &txn,
            &[row.user_id],
            &Notice {
                kind: NotificationKind::LeaveExpired,
                title: "请假申请已过期".into(),
                body: format!("活动「{title}」已开始，您的请假申请未在开始前获得审批，已自动关闭"),
                about: about(row.id),
            },
            now,
        )
        .await?;
        txn.commit().await?;
        expired += 1;
    }
    Ok(expired)
}
