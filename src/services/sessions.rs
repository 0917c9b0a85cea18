//! Ending sessions on the server: logging out ends the one token it is called with, signing
//! out everywhere ends every token a person holds.

use chrono::{DateTime, Duration, Utc};

use crate::db::{db_time, sessions, users, DbConn};

/// How long a revoked token is kept past its expiry, for instances whose clocks lag.
const KEPT_PAST_EXPIRY: Duration = Duration::hours(1);

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("person not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Revokes the token `token_id` until it would have expired anyway; the person's other
/// sessions go on.
pub fn log_out(
    conn: &mut DbConn,
    token_id: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), SessionError> {
    conn.write_transaction(|conn| sessions::revoke(conn, token_id, db_time(expires_at)))?;
    Ok(())
}

/// Ends every session of the person `person_id` of `org_id`, on every device. Their
/// invitation or reset link, if one is out, stops working too: it carries the same version.
pub fn sign_out_everywhere(
    conn: &mut DbConn,
    org_id: &str,
    person_id: &str,
    now: DateTime<Utc>,
) -> Result<(), SessionError> {
    let found = conn.write_transaction(|conn| {
        users::bump_token_version(conn, org_id, person_id, db_time(now))
    })?;
    if !found {
        return Err(SessionError::NotFound);
    }
    Ok(())
}

/// Forgets revoked tokens that have expired; returns how many.
pub fn purge_expired(conn: &mut DbConn, now: DateTime<Utc>) -> Result<usize, SessionError> {
    let cutoff = db_time(now - KEPT_PAST_EXPIRY);
    Ok(conn.write_transaction(|conn| sessions::purge_expired_before(conn, cutoff))?)
}
