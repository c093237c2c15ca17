//! Crediting and reading service hours.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::service_hour;
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, FromQueryResult, QueryOrder, QuerySelect,
    prelude::*,
    sea_query::{ExprTrait, OnConflict},
};

use super::types::{HoursEntry, HoursSource};
use crate::http::AppResult;

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
}

/// Credits hours once per source: crediting the same order or activity attendance again (two
/// job runs, two processes) changes nothing. Returns whether an entry was written.
pub async fn credit(db: &impl ConnectionTrait, credit: Credit, now: DateTime<Utc>) -> AppResult<bool> {
    let dedupe_key = match (credit.source, credit.source_id) {
        (HoursSource::Correction, _) | (_, None) => None,
        (source, Some(id)) => Some(format!("{}:{id}:{}", source.to_value(), credit.user_id)),
    };
    let written = service_hour::Entity::insert(service_hour::ActiveModel {
        user_id: Set(credit.user_id),
        station_id: Set(credit.station_id),
        source: Set(credit.source),
        source_id: Set(credit.source_id),
        minutes: Set(credit.minutes),
        note: Set(credit.note),
        recorded_by: Set(credit.recorded_by),
        dedupe_key: Set(dedupe_key),
        confirmed_at: Set(now),
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

/// Writes a staff correction (a new entry) and tells the volunteer, in one transaction.
pub async fn correct<C: ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    station_id: i32,
    req: super::types::CorrectionRequest,
    recorded_by: i32,
    now: DateTime<Utc>,
) -> AppResult<HoursEntry> {
    use sea_orm::TransactionSession;
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
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let notice = crate::notifications::service::Notice {
        kind: "hours_corrected",
        title: format!("您的服务时长已更正 {:+} 分钟", req.minutes),
        body: req.reason,
        about: None,
    };
    crate::notifications::service::notify(&txn, &[req.volunteer_id], &notice, now).await?;
    txn.commit().await?;
    Ok(entry(model))
}
