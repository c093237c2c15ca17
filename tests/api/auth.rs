//! Registration, login, tokens, rate limiting and password changes.

use base64::Engine;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn register_creates_a_resident_with_location() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let phone = unique_phone();
    let reply = app
        .post(
            "/auth/register",
            None,
            json!({"phone": phone, "password": PASSWORD, "name": "王芳", "station_id": station}),
        )
        .await;
    let body = reply.assert_status(201);
    assert_eq!(body["roles"], json!(["resident"]));
    assert_eq!(body["station_id"].as_i64(), Some(station));
    assert_eq!(body["phone"], json!(phone));
    assert!(body.get("password_hash").is_none());
    let location = reply.headers["location"].to_str().unwrap();
    assert_eq!(location, format!("/api/v1/users/{}", body["id"]));
}

#[tokio::test]
async fn register_refuses_bad_fields_with_field_errors() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let cases = [
        (
            json!({"phone": "12912345678", "password": PASSWORD, "name": "甲", "station_id": station}),
            "phone",
        ),
        (
            json!({"phone": "1391234567", "password": PASSWORD, "name": "甲", "station_id": station}),
            "phone",
        ),
        (
            json!({"phone": "13912345678", "password": "short1", "name": "甲", "station_id": station}),
            "password",
        ),
        (
            json!({"phone": "13912345678", "password": "lettersonly", "name": "甲", "station_id": station}),
            "password",
        ),
        (
            json!({"phone": "13912345678", "password": PASSWORD, "name": "", "station_id": station}),
            "name",
        ),
        (
            json!({"phone": "13912345678", "password": PASSWORD, "name": "甲", "station_id": 999_999}),
            "station_id",
        ),
        (
            json!({"phone": "13912345678", "password": PASSWORD, "name": "甲"}),
            "station_id",
        ),
        (
            json!({"phone": 13912345678_i64, "password": PASSWORD, "name": "甲", "station_id": station}),
            "phone",
        ),
    ];
    for (body, field) in cases {
        let reply = app.post("/auth/register", None, body.clone()).await;
        reply.assert_problem(422, "VALIDATION_FAILED");
        let fields: Vec<&str> = reply.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{body}: {fields:?}");
    }
    // Nothing was created by any refused request.
    app.login("13912345678", PASSWORD)
        .await
        .assert_problem(401, "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn register_refuses_a_taken_phone_with_409() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let (_, phone) = app.register(station, "甲").await;
    let reply = app
        .post(
            "/auth/register",
            None,
            json!({"phone": phone, "password": PASSWORD, "name": "乙", "station_id": station}),
        )
        .await;
    reply.assert_problem(409, "PHONE_TAKEN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_registration_of_one_phone_yields_exactly_one_account() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let phone = unique_phone();
    let attempts = 30;
    let replies = futures::future::join_all((0..attempts).map(|i| {
        app.post(
            "/auth/register",
            None,
            json!({"phone": phone, "password": format!("{PASSWORD}{i}"), "name": "甲", "station_id": station}),
        )
    }))
    .await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let conflicts = replies
        .iter()
        .filter(|r| r.status == 409 && r.code() == "PHONE_TAKEN")
        .count();
    assert_eq!(
        (created, conflicts),
        (1, attempts - 1),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let admin = app.admin_token().await;
    let users = app.get(&format!("/users?q={phone}"), Some(&admin)).await;
    assert_eq!(users.assert_status(200)["total"], json!(1));
}

#[tokio::test]
async fn login_returns_a_bearer_token_pair() {
    let app = spawn_app().await;
    let reply = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    let body = reply.assert_status(200);
    assert_eq!(body["token_type"], json!("Bearer"));
    assert_eq!(body["expires_in"], json!(900));
    assert!(body["refresh_token"].as_str().unwrap().len() >= 32);
    // The access token carries the claims api.md names.
    let token = body["access_token"].as_str().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    for claim in ["sub", "roles", "station_id", "iat", "exp", "jti"] {
        assert!(claims.get(claim).is_some(), "missing claim {claim}: {claims}");
    }
    assert!(claims["roles"].as_array().unwrap().contains(&json!("admin")));
}

#[tokio::test]
async fn failed_logins_do_not_reveal_whether_the_phone_exists() {
    let app = spawn_app().await;
    let wrong_password = app.login(ADMIN_PHONE, "wrongpass1").await;
    let unknown_phone = app.login("13711112222", "wrongpass1").await;
    wrong_password.assert_problem(401, "INVALID_CREDENTIALS");
    unknown_phone.assert_problem(401, "INVALID_CREDENTIALS");
    assert_eq!(wrong_password.body, unknown_phone.body);
}

#[tokio::test]
async fn login_is_rate_limited_per_phone_with_retry_after() {
    let app = spawn_app_with(&[("LOGIN_ATTEMPTS_PER_MINUTE", "5")]).await;
    for _ in 0..5 {
        app.login(ADMIN_PHONE, "wrongpass1")
            .await
            .assert_problem(401, "INVALID_CREDENTIALS");
    }
    let limited = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    limited.assert_problem(429, "TOO_MANY_REQUESTS");
    let retry_after: u64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    // Another phone is not held back by this one's limit.
    app.login("13711112222", "wrongpass1")
        .await
        .assert_problem(401, "INVALID_CREDENTIALS");
}

#[tokio::test]
async fn protected_routes_refuse_missing_and_bad_tokens() {
    let app = spawn_app().await;
    app.get("/me", None).await.assert_problem(401, "MISSING_TOKEN");
    app.get("/me", Some("not-a-jwt"))
        .await
        .assert_problem(401, "INVALID_TOKEN");

    let token = app.admin_token().await;
    // Tampered payload: the signature no longer matches.
    let parts: Vec<&str> = token.split('.').collect();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value = serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();
    claims["roles"] = json!(["admin", "supervisor"]);
    let tampered = format!("{}.{}.{}", parts[0], engine.encode(claims.to_string()), parts[2]);
    app.get("/me", Some(&tampered))
        .await
        .assert_problem(401, "INVALID_TOKEN");

    // `alg: none` with no signature.
    let none_header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    app.get("/me", Some(&unsigned))
        .await
        .assert_problem(401, "INVALID_TOKEN");

    // Signed with another secret.
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"another-secret-another-secret-0000").unwrap(),
    )
    .unwrap();
    app.get("/me", Some(&forged)).await.assert_problem(401, "INVALID_TOKEN");

    // The genuine token still works.
    app.get("/me", Some(&token)).await.assert_status(200);
}

#[tokio::test]
async fn an_access_token_expires_after_its_lifetime() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    app.get("/me", Some(&token)).await.assert_status(200);
    app.clock.advance(chrono::Duration::minutes(16));
    app.get("/me", Some(&token)).await.assert_problem(401, "TOKEN_EXPIRED");
}

#[tokio::test]
async fn refresh_rotates_and_the_old_token_stops_working() {
    let app = spawn_app().await;
    let first = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await.body;
    let old = first["refresh_token"].as_str().unwrap();
    let second = app.post("/auth/refresh", None, json!({"refresh_token": old})).await;
    let second = second.assert_status(200).clone();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    app.get("/me", second["access_token"].as_str()).await.assert_status(200);
    // The rotated token can be used again: the new one continues the session.
    let third = app
        .post("/auth/refresh", None, json!({"refresh_token": second["refresh_token"]}))
        .await;
    third.assert_status(200);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_family() {
    let app = spawn_app().await;
    let first = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await.body;
    let stolen = first["refresh_token"].as_str().unwrap().to_owned();
    let rotated = app
        .post("/auth/refresh", None, json!({"refresh_token": stolen}))
        .await
        .body;
    // Past the grace window in which a retry gets the same pair (see `tokens`).
    app.clock.advance(chrono::Duration::seconds(31));
    let reuse = app.post("/auth/refresh", None, json!({"refresh_token": stolen})).await;
    reuse.assert_problem(401, "REFRESH_TOKEN_REUSED");
    // The legitimate holder's newer token is revoked too.
    let after = app
        .post(
            "/auth/refresh",
            None,
            json!({"refresh_token": rotated["refresh_token"]}),
        )
        .await;
    after.assert_problem(401, "INVALID_REFRESH_TOKEN");
    // Another login's family is untouched.
    let other = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await.body;
    app.post("/auth/refresh", None, json!({"refresh_token": other["refresh_token"]}))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn unknown_refresh_token_is_401() {
    let app = spawn_app().await;
    app.post("/auth/refresh", None, json!({"refresh_token": "nonsense"}))
        .await
        .assert_problem(401, "INVALID_REFRESH_TOKEN");
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let pair = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await.body;
    let access = pair["access_token"].as_str().unwrap();
    app.post("/auth/logout", None, json!({"refresh_token": pair["refresh_token"]}))
        .await
        .assert_problem(401, "MISSING_TOKEN");
    let reply = app
        .post(
            "/auth/logout",
            Some(access),
            json!({"refresh_token": pair["refresh_token"]}),
        )
        .await;
    assert_eq!(reply.status, 204);
    app.post("/auth/refresh", None, json!({"refresh_token": pair["refresh_token"]}))
        .await
        .assert_problem(401, "INVALID_REFRESH_TOKEN");
}

#[tokio::test]
async fn changing_the_password_revokes_refresh_tokens() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let (_, phone) = app.register(station, "甲").await;
    let pair = app.login(&phone, PASSWORD).await.body;
    let access = pair["access_token"].as_str().unwrap();

    let wrong = app
        .put(
            "/me/password",
            Some(access),
            json!({"current_password": "wrongpass1", "new_password": "newpass123"}),
        )
        .await;
    wrong.assert_problem(422, "VALIDATION_FAILED");
    assert_eq!(wrong.body["errors"][0]["field"], json!("current_password"));
    let weak = app
        .put(
            "/me/password",
            Some(access),
            json!({"current_password": PASSWORD, "new_password": "weak"}),
        )
        .await;
    weak.assert_problem(422, "VALIDATION_FAILED");
    app.login(&phone, PASSWORD).await.assert_status(200);

    let changed = app
        .put(
            "/me/password",
            Some(access),
            json!({"current_password": PASSWORD, "new_password": "newpass123"}),
        )
        .await;
    assert_eq!(changed.status, 204, "{}", changed.text);
    app.post("/auth/refresh", None, json!({"refresh_token": pair["refresh_token"]}))
        .await
        .assert_problem(401, "INVALID_REFRESH_TOKEN");
    app.login(&phone, PASSWORD)
        .await
        .assert_problem(401, "INVALID_CREDENTIALS");
    app.login(&phone, "newpass123").await.assert_status(200);
}
