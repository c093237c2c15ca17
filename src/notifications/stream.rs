//! Live notifications over Server-Sent Events, across several server processes.
//!
//! One watcher task per process learns which users have new notifications (PostgreSQL:
//! `LISTEN` on [`service::CHANNEL`], which `notify` signals in the writing transaction; SQLite,
//! and PostgreSQL while its listening connection is down: a poll of the ids past a watermark)
//! and broadcasts a [`Wake`] per user to the process's open streams. A woken stream reads its
//! own rows it has not sent yet, so the database stays the source of truth: a spurious wake-up
//! duplicates nothing, and a wake-up missed by a lagging stream makes it look anyway. Streams
//! hold no database connection between those reads.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    convert::Infallible,
    sync::{
        Arc, Mutex,
        atomic::{AtomicI32, Ordering},
    },
    time::{Duration, Instant},
};

use actix_web::web::{self, Bytes};
use sea_orm::DbBackend;
use tokio::sync::{broadcast, mpsc, watch};

use super::{service, types::UnreadCount};
use crate::http::AppResult;
use crate::state::AppState;

/// Notifications sent on connect after `Last-Event-ID` (the newest ones, oldest first), and
/// read at most per wake-up.
pub const BATCH: u64 = 100;

/// "This user has notifications up to `up_to`" (`None`: unknown, look anyway).
#[derive(Debug, Clone, Copy)]
pub struct Wake {
    pub user_id: i32,
    pub up_to: Option<i32>,
}

/// The process's open streams and the wake-ups they listen to.
pub struct NotificationHub {
    wakes: broadcast::Sender<Wake>,
    streams: Mutex<HashMap<i32, usize>>,
    /// Every notification id up to this has been announced (polling only).
    watermark: AtomicI32,
    /// Set when the process is asked to stop: streams end so that the graceful shutdown does
    /// not wait its whole timeout on them (clients reconnect, to another process).
    closing: watch::Sender<bool>,
}

impl Default for NotificationHub {
    fn default() -> Self {
        let (wakes, _) = broadcast::channel(1024);
        NotificationHub {
            wakes,
            streams: Mutex::new(HashMap::new()),
            watermark: AtomicI32::new(0),
            closing: watch::Sender::new(false),
        }
    }
}

/// A user's place among the streams of this process, given back when dropped.
pub struct StreamSlot {
    hub: Arc<NotificationHub>,
    user_id: i32,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut streams = self.hub.streams.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = streams.get_mut(&self.user_id) {
            *count -= 1;
            if *count == 0 {
                streams.remove(&self.user_id);
            }
        }
    }
}

impl NotificationHub {
    /// A place for one more stream of `user_id`, or `None` when they already hold `max`.
    pub fn open(self: &Arc<Self>, user_id: i32, max: usize) -> Option<StreamSlot> {
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        let count = streams.entry(user_id).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(StreamSlot {
            hub: self.clone(),
            user_id,
        })
    }

    fn wake(&self, wake: Wake) {
        // No receiver (nobody connected) is not an error.
        let _ = self.wakes.send(wake);
    }

    fn anyone_listening(&self) -> bool {
        self.wakes.receiver_count() > 0
    }
}

/// Sets the polling watermark to the newest notification; call before serving.
pub async fn prime(state: &AppState) -> AppResult<()> {
    let latest = service::max_id(&state.db).await?;
    state.notifications.watermark.store(latest, Ordering::SeqCst);
    Ok(())
}

/// Starts the process's watcher task, and ends its streams on SIGTERM or SIGINT.
pub fn spawn_watcher(state: web::Data<AppState>) {
    let hub = state.notifications.clone();
    tokio::spawn(async move {
        stop_requested().await;
        hub.closing.send_replace(true);
    });
    tokio::spawn(async move {
        if state.db.get_database_backend() == DbBackend::Postgres {
            listen(&state).await;
        } else {
            let mut ticker = tokio::time::interval(state.settings.sse_poll);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                poll_once(&state).await;
            }
        }
    });
}

/// Resolves on SIGTERM or SIGINT.
pub async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Wakes the users with notifications past the watermark and moves it on. Does nothing while
/// no stream is open here; the watermark then stays behind, which is safe (the next poll
/// announces more, never less).
async fn poll_once(state: &AppState) {
    let hub = &state.notifications;
    if !hub.anyone_listening() {
        return;
    }
    let mark = hub.watermark.load(Ordering::SeqCst);
    match service::new_since(&state.db, mark).await {
        Ok(found) => {
            for new in &found {
                hub.wake(Wake {
                    user_id: new.user_id,
                    up_to: Some(new.max_id),
                });
            }
            if let Some(top) = found.iter().map(|n| n.max_id).max() {
                hub.watermark.fetch_max(top, Ordering::SeqCst);
            }
        }
        Err(error) => tracing::warn!(%error, "looking for new notifications failed; retrying"),
    }
}

/// PostgreSQL: `LISTEN`, catching up by a poll whenever the connection was (re)made; while
/// it cannot be made, polls, and tries again after a growing pause (1 s doubling to 60 s).
async fn listen(state: &AppState) {
    use sea_orm::sqlx::postgres::PgListener;
    let mut backoff = Duration::from_secs(1);
    loop {
        // Its own connection, outside the pool: a listener holds it for good, and must not
        // take one of the connections requests wait for (or the only one).
        let error = match PgListener::connect(&state.settings.database_listen_url).await {
            Ok(mut listener) => match listener.listen(service::CHANNEL).await {
                Ok(()) => {
                    backoff = Duration::from_secs(1);
                    // Whatever was written while nobody listened.
                    poll_once(state).await;
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(notification)) => {
                                for user_id in service::parse_payload(notification.payload()) {
                                    state.notifications.wake(Wake { user_id, up_to: None });
                                }
                            }
                            // Lost and already made again: catch up on the gap.
                            Ok(None) => {
                                tracing::warn!("notification listener reconnected; catching up");
                                poll_once(state).await;
                            }
                            Err(error) => break error,
                        }
                    }
                }
                Err(error) => error,
            },
            Err(error) => error,
        };
        tracing::warn!(
            %error,
            retry_in_secs = backoff.as_secs(),
            "notification listener down; polling until it is back"
        );
        let until = tokio::time::Instant::now() + backoff;
        while tokio::time::Instant::now() < until {
            poll_once(state).await;
            tokio::time::sleep(state.settings.sse_poll).await;
        }
        backoff = (backoff * 2).min(Duration::from_secs(60));
    }
}

/// One `notification` event.
fn notification_event(item: &super::types::NotificationResponse) -> Bytes {
    let data = serde_json::to_string(item).unwrap_or_default();
    Bytes::from(format!("event: notification\nid: {}\ndata: {data}\n\n", item.id))
}

fn unread_event(unread: u64) -> Bytes {
    let data = serde_json::to_string(&UnreadCount { unread }).unwrap_or_default();
    Bytes::from(format!("event: unread\ndata: {data}\n\n"))
}

/// What an open stream needs.
pub struct StreamStart {
    pub user_id: i32,
    /// The id the client last saw (`Last-Event-ID`); `None`: only what comes from now on.
    pub last_event_id: Option<i32>,
    pub slot: StreamSlot,
    /// When the stream ends (`SSE_MAX_SECONDS`, or sooner when the access token expires).
    pub lasts: Duration,
}

/// The body of one stream: the backlog, the unread count, then new notifications as they come,
/// heartbeats in between, until the client leaves or the stream has lasted its time.
pub fn body(
    state: web::Data<AppState>,
    start: StreamStart,
) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> + 'static {
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    tokio::spawn(async move {
        if let Err(error) = run(&state, start, &tx).await {
            tracing::warn!(%error, "notification stream ended by an error");
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|bytes| (Ok::<_, Infallible>(bytes), rx))
    })
}

/// How long after a notification was sent a lower id not yet seen may still appear.
/// PostgreSQL hands ids out before commit, so of two transactions notifying one user the later
/// id may commit first; a stream that only read past the highest id it sent would skip the other.
const SETTLE: Duration = Duration::from_secs(30);

/// The ids a stream has sent: all up to `settled` count as sent (or as never coming), and those
/// above it are remembered for `SETTLE`.
struct Sent {
    settled: i32,
    highest: i32,
    recent: VecDeque<(Instant, i32)>,
    recent_ids: HashSet<i32>,
}

impl Sent {
    fn from(settled: i32) -> Self {
        Sent {
            settled,
            highest: settled,
            recent: VecDeque::new(),
            recent_ids: HashSet::new(),
        }
    }

    fn settle(&mut self, now: Instant) {
        while let Some(&(at, id)) = self.recent.front() {
            if now.duration_since(at) < SETTLE {
                break;
            }
            self.settled = self.settled.max(id);
            self.recent.pop_front();
            self.recent_ids.remove(&id);
        }
    }

    fn contains(&self, id: i32) -> bool {
        id <= self.settled || self.recent_ids.contains(&id)
    }

    fn record(&mut self, id: i32, now: Instant) {
        self.highest = self.highest.max(id);
        if id > self.settled && self.recent_ids.insert(id) {
            self.recent.push_back((now, id));
        }
    }
}

/// Sends the user's notifications not sent yet, oldest first, and then the unread count
/// (nothing when there are none). `false` when the client has gone.
async fn send_new(state: &AppState, user_id: i32, sent: &mut Sent, tx: &mpsc::Sender<Bytes>) -> AppResult<bool> {
    sent.settle(Instant::now());
    let mut from = sent.settled;
    let mut any = false;
    loop {
        let items = service::after(&state.db, user_id, from, BATCH, false).await?;
        let full = items.len() as u64 == BATCH;
        for item in &items {
            from = item.id;
            if sent.contains(item.id) {
                continue;
            }
            if tx.send(notification_event(item)).await.is_err() {
                return Ok(false);
            }
            sent.record(item.id, Instant::now());
            any = true;
        }
        if !full {
            break;
        }
    }
    if any {
        let unread = service::unread_count(&state.db, user_id).await?;
        if tx.send(unread_event(unread)).await.is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}

async fn run(state: &AppState, start: StreamStart, tx: &mpsc::Sender<Bytes>) -> AppResult<()> {
    let StreamStart {
        user_id,
        last_event_id,
        slot: _slot,
        lasts,
    } = start;
    // Subscribed before reading, so nothing written from here on goes unannounced.
    let mut wakes = state.notifications.wakes.subscribe();
    let mut sent = match last_event_id {
        Some(id) => {
            // An id from the future would hide what comes next: it counts as "now".
            let id = id.min(service::max_id(&state.db).await?);
            // Past the cap the older ones are skipped: the client reloads the list.
            let backlog = service::after(&state.db, user_id, id, BATCH, true).await?;
            let skipped_below = match backlog.first() {
                Some(first) if backlog.len() as u64 == BATCH => first.id - 1,
                _ => id,
            };
            let mut sent = Sent::from(skipped_below);
            for item in &backlog {
                if tx.send(notification_event(item)).await.is_err() {
                    return Ok(());
                }
                sent.record(item.id, Instant::now());
            }
            sent
        }
        None => Sent::from(service::latest_id(&state.db, user_id).await?),
    };
    let unread = service::unread_count(&state.db, user_id).await?;
    if tx.send(unread_event(unread)).await.is_err() {
        return Ok(());
    }

    let deadline = tokio::time::sleep(lasts);
    tokio::pin!(deadline);
    let mut closing = state.notifications.closing.subscribe();
    let stopping = async move {
        // Also when the sender is gone: the process is ending either way.
        let _ = closing.wait_for(|closing| *closing).await.is_ok();
    };
    tokio::pin!(stopping);
    let period = state.settings.sse_heartbeat;
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            () = tx.closed() => return Ok(()),
            () = &mut deadline => return Ok(()),
            () = &mut stopping => return Ok(()),
            _ = heartbeat.tick() => {
                if tx.send(Bytes::from_static(b": ping\n\n")).await.is_err() {
                    return Ok(());
                }
            }
            wake = wakes.recv() => {
                let look = match wake {
                    Ok(wake) => wake.user_id == user_id && wake.up_to.is_none_or(|up_to| up_to > sent.highest),
                    // Wake-ups were dropped while this stream lagged: look in case one was ours.
                    Err(broadcast::error::RecvError::Lagged(_)) => true,
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                };
                if look && !send_new(state, user_id, &mut sent, tx).await? {
                    return Ok(());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lower_id_committed_late_is_still_sent_until_it_settles() {
        let now = Instant::now();
        let mut sent = Sent::from(9);
        // Id 11 committed (and was sent) before id 10.
        sent.record(11, now);
        assert!(sent.contains(9) && sent.contains(11));
        assert!(!sent.contains(10), "10 is still awaited");
        assert_eq!(sent.highest, 11);
        sent.settle(now + SETTLE / 2);
        assert!(!sent.contains(10));
        // Long after 11 was sent, anything below it counts as sent (or never coming).
        sent.settle(now + SETTLE);
        assert_eq!(sent.settled, 11);
        assert!(sent.contains(10) && sent.recent.is_empty() && sent.recent_ids.is_empty());
    }

    #[test]
    fn a_stream_slot_is_given_back_when_dropped() {
        let hub = Arc::new(NotificationHub::default());
        let first = hub.open(1, 2).expect("first");
        let _second = hub.open(1, 2).expect("second");
        assert!(hub.open(1, 2).is_none());
        assert!(hub.open(2, 2).is_some(), "the limit is per user");
        drop(first);
        assert!(hub.open(1, 2).is_some());
    }
}
