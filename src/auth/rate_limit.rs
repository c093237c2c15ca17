//! The login rate limit, per phone number and per client address (governor's GCRA).

use std::{net::IpAddr, num::NonZeroU32};

use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock as _, clock::DefaultClock};

use crate::http::{AppError, AppResult};

/// Limits login attempts; an exceeded limit is a 429 with `Retry-After`.
pub struct LoginLimiter {
    per_phone: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl LoginLimiter {
    /// `per_phone` attempts a minute for one phone; twenty times as many for one address, which
    /// many people may share (a community centre's Wi-Fi).
    pub fn new(per_phone: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            per_phone: DefaultKeyedRateLimiter::keyed(quota(per_phone)),
            per_address: DefaultKeyedRateLimiter::keyed(quota(per_phone.saturating_mul(120))),
        }
    }

    pub fn check(&self, phone: &str, address: Option<IpAddr>) -> AppResult<()> {
        let clock = DefaultClock::default();
        let refuse = |not_until: governor::NotUntil<_>| {
            let wait = not_until.wait_time_from(clock.now());
            AppError::TooManyRequests {
                retry_after_secs: wait.as_secs().max(1),
            }
        };
        if let Some(address) = address {
            self.per_address.check_key(&address).map_err(refuse)?;
        }
        self.per_phone.check_key(&phone.to_owned()).map_err(refuse)?;
        Ok(())
    }
}

/// Limits attempts per user (wrong check-in codes); an exceeded limit is a 429 with `Retry-After`.
pub struct UserLimiter {
    per_user: DefaultKeyedRateLimiter<i32>,
}

impl UserLimiter {
    /// `per_minute` attempts a minute for one user.
    pub fn new(per_minute: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN));
        Self {
            per_user: DefaultKeyedRateLimiter::keyed(quota),
        }
    }

    pub fn check(&self, user_id: i32) -> AppResult<()> {
        let clock = DefaultClock::default();
        self.per_user
            .check_key(&user_id)
            .map_err(|not_until| AppError::TooManyRequests {
                retry_after_secs: not_until.wait_time_from(clock.now()).as_secs().max(1),
            })
    }
}
