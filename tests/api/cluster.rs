//! Several replicas on one database: migrations run once when they start together, and the
//! login, registration and check-in limits are shared through Redis (`REDIS_URL`), falling back
//! to each process's own counts when Redis does not answer.

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::json;

use crate::helpers::*;

/// Starts the real binary on `db` with the test settings plus `extra`, without waiting.
fn start(db: &TestDatabase, extra: &[(&str, &str)]) -> ServerProcess {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut env = db.env(extra);
    env.insert("BIND_ADDR".into(), format!("127.0.0.1:{port}"));
    env.entry("RUST_LOG".into()).or_insert_with(|| "warn".into());
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_wenming"))
        .envs(env)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(log_of(port)).expect("a log file"))
        .spawn()
        .expect("server binary starts");
    ServerProcess {
        address: format!("http://127.0.0.1:{port}"),
        child,
    }
}

/// Where the replica on `port` writes its log, so that a failed start says why.
fn log_of(port: u16) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("wenming-replica-{port}.log"))
}

/// Waits until `process` answers `/readyz` 200; panics if it exits or takes over 60 s.
async fn ready(client: &reqwest::Client, process: &mut ServerProcess) {
    for _ in 0..600 {
        if let Ok(Some(status)) = process.child.try_wait() {
            let port: u16 = process.address.rsplit(':').next().unwrap().parse().unwrap();
            let log = std::fs::read_to_string(log_of(port)).unwrap_or_default();
            panic!("{} exited before it was ready: {status}\n{log}", process.address);
        }
        if let Ok(reply) = client.get(format!("{}/readyz", process.address)).send().await
            && reply.status() == 200
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{} did not become ready", process.address);
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn three_replicas_starting_at_once_on_a_fresh_database_migrate_once() {
    let db = TestDatabase::fresh().await;
    let mut replicas: Vec<ServerProcess> = (0..3).map(|_| start(&db, &[])).collect();
    let client = client();
    for replica in &mut replicas {
        ready(&client, replica).await;
    }
    let url = db
        .url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/wenming.db", db.data_dir.display()));
    let conn = Database::connect(&url).await.unwrap();
    let backend = conn.get_database_backend();
    let rows = conn
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT version, COUNT(*) AS n FROM seaql_migrations GROUP BY version",
        ))
        .await
        .unwrap();
    use migration::MigratorTrait;
    assert_eq!(
        rows.len(),
        migration::Migrator::migrations().len(),
        "every migration recorded"
    );
    for row in rows {
        let n: i64 = row.try_get("", "n").unwrap();
        assert_eq!(n, 1, "each migration applied once");
    }
    // All three serve the same schema: one admin, bootstrapped once.
    for replica in &replicas {
        let reply = client
            .post(format!("{}/api/v1/auth/login", replica.address))
            .json(&json!({"phone": ADMIN_PHONE, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
    }
}

fn redis_prefix() -> String {
    format!("wenming-test-{}", uuid::Uuid::new_v4().simple())
}

async fn login_status(client: &reqwest::Client, base: &str, phone: &str) -> u16 {
    client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"phone": phone, "password": "wrongpass1"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn two_replicas_share_one_login_and_registration_budget_through_redis() {
    // Like PostgreSQL, Redis is used when the environment names one (CI does), so that
    // `cargo test` needs nothing but Rust.
    let Ok(redis_url) = std::env::var("TEST_REDIS_URL") else {
        eprintln!("TEST_REDIS_URL is not set: the Redis-shared limits are not exercised in this run");
        return;
    };
    let db = TestDatabase::fresh().await;
    let prefix = redis_prefix();
    let settings = [
        ("REDIS_URL", redis_url.as_str()),
        ("REDIS_KEY_PREFIX", prefix.as_str()),
        ("LOGIN_ATTEMPTS_PER_MINUTE", "3"),
        ("LOGIN_PHONE_ATTEMPTS_PER_MINUTE", "100"),
        ("REGISTER_ATTEMPTS_PER_MINUTE", "4"),
    ];
    let client = client();
    let mut a = start(&db, &settings);
    ready(&client, &mut a).await;
    let mut b = start(&db, &settings);
    ready(&client, &mut b).await;

    // Three failures of one (phone, address), spread over both replicas, spend the pair's budget.
    let phone = unique_phone();
    for base in [&a.address, &b.address, &a.address] {
        assert_eq!(login_status(&client, base, &phone).await, 401);
    }
    assert_eq!(
        login_status(&client, &b.address, &phone).await,
        429,
        "the 4th, on the other replica"
    );
    assert_eq!(login_status(&client, &a.address, &phone).await, 429);
    // Another phone has its own budget.
    assert_eq!(login_status(&client, &b.address, &unique_phone()).await, 401);

    // Registrations from one address: 4 a minute across both replicas.
    let register = |base: &str| {
        client
            .post(format!("{base}/api/v1/auth/register"))
            .json(&json!({"phone": unique_phone(), "password": PASSWORD, "name": "王芳", "station_id": 999_999}))
            .send()
    };
    for base in [&a.address, &b.address, &a.address, &b.address] {
        let status = register(base).await.unwrap().status().as_u16();
        assert_ne!(status, 429, "within the budget");
    }
    assert_eq!(register(&a.address).await.unwrap().status(), 429);
    assert_eq!(register(&b.address).await.unwrap().status(), 429);
}

#[tokio::test]
async fn a_redis_that_does_not_answer_falls_back_to_the_process_limits_without_errors() {
    let app = spawn_one_process_with(&[
        // Nothing listens on port 1.
        ("REDIS_URL", "redis://127.0.0.1:1"),
        ("LOGIN_ATTEMPTS_PER_MINUTE", "3"),
        ("LOGIN_PHONE_ATTEMPTS_PER_MINUTE", "100"),
    ])
    .await;
    let phone = unique_phone();
    for _ in 0..3 {
        assert_eq!(login_status(&app.client, &app.address, &phone).await, 401);
    }
    assert_eq!(login_status(&app.client, &app.address, &phone).await, 429);
    // A right password still logs in.
    let reply = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    reply.assert_status(200);
}

#[tokio::test]
async fn on_sigterm_readyz_turns_503_while_requests_are_still_served_then_the_process_exits() {
    let db = TestDatabase::fresh().await;
    let client = client();
    let mut process = start(&db, &[("SHUTDOWN_DRAIN_SECS", "2")]);
    ready(&client, &mut process).await;
    let killed = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(process.child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let readyz = client.get(format!("{}/readyz", process.address)).send().await.unwrap();
    assert_eq!(readyz.status(), 503, "not ready once asked to stop");
    let served = client.get(format!("{}/healthz", process.address)).send().await.unwrap();
    assert_eq!(served.status(), 200, "still serving while draining");
    assert_eq!(
        served.headers().get("connection").and_then(|v| v.to_str().ok()),
        Some("close"),
        "a draining process closes each connection after its answer, so no proxy reuses one the listener is about to drop"
    );
    let mut exited = None;
    for _ in 0..100 {
        if let Some(status) = process.child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(exited.expect("exits after the drain").success());
}
