//! The service menu residents order from.

use serde_json::json;

use crate::helpers::*;
use crate::orders::{order_body, world};

#[tokio::test]
async fn staff_write_the_menu_and_anyone_reads_it() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let item = json!({"name": "代买药品", "description": "为行动不便的老人代购常用药", "platform_id": w.platform});
    app.post("/service-items", w.resident.t(), item.clone())
        .await
        .assert_problem(403, "FORBIDDEN");
    app.post("/service-items", None, item.clone())
        .await
        .assert_problem(401, "MISSING_TOKEN");
    let created = app.post("/service-items", w.secretary.t(), item).await;
    let id = created.assert_status(201)["id"].as_i64().unwrap();
    let menu = app.get(&format!("/service-items?station_id={}", w.station), None).await;
    assert_eq!(menu.assert_status(200)["items"][0]["name"], json!("代买药品"));

    let renamed = app
        .patch(
            &format!("/service-items/{id}"),
            w.secretary.t(),
            json!({"name": "代买药品（送药上门）"}),
        )
        .await;
    assert_eq!(renamed.assert_status(200)["name"], json!("代买药品（送药上门）"));
    let elsewhere = world(&app).await;
    app.patch(
        &format!("/service-items/{id}"),
        elsewhere.secretary.t(),
        json!({"name": "x"}),
    )
    .await
    .assert_problem(403, "FORBIDDEN");
    app.post(
        "/service-items",
        w.secretary.t(),
        json!({"name": "", "platform_id": w.platform}),
    )
    .await
    .assert_problem(422, "VALIDATION_FAILED");
}

#[tokio::test]
async fn a_deleted_item_leaves_the_menu_but_stays_on_its_orders() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let created = app
        .post(
            "/service-items",
            w.secretary.t(),
            json!({"name": "理发", "platform_id": w.platform}),
        )
        .await;
    let item = created.assert_status(201)["id"].as_i64().unwrap();
    let mut body = order_body(w.platform);
    body["service_item_id"] = json!(item);
    let order = app.post("/orders", w.resident.t(), body.clone()).await;
    let order_id = order.assert_status(201)["id"].as_i64().unwrap();

    app.delete(&format!("/service-items/{item}"), w.secretary.t())
        .await
        .assert_status(204);
    let menu = app.get("/service-items", w.resident.t()).await;
    assert_eq!(menu.assert_status(200)["items"], json!([]));
    let kept = app.get(&format!("/service-items/{item}"), None).await;
    assert_eq!(kept.assert_status(200)["deleted"], json!(true));
    let view = app.get(&format!("/orders/{order_id}"), w.resident.t()).await;
    assert_eq!(view.assert_status(200)["service_item_id"], json!(item));
    app.post("/orders", w.resident.t(), body)
        .await
        .assert_problem(422, "VALIDATION_FAILED");
}
