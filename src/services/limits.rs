//! Limits on what anyone may try without a token, counted in the database so that every
//! instance on it enforces the same numbers: failed logins per client, failed logins per
//! account on one client, and reset requests per address and per client.
//!
//! An account's lockout counts per client: someone hammering a person's account from
//! elsewhere locks only themselves out, and the person still logs in from their own address.
//! Accounts are counted by a hash of the parsed, lower-cased address, so every spelling counts
//! alike, keys stay 64 characters, and no address is stored. Text that is not an address names
//! no account and is counted per client only.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};

use crate::auth::client::ClientKey;
use crate::db::attempts::{self, Window};
use crate::db::{db_time, DbConn};
use crate::domain::Email;

/// Failed logins for one account from one client in the login window.
pub const FAILED_LOGINS_PER_ACCOUNT_ON_CLIENT: i32 = 10;
pub const LOGIN_WINDOW: Duration = Duration::minutes(15);
/// Reset links asked for one address, and by one client, in the reset window.
pub const RESETS_PER_ADDRESS: i32 = 3;
pub const RESETS_PER_CLIENT: i32 = 30;
pub const RESET_WINDOW: Duration = Duration::hours(1);

const FAILED_LOGINS_PER_ACCOUNT_AND_CLIENT: Window = Window {
    rule: "failed_logins_per_account_and_client",
    allowed: FAILED_LOGINS_PER_ACCOUNT_ON_CLIENT,
    length: LOGIN_WINDOW,
};
const RESET_REQUESTS_PER_ADDRESS: Window = Window {
    rule: "reset_requests_per_address",
    allowed: RESETS_PER_ADDRESS,
    length: RESET_WINDOW,
};
const RESET_REQUESTS_PER_CLIENT: Window = Window {
    rule: "reset_requests_per_client",
    allowed: RESETS_PER_CLIENT,
    length: RESET_WINDOW,
};

#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error("too many attempts; try again in {retry_after_secs} s")]
    Exceeded { retry_after_secs: u64 },
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// The limits that are settings.
#[derive(Clone, Copy, Debug)]
pub struct LoginLimits {
    /// Failed logins from one client in the login window, over all accounts.
    pub failures_per_client: u32,
}

impl LoginLimits {
    fn per_client(self) -> Window {
        Window {
            rule: "failed_logins_per_client",
            allowed: i32::try_from(self.failures_per_client).unwrap_or(i32::MAX),
            length: LOGIN_WINDOW,
        }
    }
}

/// The key an address is counted by: the SHA-256 of the parsed address, in hex.
fn account_key(email: &Email) -> String {
    hex::encode(Sha256::digest(email.as_str().as_bytes()))
}

/// One login attempt: the address given and the client it came from.
#[derive(Clone, Debug)]
pub struct LoginAttempt {
    /// The address, when it reads as one; anything else names no account.
    pub email: Option<Email>,
    client: ClientKey,
    account_on_client: Option<String>,
}

impl LoginAttempt {
    pub fn new(email: &str, client: ClientKey) -> Self {
        let email = Email::parse(email).ok();
        let account_on_client = email
            .as_ref()
            .map(|email| format!("{} {}", account_key(email), client.as_str()));
        Self {
            email,
            client,
            account_on_client,
        }
    }

    fn windows(&self, limits: LoginLimits) -> Vec<(Window, &str)> {
        let mut windows = vec![(limits.per_client(), self.client.as_str())];
        if let Some(key) = &self.account_on_client {
            windows.push((FAILED_LOGINS_PER_ACCOUNT_AND_CLIENT, key.as_str()));
        }
        windows
    }
}

/// Counts a login attempt as failed until it proves otherwise (`login_succeeded`), so that
/// attempts sent at once cannot slip past a limit together. Refused, counting nothing, while
/// one of its windows is full.
pub fn admit_login(
    conn: &mut DbConn,
    attempt: &LoginAttempt,
    limits: LoginLimits,
    now: DateTime<Utc>,
) -> Result<(), LimitError> {
    count(conn, &attempt.windows(limits), db_time(now))
}

/// A login that succeeded: it takes nothing from its client's allowance of failures, and its
/// account starts afresh on this client.
pub fn login_succeeded(
    conn: &mut DbConn,
    attempt: &LoginAttempt,
    limits: LoginLimits,
) -> Result<(), LimitError> {
    conn.write_transaction(|conn| {
        attempts::take_back(conn, limits.per_client(), attempt.client.as_str())?;
        if let Some(key) = &attempt.account_on_client {
            attempts::forget(conn, FAILED_LOGINS_PER_ACCOUNT_AND_CLIENT, key)?;
        }
        Ok(())
    })
}

/// One request for a reset link.
#[derive(Clone, Debug)]
pub struct ResetRequest {
    client: ClientKey,
    /// None for text that is not an address: no link can be sent for it.
    address: Option<String>,
}

impl ResetRequest {
    pub fn new(email: &str, client: ClientKey) -> Self {
        Self {
            client,
            address: Email::parse(email).ok().as_ref().map(account_key),
        }
    }
}

/// Counts a reset request against its client and its address; refused, counting nothing,
/// while either has had its share.
pub fn admit_reset(
    conn: &mut DbConn,
    request: &ResetRequest,
    now: DateTime<Utc>,
) -> Result<(), LimitError> {
    let mut windows = vec![(RESET_REQUESTS_PER_CLIENT, request.client.as_str())];
    if let Some(address) = &request.address {
        windows.push((RESET_REQUESTS_PER_ADDRESS, address.as_str()));
    }
    count(conn, &windows, db_time(now))
}

/// Forgets the windows that have passed; returns how many.
pub fn purge_expired(
    conn: &mut DbConn,
    limits: LoginLimits,
    now: DateTime<Utc>,
) -> Result<usize, LimitError> {
    let now = db_time(now);
    let windows = [
        limits.per_client(),
        FAILED_LOGINS_PER_ACCOUNT_AND_CLIENT,
        RESET_REQUESTS_PER_ADDRESS,
        RESET_REQUESTS_PER_CLIENT,
    ];
    conn.write_transaction(|conn| {
        windows.into_iter().try_fold(0, |purged, window| {
            Ok(purged + attempts::purge_expired(conn, window, now)?)
        })
    })
}

/// Counts one attempt in every window, or in none when one is full.
fn count(
    conn: &mut DbConn,
    windows: &[(Window, &str)],
    now: NaiveDateTime,
) -> Result<(), LimitError> {
    // A look first: a client over its limit is refused without writing anything.
    let mut until = None;
    for (window, key) in windows {
        if let Err(allowed_at) = attempts::check(conn, *window, key, now)? {
            until = until.max(Some(allowed_at));
        }
    }
    if let Some(until) = until {
        return Err(exceeded(until, now));
    }
    // Each count is one statement; the transaction takes back the others when one is full.
    conn.write_transaction(|conn| {
        for (window, key) in windows {
            if let Err(until) = attempts::hit(conn, *window, key, now)? {
                return Err(exceeded(until, now));
            }
        }
        Ok(())
    })
}

fn exceeded(until: NaiveDateTime, now: NaiveDateTime) -> LimitError {
    let millis = (until - now).num_milliseconds().max(0) as u64;
    LimitError::Exceeded {
        retry_after_secs: millis.div_ceil(1000).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> ClientKey {
        ClientKey::of("192.0.2.1".parse().unwrap())
    }

    #[test]
    fn an_account_is_its_parsed_address_hashed() {
        let a = LoginAttempt::new("  Li.Lei@Acme.TEST ", client());
        let b = LoginAttempt::new("li.lei@acme.test", client());
        assert_eq!(a.account_on_client, b.account_on_client);
        let key = a.account_on_client.unwrap();
        assert!(!key.contains('@') && key.len() <= 64 + 1 + 24, "{key}");
        let junk = LoginAttempt::new(&"x".repeat(64 * 1024), client());
        assert!(junk.email.is_none() && junk.account_on_client.is_none());
        assert!(ResetRequest::new("not an address", client())
            .address
            .is_none());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let now = db_time(Utc::now());
        let wait = |millis| match exceeded(now + Duration::milliseconds(millis), now) {
            LimitError::Exceeded { retry_after_secs } => retry_after_secs,
            LimitError::Db(_) => unreachable!(),
        };
        assert_eq!((wait(1), wait(1000), wait(1001), wait(-5)), (1, 1, 2, 1));
    }
}
