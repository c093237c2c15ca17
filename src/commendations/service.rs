//! Commendation rules and queries: nomination with the ranking's evidence, the director's
//! decision, the public notice (公示) with objections and answers, and the sweep that makes an
//! ended notice final.

use crate::audit::types::AuditAction;
use crate::notifications::types::NotificationKind;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entity::{commendation, commendation_objection, team, team_member, user, user_role};
use sea_orm::{
    ActiveValue::Set,
    Condition, ConnectionTrait, DatabaseConnection, QueryOrder, SqlErr, TransactionTrait,
    prelude::*,
    sea_query::{Expr, ExprTrait},
};

use super::rankings::{self, Figures};
use super::state::{self, Action, Actor, CommendationStatus, Refusal, effective_status};
use super::types::*;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::roles::Role;
use crate::http::{AppError, AppResult, AuthUser, Pagination};
use crate::notifications::service::{About, Notice, notify};

/// How long an approved commendation stays under public notice (公示).
pub fn notice_period() -> Duration {
    Duration::days(5)
}

fn about(id: i32) -> Option<About> {
    Some(About {
        resource_type: "commendation",
        resource_id: id,
    })
}

fn not_found() -> AppError {
    AppError::not_found("评选推荐不存在")
}

fn refusal(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::Forbidden => AppError::forbidden("FORBIDDEN", "当前账号无权进行此操作"),
        Refusal::DirectorRequired => AppError::forbidden("DIRECTOR_REQUIRED", "评选推荐须由站长审批"),
        Refusal::OwnNomination => AppError::forbidden("OWN_NOMINATION", "不能审批自己提出的推荐"),
        Refusal::NotPending => AppError::conflict("COMMENDATION_NOT_PENDING", "该推荐已审批"),
        Refusal::Closed => AppError::conflict("COMMENDATION_CLOSED", "该推荐已公示期满或已驳回"),
        Refusal::NotUnderNotice => AppError::conflict("NOT_UNDER_NOTICE", "该推荐不在公示期内，不能提出异议"),
        Refusal::AlreadyObjected => AppError::conflict("ALREADY_OBJECTED", "您已对该推荐提出过异议"),
        Refusal::NothingToAnswer => AppError::conflict("ALREADY_ANSWERED", "该异议已答复"),
    }
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// The status a reader sees now.
fn status_now(model: &commendation::Model, now: DateTime<Utc>) -> CommendationStatus {
    effective_status(model.status, model.notice_ends_at, model.open_objections, now)
}

/// Under notice or final: public (公示).
fn is_public(status: CommendationStatus) -> bool {
    matches!(status, CommendationStatus::Notice | CommendationStatus::Final)
}

/// Whether the caller may see the commendation: everyone once public; pending and rejected
/// ones only those overseeing the station.
fn may_see(user: Option<&AuthUser>, model: &commendation::Model, now: DateTime<Utc>) -> bool {
    is_public(status_now(model, now)) || user.is_some_and(|u| u.can_oversee(model.station_id))
}

/// The commendation if the caller may see it (404 otherwise).
pub async fn find_visible(
    db: &impl ConnectionTrait,
    user: Option<&AuthUser>,
    id: i32,
    now: DateTime<Utc>,
) -> AppResult<commendation::Model> {
    commendation::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|m| may_see(user, m, now))
        .ok_or_else(not_found)
}

fn actor(user: Option<&AuthUser>, model: &commendation::Model, objected: bool, now: DateTime<Utc>) -> Actor {
    Actor {
        user: user.is_some(),
        staff: user.is_some_and(|u| u.is_staff_of(model.station_id)),
        director: user.is_some_and(|u| u.is_director_of(model.station_id)),
        nominator: user.is_some_and(|u| u.id == model.nominated_by),
        objected,
        notice_running: model.notice_ends_at.is_some_and(|ends| now < ends),
        open_objections: model.open_objections,
    }
}

fn figures_of(model: &commendation::Model) -> Figures {
    Figures {
        minutes: model.evidence_minutes,
        finished_orders: i64::from(model.evidence_finished_orders),
        rated_orders: i64::from(model.evidence_rated_orders),
        stars_sum: i64::from(model.evidence_stars_sum),
    }
}

/// Builds responses: nominee names, the effective status and the caller's allowed actions.
pub async fn responses(
    db: &impl ConnectionTrait,
    user: Option<&AuthUser>,
    rows: Vec<commendation::Model>,
    now: DateTime<Utc>,
) -> AppResult<Vec<CommendationResponse>> {
    let ids: Vec<i32> = rows.iter().map(|r| r.id).collect();
    let people: HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().filter_map(|r| r.volunteer_user_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let teams: HashMap<i32, String> = team::Entity::find()
        .filter(team::Column::Id.is_in(rows.iter().filter_map(|r| r.team_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let objected: HashSet<i32> = match user {
        Some(u) => commendation_objection::Entity::find()
            .filter(commendation_objection::Column::UserId.eq(u.id))
            .filter(commendation_objection::Column::CommendationId.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|o| o.commendation_id)
            .collect(),
        None => HashSet::new(),
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let status = status_now(&row, now);
            let nominee_name = match (row.volunteer_user_id, row.team_id) {
                (Some(id), _) => people.get(&id).cloned(),
                (None, Some(id)) => teams.get(&id).cloned(),
                (None, None) => None,
            }
            .unwrap_or_default();
            CommendationResponse {
                allowed_actions: state::allowed_actions(status, actor(user, &row, objected.contains(&row.id), now)),
                evidence: figures_of(&row).view(),
                id: row.id,
                station_id: row.station_id,
                year: row.year,
                nominee_kind: row.nominee_kind,
                volunteer_id: row.volunteer_user_id,
                team_id: row.team_id,
                nominee_name,
                reason: row.reason,
                status,
                nominated_by: row.nominated_by,
                nominated_at: row.nominated_at,
                decided_by: row.decided_by,
                decided_at: row.decided_at,
                notice_ends_at: row.notice_ends_at,
                reject_reason: row.reject_reason,
                open_objections: row.open_objections,
            }
        })
        .collect())
}

/// One commendation for the caller.
pub async fn one(
    db: &impl ConnectionTrait,
    user: Option<&AuthUser>,
    row: commendation::Model,
    now: DateTime<Utc>,
) -> AppResult<CommendationResponse> {
    responses(db, user, vec![row], now).await?.pop().ok_or_else(not_found)
}

/// The directors of a station.
async fn directors_of(db: &impl ConnectionTrait, station_id: i32) -> AppResult<Vec<i32>> {
    Ok(user::Entity::find()
        .filter(user::Column::StationId.eq(station_id))
        .inner_join(user_role::Entity)
        .filter(user_role::Column::Role.eq(Role::Director.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect())
}

/// Who hears about a commendation of them: the volunteer, or the team's leader and members.
async fn nominees(db: &impl ConnectionTrait, model: &commendation::Model) -> AppResult<Vec<i32>> {
    let mut to = Vec::new();
    if let Some(id) = model.volunteer_user_id {
        to.push(id);
    }
    if let Some(team_id) = model.team_id {
        to.extend(
            team_member::Entity::find()
                .filter(team_member::Column::TeamId.eq(team_id))
                .all(db)
                .await?
                .into_iter()
                .map(|m| m.user_id),
        );
        if let Some(team) = team::Entity::find_by_id(team_id).one(db).await? {
            to.extend(team.leader_id);
        }
    }
    to.sort_unstable();
    to.dedup();
    Ok(to)
}

/// Nominates a volunteer or a team of the station, with their figures of the year as evidence.
///
/// Roles: secretary of the station (an admin names `station_id`). The station's directors are
/// told. One live nomination per nominee, station and year (the unique `live_key` decides).
pub async fn nominate(
    db: &DatabaseConnection,
    user: &AuthUser,
    req: CreateCommendationRequest,
    now: DateTime<Utc>,
) -> AppResult<commendation::Model> {
    let station = user.station_or_home(req.station_id)?;
    if !(user.is_staff_of(station) && (user.has(Role::Secretary) || user.is_admin())) {
        return Err(refusal(Refusal::Forbidden));
    }
    let (kind, nominee, figures) = match (req.volunteer_id, req.team_id) {
        (Some(volunteer), None) => {
            crate::volunteers::service::ensure_volunteer_of(db, volunteer, station).await?;
            (
                NomineeKind::Volunteer,
                volunteer,
                rankings::volunteer_figures(db, volunteer, req.year).await?,
            )
        }
        (None, Some(team_id)) => {
            crate::volunteers::service::ensure_team_of(db, team_id, station).await?;
            (
                NomineeKind::Team,
                team_id,
                rankings::team_figures(db, team_id, req.year).await?,
            )
        }
        _ => {
            return Err(AppError::invalid_field(
                "volunteer_id",
                "须指定志愿者 (volunteer_id) 或服务队 (team_id) 之一",
            ));
        }
    };
    let kind_name = match kind {
        NomineeKind::Volunteer => "volunteer",
        NomineeKind::Team => "team",
    };
    let clamp = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
    let txn = db.begin().await?;
    let inserted = commendation::ActiveModel {
        station_id: Set(station),
        year: Set(req.year),
        nominee_kind: Set(kind),
        volunteer_user_id: Set((kind == NomineeKind::Volunteer).then_some(nominee)),
        team_id: Set((kind == NomineeKind::Team).then_some(nominee)),
        reason: Set(req.reason),
        evidence_minutes: Set(figures.minutes),
        evidence_finished_orders: Set(clamp(figures.finished_orders)),
        evidence_rated_orders: Set(clamp(figures.rated_orders)),
        evidence_stars_sum: Set(clamp(figures.stars_sum)),
        status: Set(CommendationStatus::Pending),
        live_key: Set(Some(format!("{station}:{}:{kind_name}:{nominee}", req.year))),
        open_objections: Set(0),
        nominated_by: Set(user.id),
        nominated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(err) if is_unique_violation(&err) => {
            return Err(AppError::conflict(
                "ALREADY_NOMINATED",
                "该志愿者或服务队本年度已被推荐",
            ));
        }
        Err(err) => return Err(err.into()),
    };
    let mut to = directors_of(&txn, station).await?;
    to.retain(|id| *id != user.id);
    notify(
        &txn,
        &to,
        &Notice {
            kind: NotificationKind::CommendationNominated,
            title: "新的先进评选推荐".into(),
            body: format!("{} 年度先进评选有新的推荐待审批", req.year),
            about: about(row.id),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The director approves a pending nomination: it goes under public notice for five days and
/// the nominee is told.
pub async fn approve(
    db: &DatabaseConnection,
    (user, origin): (&AuthUser, &Origin),
    id: i32,
    now: DateTime<Utc>,
) -> AppResult<commendation::Model> {
    let model = find_visible(db, Some(user), id, now).await?;
    state::next(
        status_now(&model, now),
        Action::Approve,
        actor(Some(user), &model, false, now),
    )
    .map_err(refusal)?;
    let ends = now + notice_period();
    let txn = db.begin().await?;
    let changed = commendation::Entity::update_many()
        .col_expr(commendation::Column::Status, Expr::value(CommendationStatus::Notice))
        .col_expr(commendation::Column::DecidedBy, Expr::value(user.id))
        .col_expr(commendation::Column::DecidedAt, Expr::value(now))
        .col_expr(commendation::Column::NoticeEndsAt, Expr::value(ends))
        .filter(commendation::Column::Id.eq(id))
        .filter(commendation::Column::Status.eq(CommendationStatus::Pending))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(refusal(Refusal::NotPending));
    }
    notify(
        &txn,
        &nominees(&txn, &model).await?,
        &Notice {
            kind: NotificationKind::CommendationApproved,
            title: "先进评选推荐已通过审批".into(),
            body: format!("您的 {} 年度先进评选推荐已通过站长审批，现进入 5 天公示期", model.year),
            about: about(id),
        },
        now,
    )
    .await?;
    let entry = AuditEntry::new(user, origin, AuditAction::CommendationApproved, "commendation", id)
        .station(Some(model.station_id))
        .detail(serde_json::json!({ "year": model.year, "notice_ends_at": ends }));
    audit::record(&txn, entry, now).await?;
    txn.commit().await?;
    find_visible(db, Some(user), id, now).await
}

/// Whether a row is effectively final now (a notice ended with no open objection).
fn ended_notice(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(commendation::Column::Status.eq(CommendationStatus::Notice))
        .add(commendation::Column::NoticeEndsAt.lte(now))
        .add(commendation::Column::OpenObjections.eq(0))
}

/// The director rejects a nomination, pending or under notice (e.g. after an upheld
/// objection); the nominator is told, and the nominee may be nominated again.
pub async fn reject(
    db: &DatabaseConnection,
    (user, origin): (&AuthUser, &Origin),
    id: i32,
    reason: String,
    now: DateTime<Utc>,
) -> AppResult<commendation::Model> {
    let model = find_visible(db, Some(user), id, now).await?;
    state::next(
        status_now(&model, now),
        Action::Reject,
        actor(Some(user), &model, false, now),
    )
    .map_err(refusal)?;
    let txn = db.begin().await?;
    let changed = commendation::Entity::update_many()
        .col_expr(commendation::Column::Status, Expr::value(CommendationStatus::Rejected))
        .col_expr(commendation::Column::LiveKey, Expr::value(Option::<String>::None))
        .col_expr(commendation::Column::RejectReason, Expr::value(reason.clone()))
        .col_expr(commendation::Column::DecidedBy, Expr::value(user.id))
        .col_expr(commendation::Column::DecidedAt, Expr::value(now))
        .filter(commendation::Column::Id.eq(id))
        .filter(commendation::Column::Status.is_in([CommendationStatus::Pending, CommendationStatus::Notice]))
        .filter(ended_notice(now).not())
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(refusal(Refusal::Closed));
    }
    notify(
        &txn,
        &[model.nominated_by],
        &Notice {
            kind: NotificationKind::CommendationRejected,
            title: "先进评选推荐未通过".into(),
            body: format!("{} 年度先进评选推荐未通过：{reason}", model.year),
            about: about(id),
        },
        now,
    )
    .await?;
    let entry = AuditEntry::new(user, origin, AuditAction::CommendationRejected, "commendation", id)
        .station(Some(model.station_id))
        .detail(serde_json::json!({ "year": model.year, "reason": reason }));
    audit::record(&txn, entry, now).await?;
    txn.commit().await?;
    find_visible(db, Some(user), id, now).await
}

fn objection_response(model: commendation_objection::Model) -> ObjectionResponse {
    ObjectionResponse {
        id: model.id,
        commendation_id: model.commendation_id,
        user_id: model.user_id,
        reason: model.reason,
        created_at: model.created_at,
        answer: model.answer,
        answered_by: model.answered_by,
        answered_at: model.answered_at,
    }
}

/// Any logged-in user objects, once, while the notice runs; the station's directors are told.
/// The objection holds the notice open until the director answers it.
pub async fn object(
    db: &DatabaseConnection,
    user: &AuthUser,
    id: i32,
    reason: String,
    now: DateTime<Utc>,
) -> AppResult<ObjectionResponse> {
    let model = find_visible(db, Some(user), id, now).await?;
    let objected = commendation_objection::Entity::find()
        .filter(commendation_objection::Column::CommendationId.eq(id))
        .filter(commendation_objection::Column::UserId.eq(user.id))
        .one(db)
        .await?
        .is_some();
    state::next(
        status_now(&model, now),
        Action::Object,
        actor(Some(user), &model, objected, now),
    )
    .map_err(refusal)?;
    let txn = db.begin().await?;
    // Guarded in the database: still under notice and before its end.
    let opened = commendation::Entity::update_many()
        .col_expr(
            commendation::Column::OpenObjections,
            Expr::col(commendation::Column::OpenObjections).add(1),
        )
        .filter(commendation::Column::Id.eq(id))
        .filter(commendation::Column::Status.eq(CommendationStatus::Notice))
        .filter(commendation::Column::NoticeEndsAt.gt(now))
        .exec(&txn)
        .await?;
    if opened.rows_affected == 0 {
        return Err(refusal(Refusal::NotUnderNotice));
    }
    let inserted = commendation_objection::ActiveModel {
        commendation_id: Set(id),
        user_id: Set(user.id),
        reason: Set(reason),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(err) if is_unique_violation(&err) => return Err(refusal(Refusal::AlreadyObjected)),
        Err(err) => return Err(err.into()),
    };
    notify(
        &txn,
        &directors_of(&txn, model.station_id).await?,
        &Notice {
            kind: NotificationKind::CommendationObjection,
            title: "先进评选公示收到异议".into(),
            body: format!("{} 年度先进评选公示收到一条异议，请核实并答复", model.year),
            about: about(id),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(objection_response(row))
}

/// Objections to a commendation: every one for those overseeing the station, the caller's
/// own for anyone else; oldest first.
pub async fn objections(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    id: i32,
    page: &Pagination,
    now: DateTime<Utc>,
) -> AppResult<(Vec<ObjectionResponse>, u64)> {
    let model = find_visible(db, Some(user), id, now).await?;
    let mut query = commendation_objection::Entity::find()
        .filter(commendation_objection::Column::CommendationId.eq(id))
        .order_by_asc(commendation_objection::Column::Id);
    if !user.can_oversee(model.station_id) {
        query = query.filter(commendation_objection::Column::UserId.eq(user.id));
    }
    let (rows, total) = crate::db::fetch_page(db, query, page.offset(), page.page_size()).await?;
    Ok((rows.into_iter().map(objection_response).collect(), total))
}

/// The director answers an objection (once); the objector is told. The last answer lets an
/// ended notice become final.
pub async fn answer(
    db: &DatabaseConnection,
    user: &AuthUser,
    id: i32,
    objection_id: i32,
    answer: String,
    now: DateTime<Utc>,
) -> AppResult<ObjectionResponse> {
    let model = find_visible(db, Some(user), id, now).await?;
    let objection = commendation_objection::Entity::find_by_id(objection_id)
        .filter(commendation_objection::Column::CommendationId.eq(id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("异议不存在"))?;
    let facts = Actor {
        open_objections: i32::from(objection.answer.is_none()),
        ..actor(Some(user), &model, false, now)
    };
    state::next(status_now(&model, now), Action::Answer, facts).map_err(refusal)?;
    let txn = db.begin().await?;
    let answered = commendation_objection::Entity::update_many()
        .col_expr(commendation_objection::Column::Answer, Expr::value(answer.clone()))
        .col_expr(commendation_objection::Column::AnsweredBy, Expr::value(user.id))
        .col_expr(commendation_objection::Column::AnsweredAt, Expr::value(now))
        .filter(commendation_objection::Column::Id.eq(objection_id))
        .filter(commendation_objection::Column::Answer.is_null())
        .exec(&txn)
        .await?;
    if answered.rows_affected == 0 {
        return Err(refusal(Refusal::NothingToAnswer));
    }
    commendation::Entity::update_many()
        .col_expr(
            commendation::Column::OpenObjections,
            Expr::col(commendation::Column::OpenObjections).sub(1),
        )
        .filter(commendation::Column::Id.eq(id))
        .filter(commendation::Column::OpenObjections.gt(0))
        .exec(&txn)
        .await?;
    notify(
        &txn,
        &[objection.user_id],
        &Notice {
            kind: NotificationKind::CommendationObjectionAnswered,
            title: "您的异议已获答复".into(),
            body: format!("站长答复：{answer}"),
            about: about(id),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    let row = commendation_objection::Entity::find_by_id(objection_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("异议不存在"))?;
    Ok(objection_response(row))
}

/// Commendations the caller may see, newest first. Public: those under notice and final.
/// Pending and rejected ones too for whoever oversees the named station, or, without
/// `station_id`, for staff of their own station (admins: every station).
pub async fn list(
    db: &impl ConnectionTrait,
    user: Option<&AuthUser>,
    filter: CommendationFilter,
    page: &Pagination,
    now: DateTime<Utc>,
) -> AppResult<(Vec<CommendationResponse>, u64)> {
    let public = commendation::Column::Status.is_in([CommendationStatus::Notice, CommendationStatus::Final]);
    let mut visible = Condition::any().add(public);
    match (user, filter.station_id) {
        (Some(u), _) if u.is_admin() => visible = Condition::all(),
        (Some(u), Some(station)) if u.can_oversee(station) => visible = Condition::all(),
        (Some(u), None) => {
            if let Some(home) = u.station_id.filter(|s| u.can_oversee(*s)) {
                visible = visible.add(commendation::Column::StationId.eq(home));
            }
        }
        _ => {}
    }
    let mut query = commendation::Entity::find().filter(visible);
    if let Some(station) = filter.station_id {
        query = query.filter(commendation::Column::StationId.eq(station));
    }
    if let Some(year) = filter.year {
        query = query.filter(commendation::Column::Year.eq(year));
    }
    if let Some(status) = filter.status {
        query = query.filter(match status {
            CommendationStatus::Final => Condition::any()
                .add(commendation::Column::Status.eq(CommendationStatus::Final))
                .add(ended_notice(now)),
            CommendationStatus::Notice => Condition::all()
                .add(commendation::Column::Status.eq(CommendationStatus::Notice))
                .add(ended_notice(now).not()),
            other => Condition::all().add(commendation::Column::Status.eq(other)),
        });
    }
    let (rows, total) = crate::db::fetch_page(
        db,
        query.order_by_desc(commendation::Column::Id),
        page.offset(),
        page.page_size(),
    )
    .await?;
    Ok((responses(db, user, rows, now).await?, total))
}

/// The job sweep: every commendation whose notice has ended with no open objection becomes
/// `final`, in one conditional statement (running it twice, or in two processes, changes
/// nothing the second time). Returns how many it finalised.
pub async fn finalize_ended(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<u64> {
    let result = commendation::Entity::update_many()
        .col_expr(commendation::Column::Status, Expr::value(CommendationStatus::Final))
        .filter(ended_notice(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
