//! The queries behind reminders: who to remind, writing a pass's rows in batches, the
//! on-demand limit, and what was queued for a day.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::outbox::NewOutboxRow;
use super::schema::{checkins, mail_bodies, outbox, reminder_requests, users};
use super::DbConn;

/// Kinds of the outbox rows reminders write (also their template names).
pub const REMINDER: &str = "reminder";
pub const DIGEST: &str = "reminder_digest";
/// How the dedupe keys of digests start (not with their kind: keys stay as first written).
pub const DIGEST_KEY: &str = "digest";

/// A reminder's dedupe key, `{prefix}:{person}:{day}:{pass}`: one row per person, day and
/// pass. `pass_of` reads the pass back; the SQL below matches a pass by `pass_suffix`.
pub fn dedupe_key(prefix: &str, person_id: &str, day: NaiveDate, pass: &str) -> String {
    format!("{prefix}:{person_id}{}", pass_suffix(day, pass))
}

/// How the dedupe key of every row of a day's pass ends.
pub fn pass_suffix(day: NaiveDate, pass: &str) -> String {
    format!(":{day}:{pass}")
}

/// The pass a dedupe key of `day` names.
pub fn pass_of(key: &str, day: NaiveDate) -> Option<&str> {
    key.split_once(&format!(":{day}:")).map(|(_, pass)| pass)
}

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
    let mut query = super::users::missing_on(org_id, day, scope);
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
        .filter(outbox::dedupe_key.like(format!("%{}", pass_suffix(day, pass))))
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

/// Inserts the rows in batches; a row whose `dedupe_key` exists is left out (`ON CONFLICT DO
/// NOTHING` on both databases), so racing planners never fail and never double up.
/// Returns how many were inserted.
pub fn insert_reminders(conn: &mut DbConn, rows: &[NewOutboxRow<'_>]) -> QueryResult<usize> {
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
    listed(conn, org_id, Some(day), None)
}

/// One reminder or digest of the organization, as `of_day` lists it.
pub fn find_listed(conn: &mut DbConn, org_id: &str, id: &str) -> QueryResult<Option<Listed>> {
    Ok(listed(conn, org_id, None, Some(id))?.into_iter().next())
}

fn listed(
    conn: &mut DbConn,
    org_id: &str,
    day: Option<NaiveDate>,
    id: Option<&str>,
) -> QueryResult<Vec<Listed>> {
    let mut query = outbox::table
        .left_join(users::table.on(users::id.nullable().eq(outbox::user_id)))
        .filter(outbox::org_id.eq(org_id))
        .filter(outbox::kind.eq_any([REMINDER, DIGEST]))
        .into_boxed();
    if let Some(day) = day {
        query = query.filter(outbox::day.eq(day));
    }
    if let Some(id) = id {
        query = query.filter(outbox::id.eq(id.to_string()));
    }
    query
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

/// What one set-based plan of a staff pass needs besides the people.
pub struct PassRows<'a> {
    pub org_id: &'a str,
    pub day: NaiveDate,
    pub pass: &'a str,
    pub zones: Zones<'a>,
    /// Per supported locale: the shared body's id and the subject.
    pub locales: &'a [(&'a str, String, String)],
    /// The locale of people who have none (already resolved).
    pub default_locale: &'a str,
    pub now: NaiveDateTime,
}

/// Plans a staff pass for today's unreported people in one `INSERT … SELECT`: nothing goes
/// through the application per person, which keeps 100,000 rows within a second or two.
/// The rows have a shared body and no `vars`: the name is read when the mail is sent.
/// Same rules as `unreported` (active, not on leave, no check-in for `day`), and people who
/// already have the pass are skipped before the unique key has to refuse them.
pub fn insert_pass(conn: &mut DbConn, p: &PassRows<'_>) -> QueryResult<usize> {
    use diesel::sql_types::{Date, Text, Timestamp};

    let (zone_mode, zone) = match p.zones {
        Zones::All => ("all", ""),
        Zones::Organization(tz) => ("org", tz),
        Zones::Only(tz) => ("only", tz),
    };
    let mut locale_case = String::from("CASE");
    let mut subject_case = String::from("CASE");
    let mut body_case = String::from("CASE");
    for (locale, _, _) in p.locales {
        // Locales are our own constants (`en`, `zh-CN`), never user input.
        let cond = format!(
            " WHEN COALESCE(u.locale, '') = '{locale}' OR (COALESCE(u.locale, '') NOT IN ({}) AND '{}' = '{locale}')",
            p.locales
                .iter()
                .map(|(l, _, _)| format!("'{l}'"))
                .collect::<Vec<_>>()
                .join(", "),
            p.default_locale
        );
        locale_case.push_str(&format!("{cond} THEN '{locale}'"));
        subject_case.push_str(&format!("{cond} THEN ?"));
        body_case.push_str(&format!("{cond} THEN ?"));
    }
    locale_case.push_str(&format!(" ELSE '{}' END", p.default_locale));
    subject_case.push_str(" ELSE '' END");
    body_case.push_str(" END");
    let sql = format!(
        "INSERT INTO outbox (id, org_id, user_id, kind, dedupe_key, to_email, locale, subject, \
           body_text, body_html, status, attempts, next_attempt_at, created_at, day, body_id) \
         SELECT ? || u.id, u.org_id, u.id, '{REMINDER}', '{REMINDER}:' || u.id || ?, u.email, \
           {locale_case}, {subject_case}, '', '', 'pending', 0, ?, ?, ?, {body_case} \
         FROM users u \
         WHERE u.org_id = ? AND u.active = TRUE \
           AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.user_id = u.id AND c.day = ?) \
           AND NOT EXISTS (SELECT 1 FROM leaves l WHERE l.user_id = u.id \
                           AND l.start_date <= ? AND l.end_date >= ?) \
           AND (? = 'all' OR (? = 'org' AND (u.timezone IS NULL OR u.timezone = ?)) \
                OR (? = 'only' AND u.timezone = ?)) \
           {{re_plan}}"
    );
    // Other planners of this pass wait until this transaction ends, then find it started.
    // (`plan_staff_today` took the lock already; it is taken again, as a safeguard.)
    lock_pass(conn, p.org_id, p.day, p.pass)?;
    // A re-plan skips people who have the pass already, and leaves any other collision to
    // the unique key. A first plan has nothing to collide with (no row of the pass exists,
    // and no other planner of it can write one before this commits), so it is a plain
    // INSERT: on PostgreSQL, ON CONFLICT costs a speculative insertion per row, and the
    // NOT EXISTS would scan the rows this very statement inserts, once per person.
    let started = pass_started(conn, p.org_id, REMINDER, p.day, p.pass)?;
    let re_plan = if started {
        format!(
            "AND NOT EXISTS (SELECT 1 FROM outbox o \
             WHERE o.dedupe_key = '{REMINDER}:' || u.id || ?) \
             ON CONFLICT (dedupe_key) DO NOTHING"
        )
    } else {
        String::new()
    };
    let sql = sql.replace("{re_plan}", &re_plan);
    let prefix = format!("{}-", super::new_id());
    let suffix = pass_suffix(p.day, p.pass);
    macro_rules! run {
        ($c:expr, $sql:expr) => {{
            let mut q = diesel::sql_query($sql).into_boxed();
            q = q
                .bind::<Text, _>(prefix.clone())
                .bind::<Text, _>(suffix.clone());
            for (_, _, subject) in p.locales {
                q = q.bind::<Text, _>(subject.clone());
            }
            q = q
                .bind::<Timestamp, _>(p.now)
                .bind::<Timestamp, _>(p.now)
                .bind::<Date, _>(p.day);
            for (_, body_id, _) in p.locales {
                q = q.bind::<Text, _>(body_id.clone());
            }
            q = q
                .bind::<Text, _>(p.org_id.to_string())
                .bind::<Date, _>(p.day)
                .bind::<Date, _>(p.day)
                .bind::<Date, _>(p.day)
                .bind::<Text, _>(zone_mode)
                .bind::<Text, _>(zone_mode)
                .bind::<Text, _>(zone.to_string())
                .bind::<Text, _>(zone_mode)
                .bind::<Text, _>(zone.to_string());
            if started {
                q = q.bind::<Text, _>(suffix.clone());
            }
            q.execute($c)
        }};
    }
    match conn {
        DbConn::Sqlite(c) => run!(c, sql),
        DbConn::Postgres(c) => run!(c, numbered(&sql)),
    }
}

/// `?` placeholders as PostgreSQL's `$1, $2, …` (the SQL above has no `?` in literals).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 32);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out
}

/// Makes the planners of one pass (an organization's day and pass, scheduled or on demand)
/// take turns until the transaction ends, so that one never inserts a row of the pass while
/// another is inserting. SQLite needs none: every writing transaction there holds the
/// database alone.
pub fn lock_pass(conn: &mut DbConn, org_id: &str, day: NaiveDate, pass: &str) -> QueryResult<()> {
    let DbConn::Postgres(c) = conn else {
        return Ok(());
    };
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<diesel::sql_types::Text, _>(format!(
            "{REMINDER}:{org_id}{}",
            pass_suffix(day, pass)
        ))
        .execute(c)?;
    Ok(())
}

/// Whether any row of this pass exists.
fn pass_started(
    conn: &mut DbConn,
    org_id: &str,
    kind: &str,
    day: NaiveDate,
    pass: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        outbox::table
            .filter(outbox::org_id.eq(org_id))
            .filter(outbox::day.eq(day))
            .filter(outbox::kind.eq(kind))
            .filter(outbox::dedupe_key.like(format!("%{}", pass_suffix(day, pass)))),
    ))
    .get_result(conn)
}

/// Names of people, for mails whose shared body is filled at sending time.
pub fn names(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::name))
        .load(conn)
}
