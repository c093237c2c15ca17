//! Commendation (先进评选): nomination with the ranking's evidence, the director's decision, the
//! five-day public notice (公示) with objections and answers, and the final public list.

use chrono::Duration;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::orders::{Person, World, account, world};
use crate::rankings::{served, spawn, team_of};

fn year(app: &TestApp) -> i32 {
    use chrono::Datelike;
    (app.clock.now() + Duration::hours(8)).year()
}

async fn nominate(app: &TestApp, w: &World, volunteer: &Person) -> Value {
    let reply = app
        .post(
            "/commendations",
            w.secretary.t(),
            json!({"year": year(app), "volunteer_id": volunteer.id, "reason": "全年助老送药，群众评价五星"}),
        )
        .await;
    reply.assert_status(201).clone()
}

fn url(id: &Value, action: &str) -> String {
    format!("/commendations/{id}/{action}")
}

/// The person signed in again (access tokens end while the clock moves days on).
async fn again(app: &TestApp, who: &Person) -> Person {
    Person {
        token: app.token(&who.phone, PASSWORD).await,
        ..who.clone()
    }
}

async fn run_jobs(app: &TestApp, job: &str) -> u64 {
    let report = wenming::jobs::run_once(&app.state).await.unwrap();
    report.into_iter().find(|(name, _)| *name == job).unwrap().1
}

async fn notified(app: &TestApp, who: &Person, kind: &str) -> bool {
    let list = app.get("/notifications?page_size=100", who.t()).await;
    list.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["kind"] == json!(kind))
}

async fn public_ids(app: &TestApp, query: &str) -> Vec<Value> {
    let list = app.get(&format!("/commendations?{query}"), None).await;
    list.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect()
}

#[tokio::test]
async fn a_nomination_is_approved_objected_to_answered_and_final_and_public_after_five_days() {
    let app = spawn().await;
    let w = world(&app).await;
    let director = account(&app, Some(w.station), &["director"]).await;
    served(&app, &w, &w.volunteer, None, 90, Some(5)).await;

    let created = nominate(&app, &w, &w.volunteer).await;
    let id = created["id"].clone();
    assert_eq!(created["status"], json!("pending"));
    assert_eq!(created["nominee_kind"], json!("volunteer"));
    assert_eq!(created["volunteer_id"], json!(w.volunteer.id));
    // The ranking's figures: 90/60 + 2×1 + 10×(5 − 3).
    assert_eq!(
        created["evidence"],
        json!({"confirmed_minutes": 90, "confirmed_hours": 1.5, "finished_orders": 1,
               "rated_orders": 1, "average_rating": 5.0, "score": 23.5})
    );
    assert_eq!(created["allowed_actions"], json!([]));
    assert!(notified(&app, &director, "commendation_nominated").await);
    // Pending is not public.
    assert!(public_ids(&app, &format!("year={}", year(&app))).await.is_empty());
    app.get(&format!("/commendations/{id}"), None)
        .await
        .assert_problem(404, "NOT_FOUND");

    let pending = app.get(&format!("/commendations/{id}"), director.t()).await;
    assert_eq!(
        pending.assert_status(200)["allowed_actions"],
        json!(["approve", "reject"])
    );
    let approved = app.post(&url(&id, "approve"), director.t(), json!({})).await;
    let body = approved.assert_status(200);
    assert_eq!(body["status"], json!("notice"));
    assert_eq!(body["decided_by"], json!(director.id));
    // Anyone logged in may object, the director too.
    assert_eq!(body["allowed_actions"], json!(["reject", "object"]));
    let ends = chrono::DateTime::parse_from_rfc3339(body["notice_ends_at"].as_str().unwrap()).unwrap();
    let expected = app.clock.now() + Duration::days(5);
    assert!((ends.to_utc() - expected).num_seconds().abs() < 60);
    assert!(notified(&app, &w.volunteer, "commendation_approved").await);

    // Under notice it is public, and anyone logged in may object, once.
    assert_eq!(public_ids(&app, "").await, vec![id.clone()]);
    let seen = app.get(&format!("/commendations/{id}"), w.resident.t()).await;
    let seen = seen.assert_status(200);
    assert_eq!(seen["nominee_name"], json!("测试用户"));
    assert_eq!(seen["allowed_actions"], json!(["object"]));
    let objection = app
        .post(
            &url(&id, "objections"),
            w.resident.t(),
            json!({"reason": "服务时长有重复登记"}),
        )
        .await;
    let objection_id = objection.assert_status(201)["id"].clone();
    app.post(&url(&id, "objections"), w.resident.t(), json!({"reason": "再次异议"}))
        .await
        .assert_problem(409, "ALREADY_OBJECTED");
    assert!(notified(&app, &director, "commendation_objection").await);
    let held = app.get(&format!("/commendations/{id}"), director.t()).await;
    let held = held.assert_status(200);
    assert_eq!(held["open_objections"], json!(1));
    assert_eq!(held["allowed_actions"], json!(["reject", "object", "answer"]));

    // The director sees every objection; others only their own.
    let all = app.get(&url(&id, "objections"), director.t()).await;
    assert_eq!(all.assert_status(200)["total"], json!(1));
    let own = app.get(&url(&id, "objections"), w.resident.t()).await;
    assert_eq!(own.assert_status(200)["items"][0]["id"], objection_id);
    let none = app.get(&url(&id, "objections"), w.other_volunteer.t()).await;
    assert_eq!(none.assert_status(200)["total"], json!(0));

    // Five days on, the open objection holds the notice; nobody may object any more.
    app.clock.advance(Duration::days(5) + Duration::minutes(1));
    let (director, resident, secretary) = (
        again(&app, &director).await,
        again(&app, &w.resident).await,
        again(&app, &w.secretary).await,
    );
    let late = again(&app, &w.other_volunteer).await;
    assert_eq!(run_jobs(&app, "commendations_finalize").await, 0);
    let still = app.get(&format!("/commendations/{id}"), None).await;
    assert_eq!(still.assert_status(200)["status"], json!("notice"));
    app.post(&url(&id, "objections"), late.t(), json!({"reason": "迟到的异议"}))
        .await
        .assert_problem(409, "NOT_UNDER_NOTICE");

    // The director answers (a secretary may not); the notice is over, so it is final at once.
    let answer = format!("/commendations/{id}/objections/{objection_id}/answer");
    app.post(&answer, secretary.t(), json!({"answer": "已核实"}))
        .await
        .assert_problem(403, "DIRECTOR_REQUIRED");
    let answered = app
        .post(&answer, director.t(), json!({"answer": "经核实，重复时长已更正"}))
        .await;
    let answered = answered.assert_status(200);
    assert_eq!(answered["answer"], json!("经核实，重复时长已更正"));
    assert_eq!(answered["answered_by"], json!(director.id));
    app.post(&answer, director.t(), json!({"answer": "再次答复"}))
        .await
        .assert_problem(409, "ALREADY_ANSWERED");
    assert!(notified(&app, &resident, "commendation_objection_answered").await);

    let read = app.get(&format!("/commendations/{id}"), None).await;
    let read = read.assert_status(200);
    assert_eq!(read["status"], json!("final"));
    assert_eq!(read["open_objections"], json!(0));
    assert_eq!(run_jobs(&app, "commendations_finalize").await, 1);
    assert_eq!(run_jobs(&app, "commendations_finalize").await, 0);
    assert_eq!(
        public_ids(&app, &format!("year={}&status=final", year(&app))).await,
        vec![id.clone()]
    );
    assert!(public_ids(&app, "status=notice").await.is_empty());
    app.post(&url(&id, "reject"), director.t(), json!({"reason": "撤销"}))
        .await
        .assert_problem(409, "COMMENDATION_CLOSED");
}

#[tokio::test]
async fn without_objections_the_notice_ends_final_and_late_objections_are_refused() {
    let app = spawn().await;
    let w = world(&app).await;
    let director = account(&app, Some(w.station), &["director"]).await;
    let created = nominate(&app, &w, &w.volunteer).await;
    let id = created["id"].clone();
    app.post(&url(&id, "approve"), director.t(), json!({}))
        .await
        .assert_status(200);
    app.post(&url(&id, "approve"), director.t(), json!({}))
        .await
        .assert_problem(409, "COMMENDATION_NOT_PENDING");

    app.clock.advance(Duration::days(5) + Duration::seconds(1));
    let resident = again(&app, &w.resident).await;
    // Final as read, before any sweep.
    let read = app.get(&format!("/commendations/{id}"), None).await;
    assert_eq!(read.assert_status(200)["status"], json!("final"));
    assert_eq!(public_ids(&app, "status=final").await, vec![id.clone()]);
    app.post(
        &url(&id, "objections"),
        resident.t(),
        json!({"reason": "公示期后的异议"}),
    )
    .await
    .assert_problem(409, "NOT_UNDER_NOTICE");
    assert_eq!(run_jobs(&app, "commendations_finalize").await, 1);
    let read = app.get(&format!("/commendations/{id}"), resident.t()).await;
    let read = read.assert_status(200);
    assert_eq!(read["status"], json!("final"));
    assert_eq!(read["allowed_actions"], json!([]));
}

#[tokio::test]
async fn only_a_stations_secretary_nominates_its_own_volunteers_and_teams_once_a_year() {
    let app = spawn().await;
    let w = world(&app).await;
    let other = world(&app).await;
    let director = account(&app, Some(w.station), &["director"]).await;
    let y = year(&app);
    let body = |v: Value| {
        let mut b = json!({"year": y, "reason": "表现突出"});
        b.as_object_mut().unwrap().extend(v.as_object().unwrap().clone());
        b
    };

    for who in [&w.resident, &w.volunteer, &director] {
        app.post("/commendations", who.t(), body(json!({"volunteer_id": w.volunteer.id})))
            .await
            .assert_problem(403, "FORBIDDEN");
    }
    for bad in [
        json!({"volunteer_id": other.volunteer.id}),
        json!({"volunteer_id": w.resident.id}),
        json!({}),
        json!({"volunteer_id": w.volunteer.id, "team_id": 1}),
    ] {
        app.post("/commendations", w.secretary.t(), body(bad))
            .await
            .assert_problem(422, "VALIDATION_FAILED");
    }
    let foreign_team = team_of(&app, &other, "外站服务队", &other.volunteer, &[]).await;
    app.post(
        "/commendations",
        w.secretary.t(),
        body(json!({"team_id": foreign_team})),
    )
    .await
    .assert_problem(422, "VALIDATION_FAILED");

    let first = nominate(&app, &w, &w.volunteer).await;
    let again = app
        .post(
            "/commendations",
            w.secretary.t(),
            body(json!({"volunteer_id": w.volunteer.id})),
        )
        .await;
    again.assert_problem(409, "ALREADY_NOMINATED");
    // The same person may be nominated for another year.
    let next_year = app
        .post(
            "/commendations",
            w.secretary.t(),
            json!({"year": y + 1, "volunteer_id": w.volunteer.id, "reason": "表现突出"}),
        )
        .await;
    next_year.assert_status(201);

    // Only the director decides; a rejection frees the nominee for a new nomination.
    app.post(&url(&first["id"], "approve"), w.secretary.t(), json!({}))
        .await
        .assert_problem(403, "DIRECTOR_REQUIRED");
    app.post(
        &url(&first["id"], "reject"),
        w.secretary.t(),
        json!({"reason": "不符合条件"}),
    )
    .await
    .assert_problem(403, "DIRECTOR_REQUIRED");
    let other_director = account(&app, Some(other.station), &["director"]).await;
    app.post(&url(&first["id"], "approve"), other_director.t(), json!({}))
        .await
        .assert_problem(404, "NOT_FOUND");
    let rejected = app
        .post(
            &url(&first["id"], "reject"),
            director.t(),
            json!({"reason": "材料不全"}),
        )
        .await;
    let rejected = rejected.assert_status(200);
    assert_eq!(rejected["status"], json!("rejected"));
    assert_eq!(rejected["reject_reason"], json!("材料不全"));
    assert!(notified(&app, &w.secretary, "commendation_rejected").await);
    nominate(&app, &w, &w.volunteer).await;

    // Teams of the station are nominated the same way, with the team's figures.
    let team = team_of(&app, &w, "银发服务队", &w.volunteer, &[&w.other_volunteer]).await;
    served(&app, &w, &w.other_volunteer, Some(team), 60, Some(4)).await;
    let nominated = app
        .post("/commendations", w.secretary.t(), body(json!({"team_id": team})))
        .await;
    let nominated = nominated.assert_status(201);
    assert_eq!(nominated["nominee_kind"], json!("team"));
    assert_eq!(nominated["nominee_name"], json!("银发服务队"));
    // 60/60 + 2×1 + 10×(4 − 3)
    assert_eq!(nominated["evidence"]["score"], json!(13.0));
    app.post("/commendations", w.secretary.t(), body(json!({"team_id": team})))
        .await
        .assert_problem(409, "ALREADY_NOMINATED");
}

#[tokio::test]
async fn the_public_list_hides_pending_and_rejected_which_the_stations_staff_see() {
    let app = spawn().await;
    let w = world(&app).await;
    let third = account(&app, Some(w.station), &["volunteer"]).await;
    let director = account(&app, Some(w.station), &["director"]).await;
    let pending = nominate(&app, &w, &w.volunteer).await["id"].clone();
    let rejected = nominate(&app, &w, &w.other_volunteer).await["id"].clone();
    let notice = nominate(&app, &w, &third).await["id"].clone();
    app.post(&url(&rejected, "reject"), director.t(), json!({"reason": "材料不全"}))
        .await
        .assert_status(200);
    app.post(&url(&notice, "approve"), director.t(), json!({}))
        .await
        .assert_status(200);

    assert_eq!(public_ids(&app, "").await, vec![notice.clone()]);
    let resident = app.get("/commendations", w.resident.t()).await;
    assert_eq!(resident.assert_status(200)["total"], json!(1));
    app.get(&format!("/commendations/{rejected}"), w.resident.t())
        .await
        .assert_problem(404, "NOT_FOUND");
    assert!(public_ids(&app, "status=pending").await.is_empty());

    let staff = app.get("/commendations", w.secretary.t()).await;
    let ids: Vec<Value> = staff.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(ids, vec![notice.clone(), rejected.clone(), pending.clone()]);
    let only_pending = app.get("/commendations?status=pending", w.secretary.t()).await;
    assert_eq!(only_pending.assert_status(200)["items"][0]["id"], pending);
    assert_eq!(only_pending.assert_status(200)["total"], json!(1));

    // Staff of another station see only what is public here.
    let other = world(&app).await;
    let foreign = app
        .get(&format!("/commendations?station_id={}", w.station), other.secretary.t())
        .await;
    assert_eq!(foreign.assert_status(200)["total"], json!(1));
}

#[tokio::test]
async fn a_director_rejects_under_notice_after_an_upheld_objection_and_nobody_approves_their_own_nomination() {
    let app = spawn().await;
    let w = world(&app).await;
    let director = account(&app, Some(w.station), &["director"]).await;
    let id = nominate(&app, &w, &w.volunteer).await["id"].clone();
    app.post(&url(&id, "approve"), director.t(), json!({}))
        .await
        .assert_status(200);
    let objection = app
        .post(
            &url(&id, "objections"),
            w.resident.t(),
            json!({"reason": "该志愿者从未到岗"}),
        )
        .await;
    let objection_id = objection.assert_status(201)["id"].clone();
    let answered = app
        .post(
            &format!("/commendations/{id}/objections/{objection_id}/answer"),
            director.t(),
            json!({"answer": "异议属实，撤销推荐"}),
        )
        .await;
    answered.assert_status(200);
    let rejected = app
        .post(&url(&id, "reject"), director.t(), json!({"reason": "异议属实"}))
        .await;
    let rejected = rejected.assert_status(200);
    assert_eq!(rejected["status"], json!("rejected"));
    assert_eq!(rejected["reject_reason"], json!("异议属实"));
    // No longer public, not even to the objector; nothing more to object to.
    assert!(public_ids(&app, "").await.is_empty());
    app.post(
        &url(&id, "objections"),
        w.other_volunteer.t(),
        json!({"reason": "又一条"}),
    )
    .await
    .assert_problem(404, "NOT_FOUND");

    // A secretary who is also the director nominates, but may not approve it.
    let both = account(&app, Some(w.station), &["secretary", "director"]).await;
    let own = app
        .post(
            "/commendations",
            both.t(),
            json!({"year": year(&app), "volunteer_id": w.other_volunteer.id, "reason": "表现突出"}),
        )
        .await;
    let own_id = own.assert_status(201)["id"].clone();
    assert_eq!(own.assert_status(201)["allowed_actions"], json!(["reject"]));
    app.post(&url(&own_id, "approve"), both.t(), json!({}))
        .await
        .assert_problem(403, "OWN_NOMINATION");
    app.post(&url(&own_id, "approve"), director.t(), json!({}))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn simultaneous_nominations_of_one_volunteer_leave_exactly_one() {
    let app = spawn().await;
    let w = world(&app).await;
    let body = json!({"year": year(&app), "volunteer_id": w.volunteer.id, "reason": "表现突出"});
    let replies =
        futures::future::join_all((0..5).map(|_| app.post("/commendations", w.secretary.t(), body.clone()))).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1);
    for reply in replies.iter().filter(|r| r.status != 201) {
        reply.assert_problem(409, "ALREADY_NOMINATED");
    }
    let staff = app.get("/commendations?status=pending", w.secretary.t()).await;
    assert_eq!(staff.assert_status(200)["total"], json!(1));
}

#[tokio::test]
async fn a_supervisor_sees_a_named_stations_pending_nominations_but_cannot_decide() {
    let app = spawn().await;
    let w = world(&app).await;
    let id = nominate(&app, &w, &w.volunteer).await["id"].clone();
    let supervisor = account(&app, None, &["supervisor"]).await;
    let named = app
        .get(
            &format!("/commendations?station_id={}&status=pending", w.station),
            supervisor.t(),
        )
        .await;
    let named = named.assert_status(200);
    assert_eq!(named["items"][0]["id"], id);
    assert_eq!(named["items"][0]["allowed_actions"], json!([]));
    app.post(&url(&id, "approve"), supervisor.t(), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.post(
        "/commendations",
        supervisor.t(),
        json!({"year": year(&app), "volunteer_id": w.other_volunteer.id, "reason": "x", "station_id": w.station}),
    )
    .await
    .assert_problem(403, "FORBIDDEN");
}
