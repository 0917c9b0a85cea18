//! The audit log: one entry for every read of individual-level data.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{audit_log, users};
use super::DbConn;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: String,
    pub org_id: String,
    /// Who read.
    pub user_id: String,
    /// What, e.g. `reports.unreported` or `exports.csv`.
    pub action: String,
    /// A department id, or `organization`.
    pub scope: String,
    /// The request's parameters, as JSON text.
    pub detail: String,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &AuditRow) -> QueryResult<usize> {
    diesel::insert_into(audit_log::table)
        .values(row)
        .execute(conn)
}

/// An entry with its actor's name and e-mail.
pub type Entry = (AuditRow, String, String);

/// One page of an organization's entries in `[from, until)`, newest first, and how many
/// there are in all.
pub fn page(
    conn: &mut DbConn,
    org_id: &str,
    from: NaiveDateTime,
    until: NaiveDateTime,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<Entry>, i64)> {
    let in_range = audit_log::org_id
        .eq(org_id.to_string())
        .and(audit_log::created_at.ge(from))
        .and(audit_log::created_at.lt(until));
    let total = audit_log::table
        .filter(in_range.clone())
        .count()
        .get_result(conn)?;
    let rows = audit_log::table
        .inner_join(users::table.on(users::id.eq(audit_log::user_id)))
        .filter(in_range)
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .offset(offset)
        .limit(limit)
        .select((AuditRow::as_select(), users::name, users::email))
        .load(conn)?;
    Ok((rows, total))
}
