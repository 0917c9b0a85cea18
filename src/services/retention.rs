//! Retention: each organization's answers older than its `retention_days`, mail bodies older
//! than 30 days and audit entries older than its `audit_retention_days` are purged, by the
//! closing job and by `health-checkin purge`. The numbers of every day stay as they were.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::audit::{self, Change, Target};
use crate::db::organizations::{self, OrganizationRow};
use crate::db::retention::{self, Cutoffs, Purged};
use crate::db::{db_time, DbConn};
use crate::reports::counts::org_tz;

/// How long a mail's body is kept once it is no longer to be sent.
pub const MAIL_BODY_DAYS: i64 = 30;

/// One organization's purge.
pub struct OrgPurge {
    pub org_id: String,
    pub org_name: String,
    pub purged: Purged,
}

/// Whether a purge removes or only counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Purge,
    DryRun,
}

/// Purges (or counts) in every organization, each in its own transaction, and records each
/// purge that removed anything in that organization's audit log, with its counts.
pub fn purge_every_organization(
    conn: &mut DbConn,
    mode: Mode,
    now: DateTime<Utc>,
) -> diesel::QueryResult<Vec<OrgPurge>> {
    let mut done = Vec::new();
    for org in organizations::all(conn)? {
        let purged = purge_organization(conn, &org, mode, now)?;
        done.push(OrgPurge {
            org_id: org.id,
            org_name: org.name,
            purged,
        });
    }
    Ok(done)
}

pub fn purge_organization(
    conn: &mut DbConn,
    org: &OrganizationRow,
    mode: Mode,
    now: DateTime<Utc>,
) -> diesel::QueryResult<Purged> {
    let settings = org.settings()?;
    let today = now.with_timezone(&org_tz(org)).date_naive();
    let cutoffs = Cutoffs {
        org_id: &org.id,
        // A day that may still be filled in late keeps its answers until it closes: its
        // corrections would otherwise be purged within hours of being made.
        answers_before: settings
            .retention_days
            .map(|days| today - Duration::days(i64::from(days.max(settings.late_days)))),
        mail_before: db_time(now - Duration::days(MAIL_BODY_DAYS)),
        audit_before: db_time(now - Duration::days(i64::from(settings.audit_retention_days))),
    };
    if mode == Mode::DryRun {
        return retention::count(conn, &cutoffs);
    }
    let at = db_time(now);
    conn.write_transaction(|conn| {
        let purged = retention::purge(conn, &cutoffs, at)?;
        if !purged.is_empty() {
            let entry = Change::new(
                &org.id,
                None,
                "privacy.purge",
                Target::organization(org),
                at,
            )
            .with_detail(json!({
                "checkins": purged.checkins,
                "revisions": purged.revisions,
                "case_notes": purged.case_notes,
                "leave_notes": purged.leave_notes,
                "mails": purged.mails,
                "audit_entries": purged.audit_entries,
                "answers_before": cutoffs.answers_before,
            }));
            audit::record_change(conn, entry)?;
        }
        Ok(purged)
    })
}
