//! argon2id password hashing on the blocking pool, with bounded concurrency so that a burst
//! of sign-ins cannot exhaust memory or starve other work.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordVerifier, Version};
use tokio::sync::Semaphore;

use crate::config::HashCost;
use crate::error::AppError;

/// Hashes and verifies passwords, a few at a time.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
}

impl PasswordHasher {
    pub fn new(cost: HashCost) -> PasswordHasher {
        let params = match cost {
            // OWASP's first recommendation for argon2id: 19 MiB, 2 passes, 1 lane.
            HashCost::Default => Params::new(19 * 1024, 2, 1, None),
            HashCost::Test => Params::new(8, 1, 1, None),
        }
        .expect("argon2 parameters are valid constants");
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        PasswordHasher { params, permits: Arc::new(Semaphore::new(cores)) }
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The PHC string of a new hash (salted).
    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let _permit = self.permits.acquire().await.map_err(|e| AppError::Unexpected(e.into()))?;
        let argon2 = self.argon2();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&argon2, &password))
            .await
            .map_err(|e| AppError::Unexpected(e.into()))?
    }

    /// Hashes on the calling thread (CLI).
    pub fn hash_blocking(&self, password: &str) -> Result<String, AppError> {
        hash_blocking(&self.argon2(), password)
    }

    /// Does `password` match the stored PHC string? Hashes of other parameters verify too.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, AppError> {
        let _permit = self.permits.acquire().await.map_err(|e| AppError::Unexpected(e.into()))?;
        let argon2 = self.argon2();
        let password = password.to_owned();
        let phc = phc.to_owned();
        tokio::task::spawn_blocking(move || argon2.verify_password(password.as_bytes(), phc.as_str()).is_ok())
            .await
            .map_err(|e| AppError::Unexpected(e.into()))
    }

    /// A hash to verify against when the account does not exist, so that the answer takes
    /// as long as for a real account and does not reveal which usernames exist.
    pub async fn verify_dummy(&self, password: &str) {
        const DUMMY: &str =
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3O4LJRyUB7t2ZTaXiOXHzWOdbn2Dn3Q1gQm+0xwS9fE";
        let _ = self.verify(password, DUMMY).await;
    }
}

fn hash_blocking(argon2: &Argon2<'_>, password: &str) -> Result<String, AppError> {
    use argon2::PasswordHasher as _;
    argon2
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("hashing failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn production_hashes_use_argon2id_with_the_recommended_cost() {
        let hasher = PasswordHasher::new(HashCost::Default);
        let phc = hasher.hash("correct horse battery staple").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(hasher.verify("correct horse battery staple", &phc).await.unwrap());
        assert!(!hasher.verify("Correct horse battery staple", &phc).await.unwrap());
        let cheap = PasswordHasher::new(HashCost::Test);
        assert!(cheap.verify("correct horse battery staple", &phc).await.unwrap(), "any stored cost verifies");
        assert_ne!(phc, hasher.hash("correct horse battery staple").await.unwrap(), "salted");
    }
}
