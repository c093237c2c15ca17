//! Failing fast and clean when the database cannot serve (503 `DATABASE_UNAVAILABLE` with
//! `Retry-After`), tokens of accounts that no longer exist, and online backups with restore.

use std::time::{Duration, Instant};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, TransactionTrait};
use serde_json::json;

use crate::helpers::*;
use crate::orders::{order_body, world};

/// Asserts a 503 `DATABASE_UNAVAILABLE` problem that tells the client when to retry.
#[track_caller]
fn assert_database_unavailable(reply: &Reply) {
    reply.assert_problem(503, "DATABASE_UNAVAILABLE");
    let retry_after: u64 = reply
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a 503 carries Retry-After in seconds");
    assert!(retry_after >= 1, "{retry_after}");
}

/// The SQLite file of a test app on the default database.
fn sqlite_url(app: &TestApp) -> String {
    format!("sqlite://{}/wenming.db", app.db.data_dir.display())
}

/// One raw connection to the app's SQLite file, as another process would hold it.
async fn other_sqlite_connection(app: &TestApp) -> DatabaseConnection {
    let mut options = ConnectOptions::new(sqlite_url(app));
    options.max_connections(1).min_connections(1).sqlx_logging(false);
    Database::connect(options).await.unwrap()
}

#[tokio::test]
async fn a_sqlite_write_lock_held_elsewhere_answers_503_within_the_busy_timeout() {
    let app = spawn_app_with(&[("SQLITE_BUSY_TIMEOUT_MS", "300")]).await;
    if app.db.is_postgres() {
        return; // a SQLite file lock; PostgreSQL is covered by the full-pool test
    }
    let admin = app.admin_token().await;
    let other = other_sqlite_connection(&app).await;
    other.execute_unprepared("BEGIN EXCLUSIVE").await.unwrap();

    let started = Instant::now();
    let reply = app
        .post(
            "/stations",
            Some(&admin),
            json!({"name": "锁住时新建的站", "district": DISTRICT, "address": "东湖路 2 号"}),
        )
        .await;
    let waited = started.elapsed();
    assert_database_unavailable(&reply);
    assert!(waited < Duration::from_secs(3), "answered after {waited:?}");

    other.execute_unprepared("COMMIT").await.unwrap();
    app.post(
        "/stations",
        Some(&admin),
        json!({"name": "解锁后新建的站", "district": DISTRICT, "address": "东湖路 3 号"}),
    )
    .await
    .assert_status(201);
}

#[tokio::test]
async fn a_full_pool_answers_503_within_the_acquire_timeout_and_recovers() {
    let app = spawn_app_with(&[("DB_MAX_CONNECTIONS", "1"), ("DB_ACQUIRE_TIMEOUT_SECS", "1")]).await;
    app.get("/stations", None).await.assert_status(200);
    // The pool's only connection is taken by a transaction that does not end yet.
    let held = app.state.db.begin().await.unwrap();

    let started = Instant::now();
    let reply = app.get("/stations", None).await;
    let waited = started.elapsed();
    assert_database_unavailable(&reply);
    assert!(waited < Duration::from_secs(3), "answered after {waited:?}");

    held.rollback().await.unwrap();
    app.get("/stations", None).await.assert_status(200);
}

#[tokio::test]
async fn a_closed_database_pool_answers_503_not_500() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.state.db.clone().close().await.unwrap();
    assert_database_unavailable(&app.get("/stations", None).await);
    assert_database_unavailable(&app.get("/me", Some(&admin)).await);
}

#[tokio::test]
async fn database_waits_default_to_at_most_five_seconds() {
    let settings = wenming::config::Settings::from_map(&Default::default()).unwrap();
    assert!(settings.db_acquire_timeout <= Duration::from_secs(5));
    assert!(settings.sqlite_busy_timeout <= Duration::from_secs(5));
}

#[tokio::test]
async fn a_token_of_a_user_that_no_longer_exists_is_401_on_reads_and_writes() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.get("/me", w.resident.t()).await.assert_status(200);

    let db = Database::connect(app.db.url.clone().unwrap_or_else(|| sqlite_url(&app)))
        .await
        .unwrap();
    let id = w.resident.id;
    for table in ["user_roles", "refresh_tokens", "notifications"] {
        db.execute_unprepared(&format!("DELETE FROM {table} WHERE user_id = {id}"))
            .await
            .unwrap();
    }
    let deleted = db
        .execute_unprepared(&format!("DELETE FROM users WHERE id = {id}"))
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 1);

    app.get("/me", w.resident.t())
        .await
        .assert_problem(401, "TOKEN_REVOKED");
    app.post("/orders", w.resident.t(), order_body(w.platform))
        .await
        .assert_problem(401, "TOKEN_REVOKED");
    app.patch("/me", w.resident.t(), json!({"name": "不存在的人"}))
        .await
        .assert_problem(401, "TOKEN_REVOKED");
    app.put(
        "/me/password",
        w.resident.t(),
        json!({"current_password": PASSWORD, "new_password": "another123"}),
    )
    .await
    .assert_problem(401, "TOKEN_REVOKED");
}
