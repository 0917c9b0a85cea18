//! The queries behind reminders: who to remind, writing a pass's rows in batches, the
//! on-demand limit, and what was queued for a day.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::organizations::OrganizationRow;
use super::schema::{
    checkins, leaves, mail_bodies, organizations, outbox, reminder_requests, users,
};
use super::DbConn;

/// Kinds of the outbox rows reminders write (also their template names).
pub const REMINDER: &str = "reminder";
pub const DIGEST: &str = "reminder_digest";

/// Rows per INSERT: under SQLite's and PostgreSQL's limits on bound parameters.
const INSERT_CHUNK: usize = 1_000;

/// A person to remind, with only what the mail needs.
#[derive(Clone, Debug, Queryable)]
pub struct Target {
    pub id: String,
    pub name: String,
    pub email: String,
    pub locale: Option<String>,
    pub department_id: Option<String>,
}

/// Which people a pass is for, by their time zone.
#[derive(Clone, Copy, Debug)]
pub enum Zones<'a> {
    All,
    /// People without a zone of their own, or with the organization's (named here).
    Organization(&'a str),
    /// People whose own zone is this one.
    Only(&'a str),
}

pub fn all_organizations(conn: &mut DbConn) -> QueryResult<Vec<OrganizationRow>> {
    organizations::table
        .order(organizations::id.asc())
        .select(OrganizationRow::as_select())
        .load(conn)
}

/// The zones people of an organization have set for themselves.
pub fn own_zones(conn: &mut DbConn, org_id: &str) -> QueryResult<Vec<String>> {
    users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::active.eq(true))
        .filter(users::timezone.is_not_null())
        .select(users::timezone.assume_not_null())
        .distinct()
        .load(conn)
}

/// Active people, not on leave on `day`, who have no check-in for `day`, in their current
/// department. `scope`: only these departments.
pub fn unreported(
    conn: &mut DbConn,
    org_id: &str,
    day: NaiveDate,
    zones: Zones<'_>,
    scope: Option<&HashSet<String>>,
) -> QueryResult<Vec<Target>> {
    let mut query = users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::active.eq(true))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            checkins::table
                .filter(checkins::user_id.eq(users::id))
                .filter(checkins::day.eq(day)),
        )))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            leaves::table
                .filter(leaves::user_id.eq(users::id))
                .filter(leaves::start_date.le(day))
                .filter(leaves::end_date.ge(day)),
        )))
        .into_boxed();
    match zones {
        Zones::All => {}
        Zones::Organization(tz) => {
            query = query.filter(
                users::timezone
                    .is_null()
                    .or(users::timezone.eq(tz.to_string())),
            )
        }
        Zones::Only(tz) => query = query.filter(users::timezone.eq(tz.to_string())),
    }
    if let Some(ids) = scope {
        query = query.filter(users::department_id.eq_any(ids.iter().cloned().collect::<Vec<_>>()));
    }
    query
        .order((users::name.asc(), users::id.asc()))
        .select((
            users::id,
            users::name,
            users::email,
            users::locale,
            users::department_id,
        ))
        .load(conn)
}

/// People who already have a row of this pass: a re-plan skips them without trying.
pub fn already_queued(
    conn: &mut DbConn,
    org_id: &str,
    kind: &str,
    day: NaiveDate,
    pass: &str,
) -> QueryResult<HashSet<String>> {
    Ok(outbox::table
        .filter(outbox::org_id.eq(org_id))
        .filter(outbox::day.eq(day))
        .filter(outbox::kind.eq(kind))
        .filter(outbox::dedupe_key.like(format!("%:{day}:{pass}")))
        .filter(outbox::user_id.is_not_null())
        .select(outbox::user_id.assume_not_null())
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

#[derive(Insertable)]
#[diesel(table_name = mail_bodies)]
pub struct NewBody<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn insert_body(conn: &mut DbConn, body: &NewBody<'_>) -> QueryResult<()> {
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(mail_bodies::table)
            .values(body)
            .on_conflict(mail_bodies::id)
            .do_nothing()
            .execute(c)?,
        DbConn::Postgres(c) => diesel::insert_into(mail_bodies::table)
            .values(body)
            .on_conflict(mail_bodies::id)
            .do_nothing()
            .execute(c)?,
    };
    Ok(())
}

/// One outbox row of a pass, borrowing what all rows of the pass share.
#[derive(Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
pub struct NewReminder<'a> {
    pub id: String,
    pub org_id: &'a str,
    pub user_id: Option<&'a str>,
    pub kind: &'a str,
    pub dedupe_key: String,
    pub to_email: &'a str,
    pub locale: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub status: &'a str,
    pub attempts: i32,
    pub last_error: Option<&'a str>,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub claimed_by: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub day: Option<NaiveDate>,
    pub body_id: Option<&'a str>,
    pub vars: Option<String>,
}

/// Inserts the rows in batches; a row whose `dedupe_key` exists is left out (`ON CONFLICT DO
/// NOTHING` on both databases), so racing planners never fail and never double up.
/// Returns how many were inserted.
pub fn insert_reminders(conn: &mut DbConn, rows: &[NewReminder<'_>]) -> QueryResult<usize> {
    let mut inserted = 0;
    for chunk in rows.chunks(INSERT_CHUNK) {
        inserted += match &mut *conn {
            DbConn::Sqlite(c) => diesel::insert_into(outbox::table)
                .values(chunk)
                .on_conflict(outbox::dedupe_key)
                .do_nothing()
                .execute(c)?,
            DbConn::Postgres(c) => diesel::insert_into(outbox::table)
                .values(chunk)
                .on_conflict(outbox::dedupe_key)
                .do_nothing()
                .execute(c)?,
        };
    }
    Ok(inserted)
}

/// Shared bodies by id.
pub fn bodies(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<(String, String, String)>> {
    mail_bodies::table
        .filter(mail_bodies::id.eq_any(ids))
        .select((
            mail_bodies::id,
            mail_bodies::body_text,
            mail_bodies::body_html,
        ))
        .load(conn)
}

/// Of these (person, day) pairs, the ones with a check-in.
pub fn reported(
    conn: &mut DbConn,
    users: &[String],
    days: &[NaiveDate],
) -> QueryResult<HashSet<(String, NaiveDate)>> {
    Ok(checkins::table
        .filter(checkins::user_id.eq_any(users))
        .filter(checkins::day.eq_any(days))
        .select((checkins::user_id, checkins::day))
        .load::<(String, NaiveDate)>(conn)?
        .into_iter()
        .collect())
}

/// Records an on-demand pass for `scope_key` unless one was recorded after `since`.
/// `Err(last)`: the time of the pass that holds the limit. Safe between instances: the insert
/// and the conditional update each change the row only when the limit allows it.
pub fn take_ondemand_slot(
    conn: &mut DbConn,
    org_id: &str,
    scope_key: &str,
    now: NaiveDateTime,
    since: NaiveDateTime,
) -> QueryResult<Result<(), NaiveDateTime>> {
    let row = (
        reminder_requests::scope_key.eq(scope_key),
        reminder_requests::org_id.eq(org_id),
        reminder_requests::last_at.eq(now),
    );
    let inserted = match conn {
        DbConn::Sqlite(c) => diesel::insert_into(reminder_requests::table)
            .values(row)
            .on_conflict(reminder_requests::scope_key)
            .do_nothing()
            .execute(c)?,
        DbConn::Postgres(c) => diesel::insert_into(reminder_requests::table)
            .values(row)
            .on_conflict(reminder_requests::scope_key)
            .do_nothing()
            .execute(c)?,
    };
    if inserted == 1 {
        return Ok(Ok(()));
    }
    let updated = diesel::update(
        reminder_requests::table
            .filter(reminder_requests::scope_key.eq(scope_key))
            .filter(reminder_requests::last_at.le(since)),
    )
    .set(reminder_requests::last_at.eq(now))
    .execute(conn)?;
    if updated == 1 {
        return Ok(Ok(()));
    }
    let last = reminder_requests::table
        .find(scope_key)
        .select(reminder_requests::last_at)
        .first(conn)?;
    Ok(Err(last))
}

/// A queued reminder as `GET /reminders` lists it.
#[derive(Clone, Debug, Queryable)]
pub struct Listed {
    pub id: String,
    pub kind: String,
    pub dedupe_key: String,
    pub user_id: Option<String>,
    pub to_email: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub name: Option<String>,
    pub department_id: Option<String>,
}

/// The reminders and digests of a day, oldest first, with their person's current department.
pub fn of_day(conn: &mut DbConn, org_id: &str, day: NaiveDate) -> QueryResult<Vec<Listed>> {
    outbox::table
        .left_join(users::table.on(users::id.nullable().eq(outbox::user_id)))
        .filter(outbox::org_id.eq(org_id))
        .filter(outbox::day.eq(day))
        .filter(outbox::kind.eq_any([REMINDER, DIGEST]))
        .order((outbox::created_at.asc(), outbox::id.asc()))
        .select((
            outbox::id,
            outbox::kind,
            outbox::dedupe_key,
            outbox::user_id,
            outbox::to_email,
            outbox::status,
            outbox::attempts,
            outbox::last_error,
            outbox::created_at,
            outbox::sent_at,
            users::name.nullable(),
            users::department_id.nullable(),
        ))
        .load(conn)
}

/// People with a staff reminder of the day, with their current department.
pub fn reminded(
    conn: &mut DbConn,
    org_id: &str,
    day: NaiveDate,
) -> QueryResult<Vec<(String, Option<String>)>> {
    outbox::table
        .inner_join(users::table.on(users::id.nullable().eq(outbox::user_id)))
        .filter(outbox::org_id.eq(org_id))
        .filter(outbox::day.eq(day))
        .filter(outbox::kind.eq(REMINDER))
        .select((users::id, users::department_id))
        .distinct()
        .load(conn)
}
