//! Volunteer applications, volunteer profiles and teams.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::orders::{Person, World, account, order_body, world};

async fn applicant(app: &TestApp, station: i64) -> Person {
    let (id, phone) = app.register(station, "李明").await;
    let token = app.token(&phone, PASSWORD).await;
    Person { id, phone, token }
}

async fn apply(app: &TestApp, who: &Person, skills: Value, team: Option<i64>) -> i64 {
    let reply = app
        .post(
            "/volunteer-applications",
            who.t(),
            json!({"real_name": "李明", "skills": skills, "source": "college_students", "team_id": team}),
        )
        .await;
    let body = reply.assert_status(201);
    assert_eq!(body["status"], json!("pending"));
    body["id"].as_i64().unwrap()
}

/// A resident who applied and was approved; the token is fresh (carries `volunteer`).
async fn approved_volunteer(app: &TestApp, w: &World, skills: Value, team: Option<i64>) -> Person {
    let who = applicant(app, w.station).await;
    let id = apply(app, &who, skills, team).await;
    app.post(
        &format!("/volunteer-applications/{id}/approve"),
        w.secretary.t(),
        json!({}),
    )
    .await
    .assert_status(200);
    Person {
        token: app.token(&who.phone, PASSWORD).await,
        ..who
    }
}

#[tokio::test]
async fn approval_adds_the_volunteer_role_to_the_next_token() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let who = applicant(&app, w.station).await;
    let id = apply(&app, &who, json!(["心理疏导", "电脑维修"]), None).await;
    app.post(
        "/volunteer-applications",
        who.t(),
        json!({"real_name": "李明", "skills": [], "source": "party_members"}),
    )
    .await
    .assert_problem(409, "APPLICATION_PENDING");

    // The applicant cannot approve themselves; staff of another station do not see it.
    app.post(&format!("/volunteer-applications/{id}/approve"), who.t(), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");
    let elsewhere = world(&app).await;
    app.post(
        &format!("/volunteer-applications/{id}/approve"),
        elsewhere.secretary.t(),
        json!({}),
    )
    .await
    .assert_problem(404, "NOT_FOUND");

    let pending = app.get("/volunteer-applications?status=pending", w.secretary.t()).await;
    let body = pending.assert_status(200);
    assert_eq!(body["total"], json!(1));
    assert_eq!(body["items"][0]["skills"], json!(["心理疏导", "电脑维修"]));
    let own = app.get("/volunteer-applications", who.t()).await;
    assert_eq!(own.assert_status(200)["items"][0]["id"], json!(id));

    let approved = app
        .post(
            &format!("/volunteer-applications/{id}/approve"),
            w.secretary.t(),
            json!({}),
        )
        .await;
    assert_eq!(approved.assert_status(200)["status"], json!("approved"));
    app.post(
        &format!("/volunteer-applications/{id}/approve"),
        w.secretary.t(),
        json!({}),
    )
    .await
    .assert_problem(409, "APPLICATION_NOT_PENDING");
    // The new role ends the old access token; a fresh one carries it.
    app.get("/notifications", who.t())
        .await
        .assert_problem(401, "TOKEN_REVOKED");
    let token = app.token(&who.phone, PASSWORD).await;
    let notices = app.get("/notifications", Some(&token)).await;
    assert_eq!(
        notices.assert_status(200)["items"][0]["kind"],
        json!("volunteer_approved")
    );

    let me = app.get("/me", Some(&token)).await;
    assert!(
        me.assert_status(200)["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("volunteer"))
    );
    let pool = app.get("/orders?pool=open", Some(&token)).await;
    pool.assert_status(200);

    app.post(
        "/volunteer-applications",
        Some(&token),
        json!({"real_name": "李明", "skills": [], "source": "party_members"}),
    )
    .await
    .assert_problem(409, "ALREADY_VOLUNTEER");

    let profile = app.get(&format!("/volunteers/{}", who.id), Some(&token)).await;
    let body = profile.assert_status(200);
    assert_eq!(body["real_name"], json!("李明"));
    assert_eq!(body["source"], json!("college_students"));
    assert_eq!(body["confirmed_minutes"], json!(0));
    assert_eq!(body["average_rating"], Value::Null);
    app.get(&format!("/volunteers/{}", who.id), w.resident.t())
        .await
        .assert_problem(404, "NOT_FOUND");
}

#[tokio::test]
async fn rejection_needs_a_reason_and_allows_a_new_application() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let who = applicant(&app, w.station).await;
    let id = apply(&app, &who, json!([]), None).await;
    app.post(
        &format!("/volunteer-applications/{id}/reject"),
        w.secretary.t(),
        json!({"reason": ""}),
    )
    .await
    .assert_problem(422, "VALIDATION_FAILED");
    let rejected = app
        .post(
            &format!("/volunteer-applications/{id}/reject"),
            w.secretary.t(),
            json!({"reason": "请补充联系方式"}),
        )
        .await;
    let body = rejected.assert_status(200);
    assert_eq!(body["status"], json!("rejected"));
    assert_eq!(body["reason"], json!("请补充联系方式"));
    let notices = app.get("/notifications", who.t()).await;
    assert_eq!(
        notices.assert_status(200)["items"][0]["kind"],
        json!("volunteer_rejected")
    );
    apply(&app, &who, json!(["摄影"]), None).await;
}

#[tokio::test]
async fn applications_validate_their_fields() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let who = applicant(&app, w.station).await;
    for body in [
        json!({"real_name": "", "skills": [], "source": "college_students"}),
        json!({"real_name": "李明", "skills": [], "source": "aliens"}),
        json!({"real_name": "李明", "skills": [""], "source": "college_students"}),
        json!({"real_name": "李明", "skills": [], "source": "college_students", "team_id": 99999}),
    ] {
        app.post("/volunteer-applications", who.t(), body)
            .await
            .assert_problem(422, "VALIDATION_FAILED");
    }
}

#[tokio::test]
async fn volunteers_list_with_filters_hours_and_ratings() {
    // Tokens that outlive the clock moves below.
    let app = crate::activities::spawn().await;
    let w = world(&app).await;
    let team = app
        .post(
            "/teams",
            w.secretary.t(),
            json!({"name": "法律服务队", "platform_id": w.platform}),
        )
        .await;
    let team_id = team.assert_status(201)["id"].as_i64().unwrap();
    let lawyer = approved_volunteer(&app, &w, json!(["法律咨询"]), Some(team_id)).await;
    let _medic = approved_volunteer(&app, &w, json!(["量血压"]), None).await;

    // The world's two volunteers (role given by staff) and the two approved applicants.
    let all = app.get("/volunteers", w.secretary.t()).await;
    assert_eq!(all.assert_status(200)["total"], json!(4));
    let by_skill = app.get("/volunteers?skill=法律咨询", w.secretary.t()).await;
    let body = by_skill.assert_status(200);
    assert_eq!(body["total"], json!(1));
    assert_eq!(body["items"][0]["id"], json!(lawyer.id));
    assert_eq!(body["items"][0]["team_ids"], json!([team_id]));
    let by_team = app
        .get(&format!("/volunteers?team_id={team_id}"), w.secretary.t())
        .await;
    assert_eq!(by_team.assert_status(200)["total"], json!(1));
    let by_platform = app
        .get(&format!("/volunteers?platform_id={}", w.platform), w.secretary.t())
        .await;
    assert_eq!(by_platform.assert_status(200)["total"], json!(1));
    app.get("/volunteers", w.resident.t())
        .await
        .assert_problem(403, "FORBIDDEN");

    // Serve two orders an hour apart (minutes served in the same time would count once), rated
    // 5 and 4.
    for stars in [5, 4] {
        app.clock.advance(chrono::Duration::hours(1));
        let id = app
            .post("/orders", w.resident.t(), order_body(w.platform))
            .await
            .assert_status(201)["id"]
            .as_i64()
            .unwrap();
        let steps = [
            (
                &w.secretary,
                "dispatch",
                json!({"mode": "volunteer", "volunteer_id": lawyer.id}),
            ),
            (&lawyer, "accept", json!({})),
            (&lawyer, "start", json!({})),
            (&lawyer, "complete", json!({"summary": "已解答", "service_minutes": 45})),
            (&w.resident, "rate", json!({"stars": stars})),
        ];
        for (who, action, body) in steps {
            app.post(&format!("/orders/{id}/{action}"), who.t(), body)
                .await
                .assert_status(200);
        }
    }
    let profile = app.get(&format!("/volunteers/{}", lawyer.id), w.secretary.t()).await;
    let body = profile.assert_status(200);
    assert_eq!(body["confirmed_minutes"], json!(90));
    assert_eq!(body["confirmed_hours"], json!(1.5));
    assert_eq!(body["finished_orders"], json!(2));
    assert_eq!(body["average_rating"], json!(4.5));
}

#[tokio::test]
async fn teams_have_a_leader_a_platform_and_members() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.post(
        "/teams",
        w.resident.t(),
        json!({"name": "队", "platform_id": w.platform}),
    )
    .await
    .assert_problem(403, "FORBIDDEN");
    app.post(
        "/teams",
        w.secretary.t(),
        json!({"name": "队", "platform_id": w.platform, "leader_id": w.resident.id}),
    )
    .await
    .assert_problem(422, "VALIDATION_FAILED");
    let created = app
        .post(
            "/teams",
            w.secretary.t(),
            json!({"name": "文艺队", "platform_id": w.platform, "leader_id": w.volunteer.id}),
        )
        .await;
    let body = created.assert_status(201);
    let id = body["id"].as_i64().unwrap();
    assert_eq!(body["leader_id"], json!(w.volunteer.id));
    assert_eq!(body["member_ids"], json!([w.volunteer.id]));
    app.post(
        "/teams",
        w.secretary.t(),
        json!({"name": "文艺队", "platform_id": w.platform}),
    )
    .await
    .assert_problem(409, "TEAM_NAME_TAKEN");

    let members = format!("/teams/{id}/members");
    app.post(&members, w.secretary.t(), json!({"volunteer_id": w.other_volunteer.id}))
        .await
        .assert_status(201);
    app.post(&members, w.secretary.t(), json!({"volunteer_id": w.other_volunteer.id}))
        .await
        .assert_problem(409, "ALREADY_MEMBER");
    app.post(&members, w.secretary.t(), json!({"volunteer_id": w.resident.id}))
        .await
        .assert_problem(422, "VALIDATION_FAILED");
    let elsewhere = world(&app).await;
    app.post(
        &members,
        elsewhere.secretary.t(),
        json!({"volunteer_id": elsewhere.volunteer.id}),
    )
    .await
    .assert_problem(403, "FORBIDDEN");

    let list = app.get("/teams", w.secretary.t()).await;
    let teams = list.assert_status(200);
    assert_eq!(
        teams["items"][0]["member_ids"],
        json!([w.volunteer.id, w.other_volunteer.id])
    );
    let supervisor = account(&app, None, &["supervisor"]).await;
    let one = app.get(&format!("/teams/{id}"), supervisor.t()).await;
    assert_eq!(one.assert_status(200)["name"], json!("文艺队"));
}

#[tokio::test]
async fn staff_correct_hours_with_a_new_entry() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let id = crate::orders::order_in(&app, &w, "rated").await;
    let correction = json!({"volunteer_id": w.volunteer.id, "minutes": -30, "reason": "重复登记", "order_id": id});
    app.post("/hours/corrections", w.resident.t(), correction.clone())
        .await
        .assert_problem(403, "FORBIDDEN");
    let elsewhere = world(&app).await;
    app.post("/hours/corrections", elsewhere.secretary.t(), correction.clone())
        .await
        .assert_problem(403, "FORBIDDEN");
    for bad in [
        json!({"volunteer_id": w.volunteer.id, "minutes": 0, "reason": "x"}),
        json!({"volunteer_id": w.volunteer.id, "minutes": 10, "reason": ""}),
        json!({"volunteer_id": w.resident.id, "minutes": 10, "reason": "x"}),
        json!({"volunteer_id": w.volunteer.id, "minutes": 10, "reason": "x", "order_id": 99999}),
    ] {
        app.post("/hours/corrections", w.secretary.t(), bad)
            .await
            .assert_problem(422, "VALIDATION_FAILED");
    }
    let created = app.post("/hours/corrections", w.secretary.t(), correction).await;
    let body = created.assert_status(201);
    assert_eq!(body["source"], json!("correction"));
    assert_eq!(body["minutes"], json!(-30));
    assert_eq!(body["recorded_by"], json!(w.secretary.id));
    let hours = app.get("/me/hours", w.volunteer.t()).await;
    let body = hours.assert_status(200);
    assert_eq!(body["total_minutes"], json!(60));
    assert_eq!(body["total"], json!(2));
}
