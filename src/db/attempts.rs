//! Attempts counted per key in fixed windows, shared by every instance on the database. Each
//! step is one statement, so concurrent hits on the same key never lose a count.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::attempt_windows;
use super::DbConn;

/// What is counted, how many are allowed and for how long.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub rule: &'static str,
    pub allowed: i32,
    pub length: Duration,
}

/// Counts one attempt. `Err(until)` when the window is full: nothing is counted, and the next
/// attempt is allowed at `until`.
pub fn hit(
    conn: &mut DbConn,
    window: Window,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<(), NaiveDateTime>> {
    let row = (
        attempt_windows::rule.eq(window.rule),
        attempt_windows::key.eq(key),
        attempt_windows::window_start.eq(now),
        attempt_windows::hits.eq(1),
    );
    let inserted = match conn {
        DbConn::Sqlite(c) => diesel::insert_into(attempt_windows::table)
            .values(row)
            .on_conflict((attempt_windows::rule, attempt_windows::key))
            .do_nothing()
            .execute(c)?,
        DbConn::Postgres(c) => diesel::insert_into(attempt_windows::table)
            .values(row)
            .on_conflict((attempt_windows::rule, attempt_windows::key))
            .do_nothing()
            .execute(c)?,
    };
    if inserted == 1 {
        return Ok(Ok(()));
    }
    let this_key = attempt_windows::table
        .filter(attempt_windows::rule.eq(window.rule))
        .filter(attempt_windows::key.eq(key));
    // A window that has passed starts again with this attempt.
    let restarted =
        diesel::update(this_key.filter(attempt_windows::window_start.le(now - window.length)))
            .set((
                attempt_windows::window_start.eq(now),
                attempt_windows::hits.eq(1),
            ))
            .execute(conn)?;
    if restarted == 1 {
        return Ok(Ok(()));
    }
    let counted = diesel::update(this_key.filter(attempt_windows::hits.lt(window.allowed)))
        .set(attempt_windows::hits.eq(attempt_windows::hits + 1))
        .execute(conn)?;
    if counted == 1 {
        return Ok(Ok(()));
    }
    let started: NaiveDateTime = this_key.select(attempt_windows::window_start).first(conn)?;
    Ok(Err(started + window.length))
}

/// Whether another attempt would be allowed now, without counting one.
pub fn check(
    conn: &mut DbConn,
    window: Window,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<(), NaiveDateTime>> {
    let found: Option<(NaiveDateTime, i32)> = attempt_windows::table
        .filter(attempt_windows::rule.eq(window.rule))
        .filter(attempt_windows::key.eq(key))
        .select((attempt_windows::window_start, attempt_windows::hits))
        .first(conn)
        .optional()?;
    Ok(match found {
        Some((started, hits)) if started > now - window.length && hits >= window.allowed => {
            Err(started + window.length)
        }
        _ => Ok(()),
    })
}

/// Forgets the attempts counted for `key` (a login that succeeded).
pub fn forget(conn: &mut DbConn, rule: &str, key: &str) -> QueryResult<usize> {
    diesel::delete(
        attempt_windows::table
            .filter(attempt_windows::rule.eq(rule))
            .filter(attempt_windows::key.eq(key)),
    )
    .execute(conn)
}

/// Drops windows that started before `cutoff`; they count for nothing any more.
pub fn purge_before(conn: &mut DbConn, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(attempt_windows::table.filter(attempt_windows::window_start.lt(cutoff)))
        .execute(conn)
}
