//! Station queries and changes.

use chrono::{DateTime, Utc};
use entity::station;
use sea_orm::{ActiveValue::Set, ConnectionTrait, IntoActiveModel, QueryOrder, QuerySelect, prelude::*};

use super::types::{CreateStationRequest, StationResponse, UpdateStationRequest};
use crate::http::{AppError, AppResult};

fn response(model: station::Model) -> StationResponse {
    StationResponse {
        id: model.id,
        name: model.name,
        district: model.district,
        address: model.address,
        created_at: model.created_at,
    }
}

fn name_taken(err: sea_orm::DbErr) -> AppError {
    match AppError::from(err) {
        AppError::Conflict { .. } => AppError::conflict("STATION_NAME_TAKEN", "已有同名实践站"),
        other => other,
    }
}

/// Stations, oldest first, optionally of one district.
pub async fn list(
    db: &impl ConnectionTrait,
    district: Option<&str>,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<StationResponse>, u64)> {
    let mut query = station::Entity::find().order_by_asc(station::Column::Id);
    if let Some(district) = district {
        query = query.filter(station::Column::District.eq(district));
    }
    let (rows, total) = crate::db::fetch_page(db, query, offset, limit).await?;
    Ok((rows.into_iter().map(response).collect(), total))
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> AppResult<StationResponse> {
    station::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(response)
        .ok_or_else(|| AppError::not_found("实践站不存在"))
}

/// Refuses with 422 naming `field` when the station does not exist.
pub async fn ensure_exists(db: &impl ConnectionTrait, id: i32, field: &str) -> AppResult<()> {
    if station::Entity::find_by_id(id).one(db).await?.is_none() {
        return Err(AppError::invalid_field(field, "实践站不存在"));
    }
    Ok(())
}

pub async fn create(
    db: &impl ConnectionTrait,
    req: CreateStationRequest,
    now: DateTime<Utc>,
) -> AppResult<StationResponse> {
    let model = station::ActiveModel {
        name: Set(req.name),
        district: Set(req.district),
        address: Set(req.address),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(name_taken)?;
    Ok(response(model))
}

pub async fn update(
    db: &impl ConnectionTrait,
    id: i32,
    req: UpdateStationRequest,
    now: DateTime<Utc>,
) -> AppResult<StationResponse> {
    let existing = station::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("实践站不存在"))?;
    let mut active = existing.into_active_model();
    if let Some(name) = req.name {
        active.name = Set(name);
    }
    if let Some(district) = req.district {
        active.district = Set(district);
    }
    if let Some(address) = req.address {
        active.address = Set(address);
    }
    active.updated_at = Set(now);
    Ok(response(active.update(db).await.map_err(name_taken)?))
}

/// The stations of the district a supervisor account names (none when it names no district).
pub async fn district_station_ids(db: &impl ConnectionTrait, supervisor_id: i32) -> AppResult<Vec<i32>> {
    let district = sea_orm::sea_query::Query::select()
        .column(entity::user::Column::District)
        .from(entity::user::Entity)
        .and_where(entity::user::Column::Id.eq(supervisor_id))
        .to_owned();
    Ok(station::Entity::find()
        .select_only()
        .column(station::Column::Id)
        .filter(station::Column::District.in_subquery(district))
        .order_by_asc(station::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}
