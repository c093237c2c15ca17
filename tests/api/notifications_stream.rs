//! `GET /notifications/stream`: live notifications over Server-Sent Events, within one process
//! and across two server processes on one database.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;
use crate::orders::{Person, World, place, world};

const STREAM: &str = "/api/v1/notifications/stream";

/// One event of the stream: a `: comment` has `event` "comment" and the comment text as data.
#[derive(Debug)]
struct Event {
    event: String,
    id: Option<String>,
    data: String,
}

impl Event {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("{e}: {}", self.data))
    }
}

/// An open event stream, read chunk by chunk.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    /// The next event, or `None` when the stream ended; panics after `within`.
    async fn next_within(&mut self, within: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                return Some(parse(&block));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("no event within {within:?}; buffered: {:?}", self.buffer))
                .expect("stream readable")?;
            self.buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8 events"));
        }
    }

    async fn next(&mut self) -> Event {
        self.next_within(Duration::from_secs(2))
            .await
            .expect("the stream goes on")
    }

    /// The next event that is not a heartbeat.
    async fn next_event(&mut self) -> Event {
        loop {
            let event = self.next().await;
            if event.event != "comment" {
                return event;
            }
        }
    }
}

fn parse(block: &str) -> Event {
    let mut event = Event {
        event: "message".into(),
        id: None,
        data: String::new(),
    };
    for line in block.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            event.event = "comment".into();
            event.data = comment.trim().to_owned();
        } else if let Some((field, value)) = line.split_once(':') {
            let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
            match field {
                "event" => event.event = value,
                "id" => event.id = Some(value),
                "data" => event.data = value,
                other => panic!("unexpected field {other}"),
            }
        }
    }
    event
}

/// Opens a stream on the server at `base` with `token` as a header.
async fn open_at(app: &TestApp, base: &str, token: &str, last_event_id: Option<&str>) -> Events {
    let mut request = app.client.get(format!("{base}{STREAM}")).bearer_auth(token);
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id);
    }
    let response = request.send().await.expect("request sent");
    assert_eq!(response.status(), 200);
    Events {
        response,
        buffer: String::new(),
    }
}

async fn open(app: &TestApp, token: &str) -> Events {
    open_at(app, &app.address, token, None).await
}

/// Rejects a new order of the world's resident through the server at `base`: the resident is
/// notified (`order_rejected`).
async fn reject_at(app: &TestApp, base: &str, w: &World) -> i64 {
    let id = place(app, w).await;
    app.request_at(
        base,
        reqwest::Method::POST,
        &format!("/orders/{id}/reject"),
        w.secretary.t(),
        Some(json!({"reason": "不在服务范围"})),
    )
    .await
    .assert_status(200);
    id
}

async fn reject(app: &TestApp, w: &World) -> i64 {
    reject_at(app, &app.address, w).await
}

/// The person's notifications, newest first.
async fn listed(app: &TestApp, who: &Person) -> Vec<Value> {
    app.get("/notifications?page_size=100", who.t())
        .await
        .assert_status(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// Expects the notification event of `expected` (an item of `GET /notifications`) and then the
/// unread count `unread`.
async fn expect_notification(events: &mut Events, expected: &Value, unread: u64) {
    let event = events.next_event().await;
    assert_eq!(event.event, "notification", "{event:?}");
    assert_eq!(event.id.as_deref(), Some(expected["id"].to_string().as_str()));
    assert_eq!(&event.json(), expected);
    let count = events.next_event().await;
    assert_eq!(count.event, "unread", "{count:?}");
    assert_eq!(count.json(), json!({"unread": unread}));
}

#[tokio::test]
async fn the_stream_sends_the_backlog_after_the_last_event_id_then_new_notifications() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for _ in 0..3 {
        reject(&app, &w).await;
    }
    let items = listed(&app, &w.resident).await;
    let (oldest, middle, newest) = (&items[2], &items[1], &items[0]);

    let mut events = open_at(&app, &app.address, &w.resident.token, Some(&oldest["id"].to_string())).await;
    let headers = events.response.headers();
    assert_eq!(headers["content-type"], "text/event-stream");
    assert_eq!(headers["cache-control"], "no-cache");
    if app.processes == 1 {
        // For a proxy in front: nginx takes this header for itself and does not pass it on
        // (deploy/nginx.conf.template turns buffering off for the stream anyway).
        assert_eq!(headers["x-accel-buffering"], "no");
    }
    for expected in [middle, newest] {
        let event = events.next_event().await;
        assert_eq!(event.event, "notification");
        assert_eq!(event.id.as_deref(), Some(expected["id"].to_string().as_str()));
        assert_eq!(&event.json(), expected);
    }
    let count = events.next_event().await;
    assert_eq!((count.event.as_str(), count.json()), ("unread", json!({"unread": 3})));

    // A new notification, written by a real action, arrives with the same JSON as the list's.
    let started = std::time::Instant::now();
    reject(&app, &w).await;
    let fresh = listed(&app, &w.resident).await[0].clone();
    expect_notification(&mut events, &fresh, 4).await;
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());

    // The same backlog through `?last_event_id=`, for clients that cannot set the header.
    let response = app
        .client
        .get(format!("{}{STREAM}?last_event_id={}", app.address, newest["id"]))
        .bearer_auth(&w.resident.token)
        .send()
        .await
        .unwrap();
    let mut by_query = Events {
        response,
        buffer: String::new(),
    };
    expect_notification(&mut by_query, &fresh, 4).await;

    // Without an id: no backlog, only the unread count.
    let mut plain = open(&app, &w.resident.token).await;
    let count = plain.next_event().await;
    assert_eq!((count.event.as_str(), count.json()), ("unread", json!({"unread": 4})));
}

#[tokio::test]
async fn another_users_notifications_never_arrive() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let other = world(&app).await;
    let mut events = open(&app, &w.resident.token).await;
    assert_eq!(events.next_event().await.json(), json!({"unread": 0}));
    let mut theirs = open(&app, &other.resident.token).await;
    assert_eq!(theirs.next_event().await.json(), json!({"unread": 0}));

    reject(&app, &other).await;
    let their_item = listed(&app, &other.resident).await[0].clone();
    expect_notification(&mut theirs, &their_item, 1).await;
    reject(&app, &w).await;
    let mine = listed(&app, &w.resident).await[0].clone();
    // The first event here is the caller's own: the other resident's came and went unseen.
    expect_notification(&mut events, &mine, 1).await;
}

#[tokio::test]
async fn a_bad_last_event_id_is_refused() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let (_, token) = app.resident(station).await;
    for bad in ["abc", "-1", "99999999999"] {
        let reply = into_reply(
            app.client
                .get(app.url(STREAM))
                .bearer_auth(&token)
                .header("Last-Event-ID", bad)
                .send()
                .await
                .unwrap(),
        )
        .await;
        reply.assert_problem(400, "INVALID_LAST_EVENT_ID");
    }
    // An id from the future counts as "now": what comes next is not hidden behind it.
    let w = world(&app).await;
    let mut events = open_at(&app, &app.address, &w.resident.token, Some("2000000000")).await;
    assert_eq!(events.next_event().await.json(), json!({"unread": 0}));
    reject(&app, &w).await;
    let item = listed(&app, &w.resident).await[0].clone();
    expect_notification(&mut events, &item, 1).await;
}

/// A notification written by one process reaches a stream held by another, both ways, on the
/// test's database (SQLite, or PostgreSQL with `TEST_DATABASE_URL`).
#[tokio::test]
async fn a_notification_written_by_another_process_reaches_the_stream() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let other = app.spawn_process(&[]).await;

    let mut here = open(&app, &w.resident.token).await;
    assert_eq!(here.next_event().await.json(), json!({"unread": 0}));
    let mut there = open_at(&app, &other.address, &w.resident.token, None).await;
    assert_eq!(there.next_event().await.json(), json!({"unread": 0}));

    // Written by the second process, read on a stream of the first.
    let started = std::time::Instant::now();
    reject_at(&app, &other.address, &w).await;
    let first = listed(&app, &w.resident).await[0].clone();
    expect_notification(&mut here, &first, 1).await;
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    expect_notification(&mut there, &first, 1).await;

    // And the other way round.
    reject(&app, &w).await;
    let second = listed(&app, &w.resident).await[0].clone();
    expect_notification(&mut there, &second, 2).await;
    expect_notification(&mut here, &second, 2).await;
}

#[tokio::test]
async fn an_idle_stream_sends_heartbeats_and_ends_after_its_time() {
    let app = spawn_app_with(&[("SSE_HEARTBEAT_SECS", "1"), ("SSE_MAX_SECONDS", "3")]).await;
    let station = app.create_station("东湖站").await;
    let (_, token) = app.resident(station).await;
    let mut events = open(&app, &token).await;
    assert_eq!(events.next().await.event, "unread");
    let ping = events.next().await;
    assert_eq!((ping.event.as_str(), ping.data.as_str()), ("comment", "ping"));
    // The stream ends by itself (the client reconnects with `Last-Event-ID`).
    while let Some(event) = events.next_within(Duration::from_secs(4)).await {
        assert_eq!(event.event, "comment", "{event:?}");
    }
}

#[tokio::test]
async fn a_stream_ends_when_its_access_token_expires() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let (_, token) = app.resident(station).await;
    // The token (15 minutes by default) has 2 seconds left when the stream opens.
    app.clock.advance(chrono::Duration::seconds(900 - 2));
    let mut events = open(&app, &token).await;
    assert_eq!(events.next_event().await.event, "unread");
    let started = std::time::Instant::now();
    while let Some(event) = events.next_within(Duration::from_secs(5)).await {
        assert_eq!(event.event, "comment", "{event:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}

/// SIGTERM ends the open streams at once, so the graceful shutdown does not wait its whole
/// timeout (30 s) on them.
#[tokio::test]
async fn sigterm_ends_the_streams_and_the_server_exits_promptly() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let (_, token) = app.resident(station).await;
    let mut process = app.spawn_process(&[]).await;
    let mut events = open_at(&app, &process.address, &token, None).await;
    assert_eq!(events.next_event().await.event, "unread");
    let killed = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(process.child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let started = std::time::Instant::now();
    while let Some(event) = events.next_within(Duration::from_secs(5)).await {
        assert_eq!(event.event, "comment", "{event:?}");
    }
    let mut exited = None;
    for _ in 0..50 {
        if let Some(status) = process.child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(exited.expect("the server exits soon after SIGTERM").success());
    assert!(started.elapsed() < Duration::from_secs(6), "{:?}", started.elapsed());
}

#[tokio::test]
async fn the_token_may_come_in_the_query_on_this_route_only() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let (_, token) = app.resident(station).await;
    let response = app
        .client
        .get(format!("{}{STREAM}?access_token={token}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut events = Events {
        response,
        buffer: String::new(),
    };
    assert_eq!(events.next_event().await.json(), json!({"unread": 0}));

    let bad = into_reply(
        app.client
            .get(format!("{}{STREAM}?access_token=not-a-token", app.address))
            .send()
            .await
            .unwrap(),
    )
    .await;
    bad.assert_problem(401, "INVALID_TOKEN");
    let none = into_reply(app.client.get(app.url(STREAM)).send().await.unwrap()).await;
    none.assert_problem(401, "MISSING_TOKEN");
    // Anywhere else a token in the URL is not a credential.
    app.get(&format!("/notifications?access_token={token}"), None)
        .await
        .assert_problem(401, "MISSING_TOKEN");
}

#[tokio::test]
async fn the_request_log_never_shows_the_query_token() {
    let app = spawn_app().await;
    let station = app.create_station("东湖站").await;
    let (_, token) = app.resident(station).await;
    let log = app.db.data_dir.join("server.log");
    let other = app.spawn_process_logging_to(&[("RUST_LOG", "info")], Some(&log)).await;
    let response = app
        .client
        .get(format!(
            "{}{STREAM}?access_token={token}&last_event_id=0",
            other.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut events = Events {
        response,
        buffer: String::new(),
    };
    events.next_event().await;
    let mut written = String::new();
    for _ in 0..50 {
        written = std::fs::read_to_string(&log).unwrap();
        if written.contains("notifications/stream") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(written.contains("notifications/stream"), "{written}");
    assert!(!written.contains(&token), "the token was logged: {written}");
    assert!(!written.contains("access_token"), "{written}");
}

#[tokio::test]
async fn a_user_may_hold_only_so_many_streams() {
    // The cap is each process's own (SSE_MAX_STREAMS_PER_USER: streams on one process).
    let app = spawn_one_process_with(&[("SSE_MAX_STREAMS_PER_USER", "2"), ("SSE_HEARTBEAT_SECS", "1")]).await;
    let station = app.create_station("东湖站").await;
    let (_, token) = app.resident(station).await;
    let (_, someone_else) = app.resident(station).await;
    let first = open(&app, &token).await;
    let _second = open(&app, &token).await;
    let refused = into_reply(
        app.client
            .get(app.url(STREAM))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    refused.assert_problem(429, "TOO_MANY_STREAMS");
    assert!(refused.headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 0);
    // The limit is per user.
    let _theirs = open(&app, &someone_else).await;

    // A closed stream gives its place back (the server sees the client gone when its next
    // heartbeat cannot be written).
    drop(first);
    let mut reopened = None;
    for _ in 0..50 {
        let response = app
            .client
            .get(app.url(STREAM))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        if response.status() == 200 {
            reopened = Some(response);
            break;
        }
        assert_eq!(response.status(), 429);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reopened.is_some(), "the closed stream's place was not given back");
}

/// PostgreSQL only: when the `LISTEN` connection is killed, the server polls and listens again
/// by itself, and notifications keep arriving.
#[tokio::test]
async fn notifications_keep_arriving_when_the_listening_connection_is_killed() {
    let app = spawn_app_with(&[("SSE_POLL_MS", "200")]).await;
    if !app.db.is_postgres() {
        return;
    }
    let w = world(&app).await;
    let mut events = open(&app, &w.resident.token).await;
    assert_eq!(events.next_event().await.json(), json!({"unread": 0}));
    let db = sea_orm::Database::connect(app.db.url.clone().unwrap()).await.unwrap();
    use sea_orm::ConnectionTrait;
    let killed = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        ))
        .await
        .unwrap();
    assert_eq!(killed.len(), app.processes, "one listening connection per process");
    for unread in 1..=2 {
        reject(&app, &w).await;
        let item = listed(&app, &w.resident).await[0].clone();
        let event = events.next_event().await;
        assert_eq!(event.event, "notification", "{event:?}");
        assert_eq!(&event.json(), &item);
        let count = events.next_event().await;
        assert_eq!(count.json(), json!({"unread": unread}));
    }
}

/// The listener keeps its own connection: a server with a pool of one (SQLite's default, and
/// allowed on PostgreSQL) still answers requests and delivers notifications.
#[tokio::test]
async fn a_server_with_one_database_connection_still_delivers() {
    let app = spawn_app_with(&[("DB_MAX_CONNECTIONS", "1"), ("DB_ACQUIRE_TIMEOUT_SECS", "2")]).await;
    let w = world(&app).await;
    let mut events = open(&app, &w.resident.token).await;
    assert_eq!(events.next_event().await.json(), json!({"unread": 0}));
    reject(&app, &w).await;
    let item = listed(&app, &w.resident).await[0].clone();
    expect_notification(&mut events, &item, 1).await;
}
