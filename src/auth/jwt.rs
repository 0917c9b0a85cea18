//! HS256 tokens with a pinned algorithm, issuer, audience and purpose. Expiry is checked
//! against the injected clock; a per-user version revokes everything issued before it.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::config::{Settings, MIN_JWT_SECRET_BYTES};

const ISSUER: &str = "health-checkin";
const AUDIENCE: &str = "health-checkin";
/// Tolerated difference between clocks of several instances.
const LEEWAY_SECONDS: i64 = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Login,
    Invitation,
    Reset,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub org: String,
    pub purpose: Purpose,
    /// The user's token version when the token was issued.
    pub ver: i32,
    /// This token's own id, by which logging out revokes it alone. Tokens from before ids
    /// were given have none: a session without one is refused, a link is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    /// What a set-password link is bound to; session tokens have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkBinding>,
}

impl Claims {
    fn new(
        user_id: &str,
        org_id: &str,
        token_version: i32,
        purpose: Purpose,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Self {
        Self {
            sub: user_id.to_string(),
            org: org_id.to_string(),
            purpose,
            ver: token_version,
            jti: Some(token_id()),
            iat: now.timestamp(),
            exp: expires.timestamp(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            link: None,
        }
    }
}

/// What ties a set-password link to the mail it went out in: the address it was sent to and
/// its number among the person's links of its kind. A change of address, or a newer link of
/// the same kind, ends it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkBinding {
    /// A keyed hash of the address, so that the link does not reveal it.
    pub to: String,
    pub n: i32,
}

/// Whom a set-password link is for, and which of their links of its kind it is.
pub struct LinkTarget<'a> {
    pub user_id: &'a str,
    pub org_id: &'a str,
    pub token_version: i32,
    pub email: &'a str,
    pub number: i32,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is not valid")]
    Invalid,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not meant for this")]
    WrongPurpose,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // Expiry is checked below against the application's clock.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(
        &self,
        user_id: &str,
        org_id: &str,
        token_version: i32,
        purpose: Purpose,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> anyhow::Result<(String, DateTime<Utc>)> {
        let expires = now + ttl;
        let claims = Claims::new(user_id, org_id, token_version, purpose, now, expires);
        Ok((self.sign(&claims)?, expires))
    }

    /// The token of a set-password link of `purpose` for `target`, bound to their address and
    /// the link's number.
    pub fn issue_link(
        &self,
        target: &LinkTarget<'_>,
        purpose: Purpose,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            link: Some(LinkBinding {
                to: self.address_tag(target.email)?,
                n: target.number,
            }),
            ..Claims::new(
                target.user_id,
                target.org_id,
                target.token_version,
                purpose,
                now,
                now + ttl,
            )
        };
        self.sign(&claims)
    }

    fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// A keyed hash of an address (HMAC-SHA256 with the token secret, 128 bits of it).
    fn address_tag(&self, email: &str) -> anyhow::Result<String> {
        let message = format!("set-password link to {email}");
        let mut tag =
            jsonwebtoken::crypto::sign(message.as_bytes(), &self.encoding, Algorithm::HS256)?;
        tag.truncate(22);
        Ok(tag)
    }

    /// The link of `claims` was sent to `email`.
    pub fn sent_to(&self, claims: &Claims, email: &str) -> bool {
        match (&claims.link, self.address_tag(email)) {
            (Some(link), Ok(tag)) => link.to == tag,
            _ => false,
        }
    }

    pub fn verify(
        &self,
        token: &str,
        purpose: Purpose,
        now: DateTime<Utc>,
    ) -> Result<Claims, TokenError> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;
        let now = now.timestamp();
        if claims.iat > now + LEEWAY_SECONDS {
            return Err(TokenError::Invalid);
        }
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        if claims.purpose != purpose {
            return Err(TokenError::WrongPurpose);
        }
        Ok(claims)
    }
}

/// 128 random bits in hex.
fn token_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The configured secret, or one generated on first start and kept in the data folder.
pub fn load_or_create_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &settings.jwt_secret {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    crate::private_files::private_dir(&settings.data_dir)?;
    read_or_create(&settings.data_dir.join("jwt-secret"))
}

fn read_or_create(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let fresh = hex::encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(fresh.as_bytes())?;
            file.sync_all()?;
            Ok(fresh.into_bytes())
        }
        // Another instance sharing the folder got there first: use its secret.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = std::fs::read_to_string(path)?.trim().to_string();
            anyhow::ensure!(
                existing.len() >= MIN_JWT_SECRET_BYTES,
                "{} holds fewer than {MIN_JWT_SECRET_BYTES} bytes; delete it or set JWT_SECRET",
                path.display()
            );
            Ok(existing.into_bytes())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(b"0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn round_trip_and_faults() {
        let now = Utc::now();
        let (token, _) = keys()
            .issue("u1", "o1", 3, Purpose::Login, now, Duration::hours(1))
            .unwrap();
        let claims = keys().verify(&token, Purpose::Login, now).unwrap();
        assert_eq!((claims.sub.as_str(), claims.ver), ("u1", 3));
        let (again, _) = keys()
            .issue("u1", "o1", 3, Purpose::Login, now, Duration::hours(1))
            .unwrap();
        let again = keys().verify(&again, Purpose::Login, now).unwrap();
        assert_eq!(claims.jti.as_ref().map(String::len), Some(32));
        assert_ne!(claims.jti, again.jti, "every token has its own id");
        assert_eq!(
            keys().verify(&token, Purpose::Reset, now).unwrap_err(),
            TokenError::WrongPurpose
        );
        assert_eq!(
            keys()
                .verify(&token, Purpose::Login, now + Duration::hours(2))
                .unwrap_err(),
            TokenError::Expired
        );
        let other = JwtKeys::new(b"another-secret-another-secret-another");
        assert_eq!(
            other.verify(&token, Purpose::Login, now).unwrap_err(),
            TokenError::Invalid
        );
    }

    #[test]
    fn a_link_knows_the_address_it_went_to_without_saying_it() {
        let now = Utc::now();
        let target = LinkTarget {
            user_id: "u1",
            org_id: "o1",
            token_version: 0,
            email: "li@acme.test",
            number: 2,
        };
        let token = keys()
            .issue_link(&target, Purpose::Reset, now, Duration::hours(1))
            .unwrap();
        let claims = keys().verify(&token, Purpose::Reset, now).unwrap();
        assert_eq!(claims.link.as_ref().map(|l| l.n), Some(2));
        assert!(keys().sent_to(&claims, "li@acme.test"));
        assert!(!keys().sent_to(&claims, "lei@acme.test"));
        let (login, _) = keys()
            .issue("u1", "o1", 0, Purpose::Reset, now, Duration::hours(1))
            .unwrap();
        let unbound = keys().verify(&login, Purpose::Reset, now).unwrap();
        assert!(!keys().sent_to(&unbound, "li@acme.test"));
    }

    #[test]
    fn generated_secret_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jwt-secret");
        let first = read_or_create(&path).unwrap();
        let second = read_or_create(&path).unwrap();
        assert_eq!(first, second);
        assert!(first.len() >= MIN_JWT_SECRET_BYTES);
    }
}
