//! People: the rules of a person's fields, who may see whom, adding and changing people,
//! deactivating and reactivating them (with the counts of the days that change), their
//! leave, and the CSV import.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use crate::access::{scope_in, scope_of};
use crate::audit::{self, Changes, Target};
use crate::db::departments;
use crate::db::leaves;
use crate::db::organizations;
use crate::db::users::{self, PeopleFilter, UserRow};
use crate::db::{db_time, is_unique_violation, new_id, DbConn};
use crate::domain::day::parse_date;
use crate::domain::department_tree::DepartmentTree;
use crate::domain::{Email, Role};
use crate::import::{self, ImportReport, MAX_IMPORT_BYTES};
use crate::invitations::Links;
use crate::people;
use crate::problem::{FieldErrors, Problem};
use crate::provisioning::clean_name;
use crate::reports::scope::{visible_departments, ScopeError};
use crate::services::invitations::{self, InvitationError};

/// A leave record, as stored and as returned.
pub use crate::db::leaves::LeaveRow;

pub const MAX_LEAVE_DAYS: i64 = 366;
pub const MAX_NOTE_CHARS: usize = 500;

pub use super::Caller;

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("person not found")]
    NotFound,
    #[error("leave not found")]
    LeaveNotFound,
    #[error("some fields are not valid")]
    Invalid(FieldErrors),
    #[error("{0} already has an account")]
    EmailTaken(String),
    #[error("{}", .0.message)]
    EmployeeNoTaken(Problem),
    /// Another request took the e-mail or number between the check and the write.
    #[error("the e-mail or employee number is already in use")]
    AlreadyExists,
    #[error("you cannot take away your own admin role or deactivate yourself")]
    CannotDemoteSelf,
    #[error("you cannot deactivate yourself")]
    CannotDeactivateSelf,
    #[error("person {id}: stored role: {problem}")]
    StoredRole { id: String, problem: Problem },
    #[error(transparent)]
    Scope(#[from] ScopeError),
    #[error(transparent)]
    Invitation(#[from] InvitationError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// A person as a page shows them: where they are and what they manage.
pub struct Person {
    pub user: UserRow,
    pub department_path: Option<String>,
    /// The departments they manage directly, sorted.
    pub manages: Vec<String>,
}

/// What it takes to show people: paths and who manages what.
struct Directory {
    tree: DepartmentTree,
    managed: HashMap<String, Vec<String>>,
}

impl Directory {
    fn load(conn: &mut DbConn, org_id: &str) -> diesel::QueryResult<Self> {
        Ok(Self {
            tree: departments::tree(conn, org_id)?,
            managed: departments::managed_per_person(conn, org_id)?,
        })
    }

    /// What `departments::set_managed_by` just stored, without loading it again.
    fn set_managed(&mut self, user_id: &str, departments: &[String]) {
        self.managed
            .insert(user_id.to_string(), departments.to_vec());
    }

    /// The departments a person manages, sorted.
    fn person_manages(&self, user_id: &str) -> Vec<String> {
        let mut manages = self.managed.get(user_id).cloned().unwrap_or_default();
        manages.sort();
        manages
    }

    fn manages_any(&self, user_id: &str) -> bool {
        self.managed.get(user_id).is_some_and(|m| !m.is_empty())
    }

    fn person(&self, user: UserRow) -> Person {
        let manages = self.person_manages(&user.id);
        let department_path = user
            .department_id
            .as_deref()
            .filter(|d| self.tree.contains(d))
            .map(|d| self.tree.path(d));
        Person {
            user,
            department_path,
            manages,
        }
    }
}

/// The person with this id, when the caller may see them: anyone themselves, managers the
/// people of the departments they manage, hr and admins everyone.
fn visible_person(
    conn: &mut DbConn,
    tree: Option<&DepartmentTree>,
    caller: &Caller<'_>,
    id: &str,
) -> Result<UserRow, PeopleError> {
    let person = users::find_in_org(conn, &caller.org.id, id)?.ok_or(PeopleError::NotFound)?;
    if person.id == caller.id {
        return Ok(person);
    }
    let scope = match tree {
        Some(tree) => scope_in(conn, tree, caller.id, caller.role)?,
        None => scope_of(conn, &caller.org.id, caller.id, caller.role)?,
    };
    if caller.role >= Role::Manager && scope.covers_member_of(person.department_id.as_deref()) {
        Ok(person)
    } else {
        Err(PeopleError::NotFound)
    }
}

/// A person the caller may act for: themselves, or one in their departments (manager), or
/// anyone of the organization (HR, admin); anyone else is not found.
pub fn person_in_scope(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    id: &str,
) -> Result<UserRow, PeopleError> {
    visible_person(conn, None, caller, id)
}

fn find_person(conn: &mut DbConn, org_id: &str, id: &str) -> Result<UserRow, PeopleError> {
    users::find_in_org(conn, org_id, id)?.ok_or(PeopleError::NotFound)
}

/// One person the caller may see; a read of someone else is written to the audit log.
pub fn get(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Person, PeopleError> {
    let directory = Directory::load(conn, &caller.org.id)?;
    let person = visible_person(conn, Some(&directory.tree), caller, id)?;
    record_read(conn, caller, &person, "employees.get", json!({}), now)?;
    Ok(directory.person(person))
}

/// A read of one person's data by someone else: written to the audit log. Reading one's own
/// is not.
pub(crate) fn record_read(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    person: &UserRow,
    action: &'static str,
    detail: serde_json::Value,
    now: DateTime<Utc>,
) -> diesel::QueryResult<()> {
    if person.id == caller.id {
        return Ok(());
    }
    let reader = audit::Reader {
        org_id: &caller.org.id,
        user_id: caller.id,
    };
    audit::person_read(conn, reader, person, action, detail, db_time(now))
}

/// Which people a list holds by their state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateFilter {
    Active,
    Deactivated,
    All,
}

impl StateFilter {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        match raw {
            "true" => Ok(Self::Active),
            "false" => Ok(Self::Deactivated),
            "all" => Ok(Self::All),
            _ => Err(Problem::new("not_a_choice", "must be true, false or all")
                .with("choices", ["true", "false", "all"].to_vec())),
        }
    }

    /// As the query writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "true",
            Self::Deactivated => "false",
            Self::All => "all",
        }
    }
}

/// A page of the people list, as asked.
pub struct PeopleQuery {
    /// Part of a name, e-mail or employee number.
    pub text: Option<String>,
    /// Only this department and its sub-departments.
    pub department_id: Option<String>,
    pub role: Option<Role>,
    /// Active people when not given.
    pub state: Option<StateFilter>,
    pub page: i64,
    pub per_page: i64,
}

pub struct PeoplePage {
    pub people: Vec<Person>,
    pub total: i64,
}

/// One page of the people the caller may see; the read is written to the audit log.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    query: PeopleQuery,
    now: DateTime<Utc>,
) -> Result<PeoplePage, PeopleError> {
    let directory = Directory::load(conn, &caller.org.id)?;
    let departments = visible_departments(
        conn,
        &directory.tree,
        caller.id,
        caller.role,
        query.department_id.as_deref(),
    )?;
    let filter = PeopleFilter {
        org_id: caller.org.id.clone(),
        departments: departments
            .as_ref()
            .map(|ids| ids.iter().cloned().collect()),
        role: query.role.map(|r| r.as_str().to_string()),
        active: match query.state.unwrap_or(StateFilter::Active) {
            StateFilter::Active => Some(true),
            StateFilter::Deactivated => Some(false),
            StateFilter::All => None,
        },
        text: query.text,
    };
    let offset = (query.page - 1) * query.per_page;
    let (rows, total) = users::search(conn, &filter, offset, query.per_page)?;
    audit::record(
        conn,
        audit::Read {
            org_id: &filter.org_id,
            user_id: caller.id,
            action: "employees.list",
            scope: audit::scope_text(
                &directory.tree,
                departments.as_ref(),
                query.department_id.as_deref(),
            ),
            detail: serde_json::json!({
                "q": filter.text, "department_id": query.department_id,
                "role": filter.role, "active": query.state.map(StateFilter::as_str),
                "page": query.page, "per_page": query.per_page, "people": rows.len(),
            }),
            at: db_time(now),
            target: None,
        },
    )?;
    Ok(PeoplePage {
        people: rows.into_iter().map(|u| directory.person(u)).collect(),
        total,
    })
}

/// A new person, as given.
pub struct NewPerson {
    pub email: String,
    pub name: String,
    pub employee_no: Option<String>,
    /// `staff` when not given.
    pub role: Option<String>,
    pub department_id: Option<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub manager_of: Vec<String>,
}

/// A change to a person, as given: each field that is there changes; `Some(None)` clears.
#[derive(Default)]
pub struct PersonChange {
    pub email: Option<String>,
    pub name: Option<String>,
    pub employee_no: Option<Option<String>>,
    pub role: Option<String>,
    pub department_id: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    pub locale: Option<Option<String>>,
    pub manager_of: Option<Vec<String>>,
    /// `false` deactivates, `true` reactivates.
    pub active: Option<bool>,
}

/// A new person is a change to a blank one that gives every field.
impl From<NewPerson> for PersonChange {
    fn from(new: NewPerson) -> Self {
        Self {
            email: Some(new.email),
            name: Some(new.name),
            employee_no: Some(new.employee_no),
            role: Some(new.role.unwrap_or_else(|| Role::Staff.as_str().into())),
            department_id: Some(new.department_id),
            timezone: Some(new.timezone),
            locale: Some(new.locale),
            manager_of: Some(new.manager_of),
            active: None,
        }
    }
}

/// Every problem of a person's fields, collected.
struct Problems<'a> {
    fields: FieldErrors,
    tree: &'a DepartmentTree,
}

impl Problems<'_> {
    fn take<T>(&mut self, field: &str, result: Result<T, Problem>) -> Option<T> {
        result
            .map_err(|problem| {
                self.fields.insert(field.to_string(), problem);
            })
            .ok()
    }

    fn department(&mut self, id: String) -> Option<String> {
        if self.tree.contains(&id) {
            Some(id)
        } else {
            self.fields
                .insert("department_id".into(), Problem::unknown_department());
            None
        }
    }

    /// The departments to manage, sorted and without repeats.
    fn managed(&mut self, mut ids: Vec<String>, role: Role) -> Vec<String> {
        ids.sort();
        ids.dedup();
        if let Some(bad) = ids.iter().find(|d| !self.tree.contains(d)) {
            let problem =
                Problem::new("unknown_department", format!("`{bad}` is not a department"))
                    .with("value", bad.as_str());
            self.fields.insert("manager_of".into(), problem);
        } else if !ids.is_empty() && role < Role::Manager {
            let problem = Problem::new(
                "role_cannot_manage",
                "only a manager, hr or admin can manage departments",
            )
            .with("role", role.as_str());
            self.fields.insert("manager_of".into(), problem);
        }
        ids
    }
}

/// A person as a change would leave them.
struct Drafted {
    next: UserRow,
    role: Role,
    /// The departments they will manage, when the change says.
    manages: Option<Vec<String>>,
}

/// Applies `change` to `current`, checking every field; all problems are named at once.
fn draft(
    directory: &Directory,
    current: &UserRow,
    change: &PersonChange,
) -> Result<Drafted, PeopleError> {
    let mut problems = Problems {
        fields: FieldErrors::new(),
        tree: &directory.tree,
    };
    let mut next = current.clone();
    if let Some(e) = &change.email {
        if let Some(e) = problems.take("email", Email::parse(e)) {
            next.email = e.into_string();
        }
    }
    if let Some(n) = &change.name {
        if let Some(n) = problems.take("name", clean_name(n)) {
            next.name = n;
        }
    }
    if let Some(no) = &change.employee_no {
        let no = people::employee_no(no.as_deref().unwrap_or(""));
        if let Some(no) = problems.take("employee_no", no) {
            next.employee_no = no;
        }
    }
    let mut role = current
        .role
        .parse::<Role>()
        .map_err(|problem| PeopleError::StoredRole {
            id: current.id.clone(),
            problem,
        })?;
    if let Some(r) = &change.role {
        if let Some(r) = problems.take("role", Role::from_name(r)) {
            role = r;
            next.role = r.as_str().into();
        }
    }
    if let Some(d) = &change.department_id {
        next.department_id = match d {
            Some(d) => problems
                .department(d.clone())
                .or(current.department_id.clone()),
            None => None,
        };
    }
    if let Some(z) = &change.timezone {
        next.timezone = match z {
            Some(z) => problems
                .take("timezone", people::timezone(z))
                .map(|z| z.name().to_string()),
            None => None,
        };
    }
    if let Some(l) = &change.locale {
        next.locale = match l {
            Some(l) => problems.take("locale", people::locale(l)),
            None => None,
        };
    }
    let manages = change.manager_of.clone().map(|m| problems.managed(m, role));
    if manages.is_none() && role < Role::Manager && directory.manages_any(&current.id) {
        let problem = Problem::new(
            "manages_departments",
            "this person manages departments; remove them as manager first (manager_of: [])",
        );
        problems.fields.insert("role".into(), problem);
    }
    if !problems.fields.is_empty() {
        return Err(PeopleError::Invalid(problems.fields));
    }
    Ok(Drafted {
        next,
        role,
        manages,
    })
}

/// Nobody else has the person's e-mail (in any organization) or employee number (in theirs).
fn check_unique(conn: &mut DbConn, user: &UserRow) -> Result<(), PeopleError> {
    if let Some(other) = users::find_by_email(conn, &user.email)? {
        if other.id != user.id {
            return Err(PeopleError::EmailTaken(user.email.clone()));
        }
    }
    if let Some(no) = &user.employee_no {
        if let Some(other) = users::find_by_employee_no(conn, &user.org_id, no)? {
            if other.id != user.id {
                return Err(PeopleError::EmployeeNoTaken(people::employee_no_taken(
                    no,
                    &other.email,
                )));
            }
        }
    }
    Ok(())
}

fn already_exists(e: diesel::result::Error) -> PeopleError {
    if is_unique_violation(&e) {
        PeopleError::AlreadyExists
    } else {
        e.into()
    }
}

/// Adds a person of the caller's organization; with `invite`, they are mailed a link to set
/// their password.
pub fn create(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    new: NewPerson,
    invite: Option<Links<'_>>,
    now: DateTime<Utc>,
) -> Result<Person, PeopleError> {
    let change = PersonChange::from(new);
    conn.write_transaction(|conn| {
        let mut directory = Directory::load(conn, &caller.org.id)?;
        let blank = UserRow::new(
            &caller.org.id,
            String::new(),
            String::new(),
            Role::Staff,
            db_time(now),
        );
        let Drafted { next, manages, .. } = draft(&directory, &blank, &change)?;
        check_unique(conn, &next)?;
        users::insert(conn, &next).map_err(already_exists)?;
        let manages = manages.unwrap_or_default();
        departments::set_managed_by(conn, &caller.org.id, &next.id, &manages)?;
        directory.set_managed(&next.id, &manages);
        if let Some(links) = invite {
            invitations::send(conn, links, caller.org, &next, now)?;
        }
        let mut changes = audit::person_changes(None, &next);
        if !manages.is_empty() {
            changes.field("manager_of", None::<()>, &manages);
        }
        let entry = caller
            .change("employees.create", Target::person(&next), next.created_at)
            .with_changes(changes)
            .with_detail(json!({"invited": invite.is_some()}));
        audit::record_change(conn, entry)?;
        Ok(directory.person(next))
    })
}

/// Changes a person of the caller's organization; a move or a change of their active state
/// recounts the open days they have check-ins on.
pub fn update(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    id: &str,
    change: PersonChange,
    now: DateTime<Utc>,
) -> Result<Person, PeopleError> {
    let now = db_time(now);
    conn.write_transaction(|conn| {
        let current = find_person(conn, &caller.org.id, id)?;
        let mut directory = Directory::load(conn, &caller.org.id)?;
        let Drafted {
            mut next,
            role,
            manages,
        } = draft(&directory, &current, &change)?;
        if id == caller.id && (change.active == Some(false) || role < Role::Admin) {
            return Err(PeopleError::CannotDemoteSelf);
        }
        match change.active {
            Some(false) if current.active => deactivate_row(&mut next, now),
            Some(true) if !current.active => {
                next.active = true;
                next.deactivated_at = None;
            }
            _ => {}
        }
        next.updated_at = now;
        check_unique(conn, &next)?;
        users::save(conn, &current, &next).map_err(already_exists)?;
        let mut changes = audit::person_changes(Some(&current), &next);
        if let Some(manages) = manages {
            changes.field("manager_of", directory.person_manages(id), &manages);
            departments::set_managed_by(conn, &caller.org.id, id, &manages)?;
            directory.set_managed(id, &manages);
        }
        if !changes.is_empty() {
            let entry = caller
                .change("employees.update", Target::person(&next), now)
                .with_changes(changes);
            audit::record_change(conn, entry)?;
        }
        Ok(directory.person(next))
    })
}

/// Deactivation keeps the person and their history, and revokes every token they hold.
fn deactivate_row(user: &mut UserRow, now: chrono::NaiveDateTime) {
    user.active = false;
    user.deactivated_at = Some(now);
    user.token_version += 1;
}

/// Deactivates a person (never the caller): they can no longer log in, they manage nothing,
/// their history stays. Deactivating someone already deactivated changes nothing.
pub fn deactivate(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Person, PeopleError> {
    if id == caller.id {
        return Err(PeopleError::CannotDeactivateSelf);
    }
    let now = db_time(now);
    let org_id = &caller.org.id;
    conn.write_transaction(|conn| {
        let before = find_person(conn, org_id, id)?;
        let mut person = before.clone();
        if person.active {
            deactivate_row(&mut person, now);
            person.updated_at = now;
            users::save(conn, &before, &person)?;
            let mut changes = audit::person_changes(Some(&before), &person);
            let mut managed = departments::managed_by(conn, id)?;
            managed.sort();
            changes.field("manager_of", managed, Vec::<String>::new());
            departments::set_managed_by(conn, org_id, id, &[])?;
            let entry = caller
                .change("employees.deactivate", Target::person(&person), now)
                .with_changes(changes);
            audit::record_change(conn, entry)?;
        }
        Ok(Directory::load(conn, org_id)?.person(person))
    })
}

/// A person's leave, newest first, when the caller may see the person; a read of someone
/// else's is written to the audit log.
pub fn leave(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    person_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<LeaveRow>, PeopleError> {
    let person = visible_person(conn, None, caller, person_id)?;
    let leave = leaves::for_user(conn, &person.id)?;
    let detail = json!({"leave": leave.len()});
    record_read(conn, caller, &person, "leave.list", detail, now)?;
    Ok(leave)
}

/// Leave as checked: a range of at most `MAX_LEAVE_DAYS`, a kind, a note.
pub struct LeaveEntry {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: String,
    pub note: Option<String>,
}

impl LeaveEntry {
    /// Checks leave as given; every problem is named at once.
    pub fn parse(
        from: &str,
        to: &str,
        kind: &str,
        note: Option<String>,
    ) -> Result<Self, PeopleError> {
        let mut errors = FieldErrors::new();
        let mut day = |field: &str, raw: &str| {
            let parsed = parse_date(raw);
            if parsed.is_none() {
                errors.insert(field.into(), Problem::invalid_date());
            }
            parsed
        };
        let (from, to) = (day("from", from), day("to", to));
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                errors.insert(
                    "to".into(),
                    Problem::new("before_start", "must not be before `from`"),
                );
            } else if (to - from).num_days() >= MAX_LEAVE_DAYS {
                let problem = Problem::new(
                    "range_too_long",
                    format!("leave may cover at most {MAX_LEAVE_DAYS} days at once"),
                )
                .with("max_days", MAX_LEAVE_DAYS);
                errors.insert("to".into(), problem);
            }
        }
        let kind = people::leave_kind(kind)
            .map_err(|p| {
                errors.insert("kind".into(), p);
            })
            .unwrap_or_default();
        if let Some(note) = &note {
            if note.chars().count() > MAX_NOTE_CHARS {
                errors.insert("note".into(), Problem::too_long(MAX_NOTE_CHARS));
            } else if note
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
            {
                errors.insert("note".into(), Problem::control_characters());
            }
        }
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        match (from, to, errors.is_empty()) {
            (Some(from), Some(to), true) => Ok(Self {
                from,
                to,
                kind,
                note,
            }),
            _ => Err(PeopleError::Invalid(errors)),
        }
    }
}

/// Records leave for a person of the caller's organization; their check-ins of its open
/// days stop counting as expected.
pub fn add_leave(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    person_id: &str,
    entry: LeaveEntry,
    now: DateTime<Utc>,
) -> Result<LeaveRow, PeopleError> {
    conn.write_transaction(|conn| {
        let person = find_person(conn, &caller.org.id, person_id)?;
        let row = LeaveRow {
            id: new_id(),
            org_id: person.org_id.clone(),
            user_id: person.id.clone(),
            start_date: entry.from,
            end_date: entry.to,
            kind: entry.kind,
            note: entry.note,
            created_by: caller.id.to_string(),
            created_at: db_time(now),
        };
        leaves::insert(conn, &row)?;
        let changes = leave_changes((None, None), (Some(row.start_date), Some(row.end_date)));
        let entry = caller
            .change("leave.add", Target::person(&person), row.created_at)
            .with_changes(changes)
            .with_detail(json!({"leave_id": row.id}));
        audit::record_change(conn, entry)?;
        Ok(row)
    })
}

/// Removes a person's leave; their check-ins of its open days count as expected again.
pub fn delete_leave(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    person_id: &str,
    leave_id: &str,
    now: DateTime<Utc>,
) -> Result<(), PeopleError> {
    conn.write_transaction(|conn| {
        let (from, to) = leaves::delete(conn, &caller.org.id, person_id, leave_id)?
            .ok_or(PeopleError::LeaveNotFound)?;
        let person = find_person(conn, &caller.org.id, person_id)?;
        let changes = leave_changes((Some(from), Some(to)), (None, None));
        let entry = caller
            .change("leave.delete", Target::person(&person), db_time(now))
            .with_changes(changes)
            .with_detail(json!({"leave_id": leave_id}));
        audit::record_change(conn, entry)?;
        Ok(())
    })
}

/// A leave's days before and after a change. What it is for and its note are health data
/// and are never written to the audit log.
fn leave_changes(
    before: (Option<NaiveDate>, Option<NaiveDate>),
    after: (Option<NaiveDate>, Option<NaiveDate>),
) -> Changes {
    let mut changes = Changes::default();
    changes.field("from", before.0, after.0);
    changes.field("to", before.1, after.1);
    changes
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not text the import reads: its encoding, named.
    #[error("{0}")]
    Unreadable(Problem),
    #[error("the file is larger than {} MiB", MAX_IMPORT_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("no organization with the id {0}")]
    UnknownOrganization(String),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

pub struct ImportOptions {
    /// Check and count, write nothing.
    pub dry_run: bool,
    /// Mail the people created an invitation.
    pub invite: bool,
}

/// The text of an import file as uploaded or read from disk.
pub fn read_import(bytes: Vec<u8>) -> Result<String, ImportError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge);
    }
    import::decode(bytes).map_err(ImportError::Unreadable)
}

/// Imports people into an organization from the command line, all or nothing: a report with
/// no `errors` was written (unless a dry run), one with errors was not. Its changes are in
/// the audit log without an actor.
pub fn import(
    conn: &mut DbConn,
    org_id: &str,
    text: &str,
    options: ImportOptions,
    links: Links<'_>,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    import_into(conn, (org_id, None), text, options, links, now)
}

/// `import` into the caller's organization, with the caller as the actor of its changes.
pub fn import_by(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    text: &str,
    options: ImportOptions,
    links: Links<'_>,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    import_into(
        conn,
        (&caller.org.id, Some(caller.id)),
        text,
        options,
        links,
        now,
    )
}

fn import_into(
    conn: &mut DbConn,
    (org_id, actor): (&str, Option<&str>),
    text: &str,
    options: ImportOptions,
    links: Links<'_>,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let org = organizations::find(conn, org_id)
        .map_err(anyhow::Error::from)?
        .ok_or_else(|| ImportError::UnknownOrganization(org_id.to_string()))?;
    let inviter = options.invite.then(|| links.inviter(&org, now));
    let run = import::Run {
        org_id: &org.id,
        actor,
        dry_run: options.dry_run,
        now: db_time(now),
    };
    Ok(import::import(conn, &run, text, inviter.as_ref())?)
}
