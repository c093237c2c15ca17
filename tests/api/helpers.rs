#![allow(dead_code)] // helpers serve many test modules; not every one uses each
//! `spawn_app()` starts a server on a fresh database; `TestApp` has one helper per endpoint the
//! tests lean on.

use std::{
    collections::HashMap,
    sync::atomic::{AtomicU64, Ordering},
};

use crate::through_nginx;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use wenming::{clock::Clock, config::Settings, startup::Application};

pub const ADMIN_PHONE: &str = "13800000000";
pub const ADMIN_PASSWORD: &str = "admin12345";
pub const PASSWORD: &str = "secret123";

/// A fresh PostgreSQL database, dropped when the test ends.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                if let Ok(db) = Database::connect(&admin_url).await {
                    let _ = db
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

/// Where a test's server keeps its data.
pub struct TestDatabase {
    pub url: Option<String>,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
    pub data_dir: std::path::PathBuf,
}

impl TestDatabase {
    pub async fn fresh() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().to_path_buf();
        match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(admin_url) => {
                let name = format!("wenming_test_{}", uuid::Uuid::new_v4().simple());
                let db = Database::connect(&admin_url)
                    .await
                    .expect("TEST_DATABASE_URL reachable");
                db.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .unwrap();
                let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap();
                let url = format!("{base}/{name}");
                TestDatabase {
                    url: Some(url),
                    _dir: dir,
                    _pg: Some(PgDatabase { admin_url, name }),
                    data_dir,
                }
            }
            None => TestDatabase {
                url: None,
                _dir: dir,
                _pg: None,
                data_dir,
            },
        }
    }

    /// A database the test made itself (a private PostgreSQL cluster, say) at `url`; nothing
    /// is dropped when the test ends.
    pub fn at(url: String) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().to_path_buf();
        TestDatabase {
            url: Some(url),
            _dir: dir,
            _pg: None,
            data_dir,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.url.is_some()
    }

    /// A database this harness made on `TEST_DATABASE_URL` (not one a test brought itself).
    fn is_made_here(&self) -> bool {
        self._pg.is_some()
    }

    /// The settings a test server runs with, plus `extra`.
    pub fn env(&self, extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut vars: HashMap<String, String> = [
            ("BIND_ADDR", "127.0.0.1:0"),
            ("BOOTSTRAP_ADMIN_PHONE", ADMIN_PHONE),
            ("BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("ARGON2_MEMORY_KIB", "1024"),
            ("WORKERS", "2"),
            ("BACKGROUND_JOBS", "off"),
            ("JWT_SECRET", "test-secret-test-secret-test-secret-0123"),
            // Tests register many accounts from one address, and a loaded test machine may
            // keep a hashing slot busy for long: the limits are tested in `limits`.
            ("REGISTER_ATTEMPTS_PER_MINUTE", "100000"),
            ("PASSWORD_HASH_QUEUE", "100000"),
            ("PASSWORD_HASH_QUEUE_MS", "60000"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        vars.insert("DATA_DIR".into(), self.data_dir.display().to_string());
        if let Some(url) = &self.url {
            vars.insert("DATABASE_URL".into(), url.clone());
        }
        for (k, v) in extra {
            vars.insert((*k).to_owned(), (*v).to_owned());
        }
        vars
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub clock: Clock,
    pub state: actix_web::web::Data<wenming::state::AppState>,
    pub db: TestDatabase,
    admin: tokio::sync::OnceCell<String>,
    /// How many server processes serve `address` (more than one behind nginx).
    pub processes: usize,
    /// nginx in front of the replicas, when the test runs through it.
    _proxy: Option<crate::through_nginx::Nginx>,
}

/// A response: status, headers and the body parsed as JSON (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// The `code` of a problem+json body.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a problem+json refusal with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        assert_eq!(self.content_type(), "application/problem+json", "body: {}", self.text);
        assert_eq!(self.code(), code, "body: {}", self.text);
        assert_eq!(self.body["status"].as_u64(), Some(u64::from(status)));
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.text);
        &self.body
    }
}

fn init_logging() {
    if std::env::var("TEST_LOG").is_ok() {
        wenming::telemetry::init(wenming::config::LogFormat::Text);
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    spawn_app_on(TestDatabase::fresh().await, extra).await
}

/// One server process, reached directly, even when the suite runs through nginx: for tests of
/// what a single process does on its own (its own fallback limits, what it tells a caller
/// that connects to it without a proxy).
pub async fn spawn_one_process_with(extra: &[(&str, &str)]) -> TestApp {
    spawn(TestDatabase::fresh().await, extra, false).await
}

/// A server on `db` with the test settings plus `extra`; with `TEST_CLUSTER_REPLICAS` on
/// PostgreSQL, that many replicas behind nginx (`through_nginx`).
pub async fn spawn_app_on(db: TestDatabase, extra: &[(&str, &str)]) -> TestApp {
    spawn(db, extra, true).await
}

async fn spawn(db: TestDatabase, extra: &[(&str, &str)], through_nginx_allowed: bool) -> TestApp {
    init_logging();
    let clock = Clock::system();
    let mut vars = db.env(extra);
    // Through nginx: on a PostgreSQL database this harness made (a test's own PostgreSQL
    // cluster, restarted under the server, is not behind the suite's PgBouncer).
    let cluster = through_nginx::replicas().filter(|_| through_nginx_allowed && db.is_made_here());
    let replicas = match (&db.url, cluster) {
        (Some(url), Some(n)) => {
            // A test's own choice of database or limits comes last and wins.
            for (name, value) in through_nginx::replica_settings(url) {
                if !extra.iter().any(|(k, _)| *k == name) {
                    vars.insert(name, value);
                }
            }
            n
        }
        _ => 1,
    };
    let mut ports = Vec::new();
    let mut first_state = None;
    for _ in 0..replicas {
        let settings = Settings::from_map(&vars).expect("test settings are valid");
        let application = Application::build(settings, clock.clone())
            .await
            .expect("server builds");
        ports.push(application.port());
        first_state.get_or_insert_with(|| application.state());
        tokio::spawn(application.run_until_stopped());
    }
    let (address, proxy) = if replicas > 1 {
        let nginx = through_nginx::Nginx::start(&ports).await;
        (nginx.address.clone(), Some(nginx))
    } else {
        (format!("http://127.0.0.1:{}", ports[0]), None)
    };
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        clock,
        state: first_state.expect("one replica at least"),
        db,
        admin: tokio::sync::OnceCell::new(),
        processes: replicas,
        _proxy: proxy,
    }
}

static PHONE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A phone number no other test in this run uses.
pub fn unique_phone() -> String {
    let n = PHONE_COUNTER.fetch_add(1, Ordering::Relaxed);
    let process = u64::from(std::process::id()) % 1000;
    format!("139{:03}{:05}", process, n % 100_000)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        self.url_at(&self.address, path)
    }

    /// The URL of `path` on the server at `base` (this app, or another process on its database).
    pub fn url_at(&self, base: &str, path: &str) -> String {
        if path.starts_with('/')
            && !path.starts_with("/api/")
            && !path.starts_with("/healthz")
            && !path.starts_with("/readyz")
            && !path.starts_with("/metrics")
            && !path.starts_with("/openapi")
            && !path.starts_with("/docs")
        {
            format!("{base}/api/v1{path}")
        } else {
            format!("{base}{path}")
        }
    }

    /// Sends a request; `path` is under `/api/v1` unless it is an operations path.
    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        self.request_at(&self.address, method, path, token, body).await
    }

    /// Sends a request to the server at `base`.
    pub async fn request_at(
        &self,
        base: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url_at(base, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        into_reply(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::DELETE, path, token, None).await
    }

    pub async fn login(&self, phone: &str, password: &str) -> Reply {
        self.post("/auth/login", None, json!({"phone": phone, "password": password}))
            .await
    }

    /// Logs in and returns the access token.
    pub async fn token(&self, phone: &str, password: &str) -> String {
        let reply = self.login(phone, password).await;
        reply.assert_status(200)["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.admin
            .get_or_init(|| self.token(ADMIN_PHONE, ADMIN_PASSWORD))
            .await
            .clone()
    }

    /// Creates a station as admin and returns its id.
    pub async fn create_station(&self, name: &str) -> i64 {
        let admin = self.admin_token().await;
        let reply = self
            .post(
                "/stations",
                Some(&admin),
                json!({"name": name, "district": DISTRICT, "address": "东湖路 1 号"}),
            )
            .await;
        reply.assert_status(201)["id"].as_i64().unwrap()
    }

    /// Registers a resident of the station; returns (user id, phone).
    pub async fn register(&self, station_id: i64, name: &str) -> (i64, String) {
        let phone = unique_phone();
        let reply = self
            .post(
                "/auth/register",
                None,
                json!({"phone": phone, "password": PASSWORD, "name": name, "station_id": station_id}),
            )
            .await;
        (reply.assert_status(201)["id"].as_i64().unwrap(), phone)
    }

    /// Registers a resident and logs them in; returns (user id, access token).
    pub async fn resident(&self, station_id: i64) -> (i64, String) {
        let (id, phone) = self.register(station_id, "居民").await;
        (id, self.token(&phone, PASSWORD).await)
    }

    /// Creates an account with `roles` in the station as admin; returns (user id, access token).
    pub async fn staff(&self, station_id: Option<i64>, roles: &[&str]) -> (i64, String) {
        let admin = self.admin_token().await;
        let phone = unique_phone();
        let reply = self
            .post(
                "/users",
                Some(&admin),
                account_body(&phone, "工作人员", station_id, roles),
            )
            .await;
        let id = reply.assert_status(201)["id"].as_i64().unwrap();
        (id, self.token(&phone, PASSWORD).await)
    }
}

/// The district every test station is in (unless a test names another); supervisors made by the
/// helpers supervise it.
pub const DISTRICT: &str = "武昌区";

/// The `POST /users` body for an account with `roles`; a supervisor supervises [`DISTRICT`].
pub fn account_body(phone: &str, name: &str, station_id: Option<i64>, roles: &[&str]) -> Value {
    let mut body =
        json!({"phone": phone, "password": PASSWORD, "name": name, "station_id": station_id, "roles": roles});
    if roles.contains(&"supervisor") {
        body["district"] = json!(DISTRICT);
    }
    body
}

pub async fn into_reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

/// A second server process (the real binary) on the same database as a test app.
pub struct ServerProcess {
    pub address: String,
    pub child: std::process::Child,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TestApp {
    /// Starts the `wenming` binary as another process on this app's database and waits until
    /// it is ready.
    pub async fn spawn_process(&self, extra: &[(&str, &str)]) -> ServerProcess {
        self.spawn_process_logging_to(extra, None).await
    }

    /// Like `spawn_process`, writing the server's standard output (its log) to `log`.
    pub async fn spawn_process_logging_to(
        &self,
        extra: &[(&str, &str)],
        log: Option<&std::path::Path>,
    ) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let bind = format!("127.0.0.1:{port}");
        let mut env = self.db.env(extra);
        env.insert("BIND_ADDR".into(), bind);
        env.entry("RUST_LOG".into()).or_insert_with(|| "warn".into());
        let stdout = match log {
            Some(path) => std::process::Stdio::from(std::fs::File::create(path).unwrap()),
            None => std::process::Stdio::null(),
        };
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_wenming"))
            .envs(env)
            .stdout(stdout)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("server binary starts");
        let process = ServerProcess {
            address: format!("http://127.0.0.1:{port}"),
            child,
        };
        for _ in 0..300 {
            if let Ok(reply) = self.client.get(format!("{}/readyz", process.address)).send().await
                && reply.status() == 200
            {
                return process;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the second server process did not become ready");
    }
}

impl TestApp {
    /// A second server instance on the same database and the same clock, as another process
    /// would be; returns its address and state (for `jobs::run_once`).
    pub async fn second_instance(&self) -> (String, actix_web::web::Data<wenming::state::AppState>) {
        let settings =
            Settings::from_map(&self.db.env(&[("ACCESS_TOKEN_TTL_SECS", "86400")])).expect("test settings are valid");
        let application = Application::build(settings, self.clock.clone())
            .await
            .expect("second instance builds");
        let address = format!("http://127.0.0.1:{}", application.port());
        let state = application.state();
        tokio::spawn(application.run_until_stopped());
        (address, state)
    }

    /// Runs the job sweep on this instance and on `other` at once; returns both reports.
    pub async fn sweep_both(&self, other: &wenming::state::AppState) -> [wenming::jobs::JobReport; 2] {
        let (first, second) = tokio::join!(wenming::jobs::run_once(&self.state), wenming::jobs::run_once(other));
        [first.expect("first sweep runs"), second.expect("second sweep runs")]
    }
}

/// How many rows `job` changed across `reports`.
pub fn changed_by(reports: &[wenming::jobs::JobReport], job: &str) -> u64 {
    reports
        .iter()
        .flat_map(|r| r.iter())
        .filter(|(name, _)| *name == job)
        .map(|(_, n)| n)
        .sum()
}
