//! Bounded password hashing and the login and registration limits.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::*;

/// Sends `body` to `path` as if forwarded for `client` by a proxy on the test's own address.
async fn post_from(app: &TestApp, client: &str, path: &str, body: Value) -> Reply {
    let response = app
        .client
        .post(app.url_at(&app.address, path))
        .header("X-Forwarded-For", client)
        .json(&body)
        .send()
        .await
        .expect("request sent");
    into_reply(response).await
}

async fn login_from(app: &TestApp, client: &str, phone: &str, password: &str) -> Reply {
    post_from(
        app,
        client,
        "/auth/login",
        json!({"phone": phone, "password": password}),
    )
    .await
}

fn register_body(phone: &str, station: i64) -> Value {
    json!({"phone": phone, "password": PASSWORD, "name": "王芳", "station_id": station})
}

#[track_caller]
fn assert_retry_after(reply: &Reply, range: std::ops::RangeInclusive<u64>) {
    let value = reply.headers.get("retry-after").expect("Retry-After is sent");
    let secs: u64 = value.to_str().unwrap().parse().unwrap();
    assert!(range.contains(&secs), "Retry-After {secs}");
}

#[tokio::test]
async fn concurrent_registers_of_a_taken_phone_all_get_409_without_hashing() {
    // One hashing slot and no queue: a register that hashed before looking at the phone would
    // be refused as BUSY by its neighbours.
    let app = spawn_app_with(&[
        ("PASSWORD_HASH_CONCURRENCY", "1"),
        ("PASSWORD_HASH_QUEUE", "0"),
        ("ARGON2_MEMORY_KIB", "32768"),
    ])
    .await;
    let station = app.create_station("东湖站").await;
    let started = Instant::now();
    let replies = futures::future::join_all(
        (0..40).map(|_| app.post("/auth/register", None, register_body(ADMIN_PHONE, station))),
    )
    .await;
    for reply in &replies {
        reply.assert_problem(409, "PHONE_TAKEN");
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    app.post("/auth/register", None, register_body(&unique_phone(), station))
        .await
        .assert_status(201);
}

#[tokio::test]
async fn a_locked_pair_does_not_lock_the_same_phone_from_another_address() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1"), ("LOGIN_ATTEMPTS_PER_MINUTE", "3")]).await;
    for _ in 0..3 {
        login_from(&app, "198.51.100.1", ADMIN_PHONE, "wrongpass1")
            .await
            .assert_problem(401, "INVALID_CREDENTIALS");
    }
    let locked = login_from(&app, "198.51.100.1", ADMIN_PHONE, ADMIN_PASSWORD).await;
    locked.assert_problem(429, "TOO_MANY_REQUESTS");
    assert_retry_after(&locked, 1..=60);
    // The owner elsewhere still logs in.
    login_from(&app, "203.0.113.7", ADMIN_PHONE, ADMIN_PASSWORD)
        .await
        .assert_status(200);
}

#[tokio::test]
async fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let app = spawn_app_with(&[("LOGIN_ATTEMPTS_PER_MINUTE", "2")]).await;
    for client in ["198.51.100.1", "198.51.100.2"] {
        login_from(&app, client, ADMIN_PHONE, "wrongpass1")
            .await
            .assert_problem(401, "INVALID_CREDENTIALS");
    }
    // Both failures came from the same peer, whatever the header said.
    login_from(&app, "203.0.113.7", ADMIN_PHONE, ADMIN_PASSWORD)
        .await
        .assert_problem(429, "TOO_MANY_REQUESTS");
}

#[tokio::test]
async fn the_phone_ceiling_holds_back_every_address() {
    let app = spawn_app_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("LOGIN_ATTEMPTS_PER_MINUTE", "2"),
        ("LOGIN_PHONE_ATTEMPTS_PER_MINUTE", "4"),
    ])
    .await;
    for client in ["198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.2"] {
        login_from(&app, client, ADMIN_PHONE, "wrongpass1")
            .await
            .assert_problem(401, "INVALID_CREDENTIALS");
    }
    let slowed = login_from(&app, "203.0.113.7", ADMIN_PHONE, ADMIN_PASSWORD).await;
    slowed.assert_problem(429, "TOO_MANY_REQUESTS");
    assert_retry_after(&slowed, 1..=60);
    // Another phone is not held back.
    login_from(&app, "203.0.113.7", "13711112222", "wrongpass1")
        .await
        .assert_problem(401, "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn a_successful_login_clears_its_pairs_failures() {
    let app = spawn_app_with(&[("LOGIN_ATTEMPTS_PER_MINUTE", "3")]).await;
    for _ in 0..2 {
        for _ in 0..2 {
            app.login(ADMIN_PHONE, "wrongpass1")
                .await
                .assert_problem(401, "INVALID_CREDENTIALS");
        }
        // Without the reset this would be the fifth attempt after three failures.
        app.login(ADMIN_PHONE, ADMIN_PASSWORD).await.assert_status(200);
    }
}

#[tokio::test]
async fn registrations_are_limited_per_client_address() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1"), ("REGISTER_ATTEMPTS_PER_MINUTE", "2")]).await;
    let station = app.create_station("东湖站").await;
    for _ in 0..2 {
        post_from(
            &app,
            "198.51.100.1",
            "/auth/register",
            register_body(&unique_phone(), station),
        )
        .await
        .assert_status(201);
    }
    // Counted whatever the answer: a taken phone too, so phones cannot be enumerated fast.
    let limited = post_from(
        &app,
        "198.51.100.1",
        "/auth/register",
        register_body(ADMIN_PHONE, station),
    )
    .await;
    limited.assert_problem(429, "TOO_MANY_REQUESTS");
    assert_retry_after(&limited, 1..=60);
    post_from(
        &app,
        "198.51.100.2",
        "/auth/register",
        register_body(&unique_phone(), station),
    )
    .await
    .assert_status(201);
}

#[tokio::test]
async fn hashes_beyond_the_slots_and_queue_get_503_busy_with_retry_after() {
    // One slot, nobody may wait, and hashes slow enough to overlap.
    let app = spawn_app_with(&[
        ("PASSWORD_HASH_CONCURRENCY", "1"),
        ("PASSWORD_HASH_QUEUE", "0"),
        ("ARGON2_MEMORY_KIB", "32768"),
        ("LOGIN_ATTEMPTS_PER_MINUTE", "100"),
    ])
    .await;
    let replies = futures::future::join_all((0..12).map(|_| app.login(ADMIN_PHONE, ADMIN_PASSWORD))).await;
    let mut busy = 0;
    for reply in &replies {
        match reply.status.as_u16() {
            200 => {}
            503 => {
                reply.assert_problem(503, "BUSY");
                assert_eq!(reply.headers["retry-after"], "1");
                busy += 1;
            }
            other => panic!("unexpected {other}: {}", reply.text),
        }
    }
    assert!(
        busy >= 1,
        "no login was refused: {:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(busy < replies.len(), "one login at least had the slot");
    // Refused logins were not failures: the owner is not held back afterwards.
    app.login(ADMIN_PHONE, ADMIN_PASSWORD).await.assert_status(200);
}

#[tokio::test]
async fn a_short_queue_wait_answers_503_busy() {
    let app = spawn_app_with(&[
        ("PASSWORD_HASH_CONCURRENCY", "1"),
        ("PASSWORD_HASH_QUEUE", "100"),
        ("PASSWORD_HASH_QUEUE_MS", "0"),
        ("ARGON2_MEMORY_KIB", "32768"),
        ("LOGIN_ATTEMPTS_PER_MINUTE", "100"),
    ])
    .await;
    let replies = futures::future::join_all((0..12).map(|_| app.login(ADMIN_PHONE, ADMIN_PASSWORD))).await;
    let busy = replies.iter().filter(|r| r.status == 503).count();
    assert!(busy >= 1, "no login waited too long");
    for reply in replies.iter().filter(|r| r.status != 200) {
        reply.assert_problem(503, "BUSY");
    }
}
