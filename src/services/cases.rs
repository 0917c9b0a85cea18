//! Follow-up of abnormal reports: an abnormal check-in opens a case for its person (or joins
//! the one not yet cleared) and tells the managers of the person's department at once by
//! e-mail; managers, HR and admins work the case to clearance (contacted, cleared, reopened),
//! with an assignee and notes. Every change and every read is audited.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::audit::{self, Changes, Reader, Target};
use crate::db::cases::{self, CaseCheckin, CaseFilter, CaseRow, EventRow, OPEN, STATUSES};
use crate::db::checkins::CheckinRow;
use crate::db::organizations::OrganizationRow;
use crate::db::users::{self, UserRow};
use crate::db::{db_time, departments, is_unique_violation, new_id, DbConn};
use crate::domain::department_tree::DepartmentTree;
use crate::domain::{OrgSettings, Role};
use crate::email::{enqueue, NewMail};
use crate::problem::{FieldErrors, Problem};
use crate::reports::scope::{ReportScope, ScopeError};
use crate::services::Caller;
use crate::webhooks;

pub use crate::db::cases::ALERT;
/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// No such case, or not one the caller may see.
    #[error("case not found")]
    NotFound,
    #[error("some fields are not valid")]
    Invalid(FieldErrors),
    /// Reopening while the person has another case that is not cleared.
    #[error("this person has another case that is not cleared; work that one")]
    AnotherOpen,
    #[error(transparent)]
    Scope(#[from] ScopeError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// What follows an abnormal check-in, inside its transaction: the case, and the alert.
pub fn follow_up(
    conn: &mut DbConn,
    org: &OrganizationRow,
    settings: &OrgSettings,
    row: &CheckinRow,
    public_url: &str,
) -> diesel::QueryResult<()> {
    let at = row.updated_at;
    let case = match cases::active_of(conn, &row.user_id)? {
        Some(case) => case,
        None => {
            let case = CaseRow {
                id: new_id(),
                org_id: org.id.clone(),
                user_id: row.user_id.clone(),
                status: OPEN.into(),
                opened_at: at,
                updated_at: at,
                assignee_id: None,
            };
            cases::insert(conn, &case)?;
            cases::add_event(conn, &EventRow::new(&case, "opened", None, at))?;
            case
        }
    };
    if cases::link(conn, &case.id, &row.id)? {
        let event = EventRow {
            checkin_id: Some(row.id.clone()),
            ..EventRow::new(&case, "checkin", None, at)
        };
        cases::add_event(conn, &event)?;
        cases::save(
            conn,
            &CaseRow {
                updated_at: at,
                ..case.clone()
            },
        )?;
    }
    let Some(person) = users::find_in_org(conn, &org.id, &row.user_id)? else {
        return Ok(());
    };
    let tree = departments::tree(conn, &org.id)?;
    // The person's department now: its managers follow up, whatever day the check-in is for.
    let home = person
        .department_id
        .clone()
        .or_else(|| row.department_id.clone());
    let about = About {
        person: &person,
        department_path: home
            .as_deref()
            .map(|d| tree.path(d))
            .filter(|p| !p.is_empty()),
        link: format!(
            "{}/#/cases?id={}",
            public_url.trim_end_matches('/'),
            case.id
        ),
    };
    if settings.abnormal_alerts {
        alert_managers(conn, org, settings, row, (&tree, home), &about)?;
    }
    let words = webhooks::phrases(&settings.locale);
    let department = about
        .department_path
        .clone()
        .unwrap_or_else(|| words.no_department.to_string());
    let message = webhooks::Message {
        event: "checkin.abnormal".into(),
        title: words.abnormal_title.into(),
        lines: vec![webhooks::fill(
            words.abnormal_line,
            &[
                ("person", &person.name),
                ("department", &department),
                ("date", &row.day.to_string()),
            ],
        )],
        link: about.link.clone(),
        link_label: words.open_case.into(),
        organization: org.name.clone(),
        at: row.updated_at.and_utc(),
    };
    let occasion = format!("{}:{}", row.user_id, row.day);
    webhooks::queue(conn, org, &message, &occasion, row.updated_at)?;
    Ok(())
}

/// Who an abnormal check-in is about, as its alerts name them.
struct About<'a> {
    person: &'a UserRow,
    department_path: Option<String>,
    link: String,
}

/// One mail to each manager of the person's department, or, where it has none, of the
/// nearest department above that has; once per person and day. The mail names
/// the person and the department and links to the case, never an answer.
fn alert_managers(
    conn: &mut DbConn,
    org: &OrganizationRow,
    settings: &OrgSettings,
    row: &CheckinRow,
    (tree, home): (&DepartmentTree, Option<String>),
    about: &About<'_>,
) -> diesel::QueryResult<()> {
    let mut department = home;
    let mut managers = Vec::new();
    // A department whose managers all left (or are the person) passes it up.
    while let Some(id) = department {
        let ids = departments::managers_of(conn, &id)?;
        let ids: Vec<&str> = ids
            .iter()
            .map(String::as_str)
            .filter(|m| *m != row.user_id)
            .collect();
        managers = users::find_many_in_org(conn, &org.id, &ids)?;
        managers.retain(|m| m.active);
        if !managers.is_empty() {
            break;
        }
        department = tree.get(&id).and_then(|n| n.parent_id.clone());
    }
    let department_path = about.department_path.clone().unwrap_or_else(|| "—".into());
    for manager in managers {
        let vars = BTreeMap::from([
            ("name".to_string(), manager.name.clone()),
            ("person".to_string(), about.person.name.clone()),
            ("department".to_string(), department_path.clone()),
            ("date".to_string(), row.day.to_string()),
            ("link".to_string(), about.link.clone()),
            ("org_name".to_string(), org.name.clone()),
        ]);
        let mail = NewMail {
            org_id: org.id.clone(),
            user_id: Some(manager.id.clone()),
            kind: ALERT,
            dedupe_key: format!("{ALERT}:{}:{}:{}", row.user_id, row.day, manager.id),
            to: manager.email.clone(),
            locale: manager
                .locale
                .clone()
                .unwrap_or_else(|| settings.locale.clone()),
            vars,
        };
        enqueue(conn, &mail, row.updated_at)?;
    }
    Ok(())
}

/// A case as its pages show it: the person, their department, the check-ins that raised it,
/// the assignee and the timeline, with the names of everyone in it.
pub struct CaseView {
    pub case: CaseRow,
    pub person: UserRow,
    pub department_path: Option<String>,
    pub checkins: Vec<CaseCheckin>,
    pub events: Vec<EventRow>,
    /// Id → (name, role) of the assignee and of everyone in the timeline.
    pub people: HashMap<String, (String, String)>,
}

/// Which cases, as asked.
pub struct CaseQuery {
    pub status: Option<String>,
    pub department_id: Option<String>,
}

/// A status as given: one of the three, or a problem naming them.
pub fn read_status(raw: &str) -> Result<String, Problem> {
    STATUSES
        .iter()
        .find(|s| **s == raw)
        .map(|s| (*s).to_string())
        .ok_or_else(|| {
            Problem::new(
                "not_a_choice",
                format!("must be one of {}", STATUSES.join(", ")),
            )
            .with("choices", STATUSES.to_vec())
            .with("value", raw)
        })
}

fn filter_of(caller: &Caller<'_>, scope: &ReportScope, status: Option<String>) -> CaseFilter {
    CaseFilter {
        org_id: caller.org.id.clone(),
        status,
        departments: scope
            .departments
            .as_ref()
            .map(|d| d.iter().cloned().collect()),
        not_of: (caller.role < Role::Hr).then(|| caller.id.to_string()),
    }
}

/// A page of the cases the caller may see, newest first; the read is audited.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    query: CaseQuery,
    (offset, limit): (i64, i64),
    now: DateTime<Utc>,
) -> Result<(Vec<CaseView>, i64), CaseError> {
    let scope = caller.report_scope(conn, query.department_id.as_deref())?;
    let filter = filter_of(caller, &scope, query.status.clone());
    let (rows, total) = cases::page(conn, &filter, offset, limit)?;
    let views = views_of(conn, caller, &scope, rows)?;
    let reader = Reader {
        org_id: &caller.org.id,
        user_id: caller.id,
    };
    audit::report_read(
        conn,
        reader,
        &scope,
        query.department_id.as_deref(),
        "cases.list",
        json!({"status": query.status, "offset": offset, "limit": limit}),
        db_time(now),
    )?;
    Ok((views, total))
}

/// Every case the caller may see that matches, for an export; the read is audited.
pub fn all(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    query: CaseQuery,
    now: DateTime<Utc>,
) -> Result<Vec<CaseView>, CaseError> {
    let scope = caller.report_scope(conn, query.department_id.as_deref())?;
    let filter = filter_of(caller, &scope, query.status.clone());
    let mut out = Vec::new();
    let page = 500;
    // The offset counts rows read, not rows kept: a page may keep fewer than it read.
    let mut read = 0;
    loop {
        let (rows, _) = cases::page(conn, &filter, read, page)?;
        let fetched = i64::try_from(rows.len()).unwrap_or(0);
        read += fetched;
        out.extend(views_of(conn, caller, &scope, rows)?);
        if fetched < page {
            break;
        }
    }
    let reader = Reader {
        org_id: &caller.org.id,
        user_id: caller.id,
    };
    audit::report_read(
        conn,
        reader,
        &scope,
        query.department_id.as_deref(),
        "cases.csv",
        json!({"status": query.status, "cases": out.len()}),
        db_time(now),
    )?;
    Ok(out)
}

/// One case the caller may see; the read is audited on its person.
pub fn get(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    id: &str,
    now: DateTime<Utc>,
) -> Result<CaseView, CaseError> {
    let view = visible(conn, caller, id)?;
    let reader = Reader {
        org_id: &caller.org.id,
        user_id: caller.id,
    };
    audit::person_read(
        conn,
        reader,
        &view.person,
        "cases.get",
        json!({"case_id": view.case.id}),
        db_time(now),
    )?;
    Ok(view)
}

fn visible(conn: &mut DbConn, caller: &Caller<'_>, id: &str) -> Result<CaseView, CaseError> {
    let case = cases::find(conn, &caller.org.id, id)?.ok_or(CaseError::NotFound)?;
    let scope = caller.report_scope(conn, None)?;
    let mut views = views_of(conn, caller, &scope, vec![case])?;
    views.pop().ok_or(CaseError::NotFound)
}

/// The views of `rows` whose person the scope covers (and who was not erased).
fn views_of(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    scope: &ReportScope,
    rows: Vec<CaseRow>,
) -> Result<Vec<CaseView>, CaseError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let person_ids: Vec<&str> = rows.iter().map(|c| c.user_id.as_str()).collect();
    let persons: HashMap<String, UserRow> =
        users::find_many_in_org(conn, &caller.org.id, &person_ids)?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
    let ids: Vec<&str> = rows.iter().map(|c| c.id.as_str()).collect();
    let mut checkins: HashMap<String, Vec<CaseCheckin>> = HashMap::new();
    for c in cases::checkins_of(conn, &ids)? {
        checkins.entry(c.case_id.clone()).or_default().push(c);
    }
    let mut events: HashMap<String, Vec<EventRow>> = HashMap::new();
    for e in cases::events_of(conn, &ids)? {
        events.entry(e.case_id.clone()).or_default().push(e);
    }
    let mut named: Vec<&str> = rows
        .iter()
        .filter_map(|c| c.assignee_id.as_deref())
        .chain(events.values().flatten().flat_map(|e| {
            e.actor_id
                .as_deref()
                .into_iter()
                .chain(e.assignee_id.as_deref())
        }))
        .collect();
    named.sort_unstable();
    named.dedup();
    let people: HashMap<String, (String, String)> =
        users::find_many_in_org(conn, &caller.org.id, &named)?
            .into_iter()
            .map(|u| (u.id, (u.name, u.role)))
            .collect();
    let mut out = Vec::with_capacity(rows.len());
    for case in rows {
        let Some(person) = persons.get(&case.user_id) else {
            continue;
        };
        // A manager's own case is for HR and admins to work, not theirs.
        if !scope.covers(person.department_id.as_deref())
            || (person.id == caller.id && caller.role < Role::Hr)
        {
            continue;
        }
        let department_path = person.department_id.as_deref().map(|d| scope.tree.path(d));
        out.push(CaseView {
            checkins: checkins.remove(&case.id).unwrap_or_default(),
            events: events.remove(&case.id).unwrap_or_default(),
            person: person.clone(),
            department_path,
            people: people.clone(),
            case,
        });
    }
    Ok(out)
}

/// A change as given: each part optional; `assignee_id: Some(None)` unassigns.
#[derive(Debug, Default)]
pub struct CaseChange {
    pub status: Option<String>,
    pub note: Option<String>,
    pub assignee_id: Option<Option<String>>,
}

/// Changes a case the caller may see: its status (open, contacted, cleared, and back), its
/// assignee (a manager, HR or an admin of the organization), a note; each a step of the
/// timeline, and the whole an audited change of the person's record.
pub fn update(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    id: &str,
    change: CaseChange,
    now: DateTime<Utc>,
) -> Result<CaseView, CaseError> {
    let at = db_time(now);
    conn.write_transaction(|conn| {
        let view = visible(conn, caller, id)?;
        let before = view.case.clone();
        let mut after = before.clone();
        let mut errors = FieldErrors::new();
        let mut steps = Vec::new();
        if let Some(status) = change.status.as_deref() {
            match read_status(status) {
                Ok(status) if status != before.status => {
                    steps.push(EventRow {
                        status: Some(status.clone()),
                        ..EventRow::new(&before, "status", Some(caller.id), at)
                    });
                    after.status = status;
                }
                Ok(_) => {}
                Err(problem) => {
                    errors.insert("status".into(), problem);
                }
            }
        }
        if let Some(assignee) = &change.assignee_id {
            match assignee {
                Some(assignee_id) => match assignable(conn, caller, assignee_id, &view.person)? {
                    true if before.assignee_id.as_deref() != Some(assignee_id) => {
                        steps.push(EventRow {
                            assignee_id: Some(assignee_id.clone()),
                            ..EventRow::new(&before, "assigned", Some(caller.id), at)
                        });
                        after.assignee_id = Some(assignee_id.clone());
                    }
                    true => {}
                    false => {
                        errors.insert(
                            "assignee_id".into(),
                            Problem::new(
                                "not_an_assignee",
                                "must be an active manager, HR or admin of the organization",
                            ),
                        );
                    }
                },
                None if before.assignee_id.is_some() => {
                    steps.push(EventRow::new(&before, "assigned", Some(caller.id), at));
                    after.assignee_id = None;
                }
                None => {}
            }
        }
        if let Some(note) = change
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            if note.chars().count() > MAX_NOTE_CHARS {
                errors.insert("note".into(), Problem::too_long(MAX_NOTE_CHARS));
            } else if note.chars().any(|c| c.is_control() && c != '\n') {
                errors.insert("note".into(), Problem::control_characters());
            } else {
                steps.push(EventRow {
                    note: Some(note.to_string()),
                    ..EventRow::new(&before, "note", Some(caller.id), at)
                });
            }
        }
        if !errors.is_empty() {
            return Err(CaseError::Invalid(errors));
        }
        if steps.is_empty() {
            return Ok(view);
        }
        after.updated_at = at;
        cases::save(conn, &after).map_err(|e| {
            if is_unique_violation(&e) {
                CaseError::AnotherOpen
            } else {
                CaseError::Db(e)
            }
        })?;
        for step in &steps {
            cases::add_event(conn, step)?;
        }
        let mut changes = Changes::default();
        changes.field("status", &before.status, &after.status);
        changes.field("assignee_id", &before.assignee_id, &after.assignee_id);
        let noted = steps.iter().any(|s| s.kind == "note");
        let entry = caller
            .change("cases.update", Target::person(&view.person), at)
            .with_changes(changes)
            .with_detail(json!({"case_id": before.id, "note_added": noted}));
        audit::record_change(conn, entry)?;
        visible(conn, caller, id)
    })
}

/// Whether `id` may be given the case of `person`: an active manager whose departments hold
/// the person, or an active HR or admin of the organization (never the person themselves).
fn assignable(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    id: &str,
    person: &UserRow,
) -> Result<bool, CaseError> {
    let Some(assignee) = users::find_in_org(conn, &caller.org.id, id)? else {
        return Ok(false);
    };
    let Ok(role) = assignee.role.parse::<Role>() else {
        return Ok(false);
    };
    if !assignee.active || role < Role::Manager || assignee.id == person.id {
        return Ok(false);
    }
    if role >= Role::Hr {
        return Ok(true);
    }
    let theirs = ReportScope::resolve(conn, &caller.org.id, &assignee.id, role, None)?;
    Ok(theirs.covers(person.department_id.as_deref()))
}
