//! Filing for someone without a phone: a manager (within their departments), HR or an admin
//! opens a person's day and submits it for them, under the person's own rules (their zone,
//! late days, form, corrections with a reason). The check-in is stored as submitted by the
//! filer, and both the look and the filing are in the audit log.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::json;

use crate::audit::{self, Target};
use crate::db::checkins::CheckinRow;
use crate::db::users::{self, UserRow};
use crate::db::{db_time, DbConn};
use crate::domain::day::LocalCalendar;
use crate::domain::OrgSettings;
use crate::reports::counts::person_tz;
use crate::services::checkins::{self, Answers, CheckinError, Day, Reporter, SubmitOutcome};
use crate::services::people::{self, PeopleError};
use crate::services::Caller;

#[derive(Debug, thiserror::Error)]
pub enum FilingError {
    #[error(transparent)]
    Person(#[from] PeopleError),
    #[error(transparent)]
    Checkin(#[from] CheckinError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// The day asked for: the person's today, or a date.
#[derive(Clone, Copy, Debug)]
pub enum DayAsked {
    Today,
    On(NaiveDate),
}

/// A person's day as the filer sees it: what the person would see, and their today.
pub struct PersonDay {
    pub person: UserRow,
    pub day: Day,
    pub date: NaiveDate,
    pub today: NaiveDate,
    pub tz: Tz,
}

fn reporter<'a>(
    person: &'a UserRow,
    caller: &'a Caller<'_>,
    tz: Tz,
    settings: &'a OrgSettings,
    public_url: &'a str,
) -> Reporter<'a> {
    let org_tz = crate::reports::counts::org_tz(caller.org);
    Reporter {
        user: person,
        org: caller.org,
        tz,
        org_tz,
        settings,
        public_url,
    }
}

/// The person's day, when the caller may see the person; the look is audited.
pub fn day(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    person_id: &str,
    asked: DayAsked,
    now: DateTime<Utc>,
) -> Result<PersonDay, FilingError> {
    let person = people::person_in_scope(conn, caller, person_id)?;
    let settings = caller.org.settings()?;
    let tz = person_tz(person.timezone.as_deref(), caller.org);
    let today = LocalCalendar::new(tz, now).today();
    let date = match asked {
        DayAsked::Today => today,
        DayAsked::On(date) => date,
    };
    let found = checkins::day(
        conn,
        &reporter(&person, caller, tz, &settings, ""),
        date,
        today,
    )?;
    people::record_read(
        conn,
        caller,
        &person,
        "checkins.get",
        json!({"date": date}),
        now,
    )?;
    Ok(PersonDay {
        person,
        day: found,
        date,
        today,
        tz,
    })
}

/// Files the person's check-in of the day asked for, as `caller`; audited as `checkins.file`
/// in the same transaction.
pub fn file(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    (person_id, asked): (&str, DayAsked),
    given: Answers,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<SubmitOutcome, FilingError> {
    let person = people::person_in_scope(conn, caller, person_id)?;
    let settings = caller.org.settings()?;
    let tz = person_tz(person.timezone.as_deref(), caller.org);
    let today = LocalCalendar::new(tz, now).today();
    let date = match asked {
        DayAsked::Today => today,
        DayAsked::On(date) => date,
    };
    let r = reporter(&person, caller, tz, &settings, public_url);
    r.check_fillable(date, today)?;
    conn.write_transaction(|conn| {
        let outcome = checkins::submit_by(conn, &r, caller.id, date, today, given, now)?;
        let (what, row) = match &outcome {
            SubmitOutcome::Created(row) => ("created", row),
            SubmitOutcome::Corrected(row) => ("corrected", row),
            SubmitOutcome::Unchanged(row) => ("unchanged", row),
        };
        if what != "unchanged" {
            let entry = caller
                .change("checkins.file", Target::person(&person), db_time(now))
                .with_detail(json!({
                    "date": date,
                    "outcome": what,
                    "revision": row.revision,
                }));
            audit::record_change(conn, entry)?;
        }
        Ok(outcome)
    })
}

/// Who filed each check-in that its person did not file themselves, by id: name and role as
/// they are now (an erased filer is left out).
pub fn filers(
    conn: &mut DbConn,
    org_id: &str,
    rows: &[&CheckinRow],
) -> diesel::QueryResult<HashMap<String, (String, String)>> {
    let mut ids: Vec<&str> = rows
        .iter()
        .filter(|r| r.submitted_by != r.user_id)
        .map(|r| r.submitted_by.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::find_many_in_org(conn, org_id, &ids)?
        .into_iter()
        .map(|u| (u.id, (u.name, u.role)))
        .collect())
}
