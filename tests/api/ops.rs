//! Health, readiness, metrics, CORS and the documentation page.

use crate::helpers::*;

#[tokio::test]
async fn healthz_and_readyz_answer_ok() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", None).await.assert_status(200)["status"], "ok");
    assert_eq!(app.get("/readyz", None).await.assert_status(200)["status"], "ok");
}

#[tokio::test]
async fn readyz_is_503_when_the_database_is_down() {
    let app = spawn_one_process_with(&[]).await;
    app.state.db.clone().close().await.unwrap();
    app.get("/readyz", None)
        .await
        .assert_problem(503, "SERVICE_UNAVAILABLE");
    // The process itself is still alive.
    app.get("/healthz", None).await.assert_status(200);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_report_the_pool() {
    let app = spawn_one_process_with(&[]).await;
    app.get("/stations", None).await.assert_status(200);
    app.get("/stations/99999", None).await;
    let reply = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    let text = reply.text().await.unwrap();
    assert!(text.contains("wenming_http_requests_total"), "{text}");
    assert!(text.contains("wenming_http_requests_duration_seconds_bucket"), "{text}");
    assert!(text.contains(r#"endpoint="/api/v1/stations/{id}""#), "{text}");
    assert!(text.contains(r#"status="404""#), "{text}");
    assert!(text.contains("wenming_db_pool_max_connections"), "{text}");
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app = spawn_app_with(&[("CORS_ORIGINS", "https://h5.example.org")]).await;
    let allowed = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/stations"))
        .header("origin", "https://h5.example.org")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://h5.example.org"
    );
    let other = app
        .client
        .get(app.url("/stations"))
        .header("origin", "https://evil.example.com")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn docs_are_served_without_internet_assets() {
    let app = spawn_app().await;
    let redirect = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(redirect.status(), 308);
    let page = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    // Laid out for the device's width, so the page works on a phone.
    assert!(
        html.contains(r#"name="viewport" content="width=device-width"#),
        "{html}"
    );
    assert!(
        !html.contains("https://"),
        "the page must not load assets from the internet"
    );
    let bundle = app
        .client
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200);
}
