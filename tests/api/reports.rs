//! The station overview, the half-year report and inspections (督查), checked number by number
//! against a month of orders, activities, attendance and leave built through the API.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::activities::{Station, body, published, spawn, station, volunteer};
use crate::helpers::*;
use crate::orders::{Person, World, account, place};

/// Midnight at the start of `day` in China time.
fn china_midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::hours(8)
}

fn china_day(at: DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(8)).date_naive()
}

fn first_of_next_month(day: NaiveDate) -> NaiveDate {
    if day.month() == 12 {
        NaiveDate::from_ymd_opt(day.year() + 1, 1, 1).unwrap()
    } else {
        NaiveDate::from_ymd_opt(day.year(), day.month() + 1, 1).unwrap()
    }
}

fn first_of_previous_month(day: NaiveDate) -> NaiveDate {
    if day.month() == 1 {
        NaiveDate::from_ymd_opt(day.year() - 1, 12, 1).unwrap()
    } else {
        NaiveDate::from_ymd_opt(day.year(), day.month() - 1, 1).unwrap()
    }
}

fn month_name(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// Moves the clock to 10:00 (China time) on the 2nd of next month, so that the whole test
/// happens inside one month whatever day it runs; returns midnight of that 2nd.
fn to_second_of_next_month(app: &TestApp) -> NaiveDate {
    let day = first_of_next_month(china_day(app.clock.now())) + Duration::days(1);
    let target = china_midnight(day) + Duration::hours(10);
    app.clock.advance(target - app.clock.now());
    day
}

fn person(id: i64, token: &str) -> Person {
    Person {
        id,
        phone: String::new(),
        token: token.to_owned(),
    }
}

async fn order_step(app: &TestApp, who: &Person, id: i64, action: &str, body: Value) {
    app.post(&format!("/orders/{id}/{action}"), who.t(), body)
        .await
        .assert_status(200);
}

/// Serves an order placed `wait` before its acceptance, by `volunteer`.
async fn served(app: &TestApp, w: &World, volunteer: &Person, wait: Duration, stars: Option<Value>) -> i64 {
    let id = place(app, w).await;
    app.clock.advance(wait);
    order_step(app, &w.secretary, id, "dispatch", json!({"mode": "open"})).await;
    order_step(app, volunteer, id, "accept", json!({})).await;
    if let Some(rating) = stars {
        order_step(app, volunteer, id, "start", json!({})).await;
        let done = json!({"summary": "已上门服务", "service_minutes": 90});
        order_step(app, volunteer, id, "complete", done).await;
        order_step(app, &w.resident, id, "rate", rating).await;
    }
    id
}

fn at(day: NaiveDate, hours: i64, minutes: i64) -> DateTime<Utc> {
    china_midnight(day) + Duration::hours(hours) + Duration::minutes(minutes)
}

/// An activity of `kind` from `start` to `end` (published), tagged `extra`.
async fn activity(
    app: &TestApp,
    s: &Station,
    kind: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    extra: Value,
) -> i64 {
    let mut fields = json!({"kind": kind, "starts_at": start.to_rfc3339(), "ends_at": end.to_rfc3339()});
    for (k, v) in extra.as_object().unwrap() {
        fields[k] = v.clone();
    }
    published(app, s, body(app, s, Duration::hours(1), 20, fields)).await
}

async fn sign_up(app: &TestApp, id: i64, token: &str) {
    app.post(&format!("/activities/{id}/signups"), Some(token), json!({}))
        .await
        .assert_status(201);
}

async fn ask_leave(app: &TestApp, id: i64, token: &str) -> i64 {
    let reply = app
        .post(
            "/leave-requests",
            Some(token),
            json!({"activity_id": id, "reason": "家中有事"}),
        )
        .await;
    reply.assert_status(201)["id"].as_i64().unwrap()
}

fn has_notice(list: &Value, kind: &str, resource_id: i64) -> bool {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["kind"] == json!(kind) && n["resource_id"] == json!(resource_id))
}

async fn notices(app: &TestApp, token: &str) -> Value {
    app.get("/notifications?page_size=100", Some(token))
        .await
        .assert_status(200)
        .clone()
}

/// What the test built, to check the reports against.
struct Year {
    s: Station,
    other: Station,
    supervisor: (i64, String),
    month: NaiveDate,
    platform: i64,
}

/// One month at a station, on the 2nd: five orders (two rated — 5 and 2 stars, the 2 opening a
/// follow-up —, one accepted, one submitted, one rejected; accepted 10, 30 and 60 minutes after
/// placing), a practice activity with two volunteers present, one approved and one rejected
/// leave and one plain absence, a training, and a draft that never ran.
async fn a_month(app: &TestApp) -> Year {
    let month = to_second_of_next_month(app);
    let s = station(app, "东湖站").await;
    let other = station(app, "西湖站").await;
    let supervisor = app.staff(None, &["supervisor"]).await;
    let w = World {
        station: s.id,
        platform: s.platform,
        secretary: person(s.secretary.0, &s.secretary.1),
        resident: account(app, Some(s.id), &[]).await,
        volunteer: account(app, Some(s.id), &["volunteer"]).await,
        other_volunteer: account(app, Some(s.id), &["volunteer"]).await,
    };

    served(app, &w, &w.volunteer, Duration::minutes(10), Some(json!({"stars": 5}))).await;
    let low = json!({"stars": 2, "reason_tag": "late"});
    served(app, &w, &w.other_volunteer, Duration::minutes(30), Some(low)).await;
    served(app, &w, &w.volunteer, Duration::minutes(60), None).await;
    place(app, &w).await;
    let rejected = place(app, &w).await;
    order_step(app, &w.secretary, rejected, "reject", json!({"reason": "不在服务范围"})).await;

    let practice = activity(
        app,
        &s,
        "practice",
        at(month, 15, 0),
        at(month, 17, 0),
        json!({"focus_group": "left_behind_children"}),
    )
    .await;
    let training = activity(app, &s, "training", at(month, 17, 30), at(month, 19, 30), json!({})).await;
    let draft = body(app, &s, Duration::hours(30), 10, json!({}));
    app.post("/activities", Some(&s.secretary.1), draft)
        .await
        .assert_status(201);

    let (_, v1) = volunteer(app, s.id).await;
    let (_, v2) = volunteer(app, s.id).await;
    let (_, excused) = app.resident(s.id).await;
    let (_, refused) = app.resident(s.id).await;
    let (_, absent) = app.resident(s.id).await;
    for token in [&v1, &v2, &excused, &refused, &absent] {
        sign_up(app, practice, token).await;
    }
    let approve = ask_leave(app, practice, &excused).await;
    app.post(
        &format!("/leave-requests/{approve}/approve"),
        Some(&s.secretary.1),
        json!({}),
    )
    .await
    .assert_status(200);
    let reject = ask_leave(app, practice, &refused).await;
    app.post(
        &format!("/leave-requests/{reject}/reject"),
        Some(&s.secretary.1),
        json!({}),
    )
    .await
    .assert_status(200);

    // Ten minutes before the start the two volunteers check in (two hours each).
    app.clock.advance(at(month, 14, 50) - app.clock.now());
    let code = app
        .post(
            &format!("/activities/{practice}/checkin-code"),
            Some(&s.secretary.1),
            json!({"ttl_minutes": 240}),
        )
        .await;
    let code = code.assert_status(201)["code"].as_str().unwrap().to_owned();
    for token in [&v1, &v2] {
        app.post(
            &format!("/activities/{practice}/checkin"),
            Some(token),
            json!({"code": code}),
        )
        .await
        .assert_status(200);
    }
    app.clock.advance(at(month, 17, 10) - app.clock.now());
    app.post(
        &format!("/activities/{practice}/finish"),
        Some(&s.secretary.1),
        json!({}),
    )
    .await
    .assert_status(200);
    app.put(
        &format!("/activities/{practice}/record"),
        Some(&s.director.1),
        json!({"summary": "关爱留守儿童", "attendance_confirmed": true}),
    )
    .await
    .assert_status(200);
    app.clock.advance(at(month, 19, 40) - app.clock.now());
    app.post(
        &format!("/activities/{training}/finish"),
        Some(&s.secretary.1),
        json!({}),
    )
    .await
    .assert_status(200);

    Year {
        platform: s.platform,
        s,
        other,
        supervisor,
        month,
    }
}

fn overview_path(station: Option<i64>, from: NaiveDate, to: NaiveDate) -> String {
    let named = station.map(|s| format!("&station_id={s}")).unwrap_or_default();
    format!("/stats/overview?from={from}&to={to}{named}")
}

/// Checks every figure of an overview whose period holds the test's month.
fn check_month(o: &Value, y: &Year) {
    assert_eq!(o["station_id"], json!(y.s.id));
    assert_eq!(o["activities_held"], 2, "{o}");
    let month = month_name(y.month);
    for m in o["activities_by_month"].as_array().unwrap() {
        let expected = if m["month"] == json!(month) { 2 } else { 0 };
        assert_eq!(m["held"], expected, "{m}");
    }
    let platforms = o["activities_by_platform"].as_array().unwrap();
    assert_eq!(platforms.len(), 1, "{o}");
    assert_eq!(platforms[0]["platform_id"], json!(y.platform));
    assert_eq!(platforms[0]["held"], 2);
    assert!(!platforms[0]["platform_name"].as_str().unwrap().is_empty());
    assert_eq!(o["participants"], 2);
    assert_eq!(
        o["volunteer_hours"],
        json!({"orders_minutes": 180, "activities_minutes": 240, "corrections_minutes": 0, "total_minutes": 420})
    );
    assert_eq!(
        o["orders_by_status"],
        json!({"submitted": 1, "open": 0, "assigned": 0, "accepted": 1, "in_service": 0, "completed": 0,
               "rated": 2, "rejected": 1, "cancelled": 0, "expired": 0, "total": 5})
    );
    assert_eq!(o["accepted_orders"], 3);
    let median = o["median_minutes_to_accept"].as_f64().unwrap();
    assert!((median - 30.0).abs() < 0.1, "median {median}");
    assert_eq!(o["rated_orders"], 2);
    assert_eq!(o["average_rating"], 3.5);
    assert_eq!(
        o["by_focus_group"],
        json!([
            {"focus_group": "left_behind_children", "orders": 0, "activities": 1},
            {"focus_group": "vulnerable_children", "orders": 0, "activities": 0},
            {"focus_group": "elderly", "orders": 5, "activities": 0},
            {"focus_group": "migrant_workers", "orders": 0, "activities": 0},
        ])
    );
}

fn half_of(day: NaiveDate) -> (i32, u32) {
    (day.year(), if day.month() <= 6 { 1 } else { 2 })
}

#[tokio::test]
async fn the_overview_counts_a_month_of_activities_orders_hours_and_ratings() {
    let app = spawn().await;
    let y = a_month(&app).await;
    let from = first_of_previous_month(y.month);
    let to = first_of_next_month(y.month) - Duration::days(1);

    let reply = app.get(&overview_path(None, from, to), Some(&y.s.secretary.1)).await;
    let o = reply.assert_status(200).clone();
    assert_eq!(o["from"], json!(from.to_string()));
    assert_eq!(o["to"], json!(to.to_string()));
    let months: Vec<&str> = o["activities_by_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, [month_name(from), month_name(y.month)]);
    check_month(&o, &y);

    // A supervisor names the station and reads the same figures.
    let reply = app
        .get(&overview_path(Some(y.s.id), from, to), Some(&y.supervisor.1))
        .await;
    check_month(reply.assert_status(200), &y);

    // The day before the month holds none of it: the period is by China-time days.
    let before = y.month - Duration::days(2);
    let reply = app
        .get(&overview_path(None, from, before), Some(&y.s.secretary.1))
        .await;
    let empty = reply.assert_status(200);
    assert_eq!(empty["activities_held"], 0);
    assert_eq!(empty["orders_by_status"]["total"], 0);
    assert_eq!(empty["volunteer_hours"]["total_minutes"], 0);
    assert_eq!(empty["median_minutes_to_accept"], Value::Null);
    assert_eq!(empty["average_rating"], Value::Null);

    // Another station's figures are its own.
    let reply = app
        .get(&overview_path(None, from, to), Some(&y.other.secretary.1))
        .await;
    let other = reply.assert_status(200);
    assert_eq!(other["station_id"], json!(y.other.id));
    assert_eq!(other["activities_held"], 0);
    assert_eq!(other["orders_by_status"]["total"], 0);
    assert_eq!(other["participants"], 0);
}

#[tokio::test]
async fn the_half_year_report_checks_each_month_and_ranks_the_stations() {
    let app = spawn().await;
    let y = a_month(&app).await;
    let (year, half) = half_of(y.month);
    let path = format!("/reports/half-year?year={year}&half={half}");

    let reply = app.get(&path, Some(&y.s.secretary.1)).await;
    let report = reply.assert_status(200).clone();
    assert_eq!(report["year"], year);
    assert_eq!(report["half"], half);
    let stations = report["stations"].as_array().unwrap();
    assert_eq!(stations.len(), 1, "staff see their own station only");
    let r = &stations[0];
    assert_eq!(r["station_id"], json!(y.s.id));
    assert_eq!(r["station_name"], "东湖站");

    let first_month = if half == 1 { 1 } else { 7 };
    let this = y.month.month();
    let months = r["months"].as_array().unwrap();
    assert_eq!(months.len(), 6);
    for (i, m) in months.iter().enumerate() {
        let number = first_month + u32::try_from(i).unwrap();
        assert_eq!(m["month"], json!(format!("{year:04}-{number:02}")));
        let (held, status) = match number.cmp(&this) {
            std::cmp::Ordering::Less => (0, "missed"),
            std::cmp::Ordering::Equal => (1, "met"),
            std::cmp::Ordering::Greater => (0, "pending"),
        };
        assert_eq!(m["practice_held"], held, "{m}");
        assert_eq!(m["status"], status, "{m}");
    }
    let missed = i64::from(this - first_month);
    assert_eq!(r["months_met"], 1);
    assert_eq!(r["months_missed"], missed);
    assert_eq!(r["months_pending"], 5 - missed);
    assert_eq!(r["trainings_held"], 1);
    assert_eq!(
        r["leave"],
        json!({"pending": 0, "approved": 1, "rejected": 1, "withdrawn": 0, "expired": 0, "cancelled": 0})
    );
    assert_eq!(r["absences"], 2, "the refused leave and the one who never came");
    assert_eq!(r["open_follow_ups"], 1);
    assert_eq!(r["inspections"], json!([]));
    assert_eq!(r["score"], 60 / (1 + missed) + 20 + 15);
    assert_eq!(r["overview"]["activities_by_month"].as_array().unwrap().len(), 6);
    check_month(&r["overview"], &y);

    // The supervisor gets every station in one answer, best score first.
    let reply = app.get(&path, Some(&y.supervisor.1)).await;
    let all = reply.assert_status(200)["stations"].as_array().unwrap().clone();
    let ids: Vec<i64> = all.iter().map(|s| s["station_id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [y.s.id, y.other.id]);
    let other = &all[1];
    let other_months = if missed == 0 { 60 } else { 0 };
    assert_eq!(other["score"], other_months + 20, "{other}");
    assert_eq!(other["months_met"], 0);
    assert_eq!(other["absences"], 0);

    // A half wholly ahead of the clock is all pending.
    let later = format!("/reports/half-year?year={}&half={half}&station_id={}", year + 1, y.s.id);
    let reply = app.get(&later, Some(&y.supervisor.1)).await;
    let ahead = &reply.assert_status(200)["stations"][0];
    assert_eq!(ahead["months_pending"], 6);
    assert_eq!(ahead["trainings_held"], 0);
}

#[tokio::test]
async fn reports_refuse_other_roles_stations_and_bad_periods() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let other = station(&app, "西湖站").await;
    let (_, resident) = app.resident(s.id).await;
    let (_, supervisor) = app.staff(None, &["supervisor"]).await;
    let ok = "from=2026-01-01&to=2026-01-31";

    app.get(&format!("/stats/overview?{ok}"), Some(&resident))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.get(
        &format!("/stats/overview?{ok}&station_id={}", s.id),
        Some(&other.secretary.1),
    )
    .await
    .assert_problem(403, "OTHER_STATION");
    app.get(&format!("/stats/overview?{ok}"), Some(&supervisor))
        .await
        .assert_problem(422, "STATION_REQUIRED");
    // A station outside the supervisor's district, existing or not, is refused alike.
    app.get(&format!("/stats/overview?{ok}&station_id=999999"), Some(&supervisor))
        .await
        .assert_problem(403, "OTHER_STATION");
    let admin = app.admin_token().await;
    app.get(&format!("/stats/overview?{ok}&station_id=999999"), Some(&admin))
        .await
        .assert_problem(422, "VALIDATION_FAILED");
    app.get(&format!("/stats/overview?{ok}"), None)
        .await
        .assert_problem(401, "MISSING_TOKEN");
    for (query, status, code) in [
        ("from=2026-02-01&to=2026-01-31", 422, "INVALID_PERIOD"),
        ("from=2026-01-01&to=2027-01-02", 422, "PERIOD_TOO_LONG"),
        ("from=2026-13-01&to=2026-01-31", 400, "INVALID_QUERY"),
        ("to=2026-01-31", 400, "INVALID_QUERY"),
    ] {
        app.get(&format!("/stats/overview?{query}"), Some(&s.secretary.1))
            .await
            .assert_problem(status, code);
    }
    let leap_year = "/stats/overview?from=2028-01-01&to=2028-12-31";
    let months = app.get(leap_year, Some(&s.director.1)).await;
    assert_eq!(
        months.assert_status(200)["activities_by_month"]
            .as_array()
            .unwrap()
            .len(),
        12
    );

    app.get("/reports/half-year?year=2026&half=1", Some(&resident))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.get(
        &format!("/reports/half-year?year=2026&half=1&station_id={}", s.id),
        Some(&other.secretary.1),
    )
    .await
    .assert_problem(403, "OTHER_STATION");
    for query in ["year=2026&half=3", "year=2026&half=0", "year=1999&half=1"] {
        app.get(&format!("/reports/half-year?{query}"), Some(&s.secretary.1))
            .await
            .assert_problem(422, "VALIDATION_FAILED");
    }
    app.get("/reports/half-year?year=2026", Some(&s.secretary.1))
        .await
        .assert_problem(400, "INVALID_QUERY");
}

pub fn inspection_body(station: i64) -> Value {
    json!({
        "station_id": station, "year": 2026, "half": 1, "score": 82,
        "findings": "活动开展较规范，台账记录不全。",
        "items": [{"text": "补齐 3 月活动签到表"}, {"text": "完善志愿服务时长登记"}]
    })
}

#[tokio::test]
async fn an_inspection_is_filed_rectified_item_by_item_and_closed() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let other = station(&app, "西湖站").await;
    let (supervisor_id, supervisor) = app.staff(None, &["supervisor"]).await;
    let (_, resident) = app.resident(s.id).await;

    // Only a supervisor (or admin) files one.
    app.post("/inspections", Some(&s.secretary.1), inspection_body(s.id))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.post("/inspections", Some(&s.director.1), inspection_body(s.id))
        .await
        .assert_problem(403, "FORBIDDEN");
    let mut bad = inspection_body(s.id);
    bad["score"] = json!(101);
    app.post("/inspections", Some(&supervisor), bad)
        .await
        .assert_problem(422, "VALIDATION_FAILED");
    app.post("/inspections", Some(&supervisor), inspection_body(999_999))
        .await
        .assert_problem(422, "VALIDATION_FAILED");

    let filed = app.post("/inspections", Some(&supervisor), inspection_body(s.id)).await;
    let inspection = filed.assert_status(201).clone();
    let id = inspection["id"].as_i64().unwrap();
    assert_eq!(
        filed.headers["location"].to_str().unwrap(),
        format!("/api/v1/inspections/{id}")
    );
    assert_eq!(inspection["status"], "open");
    assert_eq!(inspection["score"], 82);
    assert_eq!(inspection["created_by"], json!(supervisor_id));
    assert_eq!(
        inspection["allowed_actions"],
        json!([]),
        "items are open: nothing to do yet"
    );
    let items: Vec<i64> = inspection["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(items.len(), 2);
    for token in [&s.secretary.1, &s.director.1] {
        assert!(has_notice(&notices(&app, token).await, "inspection_filed", id));
    }

    // The station's staff see it with their actions; another station's staff do not.
    let seen = app.get(&format!("/inspections/{id}"), Some(&s.secretary.1)).await;
    let seen = seen.assert_status(200);
    assert_eq!(seen["allowed_actions"], json!(["rectify"]));
    assert_eq!(seen["items"][0]["allowed_actions"], json!(["rectify"]));
    app.get(&format!("/inspections/{id}"), Some(&other.secretary.1))
        .await
        .assert_problem(404, "NOT_FOUND");
    app.get(&format!("/inspections/{id}"), Some(&resident))
        .await
        .assert_problem(404, "NOT_FOUND");
    let rectify = |item: i64| format!("/inspections/{id}/items/{item}/rectify");
    let note = json!({"note": "已补齐签到表并归档"});
    app.post(&rectify(items[0]), Some(&other.secretary.1), note.clone())
        .await
        .assert_problem(404, "NOT_FOUND");
    app.post(&rectify(items[0]), Some(&supervisor), note.clone())
        .await
        .assert_problem(403, "FORBIDDEN");
    app.post(
        &format!("/inspections/{id}/items/999999/rectify"),
        Some(&s.secretary.1),
        note.clone(),
    )
    .await
    .assert_problem(404, "NOT_FOUND");
    app.post(&rectify(items[0]), Some(&s.secretary.1), json!({"note": ""}))
        .await
        .assert_problem(422, "VALIDATION_FAILED");

    // Lists: staff their station's, supervisors all; naming another station is refused.
    let mine = app.get("/inspections", Some(&s.secretary.1)).await;
    assert_eq!(mine.assert_status(200)["total"], 1);
    let theirs = app.get("/inspections", Some(&other.secretary.1)).await;
    assert_eq!(theirs.assert_status(200)["total"], 0);
    app.get(&format!("/inspections?station_id={}", s.id), Some(&other.secretary.1))
        .await
        .assert_problem(403, "OTHER_STATION");
    app.get("/inspections", Some(&resident))
        .await
        .assert_problem(403, "FORBIDDEN");
    let all = app
        .get("/inspections?year=2026&half=1&status=open", Some(&supervisor))
        .await;
    assert_eq!(all.assert_status(200)["items"][0]["id"], json!(id));
    let none = app.get("/inspections?half=2", Some(&supervisor)).await;
    assert_eq!(none.assert_status(200)["total"], 0);

    // Closing needs every item rectified.
    app.post(&format!("/inspections/{id}/close"), Some(&supervisor), json!({}))
        .await
        .assert_problem(409, "ITEMS_OPEN");
    let done = app.post(&rectify(items[0]), Some(&s.secretary.1), note.clone()).await;
    let done = done.assert_status(200);
    assert_eq!(done["items"][0]["status"], "rectified");
    assert_eq!(done["items"][0]["rectified_note"], "已补齐签到表并归档");
    assert_eq!(done["items"][0]["rectified_by"], json!(s.secretary.0));
    assert_eq!(done["items"][0]["allowed_actions"], json!([]));
    assert!(has_notice(
        &notices(&app, &supervisor).await,
        "inspection_item_rectified",
        id
    ));
    app.post(&rectify(items[0]), Some(&s.director.1), note.clone())
        .await
        .assert_problem(409, "ITEM_ALREADY_RECTIFIED");
    app.post(&format!("/inspections/{id}/close"), Some(&supervisor), json!({}))
        .await
        .assert_problem(409, "ITEMS_OPEN");
    app.post(&rectify(items[1]), Some(&s.director.1), note.clone())
        .await
        .assert_status(200);

    let ready = app.get(&format!("/inspections/{id}"), Some(&supervisor)).await;
    assert_eq!(ready.assert_status(200)["allowed_actions"], json!(["close"]));
    app.post(&format!("/inspections/{id}/close"), Some(&s.director.1), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");
    let closed = app
        .post(&format!("/inspections/{id}/close"), Some(&supervisor), json!({}))
        .await;
    let closed = closed.assert_status(200);
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["closed_by"], json!(supervisor_id));
    assert!(closed["closed_at"].is_string());
    assert_eq!(closed["allowed_actions"], json!([]));
    assert!(has_notice(
        &notices(&app, &s.secretary.1).await,
        "inspection_closed",
        id
    ));
    app.post(&format!("/inspections/{id}/close"), Some(&supervisor), json!({}))
        .await
        .assert_problem(409, "INSPECTION_CLOSED");
    app.post(&rectify(items[0]), Some(&s.secretary.1), note)
        .await
        .assert_problem(409, "INSPECTION_CLOSED");

    // The half-year report lists the inspection of its period.
    let report = app
        .get(
            &format!("/reports/half-year?year=2026&half=1&station_id={}", s.id),
            Some(&supervisor),
        )
        .await;
    let listed = &report.assert_status(200)["stations"][0]["inspections"];
    assert_eq!(listed[0]["id"], json!(id));
    assert_eq!(listed[0]["status"], "closed");
    assert_eq!(listed[0]["open_items"], 0);
    let other_half = app
        .get(
            &format!("/reports/half-year?year=2026&half=2&station_id={}", s.id),
            Some(&s.secretary.1),
        )
        .await;
    assert_eq!(other_half.assert_status(200)["stations"][0]["inspections"], json!([]));
}

#[tokio::test]
async fn of_two_simultaneous_rectifications_of_one_item_exactly_one_wins() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let admin = app.admin_token().await;
    let filed = app.post("/inspections", Some(&admin), inspection_body(s.id)).await;
    let filed = filed.assert_status(201).clone();
    let id = filed["id"].as_i64().unwrap();
    let item = filed["items"][0]["id"].as_i64().unwrap();
    let path = format!("/inspections/{id}/items/{item}/rectify");
    let note = json!({"note": "已整改"});
    let replies = futures::future::join_all(
        [&s.secretary.1, &s.director.1, &s.secretary.1, &s.director.1]
            .map(|token| app.post(&path, Some(token), note.clone())),
    )
    .await;
    let won = replies.iter().filter(|r| r.status.as_u16() == 200).count();
    assert_eq!(won, 1, "{replies:?}");
    for reply in replies.iter().filter(|r| r.status.as_u16() != 200) {
        reply.assert_problem(409, "ITEM_ALREADY_RECTIFIED");
    }
    let seen = app.get(&format!("/inspections/{id}"), Some(&admin)).await;
    let seen = seen.assert_status(200);
    assert_eq!(seen["items"][0]["status"], "rectified");
    assert_eq!(seen["items"][1]["status"], "open");
}
