//! Issue 8, points 9, 12 (token version) and 13 (reminders, training leave): leave is decided
//! only before the start and never by the requester; a pending request still open at the start
//! expires; role and password changes end old access tokens on the next request; everyone
//! signed up is reminded 24 h and 1 h before the start, exactly once, however many processes
//! sweep.

use chrono::Duration;
use serde_json::{Value, json};

use crate::activities::{Station, body, published, spawn, station};
use crate::helpers::*;

/// Notifications of `kind` the holder of `token` has.
async fn notices(app: &TestApp, token: &str, kind: &str) -> Vec<Value> {
    let reply = app.get("/notifications?page_size=100", Some(token)).await;
    reply.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .cloned()
        .collect()
}

/// Signs `token` up for the activity and asks for leave; returns the leave request id.
async fn sign_up_and_ask_leave(app: &TestApp, activity: i64, token: &str, extra: Value) -> i64 {
    app.post(&format!("/activities/{activity}/signups"), Some(token), json!({}))
        .await
        .assert_status(201);
    let mut request = json!({"activity_id": activity, "reason": "家中有事"});
    if let (Some(request), Some(extra)) = (request.as_object_mut(), extra.as_object()) {
        request.extend(extra.clone());
    }
    let reply = app.post("/leave-requests", Some(token), request).await;
    reply.assert_status(201)["id"].as_i64().unwrap()
}

async fn leave_as(app: &TestApp, token: &str, id: i64) -> Value {
    let reply = app.get("/leave-requests?page_size=100", Some(token)).await;
    reply.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn leave_is_decided_only_before_the_start_and_a_pending_request_expires_at_the_start() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::hours(2), 5, json!({}))).await;
    let (_, member) = app.resident(s.id).await;
    let (_, late) = app.resident(s.id).await;
    let decided = sign_up_and_ask_leave(&app, id, &member, json!({})).await;
    let open = sign_up_and_ask_leave(&app, id, &late, json!({})).await;
    assert_eq!(
        leave_as(&app, &s.secretary.1, decided).await["allowed_actions"],
        json!(["approve", "reject"])
    );

    app.clock.advance(Duration::hours(2) + Duration::minutes(1));
    for action in ["approve", "reject"] {
        app.post(
            &format!("/leave-requests/{decided}/{action}"),
            Some(&s.secretary.1),
            json!({}),
        )
        .await
        .assert_problem(409, "ACTIVITY_STARTED");
    }
    app.post(&format!("/leave-requests/{decided}/withdraw"), Some(&member), json!({}))
        .await
        .assert_problem(409, "ACTIVITY_STARTED");
    // Nobody is offered a decision any more.
    assert_eq!(
        leave_as(&app, &s.secretary.1, decided).await["allowed_actions"],
        json!([])
    );
    assert_eq!(leave_as(&app, &member, decided).await["allowed_actions"], json!([]));

    // The sweep closes both pending requests as expired and tells each requester once.
    let (_, other) = app.second_instance().await;
    app.sweep_both(&other).await;
    app.sweep_both(&other).await;
    for (token, leave) in [(&member, decided), (&late, open)] {
        let row = leave_as(&app, token, leave).await;
        assert_eq!(row["status"], "expired", "{row}");
        assert_eq!(row["allowed_actions"], json!([]));
        let told = notices(&app, token, "leave_expired").await;
        assert_eq!(told.len(), 1, "{told:?}");
        assert_eq!(told[0]["resource_type"], "leave_request");
        assert_eq!(told[0]["resource_id"], json!(leave));
    }
    app.post(
        &format!("/leave-requests/{decided}/approve"),
        Some(&s.director.1),
        json!({}),
    )
    .await
    .assert_problem(409, "LEAVE_NOT_PENDING");
    let expired = app.get("/leave-requests?status=expired", Some(&s.secretary.1)).await;
    assert_eq!(expired.assert_status(200)["total"], 2);
}

#[tokio::test]
async fn a_secretarys_leave_goes_to_the_director_and_nobody_decides_their_own() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::days(1), 5, json!({}))).await;
    let (_, asking_secretary) = app.staff(Some(s.id), &["secretary"]).await;
    let leave = sign_up_and_ask_leave(&app, id, &asking_secretary, json!({})).await;

    // The director is told, as only a director may decide.
    assert_eq!(notices(&app, &s.director.1, "leave_requested").await.len(), 1);
    assert_eq!(
        leave_as(&app, &asking_secretary, leave).await["allowed_actions"],
        json!(["withdraw"])
    );
    app.post(
        &format!("/leave-requests/{leave}/approve"),
        Some(&asking_secretary),
        json!({}),
    )
    .await
    .assert_problem(403, "OWN_LEAVE_REQUEST");
    assert_eq!(
        leave_as(&app, &s.secretary.1, leave).await["allowed_actions"],
        json!([])
    );
    app.post(
        &format!("/leave-requests/{leave}/approve"),
        Some(&s.secretary.1),
        json!({}),
    )
    .await
    .assert_problem(403, "DIRECTOR_REQUIRED");
    assert_eq!(
        leave_as(&app, &s.director.1, leave).await["allowed_actions"],
        json!(["approve", "reject"])
    );
    let approved = app
        .post(
            &format!("/leave-requests/{leave}/approve"),
            Some(&s.director.1),
            json!({}),
        )
        .await;
    assert_eq!(approved.assert_status(200)["status"], "approved");
}

#[tokio::test]
async fn a_directors_leave_goes_to_another_director_or_an_admin() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::days(1), 5, json!({}))).await;
    let leave = sign_up_and_ask_leave(&app, id, &s.director.1, json!({})).await;
    assert_eq!(
        leave_as(&app, &s.director.1, leave).await["allowed_actions"],
        json!(["withdraw"])
    );
    app.post(
        &format!("/leave-requests/{leave}/reject"),
        Some(&s.director.1),
        json!({}),
    )
    .await
    .assert_problem(403, "OWN_LEAVE_REQUEST");
    app.post(
        &format!("/leave-requests/{leave}/reject"),
        Some(&s.secretary.1),
        json!({}),
    )
    .await
    .assert_problem(403, "DIRECTOR_REQUIRED");
    let admin = app.admin_token().await;
    assert_eq!(
        leave_as(&app, &admin, leave).await["allowed_actions"],
        json!(["approve", "reject"])
    );
    // With no other director in the station, the admins are told.
    assert_eq!(notices(&app, &admin, "leave_requested").await.len(), 1);

    let (_, second_director) = app.staff(Some(s.id), &["director"]).await;
    assert_eq!(
        leave_as(&app, &second_director, leave).await["allowed_actions"],
        json!(["approve", "reject"])
    );
    let rejected = app
        .post(
            &format!("/leave-requests/{leave}/reject"),
            Some(&second_director),
            json!({"comment": "当天须主持"}),
        )
        .await;
    assert_eq!(rejected.assert_status(200)["status"], "rejected");
}

#[tokio::test]
async fn the_director_is_told_when_a_training_leave_request_is_submitted() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(
        &app,
        &s,
        body(&app, &s, Duration::days(1), 5, json!({"kind": "training"})),
    )
    .await;
    let (_, member) = app.resident(s.id).await;
    let leave = sign_up_and_ask_leave(&app, id, &member, json!({"reason_category": "illness"})).await;
    let told = notices(&app, &s.director.1, "leave_requested").await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0]["resource_type"], "leave_request");
    assert_eq!(told[0]["resource_id"], json!(leave));
}

/// Logs in; returns (access token, refresh token).
async fn pair(app: &TestApp, phone: &str, password: &str) -> (String, String) {
    let reply = app.login(phone, password).await;
    let body = reply.assert_status(200);
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_role_change_ends_old_access_tokens_on_the_next_request_in_every_process() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let (id, phone) = app.register(s.id, "秘书").await;
    let admin = app.admin_token().await;
    app.put(
        &format!("/users/{id}/roles"),
        Some(&admin),
        json!({"roles": ["secretary"]}),
    )
    .await
    .assert_status(200);
    let (access, refresh) = pair(&app, &phone, PASSWORD).await;
    let (other, _) = app.second_instance().await;
    app.get("/users", Some(&access)).await.assert_status(200);
    app.request_at(&other, reqwest::Method::GET, "/users", Some(&access), None)
        .await
        .assert_status(200);

    // Setting the roles the user already has changes nothing, so it logs nobody out.
    app.put(
        &format!("/users/{id}/roles"),
        Some(&s.director.1),
        json!({"roles": ["secretary"]}),
    )
    .await
    .assert_status(200);
    app.get("/users", Some(&access)).await.assert_status(200);

    app.put(
        &format!("/users/{id}/roles"),
        Some(&s.director.1),
        json!({"roles": ["resident"]}),
    )
    .await
    .assert_status(200);
    app.get("/users", Some(&access))
        .await
        .assert_problem(401, "TOKEN_REVOKED");
    app.request_at(&other, reqwest::Method::GET, "/users", Some(&access), None)
        .await
        .assert_problem(401, "TOKEN_REVOKED");
    // Public reads with the stale token are refused too, rather than served as someone else.
    app.get("/service-items", Some(&access))
        .await
        .assert_problem(401, "TOKEN_REVOKED");

    // A refresh gives a token with the new roles.
    let renewed = app.post("/auth/refresh", None, json!({"refresh_token": refresh})).await;
    let fresh = renewed.assert_status(200)["access_token"].as_str().unwrap().to_owned();
    app.get("/users", Some(&fresh)).await.assert_problem(403, "FORBIDDEN");
    assert_eq!(
        app.get("/me", Some(&fresh)).await.assert_status(200)["roles"],
        json!(["resident"])
    );
}

#[tokio::test]
async fn a_password_change_ends_every_access_token_at_once() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let (_, phone) = app.register(s.id, "甲").await;
    let (first, _) = pair(&app, &phone, PASSWORD).await;
    let (second, _) = pair(&app, &phone, PASSWORD).await;
    app.put(
        "/me/password",
        Some(&first),
        json!({"current_password": PASSWORD, "new_password": "newpass123"}),
    )
    .await
    .assert_status(204);
    for token in [&first, &second] {
        app.get("/me", Some(token)).await.assert_problem(401, "TOKEN_REVOKED");
    }
    let (renewed, _) = pair(&app, &phone, "newpass123").await;
    app.get("/me", Some(&renewed)).await.assert_status(200);
}

/// Registers a resident; returns (id, phone).
async fn person(app: &TestApp, s: &Station) -> (i64, String) {
    app.register(s.id, "居民").await
}

async fn reminders(app: &TestApp, phone: &str) -> Vec<Value> {
    let token = app.token(phone, PASSWORD).await;
    notices(app, &token, "activity_reminder").await
}

#[tokio::test]
async fn everyone_signed_up_is_reminded_a_day_and_an_hour_before_exactly_once_with_two_processes() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::hours(30), 2, json!({}))).await;
    let mut confirmed = Vec::new();
    for _ in 0..2 {
        confirmed.push(person(&app, &s).await);
    }
    let waiting = person(&app, &s).await;
    for (_, phone) in confirmed.iter().chain([&waiting]) {
        let token = app.token(phone, PASSWORD).await;
        app.post(&format!("/activities/{id}/signups"), Some(&token), json!({}))
            .await
            .assert_status(201);
    }
    let (_, other) = app.second_instance().await;

    // 30 hours before: nothing yet.
    app.sweep_both(&other).await;
    assert!(reminders(&app, &confirmed[0].1).await.is_empty());

    // 23 hours before: the day-before reminder, once each, even with both sweeping twice.
    app.clock.advance(Duration::hours(7));
    app.sweep_both(&other).await;
    app.sweep_both(&other).await;
    for (_, phone) in &confirmed {
        let got = reminders(&app, phone).await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0]["resource_type"], "activity");
        assert_eq!(got[0]["resource_id"], json!(id));
    }
    assert!(reminders(&app, &waiting.1).await.is_empty());

    // 30 minutes before: the hour-before reminder, once each.
    app.clock.advance(Duration::hours(22) + Duration::minutes(30));
    app.sweep_both(&other).await;
    app.sweep_both(&other).await;
    for (_, phone) in &confirmed {
        let got = reminders(&app, phone).await;
        assert_eq!(got.len(), 2, "{got:?}");
        assert_ne!(got[0]["title"], got[1]["title"]);
    }
    assert!(reminders(&app, &waiting.1).await.is_empty());

    // After the start nothing more is sent.
    app.clock.advance(Duration::hours(2));
    app.sweep_both(&other).await;
    assert_eq!(reminders(&app, &confirmed[0].1).await.len(), 2);
}

#[tokio::test]
async fn an_activity_first_swept_in_its_last_hour_gets_only_the_hour_reminder() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::minutes(50), 5, json!({}))).await;
    let (_, phone) = person(&app, &s).await;
    let token = app.token(&phone, PASSWORD).await;
    app.post(&format!("/activities/{id}/signups"), Some(&token), json!({}))
        .await
        .assert_status(201);
    wenming::jobs::run_once(&app.state).await.unwrap();
    app.clock.advance(Duration::minutes(5));
    wenming::jobs::run_once(&app.state).await.unwrap();
    let got = reminders(&app, &phone).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0]["title"].as_str().unwrap().contains("1 小时"), "{got:?}");
}
