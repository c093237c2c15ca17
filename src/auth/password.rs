//! Password hashing (Argon2id) and the minimum strength rule.

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::http::{AppError, AppResult};

/// Argon2id with the configured memory cost; hashing runs off the async workers.
#[derive(Clone, Debug)]
pub struct PasswordHashing {
    memory_kib: u32,
}

impl PasswordHashing {
    pub fn new(memory_kib: u32) -> Self {
        Self { memory_kib }
    }

    fn argon2(&self) -> AppResult<Argon2<'static>> {
        let params = Params::new(self.memory_kib, 2, 1, None)
            .map_err(|e| AppError::internal(anyhow::anyhow!("argon2 params: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    pub async fn hash(&self, password: String) -> AppResult<String> {
        let argon2 = self.argon2()?;
        tokio::task::spawn_blocking(move || {
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
        tokio::task::spawn_blocking(move || {
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
    use super::check_strength;

    #[test]
    fn strength_rule() {
        assert!(check_strength("abc12345").is_ok());
        assert!(check_strength("abcdefgh").is_err());
        assert!(check_strength("12345678").is_err());
        assert!(check_strength("a1").is_err());
    }
}
