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
async fn a_postgres_lock_held_elsewhere_answers_503_within_the_lock_timeout() {
    // The server's own lock_timeout (behind PgBouncer the pooler sets it: deploy/).
    let app = spawn_one_process_with(&[("PG_LOCK_TIMEOUT_MS", "300")]).await;
    let Some(url) = app.db.url.clone() else {
        return; // a PostgreSQL lock; SQLite is covered by the busy-timeout test
    };
    let admin = app.admin_token().await;
    let mut options = ConnectOptions::new(url);
    options.max_connections(1).min_connections(1).sqlx_logging(false);
    let other = Database::connect(options).await.unwrap();
    other.execute_unprepared("BEGIN").await.unwrap();
    other
        .execute_unprepared("LOCK TABLE stations IN EXCLUSIVE MODE")
        .await
        .unwrap();

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
    // One pool for everything (SQLite without readers, as PostgreSQL's one pool).
    let app = spawn_one_process_with(&[
        ("DB_MAX_CONNECTIONS", "1"),
        ("DB_ACQUIRE_TIMEOUT_SECS", "1"),
        ("SQLITE_READERS", "0"),
    ])
    .await;
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

/// SQLite's readers: with the one writer connection held by a transaction that does not end
/// yet, lists and details still answer from the read-only connections, and a write waits for
/// the writer and is answered 503 after the acquire timeout.
#[tokio::test]
async fn on_sqlite_reads_do_not_queue_behind_the_writer() {
    let app = spawn_app_with(&[("DB_ACQUIRE_TIMEOUT_SECS", "1")]).await;
    if app.db.is_postgres() {
        assert!(app.state.reader.is_none(), "PostgreSQL serves reads from its one pool");
        return;
    }
    let admin = app.admin_token().await;
    let station = app
        .post(
            "/stations",
            Some(&admin),
            json!({"name": "读写分离站", "district": "武昌区", "address": "东湖路 1 号"}),
        )
        .await;
    let id = station.assert_status(201)["id"].as_i64().unwrap();
    assert!(app.state.reader.is_some(), "SQLite has readers by default");
    let held = app.state.db.begin().await.unwrap();

    // Reads, authenticated ones included (the token check reads through a reader too).
    let listed = app.get("/stations", None).await;
    assert_eq!(listed.assert_status(200)["total"], 1);
    app.get(&format!("/stations/{id}"), None).await.assert_status(200);
    app.get("/activities", Some(&admin)).await.assert_status(200);
    app.get("/notifications", Some(&admin)).await.assert_status(200);
    // A write needs the writer.
    let write = app
        .post(
            "/stations",
            Some(&admin),
            json!({"name": "第二站", "district": "武昌区", "address": "东湖路 2 号"}),
        )
        .await;
    assert_database_unavailable(&write);

    held.rollback().await.unwrap();
    // What the writer commits, a reader sees at once.
    app.post(
        "/stations",
        Some(&admin),
        json!({"name": "第二站", "district": "武昌区", "address": "东湖路 2 号"}),
    )
    .await
    .assert_status(201);
    assert_eq!(app.get("/stations", None).await.assert_status(200)["total"], 2);
}

#[tokio::test]
async fn a_closed_database_pool_answers_503_not_500() {
    let app = spawn_one_process_with(&[]).await;
    let admin = app.admin_token().await;
    app.state.db.clone().close().await.unwrap();
    if let Some(reader) = &app.state.reader {
        reader.clone().close().await.unwrap();
    }
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

/// Runs `wenming <args>` with the settings `env`, off the test's runtime thread.
async fn wenming(args: &[&str], env: std::collections::HashMap<String, String>) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_wenming"))
            .args(&args)
            .env_clear()
            .envs(env)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn postgres_backups_are_pg_dumps_job_and_exit_2() {
    let app = spawn_app().await;
    if !app.db.is_postgres() {
        return;
    }
    let file = app.db.data_dir.join("backup.db");
    for command in ["backup", "restore"] {
        let output = wenming(&[command, file.to_str().unwrap()], app.db.env(&[])).await;
        assert_eq!(output.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("pg_dump"), "{stderr}");
    }
}

#[tokio::test]
async fn a_backup_taken_during_writes_restores_into_a_server_with_every_order_acknowledged_before_it() {
    use std::sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    };

    let app = spawn_app().await;
    if app.db.is_postgres() {
        return; // PostgreSQL is backed up with pg_dump
    }
    let w = world(&app).await;
    let server = app.spawn_process(&[]).await;

    // A resident keeps placing orders on the server process while the backup runs.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        let (client, url, token, body) = (
            app.client.clone(),
            app.url_at(&server.address, "/orders"),
            w.resident.token.clone(),
            order_body(w.platform),
        );
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let reply = client.post(&url).bearer_auth(&token).json(&body).send().await.unwrap();
                assert_eq!(reply.status(), 201, "{}", reply.text().await.unwrap_or_default());
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    while acknowledged.load(Ordering::SeqCst) < 20 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let file = app.db.data_dir.join("backup.db");
    let before_backup = acknowledged.load(Ordering::SeqCst);
    let output = wenming(&["backup", file.to_str().unwrap()], app.db.env(&[])).await;
    let after_backup = acknowledged.load(Ordering::SeqCst);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a backup holds personal data: owner only");
    }

    // A backup never overwrites a file.
    let again = wenming(&["backup", file.to_str().unwrap()], app.db.env(&[])).await;
    assert_eq!(again.status.code(), Some(1));

    // Restoring is refused while a server answers on BIND_ADDR.
    let bind = server.address.trim_start_matches("http://").to_owned();
    let refused = wenming(
        &["restore", file.to_str().unwrap()],
        app.db.env(&[("BIND_ADDR", bind.as_str())]),
    )
    .await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("stop every server"));

    // Restore into a fresh data folder and serve from it.
    let fresh = tempfile::tempdir().unwrap();
    let fresh_dir = fresh.path().display().to_string();
    let restored = wenming(
        &["restore", file.to_str().unwrap()],
        app.db.env(&[("DATA_DIR", fresh_dir.as_str())]),
    )
    .await;
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let restored_server = app.spawn_process(&[("DATA_DIR", fresh_dir.as_str())]).await;

    let orders = app
        .request_at(
            &restored_server.address,
            reqwest::Method::GET,
            "/orders?page_size=1",
            w.resident.t(),
            None,
        )
        .await;
    let total = orders.assert_status(200)["total"].as_u64().unwrap() as usize;
    assert!(
        (before_backup..=after_backup).contains(&total),
        "the copy holds every order acknowledged before the backup began ({before_backup}) and none \
         after it ended ({after_backup}): {total}"
    );
    let login = app
        .request_at(
            &restored_server.address,
            reqwest::Method::POST,
            "/auth/login",
            None,
            Some(json!({"phone": w.resident.phone, "password": PASSWORD})),
        )
        .await;
    login.assert_status(200);

    // Killed with its write-ahead log in place (the login wrote a refresh token), then restored
    // over: the old log is not replayed onto the restored file.
    drop(restored_server);
    assert!(fresh.path().join("wenming.db-wal").exists());
    let again = wenming(
        &["restore", file.to_str().unwrap()],
        app.db.env(&[("DATA_DIR", fresh_dir.as_str())]),
    )
    .await;
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let db = Database::connect(format!("sqlite://{fresh_dir}/wenming.db"))
        .await
        .unwrap();
    let one = |sql: &str| db.query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, sql));
    let verdict = one("PRAGMA integrity_check").await.unwrap().unwrap();
    assert_eq!(verdict.try_get_by_index::<String>(0).unwrap(), "ok");
    let count = one("SELECT COUNT(*) FROM orders").await.unwrap().unwrap();
    assert_eq!(count.try_get_by_index::<i64>(0).unwrap() as usize, total);
}
