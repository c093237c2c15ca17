//! Activities: drafting, the director's approval, browsing, sign-ups and the waitlist (with the
//! sign-up rush), check-in, hours and the record.

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// A station with a secretary and a director, and a platform to use.
pub struct Station {
    pub id: i64,
    pub secretary: (i64, String),
    pub director: (i64, String),
    pub platform: i64,
}

pub async fn station(app: &TestApp, name: &str) -> Station {
    let id = app.create_station(name).await;
    let secretary = app.staff(Some(id), &["secretary"]).await;
    let director = app.staff(Some(id), &["director"]).await;
    let platforms = app.get(&format!("/platforms?station_id={id}"), None).await;
    let platform = platforms.assert_status(200)["items"][0]["id"].as_i64().unwrap();
    Station {
        id,
        secretary,
        director,
        platform,
    }
}

/// A test app whose access tokens outlive the clock moves of a test (one day).
pub async fn spawn() -> TestApp {
    spawn_app_with(&[("ACCESS_TOKEN_TTL_SECS", "86400")]).await
}

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

/// A draft body starting in `starts_in` from the app's now, lasting two hours.
pub fn body(app: &TestApp, station: &Station, starts_in: Duration, capacity: i64, extra: Value) -> Value {
    let start = app.clock.now() + starts_in;
    let mut body = json!({
        "title": "重阳节敬老志愿服务",
        "kind": "practice",
        "platform_id": station.platform,
        "description": "为社区老人义诊、理发",
        "location": "社区活动中心",
        "starts_at": ts(start),
        "ends_at": ts(start + Duration::hours(2)),
        "capacity": capacity,
        "audience": "public",
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    body
}

pub async fn draft(app: &TestApp, station: &Station, body: Value) -> i64 {
    let reply = app.post("/activities", Some(&station.secretary.1), body).await;
    reply.assert_status(201)["id"].as_i64().unwrap()
}

/// Drafts, submits and approves; returns the published activity's id.
pub async fn published(app: &TestApp, station: &Station, body: Value) -> i64 {
    let id = draft(app, station, body).await;
    app.post(
        &format!("/activities/{id}/submit"),
        Some(&station.secretary.1),
        json!({}),
    )
    .await
    .assert_status(200);
    let approved = app
        .post(
            &format!("/activities/{id}/approve"),
            Some(&station.director.1),
            json!({}),
        )
        .await;
    assert_eq!(approved.assert_status(200)["status"], "published");
    id
}

/// A resident who also holds the volunteer role; returns (id, fresh token).
pub async fn volunteer(app: &TestApp, station: i64) -> (i64, String) {
    let (id, phone) = app.register(station, "志愿者").await;
    let admin = app.admin_token().await;
    app.put(
        &format!("/users/{id}/roles"),
        Some(&admin),
        json!({"roles": ["volunteer"]}),
    )
    .await
    .assert_status(200);
    (id, app.token(&phone, PASSWORD).await)
}

fn actions(value: &Value) -> Vec<String> {
    value["allowed_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_activity_runs_from_draft_to_archived() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = draft(&app, &s, body(&app, &s, Duration::hours(3), 10, json!({}))).await;
    let sec = &s.secretary.1;

    let got = app.get(&format!("/activities/{id}"), Some(sec)).await;
    let got = got.assert_status(200);
    assert_eq!(got["status"], "draft");
    assert_eq!(got["host_id"], json!(s.secretary.0));
    assert!(actions(got).contains(&"submit".to_owned()));

    app.post(&format!("/activities/{id}/submit"), Some(sec), json!({}))
        .await
        .assert_status(200);
    let published = app
        .post(&format!("/activities/{id}/approve"), Some(&s.director.1), json!({}))
        .await;
    assert_eq!(published.assert_status(200)["status"], "published");

    // Finishing before the start is a state conflict.
    app.post(&format!("/activities/{id}/finish"), Some(sec), json!({}))
        .await
        .assert_problem(409, "ACTIVITY_STATE_CONFLICT");

    // At the start it is ongoing by itself: on read, and persisted by the job sweep.
    app.clock.advance(Duration::hours(3) + Duration::minutes(1));
    let ongoing = app.get(&format!("/activities/{id}"), None).await;
    assert_eq!(ongoing.assert_status(200)["status"], "ongoing");
    let report = wenming::jobs::run_once(&app.state).await.unwrap();
    assert!(report.contains(&("start_activities", 1)), "{report:?}");
    let report = wenming::jobs::run_once(&app.state).await.unwrap();
    assert!(report.contains(&("start_activities", 0)), "{report:?}");

    // A resident may neither finish nor record it.
    let (_, resident) = app.resident(s.id).await;
    app.post(&format!("/activities/{id}/finish"), Some(&resident), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");

    let finished = app
        .post(&format!("/activities/{id}/finish"), Some(sec), json!({}))
        .await;
    assert_eq!(finished.assert_status(200)["status"], "finished");

    // A record without confirmed attendance is saved and the activity stays finished.
    let saved = app
        .put(
            &format!("/activities/{id}/record"),
            Some(sec),
            json!({"summary": "草稿纪要", "attendance_confirmed": false}),
        )
        .await;
    let saved = saved.assert_status(200);
    assert_eq!(saved["status"], "finished");
    assert_eq!(saved["record"]["summary"], "草稿纪要");
    assert_eq!(saved["record"]["attendance_confirmed_at"], Value::Null);
    assert!(actions(saved).contains(&"record".to_owned()));

    // The secretary hosts, so the director confirms attendance (the host may not).
    let record = json!({"summary": "为 32 位老人义诊理发", "minutes": "会议记录", "attendance_confirmed": true});
    let archived = app
        .put(&format!("/activities/{id}/record"), Some(&s.director.1), record.clone())
        .await;
    let archived = archived.assert_status(200);
    assert_eq!(archived["status"], "archived");
    assert_eq!(archived["record"]["summary"], "为 32 位老人义诊理发");
    assert!(archived["record"]["attendance_confirmed_at"].is_string());
    app.put(&format!("/activities/{id}/record"), Some(sec), record)
        .await
        .assert_problem(409, "ACTIVITY_STATE_CONFLICT");
}

#[tokio::test]
async fn only_a_director_of_the_same_station_approves_and_a_rejection_keeps_its_reason() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let other = station(&app, "西湖站").await;
    let id = draft(&app, &s, body(&app, &s, Duration::days(2), 10, json!({}))).await;
    let path = |action: &str| format!("/activities/{id}/{action}");

    // Not yet submitted.
    app.post(&path("approve"), Some(&s.director.1), json!({}))
        .await
        .assert_problem(409, "ACTIVITY_STATE_CONFLICT");
    app.post(&path("submit"), Some(&s.secretary.1), json!({}))
        .await
        .assert_status(200);
    // Submitted drafts are no longer editable.
    app.patch(
        &format!("/activities/{id}"),
        Some(&s.secretary.1),
        json!({"capacity": 20}),
    )
    .await
    .assert_problem(409, "ACTIVITY_STATE_CONFLICT");
    app.post(&path("approve"), Some(&s.secretary.1), json!({}))
        .await
        .assert_problem(403, "DIRECTOR_REQUIRED");
    app.post(&path("approve"), Some(&other.director.1), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");
    let (_, resident) = app.resident(s.id).await;
    app.post(&path("approve"), Some(&resident), json!({}))
        .await
        .assert_problem(404, "NOT_FOUND");
    app.post(&path("reject"), Some(&s.director.1), json!({}))
        .await
        .assert_problem(422, "VALIDATION_FAILED");

    let rejected = app
        .post(&path("reject"), Some(&s.director.1), json!({"reason": "缺少安全预案"}))
        .await;
    let rejected = rejected.assert_status(200);
    assert_eq!(rejected["status"], "draft");
    assert_eq!(rejected["reject_reason"], "缺少安全预案");
    let notes = app.get("/notifications", Some(&s.secretary.1)).await;
    assert!(notes.text.contains("activity_rejected"), "{}", notes.text);

    // Back in draft it is editable again, and the reason stays.
    let edited = app
        .patch(
            &format!("/activities/{id}"),
            Some(&s.secretary.1),
            json!({"capacity": 20}),
        )
        .await;
    let edited = edited.assert_status(200);
    assert_eq!(edited["capacity"], 20);
    assert_eq!(edited["reject_reason"], "缺少安全预案");
    // Staff of another station change nothing here.
    app.patch(
        &format!("/activities/{id}"),
        Some(&other.secretary.1),
        json!({"capacity": 5}),
    )
    .await
    .assert_problem(403, "FORBIDDEN");
    app.post(&path("submit"), Some(&other.secretary.1), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.post(&path("cancel"), Some(&other.secretary.1), json!({"reason": "x"}))
        .await
        .assert_problem(403, "FORBIDDEN");
}

#[tokio::test]
async fn unapproved_activities_are_invisible_to_residents() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = draft(&app, &s, body(&app, &s, Duration::days(2), 10, json!({}))).await;
    let (_, resident) = app.resident(s.id).await;
    app.get(&format!("/activities/{id}"), Some(&resident))
        .await
        .assert_problem(404, "NOT_FOUND");
    app.get(&format!("/activities/{id}"), None)
        .await
        .assert_problem(404, "NOT_FOUND");
    app.post(&format!("/activities/{id}/signups"), Some(&resident), json!({}))
        .await
        .assert_problem(404, "NOT_FOUND");
    let list = app.get("/activities", Some(&resident)).await;
    assert_eq!(list.assert_status(200)["total"], 0);
    // Staff see their drafts with the status filter.
    let drafts = app.get("/activities?status=draft", Some(&s.secretary.1)).await;
    assert_eq!(drafts.assert_status(200)["total"], 1);
}

#[tokio::test]
async fn drafts_are_validated() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let sec = &s.secretary.1;
    let cases = [
        ("ends_at", json!({"ends_at": ts(app.clock.now())})),
        ("platform_id", json!({"platform_id": 999_999})),
        ("host_id", json!({"host_id": 999_999})),
        ("capacity", json!({"capacity": 0})),
        ("title", json!({"title": ""})),
        (
            "signup_closes_at",
            json!({"signup_closes_at": ts(app.clock.now() + Duration::days(5))}),
        ),
    ];
    for (field, extra) in cases {
        let reply = app
            .post("/activities", Some(sec), body(&app, &s, Duration::days(2), 10, extra))
            .await;
        reply.assert_problem(422, "VALIDATION_FAILED");
        assert_eq!(reply.body["errors"][0]["field"], field, "{}", reply.text);
    }
    let (_, resident) = app.resident(s.id).await;
    app.post(
        "/activities",
        Some(&resident),
        body(&app, &s, Duration::days(2), 10, json!({})),
    )
    .await
    .assert_problem(403, "FORBIDDEN");
    // A stand-in host from the station.
    let (host, _) = volunteer(&app, s.id).await;
    let reply = app
        .post(
            "/activities",
            Some(sec),
            body(&app, &s, Duration::days(2), 10, json!({"host_id": host})),
        )
        .await;
    assert_eq!(reply.assert_status(201)["host_id"], json!(host));
    assert!(reply.headers.get("location").is_some());
}

#[tokio::test]
async fn browsing_filters_sorts_and_shows_places_and_my_signup() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let late = published(
        &app,
        &s,
        body(
            &app,
            &s,
            Duration::days(5),
            1,
            json!({"title": "法律咨询", "kind": "lecture"}),
        ),
    )
    .await;
    let early = published(
        &app,
        &s,
        body(
            &app,
            &s,
            Duration::days(1),
            5,
            json!({"title": "敬老义诊", "focus_group": "elderly"}),
        ),
    )
    .await;
    let (_, resident) = app.resident(s.id).await;
    app.post(&format!("/activities/{late}/signups"), Some(&resident), json!({}))
        .await
        .assert_status(201);

    let list = app.get("/activities", Some(&resident)).await;
    let list = list.assert_status(200);
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["id"], json!(early));
    assert_eq!(list["items"][0]["places_left"], 5);
    assert_eq!(list["items"][0]["my_signup"], Value::Null);
    assert_eq!(list["items"][0]["allowed_actions"], json!(["signup"]));
    assert_eq!(list["items"][1]["places_left"], 0);
    assert_eq!(list["items"][1]["my_signup"]["status"], "confirmed");

    let count = |path: String| {
        let app = &app;
        async move { app.get(&path, None).await.assert_status(200)["total"].as_u64().unwrap() }
    };
    assert_eq!(count("/activities?kind=lecture".into()).await, 1);
    assert_eq!(count("/activities?has_places=true".into()).await, 1);
    assert_eq!(count("/activities?focus_group=elderly".into()).await, 1);
    assert_eq!(count("/activities?q=法律".into()).await, 1);
    assert_eq!(count(format!("/activities?station_id={}", s.id)).await, 2);
    assert_eq!(count(format!("/activities?platform_id={}", s.platform)).await, 2);
    let month = (app.clock.now() + Duration::days(1)).format("%Y-%m").to_string();
    assert!(count(format!("/activities?month={month}")).await >= 1);
    assert_eq!(count("/activities?month=1999-01".into()).await, 0);
    assert_eq!(count("/activities?page_size=1".into()).await, 2);
    app.get("/activities?kind=party", None)
        .await
        .assert_problem(400, "INVALID_QUERY");
}

#[tokio::test]
async fn sign_up_respects_audience_window_capacity_and_duplicates() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let other = station(&app, "西湖站").await;
    let (_, resident) = app.resident(s.id).await;
    let (_, outsider) = app.resident(other.id).await;
    let (_, volunteer) = volunteer(&app, s.id).await;

    let volunteers_only = published(
        &app,
        &s,
        body(&app, &s, Duration::days(2), 10, json!({"audience": "volunteers"})),
    )
    .await;
    app.post(
        &format!("/activities/{volunteers_only}/signups"),
        Some(&resident),
        json!({}),
    )
    .await
    .assert_problem(403, "AUDIENCE_NOT_ALLOWED");
    app.post(
        &format!("/activities/{volunteers_only}/signups"),
        Some(&volunteer),
        json!({}),
    )
    .await
    .assert_status(201);

    let members_only = published(
        &app,
        &s,
        body(&app, &s, Duration::days(2), 10, json!({"audience": "members"})),
    )
    .await;
    app.post(
        &format!("/activities/{members_only}/signups"),
        Some(&outsider),
        json!({}),
    )
    .await
    .assert_problem(403, "AUDIENCE_NOT_ALLOWED");
    app.post(
        &format!("/activities/{members_only}/signups"),
        Some(&resident),
        json!({}),
    )
    .await
    .assert_status(201);

    // The window: not open yet, then closed.
    let opens = app.clock.now() + Duration::hours(1);
    let closes = app.clock.now() + Duration::hours(3);
    let windowed = published(
        &app,
        &s,
        body(
            &app,
            &s,
            Duration::hours(6),
            1,
            json!({"signup_opens_at": ts(opens), "signup_closes_at": ts(closes)}),
        ),
    )
    .await;
    let path = format!("/activities/{windowed}/signups");
    app.post(&path, Some(&resident), json!({}))
        .await
        .assert_problem(409, "SIGNUP_CLOSED");
    app.clock.advance(Duration::hours(2));
    let first = app.post(&path, Some(&resident), json!({})).await;
    let first = first.assert_status(201);
    assert_eq!(first["status"], "confirmed");
    assert_eq!(first["position"], Value::Null);
    app.post(&path, Some(&resident), json!({}))
        .await
        .assert_problem(409, "ALREADY_SIGNED_UP");
    let waiting = app.post(&path, Some(&outsider), json!({})).await;
    let waiting = waiting.assert_status(201);
    assert_eq!(waiting["status"], "waitlisted");
    assert_eq!(waiting["position"], 1);
    app.clock.advance(Duration::hours(2));
    app.post(&path, Some(&volunteer), json!({}))
        .await
        .assert_problem(409, "SIGNUP_CLOSED");

    // Drafts and cancelled activities take no sign-ups.
    let cancelled = published(&app, &s, body(&app, &s, Duration::days(3), 10, json!({}))).await;
    app.post(
        &format!("/activities/{cancelled}/cancel"),
        Some(&s.secretary.1),
        json!({"reason": "天气原因"}),
    )
    .await
    .assert_status(200);
    app.post(&format!("/activities/{cancelled}/signups"), Some(&resident), json!({}))
        .await
        .assert_problem(409, "SIGNUP_CLOSED");
    app.post("/activities/999999/signups", Some(&resident), json!({}))
        .await
        .assert_problem(404, "NOT_FOUND");
}

#[tokio::test]
async fn cancelling_a_confirmed_sign_up_promotes_the_earliest_waitlisted_person() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::days(2), 1, json!({}))).await;
    let path = format!("/activities/{id}/signups");
    let (_, a) = app.resident(s.id).await;
    let (b_id, b) = app.resident(s.id).await;
    let (_, c) = app.resident(s.id).await;
    assert_eq!(
        app.post(&path, Some(&a), json!({})).await.assert_status(201)["status"],
        "confirmed"
    );
    assert_eq!(
        app.post(&path, Some(&b), json!({})).await.assert_status(201)["position"],
        1
    );
    assert_eq!(
        app.post(&path, Some(&c), json!({})).await.assert_status(201)["position"],
        2
    );

    app.delete(&format!("{path}/me"), Some(&a)).await.assert_status(204);
    app.delete(&format!("{path}/me"), Some(&a))
        .await
        .assert_problem(409, "NOT_SIGNED_UP");

    let activity = app.get(&format!("/activities/{id}"), Some(&b)).await;
    let activity = activity.assert_status(200);
    assert_eq!(activity["confirmed_count"], 1);
    assert_eq!(activity["waitlisted_count"], 1);
    assert_eq!(activity["my_signup"]["status"], "confirmed");
    let c_view = app.get(&format!("/activities/{id}"), Some(&c)).await;
    assert_eq!(c_view.assert_status(200)["my_signup"]["position"], 1);
    let notes = app.get("/notifications", Some(&b)).await;
    assert!(notes.text.contains("signup_promoted"), "{}", notes.text);

    let roster = app.get(&path, Some(&s.secretary.1)).await;
    let roster = roster.assert_status(200);
    assert_eq!(roster["total"], 3);
    app.get(&path, Some(&c)).await.assert_problem(403, "FORBIDDEN");

    // Signing up again after cancelling joins the end of the queue.
    let again = app.post(&path, Some(&a), json!({})).await;
    let again = again.assert_status(201);
    assert_eq!(again["status"], "waitlisted");
    assert_eq!(again["position"], 2);
    let mine = app.get("/me/signups", Some(&b)).await;
    let mine = mine.assert_status(200);
    assert_eq!(mine["items"][0]["user_id"], json!(b_id));
    assert_eq!(mine["items"][0]["status"], "confirmed");
}

#[tokio::test]
async fn cancelling_an_activity_notifies_everyone_signed_up() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::days(2), 1, json!({}))).await;
    let (_, a) = app.resident(s.id).await;
    let (_, b) = app.resident(s.id).await;
    for token in [&a, &b] {
        app.post(&format!("/activities/{id}/signups"), Some(token), json!({}))
            .await
            .assert_status(201);
    }
    app.post(&format!("/activities/{id}/cancel"), Some(&a), json!({"reason": "x"}))
        .await
        .assert_problem(403, "FORBIDDEN");
    let cancelled = app
        .post(
            &format!("/activities/{id}/cancel"),
            Some(&s.secretary.1),
            json!({"reason": "天气原因"}),
        )
        .await;
    let cancelled = cancelled.assert_status(200);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancel_reason"], "天气原因");
    for token in [&a, &b] {
        let notes = app.get("/notifications", Some(token)).await;
        assert!(notes.text.contains("activity_cancelled"), "{}", notes.text);
    }
    app.post(
        &format!("/activities/{id}/cancel"),
        Some(&s.secretary.1),
        json!({"reason": "x"}),
    )
    .await
    .assert_problem(409, "ACTIVITY_STATE_CONFLICT");
}

#[tokio::test]
async fn the_same_idempotency_key_signs_up_once() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::days(2), 5, json!({}))).await;
    let (_, token) = app.resident(s.id).await;
    let send = || async {
        let response = app
            .client
            .post(app.url(&format!("/activities/{id}/signups")))
            .bearer_auth(&token)
            .header("Idempotency-Key", "signup-1")
            .send()
            .await
            .unwrap();
        into_reply(response).await
    };
    let first = send().await;
    let second = send().await;
    assert_eq!(first.assert_status(201)["id"], second.assert_status(201)["id"]);
    assert_eq!(
        second.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let activity = app.get(&format!("/activities/{id}"), None).await;
    assert_eq!(activity.assert_status(200)["confirmed_count"], 1);
}

/// Registers `n` residents concurrently (50 at a time) and logs them in.
async fn many_residents(app: &TestApp, station: i64, n: usize) -> Vec<String> {
    futures::stream::iter(0..n)
        .map(|_| async move { app.resident(station).await.1 })
        .buffer_unordered(50)
        .collect()
        .await
}

async fn rush(two_processes: bool) {
    const USERS: usize = 1000;
    const CAPACITY: i64 = 100;
    // A thousand requests at once queue for the pool longer than the default fail-fast wait
    // (503 DATABASE_UNAVAILABLE); this test is about the capacity, so they may wait.
    let settings = [
        ("LOGIN_ATTEMPTS_PER_MINUTE", "10000"),
        ("DB_ACQUIRE_TIMEOUT_SECS", "60"),
    ];
    let app = spawn_app_with(&[settings[0], settings[1], ("ACCESS_TOKEN_TTL_SECS", "86400")]).await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::days(2), CAPACITY, json!({}))).await;
    let tokens = many_residents(&app, s.id, USERS).await;
    let second = if two_processes {
        Some(app.spawn_process(&settings).await)
    } else {
        None
    };
    let path = format!("/activities/{id}/signups");
    let app = &app;
    let started = std::time::Instant::now();
    let replies = futures::future::join_all(tokens.iter().enumerate().map(|(i, token)| {
        let base = match (&second, i % 2) {
            (Some(process), 1) => process.address.clone(),
            _ => app.address.clone(),
        };
        let path = path.clone();
        async move {
            app.request_at(&base, Method::POST, &path, Some(token), Some(json!({})))
                .await
        }
    }))
    .await;
    let elapsed = started.elapsed().as_millis();
    let mut confirmed = 0;
    let mut positions = Vec::new();
    for reply in &replies {
        let body = reply.assert_status(201);
        match body["status"].as_str().unwrap() {
            "confirmed" => confirmed += 1,
            "waitlisted" => positions.push(body["position"].as_i64().unwrap()),
            other => panic!("unexpected status {other}"),
        }
    }
    positions.sort_unstable();
    eprintln!(
        "signup rush ({}, {}): users={USERS} capacity={CAPACITY} confirmed={confirmed} waitlisted={} elapsed_ms={elapsed}",
        if app.db.is_postgres() { "postgres" } else { "sqlite" },
        if two_processes { "two processes" } else { "one process" },
        positions.len(),
    );
    assert_eq!(confirmed, CAPACITY);
    assert_eq!(positions, (1..=(USERS as i64 - CAPACITY)).collect::<Vec<_>>());
    let activity = app.get(&format!("/activities/{id}"), None).await;
    let activity = activity.assert_status(200);
    assert_eq!(activity["confirmed_count"], CAPACITY);
    assert_eq!(activity["places_left"], 0);
    assert_eq!(activity["waitlisted_count"], USERS as i64 - CAPACITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_simultaneous_sign_ups_confirm_exactly_the_capacity() {
    rush(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_sign_ups_across_two_processes_confirm_exactly_the_capacity() {
    rush(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_cancellations_promote_each_waitlisted_person_once() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::days(2), 10, json!({}))).await;
    let path = format!("/activities/{id}/signups");
    let tokens = many_residents(&app, s.id, 20).await;
    for token in &tokens {
        app.post(&path, Some(token), json!({})).await.assert_status(201);
    }
    let (confirmed, waiting) = tokens.split_at(10);
    let mine = format!("{path}/me");
    let replies = futures::future::join_all(confirmed.iter().map(|token| app.delete(&mine, Some(token)))).await;
    for reply in replies {
        reply.assert_status(204);
    }
    let activity = app.get(&format!("/activities/{id}"), None).await;
    let activity = activity.assert_status(200);
    assert_eq!(activity["confirmed_count"], 10);
    assert_eq!(activity["waitlisted_count"], 0);
    for token in waiting {
        let mine = app.get(&format!("/activities/{id}"), Some(token)).await;
        assert_eq!(mine.assert_status(200)["my_signup"]["status"], "confirmed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_person_signing_up_twice_at_once_gets_one_sign_up() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::days(2), 10, json!({}))).await;
    let (_, token) = app.resident(s.id).await;
    let path = format!("/activities/{id}/signups");
    let replies = futures::future::join_all((0..5).map(|_| app.post(&path, Some(&token), json!({})))).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1);
    for reply in replies.iter().filter(|r| r.status != 201) {
        reply.assert_problem(409, "ALREADY_SIGNED_UP");
    }
    let activity = app.get(&format!("/activities/{id}"), None).await;
    assert_eq!(activity.assert_status(200)["confirmed_count"], 1);
}
