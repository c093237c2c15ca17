//! Crediting and reading service hours.
//!
//! A person's minutes are credited once: every activity or order entry stores the interval it
//! covers, and a new entry credits only the part of its interval that no earlier entry of the
//! same person covers (the union, not the sum). Corrections are plain signed minutes that may
//! never take the person's total, or the credit of the order they correct, below zero.

use crate::audit::types::AuditAction;
use crate::notifications::types::NotificationKind;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{service_hour, user};
use sea_orm::{
    ActiveValue::Set,
    Condition, ConnectionTrait, FromQueryResult, QueryOrder, QuerySelect,
    prelude::*,
    sea_query::{Expr, ExprTrait, OnConflict},
};

use super::types::{HoursEntry, HoursSource};
use crate::http::{AppError, AppResult, AuthUser};

/// Hours to credit.
#[derive(Debug, Clone)]
pub struct Credit {
    pub user_id: i32,
    pub station_id: i32,
    pub source: HoursSource,
    pub source_id: Option<i32>,
    pub minutes: i32,
    pub note: Option<String>,
    pub recorded_by: Option<i32>,
    /// The time served. With an interval, the minutes credited are those of the interval that
    /// no earlier entry of the person covers (rounded to the nearest minute), not `minutes`.
    pub interval: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Takes the person's row lock (a no-op guarded update), so that crediting and correcting the
/// same person's hours happen one after the other in every process.
async fn lock_person(db: &impl ConnectionTrait, user_id: i32) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::Name, Expr::col(user::Column::Name))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Seconds of `[from, to)` not covered by any of `covered` (intervals in any order, may overlap).
pub fn uncovered_seconds(from: DateTime<Utc>, to: DateTime<Utc>, covered: &[(DateTime<Utc>, DateTime<Utc>)]) -> i64 {
    if to <= from {
        return 0;
    }
    let mut parts: Vec<(DateTime<Utc>, DateTime<Utc>)> = covered
        .iter()
        .map(|(s, e)| (Ord::max(*s, from), Ord::min(*e, to)))
        .filter(|(s, e)| s < e)
        .collect();
    parts.sort();
    let mut taken = 0;
    let mut reach = from;
    for (s, e) in parts {
        let s = Ord::max(s, reach);
        if e > s {
            taken += (e - s).num_seconds();
            reach = e;
        }
    }
    (to - from).num_seconds() - taken
}

/// Minutes of `[from, to)` the person has not been credited for yet.
async fn new_minutes(
    db: &impl ConnectionTrait,
    user_id: i32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<i32> {
    let covered: Vec<(DateTime<Utc>, DateTime<Utc>)> = service_hour::Entity::find()
        .filter(service_hour::Column::UserId.eq(user_id))
        .filter(service_hour::Column::StartsAt.lt(to))
        .filter(service_hour::Column::EndsAt.gt(from))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|e| Some((e.starts_at?, e.ends_at?)))
        .collect();
    let seconds = uncovered_seconds(from, to, &covered);
    Ok(i32::try_from((seconds + 30) / 60).unwrap_or(i32::MAX))
}

/// Credits hours once per source: crediting the same order or activity attendance again (two
/// job runs, two processes) changes nothing. Returns whether an entry was written.
pub async fn credit(db: &impl ConnectionTrait, credit: Credit, now: DateTime<Utc>) -> AppResult<bool> {
    let dedupe_key = match (credit.source, credit.source_id) {
        (HoursSource::Correction, _) | (_, None) => None,
        (source, Some(id)) => Some(format!("{}:{id}:{}", source.to_value(), credit.user_id)),
    };
    lock_person(db, credit.user_id).await?;
    let minutes = match credit.interval {
        Some((from, to)) => new_minutes(db, credit.user_id, from, to).await?,
        None => credit.minutes,
    };
    let written = service_hour::Entity::insert(service_hour::ActiveModel {
        user_id: Set(credit.user_id),
        station_id: Set(credit.station_id),
        source: Set(credit.source),
        source_id: Set(credit.source_id),
        minutes: Set(minutes),
        note: Set(credit.note),
        recorded_by: Set(credit.recorded_by),
        dedupe_key: Set(dedupe_key),
        confirmed_at: Set(now),
        starts_at: Set(credit.interval.map(|(from, _)| from)),
        ends_at: Set(credit.interval.map(|(_, to)| to)),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(service_hour::Column::DedupeKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(written > 0)
}

fn entry(model: service_hour::Model) -> HoursEntry {
    HoursEntry {
        id: model.id,
        source: model.source,
        source_id: model.source_id,
        minutes: model.minutes,
        station_id: model.station_id,
        note: model.note,
        recorded_by: model.recorded_by,
        confirmed_at: model.confirmed_at,
        starts_at: model.starts_at,
        ends_at: model.ends_at,
    }
}

/// A user's entries, newest first, with the total over all entries.
pub async fn for_user(
    db: &impl ConnectionTrait,
    user_id: i32,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<HoursEntry>, u64, i64)> {
    let query = service_hour::Entity::find()
        .filter(service_hour::Column::UserId.eq(user_id))
        .order_by_desc(service_hour::Column::Id);
    let (rows, total) = crate::db::fetch_page(db, query, offset, limit).await?;
    let items = rows.into_iter().map(entry).collect();
    let minutes = total_minutes(db, &[user_id], None).await?.remove(&user_id).unwrap_or(0);
    Ok((items, total, minutes))
}

#[derive(Debug, FromQueryResult)]
struct UserMinutes {
    user_id: i32,
    minutes: Option<i64>,
}

/// Confirmed minutes per user, optionally only those confirmed within `[from, to)`.
pub async fn total_minutes(
    db: &impl ConnectionTrait,
    user_ids: &[i32],
    period: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> AppResult<HashMap<i32, i64>> {
    let mut query = service_hour::Entity::find()
        .select_only()
        .column(service_hour::Column::UserId)
        .column_as(service_hour::Column::Minutes.sum().cast_as("bigint"), "minutes")
        .filter(service_hour::Column::UserId.is_in(user_ids.to_vec()))
        .group_by(service_hour::Column::UserId);
    if let Some((from, to)) = period {
        query = query
            .filter(service_hour::Column::ConfirmedAt.gte(from))
            .filter(service_hour::Column::ConfirmedAt.lt(to));
    }
    let rows = query.into_model::<UserMinutes>().all(db).await?;
    Ok(rows.into_iter().map(|r| (r.user_id, r.minutes.unwrap_or(0))).collect())
}

/// The sum of the person's entries that meet `condition`.
async fn sum_where(db: &impl ConnectionTrait, user_id: i32, condition: Condition) -> AppResult<i64> {
    let rows = service_hour::Entity::find()
        .select_only()
        .column(service_hour::Column::UserId)
        .column_as(service_hour::Column::Minutes.sum().cast_as("bigint"), "minutes")
        .filter(service_hour::Column::UserId.eq(user_id))
        .filter(condition)
        .group_by(service_hour::Column::UserId)
        .into_model::<UserMinutes>()
        .all(db)
        .await?;
    Ok(rows.into_iter().next().and_then(|r| r.minutes).unwrap_or(0))
}

/// The sum of the person's entries, and of those about one order (its credit and corrections).
async fn sums(db: &impl ConnectionTrait, user_id: i32, order_id: Option<i32>) -> AppResult<(i64, Option<i64>)> {
    let total = sum_where(db, user_id, Condition::all()).await?;
    let source = match order_id {
        Some(order_id) => Some(
            sum_where(
                db,
                user_id,
                Condition::all()
                    .add(service_hour::Column::SourceId.eq(order_id))
                    .add(service_hour::Column::Source.is_in([HoursSource::Order, HoursSource::Correction])),
            )
            .await?,
        ),
        None => None,
    };
    Ok((total, source))
}

/// Writes a staff correction (a new entry) and tells the volunteer, in one transaction.
///
/// Roles: secretary or director of the volunteer's station; never for one's own hours
/// (403 `OWN_HOURS`); more than `director_minutes` either way needs the director (403
/// `DIRECTOR_REQUIRED`). The result may not take the total, or the order's credit, below zero
/// (422 `HOURS_BELOW_ZERO`, naming the figure).
pub async fn correct<C: ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    (user, origin): (&AuthUser, &crate::audit::Origin),
    req: super::types::CorrectionRequest,
    director_minutes: i32,
    now: DateTime<Utc>,
) -> AppResult<HoursEntry> {
    use sea_orm::TransactionSession;
    let station_id = crate::volunteers::service::volunteer_station(db, req.volunteer_id).await?;
    user.require_staff_of(station_id)?;
    if req.volunteer_id == user.id {
        return Err(AppError::forbidden("OWN_HOURS", "不能更正本人的服务时长"));
    }
    if req.minutes.unsigned_abs() > director_minutes.unsigned_abs() && !user.is_director_of(station_id) {
        return Err(AppError::forbidden(
            "DIRECTOR_REQUIRED",
            format!("超过 {director_minutes} 分钟的更正须由站长进行"),
        ));
    }
    let recorded_by = user.id;
    if let Some(order_id) = req.order_id {
        let in_station = entity::order::Entity::find_by_id(order_id)
            .one(db)
            .await?
            .is_some_and(|o| o.station_id == station_id);
        if !in_station {
            return Err(crate::http::AppError::invalid_field(
                "order_id",
                "订单不存在或不属于本实践站",
            ));
        }
    }
    let txn = db.begin().await?;
    lock_person(&txn, req.volunteer_id).await?;
    let (total, source) = sums(&txn, req.volunteer_id, req.order_id).await?;
    let minutes = i64::from(req.minutes);
    if total + minutes < 0 {
        return Err(AppError::unprocessable_field(
            "HOURS_BELOW_ZERO",
            "minutes",
            format!("更正后总服务时长将为 {} 分钟，不能小于 0", total + minutes),
        ));
    }
    if let Some(source) = source
        && source + minutes < 0
    {
        return Err(AppError::unprocessable_field(
            "HOURS_BELOW_ZERO",
            "minutes",
            format!("更正后该订单的服务时长将为 {} 分钟，不能小于 0", source + minutes),
        ));
    }
    let model = service_hour::ActiveModel {
        user_id: Set(req.volunteer_id),
        station_id: Set(station_id),
        source: Set(HoursSource::Correction),
        source_id: Set(req.order_id),
        minutes: Set(req.minutes),
        note: Set(Some(req.reason.clone())),
        recorded_by: Set(Some(recorded_by)),
        dedupe_key: Set(None),
        confirmed_at: Set(now),
        starts_at: Set(None),
        ends_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let notice = crate::notifications::service::Notice {
        kind: NotificationKind::HoursCorrected,
        title: format!("您的服务时长已更正 {:+} 分钟", req.minutes),
        body: req.reason,
        about: None,
    };
    crate::notifications::service::notify(&txn, &[req.volunteer_id], &notice, now).await?;
    let audit_entry = crate::audit::AuditEntry::new(
        user,
        origin,
        AuditAction::HoursCorrected,
        "service_hour",
        model.id,
    )
    .station(Some(station_id))
    .detail(serde_json::json!({
        "volunteer_id": model.user_id, "minutes": model.minutes, "order_id": model.source_id, "reason": model.note,
    }));
    crate::audit::record(&txn, audit_entry, now).await?;
    txn.commit().await?;
    Ok(entry(model))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).single().unwrap_or_default()
    }

    #[test]
    fn only_time_no_earlier_entry_covers_is_new() {
        assert_eq!(uncovered_seconds(at(9), at(11), &[]), 7200);
        assert_eq!(uncovered_seconds(at(9), at(11), &[(at(8), at(10))]), 3600);
        assert_eq!(
            uncovered_seconds(at(9), at(12), &[(at(9), at(10)), (at(9), at(10)), (at(11), at(13))]),
            3600
        );
        assert_eq!(uncovered_seconds(at(9), at(11), &[(at(7), at(12))]), 0);
        assert_eq!(uncovered_seconds(at(9), at(9), &[]), 0);
    }
}
