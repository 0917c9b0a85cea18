//! Invitations and reset links: mailing a person a link to set their password, the first time
//! and again, and to anyone who forgot theirs.

use chrono::{DateTime, Utc};

use crate::audit::{self, Change, Target};
use crate::db::organizations::OrganizationRow;
use crate::db::users::{self, UserRow};
use crate::db::{db_time, DbConn};
use crate::domain::Email;
use crate::invitations::Links;
use crate::services::Caller;

#[derive(Debug, thiserror::Error)]
pub enum InvitationError {
    #[error("person not found")]
    NotFound,
    #[error("this person is deactivated; reactivate them first")]
    Inactive,
    #[error("queuing the mail: {0:#}")]
    Queue(#[from] anyhow::Error),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Queues `person`'s invitation, in the caller's transaction: one per person, however often
/// this is called.
pub fn send(
    conn: &mut DbConn,
    links: Links<'_>,
    org: &OrganizationRow,
    person: &UserRow,
    now: DateTime<Utc>,
) -> Result<(), InvitationError> {
    links.inviter(org, now).invite(conn, person, false)?;
    Ok(())
}

/// A new invitation with a fresh link for a person of the caller's organization who is
/// still active; the invitation links sent before stop working.
pub fn resend(
    conn: &mut DbConn,
    links: Links<'_>,
    caller: &Caller<'_>,
    person_id: &str,
    now: DateTime<Utc>,
) -> Result<(), InvitationError> {
    let org = caller.org;
    conn.write_transaction(|conn| {
        let person =
            users::find_in_org(conn, &org.id, person_id)?.ok_or(InvitationError::NotFound)?;
        if !person.active {
            return Err(InvitationError::Inactive);
        }
        links.inviter(org, now).invite(conn, &person, true)?;
        let entry = caller.change("employees.invite", Target::person(&person), db_time(now));
        audit::record_change(conn, entry)?;
        Ok(())
    })
}

/// A reset link for the active account of `email`, if there is one; nothing otherwise, and
/// the caller cannot tell which.
pub fn send_reset(
    conn: &mut DbConn,
    links: Links<'_>,
    email: &Email,
    now: DateTime<Utc>,
) -> Result<(), InvitationError> {
    let queued_for = conn.write_transaction(|conn| {
        let Some((user, org)) = users::find_with_email_and_org(conn, email.as_str())? else {
            return Ok(None);
        };
        if !user.active {
            return Ok(None);
        }
        links.inviter(&org, now).reset(conn, &user)?;
        // Asked for by anyone who knew the address: no actor.
        let target = Target::person(&user);
        let entry = Change::new(&org.id, None, "employees.reset_link", target, db_time(now));
        audit::record_change(conn, entry)?;
        Ok::<_, InvitationError>(Some(user.id))
    })?;
    if let Some(user_id) = queued_for {
        tracing::info!(user_id = %user_id, "password reset link queued");
    }
    Ok(())
}
