//! The service-order loop (群众点单、中心派单、志愿者接单、群众评单) end to end, over HTTP.

use std::time::Instant;

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// A signed-in account.
#[derive(Clone)]
pub struct Person {
    pub id: i64,
    pub phone: String,
    pub token: String,
}

impl Person {
    pub fn t(&self) -> Option<&str> {
        Some(&self.token)
    }
}

/// An account with `roles` in the station, made by the admin.
pub async fn account(app: &TestApp, station: Option<i64>, roles: &[&str]) -> Person {
    let admin = app.admin_token().await;
    let phone = unique_phone();
    let reply = app
        .post("/users", Some(&admin), account_body(&phone, "测试用户", station, roles))
        .await;
    let id = reply.assert_status(201)["id"].as_i64().unwrap();
    let token = app.token(&phone, PASSWORD).await;
    Person { id, phone, token }
}

/// A station with a secretary, a resident and two volunteers.
pub struct World {
    pub station: i64,
    pub platform: i64,
    pub secretary: Person,
    pub resident: Person,
    pub volunteer: Person,
    pub other_volunteer: Person,
}

pub async fn world(app: &TestApp) -> World {
    let station = app.create_station(&format!("东湖站{}", unique_phone())).await;
    let platforms = app.get(&format!("/platforms?station_id={station}"), None).await;
    let platform = platforms.assert_status(200)["items"][0]["id"].as_i64().unwrap();
    World {
        station,
        platform,
        secretary: account(app, Some(station), &["secretary"]).await,
        resident: account(app, Some(station), &[]).await,
        volunteer: account(app, Some(station), &["volunteer"]).await,
        other_volunteer: account(app, Some(station), &["volunteer"]).await,
    }
}

pub fn order_body(platform: i64) -> Value {
    json!({
        "title": "代买降压药",
        "description": "腿脚不便，需要志愿者帮忙到社区医院取药",
        "platform_id": platform,
        "address": "东湖路 88 号 3 栋 201",
        "contact_phone": "13912345678",
        "focus_group": "elderly"
    })
}

pub async fn place(app: &TestApp, w: &World) -> i64 {
    let reply = app.post("/orders", w.resident.t(), order_body(w.platform)).await;
    reply.assert_status(201)["id"].as_i64().unwrap()
}

fn path(id: i64, action: &str) -> String {
    format!("/orders/{id}/{action}")
}

async fn order(app: &TestApp, who: &Person, id: i64) -> Value {
    app.get(&format!("/orders/{id}"), who.t())
        .await
        .assert_status(200)
        .clone()
}

async fn event_count(app: &TestApp, w: &World, id: i64) -> usize {
    app.get(&path(id, "events"), w.secretary.t()).await.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .len()
}

/// An order of the world's resident brought to `status` by the world's people.
pub async fn order_in(app: &TestApp, w: &World, status: &str) -> i64 {
    let id = place(app, w).await;
    let steps: &[(&Person, &str, Value)] = &[];
    let mut plan: Vec<(&Person, &str, Value)> = steps.to_vec();
    let open = (&w.secretary, "dispatch", json!({"mode": "open"}));
    let accept = (&w.volunteer, "accept", json!({}));
    let start = (&w.volunteer, "start", json!({}));
    let complete = (
        &w.volunteer,
        "complete",
        json!({"summary": "已送药上门", "service_minutes": 90}),
    );
    match status {
        "submitted" => {}
        "rejected" => plan.push((&w.secretary, "reject", json!({"reason": "不在服务范围"}))),
        "cancelled" => plan.push((&w.resident, "cancel", json!({"reason": "不需要了"}))),
        "open" => plan.push(open),
        "assigned" => plan.push((
            &w.secretary,
            "dispatch",
            json!({"mode": "volunteer", "volunteer_id": w.volunteer.id}),
        )),
        "accepted" => plan.extend([open, accept]),
        "in_service" => plan.extend([open, accept, start]),
        "completed" => plan.extend([open, accept, start, complete]),
        "rated" => plan.extend([
            open,
            accept,
            start,
            complete,
            (&w.resident, "rate", json!({"stars": 5})),
        ]),
        other => panic!("no plan for {other}"),
    }
    for (who, action, body) in plan {
        app.post(&path(id, action), who.t(), body).await.assert_status(200);
    }
    assert_eq!(order(app, &w.secretary, id).await["status"], json!(status));
    id
}

fn has_kind(list: &Value, kind: &str, order_id: i64) -> bool {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["kind"] == json!(kind) && n["resource_id"] == json!(order_id))
}

async fn notifications(app: &TestApp, who: &Person) -> Value {
    app.get("/notifications?page_size=100", who.t())
        .await
        .assert_status(200)
        .clone()
}

#[tokio::test]
async fn the_whole_loop_from_order_to_confirmed_hours() {
    let app = spawn_app().await;
    let w = world(&app).await;

    let created = app.post("/orders", w.resident.t(), order_body(w.platform)).await;
    let body = created.assert_status(201);
    let id = body["id"].as_i64().unwrap();
    assert_eq!(body["status"], json!("submitted"));
    assert_eq!(body["resident_id"], json!(w.resident.id));
    assert_eq!(body["placed_by"], json!(w.resident.id));
    assert_eq!(body["allowed_actions"], json!(["cancel"]));
    assert_eq!(
        created.headers["location"].to_str().unwrap(),
        format!("/api/v1/orders/{id}")
    );

    let staff_view = order(&app, &w.secretary, id).await;
    assert_eq!(staff_view["allowed_actions"], json!(["dispatch", "reject", "cancel"]));

    let dispatched = app
        .post(&path(id, "dispatch"), w.secretary.t(), json!({"mode": "open"}))
        .await;
    assert_eq!(dispatched.assert_status(200)["status"], json!("open"));

    let pool = app.get("/orders?pool=open", w.volunteer.t()).await;
    let pooled = &pool.assert_status(200)["items"][0];
    assert_eq!(pooled["id"], json!(id));
    assert_eq!(pooled["allowed_actions"], json!(["accept"]));

    let accepted = app.post(&path(id, "accept"), w.volunteer.t(), json!({})).await;
    let body = accepted.assert_status(200);
    assert_eq!(body["status"], json!("accepted"));
    assert_eq!(body["volunteer_id"], json!(w.volunteer.id));
    assert_eq!(body["allowed_actions"], json!(["release", "start"]));

    let started = app.post(&path(id, "start"), w.volunteer.t(), json!({})).await;
    assert_eq!(started.assert_status(200)["status"], json!("in_service"));

    let completed = app
        .post(
            &path(id, "complete"),
            w.volunteer.t(),
            json!({"summary": "已代取药品并送到家中", "service_minutes": 90}),
        )
        .await;
    let body = completed.assert_status(200);
    assert_eq!(body["status"], json!("completed"));
    assert_eq!(body["service_minutes"], json!(90));
    // Not yet confirmed: no hours before the rating.
    let hours = app.get("/me/hours", w.volunteer.t()).await;
    assert_eq!(hours.assert_status(200)["total_minutes"], json!(0));

    let resident_view = order(&app, &w.resident, id).await;
    assert_eq!(resident_view["allowed_actions"], json!(["rate"]));
    let rated = app
        .post(
            &path(id, "rate"),
            w.resident.t(),
            json!({"stars": 5, "comment": "很耐心"}),
        )
        .await;
    let body = rated.assert_status(200);
    assert_eq!(body["status"], json!("rated"));
    assert_eq!(body["rating"]["stars"], json!(5));
    assert_eq!(body["rating"]["auto_confirmed"], json!(false));
    assert_eq!(body["follow_up"], Value::Null);

    let hours = app.get("/me/hours", w.volunteer.t()).await;
    let body = hours.assert_status(200);
    assert_eq!(body["total_minutes"], json!(90));
    assert_eq!(body["items"][0]["source"], json!("order"));
    assert_eq!(body["items"][0]["source_id"], json!(id));
    assert_eq!(body["items"][0]["station_id"], json!(w.station));

    let events = app.get(&path(id, "events"), w.resident.t()).await;
    let steps: Vec<(Value, Value, Value, Value)> = events.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].clone(),
                e["from_status"].clone(),
                e["to_status"].clone(),
                e["actor_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (json!("submit"), Value::Null, json!("submitted"), json!(w.resident.id)),
            (
                json!("dispatch"),
                json!("submitted"),
                json!("open"),
                json!(w.secretary.id)
            ),
            (json!("accept"), json!("open"), json!("accepted"), json!(w.volunteer.id)),
            (
                json!("start"),
                json!("accepted"),
                json!("in_service"),
                json!(w.volunteer.id)
            ),
            (
                json!("complete"),
                json!("in_service"),
                json!("completed"),
                json!(w.volunteer.id)
            ),
            (json!("rate"), json!("completed"), json!("rated"), json!(w.resident.id)),
        ]
    );

    let profile = app
        .get(&format!("/volunteers/{}", w.volunteer.id), w.secretary.t())
        .await;
    let body = profile.assert_status(200);
    assert_eq!(body["confirmed_minutes"], json!(90));
    assert_eq!(body["finished_orders"], json!(1));
    assert_eq!(body["average_rating"], json!(5.0));
    // Accounts given the role by staff have no application profile.
    assert_eq!(body["approved_at"], Value::Null);
    app.get(&format!("/volunteers/{}", w.resident.id), w.secretary.t())
        .await
        .assert_problem(404, "NOT_FOUND");
}

#[tokio::test]
async fn the_resident_and_the_volunteer_are_notified_of_each_step() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = order_in(&app, &w, "rated").await;
    let resident = notifications(&app, &w.resident).await;
    for kind in ["order_accepted", "order_started", "order_completed"] {
        assert!(has_kind(&resident, kind, id), "resident lacks {kind}: {resident}");
    }
    let volunteer = notifications(&app, &w.volunteer).await;
    assert!(has_kind(&volunteer, "order_rated", id), "{volunteer}");

    let rejected = order_in(&app, &w, "rejected").await;
    assert!(has_kind(
        &notifications(&app, &w.resident).await,
        "order_rejected",
        rejected
    ));

    let assigned = order_in(&app, &w, "assigned").await;
    assert!(has_kind(
        &notifications(&app, &w.volunteer).await,
        "order_assigned",
        assigned
    ));
    app.post(
        &path(assigned, "cancel"),
        w.secretary.t(),
        json!({"reason": "居民来电取消"}),
    )
    .await
    .assert_status(200);
    assert!(has_kind(
        &notifications(&app, &w.resident).await,
        "order_cancelled",
        assigned
    ));
    assert!(has_kind(
        &notifications(&app, &w.volunteer).await,
        "order_cancelled",
        assigned
    ));

    let unread = app.get("/notifications/unread-count", w.resident.t()).await;
    assert!(unread.assert_status(200)["unread"].as_u64().unwrap() >= 5);
    let first = notifications(&app, &w.resident).await["items"][0]["id"]
        .as_i64()
        .unwrap();
    let read = app
        .post(&format!("/notifications/{first}/read"), w.resident.t(), json!({}))
        .await;
    assert_eq!(read.assert_status(200)["read"], json!(true));
}

#[tokio::test]
async fn dispatch_to_a_team_lets_any_member_accept_and_decline_returns_it() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let team = app
        .post(
            "/teams",
            w.secretary.t(),
            json!({"name": "银发服务队", "platform_id": w.platform, "leader_id": w.volunteer.id}),
        )
        .await;
    let team_id = team.assert_status(201)["id"].as_i64().unwrap();
    app.post(
        &format!("/teams/{team_id}/members"),
        w.secretary.t(),
        json!({"volunteer_id": w.other_volunteer.id}),
    )
    .await
    .assert_status(201);

    let id = place(&app, &w).await;
    let dispatched = app
        .post(
            &path(id, "dispatch"),
            w.secretary.t(),
            json!({"mode": "team", "team_id": team_id}),
        )
        .await;
    let body = dispatched.assert_status(200);
    assert_eq!(body["status"], json!("assigned"));
    assert_eq!(body["team_id"], json!(team_id));
    assert!(has_kind(
        &notifications(&app, &w.other_volunteer).await,
        "order_assigned",
        id
    ));

    // A member sees it in their list, without the resident's details.
    let list = app.get("/orders", w.other_volunteer.t()).await;
    let item = &list.assert_status(200)["items"][0];
    assert_eq!(item["id"], json!(id));
    assert_eq!(item["address"], Value::Null);
    assert_eq!(item["allowed_actions"], json!(["accept", "decline"]));

    // One member's decline leaves the order with the team; the last member's returns it.
    let declined = app.post(&path(id, "decline"), w.volunteer.t(), json!({})).await;
    let body = declined.assert_status(200);
    assert_eq!(body["status"], json!("assigned"));
    assert_eq!(body["team_id"], json!(team_id));
    let declined = app.post(&path(id, "decline"), w.other_volunteer.t(), json!({})).await;
    let body = declined.assert_status(200);
    assert_eq!(body["status"], json!("submitted"));
    assert_eq!(body["team_id"], Value::Null);

    app.post(
        &path(id, "dispatch"),
        w.secretary.t(),
        json!({"mode": "team", "team_id": team_id}),
    )
    .await
    .assert_status(200);
    let accepted = app.post(&path(id, "accept"), w.other_volunteer.t(), json!({})).await;
    let body = accepted.assert_status(200);
    assert_eq!(body["volunteer_id"], json!(w.other_volunteer.id));
    assert_eq!(body["address"], json!("东湖路 88 号 3 栋 201"));
    // The other member cannot take it any more.
    app.post(&path(id, "accept"), w.volunteer.t(), json!({}))
        .await
        .assert_problem(409, "ORDER_ALREADY_TAKEN");
}

#[tokio::test]
async fn dispatch_refuses_targets_outside_the_station() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let elsewhere = world(&app).await;
    let id = place(&app, &w).await;
    let reply = app
        .post(
            &path(id, "dispatch"),
            w.secretary.t(),
            json!({"mode": "volunteer", "volunteer_id": elsewhere.volunteer.id}),
        )
        .await;
    reply.assert_problem(422, "VALIDATION_FAILED");
    let reply = app
        .post(&path(id, "dispatch"), w.secretary.t(), json!({"mode": "volunteer"}))
        .await;
    reply.assert_problem(422, "VALIDATION_FAILED");
    let reply = app
        .post(
            &path(id, "dispatch"),
            w.secretary.t(),
            json!({"mode": "team", "team_id": 99999}),
        )
        .await;
    reply.assert_problem(422, "VALIDATION_FAILED");
    assert_eq!(order(&app, &w.secretary, id).await["status"], json!("submitted"));
}

#[tokio::test]
async fn release_puts_an_accepted_order_back_in_the_pool() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = order_in(&app, &w, "accepted").await;
    let released = app.post(&path(id, "release"), w.volunteer.t(), json!({})).await;
    let body = released.assert_status(200);
    assert_eq!(body["status"], json!("open"));
    assert_eq!(body["volunteer_id"], Value::Null);
    let accepted = app.post(&path(id, "accept"), w.other_volunteer.t(), json!({})).await;
    assert_eq!(accepted.assert_status(200)["volunteer_id"], json!(w.other_volunteer.id));
}

#[tokio::test]
async fn every_forbidden_transition_is_409_and_changes_nothing() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let complete = json!({"summary": "完成", "service_minutes": 30});
    let reason = json!({"reason": "测试"});
    let cases: Vec<(&str, &Person, &str, Value, &str)> = vec![
        ("submitted", &w.volunteer, "accept", json!({}), "ORDER_ALREADY_TAKEN"),
        (
            "submitted",
            &w.resident,
            "rate",
            json!({"stars": 5}),
            "ORDER_NOT_COMPLETED",
        ),
        (
            "open",
            &w.secretary,
            "dispatch",
            json!({"mode": "open"}),
            "ORDER_NOT_SUBMITTED",
        ),
        ("open", &w.secretary, "reject", reason.clone(), "ORDER_NOT_SUBMITTED"),
        (
            "assigned",
            &w.secretary,
            "dispatch",
            json!({"mode": "open"}),
            "ORDER_NOT_SUBMITTED",
        ),
        (
            "accepted",
            &w.volunteer,
            "complete",
            complete.clone(),
            "INVALID_ORDER_STATE",
        ),
        ("accepted", &w.volunteer, "decline", json!({}), "INVALID_ORDER_STATE"),
        (
            "accepted",
            &w.other_volunteer,
            "accept",
            json!({}),
            "ORDER_ALREADY_TAKEN",
        ),
        (
            "accepted",
            &w.resident,
            "rate",
            json!({"stars": 4}),
            "ORDER_NOT_COMPLETED",
        ),
        (
            "in_service",
            &w.resident,
            "cancel",
            reason.clone(),
            "ORDER_NOT_CANCELLABLE",
        ),
        ("in_service", &w.volunteer, "release", json!({}), "INVALID_ORDER_STATE"),
        ("in_service", &w.volunteer, "start", json!({}), "INVALID_ORDER_STATE"),
        (
            "completed",
            &w.secretary,
            "cancel",
            reason.clone(),
            "ORDER_NOT_CANCELLABLE",
        ),
        (
            "completed",
            &w.volunteer,
            "complete",
            complete.clone(),
            "INVALID_ORDER_STATE",
        ),
        (
            "completed",
            &w.secretary,
            "reject",
            reason.clone(),
            "ORDER_NOT_SUBMITTED",
        ),
        ("rated", &w.resident, "rate", json!({"stars": 5}), "ORDER_ALREADY_RATED"),
        ("rated", &w.resident, "cancel", reason.clone(), "ORDER_NOT_CANCELLABLE"),
        (
            "rejected",
            &w.secretary,
            "dispatch",
            json!({"mode": "open"}),
            "ORDER_NOT_SUBMITTED",
        ),
        (
            "rejected",
            &w.resident,
            "cancel",
            reason.clone(),
            "ORDER_NOT_CANCELLABLE",
        ),
        (
            "cancelled",
            &w.resident,
            "cancel",
            reason.clone(),
            "ORDER_NOT_CANCELLABLE",
        ),
        ("cancelled", &w.volunteer, "accept", json!({}), "ORDER_ALREADY_TAKEN"),
    ];
    for (status, who, action, body, code) in cases {
        let id = order_in(&app, &w, status).await;
        let before = order(&app, &w.secretary, id).await;
        let events = event_count(&app, &w, id).await;
        let reply = app.post(&path(id, action), who.t(), body).await;
        assert_eq!(reply.status.as_u16(), 409, "{action} on {status}: {}", reply.text);
        reply.assert_problem(409, code);
        let after = order(&app, &w.secretary, id).await;
        assert_eq!(after, before, "{action} on {status} changed the order");
        assert_eq!(event_count(&app, &w, id).await, events);
    }
}

#[tokio::test]
async fn roles_and_ownership_are_enforced() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let elsewhere = world(&app).await;
    let supervisor = account(&app, None, &["supervisor"]).await;
    let stranger = account(&app, Some(w.station), &[]).await;
    let open = order_in(&app, &w, "open").await;
    let accepted = order_in(&app, &w, "accepted").await;

    let cases: Vec<(&Person, Method, String, Value, u16, &str)> = vec![
        // Another resident's order does not exist for them.
        (
            &stranger,
            Method::GET,
            format!("/orders/{open}"),
            json!(null),
            404,
            "NOT_FOUND",
        ),
        (
            &stranger,
            Method::GET,
            path(open, "events"),
            json!(null),
            404,
            "NOT_FOUND",
        ),
        (
            &stranger,
            Method::POST,
            path(open, "cancel"),
            json!({"reason": "x"}),
            404,
            "NOT_FOUND",
        ),
        // Staff of another station neither.
        (
            &elsewhere.secretary,
            Method::GET,
            format!("/orders/{open}"),
            json!(null),
            404,
            "NOT_FOUND",
        ),
        (
            &elsewhere.secretary,
            Method::POST,
            path(accepted, "cancel"),
            json!({"reason": "x"}),
            404,
            "NOT_FOUND",
        ),
        // Volunteers of another station cannot take the station's open orders.
        (
            &elsewhere.volunteer,
            Method::POST,
            path(open, "accept"),
            json!({}),
            404,
            "NOT_FOUND",
        ),
        // A volunteer who did not accept the order does not see it.
        (
            &w.other_volunteer,
            Method::GET,
            format!("/orders/{accepted}"),
            json!(null),
            404,
            "NOT_FOUND",
        ),
        (
            &w.other_volunteer,
            Method::POST,
            path(accepted, "start"),
            json!({}),
            404,
            "NOT_FOUND",
        ),
        // Right order, wrong role.
        (
            &w.resident,
            Method::POST,
            path(open, "accept"),
            json!({}),
            403,
            "FORBIDDEN",
        ),
        (
            &w.resident,
            Method::POST,
            path(accepted, "start"),
            json!({}),
            403,
            "FORBIDDEN",
        ),
        (
            &w.secretary,
            Method::POST,
            path(accepted, "start"),
            json!({}),
            403,
            "FORBIDDEN",
        ),
        (
            &w.volunteer,
            Method::POST,
            path(accepted, "cancel"),
            json!({"reason": "x"}),
            403,
            "FORBIDDEN",
        ),
        (
            &w.volunteer,
            Method::POST,
            path(open, "start"),
            json!({}),
            403,
            "FORBIDDEN",
        ),
        (
            &supervisor,
            Method::POST,
            path(open, "cancel"),
            json!({"reason": "x"}),
            403,
            "FORBIDDEN",
        ),
        (
            &w.resident,
            Method::GET,
            "/follow-ups".into(),
            json!(null),
            403,
            "FORBIDDEN",
        ),
    ];
    for (who, method, target, body, status, code) in cases {
        let body = (!body.is_null()).then_some(body);
        let reply = app.request(method.clone(), &target, who.t(), body).await;
        assert_eq!(reply.status.as_u16(), status, "{method} {target}: {}", reply.text);
        reply.assert_problem(status, code);
    }
    let submitted = order_in(&app, &w, "submitted").await;
    app.post(&path(submitted, "dispatch"), w.resident.t(), json!({"mode": "open"}))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.post(&path(submitted, "reject"), supervisor.t(), json!({"reason": "x"}))
        .await
        .assert_problem(403, "FORBIDDEN");
    assert_eq!(order(&app, &w.secretary, open).await["status"], json!("open"));
    assert_eq!(order(&app, &w.secretary, accepted).await["status"], json!("accepted"));
    assert_eq!(order(&app, &w.secretary, submitted).await["status"], json!("submitted"));
    // A supervisor reads every station's orders.
    assert_eq!(order(&app, &supervisor, open).await["allowed_actions"], json!([]));
}

#[tokio::test]
async fn the_pool_shows_the_need_but_not_the_person_until_accepted() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = order_in(&app, &w, "open").await;
    let pooled = order(&app, &w.volunteer, id).await;
    assert_eq!(pooled["address"], Value::Null);
    assert_eq!(pooled["contact_phone"], Value::Null);
    assert_eq!(pooled["resident_name"], Value::Null);
    assert_eq!(pooled["area"], json!("武昌区"));
    assert_eq!(pooled["description"], json!("腿脚不便，需要志愿者帮忙到社区医院取药"));
    let list = app.get("/orders?pool=open", w.other_volunteer.t()).await;
    let item = &list.assert_status(200)["items"][0];
    assert_eq!(item["contact_phone"], Value::Null);
    assert!(!list.text.contains("13912345678"));

    let accepted = app.post(&path(id, "accept"), w.volunteer.t(), json!({})).await;
    let body = accepted.assert_status(200);
    assert_eq!(body["address"], json!("东湖路 88 号 3 栋 201"));
    assert_eq!(body["contact_phone"], json!("13912345678"));
    assert_eq!(body["resident_name"], json!("测试用户"));
    // Residents may not use the pool.
    app.get("/orders?pool=open", w.resident.t())
        .await
        .assert_problem(403, "FORBIDDEN");
}

#[tokio::test]
async fn lists_are_scoped_filtered_and_newest_first() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let elsewhere = world(&app).await;
    let first = order_in(&app, &w, "submitted").await;
    let second = order_in(&app, &w, "open").await;
    let _foreign = order_in(&app, &elsewhere, "submitted").await;
    let stranger = account(&app, Some(w.station), &[]).await;

    let mine = app.get("/orders", w.resident.t()).await;
    let body = mine.assert_status(200);
    assert_eq!(body["total"], json!(2));
    assert_eq!(body["items"][0]["id"], json!(second));
    assert_eq!(body["items"][1]["id"], json!(first));
    let theirs = app.get("/orders", stranger.t()).await;
    assert_eq!(theirs.assert_status(200)["total"], json!(0));

    let staff = app.get("/orders?status=open", w.secretary.t()).await;
    let body = staff.assert_status(200);
    assert_eq!(body["total"], json!(1));
    assert_eq!(body["items"][0]["id"], json!(second));
    let elderly = app
        .get("/orders?focus_group=elderly&page_size=1", w.secretary.t())
        .await;
    let body = elderly.assert_status(200);
    assert_eq!(body["total"], json!(2));
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    let none = app.get("/orders?focus_group=migrant_workers", w.secretary.t()).await;
    assert_eq!(none.assert_status(200)["total"], json!(0));
    app.get("/orders?status=bogus", w.secretary.t())
        .await
        .assert_problem(400, "INVALID_QUERY");
}

#[tokio::test]
async fn staff_place_an_order_on_behalf_of_a_resident() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let elsewhere = world(&app).await;
    let mut body = order_body(w.platform);
    body["resident_id"] = json!(w.resident.id);
    let created = app.post("/orders", w.secretary.t(), body.clone()).await;
    let order_json = created.assert_status(201);
    assert_eq!(order_json["resident_id"], json!(w.resident.id));
    assert_eq!(order_json["placed_by"], json!(w.secretary.id));
    let id = order_json["id"].as_i64().unwrap();
    let list = app.get("/orders", w.resident.t()).await;
    assert_eq!(list.assert_status(200)["items"][0]["id"], json!(id));
    let events = app.get(&path(id, "events"), w.resident.t()).await;
    assert_eq!(events.assert_status(200)["items"][0]["actor_role"], json!("staff"));

    body["resident_id"] = json!(elsewhere.resident.id);
    app.post("/orders", w.secretary.t(), body.clone())
        .await
        .assert_problem(422, "VALIDATION_FAILED");
    body["resident_id"] = json!(w.resident.id);
    app.post("/orders", w.other_volunteer.t(), body)
        .await
        .assert_problem(403, "FORBIDDEN");
}

#[tokio::test]
async fn create_order_validates_its_fields() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let cases: Vec<(&str, Value)> = vec![
        ("title", json!("")),
        ("description", json!("")),
        ("address", json!("")),
        ("contact_phone", json!("abc")),
        ("platform_id", json!(99999)),
        ("service_item_id", json!(99999)),
        ("focus_group", json!("everyone")),
    ];
    for (field, value) in cases {
        let mut body = order_body(w.platform);
        body[field] = value;
        let reply = app.post("/orders", w.resident.t(), body).await;
        reply.assert_problem(422, "VALIDATION_FAILED");
        assert_eq!(reply.body["errors"][0]["field"], json!(field), "{}", reply.text);
    }
    let list = app.get("/orders", w.resident.t()).await;
    assert_eq!(list.assert_status(200)["total"], json!(0));
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_first_order() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let send = |body: Value| {
        app.client
            .post(app.url("/orders"))
            .bearer_auth(&w.resident.token)
            .header("Idempotency-Key", "phone-retry-1")
            .json(&body)
            .send()
    };
    let first = into_reply(send(order_body(w.platform)).await.unwrap()).await;
    let id = first.assert_status(201)["id"].clone();
    let again = into_reply(send(order_body(w.platform)).await.unwrap()).await;
    assert_eq!(again.assert_status(201)["id"], id);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let list = app.get("/orders", w.resident.t()).await;
    assert_eq!(list.assert_status(200)["total"], json!(1));

    let mut different = order_body(w.platform);
    different["title"] = json!("别的需求");
    let reused = into_reply(send(different).await.unwrap()).await;
    reused.assert_problem(422, "IDEMPOTENCY_KEY_REUSED");
    let list = app.get("/orders", w.resident.t()).await;
    assert_eq!(list.assert_status(200)["total"], json!(1));
}

#[tokio::test]
async fn open_orders_past_their_deadline_expire() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut body = order_body(w.platform);
    body["deadline_at"] = json!((app.clock.now() + chrono::Duration::hours(2)).to_rfc3339());
    let id = app.post("/orders", w.resident.t(), body).await.assert_status(201)["id"]
        .as_i64()
        .unwrap();
    app.post(&path(id, "dispatch"), w.secretary.t(), json!({"mode": "open"}))
        .await
        .assert_status(200);
    let not_yet = wenming::jobs::run_once(&app.state).await.unwrap();
    assert!(not_yet.contains(&("orders_expire", 0)));

    app.clock.advance(chrono::Duration::hours(3));
    let report = wenming::jobs::run_once(&app.state).await.unwrap();
    assert!(report.contains(&("orders_expire", 1)), "{report:?}");
    let again = wenming::jobs::run_once(&app.state).await.unwrap();
    assert!(again.contains(&("orders_expire", 0)));

    let secretary = app.token(&w.secretary.phone, PASSWORD).await;
    let view = app.get(&format!("/orders/{id}"), Some(&secretary)).await;
    assert_eq!(view.assert_status(200)["status"], json!("expired"));
    let events = app.get(&path(id, "events"), Some(&secretary)).await;
    let last = events.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], json!("expire"));
    assert_eq!(last["actor_role"], json!("system"));
    let resident = Person {
        token: app.token(&w.resident.phone, PASSWORD).await,
        ..w.resident.clone()
    };
    assert!(has_kind(&notifications(&app, &resident).await, "order_expired", id));
    let volunteer = app.token(&w.volunteer.phone, PASSWORD).await;
    app.post(&path(id, "accept"), Some(&volunteer), json!({}))
        .await
        .assert_problem(409, "ORDER_ALREADY_TAKEN");
}

#[tokio::test]
async fn completed_orders_unrated_for_seven_days_are_confirmed_with_hours() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = order_in(&app, &w, "completed").await;
    app.clock.advance(chrono::Duration::days(6));
    let early = wenming::jobs::run_once(&app.state).await.unwrap();
    assert!(early.contains(&("orders_auto_confirm", 0)));
    app.clock.advance(chrono::Duration::days(2));
    let report = wenming::jobs::run_once(&app.state).await.unwrap();
    assert!(report.contains(&("orders_auto_confirm", 1)), "{report:?}");
    let again = wenming::jobs::run_once(&app.state).await.unwrap();
    assert!(again.contains(&("orders_auto_confirm", 0)));

    let resident = app.token(&w.resident.phone, PASSWORD).await;
    let view = app.get(&format!("/orders/{id}"), Some(&resident)).await;
    let body = view.assert_status(200);
    assert_eq!(body["status"], json!("rated"));
    assert_eq!(body["rating"]["auto_confirmed"], json!(true));
    assert_eq!(body["rating"]["stars"], Value::Null);
    assert_eq!(body["allowed_actions"], json!([]));
    app.post(&path(id, "rate"), Some(&resident), json!({"stars": 5}))
        .await
        .assert_problem(409, "ORDER_ALREADY_RATED");

    let volunteer = app.token(&w.volunteer.phone, PASSWORD).await;
    let hours = app.get("/me/hours", Some(&volunteer)).await;
    let body = hours.assert_status(200);
    assert_eq!(body["total_minutes"], json!(90));
    assert_eq!(body["total"], json!(1));
}

#[tokio::test]
async fn a_low_rating_needs_a_reason_and_opens_a_follow_up() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = order_in(&app, &w, "completed").await;
    let missing = app.post(&path(id, "rate"), w.resident.t(), json!({"stars": 2})).await;
    missing.assert_problem(422, "VALIDATION_FAILED");
    assert_eq!(missing.body["errors"][0]["field"], json!("reason_tag"));
    for stars in [0, 6] {
        app.post(&path(id, "rate"), w.resident.t(), json!({"stars": stars}))
            .await
            .assert_problem(422, "VALIDATION_FAILED");
    }
    assert_eq!(order(&app, &w.resident, id).await["status"], json!("completed"));

    let rated = app
        .post(
            &path(id, "rate"),
            w.resident.t(),
            json!({"stars": 2, "reason_tag": "late", "comment": "迟到一小时"}),
        )
        .await;
    let body = rated.assert_status(200);
    assert_eq!(body["rating"]["reason_tag"], json!("late"));
    assert_eq!(body["follow_up"]["status"], json!("pending"));

    let pending = app.get("/follow-ups", w.secretary.t()).await;
    let body = pending.assert_status(200);
    assert_eq!(body["total"], json!(1));
    assert_eq!(body["items"][0]["id"], json!(id));
    assert_eq!(body["items"][0]["allowed_actions"], json!(["follow_up"]));

    let recorded = app
        .post(
            &format!("/orders/{id}/follow-up"),
            w.secretary.t(),
            json!({"outcome": "已致电，居民表示理解"}),
        )
        .await;
    let body = recorded.assert_status(200);
    assert_eq!(body["follow_up"]["status"], json!("done"));
    assert_eq!(body["follow_up"]["outcome"], json!("已致电，居民表示理解"));
    assert_eq!(body["follow_up"]["recorded_by"], json!(w.secretary.id));
    app.post(
        &format!("/orders/{id}/follow-up"),
        w.secretary.t(),
        json!({"outcome": "再次"}),
    )
    .await
    .assert_problem(409, "NO_FOLLOW_UP_PENDING");
    let pending = app.get("/follow-ups", w.secretary.t()).await;
    assert_eq!(pending.assert_status(200)["total"], json!(0));
    let done = app.get("/follow-ups?status=done", w.secretary.t()).await;
    assert_eq!(done.assert_status(200)["total"], json!(1));
    // Hours count all the same.
    let hours = app.get("/me/hours", w.volunteer.t()).await;
    assert_eq!(hours.assert_status(200)["total_minutes"], json!(90));
}

#[tokio::test]
async fn complete_requires_minutes_between_1_and_1440() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = order_in(&app, &w, "in_service").await;
    for minutes in [0, 1441, -5] {
        app.post(
            &path(id, "complete"),
            w.volunteer.t(),
            json!({"summary": "完成", "service_minutes": minutes}),
        )
        .await
        .assert_problem(422, "VALIDATION_FAILED");
    }
    assert_eq!(order(&app, &w.volunteer, id).await["status"], json!("in_service"));
}

#[tokio::test]
async fn residents_cancel_before_service_and_the_volunteer_hears_of_it() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = order_in(&app, &w, "accepted").await;
    let cancelled = app
        .post(&path(id, "cancel"), w.resident.t(), json!({"reason": "家人已代办"}))
        .await;
    let body = cancelled.assert_status(200);
    assert_eq!(body["status"], json!("cancelled"));
    assert_eq!(body["cancel_reason"], json!("家人已代办"));
    assert!(has_kind(
        &notifications(&app, &w.volunteer).await,
        "order_cancelled",
        id
    ));

    let serving = order_in(&app, &w, "in_service").await;
    app.post(&path(serving, "cancel"), w.resident.t(), json!({"reason": "x"}))
        .await
        .assert_problem(409, "ORDER_NOT_CANCELLABLE");
    let by_staff = app
        .post(
            &path(serving, "cancel"),
            w.secretary.t(),
            json!({"reason": "志愿者突发疾病"}),
        )
        .await;
    assert_eq!(by_staff.assert_status(200)["status"], json!("cancelled"));
    assert!(has_kind(
        &notifications(&app, &w.resident).await,
        "order_cancelled",
        serving
    ));
}

/// Fires one accept per volunteer at the same instant, `remote_share` of them at `remote`.
async fn race(app: &TestApp, w: &World, volunteers: &[Person], remote: Option<&str>) -> (usize, usize, u128) {
    let id = order_in(app, w, "open").await;
    let started = Instant::now();
    let replies = join_all(volunteers.iter().enumerate().map(|(i, v)| {
        let base = match remote {
            Some(address) if i % 2 == 1 => address.to_owned(),
            _ => app.address.clone(),
        };
        let target = path(id, "accept");
        async move {
            app.request_at(&base, Method::POST, &target, Some(&v.token), Some(json!({})))
                .await
        }
    }))
    .await;
    let elapsed = started.elapsed().as_millis();
    let winners: Vec<&Reply> = replies.iter().filter(|r| r.status.as_u16() == 200).collect();
    let losers = replies
        .iter()
        .filter(|r| r.status.as_u16() == 409 && r.code() == "ORDER_ALREADY_TAKEN")
        .count();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    assert_eq!(losers, volunteers.len() - 1);
    let winner = winners[0].body["volunteer_id"].clone();
    let view = order(app, &w.secretary, id).await;
    assert_eq!(view["status"], json!("accepted"));
    assert_eq!(view["volunteer_id"], winner);
    let events = app.get(&path(id, "events"), w.secretary.t()).await;
    let accepts = events.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == json!("accept"))
        .count();
    assert_eq!(accepts, 1);
    (volunteers.len(), winners.len(), elapsed)
}

async fn fifty_volunteers(app: &TestApp, station: i64) -> Vec<Person> {
    let mut out = Vec::new();
    for chunk in 0..5 {
        let _ = chunk;
        out.extend(join_all((0..10).map(|_| account(app, Some(station), &["volunteer"]))).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_volunteers_accepting_at_once_yield_exactly_one_winner() {
    let app = spawn_app_with(&[("LOGIN_ATTEMPTS_PER_MINUTE", "10000")]).await;
    let w = world(&app).await;
    let volunteers = fifty_volunteers(&app, w.station).await;
    let (requests, winners, ms) = race(&app, &w, &volunteers, None).await;
    let db = if app.db.is_postgres() { "PostgreSQL" } else { "SQLite" };
    eprintln!("race ({db}, one process): {requests} requests, {winners} winner, {ms} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_volunteers_across_two_processes_yield_exactly_one_winner() {
    let settings = [("LOGIN_ATTEMPTS_PER_MINUTE", "10000")];
    let app = spawn_app_with(&settings).await;
    let w = world(&app).await;
    let volunteers = fifty_volunteers(&app, w.station).await;
    let second = app.spawn_process(&settings).await;
    let (requests, winners, ms) = race(&app, &w, &volunteers, Some(&second.address)).await;
    let db = if app.db.is_postgres() { "PostgreSQL" } else { "SQLite" };
    eprintln!("race ({db}, two processes): {requests} requests, {winners} winner, {ms} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweeps_running_at_once_change_each_order_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let completed = order_in(&app, &w, "completed").await;
    let mut body = order_body(w.platform);
    body["deadline_at"] = json!((app.clock.now() + chrono::Duration::hours(1)).to_rfc3339());
    let open = app.post("/orders", w.resident.t(), body).await.assert_status(201)["id"]
        .as_i64()
        .unwrap();
    app.post(&path(open, "dispatch"), w.secretary.t(), json!({"mode": "open"}))
        .await
        .assert_status(200);
    app.clock.advance(chrono::Duration::days(8));
    let reports = join_all((0..4).map(|_| wenming::jobs::run_once(&app.state))).await;
    let total = |job: &str| -> u64 {
        reports
            .iter()
            .map(|r| {
                r.as_ref()
                    .unwrap()
                    .iter()
                    .filter(|(j, _)| *j == job)
                    .map(|(_, n)| n)
                    .sum::<u64>()
            })
            .sum()
    };
    assert_eq!(total("orders_expire"), 1);
    assert_eq!(total("orders_auto_confirm"), 1);
    let secretary = app.token(&w.secretary.phone, PASSWORD).await;
    for (id, action) in [(open, "expire"), (completed, "auto_confirm")] {
        let events = app.get(&path(id, "events"), Some(&secretary)).await;
        let count = events.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == json!(action))
            .count();
        assert_eq!(count, 1, "{action}");
    }
    let volunteer = app.token(&w.volunteer.phone, PASSWORD).await;
    let hours = app.get("/me/hours", Some(&volunteer)).await;
    assert_eq!(hours.assert_status(200)["total"], json!(1));
}

#[tokio::test]
async fn a_volunteer_cannot_take_their_own_order() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let created = app.post("/orders", w.volunteer.t(), order_body(w.platform)).await;
    let id = created.assert_status(201)["id"].as_i64().unwrap();
    app.post(&path(id, "dispatch"), w.secretary.t(), json!({"mode": "open"}))
        .await
        .assert_status(200);
    let own = order(&app, &w.volunteer, id).await;
    assert_eq!(own["allowed_actions"], json!(["cancel"]));
    app.post(&path(id, "accept"), w.volunteer.t(), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.post(&path(id, "accept"), w.other_volunteer.t(), json!({}))
        .await
        .assert_status(200);
}
