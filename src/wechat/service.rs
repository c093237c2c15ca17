//! WeChat login, binding and unbinding. Which account an openid logs in as is a row of
//! `wechat_bindings`; one openid, one account is held by that table's unique indexes, never by a
//! check in this process.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use entity::wechat_binding;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryOrder, TransactionTrait, prelude::*};

use super::{
    client::{Phone, WechatClient},
    types::*,
};
use crate::auth::{jwt::BIND_TICKET_TTL_SECS, roles::Role, service::issue, types::TokenResponse};
use crate::http::{AppError, AppResult};
use crate::state::AppState;
use crate::users;

/// 404 `WECHAT_DISABLED`: the server has no mini-program credentials.
pub fn disabled() -> AppError {
    AppError::NotFound {
        code: "WECHAT_DISABLED",
        detail: "本服务未开通微信登录".into(),
    }
}

fn client(state: &AppState) -> AppResult<&WechatClient> {
    state.wechat.as_ref().ok_or_else(disabled)
}

fn ticket_invalid() -> AppError {
    AppError::unauthorized("WECHAT_TICKET_INVALID", "绑定凭证无效或已过期，请重新进行微信登录")
}

fn already_bound() -> AppError {
    AppError::conflict(
        "WECHAT_ALREADY_BOUND",
        "该微信或该手机号的账号已与其他微信/账号绑定，请先解绑",
    )
}

/// The account the WeChat user logs in as: bound by openid, or else by unionid (the same person
/// in another app of the same WeChat open platform account).
async fn bound_user(db: &impl ConnectionTrait, openid: &str, unionid: Option<&str>) -> AppResult<Option<i32>> {
    if let Some(binding) = wechat_binding::Entity::find()
        .filter(wechat_binding::Column::Openid.eq(openid))
        .one(db)
        .await?
    {
        return Ok(Some(binding.user_id));
    }
    let Some(unionid) = unionid else { return Ok(None) };
    Ok(wechat_binding::Entity::find()
        .filter(wechat_binding::Column::Unionid.eq(unionid))
        .order_by_asc(wechat_binding::Column::UserId)
        .one(db)
        .await?
        .map(|binding| binding.user_id))
}

/// Exchanges a `wx.login` code: a token pair when the WeChat user is bound to an account, else
/// a bind ticket. Attempts are limited per client address.
pub async fn login(
    state: &AppState,
    req: WechatLoginRequest,
    address: Option<IpAddr>,
) -> AppResult<WechatLoginResponse> {
    let client = client(state)?;
    state.wechat_login_limiter.check(address).await?;
    let session = client.code2session(&req.code).await?;
    match bound_user(&state.db, &session.openid, session.unionid.as_deref()).await? {
        Some(user_id) => {
            tracing::info!(user_id, "WeChat login");
            Ok(WechatLoginResponse::Tokens(issue(state, &state.db, user_id).await?))
        }
        None => {
            let ticket = state
                .jwt
                .issue_bind_ticket(&session.openid, session.unionid.as_deref(), state.clock.now())
                .map_err(AppError::internal)?;
            Ok(WechatLoginResponse::BindRequired(WechatBindTicket {
                bind_required: true,
                ticket,
                expires_in: BIND_TICKET_TTL_SECS,
            }))
        }
    }
}

/// What a bind did.
pub struct Bound {
    pub tokens: TokenResponse,
    /// The id of the resident registered by the bind; `None` when an existing account was bound.
    pub created_user: Option<i32>,
}

/// The WeChat user of a bind ticket.
struct TicketHolder {
    openid: String,
    unionid: Option<String>,
}

/// Binds the ticket's WeChat user to the account with the phone of `phone_code`, registering a
/// resident with that phone when there is none, and answers a token pair for the account.
pub async fn bind(state: &AppState, req: WechatBindRequest, address: Option<IpAddr>) -> AppResult<Bound> {
    let client = client(state)?;
    let claims = state
        .jwt
        .verify_bind_ticket(&req.ticket, state.clock.now())
        .map_err(|_| ticket_invalid())?;
    let holder = TicketHolder {
        openid: claims.sub,
        unionid: claims.unionid,
    };
    let phone = mainland_phone(client.phone_number(&req.phone_code).await?)?;

    if users::service::find_by_phone(&state.db, &phone).await?.is_none() {
        // Like a registration: limited per address.
        state.register_limiter.check(address).await?;
        match register(state, &holder, &phone, &req).await {
            // Someone registered the phone meanwhile: bind that account instead.
            Err(error) if error.code() == "PHONE_TAKEN" => {}
            other => return other,
        }
    }
    let user = users::service::find_by_phone(&state.db, &phone)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the account with the phone vanished")))?;
    link(&state.db, user.id, &holder, state.clock.now()).await?;
    tracing::info!(user_id = user.id, "WeChat bound to an existing account");
    Ok(Bound {
        tokens: issue(state, &state.db, user.id).await?,
        created_user: None,
    })
}

/// A phone accounts can have: a mainland mobile number.
fn mainland_phone(phone: Phone) -> AppResult<String> {
    if phone.country_code == "86" && users::rules::is_mainland_mobile(&phone.pure_phone_number) {
        Ok(phone.pure_phone_number)
    } else {
        Err(AppError::unprocessable_field(
            "WECHAT_PHONE_UNSUPPORTED",
            "phone_code",
            "仅支持中国大陆手机号",
        ))
    }
}

/// Registers a resident with `phone`, bound to the ticket's WeChat user, in one transaction: a
/// lost race for the openid leaves no account behind.
async fn register(state: &AppState, holder: &TicketHolder, phone: &str, req: &WechatBindRequest) -> AppResult<Bound> {
    let station_id = req.station_id.ok_or_else(|| {
        AppError::unprocessable_field(
            "STATION_REQUIRED",
            "station_id",
            "该手机号尚未注册，请选择所属实践站以注册新账号",
        )
    })?;
    crate::stations::service::ensure_exists(&state.db, station_id, "station_id").await?;
    // The account has no password anyone knows: the hash of a random one, as costly to check
    // as any other, so a phone login with it fails like every wrong password.
    let password_hash = state.passwords.dummy_hash().await?;
    let last_four: String = phone.chars().skip(phone.len().saturating_sub(4)).collect();
    let txn = state.db.begin().await?;
    let user = users::service::create(
        &txn,
        users::service::NewUser {
            phone: phone.to_owned(),
            password_hash,
            name: req.name.clone().unwrap_or_else(|| format!("微信用户{last_four}")),
            station_id: Some(station_id),
            roles: vec![Role::Resident],
            district: None,
        },
        None,
        state.clock.now(),
    )
    .await?;
    link(&txn, user.id, holder, state.clock.now()).await?;
    let tokens = issue(state, &txn, user.id).await?;
    txn.commit().await?;
    tracing::info!(user_id = user.id, "WeChat bind registered a resident");
    Ok(Bound {
        tokens,
        created_user: Some(user.id),
    })
}

/// Binds `user_id` to the WeChat user. Binding the same pair again is no change; an account
/// bound to another openid, or an openid bound to another account, is 409
/// `WECHAT_ALREADY_BOUND` (the unique indexes decide between simultaneous binds).
async fn link(db: &impl ConnectionTrait, user_id: i32, holder: &TicketHolder, now: DateTime<Utc>) -> AppResult<()> {
    if let Some(existing) = wechat_binding::Entity::find_by_id(user_id).one(db).await? {
        return if existing.openid == holder.openid {
            Ok(())
        } else {
            Err(already_bound())
        };
    }
    wechat_binding::ActiveModel {
        user_id: Set(user_id),
        openid: Set(holder.openid.clone()),
        unionid: Set(holder.unionid.clone()),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| match AppError::from(e) {
        AppError::Conflict { .. } => already_bound(),
        other => other,
    })?;
    Ok(())
}

/// Removes the caller's WeChat binding; 404 `WECHAT_NOT_BOUND` when there is none.
pub async fn unbind(state: &AppState, user_id: i32) -> AppResult<()> {
    client(state)?;
    let removed = wechat_binding::Entity::delete_many()
        .filter(wechat_binding::Column::UserId.eq(user_id))
        .exec(&state.db)
        .await?
        .rows_affected;
    if removed == 0 {
        return Err(AppError::NotFound {
            code: "WECHAT_NOT_BOUND",
            detail: "当前账号未绑定微信".into(),
        });
    }
    tracing::info!(user_id, "WeChat unbound");
    Ok(())
}
