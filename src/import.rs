//! Importing people from CSV: every line is checked first; any bad line means nothing is
//! written, and each bad line is named with its number and reason.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::audit::{self, Change, Changes, Target, TargetKind};
use crate::db::departments::{self, DepartmentRow};
use crate::db::users::{self, UserRow};
use crate::db::{new_id, DbConn};
use crate::domain::department_tree::{parse_path, Node};
use crate::domain::{Email, Role};
use crate::invitations::Inviter;
use crate::people;
use crate::problem::Problem;
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

/// A bad line: its number, what is wrong in English, and the same as codes with their
/// parameters for a page to say in its own words.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq)]
pub struct LineError {
    pub line: u64,
    /// Every problem of the line in English, `; ` between them.
    pub message: String,
    /// The line's problem, e.g. `invalid_email`; `several_problems` when it has more than
    /// one, each of them in `problems`.
    #[schema(value_type = String)]
    pub code: &'static str,
    /// What the code needs, e.g. `{"value": "boss", "choices": [...]}`; for
    /// `several_problems`, `{"count": 2}`.
    #[schema(value_type = Object)]
    pub params: Map<String, Value>,
    /// The column (`email`, `role`, …) when what is wrong is in one column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Each problem of the line, one or more, in the order of `message`.
    pub problems: Vec<LineProblem>,
}

/// One problem of a line.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq)]
pub struct LineProblem {
    /// The column it is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[schema(value_type = String)]
    pub code: &'static str,
    #[schema(value_type = Object)]
    pub params: Map<String, Value>,
    /// Its part of the line's `message`.
    pub message: String,
}

impl LineProblem {
    /// A problem said as it is, e.g. `the department path `a//b` has an empty part`.
    fn new(field: Option<&str>, problem: Problem) -> Self {
        Self {
            field: field.map(str::to_string),
            code: problem.code,
            params: problem.params,
            message: problem.message,
        }
    }

    /// A problem with a column's value, said after the column: `email is required`.
    fn in_column(field: &str, problem: Problem) -> Self {
        let message = format!("{field} {}", problem.message);
        Self {
            message,
            ..Self::new(Some(field), problem)
        }
    }
}

impl LineError {
    fn new(line: u64, problems: Vec<LineProblem>) -> Self {
        let message = problems
            .iter()
            .map(|p| p.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let field = problems
            .first()
            .and_then(|p| p.field.clone())
            .filter(|f| problems.iter().all(|p| p.field.as_ref() == Some(f)));
        let (code, params) = match problems.as_slice() {
            [one] => (one.code, one.params.clone()),
            several => (
                "several_problems",
                Map::from_iter([("count".to_string(), Value::from(several.len()))]),
            ),
        };
        Self {
            line,
            message,
            code,
            params,
            field,
            problems,
        }
    }

    fn one(line: u64, problem: LineProblem) -> Self {
        Self::new(line, vec![problem])
    }
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub departments_created: usize,
    pub dry_run: bool,
    pub errors: Vec<LineError>,
}

/// The text of an uploaded file: UTF-8 with or without a byte-order mark.
pub fn decode(mut bytes: Vec<u8>) -> Result<String, Problem> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(e) => e.into_bytes(),
    };
    let not_utf8 = |message: &str| Problem::new("not_utf8", message);
    let (_, _, had_errors) = encoding_rs::GBK.decode(&bytes);
    Err(
        if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
            not_utf8("the file is UTF-16; save it as CSV UTF-8 and upload it again")
                .with("encoding", "UTF-16")
        } else if !had_errors {
            not_utf8(
                "the file is encoded as GBK (as Excel saves CSV on Chinese Windows); \
                 save it as \"CSV UTF-8\" and upload it again",
            )
            .with("encoding", "GBK")
        } else {
            not_utf8("the file is not UTF-8 text; save it as CSV UTF-8 and upload it again")
        },
    )
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

/// One import: into which organization, by whom (none from the command line), whether it
/// only checks and counts, and when.
pub struct Run<'a> {
    pub org_id: &'a str,
    pub actor: Option<&'a str>,
    pub dry_run: bool,
    pub now: NaiveDateTime,
}

impl Run<'_> {
    /// The audit log's entry for a change this import makes on `line`.
    fn change<'t>(&'t self, id: &'t str, target: Target<'t>, line: u64) -> Change<'t> {
        let action = match target.kind {
            TargetKind::Department => "departments.import",
            _ => "employees.import",
        };
        Change::new(self.org_id, self.actor, action, target, self.now)
            .with_detail(json!({"import": id, "line": line}))
    }
}

/// Imports people, all or nothing. Each person created or changed and each department
/// created is an entry of the audit log, with the import's id and the line that did it.
pub fn import(
    conn: &mut DbConn,
    run: &Run<'_>,
    text: &str,
    inviter: Option<&Inviter<'_>>,
) -> anyhow::Result<ImportReport> {
    let Run {
        org_id,
        dry_run,
        now,
        ..
    } = *run;
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
    let import_id = new_id();
    conn.write_transaction(|conn| -> anyhow::Result<ImportReport> {
        let existing: HashMap<String, UserRow> = users::all_in_org(conn, org_id)?
            .into_iter()
            .map(|u| (u.email.clone(), u))
            .collect();
        let mut errors = check_against_stored(conn, &existing, &planned)?;
        let mut tree = departments::tree(conn, org_id)?;
        let mut new_departments: Vec<(u64, Node)> = Vec::new();
        let mut resolve = |line: u64, segments: &[String]| -> String {
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
                    new_departments.push((line, node.clone()));
                    let id = node.id.clone();
                    tree.insert(node);
                    id
                });
                parent = Some(id);
            }
            parent.unwrap_or_default()
        };

        let managed_now = departments::managed_per_person(conn, org_id)?;
        let mut to_insert = Vec::new();
        let mut to_update = Vec::new();
        let mut managers: Vec<(String, Vec<String>)> = Vec::new();
        // Each person's changes with the line that makes them, for the audit log.
        let mut changed: Vec<(u64, &str, Changes)> = Vec::new();
        for (line, plan) in &planned {
            let department_id = plan.department.as_deref().map(|d| resolve(*line, d));
            let managed: Option<Vec<String>> = plan
                .manager_of
                .as_ref()
                .map(|paths| paths.iter().map(|p| resolve(*line, p)).collect());
            let current = existing.get(&plan.email);
            // A line without a role keeps the stored one; one that does not read is an
            // error that names the person, never a role picked in silence.
            let stored_role = || {
                current
                    .map(|c| {
                        c.role
                            .parse::<Role>()
                            .map_err(|e| anyhow::anyhow!("person {}: stored role: {e}", c.id))
                    })
                    .transpose()
            };
            let role = match plan.role {
                Some(role) => Some(role),
                None => stored_role()?,
            }
            .unwrap_or(if managed.as_ref().is_some_and(|m| !m.is_empty()) {
                Role::Manager
            } else {
                Role::Staff
            });
            if managed.as_ref().is_some_and(|m| !m.is_empty()) && role < Role::Manager {
                let problem = Problem::new(
                    "role_cannot_manage",
                    format!("role {role} cannot manage departments; use manager, hr or admin"),
                )
                .with("role", role.as_str());
                errors.push(LineError::one(
                    *line,
                    LineProblem::new(Some("manager_of"), problem),
                ));
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
                    employee_no: plan.employee_no.clone(),
                    department_id,
                    ..UserRow::new(org_id, plan.email.clone(), plan.name.clone(), role, now)
                },
            };
            let mut changes = audit::person_changes(current, &row);
            if let Some(mut m) = managed.filter(|_| columns.contains("manager_of")) {
                m.sort();
                m.dedup();
                let mut before = managed_now.get(&row.id).cloned().unwrap_or_default();
                before.sort();
                if m != before {
                    changes.field("manager_of", before, &m);
                    managers.push((row.id.clone(), m));
                }
            }
            if changes.is_empty() {
                report.unchanged += 1;
                continue;
            }
            match current {
                None => to_insert.push(row),
                Some(c) if differs(c, &row) => to_update.push(UserRow {
                    updated_at: now,
                    ..row
                }),
                Some(_) => report.updated += 1,
            }
            changed.push((*line, &plan.email, changes));
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
        if dry_run {
            return Ok(report);
        }
        let mut entries = Vec::with_capacity(changed.len() + new_departments.len());
        for (line, node) in &new_departments {
            let row = DepartmentRow {
                id: node.id.clone(),
                org_id: org_id.to_string(),
                parent_id: node.parent_id.clone(),
                name: node.name.clone(),
                created_at: now,
                updated_at: now,
                archived_at: None,
            };
            departments::insert(conn, &row)?;
            let mut changes = Changes::default();
            changes.field("name", None::<()>, &row.name);
            changes.field("parent_id", None::<()>, &row.parent_id);
            let entry = run.change(&import_id, Target::department(&row), *line);
            entries.push(entry.with_changes(changes).into_row());
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
        // Each person as the import leaves them.
        let people: HashMap<&str, &UserRow> = existing
            .values()
            .chain(&to_update)
            .chain(&to_insert)
            .map(|u| (u.email.as_str(), u))
            .collect();
        for (line, email, changes) in changed {
            if let Some(person) = people.get(email) {
                let entry = run.change(&import_id, Target::person(person), line);
                entries.push(entry.with_changes(changes).into_row());
            }
        }
        audit::record_changes(conn, &entries)?;
        Ok(report)
    })
}

fn differs(a: &UserRow, b: &UserRow) -> bool {
    (&a.name, &a.employee_no, &a.role, &a.department_id)
        != (&b.name, &b.employee_no, &b.role, &b.department_id)
}

/// Problems only the database can reveal: e-mails that already have an account (addresses are
/// one account on the whole server; which organization holds it is never said), employee
/// numbers already held by someone else.
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
        elsewhere.extend(users::emails_in_use(conn, chunk)?);
    }
    let holders: HashMap<&str, &str> = existing
        .values()
        .filter_map(|u| u.employee_no.as_deref().map(|n| (n, u.email.as_str())))
        .collect();
    for (line, plan) in planned {
        if elsewhere.contains(&plan.email) {
            let problem = people::email_taken(&plan.email);
            errors.push(LineError::one(
                *line,
                LineProblem::new(Some("email"), problem),
            ));
        }
        if let Some(no) = &plan.employee_no {
            if let Some(holder) = holders.get(no.as_str()) {
                if *holder != plan.email {
                    let problem = people::employee_no_taken(no, holder);
                    errors.push(LineError::one(
                        *line,
                        LineProblem::new(Some("employee_no"), problem),
                    ));
                }
            }
        }
    }
    Ok(errors)
}

type Parsed = (HashSet<String>, Vec<(u64, Planned)>);

/// Reads and checks every line on its own; the header decides which columns count.
fn parse(text: &str) -> Result<Parsed, Vec<LineError>> {
    let fail = |line, problem: Problem| vec![LineError::one(line, LineProblem::new(None, problem))];
    let header_fail = |column: &str, problem: Problem| {
        let problem = LineProblem::new(Some(column), problem.with("column", column));
        vec![LineError::one(1, problem)]
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| {
            fail(
                1,
                Problem::new("unreadable", format!("the header cannot be read: {e}")),
            )
        })?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(fail(
            1,
            Problem::new(
                "empty_file",
                "the file is empty; the first line must be the header",
            ),
        ));
    }
    let mut columns = HashSet::new();
    for name in &header {
        if !KNOWN_COLUMNS.contains(&name.as_str()) {
            let problem = Problem::new(
                "unknown_column",
                format!(
                    "unknown column `{name}`; the columns are {}",
                    KNOWN_COLUMNS.join(",")
                ),
            )
            .with("column", name.as_str())
            .with("columns", KNOWN_COLUMNS.to_vec());
            return Err(fail(1, problem));
        }
        if !columns.insert(name.clone()) {
            return Err(header_fail(
                name,
                Problem::new(
                    "duplicate_column",
                    format!("the column `{name}` appears twice"),
                ),
            ));
        }
    }
    for required in ["email", "name"] {
        if !columns.contains(required) {
            return Err(header_fail(
                required,
                Problem::new(
                    "missing_column",
                    format!("the header has no `{required}` column"),
                ),
            ));
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
                Problem::new(
                    "too_many_lines",
                    format!("a file may have at most {MAX_IMPORT_LINES} lines"),
                )
                .with("max", MAX_IMPORT_LINES),
            ));
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(i as u64 + 2, |p| p.line());
                let problem = Problem::new("unreadable", format!("cannot be read: {e}"));
                errors.push(LineError::one(line, LineProblem::new(None, problem)));
                continue;
            }
        };
        let line = record.position().map_or(i as u64 + 2, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != header.len() {
            let problem = Problem::new(
                "wrong_field_count",
                format!(
                    "has {} fields; the header has {}",
                    record.len(),
                    header.len()
                ),
            )
            .with("fields", record.len())
            .with("expected", header.len());
            errors.push(LineError::one(line, LineProblem::new(None, problem)));
            continue;
        }
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        let mut problems = Vec::new();
        let email = match Email::parse(cell(email_i)) {
            Ok(e) => Some(e.into_string()),
            Err(p) => {
                problems.push(LineProblem::in_column("email", p));
                None
            }
        };
        if let Some(email) = &email {
            if let Some(first) = emails.insert(email.clone(), line) {
                let problem = also_on_line(
                    format!("the e-mail {email} is also on line {first}"),
                    email,
                    first,
                );
                problems.push(LineProblem::new(Some("email"), problem));
            }
        }
        let name = clean_name(cell(name_i))
            .map_err(|p| problems.push(LineProblem::in_column("name", p)))
            .ok();
        let employee_no = people::employee_no(cell(no_i))
            .map_err(|p| problems.push(LineProblem::in_column("employee_no", p)))
            .ok()
            .flatten();
        if let Some(no) = &employee_no {
            if let Some(first) = numbers.insert(no.clone(), line) {
                let problem = also_on_line(
                    format!("the employee number {no} is also on line {first}"),
                    no,
                    first,
                );
                problems.push(LineProblem::new(Some("employee_no"), problem));
            }
        }
        let role = match cell(role_i) {
            "" => None,
            r => r
                .parse::<Role>()
                .map_err(|p| problems.push(LineProblem::in_column("role", p)))
                .ok(),
        };
        let department = match cell(department_i) {
            "" => None,
            path => parse_path(path)
                .map_err(|p| problems.push(LineProblem::new(Some("department"), p)))
                .ok(),
        };
        let manager_of = manages_i.map(|_| {
            cell(manages_i)
                .split(';')
                .filter(|p| !p.trim().is_empty())
                .filter_map(|p| {
                    parse_path(p)
                        .map_err(|e| {
                            let message = format!("manager_of: {}", e.message);
                            problems.push(LineProblem {
                                message,
                                ..LineProblem::new(Some("manager_of"), e)
                            })
                        })
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
            _ => errors.push(LineError::new(line, problems)),
        }
    }
    if errors.is_empty() {
        Ok((columns, planned))
    } else {
        Err(errors)
    }
}

/// A value the file gives twice: the first line that has it.
fn also_on_line(message: String, value: &str, first: u64) -> Problem {
    Problem::new("duplicate_in_file", message)
        .with("value", value)
        .with("line", first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom_is_read() {
        assert_eq!(decode(b"email,name\n".to_vec()).unwrap(), "email,name\n");
        assert_eq!(
            decode(b"\xEF\xBB\xBFemail,name\n".to_vec()).unwrap(),
            "email,name\n"
        );
    }

    #[test]
    fn gbk_is_named() {
        let (gbk, _, _) = encoding_rs::GBK.encode("email,name\nli@a.test,李雷\n");
        let err = decode(gbk.into_owned()).unwrap_err();
        assert!(err.message.contains("GBK"), "{err}");
        assert_eq!(
            (err.code, &err.params["encoding"]),
            ("not_utf8", &"GBK".into())
        );
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

        let one = &errors[0];
        assert_eq!(
            (one.code, one.field.as_deref(), one.message.as_str()),
            (
                "invalid_email",
                Some("email"),
                "email must be an e-mail address like name@example.com"
            )
        );
        assert_eq!(one.problems.len(), 1);
        let codes = |e: &LineError| -> Vec<(Option<String>, &str)> {
            e.problems
                .iter()
                .map(|p| (p.field.clone(), p.code))
                .collect()
        };
        assert_eq!(errors[1].code, "several_problems");
        assert_eq!(errors[1].params["count"], 2);
        assert_eq!(errors[1].field, None, "two columns");
        assert_eq!(
            codes(&errors[1]),
            [
                (Some("name".into()), "required"),
                (Some("role".into()), "not_a_choice")
            ]
        );
        assert_eq!(errors[1].problems[1].params["value"], "boss");
        assert_eq!(
            codes(&errors[2]),
            [
                (Some("email".into()), "duplicate_in_file"),
                (Some("department".into()), "empty_part")
            ]
        );
        assert_eq!(errors[2].problems[0].params["line"], 2);
        let joined: Vec<&str> = errors[2]
            .problems
            .iter()
            .map(|p| p.message.as_str())
            .collect();
        assert_eq!(errors[2].message, joined.join("; "));
    }

    #[test]
    fn manager_of_names_each_bad_path_under_its_column() {
        let text = "email,name,manager_of
a@x.test,A,Sales//East;a/b/c/d/e/f/g/h/i
";
        let Err(errors) = parse(text) else {
            panic!("should fail")
        };
        let line = &errors[0];
        assert_eq!(
            line.field.as_deref(),
            Some("manager_of"),
            "both in one column"
        );
        assert_eq!(line.code, "several_problems");
        assert!(line.message.starts_with("manager_of: the department path"));
        assert_eq!(line.problems[1].code, "too_deep");
        assert_eq!(line.problems[1].params["max"], 8);
    }

    #[test]
    fn header_problems_are_line_one() {
        for (text, code, field) in [
            ("", "empty_file", None),
            ("name\n", "missing_column", Some("email")),
            ("email,name,shoe_size\n", "unknown_column", None),
            ("email,name,email\n", "duplicate_column", Some("email")),
        ] {
            let errors = match parse(text) {
                Err(e) => e,
                Ok(_) => panic!("{text:?} should fail"),
            };
            assert_eq!(errors[0].line, 1, "{text:?}");
            assert_eq!(errors[0].code, code, "{text:?}");
            assert_eq!(errors[0].field.as_deref(), field, "{text:?}");
        }
    }
}
