//! Announcement rules and queries.

use chrono::{DateTime, Utc};
use entity::{activity, announcement, station};
use sea_orm::{
    ActiveValue::Set, Condition, ConnectionTrait, QueryOrder, QuerySelect, SqlErr, TransactionSession,
    TransactionTrait, prelude::*,
};

use super::types::*;
use crate::activities::{service as activities, state::ActivityStatus};
use crate::clock::CHINA;
use crate::http::{AppError, AppResult, AuthUser, Pagination};
use crate::uploads::service::{self as uploads, Attachment};

/// Whether the caller may edit and delete it: staff of its station; an admin for platform-wide ones.
fn can_manage(user: Option<&AuthUser>, model: &announcement::Model) -> bool {
    user.is_some_and(|u| match model.station_id {
        Some(station) => u.is_staff_of(station),
        None => u.is_admin(),
    })
}

fn is_published(model: &announcement::Model, now: DateTime<Utc>) -> bool {
    model.publish_at <= now
}

fn response(user: Option<&AuthUser>, model: announcement::Model, now: DateTime<Utc>) -> AnnouncementResponse {
    let allowed_actions = if can_manage(user, &model) {
        vec![AnnouncementAction::Edit.name(), AnnouncementAction::Delete.name()]
    } else {
        Vec::new()
    };
    AnnouncementResponse {
        published: is_published(&model, now),
        id: model.id,
        station_id: model.station_id,
        title: model.title,
        body: model.body,
        category: model.category,
        cover_url: model.cover_url,
        pinned: model.pinned,
        publish_at: model.publish_at,
        activity_id: model.activity_id,
        author_id: model.author_id,
        created_at: model.created_at,
        updated_at: model.updated_at,
        allowed_actions,
        photos: Vec::new(),
    }
}

/// The announcements with their attached files.
async fn with_photos(
    db: &impl ConnectionTrait,
    mut items: Vec<AnnouncementResponse>,
) -> AppResult<Vec<AnnouncementResponse>> {
    let ids: Vec<i32> = items.iter().map(|a| a.id).collect();
    let mut photos = uploads::photos_of(db, Attachment::Announcement, &ids).await?;
    for item in &mut items {
        item.photos = photos.remove(&item.id).unwrap_or_default();
    }
    Ok(items)
}

async fn one_with_photos(db: &impl ConnectionTrait, item: AnnouncementResponse) -> AppResult<AnnouncementResponse> {
    let mut items = with_photos(db, vec![item]).await?;
    items.pop().ok_or_else(not_found)
}

fn not_found() -> AppError {
    AppError::not_found("公告不存在")
}

/// The announcement if the caller may read it: published, or the caller manages it; else 404.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    user: Option<&AuthUser>,
    id: i32,
    now: DateTime<Utc>,
) -> AppResult<announcement::Model> {
    let model = announcement::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    if is_published(&model, now) || can_manage(user, &model) {
        Ok(model)
    } else {
        Err(not_found())
    }
}

/// The announcement a change is asked for: 404 when the caller may not read it, 403 when they
/// may read but not manage it.
async fn find_for_change(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    id: i32,
    now: DateTime<Utc>,
) -> AppResult<announcement::Model> {
    let model = find_visible(db, Some(user), id, now).await?;
    if can_manage(Some(user), &model) {
        Ok(model)
    } else {
        Err(AppError::forbidden("FORBIDDEN", "只能管理本实践站的公告"))
    }
}

/// One announcement for the caller.
pub async fn get(
    db: &impl ConnectionTrait,
    user: Option<&AuthUser>,
    id: i32,
    now: DateTime<Utc>,
) -> AppResult<AnnouncementResponse> {
    let model = find_visible(db, user, id, now).await?;
    one_with_photos(db, response(user, model, now)).await
}

/// Published announcements (and, for staff asking, their station's scheduled ones): pinned
/// first, then newest by publish time.
pub async fn list(
    db: &impl ConnectionTrait,
    user: Option<&AuthUser>,
    filter: AnnouncementFilter,
    page: &Pagination,
    now: DateTime<Utc>,
) -> AppResult<(Vec<AnnouncementResponse>, u64)> {
    let mut visible = Condition::any().add(announcement::Column::PublishAt.lte(now));
    if filter.include_scheduled == Some(true)
        && let Some(user) = user
    {
        if user.is_admin() {
            visible = Condition::all();
        } else if let Some(home) = user.station_id.filter(|s| user.is_staff_of(*s)) {
            visible = visible.add(announcement::Column::StationId.eq(home));
        }
    }
    let mut query = announcement::Entity::find().filter(visible);
    if let Some(station_id) = filter.station_id {
        query = query.filter(announcement::Column::StationId.eq(station_id));
    }
    if let Some(category) = filter.category {
        query = query.filter(announcement::Column::Category.eq(category));
    }
    let total = query.clone().count(db).await?;
    let models = query
        .order_by_desc(announcement::Column::Pinned)
        .order_by_desc(announcement::Column::PublishAt)
        .order_by_desc(announcement::Column::Id)
        .offset(page.offset())
        .limit(page.page_size())
        .all(db)
        .await?;
    let items = models.into_iter().map(|m| response(user, m, now)).collect();
    Ok((with_photos(db, items).await?, total))
}

/// The station a new announcement belongs to: staff publish for their own station; an admin
/// for the one named, or platform-wide (`None`).
async fn station_for_new(db: &impl ConnectionTrait, user: &AuthUser, named: Option<i32>) -> AppResult<Option<i32>> {
    if user.is_admin() {
        if let Some(id) = named
            && station::Entity::find_by_id(id).one(db).await?.is_none()
        {
            return Err(AppError::invalid_field("station_id", "实践站不存在"));
        }
        return Ok(named);
    }
    let station = user.one_listed_station(named)?;
    user.require_staff_of(station)?;
    Ok(Some(station))
}

/// Publishes (or schedules) an announcement. Roles: secretary or director of the station; admin.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    user: &AuthUser,
    req: CreateAnnouncementRequest,
    now: DateTime<Utc>,
) -> AppResult<AnnouncementResponse> {
    let station_id = station_for_new(db, user, req.station_id).await?;
    let attachment_ids = req.attachment_ids.unwrap_or_default();
    let txn = db.begin().await?;
    let model = announcement::ActiveModel {
        station_id: Set(station_id),
        title: Set(req.title),
        body: Set(req.body),
        category: Set(req.category),
        cover_url: Set(req.cover_url),
        pinned: Set(req.pinned),
        publish_at: Set(req.publish_at.unwrap_or(now)),
        activity_id: Set(None),
        author_id: Set(user.id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    uploads::attach(
        &txn,
        user.id,
        &attachment_ids,
        Attachment::Announcement,
        model.id,
        "attachment_ids",
    )
    .await?;
    let answer = one_with_photos(&txn, response(Some(user), model, now)).await?;
    txn.commit().await?;
    Ok(answer)
}

/// Changes an announcement. Roles: staff of its station (admin for platform-wide ones).
pub async fn update(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    id: i32,
    req: UpdateAnnouncementRequest,
    now: DateTime<Utc>,
) -> AppResult<AnnouncementResponse> {
    let model = find_for_change(db, user, id, now).await?;
    let mut active: announcement::ActiveModel = model.into();
    if let Some(title) = req.title {
        active.title = Set(title);
    }
    if let Some(body) = req.body {
        active.body = Set(body);
    }
    if let Some(category) = req.category {
        active.category = Set(category);
    }
    if let Some(cover_url) = req.cover_url {
        active.cover_url = Set(Some(cover_url).filter(|u| !u.is_empty()));
    }
    if let Some(pinned) = req.pinned {
        active.pinned = Set(pinned);
    }
    if let Some(publish_at) = req.publish_at {
        active.publish_at = Set(publish_at);
    }
    active.updated_at = Set(now);
    let model = active.update(db).await?;
    one_with_photos(db, response(Some(user), model, now)).await
}

/// Deletes an announcement. Roles: staff of its station (admin for platform-wide ones).
pub async fn delete(db: &impl ConnectionTrait, user: &AuthUser, id: i32, now: DateTime<Utc>) -> AppResult<()> {
    let model = find_for_change(db, user, id, now).await?;
    announcement::Entity::delete_by_id(model.id).exec(db).await?;
    Ok(())
}

fn already_published() -> AppError {
    AppError::conflict("ALREADY_PUBLISHED", "该活动的记录已发布为新闻")
}

/// The news text of an archived activity: its record summary, then when and where it was held.
fn news_body(activity: &activity::Model) -> String {
    let starts = activity.starts_at.with_timezone(&CHINA).format("%Y年%m月%d日 %H:%M");
    format!(
        "{}\n\n活动时间：{starts}\n活动地点：{}",
        activity.record_summary.as_deref().unwrap_or_default(),
        activity.location
    )
}

/// Publishes an archived activity's record as news, once. Roles: staff of the activity's station.
pub async fn from_activity(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    activity_id: i32,
    req: NewsFromActivityRequest,
    now: DateTime<Utc>,
) -> AppResult<AnnouncementResponse> {
    let activity = activities::find_for_change(db, user, activity_id).await?;
    user.require_staff_of(activity.station_id)?;
    if activity.status != ActivityStatus::Archived {
        return Err(AppError::conflict(
            "ACTIVITY_NOT_RECORDED",
            "活动尚未记录归档，归档后才能发布为新闻",
        ));
    }
    let exists = announcement::Entity::find()
        .filter(announcement::Column::ActivityId.eq(activity.id))
        .count(db)
        .await?
        > 0;
    if exists {
        return Err(already_published());
    }
    let inserted = announcement::ActiveModel {
        station_id: Set(Some(activity.station_id)),
        title: Set(activity.title.clone()),
        body: Set(news_body(&activity)),
        category: Set(AnnouncementCategory::News),
        cover_url: Set(req.cover_url),
        pinned: Set(req.pinned),
        publish_at: Set(req.publish_at.unwrap_or(now)),
        activity_id: Set(Some(activity.id)),
        author_id: Set(user.id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(model) => Ok(response(Some(user), model, now)),
        // Two calls at once: the unique index on `activity_id` lets one through.
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Err(already_published()),
        Err(err) => Err(err.into()),
    }
}
