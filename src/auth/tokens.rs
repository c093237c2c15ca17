//! Refresh tokens: opaque random strings, stored only as SHA-256 hashes, rotated on every use.
//! Each login starts a family; presenting a token that was already rotated revokes the family,
//! because one of its two holders is a thief.

use base64::Engine;
use chrono::{DateTime, Utc};
use entity::refresh_token;
use rand::RngCore;
use sea_orm::{ActiveValue::Set, ConnectionTrait, prelude::*, sea_query::Expr};
use sha2::{Digest, Sha256};

use crate::http::{AppError, AppResult};

pub fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Stores a new refresh token in `family` (a new family when `None`) and returns it.
pub async fn create(
    db: &impl ConnectionTrait,
    user_id: i32,
    family: Option<String>,
    now: DateTime<Utc>,
    ttl: chrono::Duration,
) -> AppResult<String> {
    let token = generate();
    refresh_token::ActiveModel {
        user_id: Set(user_id),
        family_id: Set(family.unwrap_or_else(|| uuid::Uuid::now_v7().to_string())),
        token_hash: Set(hash(&token)),
        expires_at: Set(now + ttl),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

fn invalid() -> AppError {
    AppError::unauthorized("INVALID_REFRESH_TOKEN", "刷新令牌无效或已失效，请重新登录")
}

/// Marks `token` used and returns its row, or refuses. A token used before revokes its family.
pub async fn consume(db: &impl ConnectionTrait, token: &str, now: DateTime<Utc>) -> AppResult<refresh_token::Model> {
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash(token)))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(invalid());
    }
    // One conditional update: of two simultaneous uses only one can see `used_at IS NULL`.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    if claimed == 0 {
        revoke_family(db, &row.family_id, now).await?;
        return Err(AppError::unauthorized(
            "REFRESH_TOKEN_REUSED",
            "刷新令牌已被使用过，为安全起见该登录已全部失效，请重新登录",
        ));
    }
    Ok(row)
}

pub async fn revoke_family(db: &impl ConnectionTrait, family_id: &str, now: DateTime<Utc>) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn revoke_all_of_user(db: &impl ConnectionTrait, user_id: i32, now: DateTime<Utc>) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Logout: revokes the family of `token` when it belongs to `user_id`.
pub async fn revoke_for_user(
    db: &impl ConnectionTrait,
    token: &str,
    user_id: i32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash(token)))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    if let Some(row) = row {
        revoke_family(db, &row.family_id, now).await?;
    }
    Ok(())
}
