//! The audit log's writer: who read lists of people and exports, what, in which part of the
//! organization and when. Every path that reads individual-level data calls it.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde_json::Value;

use crate::db::audit::{self, AuditRow};
use crate::db::{new_id, DbConn};
use crate::domain::department_tree::DepartmentTree;
use crate::reports::scope::ReportScope;

/// The `scope` of an entry for a whole organization.
pub const ORGANIZATION: &str = "organization";

/// What an entry says about the part of the organization that was read: the department
/// asked for; `organization`; or, for a manager who asked for none, the departments they
/// manage (the tops of their subtrees), comma-separated.
pub fn scope_text(
    tree: &DepartmentTree,
    departments: Option<&HashSet<String>>,
    department_id: Option<&str>,
) -> String {
    if let Some(d) = department_id {
        return d.to_string();
    }
    let Some(ids) = departments else {
        return ORGANIZATION.to_string();
    };
    let mut tops: Vec<&str> = ids
        .iter()
        .filter(|id| {
            tree.get(id)
                .and_then(|n| n.parent_id.as_deref())
                .is_none_or(|parent| !ids.contains(parent))
        })
        .map(String::as_str)
        .collect();
    tops.sort_unstable();
    tops.join(",")
}

/// One read of individual-level data.
pub struct Read<'a> {
    pub org_id: &'a str,
    pub user_id: &'a str,
    /// e.g. `reports.unreported`, `exports.csv`, `employees.list`.
    pub action: &'static str,
    pub scope: String,
    /// The request's parameters.
    pub detail: Value,
    pub at: NaiveDateTime,
}

pub fn record(conn: &mut DbConn, read: Read<'_>) -> QueryResult<()> {
    audit::insert(
        conn,
        &AuditRow {
            id: new_id(),
            org_id: read.org_id.to_string(),
            user_id: read.user_id.to_string(),
            action: read.action.to_string(),
            scope: read.scope,
            detail: read.detail.to_string(),
            created_at: read.at,
        },
    )?;
    Ok(())
}

/// Who read through a report's scope.
pub struct Reader<'a> {
    pub org_id: &'a str,
    pub user_id: &'a str,
}

/// A read through a report's scope.
pub fn report_read(
    conn: &mut DbConn,
    reader: Reader<'_>,
    scope: &ReportScope,
    department_id: Option<&str>,
    action: &'static str,
    detail: Value,
    at: NaiveDateTime,
) -> QueryResult<()> {
    record(
        conn,
        Read {
            org_id: reader.org_id,
            user_id: reader.user_id,
            action,
            scope: scope_text(&scope.tree, scope.departments.as_ref(), department_id),
            detail,
            at,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::department_tree::Node;

    #[test]
    fn a_managers_scope_names_the_tops_of_their_subtrees() {
        let node = |id: &str, parent: Option<&str>| Node {
            id: id.into(),
            parent_id: parent.map(str::to_string),
            name: id.into(),
        };
        let tree = DepartmentTree::new([
            node("sales", None),
            node("east", Some("sales")),
            node("ops", None),
            node("night", Some("ops")),
        ]);
        let ids: HashSet<String> = ["sales", "east", "night"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(scope_text(&tree, Some(&ids), None), "night,sales");
        assert_eq!(scope_text(&tree, Some(&ids), Some("east")), "east");
        assert_eq!(scope_text(&tree, None, None), ORGANIZATION);
    }
}
