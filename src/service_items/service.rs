//! Service-menu queries and changes.

use chrono::{DateTime, Utc};
use entity::service_item;
use sea_orm::{ActiveValue::Set, ConnectionTrait, IntoActiveModel, QueryOrder, prelude::*};

use super::types::*;
use crate::http::{AppError, AppResult, AuthUser};

fn response(model: service_item::Model) -> ServiceItemResponse {
    ServiceItemResponse {
        id: model.id,
        station_id: model.station_id,
        platform_id: model.platform_id,
        name: model.name,
        description: model.description,
        skills: crate::volunteers::service::skills_of(&model.skills),
        deleted: model.deleted_at.is_some(),
        deleted_at: model.deleted_at,
        created_at: model.created_at,
        updated_at: model.updated_at,
    }
}

pub async fn find(db: &impl ConnectionTrait, id: i32) -> AppResult<service_item::Model> {
    service_item::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("服务项目不存在"))
}

fn skills_text(skills: &[String]) -> AppResult<String> {
    let trimmed: Vec<&str> = skills.iter().map(|s| s.trim()).collect();
    serde_json::to_string(&trimmed).map_err(AppError::internal)
}

/// The skills an order's menu item calls for (none without an item).
pub async fn skills_for(db: &impl ConnectionTrait, item_id: Option<i32>) -> AppResult<Vec<String>> {
    let Some(id) = item_id else {
        return Ok(Vec::new());
    };
    Ok(service_item::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|item| crate::volunteers::service::skills_of(&item.skills))
        .unwrap_or_default())
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> AppResult<ServiceItemResponse> {
    Ok(response(find(db, id).await?))
}

/// Refuses with 422 unless the item is on the station's current menu.
pub async fn ensure_orderable(db: &impl ConnectionTrait, id: i32, station_id: i32) -> AppResult<()> {
    let usable = service_item::Entity::find_by_id(id)
        .one(db)
        .await?
        .is_some_and(|item| item.station_id == station_id && item.deleted_at.is_none());
    if usable {
        Ok(())
    } else {
        Err(AppError::invalid_field("service_item_id", "服务项目不存在或已下架"))
    }
}

/// The current menu, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    station_id: Option<i32>,
    platform_id: Option<i32>,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<ServiceItemResponse>, u64)> {
    let mut query = service_item::Entity::find()
        .filter(service_item::Column::DeletedAt.is_null())
        .order_by_asc(service_item::Column::Id);
    if let Some(station_id) = station_id {
        query = query.filter(service_item::Column::StationId.eq(station_id));
    }
    if let Some(platform_id) = platform_id {
        query = query.filter(service_item::Column::PlatformId.eq(platform_id));
    }
    let (rows, total) = crate::db::fetch_page(db, query, offset, limit).await?;
    Ok((rows.into_iter().map(response).collect(), total))
}

/// Adds an item to a station's menu: staff to their own station, admins to the one they name.
pub async fn create(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    req: CreateServiceItemRequest,
    now: DateTime<Utc>,
) -> AppResult<ServiceItemResponse> {
    let station_id = user.station_or_home(req.station_id)?;
    user.require_staff_of(station_id)?;
    crate::stations::service::ensure_exists(db, station_id, "station_id").await?;
    crate::platforms::service::ensure_usable(db, req.platform_id, station_id, "platform_id").await?;
    let model = service_item::ActiveModel {
        station_id: Set(station_id),
        platform_id: Set(req.platform_id),
        name: Set(req.name),
        description: Set(req.description),
        skills: Set(skills_text(&req.skills.unwrap_or_default())?),
        deleted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(response(model))
}

/// Changes an item of the caller's station (staff of the item's station only).
pub async fn update(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    id: i32,
    req: UpdateServiceItemRequest,
    now: DateTime<Utc>,
) -> AppResult<ServiceItemResponse> {
    let item = find(db, id).await?;
    user.require_staff_of(item.station_id)?;
    if let Some(platform_id) = req.platform_id {
        crate::platforms::service::ensure_usable(db, platform_id, item.station_id, "platform_id").await?;
    }
    let mut active = item.into_active_model();
    if let Some(name) = req.name {
        active.name = Set(name);
    }
    if let Some(description) = req.description {
        active.description = Set(Some(description));
    }
    if let Some(platform_id) = req.platform_id {
        active.platform_id = Set(platform_id);
    }
    if let Some(skills) = req.skills {
        active.skills = Set(skills_text(&skills)?);
    }
    active.updated_at = Set(now);
    Ok(response(active.update(db).await?))
}

/// Takes the item off the menu; orders keep pointing at it.
pub async fn delete(db: &impl ConnectionTrait, id: i32, now: DateTime<Utc>) -> AppResult<()> {
    service_item::Entity::update_many()
        .col_expr(service_item::Column::DeletedAt, Expr::value(Some(now)))
        .col_expr(service_item::Column::UpdatedAt, Expr::value(now))
        .filter(service_item::Column::Id.eq(id))
        .filter(service_item::Column::DeletedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
