//! Activity rules and queries: drafting, approval, browsing, finishing and the record.

use crate::audit::types::AuditAction;
use crate::notifications::types::NotificationKind;
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use entity::{activity, activity_signup, user};
use sea_orm::{
    ActiveValue::Set,
    Condition, ConnectionTrait, DatabaseConnection, FromQueryResult, IntoActiveModel, QueryOrder, QuerySelect,
    TransactionTrait,
    prelude::*,
    sea_query::{Expr, ExprTrait},
};

use super::signups;
use super::state::{
    self, Action, ActivityStatus, Actor, Attendance, Participation, Refusal, SignupStatus, effective_status,
};
use super::types::*;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::roles::Role;
use crate::clock::CHINA;
use crate::hours::{service as hours, types::HoursSource};
use crate::http::{AppError, AppResult, AuthUser, Pagination};
use crate::leave::state::LeaveStatus;
use crate::notifications::service::{About, Notice, notify};

/// The activity, or 404.
pub async fn find(db: &impl ConnectionTrait, id: i32) -> AppResult<activity::Model> {
    activity::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("活动不存在"))
}

/// The caller's relation to the activity.
pub fn actor(user: Option<&AuthUser>, model: &activity::Model) -> Actor {
    Actor {
        staff: user.is_some_and(|u| u.is_staff_of(model.station_id)),
        director: user.is_some_and(|u| u.is_director_of(model.station_id)),
        host: user.is_some_and(|u| u.id == model.host_id),
        attended: false,
    }
}

/// Residents see an activity once it has been published; staff of its station, supervisors
/// and its host see it from the draft on.
pub fn can_see(user: Option<&AuthUser>, model: &activity::Model) -> bool {
    model.published_at.is_some() || user.is_some_and(|u| u.can_oversee(model.station_id) || u.id == model.host_id)
}

/// Whether the caller may see the activity's record (summary, minutes, materials and their
/// files): its host, staff of its station and supervisors over it, and those who took part
/// (a confirmed sign-up).
pub fn can_see_record(user: Option<&AuthUser>, model: &activity::Model, participant: bool) -> bool {
    can_see(user, model)
        && (participant || user.is_some_and(|u| u.can_oversee(model.station_id) || u.id == model.host_id))
}

/// [`can_see_record`] of the activity `id` for `user`, reading their sign-up (false when the
/// activity does not exist).
pub async fn may_see_record(db: &impl ConnectionTrait, user: &AuthUser, id: i32) -> AppResult<bool> {
    let Some(model) = activity::Entity::find_by_id(id).one(db).await? else {
        return Ok(false);
    };
    if can_see_record(Some(user), &model, false) {
        return Ok(true);
    }
    let participant = activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(id))
        .filter(activity_signup::Column::UserId.eq(user.id))
        .filter(activity_signup::Column::Status.eq(SignupStatus::Confirmed))
        .count(db)
        .await?
        > 0;
    Ok(can_see_record(Some(user), &model, participant))
}

/// The activity if the caller may see it, else 404.
pub async fn find_visible(db: &impl ConnectionTrait, user: Option<&AuthUser>, id: i32) -> AppResult<activity::Model> {
    let model = find(db, id).await?;
    if can_see(user, &model) {
        Ok(model)
    } else {
        Err(AppError::not_found("活动不存在"))
    }
}

/// The activity a change is asked for: 404 for callers who may not see it, except staff of
/// another station, who learn it is not theirs to change (403).
pub async fn find_for_change(db: &impl ConnectionTrait, user: &AuthUser, id: i32) -> AppResult<activity::Model> {
    let model = find(db, id).await?;
    if can_see(Some(user), &model) {
        Ok(model)
    } else if user.is_staff() {
        Err(AppError::forbidden("FORBIDDEN", "只能管理本实践站的活动"))
    } else {
        Err(AppError::not_found("活动不存在"))
    }
}

fn refusal(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::Forbidden => AppError::forbidden("FORBIDDEN", "当前账号无权进行此操作"),
        Refusal::DirectorRequired => AppError::forbidden("DIRECTOR_REQUIRED", "须由本站站长审批"),
        Refusal::OwnAttendance => AppError::forbidden(
            "OWN_ATTENDANCE",
            "您本人参加了该活动，不能确认本人的考勤与时长，须由其他工作人员确认",
        ),
        Refusal::HostCannotConfirm => AppError::forbidden(
            "HOST_CANNOT_CONFIRM",
            "主持人不能确认本人主持活动的考勤与时长，须由传习秘书（秘书主持时由站长）确认",
        ),
        Refusal::WrongState => AppError::conflict("ACTIVITY_STATE_CONFLICT", "活动当前状态不允许此操作"),
    }
}

/// Checks that the caller may take `action` now; returns the next state.
pub fn check(
    user: &AuthUser,
    model: &activity::Model,
    action: Action,
    now: DateTime<Utc>,
) -> AppResult<ActivityStatus> {
    let status = effective_status(model.status, model.starts_at, now);
    state::next(status, action, actor(Some(user), model)).map_err(refusal)
}

/// Who may sign up: everyone for `public`, volunteer-role holders for `volunteers`, users of
/// the station for `members`.
pub fn audience_allows(audience: Audience, station_id: i32, roles: &[Role], home: Option<i32>) -> bool {
    match audience {
        Audience::Public => true,
        Audience::Volunteers => roles.contains(&Role::Volunteer),
        Audience::Members => home == Some(station_id),
    }
}

/// The caller's roles and home station, from their access token: the token was checked against
/// the account's version on this request, and every role change bumps it (a token with stale
/// roles is refused before it gets here); a user's station is set when the account is made and
/// never changes. No query.
pub fn caller_facts(user: &AuthUser) -> (Vec<Role>, Option<i32>) {
    (user.roles.clone(), user.station_id)
}

/// Someone else's current roles and home station (a staff member signing a resident up).
pub async fn member_facts(db: &impl ConnectionTrait, user_id: i32) -> AppResult<(Vec<Role>, Option<i32>)> {
    let roles = crate::users::service::roles_of(db, user_id).await?;
    let home = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .and_then(|u| u.station_id);
    Ok((roles, home))
}

#[derive(Debug, FromQueryResult)]
struct ActivityCount {
    activity_id: i32,
    n: i64,
}

async fn waitlisted_counts(db: &impl ConnectionTrait, ids: &[i32]) -> AppResult<HashMap<i32, i64>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = activity_signup::Entity::find()
        .select_only()
        .column(activity_signup::Column::ActivityId)
        .column_as(activity_signup::Column::Id.count(), "n")
        .filter(activity_signup::Column::ActivityId.is_in(ids.to_vec()))
        .filter(activity_signup::Column::Status.eq(SignupStatus::Waitlisted))
        .group_by(activity_signup::Column::ActivityId)
        .into_model::<ActivityCount>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.activity_id, r.n)).collect())
}

/// Builds responses for the caller, with their own sign-ups and allowed actions.
pub async fn responses(
    db: &impl ConnectionTrait,
    user: Option<&AuthUser>,
    models: Vec<activity::Model>,
    now: DateTime<Utc>,
) -> AppResult<Vec<ActivityResponse>> {
    let ids: Vec<i32> = models.iter().map(|m| m.id).collect();
    let waitlisted = waitlisted_counts(db, &ids).await?;
    let recorded: Vec<i32> = models
        .iter()
        .filter(|m| m.record_summary.is_some())
        .map(|m| m.id)
        .collect();
    let mut files =
        crate::uploads::service::photos_of(db, crate::uploads::service::Attachment::ActivityRecord, &recorded).await?;
    let mut mine: HashMap<i32, activity_signup::Model> = HashMap::new();
    let mut facts = (Vec::new(), None);
    if let Some(user) = user
        && !ids.is_empty()
    {
        mine = activity_signup::Entity::find()
            .filter(activity_signup::Column::UserId.eq(user.id))
            .filter(activity_signup::Column::ActivityId.is_in(ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.activity_id, s))
            .collect();
        facts = caller_facts(user);
    }
    let mut out = Vec::with_capacity(models.len());
    for model in models {
        let my = match mine.remove(&model.id) {
            Some(signup) => {
                let position = signups::position(db, &signup).await?;
                Some((signup, position))
            }
            None => None,
        };
        let count = waitlisted.get(&model.id).copied().unwrap_or(0);
        let record_files = files.remove(&model.id).unwrap_or_default();
        out.push(response(user, model, my, count, &facts, record_files, now));
    }
    Ok(out)
}

/// One activity for the caller.
pub async fn one(
    db: &impl ConnectionTrait,
    user: Option<&AuthUser>,
    model: activity::Model,
    now: DateTime<Utc>,
) -> AppResult<ActivityResponse> {
    let mut list = responses(db, user, vec![model], now).await?;
    list.pop().ok_or_else(|| AppError::not_found("活动不存在"))
}

fn response(
    user: Option<&AuthUser>,
    model: activity::Model,
    my: Option<(activity_signup::Model, Option<i64>)>,
    waitlisted_count: i64,
    facts: &(Vec<Role>, Option<i32>),
    record_files: Vec<crate::uploads::types::UploadPhoto>,
    now: DateTime<Utc>,
) -> ActivityResponse {
    let participant = my.as_ref().is_some_and(|(s, _)| s.status == SignupStatus::Confirmed);
    let record_visible = can_see_record(user, &model, participant);
    let status = effective_status(model.status, model.starts_at, now);
    let audience = model.audience;
    let actor = Actor {
        attended: my.as_ref().is_some_and(|(s, _)| s.checked_in_at.is_some()),
        ..actor(user, &model)
    };
    let signup_open = state::signup_open(
        status,
        model.starts_at,
        model.signup_opens_at,
        model.signup_closes_at,
        now,
    );
    let mut allowed_actions = state::allowed_actions(status, actor);
    if user.is_some() {
        let participation = my
            .as_ref()
            .map(|(s, _)| Participation {
                status: Some(s.status),
                checked_in: s.checked_in_at.is_some(),
                checked_out: s.checked_out_at.is_some(),
                leave_open: matches!(s.leave_status, Some(LeaveStatus::Pending | LeaveStatus::Approved)),
            })
            .unwrap_or_default();
        allowed_actions.extend(state::participant_actions(
            status,
            signup_open,
            audience_allows(audience, model.station_id, &facts.0, facts.1),
            state::checkin_open(model.starts_at, model.ends_at, now),
            model.starts_at,
            now,
            participation,
        ));
    }
    let record = model
        .record_summary
        .clone()
        .filter(|_| record_visible)
        .map(|summary| RecordResponse {
            summary,
            minutes: model.record_minutes.clone(),
            materials: model.record_materials.clone(),
            material_files: record_files,
            attendance_confirmed_at: model.attendance_confirmed_at,
        });
    ActivityResponse {
        id: model.id,
        station_id: model.station_id,
        title: model.title,
        kind: model.kind,
        platform_id: model.platform_id,
        description: model.description,
        location: model.location,
        theme: model.theme,
        focus_group: model.focus_group,
        plan_id: model.plan_id,
        plan_item_id: model.plan_item_id,
        starts_at: model.starts_at,
        ends_at: model.ends_at,
        capacity: model.capacity,
        confirmed_count: model.confirmed_count,
        waitlisted_count,
        places_left: Ord::max(model.capacity - model.confirmed_count, 0),
        signup_opens_at: model.signup_opens_at,
        signup_closes_at: model.signup_closes_at,
        signup_open,
        audience,
        host_id: model.host_id,
        created_by: model.created_by,
        status,
        reject_reason: model.reject_reason,
        cancel_reason: model.cancel_reason,
        published_at: model.published_at,
        finished_at: model.finished_at,
        record,
        my_signup: my.map(|(s, position)| MySignup {
            id: s.id,
            status: s.status,
            position,
            leave: s.leave_status,
            checked_in_at: s.checked_in_at,
            checked_out_at: s.checked_out_at,
        }),
        allowed_actions,
        created_at: model.created_at,
        updated_at: model.updated_at,
    }
}

/// The times of a draft, checked together.
fn check_times(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    opens: Option<DateTime<Utc>>,
    closes: Option<DateTime<Utc>>,
) -> AppResult<()> {
    if ends_at <= starts_at {
        return Err(AppError::invalid_field("ends_at", "结束时间须晚于开始时间"));
    }
    if let Some(closes) = closes {
        if closes > starts_at {
            return Err(AppError::invalid_field(
                "signup_closes_at",
                "报名截止时间不得晚于开始时间",
            ));
        }
        if opens.is_some_and(|o| o >= closes) {
            return Err(AppError::invalid_field("signup_opens_at", "报名开始时间须早于截止时间"));
        }
    } else if opens.is_some_and(|o| o >= starts_at) {
        return Err(AppError::invalid_field(
            "signup_opens_at",
            "报名开始时间须早于活动开始时间",
        ));
    }
    Ok(())
}

/// A new or moved start must lie in the future (422 on `starts_at`).
fn check_future_start(starts_at: DateTime<Utc>, now: DateTime<Utc>) -> AppResult<()> {
    if starts_at <= now {
        return Err(AppError::invalid_field("starts_at", "开始时间须晚于当前时间"));
    }
    Ok(())
}

/// The directors of a station (they approve activities).
pub async fn directors_of(db: &impl ConnectionTrait, station_id: i32) -> AppResult<Vec<i32>> {
    Ok(user::Entity::find()
        .filter(user::Column::StationId.eq(station_id))
        .inner_join(entity::user_role::Entity)
        .filter(entity::user_role::Column::Role.eq(Role::Director.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect())
}

/// A host must be a user of the station.
async fn check_host(db: &impl ConnectionTrait, host_id: i32, station_id: i32) -> AppResult<()> {
    let host = user::Entity::find_by_id(host_id).one(db).await?;
    if host.is_none_or(|h| h.station_id != Some(station_id)) {
        return Err(AppError::invalid_field("host_id", "主持人须为本实践站的用户"));
    }
    Ok(())
}

/// Drafts an activity. Roles: secretary or director of the station (admin names the station).
pub async fn create(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    req: CreateActivityRequest,
    now: DateTime<Utc>,
) -> AppResult<activity::Model> {
    user.require_any(&[Role::Secretary, Role::Director, Role::Admin])?;
    let station_id = if user.is_admin() {
        user.station_or_home(req.station_id)?
    } else {
        user.home_station()?
    };
    user.require_staff_of(station_id)?;
    crate::stations::service::ensure_exists(db, station_id, "station_id").await?;
    crate::platforms::service::ensure_usable(db, req.platform_id, station_id, "platform_id").await?;
    check_future_start(req.starts_at, now)?;
    check_times(req.starts_at, req.ends_at, req.signup_opens_at, req.signup_closes_at)?;
    let host_id = req.host_id.unwrap_or(user.id);
    if req.host_id.is_some() {
        check_host(db, host_id, station_id).await?;
    }
    let link = crate::plans::service::check_activity_link(db, station_id, req.plan_id, req.plan_item_id).await?;
    Ok(activity::ActiveModel {
        station_id: Set(station_id),
        title: Set(req.title),
        kind: Set(req.kind),
        platform_id: Set(req.platform_id),
        description: Set(req.description),
        location: Set(req.location),
        theme: Set(req.theme),
        focus_group: Set(req.focus_group),
        plan_id: Set(link.plan_id),
        plan_item_id: Set(link.plan_item_id),
        starts_at: Set(req.starts_at),
        ends_at: Set(req.ends_at),
        capacity: Set(req.capacity),
        signup_opens_at: Set(req.signup_opens_at),
        signup_closes_at: Set(req.signup_closes_at),
        audience: Set(req.audience.unwrap_or(Audience::Public)),
        host_id: Set(host_id),
        created_by: Set(user.id),
        status: Set(ActivityStatus::Draft),
        confirmed_count: Set(0),
        waitlist_seq: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Edits a draft. Roles: staff of the station.
pub async fn update(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    id: i32,
    req: UpdateActivityRequest,
    now: DateTime<Utc>,
) -> AppResult<activity::Model> {
    let model = find_for_change(db, user, id).await?;
    check(user, &model, Action::Edit, now)?;
    if let Some(platform_id) = req.platform_id {
        crate::platforms::service::ensure_usable(db, platform_id, model.station_id, "platform_id").await?;
    }
    if let Some(host_id) = req.host_id {
        check_host(db, host_id, model.station_id).await?;
    }
    if let Some(starts_at) = req.starts_at {
        check_future_start(starts_at, now)?;
    }
    let link = if req.plan_id.is_some() || req.plan_item_id.is_some() {
        // Naming the plan alone keeps the current item only when it is the same plan.
        let item = req
            .plan_item_id
            .or(model.plan_item_id.filter(|_| req.plan_id == model.plan_id));
        Some(crate::plans::service::check_activity_link(db, model.station_id, req.plan_id, item).await?)
    } else {
        None
    };
    let starts_at = req.starts_at.unwrap_or(model.starts_at);
    let ends_at = req.ends_at.unwrap_or(model.ends_at);
    let opens = req.signup_opens_at.or(model.signup_opens_at);
    let closes = req.signup_closes_at.or(model.signup_closes_at);
    check_times(starts_at, ends_at, opens, closes)?;
    let mut active = model.into_active_model();
    if let Some(v) = req.title {
        active.title = Set(v);
    }
    if let Some(v) = req.kind {
        active.kind = Set(v);
    }
    if let Some(v) = req.platform_id {
        active.platform_id = Set(v);
    }
    if let Some(v) = req.description {
        active.description = Set(v);
    }
    if let Some(v) = req.location {
        active.location = Set(v);
    }
    if let Some(v) = req.capacity {
        active.capacity = Set(v);
    }
    if let Some(v) = req.audience {
        active.audience = Set(v);
    }
    if let Some(v) = req.host_id {
        active.host_id = Set(v);
    }
    if req.theme.is_some() {
        active.theme = Set(req.theme);
    }
    if let Some(link) = link {
        active.plan_id = Set(link.plan_id);
        active.plan_item_id = Set(link.plan_item_id);
    }
    if let Some(group) = req.focus_group {
        active.focus_group = Set(Some(group));
    }
    active.starts_at = Set(starts_at);
    active.ends_at = Set(ends_at);
    active.signup_opens_at = Set(opens);
    active.signup_closes_at = Set(closes);
    active.updated_at = Set(now);
    // Only a draft is edited: the guard makes a concurrent submit win cleanly.
    let result = activity::Entity::update_many()
        .set(active)
        .filter(activity::Column::Id.eq(id))
        .filter(activity::Column::Status.eq(ActivityStatus::Draft))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(refusal(Refusal::WrongState));
    }
    find(db, id).await
}

/// Moves the activity from `from` to `to` with one guarded update, plus `extra` columns.
async fn move_state(
    db: &impl ConnectionTrait,
    id: i32,
    from: &[ActivityStatus],
    to: ActivityStatus,
    extra: Vec<(activity::Column, Expr)>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut update = activity::Entity::update_many()
        .col_expr(activity::Column::Status, Expr::value(to))
        .col_expr(activity::Column::UpdatedAt, Expr::value(now));
    for (column, value) in extra {
        update = update.col_expr(column, value);
    }
    let result = update
        .filter(activity::Column::Id.eq(id))
        .filter(activity::Column::Status.is_in(from.iter().copied()))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(refusal(Refusal::WrongState));
    }
    Ok(())
}

/// Who is signed up (confirmed or waitlisted).
async fn signed_up_users(db: &impl ConnectionTrait, activity_id: i32) -> AppResult<Vec<i32>> {
    Ok(activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(activity_id))
        .filter(activity_signup::Column::Status.ne(SignupStatus::Cancelled))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.user_id)
        .collect())
}

fn about(id: i32) -> Option<About> {
    Some(About {
        resource_type: "activity",
        resource_id: id,
    })
}

/// With the activity cancelled (in the same transaction): every sign-up and waitlist place is
/// cancelled, every pending leave request is closed as `cancelled`, and each person is told
/// why.
async fn close_signups(
    txn: &impl ConnectionTrait,
    model: &activity::Model,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::leave::state::LeaveStatus;
    let users = signed_up_users(txn, model.id).await?;
    activity_signup::Entity::update_many()
        .col_expr(activity_signup::Column::Status, Expr::value(SignupStatus::Cancelled))
        .col_expr(activity_signup::Column::CancelledAt, Expr::value(now))
        .col_expr(activity_signup::Column::UpdatedAt, Expr::value(now))
        .filter(activity_signup::Column::ActivityId.eq(model.id))
        .filter(activity_signup::Column::Status.ne(SignupStatus::Cancelled))
        .exec(txn)
        .await?;
    activity_signup::Entity::update_many()
        .col_expr(
            activity_signup::Column::LeaveStatus,
            Expr::value(LeaveStatus::Cancelled),
        )
        .filter(activity_signup::Column::ActivityId.eq(model.id))
        .filter(activity_signup::Column::LeaveStatus.eq(LeaveStatus::Pending))
        .exec(txn)
        .await?;
    entity::leave_request::Entity::update_many()
        .col_expr(
            entity::leave_request::Column::Status,
            Expr::value(LeaveStatus::Cancelled),
        )
        .col_expr(
            entity::leave_request::Column::Comment,
            Expr::value(format!("活动已取消：{reason}")),
        )
        .col_expr(entity::leave_request::Column::DecidedAt, Expr::value(now))
        .col_expr(entity::leave_request::Column::UpdatedAt, Expr::value(now))
        .filter(entity::leave_request::Column::ActivityId.eq(model.id))
        .filter(entity::leave_request::Column::Status.eq(LeaveStatus::Pending))
        .exec(txn)
        .await?;
    activity::Entity::update_many()
        .col_expr(activity::Column::ConfirmedCount, Expr::value(0))
        .filter(activity::Column::Id.eq(model.id))
        .exec(txn)
        .await?;
    notify(
        txn,
        &users,
        &Notice {
            kind: NotificationKind::ActivityCancelled,
            title: "活动已取消".into(),
            body: format!(
                "您报名的活动「{}」已取消，报名（含候补）和待审批的请假一并撤销。原因：{reason}",
                model.title
            ),
            about: about(model.id),
        },
        now,
    )
    .await
}

/// Submit, approve, reject, cancel or finish.
pub async fn transition(
    db: &DatabaseConnection,
    user: &AuthUser,
    origin: &Origin,
    id: i32,
    action: Action,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<activity::Model> {
    let model = find_for_change(db, user, id).await?;
    check(user, &model, action, now)?;
    let audited = match action {
        Action::Approve => Some(AuditAction::ActivityApproved),
        Action::Reject => Some(AuditAction::ActivityRejected),
        Action::Cancel => Some(AuditAction::ActivityCancelled),
        _ => None,
    };
    let audit_detail = serde_json::json!({ "reason": reason });
    let txn = db.begin().await?;
    use ActivityStatus as S;
    match action {
        Action::Submit => {
            move_state(&txn, id, &[S::Draft], S::PendingApproval, vec![], now).await?;
            let directors = directors_of(&txn, model.station_id).await?;
            notify(
                &txn,
                &directors,
                &Notice {
                    kind: NotificationKind::ActivitySubmitted,
                    title: "有活动待审批".into(),
                    body: format!(
                        "活动「{}」（{}）已提交，请审批",
                        model.title,
                        model.starts_at.with_timezone(&CHINA).format("%Y-%m-%d %H:%M")
                    ),
                    about: about(id),
                },
                now,
            )
            .await?;
        }
        Action::Approve => {
            // An activity whose start has passed can no longer be approved; the sweep cancels it.
            if model.starts_at <= now {
                return Err(AppError::conflict(
                    "ACTIVITY_START_PASSED",
                    "活动开始时间已过，不能再审批；请修改时间后重新提交",
                ));
            }
            move_state(
                &txn,
                id,
                &[S::PendingApproval],
                S::Published,
                vec![
                    (activity::Column::ApprovedBy, Expr::value(user.id)),
                    (activity::Column::PublishedAt, Expr::value(now)),
                    (activity::Column::RejectReason, Expr::value(Option::<String>::None)),
                ],
                now,
            )
            .await?;
            let mut to = vec![model.created_by, model.host_id];
            to.dedup();
            notify(
                &txn,
                &to,
                &Notice {
                    kind: NotificationKind::ActivityApproved,
                    title: "活动已通过审批".into(),
                    body: format!("活动「{}」已通过站长审批并发布", model.title),
                    about: about(id),
                },
                now,
            )
            .await?;
        }
        Action::Reject => {
            let reason = reason.unwrap_or_default();
            move_state(
                &txn,
                id,
                &[S::PendingApproval],
                S::Draft,
                vec![(activity::Column::RejectReason, Expr::value(reason.clone()))],
                now,
            )
            .await?;
            notify(
                &txn,
                &[model.created_by],
                &Notice {
                    kind: NotificationKind::ActivityRejected,
                    title: "活动未通过审批".into(),
                    body: format!("活动「{}」被退回：{reason}", model.title),
                    about: about(id),
                },
                now,
            )
            .await?;
        }
        Action::Cancel => {
            let reason = reason.unwrap_or_default();
            let stored_from: &[S] = match model.status {
                S::Published => &[S::Published],
                _ => &[S::Draft, S::PendingApproval],
            };
            // A published activity may be cancelled only before it starts.
            let mut update = activity::Entity::update_many()
                .col_expr(activity::Column::Status, Expr::value(S::Cancelled))
                .col_expr(activity::Column::CancelReason, Expr::value(reason.clone()))
                .col_expr(activity::Column::UpdatedAt, Expr::value(now))
                .filter(activity::Column::Id.eq(id))
                .filter(activity::Column::Status.is_in(stored_from.iter().copied()));
            if stored_from == [S::Published] {
                update = update.filter(activity::Column::StartsAt.gt(now));
            }
            if update.exec(&txn).await?.rows_affected == 0 {
                return Err(refusal(Refusal::WrongState));
            }
            close_signups(&txn, &model, &reason, now).await?;
        }
        Action::Finish => {
            let update = activity::Entity::update_many()
                .col_expr(activity::Column::Status, Expr::value(S::Finished))
                .col_expr(activity::Column::FinishedAt, Expr::value(now))
                .col_expr(activity::Column::UpdatedAt, Expr::value(now))
                .filter(activity::Column::Id.eq(id))
                .filter(activity::Column::Status.is_in([S::Published, S::Ongoing]))
                .filter(activity::Column::StartsAt.lte(now));
            if update.exec(&txn).await?.rows_affected == 0 {
                return Err(refusal(Refusal::WrongState));
            }
        }
        Action::Edit | Action::Record | Action::ConfirmAttendance | Action::CheckinCode => {
            return Err(refusal(Refusal::WrongState));
        }
    }
    if let Some(action) = audited {
        let entry = AuditEntry::new(user, origin, action, "activity", id)
            .station(Some(model.station_id))
            .detail(audit_detail);
        audit::record(&txn, entry, now).await?;
    }
    txn.commit().await?;
    find(db, id).await
}

/// Writes the record; with `attendance_confirmed` marks attendance, credits volunteers' hours
/// and archives the activity, all in one transaction. Roles: host or staff of the station.
pub async fn record(
    db: &DatabaseConnection,
    user: &AuthUser,
    id: i32,
    req: RecordRequest,
    now: DateTime<Utc>,
) -> AppResult<activity::Model> {
    let model = find_for_change(db, user, id).await?;
    check(user, &model, Action::Record, now)?;
    if req.attendance_confirmed {
        let attended = activity_signup::Entity::find()
            .filter(activity_signup::Column::ActivityId.eq(id))
            .filter(activity_signup::Column::UserId.eq(user.id))
            .filter(activity_signup::Column::Status.eq(SignupStatus::Confirmed))
            .filter(activity_signup::Column::CheckedInAt.is_not_null())
            .count(db)
            .await?
            > 0;
        let status = effective_status(model.status, model.starts_at, now);
        let me = Actor {
            attended,
            ..actor(Some(user), &model)
        };
        state::next(status, Action::ConfirmAttendance, me).map_err(refusal)?;
    }
    let txn = db.begin().await?;
    let mut update = activity::Entity::update_many()
        .col_expr(activity::Column::RecordSummary, Expr::value(req.summary))
        .col_expr(activity::Column::RecordMinutes, Expr::value(req.minutes))
        .col_expr(activity::Column::RecordMaterials, Expr::value(req.materials))
        .col_expr(activity::Column::UpdatedAt, Expr::value(now));
    if req.attendance_confirmed {
        update = update
            .col_expr(activity::Column::Status, Expr::value(ActivityStatus::Archived))
            .col_expr(activity::Column::AttendanceConfirmedAt, Expr::value(now));
    }
    let changed = update
        .filter(activity::Column::Id.eq(id))
        .filter(activity::Column::Status.eq(ActivityStatus::Finished))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(refusal(Refusal::WrongState));
    }
    if let Some(ids) = &req.material_ids {
        crate::uploads::service::replace(
            &txn,
            user.id,
            ids,
            crate::uploads::service::Attachment::ActivityRecord,
            id,
            "material_ids",
        )
        .await?;
    }
    if req.attendance_confirmed {
        let confirmed = activity_signup::Entity::find()
            .filter(activity_signup::Column::ActivityId.eq(id))
            .filter(activity_signup::Column::Status.eq(SignupStatus::Confirmed))
            .all(&txn)
            .await?;
        for signup in confirmed {
            let interval = state::attended_interval(
                model.starts_at,
                model.ends_at,
                model.finished_at,
                signup.checked_in_at,
                signup.checked_out_at,
            );
            let minutes = state::service_minutes(
                model.starts_at,
                model.ends_at,
                model.finished_at,
                signup.checked_in_at,
                signup.checked_out_at,
            );
            let attendance = if signup.checked_in_at.is_some() {
                Attendance::Attended
            } else if signup.leave_status == Some(LeaveStatus::Approved) {
                Attendance::Excused
            } else {
                Attendance::Absent
            };
            activity_signup::Entity::update_many()
                .col_expr(activity_signup::Column::Attendance, Expr::value(attendance))
                .col_expr(activity_signup::Column::Minutes, Expr::value(minutes))
                .col_expr(activity_signup::Column::UpdatedAt, Expr::value(now))
                .filter(activity_signup::Column::Id.eq(signup.id))
                .exec(&txn)
                .await?;
            let roles = crate::users::service::roles_of(&txn, signup.user_id).await?;
            if attendance == Attendance::Attended && minutes > 0 && roles.contains(&Role::Volunteer) {
                hours::credit(
                    &txn,
                    hours::Credit {
                        user_id: signup.user_id,
                        station_id: model.station_id,
                        source: HoursSource::Activity,
                        source_id: Some(id),
                        minutes,
                        note: Some(model.title.clone()),
                        recorded_by: Some(user.id),
                        interval,
                    },
                    now,
                )
                .await?;
            }
        }
    }
    txn.commit().await?;
    find(db, id).await
}

/// The start of a `YYYY-MM` month in China time, and the start of the next.
fn month_range(month: &str) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    let bad = || AppError::invalid_field("month", "月份格式须为 YYYY-MM");
    let (y, m) = month.split_once('-').ok_or_else(bad)?;
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    }
    .ok_or_else(bad)?;
    let china = CHINA;
    let at = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| china.from_local_datetime(&t).single())
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(bad)
    };
    Ok((at(first)?, at(next)?))
}

/// Browsing: published and upcoming by default; sorted by start; paginated.
pub async fn list(
    db: &impl ConnectionTrait,
    user: Option<&AuthUser>,
    filter: ActivityFilter,
    page: &Pagination,
    now: DateTime<Utc>,
) -> AppResult<(Vec<ActivityResponse>, u64)> {
    use ActivityStatus as S;
    let mut query = activity::Entity::find();
    // Visibility: published at some point, or the caller oversees the station.
    let mut visible = Condition::any().add(activity::Column::PublishedAt.is_not_null());
    if let Some(user) = user {
        if user.reads_across_stations() {
            visible = user.listing_station(None)?.condition(activity::Column::StationId);
        } else {
            if user.is_staff()
                && let Some(station) = user.station_id
            {
                visible = visible.add(activity::Column::StationId.eq(station));
            }
            visible = visible.add(activity::Column::HostId.eq(user.id));
        }
    }
    query = query.filter(visible);
    // The open states as literals, not bound values: the partial index of the published and
    // ongoing activities in start order (`idx_activities_open_by_start`) is then usable by a
    // prepared statement's generic plan too. Constants only; nothing from the request.
    let open_states = Expr::cust("\"activities\".\"status\" IN ('published', 'ongoing')");
    query = match filter.status {
        None => query.filter(open_states).filter(activity::Column::EndsAt.gte(now)),
        Some(S::Published) => query
            .filter(open_states)
            .filter(activity::Column::Status.eq(S::Published))
            .filter(activity::Column::StartsAt.gt(now)),
        Some(S::Ongoing) => query.filter(
            Condition::any().add(activity::Column::Status.eq(S::Ongoing)).add(
                Condition::all()
                    .add(activity::Column::Status.eq(S::Published))
                    .add(activity::Column::StartsAt.lte(now)),
            ),
        ),
        Some(other) => query.filter(activity::Column::Status.eq(other)),
    };
    if let Some(platform_id) = filter.platform_id {
        query = query.filter(activity::Column::PlatformId.eq(platform_id));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(activity::Column::Kind.eq(kind));
    }
    if let Some(month) = &filter.month {
        let (from, to) = month_range(month)?;
        query = query
            .filter(activity::Column::StartsAt.gte(from))
            .filter(activity::Column::StartsAt.lt(to));
    }
    if let Some(station_id) = filter.station_id {
        query = query.filter(activity::Column::StationId.eq(station_id));
    }
    if let Some(focus_group) = filter.focus_group {
        query = query.filter(activity::Column::FocusGroup.eq(focus_group));
    }
    if let Some(has_places) = filter.has_places {
        let places = Expr::col(activity::Column::ConfirmedCount).lt(Expr::col(activity::Column::Capacity));
        query = if has_places {
            query.filter(places)
        } else {
            query.filter(Expr::col(activity::Column::ConfirmedCount).gte(Expr::col(activity::Column::Capacity)))
        };
    }
    if let Some(q) = filter.q.filter(|q| !q.trim().is_empty()) {
        query = query.filter(activity::Column::Title.like(crate::http::hygiene::like_contains(q.trim())));
    }
    let total = query.clone().count(db).await?;
    let models = query
        .order_by_asc(activity::Column::StartsAt)
        .order_by_asc(activity::Column::Id)
        .offset(page.offset())
        .limit(page.page_size())
        .all(db)
        .await?;
    Ok((responses(db, user, models, now).await?, total))
}

/// A new check-in code for the activity; the previous code stops working. Roles: host or staff.
pub async fn new_checkin_code(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    id: i32,
    req: CheckinCodeRequest,
    now: DateTime<Utc>,
) -> AppResult<CheckinCodeResponse> {
    let model = find_for_change(db, user, id).await?;
    check(user, &model, Action::CheckinCode, now)?;
    let fence = match (req.latitude, req.longitude, req.radius_m) {
        (None, None, None) => None,
        (Some(latitude), Some(longitude), Some(radius_m)) => Some(Geofence {
            latitude,
            longitude,
            radius_m,
        }),
        _ => {
            return Err(AppError::invalid_field(
                "radius_m",
                "签到范围须同时给出纬度、经度和半径",
            ));
        }
    };
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let expires_at = now + Duration::minutes(req.ttl_minutes.unwrap_or(10));
    // Only the hash is kept; a new code (and its geofence) replaces the old one.
    let result = activity::Entity::update_many()
        .col_expr(
            activity::Column::CheckinCodeHash,
            Expr::value(signups::code_hash(id, &code)),
        )
        .col_expr(
            activity::Column::CheckinLatitude,
            Expr::value(fence.map(|f| f.latitude)),
        )
        .col_expr(
            activity::Column::CheckinLongitude,
            Expr::value(fence.map(|f| f.longitude)),
        )
        .col_expr(activity::Column::CheckinRadiusM, Expr::value(fence.map(|f| f.radius_m)))
        .col_expr(activity::Column::CheckinCodeExpiresAt, Expr::value(expires_at))
        .filter(activity::Column::Id.eq(id))
        .filter(activity::Column::Status.is_in([ActivityStatus::Published, ActivityStatus::Ongoing]))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(refusal(Refusal::WrongState));
    }
    Ok(CheckinCodeResponse {
        code,
        expires_at,
        geofence: fence,
    })
}

/// The job sweep: published activities whose start has come are ongoing. One conditional
/// update, safe in several processes at once.
pub async fn start_due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<u64> {
    Ok(activity::Entity::update_many()
        .col_expr(activity::Column::Status, Expr::value(ActivityStatus::Ongoing))
        .col_expr(activity::Column::UpdatedAt, Expr::value(now))
        .filter(activity::Column::Status.eq(ActivityStatus::Published))
        .filter(activity::Column::StartsAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

/// The job sweep: a `pending_approval` activity whose start has come without approval is
/// cancelled with a reason, and its creator (the secretary) is told. One guarded update per
/// row, so with several processes sweeping each activity is cancelled, and told of, once.
pub async fn cancel_unapproved<C: ConnectionTrait + TransactionTrait>(db: &C, now: DateTime<Utc>) -> AppResult<u64> {
    use sea_orm::TransactionSession;
    let due = activity::Entity::find()
        .filter(activity::Column::Status.eq(ActivityStatus::PendingApproval))
        .filter(activity::Column::StartsAt.lte(now))
        .all(db)
        .await?;
    let reason = "开始时间已到仍未获站长审批，系统自动取消";
    let mut changed = 0;
    for model in due {
        let txn = db.begin().await?;
        let result = activity::Entity::update_many()
            .col_expr(activity::Column::Status, Expr::value(ActivityStatus::Cancelled))
            .col_expr(activity::Column::CancelReason, Expr::value(reason))
            .col_expr(activity::Column::UpdatedAt, Expr::value(now))
            .filter(activity::Column::Id.eq(model.id))
            .filter(activity::Column::Status.eq(ActivityStatus::PendingApproval))
            .exec(&txn)
            .await?;
        if result.rows_affected == 1 {
            notify(
                &txn,
                &[model.created_by],
                &Notice {
                    kind: NotificationKind::ActivityCancelled,
                    title: "活动未获审批已取消".into(),
                    body: format!("活动「{}」{reason}", model.title),
                    about: about(model.id),
                },
                now,
            )
            .await?;
            changed += 1;
        }
        txn.commit().await?;
    }
    Ok(changed)
}

/// The job sweep: a published or ongoing activity `grace` past its scheduled end is finished
/// (at its scheduled end). One conditional update, safe in several processes at once.
pub async fn finish_overdue(db: &impl ConnectionTrait, grace: Duration, now: DateTime<Utc>) -> AppResult<u64> {
    Ok(activity::Entity::update_many()
        .col_expr(activity::Column::Status, Expr::value(ActivityStatus::Finished))
        .col_expr(activity::Column::FinishedAt, Expr::col(activity::Column::EndsAt))
        .col_expr(activity::Column::UpdatedAt, Expr::value(now))
        .filter(activity::Column::Status.is_in([ActivityStatus::Published, ActivityStatus::Ongoing]))
        .filter(activity::Column::EndsAt.lte(now - grace))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn months_are_taken_in_china_time() {
        let (from, to) = month_range("2026-12").unwrap_or_default();
        assert_eq!(from.to_rfc3339(), "2026-11-30T16:00:00+00:00");
        assert_eq!(to.year(), 2026);
        assert!(month_range("2026-13").is_err());
    }
}
