//! Volunteer and team rules and queries.

use crate::audit::types::AuditAction;
use crate::notifications::types::NotificationKind;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{order, team, team_member, user, user_role, volunteer, volunteer_application};
use sea_orm::{
    ActiveValue::Set,
    Condition, ConnectionTrait, FromQueryResult, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
    prelude::*,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};

use super::types::*;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::roles::{Role, StationScope};
use crate::http::{AppError, AppResult, AuthUser};
use crate::notifications::service::{About, Notice, notify};

/// Skills stored as a JSON array of names.
pub fn skills_of(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Whether a volunteer skill answers a wanted one: the same words, or one naming a part of the
/// other (`理发` answers `上门理发`), ignoring case and surrounding spaces.
pub fn skill_matches(have: &str, wanted: &str) -> bool {
    let (have, wanted) = (have.trim().to_lowercase(), wanted.trim().to_lowercase());
    !have.is_empty() && !wanted.is_empty() && (have.contains(&wanted) || wanted.contains(&have))
}

/// Of `user_ids`, the volunteers whose profile names a skill answering any of `wanted`.
pub async fn with_any_skill(db: &impl ConnectionTrait, user_ids: &[i32], wanted: &[String]) -> AppResult<Vec<i32>> {
    let profiles = volunteer::Entity::find()
        .filter(volunteer::Column::UserId.is_in(user_ids.iter().copied()))
        .all(db)
        .await?;
    Ok(profiles
        .into_iter()
        .filter(|p| {
            skills_of(&p.skills)
                .iter()
                .any(|have| wanted.iter().any(|w| skill_matches(have, w)))
        })
        .map(|p| p.user_id)
        .collect())
}

fn application(model: volunteer_application::Model) -> ApplicationResponse {
    ApplicationResponse {
        id: model.id,
        user_id: model.user_id,
        station_id: model.station_id,
        real_name: model.real_name,
        skills: skills_of(&model.skills),
        source: model.source,
        team_id: model.team_id,
        status: model.status,
        reason: model.reason,
        reviewed_by: model.reviewed_by,
        reviewed_at: model.reviewed_at,
        created_at: model.created_at,
    }
}

async fn is_volunteer(db: &impl ConnectionTrait, user_id: i32) -> AppResult<bool> {
    Ok(user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .filter(user_role::Column::Role.eq(Role::Volunteer.as_str()))
        .one(db)
        .await?
        .is_some())
}

/// Refuses with 422 on `volunteer_id` unless the user is a volunteer of the station.
pub async fn ensure_volunteer_of(db: &impl ConnectionTrait, user_id: i32, station_id: i32) -> AppResult<()> {
    let in_station = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .is_some_and(|u| u.station_id == Some(station_id));
    if in_station && is_volunteer(db, user_id).await? {
        Ok(())
    } else {
        Err(AppError::invalid_field("volunteer_id", "志愿者不存在或不属于本实践站"))
    }
}

/// The home station of a volunteer; 422 on `volunteer_id` when the user is no volunteer.
pub async fn volunteer_station(db: &impl ConnectionTrait, user_id: i32) -> AppResult<i32> {
    let station = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .and_then(|u| u.station_id);
    match station {
        Some(station_id) if is_volunteer(db, user_id).await? => Ok(station_id),
        _ => Err(AppError::invalid_field("volunteer_id", "志愿者不存在")),
    }
}

/// Refuses with 422 on `team_id` unless the team belongs to the station.
pub async fn ensure_team_of(db: &impl ConnectionTrait, team_id: i32, station_id: i32) -> AppResult<()> {
    let ok = team::Entity::find_by_id(team_id)
        .one(db)
        .await?
        .is_some_and(|t| t.station_id == station_id);
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid_field("team_id", "服务队不存在或不属于本实践站"))
    }
}

/// Files an application; one pending application per person (a unique key decides).
pub async fn apply(
    db: &impl ConnectionTrait,
    user_id: i32,
    station_id: i32,
    req: CreateApplicationRequest,
    now: DateTime<Utc>,
) -> AppResult<ApplicationResponse> {
    if is_volunteer(db, user_id).await? {
        return Err(AppError::conflict("ALREADY_VOLUNTEER", "您已是志愿者"));
    }
    if let Some(team_id) = req.team_id {
        ensure_team_of(db, team_id, station_id).await?;
    }
    let model = volunteer_application::ActiveModel {
        user_id: Set(user_id),
        station_id: Set(station_id),
        real_name: Set(req.real_name),
        skills: Set(serde_json::to_string(&req.skills).map_err(AppError::internal)?),
        source: Set(req.source),
        team_id: Set(req.team_id),
        status: Set(ApplicationStatus::Pending),
        pending_user_id: Set(Some(user_id)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => AppError::conflict("APPLICATION_PENDING", "您已有待审核的志愿者申请"),
        other => other,
    })?;
    Ok(application(model))
}

pub async fn find_application(db: &impl ConnectionTrait, id: i32) -> AppResult<volunteer_application::Model> {
    volunteer_application::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("申请不存在"))
}

/// Applications of a station (or one user's), newest first.
pub async fn list_applications(
    db: &impl ConnectionTrait,
    scope: &StationScope,
    user_id: Option<i32>,
    status: Option<ApplicationStatus>,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<ApplicationResponse>, u64)> {
    let mut query =
        volunteer_application::Entity::find().filter(scope.condition(volunteer_application::Column::StationId));
    if let Some(user_id) = user_id {
        query = query.filter(volunteer_application::Column::UserId.eq(user_id));
    }
    if let Some(status) = status {
        query = query.filter(volunteer_application::Column::Status.eq(status));
    }
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_desc(volunteer_application::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(application)
        .collect();
    Ok((items, total))
}

/// Staff of the application's station may review it, but never their own application (谁记录谁
/// 证明): 403 `SELF_APPROVAL`. Anyone else learns nothing (404) unless it is their own.
pub async fn ensure_reviewable(db: &impl ConnectionTrait, user: &AuthUser, id: i32) -> AppResult<()> {
    let app = find_application(db, id).await?;
    if app.user_id != user.id && !user.can_oversee(app.station_id) {
        return Err(AppError::not_found("申请不存在"));
    }
    user.require_staff_of(app.station_id)?;
    if app.user_id == user.id {
        return Err(AppError::forbidden(
            "SELF_APPROVAL",
            "不能审核本人的志愿者申请，请由本站其他工作人员审核",
        ));
    }
    Ok(())
}

fn not_pending() -> AppError {
    AppError::conflict("APPLICATION_NOT_PENDING", "该申请已审核")
}

/// Approves a pending application: the profile, the `volunteer` role, the team membership and
/// the applicant's notification in one transaction whose first statement is the guarded update.
pub async fn approve<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: i32,
    (reviewer, origin): (&AuthUser, &Origin),
    now: DateTime<Utc>,
) -> AppResult<ApplicationResponse> {
    let txn = db.begin().await?;
    let updated = volunteer_application::Entity::update_many()
        .col_expr(
            volunteer_application::Column::Status,
            Expr::value(ApplicationStatus::Approved),
        )
        .col_expr(volunteer_application::Column::PendingUserId, Expr::value(None::<i32>))
        .col_expr(
            volunteer_application::Column::ReviewedBy,
            Expr::value(Some(reviewer.id)),
        )
        .col_expr(volunteer_application::Column::ReviewedAt, Expr::value(Some(now)))
        .filter(volunteer_application::Column::Id.eq(id))
        .filter(volunteer_application::Column::Status.eq(ApplicationStatus::Pending))
        .exec(&txn)
        .await?
        .rows_affected;
    if updated == 0 {
        txn.rollback().await?;
        return Err(not_pending());
    }
    let app = find_application(&txn, id).await?;
    volunteer::Entity::insert(volunteer::ActiveModel {
        user_id: Set(app.user_id),
        station_id: Set(app.station_id),
        real_name: Set(app.real_name.clone()),
        skills: Set(app.skills.clone()),
        source: Set(app.source),
        approved_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(volunteer::Column::UserId)
            .update_columns([
                volunteer::Column::StationId,
                volunteer::Column::RealName,
                volunteer::Column::Skills,
                volunteer::Column::Source,
                volunteer::Column::ApprovedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    crate::users::service::add_role(&txn, app.user_id, Role::Volunteer).await?;
    if let Some(team_id) = app.team_id {
        add_member_row(&txn, team_id, app.user_id, now).await?;
    }
    let notice = Notice {
        kind: NotificationKind::VolunteerApproved,
        title: "您的志愿者申请已通过".into(),
        body: "重新登录后即可接单".into(),
        about: Some(About {
            resource_type: "volunteer_application",
            resource_id: id,
        }),
    };
    notify(&txn, &[app.user_id], &notice, now).await?;
    let entry = AuditEntry::new(
        reviewer,
        origin,
        AuditAction::VolunteerApplicationApproved,
        "volunteer_application",
        id,
    )
    .station(Some(app.station_id))
    .detail(serde_json::json!({ "applicant_id": app.user_id }));
    audit::record(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(application(app))
}

pub async fn reject<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    id: i32,
    (reviewer, origin): (&AuthUser, &Origin),
    reason: String,
    now: DateTime<Utc>,
) -> AppResult<ApplicationResponse> {
    let txn = db.begin().await?;
    let updated = volunteer_application::Entity::update_many()
        .col_expr(
            volunteer_application::Column::Status,
            Expr::value(ApplicationStatus::Rejected),
        )
        .col_expr(volunteer_application::Column::PendingUserId, Expr::value(None::<i32>))
        .col_expr(volunteer_application::Column::Reason, Expr::value(Some(reason.clone())))
        .col_expr(
            volunteer_application::Column::ReviewedBy,
            Expr::value(Some(reviewer.id)),
        )
        .col_expr(volunteer_application::Column::ReviewedAt, Expr::value(Some(now)))
        .filter(volunteer_application::Column::Id.eq(id))
        .filter(volunteer_application::Column::Status.eq(ApplicationStatus::Pending))
        .exec(&txn)
        .await?
        .rows_affected;
    if updated == 0 {
        txn.rollback().await?;
        return Err(not_pending());
    }
    let app = find_application(&txn, id).await?;
    let notice = Notice {
        kind: NotificationKind::VolunteerRejected,
        title: "您的志愿者申请未通过".into(),
        body: reason,
        about: Some(About {
            resource_type: "volunteer_application",
            resource_id: id,
        }),
    };
    notify(&txn, &[app.user_id], &notice, now).await?;
    let entry = AuditEntry::new(
        reviewer,
        origin,
        AuditAction::VolunteerApplicationRejected,
        "volunteer_application",
        id,
    )
    .station(Some(app.station_id))
    .detail(serde_json::json!({ "applicant_id": app.user_id, "reason": notice.body }));
    audit::record(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(application(app))
}

async fn add_member_row(db: &impl ConnectionTrait, team_id: i32, user_id: i32, now: DateTime<Utc>) -> AppResult<u64> {
    Ok(team_member::Entity::insert(team_member::ActiveModel {
        team_id: Set(team_id),
        user_id: Set(user_id),
        joined_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([team_member::Column::TeamId, team_member::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?)
}

#[derive(Debug, FromQueryResult)]
struct OrderStats {
    volunteer_id: Option<i32>,
    finished: i64,
    rated: i64,
    stars: Option<i64>,
}

/// Volunteers are users holding the `volunteer` role; the application profile (real name,
/// skills, source) is added when they came through an application.
fn volunteer_ids() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(user_role::Column::UserId)
        .from(user_role::Entity)
        .and_where(user_role::Column::Role.eq(Role::Volunteer.as_str()))
        .to_owned()
}

async fn profiles(db: &impl ConnectionTrait, users: Vec<user::Model>) -> AppResult<Vec<VolunteerResponse>> {
    let ids: Vec<i32> = users.iter().map(|u| u.id).collect();
    let mut details: HashMap<i32, volunteer::Model> = volunteer::Entity::find()
        .filter(volunteer::Column::UserId.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.user_id, v))
        .collect();
    let mut teams: HashMap<i32, Vec<i32>> = HashMap::new();
    for m in team_member::Entity::find()
        .filter(team_member::Column::UserId.is_in(ids.clone()))
        .order_by_asc(team_member::Column::TeamId)
        .all(db)
        .await?
    {
        teams.entry(m.user_id).or_default().push(m.team_id);
    }
    let minutes = crate::hours::service::total_minutes(db, &ids, None).await?;
    let stats: HashMap<i32, OrderStats> = order::Entity::find()
        .select_only()
        .column(order::Column::VolunteerId)
        .column_as(
            Expr::cust("SUM(CASE WHEN status IN ('completed', 'rated') THEN 1 ELSE 0 END)").cast_as("bigint"),
            "finished",
        )
        .column_as(order::Column::Stars.count().cast_as("bigint"), "rated")
        .column_as(order::Column::Stars.sum().cast_as("bigint"), "stars")
        .filter(order::Column::VolunteerId.is_in(ids))
        .group_by(order::Column::VolunteerId)
        .into_model::<OrderStats>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|s| s.volunteer_id.map(|v| (v, s)))
        .collect();
    Ok(users
        .into_iter()
        .map(|user| {
            let detail = details.remove(&user.id);
            let confirmed = minutes.get(&user.id).copied().unwrap_or(0);
            let stat = stats.get(&user.id);
            VolunteerResponse {
                id: user.id,
                user_id: user.id,
                real_name: detail
                    .as_ref()
                    .map(|d| d.real_name.clone())
                    .unwrap_or_else(|| user.name.clone()),
                name: user.name,
                phone: user.phone,
                skills: detail.as_ref().map(|d| skills_of(&d.skills)).unwrap_or_default(),
                source: detail.as_ref().map(|d| d.source),
                station_id: user.station_id,
                team_ids: teams.remove(&user.id).unwrap_or_default(),
                confirmed_minutes: confirmed,
                confirmed_hours: (confirmed as f64 / 60.0 * 100.0).round() / 100.0,
                finished_orders: stat.map(|s| u64::try_from(s.finished).unwrap_or(0)).unwrap_or(0),
                average_rating: stat.filter(|s| s.rated > 0).map(|s| {
                    let mean = s.stars.unwrap_or(0) as f64 / s.rated as f64;
                    (mean * 100.0).round() / 100.0
                }),
                approved_at: detail.map(|d| d.approved_at),
            }
        })
        .collect())
}

/// A user holding the `volunteer` role.
pub async fn find_volunteer(db: &impl ConnectionTrait, user_id: i32) -> AppResult<user::Model> {
    let found = user::Entity::find_by_id(user_id)
        .filter(user::Column::Id.in_subquery(volunteer_ids()))
        .one(db)
        .await?;
    found.ok_or_else(|| AppError::not_found("志愿者不存在"))
}

/// The volunteer, if the caller may see them: themself, staff of their station, supervisors
/// (404 for anyone else). The profile carries the phone in full, so opening someone else's is
/// audited (`phone.revealed`).
pub async fn find_visible_volunteer(
    db: &impl ConnectionTrait,
    (user, origin): (&AuthUser, &Origin),
    user_id: i32,
    now: DateTime<Utc>,
) -> AppResult<user::Model> {
    let model = find_volunteer(db, user_id).await?;
    let overseen = model.station_id.is_some_and(|s| user.can_oversee(s));
    if model.id != user.id && !overseen {
        return Err(AppError::not_found("志愿者不存在"));
    }
    if model.id != user.id {
        let entry = AuditEntry::new(user, origin, AuditAction::PhoneRevealed, "user", model.id)
            .station(model.station_id)
            .detail(serde_json::json!({ "fields": ["phone"] }));
        audit::record(db, entry, now).await?;
    }
    Ok(model)
}

pub async fn profile(db: &impl ConnectionTrait, model: user::Model) -> AppResult<VolunteerResponse> {
    profiles(db, vec![model])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("志愿者不存在"))
}

/// The skills asked for in `?skill=`: comma-separated (ASCII or full-width comma), trimmed,
/// empty ones dropped.
fn skill_terms(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split([',', '，'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A `LIKE` pattern finding `term` inside any skill of the stored JSON array: the term is
/// escaped as JSON text would be, then `%`, `_` and `\` are escaped for `LIKE`.
fn skill_pattern(term: &str) -> AppResult<sea_orm::sea_query::LikeExpr> {
    let json = serde_json::to_string(term).map_err(AppError::internal)?;
    let inner = json
        .strip_prefix('"')
        .and_then(|j| j.strip_suffix('"'))
        .unwrap_or(&json);
    Ok(crate::http::hygiene::like_contains(inner))
}

/// Volunteers matching the filter, newest first.
pub async fn list_volunteers(
    db: &impl ConnectionTrait,
    scope: &StationScope,
    filter: &VolunteerFilter,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<VolunteerResponse>, u64)> {
    let mut condition = Condition::all()
        .add(user::Column::Id.in_subquery(volunteer_ids()))
        .add(scope.condition(user::Column::StationId));
    let wanted = skill_terms(filter.skill.as_deref());
    if !wanted.is_empty() {
        let mut any = Condition::any();
        for term in wanted {
            any = any.add(Expr::col(volunteer::Column::Skills).like(skill_pattern(&term)?));
        }
        condition = condition.add(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(volunteer::Column::UserId)
                    .from(volunteer::Entity)
                    .cond_where(any)
                    .to_owned(),
            ),
        );
    }
    if let Some(team_id) = filter.team_id {
        condition = condition.add(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(team_member::Column::UserId)
                    .from(team_member::Entity)
                    .and_where(team_member::Column::TeamId.eq(team_id))
                    .to_owned(),
            ),
        );
    }
    if let Some(platform_id) = filter.platform_id {
        condition = condition.add(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(team_member::Column::UserId)
                    .from(team_member::Entity)
                    .and_where(
                        team_member::Column::TeamId.in_subquery(
                            Query::select()
                                .column(team::Column::Id)
                                .from(team::Entity)
                                .and_where(team::Column::PlatformId.eq(platform_id))
                                .to_owned(),
                        ),
                    )
                    .to_owned(),
            ),
        );
    }
    let query = user::Entity::find().filter(condition);
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(user::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((profiles(db, rows).await?, total))
}

async fn team_response(db: &impl ConnectionTrait, model: team::Model) -> AppResult<TeamResponse> {
    let member_ids = team_member::Entity::find()
        .filter(team_member::Column::TeamId.eq(model.id))
        .order_by_asc(team_member::Column::JoinedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    Ok(TeamResponse {
        id: model.id,
        station_id: model.station_id,
        platform_id: model.platform_id,
        name: model.name,
        description: model.description,
        leader_id: model.leader_id,
        member_ids,
        created_at: model.created_at,
    })
}

pub async fn find_team(db: &impl ConnectionTrait, id: i32) -> AppResult<team::Model> {
    team::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("服务队不存在"))
}

/// One team as the caller may see it: 404 when it belongs to a station the caller may not browse.
pub async fn visible_team(db: &impl ConnectionTrait, user: &AuthUser, id: i32) -> AppResult<TeamResponse> {
    let model = find_team(db, id).await?;
    if !may_browse_teams_of(user, model.station_id) {
        return Err(AppError::not_found("服务队不存在"));
    }
    team_response(db, model).await
}

/// Who may browse the teams of a station: anyone whose home station it is (staff, volunteers,
/// residents: teams show member ids, never phones), supervisors and admins.
fn may_browse_teams_of(user: &AuthUser, station_id: i32) -> bool {
    user.station_id == Some(station_id) || user.can_oversee(station_id)
}

/// Teams of the station (all stations with `None`), optionally of one platform or only those
/// `member_of` belongs to; oldest first, one page.
pub async fn list_teams(
    db: &impl ConnectionTrait,
    scope: &StationScope,
    platform_id: Option<i32>,
    member_of: Option<i32>,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<TeamResponse>, u64)> {
    let mut query = team::Entity::find()
        .filter(scope.condition(team::Column::StationId))
        .order_by_asc(team::Column::Id);
    if let Some(platform_id) = platform_id {
        query = query.filter(team::Column::PlatformId.eq(platform_id));
    }
    if let Some(user_id) = member_of {
        query = query.filter(
            team::Column::Id.in_subquery(
                Query::select()
                    .column(team_member::Column::TeamId)
                    .from(team_member::Entity)
                    .and_where(team_member::Column::UserId.eq(user_id))
                    .to_owned(),
            ),
        );
    }
    let (models, total) = crate::db::fetch_page(db, query, offset, limit).await?;
    let mut out = Vec::new();
    for model in models {
        out.push(team_response(db, model).await?);
    }
    Ok((out, total))
}

/// Creates a team of the caller's station (an admin names it); the platform must be usable by
/// the station and the leader, a volunteer of the station, becomes the first member.
pub async fn create_team<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    user: &AuthUser,
    req: CreateTeamRequest,
    now: DateTime<Utc>,
) -> AppResult<TeamResponse> {
    let station_id = user.station_or_home(req.station_id)?;
    user.require_staff_of(station_id)?;
    crate::stations::service::ensure_exists(db, station_id, "station_id").await?;
    crate::platforms::service::ensure_usable(db, req.platform_id, station_id, "platform_id").await?;
    if let Some(leader) = req.leader_id {
        ensure_volunteer_of(db, leader, station_id)
            .await
            .map_err(|_| AppError::invalid_field("leader_id", "队长须为本实践站的志愿者"))?;
    }
    let txn = db.begin().await?;
    let model = team::ActiveModel {
        station_id: Set(station_id),
        platform_id: Set(req.platform_id),
        name: Set(req.name),
        description: Set(req.description),
        leader_id: Set(req.leader_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => AppError::conflict("TEAM_NAME_TAKEN", "本站已有同名服务队"),
        other => other,
    })?;
    if let Some(leader) = req.leader_id {
        add_member_row(&txn, model.id, leader, now).await?;
    }
    let response = team_response(&txn, model).await?;
    txn.commit().await?;
    Ok(response)
}

/// Staff of the team's station add a volunteer of the station; a second time is 409
/// `ALREADY_MEMBER`.
pub async fn add_member(
    db: &impl ConnectionTrait,
    staff: &AuthUser,
    team_id: i32,
    user_id: i32,
    now: DateTime<Utc>,
) -> AppResult<TeamResponse> {
    let team = find_team(db, team_id).await?;
    staff.require_staff_of(team.station_id)?;
    ensure_volunteer_of(db, user_id, team.station_id).await?;
    if add_member_row(db, team.id, user_id, now).await? == 0 {
        return Err(AppError::conflict("ALREADY_MEMBER", "该志愿者已在服务队中"));
    }
    team_response(db, team).await
}

/// The volunteer, if the caller is staff of their station: 404 for staff of other stations
/// (and anyone who may not see them), 403 for supervisors, who read but do not manage.
async fn managed_volunteer(db: &impl ConnectionTrait, staff: &AuthUser, user_id: i32) -> AppResult<(user::Model, i32)> {
    let model = find_volunteer(db, user_id).await?;
    let Some(station_id) = model.station_id.filter(|s| staff.can_oversee(*s)) else {
        return Err(AppError::not_found("志愿者不存在"));
    };
    staff.require_staff_of(station_id)?;
    Ok((model, station_id))
}

/// Deactivates a volunteer of the caller's station in one transaction: the `volunteer` role
/// goes (they can no longer accept or be dispatched; acceptance checks the role in the
/// database, so an older access token does not help), they leave every team (and stop leading
/// one), and the orders they hold in progress (`assigned`, `accepted` and also `in_service`:
/// someone else must finish the service) go back to the station as `submitted` for
/// re-dispatch, each with a timeline event and the station's staff notified. Team orders no
/// remaining member may take go back too. The volunteer is notified with the reason.
pub async fn deactivate<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    (staff, origin): (&AuthUser, &Origin),
    user_id: i32,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<DeactivationResponse> {
    let (_, station_id) = managed_volunteer(db, staff, user_id).await?;
    let txn = db.begin().await?;
    let teams = crate::orders::service::team_ids_of(&txn, user_id).await?;
    crate::orders::service::hold_team_orders(&txn, &teams).await?;
    let removed = user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(user_id))
        .filter(user_role::Column::Role.eq(Role::Volunteer.as_str()))
        .exec(&txn)
        .await?
        .rows_affected;
    if removed == 0 {
        txn.rollback().await?;
        return Err(AppError::not_found("志愿者不存在"));
    }
    // Access tokens issued while they were a volunteer stop working on the next request.
    crate::auth::service::bump_token_version(&txn, user_id).await?;
    team_member::Entity::delete_many()
        .filter(team_member::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    team::Entity::update_many()
        .col_expr(team::Column::LeaderId, Expr::value(None::<i32>))
        .filter(team::Column::LeaderId.eq(user_id))
        .exec(&txn)
        .await?;
    let reason_text = reason.clone();
    let note = match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) => format!("志愿者已停用：{reason}"),
        None => "志愿者已停用".to_owned(),
    };
    let returned = crate::orders::service::return_orders_of(&txn, staff.id, user_id, &teams, None, &note, now).await?;
    let notice = Notice {
        kind: NotificationKind::VolunteerDeactivated,
        title: "您的志愿者身份已被停用".into(),
        body: reason.unwrap_or_else(|| "如有疑问请联系本站工作人员".into()),
        about: None,
    };
    notify(&txn, &[user_id], &notice, now).await?;
    let entry = AuditEntry::new(staff, origin, AuditAction::VolunteerDeactivated, "user", user_id)
        .station(Some(station_id))
        .detail(serde_json::json!({ "reason": reason_text, "returned_order_ids": returned }));
    audit::record(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(DeactivationResponse {
        user_id,
        deactivated_at: now,
        returned_order_ids: returned,
    })
}

/// Removes a member from a team of the caller's station: the orders they took through the team
/// and still hold (`accepted`, `in_service`) go back to the station as `submitted`, and the
/// team's assigned orders that no remaining member may take go back too; the station's staff
/// are notified. A leader who leaves stops leading the team.
pub async fn remove_member<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    staff: &AuthUser,
    team_id: i32,
    user_id: i32,
    now: DateTime<Utc>,
) -> AppResult<Vec<i32>> {
    let team = find_team(db, team_id).await?;
    if !staff.can_oversee(team.station_id) {
        return Err(AppError::not_found("服务队不存在"));
    }
    staff.require_staff_of(team.station_id)?;
    let txn = db.begin().await?;
    crate::orders::service::hold_team_orders(&txn, &[team_id]).await?;
    let removed = team_member::Entity::delete_many()
        .filter(team_member::Column::TeamId.eq(team_id))
        .filter(team_member::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if removed == 0 {
        txn.rollback().await?;
        return Err(AppError::not_found("该志愿者不在此服务队中"));
    }
    team::Entity::update_many()
        .col_expr(team::Column::LeaderId, Expr::value(None::<i32>))
        .filter(team::Column::Id.eq(team_id))
        .filter(team::Column::LeaderId.eq(user_id))
        .exec(&txn)
        .await?;
    let note = format!("志愿者已移出服务队「{}」", team.name);
    let returned =
        crate::orders::service::return_orders_of(&txn, staff.id, user_id, &[team_id], Some(team_id), &note, now)
            .await?;
    txn.commit().await?;
    Ok(returned)
}

#[cfg(test)]
mod tests {
    use super::skill_matches;

    #[test]
    fn a_skill_matches_the_same_words_or_a_part_of_them() {
        assert!(skill_matches("理发", "理发"));
        assert!(skill_matches("上门理发", "理发"));
        assert!(skill_matches(" Excel ", "excel培训"));
        assert!(!skill_matches("电脑维修", "理发"));
        assert!(!skill_matches("", "理发"));
    }
}
