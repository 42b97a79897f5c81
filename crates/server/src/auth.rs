//! Passwords (Argon2id) and random secrets (device credentials and access tokens).

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A real Argon2id hash of a random password, checked against when a username does not exist so
/// that a wrong username takes as long as a wrong password.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$W4fB5x3W0FvKq3a3x2xq8m0m4m0m4m0m4m0m4m0m4m0";

pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("the password could not be hashed ({e})"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => {
            // Keep the timing of a real verification.
            let _ = hash_password(password);
            false
        }
    }
}

/// 256 random bits, hex-encoded: device credentials and access tokens.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Secrets are random and long, so a plain SHA-256 is enough to keep them unusable if the
/// database is copied; only the hash is stored.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two hashes without stopping at the first difference.
pub fn secrets_match(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a password must be for a central-store account.
pub fn check_new_password(password: &str, username: &str) -> Result<(), String> {
    if password.chars().count() < 12 {
        return Err("the password must be at least 12 characters".into());
    }
    if password.to_lowercase().contains(&username.to_lowercase()) {
        return Err("the password must not contain the username".into());
    }
    // The rule the laptop applies to passphrases, so that an account password is never weaker
    // than what protects the notes on the laptop.
    let strength = casebook_domain::passphrase_strength(password, username);
    if !strength.acceptable {
        return Err(format!("that password would be easy to guess: {}", strength.advice));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_wrong_ones_do_not() {
        let h = hash_password("a long fictional password").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("a long fictional password", &h));
        assert!(!verify_password("a long fictional passwort", &h));
        assert!(!verify_password("anything", DUMMY_HASH));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn secrets_are_random_and_compared_fully() {
        let a = new_secret();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_secret());
        assert!(secrets_match(&hash_secret(&a), &hash_secret(&a)));
        assert!(!secrets_match(&hash_secret(&a), &hash_secret("other")));
    }

    #[test]
    fn new_passwords_have_rules() {
        assert!(check_new_password("short", "u").is_err());
        assert!(check_new_password("lead.one-is-my-password", "lead.one").is_err());
        assert!(check_new_password("violet harbour tractor", "lead.one").is_ok());
        assert!(check_new_password("password1234", "lead.one").unwrap_err().contains("easy to guess"));
        assert!(check_new_password("aaaaaaaaaaaa", "lead.one").unwrap_err().contains("easy to guess"));
    }
}
