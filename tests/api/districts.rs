//! A supervisor reads the stations of their own district (区文明实践中心) and no other.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::orders::{World, account, order_in, place, world};

/// Two stations: the first in the helpers' district, the second moved to another one.
async fn two_districts(app: &TestApp) -> (World, World) {
    let here = world(app).await;
    let there = world(app).await;
    let admin = app.admin_token().await;
    app.patch(
        &format!("/stations/{}", there.station),
        Some(&admin),
        json!({"district": "洪山区"}),
    )
    .await
    .assert_status(200);
    (here, there)
}

fn stations_of(page: &Value, key: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item[key].as_i64().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[tokio::test]
async fn supervisor_lists_only_the_stations_of_their_district() {
    let app = spawn_app().await;
    let (here, there) = two_districts(&app).await;
    place(&app, &here).await;
    place(&app, &there).await;
    let supervisor = account(&app, None, &["supervisor"]).await;

    let orders = app.get("/orders", supervisor.t()).await;
    assert_eq!(stations_of(orders.assert_status(200), "station_id"), vec![here.station]);
    let users = app.get("/users?role=secretary", supervisor.t()).await;
    assert_eq!(stations_of(users.assert_status(200), "station_id"), vec![here.station]);
    let volunteers = app.get("/volunteers", supervisor.t()).await;
    assert_eq!(
        volunteers.assert_status(200)["total"],
        2,
        "only the district's two volunteers"
    );
    // Lists show a supervisor phones masked; the station's own staff see them in full.
    let masked = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["phone"].as_str().unwrap().contains("****"))
    };
    assert!(masked(users.assert_status(200)), "{:?}", users.body);
    assert!(masked(volunteers.assert_status(200)), "{:?}", volunteers.body);
    let staff_view = app.get("/volunteers", Some(&here.secretary.token)).await;
    assert!(
        staff_view.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| !item["phone"].as_str().unwrap().contains('*')),
        "{:?}",
        staff_view.body
    );

    for path in [
        format!("/orders?station_id={}", there.station),
        format!("/users?station_id={}", there.station),
        format!("/teams?station_id={}", there.station),
        format!("/volunteers?station_id={}", there.station),
    ] {
        app.get(&path, supervisor.t())
            .await
            .assert_problem(403, "OTHER_STATION");
    }
    let named = app
        .get(&format!("/orders?station_id={}", here.station), supervisor.t())
        .await;
    assert_eq!(named.assert_status(200)["total"], 1);
}

#[tokio::test]
async fn supervisor_cannot_open_another_districts_order_or_volunteer() {
    let app = spawn_app().await;
    let (here, there) = two_districts(&app).await;
    let theirs = order_in(&app, &there, "completed").await;
    let ours = order_in(&app, &here, "completed").await;
    let supervisor = account(&app, None, &["supervisor"]).await;

    app.get(&format!("/orders/{ours}"), supervisor.t())
        .await
        .assert_status(200);
    app.get(&format!("/orders/{theirs}"), supervisor.t())
        .await
        .assert_problem(404, "NOT_FOUND");
    app.get(&format!("/orders/{theirs}/events"), supervisor.t())
        .await
        .assert_problem(404, "NOT_FOUND");
    app.get(&format!("/volunteers/{}", there.volunteer.id), supervisor.t())
        .await
        .assert_problem(404, "NOT_FOUND");
    app.get(&format!("/volunteers/{}", here.volunteer.id), supervisor.t())
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_station_moved_into_the_district_is_seen_at_once() {
    let app = spawn_app().await;
    let (_, there) = two_districts(&app).await;
    place(&app, &there).await;
    let supervisor = account(&app, None, &["supervisor"]).await;
    let before = app.get("/orders", supervisor.t()).await;
    assert_eq!(before.assert_status(200)["total"], 0);

    let admin = app.admin_token().await;
    app.patch(
        &format!("/stations/{}", there.station),
        Some(&admin),
        json!({"district": DISTRICT}),
    )
    .await
    .assert_status(200);
    let after = app.get("/orders", supervisor.t()).await;
    assert_eq!(
        after.assert_status(200)["total"],
        1,
        "the same token now reads the moved station"
    );
}

#[tokio::test]
async fn granting_supervisor_needs_a_district_and_the_district_decides_the_scope() {
    let app = spawn_app().await;
    let (here, there) = two_districts(&app).await;
    place(&app, &there).await;
    let admin = app.admin_token().await;
    let person = account(&app, None, &[]).await;
    let path = format!("/users/{}/roles", person.id);

    app.put(&path, Some(&admin), json!({"roles": ["supervisor"]}))
        .await
        .assert_problem(422, "DISTRICT_REQUIRED");
    let granted = app
        .put(
            &path,
            Some(&admin),
            json!({"roles": ["supervisor"], "district": "洪山区"}),
        )
        .await;
    assert_eq!(granted.assert_status(200)["district"], "洪山区");

    let token = app.token(&person.phone, PASSWORD).await;
    let orders = app.get("/orders", Some(&token)).await;
    assert_eq!(
        stations_of(orders.assert_status(200), "station_id"),
        vec![there.station]
    );
    app.get(&format!("/orders?station_id={}", here.station), Some(&token))
        .await
        .assert_problem(403, "OTHER_STATION");
    let me = app.get("/me", Some(&token)).await;
    assert_eq!(me.assert_status(200)["district"], "洪山区");
}

#[tokio::test]
async fn supervisor_reports_ledgers_and_inspections_stop_at_the_district() {
    let app = spawn_app().await;
    let (here, there) = two_districts(&app).await;
    let supervisor = account(&app, None, &["supervisor"]).await;

    let report = app.get("/reports/half-year?year=2026&half=1", supervisor.t()).await;
    let stations: Vec<i64> = report.assert_status(200)["stations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["station_id"].as_i64().unwrap())
        .collect();
    assert_eq!(stations, vec![here.station], "only the district's station is reported");
    for path in [
        format!("/reports/half-year?year=2026&half=1&station_id={}", there.station),
        format!(
            "/stats/overview?from=2026-01-01&to=2026-06-30&station_id={}",
            there.station
        ),
        format!("/ledger?year=2026&format=json&station_id={}", there.station),
        format!("/rankings/volunteers?year=2026&station_id={}", there.station),
    ] {
        app.get(&path, supervisor.t())
            .await
            .assert_problem(403, "OTHER_STATION");
    }
    app.get(
        &format!("/ledger?year=2026&format=json&station_id={}", here.station),
        supervisor.t(),
    )
    .await
    .assert_status(200);

    let body = crate::reports::inspection_body(there.station);
    app.post("/inspections", supervisor.t(), body)
        .await
        .assert_problem(403, "OTHER_STATION");
    let admin = app.admin_token().await;
    let filed = app
        .post(
            "/inspections",
            Some(&admin),
            crate::reports::inspection_body(there.station),
        )
        .await;
    let id = filed.assert_status(201)["id"].as_i64().unwrap();
    app.get(&format!("/inspections/{id}"), supervisor.t())
        .await
        .assert_problem(404, "NOT_FOUND");
    let listed = app.get("/inspections", supervisor.t()).await;
    assert_eq!(listed.assert_status(200)["total"], 0);
}
