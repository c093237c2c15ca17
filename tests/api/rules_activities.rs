//! Issue 8 rules for activities: hours stop at the actual finish, one person is in one place,
//! a revived sign-up starts clean, the host does not confirm their own activity, hashed and
//! rotating check-in codes with a geofence, attendance marked by hand, cancelling closes
//! everything, start-time rules and their sweeps, the director told of submissions, 代报名, and
//! the participant's buttons.

use chrono::{DateTime, Duration, Utc};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::activities::{Station, body, draft, published, spawn, station, volunteer};
use crate::helpers::*;

fn actions(value: &Value) -> Vec<String> {
    value["allowed_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

/// A fresh check-in code made by the station's secretary (the default host), with `extra`.
async fn code(app: &TestApp, s: &Station, id: i64, extra: Value) -> String {
    let reply = app
        .post(&format!("/activities/{id}/checkin-code"), Some(&s.secretary.1), extra)
        .await;
    reply.assert_status(201)["code"].as_str().unwrap().to_owned()
}

async fn sign_up(app: &TestApp, id: i64, token: &str) -> Value {
    let reply = app
        .post(&format!("/activities/{id}/signups"), Some(token), json!({}))
        .await;
    reply.assert_status(201).clone()
}

async fn check_in(app: &TestApp, id: i64, token: &str, code: &str) -> Reply {
    app.post(&format!("/activities/{id}/checkin"), Some(token), json!({"code": code}))
        .await
}

async fn notifications(app: &TestApp, token: &str) -> Vec<Value> {
    let reply = app.get("/notifications?page_size=100", Some(token)).await;
    reply.assert_status(200)["items"].as_array().unwrap().clone()
}

/// The sign-ups of an activity as its secretary sees them.
async fn signups(app: &TestApp, s: &Station, id: i64) -> Vec<Value> {
    let reply = app
        .get(&format!("/activities/{id}/signups"), Some(&s.secretary.1))
        .await;
    reply.assert_status(200)["items"].as_array().unwrap().clone()
}

async fn activity(app: &TestApp, id: i64, token: &str) -> Value {
    app.get(&format!("/activities/{id}"), Some(token))
        .await
        .assert_status(200)
        .clone()
}

fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

/// At the start of the activity `id` (one hour away), `who` checks in with a fresh code; after
/// `stay` the secretary finishes the activity.
async fn attend_then_finish(app: &TestApp, s: &Station, id: i64, who: &str, stay: Duration) {
    app.clock.advance(Duration::hours(1));
    let c = code(app, s, id, json!({"ttl_minutes": 60})).await;
    check_in(app, id, who, &c).await.assert_status(200);
    app.clock.advance(stay);
    app.post(&format!("/activities/{id}/finish"), Some(&s.secretary.1), json!({}))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn finishing_early_credits_only_the_time_until_the_actual_finish() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::hours(1), 5, json!({}))).await;
    let (_, vol) = volunteer(&app, s.id).await;
    sign_up(&app, id, &vol).await;

    // The two-hour activity is finished after one hour; nobody checks out.
    attend_then_finish(&app, &s, id, &vol, Duration::hours(1)).await;
    app.put(
        &format!("/activities/{id}/record"),
        Some(&s.director.1),
        json!({"summary": "提前结束", "attendance_confirmed": true}),
    )
    .await
    .assert_status(200);

    let list = signups(&app, &s, id).await;
    assert_eq!(list[0]["minutes"], json!(60));
    assert_eq!(list[0]["attendance"], json!("attended"));
    let hours = app.get("/me/hours", Some(&vol)).await;
    assert_eq!(hours.assert_status(200)["total_minutes"], json!(60));
}

#[tokio::test]
async fn the_host_saves_the_record_but_another_staff_member_confirms_attendance() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    // The secretary hosts (the default): the director confirms.
    let id = published(&app, &s, body(&app, &s, Duration::hours(1), 5, json!({}))).await;
    let (_, vol) = volunteer(&app, s.id).await;
    sign_up(&app, id, &vol).await;
    attend_then_finish(&app, &s, id, &vol, Duration::hours(2)).await;

    let host_view = activity(&app, id, &s.secretary.1).await;
    assert!(actions(&host_view).contains(&"record".to_owned()));
    assert!(!actions(&host_view).contains(&"confirm_attendance".to_owned()));
    app.put(
        &format!("/activities/{id}/record"),
        Some(&s.secretary.1),
        json!({"summary": "纪要", "attendance_confirmed": true}),
    )
    .await
    .assert_problem(403, "HOST_CANNOT_CONFIRM");
    // Nothing was credited by the refused confirmation.
    let hours = app.get("/me/hours", Some(&vol)).await;
    assert_eq!(hours.assert_status(200)["total_minutes"], json!(0));

    // The host may save the record without confirming; it stays finished.
    let saved = app
        .put(
            &format!("/activities/{id}/record"),
            Some(&s.secretary.1),
            json!({"summary": "纪要", "attendance_confirmed": false}),
        )
        .await;
    assert_eq!(saved.assert_status(200)["status"], json!("finished"));

    let director_view = activity(&app, id, &s.director.1).await;
    assert!(actions(&director_view).contains(&"confirm_attendance".to_owned()));
    let confirmed = app
        .put(
            &format!("/activities/{id}/record"),
            Some(&s.director.1),
            json!({"summary": "纪要", "attendance_confirmed": true}),
        )
        .await;
    assert_eq!(confirmed.assert_status(200)["status"], json!("archived"));
    let hours = app.get("/me/hours", Some(&vol)).await;
    assert_eq!(hours.assert_status(200)["total_minutes"], json!(120));

    // A stand-in host (not staff) may not confirm either; the secretary then may.
    let (host_id, host_phone) = app.register(s.id, "代主持").await;
    let host = app.token(&host_phone, PASSWORD).await;
    let other = published(
        &app,
        &s,
        body(&app, &s, Duration::hours(1), 5, json!({"host_id": host_id})),
    )
    .await;
    app.clock.advance(Duration::hours(1));
    app.post(&format!("/activities/{other}/finish"), Some(&host), json!({}))
        .await
        .assert_status(200);
    app.put(
        &format!("/activities/{other}/record"),
        Some(&host),
        json!({"summary": "纪要", "attendance_confirmed": true}),
    )
    .await
    .assert_problem(403, "HOST_CANNOT_CONFIRM");
    app.put(
        &format!("/activities/{other}/record"),
        Some(&s.secretary.1),
        json!({"summary": "纪要", "attendance_confirmed": true}),
    )
    .await
    .assert_status(200);
}

#[tokio::test]
async fn a_staff_member_who_attended_does_not_confirm_their_own_hours() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::hours(1), 5, json!({}))).await;
    // The director takes part; the secretary hosts; a second secretary confirms.
    sign_up(&app, id, &s.director.1).await;
    attend_then_finish(&app, &s, id, &s.director.1, Duration::hours(2)).await;

    let view = activity(&app, id, &s.director.1).await;
    assert!(!actions(&view).contains(&"confirm_attendance".to_owned()));
    let record = json!({"summary": "纪要", "attendance_confirmed": true});
    app.put(&format!("/activities/{id}/record"), Some(&s.director.1), record.clone())
        .await
        .assert_problem(403, "OWN_ATTENDANCE");
    let (_, other_secretary) = app.staff(Some(s.id), &["secretary"]).await;
    let view = activity(&app, id, &other_secretary).await;
    assert!(actions(&view).contains(&"confirm_attendance".to_owned()));
    app.put(&format!("/activities/{id}/record"), Some(&other_secretary), record)
        .await
        .assert_status(200);
}

#[tokio::test]
async fn a_person_checked_in_elsewhere_at_the_same_time_cannot_sign_up_or_check_in() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    // A: 1h..3h; B: 2h..4h; C: 2h30..3h30 (all overlap A); D: 5h..6h (does not).
    let a = published(&app, &s, body(&app, &s, Duration::hours(1), 5, json!({}))).await;
    let b = published(&app, &s, body(&app, &s, Duration::hours(2), 5, json!({}))).await;
    let c = published(&app, &s, body(&app, &s, Duration::minutes(150), 5, json!({}))).await;
    let d = published(&app, &s, body(&app, &s, Duration::hours(5), 5, json!({}))).await;
    let (_, vol) = volunteer(&app, s.id).await;
    sign_up(&app, a, &vol).await;
    sign_up(&app, b, &vol).await;

    app.clock.advance(Duration::hours(1));
    let code_a = code(&app, &s, a, json!({"ttl_minutes": 240})).await;
    check_in(&app, a, &vol, &code_a).await.assert_status(200);

    app.clock.advance(Duration::minutes(40));
    let code_b = code(&app, &s, b, json!({"ttl_minutes": 240})).await;
    check_in(&app, b, &vol, &code_b)
        .await
        .assert_problem(409, "SCHEDULE_CONFLICT");
    app.post(&format!("/activities/{c}/signups"), Some(&vol), json!({}))
        .await
        .assert_problem(409, "SCHEDULE_CONFLICT");
    // An activity at another time is fine.
    sign_up(&app, d, &vol).await;

    // Once checked out of A, B is open to them.
    app.post(
        &format!("/activities/{a}/checkout"),
        Some(&vol),
        json!({"code": code_a}),
    )
    .await
    .assert_status(200);
    check_in(&app, b, &vol, &code_b).await.assert_status(200);
}

#[tokio::test]
async fn a_revived_sign_up_starts_clean_and_a_check_in_cannot_be_cancelled_away() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::hours(1), 1, json!({}))).await;
    let (_, first) = app.resident(s.id).await;
    let (_, second) = app.resident(s.id).await;
    sign_up(&app, id, &first).await;
    let waiting = sign_up(&app, id, &second).await;
    assert_eq!(waiting["status"], json!("waitlisted"));

    // The waitlisted person cancels and signs up again (still waitlisted), with no leftovers.
    app.delete(&format!("/activities/{id}/signups/me"), Some(&second))
        .await
        .assert_status(204);
    let again = sign_up(&app, id, &second).await;
    assert_eq!(again["status"], json!("waitlisted"));

    // The first person checks in early; a check-in cannot be cancelled (it would survive into a
    // revived sign-up): they check out instead.
    app.clock.advance(Duration::minutes(40));
    let c = code(&app, &s, id, json!({"ttl_minutes": 60})).await;
    check_in(&app, id, &first, &c).await.assert_status(200);
    app.delete(&format!("/activities/{id}/signups/me"), Some(&first))
        .await
        .assert_problem(409, "ALREADY_CHECKED_IN");

    // A person who asked for leave, cancels and is promoted again starts with nothing of it.
    let other = published(&app, &s, body(&app, &s, Duration::hours(3), 1, json!({}))).await;
    let (_, third) = app.resident(s.id).await;
    sign_up(&app, other, &second).await;
    sign_up(&app, other, &third).await;
    app.post(
        "/leave-requests",
        Some(&second),
        json!({"activity_id": other, "reason": "临时加班"}),
    )
    .await
    .assert_status(201);
    app.delete(&format!("/activities/{other}/signups/me"), Some(&second))
        .await
        .assert_status(204);
    let revived = sign_up(&app, other, &second).await;
    assert_eq!(revived["status"], json!("waitlisted"));
    app.delete(&format!("/activities/{other}/signups/me"), Some(&third))
        .await
        .assert_status(204);
    let mine = activity(&app, other, &second).await;
    let my = &mine["my_signup"];
    assert_eq!(my["status"], json!("confirmed"));
    assert_eq!(my["leave"], Value::Null);
    assert_eq!(my["checked_in_at"], Value::Null);
    assert_eq!(my["checked_out_at"], Value::Null);
}

#[tokio::test]
async fn check_in_codes_are_stored_hashed_rotate_and_may_carry_a_geofence() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::minutes(20), 5, json!({}))).await;
    let (_, vol) = volunteer(&app, s.id).await;
    sign_up(&app, id, &vol).await;

    // Only a hash of the code is kept.
    let plain = code(&app, &s, id, json!({})).await;
    let stored = entity::activity::Entity::find_by_id(i32::try_from(id).unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let hash = stored.checkin_code_hash.unwrap();
    assert_eq!(hash.len(), 64);
    assert!(!hash.contains(&plain));

    // A geofence needs all three parts.
    app.post(
        &format!("/activities/{id}/checkin-code"),
        Some(&s.secretary.1),
        json!({"latitude": 30.5928, "longitude": 114.3055}),
    )
    .await
    .assert_problem(422, "VALIDATION_FAILED");

    // A new code (with a 200 m geofence) replaces the old one.
    let fenced = loop {
        let reply = app
            .post(
                &format!("/activities/{id}/checkin-code"),
                Some(&s.secretary.1),
                json!({"latitude": 30.5928, "longitude": 114.3055, "radius_m": 200}),
            )
            .await;
        let reply = reply.assert_status(201);
        assert_eq!(reply["geofence"]["radius_m"], json!(200));
        let fresh = reply["code"].as_str().unwrap().to_owned();
        if fresh != plain {
            break fresh;
        }
    };
    let checkin = format!("/activities/{id}/checkin");
    app.post(
        &checkin,
        Some(&vol),
        json!({"code": plain, "latitude": 30.5928, "longitude": 114.3055}),
    )
    .await
    .assert_problem(422, "INVALID_CHECKIN_CODE");
    // With a geofence the position is required, and must lie inside it (about 1 km off here).
    app.post(&checkin, Some(&vol), json!({"code": fenced}))
        .await
        .assert_problem(422, "LOCATION_REQUIRED");
    app.post(
        &checkin,
        Some(&vol),
        json!({"code": fenced, "latitude": 30.6018, "longitude": 114.3055}),
    )
    .await
    .assert_problem(422, "OUTSIDE_GEOFENCE");
    let inside = app
        .post(
            &checkin,
            Some(&vol),
            json!({"code": fenced, "latitude": 30.5935, "longitude": 114.3060}),
        )
        .await;
    let inside = inside.assert_status(200);
    assert!(inside["checked_in_at"].is_string());
    assert_eq!(inside["manual"], json!(false));
}

#[tokio::test]
async fn the_host_marks_a_person_without_a_phone_present_and_it_shows_as_manual() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::hours(1), 5, json!({}))).await;
    let (elder_id, _) = app.resident(s.id).await;
    let (_, stranger) = app.resident(s.id).await;
    let proxy = app
        .post(
            &format!("/activities/{id}/signups"),
            Some(&s.secretary.1),
            json!({"user_id": elder_id}),
        )
        .await;
    let signup_id = proxy.assert_status(201)["id"].as_i64().unwrap();
    let mark = format!("/activities/{id}/signups/{signup_id}/checkin");

    // Not before the window; not by a resident.
    app.post(&mark, Some(&s.secretary.1), json!({}))
        .await
        .assert_problem(422, "CHECKIN_WINDOW_CLOSED");
    app.clock.advance(Duration::hours(1));
    app.post(&mark, Some(&stranger), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");
    let marked = app.post(&mark, Some(&s.secretary.1), json!({})).await;
    let marked = marked.assert_status(200);
    assert_eq!(marked["manual"], json!(true));
    assert_eq!(marked["marked_by"], json!(s.secretary.0));
    assert!(marked["checked_in_at"].is_string());
    app.post(&mark, Some(&s.secretary.1), json!({}))
        .await
        .assert_problem(409, "ALREADY_CHECKED_IN");

    app.clock.advance(Duration::hours(2));
    app.post(&format!("/activities/{id}/finish"), Some(&s.secretary.1), json!({}))
        .await
        .assert_status(200);
    app.put(
        &format!("/activities/{id}/record"),
        Some(&s.director.1),
        json!({"summary": "纪要", "attendance_confirmed": true}),
    )
    .await
    .assert_status(200);
    let list = signups(&app, &s, id).await;
    assert_eq!(list[0]["attendance"], json!("attended"));
    assert_eq!(list[0]["manual"], json!(true));
    assert_eq!(list[0]["marked_by"], json!(s.secretary.0));
}

#[tokio::test]
async fn cancelling_an_activity_cancels_sign_ups_waitlist_and_pending_leave_with_the_reason() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::days(1), 1, json!({}))).await;
    let (_, holder) = app.resident(s.id).await;
    let (_, waiting) = app.resident(s.id).await;
    sign_up(&app, id, &holder).await;
    assert_eq!(sign_up(&app, id, &waiting).await["status"], json!("waitlisted"));
    let leave = app
        .post(
            "/leave-requests",
            Some(&holder),
            json!({"activity_id": id, "reason": "出差"}),
        )
        .await;
    leave.assert_status(201);

    let cancelled = app
        .post(
            &format!("/activities/{id}/cancel"),
            Some(&s.secretary.1),
            json!({"reason": "场地临时维修"}),
        )
        .await;
    let cancelled = cancelled.assert_status(200);
    assert_eq!(cancelled["status"], json!("cancelled"));
    assert_eq!(cancelled["confirmed_count"], json!(0));
    assert_eq!(cancelled["waitlisted_count"], json!(0));

    for token in [&holder, &waiting] {
        let mine = app.get("/me/signups", Some(token)).await;
        assert_eq!(mine.assert_status(200)["items"][0]["status"], json!("cancelled"));
        let notes = notifications(&app, token).await;
        assert!(
            notes.iter().any(|n| n["kind"] == json!("activity_cancelled")
                && n["body"].as_str().unwrap().contains("场地临时维修")
                && n["resource_id"] == json!(id)),
            "{notes:?}"
        );
    }
    let leaves = app.get("/leave-requests", Some(&holder)).await;
    assert_eq!(leaves.assert_status(200)["items"][0]["status"], json!("cancelled"));
}

#[tokio::test]
async fn activities_cannot_be_created_moved_or_approved_with_a_start_in_the_past() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let past = app
        .post(
            "/activities",
            Some(&s.secretary.1),
            body(&app, &s, -Duration::hours(1), 5, json!({})),
        )
        .await;
    past.assert_problem(422, "VALIDATION_FAILED");
    assert_eq!(past.body["errors"][0]["field"], json!("starts_at"));

    let id = draft(&app, &s, body(&app, &s, Duration::hours(1), 5, json!({}))).await;
    let earlier = app.clock.now() - Duration::minutes(5);
    let moved = app
        .patch(
            &format!("/activities/{id}"),
            Some(&s.secretary.1),
            json!({"starts_at": earlier.to_rfc3339(), "ends_at": (earlier + Duration::hours(1)).to_rfc3339()}),
        )
        .await;
    moved.assert_problem(422, "VALIDATION_FAILED");

    app.post(&format!("/activities/{id}/submit"), Some(&s.secretary.1), json!({}))
        .await
        .assert_status(200);
    app.clock.advance(Duration::minutes(61));
    app.post(&format!("/activities/{id}/approve"), Some(&s.director.1), json!({}))
        .await
        .assert_problem(409, "ACTIVITY_START_PASSED");
}

#[tokio::test]
async fn the_sweep_cancels_unapproved_activities_at_their_start_and_finishes_forgotten_ones_once() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let pending = draft(&app, &s, body(&app, &s, Duration::hours(1), 5, json!({}))).await;
    app.post(
        &format!("/activities/{pending}/submit"),
        Some(&s.secretary.1),
        json!({}),
    )
    .await
    .assert_status(200);
    let running = published(&app, &s, body(&app, &s, Duration::hours(1), 5, json!({}))).await;

    app.clock.advance(Duration::minutes(61));
    // Two server instances sweep at once: each activity changes, and its creator is told,
    // exactly once.
    let (_, other) = app.second_instance().await;
    let reports = app.sweep_both(&other).await;
    assert_eq!(changed_by(&reports, "activities_cancel_unapproved"), 1);
    let gone = activity(&app, pending, &s.secretary.1).await;
    assert_eq!(gone["status"], json!("cancelled"));
    assert!(!gone["cancel_reason"].as_str().unwrap().is_empty());
    let told = notifications(&app, &s.secretary.1)
        .await
        .into_iter()
        .filter(|n| n["kind"] == json!("activity_cancelled") && n["resource_id"] == json!(pending))
        .count();
    assert_eq!(told, 1);

    // Ongoing past its end: finished only after the grace (12 h by default), at its end.
    app.clock.advance(Duration::hours(2) + Duration::hours(11));
    wenming::jobs::run_once(&app.state).await.unwrap();
    assert_eq!(
        activity(&app, running, &s.secretary.1).await["status"],
        json!("ongoing")
    );
    app.clock.advance(Duration::hours(1));
    let reports = app.sweep_both(&other).await;
    assert_eq!(changed_by(&reports, "activities_finish_overdue"), 1);
    let done = activity(&app, running, &s.secretary.1).await;
    assert_eq!(done["status"], json!("finished"));
    assert_eq!(at(&done["finished_at"]), at(&done["ends_at"]));
}

#[tokio::test]
async fn the_directors_are_told_when_an_activity_is_submitted() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = draft(&app, &s, body(&app, &s, Duration::days(2), 5, json!({}))).await;
    app.post(&format!("/activities/{id}/submit"), Some(&s.secretary.1), json!({}))
        .await
        .assert_status(200);
    let notes = notifications(&app, &s.director.1).await;
    assert!(
        notes.iter().any(|n| n["kind"] == json!("activity_submitted")
            && n["resource_type"] == json!("activity")
            && n["resource_id"] == json!(id)),
        "{notes:?}"
    );
    let own = notifications(&app, &s.secretary.1).await;
    assert!(!own.iter().any(|n| n["kind"] == json!("activity_submitted")));
}

#[tokio::test]
async fn staff_sign_up_a_resident_without_a_phone_under_the_same_rules() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let other = station(&app, "西湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::days(1), 1, json!({}))).await;
    let (elder_id, elder_phone) = app.register(s.id, "无手机老人").await;
    let (neighbour_id, neighbour) = app.resident(s.id).await;
    let (outsider_id, _) = app.resident(other.id).await;
    let path = format!("/activities/{id}/signups");

    let made = app
        .post(&path, Some(&s.secretary.1), json!({"user_id": elder_id}))
        .await;
    let made = made.assert_status(201);
    assert_eq!(made["user_id"], json!(elder_id));
    assert_eq!(made["status"], json!("confirmed"));
    assert_eq!(made["proxy"], json!(true));
    assert_eq!(made["signed_up_by"], json!(s.secretary.0));
    app.post(&path, Some(&s.secretary.1), json!({"user_id": elder_id}))
        .await
        .assert_problem(409, "ALREADY_SIGNED_UP");
    // Only staff of the station sign others up, and only users of the station.
    app.post(&path, Some(&neighbour), json!({"user_id": elder_id}))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.post(&path, Some(&other.secretary.1), json!({"user_id": neighbour_id}))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.post(&path, Some(&s.secretary.1), json!({"user_id": outsider_id}))
        .await
        .assert_problem(422, "VALIDATION_FAILED");
    // Capacity holds: the next one waits.
    let waiting = app
        .post(&path, Some(&s.director.1), json!({"user_id": neighbour_id}))
        .await;
    assert_eq!(waiting.assert_status(201)["status"], json!("waitlisted"));

    let elder = app.token(&elder_phone, PASSWORD).await;
    let notes = notifications(&app, &elder).await;
    assert!(
        notes
            .iter()
            .any(|n| n["kind"] == json!("signup_by_staff") && n["resource_id"] == json!(id)),
        "{notes:?}"
    );
    let list = signups(&app, &s, id).await;
    assert_eq!(list[0]["proxy"], json!(true));
    assert_eq!(list[1]["proxy"], json!(true));
    // The resident sees it as their own sign-up.
    let mine = activity(&app, id, &elder).await;
    assert_eq!(mine["my_signup"]["status"], json!("confirmed"));
}

#[tokio::test]
async fn participant_buttons_match_what_the_server_allows() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::hours(2), 1, json!({}))).await;
    let (_, first) = app.resident(s.id).await;
    let (_, second) = app.resident(s.id).await;
    sign_up(&app, id, &first).await;
    sign_up(&app, id, &second).await;

    // Waitlisted: may cancel, may not ask for leave (and the server agrees).
    let waiting = actions(&activity(&app, id, &second).await);
    assert!(waiting.contains(&"cancel_signup".to_owned()));
    assert!(!waiting.contains(&"ask_leave".to_owned()));
    app.post(
        "/leave-requests",
        Some(&second),
        json!({"activity_id": id, "reason": "有事"}),
    )
    .await
    .assert_problem(409, "NOT_CONFIRMED");

    // After cancelling, `signup` is offered again, and signing up works.
    app.delete(&format!("/activities/{id}/signups/me"), Some(&first))
        .await
        .assert_status(204);
    let cancelled = actions(&activity(&app, id, &first).await);
    assert!(cancelled.contains(&"signup".to_owned()), "{cancelled:?}");
    assert_eq!(sign_up(&app, id, &first).await["status"], json!("waitlisted"));

    // Checked in: no `cancel_signup` (and the server refuses it).
    app.clock.advance(Duration::minutes(100));
    let c = code(&app, &s, id, json!({"ttl_minutes": 60})).await;
    check_in(&app, id, &second, &c).await.assert_status(200);
    let checked_in = actions(&activity(&app, id, &second).await);
    assert!(!checked_in.contains(&"cancel_signup".to_owned()), "{checked_in:?}");
    assert!(checked_in.contains(&"checkout".to_owned()));
    app.delete(&format!("/activities/{id}/signups/me"), Some(&second))
        .await
        .assert_problem(409, "ALREADY_CHECKED_IN");
}
