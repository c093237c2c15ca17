//! WeChat subscription messages against the fake WeChat server: grants, the outbox written with
//! the notice, the sender's retries and back-off, 43101, a replaced access token, a timeout, and
//! two server processes on one database sending each message exactly once.

use std::time::{Duration, Instant};

use entity::wechat_outbox;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::fake_wechat::{FakeWechat, new_openid};
use crate::helpers::*;
use crate::orders::{Person, World, place, world};

const ORDER_TEMPLATE: &str = "tmplOrder-0123456789abcdef";
const ACTIVITY_TEMPLATE: &str = "tmplActivity-0123456789abcdef";

/// The settings of a server sending subscription messages through `fake`, quickly.
fn settings(fake: &FakeWechat, sender: bool) -> Vec<(&'static str, String)> {
    let mut env = fake.env();
    env.extend([
        ("WECHAT_TEMPLATE_ORDER", ORDER_TEMPLATE.to_owned()),
        ("WECHAT_TEMPLATE_ACTIVITY", ACTIVITY_TEMPLATE.to_owned()),
        ("BACKGROUND_JOBS", if sender { "on" } else { "off" }.to_owned()),
        ("JOB_INTERVAL_SECS", "3600".to_owned()),
        ("WECHAT_OUTBOX_POLL_MS", "50".to_owned()),
        ("WECHAT_OUTBOX_BACKOFF_MS", "100".to_owned()),
        ("WECHAT_OUTBOX_BACKOFF_MAX_MS", "300".to_owned()),
        ("WECHAT_TIMEOUT_MS", "1000".to_owned()),
    ]);
    env
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A server with the sender running, plus `extra` settings.
async fn spawn_sending(extra: &[(&'static str, &str)]) -> (TestApp, FakeWechat) {
    let fake = FakeWechat::start().await;
    let env = settings(&fake, true);
    let mut vars = borrowed(&env);
    vars.extend_from_slice(extra);
    (spawn_app_with(&vars).await, fake)
}

/// Binds `who`'s account to a new WeChat user; returns the openid.
async fn bind_wechat(app: &TestApp, fake: &FakeWechat, who: &Person) -> String {
    let openid = new_openid();
    let login = app
        .post(
            "/auth/wechat/login",
            None,
            json!({"code": fake.login_code(&openid, None)}),
        )
        .await;
    let ticket = login.assert_status(200)["ticket"].as_str().unwrap().to_owned();
    app.post(
        "/auth/wechat/bind",
        None,
        json!({"ticket": ticket, "phone_code": fake.phone_code(&who.phone)}),
    )
    .await
    .assert_status(200);
    openid
}

async fn grant(app: &TestApp, who: &Person, ids: &[&str]) -> Reply {
    app.post("/me/wechat/subscriptions", who.t(), json!({"template_ids": ids}))
        .await
}

/// Rejects a new order of the world's resident: the resident is notified (`order_rejected`).
async fn reject(app: &TestApp, w: &World) -> i64 {
    let id = place(app, w).await;
    app.post(
        &format!("/orders/{id}/reject"),
        w.secretary.t(),
        json!({"reason": "不在服务范围"}),
    )
    .await
    .assert_status(200);
    id
}

async fn outbox_of(app: &TestApp, user_id: i64) -> Vec<wechat_outbox::Model> {
    wechat_outbox::Entity::find()
        .filter(wechat_outbox::Column::UserId.eq(user_id as i32))
        .order_by_asc(wechat_outbox::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

/// Polls `done` every 50 ms until it holds, failing after 15 s.
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !done().await {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn status_becomes(app: &TestApp, user_id: i64, status: &str) -> wechat_outbox::Model {
    eventually(status, || async {
        outbox_of(app, user_id)
            .await
            .first()
            .is_some_and(|row| row.status == status)
    })
    .await;
    outbox_of(app, user_id).await.remove(0)
}

#[tokio::test]
async fn a_granted_order_notice_is_sent_once_and_spends_the_grant() {
    let (app, fake) = spawn_sending(&[]).await;
    let w = world(&app).await;
    let openid = bind_wechat(&app, &fake, &w.resident).await;

    let reply = grant(&app, &w.resident, &[ORDER_TEMPLATE]).await;
    let grants = reply.assert_status(200);
    assert_eq!(grants[0]["template_id"], json!(ORDER_TEMPLATE));
    assert_eq!(grants[0]["channel"], json!("order"));
    assert_eq!(grants[0]["remaining"], json!(1));

    let order = reject(&app, &w).await;
    eventually("the message", || async { fake.messages().len() == 1 }).await;
    let message = &fake.messages()[0];
    assert_eq!(message["touser"], json!(openid));
    assert_eq!(message["template_id"], json!(ORDER_TEMPLATE));
    assert_eq!(message["page"], json!(format!("pages/orders/detail?id={order}")));
    assert_eq!(message["miniprogram_state"], json!("formal"));
    let notices = app.get("/notifications", w.resident.t()).await;
    let title = notices.assert_status(200)["items"][0]["title"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(message["data"]["thing1"]["value"], json!(title));
    assert!(
        message["data"]["time3"]["value"]
            .as_str()
            .is_some_and(|t| t.len() == 16)
    );
    let row = status_becomes(&app, w.resident.id, "sent").await;
    assert_eq!(row.attempts, 1);
    assert!(row.sent_at.is_some());

    // The one grant is spent: the next notice stays in the app only.
    let listed = app.get("/me/wechat/subscriptions", w.resident.t()).await;
    assert_eq!(listed.assert_status(200)[0]["remaining"], json!(0));
    reject(&app, &w).await;
    assert_eq!(
        outbox_of(&app, w.resident.id).await.len(),
        1,
        "no second message is queued"
    );
    assert_eq!(fake.messages().len(), 1);

    // Two more accepts allow two more messages.
    grant(&app, &w.resident, &[ORDER_TEMPLATE]).await.assert_status(200);
    let reply = grant(&app, &w.resident, &[ORDER_TEMPLATE, ORDER_TEMPLATE]).await;
    assert_eq!(
        reply.assert_status(200)[0]["remaining"],
        json!(2),
        "one id sent twice in a call counts once"
    );
    reject(&app, &w).await;
    eventually("the second message", || async { fake.messages().len() == 2 }).await;
}

#[tokio::test]
async fn without_a_grant_for_its_template_a_notice_is_not_sent() {
    let (app, fake) = spawn_sending(&[]).await;
    let w = world(&app).await;
    bind_wechat(&app, &fake, &w.resident).await;
    reject(&app, &w).await;
    assert!(outbox_of(&app, w.resident.id).await.is_empty());

    // A grant of the activity template does not carry order notices.
    grant(&app, &w.resident, &[ACTIVITY_TEMPLATE]).await.assert_status(200);
    reject(&app, &w).await;
    assert!(outbox_of(&app, w.resident.id).await.is_empty());
    let listed = app.get("/me/wechat/subscriptions", w.resident.t()).await;
    assert_eq!(
        listed.assert_status(200)[0]["remaining"],
        json!(1),
        "the activity grant is kept"
    );
    assert_eq!(fake.send_calls(), 0);
}

#[tokio::test]
async fn grants_need_a_bound_account_and_a_configured_template() {
    let (app, fake) = spawn_sending(&[]).await;
    let w = world(&app).await;
    let reply = grant(&app, &w.resident, &[ORDER_TEMPLATE]).await;
    reply.assert_problem(409, "WECHAT_BINDING_REQUIRED");

    bind_wechat(&app, &fake, &w.resident).await;
    let reply = grant(&app, &w.resident, &[ORDER_TEMPLATE, "tmplNotOurs"]).await;
    reply.assert_problem(422, "WECHAT_TEMPLATE_UNKNOWN");
    assert_eq!(reply.body["errors"][0]["field"], json!("template_ids"));
    let listed = app.get("/me/wechat/subscriptions", w.resident.t()).await;
    assert_eq!(listed.assert_status(200), &json!([]), "a refused call records nothing");
    grant(&app, &w.resident, &[])
        .await
        .assert_problem(422, "VALIDATION_FAILED");
    let anonymous = app.get("/me/wechat/subscriptions", None).await;
    assert_eq!(anonymous.status, 401);

    // With WeChat off the routes are 404 like the rest of WeChat's.
    let off = spawn_app().await;
    let station = off.create_station("西湖站").await;
    let (_, token) = off.resident(station).await;
    off.get("/me/wechat/subscriptions", Some(&token))
        .await
        .assert_problem(404, "WECHAT_DISABLED");
    off.post(
        "/me/wechat/subscriptions",
        Some(&token),
        json!({"template_ids": [ORDER_TEMPLATE]}),
    )
    .await
    .assert_problem(404, "WECHAT_DISABLED");
}

#[tokio::test]
async fn a_failed_send_is_retried_with_back_off_and_sent_once() {
    let (app, fake) = spawn_sending(&[]).await;
    let w = world(&app).await;
    bind_wechat(&app, &fake, &w.resident).await;
    grant(&app, &w.resident, &[ORDER_TEMPLATE]).await.assert_status(200);
    fake.fail_next_sends(2);
    reject(&app, &w).await;
    let row = status_becomes(&app, w.resident.id, "sent").await;
    assert_eq!(row.attempts, 3);
    assert_eq!(fake.send_calls(), 3);
    assert_eq!(fake.messages().len(), 1);
    // The second try waited the back-off (100 ms), the third twice that.
    assert!(row.sent_at.unwrap() - row.created_at >= chrono::Duration::milliseconds(300));
}

#[tokio::test]
async fn a_send_failing_every_time_ends_failed_after_the_last_attempt() {
    let (app, fake) = spawn_sending(&[("WECHAT_OUTBOX_MAX_ATTEMPTS", "3")]).await;
    let w = world(&app).await;
    bind_wechat(&app, &fake, &w.resident).await;
    grant(&app, &w.resident, &[ORDER_TEMPLATE]).await.assert_status(200);
    fake.fail_next_sends(1_000);
    reject(&app, &w).await;
    let row = status_becomes(&app, w.resident.id, "failed").await;
    assert_eq!(row.attempts, 3);
    assert!(row.last_error.as_deref().is_some_and(|e| e.contains("-1")), "{row:?}");
    assert_eq!(fake.send_calls(), 3);
}

#[tokio::test]
async fn a_user_refusal_43101_drops_the_message_without_retrying() {
    let (app, fake) = spawn_sending(&[]).await;
    let w = world(&app).await;
    let openid = bind_wechat(&app, &fake, &w.resident).await;
    grant(&app, &w.resident, &[ORDER_TEMPLATE]).await.assert_status(200);
    fake.refuse_messages_to(&openid);
    reject(&app, &w).await;
    let row = status_becomes(&app, w.resident.id, "dropped").await;
    assert_eq!(row.attempts, 1);
    assert!(row.locked_until.is_none());
    // Rows not pending are never claimed again.
    let before = fake.send_calls();
    assert_eq!(wenming::wechat::outbox::run_once(&app.state).await.unwrap(), 0);
    assert_eq!(fake.send_calls(), before);
    assert!(fake.messages().is_empty());
}

#[tokio::test]
async fn a_revoked_access_token_is_replaced_and_a_timeout_is_retried() {
    let (app, fake) = spawn_sending(&[]).await;
    let w = world(&app).await;
    bind_wechat(&app, &fake, &w.resident).await;
    grant(&app, &w.resident, &[ORDER_TEMPLATE, ORDER_TEMPLATE]).await;
    grant(&app, &w.resident, &[ORDER_TEMPLATE]).await.assert_status(200);

    fake.revoke_token();
    let fetches = fake.token_fetches();
    reject(&app, &w).await;
    eventually("the message", || async { fake.messages().len() == 1 }).await;
    assert_eq!(fake.token_fetches(), fetches + 1, "the refused token was replaced once");
    assert_eq!(
        outbox_of(&app, w.resident.id).await[0].attempts,
        1,
        "in the same attempt"
    );

    // WeChat answering slower than WECHAT_TIMEOUT_MS (1 s) is a failure tried again.
    fake.slow_next_sends(1);
    reject(&app, &w).await;
    eventually("the message after the timeout", || async { fake.messages().len() == 2 }).await;
    let rows = outbox_of(&app, w.resident.id).await;
    assert_eq!(rows[1].status, "sent");
    assert_eq!(rows[1].attempts, 2);
}

#[tokio::test]
async fn two_server_processes_on_one_database_send_each_message_exactly_once() {
    let fake = FakeWechat::start().await;
    // This server only writes the notices; its sender is run by hand below.
    let quiet = settings(&fake, false);
    let app = spawn_app_with(&borrowed(&quiet)).await;
    let w = world(&app).await;
    bind_wechat(&app, &fake, &w.resident).await;
    const MESSAGES: usize = 20;
    for _ in 0..MESSAGES {
        grant(&app, &w.resident, &[ORDER_TEMPLATE]).await.assert_status(200);
    }
    let mut orders = Vec::new();
    for _ in 0..MESSAGES {
        orders.push(reject(&app, &w).await);
    }
    assert_eq!(outbox_of(&app, w.resident.id).await.len(), MESSAGES);
    assert_eq!(fake.send_calls(), 0);

    // Another process sends every 50 ms while this one runs four senders at once in a loop.
    let sending = settings(&fake, true);
    let _other = app.spawn_process(&borrowed(&sending)).await;
    let start = Instant::now();
    loop {
        let rounds = futures::future::join_all((0..4).map(|_| wenming::wechat::outbox::run_once(&app.state))).await;
        for round in rounds {
            round.expect("a sending round runs");
        }
        let rows = outbox_of(&app, w.resident.id).await;
        if rows.iter().all(|r| r.status == "sent") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "not all sent: {rows:?}");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = fake.messages();
    let mut pages: Vec<String> = messages
        .iter()
        .map(|m| m["page"].as_str().unwrap().to_owned())
        .collect();
    pages.sort();
    let mut expected: Vec<String> = orders.iter().map(|id| format!("pages/orders/detail?id={id}")).collect();
    expected.sort();
    assert_eq!(pages, expected, "each order's message exactly once");
    assert_eq!(fake.send_calls(), MESSAGES);
    assert!(
        outbox_of(&app, w.resident.id).await.iter().all(|r| r.attempts == 1),
        "no message was claimed twice"
    );
}

#[tokio::test]
async fn a_claimed_message_belongs_to_its_sender_until_the_lease_ends() {
    let fake = FakeWechat::start().await;
    let quiet = settings(&fake, false);
    let app = spawn_app_with(&borrowed(&quiet)).await;
    let w = world(&app).await;
    bind_wechat(&app, &fake, &w.resident).await;
    grant(&app, &w.resident, &[ORDER_TEMPLATE]).await.assert_status(200);
    reject(&app, &w).await;

    use wenming::wechat::outbox::claim;
    let lease = chrono::Duration::seconds(60);
    let now = app.clock.now();
    let first = claim(&app.state.db, "sender-a", lease, now).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempts, 1);
    assert!(claim(&app.state.db, "sender-b", lease, now).await.unwrap().is_empty());
    assert!(
        claim(&app.state.db, "sender-b", lease, now + chrono::Duration::seconds(59))
            .await
            .unwrap()
            .is_empty()
    );
    // A sender that died holding it: after the lease another takes it over.
    let taken = claim(&app.state.db, "sender-b", lease, now + chrono::Duration::seconds(61))
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].claimed_by.as_deref(), Some("sender-b"));
    assert_eq!(taken[0].attempts, 2);
    assert_eq!(fake.send_calls(), 0);
}

#[tokio::test]
async fn senders_claiming_at_once_never_share_a_row() {
    use sea_orm::ActiveValue::Set;
    use wenming::wechat::outbox::claim;
    let fake = FakeWechat::start().await;
    let quiet = settings(&fake, false);
    let app = spawn_app_with(&borrowed(&quiet)).await;
    let w = world(&app).await;
    let now = app.clock.now();
    let row = |n: usize| wechat_outbox::ActiveModel {
        user_id: Set(w.resident.id as i32),
        openid: Set(format!("o{n}")),
        template_id: Set(ORDER_TEMPLATE.to_owned()),
        channel: Set("order".to_owned()),
        payload: Set("{}".to_owned()),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        claimed_by: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    };
    const ROWS: usize = 100;
    wechat_outbox::Entity::insert_many((0..ROWS).map(row))
        .exec_without_returning(&app.state.db)
        .await
        .unwrap();
    let lease = chrono::Duration::seconds(60);
    let claims = futures::future::join_all((0..16).map(|n| {
        let db = app.state.db.clone();
        async move { claim(&db, &format!("sender-{n}"), lease, now).await.unwrap() }
    }))
    .await;
    let mut ids: Vec<i32> = claims.iter().flatten().map(|r| r.id).collect();
    let claimed = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), claimed, "a row was handed to two senders");
    for rows in &claims {
        assert!(rows.iter().all(|r| r.attempts == 1));
    }
}
