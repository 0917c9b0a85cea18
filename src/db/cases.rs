//! Cases: a person's abnormal check-ins followed to clearance, with their timeline.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{case_checkins, case_events, cases, checkins, users};
use super::{new_id, DbConn};

pub const OPEN: &str = "open";
pub const CONTACTED: &str = "contacted";
pub const CLEARED: &str = "cleared";
pub const STATUSES: [&str; 3] = [OPEN, CONTACTED, CLEARED];
/// The outbox kind (and mail template) of the alert to managers of an abnormal check-in.
pub const ALERT: &str = "abnormal_alert";

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = cases, treat_none_as_default_value = false)]
pub struct CaseRow {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub status: String,
    pub opened_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub assignee_id: Option<String>,
}

/// One step of a case's timeline.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_events, treat_none_as_default_value = false)]
pub struct EventRow {
    pub id: String,
    pub case_id: String,
    pub org_id: String,
    pub at: NaiveDateTime,
    /// Who; none for what a check-in did.
    pub actor_id: Option<String>,
    /// `opened`, `checkin`, `status`, `assigned` or `note`.
    pub kind: String,
    pub status: Option<String>,
    pub note: Option<String>,
    pub assignee_id: Option<String>,
    pub checkin_id: Option<String>,
}

impl EventRow {
    pub fn new(case: &CaseRow, kind: &str, actor_id: Option<&str>, at: NaiveDateTime) -> Self {
        Self {
            id: new_id(),
            case_id: case.id.clone(),
            org_id: case.org_id.clone(),
            at,
            actor_id: actor_id.map(str::to_string),
            kind: kind.to_string(),
            status: None,
            note: None,
            assignee_id: None,
            checkin_id: None,
        }
    }
}

/// A check-in a case holds: its day and what made it abnormal.
#[derive(Clone, Debug, Queryable)]
pub struct CaseCheckin {
    pub case_id: String,
    pub checkin_id: String,
    pub day: NaiveDate,
    pub abnormal_reasons: String,
}

/// The person's case that is not cleared, if any.
pub fn active_of(conn: &mut DbConn, user_id: &str) -> QueryResult<Option<CaseRow>> {
    cases::table
        .filter(cases::user_id.eq(user_id))
        .filter(cases::status.ne(CLEARED))
        .select(CaseRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConn, row: &CaseRow) -> QueryResult<usize> {
    diesel::insert_into(cases::table).values(row).execute(conn)
}

pub fn add_event(conn: &mut DbConn, row: &EventRow) -> QueryResult<usize> {
    diesel::insert_into(case_events::table)
        .values(row)
        .execute(conn)
}

/// Adds a check-in to a case; false when it was in it already.
pub fn link(conn: &mut DbConn, case_id: &str, checkin_id: &str) -> QueryResult<bool> {
    let held = case_checkins::table
        .filter(case_checkins::case_id.eq(case_id))
        .filter(case_checkins::checkin_id.eq(checkin_id))
        .count()
        .get_result::<i64>(conn)?;
    if held > 0 {
        return Ok(false);
    }
    diesel::insert_into(case_checkins::table)
        .values((
            case_checkins::case_id.eq(case_id),
            case_checkins::checkin_id.eq(checkin_id),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn find(conn: &mut DbConn, org_id: &str, id: &str) -> QueryResult<Option<CaseRow>> {
    cases::table
        .filter(cases::org_id.eq(org_id))
        .filter(cases::id.eq(id))
        .select(CaseRow::as_select())
        .first(conn)
        .optional()
}

/// Saves a case's status, assignee and time of change.
pub fn save(conn: &mut DbConn, row: &CaseRow) -> QueryResult<usize> {
    diesel::update(cases::table.find(&row.id))
        .set((
            cases::status.eq(&row.status),
            cases::assignee_id.eq(&row.assignee_id),
            cases::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
}

/// Which cases a list holds.
pub struct CaseFilter {
    pub org_id: String,
    pub status: Option<String>,
    /// Only people of these departments (a manager's, or one asked for); `None`: everyone.
    pub departments: Option<Vec<String>>,
    /// Not this person's own cases (a manager's: HR and admins work those).
    pub not_of: Option<String>,
}

fn filtered(f: &CaseFilter) -> cases::BoxedQuery<'static, super::Backend> {
    let mut query = cases::table
        .filter(cases::org_id.eq(f.org_id.clone()))
        .filter(
            cases::user_id.eq_any(
                users::table
                    .filter(users::org_id.eq(f.org_id.clone()))
                    .filter(users::erased_at.is_null())
                    .select(users::id),
            ),
        )
        .into_boxed();
    if let Some(status) = &f.status {
        query = query.filter(cases::status.eq(status.clone()));
    }
    if let Some(user_id) = &f.not_of {
        query = query.filter(cases::user_id.ne(user_id.clone()));
    }
    if let Some(departments) = &f.departments {
        query = query.filter(
            cases::user_id.eq_any(
                users::table
                    .filter(users::department_id.eq_any(departments.clone()))
                    .select(users::id),
            ),
        );
    }
    query
}

/// A page of cases, newest first, and how many match in all.
pub fn page(
    conn: &mut DbConn,
    f: &CaseFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<CaseRow>, i64)> {
    let total = filtered(f).count().get_result(conn)?;
    let rows = filtered(f)
        .order((cases::opened_at.desc(), cases::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(CaseRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The check-ins of these cases, oldest day first.
pub fn checkins_of(conn: &mut DbConn, case_ids: &[&str]) -> QueryResult<Vec<CaseCheckin>> {
    case_checkins::table
        .inner_join(checkins::table.on(checkins::id.eq(case_checkins::checkin_id)))
        .filter(case_checkins::case_id.eq_any(case_ids))
        .order((checkins::day.asc(), checkins::id.asc()))
        .select((
            case_checkins::case_id,
            case_checkins::checkin_id,
            checkins::day,
            checkins::abnormal_reasons,
        ))
        .load(conn)
}

/// The timelines of these cases, oldest first.
pub fn events_of(conn: &mut DbConn, case_ids: &[&str]) -> QueryResult<Vec<EventRow>> {
    case_events::table
        .filter(case_events::case_id.eq_any(case_ids))
        .order((case_events::at.asc(), case_events::id.asc()))
        .select(EventRow::as_select())
        .load(conn)
}

/// Removes a person's cases and their timelines (an erasure).
pub fn delete_of(conn: &mut DbConn, org_id: &str, user_id: &str) -> QueryResult<usize> {
    let theirs = cases::table
        .filter(cases::org_id.eq(org_id))
        .filter(cases::user_id.eq(user_id))
        .select(cases::id);
    diesel::delete(case_events::table.filter(case_events::case_id.eq_any(theirs))).execute(conn)?;
    diesel::delete(case_checkins::table.filter(case_checkins::case_id.eq_any(theirs)))
        .execute(conn)?;
    diesel::delete(
        cases::table
            .filter(cases::org_id.eq(org_id))
            .filter(cases::user_id.eq(user_id)),
    )
    .execute(conn)
}

/// Forgets the notes of timelines written before `before` (retention).
pub fn purge_notes(conn: &mut DbConn, org_id: &str, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        case_events::table
            .filter(case_events::org_id.eq(org_id))
            .filter(case_events::at.lt(before))
            .filter(case_events::note.is_not_null()),
    )
    .set(case_events::note.eq(None::<String>))
    .execute(conn)
}
