//! Ending sessions on the server: logging out ends the one token it is called with, signing
//! out everywhere ends every token a person holds.

use chrono::{DateTime, Duration, Utc};

use crate::audit::{self, Target};
use crate::db::{db_time, sessions, users, DbConn};
use crate::services::Caller;

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

/// Ends every session of the person `person_id` in the caller's organization, on every
/// device, and records who did it. Their invitation or reset link, if one is out, stops
/// working too: it carries the same version.
pub fn sign_out_everywhere(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    person_id: &str,
    now: DateTime<Utc>,
) -> Result<(), SessionError> {
    let org_id = &caller.org.id;
    conn.write_transaction(|conn| {
        let person = users::find_in_org(conn, org_id, person_id)?.ok_or(SessionError::NotFound)?;
        if !users::bump_token_version(conn, org_id, person_id, db_time(now))? {
            return Err(SessionError::NotFound);
        }
        let entry = caller.change(
            "employees.sign_out_everywhere",
            Target::person(&person),
            db_time(now),
        );
        audit::record_change(conn, entry)?;
        Ok(())
    })
}

/// Forgets revoked tokens that have expired; returns how many.
pub fn purge_expired(conn: &mut DbConn, now: DateTime<Utc>) -> Result<usize, SessionError> {
    let cutoff = db_time(now - KEPT_PAST_EXPIRY);
    Ok(conn.write_transaction(|conn| sessions::purge_expired_before(conn, cutoff))?)
}
