//! The department tree: what a caller may see of it, and its changes by an admin (a name that
//! fits in a path, a place that keeps the tree a tree and not too deep, managers who may
//! manage, deletion only of an empty department).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::access::scope_in;
use crate::audit::{self, Changes, Target};
use crate::db::departments::{self, DepartmentRow};
use crate::db::{db_time, new_id, users, DbConn};
use crate::domain::department_tree::{DepartmentTree, MAX_DEPTH, MAX_SEGMENT_CHARS};
use crate::domain::Role;
use crate::problem::Problem;
use crate::provisioning::clean_name;
use crate::services::Caller;

#[derive(Debug, thiserror::Error)]
pub enum DepartmentError {
    #[error("department not found")]
    NotFound,
    /// What `clean_name` finds wrong with a name.
    #[error("{0}")]
    InvalidName(Problem),
    #[error("must not contain `/` (it separates levels in paths)")]
    SlashInName,
    #[error("must be at most {0} characters")]
    NameTooLong(usize),
    #[error("no such department")]
    UnknownParent,
    #[error("a department cannot move under itself or one of its sub-departments")]
    Cycle,
    #[error("the tree may be at most {0} levels deep")]
    TooDeep(usize),
    /// `parent` is the parent's path, or "the top level".
    #[error("`{parent}` already has a department named {name}")]
    NameTaken { parent: String, name: String },
    #[error("{email} has the staff role; make them a manager first")]
    NotAManager { email: String },
    #[error("`{0}` is not an active person of this organization")]
    NotAnActivePerson(String),
    #[error("{name} has {members} active people; move them to another department first")]
    HasPeople { name: String, members: i64 },
    #[error("{name} has sub-departments; move or delete them first")]
    HasSubDepartments { name: String },
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// A department with its place in the tree, its managers and its people.
pub struct Department {
    pub row: DepartmentRow,
    /// Names from the root, joined by `/`.
    pub path: String,
    /// Sorted.
    pub manager_ids: Vec<String>,
    /// Active people directly in this department.
    pub member_count: i64,
}

/// The departments the caller may see (managers: their subtrees), sorted by path.
pub fn list(
    conn: &mut DbConn,
    org_id: &str,
    user_id: &str,
    role: Role,
) -> Result<Vec<Department>, DepartmentError> {
    let snap = Snapshot::load(conn, org_id)?;
    let scope = scope_in(conn, &snap.tree, user_id, role)?;
    let mut seen: Vec<Department> = snap
        .rows
        .iter()
        .filter(|d| scope.covers_department(&d.id))
        .map(|d| snap.describe(d))
        .collect();
    seen.sort_by_key(|d| d.path.to_lowercase());
    Ok(seen)
}

/// One department the caller may see; one outside their scope is not found.
pub fn get(
    conn: &mut DbConn,
    org_id: &str,
    user_id: &str,
    role: Role,
    id: &str,
) -> Result<Department, DepartmentError> {
    let snap = Snapshot::load(conn, org_id)?;
    let scope = scope_in(conn, &snap.tree, user_id, role)?;
    snap.rows
        .iter()
        .find(|d| d.id == id && scope.covers_department(&d.id))
        .map(|d| snap.describe(d))
        .ok_or(DepartmentError::NotFound)
}

/// A department as given for a new one: its name, where it goes, its managers.
pub struct NewDepartment {
    pub name: String,
    pub parent_id: Option<String>,
    pub manager_ids: Vec<String>,
}

/// A change to a department: a field left out (`None`) keeps its value; `parent_id:
/// Some(None)` moves it to the top level.
pub struct DepartmentChange {
    pub name: Option<String>,
    pub parent_id: Option<Option<String>>,
    pub manager_ids: Option<Vec<String>>,
}

/// A department's fields and managers as the audit log names them (none for no department).
fn department_changes(
    before: Option<(&DepartmentRow, &[String])>,
    after: Option<(&DepartmentRow, &[String])>,
) -> Changes {
    let mut changes = Changes::default();
    let name = |d: Option<(&DepartmentRow, &[String])>| d.map(|(row, _)| row.name.clone());
    let parent =
        |d: Option<(&DepartmentRow, &[String])>| d.and_then(|(row, _)| row.parent_id.clone());
    let managers =
        |d: Option<(&DepartmentRow, &[String])>| d.map(|(_, m)| m.to_vec()).unwrap_or_default();
    changes.field("name", name(before), name(after));
    changes.field("parent_id", parent(before), parent(after));
    changes.field("manager_ids", managers(before), managers(after));
    changes
}

/// A new department under `parent_id` (or at the top level), with its managers.
pub fn create(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    new: NewDepartment,
    now: DateTime<Utc>,
) -> Result<Department, DepartmentError> {
    let name = department_name(&new.name)?;
    let org_id = &caller.org.id;
    let now = db_time(now);
    conn.write_transaction(|conn| {
        let tree = departments::tree(conn, org_id)?;
        check_placement(&tree, None, &name, new.parent_id.as_deref())?;
        check_managers(conn, org_id, &new.manager_ids)?;
        let row = DepartmentRow {
            id: new_id(),
            org_id: org_id.to_string(),
            parent_id: new.parent_id,
            name,
            created_at: now,
            updated_at: now,
            archived_at: None,
        };
        departments::insert(conn, &row)?;
        let managers = dedup(new.manager_ids);
        departments::set_managers(conn, org_id, &row.id, &managers)?;
        let changes = department_changes(None, Some((&row, &managers)));
        audit::record_change(
            conn,
            caller
                .change("departments.create", Target::department(&row), now)
                .with_changes(changes),
        )?;
        Ok(Snapshot::load(conn, org_id)?.describe(&row))
    })
}

/// Renames, moves or changes the managers of a department.
pub fn update(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    id: &str,
    change: DepartmentChange,
    now: DateTime<Utc>,
) -> Result<Department, DepartmentError> {
    let name = change.name.as_deref().map(department_name).transpose()?;
    let org_id = &caller.org.id;
    let now = db_time(now);
    conn.write_transaction(|conn| {
        let current = departments::find(conn, org_id, id)?.ok_or(DepartmentError::NotFound)?;
        let tree = departments::tree(conn, org_id)?;
        let next = DepartmentRow {
            name: name.unwrap_or_else(|| current.name.clone()),
            parent_id: change
                .parent_id
                .unwrap_or_else(|| current.parent_id.clone()),
            updated_at: now,
            ..current.clone()
        };
        check_placement(&tree, Some(id), &next.name, next.parent_id.as_deref())?;
        departments::update(conn, id, &next.name, next.parent_id.as_deref(), now)?;
        let managers_before = dedup(departments::managers_of(conn, id)?);
        let managers = match change.manager_ids {
            Some(managers) => {
                check_managers(conn, org_id, &managers)?;
                let managers = dedup(managers);
                departments::set_managers(conn, org_id, id, &managers)?;
                managers
            }
            None => managers_before.clone(),
        };
        let changes =
            department_changes(Some((&current, &managers_before)), Some((&next, &managers)));
        if !changes.is_empty() {
            audit::record_change(
                conn,
                caller
                    .change("departments.update", Target::department(&next), now)
                    .with_changes(changes),
            )?;
        }
        let snap = Snapshot::load(conn, org_id)?;
        snap.rows
            .iter()
            .find(|d| d.id == id)
            .map(|d| snap.describe(d))
            .ok_or(DepartmentError::NotFound)
    })
}

/// Deletes a department without people or sub-departments; its history stays.
pub fn delete(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), DepartmentError> {
    let org_id = &caller.org.id;
    let now = db_time(now);
    conn.write_transaction(|conn| {
        let department = departments::find(conn, org_id, id)?.ok_or(DepartmentError::NotFound)?;
        let members = departments::member_count(conn, id)?;
        if members > 0 {
            return Err(DepartmentError::HasPeople {
                name: department.name,
                members,
            });
        }
        let tree = departments::tree(conn, org_id)?;
        if tree.children_of(Some(id)).next().is_some() {
            return Err(DepartmentError::HasSubDepartments {
                name: department.name,
            });
        }
        let managers = dedup(departments::managers_of(conn, id)?);
        departments::archive(conn, id, now)?;
        let changes = department_changes(Some((&department, &managers)), None);
        audit::record_change(
            conn,
            caller
                .change("departments.delete", Target::department(&department), now)
                .with_changes(changes),
        )?;
        Ok(())
    })
}

/// The organization's departments with their managers and people, read once.
struct Snapshot {
    rows: Vec<DepartmentRow>,
    tree: DepartmentTree,
    managers: HashMap<String, Vec<String>>,
    members: HashMap<String, i64>,
}

impl Snapshot {
    fn load(conn: &mut DbConn, org_id: &str) -> Result<Self, DepartmentError> {
        let rows = departments::list(conn, org_id)?;
        let tree = departments::tree_of(&rows);
        let mut managers: HashMap<String, Vec<String>> = HashMap::new();
        for (department, user) in departments::managers(conn, org_id)? {
            managers.entry(department).or_default().push(user);
        }
        let members = users::members_per_department(conn, org_id)?
            .into_iter()
            .collect();
        Ok(Self {
            rows,
            tree,
            managers,
            members,
        })
    }

    fn describe(&self, row: &DepartmentRow) -> Department {
        let mut manager_ids = self.managers.get(&row.id).cloned().unwrap_or_default();
        manager_ids.sort();
        Department {
            row: row.clone(),
            path: self.tree.path(&row.id),
            manager_ids,
            member_count: self.members.get(&row.id).copied().unwrap_or(0),
        }
    }
}

/// A name that is one level of a path: `/` separates levels.
fn department_name(raw: &str) -> Result<String, DepartmentError> {
    let name = clean_name(raw).map_err(DepartmentError::InvalidName)?;
    if name.contains('/') {
        return Err(DepartmentError::SlashInName);
    }
    if raw.chars().count() > MAX_SEGMENT_CHARS {
        return Err(DepartmentError::NameTooLong(MAX_SEGMENT_CHARS));
    }
    Ok(name)
}

/// Managers must be active people of the organization who may manage.
fn check_managers(conn: &mut DbConn, org_id: &str, ids: &[String]) -> Result<(), DepartmentError> {
    for id in ids {
        // Not an id at all: not worth a query (and PostgreSQL refuses text with a NUL).
        let found = if id.is_empty() || id.chars().any(char::is_control) {
            None
        } else {
            users::find_in_org(conn, org_id, id)?
        };
        match found {
            Some(u) if u.active && u.role.parse::<Role>().is_ok_and(|r| r >= Role::Manager) => {}
            Some(u) if u.active => return Err(DepartmentError::NotAManager { email: u.email }),
            _ => return Err(DepartmentError::NotAnActivePerson(id.clone())),
        }
    }
    Ok(())
}

/// `id` (none for a new department) named `name` may sit under `parent`: the parent exists,
/// is not the department or below it, the tree stays shallow enough and no sibling has the
/// name.
fn check_placement(
    tree: &DepartmentTree,
    id: Option<&str>,
    name: &str,
    parent: Option<&str>,
) -> Result<(), DepartmentError> {
    if let Some(parent) = parent {
        if !tree.contains(parent) {
            return Err(DepartmentError::UnknownParent);
        }
        if id.is_some_and(|id| tree.would_cycle(id, parent)) {
            return Err(DepartmentError::Cycle);
        }
    }
    let depth = parent.map_or(0, |p| tree.depth(p)) + id.map_or(1, |i| tree.height(i));
    if depth > MAX_DEPTH {
        return Err(DepartmentError::TooDeep(MAX_DEPTH));
    }
    if let Some(sibling) = tree.child_named(parent, name) {
        if Some(sibling.id.as_str()) != id {
            return Err(DepartmentError::NameTaken {
                parent: parent.map_or("the top level".to_string(), |p| tree.path(p)),
                name: name.to_string(),
            });
        }
    }
    Ok(())
}

fn dedup(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids.dedup();
    ids
}
