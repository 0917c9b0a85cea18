//! What part of the organization a person may read: all of it (hr, admin), the subtrees of
//! the departments they manage (manager), or only themselves (staff).

use std::collections::HashSet;

use diesel::QueryResult;

use crate::db::{departments, DbConn};
use crate::domain::department_tree::DepartmentTree;
use crate::domain::Role;

/// Whether a person in `department` falls within `departments` (`None`: the whole
/// organization, people without a department included).
pub fn covers(departments: Option<&HashSet<String>>, department: Option<&str>) -> bool {
    match departments {
        None => true,
        Some(ids) => department.is_some_and(|d| ids.contains(d)),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Organization,
    Departments(HashSet<String>),
}

impl Scope {
    pub fn covers_department(&self, department_id: &str) -> bool {
        match self {
            Scope::Organization => true,
            Scope::Departments(ids) => ids.contains(department_id),
        }
    }

    /// A person without a department is visible to the whole-organization roles only.
    pub fn covers_member_of(&self, department_id: Option<&str>) -> bool {
        match (self, department_id) {
            (Scope::Organization, _) => true,
            (Scope::Departments(ids), Some(d)) => ids.contains(d),
            (Scope::Departments(_), None) => false,
        }
    }

    /// Narrows the scope to one department's subtree; `None` when it lies outside.
    pub fn narrowed_to(&self, tree: &DepartmentTree, department_id: &str) -> Option<Scope> {
        if !tree.contains(department_id) || !self.covers_department(department_id) {
            return None;
        }
        Some(Scope::Departments(tree.subtree(department_id)))
    }
}

pub fn scope_of(conn: &mut DbConn, org_id: &str, user_id: &str, role: Role) -> QueryResult<Scope> {
    match role {
        Role::Manager => {
            let tree = departments::tree(conn, org_id)?;
            scope_in(conn, &tree, user_id, role)
        }
        _ => scope_in(conn, &DepartmentTree::default(), user_id, role),
    }
}

/// `scope_of` for a caller that has loaded the organization's tree already.
pub fn scope_in(
    conn: &mut DbConn,
    tree: &DepartmentTree,
    user_id: &str,
    role: Role,
) -> QueryResult<Scope> {
    match role {
        Role::Hr | Role::Admin => Ok(Scope::Organization),
        Role::Staff => Ok(Scope::Departments(HashSet::new())),
        Role::Manager => {
            let mut ids = HashSet::new();
            for root in departments::managed_by(conn, user_id)? {
                ids.extend(tree.subtree(&root));
            }
            Ok(Scope::Departments(ids))
        }
    }
}
