//! Registration, login, token rotation, logout and password change.

use std::net::IpAddr;

use entity::user;
use sea_orm::{
    ConnectionTrait, QuerySelect, TransactionTrait,
    prelude::*,
    sea_query::{Expr, ExprTrait},
};

use super::{tokens, types::*};
use crate::auth::roles::Role;
use crate::http::{AppError, AppResult, FieldError};
use crate::state::AppState;
use crate::users::{self, types::UserResponse};

/// Registers a resident. The address is rate-limited and a taken phone refused before the
/// password is hashed, so neither a flood nor a phone enumeration costs hashing work.
pub async fn register(state: &AppState, req: RegisterRequest, address: Option<IpAddr>) -> AppResult<UserResponse> {
    state.register_limiter.check(address)?;
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

/// Issues a token pair for the user, continuing `family` when rotating.
async fn issue(
    state: &AppState,
    db: &impl sea_orm::ConnectionTrait,
    user_id: i32,
    family: Option<String>,
) -> AppResult<TokenResponse> {
    let user = users::service::find(db, user_id).await.map_err(|_| bad_credentials())?;
    let roles = users::service::roles_of(db, user_id).await?;
    let now = state.clock.now();
    let access_token = state
        .jwt
        .issue(
            user.id,
            roles.iter().map(|r| r.as_str().to_owned()).collect(),
            user.station_id,
            user.token_version,
            now,
        )
        .map_err(AppError::internal)?;
    let refresh_ttl = chrono::Duration::from_std(state.settings.refresh_token_ttl).map_err(AppError::internal)?;
    let refresh_token = tokens::create(db, user.id, family, now, refresh_ttl).await?;
    Ok(TokenResponse {
        access_token,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: state.jwt.ttl.num_seconds(),
    })
}

/// Checks phone and password. An unknown phone costs the same hashing work as a wrong password
/// and gets the same answer, so a login never reveals whether a phone is registered. Failures
/// are limited per (phone, client address) with a looser ceiling per phone; a success clears
/// its pair.
pub async fn login(state: &AppState, req: LoginRequest, address: Option<IpAddr>) -> AppResult<TokenResponse> {
    let limiter = &state.login_limiter;
    limiter.admit(&req.phone, address)?;
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
            limiter.succeeded(&req.phone, address);
            issue(state, &state.db, user_id, None).await
        }
        Ok(None) => Err(bad_credentials()),
        Err(error) => {
            limiter.not_attempted(&req.phone, address);
            Err(error)
        }
    }
}

/// Trades a refresh token for a new pair in the same family.
pub async fn refresh(state: &AppState, req: RefreshRequest) -> AppResult<TokenResponse> {
    let now = state.clock.now();
    // Consuming is committed on its own, so that a detected reuse stays revoked.
    let row = tokens::consume(&state.db, &req.refresh_token, now).await?;
    let txn = state.db.begin().await?;
    let pair = issue(state, &txn, row.user_id, Some(row.family_id)).await?;
    txn.commit().await?;
    Ok(pair)
}

pub async fn logout(state: &AppState, user_id: i32, req: RefreshRequest) -> AppResult<()> {
    tokens::revoke_for_user(&state.db, &req.refresh_token, user_id, state.clock.now()).await
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

/// The user's current token version; `None` when the account does not exist.
pub async fn token_version(db: &impl ConnectionTrait, user_id: i32) -> AppResult<Option<i32>> {
    Ok(user::Entity::find_by_id(user_id)
        .select_only()
        .column(user::Column::TokenVersion)
        .into_tuple::<i32>()
        .one(db)
        .await?)
}
