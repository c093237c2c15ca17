//! Check-in codes and windows, check-out, attendance and the hours the record credits.

use chrono::Duration;
use serde_json::{Value, json};

use crate::activities::{body, published, spawn, station, volunteer};
use crate::helpers::*;

#[tokio::test]
async fn check_in_needs_the_current_code_inside_the_window_and_only_once() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::hours(2), 5, json!({}))).await;
    let (_, resident) = app.resident(s.id).await;
    let (_, stranger) = app.resident(s.id).await;
    app.post(&format!("/activities/{id}/signups"), Some(&resident), json!({}))
        .await
        .assert_status(201);
    let checkin = format!("/activities/{id}/checkin");

    // Only the host or staff make codes.
    app.post(&format!("/activities/{id}/checkin-code"), Some(&resident), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");
    let code = app
        .post(
            &format!("/activities/{id}/checkin-code"),
            Some(&s.secretary.1),
            json!({"ttl_minutes": 120}),
        )
        .await;
    let code = code.assert_status(201)["code"].as_str().unwrap().to_owned();

    // More than 30 minutes before the start: closed.
    app.post(&checkin, Some(&resident), json!({"code": code}))
        .await
        .assert_problem(422, "CHECKIN_WINDOW_CLOSED");
    app.clock.advance(Duration::minutes(90));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    app.post(&checkin, Some(&resident), json!({"code": wrong}))
        .await
        .assert_problem(422, "INVALID_CHECKIN_CODE");
    app.post(&checkin, Some(&stranger), json!({"code": code}))
        .await
        .assert_problem(409, "NOT_SIGNED_UP");

    // A new code voids the old one.
    let fresh = app
        .post(
            &format!("/activities/{id}/checkin-code"),
            Some(&s.secretary.1),
            json!({}),
        )
        .await;
    let fresh = fresh.assert_status(201)["code"].as_str().unwrap().to_owned();
    if fresh != code {
        app.post(&checkin, Some(&resident), json!({"code": code}))
            .await
            .assert_problem(422, "INVALID_CHECKIN_CODE");
    }
    let done = app.post(&checkin, Some(&resident), json!({"code": fresh})).await;
    let done = done.assert_status(200);
    assert!(done["checked_in_at"].is_string());
    assert_eq!(done["allowed_actions"], json!(["checkout"]));
    app.post(&checkin, Some(&resident), json!({"code": fresh}))
        .await
        .assert_problem(409, "ALREADY_CHECKED_IN");

    // A code expires after its time (default 10 minutes).
    app.clock.advance(Duration::minutes(11));
    app.post(
        &format!("/activities/{id}/checkout"),
        Some(&resident),
        json!({"code": fresh}),
    )
    .await
    .assert_problem(422, "INVALID_CHECKIN_CODE");

    // After the end check-in is closed.
    app.clock.advance(Duration::hours(3));
    app.post(&checkin, Some(&stranger), json!({"code": fresh}))
        .await
        .assert_problem(422, "CHECKIN_WINDOW_CLOSED");
}

#[tokio::test]
async fn too_many_wrong_codes_are_refused_with_429() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::minutes(10), 5, json!({}))).await;
    let (_, resident) = app.resident(s.id).await;
    app.post(&format!("/activities/{id}/signups"), Some(&resident), json!({}))
        .await
        .assert_status(201);
    app.post(
        &format!("/activities/{id}/checkin-code"),
        Some(&s.secretary.1),
        json!({}),
    )
    .await
    .assert_status(201);
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let reply = app
            .post(
                &format!("/activities/{id}/checkin"),
                Some(&resident),
                json!({"code": "not-a-code"}),
            )
            .await;
        statuses.push(reply.status.as_u16());
        if reply.status == 429 {
            assert!(reply.headers.get("retry-after").is_some());
            reply.assert_problem(429, "TOO_MANY_REQUESTS");
        }
    }
    assert_eq!(&statuses[..5], &[422; 5]);
    assert_eq!(statuses[7], 429, "{statuses:?}");
}

async fn new_code(app: &TestApp, id: i64, host: &str) -> String {
    let reply = app
        .post(
            &format!("/activities/{id}/checkin-code"),
            Some(host),
            json!({"ttl_minutes": 240}),
        )
        .await;
    reply.assert_status(201)["code"].as_str().unwrap().to_owned()
}

fn by_user(list: &Value, user: i64) -> Value {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["user_id"] == json!(user))
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn hours_are_the_overlap_of_check_in_and_out_with_the_activity() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    // Starts in 60 minutes, lasts two hours.
    let id = published(&app, &s, body(&app, &s, Duration::minutes(60), 10, json!({}))).await;
    let (early_id, early) = volunteer(&app, s.id).await;
    let (open_id, open_ended) = volunteer(&app, s.id).await;
    let (late_id, late) = volunteer(&app, s.id).await;
    let (absent_id, absent) = volunteer(&app, s.id).await;
    let (resident_id, resident) = app.resident(s.id).await;
    for token in [&early, &open_ended, &late, &absent, &resident] {
        app.post(&format!("/activities/{id}/signups"), Some(token), json!({}))
            .await
            .assert_status(201);
    }
    let checkin = |token: String, code: String, out: bool| {
        let app = &app;
        async move {
            let path = format!("/activities/{id}/{}", if out { "checkout" } else { "checkin" });
            app.post(&path, Some(&token), json!({"code": code})).await
        }
    };

    // 20 minutes before the start: the early one checks in (counts from the start).
    app.clock.advance(Duration::minutes(40));
    let c = new_code(&app, id, &s.secretary.1).await;
    checkin(early.clone(), c.clone(), false).await.assert_status(200);
    // 30 minutes in: two more check in.
    app.clock.advance(Duration::minutes(50));
    checkin(open_ended.clone(), c.clone(), false).await.assert_status(200);
    checkin(late.clone(), c.clone(), false).await.assert_status(200);
    checkin(resident.clone(), c.clone(), false).await.assert_status(200);
    // 90 minutes in: the early one checks out.
    app.clock.advance(Duration::minutes(60));
    checkin(early.clone(), c.clone(), true).await.assert_status(200);
    // After the end: the late one checks out (counts until the end).
    app.clock.advance(Duration::minutes(60));
    app.post(&format!("/activities/{id}/finish"), Some(&s.secretary.1), json!({}))
        .await
        .assert_status(200);
    checkin(late.clone(), c.clone(), true).await.assert_status(200);
    checkin(late.clone(), c.clone(), true)
        .await
        .assert_problem(409, "ALREADY_CHECKED_OUT");

    let roster = app
        .get(&format!("/activities/{id}/signups"), Some(&s.secretary.1))
        .await;
    let roster = roster.assert_status(200).clone();
    assert_eq!(by_user(&roster, early_id)["minutes"], 90);
    assert_eq!(by_user(&roster, open_id)["minutes"], 90);
    assert_eq!(by_user(&roster, late_id)["minutes"], 90);
    assert_eq!(by_user(&roster, absent_id)["minutes"], 0);

    // Nothing credited before the record confirms attendance.
    let hours = app.get("/me/hours", Some(&early)).await;
    assert_eq!(hours.assert_status(200)["total_minutes"], 0);

    app.put(
        &format!("/activities/{id}/record"),
        Some(&s.director.1),
        json!({"summary": "活动顺利完成", "attendance_confirmed": true}),
    )
    .await
    .assert_status(200);

    let roster = app
        .get(&format!("/activities/{id}/signups"), Some(&s.secretary.1))
        .await;
    let roster = roster.assert_status(200).clone();
    assert_eq!(by_user(&roster, early_id)["attendance"], "attended");
    assert_eq!(by_user(&roster, absent_id)["attendance"], "absent");
    assert_eq!(by_user(&roster, resident_id)["attendance"], "attended");
    for (token, minutes) in [(&early, 90), (&open_ended, 90), (&late, 90), (&absent, 0)] {
        let hours = app.get("/me/hours", Some(token)).await;
        let hours = hours.assert_status(200);
        assert_eq!(hours["total_minutes"], minutes, "{hours}");
        if minutes > 0 {
            assert_eq!(hours["items"][0]["source"], "activity");
            assert_eq!(hours["items"][0]["source_id"], json!(id));
        }
    }
    // A resident without the volunteer role earns no service hours.
    let hours = app.get("/me/hours", Some(&resident)).await;
    assert_eq!(hours.assert_status(200)["total_minutes"], 0);
}
