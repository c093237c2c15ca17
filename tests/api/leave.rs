//! Leave requests: asking, deciding, withdrawing; the training rule; approved leave frees the place.

use chrono::Duration;
use serde_json::json;

use crate::activities::{body, published, spawn, station};

#[tokio::test]
async fn training_leave_needs_a_category_and_the_director_and_frees_the_place() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(
        &app,
        &s,
        body(&app, &s, Duration::days(1), 1, json!({"kind": "training"})),
    )
    .await;
    let (member_id, member) = app.resident(s.id).await;
    let (waiting_id, waiting) = app.resident(s.id).await;
    for token in [&member, &waiting] {
        app.post(&format!("/activities/{id}/signups"), Some(token), json!({}))
            .await
            .assert_status(201);
    }

    let no_category = app
        .post(
            "/leave-requests",
            Some(&member),
            json!({"activity_id": id, "reason": "发烧"}),
        )
        .await;
    no_category.assert_problem(422, "VALIDATION_FAILED");
    assert_eq!(no_category.body["errors"][0]["field"], "reason_category");

    let leave = app
        .post(
            "/leave-requests",
            Some(&member),
            json!({"activity_id": id, "reason": "发烧需就医", "reason_category": "illness"}),
        )
        .await;
    let leave = leave.assert_status(201).clone();
    assert_eq!(leave["status"], "pending");
    assert_eq!(leave["allowed_actions"], json!(["withdraw"]));
    let leave_id = leave["id"].as_i64().unwrap();
    app.post(
        "/leave-requests",
        Some(&member),
        json!({"activity_id": id, "reason": "再次", "reason_category": "illness"}),
    )
    .await
    .assert_problem(409, "LEAVE_ALREADY_REQUESTED");

    // The host (the secretary) and the director are told; the secretary may not decide a training's leave.
    for token in [&s.secretary.1, &s.director.1] {
        let notes = app.get("/notifications", Some(token)).await;
        assert!(notes.text.contains("leave_requested"), "{}", notes.text);
    }
    let listed = app.get("/leave-requests?status=pending", Some(&s.secretary.1)).await;
    assert_eq!(listed.assert_status(200)["total"], 1);
    app.post(
        &format!("/leave-requests/{leave_id}/approve"),
        Some(&s.secretary.1),
        json!({}),
    )
    .await
    .assert_problem(403, "DIRECTOR_REQUIRED");
    app.post(&format!("/leave-requests/{leave_id}/approve"), Some(&member), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");
    let director_view = app.get("/leave-requests", Some(&s.director.1)).await;
    assert_eq!(
        director_view.assert_status(200)["items"][0]["allowed_actions"],
        json!(["approve", "reject"])
    );

    let approved = app
        .post(
            &format!("/leave-requests/{leave_id}/approve"),
            Some(&s.director.1),
            json!({"comment": "注意休息"}),
        )
        .await;
    let approved = approved.assert_status(200);
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["comment"], "注意休息");
    app.post(
        &format!("/leave-requests/{leave_id}/withdraw"),
        Some(&member),
        json!({}),
    )
    .await
    .assert_problem(409, "LEAVE_NOT_PENDING");

    // The place went to the waitlisted person, who is told.
    let roster = app
        .get(&format!("/activities/{id}/signups"), Some(&s.secretary.1))
        .await;
    let roster = roster.assert_status(200);
    let items = roster["items"].as_array().unwrap();
    let of = |user: i64| items.iter().find(|i| i["user_id"] == json!(user)).unwrap();
    assert_eq!(of(waiting_id)["status"], "confirmed");
    assert_eq!(of(member_id)["status"], "cancelled");
    assert_eq!(of(member_id)["leave"], "approved");
    assert_eq!(of(member_id)["attendance"], "excused");
    for (token, kind) in [(&waiting, "signup_promoted"), (&member, "leave_approved")] {
        let notes = app.get("/notifications", Some(token)).await;
        assert!(notes.text.contains(kind), "{}", notes.text);
    }
    let activity = app.get(&format!("/activities/{id}"), None).await;
    assert_eq!(activity.assert_status(200)["confirmed_count"], 1);
}

#[tokio::test]
async fn a_secretary_decides_ordinary_leave_and_the_requester_may_withdraw() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::hours(5), 5, json!({}))).await;
    let (_, member) = app.resident(s.id).await;
    let (_, other) = app.resident(s.id).await;
    app.post(
        "/leave-requests",
        Some(&member),
        json!({"activity_id": id, "reason": "出差"}),
    )
    .await
    .assert_problem(409, "NOT_SIGNED_UP");
    app.post(
        "/leave-requests",
        Some(&member),
        json!({"activity_id": 999_999, "reason": "出差"}),
    )
    .await
    .assert_problem(422, "VALIDATION_FAILED");
    app.post(&format!("/activities/{id}/signups"), Some(&member), json!({}))
        .await
        .assert_status(201);

    let ask = || async {
        let reply = app
            .post(
                "/leave-requests",
                Some(&member),
                json!({"activity_id": id, "reason": "出差"}),
            )
            .await;
        reply.assert_status(201)["id"].as_i64().unwrap()
    };
    let first = ask().await;
    // Someone else cannot see it, let alone withdraw it.
    app.post(&format!("/leave-requests/{first}/withdraw"), Some(&other), json!({}))
        .await
        .assert_problem(404, "NOT_FOUND");
    let own = app.get("/leave-requests", Some(&other)).await;
    assert_eq!(own.assert_status(200)["total"], 0);
    let rejected = app
        .post(
            &format!("/leave-requests/{first}/reject"),
            Some(&s.secretary.1),
            json!({"comment": "人手不足"}),
        )
        .await;
    assert_eq!(rejected.assert_status(200)["status"], "rejected");
    let notes = app.get("/notifications", Some(&member)).await;
    assert!(notes.text.contains("leave_rejected"), "{}", notes.text);

    // A rejected request may be followed by a new one, which the requester withdraws.
    let second = ask().await;
    let withdrawn = app
        .post(&format!("/leave-requests/{second}/withdraw"), Some(&member), json!({}))
        .await;
    assert_eq!(withdrawn.assert_status(200)["status"], "withdrawn");
    app.post(&format!("/leave-requests/{second}/withdraw"), Some(&member), json!({}))
        .await
        .assert_problem(409, "LEAVE_NOT_PENDING");
    let mine = app.get("/leave-requests", Some(&member)).await;
    assert_eq!(mine.assert_status(200)["total"], 2);

    // The sign-up still holds its place; after the start no leave can be asked.
    let activity = app.get(&format!("/activities/{id}"), Some(&member)).await;
    let activity = activity.assert_status(200);
    assert_eq!(activity["my_signup"]["status"], "confirmed");
    assert!(
        activity["allowed_actions"]
            .as_array()
            .unwrap()
            .contains(&json!("ask_leave"))
    );
    app.clock.advance(Duration::hours(5));
    app.post(
        "/leave-requests",
        Some(&member),
        json!({"activity_id": id, "reason": "出差"}),
    )
    .await
    .assert_problem(409, "ACTIVITY_STARTED");
    app.delete(&format!("/activities/{id}/signups/me"), Some(&member))
        .await
        .assert_problem(409, "ACTIVITY_STARTED");
}

#[tokio::test]
async fn approved_leave_makes_the_absence_excused_in_the_record() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let id = published(
        &app,
        &s,
        body(&app, &s, Duration::hours(1), 5, json!({"kind": "meeting"})),
    )
    .await;
    let (excused_id, excused) = app.resident(s.id).await;
    let (absent_id, absent) = app.resident(s.id).await;
    for token in [&excused, &absent] {
        app.post(&format!("/activities/{id}/signups"), Some(token), json!({}))
            .await
            .assert_status(201);
    }
    let leave = app
        .post(
            "/leave-requests",
            Some(&excused),
            json!({"activity_id": id, "reason": "家中有事"}),
        )
        .await;
    let leave = leave.assert_status(201)["id"].as_i64().unwrap();
    app.post(
        &format!("/leave-requests/{leave}/approve"),
        Some(&s.secretary.1),
        json!({}),
    )
    .await
    .assert_status(200);
    app.clock.advance(Duration::hours(4));
    app.post(&format!("/activities/{id}/finish"), Some(&s.secretary.1), json!({}))
        .await
        .assert_status(200);
    app.put(
        &format!("/activities/{id}/record"),
        Some(&s.director.1),
        json!({"summary": "例会", "minutes": "讨论下月计划", "attendance_confirmed": true}),
    )
    .await
    .assert_status(200);
    let roster = app.get(&format!("/activities/{id}/signups"), Some(&s.director.1)).await;
    let roster = roster.assert_status(200);
    let items = roster["items"].as_array().unwrap();
    let of = |user: i64| items.iter().find(|i| i["user_id"] == json!(user)).unwrap();
    assert_eq!(of(excused_id)["attendance"], "excused");
    assert_eq!(of(absent_id)["attendance"], "absent");
}
