//! The features' rules, between HTTP and the database: each function takes a connection and
//! parsed input and returns its own error, so the API, the command line and the jobs reach
//! the same rule. Nothing here knows HTTP.

use chrono::NaiveDateTime;

use crate::audit::{Change, Target};
use crate::db::organizations::OrganizationRow;
use crate::db::DbConn;
use crate::domain::Role;
use crate::reports::scope::{ReportScope, ScopeError};

pub mod accounts;
pub mod audit;
pub mod cases;
pub mod checkins;
pub mod departments;
pub mod erasure;
pub mod filing;
pub mod forms;
pub mod invitations;
pub mod limits;
pub mod operations;
pub mod organization;
pub mod people;
pub mod privacy;
pub mod reminders;
pub mod reporting;
pub mod retention;
pub mod sessions;
pub mod webhooks;

/// Who is asking, for the rules that depend on it: what they may see, what they may not do
/// to themselves.
pub struct Caller<'a> {
    pub org: &'a OrganizationRow,
    pub id: &'a str,
    pub role: Role,
}

impl Caller<'_> {
    /// What the caller may read of reports, lists and exports, narrowed to `department_id`
    /// when given.
    pub fn report_scope(
        &self,
        conn: &mut DbConn,
        department_id: Option<&str>,
    ) -> Result<ReportScope, ScopeError> {
        ReportScope::resolve(conn, &self.org.id, self.id, self.role, department_id)
    }

    /// A change the caller makes to `target`, as the audit log records it.
    pub fn change<'a>(
        &'a self,
        action: &'static str,
        target: Target<'a>,
        at: NaiveDateTime,
    ) -> Change<'a> {
        Change::new(&self.org.id, Some(self.id), action, target, at)
    }
}
