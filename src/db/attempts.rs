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
    // Another request may forget or purge the row between two steps; then start over, which
    // finds no row and inserts one.
    for _ in 0..3 {
        if let Some(counted) = hit_once(conn, window, key, now)? {
            return Ok(counted);
        }
    }
    Err(diesel::result::Error::NotFound)
}

/// One try of `hit`; `None` when the row went away under it.
fn hit_once(
    conn: &mut DbConn,
    window: Window,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Result<(), NaiveDateTime>>> {
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
        return Ok(Some(Ok(())));
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
        return Ok(Some(Ok(())));
    }
    let counted = diesel::update(this_key.filter(attempt_windows::hits.lt(window.allowed)))
        .set(attempt_windows::hits.eq(attempt_windows::hits + 1))
        .execute(conn)?;
    if counted == 1 {
        return Ok(Some(Ok(())));
    }
    let started: Option<NaiveDateTime> = this_key
        .select(attempt_windows::window_start)
        .first(conn)
        .optional()?;
    Ok(started.map(|started| Err(started + window.length)))
}

/// Takes back one attempt counted in the current window (one that turned out to be allowed
/// after all, such as a login that succeeded).
pub fn take_back(conn: &mut DbConn, window: Window, key: &str) -> QueryResult<usize> {
    diesel::update(
        attempt_windows::table
            .filter(attempt_windows::rule.eq(window.rule))
            .filter(attempt_windows::key.eq(key))
            .filter(attempt_windows::hits.gt(0)),
    )
    .set(attempt_windows::hits.eq(attempt_windows::hits - 1))
    .execute(conn)
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
pub fn forget(conn: &mut DbConn, window: Window, key: &str) -> QueryResult<usize> {
    diesel::delete(
        attempt_windows::table
            .filter(attempt_windows::rule.eq(window.rule))
            .filter(attempt_windows::key.eq(key)),
    )
    .execute(conn)
}

/// Drops the windows of `window`'s rule that have passed; they count for nothing any more.
pub fn purge_expired(conn: &mut DbConn, window: Window, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        attempt_windows::table
            .filter(attempt_windows::rule.eq(window.rule))
            .filter(attempt_windows::window_start.le(now - window.length)),
    )
    .execute(conn)
}
