//! The server's notion of "now", injected so tests can move time instead of sleeping.

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use chrono::{DateTime, Duration, Utc};

/// Where the current time comes from.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Offset in milliseconds added to the system time; only tests move it.
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// The current time, truncated to microseconds so it survives a database round trip unchanged.
    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed));
        DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
    }

    /// Moves this clock (and every clone of it) forward; used by tests.
    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.num_milliseconds(), Ordering::Relaxed);
    }
}

/// China Standard Time (UTC+8, no daylight saving): the zone of report years, months and dates.
pub const CHINA: chrono::FixedOffset = match chrono::FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};
