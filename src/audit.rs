//! The audit log's writer: who read lists of people, a person's record or leave, and
//! exports, what, in which part of the organization and when; and who changed people, roles,
//! e-mails, departments, managers, leave and settings, with each changed field before and
//! after. Every path that reads individual-level data or makes such a change calls it, a
//! change inside the transaction that makes it. Health values (check-in answers, what a leave
//! is for, its note) are never written here.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::db::audit::{self, AuditRow};
use crate::db::departments::DepartmentRow;
use crate::db::organizations::OrganizationRow;
use crate::db::users::UserRow;
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
    /// The one person read, for a read of one person's data.
    pub target: Option<Target<'a>>,
}

pub fn record(conn: &mut DbConn, read: Read<'_>) -> QueryResult<()> {
    audit::insert(
        conn,
        &AuditRow {
            id: new_id(),
            org_id: read.org_id.to_string(),
            user_id: Some(read.user_id.to_string()),
            action: read.action.to_string(),
            scope: read.scope,
            detail: read.detail.to_string(),
            created_at: read.at,
            target_kind: read.target.map(|t| t.kind.as_str().to_string()),
            target_id: read.target.map(|t| t.id.to_string()),
            target_name: read.target.map(|t| t.name.to_string()),
            changes: None,
        },
    )?;
    Ok(())
}

/// What one person's read or a change was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Person,
    Department,
    Organization,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Department => "department",
            Self::Organization => "organization",
        }
    }
}

/// A person, department or organization, named as it is when the entry is written.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub kind: TargetKind,
    pub id: &'a str,
    pub name: &'a str,
}

impl<'a> Target<'a> {
    pub fn person(user: &'a UserRow) -> Self {
        Self {
            kind: TargetKind::Person,
            id: &user.id,
            name: &user.name,
        }
    }

    pub fn department(row: &'a DepartmentRow) -> Self {
        Self {
            kind: TargetKind::Department,
            id: &row.id,
            name: &row.name,
        }
    }

    pub fn organization(org: &'a OrganizationRow) -> Self {
        Self {
            kind: TargetKind::Organization,
            id: &org.id,
            name: &org.name,
        }
    }
}

/// The fields a change changed, each as `{"before": …, "after": …}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes(Map<String, Value>);

impl Changes {
    /// `field` went from `before` to `after`; kept only when the two differ.
    pub fn field(&mut self, field: &str, before: impl Serialize, after: impl Serialize) {
        let before = serde_json::to_value(before).unwrap_or(Value::Null);
        let after = serde_json::to_value(after).unwrap_or(Value::Null);
        if before != after {
            let change = Map::from_iter([("before".into(), before), ("after".into(), after)]);
            self.0.insert(field.to_string(), Value::Object(change));
        }
    }

    /// Every field of two objects (settings as stored) that differs.
    pub fn fields_of(&mut self, before: &Map<String, Value>, after: &Map<String, Value>) {
        let names: std::collections::BTreeSet<&String> =
            before.keys().chain(after.keys()).collect();
        for name in names {
            self.field(name, before.get(name), after.get(name));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What changed in a person (`before` is `None` for a new one).
pub fn person_changes(before: Option<&UserRow>, after: &UserRow) -> Changes {
    let mut changes = Changes::default();
    let before = before.map(person_fields);
    for (i, (field, value)) in person_fields(after).into_iter().enumerate() {
        let was = before.as_ref().map_or(Value::Null, |b| b[i].1.clone());
        changes.field(field, was, value);
    }
    changes
}

/// A person's fields as the log names them; never their password, tokens or links.
fn person_fields(u: &UserRow) -> [(&'static str, Value); 8] {
    [
        ("email", u.email.as_str().into()),
        ("name", u.name.as_str().into()),
        ("employee_no", u.employee_no.as_deref().into()),
        ("role", u.role.as_str().into()),
        ("department_id", u.department_id.as_deref().into()),
        ("timezone", u.timezone.as_deref().into()),
        ("locale", u.locale.as_deref().into()),
        ("active", u.active.into()),
    ]
}

/// One change to a person, a department or the organization.
pub struct Change<'a> {
    pub org_id: &'a str,
    /// Who made it: none for the command line or an anonymous request.
    pub actor: Option<&'a str>,
    /// e.g. `employees.update`, `departments.create`, `organization.update`.
    pub action: &'static str,
    pub target: Target<'a>,
    pub changes: Changes,
    /// What else tells what happened, e.g. the import and line it came from; `{}` if nothing.
    pub detail: Value,
    pub at: NaiveDateTime,
}

impl<'a> Change<'a> {
    /// A change by `actor` with no field named yet and nothing more to tell.
    pub fn new(
        org_id: &'a str,
        actor: Option<&'a str>,
        action: &'static str,
        target: Target<'a>,
        at: NaiveDateTime,
    ) -> Self {
        Self {
            org_id,
            actor,
            action,
            target,
            changes: Changes::default(),
            detail: Value::Object(Map::new()),
            at,
        }
    }

    pub fn with_changes(self, changes: Changes) -> Self {
        Self { changes, ..self }
    }

    pub fn with_detail(self, detail: Value) -> Self {
        Self { detail, ..self }
    }

    pub fn into_row(self) -> AuditRow {
        AuditRow {
            id: new_id(),
            org_id: self.org_id.to_string(),
            user_id: self.actor.map(str::to_string),
            action: self.action.to_string(),
            scope: ORGANIZATION.to_string(),
            detail: self.detail.to_string(),
            created_at: self.at,
            target_kind: Some(self.target.kind.as_str().to_string()),
            target_id: Some(self.target.id.to_string()),
            target_name: Some(self.target.name.to_string()),
            changes: Some(Value::Object(self.changes.0).to_string()),
        }
    }
}

/// Writes a change; call it in the transaction that makes the change.
pub fn record_change(conn: &mut DbConn, change: Change<'_>) -> QueryResult<()> {
    audit::insert(conn, &change.into_row())?;
    Ok(())
}

/// Writes many changes at once (an import's).
pub fn record_changes(conn: &mut DbConn, rows: &[AuditRow]) -> QueryResult<()> {
    audit::insert_many(conn, rows)
}

/// A read of one person's data (their record, their leave) by someone other than themselves;
/// the scope is the person's department.
pub fn person_read(
    conn: &mut DbConn,
    reader: Reader<'_>,
    person: &UserRow,
    action: &'static str,
    detail: Value,
    at: NaiveDateTime,
) -> QueryResult<()> {
    let scope = person.department_id.as_deref().unwrap_or(ORGANIZATION);
    let read = reader.read(action, scope.to_string(), detail, at);
    let target = Some(Target::person(person));
    record(conn, Read { target, ..read })
}

/// Who read, and in which organization.
pub struct Reader<'a> {
    pub org_id: &'a str,
    pub user_id: &'a str,
}

impl<'a> Reader<'a> {
    /// A read by this reader of `scope`, about no one person.
    fn read(
        self,
        action: &'static str,
        scope: String,
        detail: Value,
        at: NaiveDateTime,
    ) -> Read<'a> {
        Read {
            org_id: self.org_id,
            user_id: self.user_id,
            action,
            scope,
            detail,
            at,
            target: None,
        }
    }
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
    let scope = scope_text(&scope.tree, scope.departments.as_ref(), department_id);
    record(conn, reader.read(action, scope, detail, at))
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
