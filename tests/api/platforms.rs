//! The eight shared platforms and a station's own.

use serde_json::json;

use crate::helpers::*;

const DEFAULTS: [&str; 8] = [
    "理论宣讲",
    "教育服务",
    "文化服务",
    "科技科普",
    "健身体育",
    "法律服务",
    "卫生服务",
    "扶贫攻坚",
];

#[tokio::test]
async fn every_station_has_the_eight_default_platforms() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let list = app.get(&format!("/platforms?station_id={station}"), None).await;
    let names: Vec<&str> = list.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, DEFAULTS);
}

#[tokio::test]
async fn staff_add_their_own_platform_seen_only_by_their_station() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let other = app.create_station("西湖站").await;
    let (_, secretary) = app.staff(Some(station), &["secretary"]).await;
    let reply = app
        .post("/platforms", Some(&secretary), json!({"name": "邻里互助"}))
        .await;
    let body = reply.assert_status(201);
    assert_eq!(body["station_id"].as_i64(), Some(station));
    assert_eq!(body["is_default"], json!(false));

    let own = app.get(&format!("/platforms?station_id={station}"), None).await;
    assert_eq!(own.body["total"], json!(9));
    let foreign = app.get(&format!("/platforms?station_id={other}"), None).await;
    assert_eq!(foreign.body["total"], json!(8));

    app.post("/platforms", Some(&secretary), json!({"name": "邻里互助"}))
        .await
        .assert_problem(409, "PLATFORM_EXISTS");
    app.post("/platforms", Some(&secretary), json!({"name": "文化服务"}))
        .await
        .assert_problem(409, "PLATFORM_EXISTS");
    app.post(
        "/platforms",
        Some(&secretary),
        json!({"name": "外站平台", "station_id": other}),
    )
    .await
    .assert_problem(403, "FORBIDDEN");
    let (_, resident) = app.resident(station).await;
    app.post("/platforms", Some(&resident), json!({"name": "居民平台"}))
        .await
        .assert_problem(403, "FORBIDDEN");
}
