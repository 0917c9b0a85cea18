//! The audit log as admins read it: who read personal data and who changed what, newest
//! first. (The entries are written by `crate::audit`, beside every read of individual-level
//! data and in the transaction of every change.)

use chrono::NaiveDate;

/// An entry as stored, for the handler to answer with.
pub use crate::db::audit::AuditRow;
use crate::db::audit::{self, Entry, EntryFilter};
use crate::db::organizations::OrganizationRow;
use crate::db::DbConn;
use crate::domain::day::day_end_utc;
use crate::problem::Problem;
use crate::reports::counts::org_tz;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// A read of personal data, or a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Read,
    Change,
}

impl EntryKind {
    const NAMES: [&'static str; 2] = ["read", "change"];

    pub fn parse(raw: &str) -> Result<Self, Problem> {
        match raw {
            "read" => Ok(Self::Read),
            "change" => Ok(Self::Change),
            _ => Err(Problem::not_a_choice(&Self::NAMES)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Change => "change",
        }
    }

    /// A change names the fields it changed (none, for an invitation sent again); a read has
    /// no such list.
    pub fn of(row: &AuditRow) -> Self {
        if row.changes.is_some() {
            Self::Change
        } else {
            Self::Read
        }
    }
}

/// Which entries a page holds: the days from `from` to `to` in the organization's zone, and
/// when given only one kind, only those about one person, department or organization.
pub struct EntryQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: Option<EntryKind>,
    pub target_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
}

/// One page of entries, each with its actor's name and e-mail, and how many there are.
pub struct AuditPage {
    pub entries: Vec<Entry>,
    pub total: i64,
}

/// The entries `query` asks for; `limit` of them after the first `offset`.
pub fn page(
    conn: &mut DbConn,
    org: &OrganizationRow,
    query: &EntryQuery,
    offset: i64,
    limit: i64,
) -> Result<AuditPage, AuditError> {
    let tz = org_tz(org);
    let filter = EntryFilter {
        org_id: &org.id,
        // From the start of `from` (the end of the day before) to the end of `to`.
        from: day_end_utc(tz, query.from.pred_opt().unwrap_or(query.from)),
        until: day_end_utc(tz, query.to),
        changes: query.kind.map(|k| k == EntryKind::Change),
        target_id: query.target_id.as_deref(),
        actor_id: query.actor_id.as_deref(),
        action: query.action.as_deref(),
    };
    let (entries, total) = audit::page(conn, &filter, offset, limit)?;
    Ok(AuditPage { entries, total })
}
