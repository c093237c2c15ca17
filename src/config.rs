//! Typed settings read from the environment and validated once at start-up.
//!
//! Every setting has a safe default except `JWT_SECRET` with PostgreSQL, which must be given: a
//! server shared by several processes cannot invent its own secret.

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use base64::Engine;
use rand::RngCore;

/// A setting that could not be used, named so the operator knows what to fix.
#[derive(Debug, thiserror::Error)]
#[error("setting {name} is invalid: {reason}")]
pub struct SettingError {
    pub name: &'static str,
    pub reason: String,
}

fn bad(name: &'static str, reason: impl Into<String>) -> SettingError {
    SettingError {
        name,
        reason: reason.into(),
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// All settings of one server process.
#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    /// `DATABASE_LISTEN_URL`: where the notification listener holds its `LISTEN` connection
    /// (PostgreSQL only). Defaults to `DATABASE_URL`; set it to PostgreSQL itself when
    /// `DATABASE_URL` goes through a pooler in transaction mode, which cannot carry `LISTEN`.
    pub database_listen_url: String,
    pub data_dir: PathBuf,
    pub bind_addr: SocketAddr,
    pub jwt_secret: Vec<u8>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// How long after its first use a refresh token, sent again, still gets the same successor
    /// instead of revoking its family (two tabs refreshing at once, a retry after a lost answer).
    pub refresh_reuse_grace: Duration,
    pub db_max_connections: u32,
    pub db_connect_timeout: Duration,
    pub db_acquire_timeout: Duration,
    /// How long a SQLite statement waits for a lock held by another connection or process
    /// before the request is answered 503.
    pub sqlite_busy_timeout: Duration,
    /// SQLite only: read-only connections beside the one writer, for the read-only queries
    /// (`AppState::read_db`); 0 sends every query through the writer.
    pub sqlite_readers: u32,
    /// How long a PostgreSQL statement waits for a row or table lock held by another session
    /// before the request is answered 503 (`lock_timeout`).
    pub pg_lock_timeout: Duration,
    /// `DB_STATEMENT_CACHE_CAPACITY`: prepared statements sqlx keeps per PostgreSQL connection
    /// (0: none kept; each statement is still prepared by name, see docs/operations.md on
    /// PgBouncer).
    pub db_statement_cache_capacity: usize,
    /// `REDIS_URL`: login, registration and check-in limits shared by every process through
    /// Redis; without it each process limits on its own.
    pub redis_url: Option<String>,
    /// `REDIS_KEY_PREFIX`: what every limit key starts with (several deployments, or tests, on
    /// one Redis).
    pub redis_key_prefix: String,
    pub cors_origins: Vec<String>,
    pub log_format: LogFormat,
    pub bootstrap_admin_phone: String,
    pub bootstrap_admin_password: Option<String>,
    /// Failed logins a minute for one (phone, client address) pair.
    pub login_attempts_per_minute: u32,
    /// Failed logins a minute for one phone from all addresses together (a ceiling that slows
    /// a spread-out guesser down without letting one stranger lock the owner out).
    pub login_phone_attempts_per_minute: u32,
    /// Registrations a minute from one client address.
    pub register_attempts_per_minute: u32,
    /// Password hashes (and verifications) running at once.
    pub password_hash_concurrency: usize,
    /// Callers that may wait for a hashing slot; more are refused at once with 503 `BUSY`.
    pub password_hash_queue: usize,
    /// Rows the ledger reads from the database per query.
    pub ledger_page_rows: u64,
    /// How long a caller waits for a hashing slot before 503 `BUSY`.
    pub password_hash_queue_wait: Duration,
    /// Proxies whose `X-Forwarded-For` is believed; empty: the peer address is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub argon2_memory_kib: u32,
    pub max_body_bytes: usize,
    pub shutdown_timeout: Duration,
    /// `SHUTDOWN_DRAIN_SECS`: after SIGTERM, how long the process keeps accepting requests
    /// while `/readyz` answers 503, so a balancer with health checks stops sending it work
    /// before it closes its listener (0: close at once).
    pub shutdown_drain: Duration,
    pub workers: usize,
    pub background_jobs: bool,
    pub job_interval: Duration,
    /// A `submitted` order not dispatched within this is overdue and escalated to staff.
    pub order_dispatch_overdue: Duration,
    /// An `assigned` order not accepted within this is overdue and escalated to staff.
    pub order_accept_overdue: Duration,
    /// An hours correction of more minutes than this (either sign) needs the station's director.
    pub hours_correction_director_minutes: i32,
    /// How long after its scheduled end a published or ongoing activity is finished by the sweep.
    pub activity_finish_grace: Duration,
    /// The bearer token `/metrics` asks for; without it `/metrics` answers loopback callers only.
    pub metrics_token: Option<String>,
    /// How long shared caches may keep an anonymous answer about a public collection
    /// (`PUBLIC_CACHE_SECS`; 0: `no-cache` like every other answer).
    pub public_cache: Duration,
    /// WeChat mini-program login; `None` (the feature off) unless both `WECHAT_APPID` and
    /// `WECHAT_SECRET` are set.
    pub wechat: Option<WechatSettings>,
    /// How often an idle notification stream sends a `: ping` comment.
    pub sse_heartbeat: Duration,
    /// How often new notifications are looked for on SQLite (and on PostgreSQL while its
    /// `LISTEN` connection is down).
    pub sse_poll: Duration,
    /// Concurrent notification streams one user may hold on one process.
    pub sse_max_streams_per_user: usize,
    /// How long a notification stream lasts before the client reconnects with `Last-Event-ID`.
    pub sse_max_duration: Duration,
    /// Uploaded photos and PDFs: size caps and where the files are kept.
    pub uploads: UploadSettings,
}

/// Caps on uploaded files and the store that keeps them.
#[derive(Clone, Debug)]
pub struct UploadSettings {
    /// Largest accepted file, counted while it streams in (413 `UPLOAD_TOO_LARGE` beyond).
    pub max_bytes: usize,
    /// Most pixels (width × height) of an accepted image, read from its header before decoding.
    pub max_pixels: u64,
    pub store: UploadStoreSettings,
    /// Uploads one user may send in a minute (429 `TOO_MANY_REQUESTS` beyond).
    pub per_user_per_minute: u32,
    /// An upload never attached to anything is deleted (row and stored objects) this long
    /// after it was made.
    pub unattached_ttl: Duration,
}

/// Where uploaded files are kept.
#[derive(Clone, Debug)]
pub enum UploadStoreSettings {
    /// Files under `DATA_DIR/uploads` (one server process, or processes sharing that folder).
    Local,
    /// An S3-compatible bucket, shared by every server process.
    S3(S3Settings),
}

/// An S3-compatible bucket.
#[derive(Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// `None`: AWS itself (by region); else the store's base URL, e.g. `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Whether a plain-HTTP endpoint is accepted (a local test server).
    pub allow_http: bool,
}

impl std::fmt::Debug for S3Settings {
    // Never the secret: settings end up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("allow_http", &self.allow_http)
            .finish_non_exhaustive()
    }
}

/// The `UPLOAD_*` and `S3_*` settings.
fn upload_settings<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<UploadSettings, SettingError> {
    let max_bytes = number(
        get("UPLOAD_MAX_BYTES"),
        "UPLOAD_MAX_BYTES",
        10 * 1_048_576,
        1_024,
        64 * 1_048_576,
    )? as usize;
    let max_pixels = number(
        get("UPLOAD_MAX_PIXELS"),
        "UPLOAD_MAX_PIXELS",
        40_000_000,
        1,
        200_000_000,
    )?;
    let store = match get("UPLOAD_STORE").unwrap_or("local") {
        "local" => UploadStoreSettings::Local,
        "s3" => {
            let required = |name: &'static str| {
                get(name)
                    .map(str::to_owned)
                    .ok_or_else(|| bad(name, "must be set when UPLOAD_STORE is s3"))
            };
            let endpoint = get("S3_ENDPOINT").map(|e| e.trim_end_matches('/').to_owned());
            if endpoint
                .as_deref()
                .is_some_and(|e| !e.starts_with("https://") && !e.starts_with("http://"))
            {
                return Err(bad(
                    "S3_ENDPOINT",
                    "must start with https:// (or http:// with S3_ALLOW_HTTP=true)",
                ));
            }
            let allow_http = match get("S3_ALLOW_HTTP").unwrap_or("false") {
                "true" | "1" | "on" => true,
                "false" | "0" | "off" => false,
                other => return Err(bad("S3_ALLOW_HTTP", format!("must be true or false, not {other:?}"))),
            };
            if !allow_http && endpoint.as_deref().is_some_and(|e| e.starts_with("http://")) {
                return Err(bad(
                    "S3_ENDPOINT",
                    "is plain http: set S3_ALLOW_HTTP=true for a local test server",
                ));
            }
            UploadStoreSettings::S3(S3Settings {
                bucket: required("S3_BUCKET")?,
                endpoint,
                region: get("S3_REGION").unwrap_or("us-east-1").to_owned(),
                access_key_id: required("S3_ACCESS_KEY_ID")?,
                secret_access_key: required("S3_SECRET_ACCESS_KEY")?,
                allow_http,
            })
        }
        other => return Err(bad("UPLOAD_STORE", format!("must be local or s3, not {other:?}"))),
    };
    Ok(UploadSettings {
        max_bytes,
        max_pixels,
        store,
        per_user_per_minute: number(
            get("UPLOAD_PER_USER_PER_MINUTE"),
            "UPLOAD_PER_USER_PER_MINUTE",
            20,
            1,
            10_000,
        )? as u32,
        unattached_ttl: Duration::from_secs(number(
            get("UPLOAD_UNATTACHED_TTL_SECS"),
            "UPLOAD_UNATTACHED_TTL_SECS",
            86_400,
            60,
            30 * 86_400,
        )?),
    })
}

/// The mini-program's credentials and where WeChat's API is reached.
#[derive(Clone)]
pub struct WechatSettings {
    pub appid: String,
    pub secret: String,
    /// `https://api.weixin.qq.com` unless a test points it at a fake server; no trailing `/`.
    pub api_base: String,
    /// How long one call to WeChat may take, connecting included.
    pub timeout: Duration,
    /// Subscription messages (订阅消息): templates, pages and the outbox sender.
    pub messages: WechatMessageSettings,
}

/// The notices a subscription-message template carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageChannel {
    /// Order notices (`order_*` kinds).
    Order,
    /// Activity and sign-up notices (`activity_*`, `signup_*` kinds).
    Activity,
}

impl MessageChannel {
    pub const ALL: [MessageChannel; 2] = [MessageChannel::Order, MessageChannel::Activity];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageChannel::Order => "order",
            MessageChannel::Activity => "activity",
        }
    }

    /// The channel of a notification kind, if its notices go out as subscription messages.
    pub fn of_kind(kind: &str) -> Option<Self> {
        if kind.starts_with("order_") {
            Some(MessageChannel::Order)
        } else if kind.starts_with("activity_") || kind.starts_with("signup_") {
            Some(MessageChannel::Activity)
        } else {
            None
        }
    }
}

/// Subscription messages: which template carries which notices, the page a message opens, and
/// how the outbox is sent.
#[derive(Clone, Debug)]
pub struct WechatMessageSettings {
    /// `WECHAT_TEMPLATE_ORDER`: the template of order notices; `None`: not sent.
    pub order_template: Option<String>,
    /// `WECHAT_TEMPLATE_ACTIVITY`: the template of activity and sign-up notices.
    pub activity_template: Option<String>,
    /// Mini-program page an order message opens (`?id=` the order is appended).
    pub order_page: String,
    /// Mini-program page an activity message opens (`?id=` the resource is appended).
    pub activity_page: String,
    /// `formal`, `trial` or `developer`: which version of the mini-program the message opens.
    pub miniprogram_state: String,
    /// How often the sender looks for due messages.
    pub poll: Duration,
    /// Sends tried before a message is `failed`.
    pub max_attempts: i32,
    /// Wait before the second try; doubled for each later one.
    pub backoff: Duration,
    /// Longest wait between tries.
    pub backoff_max: Duration,
}

impl WechatMessageSettings {
    /// The template carrying `channel`'s notices, if configured.
    pub fn template(&self, channel: MessageChannel) -> Option<&str> {
        match channel {
            MessageChannel::Order => self.order_template.as_deref(),
            MessageChannel::Activity => self.activity_template.as_deref(),
        }
    }

    /// The channel a configured template id carries.
    pub fn channel_of(&self, template_id: &str) -> Option<MessageChannel> {
        MessageChannel::ALL
            .into_iter()
            .find(|c| self.template(*c) == Some(template_id))
    }

    /// Whether any template is configured (else nothing is ever sent).
    pub fn enabled(&self) -> bool {
        self.order_template.is_some() || self.activity_template.is_some()
    }
}

impl std::fmt::Debug for WechatSettings {
    // Never the secret: settings end up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatSettings")
            .field("appid", &self.appid)
            .field("api_base", &self.api_base)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The `WECHAT_*` settings: both the app id and the secret, or neither (the feature off).
fn wechat_settings<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Option<WechatSettings>, SettingError> {
    let (appid, secret) = match (get("WECHAT_APPID"), get("WECHAT_SECRET")) {
        (Some(appid), Some(secret)) => (appid, secret),
        (None, None) => return Ok(None),
        (Some(_), None) => return Err(bad("WECHAT_SECRET", "must be set together with WECHAT_APPID")),
        (None, Some(_)) => return Err(bad("WECHAT_APPID", "must be set together with WECHAT_SECRET")),
    };
    let api_base = get("WECHAT_API_BASE")
        .unwrap_or("https://api.weixin.qq.com")
        .trim_end_matches('/')
        .to_owned();
    if !api_base.starts_with("https://") && !api_base.starts_with("http://") {
        return Err(bad(
            "WECHAT_API_BASE",
            "must start with https:// (or http:// for a local test server)",
        ));
    }
    let timeout_ms = number(get("WECHAT_TIMEOUT_MS"), "WECHAT_TIMEOUT_MS", 5_000, 100, 60_000)?;
    let template = |name: &'static str| -> Result<Option<String>, SettingError> {
        match get(name) {
            Some(id) if id.len() > 128 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') => {
                Err(bad(
                    name,
                    "must be a template id from the mini-program's console (letters, digits, - and _)",
                ))
            }
            other => Ok(other.map(str::to_owned)),
        }
    };
    let order_template = template("WECHAT_TEMPLATE_ORDER")?;
    let activity_template = template("WECHAT_TEMPLATE_ACTIVITY")?;
    if order_template.is_some() && order_template == activity_template {
        return Err(bad(
            "WECHAT_TEMPLATE_ACTIVITY",
            "must differ from WECHAT_TEMPLATE_ORDER (a grant is counted per template)",
        ));
    }
    let miniprogram_state = get("WECHAT_MINIPROGRAM_STATE").unwrap_or("formal").to_owned();
    if !["formal", "trial", "developer"].contains(&miniprogram_state.as_str()) {
        return Err(bad("WECHAT_MINIPROGRAM_STATE", "must be formal, trial or developer"));
    }
    let backoff_ms = number(
        get("WECHAT_OUTBOX_BACKOFF_MS"),
        "WECHAT_OUTBOX_BACKOFF_MS",
        30_000,
        10,
        3_600_000,
    )?;
    let backoff_max_ms = number(
        get("WECHAT_OUTBOX_BACKOFF_MAX_MS"),
        "WECHAT_OUTBOX_BACKOFF_MAX_MS",
        3_600_000,
        backoff_ms,
        86_400_000,
    )?;
    let messages = WechatMessageSettings {
        order_template,
        activity_template,
        order_page: get("WECHAT_PAGE_ORDER").unwrap_or("pages/orders/detail").to_owned(),
        activity_page: get("WECHAT_PAGE_ACTIVITY")
            .unwrap_or("pages/activities/detail")
            .to_owned(),
        miniprogram_state,
        poll: Duration::from_millis(number(
            get("WECHAT_OUTBOX_POLL_MS"),
            "WECHAT_OUTBOX_POLL_MS",
            5_000,
            50,
            600_000,
        )?),
        max_attempts: number(
            get("WECHAT_OUTBOX_MAX_ATTEMPTS"),
            "WECHAT_OUTBOX_MAX_ATTEMPTS",
            8,
            1,
            100,
        )? as i32,
        backoff: Duration::from_millis(backoff_ms),
        backoff_max: Duration::from_millis(backoff_max_ms),
    };
    Ok(Some(WechatSettings {
        appid: appid.to_owned(),
        secret: secret.to_owned(),
        api_base,
        timeout: Duration::from_millis(timeout_ms),
        messages,
    }))
}

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, SettingError> {
        Self::from_map(&std::env::vars().collect())
    }

    /// Reads the settings from a map of variables (the environment, or a test's own).
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, SettingError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());

        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or("./data"));
        let database_url = match get("DATABASE_URL") {
            Some(url) => url.to_owned(),
            None => format!("sqlite://{}/wenming.db?mode=rwc", data_dir.display()),
        };
        let is_sqlite = database_url.starts_with("sqlite:");
        if !is_sqlite && !database_url.starts_with("postgres://") && !database_url.starts_with("postgresql://") {
            return Err(bad(
                "DATABASE_URL",
                "must start with sqlite:// or postgres:// (these are the databases this build supports)",
            ));
        }

        let database_listen_url = match get("DATABASE_LISTEN_URL") {
            None => database_url.clone(),
            Some(_) if is_sqlite => {
                return Err(bad(
                    "DATABASE_LISTEN_URL",
                    "applies to PostgreSQL only (SQLite has no LISTEN)",
                ));
            }
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => url.to_owned(),
            Some(_) => return Err(bad("DATABASE_LISTEN_URL", "must start with postgres://")),
        };

        let jwt_secret = match get("JWT_SECRET") {
            Some(secret) if secret.len() >= 32 => secret.as_bytes().to_vec(),
            Some(_) => return Err(bad("JWT_SECRET", "must be at least 32 bytes long")),
            None if is_sqlite => Vec::new(), // filled from the data folder by `ensure_jwt_secret`
            None => {
                return Err(bad(
                    "JWT_SECRET",
                    "must be set (at least 32 bytes) when the database is PostgreSQL",
                ));
            }
        };

        let secs = |name: &'static str, default: u64, min: u64, max: u64| -> Result<Duration, SettingError> {
            number(get(name), name, default, min, max).map(Duration::from_secs)
        };

        let mins = |name: &'static str, default: u64| -> Result<Duration, SettingError> {
            number(get(name), name, default, 1, 30 * 1_440).map(|m| Duration::from_secs(m * 60))
        };

        let log_format = match get("LOG_FORMAT").unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => return Err(bad("LOG_FORMAT", format!("must be text or json, not {other:?}"))),
        };

        let bind_addr = get("BIND_ADDR")
            .unwrap_or("127.0.0.1:8080")
            .parse()
            .map_err(|e| bad("BIND_ADDR", format!("must be host:port ({e})")))?;

        let cors_origins = get("CORS_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().to_owned())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();

        let bootstrap_admin_phone = get("BOOTSTRAP_ADMIN_PHONE").unwrap_or("13800000000").to_owned();
        if !crate::users::rules::is_mainland_mobile(&bootstrap_admin_phone) {
            return Err(bad(
                "BOOTSTRAP_ADMIN_PHONE",
                "must be an 11-digit mainland mobile number",
            ));
        }
        let bootstrap_admin_password = get("BOOTSTRAP_ADMIN_PASSWORD").map(str::to_owned);

        let trusted_proxies = get("TRUSTED_PROXIES")
            .map(parse_trusted_proxies)
            .transpose()?
            .unwrap_or_default();
        let login_attempts_per_minute = number(
            get("LOGIN_ATTEMPTS_PER_MINUTE"),
            "LOGIN_ATTEMPTS_PER_MINUTE",
            10,
            1,
            10_000,
        )? as u32;
        if let Some(Err(reason)) = bootstrap_admin_password
            .as_deref()
            .map(crate::auth::password::check_strength)
        {
            return Err(bad("BOOTSTRAP_ADMIN_PASSWORD", reason));
        }

        let wechat = wechat_settings(get)?;
        let uploads = upload_settings(get)?;

        let metrics_token = get("METRICS_TOKEN").map(str::to_owned);
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(bad("METRICS_TOKEN", "must be at least 16 characters long"));
        }

        // SQLite takes one writer at a time; one connection keeps every write strictly serial.
        let default_connections = if is_sqlite { 1 } else { 10 };
        let db_statement_cache_capacity = number(
            get("DB_STATEMENT_CACHE_CAPACITY"),
            "DB_STATEMENT_CACHE_CAPACITY",
            100,
            0,
            10_000,
        )? as usize;
        let redis_url = get("REDIS_URL").map(str::to_owned);
        if let Some(url) = &redis_url
            && !url.starts_with("redis://")
            && !url.starts_with("rediss://")
        {
            return Err(bad("REDIS_URL", "must start with redis:// or rediss://"));
        }

        Ok(Settings {
            database_url,
            database_listen_url,
            db_statement_cache_capacity,
            redis_url,
            redis_key_prefix: get("REDIS_KEY_PREFIX").unwrap_or("wenming").to_owned(),
            data_dir,
            bind_addr,
            jwt_secret,
            access_token_ttl: secs("ACCESS_TOKEN_TTL_SECS", 900, 60, 86_400)?,
            refresh_token_ttl: secs("REFRESH_TOKEN_TTL_SECS", 30 * 86_400, 3_600, 365 * 86_400)?,
            refresh_reuse_grace: secs("REFRESH_REUSE_GRACE_SECS", 30, 0, 300)?,
            db_max_connections: number(
                get("DB_MAX_CONNECTIONS"),
                "DB_MAX_CONNECTIONS",
                default_connections,
                1,
                500,
            )? as u32,
            db_connect_timeout: secs("DB_CONNECT_TIMEOUT_SECS", 10, 1, 300)?,
            // Short, so a full pool or an unreachable database is a prompt 503, not a long wait.
            db_acquire_timeout: secs("DB_ACQUIRE_TIMEOUT_SECS", 5, 1, 300)?,
            sqlite_busy_timeout: Duration::from_millis(number(
                get("SQLITE_BUSY_TIMEOUT_MS"),
                "SQLITE_BUSY_TIMEOUT_MS",
                5_000,
                0,
                300_000,
            )?),
            sqlite_readers: number(get("SQLITE_READERS"), "SQLITE_READERS", 4, 0, 64)? as u32,
            pg_lock_timeout: Duration::from_millis(number(
                get("PG_LOCK_TIMEOUT_MS"),
                "PG_LOCK_TIMEOUT_MS",
                5_000,
                1,
                300_000,
            )?),
            cors_origins,
            log_format,
            bootstrap_admin_phone,
            bootstrap_admin_password,
            login_attempts_per_minute,
            login_phone_attempts_per_minute: number(
                get("LOGIN_PHONE_ATTEMPTS_PER_MINUTE"),
                "LOGIN_PHONE_ATTEMPTS_PER_MINUTE",
                u64::from(login_attempts_per_minute) * 5,
                u64::from(login_attempts_per_minute),
                1_000_000,
            )? as u32,
            register_attempts_per_minute: number(
                get("REGISTER_ATTEMPTS_PER_MINUTE"),
                "REGISTER_ATTEMPTS_PER_MINUTE",
                10,
                1,
                100_000,
            )? as u32,
            password_hash_concurrency: number(
                get("PASSWORD_HASH_CONCURRENCY"),
                "PASSWORD_HASH_CONCURRENCY",
                std::thread::available_parallelism().map_or(2, |n| n.get()) as u64,
                1,
                256,
            )? as usize,
            password_hash_queue: number(get("PASSWORD_HASH_QUEUE"), "PASSWORD_HASH_QUEUE", 64, 0, 100_000)? as usize,
            ledger_page_rows: number(get("LEDGER_PAGE_ROWS"), "LEDGER_PAGE_ROWS", 1000, 1, 100_000)?,
            password_hash_queue_wait: Duration::from_millis(number(
                get("PASSWORD_HASH_QUEUE_MS"),
                "PASSWORD_HASH_QUEUE_MS",
                2_000,
                0,
                600_000,
            )?),
            trusted_proxies,
            argon2_memory_kib: number(get("ARGON2_MEMORY_KIB"), "ARGON2_MEMORY_KIB", 19_456, 1_024, 1_048_576)? as u32,
            max_body_bytes: number(get("MAX_BODY_BYTES"), "MAX_BODY_BYTES", 262_144, 1_024, 16_777_216)? as usize,
            shutdown_timeout: secs("SHUTDOWN_TIMEOUT_SECS", 30, 1, 600)?,
            shutdown_drain: secs("SHUTDOWN_DRAIN_SECS", 0, 0, 300)?,
            workers: number(
                get("WORKERS"),
                "WORKERS",
                std::thread::available_parallelism().map_or(2, |n| n.get()) as u64,
                1,
                256,
            )? as usize,
            public_cache: secs("PUBLIC_CACHE_SECS", 60, 0, 86_400)?,
            job_interval: secs("JOB_INTERVAL_SECS", 30, 1, 3_600)?,
            order_dispatch_overdue: mins("ORDER_DISPATCH_OVERDUE_MINS", 120)?,
            order_accept_overdue: mins("ORDER_ACCEPT_OVERDUE_MINS", 240)?,
            hours_correction_director_minutes: number(
                get("HOURS_CORRECTION_DIRECTOR_MINUTES"),
                "HOURS_CORRECTION_DIRECTOR_MINUTES",
                480,
                1,
                14_400,
            )? as i32,
            activity_finish_grace: Duration::from_secs(
                number(
                    get("ACTIVITY_FINISH_GRACE_HOURS"),
                    "ACTIVITY_FINISH_GRACE_HOURS",
                    12,
                    0,
                    24 * 30,
                )? * 3_600,
            ),
            metrics_token,
            wechat,
            sse_heartbeat: secs("SSE_HEARTBEAT_SECS", 15, 1, 300)?,
            sse_poll: Duration::from_millis(number(get("SSE_POLL_MS"), "SSE_POLL_MS", 1_000, 50, 60_000)?),
            sse_max_streams_per_user: number(get("SSE_MAX_STREAMS_PER_USER"), "SSE_MAX_STREAMS_PER_USER", 5, 1, 1_000)?
                as usize,
            sse_max_duration: secs("SSE_MAX_SECONDS", 3_600, 1, 86_400)?,
            uploads,
            background_jobs: match get("BACKGROUND_JOBS").unwrap_or("on") {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                other => return Err(bad("BACKGROUND_JOBS", format!("must be on or off, not {other:?}"))),
            },
        })
    }

    /// Whether the database is the embedded SQLite file.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// The SQLite database file `DATABASE_URL` names (without its `?options`); `None` for
    /// PostgreSQL.
    pub fn sqlite_file(&self) -> Option<&str> {
        self.is_sqlite().then(|| {
            self.database_url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:")
                .split('?')
                .next()
                .unwrap_or_default()
        })
    }

    /// With the embedded database and no `JWT_SECRET`, uses the secret kept in the data folder,
    /// making and saving one on first start so tokens survive a restart.
    pub fn ensure_jwt_secret(&mut self) -> Result<(), SettingError> {
        if !self.jwt_secret.is_empty() {
            return Ok(());
        }
        let path = self.data_dir.join("jwt_secret");
        let io = |e: std::io::Error| bad("DATA_DIR", format!("{}: {e}", path.display()));
        if let Ok(existing) = std::fs::read_to_string(&path)
            && existing.trim().len() >= 32
        {
            self.jwt_secret = existing.trim().as_bytes().to_vec();
            make_private(&path).map_err(io)?;
            return Ok(());
        }
        create_private_dir(&self.data_dir).map_err(io)?;
        let mut bytes = [0u8; 48];
        rand::rng().fill_bytes(&mut bytes);
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        write_private_file(&path, secret.as_bytes()).map_err(io)?;
        self.jwt_secret = secret.into_bytes();
        Ok(())
    }
}

/// `TRUSTED_PROXIES`: comma-separated addresses (`10.0.0.1`) or networks (`10.0.0.0/8`).
fn parse_trusted_proxies(value: &str) -> Result<Vec<ipnet::IpNet>, SettingError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    bad(
                        "TRUSTED_PROXIES",
                        format!("{item:?} is not an IP address or a network such as 10.0.0.0/8"),
                    )
                })
        })
        .collect()
}

/// Creates `path` and any missing parents readable by this user only (0700 on unix).
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

/// Writes `contents` to a new or truncated file readable by this user only (0600 on unix; an
/// existing file's looser mode is tightened).
pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Creates an empty file readable by this user only (0600 on unix) unless one exists already,
/// which is left as it is.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Narrows an existing file to this user only (0600 on unix) when others could read it, as a
/// secret or a database written by an older version could be; a missing file is left alone.
pub fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                tracing::warn!(path = %path.display(), "others could read this file; it is now readable by this user only");
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn number(value: Option<&str>, name: &'static str, default: u64, min: u64, max: u64) -> Result<u64, SettingError> {
    let Some(value) = value else { return Ok(default) };
    let parsed: u64 = value
        .parse()
        .map_err(|_| bad(name, format!("must be a whole number, not {value:?}")))?;
    if !(min..=max).contains(&parsed) {
        return Err(bad(name, format!("must be between {min} and {max}")));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn short_secret_is_refused_naming_the_setting() {
        let err = Settings::from_map(&vars(&[("JWT_SECRET", "short")])).unwrap_err();
        assert_eq!(err.name, "JWT_SECRET");
    }

    #[test]
    fn uploads_default_to_the_local_folder_with_10_mib_and_40_megapixels() {
        let settings = Settings::from_map(&vars(&[])).unwrap();
        assert_eq!(settings.uploads.max_bytes, 10 * 1_048_576);
        assert_eq!(settings.uploads.max_pixels, 40_000_000);
        assert!(matches!(settings.uploads.store, UploadStoreSettings::Local));
    }

    #[test]
    fn an_s3_store_needs_its_bucket_and_keys_and_plain_http_only_when_allowed() {
        let s3 = [
            ("UPLOAD_STORE", "s3"),
            ("S3_BUCKET", "photos"),
            ("S3_ACCESS_KEY_ID", "key"),
            ("S3_SECRET_ACCESS_KEY", "secret-value"),
        ];
        let settings = Settings::from_map(&vars(&s3)).unwrap();
        let UploadStoreSettings::S3(store) = &settings.uploads.store else {
            panic!("not s3")
        };
        assert_eq!((store.bucket.as_str(), store.region.as_str()), ("photos", "us-east-1"));
        assert!(!format!("{settings:?}").contains("secret-value"));
        for missing in ["S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"] {
            let without: Vec<_> = s3.iter().copied().filter(|(k, _)| *k != missing).collect();
            assert_eq!(Settings::from_map(&vars(&without)).unwrap_err().name, missing);
        }
        let mut plain = s3.to_vec();
        plain.push(("S3_ENDPOINT", "http://127.0.0.1:9000"));
        assert_eq!(Settings::from_map(&vars(&plain)).unwrap_err().name, "S3_ENDPOINT");
        plain.push(("S3_ALLOW_HTTP", "true"));
        assert!(Settings::from_map(&vars(&plain)).is_ok());
        let err = Settings::from_map(&vars(&[("UPLOAD_STORE", "ftp")])).unwrap_err();
        assert_eq!(err.name, "UPLOAD_STORE");
    }

    #[test]
    fn postgres_without_secret_is_refused() {
        let err = Settings::from_map(&vars(&[("DATABASE_URL", "postgres://localhost/x")])).unwrap_err();
        assert_eq!(err.name, "JWT_SECRET");
    }

    #[test]
    fn sqlite_is_the_default() {
        let settings = Settings::from_map(&vars(&[])).unwrap();
        assert!(settings.is_sqlite());
        assert_eq!(settings.bind_addr.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn order_overdue_times_default_to_two_and_four_hours() {
        let settings = Settings::from_map(&vars(&[])).unwrap();
        assert_eq!(settings.order_dispatch_overdue, Duration::from_secs(120 * 60));
        assert_eq!(settings.order_accept_overdue, Duration::from_secs(240 * 60));
        let err = Settings::from_map(&vars(&[("ORDER_ACCEPT_OVERDUE_MINS", "0")])).unwrap_err();
        assert_eq!(err.name, "ORDER_ACCEPT_OVERDUE_MINS");
    }

    #[test]
    fn database_waits_default_to_five_seconds() {
        let settings = Settings::from_map(&vars(&[])).unwrap();
        assert_eq!(settings.db_acquire_timeout, Duration::from_secs(5));
        assert_eq!(settings.sqlite_busy_timeout, Duration::from_secs(5));
        assert_eq!(settings.pg_lock_timeout, Duration::from_secs(5));
        let settings = Settings::from_map(&vars(&[("SQLITE_BUSY_TIMEOUT_MS", "300")])).unwrap();
        assert_eq!(settings.sqlite_busy_timeout, Duration::from_millis(300));
    }

    #[test]
    fn trusted_proxies_take_addresses_and_networks_and_name_a_bad_one() {
        let settings = Settings::from_map(&vars(&[("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1")])).unwrap();
        let shown: Vec<String> = settings.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]);
        assert!(Settings::from_map(&vars(&[])).unwrap().trusted_proxies.is_empty());
        let err = Settings::from_map(&vars(&[("TRUSTED_PROXIES", "10.0.0.0/8,proxy")])).unwrap_err();
        assert_eq!(err.name, "TRUSTED_PROXIES");
    }

    #[test]
    fn phone_login_ceiling_defaults_to_five_pairs_and_is_never_below_a_pair() {
        let settings = Settings::from_map(&vars(&[("LOGIN_ATTEMPTS_PER_MINUTE", "4")])).unwrap();
        assert_eq!(settings.login_phone_attempts_per_minute, 20);
        let err = Settings::from_map(&vars(&[
            ("LOGIN_ATTEMPTS_PER_MINUTE", "4"),
            ("LOGIN_PHONE_ATTEMPTS_PER_MINUTE", "3"),
        ]))
        .unwrap_err();
        assert_eq!(err.name, "LOGIN_PHONE_ATTEMPTS_PER_MINUTE");
    }

    #[test]
    fn a_short_metrics_token_is_refused() {
        let err = Settings::from_map(&vars(&[("METRICS_TOKEN", "short")])).unwrap_err();
        assert_eq!(err.name, "METRICS_TOKEN");
        assert!(Settings::from_map(&vars(&[])).unwrap().metrics_token.is_none());
    }

    #[test]
    fn subscription_messages_are_off_without_templates_and_checked_when_given() {
        let wechat = [("WECHAT_APPID", "wx1234"), ("WECHAT_SECRET", "s3cr3t")];
        let settings = Settings::from_map(&vars(&wechat)).unwrap();
        let messages = settings.wechat.unwrap().messages;
        assert!(!messages.enabled());
        assert_eq!(messages.max_attempts, 8);
        assert_eq!(messages.backoff, Duration::from_secs(30));
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut all = wechat.to_vec();
            all.extend_from_slice(extra);
            Settings::from_map(&vars(&all))
        };
        let settings = with(&[("WECHAT_TEMPLATE_ORDER", "tmpl-A_1")]).unwrap();
        let messages = settings.wechat.unwrap().messages;
        assert!(messages.enabled());
        assert_eq!(messages.channel_of("tmpl-A_1"), Some(MessageChannel::Order));
        assert_eq!(messages.channel_of("other"), None);
        let same = with(&[("WECHAT_TEMPLATE_ORDER", "t1"), ("WECHAT_TEMPLATE_ACTIVITY", "t1")]).unwrap_err();
        assert_eq!(same.name, "WECHAT_TEMPLATE_ACTIVITY");
        assert_eq!(
            with(&[("WECHAT_TEMPLATE_ORDER", "a b")]).unwrap_err().name,
            "WECHAT_TEMPLATE_ORDER"
        );
        let state = with(&[("WECHAT_MINIPROGRAM_STATE", "beta")]).unwrap_err();
        assert_eq!(state.name, "WECHAT_MINIPROGRAM_STATE");
        let cap = with(&[
            ("WECHAT_OUTBOX_BACKOFF_MS", "5000"),
            ("WECHAT_OUTBOX_BACKOFF_MAX_MS", "1000"),
        ])
        .unwrap_err();
        assert_eq!(cap.name, "WECHAT_OUTBOX_BACKOFF_MAX_MS");
    }

    #[test]
    fn notice_kinds_map_to_message_channels() {
        assert_eq!(MessageChannel::of_kind("order_rejected"), Some(MessageChannel::Order));
        assert_eq!(
            MessageChannel::of_kind("signup_promoted"),
            Some(MessageChannel::Activity)
        );
        assert_eq!(
            MessageChannel::of_kind("activity_cancelled"),
            Some(MessageChannel::Activity)
        );
        assert_eq!(MessageChannel::of_kind("leave_expired"), None);
    }

    #[test]
    fn wechat_is_off_without_both_credentials_and_half_a_pair_is_refused() {
        assert!(Settings::from_map(&vars(&[])).unwrap().wechat.is_none());
        let err = Settings::from_map(&vars(&[("WECHAT_APPID", "wx1234")])).unwrap_err();
        assert_eq!(err.name, "WECHAT_SECRET");
        let err = Settings::from_map(&vars(&[("WECHAT_SECRET", "s")])).unwrap_err();
        assert_eq!(err.name, "WECHAT_APPID");
        let settings = Settings::from_map(&vars(&[("WECHAT_APPID", "wx1234"), ("WECHAT_SECRET", "s3cr3t")])).unwrap();
        let wechat = settings.wechat.unwrap();
        assert_eq!(wechat.api_base, "https://api.weixin.qq.com");
        assert_eq!(wechat.timeout, Duration::from_secs(5));
        assert!(!format!("{wechat:?}").contains("s3cr3t"), "the secret is never shown");
        let err = Settings::from_map(&vars(&[
            ("WECHAT_APPID", "wx1234"),
            ("WECHAT_SECRET", "s"),
            ("WECHAT_API_BASE", "ftp://x"),
        ]))
        .unwrap_err();
        assert_eq!(err.name, "WECHAT_API_BASE");
    }

    #[test]
    fn statement_cache_and_redis_settings() {
        let settings = Settings::from_map(&vars(&[])).unwrap();
        assert_eq!(settings.db_statement_cache_capacity, 100);
        assert!(settings.redis_url.is_none());
        assert_eq!(settings.redis_key_prefix, "wenming");
        let settings = Settings::from_map(&vars(&[("DB_STATEMENT_CACHE_CAPACITY", "0")])).unwrap();
        assert_eq!(settings.db_statement_cache_capacity, 0);
        let err = Settings::from_map(&vars(&[("REDIS_URL", "http://x")])).unwrap_err();
        assert_eq!(err.name, "REDIS_URL");
    }

    #[test]
    fn the_listener_follows_the_database_unless_told_otherwise() {
        let pg = ("DATABASE_URL", "postgres://pooler:6432/w");
        let secret = ("JWT_SECRET", "test-secret-test-secret-test-secret-0123");
        let settings = Settings::from_map(&vars(&[pg, secret])).unwrap();
        assert_eq!(settings.database_listen_url, "postgres://pooler:6432/w");
        let direct = ("DATABASE_LISTEN_URL", "postgres://db:5432/w");
        let settings = Settings::from_map(&vars(&[pg, secret, direct])).unwrap();
        assert_eq!(settings.database_listen_url, "postgres://db:5432/w");
        let err = Settings::from_map(&vars(&[direct])).unwrap_err();
        assert_eq!(err.name, "DATABASE_LISTEN_URL", "SQLite has nothing to listen to");
        let err = Settings::from_map(&vars(&[pg, secret, ("DATABASE_LISTEN_URL", "mysql://x")])).unwrap_err();
        assert_eq!(err.name, "DATABASE_LISTEN_URL");
    }

    #[test]
    fn out_of_range_number_names_the_setting() {
        let err = Settings::from_map(&vars(&[("DB_MAX_CONNECTIONS", "0")])).unwrap_err();
        assert_eq!(err.name, "DB_MAX_CONNECTIONS");
    }
}
