//! Writing and reading notifications.

use chrono::{DateTime, Utc};
use entity::notification;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DbBackend, FromQueryResult, QueryOrder, QuerySelect, Statement, prelude::*,
    sea_query::Expr,
};

use super::types::{NotificationKind, NotificationResponse};
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
    pub kind: NotificationKind,
    pub title: String,
    pub body: String,
    pub about: Option<About>,
}

/// Writes `notice` for each user, and puts it in the WeChat outbox for those who granted its
/// template; call it with the transaction of the change it reports.
pub async fn notify(db: &impl ConnectionTrait, user_ids: &[i32], notice: &Notice, now: DateTime<Utc>) -> AppResult<()> {
    if user_ids.is_empty() {
        return Ok(());
    }
    notification::Entity::insert_many(user_ids.iter().map(|user_id| notification::ActiveModel {
        user_id: Set(*user_id),
        kind: Set(notice.kind.as_str().to_owned()),
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
    crate::wechat::outbox::enqueue(db, user_ids, notice, now).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        wake_listeners(db, user_ids).await?;
    }
    Ok(())
}

/// The PostgreSQL channel on which `notify` names the users it wrote to.
pub const CHANNEL: &str = "wenming_notifications";

/// `pg_notify` with the users' ids, comma-separated: sent in the caller's transaction, so it is
/// delivered on commit and never for a change rolled back. A payload stays under PostgreSQL's
/// 8000-byte limit by splitting long lists.
async fn wake_listeners(db: &impl ConnectionTrait, user_ids: &[i32]) -> AppResult<()> {
    let mut ids = user_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(500) {
        let payload = chunk.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The user ids of a `pg_notify` payload (malformed parts are skipped).
pub fn parse_payload(payload: &str) -> Vec<i32> {
    payload.split(',').filter_map(|id| id.trim().parse().ok()).collect()
}

/// Up to `limit` of the user's notifications after `after`, oldest first: the oldest ones, or
/// with `newest` the newest ones.
pub async fn after(
    db: &impl ConnectionTrait,
    user_id: i32,
    after: i32,
    limit: u64,
    newest: bool,
) -> AppResult<Vec<NotificationResponse>> {
    let query = notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::Id.gt(after));
    let query = if newest {
        query.order_by_desc(notification::Column::Id)
    } else {
        query.order_by_asc(notification::Column::Id)
    };
    let mut rows = query.limit(limit).all(db).await?;
    if newest {
        rows.reverse();
    }
    Ok(rows.into_iter().map(response).collect())
}

/// The user's latest notification id (0 without any).
pub async fn latest_id(db: &impl ConnectionTrait, user_id: i32) -> AppResult<i32> {
    Ok(notification::Entity::find()
        .select_only()
        .column_as(notification::Column::Id.max(), "max_id")
        .filter(notification::Column::UserId.eq(user_id))
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten()
        .unwrap_or(0))
}

/// The latest notification id of anyone (0 without any).
pub async fn max_id(db: &impl ConnectionTrait) -> AppResult<i32> {
    Ok(notification::Entity::find()
        .select_only()
        .column_as(notification::Column::Id.max(), "max_id")
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten()
        .unwrap_or(0))
}

/// A user with notifications newer than a watermark, and the newest of their ids.
#[derive(Debug, Clone, Copy, FromQueryResult)]
pub struct NewFor {
    pub user_id: i32,
    pub max_id: i32,
}

/// Who has notifications after `watermark` (a primary-key range scan).
pub async fn new_since(db: &impl ConnectionTrait, watermark: i32) -> AppResult<Vec<NewFor>> {
    Ok(notification::Entity::find()
        .select_only()
        .column(notification::Column::UserId)
        .column_as(notification::Column::Id.max(), "max_id")
        .filter(notification::Column::Id.gt(watermark))
        .group_by(notification::Column::UserId)
        .into_model::<NewFor>()
        .all(db)
        .await?)
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
