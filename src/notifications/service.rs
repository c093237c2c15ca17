//! Writing and reading notifications.

use chrono::{DateTime, Utc};
use entity::notification;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder, prelude::*, sea_query::Expr};

use super::types::NotificationResponse;
use crate::http::{AppError, AppResult};

/// What a notification is about.
#[derive(Debug, Clone, Copy)]
pub struct About {
    pub resource_type: &'static str,
    pub resource_id: i32,
}

/// A notification to write.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: &'static str,
    pub title: String,
    pub body: String,
    pub about: Option<About>,
}

/// Writes `notice` for each user; call it with the transaction of the change it reports.
pub async fn notify(db: &impl ConnectionTrait, user_ids: &[i32], notice: &Notice, now: DateTime<Utc>) -> AppResult<()> {
    if user_ids.is_empty() {
        return Ok(());
    }
    notification::Entity::insert_many(user_ids.iter().map(|user_id| notification::ActiveModel {
        user_id: Set(*user_id),
        kind: Set(notice.kind.to_owned()),
        title: Set(notice.title.clone()),
        body: Set(notice.body.clone()),
        resource_type: Set(notice.about.map(|a| a.resource_type.to_owned())),
        resource_id: Set(notice.about.map(|a| a.resource_id)),
        read_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

fn response(model: notification::Model) -> NotificationResponse {
    NotificationResponse {
        id: model.id,
        kind: model.kind,
        title: model.title,
        body: model.body,
        resource_type: model.resource_type,
        resource_id: model.resource_id,
        read: model.read_at.is_some(),
        read_at: model.read_at,
        created_at: model.created_at,
    }
}

/// The user's notifications, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: i32,
    unread: Option<bool>,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<NotificationResponse>, u64)> {
    let mut query = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
    query = match unread {
        Some(true) => query.filter(notification::Column::ReadAt.is_null()),
        Some(false) => query.filter(notification::Column::ReadAt.is_not_null()),
        None => query,
    };
    let (rows, total) = crate::db::fetch_page(db, query.order_by_desc(notification::Column::Id), offset, limit).await?;
    Ok((rows.into_iter().map(response).collect(), total))
}

pub async fn unread_count(db: &impl ConnectionTrait, user_id: i32) -> AppResult<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// Marks one of the user's notifications read (reading it twice keeps the first time).
pub async fn mark_read(
    db: &impl ConnectionTrait,
    user_id: i32,
    id: i32,
    now: DateTime<Utc>,
) -> AppResult<NotificationResponse> {
    notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(now))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    notification::Entity::find_by_id(id)
        .filter(notification::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .map(response)
        .ok_or_else(|| AppError::not_found("通知不存在"))
}

pub async fn mark_all_read(db: &impl ConnectionTrait, user_id: i32, now: DateTime<Utc>) -> AppResult<u64> {
    Ok(notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(now))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}
