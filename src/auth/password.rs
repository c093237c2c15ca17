//! Password hashing (Argon2id) and the minimum strength rule.

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{self, Output, ParamsString, Salt, SaltString, rand_core::OsRng},
};

use std::{
    sync::{
        Arc, Mutex,
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
/// The working memory of a finished hash is kept for the next one rather than freed: the
/// allocator would keep most of it anyway, in as many pieces as there were parallel hashes.
#[derive(Clone)]
pub struct PasswordHashing {
    memory_kib: u32,
    slots: Arc<Semaphore>,
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
    waiting: Arc<AtomicUsize>,
    max_waiting: usize,
    max_wait: Duration,
}

impl std::fmt::Debug for PasswordHashing {
    // Not the working memory: megabytes of blocks.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHashing")
            .field("memory_kib", &self.memory_kib)
            .field("free_slots", &self.slots.available_permits())
            .field("waiting", &self.waiting)
            .field("max_waiting", &self.max_waiting)
            .field("max_wait", &self.max_wait)
            .finish_non_exhaustive()
    }
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
            memory: Arc::new(Mutex::new(Vec::new())),
            waiting: Arc::new(AtomicUsize::new(0)),
            max_waiting,
            max_wait,
        }
    }

    /// A hashing slot, or 503 `BUSY` when the queue is full or the wait too long.
    async fn slot(&self) -> AppResult<Slot> {
        let slot = |permit| Slot {
            _permit: permit,
            memory: self.memory.clone(),
        };
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(slot(permit));
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(busy());
        }
        let _place = QueuePlace(&self.waiting);
        match tokio::time::timeout(self.max_wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(slot(permit)),
            Ok(Err(closed)) => Err(AppError::internal(closed)),
            Err(_) => Err(busy()),
        }
    }

    fn argon2(&self) -> AppResult<Argon2<'static>> {
        let params = Params::new(self.memory_kib, 2, 1, None)
            .map_err(|e| AppError::internal(anyhow::anyhow!("argon2 params: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    /// The PHC string (`$argon2id$v=19$m=…`) of `password` with a fresh salt.
    pub async fn hash(&self, password: String) -> AppResult<String> {
        self.hash_keeping(password, true).await
    }

    async fn hash_keeping(&self, password: String, keep_memory: bool) -> AppResult<String> {
        let argon2 = self.argon2()?;
        let slot = self.slot().await?;
        tokio::task::spawn_blocking(move || {
            // The slot moves into the blocking task: it is held until the hash is done, even
            // when the request that asked for it has gone.
            slot.hash(&argon2, password.as_bytes(), keep_memory)
                .map_err(|e| AppError::internal(anyhow::anyhow!("hashing failed: {e}")))
        })
        .await
        .map_err(AppError::internal)?
    }

    /// Whether `password` matches `hash`. The parameters come from the hash itself.
    pub async fn verify(&self, password: String, hash: String) -> AppResult<bool> {
        let slot = self.slot().await?;
        tokio::task::spawn_blocking(move || slot.verify(password.as_bytes(), &hash).unwrap_or(false))
            .await
            .map_err(AppError::internal)
    }

    /// A hash of a random password, used so that a login for an unknown phone costs as much as
    /// one for a known phone. Made once at start-up: its working memory is given back rather
    /// than kept, so an idle server holds none (the first login keeps it from then on).
    pub async fn dummy_hash(&self) -> AppResult<String> {
        self.hash_keeping(uuid::Uuid::new_v4().to_string(), false).await
    }
}

/// The right to run one hash, with the working memory it borrows and gives back.
#[derive(Debug)]
struct Slot {
    _permit: OwnedSemaphorePermit,
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
}

impl Slot {
    /// Runs `work` with at least `blocks` blocks of working memory, kept for the next hash
    /// when `keep`.
    fn with_memory<T>(&self, blocks: usize, keep: bool, work: impl FnOnce(&mut [Block]) -> T) -> T {
        let pool = || self.memory.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut memory = pool().pop().unwrap_or_default();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        let result = work(&mut memory);
        if keep {
            pool().push(memory);
        }
        result
    }

    fn output(
        argon2: &Argon2<'_>,
        password: &[u8],
        salt: Salt<'_>,
        len: usize,
        memory: &mut [Block],
    ) -> password_hash::Result<Output> {
        let mut salt_bytes = [0u8; 64];
        let salt = salt.decode_b64(&mut salt_bytes)?;
        Output::init_with(len, |out| {
            Ok(argon2.hash_password_into_with_memory(password, salt, out, &mut *memory)?)
        })
    }

    fn hash(&self, argon2: &Argon2<'_>, password: &[u8], keep_memory: bool) -> password_hash::Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        let params = argon2.params();
        let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let output = self.with_memory(params.block_count(), keep_memory, |memory| {
            Self::output(argon2, password, salt.as_salt(), len, memory)
        })?;
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(params)?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(hash.to_string())
    }

    fn verify(&self, password: &[u8], hash: &str) -> password_hash::Result<bool> {
        let parsed = PasswordHash::new(hash)?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Ok(false);
        };
        let algorithm = Algorithm::try_from(parsed.algorithm)?;
        let version = parsed.version.map(Version::try_from).transpose()?.unwrap_or_default();
        let params = Params::try_from(&parsed)?;
        let blocks = params.block_count();
        let argon2 = Argon2::new(algorithm, version, params);
        let computed = self.with_memory(blocks, true, |memory| {
            Self::output(&argon2, password, salt, expected.len(), memory)
        })?;
        // `Output` compares in constant time.
        Ok(computed == expected)
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

    #[tokio::test]
    async fn hashes_agree_with_the_reference_implementation_both_ways() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let hashing = PasswordHashing::bounded(1_024, 2, 4, Duration::from_secs(5));
        let ours = hashing.hash("abc12345".into()).await.unwrap();
        let reference = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1_024, 2, 1, None).unwrap(),
        );
        assert!(
            reference
                .verify_password(b"abc12345", &PasswordHash::new(&ours).unwrap())
                .is_ok()
        );
        assert!(
            reference
                .verify_password(b"abc12346", &PasswordHash::new(&ours).unwrap())
                .is_err()
        );
        // A stored hash made with other parameters (more memory) still verifies.
        let salt = SaltString::generate(&mut OsRng);
        let stored = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(2_048, 3, 1, None).unwrap(),
        )
        .hash_password(b"abc12345", &salt)
        .unwrap()
        .to_string();
        assert!(hashing.verify("abc12345".into(), stored.clone()).await.unwrap());
        assert!(!hashing.verify("abc12346".into(), stored).await.unwrap());
        assert!(!hashing.verify("abc12345".into(), "not a hash".into()).await.unwrap());
        assert!(hashing.memory.lock().unwrap().len() <= 2, "one buffer a slot at most");
    }

    #[test]
    fn strength_rule() {
        assert!(check_strength("abc12345").is_ok());
        assert!(check_strength("abcdefgh").is_err());
        assert!(check_strength("12345678").is_err());
        assert!(check_strength("a1").is_err());
    }
}
