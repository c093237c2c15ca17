//! Input hygiene: control characters, blank titles, absurd dates, trailing data and `LIKE`
//! wildcards get the same clear answer on both databases and change nothing.

use serde_json::json;

use crate::helpers::*;
use crate::orders::{order_body, world};

async fn raw_post(app: &TestApp, path: &str, token: Option<&str>, body: &str) -> Reply {
    let mut request = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    into_reply(request.send().await.unwrap()).await
}

fn field(reply: &Reply) -> &str {
    reply.body["errors"][0]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn control_characters_in_a_body_are_422_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let phone = unique_phone();
    let reply = app
        .post(
            "/auth/register",
            None,
            json!({"phone": phone, "password": PASSWORD, "name": "王\u{0}芳", "station_id": station}),
        )
        .await;
    reply.assert_problem(422, "VALIDATION_FAILED");
    assert_eq!(field(&reply), "name");
    app.login(&phone, PASSWORD)
        .await
        .assert_problem(401, "INVALID_CREDENTIALS");

    let w = world(&app).await;
    let mut body = order_body(w.platform);
    body["description"] = json!("需要帮助\u{7}");
    let reply = app.post("/orders", w.resident.t(), body).await;
    reply.assert_problem(422, "VALIDATION_FAILED");
    assert_eq!(field(&reply), "description");
    let orders = app.get("/orders", w.resident.t()).await;
    assert_eq!(orders.assert_status(200)["total"], 0);
}

#[tokio::test]
async fn control_characters_in_a_query_are_422_naming_the_parameter() {
    let app = spawn_app().await;
    for path in ["/stations?district=%00", "/activities?q=a%01b"] {
        let reply = app.get(path, None).await;
        reply.assert_problem(422, "VALIDATION_FAILED");
        assert!(["district", "q"].contains(&field(&reply)), "{path}");
    }
}

#[tokio::test]
async fn titles_are_trimmed_and_a_blank_or_invisible_title_is_refused() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for blank in ["   ", "\u{200b}\u{200d}", "\u{feff}\t"] {
        let mut body = order_body(w.platform);
        body["title"] = json!(blank);
        let reply = app.post("/orders", w.resident.t(), body).await;
        reply.assert_problem(422, "VALIDATION_FAILED");
        assert_eq!(field(&reply), "title");
    }
    let mut body = order_body(w.platform);
    body["title"] = json!("  代买降压药\u{200b} ");
    let created = app.post("/orders", w.resident.t(), body).await;
    assert_eq!(created.assert_status(201)["title"], "代买降压药");
}

#[tokio::test]
async fn a_timestamp_outside_2000_to_2100_is_422() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for at in ["9999-01-01T00:00:00Z", "0001-01-01T00:00:00+08:00"] {
        let mut body = order_body(w.platform);
        body["expected_at"] = json!(at);
        let reply = app.post("/orders", w.resident.t(), body).await;
        reply.assert_problem(422, "VALIDATION_FAILED");
        assert_eq!(field(&reply), "expected_at");
    }
}

#[tokio::test]
async fn data_after_the_json_body_is_400_and_creates_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let body = format!("{}xyz", order_body(w.platform));
    raw_post(&app, "/orders", w.resident.t(), &body)
        .await
        .assert_problem(400, "MALFORMED_JSON");
    let orders = app.get("/orders", w.resident.t()).await;
    assert_eq!(orders.assert_status(200)["total"], 0);
}

#[tokio::test]
async fn like_wildcards_in_a_search_match_literally() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let all = app.get("/users", w.secretary.t()).await;
    assert!(all.assert_status(200)["total"].as_i64().unwrap() >= 4);
    for wildcard in ["%25", "_", "%5C"] {
        let reply = app.get(&format!("/users?q={wildcard}"), w.secretary.t()).await;
        assert_eq!(
            reply.assert_status(200)["total"],
            0,
            "q={wildcard} matches no name literally"
        );
    }
}
