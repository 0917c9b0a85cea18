//! Per-day, per-department counts: added to as check-ins arrive, recomputed when a day closes.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Date, Integer, Text};

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
    pub reported_unexpected: i32,
}

/// What check-ins add to one department's numbers of a day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Check-ins of people expected that day.
    pub reported: i32,
    /// Check-ins of people not expected that day (a rest day, a holiday, leave).
    pub reported_unexpected: i32,
    pub abnormal: i32,
}

impl Tally {
    /// What one check-in counts for.
    pub fn of_checkin(expected: bool, abnormal: bool) -> Self {
        Self {
            reported: i32::from(expected),
            reported_unexpected: i32::from(!expected),
            abnormal: i32::from(abnormal),
        }
    }

    pub fn minus(self, other: Tally) -> Self {
        Self {
            reported: self.reported - other.reported,
            reported_unexpected: self.reported_unexpected - other.reported_unexpected,
            abnormal: self.abnormal - other.abnormal,
        }
    }

    fn is_zero(&self) -> bool {
        *self == Tally::default()
    }
}

/// Counts a check-in just stored where it was placed: its department's day.
pub fn add_checkin(conn: &mut DbConn, row: &super::checkins::CheckinRow) -> QueryResult<()> {
    add(
        conn,
        &row.org_id,
        row.day,
        row.department_id.as_deref(),
        Tally::of_checkin(row.expected, row.abnormal),
    )
}

/// Adds to one department's counts of a day, creating the row when needed.
pub fn add(
    conn: &mut DbConn,
    org_id: &str,
    day: NaiveDate,
    department_id: Option<&str>,
    tally: Tally,
) -> QueryResult<()> {
    if tally.is_zero() {
        return Ok(());
    }
    let department = department_id.unwrap_or(NO_DEPARTMENT);
    let Tally {
        reported,
        reported_unexpected,
        abnormal,
    } = tally;
    let addition = AddTally {
        org_id,
        day,
        department_id: department,
        tally: Tally {
            reported,
            reported_unexpected,
            abnormal,
        },
    };
    match conn {
        DbConn::Sqlite(c) => addition.execute(c)?,
        DbConn::Postgres(c) => addition.execute(c)?,
    };
    Ok(())
}

/// Adds a tally to one department's day, creating its row when needed: one statement that
/// each connection prepares once. (Diesel's own upsert is prepared again on every run, and
/// this one runs for every check-in of the morning.)
struct AddTally<'a> {
    org_id: &'a str,
    day: NaiveDate,
    department_id: &'a str,
    tally: Tally,
}

impl<DB> QueryFragment<DB> for AddTally<'_>
where
    DB: Backend,
    str: ToSql<Text, DB>,
    NaiveDate: ToSql<Date, DB>,
    i32: ToSql<Integer, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(
            "INSERT INTO day_stats \
             (org_id, day, department_id, reported, reported_unexpected, abnormal) VALUES (",
        );
        out.push_bind_param::<Text, _>(self.org_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Date, _>(&self.day)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.department_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Integer, _>(&self.tally.reported)?;
        out.push_sql(", ");
        out.push_bind_param::<Integer, _>(&self.tally.reported_unexpected)?;
        out.push_sql(", ");
        out.push_bind_param::<Integer, _>(&self.tally.abnormal)?;
        out.push_sql(
            ") ON CONFLICT (org_id, day, department_id) DO UPDATE SET \
             reported = day_stats.reported + excluded.reported, \
             reported_unexpected = day_stats.reported_unexpected + excluded.reported_unexpected, \
             abnormal = day_stats.abnormal + excluded.abnormal",
        );
        Ok(())
    }
}

impl QueryId for AddTally<'_> {
    type QueryId = AddTally<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Conn> RunQueryDsl<Conn> for AddTally<'_> {}

/// How a transaction holds an organization's day: check-ins share it, closing the day takes
/// it alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayLock {
    Shared,
    Exclusive,
}

/// Takes the lock of one organization's day until the transaction ends, so that closing a
/// day and the check-ins that count towards it serialize and nothing else waits. SQLite
/// needs none: every writing transaction there holds the database alone.
pub fn lock_day(conn: &mut DbConn, org_id: &str, day: NaiveDate, mode: DayLock) -> QueryResult<()> {
    match conn {
        DbConn::Postgres(c) => lock_day_pg(c, org_id, day, mode),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// [`lock_day`] on PostgreSQL.
pub fn lock_day_pg(
    c: &mut diesel::pg::PgConnection,
    org_id: &str,
    day: NaiveDate,
    mode: DayLock,
) -> QueryResult<()> {
    let function = match mode {
        DayLock::Shared => "pg_advisory_xact_lock_shared",
        DayLock::Exclusive => "pg_advisory_xact_lock",
    };
    diesel::sql_query(format!(
        "SELECT {function}(hashtextextended('day_stats:' || $1 || ':' || $2, 0))"
    ))
    .bind::<diesel::sql_types::Text, _>(org_id)
    .bind::<diesel::sql_types::Text, _>(day.to_string())
    .execute(c)?;
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

/// Counts a person's check-ins on days not yet closed again, after their department, their
/// active state or their leave changed: a check-in moves between `reported` and
/// `reported_unexpected`, or to the department the person is in at the end of its day, so
/// that open days' numbers never count someone as both reported and not expected. Closed
/// days keep the numbers they were closed with. Call it inside the change's transaction.
pub fn recount_person_open_days(
    conn: &mut DbConn,
    org_id: &str,
    user_id: &str,
    from: NaiveDate,
    to: Option<NaiveDate>,
) -> QueryResult<()> {
    use super::schema::checkins;
    let mut query = checkins::table
        .filter(checkins::user_id.eq(user_id))
        .filter(checkins::day.ge(from))
        .select((
            checkins::id,
            checkins::day,
            checkins::department_id,
            checkins::expected,
            checkins::abnormal,
        ))
        .into_boxed();
    if let Some(to) = to {
        query = query.filter(checkins::day.le(to));
    }
    let mut rows: Vec<(String, NaiveDate, Option<String>, bool, bool)> = query.load(conn)?;
    if rows.is_empty() {
        return Ok(());
    }
    // Day locks in date order, so that two recounts never wait on each other in a circle.
    rows.sort_by_key(|r| r.1);
    let Some(org) = super::organizations::find(conn, org_id)? else {
        return Ok(());
    };
    let org_tz = crate::domain::day::parse_timezone(&org.timezone).unwrap_or(chrono_tz::Tz::UTC);
    // Whether a day was owed is judged in the person's own zone, as their pages judge it.
    let own_zone: Option<String> = super::schema::users::table
        .find(user_id)
        .select(super::schema::users::timezone)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten();
    let tz = own_zone
        .and_then(|z| crate::domain::day::parse_timezone(&z).ok())
        .unwrap_or(org_tz);
    let settings = org.settings()?;
    for (id, day, department, expected, abnormal) in rows {
        // Alone on the day: a check-in in flight is counted first, and a closing either
        // happened before (its numbers stand) or waits for this.
        lock_day(conn, org_id, day, DayLock::Exclusive)?;
        if !closed_between(conn, org_id, day, day)?.is_empty() {
            continue;
        }
        let standing = super::membership::standing(conn, user_id, day, tz)?;
        let now_expected =
            crate::domain::expectation::person_exemption(&settings, day, standing).is_none();
        let now_department =
            super::membership::at(conn, user_id, crate::domain::day::day_end_utc(org_tz, day))?
                .map(|m| m.department_id)
                .unwrap_or_else(|| department.clone());
        if (now_expected, &now_department) == (expected, &department) {
            continue;
        }
        diesel::update(checkins::table.find(&id))
            .set((
                checkins::expected.eq(now_expected),
                checkins::department_id.eq(&now_department),
            ))
            .execute(conn)?;
        let before = Tally::of_checkin(expected, abnormal);
        add(
            conn,
            org_id,
            day,
            department.as_deref(),
            Tally::default().minus(before),
        )?;
        add(
            conn,
            org_id,
            day,
            now_department.as_deref(),
            Tally::of_checkin(now_expected, abnormal),
        )?;
    }
    Ok(())
}

/// Rebuilds an open day's reported, not-expected and abnormal counts from its check-ins'
/// stored placement. Call it holding the day alone.
pub fn rebuild_open_day(conn: &mut DbConn, org_id: &str, day: NaiveDate) -> QueryResult<()> {
    use super::schema::checkins;
    use std::collections::HashMap;
    let rows: Vec<(Option<String>, bool, bool)> = checkins::table
        .filter(checkins::org_id.eq(org_id))
        .filter(checkins::day.eq(day))
        .select((
            checkins::department_id,
            checkins::expected,
            checkins::abnormal,
        ))
        .load(conn)?;
    let mut totals: HashMap<Option<String>, Tally> = HashMap::new();
    for (department, expected, abnormal) in rows {
        let t = totals.entry(department).or_default();
        let one = Tally::of_checkin(expected, abnormal);
        t.reported += one.reported;
        t.reported_unexpected += one.reported_unexpected;
        t.abnormal += one.abnormal;
    }
    diesel::delete(
        day_stats::table
            .filter(day_stats::org_id.eq(org_id))
            .filter(day_stats::day.eq(day)),
    )
    .execute(conn)?;
    for (department, tally) in totals {
        add(conn, org_id, day, department.as_deref(), tally)?;
    }
    Ok(())
}

/// After the organization's working days or holidays changed: today's check-ins are placed
/// again (a day that became a holiday expects nobody; one that stopped being one expects
/// those who were active and not on leave), so today's numbers stay whole. Earlier open days
/// need nothing: closing counts them from the calendar as it then is.
pub fn recount_today(
    conn: &mut DbConn,
    org: &super::organizations::OrganizationRow,
    today: NaiveDate,
) -> QueryResult<()> {
    use super::schema::{checkins, users};
    use crate::domain::expectation::{exemption, person_exemption};
    if !closed_between(conn, &org.id, today, today)?.is_empty() {
        return Ok(());
    }
    lock_day(conn, &org.id, today, DayLock::Exclusive)?;
    let settings = org.settings()?;
    let today_checkins = checkins::table
        .filter(checkins::org_id.eq(&org.id))
        .filter(checkins::day.eq(today));
    if exemption(&settings, today, false).is_some() {
        diesel::update(today_checkins.filter(checkins::expected.eq(true)))
            .set(checkins::expected.eq(false))
            .execute(conn)?;
    } else {
        let org_tz =
            crate::domain::day::parse_timezone(&org.timezone).unwrap_or(chrono_tz::Tz::UTC);
        let unexpected: Vec<(String, String, Option<String>)> = today_checkins
            .filter(checkins::expected.eq(false))
            .inner_join(users::table.on(users::id.eq(checkins::user_id)))
            .select((checkins::id, checkins::user_id, users::timezone))
            .load(conn)?;
        for (id, user_id, zone) in unexpected {
            let tz = zone
                .and_then(|z| crate::domain::day::parse_timezone(&z).ok())
                .unwrap_or(org_tz);
            let standing = super::membership::standing(conn, &user_id, today, tz)?;
            if person_exemption(&settings, today, standing).is_none() {
                diesel::update(checkins::table.find(&id))
                    .set(checkins::expected.eq(true))
                    .execute(conn)?;
            }
        }
    }
    rebuild_open_day(conn, &org.id, today)
}
