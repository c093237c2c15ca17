//! Password hashing (Argon2id) and the minimum strength rule.

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::http::{AppError, AppResult};

/// Argon2id with the configured memory cost; hashing runs off the async workers.
///
/// Each hash holds its memory cost for its whole run, so at most `concurrency` run at once: a
/// burst of logins or registrations cannot take the memory of the server. Callers beyond that
/// wait a bounded time in a bounded queue, and are refused with 503 `BUSY` after either bound.
#[derive(Clone, Debug)]
pub struct PasswordHashing {
    memory_kib: u32,
    slots: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    max_wait: Duration,
}

/// One place in the queue for a hashing slot; leaving the queue (slot got, timed out or the
/// request dropped) frees the place.
struct QueuePlace<'a>(&'a AtomicUsize);

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn busy() -> AppError {
    AppError::unavailable("BUSY", "服务器繁忙，请稍后再试", 1)
}

impl PasswordHashing {
    /// One hash at a time with no queue bound worth speaking of: for one-off commands (seeding).
    pub fn new(memory_kib: u32) -> Self {
        Self::bounded(memory_kib, 1, usize::MAX, Duration::from_secs(3_600))
    }

    /// At most `concurrency` hashes at once; at most `max_waiting` callers wait, each at most
    /// `max_wait`.
    pub fn bounded(memory_kib: u32, concurrency: usize, max_waiting: usize, max_wait: Duration) -> Self {
        Self {
            memory_kib,
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting,
            max_wait,
        }
    }

    /// A hashing slot, or 503 `BUSY` when the queue is full or the wait too long.
    async fn slot(&self) -> AppResult<OwnedSemaphorePermit> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(busy());
        }
        let _place = QueuePlace(&self.waiting);
        match tokio::time::timeout(self.max_wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(AppError::internal(closed)),
            Err(_) => Err(busy()),
        }
    }

    fn argon2(&self) -> AppResult<Argon2<'static>> {
        let params = Params::new(self.memory_kib, 2, 1, None)
            .map_err(|e| AppError::internal(anyhow::anyhow!("argon2 params: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    pub async fn hash(&self, password: String) -> AppResult<String> {
        let argon2 = self.argon2()?;
        let slot = self.slot().await?;
        tokio::task::spawn_blocking(move || {
            // The slot moves into the blocking task: it is held until the hash is done, even
            // when the request that asked for it has gone.
            let _slot = slot;
            let salt = SaltString::generate(&mut OsRng);
            argon2
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| AppError::internal(anyhow::anyhow!("hashing failed: {e}")))
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Whether `password` matches `hash`. The parameters come from the hash itself.
    pub async fn verify(&self, password: String, hash: String) -> AppResult<bool> {
        let argon2 = self.argon2()?;
        let slot = self.slot().await?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let Ok(parsed) = PasswordHash::new(&hash) else {
                return false;
            };
            argon2.verify_password(password.as_bytes(), &parsed).is_ok()
        })
        .await
        .map_err(AppError::internal)
    }

    /// A hash of a random password, used so that a login for an unknown phone costs as much as
    /// one for a known phone.
    pub async fn dummy_hash(&self) -> AppResult<String> {
        self.hash(uuid::Uuid::new_v4().to_string()).await
    }
}

/// The minimum strength: 8 to 72 characters with at least one letter and one digit.
pub fn check_strength(password: &str) -> Result<(), &'static str> {
    let length = password.chars().count();
    if !(8..=72).contains(&length) {
        return Err("密码长度须为 8 到 72 个字符");
    }
    if !password.chars().any(|c| c.is_ascii_alphabetic()) || !password.chars().any(|c| c.is_ascii_digit()) {
        return Err("密码须同时包含字母和数字");
    }
    Ok(())
}

/// `validator` hook for request bodies.
pub fn validate_strength(password: &str) -> Result<(), validator::ValidationError> {
    check_strength(password).map_err(|message| {
        let mut error = validator::ValidationError::new("password_strength");
        error.message = Some(message.into());
        error
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once_and_a_long_wait_after_the_wait() {
        let hashing = PasswordHashing::bounded(1_024, 1, 1, Duration::from_millis(50));
        let held = hashing.slot().await.unwrap();
        // One may wait; while it waits, a second is refused without waiting.
        let waiter = hashing.slot();
        let refused = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            hashing.slot().await
        };
        let (waited, refused) = tokio::join!(waiter, refused);
        assert_eq!(refused.unwrap_err().code(), "BUSY");
        assert_eq!(waited.unwrap_err().code(), "BUSY", "the slot was held past the wait");
        assert_eq!(hashing.waiting.load(Ordering::Acquire), 0, "the queue is empty again");
        drop(held);
        assert!(hashing.slot().await.is_ok());
    }

    #[test]
    fn strength_rule() {
        assert!(check_strength("abc12345").is_ok());
        assert!(check_strength("abcdefgh").is_err());
        assert!(check_strength("12345678").is_err());
        assert!(check_strength("a1").is_err());
    }
}
