//! Annual plans (年度活动方案): drafting, late submission, the director's decision with one
//! approved plan per station and year, the activity's link to the plan, and month-by-month
//! compliance against what the station actually held.

use chrono::{DateTime, Datelike, Duration, FixedOffset, TimeZone, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::orders::{Person, account};

/// A station with a secretary, a director and a platform.
struct Site {
    id: i64,
    platform: i64,
    secretary: Person,
    director: Person,
}

async fn site(app: &TestApp, name: &str) -> Site {
    let id = app.create_station(name).await;
    let secretary = account(app, Some(id), &["secretary"]).await;
    let director = account(app, Some(id), &["director"]).await;
    let platforms = app.get(&format!("/platforms?station_id={id}"), None).await;
    let platform = platforms.assert_status(200)["items"][0]["id"].as_i64().unwrap();
    Site {
        id,
        platform,
        secretary,
        director,
    }
}

/// Tokens live one day at most: after the clock moves, people sign in again.
async fn relogin(app: &TestApp, person: &Person) -> Person {
    Person {
        token: app.token(&person.phone, PASSWORD).await,
        ..person.clone()
    }
}

async fn spawn() -> TestApp {
    spawn_app_with(&[
        ("ACCESS_TOKEN_TTL_SECS", "86400"),
        ("LOGIN_ATTEMPTS_PER_MINUTE", "1000"),
    ])
    .await
}

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

/// An instant in China time.
fn cn(year: i32, month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    china()
        .with_ymd_and_hms(year, month, day, hour, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn this_year(app: &TestApp) -> i32 {
    app.clock.now().with_timezone(&china()).year()
}

fn item(month: i64, theme: &str, platform: i64, kind: &str) -> Value {
    json!({"month": month, "theme": theme, "platform_id": platform, "kind": kind})
}

/// Drafts a plan for `year`; returns its body.
async fn draft_plan(app: &TestApp, s: &Site, year: i32, items: Vec<Value>) -> Value {
    let reply = app
        .post(
            "/annual-plans",
            s.secretary.t(),
            json!({"year": year, "title": format!("{year} 年度实践活动方案"), "goals": "每月至少一次实践活动", "items": items}),
        )
        .await;
    reply.assert_status(201).clone()
}

fn path(id: i64, action: &str) -> String {
    format!("/annual-plans/{id}/{action}")
}

/// Drafts, submits and approves a plan; returns it.
async fn approved_plan(app: &TestApp, s: &Site, year: i32, items: Vec<Value>) -> Value {
    let id = draft_plan(app, s, year, items).await["id"].as_i64().unwrap();
    app.post(&path(id, "submit"), s.secretary.t(), json!({}))
        .await
        .assert_status(200);
    let approved = app.post(&path(id, "approve"), s.director.t(), json!({})).await;
    let approved = approved.assert_status(200).clone();
    assert_eq!(approved["status"], "approved");
    approved
}

fn actions(value: &Value) -> Vec<&str> {
    value["allowed_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect()
}

/// The notifications of `kind` about plan `id` the person has.
async fn notices(app: &TestApp, person: &Person, kind: &str, id: i64) -> usize {
    let list = app.get("/notifications?page_size=100", person.t()).await;
    list.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind && n["resource_type"] == "annual_plan" && n["resource_id"] == json!(id))
        .count()
}

#[tokio::test]
async fn a_plan_is_drafted_submitted_returned_and_approved_with_notices_and_history() {
    let app = spawn().await;
    let s = site(&app, "东湖站").await;
    let next_year = this_year(&app) + 1;
    let plan = draft_plan(
        &app,
        &s,
        next_year,
        vec![
            item(3, "学雷锋", s.platform, "practice"),
            item(1, "迎新春", s.platform, "practice"),
        ],
    )
    .await;
    let id = plan["id"].as_i64().unwrap();
    assert_eq!(plan["status"], "draft");
    assert_eq!(plan["station_id"], json!(s.id));
    assert_eq!(plan["late"], false);
    // Items come by month.
    assert_eq!(plan["items"][0]["month"], 1);
    assert_eq!(plan["items"][1]["theme"], "学雷锋");
    assert_eq!(actions(&plan), ["edit", "submit"]);
    assert_eq!(plan["history"][0]["action"], "create");

    // Editing replaces the items.
    let edited = app
        .patch(
            &format!("/annual-plans/{id}"),
            s.secretary.t(),
            json!({"title": "修订方案", "items": [item(2, "邻里守望", s.platform, "practice")]}),
        )
        .await;
    let edited = edited.assert_status(200);
    assert_eq!(edited["title"], "修订方案");
    assert_eq!(edited["items"].as_array().unwrap().len(), 1);
    assert_eq!(edited["items"][0]["month"], 2);

    // Submitted before 31 January of its year: on time. The director is told.
    let submitted = app.post(&path(id, "submit"), s.secretary.t(), json!({})).await;
    let submitted = submitted.assert_status(200);
    assert_eq!(submitted["status"], "pending_approval");
    assert_eq!(submitted["late"], false);
    assert!(submitted["submitted_at"].is_string());
    assert!(actions(submitted).is_empty());
    assert_eq!(notices(&app, &s.director, "plan_submitted", id).await, 1);
    let seen = app.get(&format!("/annual-plans/{id}"), s.director.t()).await;
    assert_eq!(actions(seen.assert_status(200)), ["approve", "reject"]);

    // A pending plan is no longer edited.
    app.patch(
        &format!("/annual-plans/{id}"),
        s.secretary.t(),
        json!({"title": "再改"}),
    )
    .await
    .assert_problem(409, "PLAN_STATE_CONFLICT");

    // Returned with a reason: back to draft, the author told.
    let returned = app
        .post(
            &path(id, "reject"),
            s.director.t(),
            json!({"reason": "缺少业务培训安排"}),
        )
        .await;
    let returned = returned.assert_status(200);
    assert_eq!(returned["status"], "draft");
    assert_eq!(returned["reject_reason"], "缺少业务培训安排");
    assert_eq!(returned["decided_by"], json!(s.director.id));
    assert_eq!(notices(&app, &s.secretary, "plan_rejected", id).await, 1);

    // Approving a draft is a state conflict.
    app.post(&path(id, "approve"), s.director.t(), json!({}))
        .await
        .assert_problem(409, "PLAN_STATE_CONFLICT");

    app.post(&path(id, "submit"), s.secretary.t(), json!({}))
        .await
        .assert_status(200);
    let approved = app
        .post(&path(id, "approve"), s.director.t(), json!({"comment": "同意"}))
        .await;
    let approved = approved.assert_status(200);
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["reject_reason"], Value::Null);
    assert!(actions(approved).is_empty());
    assert_eq!(notices(&app, &s.secretary, "plan_approved", id).await, 1);

    let history: Vec<(&str, &str, &str)> = approved["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["from_status"].as_str().unwrap_or(""),
                e["to_status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            ("create", "", "draft"),
            ("edit", "draft", "draft"),
            ("submit", "draft", "pending_approval"),
            ("reject", "pending_approval", "draft"),
            ("submit", "draft", "pending_approval"),
            ("approve", "pending_approval", "approved"),
        ]
    );
    assert_eq!(approved["history"][3]["note"], "缺少业务培训安排");
    assert_eq!(approved["history"][3]["actor_id"], json!(s.director.id));
    assert_eq!(approved["history"][5]["note"], "同意");

    // An approved plan is final.
    app.post(&path(id, "submit"), s.secretary.t(), json!({}))
        .await
        .assert_problem(409, "PLAN_STATE_CONFLICT");
}

#[tokio::test]
async fn a_plan_submitted_after_31_january_of_its_year_is_accepted_but_late() {
    let app = spawn().await;
    let s = site(&app, "东湖站").await;
    // The clock is past 31 January of this year: this year's plan is late, next year's is not.
    let year = this_year(&app);
    assert!(app.clock.now() > cn(year, 2, 1, 0));
    let late = draft_plan(&app, &s, year, vec![]).await["id"].as_i64().unwrap();
    let submitted = app.post(&path(late, "submit"), s.secretary.t(), json!({})).await;
    let submitted = submitted.assert_status(200);
    assert_eq!(submitted["status"], "pending_approval");
    assert_eq!(submitted["late"], true);
    // Late, yet approvable; the flag stays.
    let approved = app.post(&path(late, "approve"), s.director.t(), json!({})).await;
    assert_eq!(approved.assert_status(200)["late"], true);

    let on_time = draft_plan(&app, &s, year + 1, vec![]).await["id"].as_i64().unwrap();
    let submitted = app.post(&path(on_time, "submit"), s.secretary.t(), json!({})).await;
    assert_eq!(submitted.assert_status(200)["late"], false);
}

#[tokio::test]
async fn only_one_plan_per_station_and_year_is_approved_even_at_once() {
    let app = spawn().await;
    let s = site(&app, "东湖站").await;
    let other = site(&app, "西湖站").await;
    let year = this_year(&app) + 1;
    let mut pending = Vec::new();
    for _ in 0..3 {
        let id = draft_plan(&app, &s, year, vec![]).await["id"].as_i64().unwrap();
        app.post(&path(id, "submit"), s.secretary.t(), json!({}))
            .await
            .assert_status(200);
        pending.push(id);
    }

    // Two approvals at once: exactly one wins.
    let (first, second) = (path(pending[0], "approve"), path(pending[1], "approve"));
    let (a, b) = tokio::join!(
        app.post(&first, s.director.t(), json!({})),
        app.post(&second, s.director.t(), json!({})),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", a.text, b.text);
    let loser = if a.status.as_u16() == 409 { &a } else { &b };
    loser.assert_problem(409, "PLAN_ALREADY_APPROVED");

    // Afterwards too.
    app.post(&path(pending[2], "approve"), s.director.t(), json!({}))
        .await
        .assert_problem(409, "PLAN_ALREADY_APPROVED");
    let approved = app
        .get(
            &format!("/annual-plans?station_id={}&year={year}&status=approved", s.id),
            s.director.t(),
        )
        .await;
    assert_eq!(approved.assert_status(200)["total"], 1);

    // Another year, or another station, is unaffected.
    approved_plan(&app, &s, year + 1, vec![]).await;
    approved_plan(&app, &other, year, vec![]).await;

    // The database itself refuses a second approved plan for the station and year (and takes
    // the same statement for a year without one).
    let force = |year: i32| {
        format!(
            "UPDATE annual_plans SET status = 'approved', approved_year = {year} WHERE id = {}",
            pending[2]
        )
    };
    let refused = app.state.db.execute_unprepared(&force(year)).await;
    let err = refused.expect_err("the unique index must refuse a second approved plan");
    assert!(err.to_string().to_lowercase().contains("unique"), "{err}");
    app.state.db.execute_unprepared(&force(year + 5)).await.unwrap();
}

#[tokio::test]
async fn only_the_stations_director_decides_and_other_stations_see_nothing() {
    let app = spawn().await;
    let s = site(&app, "东湖站").await;
    let other = site(&app, "西湖站").await;
    let supervisor = account(&app, None, &["supervisor"]).await;
    let (_, resident) = app.resident(s.id).await;
    let year = this_year(&app) + 1;
    let id = draft_plan(&app, &s, year, vec![item(1, "迎新春", s.platform, "practice")]).await["id"]
        .as_i64()
        .unwrap();

    // A supervisor reads plans but writes none.
    app.post(
        "/annual-plans",
        supervisor.t(),
        json!({"year": year, "title": "督导方案", "items": [], "station_id": s.id}),
    )
    .await
    .assert_problem(403, "FORBIDDEN");
    app.post(&path(id, "submit"), supervisor.t(), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");
    let seen = app.get(&format!("/annual-plans/{id}"), supervisor.t()).await;
    assert!(actions(seen.assert_status(200)).is_empty());
    let all = app.get("/annual-plans", supervisor.t()).await;
    assert_eq!(all.assert_status(200)["total"], 1);
    app.get(&path(id, "compliance"), supervisor.t())
        .await
        .assert_status(200);

    // Residents neither write nor list plans.
    app.post("/annual-plans", Some(&resident), json!({"year": year, "title": "x"}))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.get("/annual-plans", Some(&resident))
        .await
        .assert_problem(403, "FORBIDDEN");

    app.post(&path(id, "submit"), s.secretary.t(), json!({}))
        .await
        .assert_status(200);
    // A secretary cannot approve or reject.
    app.post(&path(id, "approve"), s.secretary.t(), json!({}))
        .await
        .assert_problem(403, "DIRECTOR_REQUIRED");
    app.post(&path(id, "reject"), s.secretary.t(), json!({"reason": "x"}))
        .await
        .assert_problem(403, "DIRECTOR_REQUIRED");
    // Nor a supervisor.
    app.post(&path(id, "approve"), supervisor.t(), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");

    // Another station's staff see nothing of it.
    for who in [&other.secretary, &other.director] {
        app.get(&format!("/annual-plans/{id}"), who.t())
            .await
            .assert_problem(404, "NOT_FOUND");
        app.get(&path(id, "compliance"), who.t())
            .await
            .assert_problem(404, "NOT_FOUND");
        app.post(&path(id, "approve"), who.t(), json!({}))
            .await
            .assert_problem(404, "NOT_FOUND");
        app.get(&format!("/annual-plans?station_id={}", s.id), who.t())
            .await
            .assert_problem(403, "OTHER_STATION");
        let own = app.get("/annual-plans", who.t()).await;
        assert_eq!(own.assert_status(200)["total"], 0);
    }
    app.get(&format!("/annual-plans/{id}"), Some(&resident))
        .await
        .assert_problem(404, "NOT_FOUND");

    // A reason is required to return a plan.
    app.post(&path(id, "reject"), s.director.t(), json!({"reason": ""}))
        .await
        .assert_problem(422, "VALIDATION_FAILED");
    app.post(&path(id, "approve"), s.director.t(), json!({}))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn invalid_plans_are_refused_field_by_field() {
    let app = spawn().await;
    let s = site(&app, "东湖站").await;
    let other = site(&app, "西湖站").await;
    let own_platform = app
        .post("/platforms", other.secretary.t(), json!({"name": "西湖站自有平台"}))
        .await;
    let foreign = own_platform.assert_status(201)["id"].as_i64().unwrap();
    let year = this_year(&app) + 1;
    let cases = [
        (json!({"year": 1999, "title": "t", "items": []}), "year"),
        (json!({"year": year, "title": "", "items": []}), "title"),
        (
            json!({"year": year, "title": "t", "items": [item(13, "x", s.platform, "practice")]}),
            "items[0].month",
        ),
        (
            json!({"year": year, "title": "t", "items": [item(1, "x", s.platform, "practice"), item(0, "x", s.platform, "practice")]}),
            "items[1].month",
        ),
        (
            json!({"year": year, "title": "t", "items": [item(1, "x", foreign, "practice")]}),
            "items[0].platform_id",
        ),
    ];
    for (body, field) in cases {
        let reply = app.post("/annual-plans", s.secretary.t(), body).await;
        reply.assert_problem(422, "VALIDATION_FAILED");
        assert_eq!(reply.body["errors"][0]["field"], field, "{}", reply.text);
    }
}

/// A published practice activity of the station starting at `start` (China time).
async fn activity_at(app: &TestApp, s: &Site, start: DateTime<Utc>, kind: &str, extra: Value) -> i64 {
    let mut body = json!({
        "title": format!("{kind} 活动"), "kind": kind, "platform_id": s.platform,
        "description": "", "location": "社区活动中心", "starts_at": start.to_rfc3339(),
        "ends_at": (start + Duration::hours(2)).to_rfc3339(), "capacity": 20, "theme": "主题",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let reply = app.post("/activities", s.secretary.t(), body).await;
    let id = reply.assert_status(201)["id"].as_i64().unwrap();
    app.post(&format!("/activities/{id}/submit"), s.secretary.t(), json!({}))
        .await
        .assert_status(200);
    app.post(&format!("/activities/{id}/approve"), s.director.t(), json!({}))
        .await
        .assert_status(200);
    id
}

#[tokio::test]
async fn an_activity_links_only_to_an_approved_plan_of_its_station_and_one_of_its_items() {
    let app = spawn().await;
    let s = site(&app, "东湖站").await;
    let other = site(&app, "西湖站").await;
    let year = this_year(&app) + 1;
    let plan = approved_plan(&app, &s, year, vec![item(1, "迎新春", s.platform, "practice")]).await;
    let plan_id = plan["id"].as_i64().unwrap();
    let item_id = plan["items"][0]["id"].as_i64().unwrap();
    let draft = draft_plan(&app, &s, year, vec![item(2, "x", s.platform, "practice")]).await;
    let draft_id = draft["id"].as_i64().unwrap();
    let draft_item = draft["items"][0]["id"].as_i64().unwrap();
    let foreign = approved_plan(&app, &other, year, vec![item(1, "x", other.platform, "practice")]).await;
    let foreign_id = foreign["id"].as_i64().unwrap();
    let foreign_item = foreign["items"][0]["id"].as_i64().unwrap();

    let start = cn(year, 1, 10, 9);
    let body = |extra: Value| {
        let mut body = json!({
            "title": "迎新春写春联", "kind": "practice", "platform_id": s.platform, "location": "社区",
            "starts_at": start.to_rfc3339(), "ends_at": (start + Duration::hours(2)).to_rfc3339(),
            "capacity": 20,
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (json!({"plan_id": draft_id}), "PLAN_NOT_APPROVED", "plan_id"),
        (json!({"plan_id": foreign_id}), "PLAN_OTHER_STATION", "plan_id"),
        (json!({"plan_item_id": foreign_item}), "PLAN_OTHER_STATION", "plan_id"),
        (json!({"plan_item_id": draft_item}), "PLAN_NOT_APPROVED", "plan_id"),
        (
            json!({"plan_id": plan_id, "plan_item_id": draft_item}),
            "PLAN_ITEM_MISMATCH",
            "plan_item_id",
        ),
        (json!({"plan_item_id": 987654}), "PLAN_ITEM_MISMATCH", "plan_item_id"),
        (json!({"plan_id": 987654}), "VALIDATION_FAILED", "plan_id"),
    ];
    for (extra, code, field) in cases {
        let reply = app.post("/activities", s.secretary.t(), body(extra)).await;
        reply.assert_problem(422, code);
        assert_eq!(reply.body["errors"][0]["field"], field, "{}", reply.text);
    }

    // An item alone implies its plan.
    let created = app
        .post("/activities", s.secretary.t(), body(json!({"plan_item_id": item_id})))
        .await;
    let created = created.assert_status(201);
    assert_eq!(created["plan_id"], json!(plan_id));
    assert_eq!(created["plan_item_id"], json!(item_id));
    let id = created["id"].as_i64().unwrap();

    // The same rule on edit.
    app.patch(
        &format!("/activities/{id}"),
        s.secretary.t(),
        json!({"plan_id": draft_id}),
    )
    .await
    .assert_problem(422, "PLAN_NOT_APPROVED");
    app.patch(
        &format!("/activities/{id}"),
        s.secretary.t(),
        json!({"plan_item_id": foreign_item}),
    )
    .await
    .assert_problem(422, "PLAN_OTHER_STATION");
    // Naming the same plan again keeps the item.
    let same = app
        .patch(
            &format!("/activities/{id}"),
            s.secretary.t(),
            json!({"plan_id": plan_id}),
        )
        .await;
    assert_eq!(same.assert_status(200)["plan_item_id"], json!(item_id));
    let plain = app.post("/activities", s.secretary.t(), body(json!({}))).await;
    let plain = plain.assert_status(201);
    assert_eq!(plain["plan_id"], Value::Null);
    assert_eq!(plain["plan_item_id"], Value::Null);
}

fn month(report: &Value, m: usize) -> &Value {
    &report["months"][m - 1]
}

fn held_ids(report: &Value, m: usize) -> Vec<i64> {
    month(report, m)["held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["activity_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn compliance_counts_held_practice_activities_month_by_month_and_leaves_future_months_pending() {
    let app = spawn().await;
    let s = site(&app, "东湖站").await;
    let other = site(&app, "西湖站").await;
    let supervisor = account(&app, None, &["supervisor"]).await;
    let year = this_year(&app) + 1;
    let p = s.platform;
    let plan = approved_plan(
        &app,
        &s,
        year,
        vec![
            item(1, "迎新春", p, "practice"),
            item(3, "学雷锋", p, "practice"),
            item(3, "志愿服务规范", p, "training"),
            item(5, "劳动光荣", p, "practice"),
        ],
    )
    .await;
    let plan_id = plan["id"].as_i64().unwrap();
    let jan_item = plan["items"][0]["id"].as_i64().unwrap();
    // The other station writes this year's plan late, and holds nothing.
    let late_plan = approved_plan(&app, &other, year - 1, vec![item(12, "x", other.platform, "practice")]).await;
    let late_id = late_plan["id"].as_i64().unwrap();

    // Before anything: every month of next year is pending.
    let report = app.get(&path(plan_id, "compliance"), s.secretary.t()).await;
    let report = report.assert_status(200).clone();
    assert_eq!(report["months"].as_array().unwrap().len(), 12);
    assert_eq!(report["months_pending"], 12);
    assert_eq!(report["months_met"], 0);
    assert_eq!(report["trainings_held"], 0);
    assert_eq!(report["trainings_rule"], "pending");
    assert_eq!(report["plan_late"], false);
    assert_eq!(report["plan_status"], "approved");
    assert_eq!(month(&report, 3)["planned"].as_array().unwrap().len(), 2);
    assert_eq!(month(&report, 1)["planned"][0]["item_id"], json!(jan_item));
    assert_eq!(month(&report, 1)["planned"][0]["theme"], "迎新春");

    // January: a planned practice activity. February: an unplanned one (still meets).
    // March: only a training. April: nothing. May: a practice activity that is never
    // finished. June: a practice activity archived with its record. The other station holds
    // a practice activity in January that must not count here.
    let jan = activity_at(
        &app,
        &s,
        cn(year, 1, 10, 9),
        "practice",
        json!({"plan_item_id": jan_item}),
    )
    .await;
    let feb = activity_at(&app, &s, cn(year, 2, 14, 9), "practice", json!({})).await;
    let mar = activity_at(&app, &s, cn(year, 3, 5, 9), "training", json!({})).await;
    let may = activity_at(&app, &s, cn(year, 5, 20, 9), "practice", json!({})).await;
    let jun = activity_at(&app, &s, cn(year, 6, 1, 9), "practice", json!({})).await;
    let elsewhere = activity_at(&app, &other, cn(year, 1, 12, 9), "practice", json!({})).await;

    let mut secretary = s.secretary.clone();
    for (id, start) in [
        (jan, cn(year, 1, 10, 9)),
        (elsewhere, cn(year, 1, 12, 9)),
        (feb, cn(year, 2, 14, 9)),
        (mar, cn(year, 3, 5, 9)),
        (jun, cn(year, 6, 1, 9)),
    ] {
        app.clock.advance(start + Duration::hours(1) - app.clock.now());
        let finisher = if id == elsewhere {
            relogin(&app, &other.secretary).await
        } else {
            secretary = relogin(&app, &secretary).await;
            secretary.clone()
        };
        let finished = app
            .post(&format!("/activities/{id}/finish"), finisher.t(), json!({}))
            .await;
        assert_eq!(finished.assert_status(200)["status"], "finished");
    }
    // June's is archived with its record (the director confirms: the secretary hosted it).
    let director = relogin(&app, &s.director).await;
    let archived = app
        .put(
            &format!("/activities/{jun}/record"),
            director.t(),
            json!({"summary": "劳动实践", "attendance_confirmed": true}),
        )
        .await;
    assert_eq!(archived.assert_status(200)["status"], "archived");

    // Now it is 1 June, 10:00 in China.
    let report = app.get(&path(plan_id, "compliance"), secretary.t()).await;
    let report = report.assert_status(200).clone();
    let statuses: Vec<&str> = report["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "met", "met", "missed", "missed", "missed", "met", "pending", "pending", "pending", "pending", "pending",
            "pending"
        ]
    );
    assert_eq!(report["months_met"], 3);
    assert_eq!(report["months_missed"], 3);
    assert_eq!(report["months_pending"], 6);
    assert_eq!(report["trainings_held"], 1);
    assert_eq!(report["trainings_rule"], "met");
    assert_eq!(held_ids(&report, 1), [jan]);
    assert_eq!(month(&report, 1)["held"][0]["plan_item_id"], json!(jan_item));
    assert_eq!(month(&report, 1)["practice_held"], 1);
    assert_eq!(held_ids(&report, 2), [feb]);
    assert!(month(&report, 2)["planned"].as_array().unwrap().is_empty());
    assert_eq!(held_ids(&report, 3), [mar]);
    assert_eq!(month(&report, 3)["practice_held"], 0);
    assert_eq!(month(&report, 3)["held"][0]["kind"], "training");
    assert!(held_ids(&report, 4).is_empty());
    assert!(
        !held_ids(&report, 5).contains(&may),
        "an unfinished activity is not held"
    );
    assert!(held_ids(&report, 5).is_empty());
    assert_eq!(held_ids(&report, 6), [jun]);

    // The supervisor reads the same; the other station's late plan of the past year shows
    // every month missed and the training rule missed.
    let supervisor = relogin(&app, &supervisor).await;
    let same = app.get(&path(plan_id, "compliance"), supervisor.t()).await;
    assert_eq!(same.assert_status(200)["months_met"], 3);
    let past = app.get(&path(late_id, "compliance"), supervisor.t()).await;
    let past = past.assert_status(200);
    assert_eq!(past["plan_late"], true);
    assert_eq!(past["months_missed"], 12);
    assert_eq!(past["months_met"], 0);
    assert_eq!(past["trainings_rule"], "missed");
    assert_eq!(past["trainings_held"], 0);
}

#[tokio::test]
async fn the_half_year_report_shows_the_approved_plan_over_a_later_draft() {
    let app = spawn().await;
    let s = site(&app, "东湖站").await;
    let year = this_year(&app);
    let report = |half: i32| format!("/reports/half-year?year={year}&half={half}");
    let none = app.get(&report(1), s.secretary.t()).await;
    assert_eq!(none.assert_status(200)["stations"][0]["plan"], Value::Null);

    let items = vec![
        item(1, "新春走访", s.platform, "practice"),
        item(3, "学雷锋", s.platform, "practice"),
        item(7, "暑期托管", s.platform, "practice"),
    ];
    let approved = approved_plan(&app, &s, year, items).await;
    draft_plan(&app, &s, year, vec![item(2, "另稿", s.platform, "practice")]).await;

    let first = app.get(&report(1), s.secretary.t()).await;
    let plan = &first.assert_status(200)["stations"][0]["plan"];
    assert_eq!(plan["plan_id"], approved["id"]);
    assert_eq!(plan["status"], "approved");
    assert_eq!(plan["late"], true, "this year's plan was submitted after 31 January");
    assert_eq!(plan["items_in_half"], 2);
    let second = app.get(&report(2), s.secretary.t()).await;
    assert_eq!(second.assert_status(200)["stations"][0]["plan"]["items_in_half"], 1);
}
