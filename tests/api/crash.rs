//! Crash safety: the real binary, killed with SIGKILL in the middle of a burst of sign-ups and
//! accepts, loses nothing it acknowledged and leaves every invariant whole; a server started
//! again on the same database is ready at once and keeps taking sign-ups and accepts.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use entity::enums::{OrderStatus, SignupStatus};
use entity::{activity, activity_signup, order, order_event};
use futures::StreamExt;
use reqwest::Method;
use sea_orm::{ColumnTrait, Database, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::activities::{body, published, station};
use crate::helpers::*;
use crate::orders::{Person, account, order_body};

/// Below the sign-ups answered before the kill, so the waitlist is exercised too.
const CAPACITY: i64 = 12;
const RESIDENTS: usize = 60;
const ORDERS: usize = 30;
const VOLUNTEERS: usize = 40;
const IN_FLIGHT: usize = 16;
/// Answers received before the server is killed; the rest of the burst is in flight or unsent.
const KILL_AFTER: usize = 40;

/// Settings of every server of the test: many logins from one address, and waits long enough
/// that a burst on a small machine is answered rather than refused with 503.
const SETTINGS: [(&str, &str); 5] = [
    ("LOGIN_ATTEMPTS_PER_MINUTE", "10000"),
    ("LOGIN_PHONE_ATTEMPTS_PER_MINUTE", "10000"),
    ("ACCESS_TOKEN_TTL_SECS", "86400"),
    ("DB_ACQUIRE_TIMEOUT_SECS", "30"),
    ("SQLITE_BUSY_TIMEOUT_MS", "30000"),
];

/// One request of the burst.
#[derive(Clone, Copy)]
enum Job {
    SignUp { resident: usize },
    Accept { volunteer: usize, order: usize },
}

/// What the killed server acknowledged.
#[derive(Debug)]
enum Acknowledged {
    SignUp {
        id: i64,
        user_id: i64,
        status: String,
    },
    Accept {
        order_id: i64,
        volunteer_id: i64,
    },
    /// Lost the race for an order (409 `ORDER_ALREADY_TAKEN`).
    Taken,
}

/// Sends `POST path` with an empty JSON body; `None` when no complete answer came back (the
/// server died before or while answering), so the outcome is unknown.
async fn post_once(client: &reqwest::Client, url: String, token: &str) -> Option<(u16, Value)> {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&json!({}))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    let text = response.text().await.ok()?;
    Some((status, serde_json::from_str(&text).ok()?))
}

async fn many<T, F: Future<Output = T>>(n: usize, make: impl Fn(usize) -> F) -> Vec<T> {
    futures::stream::iter(0..n).map(make).buffered(16).collect().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_during_a_burst_keeps_every_acknowledged_sign_up_and_accept() {
    let owned = spawn_app_with(&SETTINGS).await;
    let app = &owned;
    let s = &station(app, "东湖站").await;
    let activity_id = published(app, s, body(app, s, chrono::Duration::days(2), CAPACITY, json!({}))).await;
    let residents: Vec<(i64, String)> = many(RESIDENTS, |_| app.resident(s.id)).await;
    let volunteers: Vec<Person> = many(VOLUNTEERS, |_| account(app, Some(s.id), &["volunteer"])).await;
    let orderer = &account(app, Some(s.id), &[]).await;
    let orders: Vec<i64> = many(ORDERS, |_| async move {
        let placed = app.post("/orders", orderer.t(), order_body(s.platform)).await;
        let id = placed.assert_status(201)["id"].as_i64().unwrap();
        app.post(
            &format!("/orders/{id}/dispatch"),
            Some(&s.secretary.1),
            json!({"mode": "open"}),
        )
        .await
        .assert_status(200);
        id
    })
    .await;
    // The in-process server lets go of the database: the killed process is then its only user,
    // so the restart below recovers the database from what that process left behind.
    app.state.db.clone().close().await.unwrap();

    // Sign-ups and accepts interleaved; volunteers race in pairs for the first 20 orders, so
    // some accepts lose, and the last order is kept for after the restart.
    let jobs: Vec<Job> = (0..RESIDENTS.max(VOLUNTEERS))
        .flat_map(|i| {
            let signup = (i < RESIDENTS).then_some(Job::SignUp { resident: i });
            let accept = (i < VOLUNTEERS).then_some(Job::Accept {
                volunteer: i,
                order: i / 2,
            });
            signup.into_iter().chain(accept)
        })
        .collect();

    let mut server = app.spawn_process(&SETTINGS).await;
    let address = server.address.clone();
    let signup_url = app.url_at(&address, &format!("/activities/{activity_id}/signups"));
    let replies = futures::stream::iter(jobs.iter().copied())
        .map(|job| {
            let (url, token) = match job {
                Job::SignUp { resident } => (signup_url.clone(), residents[resident].1.clone()),
                Job::Accept { volunteer, order } => (
                    app.url_at(&address, &format!("/orders/{}/accept", orders[order])),
                    volunteers[volunteer].token.clone(),
                ),
            };
            let client = app.client.clone();
            async move { (job, post_once(&client, url, &token).await) }
        })
        .buffer_unordered(IN_FLIGHT);
    let mut replies = std::pin::pin!(replies);
    let mut answered = 0;
    let mut acknowledged = Vec::new();
    while let Some((job, reply)) = replies.next().await {
        let Some((status, reply)) = reply else {
            continue;
        };
        answered += 1;
        acknowledged.push(match (job, status) {
            (Job::SignUp { resident }, 201) => Acknowledged::SignUp {
                id: reply["id"].as_i64().unwrap(),
                user_id: residents[resident].0,
                status: reply["status"].as_str().unwrap().to_owned(),
            },
            (Job::Accept { volunteer, order }, 200) => {
                assert_eq!(reply["volunteer_id"], json!(volunteers[volunteer].id));
                Acknowledged::Accept {
                    order_id: orders[order],
                    volunteer_id: volunteers[volunteer].id,
                }
            }
            (Job::Accept { .. }, 409) if reply["code"] == "ORDER_ALREADY_TAKEN" => Acknowledged::Taken,
            (_, status) => panic!("unexpected answer {status} before the kill: {reply}"),
        });
        if answered == KILL_AFTER {
            server.child.kill().unwrap(); // SIGKILL on unix
            server.child.wait().unwrap();
        }
    }
    assert!(
        answered >= KILL_AFTER,
        "only {answered} answers before the end of the burst"
    );
    let in_flight_or_unsent = jobs.len() - answered;
    assert!(in_flight_or_unsent > 0, "the kill came after the whole burst");
    eprintln!(
        "crash ({}): {answered} answered before SIGKILL, {in_flight_or_unsent} in flight or unsent",
        if app.db.is_postgres() { "postgres" } else { "sqlite" },
    );
    drop(server);
    if !app.db.is_postgres() {
        assert!(
            app.db.data_dir.join("wenming.db-wal").exists(),
            "the killed server left its write-ahead log for the restart to recover"
        );
    }

    let server = app.spawn_process(&SETTINGS).await;
    let at = |path: &str| app.url_at(&server.address, path);
    let ready = app.client.get(at("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    let db = Database::connect(
        app.db
            .url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}/wenming.db", app.db.data_dir.display())),
    )
    .await
    .unwrap();

    // Sign-ups: every acknowledged one is there as acknowledged (nothing was cancelled, so no
    // waitlisted person could have been promoted), one per person, within the capacity.
    let signups: HashMap<i64, activity_signup::Model> = activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(activity_id as i32))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (i64::from(s.id), s))
        .collect();
    let mut acknowledged_signups = 0;
    let mut acknowledged_accepts = HashMap::new();
    for ack in &acknowledged {
        match ack {
            Acknowledged::SignUp { id, user_id, status } => {
                acknowledged_signups += 1;
                let row = signups
                    .get(id)
                    .unwrap_or_else(|| panic!("acknowledged sign-up {id} was lost"));
                assert_eq!(i64::from(row.user_id), *user_id);
                let expected = match status.as_str() {
                    "confirmed" => SignupStatus::Confirmed,
                    "waitlisted" => SignupStatus::Waitlisted,
                    other => panic!("unexpected sign-up status {other}"),
                };
                assert_eq!(row.status, expected, "sign-up {id}");
            }
            Acknowledged::Accept { order_id, volunteer_id } => {
                let before = acknowledged_accepts.insert(*order_id, *volunteer_id);
                assert_eq!(before, None, "order {order_id} was acknowledged to two volunteers");
            }
            Acknowledged::Taken => {}
        }
    }
    assert!(acknowledged_signups > 0 && !acknowledged_accepts.is_empty());
    let users: HashSet<i32> = signups.values().map(|s| s.user_id).collect();
    assert_eq!(users.len(), signups.len(), "one sign-up per person");
    let confirmed = signups.values().filter(|s| s.status == SignupStatus::Confirmed).count() as i64;
    let waitlisted: Vec<&activity_signup::Model> = signups
        .values()
        .filter(|s| s.status == SignupStatus::Waitlisted)
        .collect();
    assert!(
        confirmed <= CAPACITY,
        "{confirmed} confirmed over a capacity of {CAPACITY}"
    );
    assert!(
        waitlisted.is_empty() || confirmed == CAPACITY,
        "people wait while places are free"
    );
    assert_eq!(confirmed + waitlisted.len() as i64, signups.len() as i64);
    let counter = activity::Entity::find_by_id(activity_id as i32)
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        i64::from(counter.confirmed_count),
        confirmed,
        "the place counter matches the confirmed sign-ups"
    );
    let seqs: HashSet<Option<i32>> = waitlisted.iter().map(|s| s.waitlist_seq).collect();
    assert_eq!(seqs.len(), waitlisted.len(), "waitlist numbers are unique");
    assert!(!seqs.contains(&None));

    // The roster the restarted server shows: waitlist positions 1..n, no gap, no duplicate.
    let roster = app
        .request_at(
            &server.address,
            Method::GET,
            &format!("/activities/{activity_id}/signups?page_size=100"),
            Some(&s.secretary.1),
            None,
        )
        .await;
    let roster = roster.assert_status(200);
    assert_eq!(roster["total"], json!(signups.len()));
    let mut positions: Vec<i64> = roster["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "waitlisted")
        .map(|s| s["position"].as_i64().unwrap())
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=waitlisted.len() as i64).collect::<Vec<_>>());

    // Orders: every acknowledged accept holds; each order has at most one volunteer and was
    // accepted at most once.
    let rows: HashMap<i64, order::Model> = order::Entity::find()
        .filter(order::Column::Id.is_in(orders.iter().map(|id| *id as i32)))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (i64::from(o.id), o))
        .collect();
    assert_eq!(rows.len(), ORDERS);
    for (order_id, volunteer_id) in &acknowledged_accepts {
        let row = &rows[order_id];
        assert_eq!(row.status, OrderStatus::Accepted, "order {order_id}");
        assert_eq!(row.volunteer_id.map(i64::from), Some(*volunteer_id), "order {order_id}");
    }
    let accept_events = order_event::Entity::find()
        .filter(order_event::Column::OrderId.is_in(orders.iter().map(|id| *id as i32)))
        .filter(order_event::Column::ToStatus.eq(OrderStatus::Accepted))
        .all(&db)
        .await
        .unwrap();
    for (order_id, row) in &rows {
        let events: Vec<&order_event::Model> = accept_events
            .iter()
            .filter(|e| i64::from(e.order_id) == *order_id)
            .collect();
        match row.status {
            OrderStatus::Accepted => {
                assert_eq!(events.len(), 1, "order {order_id} accepted once");
                assert_eq!(events[0].actor_id, row.volunteer_id, "order {order_id}");
            }
            OrderStatus::Open => {
                assert!(events.is_empty(), "order {order_id}");
                assert_eq!(row.volunteer_id, None, "order {order_id}");
            }
            other => panic!("order {order_id} is {other:?}"),
        }
    }

    let taken = acknowledged.iter().filter(|a| matches!(a, Acknowledged::Taken)).count();
    let accepted = rows.values().filter(|o| o.status == OrderStatus::Accepted).count();
    eprintln!(
        "crash: acknowledged {acknowledged_signups} sign-ups, {} accepts, {taken} lost races; \
         found {} sign-ups ({confirmed} confirmed, {} waitlisted) and {accepted} accepted orders",
        acknowledged_accepts.len(),
        signups.len(),
        waitlisted.len(),
    );
    assert!(!waitlisted.is_empty(), "the burst reached the waitlist");
    assert!(taken > 0, "volunteers raced for the same orders");

    // The restarted server keeps working: a new sign-up lands where the rules say, and the
    // order kept out of the burst can be accepted.
    // The last residents' sign-ups were never sent (at most KILL_AFTER + IN_FLIGHT were).
    let (_, late) = residents
        .iter()
        .find(|(id, _)| !users.contains(&(*id as i32)))
        .expect("a resident whose sign-up was never sent");
    let reply = app
        .request_at(
            &server.address,
            Method::POST,
            &format!("/activities/{activity_id}/signups"),
            Some(late),
            Some(json!({})),
        )
        .await;
    let reply = reply.assert_status(201);
    if confirmed < CAPACITY {
        assert_eq!(reply["status"], "confirmed");
    } else {
        assert_eq!(reply["status"], "waitlisted");
        assert_eq!(reply["position"], json!(waitlisted.len() + 1));
    }
    let kept = orders[ORDERS - 1];
    let accepted = app
        .request_at(
            &server.address,
            Method::POST,
            &format!("/orders/{kept}/accept"),
            volunteers[0].t(),
            Some(json!({})),
        )
        .await;
    assert_eq!(accepted.assert_status(200)["volunteer_id"], json!(volunteers[0].id));
}
