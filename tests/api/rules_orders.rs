//! Issue 8 rules of the order loop: times that lie ahead, escalation of waiting orders,
//! re-dispatch, team declines, deactivating volunteers and removing team members, notices to
//! the people who must act, privacy of the pool and of supervisors' lists, and separation of
//! duties in volunteer applications.

use chrono::Duration;
use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::orders::{Person, World, account, order_body, order_in, place, world};

fn path(id: i64, action: &str) -> String {
    format!("/orders/{id}/{action}")
}

async fn get_order(app: &TestApp, who: &Person, id: i64) -> Value {
    app.get(&format!("/orders/{id}"), who.t())
        .await
        .assert_status(200)
        .clone()
}

async fn events(app: &TestApp, who: &Person, id: i64) -> Vec<Value> {
    app.get(&path(id, "events"), who.t()).await.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// The notices of `kind` about order `id` the person has.
async fn notices(app: &TestApp, who: &Person, kind: &str, id: i64) -> Vec<Value> {
    let reply = app.get("/notifications?page_size=100", who.t()).await;
    reply.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == json!(kind) && n["resource_id"] == json!(id))
        .cloned()
        .collect()
}

/// The same person with a token issued at the (moved) clock's time.
async fn again(app: &TestApp, who: &Person) -> Person {
    Person {
        token: app.token(&who.phone, PASSWORD).await,
        ..who.clone()
    }
}

async fn team_of(app: &TestApp, w: &World, name: &str, members: &[&Person]) -> i64 {
    let team = app
        .post(
            "/teams",
            w.secretary.t(),
            json!({"name": name, "platform_id": w.platform}),
        )
        .await;
    let team_id = team.assert_status(201)["id"].as_i64().unwrap();
    for member in members {
        app.post(
            &format!("/teams/{team_id}/members"),
            w.secretary.t(),
            json!({"volunteer_id": member.id}),
        )
        .await
        .assert_status(201);
    }
    team_id
}

async fn dispatch(app: &TestApp, w: &World, id: i64, body: Value) -> Value {
    app.post(&path(id, "dispatch"), w.secretary.t(), body)
        .await
        .assert_status(200)
        .clone()
}

fn ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

// ---- point 10: times, escalation, re-dispatch ----

#[tokio::test]
async fn order_times_in_the_past_or_a_deadline_before_the_wanted_time_are_422() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let now = app.clock.now();
    let past = (now - Duration::hours(1)).to_rfc3339();
    let soon = (now + Duration::hours(2)).to_rfc3339();
    let later = (now + Duration::hours(5)).to_rfc3339();
    let cases = [
        ("expected_at", json!({"expected_at": past})),
        ("deadline_at", json!({"deadline_at": past})),
        ("deadline_at", json!({"expected_at": later, "deadline_at": soon})),
    ];
    for (field, times) in cases {
        let mut body = order_body(w.platform);
        for (k, v) in times.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = app.post("/orders", w.resident.t(), body).await;
        reply.assert_problem(422, "VALIDATION_FAILED");
        assert_eq!(reply.body["errors"][0]["field"], json!(field), "{}", reply.text);
    }
    let mut fine = order_body(w.platform);
    fine["expected_at"] = json!(soon);
    fine["deadline_at"] = json!(later);
    app.post("/orders", w.resident.t(), fine).await.assert_status(201);
    let list = app.get("/orders", w.resident.t()).await;
    assert_eq!(list.assert_status(200)["total"], json!(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_orders_are_escalated_once_per_wait_and_listed_as_overdue() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = place(&app, &w).await;
    let fresh = place(&app, &w).await;
    assert_eq!(get_order(&app, &w.secretary, id).await["overdue"], json!(false));

    app.clock.advance(Duration::minutes(119));
    let report = wenming::jobs::run_once(&app.state).await.unwrap();
    assert!(report.contains(&("orders_escalate", 0)), "{report:?}");

    app.clock.advance(Duration::minutes(2));
    // Two server instances sweep at once, twice: each waiting order is escalated exactly once.
    let (_, other) = app.second_instance().await;
    let mut reports = Vec::from(app.sweep_both(&other).await);
    reports.extend(app.sweep_both(&other).await);
    assert_eq!(
        changed_by(&reports, "orders_escalate"),
        2,
        "both waiting orders, each exactly once"
    );
    let secretary = again(&app, &w.secretary).await;
    let told = notices(&app, &secretary, "order_overdue", id).await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["resource_type"], json!("order"));
    assert!(told[0]["body"].as_str().unwrap().contains("120"), "{told:?}");
    let escalations = events(&app, &secretary, id).await;
    assert_eq!(
        escalations.iter().filter(|e| e["action"] == json!("escalate")).count(),
        1
    );

    let overdue = app.get("/orders?overdue=true", secretary.t()).await;
    let mut listed = ids(overdue.assert_status(200));
    listed.sort();
    assert_eq!(listed, vec![id, fresh]);
    assert_eq!(overdue.body["items"][0]["overdue"], json!(true));
    let on_time = app.get("/orders?overdue=false", secretary.t()).await;
    assert_eq!(on_time.assert_status(200)["total"], json!(0));
    let again_report = wenming::jobs::run_once(&app.state).await.unwrap();
    assert!(again_report.contains(&("orders_escalate", 0)));

    // Dispatched to a volunteer: no longer overdue, until it waits too long to be accepted.
    let volunteer = again(&app, &w.volunteer).await;
    let assigned = app
        .post(
            &path(id, "dispatch"),
            secretary.t(),
            json!({"mode": "volunteer", "volunteer_id": volunteer.id}),
        )
        .await;
    assert_eq!(assigned.assert_status(200)["overdue"], json!(false));
    app.clock.advance(Duration::minutes(241));
    let report = wenming::jobs::run_once(&app.state).await.unwrap();
    assert!(report.contains(&("orders_escalate", 1)), "{report:?}");
    let secretary = again(&app, &w.secretary).await;
    assert_eq!(notices(&app, &secretary, "order_overdue", id).await.len(), 2);
    assert_eq!(get_order(&app, &secretary, id).await["overdue"], json!(true));
    // Residents see the flag on their own orders only.
    let resident = again(&app, &w.resident).await;
    let theirs = app.get("/orders?overdue=true", resident.t()).await;
    assert_eq!(theirs.assert_status(200)["total"], json!(2));
}

#[tokio::test]
async fn staff_redispatch_open_and_assigned_orders_with_an_event_and_notices() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = order_in(&app, &w, "assigned").await;
    let staff_view = get_order(&app, &w.secretary, id).await;
    assert_eq!(staff_view["allowed_actions"], json!(["redispatch", "cancel"]));

    // To another volunteer: the first is told it was taken from them, the second that it is theirs.
    let moved = app
        .post(
            &path(id, "redispatch"),
            w.secretary.t(),
            json!({"mode": "volunteer", "volunteer_id": w.other_volunteer.id, "note": "原志愿者临时有事"}),
        )
        .await;
    let body = moved.assert_status(200);
    assert_eq!(body["status"], json!("assigned"));
    assert_eq!(body["volunteer_id"], json!(w.other_volunteer.id));
    assert_eq!(notices(&app, &w.volunteer, "order_withdrawn", id).await.len(), 1);
    assert_eq!(notices(&app, &w.other_volunteer, "order_assigned", id).await.len(), 1);
    app.post(&path(id, "accept"), w.volunteer.t(), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");
    let timeline = events(&app, &w.secretary, id).await;
    let last = timeline.last().unwrap();
    assert_eq!(last["action"], json!("redispatch"));
    assert_eq!(last["actor_id"], json!(w.secretary.id));
    assert_eq!(last["note"], json!("原志愿者临时有事"));

    // Into the pool, then back to the station.
    let pooled = app
        .post(&path(id, "redispatch"), w.secretary.t(), json!({"mode": "open"}))
        .await;
    assert_eq!(pooled.assert_status(200)["status"], json!("open"));
    assert_eq!(pooled.body["volunteer_id"], Value::Null);
    assert_eq!(notices(&app, &w.other_volunteer, "order_withdrawn", id).await.len(), 1);
    app.post(&path(id, "redispatch"), w.secretary.t(), json!({"mode": "open"}))
        .await
        .assert_problem(409, "ORDER_NOT_REDISPATCHABLE");
    let back = app
        .post(&path(id, "redispatch"), w.secretary.t(), json!({"mode": "submitted"}))
        .await;
    assert_eq!(back.assert_status(200)["status"], json!("submitted"));
    assert_eq!(back.body["allowed_actions"], json!(["dispatch", "reject", "cancel"]));
    app.post(&path(id, "redispatch"), w.secretary.t(), json!({"mode": "open"}))
        .await
        .assert_problem(409, "ORDER_NOT_REDISPATCHABLE");

    // Only staff of the station; targets of the station only.
    let accepted = order_in(&app, &w, "accepted").await;
    app.post(
        &path(accepted, "redispatch"),
        w.secretary.t(),
        json!({"mode": "submitted"}),
    )
    .await
    .assert_problem(409, "ORDER_NOT_REDISPATCHABLE");
    let open = order_in(&app, &w, "open").await;
    app.post(&path(open, "redispatch"), w.volunteer.t(), json!({"mode": "submitted"}))
        .await
        .assert_problem(403, "FORBIDDEN");
    let elsewhere = world(&app).await;
    app.post(
        &path(open, "redispatch"),
        w.secretary.t(),
        json!({"mode": "volunteer", "volunteer_id": elsewhere.volunteer.id}),
    )
    .await
    .assert_problem(422, "VALIDATION_FAILED");
    app.post(
        &path(open, "redispatch"),
        elsewhere.secretary.t(),
        json!({"mode": "submitted"}),
    )
    .await
    .assert_problem(404, "NOT_FOUND");
    app.post(&path(open, "redispatch"), w.secretary.t(), json!({"mode": "everyone"}))
        .await
        .assert_problem(422, "VALIDATION_FAILED");
}

// ---- point 11: team declines ----

#[tokio::test]
async fn a_team_members_decline_keeps_the_order_with_the_team_until_every_member_declined() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let third = account(&app, Some(w.station), &["volunteer"]).await;
    let team = team_of(&app, &w, "助老服务队", &[&w.volunteer, &w.other_volunteer, &third]).await;
    let id = place(&app, &w).await;
    dispatch(&app, &w, id, json!({"mode": "team", "team_id": team})).await;

    let declined = app
        .post(&path(id, "decline"), w.volunteer.t(), json!({"reason": "当天在外地"}))
        .await;
    let body = declined.assert_status(200);
    assert_eq!(body["status"], json!("assigned"));
    assert_eq!(body["team_id"], json!(team));
    assert_eq!(body["allowed_actions"], json!([]));
    let told = notices(&app, &w.secretary, "order_declined", id).await;
    assert_eq!(told.len(), 1);
    assert!(told[0]["body"].as_str().unwrap().contains("当天在外地"));
    app.post(&path(id, "accept"), w.volunteer.t(), json!({}))
        .await
        .assert_problem(409, "ORDER_ALREADY_DECLINED");
    app.post(&path(id, "decline"), w.volunteer.t(), json!({}))
        .await
        .assert_problem(409, "ORDER_ALREADY_DECLINED");
    let still = get_order(&app, &w.other_volunteer, id).await;
    assert_eq!(still["allowed_actions"], json!(["accept", "decline"]));

    // The last two decline at once: the order goes back to the station exactly once.
    let url = path(id, "decline");
    let replies = join_all([&w.other_volunteer, &third].map(|p| app.post(&url, p.t(), json!({})))).await;
    for reply in &replies {
        reply.assert_status(200);
    }
    let after = get_order(&app, &w.secretary, id).await;
    assert_eq!(after["status"], json!("submitted"));
    assert_eq!(after["team_id"], Value::Null);
    let timeline = events(&app, &w.secretary, id).await;
    assert_eq!(timeline.iter().filter(|e| e["action"] == json!("return")).count(), 1);
    assert_eq!(notices(&app, &w.secretary, "order_returned", id).await.len(), 1);

    // A fresh dispatch to the same team is a fresh ask.
    dispatch(&app, &w, id, json!({"mode": "team", "team_id": team})).await;
    let taken = app.post(&path(id, "accept"), w.volunteer.t(), json!({})).await;
    assert_eq!(taken.assert_status(200)["status"], json!("accepted"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_team_declining_at_once_returns_the_order_exactly_once() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut members = Vec::new();
    for _ in 0..6 {
        members.push(account(&app, Some(w.station), &["volunteer"]).await);
    }
    let refs: Vec<&Person> = members.iter().collect();
    let team = team_of(&app, &w, "青年突击队", &refs).await;
    let id = place(&app, &w).await;
    dispatch(&app, &w, id, json!({"mode": "team", "team_id": team})).await;
    let url = path(id, "decline");
    let replies = join_all(members.iter().map(|p| app.post(&url, p.t(), json!({})))).await;
    for reply in &replies {
        reply.assert_status(200);
    }
    let after = get_order(&app, &w.secretary, id).await;
    assert_eq!(after["status"], json!("submitted"));
    let timeline = events(&app, &w.secretary, id).await;
    assert_eq!(timeline.iter().filter(|e| e["action"] == json!("decline")).count(), 6);
    assert_eq!(timeline.iter().filter(|e| e["action"] == json!("return")).count(), 1);
}

// ---- point 12: deactivating volunteers, removing team members ----

#[tokio::test]
async fn deactivating_a_volunteer_sends_their_orders_back_and_stops_them_accepting() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let assigned = order_in(&app, &w, "assigned").await;
    let accepted = order_in(&app, &w, "accepted").await;
    let in_service = order_in(&app, &w, "in_service").await;
    let completed = order_in(&app, &w, "completed").await;
    let solo_team = team_of(&app, &w, "单人服务队", &[&w.volunteer]).await;
    let team_order = place(&app, &w).await;
    dispatch(&app, &w, team_order, json!({"mode": "team", "team_id": solo_team})).await;
    let open = order_in(&app, &w, "open").await;

    let elsewhere = world(&app).await;
    let url = format!("/volunteers/{}/deactivate", w.volunteer.id);
    app.post(&url, elsewhere.secretary.t(), json!({}))
        .await
        .assert_problem(404, "NOT_FOUND");
    let supervisor = account(&app, None, &["supervisor"]).await;
    app.post(&url, supervisor.t(), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.post(&url, w.other_volunteer.t(), json!({}))
        .await
        .assert_problem(404, "NOT_FOUND");

    let reply = app.post(&url, w.secretary.t(), json!({"reason": "已搬离本社区"})).await;
    let body = reply.assert_status(200);
    let mut returned: Vec<i64> = body["returned_order_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    returned.sort();
    assert_eq!(returned, vec![assigned, accepted, in_service, team_order]);
    for id in [assigned, accepted, in_service, team_order] {
        let order = get_order(&app, &w.secretary, id).await;
        assert_eq!(order["status"], json!("submitted"), "order {id}");
        assert_eq!(order["volunteer_id"], Value::Null);
        let last = events(&app, &w.secretary, id).await.last().unwrap().clone();
        assert_eq!(last["action"], json!("return"));
        assert!(last["note"].as_str().unwrap().contains("志愿者已停用"));
        assert_eq!(notices(&app, &w.secretary, "order_returned", id).await.len(), 1);
    }
    assert_eq!(
        get_order(&app, &w.secretary, completed).await["status"],
        json!("completed")
    );
    // Deactivation ends the access tokens issued while they were a volunteer at once.
    app.post(&path(open, "accept"), w.volunteer.t(), json!({}))
        .await
        .assert_problem(401, "TOKEN_REVOKED");
    let fresh = Person {
        id: w.volunteer.id,
        phone: w.volunteer.phone.clone(),
        token: app.token(&w.volunteer.phone, PASSWORD).await,
    };
    assert_eq!(notices_of_kind(&app, &fresh, "volunteer_deactivated").await, 1);
    // A fresh token no longer says volunteer, and the server does not let them act as one.
    app.post(&path(open, "accept"), fresh.t(), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.post(
        &path(assigned, "dispatch"),
        w.secretary.t(),
        json!({"mode": "volunteer", "volunteer_id": w.volunteer.id}),
    )
    .await
    .assert_problem(422, "VALIDATION_FAILED");
    app.post(&url, w.secretary.t(), json!({}))
        .await
        .assert_problem(404, "NOT_FOUND");
    let team = app.get(&format!("/teams/{solo_team}"), w.secretary.t()).await;
    assert_eq!(team.assert_status(200)["member_ids"], json!([]));
}

async fn notices_of_kind(app: &TestApp, who: &Person, kind: &str) -> usize {
    let reply = app.get("/notifications?page_size=100", who.t()).await;
    reply.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == json!(kind))
        .count()
}

#[tokio::test]
async fn removing_a_team_member_sends_the_orders_they_held_through_the_team_back() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let team = team_of(&app, &w, "便民服务队", &[&w.volunteer, &w.other_volunteer]).await;
    let taken = place(&app, &w).await;
    dispatch(&app, &w, taken, json!({"mode": "team", "team_id": team})).await;
    app.post(&path(taken, "accept"), w.other_volunteer.t(), json!({}))
        .await
        .assert_status(200);
    let waiting = place(&app, &w).await;
    dispatch(&app, &w, waiting, json!({"mode": "team", "team_id": team})).await;
    app.post(&path(waiting, "decline"), w.volunteer.t(), json!({}))
        .await
        .assert_status(200);
    // Taken by the same volunteer outside the team: not affected.
    let own = order_in(&app, &w, "open").await;
    app.post(&path(own, "accept"), w.other_volunteer.t(), json!({}))
        .await
        .assert_status(200);

    let url = format!("/teams/{team}/members/{}", w.other_volunteer.id);
    let elsewhere = world(&app).await;
    app.delete(&url, elsewhere.secretary.t())
        .await
        .assert_problem(404, "NOT_FOUND");
    let supervisor = account(&app, None, &["supervisor"]).await;
    app.delete(&url, supervisor.t()).await.assert_problem(403, "FORBIDDEN");
    app.delete(&url, w.secretary.t()).await.assert_status(204);

    let back = get_order(&app, &w.secretary, taken).await;
    assert_eq!(back["status"], json!("submitted"));
    assert_eq!(back["volunteer_id"], Value::Null);
    // Everyone left in the team had declined the waiting order: it goes back too.
    assert_eq!(
        get_order(&app, &w.secretary, waiting).await["status"],
        json!("submitted")
    );
    assert_eq!(get_order(&app, &w.secretary, own).await["status"], json!("accepted"));
    for id in [taken, waiting] {
        let last = events(&app, &w.secretary, id).await.last().unwrap().clone();
        assert_eq!(last["action"], json!("return"));
        assert_eq!(notices(&app, &w.secretary, "order_returned", id).await.len(), 1);
    }
    let members = app.get(&format!("/teams/{team}"), w.secretary.t()).await;
    assert_eq!(members.assert_status(200)["member_ids"], json!([w.volunteer.id]));
    app.delete(&url, w.secretary.t()).await.assert_problem(404, "NOT_FOUND");
    app.delete(&format!("/teams/999999/members/{}", w.volunteer.id), w.secretary.t())
        .await
        .assert_problem(404, "NOT_FOUND");
}

// ---- point 13: notices to the people who must act ----

#[tokio::test]
async fn staff_and_volunteers_are_told_when_they_must_act_with_the_reason() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let director = account(&app, Some(w.station), &["director"]).await;

    // A new order: the station's staff.
    let id = place(&app, &w).await;
    for staff in [&w.secretary, &director] {
        let told = notices(&app, staff, "order_submitted", id).await;
        assert_eq!(told.len(), 1);
        assert_eq!(told[0]["resource_type"], json!("order"));
    }
    // Opened to the pool: the station's volunteers.
    dispatch(&app, &w, id, json!({"mode": "open"})).await;
    for volunteer in [&w.volunteer, &w.other_volunteer] {
        assert_eq!(notices(&app, volunteer, "order_open", id).await.len(), 1);
    }
    assert!(notices(&app, &w.resident, "order_open", id).await.is_empty());
    // A release: staff.
    app.post(&path(id, "accept"), w.volunteer.t(), json!({}))
        .await
        .assert_status(200);
    app.post(&path(id, "release"), w.volunteer.t(), json!({}))
        .await
        .assert_status(200);
    assert_eq!(notices(&app, &w.secretary, "order_released", id).await.len(), 1);
    // A decline: staff, with the reason.
    let declined = order_in(&app, &w, "assigned").await;
    app.post(
        &path(declined, "decline"),
        w.volunteer.t(),
        json!({"reason": "腰伤未愈"}),
    )
    .await
    .assert_status(200);
    let told = notices(&app, &director, "order_declined", declined).await;
    assert_eq!(told.len(), 1);
    assert!(told[0]["body"].as_str().unwrap().contains("腰伤未愈"), "{told:?}");
    // A 1–2 star rating: staff, with the reason.
    let rated = order_in(&app, &w, "completed").await;
    app.post(
        &path(rated, "rate"),
        w.resident.t(),
        json!({"stars": 1, "reason_tag": "late", "comment": "晚到一小时"}),
    )
    .await
    .assert_status(200);
    let told = notices(&app, &w.secretary, "order_low_rating", rated).await;
    assert_eq!(told.len(), 1);
    let body = told[0]["body"].as_str().unwrap();
    assert!(body.contains("迟到") && body.contains("晚到一小时"), "{body}");
    let good = order_in(&app, &w, "rated").await;
    assert!(notices(&app, &w.secretary, "order_low_rating", good).await.is_empty());
    // 代点单: the resident hears that staff ordered for them; the placer is not told of their own order.
    let mut body = order_body(w.platform);
    body["resident_id"] = json!(w.resident.id);
    let placed = app.post("/orders", w.secretary.t(), body).await;
    let placed = placed.assert_status(201)["id"].as_i64().unwrap();
    assert_eq!(
        notices(&app, &w.resident, "order_placed_for_you", placed).await.len(),
        1
    );
    assert!(notices(&app, &w.secretary, "order_submitted", placed).await.is_empty());
    assert_eq!(notices(&app, &director, "order_submitted", placed).await.len(), 1);
}

// ---- point 15: privacy ----

#[tokio::test]
async fn the_pool_hides_who_the_resident_is_and_supervisors_see_masked_lists() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut body = order_body(w.platform);
    body["resident_id"] = json!(w.resident.id);
    let id = app.post("/orders", w.secretary.t(), body).await.assert_status(201)["id"]
        .as_i64()
        .unwrap();
    dispatch(&app, &w, id, json!({"mode": "open"})).await;

    let pooled = get_order(&app, &w.volunteer, id).await;
    assert_eq!(pooled["resident_id"], Value::Null);
    assert_eq!(pooled["placed_by"], Value::Null);
    let pool = app.get("/orders?pool=open", w.volunteer.t()).await;
    let item = &pool.assert_status(200)["items"][0];
    assert_eq!(item["resident_id"], Value::Null);
    assert_eq!(item["placed_by"], Value::Null);
    for needle in [
        format!("\"resident_id\":{}", w.resident.id),
        format!("\"placed_by\":{}", w.secretary.id),
    ] {
        assert!(!pool.text.contains(&needle), "{}", pool.text);
    }
    let timeline = events(&app, &w.volunteer, id).await;
    assert_eq!(timeline[0]["action"], json!("submit"));
    assert_eq!(timeline[0]["actor_id"], Value::Null);

    let accepted = app.post(&path(id, "accept"), w.volunteer.t(), json!({})).await;
    assert_eq!(accepted.assert_status(200)["resident_id"], json!(w.resident.id));
    assert_eq!(accepted.body["placed_by"], json!(w.secretary.id));
    assert_eq!(
        events(&app, &w.volunteer, id).await[0]["actor_id"],
        json!(w.secretary.id)
    );

    let supervisor = account(&app, None, &["supervisor"]).await;
    let list = app
        .get(&format!("/orders?station_id={}", w.station), supervisor.t())
        .await;
    let item = &list.assert_status(200)["items"][0];
    assert_eq!(item["contact_phone"], json!("139****5678"));
    assert_eq!(item["address"], json!("东湖路****"));
    assert_eq!(item["resident_name"], json!("测***"));
    assert!(!list.text.contains("13912345678"));
    let opened = get_order(&app, &supervisor, id).await;
    assert_eq!(opened["contact_phone"], json!("13912345678"));
    assert_eq!(opened["address"], json!("东湖路 88 号 3 栋 201"));
    // The station's own staff see everything in lists.
    let staff_list = app.get("/orders", w.secretary.t()).await;
    assert_eq!(
        staff_list.assert_status(200)["items"][0]["contact_phone"],
        json!("13912345678")
    );
}

// ---- point 5: nobody approves their own application ----

#[tokio::test]
async fn staff_cannot_review_their_own_volunteer_application() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let director = account(&app, Some(w.station), &["director"]).await;
    let filed = app
        .post(
            "/volunteer-applications",
            w.secretary.t(),
            json!({"real_name": "张秘书", "skills": ["文书"], "source": "community_staff"}),
        )
        .await;
    let id = filed.assert_status(201)["id"].as_i64().unwrap();
    app.post(
        &format!("/volunteer-applications/{id}/approve"),
        w.secretary.t(),
        json!({}),
    )
    .await
    .assert_problem(403, "SELF_APPROVAL");
    app.post(
        &format!("/volunteer-applications/{id}/reject"),
        w.secretary.t(),
        json!({"reason": "自己驳回自己"}),
    )
    .await
    .assert_problem(403, "SELF_APPROVAL");
    let approved = app
        .post(
            &format!("/volunteer-applications/{id}/approve"),
            director.t(),
            json!({}),
        )
        .await;
    assert_eq!(approved.assert_status(200)["status"], json!("approved"));
    assert_eq!(approved.body["reviewed_by"], json!(director.id));
}

/// A resident of the station who applied with `skills` and was approved; logged in afresh.
async fn skilled_volunteer(app: &TestApp, w: &World, skills: &[&str]) -> Person {
    let applicant = account(app, Some(w.station), &[]).await;
    let application = app
        .post(
            "/volunteer-applications",
            applicant.t(),
            json!({"real_name": "王师傅", "skills": skills, "source": "community_staff"}),
        )
        .await;
    let id = application.assert_status(201)["id"].as_i64().unwrap();
    app.post(
        &format!("/volunteer-applications/{id}/approve"),
        w.secretary.t(),
        json!({}),
    )
    .await
    .assert_status(200);
    again(app, &applicant).await
}

async fn menu_item(app: &TestApp, w: &World, skills: &[&str]) -> i64 {
    let reply = app
        .post(
            "/service-items",
            w.secretary.t(),
            json!({"name": "上门服务", "platform_id": w.platform, "skills": skills}),
        )
        .await;
    assert_eq!(reply.assert_status(201)["skills"], json!(skills));
    reply.body["id"].as_i64().unwrap()
}

async fn open_order_of_item(app: &TestApp, w: &World, item: i64) -> i64 {
    let mut body = order_body(w.platform);
    body["service_item_id"] = json!(item);
    let id = app.post("/orders", w.resident.t(), body).await.assert_status(201)["id"]
        .as_i64()
        .unwrap();
    dispatch(app, w, id, json!({"mode": "open"})).await;
    id
}

#[tokio::test]
async fn an_opened_order_is_announced_to_the_volunteers_whose_skills_match_its_menu_item() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let barber = skilled_volunteer(&app, &w, &["上门理发", "按摩"]).await;
    let haircut = menu_item(&app, &w, &["理发"]).await;

    let id = open_order_of_item(&app, &w, haircut).await;
    assert_eq!(notices(&app, &barber, "order_open", id).await.len(), 1);
    for unskilled in [&w.volunteer, &w.other_volunteer] {
        assert!(notices(&app, unskilled, "order_open", id).await.is_empty());
    }

    // Nobody has the skill the item calls for: every volunteer is told rather than nobody.
    let repair = menu_item(&app, &w, &["电脑维修"]).await;
    let id = open_order_of_item(&app, &w, repair).await;
    for volunteer in [&barber, &w.volunteer, &w.other_volunteer] {
        assert_eq!(notices(&app, volunteer, "order_open", id).await.len(), 1);
    }

    // Skills are validated like a volunteer's.
    let too_long = "长".repeat(31);
    app.post(
        "/service-items",
        w.secretary.t(),
        json!({"name": "上门服务", "platform_id": w.platform, "skills": [too_long]}),
    )
    .await
    .assert_problem(422, "VALIDATION_FAILED");
}
