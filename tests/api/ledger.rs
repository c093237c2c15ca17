//! The year's ledger (台账): a year built through the API, read back as JSON, CSV and an .xlsx
//! workbook, and who may read which station's ledger.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::activities::{Station, body, published, spawn, station};
use crate::helpers::*;
use crate::orders::{account, order_in, world};

const SHEETS: [&str; 6] = ["活动", "签到名单", "培训", "会议", "服务订单", "请假"];

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

/// The Excel serial of a moment shown in China time.
fn serial(at: DateTime<Utc>) -> f64 {
    let local = at.with_timezone(&china()).naive_local();
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    (local - epoch).num_milliseconds() as f64 / 86_400_000.0
}

/// A server whose ledger reads two rows per query, so that the small year built here crosses
/// page boundaries in every section (the keyset paging is what these tests then check).
async fn spawn_paged() -> TestApp {
    spawn_app_with(&[("ACCESS_TOKEN_TTL_SECS", "86400"), ("LEDGER_PAGE_ROWS", "2")]).await
}

/// What the year made: ids and counts to check the ledger against.
struct Year {
    station: Station,
    year: i32,
    practice: i64,
    practice_start: DateTime<Utc>,
    training: i64,
    meeting: i64,
    completed_order: i64,
    rated_order: i64,
    volunteer_phone: String,
}

async fn code(app: &TestApp, id: i64, token: &str) -> String {
    let reply = app
        .post(
            &format!("/activities/{id}/checkin-code"),
            Some(token),
            json!({"ttl_minutes": 240}),
        )
        .await;
    reply.assert_status(201)["code"].as_str().unwrap().to_owned()
}

async fn sign_up(app: &TestApp, id: i64, token: &str) {
    app.post(&format!("/activities/{id}/signups"), Some(token), json!({}))
        .await
        .assert_status(201);
}

async fn finish_and_record(app: &TestApp, s: &Station, id: i64, record: Value) {
    app.post(&format!("/activities/{id}/finish"), Some(&s.secretary.1), json!({}))
        .await
        .assert_status(200);
    // The secretary hosts, so the director confirms attendance.
    let archived = app
        .put(&format!("/activities/{id}/record"), Some(&s.director.1), record)
        .await;
    assert_eq!(archived.assert_status(200)["status"], "archived");
}

/// A station's year: a practice activity (one volunteer checked in, one resident absent), a
/// training (one attended, one on approved leave, one whose leave was rejected and who stayed
/// away), a meeting with minutes, a draft never published, a completed and a rated order.
async fn build_year(app: &TestApp) -> Year {
    let w = world(app).await;
    let director = account(app, Some(w.station), &["director"]).await;
    let s = Station {
        id: w.station,
        secretary: (w.secretary.id, w.secretary.token.clone()),
        director: (director.id, director.token.clone()),
        platform: w.platform,
    };
    let (_, r1) = app.resident(s.id).await;
    let (_, r2) = app.resident(s.id).await;
    let v1 = &w.volunteer;

    let practice_body = body(app, &s, Duration::hours(2), 5, json!({"theme": "孝老爱亲"}));
    let practice_start: DateTime<Utc> = practice_body["starts_at"].as_str().unwrap().parse().unwrap();
    let practice = published(app, &s, practice_body).await;
    let training = published(
        app,
        &s,
        body(
            app,
            &s,
            Duration::hours(5),
            5,
            json!({"kind": "training", "title": "志愿服务规范培训"}),
        ),
    )
    .await;
    let meeting = published(
        app,
        &s,
        body(
            app,
            &s,
            Duration::hours(8),
            5,
            json!({"kind": "meeting", "title": "季度工作例会"}),
        ),
    )
    .await;
    // A draft never published is not part of the ledger.
    let draft = body(app, &s, Duration::hours(9), 5, json!({"title": "未发布的草稿"}));
    app.post("/activities", Some(&s.secretary.1), draft)
        .await
        .assert_status(201);

    sign_up(app, practice, &v1.token).await;
    sign_up(app, practice, &r1).await;
    for token in [v1.token.as_str(), &r1, &r2] {
        sign_up(app, training, token).await;
    }
    // Training leave: r2's approved, r1's rejected.
    for (token, decision) in [(&r2, "approve"), (&r1, "reject")] {
        let leave = app
            .post(
                "/leave-requests",
                Some(token),
                json!({"activity_id": training, "reason": "发烧需就医", "reason_category": "illness"}),
            )
            .await;
        let leave_id = leave.assert_status(201)["id"].as_i64().unwrap();
        app.post(
            &format!("/leave-requests/{leave_id}/{decision}"),
            Some(&s.director.1),
            json!({"comment": "已阅"}),
        )
        .await
        .assert_status(200);
    }

    // The practice activity (+2h to +4h): v1 checks in, r1 stays away.
    app.clock.advance(Duration::hours(2) + Duration::minutes(5));
    let practice_code = code(app, practice, &s.secretary.1).await;
    app.post(
        &format!("/activities/{practice}/checkin"),
        Some(&v1.token),
        json!({"code": practice_code}),
    )
    .await
    .assert_status(200);
    app.clock.advance(Duration::hours(2) + Duration::minutes(5));
    finish_and_record(
        app,
        &s,
        practice,
        json!({"summary": "为 12 位老人义诊理发", "materials": "照片 12 张", "attendance_confirmed": true}),
    )
    .await;
    // The training (+5h to +7h): v1 checks in.
    app.clock.advance(Duration::hours(1));
    let training_code = code(app, training, &s.secretary.1).await;
    app.post(
        &format!("/activities/{training}/checkin"),
        Some(&v1.token),
        json!({"code": training_code}),
    )
    .await
    .assert_status(200);
    app.clock.advance(Duration::hours(2) + Duration::minutes(5));
    finish_and_record(
        app,
        &s,
        training,
        json!({"summary": "学习志愿服务规范", "attendance_confirmed": true}),
    )
    .await;
    // The meeting (+8h to +10h).
    app.clock.advance(Duration::hours(1));
    finish_and_record(
        app,
        &s,
        meeting,
        json!({"summary": "部署下季度工作", "minutes": "会议记录：一、总结；二、部署", "attendance_confirmed": true}),
    )
    .await;

    let completed_order = order_in(app, &w, "completed").await;
    let rated_order = order_in(app, &w, "completed").await;
    app.post(
        &format!("/orders/{rated_order}/rate"),
        w.resident.t(),
        json!({"stars": 4, "comment": "很及时"}),
    )
    .await
    .assert_status(200);

    Year {
        year: practice_start.with_timezone(&china()).year(),
        station: s,
        practice,
        practice_start,
        training,
        meeting,
        completed_order,
        rated_order,
        volunteer_phone: v1.phone.clone(),
    }
}

fn rows<'a>(ledger: &'a Value, sheet: &str) -> &'a Vec<Value> {
    ledger["sheets"][sheet].as_array().unwrap()
}

fn row_with<'a>(list: &'a [Value], key: &str, id: i64) -> &'a Value {
    list.iter().find(|r| r[key] == json!(id)).unwrap()
}

#[tokio::test]
async fn the_json_ledger_holds_every_section_of_the_year_as_made() {
    let app = spawn_paged().await;
    let y = build_year(&app).await;
    let sec = &y.station.secretary.1;
    let reply = app.get(&format!("/ledger?year={}", y.year), Some(sec)).await;
    let ledger = reply.assert_status(200);
    assert_eq!(ledger["year"], json!(y.year));
    assert_eq!(ledger["station_id"], json!(y.station.id));

    // Activities: the three published ones by start; the draft is left out.
    let activities = rows(ledger, "activities");
    let ids: Vec<i64> = activities.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![y.practice, y.training, y.meeting]);
    let practice = &activities[0];
    assert_eq!(practice["status"], "archived");
    assert_eq!(practice["theme"], "孝老爱亲");
    assert_eq!(practice["confirmed_count"], 2);
    assert_eq!(practice["attended_count"], 1);
    assert_eq!(practice["record_summary"], "为 12 位老人义诊理发");
    assert_eq!(practice["record_materials"], "照片 12 张");
    assert!(practice["attendance_confirmed_at"].is_string());

    // Attendance: 2 sign-ups of the practice activity, 3 of the training.
    let attendance = rows(ledger, "attendance");
    assert_eq!(attendance.len(), 5);
    let of = |activity: i64| attendance.iter().filter(move |r| r["activity_id"] == json!(activity));
    assert_eq!(of(y.practice).count(), 2);
    assert_eq!(of(y.training).count(), 3);
    let attended: Vec<&Value> = of(y.practice).filter(|r| r["attendance"] == "attended").collect();
    assert_eq!(attended.len(), 1);
    assert!(attended[0]["checked_in_at"].is_string());
    assert_eq!(attended[0]["manual"], false);
    let masked = format!("{}****{}", &y.volunteer_phone[..3], &y.volunteer_phone[7..]);
    assert_eq!(attended[0]["phone"], json!(masked));
    assert_eq!(of(y.practice).filter(|r| r["attendance"] == "absent").count(), 1);
    let training_marks: Vec<&str> = of(y.training).map(|r| r["attendance"].as_str().unwrap()).collect();
    assert_eq!(training_marks.iter().filter(|m| **m == "attended").count(), 1);
    assert_eq!(training_marks.iter().filter(|m| **m == "excused").count(), 1);
    assert_eq!(training_marks.iter().filter(|m| **m == "absent").count(), 1);

    // Trainings and meetings.
    let trainings = rows(ledger, "trainings");
    assert_eq!(trainings.len(), 1);
    let training = &trainings[0];
    assert_eq!(training["id"], json!(y.training));
    assert_eq!(training["confirmed_count"], 2, "approved leave frees the place");
    assert_eq!(training["attended_count"], 1);
    assert_eq!(training["leave_approved_count"], 1);
    assert_eq!(training["absent_count"], 1);
    assert_eq!(training["leave_requests_count"], 2);
    let meetings = rows(ledger, "meetings");
    assert_eq!(meetings.len(), 1);
    assert_eq!(meetings[0]["id"], json!(y.meeting));
    assert_eq!(meetings[0]["record_minutes"], "会议记录：一、总结；二、部署");

    // Orders: both finished ones, with minutes and the rating.
    let orders = rows(ledger, "orders");
    assert_eq!(orders.len(), 2);
    let completed = row_with(orders, "id", y.completed_order);
    assert_eq!(completed["status"], "completed");
    assert_eq!(completed["service_minutes"], 90);
    assert_eq!(completed["stars"], Value::Null);
    let rated = row_with(orders, "id", y.rated_order);
    assert_eq!(rated["status"], "rated");
    assert_eq!(rated["stars"], 4);
    assert_eq!(rated["rating_comment"], "很及时");
    assert_eq!(rated["focus_group"], "elderly");
    assert!(rated["volunteer_name"].is_string());

    // Leave decisions: one approved, one rejected, both by the director.
    let leave = rows(ledger, "leave");
    assert_eq!(leave.len(), 2);
    let mut statuses: Vec<&str> = leave.iter().map(|l| l["status"].as_str().unwrap()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, vec!["approved", "rejected"]);
    assert!(leave.iter().all(|l| l["activity_id"] == json!(y.training)));
    assert!(
        leave
            .iter()
            .all(|l| l["reason_category"] == "illness" && l["comment"] == "已阅")
    );

    // Another year is empty.
    let next = app.get(&format!("/ledger?year={}", y.year + 1), Some(sec)).await;
    let next = next.assert_status(200);
    for sheet in ["activities", "attendance", "trainings", "meetings", "orders", "leave"] {
        assert!(rows(next, sheet).is_empty(), "{sheet}");
    }
}

async fn download(app: &TestApp, path: &str, token: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let response = app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    (headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn the_csv_has_a_bom_chinese_headers_and_one_line_per_row() {
    let app = spawn().await;
    let y = build_year(&app).await;
    let sec = &y.station.secretary.1;
    let (headers, bytes) = download(&app, &format!("/ledger?year={}&format=csv", y.year), sec).await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with(&format!(
            "attachment; filename=\"ledger-{}-{}-activities.csv\"",
            y.station.id, y.year
        )),
        "{disposition}"
    );
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(&header[..4], &["编号", "活动名称", "类型", "状态"]);
    assert_eq!(header[8], "开始时间");
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0][0], y.practice.to_string());
    assert_eq!(&records[0][2], "实践活动");
    assert_eq!(&records[0][3], "已归档");
    assert_eq!(&records[1][2], "业务培训");
    let local = y
        .practice_start
        .with_timezone(&china())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    assert_eq!(&records[0][8], local.as_str(), "times are China time");
    assert_eq!(&records[0][13], "1", "attended");

    // Another section by `sheet`.
    let (_, bytes) = download(
        &app,
        &format!("/ledger?year={}&format=csv&sheet=attendance", y.year),
        sec,
    )
    .await;
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(&reader.headers().unwrap()[3], "姓名");
    assert_eq!(reader.records().count(), 5);
    let (_, bytes) = download(&app, &format!("/ledger?year={}&format=csv&sheet=orders", y.year), sec).await;
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let orders: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(orders.len(), 2);
    assert!(orders.iter().any(|r| &r[10] == "4" && &r[11] == "很及时"));

    app.get(&format!("/ledger?year={}&format=csv&sheet=photos", y.year), Some(sec))
        .await
        .assert_problem(400, "INVALID_QUERY");
}

#[tokio::test]
async fn the_workbook_has_a_sheet_per_section_with_numbers_and_dates_as_such() {
    let app = spawn_paged().await;
    let y = build_year(&app).await;
    let sec = &y.station.secretary.1;
    let (headers, bytes) = download(&app, &format!("/ledger?year={}&format=xlsx", y.year), sec).await;
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with(&format!(
            "attachment; filename=\"ledger-{}-{}.xlsx\"",
            y.station.id, y.year
        )),
        "{disposition}"
    );

    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert_eq!(workbook.sheet_names(), SHEETS.map(str::to_owned).to_vec());

    let activities = workbook.worksheet_range("活动").unwrap();
    assert_eq!(activities.height(), 4, "a header row and three activities");
    assert_eq!(activities.get((0, 0)), Some(&Data::String("编号".into())));
    assert_eq!(activities.get((0, 1)), Some(&Data::String("活动名称".into())));
    assert_eq!(activities.get((1, 0)), Some(&Data::Float(y.practice as f64)));
    assert_eq!(activities.get((1, 1)), Some(&Data::String("重阳节敬老志愿服务".into())));
    assert_eq!(activities.get((1, 3)), Some(&Data::String("已归档".into())));
    assert_eq!(activities.get((1, 13)), Some(&Data::Float(1.0)), "attended, a number");
    match activities.get((1, 8)) {
        Some(Data::DateTime(start)) => {
            assert!(start.is_datetime());
            assert!((start.as_f64() - serial(y.practice_start)).abs() < 1.0 / 86_400.0);
        }
        other => panic!("the start is a date-time cell, not {other:?}"),
    }

    let attendance = workbook.worksheet_range("签到名单").unwrap();
    assert_eq!(attendance.height(), 6);
    assert_eq!(attendance.get((0, 3)), Some(&Data::String("姓名".into())));
    let trainings = workbook.worksheet_range("培训").unwrap();
    assert_eq!(trainings.height(), 2);
    assert_eq!(trainings.get((1, 0)), Some(&Data::Float(y.training as f64)));
    assert_eq!(trainings.get((1, 9)), Some(&Data::Float(1.0)), "approved leave");
    assert_eq!(trainings.get((1, 10)), Some(&Data::Float(1.0)), "absent");
    let meetings = workbook.worksheet_range("会议").unwrap();
    assert_eq!(
        meetings.get((1, 9)),
        Some(&Data::String("会议记录：一、总结；二、部署".into()))
    );
    let orders = workbook.worksheet_range("服务订单").unwrap();
    assert_eq!(orders.height(), 3);
    assert_eq!(orders.get((0, 9)), Some(&Data::String("服务时长（分钟）".into())));
    assert_eq!(orders.get((1, 9)), Some(&Data::Float(90.0)));
    let leave = workbook.worksheet_range("请假").unwrap();
    assert_eq!(leave.height(), 3);
    assert!(matches!(leave.get((1, 8)), Some(Data::DateTime(_))));
}

#[tokio::test]
async fn only_the_station_s_staff_and_supervisors_read_its_ledger() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let other = station(&app, "西湖站").await;
    published(&app, &s, body(&app, &s, Duration::hours(2), 5, json!({}))).await;
    let year = (app.clock.now() + Duration::hours(2)).with_timezone(&china()).year();
    let path = format!("/ledger?year={year}");
    let named = format!("{path}&station_id={}", s.id);

    app.get(&path, None).await.assert_problem(401, "MISSING_TOKEN");
    let (_, resident) = app.resident(s.id).await;
    app.get(&path, Some(&resident)).await.assert_problem(403, "FORBIDDEN");
    let (_, volunteer) = crate::activities::volunteer(&app, s.id).await;
    app.get(&path, Some(&volunteer)).await.assert_problem(403, "FORBIDDEN");
    app.get(&named, Some(&other.secretary.1))
        .await
        .assert_problem(403, "OTHER_STATION");
    app.get(&format!("{named}&format=xlsx"), Some(&other.director.1))
        .await
        .assert_problem(403, "OTHER_STATION");
    // The other station's own ledger does not show this station's activity.
    let own = app.get(&path, Some(&other.secretary.1)).await;
    assert!(
        own.assert_status(200)["sheets"]["activities"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let (_, supervisor) = app.staff(None, &["supervisor"]).await;
    app.get(&path, Some(&supervisor))
        .await
        .assert_problem(422, "STATION_REQUIRED");
    let read = app.get(&named, Some(&supervisor)).await;
    let read = read.assert_status(200);
    assert_eq!(read["station_name"], "东湖站");
    assert_eq!(read["sheets"]["activities"].as_array().unwrap().len(), 1);
    // A station outside the supervisor's district, existing or not, is refused alike.
    app.get(&format!("/ledger?year={year}&station_id=999999"), Some(&supervisor))
        .await
        .assert_problem(403, "OTHER_STATION");
    let admin = app.admin_token().await;
    app.get(&format!("/ledger?year={year}&station_id=999999"), Some(&admin))
        .await
        .assert_problem(404, "NOT_FOUND");
    let director = app.get(&path, Some(&s.director.1)).await;
    assert_eq!(
        director.assert_status(200)["sheets"]["activities"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let sec = &s.secretary.1;
    app.get(&format!("{path}&format=pdf"), Some(sec))
        .await
        .assert_problem(400, "INVALID_QUERY");
    app.get("/ledger", Some(sec)).await.assert_problem(400, "INVALID_QUERY");
    app.get("/ledger?year=1999", Some(sec))
        .await
        .assert_problem(422, "VALIDATION_FAILED");
}

/// Finished orders written straight to the database (many share a completion time), so that
/// the ledger must page through more rows than one read holds.
async fn seed_finished_orders(app: &TestApp, count: usize) -> (i64, String, i32) {
    use entity::{enums::OrderStatus, order};
    use sea_orm::{ActiveValue::Set, EntityTrait};

    let w = world(app).await;
    let now = app.clock.now();
    let rows: Vec<order::ActiveModel> = (0..count)
        .map(|i| order::ActiveModel {
            station_id: Set(w.station as i32),
            resident_id: Set(w.resident.id as i32),
            placed_by: Set(w.resident.id as i32),
            title: Set(format!("代买药品 {i}")),
            description: Set("取药".into()),
            platform_id: Set(w.platform as i32),
            address: Set("东湖路 88 号".into()),
            contact_phone: Set("13912345678".into()),
            status: Set(OrderStatus::Completed),
            volunteer_id: Set(Some(w.volunteer.id as i32)),
            service_minutes: Set(Some(30 + (i % 60) as i32)),
            // Groups of seven orders finish at the same moment.
            completed_at: Set(Some(now - Duration::minutes(2000) + Duration::minutes((i / 7) as i64))),
            auto_confirmed: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(200) {
        order::Entity::insert_many(chunk.to_vec())
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    let year = (now - Duration::minutes(2000)).with_timezone(&china()).year();
    (w.station, w.secretary.token.clone(), year)
}

#[tokio::test]
async fn a_ledger_longer_than_one_read_comes_whole_and_in_order_in_every_format() {
    let app = spawn().await;
    let count = 1_234;
    let (station, token, year) = seed_finished_orders(&app, count).await;
    let now = app.clock.now();
    // Keep every seeded order inside one year (they finished in the last 2,000 minutes).
    if (now - Duration::minutes(2000)).with_timezone(&china()).year() != now.with_timezone(&china()).year() {
        return;
    }

    let started = std::time::Instant::now();
    let reply = app.get(&format!("/ledger?year={year}"), Some(&token)).await;
    let json_took = started.elapsed();
    let orders = rows(reply.assert_status(200), "orders").clone();
    assert_eq!(orders.len(), count);
    let keys: Vec<(String, i64)> = orders
        .iter()
        .map(|o| {
            (
                o["completed_at"].as_str().unwrap().to_owned(),
                o["id"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted, "by completion time, then id, each order once");

    let (_, bytes) = download(&app, &format!("/ledger?year={year}&format=csv&sheet=orders"), &token).await;
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(reader.records().count(), count);

    let started = std::time::Instant::now();
    let (_, bytes) = download(
        &app,
        &format!("/ledger?year={year}&format=xlsx&station_id={station}"),
        &token,
    )
    .await;
    let xlsx_took = started.elapsed();
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = workbook.worksheet_range("服务订单").unwrap();
    assert_eq!(sheet.height(), count + 1);
    let ids: Vec<i64> = (1..=count as u32)
        .map(|r| match sheet.get_value((r, 0)) {
            Some(Data::Float(id)) => *id as i64,
            other => panic!("row {r}: {other:?}"),
        })
        .collect();
    assert_eq!(ids, keys.iter().map(|k| k.1).collect::<Vec<_>>());
    eprintln!("ledger of {count} orders: json {json_took:?}, xlsx {xlsx_took:?}");
}
