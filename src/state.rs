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

impl AppState {
    /// Where read-only queries go: SQLite's reader pool beside the writer, or the one pool
    /// (PostgreSQL, in-memory SQLite, `SQLITE_READERS=0`). A reader sees every commit made
    /// before its statement began; never use it inside a transaction or to read something a
    /// write in the same request depends on.
    pub fn read_db(&self) -> &DatabaseConnection {
        self.reader.as_ref().unwrap_or(&self.db)
    }
}

/// What every request handler can reach.
pub struct AppState {
    /// The database: every write and every read-then-write goes here (on SQLite, the one
    /// writer connection).
    pub db: DatabaseConnection,
    /// SQLite's read-only connections (`SQLITE_READERS`); reach them through [`Self::read_db`].
    pub reader: Option<DatabaseConnection>,
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
