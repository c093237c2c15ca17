//! `X-HTTP-Method-Override: PATCH` on a `POST`, for clients that cannot send `PATCH`
//! (WeChat's `wx.request`).

use chrono::Duration;
use reqwest::Method;
use serde_json::{Value, json};

use crate::activities;
use crate::helpers::*;
use crate::orders::world;

/// Sends `method` to `path` with an optional token, JSON body and extra headers.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    into_reply(request.send().await.unwrap()).await
}

/// `POST` with `X-HTTP-Method-Override: PATCH`.
async fn post_as_patch(app: &TestApp, path: &str, token: Option<&str>, body: &Value) -> Reply {
    send(
        app,
        Method::POST,
        path,
        token,
        Some(body),
        &[("x-http-method-override", "PATCH")],
    )
    .await
}

#[tokio::test]
async fn every_patch_operation_is_reachable_as_a_post_with_the_override() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let doc = app.get("/openapi.json", None).await.assert_status(200).clone();
    let patch_paths: Vec<(String, bool)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, item)| item.get("patch").is_some())
        .map(|(path, item)| {
            let path = path.strip_prefix("/api/v1").unwrap_or(path).replace("{id}", "999999");
            (path, item.get("post").is_some())
        })
        .collect();
    assert!(patch_paths.len() >= 4, "{patch_paths:?}");
    for (path, has_post) in &patch_paths {
        assert!(!path.contains('{'), "a path parameter other than id: {path}");
        // Without a token, and with the admin's on a resource that does not exist (or on the
        // admin's own profile): the override answers exactly what PATCH answers.
        for token in [None, Some(admin.as_str())] {
            let body = json!({});
            let patched = send(&app, Method::PATCH, path, token, Some(&body), &[]).await;
            let overridden = post_as_patch(&app, path, token, &body).await;
            assert_eq!(
                (overridden.status, overridden.code()),
                (patched.status, patched.code()),
                "{path} with token {}: {}",
                token.is_some(),
                overridden.text
            );
            if token.is_none() {
                overridden.assert_problem(401, "MISSING_TOKEN");
            }
        }
        // Without the header, a POST there is not that PATCH.
        if !has_post {
            send(&app, Method::POST, path, None, Some(&json!({})), &[])
                .await
                .assert_problem(405, "METHOD_NOT_ALLOWED");
        }
    }
}

#[tokio::test]
async fn an_overridden_post_edits_like_patch_on_representative_routes() {
    let app = activities::spawn().await;
    let admin = app.admin_token().await;

    // PATCH /me
    let (_, resident) = app.resident(app.create_station("东湖站").await).await;
    let me = post_as_patch(&app, "/me", Some(&resident), &json!({"name": "王小芳"})).await;
    assert_eq!(me.assert_status(200)["name"], "王小芳");
    assert_eq!(app.get("/me", Some(&resident)).await.body["name"], "王小芳");

    // PATCH /stations/{id}
    let station = app.create_station("西湖站").await;
    let path = format!("/stations/{station}");
    let edited = post_as_patch(&app, &path, Some(&admin), &json!({"address": "西湖路 1 号"})).await;
    assert_eq!(edited.assert_status(200)["address"], "西湖路 1 号");
    assert_eq!(app.get(&path, None).await.body["address"], "西湖路 1 号");
    // The handler's own rules apply as for PATCH.
    post_as_patch(&app, &path, Some(&admin), &json!({"name": ""}))
        .await
        .assert_problem(422, "VALIDATION_FAILED");

    // PATCH /service-items/{id}
    let w = world(&app).await;
    let item = app
        .post(
            "/service-items",
            w.secretary.t(),
            json!({"name": "代买药品", "description": "代购常用药", "platform_id": w.platform}),
        )
        .await;
    let item = item.assert_status(201)["id"].as_i64().unwrap();
    let renamed = post_as_patch(
        &app,
        &format!("/service-items/{item}"),
        w.secretary.t(),
        &json!({"name": "送药上门"}),
    )
    .await;
    assert_eq!(renamed.assert_status(200)["name"], "送药上门");
    let other = world(&app).await;
    post_as_patch(
        &app,
        &format!("/service-items/{item}"),
        other.secretary.t(),
        &json!({"name": "x"}),
    )
    .await
    .assert_problem(403, "FORBIDDEN");

    // PATCH /activities/{id}
    let s = activities::station(&app, "南湖站").await;
    let id = activities::draft(&app, &s, activities::body(&app, &s, Duration::days(2), 10, json!({}))).await;
    let edited = post_as_patch(
        &app,
        &format!("/activities/{id}"),
        Some(&s.secretary.1),
        &json!({"capacity": 25}),
    )
    .await;
    assert_eq!(edited.assert_status(200)["capacity"], 25);
    let read = app.get(&format!("/activities/{id}"), Some(&s.secretary.1)).await;
    assert_eq!(read.assert_status(200)["capacity"], 25);
}

#[tokio::test]
async fn the_override_value_is_case_insensitive_and_only_patch_is_allowed() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let station = app.create_station("东湖站").await;
    let path = format!("/stations/{station}");
    let body = json!({"address": "东湖路 2 号"});
    let lower = send(
        &app,
        Method::POST,
        &path,
        Some(&admin),
        Some(&body),
        &[("x-http-method-override", " patch ")],
    )
    .await;
    assert_eq!(lower.assert_status(200)["address"], "东湖路 2 号");

    for value in ["DELETE", "GET", "PUT", "POST", "delete", "garbage", ""] {
        let refused = send(
            &app,
            Method::POST,
            &path,
            Some(&admin),
            Some(&json!({"address": "x"})),
            &[("x-http-method-override", value)],
        )
        .await;
        refused.assert_problem(400, "METHOD_OVERRIDE_NOT_ALLOWED");
    }
    // Two values, even if one is PATCH, are refused too.
    let request = app
        .client
        .post(app.url(&path))
        .bearer_auth(&admin)
        .json(&json!({"address": "x"}))
        .header("x-http-method-override", "PATCH")
        .header("x-http-method-override", "DELETE");
    into_reply(request.send().await.unwrap())
        .await
        .assert_problem(400, "METHOD_OVERRIDE_NOT_ALLOWED");
    // Nothing was changed or removed by the refused requests.
    let station_now = app.get(&path, None).await;
    assert_eq!(station_now.assert_status(200)["address"], "东湖路 2 号");

    // On other methods the header is ignored: a GET stays a GET, a PATCH stays a PATCH.
    let read = send(
        &app,
        Method::GET,
        &path,
        None,
        None,
        &[("x-http-method-override", "PATCH")],
    )
    .await;
    assert_eq!(read.assert_status(200)["address"], "东湖路 2 号");
    let patched = send(
        &app,
        Method::PATCH,
        &path,
        Some(&admin),
        Some(&json!({"address": "东湖路 3 号"})),
        &[("x-http-method-override", "DELETE")],
    )
    .await;
    assert_eq!(patched.assert_status(200)["address"], "东湖路 3 号");
}

#[tokio::test]
async fn an_override_to_a_path_without_patch_answers_what_patch_would() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for path in ["/auth/login", "/stations", "/no-such-endpoint", "/stations/1/nothing"] {
        let body = json!({});
        let patched = send(&app, Method::PATCH, path, Some(&admin), Some(&body), &[]).await;
        let overridden = post_as_patch(&app, path, Some(&admin), &body).await;
        assert!(
            [404, 405].contains(&patched.status.as_u16()),
            "{path}: {}",
            patched.text
        );
        overridden.assert_problem(patched.status.as_u16(), patched.code());
        assert_eq!(overridden.headers.get("allow"), patched.headers.get("allow"), "{path}");
    }
    // /auth/login has POST only: the override makes it a PATCH, which is not allowed there.
    let login = post_as_patch(
        &app,
        "/auth/login",
        None,
        &json!({"phone": ADMIN_PHONE, "password": ADMIN_PASSWORD}),
    )
    .await;
    login.assert_problem(405, "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn a_browser_preflight_allows_the_override_header() {
    let app = spawn_app_with(&[("CORS_ORIGINS", "https://h5.example.org")]).await;
    let request = app
        .client
        .request(Method::OPTIONS, app.url("/me"))
        .header("origin", "https://h5.example.org")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, x-http-method-override",
        );
    let reply = into_reply(request.send().await.unwrap()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let allowed = reply
        .headers
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    assert!(allowed.contains("x-http-method-override"), "{allowed}");
}
