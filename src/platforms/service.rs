//! Platform queries and changes.

use entity::platform;
use sea_orm::{ActiveValue::Set, Condition, ConnectionTrait, QueryOrder, prelude::*};

use super::types::PlatformResponse;
use crate::http::{AppError, AppResult};

fn response(model: platform::Model) -> PlatformResponse {
    PlatformResponse {
        id: model.id,
        is_default: model.station_id.is_none(),
        station_id: model.station_id,
        code: model.code,
        name: model.name,
        description: model.description,
    }
}

/// The shared platforms, then the station's own.
pub async fn list(
    db: &impl ConnectionTrait,
    station_id: Option<i32>,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<PlatformResponse>, u64)> {
    let mut condition = Condition::any().add(platform::Column::StationId.is_null());
    if let Some(station_id) = station_id {
        condition = condition.add(platform::Column::StationId.eq(station_id));
    }
    let query = platform::Entity::find()
        .filter(condition)
        .order_by_asc(platform::Column::Id);
    let (rows, total) = crate::db::fetch_page(db, query, offset, limit).await?;
    Ok((rows.into_iter().map(response).collect(), total))
}

/// The platform, when it is usable by the station (shared, or the station's own).
pub async fn find_for_station(
    db: &impl ConnectionTrait,
    id: i32,
    station_id: i32,
) -> AppResult<Option<PlatformResponse>> {
    Ok(platform::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|p| p.station_id.is_none() || p.station_id == Some(station_id))
        .map(response))
}

/// Refuses with 422 naming `field` unless the platform is usable by the station.
pub async fn ensure_usable(db: &impl ConnectionTrait, id: i32, station_id: i32, field: &str) -> AppResult<()> {
    if find_for_station(db, id, station_id).await?.is_none() {
        return Err(AppError::invalid_field(field, "平台不存在或不属于本实践站"));
    }
    Ok(())
}

pub async fn create(
    db: &impl ConnectionTrait,
    station_id: i32,
    name: String,
    description: Option<String>,
) -> AppResult<PlatformResponse> {
    let clash = platform::Entity::find()
        .filter(platform::Column::Name.eq(name.clone()))
        .filter(
            Condition::any()
                .add(platform::Column::StationId.is_null())
                .add(platform::Column::StationId.eq(station_id)),
        )
        .one(db)
        .await?;
    let taken = || AppError::conflict("PLATFORM_EXISTS", "已有同名平台");
    if clash.is_some() {
        return Err(taken());
    }
    let model = platform::ActiveModel {
        station_id: Set(Some(station_id)),
        code: Set(None),
        name: Set(name),
        description: Set(description),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => taken(),
        other => other,
    })?;
    Ok(response(model))
}
