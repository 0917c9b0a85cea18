//! HS256 tokens with a pinned algorithm, issuer, audience and purpose. Expiry is checked
//! against the injected clock; a per-user version revokes everything issued before it.

use std::path::Path;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::config::{Settings, MIN_JWT_SECRET_BYTES};
use crate::db::{secrets, DbConn};

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
    /// The keys of the secret before a rotation, which only verify.
    previous: Option<(EncodingKey, DecodingKey)>,
    validation: Validation,
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> Self {
        Self::rotated(secret, None)
    }

    /// Keys that sign with `secret` and also accept what `previous` signed.
    pub fn rotated(secret: &[u8], previous: Option<&[u8]>) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // Expiry is checked below against the application's clock.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            previous: previous.map(|p| (EncodingKey::from_secret(p), DecodingKey::from_secret(p))),
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
        address_tag_with(&self.encoding, email)
    }

    /// The place after `person_id` in a report list, as `reader_id` may ask for the page that
    /// follows it: the person's id and a keyed tag of the three, so that a reader goes on only
    /// after people a list showed them.
    pub fn list_place(
        &self,
        org_id: &str,
        reader_id: &str,
        person_id: &str,
    ) -> anyhow::Result<String> {
        let tag = tag_with(&self.encoding, &place_message(org_id, reader_id, person_id))?;
        Ok(format!("{person_id}.{tag}"))
    }

    /// The person of a place `list_place` gave `reader_id` (under the current secret or the
    /// previous one); `None` for anything else.
    pub fn open_list_place<'a>(
        &self,
        org_id: &str,
        reader_id: &str,
        place: &'a str,
    ) -> Option<&'a str> {
        let (person_id, tag) = place.rsplit_once('.')?;
        let message = place_message(org_id, reader_id, person_id);
        let ours = std::iter::once(&self.encoding)
            .chain(self.previous.as_ref().map(|(encoding, _)| encoding))
            .any(|key| {
                tag_with(key, &message).is_ok_and(|expected| {
                    // In constant time: the tag is a secret until it is shown.
                    expected.len() == tag.len()
                        && expected
                            .bytes()
                            .zip(tag.bytes())
                            .fold(0u8, |d, (a, b)| d | (a ^ b))
                            == 0
                })
            });
        ours.then_some(person_id)
    }

    /// The link of `claims` was sent to `email`, under the current secret or the previous one.
    pub fn sent_to(&self, claims: &Claims, email: &str) -> bool {
        let Some(link) = &claims.link else {
            return false;
        };
        std::iter::once(&self.encoding)
            .chain(self.previous.as_ref().map(|(encoding, _)| encoding))
            .any(|key| address_tag_with(key, email).is_ok_and(|tag| link.to == tag))
    }

    pub fn verify(
        &self,
        token: &str,
        purpose: Purpose,
        now: DateTime<Utc>,
    ) -> Result<Claims, TokenError> {
        let decoded =
            decode::<Claims>(token, &self.decoding, &self.validation).or_else(|e| {
                match (&self.previous, e.kind()) {
                    (Some((_, previous)), jsonwebtoken::errors::ErrorKind::InvalidSignature) => {
                        decode::<Claims>(token, previous, &self.validation)
                    }
                    _ => Err(e),
                }
            });
        let claims = decoded.map_err(|_| TokenError::Invalid)?.claims;
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

/// A keyed tag (128 bits of HMAC-SHA256 with the token secret) of `message`.
fn tag_with(key: &EncodingKey, message: &str) -> anyhow::Result<String> {
    let mut tag = jsonwebtoken::crypto::sign(message.as_bytes(), key, Algorithm::HS256)?;
    tag.truncate(22);
    Ok(tag)
}

/// What a place in a report list is tagged over: the person a page ended with, and the
/// reader it was shown to.
fn place_message(org_id: &str, reader_id: &str, person_id: &str) -> String {
    format!("report list of {org_id} read by {reader_id}, after {person_id}")
}

fn address_tag_with(key: &EncodingKey, email: &str) -> anyhow::Result<String> {
    tag_with(key, &format!("set-password link to {email}"))
}

/// 128 random bits in hex.
fn token_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Where the signing secret came from, for the log and for `doctor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// `JWT_SECRET`.
    Setting,
    /// Generated by the first instance on this database and kept there.
    Database,
}

impl SecretSource {
    pub fn describe(self) -> &'static str {
        match self {
            SecretSource::Setting => "JWT_SECRET",
            SecretSource::Database => "kept in the database, shared by every instance on it",
        }
    }
}

const SECRET_NAME: &str = "jwt";

/// The configured secret, or the one kept in the database: generated by the first instance
/// that starts without `JWT_SECRET`, so that every instance on the database signs alike. A
/// secret an earlier version kept in `HC_DATA_DIR/jwt-secret` becomes the database's, so
/// sessions signed with it go on.
pub fn load_or_create_secret(
    settings: &Settings,
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> anyhow::Result<(Vec<u8>, SecretSource)> {
    if let Some(secret) = &settings.jwt_secret {
        return Ok((secret.expose().as_bytes().to_vec(), SecretSource::Setting));
    }
    if let Some(stored) = secrets::find(conn, SECRET_NAME)? {
        return Ok((checked(stored)?, SecretSource::Database));
    }
    let candidate = match read_earlier_file(&settings.data_dir.join("jwt-secret"))? {
        Some(earlier) => earlier,
        None => fresh_secret(),
    };
    let stored = secrets::get_or_insert(conn, SECRET_NAME, &candidate, now)?;
    Ok((checked(stored)?, SecretSource::Database))
}

/// The keys every instance on this database signs and verifies with, and where the secret
/// came from; `JWT_SECRET_PREVIOUS` verifies too.
pub fn load_keys(
    settings: &Settings,
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> anyhow::Result<(JwtKeys, SecretSource)> {
    let (secret, source) = load_or_create_secret(settings, conn, now)?;
    let previous = settings.jwt_secret_previous.as_ref();
    let keys = JwtKeys::rotated(&secret, previous.map(|p| p.expose().as_bytes()));
    Ok((keys, source))
}

fn checked(secret: String) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(
        secret.len() >= MIN_JWT_SECRET_BYTES,
        "the signing secret kept in the database holds fewer than {MIN_JWT_SECRET_BYTES} bytes; \
         set JWT_SECRET"
    );
    Ok(secret.into_bytes())
}

/// 384 random bits in hex.
fn fresh_secret() -> String {
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn read_earlier_file(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let text = text.trim().to_string();
            Ok((text.len() >= MIN_JWT_SECRET_BYTES).then_some(text))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(b"0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn a_list_place_opens_only_for_its_reader_and_person() {
        let keys = keys();
        let place = keys.list_place("o1", "reader", "person-7").unwrap();
        assert_eq!(
            keys.open_list_place("o1", "reader", &place),
            Some("person-7")
        );
        assert_eq!(keys.open_list_place("o1", "someone-else", &place), None);
        assert_eq!(keys.open_list_place("o2", "reader", &place), None);
        let (_, tag) = place.rsplit_once('.').unwrap();
        assert_eq!(
            keys.open_list_place("o1", "reader", &format!("person-8.{tag}")),
            None
        );
        let mut altered = place.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(keys.open_list_place("o1", "reader", &altered), None);
        for garbage in ["", ".", "person-7", "person-7.", &place[..place.len() - 1]] {
            assert_eq!(
                keys.open_list_place("o1", "reader", garbage),
                None,
                "{garbage}"
            );
        }
        // After a rotation, places given out before still open.
        let rotated = JwtKeys::rotated(
            b"another-secret-another-secret-another",
            Some(b"0123456789abcdef0123456789abcdef"),
        );
        assert_eq!(
            rotated.open_list_place("o1", "reader", &place),
            Some("person-7")
        );
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
    fn tokens_of_the_previous_secret_are_accepted_and_links_still_match() {
        let now = Utc::now();
        let before = b"the-secret-before-rotation-0123456789";
        let old = JwtKeys::new(before);
        let (token, _) = old
            .issue("u1", "o1", 0, Purpose::Login, now, Duration::hours(1))
            .unwrap();
        let target = LinkTarget {
            user_id: "u1",
            org_id: "o1",
            token_version: 0,
            email: "li@acme.test",
            number: 1,
        };
        let link = old
            .issue_link(&target, Purpose::Reset, now, Duration::hours(1))
            .unwrap();
        assert_eq!(
            keys().verify(&token, Purpose::Login, now).unwrap_err(),
            TokenError::Invalid
        );
        let rotated = JwtKeys::rotated(b"0123456789abcdef0123456789abcdef", Some(before));
        assert_eq!(
            rotated.verify(&token, Purpose::Login, now).unwrap().sub,
            "u1"
        );
        let claims = rotated.verify(&link, Purpose::Reset, now).unwrap();
        assert!(rotated.sent_to(&claims, "li@acme.test"));
        assert!(!rotated.sent_to(&claims, "lei@acme.test"));
        // What the rotated keys sign, the previous secret alone does not accept.
        let (new, _) = rotated
            .issue("u1", "o1", 0, Purpose::Login, now, Duration::hours(1))
            .unwrap();
        assert_eq!(
            old.verify(&new, Purpose::Login, now).unwrap_err(),
            TokenError::Invalid
        );
    }

    #[test]
    fn an_earlier_secret_file_is_read_and_a_short_one_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jwt-secret");
        assert_eq!(read_earlier_file(&path).unwrap(), None);
        std::fs::write(&path, "short\n").unwrap();
        assert_eq!(read_earlier_file(&path).unwrap(), None);
        let kept = fresh_secret();
        assert!(kept.len() >= MIN_JWT_SECRET_BYTES);
        std::fs::write(&path, format!("{kept}\n")).unwrap();
        assert_eq!(read_earlier_file(&path).unwrap(), Some(kept));
    }
}
