//! Erasing a person who left: what identified them and everything they answered goes for
//! good; the days' numbers they counted in stay. Only a deactivated person can be erased, so
//! that an erasure is never the first step of removing someone.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::json;

use crate::audit::{self, Target};
use crate::db::retention::{self, Purged};
use crate::db::users::{self, UserRow};
use crate::db::{audit as audit_log, db_time, DbConn};
use crate::db::{cases, departments};
use crate::services::Caller;

#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    /// No such person in the organization, or already erased.
    #[error("person not found")]
    NotFound,
    #[error("only a deactivated person can be erased: deactivate them first")]
    StillActive,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// What an erasure did.
pub struct Erased {
    pub id: String,
    /// The name the person has from now on.
    pub pseudonym: String,
    pub at: NaiveDateTime,
    pub purged: Purged,
}

/// A name that tells erased people apart without telling who they were: from the end of the
/// id (its random part), which reveals nothing.
pub fn pseudonym(user_id: &str) -> String {
    let tail: String = user_id
        .chars()
        .rev()
        .filter(char::is_ascii_alphanumeric)
        .take(6)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("Erased person {}", tail.to_lowercase())
}

pub fn erase(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Erased, ErasureError> {
    let now = db_time(now);
    let org_id = &caller.org.id;
    conn.write_transaction(|conn| {
        let person: UserRow =
            users::find_in_org(conn, org_id, id)?.ok_or(ErasureError::NotFound)?;
        if person.active {
            return Err(ErasureError::StillActive);
        }
        let pseudonym = pseudonym(&person.id);
        let mut mentions = vec![person.name.as_str(), person.email.as_str()];
        mentions.extend(person.employee_no.as_deref());
        let purged = retention::purge_person(conn, org_id, &person.id, &mentions, now)?;
        // Cases hold notes about their health: they go with the answers.
        cases::delete_of(conn, org_id, &person.id)?;
        // Deactivation by a PATCH leaves managed departments as they were.
        departments::set_managed_by(conn, org_id, &person.id, &[])?;
        users::erase(conn, &person, &pseudonym, now)?;
        let entries =
            audit_log::pseudonymize_target(conn, org_id, &person.id, &pseudonym, &mentions)?;
        let target = Target {
            name: &pseudonym,
            ..Target::person(&person)
        };
        let entry = caller
            .change("employees.erase", target, now)
            .with_detail(json!({
                "checkins": purged.checkins,
                "revisions": purged.revisions,
                "leave_notes": purged.leave_notes,
                "mails": purged.mails,
                "audit_entries_rewritten": entries,
            }));
        audit::record_change(conn, entry)?;
        Ok(Erased {
            id: person.id,
            pseudonym,
            at: now,
            purged,
        })
    })
}
