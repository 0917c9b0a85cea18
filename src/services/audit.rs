//! The audit log as admins read it: who read lists of people and exports, newest first.
//! (The entries are written by `crate::audit`, beside every read of individual-level data.)

use chrono::NaiveDate;

use crate::db::audit::{self, Entry};
use crate::db::organizations::OrganizationRow;
use crate::db::DbConn;
use crate::domain::day::day_end_utc;
use crate::reports::counts::org_tz;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// One page of entries, each with its reader's name and e-mail, and how many there are.
pub struct AuditPage {
    pub entries: Vec<Entry>,
    pub total: i64,
}

/// The entries written from the start of `from` to the end of `to`, days in the
/// organization's zone; `limit` of them after the first `offset`.
pub fn page(
    conn: &mut DbConn,
    org: &OrganizationRow,
    from: NaiveDate,
    to: NaiveDate,
    offset: i64,
    limit: i64,
) -> Result<AuditPage, AuditError> {
    let tz = org_tz(org);
    // From the start of `from` (the end of the day before) to the end of `to`.
    let start = day_end_utc(tz, from.pred_opt().unwrap_or(from));
    let until = day_end_utc(tz, to);
    let (entries, total) = audit::page(conn, &org.id, start, until, offset, limit)?;
    Ok(AuditPage { entries, total })
}
