//! Importing people from CSV: every line is checked first; any bad line means nothing is
//! written, and each bad line is named with its number and reason.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::departments::{self, DepartmentRow};
use crate::db::schema::users as users_table;
use crate::db::users::{self, UserRow};
use crate::db::{new_id, DbConn};
use crate::domain::department_tree::{parse_path, Node};
use crate::domain::{Email, Role};
use crate::invitations::Inviter;
use crate::people;
use crate::provisioning::clean_name;

pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;
pub const MAX_IMPORT_LINES: usize = 200_000;
const KNOWN_COLUMNS: [&str; 6] = [
    "email",
    "name",
    "employee_no",
    "department",
    "role",
    "manager_of",
];
/// E-mails per lookup query: under both databases' limits on bound parameters.
const LOOKUP_CHUNK: usize = 1_000;

#[derive(Clone, Debug, Serialize, ToSchema, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub departments_created: usize,
    pub dry_run: bool,
    pub errors: Vec<LineError>,
    /// Ids of the people created, for their invitations.
    #[serde(skip)]
    pub created_ids: Vec<String>,
}

/// The text of an uploaded file: UTF-8 with or without a byte-order mark.
pub fn decode(bytes: &[u8]) -> Result<&str, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => {
            let (_, _, had_errors) = encoding_rs::GBK.decode(bytes);
            if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
                Err("the file is UTF-16; save it as CSV UTF-8 and upload it again".into())
            } else if !had_errors {
                Err(
                    "the file is encoded as GBK (as Excel saves CSV on Chinese Windows); \
                     save it as \"CSV UTF-8\" and upload it again"
                        .into(),
                )
            } else {
                Err("the file is not UTF-8 text; save it as CSV UTF-8 and upload it again".into())
            }
        }
    }
}

/// One valid line, ready to write.
struct Planned {
    email: String,
    name: String,
    employee_no: Option<String>,
    role: Option<Role>,
    department: Option<Vec<String>>,
    manager_of: Option<Vec<Vec<String>>>,
}

pub fn import(
    conn: &mut DbConn,
    org_id: &str,
    text: &str,
    dry_run: bool,
    now: NaiveDateTime,
    inviter: Option<&Inviter<'_>>,
) -> anyhow::Result<ImportReport> {
    let mut report = ImportReport {
        dry_run,
        ..ImportReport::default()
    };
    let (columns, planned) = match parse(text) {
        Ok(parsed) => parsed,
        Err(errors) => {
            report.errors = errors;
            return Ok(report);
        }
    };
    conn.write_transaction(|conn| -> anyhow::Result<ImportReport> {
        let existing: HashMap<String, UserRow> = users::all_in_org(conn, org_id)?
            .into_iter()
            .map(|u| (u.email.clone(), u))
            .collect();
        let mut errors = check_against_stored(conn, &existing, &planned)?;
        let mut tree = departments::tree(conn, org_id)?;
        let mut new_departments = Vec::new();
        let mut resolve = |segments: &[String]| -> String {
            let mut parent: Option<String> = None;
            for segment in segments {
                let found = tree
                    .child_named(parent.as_deref(), segment)
                    .map(|n| n.id.clone());
                let id = found.unwrap_or_else(|| {
                    let node = Node {
                        id: new_id(),
                        parent_id: parent.clone(),
                        name: segment.clone(),
                    };
                    new_departments.push(node.clone());
                    let id = node.id.clone();
                    tree.insert(node);
                    id
                });
                parent = Some(id);
            }
            parent.unwrap_or_default()
        };

        let mut managed_now: HashMap<String, Vec<String>> = HashMap::new();
        for (department, user) in departments::managers(conn, org_id)? {
            managed_now.entry(user).or_default().push(department);
        }
        let mut to_insert = Vec::new();
        let mut to_update = Vec::new();
        let mut managers: Vec<(String, Vec<String>)> = Vec::new();
        for (line, plan) in &planned {
            let department_id = plan.department.as_deref().map(&mut resolve);
            let managed: Option<Vec<String>> = plan
                .manager_of
                .as_ref()
                .map(|paths| paths.iter().map(|p| resolve(p)).collect());
            let current = existing.get(&plan.email);
            let role = plan
                .role
                .or_else(|| current.and_then(|c| c.role.parse().ok()))
                .unwrap_or(if managed.as_ref().is_some_and(|m| !m.is_empty()) {
                    Role::Manager
                } else {
                    Role::Staff
                });
            if managed.as_ref().is_some_and(|m| !m.is_empty()) && role < Role::Manager {
                errors.push(LineError {
                    line: *line,
                    message: format!(
                        "role {role} cannot manage departments; use manager, hr or admin"
                    ),
                });
                continue;
            }
            let row = match current {
                Some(c) => UserRow {
                    name: plan.name.clone(),
                    employee_no: plan.employee_no.clone().or(c.employee_no.clone()),
                    role: role.as_str().into(),
                    department_id: department_id.or(c.department_id.clone()),
                    ..c.clone()
                },
                None => UserRow {
                    id: new_id(),
                    org_id: org_id.to_string(),
                    email: plan.email.clone(),
                    name: plan.name.clone(),
                    employee_no: plan.employee_no.clone(),
                    role: role.as_str().into(),
                    department_id,
                    password_hash: None,
                    token_version: 0,
                    active: true,
                    timezone: None,
                    locale: None,
                    created_at: now,
                    updated_at: now,
                    deactivated_at: None,
                },
            };
            let mut managers_changed = false;
            if let Some(mut m) = managed.filter(|_| columns.contains("manager_of")) {
                m.sort();
                m.dedup();
                let mut before = managed_now.get(&row.id).cloned().unwrap_or_default();
                before.sort();
                if m != before {
                    managers_changed = true;
                    managers.push((row.id.clone(), m));
                }
            }
            match current {
                None => to_insert.push(row),
                Some(c) if differs(c, &row) => to_update.push(UserRow {
                    updated_at: now,
                    ..row
                }),
                Some(_) if managers_changed => report.updated += 1,
                Some(_) => report.unchanged += 1,
            }
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            report.errors = errors;
            report.unchanged = 0;
            report.updated = 0;
            return Ok(report);
        }
        report.created = to_insert.len();
        report.updated += to_update.len();
        report.departments_created = new_departments.len();
        report.created_ids = to_insert.iter().map(|u| u.id.clone()).collect();
        if dry_run {
            return Ok(report);
        }
        for node in &new_departments {
            departments::insert(
                conn,
                &DepartmentRow {
                    id: node.id.clone(),
                    org_id: org_id.to_string(),
                    parent_id: node.parent_id.clone(),
                    name: node.name.clone(),
                    created_at: now,
                    updated_at: now,
                    archived_at: None,
                },
            )?;
        }
        users::insert_many(conn, &to_insert)?;
        if let Some(inviter) = inviter {
            for person in &to_insert {
                inviter.invite(conn, person, false)?;
            }
        }
        let mut moved = Vec::new();
        for row in &to_update {
            if let Some(before) = existing.get(&row.email) {
                users::save_without_recount(conn, before, row)?;
                if users::moved_or_activated(before, row) {
                    moved.push(row.id.clone());
                }
            }
        }
        let from = now.date() - chrono::Duration::days(1);
        users::recount_many_open_days(conn, org_id, &moved, from)?;
        for (user_id, department_ids) in &managers {
            departments::set_managed_by(conn, org_id, user_id, department_ids)?;
        }
        Ok(report)
    })
}

fn differs(a: &UserRow, b: &UserRow) -> bool {
    (&a.name, &a.employee_no, &a.role, &a.department_id)
        != (&b.name, &b.employee_no, &b.role, &b.department_id)
}

/// Problems only the database can reveal: e-mails of other organizations, employee numbers
/// already held by someone else.
fn check_against_stored(
    conn: &mut DbConn,
    existing: &HashMap<String, UserRow>,
    planned: &[(u64, Planned)],
) -> QueryResult<Vec<LineError>> {
    let mut errors = Vec::new();
    let outside: Vec<&str> = planned
        .iter()
        .map(|(_, p)| p.email.as_str())
        .filter(|e| !existing.contains_key(*e))
        .collect();
    let mut elsewhere = HashSet::new();
    for chunk in outside.chunks(LOOKUP_CHUNK) {
        let found: Vec<String> = users_table::table
            .filter(users_table::email.eq_any(chunk))
            .select(users_table::email)
            .load(conn)?;
        elsewhere.extend(found);
    }
    let holders: HashMap<&str, &str> = existing
        .values()
        .filter_map(|u| u.employee_no.as_deref().map(|n| (n, u.email.as_str())))
        .collect();
    for (line, plan) in planned {
        if elsewhere.contains(&plan.email) {
            errors.push(LineError {
                line: *line,
                message: format!("{} has an account in another organization", plan.email),
            });
        }
        if let Some(no) = &plan.employee_no {
            if let Some(holder) = holders.get(no.as_str()) {
                if *holder != plan.email {
                    errors.push(LineError {
                        line: *line,
                        message: format!("employee number {no} belongs to {holder}"),
                    });
                }
            }
        }
    }
    Ok(errors)
}

type Parsed = (HashSet<String>, Vec<(u64, Planned)>);

/// Reads and checks every line on its own; the header decides which columns count.
fn parse(text: &str) -> Result<Parsed, Vec<LineError>> {
    let fail = |line, message: String| vec![LineError { line, message }];
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| fail(1, format!("the header cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(fail(
            1,
            "the file is empty; the first line must be the header".into(),
        ));
    }
    let mut columns = HashSet::new();
    for name in &header {
        if !KNOWN_COLUMNS.contains(&name.as_str()) {
            return Err(fail(
                1,
                format!(
                    "unknown column `{name}`; the columns are {}",
                    KNOWN_COLUMNS.join(",")
                ),
            ));
        }
        if !columns.insert(name.clone()) {
            return Err(fail(1, format!("the column `{name}` appears twice")));
        }
    }
    for required in ["email", "name"] {
        if !columns.contains(required) {
            return Err(fail(1, format!("the header has no `{required}` column")));
        }
    }
    let index = |name: &str| header.iter().position(|h| h == name);
    let (email_i, name_i) = (index("email"), index("name"));
    let (no_i, department_i, role_i, manages_i) = (
        index("employee_no"),
        index("department"),
        index("role"),
        index("manager_of"),
    );

    let mut errors = Vec::new();
    let mut planned = Vec::new();
    let mut emails: HashMap<String, u64> = HashMap::new();
    let mut numbers: HashMap<String, u64> = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        if i >= MAX_IMPORT_LINES {
            return Err(fail(
                i as u64 + 2,
                format!("a file may have at most {MAX_IMPORT_LINES} lines"),
            ));
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(i as u64 + 2, |p| p.line());
                errors.push(LineError {
                    line,
                    message: format!("cannot be read: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(i as u64 + 2, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != header.len() {
            errors.push(LineError {
                line,
                message: format!(
                    "has {} fields; the header has {}",
                    record.len(),
                    header.len()
                ),
            });
            continue;
        }
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        let mut problems = Vec::new();
        let email = match Email::parse(cell(email_i)) {
            Ok(e) => Some(e.into_string()),
            Err(p) => {
                problems.push(format!("email {p}"));
                None
            }
        };
        if let Some(email) = &email {
            if let Some(first) = emails.insert(email.clone(), line) {
                problems.push(format!("the e-mail {email} is also on line {first}"));
            }
        }
        let name = clean_name(cell(name_i))
            .map_err(|p| problems.push(format!("name {p}")))
            .ok();
        let employee_no = people::employee_no(cell(no_i))
            .map_err(|p| problems.push(format!("employee_no {p}")))
            .ok()
            .flatten();
        if let Some(no) = &employee_no {
            if let Some(first) = numbers.insert(no.clone(), line) {
                problems.push(format!("the employee number {no} is also on line {first}"));
            }
        }
        let role = match cell(role_i) {
            "" => None,
            r => r
                .parse::<Role>()
                .map_err(|p| problems.push(format!("role {p}")))
                .ok(),
        };
        let department = match cell(department_i) {
            "" => None,
            path => parse_path(path).map_err(|p| problems.push(p)).ok(),
        };
        let manager_of = manages_i.map(|_| {
            cell(manages_i)
                .split(';')
                .filter(|p| !p.trim().is_empty())
                .filter_map(|p| {
                    parse_path(p)
                        .map_err(|e| problems.push(format!("manager_of: {e}")))
                        .ok()
                })
                .collect::<Vec<_>>()
        });
        match (email, name, problems.is_empty()) {
            (Some(email), Some(name), true) => planned.push((
                line,
                Planned {
                    email,
                    name,
                    employee_no,
                    role,
                    department,
                    manager_of,
                },
            )),
            _ => errors.push(LineError {
                line,
                message: problems.join("; "),
            }),
        }
    }
    if errors.is_empty() {
        Ok((columns, planned))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom_is_read() {
        assert_eq!(decode(b"email,name\n").unwrap(), "email,name\n");
        assert_eq!(decode(b"\xEF\xBB\xBFemail,name\n").unwrap(), "email,name\n");
    }

    #[test]
    fn gbk_is_named() {
        let (gbk, _, _) = encoding_rs::GBK.encode("email,name\nli@a.test,李雷\n");
        let err = decode(&gbk).unwrap_err();
        assert!(err.contains("GBK"), "{err}");
    }

    #[test]
    fn every_bad_line_is_named() {
        let text = "email,name,role,department\n\
                    a@x.test,A,staff,Sales\n\
                    not-an-email,B,staff,\n\
                    c@x.test,,boss,\n\
                    a@x.test,D,staff,Sales//East\n";
        let errors = match parse(text) {
            Err(e) => e,
            Ok(_) => panic!("should fail"),
        };
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(errors[1].message.contains("name") && errors[1].message.contains("role"));
        assert!(errors[2].message.contains("line 2"));
        assert!(errors[2].message.contains("empty part"));
    }

    #[test]
    fn header_problems_are_line_one() {
        for text in ["", "name\n", "email,name,shoe_size\n", "email,name,email\n"] {
            let errors = match parse(text) {
                Err(e) => e,
                Ok(_) => panic!("{text:?} should fail"),
            };
            assert_eq!(errors[0].line, 1, "{text:?}");
        }
    }
}
