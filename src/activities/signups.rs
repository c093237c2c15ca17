//! Sign-ups: the capacity counter, the waitlist and its promotion, sign-ups by staff (代报名),
//! check-in (with a hashed code and an optional geofence, or marked by hand) and check-out.
//!
//! Every transaction that changes who holds a place starts with a guarded write on the
//! activity's row, so on SQLite it takes the write lock at once and on PostgreSQL the row lock
//! serializes it with every other sign-up, cancellation and approved leave of that activity.

use crate::notifications::types::NotificationKind;
use chrono::{DateTime, Utc};
use entity::{activity, activity_signup, user};
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, QueryOrder, QuerySelect, TransactionTrait,
    prelude::*,
    sea_query::{Expr, ExprTrait},
};

use super::service::{self, audience_allows, member_facts};
use super::state::{self, Action, ActivityStatus, Participation, SignupStatus, effective_status};
use super::types::*;
use crate::http::{AppError, AppResult, AuthUser, Pagination};
use crate::notifications::service::{About, Notice, notify};

/// The current place of a waitlisted sign-up among those still waiting (1 = next).
pub async fn position(db: &impl ConnectionTrait, signup: &activity_signup::Model) -> AppResult<Option<i64>> {
    if signup.status != SignupStatus::Waitlisted {
        return Ok(None);
    }
    let Some(seq) = signup.waitlist_seq else {
        return Ok(None);
    };
    let ahead = activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(signup.activity_id))
        .filter(activity_signup::Column::Status.eq(SignupStatus::Waitlisted))
        .filter(activity_signup::Column::WaitlistSeq.lt(seq))
        .count(db)
        .await?;
    Ok(Some(i64::try_from(ahead).unwrap_or(i64::MAX) + 1))
}

fn about(activity_id: i32) -> Option<About> {
    Some(About {
        resource_type: "activity",
        resource_id: activity_id,
    })
}

/// Takes the activity's row lock (a no-op guarded update); the first statement of every
/// transaction that frees a place.
pub async fn lock_activity(txn: &DatabaseTransaction, activity_id: i32) -> AppResult<()> {
    activity::Entity::update_many()
        .col_expr(activity::Column::WaitlistSeq, Expr::col(activity::Column::WaitlistSeq))
        .filter(activity::Column::Id.eq(activity_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Gives a freed place to the earliest waitlisted person, or returns it to the counter.
/// Call inside a transaction that started with [`lock_activity`].
pub async fn free_place(
    txn: &DatabaseTransaction,
    activity: &activity::Model,
    now: DateTime<Utc>,
) -> AppResult<Option<i32>> {
    let next = activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(activity.id))
        .filter(activity_signup::Column::Status.eq(SignupStatus::Waitlisted))
        .order_by_asc(activity_signup::Column::WaitlistSeq)
        .order_by_asc(activity_signup::Column::Id)
        .one(txn)
        .await?;
    if let Some(next) = next {
        let promoted = activity_signup::Entity::update_many()
            .col_expr(activity_signup::Column::Status, Expr::value(SignupStatus::Confirmed))
            .col_expr(activity_signup::Column::UpdatedAt, Expr::value(now))
            .filter(activity_signup::Column::Id.eq(next.id))
            .filter(activity_signup::Column::Status.eq(SignupStatus::Waitlisted))
            .exec(txn)
            .await?;
        if promoted.rows_affected == 1 {
            notify(
                txn,
                &[next.user_id],
                &Notice {
                    kind: NotificationKind::SignupPromoted,
                    title: "候补转为正式报名".into(),
                    body: format!("您已从候补转为活动「{}」的正式报名", activity.title),
                    about: about(activity.id),
                },
                now,
            )
            .await?;
            return Ok(Some(next.user_id));
        }
    }
    activity::Entity::update_many()
        .col_expr(
            activity::Column::ConfirmedCount,
            Expr::col(activity::Column::ConfirmedCount).sub(1),
        )
        .filter(activity::Column::Id.eq(activity.id))
        .filter(activity::Column::ConfirmedCount.gt(0))
        .exec(txn)
        .await?;
    Ok(None)
}

/// Who a sign-up is for: the caller, or (代报名) a user of the station named by its staff.
/// Returns `(user_id, signed_up_by)`.
pub async fn signup_target(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    activity: &activity::Model,
    named: Option<i32>,
) -> AppResult<(i32, Option<i32>)> {
    let Some(target) = named.filter(|id| *id != user.id) else {
        return Ok((user.id, None));
    };
    if !user.is_staff_of(activity.station_id) {
        return Err(AppError::forbidden("FORBIDDEN", "仅本站工作人员可为他人报名"));
    }
    let person = user::Entity::find_by_id(target).one(db).await?;
    if person.is_none_or(|p| p.station_id != Some(activity.station_id)) {
        return Err(AppError::invalid_field("user_id", "被报名人须为本实践站的用户"));
    }
    Ok((target, Some(user.id)))
}

/// Refuses (409 `SCHEDULE_CONFLICT`) when the person is checked in, and not checked out, at
/// another running activity whose time overlaps this one's: one person is in one place.
pub async fn check_schedule(db: &impl ConnectionTrait, user_id: i32, activity: &activity::Model) -> AppResult<()> {
    let mine = activity_signup::Entity::find()
        .filter(activity_signup::Column::UserId.eq(user_id))
        .filter(activity_signup::Column::ActivityId.ne(activity.id))
        .filter(activity_signup::Column::Status.eq(SignupStatus::Confirmed))
        .filter(activity_signup::Column::CheckedInAt.is_not_null())
        .filter(activity_signup::Column::CheckedOutAt.is_null())
        .all(db)
        .await?;
    if mine.is_empty() {
        return Ok(());
    }
    let clash = activity::Entity::find()
        .filter(activity::Column::Id.is_in(mine.iter().map(|s| s.activity_id)))
        .filter(activity::Column::Status.is_in([ActivityStatus::Published, ActivityStatus::Ongoing]))
        .filter(activity::Column::StartsAt.lt(activity.ends_at))
        .filter(activity::Column::EndsAt.gt(activity.starts_at))
        .one(db)
        .await?;
    match clash {
        Some(other) => Err(AppError::conflict(
            "SCHEDULE_CONFLICT",
            format!("已在同一时段的活动「{}」签到，时间冲突", other.title),
        )),
        None => Ok(()),
    }
}

/// Checks everything a sign-up for `user_id` needs that does not change under concurrency
/// (`caller`: who asks; their own roles and station come from their token).
pub async fn check_can_sign_up(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    user_id: i32,
    activity: &activity::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let status = activity.status;
    if !state::signup_open(
        status,
        activity.starts_at,
        activity.signup_opens_at,
        activity.signup_closes_at,
        now,
    ) {
        return Err(AppError::conflict("SIGNUP_CLOSED", "当前不在报名时间内"));
    }
    let (roles, home) = if user_id == caller.id {
        service::caller_facts(caller)
    } else {
        member_facts(db, user_id).await?
    };
    if !audience_allows(activity.audience, activity.station_id, &roles, home) {
        return Err(AppError::forbidden("AUDIENCE_NOT_ALLOWED", "该活动仅限特定人群报名"));
    }
    check_schedule(db, user_id, activity).await
}

/// A sign-up without an idempotency key: the checks on committed state (`read`), the write in
/// its own transaction on `db`, and the answer read after the commit, so the activity's row
/// lock (PostgreSQL) or the writer (SQLite) is held for the write alone.
pub async fn sign_up_and_answer(
    db: &DatabaseConnection,
    read: &DatabaseConnection,
    caller: &AuthUser,
    user_id: i32,
    signed_up_by: Option<i32>,
    activity: &activity::Model,
    now: DateTime<Utc>,
) -> AppResult<SignupResponse> {
    check_can_sign_up(read, caller, user_id, activity, now).await?;
    let revive = prior_signup(read, activity.id, user_id).await?;
    let txn = db.begin().await?;
    let signup = sign_up(&txn, user_id, signed_up_by, activity, revive, now).await?;
    txn.commit().await?;
    responses(read, caller, vec![signup], now)
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("报名不存在"))
}

fn already() -> AppError {
    AppError::conflict("ALREADY_SIGNED_UP", "您已报名该活动")
}

/// Whether `user_id` already has a sign-up row for the activity: 409 `ALREADY_SIGNED_UP` for an
/// active one (or a cancelled one with attendance on record), the row to revive for a plain
/// cancelled one, `None` for none. Read before the sign-up's transaction takes the activity's
/// row lock (or, on SQLite, outside a transaction that must start with its write): it needs no
/// lock, since one row per person is a unique index and a revival is guarded on the row still
/// being cancelled.
pub async fn prior_signup(db: &impl ConnectionTrait, activity_id: i32, user_id: i32) -> AppResult<Option<i32>> {
    let existing = activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(activity_id))
        .filter(activity_signup::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    match existing {
        Some(old) if old.status == SignupStatus::Cancelled && old.attendance.is_none() => Ok(Some(old.id)),
        Some(_) => Err(already()),
        None => Ok(None),
    }
}

/// Signs `user_id` up inside `txn` (`signed_up_by`: the staff member, for 代报名): a place if
/// one is left, else the next waitlist number. The first statement is the guarded counter
/// increment. `revive` is [`prior_signup`]'s answer: a revived sign-up (cancelled, then signed
/// up again) starts clean.
pub async fn sign_up(
    txn: &DatabaseTransaction,
    user_id: i32,
    signed_up_by: Option<i32>,
    activity: &activity::Model,
    revive: Option<i32>,
    now: DateTime<Utc>,
) -> AppResult<activity_signup::Model> {
    let took_place = activity::Entity::update_many()
        .col_expr(
            activity::Column::ConfirmedCount,
            Expr::col(activity::Column::ConfirmedCount).add(1),
        )
        .filter(activity::Column::Id.eq(activity.id))
        .filter(activity::Column::Status.eq(ActivityStatus::Published))
        .filter(Expr::col(activity::Column::ConfirmedCount).lt(Expr::col(activity::Column::Capacity)))
        .exec(txn)
        .await?
        .rows_affected
        == 1;
    let (status, seq) = if took_place {
        (SignupStatus::Confirmed, None)
    } else {
        // The next waitlist number, in the same statement that draws it.
        let bumped = activity::Entity::update_many()
            .col_expr(
                activity::Column::WaitlistSeq,
                Expr::col(activity::Column::WaitlistSeq).add(1),
            )
            .filter(activity::Column::Id.eq(activity.id))
            .filter(activity::Column::Status.eq(ActivityStatus::Published))
            .exec_with_returning(txn)
            .await?;
        let Some(seq) = bumped.first().map(|a| a.waitlist_seq) else {
            return Err(AppError::conflict("SIGNUP_CLOSED", "当前不在报名时间内"));
        };
        (SignupStatus::Waitlisted, Some(seq))
    };
    let none_at = Option::<DateTime<Utc>>::None;
    let row = match revive {
        Some(old_id) => {
            // Signing up again after cancelling reuses the row (one per person) and starts
            // clean: nothing of the earlier sign-up (check-in, check-out, leave) survives.
            let revived = activity_signup::Entity::update_many()
                .col_expr(activity_signup::Column::Status, Expr::value(status))
                .col_expr(activity_signup::Column::WaitlistSeq, Expr::value(seq))
                .col_expr(
                    activity_signup::Column::LeaveStatus,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(activity_signup::Column::CancelledAt, Expr::value(none_at))
                .col_expr(activity_signup::Column::CheckedInAt, Expr::value(none_at))
                .col_expr(activity_signup::Column::CheckedOutAt, Expr::value(none_at))
                .col_expr(
                    activity_signup::Column::CheckinMarkedBy,
                    Expr::value(Option::<i32>::None),
                )
                .col_expr(activity_signup::Column::Minutes, Expr::value(Option::<i32>::None))
                .col_expr(activity_signup::Column::SignedUpBy, Expr::value(signed_up_by))
                .col_expr(activity_signup::Column::UpdatedAt, Expr::value(now))
                .filter(activity_signup::Column::Id.eq(old_id))
                .filter(activity_signup::Column::Status.eq(SignupStatus::Cancelled))
                .exec_with_returning(txn)
                .await?;
            revived.into_iter().next().ok_or_else(already)
        }
        None => activity_signup::ActiveModel {
            activity_id: Set(activity.id),
            user_id: Set(user_id),
            status: Set(status),
            waitlist_seq: Set(seq),
            signed_up_by: Set(signed_up_by),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict { .. } => already(),
            other => other,
        }),
    }?;
    if signed_up_by.is_some() {
        let place = if status == SignupStatus::Confirmed {
            "已为您保留名额".to_owned()
        } else {
            format!("目前候补第 {} 位", position(txn, &row).await?.unwrap_or(1))
        };
        notify(
            txn,
            &[user_id],
            &Notice {
                kind: NotificationKind::SignupByStaff,
                title: "工作人员已为您报名活动".into(),
                body: format!("实践站工作人员已为您报名活动「{}」，{place}", activity.title),
                about: about(activity.id),
            },
            now,
        )
        .await?;
    }
    Ok(row)
}

/// The caller's active sign-up for the activity, or 409 `NOT_SIGNED_UP`.
pub async fn mine(db: &impl ConnectionTrait, user_id: i32, activity_id: i32) -> AppResult<activity_signup::Model> {
    activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(activity_id))
        .filter(activity_signup::Column::UserId.eq(user_id))
        .filter(activity_signup::Column::Status.ne(SignupStatus::Cancelled))
        .one(db)
        .await?
        .ok_or_else(|| AppError::conflict("NOT_SIGNED_UP", "您未报名该活动"))
}

/// Cancels the caller's own sign-up before the start; a freed place goes to the waitlist.
pub async fn cancel_mine(
    db: &DatabaseConnection,
    user: &AuthUser,
    activity: &activity::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let txn = db.begin().await?;
    cancel_mine_in(&txn, user, activity, now).await?;
    txn.commit().await?;
    Ok(())
}

async fn cancel_mine_in(
    txn: &DatabaseTransaction,
    user: &AuthUser,
    activity: &activity::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    lock_activity(txn, activity.id).await?;
    if now >= activity.starts_at {
        return Err(AppError::conflict("ACTIVITY_STARTED", "活动已开始，不能取消报名"));
    }
    let signup = mine(txn, user.id, activity.id).await?;
    if signup.checked_in_at.is_some() {
        return Err(AppError::conflict(
            "ALREADY_CHECKED_IN",
            "已签到，不能取消报名（离开请签退）",
        ));
    }
    let result = activity_signup::Entity::update_many()
        .col_expr(activity_signup::Column::Status, Expr::value(SignupStatus::Cancelled))
        .col_expr(activity_signup::Column::CancelledAt, Expr::value(now))
        .col_expr(activity_signup::Column::UpdatedAt, Expr::value(now))
        .filter(activity_signup::Column::Id.eq(signup.id))
        .filter(activity_signup::Column::Status.eq(signup.status))
        .filter(activity_signup::Column::CheckedInAt.is_null())
        .exec(txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(AppError::conflict("NOT_SIGNED_UP", "您未报名该活动"));
    }
    if signup.status == SignupStatus::Confirmed {
        free_place(txn, activity, now).await?;
    }
    Ok(())
}

/// The stored form of a check-in code: SHA-256 (hex) of `"{activity id}:{code}"`.
pub fn code_hash(activity_id: i32, code: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{activity_id}:{code}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `code` is the activity's current code, compared in constant time.
fn code_matches(activity: &activity::Model, code: &str) -> bool {
    use subtle::ConstantTimeEq;
    let Some(stored) = activity.checkin_code_hash.as_deref() else {
        return false;
    };
    let given = code_hash(activity.id, code.trim());
    bool::from(given.as_bytes().ct_eq(stored.as_bytes()))
}

/// Great-circle distance in metres (haversine, mean Earth radius).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R: f64 = 6_371_000.0;
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dla = la2 - la1;
    let dlo = (b.1 - a.1).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

/// The current code's geofence, if it has one.
pub fn geofence(activity: &activity::Model) -> Option<Geofence> {
    Some(Geofence {
        latitude: activity.checkin_latitude?,
        longitude: activity.checkin_longitude?,
        radius_m: activity.checkin_radius_m?,
    })
}

/// With a geofence, a check-in must send coordinates (422 `LOCATION_REQUIRED`) inside it (422
/// `OUTSIDE_GEOFENCE`).
fn check_geofence(activity: &activity::Model, at: Option<(f64, f64)>) -> AppResult<()> {
    let Some(fence) = geofence(activity) else {
        return Ok(());
    };
    let Some(at) = at else {
        return Err(AppError::unprocessable(
            "LOCATION_REQUIRED",
            "本次签到限定地点，请允许获取位置后重试",
        ));
    };
    let distance = distance_m((fence.latitude, fence.longitude), at);
    if distance > f64::from(fence.radius_m) {
        return Err(AppError::unprocessable(
            "OUTSIDE_GEOFENCE",
            format!(
                "不在签到范围内（距活动地点约 {distance:.0} 米，须在 {} 米内）",
                fence.radius_m
            ),
        ));
    }
    Ok(())
}

/// Checks the caller in (`checkout == false`) or out with the host's code; a check-in also
/// with the caller's position when the code has a geofence.
#[allow(clippy::too_many_arguments)]
pub async fn check_in_or_out(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    activity: &activity::Model,
    code: &str,
    position: Option<(f64, f64)>,
    checkout: bool,
    limiter: &crate::auth::rate_limit::UserLimiter,
    now: DateTime<Utc>,
) -> AppResult<activity_signup::Model> {
    let status = effective_status(activity.status, activity.starts_at, now);
    let running = matches!(status, ActivityStatus::Published | ActivityStatus::Ongoing);
    let window = if checkout {
        running || status == ActivityStatus::Finished
    } else {
        running && state::checkin_open(activity.starts_at, activity.ends_at, now)
    };
    if !window {
        return Err(AppError::unprocessable(
            "CHECKIN_WINDOW_CLOSED",
            "不在签到时间内（开始前 30 分钟至结束）",
        ));
    }
    let signup = mine(db, user.id, activity.id).await?;
    if signup.status != SignupStatus::Confirmed {
        return Err(AppError::conflict("NOT_SIGNED_UP", "候补报名不能签到"));
    }
    let valid = activity.checkin_code_expires_at.is_some_and(|t| now < t) && code_matches(activity, code);
    if !valid {
        limiter.check(user.id).await?;
        return Err(AppError::unprocessable("INVALID_CHECKIN_CODE", "签到码错误或已过期"));
    }
    let column = if checkout {
        if signup.checked_in_at.is_none() {
            return Err(AppError::conflict("NOT_CHECKED_IN", "请先签到"));
        }
        activity_signup::Column::CheckedOutAt
    } else {
        check_geofence(activity, position)?;
        if signup.checked_in_at.is_none() {
            check_schedule(db, user.id, activity).await?;
        }
        activity_signup::Column::CheckedInAt
    };
    let result = activity_signup::Entity::update_many()
        .col_expr(column, Expr::value(now))
        .col_expr(activity_signup::Column::UpdatedAt, Expr::value(now))
        .filter(activity_signup::Column::Id.eq(signup.id))
        .filter(column.is_null())
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(if checkout {
            AppError::conflict("ALREADY_CHECKED_OUT", "您已签退")
        } else {
            AppError::conflict("ALREADY_CHECKED_IN", "您已签到")
        });
    }
    activity_signup::Entity::find_by_id(signup.id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("报名不存在"))
}

/// Marks a confirmed sign-up present by hand (a person without a phone): the host or staff of
/// the station, inside the check-in window. Recorded as such (`checkin_marked_by`).
pub async fn mark_present(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    activity: &activity::Model,
    signup_id: i32,
    now: DateTime<Utc>,
) -> AppResult<activity_signup::Model> {
    service::check(user, activity, Action::CheckinCode, now)?;
    if !state::checkin_open(activity.starts_at, activity.ends_at, now) {
        return Err(AppError::unprocessable(
            "CHECKIN_WINDOW_CLOSED",
            "不在签到时间内（开始前 30 分钟至结束）",
        ));
    }
    let signup = activity_signup::Entity::find_by_id(signup_id)
        .one(db)
        .await?
        .filter(|s| s.activity_id == activity.id)
        .ok_or_else(|| AppError::not_found("报名不存在"))?;
    if signup.status != SignupStatus::Confirmed {
        return Err(AppError::conflict("NOT_SIGNED_UP", "只能为正式报名的人员签到"));
    }
    check_schedule(db, signup.user_id, activity).await?;
    let result = activity_signup::Entity::update_many()
        .col_expr(activity_signup::Column::CheckedInAt, Expr::value(now))
        .col_expr(activity_signup::Column::CheckinMarkedBy, Expr::value(user.id))
        .col_expr(activity_signup::Column::UpdatedAt, Expr::value(now))
        .filter(activity_signup::Column::Id.eq(signup.id))
        .filter(activity_signup::Column::Status.eq(SignupStatus::Confirmed))
        .filter(activity_signup::Column::CheckedInAt.is_null())
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(AppError::conflict("ALREADY_CHECKED_IN", "该人员已签到"));
    }
    activity_signup::Entity::find_by_id(signup.id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("报名不存在"))
}

/// Builds sign-up responses; `viewer` decides the allowed actions (only the owner has any).
pub async fn responses(
    db: &impl ConnectionTrait,
    viewer: &AuthUser,
    signups: Vec<activity_signup::Model>,
    now: DateTime<Utc>,
) -> AppResult<Vec<SignupResponse>> {
    let activity_ids: Vec<i32> = signups.iter().map(|s| s.activity_id).collect();
    let user_ids: Vec<i32> = signups.iter().map(|s| s.user_id).collect();
    let activities: std::collections::HashMap<i32, activity::Model> = activity::Entity::find()
        .filter(activity::Column::Id.is_in(activity_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let names: std::collections::HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut out = Vec::with_capacity(signups.len());
    for signup in signups {
        let Some(activity) = activities.get(&signup.activity_id) else {
            continue;
        };
        let position = position(db, &signup).await?;
        let minutes = signup.minutes.unwrap_or_else(|| {
            state::service_minutes(
                activity.starts_at,
                activity.ends_at,
                activity.finished_at,
                signup.checked_in_at,
                signup.checked_out_at,
            )
        });
        let status = signup.status;
        let allowed_actions = if signup.user_id == viewer.id && status != SignupStatus::Cancelled {
            let effective = effective_status(activity.status, activity.starts_at, now);
            state::participant_actions(
                effective,
                false,
                false,
                state::checkin_open(activity.starts_at, activity.ends_at, now),
                activity.starts_at,
                now,
                Participation {
                    status: Some(status),
                    checked_in: signup.checked_in_at.is_some(),
                    checked_out: signup.checked_out_at.is_some(),
                    leave_open: matches!(signup.leave_status, Some(LeaveStatus::Pending | LeaveStatus::Approved)),
                },
            )
        } else {
            Vec::new()
        };
        out.push(SignupResponse {
            id: signup.id,
            activity_id: signup.activity_id,
            activity_title: activity.title.clone(),
            user_id: signup.user_id,
            user_name: names.get(&signup.user_id).cloned().unwrap_or_default(),
            status,
            position,
            checked_in_at: signup.checked_in_at,
            checked_out_at: signup.checked_out_at,
            leave: signup.leave_status,
            attendance: signup.attendance,
            minutes,
            hours: (f64::from(minutes) / 60.0 * 100.0).round() / 100.0,
            created_at: signup.created_at,
            signed_up_by: signup.signed_up_by,
            proxy: signup.signed_up_by.is_some(),
            marked_by: signup.checkin_marked_by,
            manual: signup.checkin_marked_by.is_some(),
            allowed_actions,
        });
    }
    Ok(out)
}

/// The activity's sign-ups in the order they came (each with its status and waitlist position).
/// Roles: host, staff of
/// the station, supervisor.
pub async fn list_for_activity(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    activity_id: i32,
    page: &Pagination,
    now: DateTime<Utc>,
) -> AppResult<(Vec<SignupResponse>, u64)> {
    let activity = service::find_visible(db, Some(user), activity_id).await?;
    if !(user.can_oversee(activity.station_id) || user.id == activity.host_id) {
        return Err(AppError::forbidden("FORBIDDEN", "仅主持人和本站工作人员可查看报名名单"));
    }
    let query = activity_signup::Entity::find().filter(activity_signup::Column::ActivityId.eq(activity_id));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(activity_signup::Column::Id)
        .offset(page.offset())
        .limit(page.page_size())
        .all(db)
        .await?;
    Ok((responses(db, user, rows, now).await?, total))
}

/// The caller's own sign-ups, newest first.
pub async fn list_mine(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    page: &Pagination,
    now: DateTime<Utc>,
) -> AppResult<(Vec<SignupResponse>, u64)> {
    let query = activity_signup::Entity::find().filter(activity_signup::Column::UserId.eq(user.id));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(activity_signup::Column::Id)
        .offset(page.offset())
        .limit(page.page_size())
        .all(db)
        .await?;
    Ok((responses(db, user, rows, now).await?, total))
}
