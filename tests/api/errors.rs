//! Every error is problem+json with a stable code, and bad input changes nothing.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let reply = app
        .client
        .post(app.url("/auth/login"))
        .header("content-type", "application/json")
        .body("{\"phone\": ")
        .send()
        .await
        .unwrap();
    into_reply(reply).await.assert_problem(400, "MALFORMED_JSON");
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_422_naming_the_field() {
    let app = spawn_app().await;
    let reply = app
        .post("/auth/login", None, json!({"phone": ["x"], "password": "y"}))
        .await;
    reply.assert_problem(422, "VALIDATION_FAILED");
    assert_eq!(reply.body["errors"][0]["field"], json!("phone"));
    let missing = app.post("/auth/login", None, json!({"phone": "13912345678"})).await;
    missing.assert_problem(422, "VALIDATION_FAILED");
    assert_eq!(missing.body["errors"][0]["field"], json!("password"));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = spawn_app().await;
    let reply = app
        .client
        .post(app.url("/auth/login"))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    into_reply(reply).await.assert_problem(415, "UNSUPPORTED_MEDIA_TYPE");
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = spawn_app_with(&[("MAX_BODY_BYTES", "2048")]).await;
    let big = "x".repeat(10_000);
    let reply = app
        .post("/auth/login", None, json!({"phone": big, "password": "y"}))
        .await;
    reply.assert_problem(413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn an_unknown_route_is_404_problem_json() {
    let app = spawn_app().await;
    app.get("/no-such-thing", None).await.assert_problem(404, "NOT_FOUND");
    app.get("/stations/not-a-number", None)
        .await
        .assert_problem(404, "NOT_FOUND");
    app.get("/stations/424242", None).await.assert_problem(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_wrong_method_is_405_with_allow() {
    let app = spawn_app().await;
    let reply = app.request(Method::DELETE, "/stations", None, None).await;
    reply.assert_problem(405, "METHOD_NOT_ALLOWED");
    let allow = reply.headers["allow"].to_str().unwrap();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    app.request(Method::DELETE, "/me", None, None)
        .await
        .assert_problem(405, "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn the_request_id_is_echoed_or_made() {
    let app = spawn_app().await;
    let reply = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.headers()["x-request-id"], "abc-123");
    let reply = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert!(reply.headers()["x-request-id"].to_str().unwrap().len() >= 32);
    // Errors carry it too.
    let reply = app
        .client
        .get(app.url("/nope"))
        .header("x-request-id", "req-9")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.headers()["x-request-id"], "req-9");
}
