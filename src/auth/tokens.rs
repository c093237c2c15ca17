//! Refresh tokens: opaque random strings, stored only as SHA-256 hashes, rotated on every use.
//! Each login starts a family; presenting a token that was already rotated revokes the family,
//! because one of its two holders is a thief, unless it was rotated within the grace window
//! (`REFRESH_REUSE_GRACE_SECS`): then it answers the same successor as the first use.

use base64::Engine;
use chrono::{DateTime, Utc};
use entity::refresh_token;
use rand::RngCore;
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait,
    prelude::*,
    sea_query::{Expr, OnConflict},
};
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

/// What a rotation hands back: whose token it was and its successor.
#[derive(Debug)]
pub struct Rotation {
    pub user_id: i32,
    pub refresh_token: String,
}

/// The successor of `token`: HMAC-SHA256 of it under the server secret. Anyone presenting
/// `token` again within the grace window recomputes the same successor, so nothing but its hash
/// is ever stored, and no one without the secret can derive it.
pub fn successor(secret: &[u8], token: &str) -> AppResult<String> {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha2_hmac::Sha256>::new_from_slice(secret).map_err(AppError::internal)?;
    mac.update(b"wenming refresh successor\0");
    mac.update(token.as_bytes());
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// Rotates `token`: marks it used and answers its successor, or refuses. A token already used
/// less than `grace` ago answers the same successor (two tabs, or a retry whose answer was lost);
/// used longer ago, it revokes its family, because one of its two holders is a thief.
pub async fn rotate(
    db: &impl ConnectionTrait,
    secret: &[u8],
    token: &str,
    now: DateTime<Utc>,
    ttl: chrono::Duration,
    grace: chrono::Duration,
) -> AppResult<Rotation> {
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
    let used_at = if claimed == 1 {
        now
    } else {
        // Read again: the claim that beat this one is committed (each statement commits alone).
        let current = refresh_token::Entity::find_by_id(row.id)
            .one(db)
            .await?
            .ok_or_else(invalid)?;
        match (current.revoked_at, current.used_at) {
            (None, Some(used_at)) if now - used_at < grace => used_at,
            (None, Some(_)) => {
                revoke_family(db, &row.family_id, now).await?;
                return Err(AppError::unauthorized(
                    "REFRESH_TOKEN_REUSED",
                    "刷新令牌已被使用过，为安全起见该登录已全部失效，请重新登录",
                ));
            }
            _ => return Err(invalid()),
        }
    };
    // Whoever claimed and whoever came within the grace window store the same successor row
    // (its times come from `used_at`); the unique hash keeps one. So the successor exists as
    // soon as any of them has answered, even if the claimer failed before storing it.
    let next = successor(secret, token)?;
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        user_id: Set(row.user_id),
        family_id: Set(row.family_id.clone()),
        token_hash: Set(hash(&next)),
        expires_at: Set(used_at + ttl),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(used_at),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(refresh_token::Column::TokenHash)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(Rotation {
        user_id: row.user_id,
        refresh_token: next,
    })
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
