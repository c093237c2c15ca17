//! Inspections (督查): a supervisor files findings for a station and a half year with
//! rectification items; the station's staff rectify each item with a note; the supervisor closes
//! the inspection once every item is rectified. Everyone concerned is notified.

use crate::audit::types::AuditAction;
use crate::notifications::types::NotificationKind;
use chrono::{DateTime, Utc};
use entity::{inspection, inspection_item, user, user_role};
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, DatabaseConnection, QueryOrder, QuerySelect, TransactionTrait,
    prelude::*,
    sea_query::{Expr, Query},
};

use super::state::{
    self, InspectionAction, InspectionActor, InspectionItemStatus, InspectionRefusal, InspectionStatus,
};
use super::types::*;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::roles::Role;
use crate::http::{AppError, AppResult, AuthUser, Pagination};
use crate::notifications::service::{About, Notice, notify};

fn about(id: i32) -> Option<About> {
    Some(About {
        resource_type: "inspection",
        resource_id: id,
    })
}

fn actor(user: &AuthUser, station_id: i32) -> InspectionActor {
    InspectionActor {
        staff: user.is_staff_of(station_id),
        supervisor: (user.has(Role::Supervisor) || user.is_admin()) && user.can_oversee(station_id),
    }
}

fn refusal(refusal: InspectionRefusal) -> AppError {
    match refusal {
        InspectionRefusal::Forbidden => AppError::forbidden("FORBIDDEN", "当前账号无权进行此操作"),
        InspectionRefusal::Closed => AppError::conflict("INSPECTION_CLOSED", "该督查已结束"),
        InspectionRefusal::AlreadyRectified => AppError::conflict("ITEM_ALREADY_RECTIFIED", "该整改事项已整改"),
        InspectionRefusal::ItemsOpen => AppError::conflict("ITEMS_OPEN", "尚有整改事项未完成，不能结束督查"),
    }
}

/// Refuses unless the caller is a supervisor or an admin (the district centre).
pub fn require_supervisor(user: &AuthUser) -> AppResult<()> {
    user.require_any(&[Role::Supervisor, Role::Admin])
}

/// The secretaries and directors of a station.
async fn staff_of(db: &impl ConnectionTrait, station_id: i32) -> AppResult<Vec<i32>> {
    let mut ids: Vec<i32> = user::Entity::find()
        .filter(user::Column::StationId.eq(station_id))
        .inner_join(user_role::Entity)
        .filter(user_role::Column::Role.is_in([Role::Secretary.as_str(), Role::Director.as_str()]))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Files an inspection with its items and notifies the station's staff.
#[tracing::instrument(skip_all, fields(station_id = req.station_id))]
pub async fn create(
    db: &DatabaseConnection,
    user: &AuthUser,
    req: CreateInspectionRequest,
    now: DateTime<Utc>,
) -> AppResult<i32> {
    require_supervisor(user)?;
    crate::stations::service::ensure_exists(db, req.station_id, "station_id").await?;
    if !user.can_oversee(req.station_id) {
        return Err(AppError::forbidden("OTHER_STATION", "只能督查本辖区的实践站"));
    }
    let txn = db.begin().await?;
    let row = inspection::ActiveModel {
        station_id: Set(req.station_id),
        year: Set(req.year),
        half: Set(req.half),
        score: Set(req.score),
        findings: Set(req.findings),
        status: Set(InspectionStatus::Open),
        created_by: Set(user.id),
        created_at: Set(now),
        closed_at: Set(None),
        closed_by: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if !req.items.is_empty() {
        inspection_item::Entity::insert_many(req.items.into_iter().map(|item| inspection_item::ActiveModel {
            inspection_id: Set(row.id),
            text: Set(item.text),
            status: Set(InspectionItemStatus::Open),
            rectified_note: Set(None),
            rectified_by: Set(None),
            rectified_at: Set(None),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let half = if row.half == 1 { "上半年" } else { "下半年" };
    notify(
        &txn,
        &staff_of(&txn, row.station_id).await?,
        &Notice {
            kind: NotificationKind::InspectionFiled,
            title: "收到督查意见".into(),
            body: format!(
                "区文明实践中心已提交 {} 年{}督查意见（评分 {}），请及时整改",
                row.year, half, row.score
            ),
            about: about(row.id),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

/// The inspection, if the caller may see it (staff of its station, or a supervisor overseeing
/// it); 404 otherwise.
async fn find_visible(db: &impl ConnectionTrait, user: &AuthUser, id: i32) -> AppResult<inspection::Model> {
    inspection::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|i| user.can_oversee(i.station_id))
        .ok_or_else(|| AppError::not_found("督查记录不存在"))
}

/// Builds responses with items and the caller's allowed actions.
async fn responses(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    rows: Vec<inspection::Model>,
) -> AppResult<Vec<InspectionResponse>> {
    let items = inspection_item::Entity::find()
        .filter(inspection_item::Column::InspectionId.is_in(rows.iter().map(|r| r.id).collect::<Vec<_>>()))
        .order_by_asc(inspection_item::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let actor = actor(user, row.station_id);
            let mine: Vec<&inspection_item::Model> = items.iter().filter(|i| i.inspection_id == row.id).collect();
            let statuses: Vec<InspectionItemStatus> = mine.iter().map(|i| i.status).collect();
            InspectionResponse {
                allowed_actions: state::allowed_actions(row.status, &statuses, actor),
                items: mine
                    .into_iter()
                    .map(|item| InspectionItemResponse {
                        id: item.id,
                        text: item.text.clone(),
                        status: item.status,
                        rectified_note: item.rectified_note.clone(),
                        rectified_by: item.rectified_by,
                        rectified_at: item.rectified_at,
                        allowed_actions: state::item_allowed_actions(row.status, item.status, actor),
                    })
                    .collect(),
                id: row.id,
                station_id: row.station_id,
                year: row.year,
                half: row.half,
                score: row.score,
                findings: row.findings,
                status: row.status,
                created_by: row.created_by,
                created_at: row.created_at,
                closed_at: row.closed_at,
                closed_by: row.closed_by,
            }
        })
        .collect())
}

/// One inspection for the caller.
pub async fn get(db: &impl ConnectionTrait, user: &AuthUser, id: i32) -> AppResult<InspectionResponse> {
    let row = find_visible(db, user, id).await?;
    responses(db, user, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("督查记录不存在"))
}

/// Inspections the caller may see, newest first: staff their station's, supervisors those of
/// the stations they oversee.
pub async fn list(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    filter: InspectionFilter,
    page: &Pagination,
) -> AppResult<(Vec<InspectionResponse>, u64)> {
    user.require_any(&[Role::Secretary, Role::Director, Role::Supervisor, Role::Admin])?;
    let mut query = inspection::Entity::find().filter(
        user.listing_station(filter.station_id)?
            .condition(inspection::Column::StationId),
    );
    if let Some(year) = filter.year {
        query = query.filter(inspection::Column::Year.eq(year));
    }
    if let Some(half) = filter.half {
        query = query.filter(inspection::Column::Half.eq(half));
    }
    if let Some(status) = filter.status {
        query = query.filter(inspection::Column::Status.eq(status));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(inspection::Column::Id)
        .offset(page.offset())
        .limit(page.page_size())
        .all(db)
        .await?;
    Ok((responses(db, user, rows).await?, total))
}

/// Marks an open item of an open inspection rectified (the station's staff); the supervisor who
/// filed it is notified.
#[tracing::instrument(skip_all, fields(id, item_id))]
pub async fn rectify(
    db: &DatabaseConnection,
    user: &AuthUser,
    id: i32,
    item_id: i32,
    note: String,
    now: DateTime<Utc>,
) -> AppResult<InspectionResponse> {
    let row = find_visible(db, user, id).await?;
    let item = inspection_item::Entity::find_by_id(item_id)
        .one(db)
        .await?
        .filter(|i| i.inspection_id == row.id)
        .ok_or_else(|| AppError::not_found("整改事项不存在"))?;
    state::check(
        row.status,
        InspectionAction::Rectify,
        Some(item.status),
        0,
        actor(user, row.station_id),
    )
    .map_err(refusal)?;
    let txn = db.begin().await?;
    // One guarded statement: the item is still open and its inspection still open.
    let changed = inspection_item::Entity::update_many()
        .col_expr(
            inspection_item::Column::Status,
            Expr::value(InspectionItemStatus::Rectified),
        )
        .col_expr(inspection_item::Column::RectifiedNote, Expr::value(note))
        .col_expr(inspection_item::Column::RectifiedBy, Expr::value(user.id))
        .col_expr(inspection_item::Column::RectifiedAt, Expr::value(now))
        .filter(inspection_item::Column::Id.eq(item.id))
        .filter(inspection_item::Column::Status.eq(InspectionItemStatus::Open))
        .filter(
            inspection_item::Column::InspectionId.in_subquery(
                Query::select()
                    .column(inspection::Column::Id)
                    .from(inspection::Entity)
                    .and_where(inspection::Column::Id.eq(row.id))
                    .and_where(inspection::Column::Status.eq(InspectionStatus::Open))
                    .to_owned(),
            ),
        )
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        let current = inspection::Entity::find_by_id(row.id).one(&txn).await?;
        return Err(refusal(match current.map(|c| c.status) {
            Some(InspectionStatus::Closed) => InspectionRefusal::Closed,
            _ => InspectionRefusal::AlreadyRectified,
        }));
    }
    notify(
        &txn,
        &[row.created_by],
        &Notice {
            kind: NotificationKind::InspectionItemRectified,
            title: "整改事项已完成".into(),
            body: format!("督查整改事项「{}」已整改", item.text),
            about: about(row.id),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    get(db, user, id).await
}

/// Closes an open inspection whose items are all rectified (a supervisor); the station's staff
/// are notified.
#[tracing::instrument(skip_all, fields(id))]
pub async fn close(
    db: &DatabaseConnection,
    (user, origin): (&AuthUser, &Origin),
    id: i32,
    now: DateTime<Utc>,
) -> AppResult<InspectionResponse> {
    let row = find_visible(db, user, id).await?;
    let open_items = inspection_item::Entity::find()
        .filter(inspection_item::Column::InspectionId.eq(row.id))
        .filter(inspection_item::Column::Status.eq(InspectionItemStatus::Open))
        .count(db)
        .await?;
    state::check(
        row.status,
        InspectionAction::Close,
        None,
        usize::try_from(open_items).unwrap_or(usize::MAX),
        actor(user, row.station_id),
    )
    .map_err(refusal)?;
    let txn = db.begin().await?;
    // One guarded statement: still open, and no item open at this moment.
    let changed = inspection::Entity::update_many()
        .col_expr(inspection::Column::Status, Expr::value(InspectionStatus::Closed))
        .col_expr(inspection::Column::ClosedAt, Expr::value(now))
        .col_expr(inspection::Column::ClosedBy, Expr::value(user.id))
        .filter(inspection::Column::Id.eq(row.id))
        .filter(inspection::Column::Status.eq(InspectionStatus::Open))
        .filter(
            inspection::Column::Id.not_in_subquery(
                Query::select()
                    .column(inspection_item::Column::InspectionId)
                    .from(inspection_item::Entity)
                    .and_where(inspection_item::Column::InspectionId.eq(row.id))
                    .and_where(inspection_item::Column::Status.eq(InspectionItemStatus::Open))
                    .to_owned(),
            ),
        )
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        let current = inspection::Entity::find_by_id(row.id).one(&txn).await?;
        return Err(refusal(match current.map(|c| c.status) {
            Some(InspectionStatus::Closed) => InspectionRefusal::Closed,
            _ => InspectionRefusal::ItemsOpen,
        }));
    }
    notify(
        &txn,
        &staff_of(&txn, row.station_id).await?,
        &Notice {
            kind: NotificationKind::InspectionClosed,
            title: "督查已结束".into(),
            body: format!("{} 年督查已结束，整改事项均已完成", row.year),
            about: about(row.id),
        },
        now,
    )
    .await?;
    let entry = AuditEntry::new(user, origin, AuditAction::InspectionClosed, "inspection", row.id)
        .station(Some(row.station_id))
        .detail(serde_json::json!({ "year": row.year, "half": row.half }));
    audit::record(&txn, entry, now).await?;
    txn.commit().await?;
    get(db, user, id).await
}
