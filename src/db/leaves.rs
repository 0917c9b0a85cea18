use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::leaves;
use super::{stats, DbConn};

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = leaves)]
pub struct LeaveRow {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub kind: String,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

/// Records leave, and counts the person's check-ins of its open days as not expected. Call it
/// inside a writing transaction.
pub fn insert(conn: &mut DbConn, row: &LeaveRow) -> QueryResult<usize> {
    let inserted = diesel::insert_into(leaves::table)
        .values(row)
        .execute(conn)?;
    stats::recount_person_open_days(
        conn,
        &row.org_id,
        &row.user_id,
        row.start_date,
        Some(row.end_date),
    )?;
    Ok(inserted)
}

pub fn for_user(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<LeaveRow>> {
    leaves::table
        .filter(leaves::user_id.eq(user_id))
        .order(leaves::start_date.desc())
        .select(LeaveRow::as_select())
        .load(conn)
}

/// True when the person has leave that covers `day`.
pub fn on_leave(conn: &mut DbConn, user_id: &str, day: NaiveDate) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        leaves::table
            .filter(leaves::user_id.eq(user_id))
            .filter(leaves::start_date.le(day))
            .filter(leaves::end_date.ge(day)),
    ))
    .get_result(conn)
}

/// Removes leave, and counts the person's check-ins of its open days as expected again where
/// nothing else exempts them; its first and last day, when there was such leave. Call it
/// inside a writing transaction.
pub fn delete(
    conn: &mut DbConn,
    org_id: &str,
    user_id: &str,
    id: &str,
) -> QueryResult<Option<(NaiveDate, NaiveDate)>> {
    let span: Option<(NaiveDate, NaiveDate)> = leaves::table
        .filter(leaves::org_id.eq(org_id))
        .filter(leaves::user_id.eq(user_id))
        .filter(leaves::id.eq(id))
        .select((leaves::start_date, leaves::end_date))
        .first(conn)
        .optional()?;
    let Some((start, end)) = span else {
        return Ok(None);
    };
    diesel::delete(
        leaves::table
            .filter(leaves::org_id.eq(org_id))
            .filter(leaves::user_id.eq(user_id))
            .filter(leaves::id.eq(id)),
    )
    .execute(conn)?;
    stats::recount_person_open_days(conn, org_id, user_id, start, Some(end))?;
    Ok(Some((start, end)))
}
