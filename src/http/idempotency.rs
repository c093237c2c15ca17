//! Idempotent creation (`Idempotency-Key`): a phone on a bad network may send the same create
//! twice; the same key from the same user answers with the first result and creates nothing new.
//!
//! The key is claimed inside the transaction that creates the resource, so two simultaneous
//! requests with one key cannot both create: the second waits on the unique index and then
//! replays what the first stored.

use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, http::StatusCode};
use chrono::{DateTime, Utc};
use entity::idempotency_key;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DatabaseTransaction, TransactionTrait, prelude::*,
    sea_query::OnConflict,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{AppError, AppResult};

/// The `Idempotency-Key` header, when sent (1 to 255 printable ASCII characters).
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.headers().get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(value) => match value.to_str() {
                Ok(key) if (1..=255).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic()) => {
                    Ok(IdempotencyKey(Some(key.to_owned())))
                }
                _ => Err(AppError::bad_request(
                    "INVALID_IDEMPOTENCY_KEY",
                    "Idempotency-Key 须为 1 到 255 个可见 ASCII 字符",
                )),
            },
        };
        std::future::ready(result)
    }
}

/// What a create produced: status, `Location` and body.
pub struct Created {
    pub status: StatusCode,
    pub location: String,
    pub body: serde_json::Value,
}

impl Created {
    pub fn new<T: Serialize>(location: String, body: &T) -> AppResult<Self> {
        Ok(Created {
            status: StatusCode::CREATED,
            location,
            body: serde_json::to_value(body).map_err(AppError::internal)?,
        })
    }

    fn into_response(self, replayed: bool) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header(("location", self.location));
        if replayed {
            response.insert_header(("idempotent-replayed", "true"));
        }
        response.json(self.body)
    }
}

fn request_hash<T: Serialize>(request: &T) -> String {
    let bytes = serde_json::to_vec(request).unwrap_or_default();
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

async fn stored(
    db: &impl ConnectionTrait,
    user_id: i32,
    scope: &str,
    key: &str,
) -> AppResult<Option<idempotency_key::Model>> {
    Ok(idempotency_key::Entity::find()
        .filter(idempotency_key::Column::UserId.eq(user_id))
        .filter(idempotency_key::Column::Scope.eq(scope))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?)
}

fn replay(row: idempotency_key::Model, hash: &str) -> AppResult<HttpResponse> {
    if row.request_hash != hash {
        return Err(AppError::unprocessable(
            "IDEMPOTENCY_KEY_REUSED",
            "该 Idempotency-Key 已用于另一个不同的请求",
        ));
    }
    let (Some(status), Some(body)) = (row.status_code, row.response_body) else {
        return Err(AppError::conflict("IDEMPOTENCY_IN_PROGRESS", "相同的请求正在处理中"));
    };
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::CREATED);
    let body = serde_json::from_str(&body).map_err(AppError::internal)?;
    Ok(Created {
        status,
        location: row.location.unwrap_or_default(),
        body,
    }
    .into_response(true))
}

/// Runs `create` in a transaction, once per (user, scope, key). Without a key it simply runs.
/// `request` is what the client sent: the same key with a different request is refused (422).
pub async fn create_once<T, F>(
    db: &DatabaseConnection,
    user_id: i32,
    scope: &str,
    key: &IdempotencyKey,
    request: &T,
    now: DateTime<Utc>,
    create: F,
) -> AppResult<HttpResponse>
where
    T: Serialize,
    F: AsyncFnOnce(&DatabaseTransaction) -> AppResult<Created>,
{
    let hash = request_hash(request);
    if let Some(key) = &key.0
        && let Some(row) = stored(db, user_id, scope, key).await?
    {
        return replay(row, &hash);
    }
    let txn = db.begin().await?;
    if let Some(key) = &key.0 {
        let claimed = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
            user_id: Set(user_id),
            scope: Set(scope.to_owned()),
            key: Set(key.clone()),
            request_hash: Set(hash.clone()),
            status_code: Set(None),
            response_body: Set(None),
            location: Set(None),
            created_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([
                idempotency_key::Column::UserId,
                idempotency_key::Column::Scope,
                idempotency_key::Column::Key,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        if claimed == 0 {
            txn.rollback().await?;
            let row = stored(db, user_id, scope, key)
                .await?
                .ok_or_else(|| AppError::conflict("IDEMPOTENCY_IN_PROGRESS", "相同的请求正在处理中"))?;
            return replay(row, &hash);
        }
    }
    let created = create(&txn).await?;
    if let Some(key) = &key.0 {
        idempotency_key::Entity::update_many()
            .col_expr(
                idempotency_key::Column::StatusCode,
                Expr::value(i32::from(created.status.as_u16())),
            )
            .col_expr(
                idempotency_key::Column::ResponseBody,
                Expr::value(created.body.to_string()),
            )
            .col_expr(idempotency_key::Column::Location, Expr::value(created.location.clone()))
            .filter(idempotency_key::Column::UserId.eq(user_id))
            .filter(idempotency_key::Column::Scope.eq(scope))
            .filter(idempotency_key::Column::Key.eq(key.as_str()))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(created.into_response(false))
}
