//! Passwords and tokens. Passwords are hashed with argon2id at OWASP's recommended cost (m = 19 MiB,
//! t = 2, p = 1: Password Storage Cheat Sheet); tokens are 256 random bits, handed out once and
//! stored only as their SHA-256 digest — a fast hash is right for them, as they cannot be guessed.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the system random number generator failed: {0}")]
    Random(String),
}

fn hasher() -> Result<Argon2<'static>, SecretError> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| SecretError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Why a password is refused (`dateline_core::staff::check_password`), as a sentence for the
/// form; `None` if it is acceptable.
pub fn password_problem(password: &str, email: &str) -> Option<String> {
    dateline_core::staff::check_password(password, email)
        .err()
        .map(|refusal| refusal.to_string())
}

/// An argon2id PHC string for `password`, with a fresh random salt. Slow by design: call it off
/// the async threads (`tokio::task::spawn_blocking`).
pub fn hash_password(password: &str) -> Result<String, SecretError> {
    let hash: PasswordHash = hasher()?
        .hash_password(password.as_bytes())
        .map_err(|e| SecretError::Hash(e.to_string()))?;
    Ok(hash.to_string())
}

/// Whether `password` matches a stored PHC string; a malformed string never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    match hasher() {
        Ok(argon2) => argon2.verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A new random token: 32 bytes from the operating system, as 64 hex digits.
pub fn new_token() -> Result<String, SecretError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| SecretError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// What the database keeps of a token.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares secrets without an early exit, so the time taken says nothing about how much matched.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_carry_owasp_parameters() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterx", &hash));
        assert!(!verify_password("anything", "not a phc string"));
        assert_ne!(hash, hash_password("correct horse battery").expect("hash"));
    }

    #[test]
    fn tokens_are_random_and_compared_in_full() {
        let a = new_token().expect("token");
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token().expect("token"));
        assert_eq!(token_digest(&a).len(), 64);
        assert_ne!(token_digest(&a), a);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &a[..63]));
        assert!(!same_secret("abc", "abd"));
    }
}
