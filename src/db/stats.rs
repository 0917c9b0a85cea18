//! Per-day, per-department counts: added to as check-ins arrive, recomputed when a day closes.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{closed_days, day_stats, headcounts};
use super::DbConn;

/// The key of people without a department.
pub const NO_DEPARTMENT: &str = "";

#[derive(Clone, Debug, Default, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = day_stats)]
pub struct DayStatsRow {
    pub org_id: String,
    pub day: NaiveDate,
    pub department_id: String,
    pub expected: i32,
    pub exempt: i32,
    pub reported: i32,
    pub abnormal: i32,
}

/// Adds to one department's counts of a day, creating the row when needed.
pub fn add(
    conn: &mut DbConn,
    org_id: &str,
    day: NaiveDate,
    department_id: Option<&str>,
    reported: i32,
    abnormal: i32,
) -> QueryResult<()> {
    if reported == 0 && abnormal == 0 {
        return Ok(());
    }
    let department = department_id.unwrap_or(NO_DEPARTMENT);
    macro_rules! upsert {
        ($c:expr) => {
            diesel::insert_into(day_stats::table)
                .values((
                    day_stats::org_id.eq(org_id),
                    day_stats::day.eq(day),
                    day_stats::department_id.eq(department),
                    day_stats::reported.eq(reported),
                    day_stats::abnormal.eq(abnormal),
                ))
                .on_conflict((day_stats::org_id, day_stats::day, day_stats::department_id))
                .do_update()
                .set((
                    day_stats::reported.eq(day_stats::reported + reported),
                    day_stats::abnormal.eq(day_stats::abnormal + abnormal),
                ))
                .execute($c)
        };
    }
    match conn {
        DbConn::Sqlite(c) => upsert!(c)?,
        DbConn::Postgres(c) => upsert!(c)?,
    };
    Ok(())
}

pub fn for_days(
    conn: &mut DbConn,
    org_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<DayStatsRow>> {
    day_stats::table
        .filter(day_stats::org_id.eq(org_id))
        .filter(day_stats::day.between(from, to))
        .select(DayStatsRow::as_select())
        .load(conn)
}

pub fn closed_between(
    conn: &mut DbConn,
    org_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<NaiveDate>> {
    closed_days::table
        .filter(closed_days::org_id.eq(org_id))
        .filter(closed_days::day.between(from, to))
        .select(closed_days::day)
        .load(conn)
}

/// Replaces a day's counts with exact ones and marks it closed. Returns false when another
/// process closed it first (its counts stand).
pub fn replace_closed(
    conn: &mut DbConn,
    org_id: &str,
    day: NaiveDate,
    rows: &[DayStatsRow],
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let already = diesel::select(diesel::dsl::exists(
        closed_days::table
            .filter(closed_days::org_id.eq(org_id))
            .filter(closed_days::day.eq(day)),
    ))
    .get_result::<bool>(conn)?;
    if already {
        return Ok(false);
    }
    diesel::insert_into(closed_days::table)
        .values((
            closed_days::org_id.eq(org_id),
            closed_days::day.eq(day),
            closed_days::closed_at.eq(now),
        ))
        .execute(conn)?;
    diesel::delete(
        day_stats::table
            .filter(day_stats::org_id.eq(org_id))
            .filter(day_stats::day.eq(day)),
    )
    .execute(conn)?;
    for chunk in rows.chunks(1_000) {
        insert_batch!(conn, day_stats::table, chunk)?;
    }
    Ok(true)
}

/// Changes the number of active people in a department.
pub fn adjust_headcount(
    conn: &mut DbConn,
    org_id: &str,
    department_id: Option<&str>,
    delta: i32,
) -> QueryResult<()> {
    if delta == 0 {
        return Ok(());
    }
    let department = department_id.unwrap_or(NO_DEPARTMENT);
    macro_rules! upsert {
        ($c:expr) => {
            diesel::insert_into(headcounts::table)
                .values((
                    headcounts::org_id.eq(org_id),
                    headcounts::department_id.eq(department),
                    headcounts::active.eq(delta),
                ))
                .on_conflict((headcounts::org_id, headcounts::department_id))
                .do_update()
                .set(headcounts::active.eq(headcounts::active + delta))
                .execute($c)
        };
    }
    match conn {
        DbConn::Sqlite(c) => upsert!(c)?,
        DbConn::Postgres(c) => upsert!(c)?,
    };
    Ok(())
}

/// Active people per department now.
pub fn headcount(conn: &mut DbConn, org_id: &str) -> QueryResult<Vec<(String, i32)>> {
    headcounts::table
        .filter(headcounts::org_id.eq(org_id))
        .select((headcounts::department_id, headcounts::active))
        .load(conn)
}
