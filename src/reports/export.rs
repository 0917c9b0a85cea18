//! Check-ins as a table: one row per expected person per day, reported or not, and one for
//! each check-in of someone not expected that day (a weekend, leave), in stable
//! columns. Rows are produced one day at a time and handed to a writer (CSV or XLSX) as they
//! are made, so an export of many people over many days never sits in memory at once.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime, SecondsFormat};
use diesel::prelude::*;
use serde_json::{Map, Value};

use super::expected::{presence, DayReplay, LeaveCalendar, Presence};
use crate::db::departments::tree_of;
use crate::db::forms;
use crate::db::organizations::OrganizationRow;
use crate::db::schema::{checkins, departments, users};
use crate::db::DbConn;
use crate::domain::department_tree::DepartmentTree;
use crate::domain::{FormTemplate, OrgSettings};

/// The columns before the answers, in order. Clients and spreadsheets rely on them.
pub const LEADING_COLUMNS: [&str; 7] = [
    "employee_no",
    "name",
    "email",
    "department",
    "date",
    "status",
    "submitted_at",
];

/// The columns after the answers, in order.
/// `submitted_by` is empty when the person filed it themselves, else the name of who filed it
/// for them.
pub const TRAILING_COLUMNS: [&str; 4] =
    ["abnormal", "abnormal_reasons", "expected", "submitted_by"];

/// An export's columns: the fixed ones around one column per question. A range that spans
/// versions of the form has a column for every question asked in it: the form in force's
/// first, in its order, then retired ones, newest version first. An organization that never
/// changed its form has the default form's questions, so its columns are those of before.
#[derive(Clone, Debug, PartialEq)]
pub struct Columns {
    answers: Vec<String>,
}

impl Columns {
    /// The columns of `in_force` alone.
    pub fn of_form(in_force: &FormTemplate) -> Self {
        Self::of_forms(in_force, std::slice::from_ref(in_force))
    }

    /// The columns of the questions of `used` (the versions the range's check-ins were
    /// given on), ordered by `in_force`.
    pub fn of_forms(in_force: &FormTemplate, used: &[FormTemplate]) -> Self {
        let asked: HashSet<&str> = used
            .iter()
            .flat_map(|f| f.fields.iter().map(|q| q.key.as_str()))
            .collect();
        let mut answers: Vec<String> = in_force
            .fields
            .iter()
            .filter(|q| asked.contains(q.key.as_str()))
            .map(|q| q.key.clone())
            .collect();
        let mut newest_first: Vec<&FormTemplate> = used.iter().collect();
        newest_first.sort_by_key(|f| std::cmp::Reverse(f.version));
        for form in newest_first {
            for q in &form.fields {
                if !answers.contains(&q.key) {
                    answers.push(q.key.clone());
                }
            }
        }
        Self { answers }
    }

    /// Every column's name, in order.
    pub fn names(&self) -> Vec<&str> {
        LEADING_COLUMNS
            .iter()
            .copied()
            .chain(self.answers.iter().map(String::as_str))
            .chain(TRAILING_COLUMNS.iter().copied())
            .collect()
    }

    pub fn answers(&self) -> &[String] {
        &self.answers
    }
}

/// Joins the items of a list answer in one cell.
const LIST_SEPARATOR: &str = ";";

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error("writing the export failed: {0}")]
    Write(String),
    /// The receiving side is gone (the client disconnected): stop quietly.
    #[error("the export was abandoned")]
    Closed,
    /// The client stopped reading for longer than the send timeout: the export was given up.
    #[error("the client read nothing for {0} s")]
    Stalled(u64),
    /// The export stopped before its end (given up, or failed without saying why).
    #[error("the export stopped before its end")]
    Unfinished,
}

impl From<csv::Error> for ExportError {
    fn from(e: csv::Error) -> Self {
        Self::Write(e.to_string())
    }
}

impl From<rust_xlsxwriter::XlsxError> for ExportError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        Self::Write(e.to_string())
    }
}

impl From<std::io::Error> for ExportError {
    fn from(e: std::io::Error) -> Self {
        Self::Write(e.to_string())
    }
}

/// A check-in as the export shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Reported {
    pub submitted_at: NaiveDateTime,
    pub answers: Map<String, Value>,
    pub abnormal: bool,
    pub abnormal_reasons: Vec<String>,
    /// Who filed it for the person, when someone else did.
    pub filed_by: Option<String>,
}

/// One line of the export.
#[derive(Clone, Copy, Debug)]
pub struct ExportRow<'a> {
    pub person: &'a Person,
    /// The department path the person was in that day (`Sales/East`), empty for none.
    pub department: &'a str,
    pub date: NaiveDate,
    pub checkin: Option<&'a Reported>,
    /// Whether the person was expected to report that day; a check-in on a weekend, a holiday
    /// or leave is exported too, marked `false`.
    pub expected: bool,
}

/// A cell: text, or a number with the text it is shown as.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64, String),
}

impl Cell {
    pub fn text(&self) -> &str {
        match self {
            Cell::Text(t) | Cell::Number(_, t) => t,
        }
    }
}

fn bool_text(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

/// An answer as one cell: lists joined with `;`, booleans as `true`/`false`.
fn answer_cell(value: Option<&Value>) -> Cell {
    match value {
        None | Some(Value::Null) => Cell::Text(String::new()),
        Some(Value::Bool(b)) => Cell::Text(bool_text(*b)),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) => Cell::Number(f, n.to_string()),
            None => Cell::Text(n.to_string()),
        },
        Some(Value::String(s)) => Cell::Text(s.clone()),
        Some(Value::Array(items)) => Cell::Text(
            items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(LIST_SEPARATOR),
        ),
        Some(other @ Value::Object(_)) => Cell::Text(other.to_string()),
    }
}

impl ExportRow<'_> {
    /// The row's cells in the order of `columns`; answers are empty when unreported, and
    /// so is a question the check-in's version did not ask.
    pub fn cells(&self, columns: &Columns) -> Vec<Cell> {
        let text = |s: &str| Cell::Text(s.to_string());
        let mut cells = vec![
            text(&self.person.employee_no),
            text(&self.person.name),
            text(&self.person.email),
            text(self.department),
            Cell::Text(self.date.format("%Y-%m-%d").to_string()),
        ];
        match self.checkin {
            Some(c) => {
                cells.push(text("reported"));
                cells.push(Cell::Text(
                    c.submitted_at
                        .and_utc()
                        .to_rfc3339_opts(SecondsFormat::Secs, true),
                ));
                cells.extend(
                    columns
                        .answers
                        .iter()
                        .map(|k| answer_cell(c.answers.get(k))),
                );
                cells.push(Cell::Text(bool_text(c.abnormal)));
                cells.push(Cell::Text(c.abnormal_reasons.join(LIST_SEPARATOR)));
            }
            None => {
                cells.push(text("unreported"));
                // submitted_at, the answers, abnormal and its reasons.
                cells.extend((0..columns.answers.len() + 3).map(|_| text("")));
            }
        }
        cells.push(Cell::Text(bool_text(self.expected)));
        cells.push(text(
            self.checkin
                .and_then(|c| c.filed_by.as_deref())
                .unwrap_or(""),
        ));
        cells
    }
}

/// A text cell that a spreadsheet would run as a formula gets a leading `'`, so that an
/// answer such as `=HYPERLINK(…)` stays text when the CSV is opened.
pub fn csv_safe(cell: &Cell) -> std::borrow::Cow<'_, str> {
    match cell {
        Cell::Text(t) if t.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{t}").into(),
        other => other.text().into(),
    }
}

/// Who a row is about, as the export names them.
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    /// Empty when the person has none.
    pub employee_no: String,
    pub name: String,
    pub email: String,
}

/// Reads the export's rows day by day.
pub struct ExportSource {
    org_id: String,
    settings: OrgSettings,
    /// `None`: the whole organization, people without a department included.
    scope: Option<HashSet<String>>,
    /// Archived departments included: past days show where people were then.
    tree: DepartmentTree,
    people: HashMap<String, Person>,
    replay: DayReplay,
    leave: LeaveCalendar,
    next: Option<NaiveDate>,
    to: NaiveDate,
    columns: Columns,
}

impl ExportSource {
    pub fn prepare(
        conn: &mut DbConn,
        org: &OrganizationRow,
        scope: Option<HashSet<String>>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> QueryResult<Self> {
        let all_departments = departments::table
            .filter(departments::org_id.eq(&org.id))
            .select(crate::db::departments::DepartmentRow::as_select())
            .load(conn)?;
        // An erased person is in no export: their rows are left out below.
        let people = users::table
            .filter(users::org_id.eq(&org.id))
            .filter(users::erased_at.is_null())
            .select((users::id, users::employee_no, users::name, users::email))
            .load::<(String, Option<String>, String, String)>(conn)?
            .into_iter()
            .map(|(id, employee_no, name, email)| {
                (
                    id,
                    Person {
                        employee_no: employee_no.unwrap_or_default(),
                        name,
                        email,
                    },
                )
            })
            .collect();
        Ok(Self {
            org_id: org.id.clone(),
            settings: org.settings()?,
            scope,
            tree: tree_of(&all_departments),
            people,
            replay: DayReplay::load(conn, org, to)?,
            leave: LeaveCalendar::load(conn, &org.id, from, to)?,
            next: Some(from),
            to,
            columns: columns_of_range(conn, &org.id, from, to)?,
        })
    }

    pub fn columns(&self) -> &Columns {
        &self.columns
    }

    /// Hands the next day's rows to `emit`, sorted by department path and name. Returns the
    /// day, or `None` when every day was read.
    pub fn next_day<F>(
        &mut self,
        conn: &mut DbConn,
        mut emit: F,
    ) -> Result<Option<NaiveDate>, ExportError>
    where
        F: FnMut(ExportRow<'_>) -> Result<(), ExportError>,
    {
        let Some(day) = self.next.filter(|d| *d <= self.to) else {
            return Ok(None);
        };
        self.next = day.succ_opt();
        // Answers stay as stored text until their row is written: a day of many people
        // then costs a few hundred bytes each, not a parsed map each.
        type Stored = (NaiveDateTime, String, bool, String, String);
        let submitted: HashMap<String, Stored> = checkins::table
            .filter(checkins::org_id.eq(&self.org_id))
            .filter(checkins::day.eq(day))
            .select((
                checkins::user_id,
                checkins::submitted_at,
                checkins::answers,
                checkins::abnormal,
                checkins::abnormal_reasons,
                checkins::submitted_by,
            ))
            .load::<(String, NaiveDateTime, String, bool, String, String)>(conn)?
            .into_iter()
            .map(|(user, at, answers, abnormal, reasons, by)| {
                (user, (at, answers, abnormal, reasons, by))
            })
            .collect();
        let away = self.leave.away_on(day);
        let roster = self.replay.advance_to(day);
        let mut paths: HashMap<&str, String> = HashMap::new();
        // (user id, department id or "", person, expected)
        let mut rows: Vec<(&str, &str, &Person, bool)> = Vec::new();
        // Check-ins of people deactivated by the end of the day: not expected, still reported.
        let inactive = submitted.keys().filter_map(|user| {
            let member = roster.members.get(user.as_str())?;
            (!member.active).then_some(Presence {
                user_id: user.as_str(),
                department_id: member.department_id.as_deref(),
                expected: false,
            })
        });
        for p in presence(&self.settings, day, roster, &away).chain(inactive) {
            if !(p.expected || submitted.contains_key(p.user_id))
                || !crate::access::covers(self.scope.as_ref(), p.department_id)
            {
                continue;
            }
            let Some(person) = self.people.get(p.user_id) else {
                continue;
            };
            let department = p.department_id.unwrap_or("");
            paths
                .entry(department)
                .or_insert_with(|| self.tree.path(department));
            rows.push((p.user_id, department, person, p.expected));
        }
        let path_of = |department: &str| paths.get(department).map(String::as_str).unwrap_or("");
        rows.sort_by_cached_key(|(_, department, person, _)| {
            (
                path_of(department).to_lowercase(),
                person.name.to_lowercase(),
                person.name.clone(),
                person.email.clone(),
            )
        });
        for (user_id, department, person, expected) in rows {
            let checkin = submitted
                .get(user_id)
                .map(|(at, answers, abnormal, reasons, by)| Reported {
                    submitted_at: *at,
                    answers: serde_json::from_str(answers).unwrap_or_default(),
                    abnormal: *abnormal,
                    abnormal_reasons: serde_json::from_str(reasons).unwrap_or_default(),
                    filed_by: (by != user_id).then(|| {
                        // An erased filer is named as such, never as the person.
                        self.people
                            .get(by.as_str())
                            .map_or_else(|| "(erased)".to_string(), |p| p.name.clone())
                    }),
                });
            emit(ExportRow {
                person,
                department: path_of(department),
                date: day,
                checkin: checkin.as_ref(),
                expected,
            })?;
        }
        Ok(Some(day))
    }
}

/// The columns of the questions asked from `from` to `to`: those of the versions the
/// check-ins were given on, or of the form in force when there are none.
fn columns_of_range(
    conn: &mut DbConn,
    org_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Columns> {
    let in_force = forms::current(conn, org_id)?.template()?;
    let versions: Vec<i32> = checkins::table
        .filter(checkins::org_id.eq(org_id))
        .filter(checkins::day.between(from, to))
        .select(checkins::form_version)
        .distinct()
        .load(conn)?;
    if versions.is_empty() {
        return Ok(Columns::of_form(&in_force));
    }
    let used = forms::some(conn, org_id, &versions)?
        .iter()
        .map(|row| row.template())
        .collect::<QueryResult<Vec<_>>>()?;
    Ok(Columns::of_forms(&in_force, &used))
}

/// Excel opens a CSV as UTF-8 only when it starts with this mark.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The CSV, written in chunks: the byte-order mark and the header first, then rows; `take`
/// hands over what has been written so far.
pub struct CsvChunks {
    writer: csv::Writer<Vec<u8>>,
    columns: Columns,
}

fn csv_writer(start: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(start)
}

impl CsvChunks {
    pub fn new(columns: &Columns) -> Result<Self, ExportError> {
        let mut writer = csv_writer(UTF8_BOM.to_vec());
        writer.write_record(columns.names())?;
        Ok(Self {
            writer,
            columns: columns.clone(),
        })
    }

    pub fn write(&mut self, row: &ExportRow<'_>) -> Result<(), ExportError> {
        let cells = row.cells(&self.columns);
        let texts: Vec<_> = cells.iter().map(csv_safe).collect();
        self.writer
            .write_record(texts.iter().map(|t| t.as_bytes()))?;
        Ok(())
    }

    /// Bytes written and not taken yet (the writer's own small buffer aside).
    pub fn pending(&self) -> usize {
        self.writer.get_ref().len()
    }

    pub fn take(&mut self) -> Result<Vec<u8>, ExportError> {
        let full = std::mem::replace(&mut self.writer, csv_writer(Vec::new()));
        full.into_inner()
            .map_err(|e| ExportError::Write(e.error().to_string()))
    }
}

/// Rows a worksheet holds, the header included.
pub const XLSX_MAX_ROWS: u32 = 1_048_576;
const XLSX_SHEET_NAME: &str = "checkins";

/// The XLSX, in constant-memory mode: each worksheet streams its rows to a temporary file as
/// they are written. An export longer than a worksheet allows goes on in `checkins 2`, ….
pub struct XlsxExport {
    workbook: rust_xlsxwriter::Workbook,
    bold: rust_xlsxwriter::Format,
    sheets: usize,
    /// The next row to write on the current sheet.
    row: u32,
    rows_per_sheet: u32,
    columns: Columns,
}

impl XlsxExport {
    pub fn new(columns: &Columns) -> Result<Self, ExportError> {
        Self::with_rows_per_sheet(columns, XLSX_MAX_ROWS)
    }

    pub fn with_rows_per_sheet(
        columns: &Columns,
        rows_per_sheet: u32,
    ) -> Result<Self, ExportError> {
        let mut export = Self {
            workbook: rust_xlsxwriter::Workbook::new(),
            bold: rust_xlsxwriter::Format::new().set_bold(),
            sheets: 0,
            row: 0,
            rows_per_sheet: rows_per_sheet.max(2),
            columns: columns.clone(),
        };
        export.add_sheet()?;
        Ok(export)
    }

    fn add_sheet(&mut self) -> Result<(), ExportError> {
        self.sheets += 1;
        let name = if self.sheets == 1 {
            XLSX_SHEET_NAME.to_string()
        } else {
            format!("{XLSX_SHEET_NAME} {}", self.sheets)
        };
        let sheet = self.workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(name)?;
        for (col, name) in self.columns.names().into_iter().enumerate() {
            let col = col as u16;
            sheet.set_column_width(col, column_width(name))?;
            sheet.write_string_with_format(0, col, name, &self.bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        self.row = 1;
        Ok(())
    }

    pub fn write(&mut self, row: &ExportRow<'_>) -> Result<(), ExportError> {
        if self.row >= self.rows_per_sheet {
            self.add_sheet()?;
        }
        let sheet = self.workbook.worksheet_from_index(self.sheets - 1)?;
        for (col, cell) in row.cells(&self.columns).into_iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Number(n, _) => {
                    sheet.write_number(self.row, col, n)?;
                }
                // Empty cells are left out rather than written as empty text.
                Cell::Text(t) if t.is_empty() => {}
                Cell::Text(t) => {
                    sheet.write_string(self.row, col, t)?;
                }
            }
        }
        self.row += 1;
        Ok(())
    }

    /// Writes the finished workbook, e.g. into a temporary file.
    pub fn finish<W: std::io::Write + Send>(mut self, writer: W) -> Result<(), ExportError> {
        self.workbook.save_to_writer(writer)?;
        Ok(())
    }
}

/// A column's width in characters: what its usual contents need.
fn column_width(name: &str) -> f64 {
    match name {
        "employee_no" | "work_status" | "health_code" => 12.0,
        "name" => 16.0,
        "email" | "abnormal_reasons" => 28.0,
        "department" => 24.0,
        "date" | "status" | "temperature" => 11.0,
        "submitted_at" => 21.0,
        "symptoms" | "location" => 20.0,
        "close_contact" => 13.0,
        "travel_to_risk_area" => 18.0,
        "note" => 30.0,
        "abnormal" | "expected" => 9.0,
        _ => 16.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reported(answers: Value, reasons: &[&str]) -> Reported {
        Reported {
            submitted_at: NaiveDate::from_ymd_opt(2020, 2, 3)
                .unwrap()
                .and_hms_micro_opt(1, 0, 5, 250)
                .unwrap(),
            answers: answers.as_object().unwrap().clone(),
            abnormal: !reasons.is_empty(),
            abnormal_reasons: reasons.iter().map(|r| r.to_string()).collect(),
            filed_by: None,
        }
    }

    fn zhang_wei() -> Person {
        Person {
            employee_no: "E001".into(),
            name: "张伟".into(),
            email: "zw@acme.test".into(),
        }
    }

    fn row<'a>(person: &'a Person, checkin: Option<&'a Reported>) -> ExportRow<'a> {
        ExportRow {
            person,
            department: "Sales/East",
            date: NaiveDate::from_ymd_opt(2020, 2, 3).unwrap(),
            checkin,
            expected: true,
        }
    }

    fn texts(cells: &[Cell]) -> Vec<&str> {
        cells.iter().map(Cell::text).collect()
    }

    /// The header of an organization that kept the default form: that of before forms.
    const HEADER_OF_THE_DEFAULT_FORM: &str = "employee_no,name,email,department,date,status,submitted_at,temperature,symptoms,location,work_status,close_contact,travel_to_risk_area,health_code,note,abnormal,abnormal_reasons,expected,submitted_by";

    fn default_columns() -> Columns {
        Columns::of_form(&FormTemplate::default_form())
    }

    #[test]
    fn the_answer_columns_are_the_default_forms_fields() {
        assert_eq!(
            default_columns().names().join(","),
            HEADER_OF_THE_DEFAULT_FORM
        );
        assert_eq!(default_columns().names().len(), 19);
    }

    #[test]
    fn a_range_over_two_versions_has_the_current_questions_then_the_retired_ones() {
        let v1 = FormTemplate::default_form();
        let mut v2 = FormTemplate::default_form();
        v2.version = 2;
        v2.fields.retain(|f| f.key != "location" && f.key != "note");
        let mut pulse = v2.fields[0].clone();
        pulse.key = "pulse".into();
        v2.fields.insert(1, pulse);
        let columns = Columns::of_forms(&v2, &[v1.clone(), v2.clone()]);
        assert_eq!(
            columns.answers(),
            [
                "temperature",
                "pulse",
                "symptoms",
                "work_status",
                "close_contact",
                "travel_to_risk_area",
                "health_code",
                "location",
                "note"
            ]
        );
        // Only the old version's check-ins in the range: the new question has no column.
        let old_only = Columns::of_forms(&v2, &[v1]);
        assert!(!old_only.answers().contains(&"pulse".to_string()));
        assert_eq!(old_only.answers().len(), 8);
    }

    #[test]
    fn a_reported_row_has_every_answer_in_its_column() {
        let c = reported(
            json!({"temperature": 38.0, "symptoms": ["fever", "cough"], "location": "Shanghai",
                   "work_status": "remote", "close_contact": false, "travel_to_risk_area": true,
                   "health_code": "green"}),
            &["temperature", "symptoms", "travel_to_risk_area"],
        );
        let cells = row(&zhang_wei(), Some(&c)).cells(&default_columns());
        assert_eq!(cells.len(), 19);
        assert_eq!(
            texts(&cells),
            [
                "E001",
                "张伟",
                "zw@acme.test",
                "Sales/East",
                "2020-02-03",
                "reported",
                "2020-02-03T01:00:05Z",
                "38.0",
                "fever;cough",
                "Shanghai",
                "remote",
                "false",
                "true",
                "green",
                "",
                "true",
                "temperature;symptoms;travel_to_risk_area",
                "true",
                "",
            ]
        );
        assert_eq!(cells[7], Cell::Number(38.0, "38.0".into()));
    }

    #[test]
    fn an_unreported_row_has_empty_answers() {
        let cells = row(&zhang_wei(), None).cells(&default_columns());
        assert_eq!(cells.len(), 19);
        assert_eq!(
            &texts(&cells)[..6],
            [
                "E001",
                "张伟",
                "zw@acme.test",
                "Sales/East",
                "2020-02-03",
                "unreported"
            ]
        );
        assert!(texts(&cells)[6..17].iter().all(|c| c.is_empty()));
        assert_eq!(texts(&cells)[17], "true");
        assert_eq!(texts(&cells)[18], "", "nobody filed it");
    }

    #[test]
    fn csv_has_a_bom_quotes_per_rfc_4180_and_defuses_formulas() {
        let c = reported(
            json!({"temperature": 36.5, "symptoms": [], "location": "=HYPERLINK(\"x\")",
                   "work_status": "office", "close_contact": false, "travel_to_risk_area": false,
                   "health_code": "green", "note": "late, \"train\"\nsorry"}),
            &[],
        );
        let mut csv = CsvChunks::new(&default_columns()).unwrap();
        csv.write(&row(&zhang_wei(), Some(&c))).unwrap();
        csv.write(&row(&zhang_wei(), None)).unwrap();
        let bytes = csv.take().unwrap();
        assert!(bytes.starts_with(UTF8_BOM));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        let mut lines = text.split("\r\n");
        assert_eq!(lines.next().unwrap(), HEADER_OF_THE_DEFAULT_FORM);
        assert_eq!(
            lines.next().unwrap(),
            "E001,张伟,zw@acme.test,Sales/East,2020-02-03,reported,2020-02-03T01:00:05Z,36.5,,\
             \"'=HYPERLINK(\"\"x\"\")\",office,false,false,green,\"late, \"\"train\"\"\nsorry\",false,,true,"
        );
        assert_eq!(
            lines.next().unwrap(),
            "E001,张伟,zw@acme.test,Sales/East,2020-02-03,unreported,,,,,,,,,,,,true,"
        );
        assert_eq!(csv.take().unwrap(), b"");
    }

    #[test]
    fn xlsx_rolls_over_to_a_new_sheet_when_one_is_full() {
        let mut x = XlsxExport::with_rows_per_sheet(&default_columns(), 3).unwrap();
        for _ in 0..5 {
            x.write(&row(&zhang_wei(), None)).unwrap();
        }
        assert_eq!(x.sheets, 3, "two rows under each header");
        let mut bytes = Vec::new();
        x.finish(std::io::Cursor::new(&mut bytes)).unwrap();
        assert!(bytes.starts_with(b"PK"));
    }
}
