//! What part of the organization a report, a list or an export covers: the caller's scope,
//! narrowed to a department when asked.

use std::collections::HashSet;

use crate::access::{scope_in, Scope};
use crate::db::{departments, DbConn};
use crate::domain::department_tree::DepartmentTree;
use crate::domain::Role;

use super::counts::ByDepartment;
use super::Counts;

#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("that department is outside the ones you can see")]
    OutsideScope,
    #[error("no such department")]
    UnknownDepartment,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// What the caller may see of the organization, narrowed to a department when asked.
pub struct ReportScope {
    pub tree: DepartmentTree,
    /// `None`: everything, people without a department included.
    pub departments: Option<HashSet<String>>,
}

/// The departments `user_id` in `role` may read (`None`: the whole organization, people
/// without a department included), narrowed to `department_id`'s subtree when given: one
/// answer for every list, report and export, an unknown department and one outside the
/// caller's alike.
pub fn visible_departments(
    conn: &mut DbConn,
    tree: &DepartmentTree,
    user_id: &str,
    role: Role,
    department_id: Option<&str>,
) -> Result<Option<HashSet<String>>, ScopeError> {
    let scope = scope_in(conn, tree, user_id, role)?;
    let scope = match department_id {
        Some(d) => scope.narrowed_to(tree, d).ok_or_else(|| {
            if tree.contains(d) {
                ScopeError::OutsideScope
            } else {
                ScopeError::UnknownDepartment
            }
        })?,
        None => scope,
    };
    Ok(match scope {
        Scope::Organization => None,
        Scope::Departments(ids) => Some(ids),
    })
}

impl ReportScope {
    /// What `user_id` in `role` may read, narrowed to `department_id` when given.
    pub fn resolve(
        conn: &mut DbConn,
        org_id: &str,
        user_id: &str,
        role: Role,
        department_id: Option<&str>,
    ) -> Result<Self, ScopeError> {
        let tree = departments::tree(conn, org_id)?;
        let departments = visible_departments(conn, &tree, user_id, role, department_id)?;
        Ok(Self { tree, departments })
    }

    pub fn covers(&self, department: Option<&str>) -> bool {
        crate::access::covers(self.departments.as_ref(), department)
    }

    pub fn total(&self, counts: &ByDepartment) -> Counts {
        let mut total = Counts::default();
        for (department, c) in counts {
            if self.covers(Some(department.as_str()).filter(|d| !d.is_empty())) {
                total.add(c);
            }
        }
        total
    }
}
