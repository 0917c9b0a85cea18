//! Argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane: OWASP's minimum).

use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

use crate::problem::Problem;

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Different characters a password needs at the least.
pub const MIN_DISTINCT_CHARS: usize = 4;

const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "qwerty123",
    "11111111",
    "00000000",
    "88888888",
    "iloveyou",
    "admin123",
    "abc12345",
    "1qaz2wsx",
    "a1234567",
    "welcome1",
    "passw0rd",
];

pub fn hash(password: &str) -> anyhow::Result<String> {
    let hashed = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?;
    Ok(hashed.to_string())
}

/// True when `password` matches `stored`. A missing or unreadable hash never matches.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    match stored.and_then(|s| PasswordHash::new(s).ok()) {
        Some(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        None => {
            // Spend the same time as a real check so that unknown accounts cannot be told apart.
            if let Some(dummy) = dummy_hash().and_then(|s| PasswordHash::new(s).ok()) {
                let _ = Argon2::default().verify_password(password.as_bytes(), &dummy);
            }
            false
        }
    }
}

fn dummy_hash() -> Option<&'static str> {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    DUMMY
        .get_or_init(|| hash("not-a-real-password-but-equally-slow").ok())
        .as_deref()
}

/// What a new password must be; the problem says what to change.
pub fn check_strength(password: &str, email: &str) -> Result<(), Problem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(Problem::too_short(MIN_PASSWORD_CHARS));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(Problem::too_long(MAX_PASSWORD_CHARS));
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err(Problem::new(
            "common_password",
            "is one of the most common passwords; choose another",
        ));
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < MIN_DISTINCT_CHARS {
        return Err(Problem::new(
            "too_few_distinct_characters",
            format!("needs more variety (at least {MIN_DISTINCT_CHARS} different characters)"),
        )
        .with("min", MIN_DISTINCT_CHARS));
    }
    let local_part = email.split('@').next().unwrap_or_default().to_lowercase();
    if local_part.len() >= 3 && lower.contains(&local_part) {
        return Err(Problem::new(
            "contains_email_name",
            "must not contain your e-mail name",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(&a)));
        assert!(!verify("wrong", Some(&a)));
        assert!(!verify("anything", None));
        assert!(!verify("anything", Some("garbage")));
    }

    #[test]
    fn weak_passwords_are_refused() {
        let code = |password: &str, email: &str| check_strength(password, email).unwrap_err().code;
        assert_eq!(code("short", "a@b.c"), "too_short");
        assert_eq!(code(&"long".repeat(65), "a@b.c"), "too_long");
        assert_eq!(code("password123", "a@b.c"), "common_password");
        assert_eq!(code("aaaaaaaaaaaa", "a@b.c"), "too_few_distinct_characters");
        assert_eq!(
            code("zhangwei-2020", "zhangwei@acme.test"),
            "contains_email_name"
        );
        assert!(check_strength("Spring-rain-42", "zhangwei@acme.test").is_ok());
    }
}
