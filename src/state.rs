//! The state every request handler and background job can reach. It lives apart from start-up
//! so that domains depend on it without depending on the server that wires them together.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    auth::{
        jwt::JwtKeys,
        password::PasswordHashing,
        rate_limit::{AddressLimiter, LoginLimiter, UserLimiter},
    },
    clock::Clock,
    config::Settings,
    notifications::stream::NotificationHub,
    ops::metrics::Metrics,
    uploads::store::UploadStore,
    wechat::client::WechatClient,
};

/// Wrong check-in codes a user may send in a minute before getting 429.
pub const CHECKIN_ATTEMPTS_PER_MINUTE: u32 = 5;

/// What every request handler can reach.
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub clock: Clock,
    pub jwt: JwtKeys,
    pub passwords: PasswordHashing,
    pub login_limiter: LoginLimiter,
    /// Wrong check-in codes per user.
    pub checkin_limiter: UserLimiter,
    /// A hash verified against when a login names an unknown phone (equal cost either way).
    pub dummy_hash: String,
    pub metrics: Metrics,
    /// Registrations per client address.
    pub register_limiter: AddressLimiter,
    /// WeChat mini-program login; `None` when the feature is off.
    pub wechat: Option<WechatClient>,
    /// WeChat logins per client address.
    pub wechat_login_limiter: AddressLimiter,
    /// This process's live notification streams.
    pub notifications: Arc<NotificationHub>,
    /// Where uploaded files are kept.
    pub uploads: UploadStore,
    /// Uploads per user (`UPLOAD_PER_USER_PER_MINUTE`).
    pub upload_limiter: UserLimiter,
    /// Set on SIGTERM or SIGINT: `/readyz` answers 503 while the process drains.
    pub stopping: Arc<std::sync::atomic::AtomicBool>,
}
