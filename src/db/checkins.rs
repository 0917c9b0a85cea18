//! Check-ins: one per person per local day; a correction moves the earlier answers to a revision.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};

use super::schema::{checkin_revisions, checkins};
use super::stats::{self, DayLock, Tally};
use super::{is_unique_violation, new_id, DbConn};
use crate::domain::Evaluation;

/// A stored check-in. As an insert, every field is a bound value, `None` too (a NULL): an
/// insert that may write `DEFAULT` is prepared again on every run.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = checkins, treat_none_as_default_value = false)]
pub struct CheckinRow {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub day: NaiveDate,
    pub department_id: Option<String>,
    pub answers: String,
    pub temperature: Option<f64>,
    pub abnormal: bool,
    pub abnormal_reasons: String,
    pub revision: i32,
    pub reason: Option<String>,
    pub submitted_by: String,
    pub submitted_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Whether the person was expected to report that day when this came in.
    pub expected: bool,
    /// The version of the form the answers were given on.
    pub form_version: i32,
    /// When retention purged the answers: the row only says that the person reported.
    pub purged_at: Option<NaiveDateTime>,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = checkin_revisions)]
pub struct RevisionRow {
    pub id: String,
    pub org_id: String,
    pub checkin_id: String,
    pub revision: i32,
    pub answers: String,
    pub abnormal: bool,
    pub abnormal_reasons: String,
    pub reason: Option<String>,
    pub submitted_by: String,
    pub submitted_at: NaiveDateTime,
    pub replaced_by: String,
    pub replaced_at: NaiveDateTime,
    pub form_version: i32,
}

/// One person's answers for one day, already checked against the form.
pub struct Submission {
    pub org_id: String,
    pub user_id: String,
    pub day: NaiveDate,
    pub evaluation: Evaluation,
    /// The version of the form the answers were checked against.
    pub form_version: i32,
    pub reason: Option<String>,
    /// A correction of a day before today must say why.
    pub reason_required_for_correction: bool,
    pub submitted_by: String,
    pub now: NaiveDateTime,
}

/// Where a new check-in counts: its department, and whether its author was expected that day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub department_id: Option<String>,
    /// Counted as reported when true, as reported though not expected when false.
    pub expected: bool,
}

/// Decides a new check-in's placement inside the submission's transaction, after the day's
/// lock, so that a deactivation or leave committed at the same moment is seen.
pub type Place<'a> = &'a dyn Fn(&mut DbConn) -> Result<Placement, SubmitError>;

/// Runs inside the submission's transaction when a check-in becomes abnormal (a new abnormal
/// one, or a correction that made it so): what follows an abnormal report is stored with it.
pub type OnAbnormal<'a> = &'a dyn Fn(&mut DbConn, &CheckinRow) -> Result<(), SubmitError>;

#[derive(Debug)]
pub enum SubmitOutcome {
    Created(CheckinRow),
    Corrected(CheckinRow),
    /// The same answers again: nothing new is stored.
    Unchanged(CheckinRow),
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("a correction of an earlier day needs a reason")]
    ReasonRequired,
    #[error("another submission for the same day won the race")]
    LostRace,
    /// The person owed nothing that day (before joining, or while deactivated).
    #[error("{0}")]
    NotOwed(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// How often a submission that lost a race with a concurrent one is tried again.
const SUBMIT_ATTEMPTS: usize = 3;

pub fn submit(
    conn: &mut DbConn,
    submission: &Submission,
    place: Place,
    on_abnormal: OnAbnormal,
) -> Result<SubmitOutcome, SubmitError> {
    let mut last = SubmitError::LostRace;
    for _ in 0..SUBMIT_ATTEMPTS {
        match conn.write_transaction(|c| submit_once(c, submission, place, on_abnormal)) {
            Err(SubmitError::Db(e)) if is_unique_violation(&e) => last = SubmitError::Db(e),
            Err(SubmitError::LostRace) => last = SubmitError::LostRace,
            other => return other,
        }
    }
    Err(last)
}

fn submit_once(
    conn: &mut DbConn,
    s: &Submission,
    place: Place,
    on_abnormal: OnAbnormal,
) -> Result<SubmitOutcome, SubmitError> {
    // Before reading: a day being closed counts this check-in either fully or not at all.
    stats::lock_day(conn, &s.org_id, s.day, DayLock::Shared)?;

    // Most submissions are the day's first: the row is stored if none is, and only otherwise
    // is the stored one read, which saves that read (a round trip) for the first.
    let placement = match place(conn) {
        Ok(placement) => placement,
        Err(SubmitError::NotOwed(why)) => {
            // Not owed, but a check-in stored earlier may still be corrected.
            let Some(existing) = find_for_day(conn, &s.user_id, s.day)? else {
                return Err(SubmitError::NotOwed(why));
            };
            return correct(conn, s, existing, stored_text(s)?, on_abnormal);
        }
        Err(other) => return Err(other),
    };
    let row = new_row(s, placement)?;
    let stored = on_inner!(conn, |c| first_of_day(&row).execute(c))?;
    if stored == 1 {
        stats::add_checkin(conn, &row)?;
        if row.abnormal {
            on_abnormal(conn, &row)?;
        }
        return Ok(SubmitOutcome::Created(row));
    }
    let existing = find_for_day(conn, &s.user_id, s.day)?.ok_or(SubmitError::LostRace)?;
    correct(
        conn,
        s,
        existing,
        (row.answers, row.abnormal_reasons, row.reason.as_deref()),
        on_abnormal,
    )
}

/// A day's first check-in as it is stored, placed where `placement` says.
pub fn new_row(s: &Submission, placement: Placement) -> Result<CheckinRow, SubmitError> {
    let (answers, abnormal_reasons, reason) = stored_text(s)?;
    Ok(CheckinRow {
        id: new_id(),
        org_id: s.org_id.clone(),
        user_id: s.user_id.clone(),
        day: s.day,
        department_id: placement.department_id,
        answers,
        temperature: s.evaluation.temperature,
        abnormal: s.evaluation.abnormal(),
        abnormal_reasons,
        revision: 1,
        reason: reason.map(str::to_string),
        submitted_by: s.submitted_by.clone(),
        submitted_at: s.now,
        updated_at: s.now,
        expected: placement.expected,
        form_version: s.form_version,
        purged_at: None,
    })
}

/// The answers and abnormal reasons as stored JSON text, and the reason when one was given.
fn stored_text(s: &Submission) -> Result<(String, String, Option<&str>), SubmitError> {
    let answers = serde_json::Value::Object(s.evaluation.answers.clone()).to_string();
    let reasons = serde_json::to_string(&s.evaluation.abnormal_reasons)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let reason = s.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    Ok((answers, reasons, reason))
}

/// The insert of a day's first check-in, which stores nothing when the day has one already.
fn first_of_day(
    row: &CheckinRow,
) -> IfAbsent<
    impl QueryFragment<diesel::sqlite::Sqlite> + QueryFragment<diesel::pg::Pg> + QueryId + '_,
> {
    IfAbsent(diesel::insert_into(checkins::table).values(row))
}

/// An insert that stores nothing where a row with the same key is stored already, as one
/// statement each connection prepares once. (Diesel's `on_conflict_do_nothing` is not offered
/// over both databases at once, and is prepared again on every run.)
struct IfAbsent<I>(I);

impl<I: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for IfAbsent<I> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(" ON CONFLICT DO NOTHING");
        Ok(())
    }
}

impl<I: QueryId> QueryId for IfAbsent<I> {
    type QueryId = IfAbsent<I::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = I::HAS_STATIC_QUERY_ID;
}

impl<I, Conn> RunQueryDsl<Conn> for IfAbsent<I> {}

/// The day's stored check-in given new answers: unchanged when they are the same, otherwise
/// a new revision that keeps the earlier one.
fn correct(
    conn: &mut DbConn,
    s: &Submission,
    existing: CheckinRow,
    (answers, reasons, reason): (String, String, Option<&str>),
    on_abnormal: OnAbnormal,
) -> Result<SubmitOutcome, SubmitError> {
    if existing.answers == answers {
        return Ok(SubmitOutcome::Unchanged(existing));
    }
    if s.reason_required_for_correction && reason.is_none() {
        return Err(SubmitError::ReasonRequired);
    }
    diesel::insert_into(checkin_revisions::table)
        .values(&RevisionRow {
            id: new_id(),
            org_id: existing.org_id.clone(),
            checkin_id: existing.id.clone(),
            revision: existing.revision,
            answers: existing.answers.clone(),
            abnormal: existing.abnormal,
            abnormal_reasons: existing.abnormal_reasons.clone(),
            reason: existing.reason.clone(),
            submitted_by: existing.submitted_by.clone(),
            submitted_at: existing.updated_at,
            replaced_by: s.submitted_by.clone(),
            replaced_at: s.now,
            form_version: existing.form_version,
        })
        .execute(conn)?;
    let existing_abnormal = existing.abnormal;
    let corrected = CheckinRow {
        answers,
        temperature: s.evaluation.temperature,
        abnormal: s.evaluation.abnormal(),
        abnormal_reasons: reasons,
        revision: existing.revision + 1,
        reason: reason.map(str::to_string),
        submitted_by: s.submitted_by.clone(),
        updated_at: s.now,
        form_version: s.form_version,
        purged_at: None,
        ..existing
    };
    // The revision guard turns a concurrent correction into a retry instead of a lost update.
    let updated = diesel::update(
        checkins::table
            .filter(checkins::id.eq(&corrected.id))
            .filter(checkins::revision.eq(corrected.revision - 1)),
    )
    .set((
        checkins::answers.eq(&corrected.answers),
        checkins::temperature.eq(corrected.temperature),
        checkins::abnormal.eq(corrected.abnormal),
        checkins::abnormal_reasons.eq(&corrected.abnormal_reasons),
        checkins::revision.eq(corrected.revision),
        checkins::reason.eq(&corrected.reason),
        checkins::submitted_by.eq(&corrected.submitted_by),
        checkins::updated_at.eq(corrected.updated_at),
        checkins::form_version.eq(corrected.form_version),
        checkins::purged_at.eq(corrected.purged_at),
    ))
    .execute(conn)?;
    if updated != 1 {
        return Err(SubmitError::LostRace);
    }
    stats::add(
        conn,
        &corrected.org_id,
        corrected.day,
        corrected.department_id.as_deref(),
        Tally {
            abnormal: i32::from(corrected.abnormal) - i32::from(existing_abnormal),
            ..Tally::default()
        },
    )?;
    if corrected.abnormal && !existing_abnormal {
        on_abnormal(conn, &corrected)?;
    }
    Ok(SubmitOutcome::Corrected(corrected))
}

/// The check-in of a person's day. No `LIMIT`: (person, day) is unique, and a statement
/// without one is planned once per connection.
pub fn find_for_day(
    conn: &mut DbConn,
    user_id: &str,
    day: NaiveDate,
) -> QueryResult<Option<CheckinRow>> {
    on_inner!(conn, |c| {
        checkins::table
            .filter(checkins::user_id.eq(user_id))
            .filter(checkins::day.eq(day))
            .select(CheckinRow::as_select())
            .get_result(c)
            .optional()
    })
}

/// The check-in of a person's day and their latest one before it (the answers a "nothing
/// changed" tap repeats), in one query.
pub fn on_and_before(
    conn: &mut DbConn,
    user_id: &str,
    day: NaiveDate,
) -> QueryResult<(Option<CheckinRow>, Option<CheckinRow>)> {
    let mut newest_first = checkins::table
        .filter(checkins::user_id.eq(user_id))
        .filter(checkins::day.le(day))
        .order(checkins::day.desc())
        .limit(2)
        .select(CheckinRow::as_select())
        .load(conn)?
        .into_iter();
    Ok(match newest_first.next() {
        Some(on_day) if on_day.day == day => (Some(on_day), newest_first.next()),
        before => (None, before),
    })
}

/// A person's check-ins between two days (inclusive), newest first.
pub fn history(
    conn: &mut DbConn,
    user_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<CheckinRow>> {
    checkins::table
        .filter(checkins::user_id.eq(user_id))
        .filter(checkins::day.between(from, to))
        .order(checkins::day.desc())
        .select(CheckinRow::as_select())
        .load(conn)
}

/// Every check-in of a person, newest first.
pub fn all_of(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<CheckinRow>> {
    checkins::table
        .filter(checkins::user_id.eq(user_id))
        .order(checkins::day.desc())
        .select(CheckinRow::as_select())
        .load(conn)
}

pub fn revisions(conn: &mut DbConn, checkin_id: &str) -> QueryResult<Vec<RevisionRow>> {
    checkin_revisions::table
        .filter(checkin_revisions::checkin_id.eq(checkin_id))
        .order(checkin_revisions::revision.asc())
        .select(RevisionRow::as_select())
        .load(conn)
}

/// A check-in's answers and what its form made of them, for applying new rules.
pub struct Judged {
    pub id: String,
    pub department_id: Option<String>,
    pub answers: String,
    pub abnormal: bool,
    pub abnormal_reasons: String,
}

/// Every check-in of an organization's day, as `Judged`.
pub fn judged_on(conn: &mut DbConn, org_id: &str, day: NaiveDate) -> QueryResult<Vec<Judged>> {
    Ok(checkins::table
        .filter(checkins::org_id.eq(org_id))
        .filter(checkins::day.eq(day))
        .select((
            checkins::id,
            checkins::department_id,
            checkins::answers,
            checkins::abnormal,
            checkins::abnormal_reasons,
        ))
        .load::<(String, Option<String>, String, bool, String)>(conn)?
        .into_iter()
        .map(
            |(id, department_id, answers, abnormal, abnormal_reasons)| Judged {
                id,
                department_id,
                answers,
                abnormal,
                abnormal_reasons,
            },
        )
        .collect())
}

/// Sets what the rules make of a check-in, leaving its answers and revision as they are.
pub fn set_judgement(
    conn: &mut DbConn,
    id: &str,
    abnormal: bool,
    abnormal_reasons: &str,
) -> QueryResult<()> {
    diesel::update(checkins::table.find(id))
        .set((
            checkins::abnormal.eq(abnormal),
            checkins::abnormal_reasons.eq(abnormal_reasons),
        ))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared_once<Q: QueryId>(_: &Q) -> bool {
        Q::HAS_STATIC_QUERY_ID
    }

    #[test]
    fn the_first_check_in_of_a_day_is_an_insert_prepared_once() {
        let at = NaiveDate::from_ymd_opt(2020, 2, 3)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap_or_default();
        let row = CheckinRow {
            id: new_id(),
            org_id: "org".into(),
            user_id: "person".into(),
            day: at.date(),
            department_id: None,
            answers: "{}".into(),
            temperature: None,
            abnormal: false,
            abnormal_reasons: "[]".into(),
            revision: 1,
            reason: None,
            submitted_by: "person".into(),
            submitted_at: at,
            updated_at: at,
            expected: true,
            form_version: 1,
            purged_at: None,
        };
        assert!(prepared_once(&first_of_day(&row)));
    }
}
