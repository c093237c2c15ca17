//! Upload rules and queries: storing a processed file and its row, attaching uploads to the
//! resource that references them (once, by their owner, inside the referencing transaction),
//! the photos a resource shows, and who may download a file.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::upload;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder, QuerySelect, prelude::*, sea_query::Expr};
use sha2::{Digest, Sha256};

use super::media::Processed;
use super::store::UploadStore;
use super::types::{UploadPhoto, UploadResponse};
use crate::audit::Origin;
use crate::http::{AppError, AppResult, AuthUser};
use crate::orders::service::{self as orders, Caller, Timing};

/// Most uploads one reference may attach (`photo_ids`).
pub const MAX_ATTACHED: usize = 9;

/// What an upload is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attachment {
    /// An order's photos, from its creation.
    Order,
    /// The photos of an order's completion, from its volunteer.
    OrderCompletion,
    /// An activity's record (过程材料).
    ActivityRecord,
    /// An announcement's attachment.
    Announcement,
}

impl Attachment {
    pub fn as_str(self) -> &'static str {
        match self {
            Attachment::Order => "order",
            Attachment::OrderCompletion => "order_completion",
            Attachment::ActivityRecord => "activity_record",
            Attachment::Announcement => "announcement",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            Attachment::Order,
            Attachment::OrderCompletion,
            Attachment::ActivityRecord,
            Attachment::Announcement,
        ]
        .into_iter()
        .find(|a| a.as_str() == text)
    }
}

fn not_found() -> AppError {
    AppError::not_found("文件不存在")
}

pub fn url(id: &str) -> String {
    format!("/api/v1/uploads/{id}")
}

fn thumbnail_url(upload: &upload::Model) -> Option<String> {
    upload
        .thumbnail_key
        .as_ref()
        .map(|_| format!("/api/v1/uploads/{}?variant=thumbnail", upload.id))
}

pub fn response(upload: &upload::Model) -> UploadResponse {
    UploadResponse {
        id: upload.id.clone(),
        content_type: upload.content_type.clone(),
        bytes: upload.bytes,
        width: upload.width,
        height: upload.height,
        thumbnail_url: thumbnail_url(upload),
        url: url(&upload.id),
    }
}

fn photo(upload: &upload::Model) -> UploadPhoto {
    UploadPhoto {
        id: upload.id.clone(),
        url: url(&upload.id),
        thumbnail_url: thumbnail_url(upload),
        content_type: upload.content_type.clone(),
    }
}

/// Stores the file (and its thumbnail), then records it, unattached, as the caller's.
#[tracing::instrument(skip_all, fields(user_id = owner.id, bytes = processed.body.len()))]
pub async fn create(
    db: &impl ConnectionTrait,
    store: &UploadStore,
    owner: &AuthUser,
    processed: Processed,
    now: DateTime<Utc>,
) -> AppResult<upload::Model> {
    let id = Uuid::now_v7().to_string();
    let object_key = format!("originals/{id}");
    let sha256: String = Sha256::digest(&processed.body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let bytes = i64::try_from(processed.body.len()).map_err(AppError::internal)?;
    let dimension = |d: Option<u32>| d.and_then(|d| i32::try_from(d).ok());
    store
        .put(&object_key, processed.body)
        .await
        .map_err(AppError::internal)?;
    let thumbnail_key = match processed.thumbnail {
        Some(thumbnail) => {
            let key = format!("thumbnails/{id}");
            store.put(&key, thumbnail).await.map_err(AppError::internal)?;
            Some(key)
        }
        None => None,
    };
    let row = upload::ActiveModel {
        id: Set(id),
        owner_id: Set(owner.id),
        station_id: Set(owner.station_id),
        content_type: Set(processed.kind.content_type().to_owned()),
        bytes: Set(bytes),
        width: Set(dimension(processed.width)),
        height: Set(dimension(processed.height)),
        sha256: Set(sha256),
        object_key: Set(object_key.clone()),
        thumbnail_key: Set(thumbnail_key.clone()),
        attached_to_type: Set(None),
        attached_to_id: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await;
    match row {
        Ok(row) => Ok(row),
        Err(err) => {
            // Not recorded, so never reachable: do not leave the objects behind.
            for key in std::iter::once(object_key).chain(thumbnail_key) {
                if let Err(error) = store.delete(&key).await {
                    tracing::warn!(error = %error, key, "could not remove the objects of a failed upload");
                }
            }
            Err(err.into())
        }
    }
}

/// Attaches the caller's unattached uploads `ids` to `to` `target_id`, in one conditional
/// statement: run it inside the referencing action's transaction, so that a refusal changes
/// nothing. An id that is unknown or someone else's is 422 `UPLOAD_UNKNOWN`; one of the caller's
/// already attached (here or anywhere, a concurrent request included) is 409
/// `UPLOAD_ALREADY_ATTACHED`.
pub async fn attach(
    db: &impl ConnectionTrait,
    owner_id: i32,
    ids: &[String],
    to: Attachment,
    target_id: i32,
    field: &str,
) -> AppResult<()> {
    let mut unique: Vec<&String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    if unique.is_empty() {
        return Ok(());
    }
    let attached = upload::Entity::update_many()
        .col_expr(upload::Column::AttachedToType, Expr::value(to.as_str()))
        .col_expr(upload::Column::AttachedToId, Expr::value(target_id))
        .filter(upload::Column::Id.is_in(unique.iter().map(|id| id.as_str())))
        .filter(upload::Column::OwnerId.eq(owner_id))
        .filter(upload::Column::AttachedToId.is_null())
        .exec(db)
        .await?
        .rows_affected;
    if attached == unique.len() as u64 {
        return Ok(());
    }
    let mine = upload::Entity::find()
        .filter(upload::Column::Id.is_in(unique.iter().map(|id| id.as_str())))
        .filter(upload::Column::OwnerId.eq(owner_id))
        .count(db)
        .await?;
    if mine < unique.len() as u64 {
        Err(AppError::unprocessable_field(
            "UPLOAD_UNKNOWN",
            field,
            "引用的文件不存在或不是您上传的",
        ))
    } else {
        Err(AppError::conflict("UPLOAD_ALREADY_ATTACHED", "引用的文件已被使用"))
    }
}

/// Makes the uploads attached to `to` `target_id` exactly `ids`: ids already attached there stay
/// (whoever uploaded them), the caller's unattached ones are attached as [`attach`] does, and
/// those no longer listed are detached (then deleted by the sweep of unattached uploads). Run it
/// inside the referencing action's transaction.
pub async fn replace(
    db: &impl ConnectionTrait,
    owner_id: i32,
    ids: &[String],
    to: Attachment,
    target_id: i32,
    field: &str,
) -> AppResult<()> {
    let here = |query: sea_orm::UpdateMany<upload::Entity>| {
        query
            .filter(upload::Column::AttachedToType.eq(to.as_str()))
            .filter(upload::Column::AttachedToId.eq(target_id))
    };
    here(upload::Entity::update_many())
        .col_expr(upload::Column::AttachedToType, Expr::value(Option::<String>::None))
        .col_expr(upload::Column::AttachedToId, Expr::value(Option::<i32>::None))
        .filter(upload::Column::Id.is_not_in(ids.iter().map(String::as_str)))
        .exec(db)
        .await?;
    let kept: Vec<String> = upload::Entity::find()
        .select_only()
        .column(upload::Column::Id)
        .filter(upload::Column::AttachedToType.eq(to.as_str()))
        .filter(upload::Column::AttachedToId.eq(target_id))
        .into_tuple()
        .all(db)
        .await?;
    let new: Vec<String> = ids.iter().filter(|id| !kept.contains(id)).cloned().collect();
    attach(db, owner_id, &new, to, target_id, field).await
}

/// Deletes uploads still unattached `ttl` after they were made (never referenced, or detached):
/// each row by a statement conditional on its still being unattached, so an attach racing the
/// sweep either wins or finds the upload gone (422 `UPLOAD_UNKNOWN`); then its stored file and
/// thumbnail. At most 500 a run. Returns how many were deleted.
pub async fn purge_unattached(
    db: &impl ConnectionTrait,
    store: &UploadStore,
    ttl: chrono::Duration,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let stale = upload::Entity::find()
        .filter(upload::Column::AttachedToId.is_null())
        .filter(upload::Column::CreatedAt.lt(now - ttl))
        .order_by_asc(upload::Column::CreatedAt)
        .limit(500)
        .all(db)
        .await?;
    let mut purged = 0;
    for row in stale {
        let deleted = upload::Entity::delete_many()
            .filter(upload::Column::Id.eq(row.id.as_str()))
            .filter(upload::Column::AttachedToId.is_null())
            .exec(db)
            .await?
            .rows_affected;
        if deleted == 0 {
            continue;
        }
        purged += 1;
        for key in std::iter::once(row.object_key).chain(row.thumbnail_key) {
            if let Err(error) = store.delete(&key).await {
                tracing::warn!(error = %error, key, "could not remove the objects of an unattached upload");
            }
        }
    }
    Ok(purged)
}

/// The files attached to each of `target_ids` as `to`, oldest first.
pub async fn photos_of(
    db: &impl ConnectionTrait,
    to: Attachment,
    target_ids: &[i32],
) -> AppResult<HashMap<i32, Vec<UploadPhoto>>> {
    if target_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = upload::Entity::find()
        .filter(upload::Column::AttachedToType.eq(to.as_str()))
        .filter(upload::Column::AttachedToId.is_in(target_ids.iter().copied()))
        .order_by_asc(upload::Column::CreatedAt)
        .order_by_asc(upload::Column::Id)
        .all(db)
        .await?;
    let mut out: HashMap<i32, Vec<UploadPhoto>> = HashMap::new();
    for row in &rows {
        if let Some(target) = row.attached_to_id {
            out.entry(target).or_default().push(photo(row));
        }
    }
    Ok(out)
}

/// The upload, when the caller may download it: its owner always; anyone else only when it is
/// attached to something they may see (an order: whoever may see the order; an announcement:
/// whoever may read it; an activity record: whoever may see the record). Else 404, which
/// never says whether the file exists.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    origin: &Origin,
    timing: Timing,
    id: &str,
) -> AppResult<upload::Model> {
    let upload = upload::Entity::find_by_id(id).one(db).await?.ok_or_else(not_found)?;
    if upload.owner_id == user.id {
        return Ok(upload);
    }
    let target = upload
        .attached_to_type
        .as_deref()
        .and_then(Attachment::parse)
        .zip(upload.attached_to_id);
    let visible = match target {
        None => false,
        Some((Attachment::Order | Attachment::OrderCompletion, order_id)) => {
            let caller = Caller::load(db, user, origin, timing).await?;
            match orders::find_visible(db, &caller, order_id).await {
                Ok(_) => true,
                Err(AppError::NotFound { .. }) => false,
                Err(other) => return Err(other),
            }
        }
        Some((Attachment::Announcement, announcement_id)) => {
            match crate::announcements::service::find_visible(db, Some(user), announcement_id, timing.now).await {
                Ok(_) => true,
                Err(AppError::NotFound { .. }) => false,
                Err(other) => return Err(other),
            }
        }
        Some((Attachment::ActivityRecord, activity_id)) => {
            crate::activities::service::may_see_record(db, user, activity_id).await?
        }
    };
    if visible { Ok(upload) } else { Err(not_found()) }
}
