//! Registration, login, token rotation, logout and password change.

use std::net::IpAddr;

use entity::{revoked_access_token, user};
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, FromQueryResult, QuerySelect, TransactionTrait,
    prelude::*,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};

use super::{tokens, types::*};
use crate::auth::roles::Role;
use crate::http::{AppError, AppResult, AuthUser, FieldError};
use crate::state::AppState;
use crate::users::{self, types::UserResponse};

/// Registers a resident. The address is rate-limited and a taken phone refused before the
/// password is hashed, so neither a flood nor a phone enumeration costs hashing work.
pub async fn register(state: &AppState, req: RegisterRequest, address: Option<IpAddr>) -> AppResult<UserResponse> {
    state.register_limiter.check(address).await?;
    if users::service::find_by_phone(&state.db, &req.phone).await?.is_some() {
        return Err(users::service::phone_taken());
    }
    crate::stations::service::ensure_exists(&state.db, req.station_id, "station_id").await?;
    let password_hash = state.passwords.hash(req.password).await?;
    users::service::create(
        &state.db,
        users::service::NewUser {
            phone: req.phone,
            password_hash,
            name: req.name,
            station_id: Some(req.station_id),
            roles: vec![Role::Resident],
            district: None,
        },
        None,
        state.clock.now(),
    )
    .await
}

fn bad_credentials() -> AppError {
    AppError::unauthorized("INVALID_CREDENTIALS", "手机号或密码错误")
}

/// A fresh access token for the user, at the account's current roles, station and version.
async fn access_token(state: &AppState, db: &impl ConnectionTrait, user_id: i32) -> AppResult<String> {
    let user = users::service::find(db, user_id).await.map_err(|_| bad_credentials())?;
    let roles = users::service::roles_of(db, user_id).await?;
    state
        .jwt
        .issue(
            user.id,
            roles.iter().map(|r| r.as_str().to_owned()).collect(),
            user.station_id,
            user.token_version,
            state.clock.now(),
        )
        .map_err(AppError::internal)
}

fn pair(state: &AppState, access_token: String, refresh_token: String) -> TokenResponse {
    TokenResponse {
        access_token,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: state.jwt.ttl.num_seconds(),
    }
}

fn refresh_ttl(state: &AppState) -> AppResult<chrono::Duration> {
    chrono::Duration::from_std(state.settings.refresh_token_ttl).map_err(AppError::internal)
}

/// Issues a token pair for the user, starting a new family (a login; WeChat login included).
pub async fn issue(state: &AppState, db: &impl ConnectionTrait, user_id: i32) -> AppResult<TokenResponse> {
    let access = access_token(state, db, user_id).await?;
    let refresh = tokens::create(db, user_id, None, state.clock.now(), refresh_ttl(state)?).await?;
    Ok(pair(state, access, refresh))
}

/// Checks phone and password. An unknown phone costs the same hashing work as a wrong password
/// and gets the same answer, so a login never reveals whether a phone is registered. Failures
/// are limited per (phone, client address) with a looser ceiling per phone; a success clears
/// its pair.
pub async fn login(state: &AppState, req: LoginRequest, address: Option<IpAddr>) -> AppResult<TokenResponse> {
    let limiter = &state.login_limiter;
    limiter.admit(&req.phone, address).await?;
    let checked = async {
        let user = users::service::find_by_phone(&state.db, &req.phone).await?;
        let (hash, user_id) = match &user {
            Some(user) => (user.password_hash.clone(), Some(user.id)),
            None => (state.dummy_hash.clone(), None),
        };
        Ok::<_, AppError>(
            state
                .passwords
                .verify(req.password, hash)
                .await?
                .then_some(user_id)
                .flatten(),
        )
    }
    .await;
    match checked {
        Ok(Some(user_id)) => {
            limiter.succeeded(&req.phone, address).await;
            issue(state, &state.db, user_id).await
        }
        Ok(None) => Err(bad_credentials()),
        Err(error) => {
            limiter.not_attempted(&req.phone, address).await;
            Err(error)
        }
    }
}

/// Trades a refresh token for a new pair in the same family. Within the grace window a rotated
/// token gets the same refresh token again, with a fresh access token.
pub async fn refresh(state: &AppState, req: RefreshRequest) -> AppResult<TokenResponse> {
    let grace = chrono::Duration::from_std(state.settings.refresh_reuse_grace).map_err(AppError::internal)?;
    let rotation = tokens::rotate(
        &state.db,
        &state.settings.jwt_secret,
        &req.refresh_token,
        state.clock.now(),
        refresh_ttl(state)?,
        grace,
    )
    .await?;
    let access = access_token(state, &state.db, rotation.user_id).await?;
    Ok(pair(state, access, rotation.refresh_token))
}

/// Ends the session: the refresh token's family, and the access token the request came with
/// (its `jti` is denied until it expires, in every process).
pub async fn logout(state: &AppState, user: &AuthUser, req: RefreshRequest) -> AppResult<()> {
    let now = state.clock.now();
    let expires_at = chrono::DateTime::from_timestamp(user.token.exp, 0).unwrap_or(now);
    revoked_access_token::Entity::insert(revoked_access_token::ActiveModel {
        jti: Set(user.token.jti.clone()),
        expires_at: Set(expires_at),
    })
    .on_conflict(
        OnConflict::column(revoked_access_token::Column::Jti)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&state.db)
    .await?;
    tokens::revoke_for_user(&state.db, &req.refresh_token, user.id, now).await
}

/// Deletes the denials of access tokens that have expired anyway (job sweep); returns how many.
pub async fn purge_revoked_access_tokens(
    db: &impl ConnectionTrait,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<u64> {
    Ok(revoked_access_token::Entity::delete_many()
        .filter(revoked_access_token::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn change_password(state: &AppState, user_id: i32, req: ChangePasswordRequest) -> AppResult<()> {
    let user = users::service::find(&state.db, user_id).await?;
    if !state.passwords.verify(req.current_password, user.password_hash).await? {
        return Err(AppError::Validation(vec![FieldError {
            field: "current_password".into(),
            message: "当前密码不正确".into(),
        }]));
    }
    let hash = state.passwords.hash(req.new_password).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    users::service::update_password_hash(&txn, user_id, hash, now).await?;
    tokens::revoke_all_of_user(&txn, user_id, now).await?;
    bump_token_version(&txn, user_id).await?;
    txn.commit().await?;
    Ok(())
}

/// Ends every access token of the user from the next request on (roles changed, password
/// changed, account deactivated): one guarded increment of `users.token_version`. Call it in
/// the transaction of the change. Refresh tokens stay valid unless revoked separately, so a
/// client whose roles changed refreshes and gets a token with the new roles.
pub async fn bump_token_version(db: &impl ConnectionTrait, user_id: i32) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::TokenVersion, Expr::col(user::Column::TokenVersion).add(1))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// What the extractor checks of an access token besides its signature.
#[derive(Debug, FromQueryResult)]
pub struct TokenState {
    /// The account's current token version.
    pub version: i32,
    /// Whether this token's `jti` was logged out.
    pub logged_out: bool,
}

/// The user's current token version and whether `jti` was logged out, in one statement;
/// `None` when the account does not exist.
pub async fn token_state(db: &impl ConnectionTrait, user_id: i32, jti: &str) -> AppResult<Option<TokenState>> {
    let denied = Query::select()
        .expr(Expr::val(1))
        .from(revoked_access_token::Entity)
        .and_where(Expr::col((revoked_access_token::Entity, revoked_access_token::Column::Jti)).eq(jti))
        .to_owned();
    Ok(user::Entity::find_by_id(user_id)
        .select_only()
        .column_as(user::Column::TokenVersion, "version")
        .expr_as(Expr::exists(denied), "logged_out")
        .into_model::<TokenState>()
        .one(db)
        .await?)
}
