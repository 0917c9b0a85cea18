//! The daily check-in: which days a person may still fill in, where a new check-in counts,
//! and what a day and a range of days look like to the person.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::db::checkins::{self, Placement, Submission, SubmitError};
use crate::db::first_checkins::FirstCheckin;
use crate::db::membership;
use crate::db::organizations::OrganizationRow;
use crate::db::users::UserRow;
use crate::db::{db_time, DbConn};
use crate::domain::day::day_end_utc;
use crate::domain::expectation::{person_exemption, Exemption, Standing};
use crate::domain::{FormTemplate, OrgSettings};
use crate::problem::FieldErrors;
use crate::reports::expected::first_day;
use crate::services::{cases, forms};

/// What the check-in's functions answer with.
pub use crate::db::checkins::{CheckinRow, RevisionRow, SubmitOutcome};

/// The person checking in, with their organization, zone and its settings.
pub struct Reporter<'a> {
    pub user: &'a UserRow,
    pub org: &'a OrganizationRow,
    /// The person's own zone where set, else the organization's.
    pub tz: Tz,
    pub org_tz: Tz,
    pub settings: &'a OrgSettings,
    /// The service's public address, for the links of the mails an abnormal check-in sends.
    pub public_url: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckinError {
    #[error("is in the future")]
    InFuture,
    #[error("is before you joined on {0}: nothing is owed for it")]
    BeforeJoining(NaiveDate),
    #[error("is too far back: the organization accepts check-ins up to {0} days late")]
    TooFarBack(u32),
    /// A day the person owed nothing (deactivated, or not yet joined in their zone).
    #[error("{0}")]
    NotOwed(String),
    #[error("is required to correct the check-in of an earlier day")]
    ReasonRequired,
    #[error("the check-in was changed at the same moment; please try again")]
    LostRace,
    /// No check-in on the day asked for.
    #[error("check-in not found")]
    NotFound,
    /// Answers the form in force does not take, with the body's other problems.
    #[error("some fields are not valid")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<SubmitError> for CheckinError {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::NotOwed(message) => CheckinError::NotOwed(message),
            SubmitError::ReasonRequired => CheckinError::ReasonRequired,
            SubmitError::LostRace => CheckinError::LostRace,
            SubmitError::Db(e) => CheckinError::Db(e),
        }
    }
}

impl Reporter<'_> {
    /// The earliest day the person may still fill in: within the organization's late days,
    /// and not before the person joined.
    pub fn earliest_date(&self, today: NaiveDate) -> NaiveDate {
        let late = today - Duration::days(i64::from(self.settings.late_days));
        late.max(first_day(self.user.created_at, self.tz))
    }

    /// Whether `day` may be filled in on `today`: not in the future, not before joining, not
    /// further back than the organization allows.
    pub fn check_fillable(&self, day: NaiveDate, today: NaiveDate) -> Result<(), CheckinError> {
        if day > today {
            return Err(CheckinError::InFuture);
        }
        let joined = first_day(self.user.created_at, self.tz);
        if day < joined {
            return Err(CheckinError::BeforeJoining(joined));
        }
        if day < today - Duration::days(i64::from(self.settings.late_days)) {
            return Err(CheckinError::TooFarBack(self.settings.late_days));
        }
        Ok(())
    }
}

/// A day as the person sees it.
pub struct Day {
    /// The form in force: what a submission today is checked against.
    pub form: FormTemplate,
    pub checkin: Option<CheckinRow>,
    /// The last check-in before the day, whose carried-over answers the form starts from.
    pub previous: Option<CheckinRow>,
    pub exemption: Option<Exemption>,
    pub earliest_date: NaiveDate,
}

pub fn day(
    conn: &mut DbConn,
    r: &Reporter<'_>,
    day: NaiveDate,
    today: NaiveDate,
) -> Result<Day, CheckinError> {
    if day > today {
        return Err(CheckinError::InFuture);
    }
    let standing = membership::standing(conn, &r.user.id, day, r.tz)?;
    let (checkin, previous) = checkins::on_and_before(conn, &r.user.id, day)?;
    Ok(Day {
        form: forms::in_force(conn, &r.org.id)?.as_ref().clone(),
        checkin,
        previous,
        exemption: person_exemption(r.settings, day, standing),
        earliest_date: r.earliest_date(today),
    })
}

/// A submission as the body gave it: the answers (none when the body had none), the reason,
/// and what was already found wrong with the body, to be named with the answers' problems.
#[derive(Clone)]
pub struct Answers {
    pub answers: Option<Map<String, Value>>,
    pub reason: Option<String>,
    pub problems: FieldErrors,
}

/// Submits or corrects the check-in of `day`: the answers are checked against the form in
/// force, and a new check-in is placed (department, expected) inside its transaction, after
/// the day's lock.
pub fn submit(
    conn: &mut DbConn,
    r: &Reporter<'_>,
    day: NaiveDate,
    today: NaiveDate,
    given: Answers,
    now: DateTime<Utc>,
) -> Result<SubmitOutcome, CheckinError> {
    submit_by(conn, r, &r.user.id, day, today, given, now)
}

/// As `submit`, stored as filed by `filer` (a manager, HR or an admin filing for the
/// person), under the person's own rules.
pub fn submit_by(
    conn: &mut DbConn,
    r: &Reporter<'_>,
    filer: &str,
    day: NaiveDate,
    today: NaiveDate,
    given: Answers,
    now: DateTime<Utc>,
) -> Result<SubmitOutcome, CheckinError> {
    let submission = check(conn, r, filer, (day, today), given, now)?;
    store(conn, r, today, submission)
}

/// A submission come this far: done, or a first check-in of today ready to be stored with
/// others in a batch (see `db::first_checkins`).
pub enum Prepared {
    Done(SubmitOutcome),
    First(FirstCheckin),
}

/// As `submit`, except that the person's own first check-in of today, when nothing in it is
/// abnormal (which opens a case), is handed back ready for a batch rather than stored. What
/// the batch does not store goes through `submit`.
pub fn prepare(
    conn: &mut DbConn,
    r: &Reporter<'_>,
    day: NaiveDate,
    today: NaiveDate,
    given: Answers,
    now: DateTime<Utc>,
) -> Result<Prepared, CheckinError> {
    let seen = forms::seen_in_force(conn, &r.org.id)?;
    let submission = judge(&seen.form, r, &r.user.id, (day, today), &given, now)?;
    if day != today || submission.evaluation.abnormal() {
        return Ok(Prepared::Done(store(conn, r, today, submission)?));
    }
    Ok(Prepared::First(first_checkin(r, &seen, submission)?))
}

/// The person's own first check-in of today judged by the form this process last found in
/// force, without the database, ready for a batch, which stores it only if that form is still
/// the one in force. `None` when it must go the ordinary way: no form seen yet, another day,
/// answers that form does not take, or abnormal ones.
pub fn prepare_without_reading(
    r: &Reporter<'_>,
    day: NaiveDate,
    today: NaiveDate,
    given: &Answers,
    now: DateTime<Utc>,
) -> Option<FirstCheckin> {
    if day != today {
        return None;
    }
    let seen = forms::last_seen_in_force(&r.org.id)?;
    let submission = judge(&seen.form, r, &r.user.id, (day, today), given, now).ok()?;
    if submission.evaluation.abnormal() {
        return None;
    }
    first_checkin(r, &seen, submission).ok()
}

/// A first check-in of today, checked against `seen`, as a batch takes it.
fn first_checkin(
    r: &Reporter<'_>,
    seen: &forms::SeenInForce,
    submission: Submission,
) -> Result<FirstCheckin, CheckinError> {
    let day = submission.day;
    let expected_when =
        |on_leave| person_exemption(r.settings, day, Standing::Active { on_leave }).is_none();
    let row = checkins::new_row(
        &submission,
        Placement {
            department_id: r.user.department_id.clone(),
            expected: true,
        },
    )?;
    Ok(FirstCheckin {
        row,
        form_saved_at: seen.saved_at,
        day_end: day_end_utc(r.tz, day),
        expected_at_work: expected_when(false),
        expected_on_leave: expected_when(true),
    })
}

/// The answers checked against the form in force, as they would be stored.
fn check(
    conn: &mut DbConn,
    r: &Reporter<'_>,
    filer: &str,
    days: (NaiveDate, NaiveDate),
    given: Answers,
    now: DateTime<Utc>,
) -> Result<Submission, CheckinError> {
    let form = forms::in_force(conn, &r.org.id)?;
    judge(&form, r, filer, days, &given, now)
}

/// The answers checked against `form`, as they would be stored.
fn judge(
    form: &FormTemplate,
    r: &Reporter<'_>,
    filer: &str,
    (day, today): (NaiveDate, NaiveDate),
    given: &Answers,
    now: DateTime<Utc>,
) -> Result<Submission, CheckinError> {
    r.check_fillable(day, today)?;
    let mut problems = given.problems.clone();
    let evaluation = match given.answers.as_ref().map(|a| form.evaluate(a)) {
        Some(Ok(evaluation)) => Some(evaluation),
        Some(Err(answer_problems)) => {
            problems.extend(answer_problems);
            None
        }
        None => None,
    };
    let evaluation = match evaluation {
        Some(evaluation) if problems.is_empty() => evaluation,
        _ => return Err(CheckinError::Invalid(problems)),
    };
    Ok(Submission {
        org_id: r.org.id.clone(),
        user_id: r.user.id.clone(),
        day,
        evaluation,
        form_version: i32::try_from(form.version).unwrap_or(i32::MAX),
        reason: given.reason.clone(),
        reason_required_for_correction: day < today,
        submitted_by: filer.to_string(),
        now: db_time(now),
    })
}

/// Stores checked answers in their own transaction: a new check-in is placed (department,
/// expected) after the day's lock, an earlier one corrected.
fn store(
    conn: &mut DbConn,
    r: &Reporter<'_>,
    today: NaiveDate,
    submission: Submission,
) -> Result<SubmitOutcome, CheckinError> {
    let day = submission.day;
    let place = |conn: &mut DbConn| -> Result<Placement, SubmitError> {
        let exemption = match membership::standing(conn, &r.user.id, day, r.tz)? {
            Standing::NotYetJoined => {
                return Err(SubmitError::NotOwed("is before you joined".into()))
            }
            Standing::Inactive => {
                return Err(SubmitError::NotOwed(
                    "is a day your account was deactivated: nothing is owed for it".into(),
                ))
            }
            standing => person_exemption(r.settings, day, standing),
        };
        // A late check-in counts under the department the person was in that day.
        let department_id = if day < today {
            membership::at(conn, &r.user.id, day_end_utc(r.org_tz, day))?
                .map(|m| m.department_id)
                .unwrap_or_else(|| r.user.department_id.clone())
        } else {
            r.user.department_id.clone()
        };
        Ok(Placement {
            department_id,
            expected: exemption.is_none(),
        })
    };
    let follow_up = |conn: &mut DbConn, row: &CheckinRow| -> Result<(), SubmitError> {
        Ok(cases::follow_up(
            conn,
            r.org,
            r.settings,
            row,
            r.public_url,
        )?)
    };
    Ok(checkins::submit(conn, &submission, &place, &follow_up)?)
}

/// A range of the person's days: their check-ins, newest first, and every day with why it
/// was not owed, if it was not.
pub struct History {
    pub checkins: Vec<CheckinRow>,
    pub days: Vec<(NaiveDate, Option<Exemption>)>,
}

pub fn history(
    conn: &mut DbConn,
    r: &Reporter<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<History, CheckinError> {
    let rows = checkins::history(conn, &r.user.id, from, to)?;
    let standings = membership::PersonStandings::load(conn, &r.user.id, r.tz, from, to)?;
    let mut days: Vec<(NaiveDate, Option<Exemption>)> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| (date, person_exemption(r.settings, date, standings.on(date))))
        .collect();
    days.reverse();
    Ok(History {
        checkins: rows,
        days,
    })
}

/// A day's check-in and every earlier version of it.
pub struct Revisions {
    pub current: CheckinRow,
    /// Oldest first.
    pub earlier: Vec<RevisionRow>,
}

/// The check-in `user_id` gave for `day`, with its earlier versions.
pub fn revisions(
    conn: &mut DbConn,
    user_id: &str,
    day: NaiveDate,
) -> Result<Revisions, CheckinError> {
    let current = checkins::find_for_day(conn, user_id, day)?.ok_or(CheckinError::NotFound)?;
    let earlier = checkins::revisions(conn, &current.id)?;
    Ok(Revisions { current, earlier })
}
