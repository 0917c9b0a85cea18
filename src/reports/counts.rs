use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::Serialize;

use super::expected::{presence, DayReplay, LeaveCalendar};
use crate::db::membership::Roster;
use crate::db::organizations::OrganizationRow;
use crate::db::schema::{checkins, leaves, users};
use crate::db::stats::{self, DayLock, DayStatsRow, NO_DEPARTMENT};
use crate::db::{planned_for_values, DbConn};
use crate::domain::day::parse_timezone;
use crate::domain::expectation::exemption;
use crate::domain::OrgSettings;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub expected: i64,
    pub exempt: i64,
    pub reported: i64,
    /// Check-ins of people not expected that day: a rest day, a holiday, leave.
    pub reported_unexpected: i64,
    /// Every abnormal check-in of the day, expected or not.
    pub abnormal: i64,
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        self.expected += other.expected;
        self.exempt += other.exempt;
        self.reported += other.reported;
        self.reported_unexpected += other.reported_unexpected;
        self.abnormal += other.abnormal;
    }

    pub fn unreported(&self) -> i64 {
        (self.expected - self.reported).max(0)
    }
}

/// Counts per department id (`""` for people without one).
pub type ByDepartment = HashMap<String, Counts>;

pub fn org_tz(org: &OrganizationRow) -> Tz {
    parse_timezone(&org.timezone).unwrap_or(Tz::UTC)
}

/// The zone a person's days are counted in: their own where set (and valid), else the
/// organization's.
pub fn person_tz(own: Option<&str>, org: &OrganizationRow) -> Tz {
    own.and_then(|z| parse_timezone(z).ok())
        .unwrap_or_else(|| org_tz(org))
}

/// One day's counts per department: stored for closed days, live for today.
pub fn day_counts(
    conn: &mut DbConn,
    org: &OrganizationRow,
    day: NaiveDate,
    today: NaiveDate,
) -> QueryResult<ByDepartment> {
    Ok(trend_counts(conn, org, day, day, today)?
        .remove(&day)
        .unwrap_or_default())
}

/// Counts per day and department for a range that ends today at the latest.
pub fn trend_counts(
    conn: &mut DbConn,
    org: &OrganizationRow,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> QueryResult<HashMap<NaiveDate, ByDepartment>> {
    let open = open_past_days(conn, org, from, to, today)?;
    let stored = stats::for_days(conn, &org.id, from, to)?
        .into_iter()
        .filter(|row| !open.contains(&row.day));
    let mut out: HashMap<NaiveDate, ByDepartment> = HashMap::new();
    for row in stored.chain(exact_days(conn, org, &open)?) {
        let counts = out
            .entry(row.day)
            .or_default()
            .entry(row.department_id.clone())
            .or_default();
        counts.expected += i64::from(row.expected);
        counts.exempt += i64::from(row.exempt);
        counts.reported += i64::from(row.reported);
        counts.reported_unexpected += i64::from(row.reported_unexpected);
        counts.abnormal += i64::from(row.abnormal);
    }
    if (from..=to).contains(&today) {
        let live = expected_today(conn, org, today)?;
        let day = out.entry(today).or_default();
        for (department, counts) in live {
            let entry = day.entry(department).or_default();
            entry.expected = counts.expected;
            entry.exempt = counts.exempt;
        }
    }
    Ok(out)
}

/// Totals per day over some departments (`None`: all, people without one included), summed
/// by the database so that a long range reads one row per day.
pub fn trend_totals(
    conn: &mut DbConn,
    org: &OrganizationRow,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    departments: Option<&HashSet<String>>,
) -> QueryResult<HashMap<NaiveDate, Counts>> {
    use crate::db::schema::day_stats;
    use diesel::dsl::sum;
    let open = open_past_days(conn, org, from, to, today)?;
    type Sums = (
        NaiveDate,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    macro_rules! sums {
        ($conn:expr, $query:expr) => {
            $query
                .group_by(day_stats::day)
                .select((
                    day_stats::day,
                    sum(day_stats::expected),
                    sum(day_stats::exempt),
                    sum(day_stats::reported),
                    sum(day_stats::reported_unexpected),
                    sum(day_stats::abnormal),
                ))
                .load::<Sums>($conn)?
        };
    }
    let base = day_stats::table
        .filter(day_stats::org_id.eq(&org.id))
        .filter(day_stats::day.between(from, to))
        .filter(day_stats::day.ne_all(open.clone()));
    let rows = planned_for_values(conn, |conn| {
        Ok(match departments {
            None => sums!(conn, base),
            Some(ids) => {
                sums!(
                    conn,
                    base.filter(day_stats::department_id.eq_any(ids.iter().collect::<Vec<_>>()))
                )
            }
        })
    })?;
    let mut out: HashMap<NaiveDate, Counts> = rows
        .into_iter()
        .map(
            |(day, expected, exempt, reported, reported_unexpected, abnormal)| {
                let n = |v: Option<i64>| v.unwrap_or(0);
                (
                    day,
                    Counts {
                        expected: n(expected),
                        exempt: n(exempt),
                        reported: n(reported),
                        reported_unexpected: n(reported_unexpected),
                        abnormal: n(abnormal),
                    },
                )
            },
        )
        .collect();
    for row in exact_days(conn, org, &open)? {
        let covered = match departments {
            None => true,
            Some(ids) => ids.contains(&row.department_id),
        };
        if covered {
            let entry = out.entry(row.day).or_default();
            entry.expected += i64::from(row.expected);
            entry.exempt += i64::from(row.exempt);
            entry.reported += i64::from(row.reported);
            entry.reported_unexpected += i64::from(row.reported_unexpected);
            entry.abnormal += i64::from(row.abnormal);
        }
    }
    if (from..=to).contains(&today) {
        let entry = out.entry(today).or_default();
        entry.expected = 0;
        entry.exempt = 0;
        for (department, counts) in expected_today(conn, org, today)? {
            let covered = match departments {
                None => true,
                Some(ids) => ids.contains(&department),
            };
            if covered {
                entry.expected += counts.expected;
                entry.exempt += counts.exempt;
            }
        }
    }
    Ok(out)
}

/// Who is expected today, from the people as they are now.
fn expected_today(
    conn: &mut DbConn,
    org: &OrganizationRow,
    today: NaiveDate,
) -> QueryResult<ByDepartment> {
    let settings = org.settings()?;
    let active: Vec<(String, i64)> = stats::headcount(conn, &org.id)?
        .into_iter()
        .map(|(department, n)| (department, i64::from(n)))
        .collect();
    let mut out = ByDepartment::new();
    if exemption(&settings, today, false).is_some() {
        for (department, n) in active {
            out.entry(department).or_default().exempt += n;
        }
        return Ok(out);
    }
    for (department, n) in active {
        out.entry(department).or_default().expected += n;
    }
    // Today's leave first, then its people: a join let the planner walk every person of the
    // organization looking for leave (15 ms at 100,000 people on SQLite, in every report of
    // today).
    let mut away: Vec<String> = leaves::table
        .filter(leaves::org_id.eq(&org.id))
        .filter(leaves::start_date.le(today))
        .filter(leaves::end_date.ge(today))
        .select(leaves::user_id)
        .load(conn)?;
    away.sort_unstable();
    away.dedup();
    let mut on_leave_people: Vec<(String, Option<String>)> = Vec::with_capacity(away.len());
    for chunk in away.chunks(1_000) {
        on_leave_people.extend(
            users::table
                .filter(users::id.eq_any(chunk))
                .filter(users::org_id.eq(&org.id))
                .filter(users::active.eq(true))
                .select((users::id, users::department_id))
                .load::<(String, Option<String>)>(conn)?,
        );
    }
    let mut seen = HashSet::new();
    for (user, department) in on_leave_people {
        if seen.insert(user) {
            let entry = out.entry(department.unwrap_or_default()).or_default();
            entry.expected -= 1;
            entry.exempt += 1;
        }
    }
    Ok(out)
}

/// Closes every past day not closed yet in every organization (each in its own zone), from
/// its first member's joining to yesterday, so that reports read stored numbers; reports
/// themselves never write. Returns how many days it closed.
pub fn close_past_days(
    conn: &mut DbConn,
    now: chrono::DateTime<chrono::Utc>,
) -> QueryResult<usize> {
    use crate::db::schema::membership_history;
    let orgs = crate::db::organizations::all(conn)?;
    let stamp = crate::db::db_time(now);
    let mut closed = 0;
    for org in &orgs {
        let tz = org_tz(org);
        let yesterday = now.with_timezone(&tz).date_naive() - Duration::days(1);
        let first: Option<NaiveDateTime> = membership_history::table
            .filter(membership_history::org_id.eq(&org.id))
            .select(diesel::dsl::min(membership_history::valid_from))
            .first(conn)?;
        let Some(first) = first.map(|t| t.and_utc().with_timezone(&tz).date_naive()) else {
            continue;
        };
        if first > yesterday {
            continue;
        }
        let open = first.iter_days().take_while(|d| *d <= yesterday).count()
            - stats::closed_between(conn, &org.id, first, yesterday)?.len();
        if open == 0 {
            continue;
        }
        // One organization's damaged settings must not keep the others' days open.
        if let Err(e) = close_days(conn, org, first, yesterday, stamp) {
            tracing::error!(org_id = %org.id, error = %e, "closing days failed");
            continue;
        }
        closed += open;
    }
    Ok(closed)
}

/// The days of a range before today that are not closed yet.
fn open_past_days(
    conn: &mut DbConn,
    org: &OrganizationRow,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> QueryResult<Vec<NaiveDate>> {
    let last = to.min(today - Duration::days(1));
    if from > last {
        return Ok(Vec::new());
    }
    let closed: HashSet<NaiveDate> = stats::closed_between(conn, &org.id, from, last)?
        .into_iter()
        .collect();
    Ok(from
        .iter_days()
        .take_while(|d| *d <= last)
        .filter(|d| !closed.contains(d))
        .collect())
}

/// The exact numbers of days not closed yet, computed as closing would and stored nowhere.
fn exact_days(
    conn: &mut DbConn,
    org: &OrganizationRow,
    days: &[NaiveDate],
) -> QueryResult<Vec<DayStatsRow>> {
    let Some(last) = days.last().copied() else {
        return Ok(Vec::new());
    };
    let settings = org.settings()?;
    let mut replay = DayReplay::load(conn, org, last)?;
    let mut rows = Vec::new();
    for day in days {
        let roster = replay.advance_to(*day);
        rows.extend(day_rows(conn, org, *day, &settings, roster)?);
    }
    Ok(rows)
}

/// One day's exact rows from its leave and check-ins as they are now.
fn day_rows(
    conn: &mut DbConn,
    org: &OrganizationRow,
    day: NaiveDate,
    settings: &OrgSettings,
    roster: &Roster,
) -> QueryResult<Vec<DayStatsRow>> {
    let leave = LeaveCalendar::load(conn, &org.id, day, day)?;
    let away = leave.away_on(day);
    let submitted: Vec<(String, bool, Option<String>)> = checkins::table
        .filter(checkins::org_id.eq(&org.id))
        .filter(checkins::day.eq(day))
        .select((
            checkins::user_id,
            checkins::abnormal,
            checkins::department_id,
        ))
        .load(conn)?;
    Ok(exact_day(&org.id, day, settings, roster, &away, &submitted))
}

/// Computes the exact counts of every day in the range that is not closed yet, replaying
/// where people were at the end of each day, and stores them.
pub fn close_days(
    conn: &mut DbConn,
    org: &OrganizationRow,
    from: NaiveDate,
    to: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let closed: HashSet<NaiveDate> = stats::closed_between(conn, &org.id, from, to)?
        .into_iter()
        .collect();
    let open: Vec<NaiveDate> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| !closed.contains(d))
        .collect();
    let Some(last) = open.last().copied() else {
        return Ok(());
    };
    let settings = org.settings()?;
    let mut replay = DayReplay::load(conn, org, last)?;
    for day in open {
        let roster = replay.advance_to(day);
        conn.write_transaction(|c| {
            // Check-ins and recounts of this day wait, and those already begun are counted,
            // before the day's check-ins and leave are read: none is lost in between.
            stats::lock_day(c, &org.id, day, DayLock::Exclusive)?;
            let rows = day_rows(c, org, day, &settings, roster)?;
            stats::replace_closed(c, &org.id, day, &rows, now)
        })?;
    }
    Ok(())
}

fn exact_day(
    org_id: &str,
    day: NaiveDate,
    settings: &OrgSettings,
    roster: &Roster,
    away: &HashSet<&str>,
    submitted: &[(String, bool, Option<String>)],
) -> Vec<DayStatsRow> {
    let mut by_department: HashMap<String, DayStatsRow> = HashMap::new();
    let mut expected_people = HashSet::new();
    fn row_for<'a>(
        rows: &'a mut HashMap<String, DayStatsRow>,
        org_id: &str,
        day: NaiveDate,
        department: &str,
    ) -> &'a mut DayStatsRow {
        rows.entry(department.to_string())
            .or_insert_with(|| DayStatsRow {
                org_id: org_id.to_string(),
                day,
                department_id: department.to_string(),
                ..DayStatsRow::default()
            })
    }
    for p in presence(settings, day, roster, away) {
        let department = p.department_id.unwrap_or(NO_DEPARTMENT);
        let row = row_for(&mut by_department, org_id, day, department);
        if p.expected {
            row.expected += 1;
            expected_people.insert(p.user_id);
        } else {
            row.exempt += 1;
        }
    }
    for (user, abnormal, checkin_department) in submitted {
        let department = roster
            .members
            .get(user)
            .map(|m| m.department_id.as_deref().unwrap_or(NO_DEPARTMENT))
            .or(checkin_department.as_deref())
            .unwrap_or(NO_DEPARTMENT);
        let row = row_for(&mut by_department, org_id, day, department);
        if expected_people.contains(user.as_str()) {
            row.reported += 1;
        } else {
            row.reported_unexpected += 1;
        }
        if *abnormal {
            row.abnormal += 1;
        }
    }
    by_department.into_values().collect()
}

/// Recounts reported and abnormal of an open day from its check-ins (after data was loaded
/// in bulk, as the demo does).
pub fn recount_open_day(conn: &mut DbConn, org_id: &str, day: NaiveDate) -> QueryResult<()> {
    conn.write_transaction(|c| {
        stats::lock_day(c, org_id, day, DayLock::Exclusive)?;
        stats::rebuild_open_day(c, org_id, day)
    })
}
