//! Issue 8 rules for service hours: the same minutes count once (activities and orders credit
//! the union), corrections never go below zero, nobody corrects their own hours, and large
//! corrections need the director.

use chrono::Duration;
use serde_json::{Value, json};

use crate::activities::{Station, body, published};
use crate::helpers::*;
use crate::orders::{World, account, order_in, place, world};

async fn total(app: &TestApp, token: Option<&str>) -> Value {
    let reply = app.get("/me/hours", token).await;
    reply.assert_status(200)["total_minutes"].clone()
}

fn correction(volunteer: i64, minutes: i64, order_id: Option<i64>) -> Value {
    json!({"volunteer_id": volunteer, "minutes": minutes, "reason": "核对台账", "order_id": order_id})
}

#[tokio::test]
async fn minutes_served_on_an_order_during_an_activity_are_credited_once() {
    let app = crate::activities::spawn().await;
    let w: World = world(&app).await;
    let director = account(&app, Some(w.station), &["director"]).await;
    let s = Station {
        id: w.station,
        secretary: (w.secretary.id, w.secretary.token.clone()),
        director: (director.id, director.token.clone()),
        platform: w.platform,
    };
    // The activity runs from t+2h to t+4h.
    let activity = published(&app, &s, body(&app, &s, Duration::hours(2), 5, json!({}))).await;
    app.post(&format!("/activities/{activity}/signups"), w.volunteer.t(), json!({}))
        .await
        .assert_status(201);
    let order = place(&app, &w).await;
    for (who, action) in [(&w.secretary, "dispatch"), (&w.volunteer, "accept")] {
        let body = if action == "dispatch" {
            json!({"mode": "volunteer", "volunteer_id": w.volunteer.id})
        } else {
            json!({})
        };
        app.post(&format!("/orders/{order}/{action}"), who.t(), body)
            .await
            .assert_status(200);
    }

    app.clock.advance(Duration::hours(2));
    let code = app
        .post(
            &format!("/activities/{activity}/checkin-code"),
            w.secretary.t(),
            json!({"ttl_minutes": 60}),
        )
        .await;
    let code = code.assert_status(201)["code"].as_str().unwrap().to_owned();
    app.post(
        &format!("/activities/{activity}/checkin"),
        w.volunteer.t(),
        json!({"code": code}),
    )
    .await
    .assert_status(200);

    // The order is reported at t+3h as 120 minutes: t+1h..t+3h, half of it during the activity.
    app.post(&format!("/orders/{order}/start"), w.volunteer.t(), json!({}))
        .await
        .assert_status(200);
    app.clock.advance(Duration::hours(1));
    app.post(
        &format!("/orders/{order}/complete"),
        w.volunteer.t(),
        json!({"summary": "已送药", "service_minutes": 120}),
    )
    .await
    .assert_status(200);
    app.post(&format!("/orders/{order}/rate"), w.resident.t(), json!({"stars": 5}))
        .await
        .assert_status(200);
    assert_eq!(total(&app, w.volunteer.t()).await, json!(120));

    app.clock.advance(Duration::hours(1));
    app.post(&format!("/activities/{activity}/finish"), w.secretary.t(), json!({}))
        .await
        .assert_status(200);
    app.put(
        &format!("/activities/{activity}/record"),
        director.t(),
        json!({"summary": "纪要", "attendance_confirmed": true}),
    )
    .await
    .assert_status(200);

    // t+1h..t+4h is three hours, not four.
    let hours = app.get("/me/hours", w.volunteer.t()).await;
    let hours = hours.assert_status(200);
    assert_eq!(hours["total_minutes"], json!(180));
    let entry = hours["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["source"] == json!("activity"))
        .unwrap();
    assert_eq!(entry["minutes"], json!(60));
    assert!(entry["starts_at"].is_string() && entry["ends_at"].is_string());
    // The attendance itself still shows the two hours served at the activity.
    let list = app
        .get(&format!("/activities/{activity}/signups"), w.secretary.t())
        .await;
    assert_eq!(list.assert_status(200)["items"][0]["minutes"], json!(120));
}

#[tokio::test]
async fn a_correction_never_takes_the_total_or_an_orders_credit_below_zero() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let order = order_in(&app, &w, "rated").await; // 90 minutes
    let vol = w.volunteer.id;

    let below = app
        .post(
            "/hours/corrections",
            w.secretary.t(),
            correction(vol, -100, Some(order)),
        )
        .await;
    below.assert_problem(422, "HOURS_BELOW_ZERO");
    assert!(below.body["detail"].as_str().unwrap().contains("-10"), "{}", below.text);
    assert_eq!(below.body["errors"][0]["field"], json!("minutes"));
    app.post("/hours/corrections", w.secretary.t(), correction(vol, -100, None))
        .await
        .assert_problem(422, "HOURS_BELOW_ZERO");

    // With more hours elsewhere the total could bear it, but the order's credit could not.
    app.post("/hours/corrections", w.secretary.t(), correction(vol, 60, None))
        .await
        .assert_status(201);
    app.post(
        "/hours/corrections",
        w.secretary.t(),
        correction(vol, -100, Some(order)),
    )
    .await
    .assert_problem(422, "HOURS_BELOW_ZERO");
    assert_eq!(total(&app, w.volunteer.t()).await, json!(150));

    // Two corrections at once that together would go below zero: one of them is refused.
    let replies = futures::future::join_all([
        app.post("/hours/corrections", w.secretary.t(), correction(vol, -100, None)),
        app.post("/hours/corrections", w.secretary.t(), correction(vol, -100, None)),
    ])
    .await;
    let created = replies.iter().filter(|r| r.status.as_u16() == 201).count();
    assert_eq!(created, 1, "{replies:?}");
    for refused in replies.iter().filter(|r| r.status.as_u16() != 201) {
        refused.assert_problem(422, "HOURS_BELOW_ZERO");
    }
    assert_eq!(total(&app, w.volunteer.t()).await, json!(50));
}

#[tokio::test]
async fn nobody_corrects_their_own_hours_and_large_corrections_need_the_director() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let director = account(&app, Some(w.station), &["director"]).await;
    let secretary_volunteer = account(&app, Some(w.station), &["secretary", "volunteer"]).await;
    let vol = w.volunteer.id;

    app.post(
        "/hours/corrections",
        secretary_volunteer.t(),
        correction(secretary_volunteer.id, 30, None),
    )
    .await
    .assert_problem(403, "OWN_HOURS");

    // More than 480 minutes (the default HOURS_CORRECTION_DIRECTOR_MINUTES) needs the director.
    app.post("/hours/corrections", w.secretary.t(), correction(vol, 481, None))
        .await
        .assert_problem(403, "DIRECTOR_REQUIRED");
    app.post("/hours/corrections", w.secretary.t(), correction(vol, 480, None))
        .await
        .assert_status(201);
    app.post("/hours/corrections", director.t(), correction(vol, 481, None))
        .await
        .assert_status(201);
    app.post("/hours/corrections", w.secretary.t(), correction(vol, -481, None))
        .await
        .assert_problem(403, "DIRECTOR_REQUIRED");
    assert_eq!(total(&app, w.volunteer.t()).await, json!(961));

    // The limit is a setting.
    let strict = spawn_app_with(&[("HOURS_CORRECTION_DIRECTOR_MINUTES", "60")]).await;
    let w = world(&strict).await;
    strict
        .post(
            "/hours/corrections",
            w.secretary.t(),
            correction(w.volunteer.id, 61, None),
        )
        .await
        .assert_problem(403, "DIRECTOR_REQUIRED");
}
