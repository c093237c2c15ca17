//! Rate limits: logins per (phone, client address) with a looser ceiling per phone,
//! registrations per client address, and per-user attempts (governor's GCRA where no reset is
//! needed).

use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    num::NonZeroU32,
    sync::Mutex,
    time::{Duration, Instant},
};

use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock as _, clock::DefaultClock};

use crate::http::{AppError, AppResult};

const WINDOW: Duration = Duration::from_secs(60);

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

/// A governor refusal as a 429 with `Retry-After`.
fn refusal(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> AppError {
    AppError::TooManyRequests {
        retry_after_secs: not_until.wait_time_from(DefaultClock::default().now()).as_secs().max(1),
    }
}

/// Attempts in the last minute, oldest first.
#[derive(Default)]
struct Window(VecDeque<Instant>);

impl Window {
    fn prune(&mut self, now: Instant) {
        while self.0.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            self.0.pop_front();
        }
    }

    /// `Some(seconds)` to wait when `limit` attempts already lie in the window.
    fn full(&mut self, now: Instant, limit: usize) -> Option<u64> {
        self.prune(now);
        if self.0.len() < limit {
            return None;
        }
        let oldest = self.0.front().copied().unwrap_or(now);
        let wait = WINDOW.saturating_sub(now.duration_since(oldest));
        Some(wait.as_secs_f64().ceil().max(1.0) as u64)
    }
}

#[derive(Default)]
struct Failures {
    pairs: HashMap<(String, Option<IpAddr>), Window>,
    phones: HashMap<String, Window>,
    swept: Option<Instant>,
}

impl Failures {
    /// Forgets keys whose attempts all left the window, at most once a window, so the maps hold
    /// only the last minute's keys.
    fn sweep(&mut self, now: Instant) {
        if self.swept.is_some_and(|t| now.duration_since(t) < WINDOW) {
            return;
        }
        self.swept = Some(now);
        self.pairs.retain(|_, w| {
            w.prune(now);
            !w.0.is_empty()
        });
        self.phones.retain(|_, w| {
            w.prune(now);
            !w.0.is_empty()
        });
    }
}

/// Limits login attempts that fail. Failures count per (phone, client address), so a stranger
/// guessing a phone from elsewhere does not lock its owner out; a looser ceiling per phone
/// across all addresses slows a guesser with many addresses down; a login that succeeds clears
/// its pair. Each address also has a generous limit of attempts for all phones together, which
/// many people may share (a community centre's Wi-Fi). Exceeded limits are a 429 with
/// `Retry-After`.
pub struct LoginLimiter {
    pair_limit: usize,
    phone_limit: usize,
    failures: Mutex<Failures>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl LoginLimiter {
    /// `per_pair` failures a minute for one (phone, address), `per_phone` for one phone from all
    /// addresses, and 120 × `per_pair` attempts a minute from one address.
    pub fn new(per_pair: u32, per_phone: u32) -> Self {
        Self {
            pair_limit: per_pair.max(1) as usize,
            phone_limit: per_phone.max(per_pair).max(1) as usize,
            failures: Mutex::new(Failures::default()),
            per_address: DefaultKeyedRateLimiter::keyed(per_minute(per_pair.saturating_mul(120))),
        }
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, Failures> {
        // The maps stay consistent whatever panicked while holding the lock.
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Admits an attempt, counting it as a failure until `succeeded` or `not_attempted` says
    /// otherwise: counting up front keeps parallel guesses within the limit.
    pub fn admit(&self, phone: &str, address: Option<IpAddr>) -> AppResult<()> {
        if let Some(address) = address {
            self.per_address.check_key(&address).map_err(refusal)?;
        }
        let now = Instant::now();
        let mut failures = self.failures();
        failures.sweep(now);
        let pair = (phone.to_owned(), address);
        let refuse = |retry_after_secs| AppError::TooManyRequests { retry_after_secs };
        if let Some(wait) = failures
            .pairs
            .entry(pair.clone())
            .or_default()
            .full(now, self.pair_limit)
        {
            return Err(refuse(wait));
        }
        if let Some(wait) = failures
            .phones
            .entry(phone.to_owned())
            .or_default()
            .full(now, self.phone_limit)
        {
            return Err(refuse(wait));
        }
        failures.pairs.entry(pair).or_default().0.push_back(now);
        failures.phones.entry(phone.to_owned()).or_default().0.push_back(now);
        Ok(())
    }

    /// The admitted attempt logged in: its pair starts afresh and it is no failure of the phone.
    pub fn succeeded(&self, phone: &str, address: Option<IpAddr>) {
        let mut failures = self.failures();
        failures.pairs.remove(&(phone.to_owned(), address));
        if let Some(window) = failures.phones.get_mut(phone) {
            window.0.pop_back();
        }
    }

    /// The admitted attempt never checked the password (the server was busy): it is no failure.
    pub fn not_attempted(&self, phone: &str, address: Option<IpAddr>) {
        let mut failures = self.failures();
        if let Some(window) = failures.pairs.get_mut(&(phone.to_owned(), address)) {
            window.0.pop_back();
        }
        if let Some(window) = failures.phones.get_mut(phone) {
            window.0.pop_back();
        }
    }
}

/// Limits registrations per client address; an exceeded limit is a 429 with `Retry-After`.
pub struct AddressLimiter {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl AddressLimiter {
    /// `per_minute` attempts a minute from one address.
    pub fn new(per_minute_limit: u32) -> Self {
        Self {
            per_address: DefaultKeyedRateLimiter::keyed(per_minute(per_minute_limit)),
        }
    }

    /// Counts an attempt from `address` (none without a peer address).
    pub fn check(&self, address: Option<IpAddr>) -> AppResult<()> {
        match address {
            Some(address) => self.per_address.check_key(&address).map_err(refusal),
            None => Ok(()),
        }
    }
}

/// Limits attempts per user (wrong check-in codes); an exceeded limit is a 429 with `Retry-After`.
pub struct UserLimiter {
    per_user: DefaultKeyedRateLimiter<i32>,
}

impl UserLimiter {
    /// `per_minute` attempts a minute for one user.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_user: DefaultKeyedRateLimiter::keyed(self::per_minute(per_minute)),
        }
    }

    pub fn check(&self, user_id: i32) -> AppResult<()> {
        self.per_user.check_key(&user_id).map_err(refusal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn a_pair_locks_alone_and_the_phone_ceiling_locks_all_addresses() {
        let limiter = LoginLimiter::new(2, 3);
        let phone = "13900000000";
        limiter.admit(phone, ip("1.1.1.1")).unwrap();
        limiter.admit(phone, ip("1.1.1.1")).unwrap();
        let locked = limiter.admit(phone, ip("1.1.1.1")).unwrap_err();
        assert!(
            matches!(locked, AppError::TooManyRequests { retry_after_secs } if (1..=60).contains(&retry_after_secs))
        );
        // Another address may still try: the third failure of the phone.
        limiter.admit(phone, ip("2.2.2.2")).unwrap();
        assert!(limiter.admit(phone, ip("3.3.3.3")).is_err(), "the phone ceiling holds");
        assert!(
            limiter.admit("13900000001", ip("1.1.1.1")).is_ok(),
            "other phones are free"
        );
    }

    #[test]
    fn success_clears_the_pair_and_an_unattempted_login_counts_nothing() {
        let limiter = LoginLimiter::new(2, 100);
        let phone = "13900000000";
        limiter.admit(phone, ip("1.1.1.1")).unwrap();
        limiter.admit(phone, ip("1.1.1.1")).unwrap();
        limiter.succeeded(phone, ip("1.1.1.1"));
        limiter.admit(phone, ip("1.1.1.1")).unwrap();
        limiter.not_attempted(phone, ip("1.1.1.1"));
        limiter.admit(phone, ip("1.1.1.1")).unwrap();
        limiter.admit(phone, ip("1.1.1.1")).unwrap();
        assert!(limiter.admit(phone, ip("1.1.1.1")).is_err());
    }
}
