//! Own profile, staff accounts, role grants and the user search.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn me_shows_the_own_profile() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let (id, token) = app.resident(station).await;
    let me = app.get("/me", Some(&token)).await;
    let body = me.assert_status(200);
    assert_eq!(body["id"].as_i64(), Some(id));
    assert_eq!(body["roles"], json!(["resident"]));
    assert_eq!(body["station_id"].as_i64(), Some(station));
    for field in ["phone", "name", "created_at"] {
        assert!(body.get(field).is_some(), "{field}");
    }
}

#[tokio::test]
async fn patch_me_changes_the_name_but_never_roles_or_station() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let other = app.create_station("西湖站").await;
    let (_, token) = app.resident(station).await;
    let reply = app
        .patch(
            "/me",
            Some(&token),
            json!({"name": "新名字", "roles": ["admin"], "station_id": other, "phone": "13000000000"}),
        )
        .await;
    let body = reply.assert_status(200);
    assert_eq!(body["name"], json!("新名字"));
    assert_eq!(body["roles"], json!(["resident"]));
    assert_eq!(body["station_id"].as_i64(), Some(station));
    assert_ne!(body["phone"], json!("13000000000"));
    // Reading the profile again shows nothing else changed.
    let me = app.get("/me", Some(&token)).await;
    assert_eq!(me.body["roles"], json!(["resident"]));
    app.patch("/me", Some(&token), json!({"name": ""}))
        .await
        .assert_problem(422, "VALIDATION_FAILED");
}

#[tokio::test]
async fn admin_creates_staff_accounts_and_a_resident_may_not() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let (_, secretary) = app.staff(Some(station), &["secretary"]).await;
    let me = app.get("/me", Some(&secretary)).await;
    assert_eq!(me.body["roles"], json!(["resident", "secretary"]));

    let (_, resident) = app.resident(station).await;
    let reply = app
        .post("/users", Some(&resident), json!({"phone": unique_phone(), "password": PASSWORD, "name": "x", "station_id": station, "roles": ["secretary"]}))
        .await;
    reply.assert_problem(403, "FORBIDDEN");
    let reply = app
        .post("/users", Some(&secretary), json!({"phone": unique_phone(), "password": PASSWORD, "name": "x", "station_id": station, "roles": ["secretary"]}))
        .await;
    reply.assert_problem(403, "FORBIDDEN");
}

#[tokio::test]
async fn staff_roles_need_a_station() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let reply = app
        .post(
            "/users",
            Some(&admin),
            json!({"phone": unique_phone(), "password": PASSWORD, "name": "x", "roles": ["director"]}),
        )
        .await;
    reply.assert_problem(422, "VALIDATION_FAILED");
    let no_district = app
        .post(
            "/users",
            Some(&admin),
            json!({"phone": unique_phone(), "password": PASSWORD, "name": "督查", "roles": ["supervisor"]}),
        )
        .await;
    no_district.assert_problem(422, "DISTRICT_REQUIRED");
    let supervisor = app
        .post(
            "/users",
            Some(&admin),
            json!({"phone": unique_phone(), "password": PASSWORD, "name": "督查", "roles": ["supervisor"], "district": "武昌区"}),
        )
        .await;
    let supervisor = supervisor.assert_status(201);
    assert_eq!(supervisor["roles"], json!(["resident", "supervisor"]));
    assert_eq!(supervisor["district"], "武昌区");
}

#[tokio::test]
async fn director_appoints_secretaries_only_in_own_station() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let other = app.create_station("西湖站").await;
    let (_, director) = app.staff(Some(station), &["director"]).await;

    let created = app
        .post("/users", Some(&director), json!({"phone": unique_phone(), "password": PASSWORD, "name": "秘书", "station_id": station, "roles": ["secretary"]}))
        .await;
    assert_eq!(created.assert_status(201)["roles"], json!(["resident", "secretary"]));

    let elsewhere = app
        .post("/users", Some(&director), json!({"phone": unique_phone(), "password": PASSWORD, "name": "秘书", "station_id": other, "roles": ["secretary"]}))
        .await;
    elsewhere.assert_problem(403, "OTHER_STATION");

    let above = app
        .post("/users", Some(&director), json!({"phone": unique_phone(), "password": PASSWORD, "name": "站长", "station_id": station, "roles": ["director"]}))
        .await;
    above.assert_problem(403, "ROLE_NOT_GRANTABLE");

    // Promote a resident of the station, then of another station.
    let (own_resident, _) = app.resident(station).await;
    let promoted = app
        .put(
            &format!("/users/{own_resident}/roles"),
            Some(&director),
            json!({"roles": ["resident", "secretary"]}),
        )
        .await;
    assert_eq!(promoted.assert_status(200)["roles"], json!(["resident", "secretary"]));
    let (foreign_resident, _) = app.resident(other).await;
    let refused = app
        .put(
            &format!("/users/{foreign_resident}/roles"),
            Some(&director),
            json!({"roles": ["resident", "secretary"]}),
        )
        .await;
    refused.assert_problem(403, "OTHER_STATION");
    let admin_grant = app
        .put(
            &format!("/users/{own_resident}/roles"),
            Some(&director),
            json!({"roles": ["admin"]}),
        )
        .await;
    admin_grant.assert_problem(403, "ROLE_NOT_GRANTABLE");
    // Refused changes changed nothing.
    let admin = app.admin_token().await;
    let listed = app
        .get(&format!("/users?station_id={other}&role=secretary"), Some(&admin))
        .await;
    assert_eq!(listed.body["total"], json!(0));
}

#[tokio::test]
async fn a_new_role_shows_in_the_next_access_token() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let (id, phone) = app.register(station, "甲").await;
    let admin = app.admin_token().await;
    app.put(
        &format!("/users/{id}/roles"),
        Some(&admin),
        json!({"roles": ["secretary"]}),
    )
    .await
    .assert_status(200);
    let token = app.token(&phone, PASSWORD).await;
    // The secretary may now search the station's users.
    app.get("/users", Some(&token)).await.assert_status(200);
}

#[tokio::test]
async fn secretary_may_not_grant_roles() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let (_, secretary) = app.staff(Some(station), &["secretary"]).await;
    let (resident, _) = app.resident(station).await;
    app.put(
        &format!("/users/{resident}/roles"),
        Some(&secretary),
        json!({"roles": ["secretary"]}),
    )
    .await
    .assert_problem(403, "FORBIDDEN");
}

#[tokio::test]
async fn user_search_is_scoped_to_the_station_and_paginated() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let other = app.create_station("西湖站").await;
    let (_, secretary) = app.staff(Some(station), &["secretary"]).await;
    for _ in 0..3 {
        app.register(station, "本站居民").await;
    }
    app.register(other, "外站居民").await;

    let page = app.get("/users?page=1&page_size=2", Some(&secretary)).await;
    let body = page.assert_status(200);
    assert_eq!(body["total"], json!(4)); // three residents and the secretary
    assert_eq!(body["items"].as_array().unwrap().len(), 2);
    assert_eq!((body["page"].clone(), body["page_size"].clone()), (json!(1), json!(2)));
    assert!(
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["station_id"].as_i64() == Some(station))
    );

    app.get(&format!("/users?station_id={other}"), Some(&secretary))
        .await
        .assert_problem(403, "OTHER_STATION");
    let by_role = app.get("/users?role=secretary", Some(&secretary)).await;
    assert_eq!(by_role.body["total"], json!(1));
    let by_text = app.get("/users?q=本站", Some(&secretary)).await;
    assert_eq!(by_text.body["total"], json!(3));

    app.get("/users?page_size=101", Some(&secretary))
        .await
        .assert_problem(422, "VALIDATION_FAILED");
    app.get("/users?page=0", Some(&secretary))
        .await
        .assert_problem(422, "VALIDATION_FAILED");
    app.get("/users?page=abc", Some(&secretary))
        .await
        .assert_problem(400, "INVALID_QUERY");
    let (_, resident) = app.resident(station).await;
    app.get("/users", Some(&resident))
        .await
        .assert_problem(403, "FORBIDDEN");
}
