//! Announcements (rule 11): who publishes, what readers see and in which order, scheduled
//! publishing, and an activity's record published as news.

use chrono::Duration;
use serde_json::{Value, json};

use crate::activities::{Station, body, published, spawn, station, ts, volunteer};
use crate::helpers::*;

async fn announce(app: &TestApp, token: &str, extra: Value) -> i64 {
    let mut body = json!({"title": "社区通知", "body": "本周六上午集中学习", "category": "notice"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let reply = app.post("/announcements", Some(token), body).await;
    let id = reply.assert_status(201)["id"].as_i64().unwrap();
    assert_eq!(
        reply.headers["location"].to_str().unwrap(),
        format!("/api/v1/announcements/{id}")
    );
    id
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn readers_see_pinned_first_then_newest_with_paging_totals() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let sec = &s.secretary.1;
    let now = app.clock.now();
    let oldest = announce(&app, sec, json!({"publish_at": ts(now - Duration::hours(3))})).await;
    let pinned = announce(
        &app,
        sec,
        json!({"publish_at": ts(now - Duration::hours(2)), "pinned": true}),
    )
    .await;
    let newest = announce(&app, sec, json!({"publish_at": ts(now - Duration::hours(1))})).await;

    let all = app.get(&format!("/announcements?station_id={}", s.id), None).await;
    let all = all.assert_status(200);
    assert_eq!(ids(all), vec![pinned, newest, oldest]);
    assert_eq!(all["total"], 3);
    assert_eq!(all["items"][0]["pinned"], true);
    assert_eq!(all["items"][0]["published"], true);
    assert_eq!(
        all["items"][0]["allowed_actions"],
        json!([]),
        "anonymous readers change nothing"
    );

    let first = app
        .get(&format!("/announcements?station_id={}&page=1&page_size=2", s.id), None)
        .await;
    let first = first.assert_status(200);
    assert_eq!((ids(first), first["total"].as_i64()), (vec![pinned, newest], Some(3)));
    let second = app
        .get(&format!("/announcements?station_id={}&page=2&page_size=2", s.id), None)
        .await;
    assert_eq!(ids(second.assert_status(200)), vec![oldest]);

    let mine = app.get(&format!("/announcements/{pinned}"), Some(sec)).await;
    assert_eq!(mine.assert_status(200)["allowed_actions"], json!(["edit", "delete"]));
}

#[tokio::test]
async fn a_scheduled_announcement_stays_hidden_until_its_publish_time() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let other = station(&app, "西湖站").await;
    let at = app.clock.now() + Duration::hours(2);
    let id = announce(
        &app,
        &s.secretary.1,
        json!({"publish_at": ts(at), "title": "元旦活动预告"}),
    )
    .await;
    let (_, resident) = app.resident(s.id).await;

    let listed = app.get("/announcements", None).await;
    assert!(!ids(listed.assert_status(200)).contains(&id));
    app.get(&format!("/announcements/{id}"), None)
        .await
        .assert_problem(404, "NOT_FOUND");
    app.get(&format!("/announcements/{id}"), Some(&resident))
        .await
        .assert_problem(404, "NOT_FOUND");
    app.get(&format!("/announcements/{id}"), Some(&other.secretary.1))
        .await
        .assert_problem(404, "NOT_FOUND");

    // Its station's staff see it, flagged as not yet published.
    let own = app.get(&format!("/announcements/{id}"), Some(&s.director.1)).await;
    assert_eq!(own.assert_status(200)["published"], false);
    let scheduled = app
        .get("/announcements?include_scheduled=true", Some(&s.secretary.1))
        .await;
    assert!(ids(scheduled.assert_status(200)).contains(&id));
    let without = app.get("/announcements", Some(&s.secretary.1)).await;
    assert!(!ids(without.assert_status(200)).contains(&id));
    for token in [&other.secretary.1, &resident] {
        let theirs = app.get("/announcements?include_scheduled=true", Some(token)).await;
        assert!(!ids(theirs.assert_status(200)).contains(&id));
    }

    app.clock.advance(Duration::hours(2) + Duration::minutes(1));
    let listed = app.get("/announcements", None).await;
    assert!(ids(listed.assert_status(200)).contains(&id));
    let read = app.get(&format!("/announcements/{id}"), Some(&resident)).await;
    let read = read.assert_status(200);
    assert_eq!(read["title"], "元旦活动预告");
    assert_eq!(read["published"], true);
}

#[tokio::test]
async fn lists_filter_by_category_and_station() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let other = station(&app, "西湖站").await;
    let news = announce(&app, &s.secretary.1, json!({"category": "news"})).await;
    let learning = announce(&app, &s.secretary.1, json!({"category": "learning"})).await;
    let elsewhere = announce(&app, &other.secretary.1, json!({"category": "learning"})).await;
    let admin = app.admin_token().await;
    let platform_wide = app
        .post(
            "/announcements",
            Some(&admin),
            json!({"title": "全区通知", "body": "全区统一部署", "category": "notice"}),
        )
        .await;
    let platform_wide = platform_wide.assert_status(201);
    assert_eq!(platform_wide["station_id"], Value::Null);
    let platform_wide = platform_wide["id"].as_i64().unwrap();

    let mut learning_all = ids(app
        .get("/announcements?category=learning", None)
        .await
        .assert_status(200));
    learning_all.sort_unstable();
    assert_eq!(learning_all, vec![learning, elsewhere]);
    let station_learning = app
        .get(&format!("/announcements?category=learning&station_id={}", s.id), None)
        .await;
    assert_eq!(ids(station_learning.assert_status(200)), vec![learning]);
    let station_all = app.get(&format!("/announcements?station_id={}", s.id), None).await;
    let station_all = station_all.assert_status(200);
    assert_eq!(station_all["total"], 2);
    assert!(ids(station_all).contains(&news));
    let everything = app.get("/announcements?page_size=100", None).await;
    let everything = everything.assert_status(200);
    assert_eq!(everything["total"], 4);
    assert!(ids(everything).contains(&platform_wide));

    app.get("/announcements?category=gossip", None)
        .await
        .assert_problem(400, "INVALID_QUERY");
}

#[tokio::test]
async fn only_staff_of_the_station_publish_edit_and_delete() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let other = station(&app, "西湖站").await;
    let item = json!({"title": "社区通知", "body": "正文", "category": "notice"});
    let (_, resident) = app.resident(s.id).await;
    let (_, helper) = volunteer(&app, s.id).await;
    for token in [&resident, &helper] {
        app.post("/announcements", Some(token), item.clone())
            .await
            .assert_problem(403, "FORBIDDEN");
    }
    app.post("/announcements", None, item.clone())
        .await
        .assert_problem(401, "MISSING_TOKEN");
    let mut foreign = item.clone();
    foreign["station_id"] = json!(other.id);
    app.post("/announcements", Some(&s.secretary.1), foreign)
        .await
        .assert_problem(403, "OTHER_STATION");

    let id = announce(&app, &s.secretary.1, json!({})).await;
    let path = format!("/announcements/{id}");
    // Another station's staff can read it but not change it; a resident neither.
    app.patch(&path, Some(&other.secretary.1), json!({"pinned": true}))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.patch(&path, Some(&resident), json!({"pinned": true}))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.delete(&path, Some(&other.director.1))
        .await
        .assert_problem(403, "FORBIDDEN");
    // A scheduled one is not even visible to them.
    let later = announce(
        &app,
        &s.secretary.1,
        json!({"publish_at": ts(app.clock.now() + Duration::days(1))}),
    )
    .await;
    app.patch(
        &format!("/announcements/{later}"),
        Some(&other.secretary.1),
        json!({"pinned": true}),
    )
    .await
    .assert_problem(404, "NOT_FOUND");

    // Its station's director edits: absent fields stay, an empty cover removes it.
    let with_cover = app
        .patch(
            &path,
            Some(&s.director.1),
            json!({"cover_url": "https://img.example.cn/a.jpg", "pinned": true}),
        )
        .await;
    assert_eq!(
        with_cover.assert_status(200)["cover_url"],
        "https://img.example.cn/a.jpg"
    );
    let edited = app
        .patch(
            &path,
            Some(&s.director.1),
            json!({"title": "社区通知（更新）", "cover_url": ""}),
        )
        .await;
    let edited = edited.assert_status(200);
    assert_eq!(edited["title"], "社区通知（更新）");
    assert_eq!(edited["body"], "本周六上午集中学习");
    assert_eq!(edited["pinned"], true);
    assert_eq!(edited["cover_url"], Value::Null);

    let deleted = app.delete(&path, Some(&s.secretary.1)).await;
    assert_eq!(deleted.status, 204);
    app.get(&path, None).await.assert_problem(404, "NOT_FOUND");
}

#[tokio::test]
async fn invalid_announcements_are_refused_field_by_field() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let valid = json!({"title": "社区通知", "body": "正文", "category": "notice"});
    let cases: Vec<(&str, Value, &str)> = vec![
        ("empty title", json!({"title": ""}), "title"),
        ("long title", json!({"title": "长".repeat(201)}), "title"),
        ("empty body", json!({"body": ""}), "body"),
        ("long body", json!({"body": "字".repeat(20001)}), "body"),
        ("unknown category", json!({"category": "gossip"}), "category"),
        (
            "ftp cover",
            json!({"cover_url": "ftp://img.example.cn/a.jpg"}),
            "cover_url",
        ),
        ("not a url", json!({"cover_url": "封面"}), "cover_url"),
    ];
    for (case, change, field) in cases {
        let mut body = valid.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = app.post("/announcements", Some(&s.secretary.1), body).await;
        reply.assert_problem(422, "VALIDATION_FAILED");
        assert_eq!(reply.body["errors"][0]["field"], field, "{case}: {}", reply.text);
    }
    let id = announce(&app, &s.secretary.1, json!({})).await;
    app.patch(
        &format!("/announcements/{id}"),
        Some(&s.secretary.1),
        json!({"cover_url": "javascript:alert(1)"}),
    )
    .await
    .assert_problem(422, "VALIDATION_FAILED");
}

/// Finishes an activity of `s` that has started and archives it with its record.
async fn archive(app: &TestApp, s: &Station, id: i64, summary: &str) {
    app.post(&format!("/activities/{id}/finish"), Some(&s.secretary.1), json!({}))
        .await
        .assert_status(200);
    app.put(
        &format!("/activities/{id}/record"),
        Some(&s.director.1),
        json!({"summary": summary, "attendance_confirmed": true}),
    )
    .await
    .assert_status(200);
}

#[tokio::test]
async fn an_archived_activity_s_record_is_published_as_news_once() {
    let app = spawn().await;
    let s = station(&app, "东湖站").await;
    let other = station(&app, "西湖站").await;
    let id = published(&app, &s, body(&app, &s, Duration::hours(1), 10, json!({}))).await;
    let news = format!("/activities/{id}/news");

    // Not yet recorded.
    app.post(&news, Some(&s.secretary.1), json!({}))
        .await
        .assert_problem(409, "ACTIVITY_NOT_RECORDED");
    app.clock.advance(Duration::hours(1) + Duration::minutes(30));
    app.post(&format!("/activities/{id}/finish"), Some(&s.secretary.1), json!({}))
        .await
        .assert_status(200);
    app.post(&news, Some(&s.secretary.1), json!({}))
        .await
        .assert_problem(409, "ACTIVITY_NOT_RECORDED");
    app.put(
        &format!("/activities/{id}/record"),
        Some(&s.director.1),
        json!({"summary": "为 32 位老人义诊理发", "attendance_confirmed": true}),
    )
    .await
    .assert_status(200);

    // Only the activity's station's staff.
    let (_, resident) = app.resident(s.id).await;
    app.post(&news, Some(&resident), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");
    app.post(&news, Some(&other.secretary.1), json!({}))
        .await
        .assert_problem(403, "FORBIDDEN");

    let made = app.post(&news, Some(&s.secretary.1), json!({"pinned": true})).await;
    let made = made.assert_status(201).clone();
    let news_id = made["id"].as_i64().unwrap();
    assert_eq!(made["category"], "news");
    assert_eq!(made["title"], "重阳节敬老志愿服务");
    assert_eq!(made["activity_id"], json!(id));
    assert_eq!(made["station_id"], json!(s.id));
    assert_eq!(made["pinned"], true);
    assert!(made["body"].as_str().unwrap().starts_with("为 32 位老人义诊理发"));
    assert!(made["body"].as_str().unwrap().contains("社区活动中心"));
    let listed = app.get("/announcements?category=news", None).await;
    assert_eq!(ids(listed.assert_status(200)), vec![news_id]);

    app.post(&news, Some(&s.director.1), json!({}))
        .await
        .assert_problem(409, "ALREADY_PUBLISHED");

    // Two calls at once for another archived activity (one without a body): one news only.
    let second = published(
        &app,
        &s,
        body(&app, &s, Duration::hours(1), 10, json!({"title": "读书会"})),
    )
    .await;
    app.clock.advance(Duration::hours(1) + Duration::minutes(30));
    archive(&app, &s, second, "共读《平凡的世界》").await;
    let path = format!("/activities/{second}/news");
    let (a, b) = tokio::join!(
        app.request(reqwest::Method::POST, &path, Some(&s.secretary.1), None),
        app.post(&path, Some(&s.director.1), json!({})),
    );
    let (won, lost) = if a.status == 201 { (a, b) } else { (b, a) };
    assert_eq!(won.assert_status(201)["title"], "读书会");
    lost.assert_problem(409, "ALREADY_PUBLISHED");
    let listed = app.get("/announcements?category=news", None).await;
    assert_eq!(listed.assert_status(200)["total"], 2);
}
