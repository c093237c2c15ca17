//! Hardening: security headers, uncached tokens, a protected `/metrics`, CORS refusals as
//! problem+json, the last admin, a bootstrap that promotes no one, tokens from the future and
//! private data files.

use base64::Engine;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use wenming::{clock::Clock, config::Settings, http::security::DOCS_CSP, startup::Application};

use crate::helpers::*;

const METRICS_TOKEN: &str = "metrics-token-0123456789";

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn every_response_says_nosniff_no_referrer_and_no_framing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let replies = [
        app.get("/stations", None).await,
        app.get("/me", Some(&admin)).await,
        app.get("/me", None).await,
        app.get("/no-such-route", None).await,
        into_reply(app.client.get(format!("{}/healthz", app.address)).send().await.unwrap()).await,
    ];
    for reply in &replies {
        assert_eq!(header(reply, "x-content-type-options"), "nosniff", "{reply:?}");
        assert_eq!(header(reply, "referrer-policy"), "no-referrer", "{reply:?}");
        assert_eq!(header(reply, "x-frame-options"), "DENY", "{reply:?}");
        assert_eq!(
            header(reply, "content-security-policy"),
            "default-src 'none'; frame-ancestors 'none'",
            "{reply:?}"
        );
    }
}

#[tokio::test]
async fn docs_pages_allow_their_own_scripts_and_no_inline_script() {
    let app = spawn_app().await;
    let page = app.client.get(format!("{}/docs/", app.address)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-security-policy"], DOCS_CSP);
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    let html = page.text().await.unwrap();
    // Every script the page runs comes from this server's files, which `script-src 'self'` allows.
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert!(!scripts.is_empty(), "{html}");
    for script in scripts {
        let tag = script.split('>').next().unwrap_or_default();
        assert!(tag.contains("src=\"./"), "an inline or foreign script: {tag}");
    }
    let initializer = app
        .client
        .get(format!("{}/docs/swagger-initializer.js", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(initializer.status(), 200);
    assert_eq!(initializer.headers()["content-security-policy"], DOCS_CSP);
}

#[tokio::test]
async fn token_responses_are_never_cached() {
    let app = spawn_app().await;
    let login = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    login.assert_status(200);
    assert_eq!(header(&login, "cache-control"), "no-store");
    let refresh = app
        .post(
            "/auth/refresh",
            None,
            json!({"refresh_token": login.body["refresh_token"]}),
        )
        .await;
    refresh.assert_status(200);
    assert_eq!(header(&refresh, "cache-control"), "no-store");
    // Other answers get their own policy (tests/api/caching.rs).
    let stations = app.get("/stations", None).await;
    assert_eq!(header(&stations, "cache-control"), "public, max-age=60");
}

async fn metrics(app: &TestApp, headers: &[(&str, &str)]) -> Reply {
    let mut request = app.client.get(format!("{}/metrics", app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    into_reply(request.send().await.unwrap()).await
}

#[tokio::test]
async fn metrics_with_a_token_setting_need_that_bearer_token() {
    let app = spawn_app_with(&[("METRICS_TOKEN", METRICS_TOKEN)]).await;
    metrics(&app, &[]).await.assert_problem(401, "MISSING_TOKEN");
    metrics(&app, &[("authorization", "Bearer metrics-token-0123456780")])
        .await
        .assert_problem(401, "INVALID_TOKEN");
    metrics(&app, &[("authorization", "Bearer metrics-token")])
        .await
        .assert_problem(401, "INVALID_TOKEN");
    // An access token is not the metrics token.
    let admin = app.admin_token().await;
    metrics(&app, &[("authorization", &format!("Bearer {admin}"))])
        .await
        .assert_problem(401, "INVALID_TOKEN");
    let ok = metrics(&app, &[("authorization", &format!("Bearer {METRICS_TOKEN}"))]).await;
    assert_eq!(ok.status, 200);
    assert!(ok.text.contains("wenming_db_pool_max_connections"), "{}", ok.text);
}

#[tokio::test]
async fn metrics_without_a_token_setting_answer_only_direct_loopback_callers() {
    let app = spawn_one_process_with(&[]).await;
    let direct = metrics(&app, &[]).await;
    assert_eq!(direct.status, 200);
    assert!(
        direct.text.contains("wenming_db_pool_max_connections"),
        "{}",
        direct.text
    );
    // A request relayed by a proxy on this host is not a local caller.
    for forwarded in [
        ("x-forwarded-for", "203.0.113.7"),
        ("forwarded", "for=203.0.113.7"),
        ("x-real-ip", "203.0.113.7"),
    ] {
        metrics(&app, &[forwarded]).await.assert_problem(404, "NOT_FOUND");
    }
}

async fn preflight(app: &TestApp, origin: &str, method: &str) -> Reply {
    let request = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/stations"))
        .header("origin", origin)
        .header("access-control-request-method", method);
    into_reply(request.send().await.unwrap()).await
}

#[tokio::test]
async fn a_preflight_from_a_refused_origin_is_403_problem_json() {
    let app = spawn_app_with(&[("CORS_ORIGINS", "https://h5.example.org")]).await;
    let refused = preflight(&app, "https://evil.example.com", "POST").await;
    refused.assert_problem(403, "CORS_ORIGIN_REFUSED");
    assert!(refused.content_type().starts_with("application/problem+json"));
    assert!(refused.headers.get("access-control-allow-origin").is_none());
    assert_eq!(header(&refused, "x-content-type-options"), "nosniff");

    let allowed = preflight(&app, "https://h5.example.org", "POST").await;
    assert_eq!(allowed.status, 200);
    assert_eq!(
        header(&allowed, "access-control-allow-origin"),
        "https://h5.example.org"
    );

    // A preflight that names no origin is malformed: a 400 problem.
    let request = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/stations"))
        .header("access-control-request-method", "POST");
    into_reply(request.send().await.unwrap())
        .await
        .assert_problem(400, "CORS_PREFLIGHT_INVALID");
}

#[tokio::test]
async fn with_no_origins_configured_every_preflight_is_refused_as_problem_json() {
    let app = spawn_app().await;
    preflight(&app, "https://h5.example.org", "GET")
        .await
        .assert_problem(403, "CORS_ORIGIN_REFUSED");
}

async fn my_id(app: &TestApp, token: &str) -> i64 {
    app.get("/me", Some(token)).await.assert_status(200)["id"]
        .as_i64()
        .unwrap()
}

async fn admin_count(app: &TestApp) -> i64 {
    let row = app
        .state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM user_roles WHERE role = 'admin'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn the_only_admin_cannot_remove_their_own_admin_role() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = my_id(&app, &admin).await;
    app.put(
        &format!("/users/{id}/roles"),
        Some(&admin),
        json!({"roles": ["resident"]}),
    )
    .await
    .assert_problem(409, "LAST_ADMIN");
    // Nothing changed: the token still works and still carries admin.
    let me = app.get("/me", Some(&admin)).await;
    assert!(
        me.assert_status(200)["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("admin"))
    );
    assert_eq!(admin_count(&app).await, 1);
    // Keeping the admin role is fine.
    app.put(&format!("/users/{id}/roles"), Some(&admin), json!({"roles": ["admin"]}))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn with_two_admins_one_may_step_down_and_then_the_other_may_not() {
    let app = spawn_app().await;
    let (second_id, second) = app.staff(None, &["admin"]).await;
    assert_eq!(admin_count(&app).await, 2);
    let roles = app
        .put(
            &format!("/users/{second_id}/roles"),
            Some(&second),
            json!({"roles": ["resident"]}),
        )
        .await;
    assert_eq!(roles.assert_status(200)["roles"], json!(["resident"]));
    let first = app.admin_token().await;
    let first_id = my_id(&app, &first).await;
    app.put(&format!("/users/{first_id}/roles"), Some(&first), json!({"roles": []}))
        .await
        .assert_problem(409, "LAST_ADMIN");
    assert_eq!(admin_count(&app).await, 1);
}

#[tokio::test]
async fn two_admins_stepping_down_at_once_leave_one_admin() {
    let app = spawn_app().await;
    for _ in 0..3 {
        let first = app.token(ADMIN_PHONE, ADMIN_PASSWORD).await;
        let first_id = my_id(&app, &first).await;
        let phone = unique_phone();
        let second_id = app
            .post(
                "/users",
                Some(&first),
                account_body(&phone, "第二管理员", None, &["admin"]),
            )
            .await
            .assert_status(201)["id"]
            .as_i64()
            .unwrap();
        let second = app.token(&phone, PASSWORD).await;
        let (first_path, second_path) = (format!("/users/{first_id}/roles"), format!("/users/{second_id}/roles"));
        let (a, b) = tokio::join!(
            app.put(&first_path, Some(&first), json!({"roles": ["resident"]})),
            app.put(&second_path, Some(&second), json!({"roles": ["resident"]})),
        );
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
        let refused = if a.status == 409 { &a } else { &b };
        assert_eq!(refused.code(), "LAST_ADMIN");
        assert_eq!(admin_count(&app).await, 1);
        if a.status == 200 {
            // The bootstrap admin stepped down: the other gives the role back and steps down.
            app.put(
                &format!("/users/{first_id}/roles"),
                Some(&second),
                json!({"roles": ["admin"]}),
            )
            .await
            .assert_status(200);
            let first = app.token(ADMIN_PHONE, ADMIN_PASSWORD).await;
            app.put(
                &format!("/users/{second_id}/roles"),
                Some(&first),
                json!({"roles": ["resident"]}),
            )
            .await
            .assert_status(200);
        }
        assert_eq!(admin_count(&app).await, 1);
    }
}

#[tokio::test]
async fn bootstrap_never_promotes_an_existing_account() {
    let app = spawn_app().await;
    let station = app.create_station("引导站").await;
    let (resident_id, phone) = app.register(station, "先注册的人").await;
    // No admin left (as after an operator removed it by hand).
    app.state
        .db
        .execute_unprepared("DELETE FROM user_roles WHERE role = 'admin'")
        .await
        .unwrap();
    let settings = Settings::from_map(&app.db.env(&[("BOOTSTRAP_ADMIN_PHONE", phone.as_str())])).unwrap();
    let restarted = Application::build(settings, app.clock.clone())
        .await
        .expect("start-up goes on");
    drop(restarted);
    assert_eq!(admin_count(&app).await, 0);
    let token = app.token(&phone, PASSWORD).await;
    let me = app.get("/me", Some(&token)).await;
    assert_eq!(me.assert_status(200)["id"].as_i64().unwrap(), resident_id);
    assert_eq!(me.body["roles"], json!(["resident"]));
}

fn resigned(token: &str, iat_offset_secs: i64) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = token.split('.').nth(1).unwrap();
    let mut claims: Value = serde_json::from_slice(&engine.decode(payload).unwrap()).unwrap();
    let iat = claims["iat"].as_i64().unwrap() + iat_offset_secs;
    claims["iat"] = json!(iat);
    claims["exp"] = json!(iat + 900);
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"test-secret-test-secret-test-secret-0123").unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_token_issued_in_the_future_beyond_a_minute_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    // Re-signed with the server's own secret, so only `iat` can be the reason.
    app.get("/me", Some(&resigned(&admin, 0))).await.assert_status(200);
    app.get("/me", Some(&resigned(&admin, 30))).await.assert_status(200);
    app.get("/me", Some(&resigned(&admin, 3_600)))
        .await
        .assert_problem(401, "INVALID_TOKEN");
    app.get("/stations", Some(&resigned(&admin, 120)))
        .await
        .assert_status(200);
    app.post(
        "/stations",
        Some(&resigned(&admin, 120)),
        json!({"name": "未来站", "district": DISTRICT, "address": "某路 1 号"}),
    )
    .await
    .assert_problem(401, "INVALID_TOKEN");
}

#[cfg(unix)]
#[tokio::test]
async fn the_generated_secret_and_the_database_are_private_files_in_a_private_folder() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("fresh").join("data");
    let vars = [
        ("BIND_ADDR", "127.0.0.1:0"),
        ("ARGON2_MEMORY_KIB", "1024"),
        ("WORKERS", "1"),
        ("BACKGROUND_JOBS", "off"),
        ("BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("DATA_DIR", data_dir.to_str().unwrap()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let settings = Settings::from_map(&vars).unwrap();
    assert!(settings.is_sqlite());
    let app = Application::build(settings, Clock::system()).await.unwrap();
    let mode = |path: std::path::PathBuf| std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(data_dir.clone()), 0o700);
    assert_eq!(mode(dir.path().join("fresh")), 0o700);
    assert_eq!(mode(data_dir.join("jwt_secret")), 0o600);
    assert_eq!(mode(data_dir.join("wenming.db")), 0o600);
    let wal = data_dir.join("wenming.db-wal");
    if wal.exists() {
        assert_eq!(mode(wal), 0o600);
    }
    drop(app);
}

#[cfg(unix)]
#[tokio::test]
async fn a_readable_secret_and_database_left_by_an_older_version_become_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir(&data_dir).unwrap();
    let secret = data_dir.join("jwt_secret");
    std::fs::write(&secret, "an-old-secret-an-old-secret-an-old-secret-0").unwrap();
    let database = data_dir.join("wenming.db");
    std::fs::write(&database, b"").unwrap();
    for file in [&secret, &database] {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let vars = [
        ("BIND_ADDR", "127.0.0.1:0"),
        ("ARGON2_MEMORY_KIB", "1024"),
        ("WORKERS", "1"),
        ("BACKGROUND_JOBS", "off"),
        ("BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("DATA_DIR", data_dir.to_str().unwrap()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let app = Application::build(Settings::from_map(&vars).unwrap(), Clock::system())
        .await
        .unwrap();
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&secret), 0o600);
    assert_eq!(mode(&database), 0o600);
    // The old secret is kept: tokens issued before the upgrade stay valid.
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        "an-old-secret-an-old-secret-an-old-secret-0"
    );
    drop(app);
}
