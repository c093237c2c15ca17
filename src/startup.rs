//! Building the application: database, migrations, bootstrap admin, listener and HTTP server.

use std::{net::TcpListener, sync::Arc};

use actix_cors::Cors;
use actix_web::{App, HttpResponse, HttpServer, dev::Server, http::header, middleware::from_fn, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use base64::Engine;
use migration::{Migrator, MigratorTrait};
use rand::RngCore;
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    auth::{
        jwt::JwtKeys,
        password::PasswordHashing,
        rate_limit::{AddressLimiter, LoginLimiter, SharedLimits, UserLimiter},
        roles::Role,
    },
    clock::Clock,
    config::Settings,
    http::{self, routes::RouteTable},
    ops::metrics::Metrics,
    state::{AppState, CHECKIN_ATTEMPTS_PER_MINUTE},
    uploads::store::UploadStore,
    users,
    wechat::client::WechatClient,
};

/// A built server, bound to its port, not yet running.
pub struct Application {
    port: u16,
    address: std::net::SocketAddr,
    server: Server,
    state: web::Data<AppState>,
}

/// Opens the database named by the settings, creating the SQLite file's folder when needed.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    if let Some(path) = settings.sqlite_file() {
        let file = std::path::Path::new(path);
        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::config::create_private_dir(parent)?;
        }
        // The database holds residents' personal data: create it readable by this user only.
        // SQLite gives its -wal and -shm files the database file's mode.
        if !path.is_empty() && !path.starts_with(':') {
            if file.exists() {
                for suffix in ["", "-wal", "-shm"] {
                    crate::config::make_private(std::path::Path::new(&format!("{path}{suffix}")))?;
                }
            } else {
                // Never truncating: another process may have created it a moment ago.
                crate::config::create_private_file(file)?;
            }
        }
    }
    let busy_timeout = settings.sqlite_busy_timeout;
    let statement_cache = settings.db_statement_cache_capacity;
    let lock_timeout = format!("{}ms", settings.pg_lock_timeout.as_millis());
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .max_connections(settings.db_max_connections)
        .min_connections(1)
        .connect_timeout(settings.db_connect_timeout)
        .acquire_timeout(settings.db_acquire_timeout)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(busy_timeout)
                .create_if_missing(true)
        })
        // A lock held elsewhere (another session's open transaction) fails the statement after
        // this, answered 503, instead of holding the request and its connection indefinitely.
        .map_sqlx_postgres_opts(move |opts| {
            opts.options([("lock_timeout", lock_timeout.as_str())])
                .statement_cache_capacity(statement_cache)
        });
    Ok(Database::connect(options).await?)
}

/// How long a starting process waits for another one's migrations.
const MIGRATION_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

/// The key of the advisory lock migrations run under (any number fixed for this application).
const MIGRATION_LOCK: i64 = 0x7765_6e6d_696e_6701;

/// Brings the schema up to date. On PostgreSQL several replicas may start at once: they queue
/// on a transaction-scoped advisory lock and migrate inside that one transaction, so the first
/// applies the migrations and the others find nothing left to do. A transaction-scoped lock,
/// not a session one, because a session lock taken through a transaction-mode pooler would
/// outlive the statement on a server connection the pooler hands to someone else.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    use sea_orm::{ConnectionTrait, DbBackend, SqliteTransactionMode, TransactionOptions, TransactionTrait};
    if db.get_database_backend() != DbBackend::Postgres {
        // SQLite: a write transaction from the start, so another process opening the same
        // file waits for it instead of migrating alongside. Waiting for another process's
        // migrations is expected, so past the requests' busy timeout the wait goes on (as
        // PostgreSQL's lock_timeout does below) while the database stays busy.
        let deadline = std::time::Instant::now() + MIGRATION_WAIT;
        let txn = loop {
            let options = TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            };
            match db.begin_with_options(options).await {
                Ok(txn) => break txn,
                Err(err) if crate::http::error::database_unavailable(&err) && std::time::Instant::now() < deadline => {
                    tracing::info!("waiting for another process's migrations");
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Err(err) => return Err(err.into()),
            }
        };
        Migrator::up(&txn, None).await?;
        txn.commit().await?;
        return Ok(());
    }
    let txn = db.begin().await?;
    // Waiting for another replica's migrations is expected: not the requests' short lock_timeout.
    txn.execute_unprepared("SET LOCAL lock_timeout = '10min'").await?;
    txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        .await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await?;
    Ok(())
}

/// SQLite's read-only connections beside the one writer (`SQLITE_READERS`), opened after the
/// migrations: in WAL mode they read the last committed state while the writer writes, so
/// lists and details no longer queue behind sign-ups. `None` for PostgreSQL (its one pool
/// serves both), an in-memory database (a second pool would open another database) or 0
/// readers.
pub async fn connect_readers(settings: &Settings) -> anyhow::Result<Option<DatabaseConnection>> {
    let Some(path) = settings.sqlite_file() else {
        return Ok(None);
    };
    if settings.sqlite_readers == 0
        || path.is_empty()
        || path.starts_with(':')
        || settings.database_url.contains("mode=memory")
    {
        return Ok(None);
    }
    let busy_timeout = settings.sqlite_busy_timeout;
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .max_connections(settings.sqlite_readers)
        .min_connections(1)
        .connect_timeout(settings.db_connect_timeout)
        .acquire_timeout(settings.db_acquire_timeout)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |opts| {
            // The writer set WAL (a property of the file); a read-only connection cannot.
            opts.read_only(true)
                .create_if_missing(false)
                .foreign_keys(true)
                .busy_timeout(busy_timeout)
        });
    Ok(Some(Database::connect(options).await?))
}

/// Creates the first admin when none exists: from `BOOTSTRAP_ADMIN_PHONE` and
/// `BOOTSTRAP_ADMIN_PASSWORD`, or with a random password printed once to the log. An existing
/// account with that phone is never promoted (its owner may be anyone who registered it): the
/// start-up logs an error and goes on without an admin.
async fn bootstrap_admin(state: &AppState) -> anyhow::Result<()> {
    if users::service::admin_exists(&state.db).await? {
        return Ok(());
    }
    let settings = &state.settings;
    let (password, generated) = match &settings.bootstrap_admin_password {
        Some(password) => (password.clone(), false),
        None => {
            let mut bytes = [0u8; 12];
            rand::rng().fill_bytes(&mut bytes);
            // A letter and a digit up front so the password always meets the strength rule.
            (
                format!("a1{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)),
                true,
            )
        }
    };
    let phone = settings.bootstrap_admin_phone.clone();
    if users::service::find_by_phone(&state.db, &phone).await?.is_some() {
        // Another replica starting at the same moment made the admin since we looked.
        if users::service::admin_exists(&state.db).await? {
            return Ok(());
        }
        // Whoever registered this phone is not known to be the operator: never promote them.
        tracing::error!(
            phone = %crate::orders::service::mask_phone(&phone),
            "no admin exists and BOOTSTRAP_ADMIN_PHONE belongs to an existing account, which is not made admin; \
             set BOOTSTRAP_ADMIN_PHONE to an unused phone and restart"
        );
        return Ok(());
    }
    let hash = state.passwords.hash(password.clone()).await?;
    let created = users::service::create(
        &state.db,
        users::service::NewUser {
            phone: phone.clone(),
            password_hash: hash,
            name: "管理员".into(),
            station_id: None,
            roles: vec![Role::Admin],
            district: None,
        },
        None,
        state.clock.now(),
    )
    .await;
    // Another process starting at the same moment may have created it: that is fine.
    if created.is_ok() {
        if generated {
            tracing::warn!(
                phone = %phone,
                password = %password,
                "created the bootstrap admin with a generated password; it is shown only this once"
            );
        } else {
            tracing::info!(phone = %phone, "created the bootstrap admin");
        }
    }
    Ok(())
}

impl Application {
    /// Connects, migrates, bootstraps and binds; `settings.bind_addr` may use port 0.
    pub async fn build(mut settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        settings.ensure_jwt_secret()?;
        let db = connect(&settings).await?;
        migrate(&db).await?;
        let reader = connect_readers(&settings).await?;

        let passwords = PasswordHashing::bounded(
            settings.argon2_memory_kib,
            settings.password_hash_concurrency,
            settings.password_hash_queue,
            settings.password_hash_queue_wait,
        );
        let dummy_hash = passwords.dummy_hash().await?;
        let shared = settings
            .redis_url
            .as_deref()
            .map(|url| SharedLimits::new(url, &settings.redis_key_prefix))
            .transpose()?;
        let state = web::Data::new(AppState {
            jwt: JwtKeys::new(&settings.jwt_secret, settings.access_token_ttl)?,
            login_limiter: LoginLimiter::new(
                settings.login_attempts_per_minute,
                settings.login_phone_attempts_per_minute,
            )
            .shared(shared.clone()),
            checkin_limiter: UserLimiter::new(CHECKIN_ATTEMPTS_PER_MINUTE).shared(shared.clone(), "checkin"),
            metrics: Metrics::new()?,
            register_limiter: AddressLimiter::new(settings.register_attempts_per_minute)
                .shared(shared.clone(), "register"),
            // The same ceiling per address as phone logins (`LoginLimiter`).
            wechat_login_limiter: AddressLimiter::new(settings.login_attempts_per_minute.saturating_mul(120))
                .shared(shared.clone(), "wechat"),
            wechat: settings.wechat.clone().map(WechatClient::new).transpose()?,
            uploads: UploadStore::from_settings(&settings)?,
            upload_limiter: UserLimiter::new(settings.uploads.per_user_per_minute).shared(shared, "upload"),
            settings: Arc::new(settings),
            db,
            reader,
            clock,
            passwords,
            dummy_hash,
            notifications: Arc::default(),
            stopping: Arc::default(),
        });
        bootstrap_admin(&state).await?;
        crate::notifications::stream::prime(&state).await?;

        let listener = TcpListener::bind(state.settings.bind_addr)?;
        let address = listener.local_addr()?;
        let port = address.port();
        let prometheus = PrometheusMetricsBuilder::new("wenming")
            .registry(state.metrics.registry.clone())
            .mask_unmatched_patterns("UNMATCHED")
            .exclude_regex("^/docs")
            .build()
            .map_err(|e| anyhow::anyhow!("metrics: {e}"))?;
        let server = server(listener, state.clone(), prometheus)?;
        spawn_stopper(&state, server.handle());
        crate::notifications::stream::spawn_watcher(state.clone());
        if state.settings.background_jobs {
            crate::jobs::spawn(state.clone(), state.settings.job_interval);
            crate::wechat::outbox::spawn(state.clone());
        }
        Ok(Self {
            port,
            address,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address of the API documentation on the bound listener (an unspecified bind
    /// address, `0.0.0.0` or `::`, is shown as the loopback address).
    pub fn docs_url(&self) -> String {
        let ip = self.address.ip();
        let ip = match ip {
            std::net::IpAddr::V4(v4) if v4.is_unspecified() => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            std::net::IpAddr::V6(v6) if v6.is_unspecified() => std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            other => other,
        };
        format!("http://{}/docs/", std::net::SocketAddr::new(ip, self.address.port()))
    }

    /// The shared state (tests reach the clock and the database through it).
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGINT/SIGTERM, then finishes in-flight requests before returning.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// On SIGTERM or SIGINT: `/readyz` turns 503 at once, requests are still served for
/// `SHUTDOWN_DRAIN_SECS`, then the listener closes and in-flight requests get
/// `SHUTDOWN_TIMEOUT_SECS` to finish (actix's graceful stop).
fn spawn_stopper(state: &web::Data<AppState>, handle: actix_web::dev::ServerHandle) {
    let stopping = state.stopping.clone();
    let drain = state.settings.shutdown_drain;
    tokio::spawn(async move {
        crate::notifications::stream::stop_requested().await;
        stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        if !drain.is_zero() {
            tracing::info!(
                drain_secs = drain.as_secs(),
                "stopping: /readyz answers 503 while draining"
            );
            tokio::time::sleep(drain).await;
        }
        tracing::info!("stopping: no new connections; finishing in-flight requests");
        handle.stop(true).await;
    });
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allow_any_method()
        .allow_any_header()
        .expose_headers(["x-request-id", "location", "retry-after"])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

fn server(listener: TcpListener, state: web::Data<AppState>, prometheus: PrometheusMetrics) -> anyhow::Result<Server> {
    let doc = crate::openapi::document();
    let route_table = web::Data::new(RouteTable::from_openapi(&doc));
    // Serialized once and shared by every worker (as a JSON tree it took megabytes a worker).
    let doc_json = web::Bytes::from(serde_json::to_vec(&crate::openapi::json_of(doc))?);
    let settings = state.settings.clone();
    let (workers, shutdown_timeout) = (settings.workers, settings.shutdown_timeout.as_secs());
    let server = HttpServer::new(move || {
        use utoipa_actix_web::AppExt;
        App::new()
            .app_data(state.clone())
            .app_data(route_table.clone())
            .app_data(http::query_config())
            .app_data(http::path_config())
            .app_data(web::PayloadConfig::new(settings.max_body_bytes))
            // Innermost, but still ahead of the router: the route is chosen by the new method.
            .wrap(from_fn(http::method_override::method_override))
            .wrap(from_fn(http::hygiene::clean_query))
            .wrap(actix_web_lab::middleware::CatchPanic::default())
            .wrap(cors(&settings.cors_origins))
            .wrap(from_fn(http::security::cors_refusals))
            .wrap(prometheus.clone())
            .wrap(from_fn(http::language::localize))
            .wrap(from_fn(http::caching::caching))
            .wrap(from_fn(http::security::security_headers))
            .wrap(from_fn(http::middleware::request_context))
            .into_utoipa_app()
            .service(utoipa_actix_web::scope("/api/v1").configure(crate::openapi::api_routes))
            .configure(crate::openapi::root_routes)
            .into_app()
            .route("/openapi.json", web::get().to(crate::openapi::serve_document))
            .app_data(web::Data::new(crate::openapi::Document(doc_json.clone())))
            // Before Swagger UI's own files: its page, laid out for a phone's width too.
            .route("/docs/", web::get().to(crate::openapi::docs_page))
            .route("/docs/index.html", web::get().to(crate::openapi::docs_page))
            .service(SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::from("/openapi.json")))
            .route(
                "/docs",
                web::get().to(|| async {
                    HttpResponse::PermanentRedirect()
                        .insert_header((header::LOCATION, "/docs/"))
                        .finish()
                }),
            )
            .default_service(web::to(http::fallback))
    })
    .workers(workers)
    .shutdown_timeout(shutdown_timeout)
    // Signals are handled by `spawn_stopper` (drain first, then stop).
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}
