//! Tokens that do not log people out: expired vs invalid access tokens, logout ending the access
//! token, the refresh grace window.

use base64::Engine;
use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const SECRET: &[u8] = b"test-secret-test-secret-test-secret-0123";

/// The claims of a token, to forge variants of it.
fn claims_of(token: &str) -> Value {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    serde_json::from_slice(&engine.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

fn sign(claims: &Value, alg: jsonwebtoken::Algorithm, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret).unwrap(),
    )
    .unwrap()
}

fn www_authenticate(reply: &Reply) -> &str {
    reply
        .headers
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[track_caller]
fn assert_invalid_token(reply: &Reply, code: &str) {
    reply.assert_problem(401, code);
    assert_eq!(www_authenticate(reply), r#"Bearer error="invalid_token""#);
}

// ---- Access-token errors ----

#[tokio::test]
async fn an_expired_access_token_is_token_expired_and_a_bad_one_invalid_token() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let claims = claims_of(&token);
    let now = app.clock.now().timestamp();

    // Genuine but expired: the client should refresh.
    let mut expired = claims.clone();
    expired["iat"] = json!(now - 2_000);
    expired["exp"] = json!(now - 1_100);
    let expired = sign(&expired, jsonwebtoken::Algorithm::HS256, SECRET);
    assert_invalid_token(&app.get("/me", Some(&expired)).await, "TOKEN_EXPIRED");
    // An expired token signed with another secret is not ours: invalid, not expired.
    let forged = sign(
        &claims_of(&expired),
        jsonwebtoken::Algorithm::HS256,
        b"another-secret-another-secret-0000",
    );
    assert_invalid_token(&app.get("/me", Some(&forged)).await, "INVALID_TOKEN");

    // Malformed, another algorithm with the right secret, issued in the future.
    assert_invalid_token(&app.get("/me", Some("not.a.jwt")).await, "INVALID_TOKEN");
    let hs384 = sign(&claims, jsonwebtoken::Algorithm::HS384, SECRET);
    assert_invalid_token(&app.get("/me", Some(&hs384)).await, "INVALID_TOKEN");
    let mut future = claims.clone();
    future["iat"] = json!(now + 3_600);
    future["exp"] = json!(now + 4_500);
    let future = sign(&future, jsonwebtoken::Algorithm::HS256, SECRET);
    assert_invalid_token(&app.get("/me", Some(&future)).await, "INVALID_TOKEN");

    // No token: the bare challenge (RFC 6750 §3.1).
    let missing = app.get("/me", None).await;
    missing.assert_problem(401, "MISSING_TOKEN");
    assert_eq!(www_authenticate(&missing), "Bearer");

    // The genuine token is fine until the clock passes its expiry.
    app.get("/me", Some(&token)).await.assert_status(200);
    app.clock.advance(Duration::minutes(16));
    assert_invalid_token(&app.get("/me", Some(&token)).await, "TOKEN_EXPIRED");
}

// ---- Logout ends the access token ----

#[tokio::test]
async fn logout_ends_its_access_token_everywhere_but_not_other_sessions() {
    let app = spawn_app().await;
    let (other_address, _) = app.second_instance().await;
    let station = app.create_station("东湖站").await;
    let (_, phone) = app.register(station, "甲").await;
    let first = app.login(&phone, PASSWORD).await.assert_status(200).clone();
    let second = app.login(&phone, PASSWORD).await.assert_status(200).clone();
    let access = first["access_token"].as_str().unwrap();
    app.get("/me", Some(access)).await.assert_status(200);

    app.post(
        "/auth/logout",
        Some(access),
        json!({"refresh_token": first["refresh_token"]}),
    )
    .await
    .assert_status(204);

    // Refused on this process and on another one sharing the database.
    assert_invalid_token(&app.get("/me", Some(access)).await, "TOKEN_REVOKED");
    let elsewhere = app
        .request_at(&other_address, Method::GET, "/me", Some(access), None)
        .await;
    assert_invalid_token(&elsewhere, "TOKEN_REVOKED");
    // Logging out again with it is refused as well.
    app.post(
        "/auth/logout",
        Some(access),
        json!({"refresh_token": first["refresh_token"]}),
    )
    .await
    .assert_problem(401, "TOKEN_REVOKED");
    // The other login of the same account goes on.
    let other = second["access_token"].as_str().unwrap();
    app.get("/me", Some(other)).await.assert_status(200);
    app.request_at(&other_address, Method::GET, "/me", Some(other), None)
        .await
        .assert_status(200);
    app.post("/auth/refresh", None, json!({"refresh_token": second["refresh_token"]}))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn the_job_sweep_forgets_logged_out_tokens_once_they_expire() {
    let app = spawn_app().await;
    let pair = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await.assert_status(200).clone();
    let access = pair["access_token"].as_str().unwrap();
    app.post(
        "/auth/logout",
        Some(access),
        json!({"refresh_token": pair["refresh_token"]}),
    )
    .await
    .assert_status(204);
    assert_eq!(revoked_rows(&app).await, 1);

    // Not expired yet: kept, and still refused.
    let report = wenming::jobs::run_once(&app.state).await.unwrap();
    assert_eq!(changed_by(&[report], "revoked_access_tokens_purge"), 0);
    assert_eq!(revoked_rows(&app).await, 1);
    assert_invalid_token(&app.get("/me", Some(access)).await, "TOKEN_REVOKED");

    // Past its expiry the row goes, and the token is refused as expired anyway.
    app.clock.advance(Duration::minutes(16));
    let report = wenming::jobs::run_once(&app.state).await.unwrap();
    assert_eq!(changed_by(&[report], "revoked_access_tokens_purge"), 1);
    assert_eq!(revoked_rows(&app).await, 0);
    assert_invalid_token(&app.get("/me", Some(access)).await, "TOKEN_EXPIRED");
}

async fn revoked_rows(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entity::revoked_access_token::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap()
}

// ---- Refresh grace window ----

async fn refresh(app: &TestApp, base: &str, token: &str) -> Reply {
    app.request_at(
        base,
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
}

/// `n` refreshes with the same token at once, spread over two server processes.
async fn race(n: usize) {
    let app = spawn_app().await;
    let (other, _) = app.second_instance().await;
    let pair = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await.assert_status(200).clone();
    let token = pair["refresh_token"].as_str().unwrap().to_owned();
    let bases: Vec<String> = (0..n)
        .map(|i| if i % 2 == 0 { app.address.clone() } else { other.clone() })
        .collect();
    let replies = futures::future::join_all(bases.iter().map(|base| refresh(&app, base, &token))).await;
    let mut successors = Vec::new();
    for reply in &replies {
        let body = reply.assert_status(200);
        successors.push(body["refresh_token"].as_str().unwrap().to_owned());
        app.get("/me", body["access_token"].as_str()).await.assert_status(200);
    }
    successors.sort();
    successors.dedup();
    assert_eq!(successors.len(), 1, "{successors:?}");
    let successor = &successors[0];
    assert_ne!(successor, &token);

    // The shared successor works, and rotates to something new.
    let next = refresh(&app, &app.address, successor).await;
    let next = next.assert_status(200)["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(&next, successor);
    // Past the window, the old token is a reuse: the whole login ends.
    app.clock.advance(Duration::seconds(31));
    refresh(&app, &app.address, &token)
        .await
        .assert_problem(401, "REFRESH_TOKEN_REUSED");
    refresh(&app, &app.address, &next)
        .await
        .assert_problem(401, "INVALID_REFRESH_TOKEN");
}

#[tokio::test]
async fn two_simultaneous_refreshes_with_one_token_get_the_same_pair() {
    race(2).await;
}

#[tokio::test]
async fn ten_simultaneous_refreshes_with_one_token_get_the_same_pair() {
    race(10).await;
}

#[tokio::test]
async fn a_refresh_sent_again_within_the_grace_gets_the_same_token_and_later_revokes() {
    let app = spawn_app().await;
    let pair = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await.assert_status(200).clone();
    let token = pair["refresh_token"].as_str().unwrap();
    let first = refresh(&app, &app.address, token).await.assert_status(200).clone();
    app.clock.advance(Duration::seconds(29));
    // The answer was lost; the retry gets the same refresh token and a working access token.
    let retry = refresh(&app, &app.address, token).await.assert_status(200).clone();
    assert_eq!(retry["refresh_token"], first["refresh_token"]);
    app.get("/me", retry["access_token"].as_str()).await.assert_status(200);
    // The grace counts from the first use, not from the retry.
    app.clock.advance(Duration::seconds(2));
    refresh(&app, &app.address, token)
        .await
        .assert_problem(401, "REFRESH_TOKEN_REUSED");
    refresh(&app, &app.address, first["refresh_token"].as_str().unwrap())
        .await
        .assert_problem(401, "INVALID_REFRESH_TOKEN");
    // A logged-out family gets no grace either.
    let pair = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await.assert_status(200).clone();
    let token = pair["refresh_token"].as_str().unwrap();
    let rotated = refresh(&app, &app.address, token).await.assert_status(200).clone();
    app.post(
        "/auth/logout",
        rotated["access_token"].as_str(),
        json!({"refresh_token": rotated["refresh_token"]}),
    )
    .await
    .assert_status(204);
    refresh(&app, &app.address, token)
        .await
        .assert_problem(401, "INVALID_REFRESH_TOKEN");
}

#[tokio::test]
async fn the_grace_window_is_a_setting() {
    let app = spawn_app_with(&[("REFRESH_REUSE_GRACE_SECS", "1")]).await;
    let pair = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await.assert_status(200).clone();
    let token = pair["refresh_token"].as_str().unwrap();
    let first = refresh(&app, &app.address, token).await.assert_status(200).clone();
    app.clock.advance(Duration::seconds(2));
    refresh(&app, &app.address, token)
        .await
        .assert_problem(401, "REFRESH_TOKEN_REUSED");
    refresh(&app, &app.address, first["refresh_token"].as_str().unwrap())
        .await
        .assert_problem(401, "INVALID_REFRESH_TOKEN");

    // 0 turns the grace off: an immediate second use is already a reuse.
    let app = spawn_app_with(&[("REFRESH_REUSE_GRACE_SECS", "0")]).await;
    let pair = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await.assert_status(200).clone();
    let token = pair["refresh_token"].as_str().unwrap();
    refresh(&app, &app.address, token).await.assert_status(200);
    refresh(&app, &app.address, token)
        .await
        .assert_problem(401, "REFRESH_TOKEN_REUSED");
}
