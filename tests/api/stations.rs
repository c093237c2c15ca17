//! Stations: public list, admin-only writes.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn anyone_lists_stations_and_only_admin_creates_them() {
    let app = spawn_app().await;
    let id = app.create_station("东湖站").await;
    let list = app.get("/stations", None).await;
    let body = list.assert_status(200);
    assert_eq!(body["total"], json!(1));
    assert_eq!(body["items"][0]["id"].as_i64(), Some(id));
    assert_eq!(
        app.get(&format!("/stations/{id}"), None).await.assert_status(200)["name"],
        json!("东湖站")
    );

    let new = json!({"name": "西湖站", "district": "西湖区", "address": "西湖路 2 号"});
    app.post("/stations", None, new.clone())
        .await
        .assert_problem(401, "MISSING_TOKEN");
    let (_, resident) = app.resident(id).await;
    app.post("/stations", Some(&resident), new.clone())
        .await
        .assert_problem(403, "FORBIDDEN");
    let (_, director) = app.staff(Some(id), &["director"]).await;
    app.post("/stations", Some(&director), new)
        .await
        .assert_problem(403, "FORBIDDEN");
    assert_eq!(app.get("/stations", None).await.body["total"], json!(1));
}

#[tokio::test]
async fn station_names_are_unique() {
    let app = spawn_app().await;
    app.create_station("东湖站").await;
    let admin = app.admin_token().await;
    let reply = app
        .post(
            "/stations",
            Some(&admin),
            json!({"name": "东湖站", "district": "武昌区", "address": "x"}),
        )
        .await;
    reply.assert_problem(409, "STATION_NAME_TAKEN");
}

#[tokio::test]
async fn admin_updates_a_station() {
    let app = spawn_app().await;
    let id = app.create_station("东湖站").await;
    let admin = app.admin_token().await;
    let reply = app
        .patch(
            &format!("/stations/{id}"),
            Some(&admin),
            json!({"address": "东湖路 90 号"}),
        )
        .await;
    let body = reply.assert_status(200);
    assert_eq!(body["address"], json!("东湖路 90 号"));
    assert_eq!(body["name"], json!("东湖站"));
    app.patch("/stations/999999", Some(&admin), json!({"address": "x"}))
        .await
        .assert_problem(404, "NOT_FOUND");
    app.patch(&format!("/stations/{id}"), Some(&admin), json!({"name": ""}))
        .await
        .assert_problem(422, "VALIDATION_FAILED");
    let (_, secretary) = app.staff(Some(id), &["secretary"]).await;
    app.patch(&format!("/stations/{id}"), Some(&secretary), json!({"address": "y"}))
        .await
        .assert_problem(403, "FORBIDDEN");
}
