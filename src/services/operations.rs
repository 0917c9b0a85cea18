//! What operators read about the running service.

use chrono::{DateTime, Utc};

use crate::db::{db_time, outbox, DbConn};
use crate::metrics::OutboxGauges;

/// The outbox as `/metrics` shows it: unsent rows, and how overdue the oldest one is.
pub fn outbox_gauges(conn: &mut DbConn, now: DateTime<Utc>) -> diesel::QueryResult<OutboxGauges> {
    let now = db_time(now);
    let oldest = outbox::oldest_due(conn, now)?;
    Ok(OutboxGauges {
        rows: outbox::unsent_counts(conn)?,
        oldest_due_secs: oldest.map_or(0, |at| (now - at).num_seconds()),
    })
}
