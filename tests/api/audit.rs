//! The audit log (issue 11): every audited staff action writes exactly one entry naming the
//! actor, the action, the record, its station and the client's address; a refused action writes
//! nothing; admins read every entry, supervisors their district's, nobody else any; and the log
//! cannot be changed through the API.

use chrono::{Datelike, Duration};
use reqwest::Method;
use serde_json::{Value, json};

use crate::activities::{Station, body, published, station};
use crate::helpers::*;
use crate::orders::{Person, World, account, order_in, place, world};

/// The address our requests are forwarded for by the (trusted) proxy on the test's own address.
const CLIENT: &str = "198.51.100.7";

/// A test app that trusts a proxy on 127.0.0.1, so `X-Forwarded-For` names the client.
async fn spawn() -> TestApp {
    spawn_app_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("ACCESS_TOKEN_TTL_SECS", "86400"),
        ("LOGIN_ATTEMPTS_PER_MINUTE", "1000"),
        ("REGISTER_ATTEMPTS_PER_MINUTE", "1000"),
    ])
    .await
}

/// Sends a request as if forwarded by the trusted proxy for [`CLIENT`], with a request id.
async fn send(app: &TestApp, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("X-Forwarded-For", CLIENT)
        .header("X-Request-Id", "audit-test-1");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    into_reply(request.send().await.unwrap()).await
}

async fn post(app: &TestApp, path: &str, who: &Person, body: Value) -> Reply {
    send(app, Method::POST, path, who.t(), Some(body)).await
}

/// The admin as a [`Person`] (id from `GET /me`).
async fn admin(app: &TestApp) -> Person {
    let token = app.admin_token().await;
    let me = app.get("/me", Some(&token)).await;
    Person {
        id: me.assert_status(200)["id"].as_i64().unwrap(),
        phone: me.body["phone"].as_str().unwrap().to_owned(),
        token,
    }
}

/// A station's people from the activities helpers, as [`Person`]s.
fn person(app_station: &(i64, String)) -> Person {
    Person {
        id: app_station.0,
        phone: String::new(),
        token: app_station.1.clone(),
    }
}

/// The admin's page of entries for `query`.
async fn log(app: &TestApp, query: &str) -> Value {
    let token = app.admin_token().await;
    app.get(&format!("/audit-log?page_size=100&{query}"), Some(&token))
        .await
        .assert_status(200)
        .clone()
}

/// How many entries `action` has about `target_id`.
async fn count(app: &TestApp, action: &str, target_id: i64) -> u64 {
    log(app, &format!("action={action}&target_id={target_id}")).await["total"]
        .as_u64()
        .unwrap()
}

/// The one entry of `action` about `target_id`, checked for actor, target, station and origin.
async fn the_entry(
    app: &TestApp,
    action: &str,
    target_type: &str,
    target_id: i64,
    actor: &Person,
    station: Option<i64>,
) -> Value {
    let page = log(app, &format!("action={action}&target_id={target_id}")).await;
    assert_eq!(page["total"], json!(1), "one {action} entry for {target_id}: {page}");
    let entry = page["items"][0].clone();
    assert_eq!(entry["actor_id"], json!(actor.id), "{entry}");
    assert_eq!(entry["action"], json!(action));
    assert_eq!(entry["target_type"], json!(target_type), "{entry}");
    assert_eq!(entry["target_id"], json!(target_id.to_string()));
    assert_eq!(entry["station_id"], json!(station), "{entry}");
    assert_eq!(entry["client_address"], json!(CLIENT), "{entry}");
    assert_eq!(entry["request_id"], json!("audit-test-1"));
    assert!(entry["created_at"].as_str().is_some_and(|t| t.len() >= 20), "{entry}");
    entry
}

#[tokio::test]
async fn new_staff_accounts_and_role_changes_are_audited_with_who_what_and_from_where() {
    let app = spawn().await;
    let w = world(&app).await;
    let admin = admin(&app).await;
    let director = account(&app, Some(w.station), &["director"]).await;

    let phone = unique_phone();
    let made = post(
        &app,
        "/users",
        &admin,
        account_body(&phone, "新秘书", Some(w.station), &["secretary"]),
    )
    .await;
    let made = made.assert_status(201)["id"].as_i64().unwrap();
    let entry = the_entry(&app, "user.created", "user", made, &admin, Some(w.station)).await;
    assert_eq!(entry["actor_roles"], json!(["admin", "resident"]));
    assert_eq!(entry["detail"]["roles"], json!(["resident", "secretary"]));

    let path = format!("/users/{}/roles", w.resident.id);
    let granted = send(
        &app,
        Method::PUT,
        &path,
        director.t(),
        Some(json!({"roles": ["secretary"]})),
    )
    .await;
    granted.assert_status(200);
    let entry = the_entry(
        &app,
        "user.roles_changed",
        "user",
        w.resident.id,
        &director,
        Some(w.station),
    )
    .await;
    assert_eq!(entry["actor_roles"], json!(["director", "resident"]));
    assert_eq!(
        entry["detail"],
        json!({"before": ["resident"], "after": ["resident", "secretary"], "district": null})
    );

    // Refused grants write nothing: a role above the director's, and the last admin's own role.
    let refused = send(
        &app,
        Method::PUT,
        &path,
        director.t(),
        Some(json!({"roles": ["admin"]})),
    )
    .await;
    refused.assert_problem(403, "ROLE_NOT_GRANTABLE");
    let own = format!("/users/{}/roles", admin.id);
    let last = send(&app, Method::PUT, &own, admin.t(), Some(json!({"roles": []}))).await;
    last.assert_problem(409, "LAST_ADMIN");
    assert_eq!(count(&app, "user.roles_changed", w.resident.id).await, 1);
    assert_eq!(count(&app, "user.roles_changed", admin.id).await, 0);
    // Granting supervision records the district: it decides which stations the grantee reads.
    let overseer = account(&app, Some(w.station), &[]).await;
    let grant = json!({"roles": ["supervisor"], "district": "洪山区"});
    let path_of = format!("/users/{}/roles", overseer.id);
    send(&app, Method::PUT, &path_of, admin.t(), Some(grant))
        .await
        .assert_status(200);
    let entry = the_entry(&app, "user.roles_changed", "user", overseer.id, &admin, Some(w.station)).await;
    assert_eq!(entry["detail"]["district"], json!("洪山区"));
    assert_eq!(entry["detail"]["after"], json!(["resident", "supervisor"]));
    // A resident registering is no staff action.
    let (resident, _) = app.register(w.station, "居民").await;
    assert_eq!(
        log(&app, &format!("target_type=user&target_id={resident}")).await["total"],
        json!(0)
    );

    // Without a forwarded header the peer is the client.
    let plain = app.put(&path, admin.t(), json!({"roles": []})).await;
    plain.assert_status(200);
    let page = log(&app, &format!("action=user.roles_changed&target_id={}", w.resident.id)).await;
    assert_eq!(page["total"], json!(2));
    assert_eq!(page["items"][0]["client_address"], json!("127.0.0.1"), "newest first");
    // Without an `X-Request-Id` the server's own id is recorded, the one it answered with.
    let answered = plain.headers["x-request-id"].to_str().unwrap();
    assert_eq!(page["items"][0]["request_id"], json!(answered));
    assert_eq!(page["items"][1]["client_address"], json!(CLIENT));
}

#[tokio::test]
async fn staff_order_actions_and_a_supervisors_phone_read_are_audited_and_refusals_are_not() {
    let app = spawn().await;
    let w = world(&app).await;
    let supervisor = account(&app, None, &["supervisor"]).await;
    let order_path = |id: i64, action: &str| format!("/orders/{id}/{action}");

    let rejected = place(&app, &w).await;
    post(
        &app,
        &order_path(rejected, "reject"),
        &w.secretary,
        json!({"reason": "不在服务范围"}),
    )
    .await
    .assert_status(200);
    let entry = the_entry(&app, "order.rejected", "order", rejected, &w.secretary, Some(w.station)).await;
    assert_eq!(entry["detail"]["from"], json!("submitted"));
    assert_eq!(entry["detail"]["to"], json!("rejected"));
    // A second rejection is a 409 inside the transaction: no second entry.
    post(
        &app,
        &order_path(rejected, "reject"),
        &w.secretary,
        json!({"reason": "重复"}),
    )
    .await
    .assert_problem(409, "ORDER_NOT_SUBMITTED");
    assert_eq!(count(&app, "order.rejected", rejected).await, 1);

    let cancelled = order_in(&app, &w, "accepted").await;
    post(
        &app,
        &order_path(cancelled, "cancel"),
        &w.secretary,
        json!({"reason": "居民住院"}),
    )
    .await
    .assert_status(200);
    let entry = the_entry(
        &app,
        "order.cancelled",
        "order",
        cancelled,
        &w.secretary,
        Some(w.station),
    )
    .await;
    assert_eq!(entry["detail"]["note"], json!("居民住院"));
    // Ten rejections of one order at once: one succeeds, and it alone has an entry.
    let raced = place(&app, &w).await;
    let reject = order_path(raced, "reject");
    let replies =
        futures::future::join_all((0..10).map(|_| post(&app, &reject, &w.secretary, json!({"reason": "并发"})))).await;
    let won = replies.iter().filter(|r| r.status.as_u16() == 200).count();
    assert_eq!(won, 1);
    assert!(replies.iter().all(|r| matches!(r.status.as_u16(), 200 | 409)));
    assert_eq!(count(&app, "order.rejected", raced).await, 1);
    // A resident cancelling their own order is not a staff action.
    let own = place(&app, &w).await;
    post(
        &app,
        &order_path(own, "cancel"),
        &w.resident,
        json!({"reason": "不需要了"}),
    )
    .await
    .assert_status(200);
    assert_eq!(count(&app, "order.cancelled", own).await, 0);

    let moved = order_in(&app, &w, "assigned").await;
    post(
        &app,
        &order_path(moved, "redispatch"),
        &w.secretary,
        json!({"mode": "open", "note": "改为派单池"}),
    )
    .await
    .assert_status(200);
    the_entry(
        &app,
        "order.redispatched",
        "order",
        moved,
        &w.secretary,
        Some(w.station),
    )
    .await;
    // A volunteer may not redispatch: 403 and nothing written.
    let refused = post(
        &app,
        &order_path(moved, "redispatch"),
        &w.volunteer,
        json!({"mode": "submitted"}),
    )
    .await;
    assert!(matches!(refused.status.as_u16(), 403 | 404), "{}", refused.text);
    assert_eq!(count(&app, "order.redispatched", moved).await, 1);

    // A supervisor opening an order sees the phone in full: audited. Lists stay masked, and the
    // station's own staff serve the resident: neither is a reveal.
    let opened = send(&app, Method::GET, &format!("/orders/{rejected}"), supervisor.t(), None).await;
    assert_eq!(opened.assert_status(200)["contact_phone"], json!("13912345678"));
    let entry = the_entry(&app, "phone.revealed", "order", rejected, &supervisor, Some(w.station)).await;
    assert_eq!(entry["detail"]["resident_id"], json!(w.resident.id));
    app.get("/orders", supervisor.t()).await.assert_status(200);
    app.get(&format!("/orders/{moved}"), w.secretary.t())
        .await
        .assert_status(200);
    assert_eq!(log(&app, "action=phone.revealed").await["total"], json!(1));
}

#[tokio::test]
async fn activity_and_leave_decisions_are_audited_and_refusals_are_not() {
    let app = spawn().await;
    let s: Station = station(&app, &format!("东湖站{}", unique_phone())).await;
    let secretary = person(&s.secretary);
    let director = person(&s.director);

    let id = crate::activities::draft(&app, &s, body(&app, &s, Duration::hours(5), 5, json!({}))).await;
    app.post(&format!("/activities/{id}/submit"), secretary.t(), json!({}))
        .await
        .assert_status(200);
    post(&app, &format!("/activities/{id}/approve"), &director, json!({}))
        .await
        .assert_status(200);
    the_entry(&app, "activity.approved", "activity", id, &director, Some(s.id)).await;
    // Approving again is a 409: nothing more. Submitting is no audited action.
    post(&app, &format!("/activities/{id}/approve"), &director, json!({}))
        .await
        .assert_problem(409, "ACTIVITY_STATE_CONFLICT");
    assert_eq!(
        log(&app, &format!("target_type=activity&target_id={id}")).await["total"],
        json!(1)
    );

    let rejected = crate::activities::draft(&app, &s, body(&app, &s, Duration::hours(5), 5, json!({}))).await;
    app.post(&format!("/activities/{rejected}/submit"), secretary.t(), json!({}))
        .await
        .assert_status(200);
    post(
        &app,
        &format!("/activities/{rejected}/reject"),
        &director,
        json!({"reason": "时间冲突"}),
    )
    .await
    .assert_status(200);
    let entry = the_entry(&app, "activity.rejected", "activity", rejected, &director, Some(s.id)).await;
    assert_eq!(entry["detail"]["reason"], json!("时间冲突"));

    // Leave: one approved, one rejected, one withdrawn (not a staff action).
    let mut asks = Vec::new();
    for _ in 0..3 {
        let (_, member) = app.resident(s.id).await;
        app.post(&format!("/activities/{id}/signups"), Some(&member), json!({}))
            .await
            .assert_status(201);
        let ask = app
            .post(
                "/leave-requests",
                Some(&member),
                json!({"activity_id": id, "reason": "出差"}),
            )
            .await;
        asks.push((ask.assert_status(201)["id"].as_i64().unwrap(), member));
    }
    let leave = |id: i64, action: &str| format!("/leave-requests/{id}/{action}");
    post(
        &app,
        &leave(asks[0].0, "approve"),
        &secretary,
        json!({"comment": "同意"}),
    )
    .await
    .assert_status(200);
    post(
        &app,
        &leave(asks[1].0, "reject"),
        &secretary,
        json!({"comment": "人手不足"}),
    )
    .await
    .assert_status(200);
    app.post(&leave(asks[2].0, "withdraw"), Some(&asks[2].1), json!({}))
        .await
        .assert_status(200);
    let entry = the_entry(
        &app,
        "leave.approved",
        "leave_request",
        asks[0].0,
        &secretary,
        Some(s.id),
    )
    .await;
    assert_eq!(entry["detail"]["activity_id"], json!(id));
    the_entry(
        &app,
        "leave.rejected",
        "leave_request",
        asks[1].0,
        &secretary,
        Some(s.id),
    )
    .await;
    assert_eq!(
        log(&app, &format!("target_type=leave_request&target_id={}", asks[2].0)).await["total"],
        json!(0)
    );
    // Deciding again is a 409: nothing more.
    post(
        &app,
        &leave(asks[0].0, "reject"),
        &secretary,
        json!({"comment": "重复"}),
    )
    .await
    .assert_problem(409, "LEAVE_NOT_PENDING");
    assert_eq!(log(&app, "target_type=leave_request").await["total"], json!(2));

    post(
        &app,
        &format!("/activities/{id}/cancel"),
        &secretary,
        json!({"reason": "天气原因"}),
    )
    .await
    .assert_status(200);
    the_entry(&app, "activity.cancelled", "activity", id, &secretary, Some(s.id)).await;
    let published_id = published(&app, &s, body(&app, &s, Duration::hours(5), 5, json!({}))).await;
    // A resident may not cancel: 403, nothing written.
    let (_, resident) = app.resident(s.id).await;
    let refused = app
        .post(
            &format!("/activities/{published_id}/cancel"),
            Some(&resident),
            json!({"reason": "x"}),
        )
        .await;
    assert!(matches!(refused.status.as_u16(), 403 | 404), "{}", refused.text);
    assert_eq!(count(&app, "activity.cancelled", published_id).await, 0);
}

#[tokio::test]
async fn volunteer_hours_and_export_actions_are_audited_and_refusals_are_not() {
    let app = spawn().await;
    let w: World = world(&app).await;
    let director = account(&app, Some(w.station), &["director"]).await;

    // Volunteer applications: approved and rejected.
    let mut applications = Vec::new();
    for _ in 0..2 {
        let applicant = account(&app, Some(w.station), &[]).await;
        let reply = app
            .post(
                "/volunteer-applications",
                applicant.t(),
                json!({"real_name": "李明", "skills": [], "source": "party_members"}),
            )
            .await;
        applications.push((reply.assert_status(201)["id"].as_i64().unwrap(), applicant));
    }
    let review = |id: i64, action: &str| format!("/volunteer-applications/{id}/{action}");
    post(&app, &review(applications[0].0, "approve"), &w.secretary, json!({}))
        .await
        .assert_status(200);
    post(
        &app,
        &review(applications[1].0, "reject"),
        &w.secretary,
        json!({"reason": "材料不全"}),
    )
    .await
    .assert_status(200);
    let entry = the_entry(
        &app,
        "volunteer_application.approved",
        "volunteer_application",
        applications[0].0,
        &w.secretary,
        Some(w.station),
    )
    .await;
    assert_eq!(entry["detail"]["applicant_id"], json!(applications[0].1.id));
    the_entry(
        &app,
        "volunteer_application.rejected",
        "volunteer_application",
        applications[1].0,
        &w.secretary,
        Some(w.station),
    )
    .await;
    post(
        &app,
        &review(applications[0].0, "reject"),
        &w.secretary,
        json!({"reason": "重复"}),
    )
    .await
    .assert_problem(409, "APPLICATION_NOT_PENDING");
    assert_eq!(log(&app, "target_type=volunteer_application").await["total"], json!(2));

    // An hours correction, and one refused (a resident may not correct).
    let correction = json!({"volunteer_id": w.volunteer.id, "minutes": 30, "reason": "核对台账"});
    let made = post(&app, "/hours/corrections", &w.secretary, correction.clone()).await;
    let entry_id = made.assert_status(201)["id"].as_i64().unwrap();
    let entry = the_entry(
        &app,
        "hours.corrected",
        "service_hour",
        entry_id,
        &w.secretary,
        Some(w.station),
    )
    .await;
    assert_eq!(entry["detail"]["volunteer_id"], json!(w.volunteer.id));
    assert_eq!(entry["detail"]["minutes"], json!(30));
    post(&app, "/hours/corrections", &w.resident, correction)
        .await
        .assert_problem(403, "FORBIDDEN");
    assert_eq!(log(&app, "action=hours.corrected").await["total"], json!(1));

    // A volunteer's profile carries the phone: opened by staff it is a reveal, by themself not.
    let profile = format!("/volunteers/{}", w.volunteer.id);
    send(&app, Method::GET, &profile, w.secretary.t(), None)
        .await
        .assert_status(200);
    the_entry(
        &app,
        "phone.revealed",
        "user",
        w.volunteer.id,
        &w.secretary,
        Some(w.station),
    )
    .await;
    app.get(&profile, w.volunteer.t()).await.assert_status(200);
    assert_eq!(count(&app, "phone.revealed", w.volunteer.id).await, 1);

    // Deactivation.
    post(
        &app,
        &format!("/volunteers/{}/deactivate", w.other_volunteer.id),
        &director,
        json!({"reason": "长期未参加"}),
    )
    .await
    .assert_status(200);
    let entry = the_entry(
        &app,
        "volunteer.deactivated",
        "user",
        w.other_volunteer.id,
        &director,
        Some(w.station),
    )
    .await;
    assert_eq!(entry["detail"]["reason"], json!("长期未参加"));
    post(
        &app,
        &format!("/volunteers/{}/deactivate", w.other_volunteer.id),
        &director,
        json!({}),
    )
    .await
    .assert_problem(404, "NOT_FOUND");
    assert_eq!(count(&app, "volunteer.deactivated", w.other_volunteer.id).await, 1);

    // Ledger files are exports; the JSON view is not.
    let year = app.clock.now().year();
    for query in ["format=xlsx", "format=csv&sheet=attendance", "format=json"] {
        let path = format!("/ledger?year={year}&{query}");
        send(&app, Method::GET, &path, w.secretary.t(), None)
            .await
            .assert_status(200);
    }
    let page = log(&app, "action=ledger.exported").await;
    assert_eq!(page["total"], json!(2), "{page}");
    assert_eq!(
        page["items"][0]["detail"],
        json!({"format": "csv", "year": year, "sheet": "attendance"})
    );
    assert_eq!(
        page["items"][1]["detail"],
        json!({"format": "xlsx", "year": year, "sheet": null})
    );
    for entry in page["items"].as_array().unwrap() {
        assert_eq!(entry["actor_id"], json!(w.secretary.id));
        assert_eq!(entry["target_type"], json!("station"));
        assert_eq!(entry["target_id"], json!(w.station.to_string()));
        assert_eq!(entry["station_id"], json!(w.station));
        assert_eq!(entry["client_address"], json!(CLIENT));
    }
}

#[tokio::test]
async fn plan_inspection_and_commendation_decisions_are_audited() {
    let app = spawn().await;
    let w: World = world(&app).await;
    let director = account(&app, Some(w.station), &["director"]).await;
    let supervisor = account(&app, None, &["supervisor"]).await;
    let year = app
        .clock
        .now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .year();

    // Plans: one rejected, one approved.
    let mut plans = Vec::new();
    for _ in 0..2 {
        let reply = app
            .post(
                "/annual-plans",
                w.secretary.t(),
                json!({"year": year, "title": "年度实践活动方案", "goals": "每月一次",
                       "items": [{"month": 12, "theme": "敬老", "platform_id": w.platform, "kind": "practice"}]}),
            )
            .await;
        let id = reply.assert_status(201)["id"].as_i64().unwrap();
        app.post(&format!("/annual-plans/{id}/submit"), w.secretary.t(), json!({}))
            .await
            .assert_status(200);
        plans.push(id);
    }
    post(
        &app,
        &format!("/annual-plans/{}/reject", plans[0]),
        &director,
        json!({"reason": "内容太少"}),
    )
    .await
    .assert_status(200);
    post(
        &app,
        &format!("/annual-plans/{}/approve", plans[1]),
        &director,
        json!({}),
    )
    .await
    .assert_status(200);
    let entry = the_entry(
        &app,
        "plan.rejected",
        "annual_plan",
        plans[0],
        &director,
        Some(w.station),
    )
    .await;
    assert_eq!(entry["detail"], json!({"year": year, "note": "内容太少"}));
    the_entry(
        &app,
        "plan.approved",
        "annual_plan",
        plans[1],
        &director,
        Some(w.station),
    )
    .await;
    // The secretary may not approve: nothing written.
    let refused = post(
        &app,
        &format!("/annual-plans/{}/approve", plans[0]),
        &w.secretary,
        json!({}),
    )
    .await;
    assert_eq!(refused.status.as_u16() / 100, 4, "{}", refused.text);
    assert_eq!(count(&app, "plan.approved", plans[0]).await, 0);

    // An inspection closed once its items are rectified; closing early is a 409.
    let filed = app
        .post(
            "/inspections",
            supervisor.t(),
            json!({"station_id": w.station, "year": 2026, "half": 1, "score": 82,
                   "findings": "台账记录不全。", "items": [{"text": "补齐签到表"}]}),
        )
        .await;
    let filed = filed.assert_status(201).clone();
    let inspection = filed["id"].as_i64().unwrap();
    post(
        &app,
        &format!("/inspections/{inspection}/close"),
        &supervisor,
        json!({}),
    )
    .await
    .assert_problem(409, "ITEMS_OPEN");
    assert_eq!(count(&app, "inspection.closed", inspection).await, 0);
    let item = filed["items"][0]["id"].as_i64().unwrap();
    app.post(
        &format!("/inspections/{inspection}/items/{item}/rectify"),
        w.secretary.t(),
        json!({"note": "已补齐"}),
    )
    .await
    .assert_status(200);
    post(
        &app,
        &format!("/inspections/{inspection}/close"),
        &supervisor,
        json!({}),
    )
    .await
    .assert_status(200);
    the_entry(
        &app,
        "inspection.closed",
        "inspection",
        inspection,
        &supervisor,
        Some(w.station),
    )
    .await;

    // A commendation approved by the director (the secretary may not).
    let nominated = app
        .post(
            "/commendations",
            w.secretary.t(),
            json!({"year": year, "volunteer_id": w.volunteer.id, "reason": "全年助老送药"}),
        )
        .await;
    let commendation = nominated.assert_status(201)["id"].as_i64().unwrap();
    let approve = format!("/commendations/{commendation}/approve");
    post(&app, &approve, &w.secretary, json!({}))
        .await
        .assert_problem(403, "DIRECTOR_REQUIRED");
    assert_eq!(count(&app, "commendation.approved", commendation).await, 0);
    post(&app, &approve, &director, json!({})).await.assert_status(200);
    the_entry(
        &app,
        "commendation.approved",
        "commendation",
        commendation,
        &director,
        Some(w.station),
    )
    .await;
}

/// Two stations in two districts, with an order rejected in each.
async fn two_districts(app: &TestApp) -> (World, World, i64, i64) {
    let here = world(app).await;
    let there = world(app).await;
    let admin = app.admin_token().await;
    app.patch(
        &format!("/stations/{}", there.station),
        Some(&admin),
        json!({"district": "洪山区"}),
    )
    .await
    .assert_status(200);
    let mut rejected = Vec::new();
    for w in [&here, &there] {
        let id = place(app, w).await;
        post(
            app,
            &format!("/orders/{id}/reject"),
            &w.secretary,
            json!({"reason": "不在服务范围"}),
        )
        .await
        .assert_status(200);
        rejected.push(id);
    }
    (here, there, rejected[0], rejected[1])
}

#[tokio::test]
async fn admins_read_every_entry_supervisors_their_district_and_nobody_else_any() {
    let app = spawn().await;
    let (here, there, here_order, there_order) = two_districts(&app).await;
    let supervisor = account(&app, None, &["supervisor"]).await;
    let director = account(&app, Some(here.station), &["director"]).await;

    let all = log(&app, "action=order.rejected").await;
    assert_eq!(all["total"], json!(2));
    let theirs = log(&app, &format!("station_id={}", there.station)).await;
    assert!(theirs["total"].as_u64().unwrap() >= 1);

    let seen = app.get("/audit-log?page_size=100", supervisor.t()).await;
    let seen = seen.assert_status(200);
    let items = seen["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items.iter().all(|e| e["station_id"] == json!(here.station)),
        "only the district's station: {seen}"
    );
    let about = |order: i64| move |e: &Value| e["target_type"] == "order" && e["target_id"] == json!(order.to_string());
    assert!(items.iter().any(about(here_order)));
    assert!(!items.iter().any(about(there_order)));
    // Platform-wide entries (no station) are the admin's alone: the admin made both stations'
    // accounts, and the supervisor's own account has no station.
    assert!(items.iter().all(|e| !e["station_id"].is_null()));
    let own = app
        .get(&format!("/audit-log?station_id={}", here.station), supervisor.t())
        .await;
    assert_eq!(own.assert_status(200)["total"], seen["total"]);
    app.get(&format!("/audit-log?station_id={}", there.station), supervisor.t())
        .await
        .assert_problem(403, "OTHER_STATION");

    for who in [&here.secretary, &director, &here.resident, &here.volunteer] {
        app.get("/audit-log", who.t()).await.assert_problem(403, "FORBIDDEN");
    }
    app.get("/audit-log", None).await.assert_problem(401, "MISSING_TOKEN");
}

#[tokio::test]
async fn filters_and_paging_narrow_the_log_newest_first() {
    let app = spawn().await;
    let (here, _there, here_order, _) = two_districts(&app).await;
    let admin = app.admin_token().await;

    let everything = log(&app, "").await;
    let total = everything["total"].as_u64().unwrap();
    assert_eq!(
        total, 10,
        "eight accounts made by the admin and two rejections: {everything}"
    );
    let items = everything["items"].as_array().unwrap();
    let ids: Vec<i64> = items.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    let mut newest_first = ids.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, newest_first, "newest first");

    let by_actor = log(&app, &format!("actor_id={}", here.secretary.id)).await;
    assert_eq!(by_actor["total"], json!(1));
    assert_eq!(by_actor["items"][0]["target_id"], json!(here_order.to_string()));
    let by_action = log(&app, "action=user.created").await;
    assert_eq!(by_action["total"].as_u64().unwrap(), total - 2);
    let by_target = log(&app, &format!("target_type=order&target_id={here_order}")).await;
    assert_eq!(by_target["total"], json!(1));
    assert_eq!(log(&app, "target_type=activity").await["total"], json!(0));
    let by_station = log(&app, &format!("station_id={}&action=order.rejected", here.station)).await;
    assert_eq!(by_station["total"], json!(1));

    let newest = items[0]["created_at"].as_str().unwrap();
    let oldest = items[items.len() - 1]["created_at"].as_str().unwrap();
    let encode = |t: &str| t.replace('+', "%2B");
    let window = log(&app, &format!("from={}&to={}", encode(oldest), encode(newest))).await;
    assert_eq!(window["total"].as_u64().unwrap(), total);
    let later = (app.clock.now() + Duration::hours(1)).to_rfc3339();
    assert_eq!(log(&app, &format!("from={}", encode(&later))).await["total"], json!(0));
    let earlier = (app.clock.now() - Duration::days(1)).to_rfc3339();
    assert_eq!(log(&app, &format!("to={}", encode(&earlier))).await["total"], json!(0));

    let first = app.get("/audit-log?page=1&page_size=3", Some(&admin)).await;
    let first = first.assert_status(200).clone();
    assert_eq!(first["page"], json!(1));
    assert_eq!(first["page_size"], json!(3));
    assert_eq!(first["total"].as_u64().unwrap(), total);
    assert_eq!(first["items"].as_array().unwrap().len(), 3);
    assert_eq!(first["items"][0]["id"], json!(ids[0]));
    let second = app.get("/audit-log?page=2&page_size=3", Some(&admin)).await;
    assert_eq!(second.assert_status(200)["items"][0]["id"], json!(ids[3]));

    for (query, status, code) in [
        ("page_size=101", 422, "VALIDATION_FAILED"),
        ("page=0", 422, "VALIDATION_FAILED"),
        ("action=", 422, "VALIDATION_FAILED"),
        ("from=yesterday", 400, "INVALID_QUERY"),
        ("station_id=abc", 400, "INVALID_QUERY"),
    ] {
        app.get(&format!("/audit-log?{query}"), Some(&admin))
            .await
            .assert_problem(status, code);
    }
    let backwards = format!("from={}&to={}", encode(newest), encode(&earlier));
    let reply = app.get(&format!("/audit-log?{backwards}"), Some(&admin)).await;
    reply.assert_problem(422, "INVALID_PERIOD");
    assert_eq!(reply.body["errors"][0]["field"], json!("to"));
}

#[tokio::test]
async fn the_log_cannot_be_changed_through_the_api() {
    let app = spawn().await;
    let (_, _, _, _) = two_districts(&app).await;
    let admin = app.admin_token().await;
    let before = log(&app, "").await;
    let id = before["items"][0]["id"].as_i64().unwrap();

    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let reply = app
            .request(method.clone(), "/audit-log", Some(&admin), Some(json!({"action": "x"})))
            .await;
        reply.assert_problem(405, "METHOD_NOT_ALLOWED");
        assert_eq!(reply.headers["allow"], "GET", "{method}");
    }
    for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
        let reply = app
            .request(
                method.clone(),
                &format!("/audit-log/{id}"),
                Some(&admin),
                Some(json!({"action": "x"})),
            )
            .await;
        reply.assert_problem(404, "NOT_FOUND");
    }
    // Method override reaches only PATCH routes, and there is none.
    let overridden = app
        .client
        .post(app.url("/audit-log"))
        .bearer_auth(&admin)
        .header("X-HTTP-Method-Override", "PATCH")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(overridden.status().as_u16(), 405);

    assert_eq!(log(&app, "").await, before, "entries unchanged");
}
