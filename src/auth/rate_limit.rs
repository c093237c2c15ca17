//! Rate limits: logins per (phone, client address) with a looser ceiling per phone,
//! registrations per client address, and per-user attempts (governor's GCRA where no reset is
//! needed).
//!
//! With `REDIS_URL` set, every process counts in the same Redis ([`SharedLimits`]: a fixed
//! one-minute window per key, checked and counted by one script), so the limits hold across
//! replicas; the per-process counters here stay the fallback, and take over, with a warning,
//! whenever Redis does not answer (never a 500).

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
    shared: Option<SharedLimits>,
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
            shared: None,
        }
    }

    /// Counts in `shared` (Redis) instead of this process, this process being the fallback.
    pub fn shared(mut self, shared: Option<SharedLimits>) -> Self {
        self.shared = shared;
        self
    }

    fn keys(shared: &SharedLimits, phone: &str, address: Option<IpAddr>) -> (String, String, Option<String>) {
        let shown = address.map_or_else(|| "-".to_owned(), |a| a.to_string());
        (
            shared.key(&format!("login:pair:{phone}:{shown}")),
            shared.key(&format!("login:phone:{phone}")),
            address.map(|a| shared.key(&format!("login:addr:{a}"))),
        )
    }

    /// Admits an attempt (see [`LoginLimiter::admit_here`]), across all processes when shared.
    pub async fn admit(&self, phone: &str, address: Option<IpAddr>) -> AppResult<()> {
        if let Some(shared) = &self.shared {
            let (pair, phone_key, address_key) = Self::keys(shared, phone, address);
            let mut keys = vec![(pair, self.pair_limit as u64), (phone_key, self.phone_limit as u64)];
            if let Some(key) = address_key {
                keys.push((key, (self.pair_limit as u64).saturating_mul(120)));
            }
            match shared.take(&keys).await {
                Some(result) => return result,
                None => return self.admit_here(phone, address),
            }
        }
        self.admit_here(phone, address)
    }

    /// The admitted attempt logged in (see [`LoginLimiter::succeeded_here`]).
    pub async fn succeeded(&self, phone: &str, address: Option<IpAddr>) {
        if let Some(shared) = &self.shared {
            let (pair, phone_key, _) = Self::keys(shared, phone, address);
            if shared.give_back(&[phone_key], Some(&pair)).await {
                return;
            }
        }
        self.succeeded_here(phone, address);
    }

    /// The admitted attempt never checked the password (see [`LoginLimiter::not_attempted_here`]).
    pub async fn not_attempted(&self, phone: &str, address: Option<IpAddr>) {
        if let Some(shared) = &self.shared {
            let (pair, phone_key, _) = Self::keys(shared, phone, address);
            if shared.give_back(&[pair, phone_key], None).await {
                return;
            }
        }
        self.not_attempted_here(phone, address);
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, Failures> {
        // The maps stay consistent whatever panicked while holding the lock.
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Admits an attempt, counting it as a failure until `succeeded` or `not_attempted` says
    /// otherwise: counting up front keeps parallel guesses within the limit.
    pub fn admit_here(&self, phone: &str, address: Option<IpAddr>) -> AppResult<()> {
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
    pub fn succeeded_here(&self, phone: &str, address: Option<IpAddr>) {
        let mut failures = self.failures();
        failures.pairs.remove(&(phone.to_owned(), address));
        if let Some(window) = failures.phones.get_mut(phone) {
            window.0.pop_back();
        }
    }

    /// The admitted attempt never checked the password (the server was busy): it is no failure.
    pub fn not_attempted_here(&self, phone: &str, address: Option<IpAddr>) {
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
    limit: u32,
    shared: Option<(SharedLimits, &'static str)>,
}

impl AddressLimiter {
    /// `per_minute` attempts a minute from one address.
    pub fn new(per_minute_limit: u32) -> Self {
        Self {
            per_address: DefaultKeyedRateLimiter::keyed(per_minute(per_minute_limit)),
            limit: per_minute_limit.max(1),
            shared: None,
        }
    }

    /// Counts in `shared` under keys named `name`, this process being the fallback.
    pub fn shared(mut self, shared: Option<SharedLimits>, name: &'static str) -> Self {
        self.shared = shared.map(|s| (s, name));
        self
    }

    /// Counts an attempt from `address` (none without a peer address).
    pub async fn check(&self, address: Option<IpAddr>) -> AppResult<()> {
        let Some(address) = address else { return Ok(()) };
        if let Some((shared, name)) = &self.shared
            && let Some(result) = shared
                .take(&[(shared.key(&format!("{name}:{address}")), u64::from(self.limit))])
                .await
        {
            return result;
        }
        self.per_address.check_key(&address).map_err(refusal)
    }
}

/// Limits attempts per user (wrong check-in codes); an exceeded limit is a 429 with `Retry-After`.
pub struct UserLimiter {
    per_user: DefaultKeyedRateLimiter<i32>,
    limit: u32,
    shared: Option<(SharedLimits, &'static str)>,
}

impl UserLimiter {
    /// `per_minute` attempts a minute for one user.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_user: DefaultKeyedRateLimiter::keyed(self::per_minute(per_minute)),
            limit: per_minute.max(1),
            shared: None,
        }
    }

    /// Counts in `shared` under keys named `name`, this process being the fallback.
    pub fn shared(mut self, shared: Option<SharedLimits>, name: &'static str) -> Self {
        self.shared = shared.map(|s| (s, name));
        self
    }

    pub async fn check(&self, user_id: i32) -> AppResult<()> {
        if let Some((shared, name)) = &self.shared
            && let Some(result) = shared
                .take(&[(shared.key(&format!("{name}:{user_id}")), u64::from(self.limit))])
                .await
        {
            return result;
        }
        self.per_user.check_key(&user_id).map_err(refusal)
    }
}

/// Checks every key against its limit and, when none is reached, counts one attempt on each;
/// a key's first count starts its window. Answers `{1, 0}` (admitted) or `{0, ms}` (refused,
/// the reached key's window ends in `ms`).
const TAKE: &str = r"
for i, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n >= tonumber(ARGV[i + 1]) then
    return {0, redis.call('PTTL', key)}
  end
end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
end
return {1, 0}
";

/// Takes one attempt back from each key that still counts some (`DECR` floored at zero), and
/// forgets `ARGV[1]` when given (a pair that logged in starts afresh).
const GIVE_BACK: &str = r"
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
if ARGV[1] ~= '' then redis.call('DEL', ARGV[1]) end
return 1
";

/// Limits counted in Redis, shared by every process that names the same server and prefix.
#[derive(Clone)]
pub struct SharedLimits {
    connection: redis::aio::ConnectionManager,
    prefix: String,
    take: std::sync::Arc<redis::Script>,
    give_back: std::sync::Arc<redis::Script>,
}

impl SharedLimits {
    /// A lazy connection (made on first use, remade when lost) that gives up on a call after
    /// 300 ms, so a Redis outage costs a request that much once before the local fallback.
    pub fn new(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(300)))
            .set_response_timeout(Some(Duration::from_millis(300)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        Ok(Self {
            connection: redis::aio::ConnectionManager::new_lazy_with_config(client, config)?,
            prefix: prefix.to_owned(),
            take: std::sync::Arc::new(redis::Script::new(TAKE)),
            give_back: std::sync::Arc::new(redis::Script::new(GIVE_BACK)),
        })
    }

    fn key(&self, rest: &str) -> String {
        format!("{}:limit:{rest}", self.prefix)
    }

    /// `None` when Redis did not answer: the caller limits in this process instead.
    async fn take(&self, keys: &[(String, u64)]) -> Option<AppResult<()>> {
        let mut invocation = self.take.prepare_invoke();
        invocation.arg(WINDOW.as_millis() as u64);
        for (key, limit) in keys {
            invocation.key(key).arg(*limit);
        }
        let mut connection = self.connection.clone();
        match invocation.invoke_async::<(i64, i64)>(&mut connection).await {
            Ok((1, _)) => Some(Ok(())),
            Ok((_, wait_ms)) => Some(Err(AppError::TooManyRequests {
                retry_after_secs: if wait_ms > 0 {
                    (wait_ms as u64).div_ceil(1000).max(1)
                } else {
                    60
                },
            })),
            Err(error) => {
                tracing::warn!(%error, "Redis did not answer; rate limits fall back to this process's own counts");
                None
            }
        }
    }

    /// `false` when Redis did not answer.
    async fn give_back(&self, keys: &[String], forget: Option<&str>) -> bool {
        let mut invocation = self.give_back.prepare_invoke();
        invocation.arg(forget.unwrap_or_default());
        for key in keys {
            invocation.key(key);
        }
        let mut connection = self.connection.clone();
        match invocation.invoke_async::<i64>(&mut connection).await {
            Ok(_) => true,
            Err(error) => {
                tracing::warn!(%error, "Redis did not answer; rate limits fall back to this process's own counts");
                false
            }
        }
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
        limiter.admit_here(phone, ip("1.1.1.1")).unwrap();
        limiter.admit_here(phone, ip("1.1.1.1")).unwrap();
        let locked = limiter.admit_here(phone, ip("1.1.1.1")).unwrap_err();
        assert!(
            matches!(locked, AppError::TooManyRequests { retry_after_secs } if (1..=60).contains(&retry_after_secs))
        );
        // Another address may still try: the third failure of the phone.
        limiter.admit_here(phone, ip("2.2.2.2")).unwrap();
        assert!(
            limiter.admit_here(phone, ip("3.3.3.3")).is_err(),
            "the phone ceiling holds"
        );
        assert!(
            limiter.admit_here("13900000001", ip("1.1.1.1")).is_ok(),
            "other phones are free"
        );
    }

    #[test]
    fn success_clears_the_pair_and_an_unattempted_login_counts_nothing() {
        let limiter = LoginLimiter::new(2, 100);
        let phone = "13900000000";
        limiter.admit_here(phone, ip("1.1.1.1")).unwrap();
        limiter.admit_here(phone, ip("1.1.1.1")).unwrap();
        limiter.succeeded_here(phone, ip("1.1.1.1"));
        limiter.admit_here(phone, ip("1.1.1.1")).unwrap();
        limiter.not_attempted_here(phone, ip("1.1.1.1"));
        limiter.admit_here(phone, ip("1.1.1.1")).unwrap();
        limiter.admit_here(phone, ip("1.1.1.1")).unwrap();
        assert!(limiter.admit_here(phone, ip("1.1.1.1")).is_err());
    }
}
