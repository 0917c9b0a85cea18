//! First check-ins of the day in batches.
//!
//! In the morning rush nearly every submission is a person's first of the day, judged on
//! the HTTP worker by the version of the form this process last found in force. Stored one
//! by one, each costs a transaction of six round trips on PostgreSQL, and on SQLite a turn of
//! the one writer with two savepoints and four statements of its own. Here they are stored
//! together, and a request is answered only after its batch committed, so an answer still
//! means "stored":
//! - on PostgreSQL, writer threads take every first check-in waiting and store them in one
//!   transaction of two statements: the days' locks, then one statement that reads
//!   everyone's standing, inserts the rows and adds them to the departments' day counters;
//! - on SQLite, the group-commit writer (`db::group_commit`) stores the first check-ins of its
//!   batch before its other jobs, without their savepoints: for each check-in a read of the
//!   person's standing, a one-row insert, and the addition to its department's day counter.
//!
//! A batch stores only what is plainly new: a row whose day already has a check-in, a person
//! not owed that day, answers judged by a version of the form that is no longer the newest
//! when the batch runs, or a batch that failed as a whole is handed back, and the request
//! goes the way of every other submission (its own transaction, which corrects or refuses).
//! On PostgreSQL, batches of several writers, and of several instances, take their locks in
//! one order (days, then rows by person, then counters by key), so they never wait on each
//! other in a circle.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Bool, Date, Double, Integer, Nullable, Text, Timestamp};

use super::batches::{BatchKind, Batches};
use super::checkins::CheckinRow;
use super::membership;
use super::stats::{self, DayLock};
use super::{DbConn, Pool};
use crate::domain::expectation::Standing;

/// The most check-ins one transaction takes: a bound on how long a batch holds its locks.
const MOST_PER_BATCH: usize = 512;
/// Writers working at once: while one batch waits for its commit, the next is written.
const WRITERS: usize = 2;

/// A first check-in ready to store, all but whether it counts as expected, which depends on
/// the person's standing read inside the batch.
pub struct FirstCheckin {
    /// The row; its `expected` is set in the batch.
    pub row: CheckinRow,
    /// When the version of the form the answers were judged by (`row.form_version`) was
    /// saved: the row is stored only if that version is still the one in force.
    pub form_saved_at: NaiveDateTime,
    /// The end of the day in the person's zone: the standing is the one in force then.
    pub day_end: NaiveDateTime,
    /// Whether the day is owed when the person is at work, and when on leave.
    pub expected_at_work: bool,
    pub expected_on_leave: bool,
}

/// The batches of first check-ins: a check-in's row as stored once its batch committed, or
/// `None` when it must be submitted the ordinary way.
pub type FirstCheckins = Batches<FirstCheckin, CheckinRow>;

/// Starts the writers, which take a connection from `pool` for each batch.
pub fn start(pool: Pool) -> FirstCheckins {
    Batches::start(
        pool,
        BatchKind {
            name: "checkin-writer",
            workers: WRITERS,
            most_per_batch: MOST_PER_BATCH,
            serve: write_batch,
        },
    )
}

/// Stores what it can of a batch in one transaction: for each check-in, in the order given,
/// the row stored, or `None`.
fn write_batch(
    conn: &mut PgConnection,
    checkins: Vec<FirstCheckin>,
) -> QueryResult<Vec<Option<CheckinRow>>> {
    let mut days: Vec<(&str, NaiveDate)> = checkins
        .iter()
        .map(|c| (c.row.org_id.as_str(), c.row.day))
        .collect();
    days.sort_unstable();
    days.dedup();
    let mut stored: Vec<(String, bool)> = conn.transaction(|conn| {
        for &(org_id, day) in &days {
            stats::lock_day_pg(conn, org_id, day, DayLock::Shared)?;
        }
        // A statement of its own after the locks: it reads standings as they are now.
        StoreNew::of(&checkins).load::<(String, bool)>(conn)
    })?;
    stored.sort_unstable();
    Ok(checkins
        .into_iter()
        .map(|c| {
            let i = stored
                .binary_search_by(|(id, _)| id.as_str().cmp(&c.row.id))
                .ok()?;
            Some(CheckinRow {
                expected: stored[i].1,
                ..c.row
            })
        })
        .collect())
}

/// Whether the person of `t` is active at the end of `t.day` (`t.day_end`), as
/// `membership::standing` reads it for one person (the SQLite batch calls that): NULL before
/// they joined.
const ACTIVE_AT_DAY_END: &str = "(SELECT m.active FROM membership_history m \
    WHERE m.user_id = t.user_id AND m.valid_from < t.day_end \
    ORDER BY m.valid_from DESC, m.id DESC LIMIT 1)";

/// Whether the person of `t` is on leave on `t.day`.
const ON_LEAVE: &str = "EXISTS (SELECT 1 FROM leaves l WHERE l.user_id = t.user_id \
    AND l.start_date <= t.day AND l.end_date >= t.day)";

/// The table and columns a first check-in is inserted into.
const FIRST_COLUMNS: &str = "checkins (id, org_id, user_id, day, department_id, answers, \
    temperature, abnormal, abnormal_reasons, revision, reason, submitted_by, submitted_at, \
    updated_at, expected, form_version) ";

/// The batch's one statement. For each check-in it reads the person's standing as
/// `membership::standing` does, and whether the form its answers were judged by is still the
/// version in force; it inserts the rows of those owed the day whose day has no
/// check-in yet, in the order of the unique key; it adds each department's sum to its day
/// counter (`''` for none, as `stats::NO_DEPARTMENT`), in the order of the counter's key;
/// and it returns the id of each row stored and whether it counts as expected. Prepared once
/// per connection.
struct StoreNew<'a> {
    ids: Vec<&'a str>,
    org_ids: Vec<&'a str>,
    user_ids: Vec<&'a str>,
    days: Vec<NaiveDate>,
    department_ids: Vec<Option<&'a str>>,
    answers: Vec<&'a str>,
    temperatures: Vec<Option<f64>>,
    abnormal: Vec<bool>,
    abnormal_reasons: Vec<&'a str>,
    reasons: Vec<Option<&'a str>>,
    submitted_by: Vec<&'a str>,
    submitted_at: Vec<NaiveDateTime>,
    form_versions: Vec<i32>,
    forms_saved_at: Vec<NaiveDateTime>,
    day_ends: Vec<NaiveDateTime>,
    expected_at_work: Vec<bool>,
    expected_on_leave: Vec<bool>,
}

impl<'a> StoreNew<'a> {
    fn of(checkins: &'a [FirstCheckin]) -> Self {
        let rows = || checkins.iter().map(|c| &c.row);
        Self {
            ids: rows().map(|r| r.id.as_str()).collect(),
            org_ids: rows().map(|r| r.org_id.as_str()).collect(),
            user_ids: rows().map(|r| r.user_id.as_str()).collect(),
            days: rows().map(|r| r.day).collect(),
            department_ids: rows().map(|r| r.department_id.as_deref()).collect(),
            answers: rows().map(|r| r.answers.as_str()).collect(),
            temperatures: rows().map(|r| r.temperature).collect(),
            abnormal: rows().map(|r| r.abnormal).collect(),
            abnormal_reasons: rows().map(|r| r.abnormal_reasons.as_str()).collect(),
            reasons: rows().map(|r| r.reason.as_deref()).collect(),
            submitted_by: rows().map(|r| r.submitted_by.as_str()).collect(),
            submitted_at: rows().map(|r| r.submitted_at).collect(),
            form_versions: rows().map(|r| r.form_version).collect(),
            forms_saved_at: checkins.iter().map(|c| c.form_saved_at).collect(),
            day_ends: checkins.iter().map(|c| c.day_end).collect(),
            expected_at_work: checkins.iter().map(|c| c.expected_at_work).collect(),
            expected_on_leave: checkins.iter().map(|c| c.expected_on_leave).collect(),
        }
    }
}

impl QueryFragment<Pg> for StoreNew<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH given AS (SELECT t.*, ");
        out.push_sql(ACTIVE_AT_DAY_END);
        out.push_sql(" AS active, ");
        out.push_sql(ON_LEAVE);
        out.push_sql(
            " AS on_leave, \
                 EXISTS (SELECT 1 FROM (SELECT f.version, f.created_at FROM forms f \
                   WHERE f.org_id = t.org_id ORDER BY f.version DESC LIMIT 1) AS f \
                   WHERE f.version = t.form_version AND f.created_at = t.form_saved_at) \
                   AS judged_by_form_in_force \
               FROM unnest(",
        );
        out.push_bind_param::<Array<Text>, _>(&self.ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.org_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.user_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Date>, _>(&self.days)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.department_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.answers)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Double>>, _>(&self.temperatures)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.abnormal)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.abnormal_reasons)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.reasons)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.submitted_by)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.submitted_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Integer>, _>(&self.form_versions)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.forms_saved_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.day_ends)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.expected_at_work)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.expected_on_leave)?;
        out.push_sql(
            ") AS t(id, org_id, user_id, day, department_id, answers, temperature, abnormal, \
                 abnormal_reasons, reason, submitted_by, submitted_at, form_version, form_saved_at, \
                 day_end, expected_at_work, expected_on_leave)\
             ), stored AS (",
        );
        out.push_sql("INSERT INTO ");
        out.push_sql(FIRST_COLUMNS);
        out.push_sql(
            "SELECT id, org_id, user_id, day, department_id, answers, temperature, abnormal, \
                 abnormal_reasons, 1, reason, submitted_by, submitted_at, submitted_at, \
                 CASE WHEN on_leave THEN expected_on_leave ELSE expected_at_work END, \
                 form_version \
               FROM given WHERE active AND judged_by_form_in_force ORDER BY user_id, day \
               ON CONFLICT DO NOTHING \
               RETURNING id, org_id, day, department_id, expected, abnormal\
             ), counted AS (\
               INSERT INTO day_stats \
                 (org_id, day, department_id, reported, reported_unexpected, abnormal) \
               SELECT org_id, day, COALESCE(department_id, ''), \
                 (count(*) FILTER (WHERE expected))::int4, \
                 (count(*) FILTER (WHERE NOT expected))::int4, \
                 (count(*) FILTER (WHERE abnormal))::int4 \
               FROM stored GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 \
               ON CONFLICT (org_id, day, department_id) DO UPDATE SET \
                 reported = day_stats.reported + excluded.reported, \
                 reported_unexpected = \
                   day_stats.reported_unexpected + excluded.reported_unexpected, \
                 abnormal = day_stats.abnormal + excluded.abnormal\
             ) \
             SELECT id, expected FROM stored",
        );
        Ok(())
    }
}

impl QueryId for StoreNew<'_> {
    type QueryId = StoreNew<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for StoreNew<'_> {
    type SqlType = (Text, Bool);
}

impl<Conn> RunQueryDsl<Conn> for StoreNew<'_> {}

/// Stores what it can of the first check-ins of a SQLite batch, inside the batch's
/// transaction: for each check-in, in the order given, the row stored, or `None`. Each is a
/// read of the person's standing, a one-row insert and its addition to the day's counter,
/// with no savepoint around them (one would make SQLite copy every page each statement
/// changes, and keep the copies, for the whole batch). An insert refused by a constraint
/// wrote nothing (SQLite checks a one-row insert's constraints before it writes), and its
/// check-in is handed back. Any other error may have ended the transaction itself, and a row
/// stored without its count must not be committed: it is returned, and the batch's
/// transaction must be rolled back.
pub fn store_in_sqlite_batch(
    conn: &mut DbConn,
    checkins: &[&FirstCheckin],
) -> QueryResult<Vec<Option<CheckinRow>>> {
    // The form in force, read once an organization for the batch.
    let mut forms_in_force: Vec<(&str, (i32, NaiveDateTime))> = Vec::new();
    let mut stored = Vec::with_capacity(checkins.len());
    for &checkin in checkins {
        let org_id = checkin.row.org_id.as_str();
        let in_force = match forms_in_force.iter().find(|(org, _)| *org == org_id) {
            Some((_, key)) => *key,
            None => {
                let key = super::forms::current_key(conn, org_id)?;
                forms_in_force.push((org_id, key));
                key
            }
        };
        stored.push(
            if in_force == (checkin.row.form_version, checkin.form_saved_at) {
                store_one_in_sqlite(conn, checkin)?
            } else {
                None
            },
        );
    }
    Ok(stored)
}

/// One first check-in of a SQLite batch, judged by the form in force: its row as stored and
/// counted, or `None` when the person is not owed the day, the day has a check-in already or
/// a constraint refused the row.
fn store_one_in_sqlite(
    conn: &mut DbConn,
    checkin: &FirstCheckin,
) -> QueryResult<Option<CheckinRow>> {
    let standing = membership::standing_at_day_end(
        conn,
        &checkin.row.user_id,
        checkin.row.day,
        checkin.day_end,
    )?;
    let Standing::Active { on_leave } = standing else {
        return Ok(None);
    };
    let row = CheckinRow {
        expected: if on_leave {
            checkin.expected_on_leave
        } else {
            checkin.expected_at_work
        },
        ..checkin.row.clone()
    };
    let DbConn::Sqlite(c) = &mut *conn else {
        return Err(diesel::result::Error::QueryBuilderError(
            "a SQLite batch of first check-ins on PostgreSQL".into(),
        ));
    };
    match InsertNew(&row).execute(c) {
        Ok(1) => {}
        Ok(_) => return Ok(None),
        Err(e) if is_constraint_refusal(&e) => {
            tracing::warn!(error = %e, "a first check-in of a batch was refused; it goes on alone");
            return Ok(None);
        }
        Err(e) => return Err(e),
    }
    stats::add_checkin(conn, &row)?;
    Ok(Some(row))
}

/// Whether SQLite refused a statement for a constraint, which undoes that statement alone.
fn is_constraint_refusal(e: &diesel::result::Error) -> bool {
    use diesel::result::DatabaseErrorKind as Kind;
    matches!(
        e,
        diesel::result::Error::DatabaseError(
            Kind::UniqueViolation
                | Kind::ForeignKeyViolation
                | Kind::NotNullViolation
                | Kind::CheckViolation,
            _
        )
    )
}

/// A first check-in's row, inserted unless its day has a check-in already. One row of
/// `VALUES` without `RETURNING` (which SQLite runs as a trigger): SQLite then checks every
/// constraint before it writes, and keeps no statement journal (a copy of every page the
/// statement changes, in case it must be undone). Prepared once per connection.
struct InsertNew<'a>(&'a CheckinRow);

impl QueryFragment<diesel::sqlite::Sqlite> for InsertNew<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::sqlite::Sqlite>) -> QueryResult<()> {
        let row = self.0;
        out.push_sql("INSERT INTO ");
        out.push_sql(FIRST_COLUMNS);
        out.push_sql("VALUES (");
        out.push_bind_param::<Text, _>(&row.id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&row.org_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&row.user_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Date, _>(&row.day)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&row.department_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&row.answers)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Double>, _>(&row.temperature)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&row.abnormal)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&row.abnormal_reasons)?;
        out.push_sql(", 1, ");
        out.push_bind_param::<Nullable<Text>, _>(&row.reason)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&row.submitted_by)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&row.submitted_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&row.submitted_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&row.expected)?;
        out.push_sql(", ");
        out.push_bind_param::<Integer, _>(&row.form_version)?;
        out.push_sql(") ON CONFLICT DO NOTHING");
        Ok(())
    }
}

impl QueryId for InsertNew<'_> {
    type QueryId = InsertNew<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Conn> RunQueryDsl<Conn> for InsertNew<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::JwtKeys;
    use crate::config::DatabaseUrl;
    use crate::db::{connect_pool, db_time, new_id, run_migrations};
    use crate::domain::day::day_end_utc;
    use crate::provisioning::{create_organization, NewOrganization};

    /// A first check-in of `day` by `user_id`, judged by the form version `form`.
    fn first(
        org_id: &str,
        user_id: &str,
        day: NaiveDate,
        form: (i32, NaiveDateTime),
    ) -> FirstCheckin {
        let at = day.and_hms_opt(1, 0, 0).unwrap_or_default();
        FirstCheckin {
            row: CheckinRow {
                id: new_id(),
                org_id: org_id.into(),
                user_id: user_id.into(),
                day,
                department_id: None,
                answers: "{}".into(),
                temperature: Some(36.6),
                abnormal: false,
                abnormal_reasons: "[]".into(),
                revision: 1,
                reason: None,
                submitted_by: user_id.into(),
                submitted_at: at,
                updated_at: at,
                expected: true,
                form_version: form.0,
                purged_at: None,
            },
            form_saved_at: form.1,
            day_end: day_end_utc(chrono_tz::Asia::Shanghai, day),
            expected_at_work: true,
            expected_on_leave: false,
        }
    }

    /// A SQLite database in `dir` with an organization made two days ago: the pool (of one
    /// connection), the organization's id and its admin's.
    fn organization_in_sqlite(dir: &tempfile::TempDir) -> anyhow::Result<(Pool, String, String)> {
        let url = DatabaseUrl::Sqlite(dir.path().join("batch.db"));
        let pool = connect_pool(&url, 1)?;
        let mut conn = pool.get()?;
        run_migrations(&mut conn)?;
        let created = create_organization(
            &mut conn,
            &JwtKeys::new(b"first-checkins-test-secret-first-checkins"),
            "http://127.0.0.1",
            chrono::Utc::now() - chrono::Duration::days(2),
            NewOrganization {
                name: "Batch".into(),
                timezone: "Asia/Shanghai".into(),
                admin_email: "admin@batch.test".into(),
                admin_name: None,
                admin_password: None,
            },
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        drop(conn);
        Ok((pool, created.org.id, created.admin.id))
    }

    fn count(conn: &mut DbConn, sql: &str) -> anyhow::Result<i64> {
        let DbConn::Sqlite(c) = conn else {
            anyhow::bail!("not SQLite");
        };
        Ok(diesel::sql_query(sql).get_result::<Count>(c)?.n)
    }

    /// What a SQLite batch stores of its first check-ins: only the new rows of people owed
    /// the day (not a day before they joined, nor after they left), judged by the form in
    /// force; a row whose insert fails (here a department that does not exist) is handed back
    /// while the others are stored; each stored row counted once, as expected as it says.
    #[test]
    fn a_sqlite_batch_stores_only_what_is_new_and_counts_it_once() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let (pool, org, admin) = organization_in_sqlite(&dir)?;
        let mut conn = pool.get()?;
        let now = chrono::Utc::now();
        let today = db_time(now).date();
        let form = crate::db::forms::current_key(&mut conn, &org)?;
        let older_form = (form.0 - 1, form.1);

        let mut in_missing_department = first(&org, &admin, today, form);
        in_missing_department.row.department_id = Some("no-such-department".into());
        // Deactivated from the start of the day after tomorrow: that day is not owed.
        let later = today + chrono::Duration::days(2);
        let deactivated_at =
            day_end_utc(chrono_tz::Asia::Shanghai, later - chrono::Duration::days(1));
        diesel::sql_query(
            "INSERT INTO membership_history \
             (id, org_id, user_id, department_id, active, valid_from) VALUES (?, ?, ?, NULL, 0, ?)",
        )
        .bind::<Text, _>(new_id())
        .bind::<Text, _>(&org)
        .bind::<Text, _>(&admin)
        .bind::<Timestamp, _>(deactivated_at)
        .execute(&mut *conn as &mut DbConn)?;
        let batch = [
            in_missing_department,
            first(&org, &admin, today, form),
            first(&org, &admin, today, form),
            first(&org, &admin, today - chrono::Duration::days(5), form),
            first(&org, &admin, today - chrono::Duration::days(1), older_form),
            first(&org, &admin, later, form),
            first(&org, &admin, today + chrono::Duration::days(1), form),
        ];
        conn.begin_write()?;
        let stored = store_in_sqlite_batch(&mut conn, &batch.iter().collect::<Vec<_>>())?;
        conn.commit_write()?;

        let kept: Vec<bool> = stored.iter().map(Option::is_some).collect();
        assert_eq!(kept, [false, true, false, false, false, false, true]);
        assert_eq!(stored[1].as_ref().map(|r| &r.id), Some(&batch[1].row.id));
        let rows = count(&mut conn, "SELECT COUNT(*) AS n FROM checkins")?;
        let counted = count(
            &mut conn,
            "SELECT CAST(SUM(reported) AS BIGINT) AS n FROM day_stats",
        )?;
        assert_eq!((rows, counted), (2, 2));
        let stored_as_expected = count(
            &mut conn,
            "SELECT COUNT(*) AS n FROM checkins WHERE expected",
        )?;
        assert!(stored.iter().flatten().all(|r| r.expected));
        assert_eq!(stored_as_expected, 2, "as the rows handed back say");
        Ok(())
    }

    /// When a first check-in cannot be counted, the batch's transaction is rolled back: the
    /// check-in is handed back (to go the ordinary way) and nothing of it stays, while the
    /// other job of the same batch is run again in a transaction of its own and stored.
    #[tokio::test]
    async fn a_first_checkin_that_cannot_be_counted_leaves_nothing_and_the_batch_goes_on(
    ) -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let (pool, org, admin) = organization_in_sqlite(&dir)?;
        let mut held = pool.get()?;
        held.batch(
            "CREATE TRIGGER no_counts BEFORE INSERT ON day_stats \
             BEGIN SELECT RAISE(ABORT, 'no counts'); END",
        )?;
        let today = db_time(chrono::Utc::now()).date();
        let form = crate::db::forms::current_key(&mut held, &org)?;
        let writer = super::super::group_commit::GroupCommit::start(
            pool.clone(),
            super::super::group_commit::WriterMetrics::unrecorded(),
        );

        // The writer takes a first batch and waits for the pool's one connection, which this
        // test holds; the check-in and the job queue meanwhile, and make the next batch.
        let opening = {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer
                    .run(|c: &mut DbConn| {
                        Ok::<_, anyhow::Error>(c.batch("CREATE TABLE opening (x INTEGER)")?)
                    })
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let checkin = {
            let writer = writer.clone();
            let first = first(&org, &admin, today, form);
            tokio::spawn(async move { writer.store_first(first).await })
        };
        let job = {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer
                    .run(|c: &mut DbConn| {
                        Ok::<_, anyhow::Error>(
                            c.batch("CREATE TABLE after_the_checkin (x INTEGER)")?,
                        )
                    })
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        drop(held);

        opening.await??;
        assert!(
            checkin.await?.is_none(),
            "an uncounted check-in was answered as stored"
        );
        job.await??;
        let mut conn = pool.get()?;
        assert_eq!(count(&mut conn, "SELECT COUNT(*) AS n FROM checkins")?, 0);
        assert_eq!(
            count(
                &mut conn,
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'after_the_checkin'"
            )?,
            1
        );
        Ok(())
    }

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
}
