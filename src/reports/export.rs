//! Check-ins as a table: one row per expected person per day, reported or not, and one for
//! each check-in of someone not expected that day (a weekend, leave), in stable
//! columns. Rows are produced one day at a time and handed to a writer (CSV or XLSX) as they
//! are made, so an export of many people over many days never sits in memory at once.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime, SecondsFormat, Timelike};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::counts::org_tz;
use super::expected::LeaveCalendar;
use super::export_reads::{FastMap, FastSet, ReadPlan, Reads, Stored, Wanted};
use crate::db::departments::tree_of;
use crate::db::organizations::OrganizationRow;
use crate::db::schema::{checkins, departments, users};
use crate::db::DbConn;
use crate::db::{forms, membership};
use crate::domain::day::day_end_utc;
use crate::domain::department_tree::DepartmentTree;
use crate::domain::expectation::exemption;
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
    /// The answers as stored (a JSON object), read only for the cells that show them.
    pub answers: String,
    pub abnormal: bool,
    pub abnormal_reasons: Vec<String>,
    /// Who filed it for the person, when someone else did.
    pub filed_by: Option<String>,
}

/// One line of the export.
#[derive(Clone, Copy, Debug)]
pub struct ExportRow<'a> {
    pub person: Person<'a>,
    /// The department path the person was in that day (`Sales/East`), empty for none.
    pub department: &'a str,
    pub date: NaiveDate,
    pub checkin: Option<&'a Reported>,
    /// Whether the person was expected to report that day; a check-in on a weekend, a holiday
    /// or leave is exported too, marked `false`.
    pub expected: bool,
}

/// A cell: text, or a number with the text it is shown as. Borrowed from the row where it
/// can be: an export writes millions of them.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'a> {
    Text(Cow<'a, str>),
    Number(f64, Cow<'a, str>),
}

impl Cell<'_> {
    pub fn text(&self) -> &str {
        match self {
            Cell::Text(t) | Cell::Number(_, t) => t,
        }
    }
}

const EMPTY: Cell<'static> = Cell::Text(Cow::Borrowed(""));

fn bool_cell(b: bool) -> Cell<'static> {
    Cell::Text(Cow::Borrowed(if b { "true" } else { "false" }))
}

/// A stored answers object read without copying: each question's key and its value's text.
#[derive(Default)]
struct StoredAnswers<'a>(Vec<(Cow<'a, str>, &'a str)>);

impl<'a> StoredAnswers<'a> {
    /// Read by hand where it can be (`stored_json`), else by serde_json; answers that cannot
    /// be read show as unanswered, as before they were kept.
    fn read(text: &'a str) -> Self {
        match super::stored_json::object_members(text) {
            Some(members) => StoredAnswers(
                members
                    .into_iter()
                    .map(|(key, value)| (Cow::Borrowed(key), value))
                    .collect(),
            ),
            None => serde_json::from_str(text).unwrap_or_default(),
        }
    }

    /// Each of `keys`' answer in turn. `places` remembers where each key was found in the
    /// row before: the rows of an export mostly hold the same keys in the same order (their
    /// keys' order, as stored, not the form's), so a key is usually where it was last time.
    /// Otherwise it is looked for from where the last key was found.
    fn in_order_of<'k>(
        &'k self,
        keys: &'k [String],
        places: &'k mut AnswerPlaces,
    ) -> impl Iterator<Item = Option<&'a str>> + 'k {
        let fields = &self.0;
        places.0.resize(keys.len(), usize::MAX);
        let mut next = 0;
        keys.iter()
            .zip(places.0.iter_mut())
            .map(move |(key, place)| {
                let at = |i: usize| fields.get(i).filter(|(k, _)| k == key.as_str());
                let found = match at(*place) {
                    Some(_) => *place,
                    None => (next..fields.len())
                        .chain(0..next.min(fields.len()))
                        .find(|&i| at(i).is_some())?,
                };
                *place = found;
                next = found + 1;
                Some(fields[found].1)
            })
    }
}

/// Where each answer column's key was found among the last row's stored answers (see
/// `StoredAnswers::in_order_of`), kept from row to row by a writer.
#[derive(Default)]
pub struct AnswerPlaces(Vec<usize>);

impl<'de> Deserialize<'de> for StoredAnswers<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// A key, borrowed unless it has escapes.
        #[derive(Deserialize)]
        struct Key<'a>(#[serde(borrow)] Cow<'a, str>);
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = StoredAnswers<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of answers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some((key, value)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    fields.push((key.0, value.get()));
                }
                Ok(StoredAnswers(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// A JSON string's text, borrowed unless it has escapes.
fn json_text(raw: &str) -> Cow<'_, str> {
    match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) if !inner.contains('\\') => Cow::Borrowed(inner),
        _ => Cow::Owned(serde_json::from_str::<String>(raw).unwrap_or_default()),
    }
}

/// A value as compact JSON: as stored, except an object or list, which is written again.
fn json_compact(raw: &str) -> Cow<'_, str> {
    if raw.starts_with(['{', '[']) {
        serde_json::from_str::<Value>(raw)
            .map(|v| Cow::Owned(v.to_string()))
            .unwrap_or(Cow::Borrowed(raw))
    } else {
        Cow::Borrowed(raw)
    }
}

/// An answer as one cell: lists joined with `;`, booleans as `true`/`false`.
fn answer_cell(value: Option<&str>) -> Cell<'_> {
    let Some(raw) = value else {
        return EMPTY;
    };
    match raw.as_bytes().first() {
        None | Some(b'n') => EMPTY,
        Some(b't' | b'f') => Cell::Text(Cow::Borrowed(raw)),
        Some(b'"') => Cell::Text(json_text(raw)),
        Some(b'[') => {
            let items = serde_json::from_str::<Vec<&RawValue>>(raw).unwrap_or_default();
            let texts: Vec<Cow<'_, str>> = items
                .iter()
                .map(|item| match item.get() {
                    s if s.starts_with('"') => json_text(s),
                    other => json_compact(other),
                })
                .collect();
            Cell::Text(Cow::Owned(texts.join(LIST_SEPARATOR)))
        }
        Some(b'{') => Cell::Text(json_compact(raw)),
        Some(_) => match raw.parse::<f64>() {
            Ok(n) => Cell::Number(n, Cow::Borrowed(raw)),
            Err(_) => Cell::Text(Cow::Borrowed(raw)),
        },
    }
}

impl<'a> ExportRow<'a> {
    /// Hands the row's cells to `cell` in the order of `columns`; answers are empty when
    /// unreported, and so is a question the check-in's version did not ask. Without a list
    /// of them: an export writes millions of rows.
    pub fn each_cell<E>(
        &self,
        columns: &Columns,
        places: &mut AnswerPlaces,
        mut cell: impl FnMut(Cell<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let text = |s| Cell::Text(Cow::Borrowed(s));
        cell(text(self.person.employee_no))?;
        cell(text(self.person.name))?;
        cell(text(self.person.email))?;
        cell(text(self.department))?;
        let (mut date, mut at) = (DateText::default(), DateText::default());
        cell(text(date.of_day(self.date)))?;
        match self.checkin {
            Some(c) => {
                cell(text("reported"))?;
                cell(text(at.of_instant(c.submitted_at)))?;
                let stored = StoredAnswers::read(&c.answers);
                for answer in stored.in_order_of(&columns.answers, places) {
                    cell(answer_cell(answer))?;
                }
                cell(bool_cell(c.abnormal))?;
                cell(Cell::Text(Cow::Owned(
                    c.abnormal_reasons.join(LIST_SEPARATOR),
                )))?;
            }
            None => {
                cell(text("unreported"))?;
                // submitted_at, the answers, abnormal and its reasons.
                for _ in 0..columns.answers.len() + 3 {
                    cell(EMPTY)?;
                }
            }
        }
        cell(bool_cell(self.expected))?;
        cell(text(
            self.checkin
                .and_then(|c| c.filed_by.as_deref())
                .unwrap_or(""),
        ))
    }

    /// The row's cells, as [`ExportRow::each_cell`] hands them over.
    pub fn cells(&self, columns: &Columns) -> Vec<Cell<'static>> {
        let mut cells = Vec::with_capacity(LEADING_COLUMNS.len() + columns.answers.len() + 4);
        let mut places = AnswerPlaces::default();
        let kept: Result<(), std::convert::Infallible> =
            self.each_cell(columns, &mut places, |cell| {
                cells.push(match cell {
                    Cell::Text(t) => Cell::Text(Cow::Owned(t.into_owned())),
                    Cell::Number(n, t) => Cell::Number(n, Cow::Owned(t.into_owned())),
                });
                Ok(())
            });
        match kept {
            Ok(()) => cells,
        }
    }
}

/// A date (`2020-02-03`) or an instant in UTC to the second (`2020-02-03T08:30:00Z`) as text,
/// written without the formatting machinery, which costs more than the rest of a cell.
#[derive(Default)]
struct DateText {
    bytes: [u8; 20],
    text: String,
}

impl DateText {
    fn of_day(&mut self, day: NaiveDate) -> &str {
        if !(0..=9999).contains(&day.year()) {
            self.text = day.to_string();
            return &self.text;
        }
        self.put_day(day);
        std::str::from_utf8(&self.bytes[..10]).unwrap_or_default()
    }

    fn of_instant(&mut self, at: NaiveDateTime) -> &str {
        if !(0..=9999).contains(&at.year()) {
            self.text = at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true);
            return &self.text;
        }
        self.put_day(at.date());
        let b = &mut self.bytes;
        b[10] = b'T';
        put_two(&mut b[11..13], at.hour());
        b[13] = b':';
        put_two(&mut b[14..16], at.minute());
        b[16] = b':';
        put_two(&mut b[17..19], at.second());
        b[19] = b'Z';
        std::str::from_utf8(&self.bytes).unwrap_or_default()
    }

    fn put_day(&mut self, day: NaiveDate) {
        let b = &mut self.bytes;
        let year = day.year() as u32;
        put_two(&mut b[0..2], year / 100);
        put_two(&mut b[2..4], year % 100);
        b[4] = b'-';
        put_two(&mut b[5..7], day.month());
        b[7] = b'-';
        put_two(&mut b[8..10], day.day());
    }
}

fn put_two(into: &mut [u8], n: u32) {
    into[0] = b'0' + (n / 10 % 10) as u8;
    into[1] = b'0' + (n % 10) as u8;
}

/// A text cell that a spreadsheet would run as a formula gets a leading `'`, so that an
/// answer such as `=HYPERLINK(…)` stays text when the CSV is opened.
pub fn csv_safe<'a>(cell: &'a Cell<'_>) -> Cow<'a, str> {
    match cell {
        Cell::Text(t) if needs_formula_guard(t) => format!("'{t}").into(),
        other => other.text().into(),
    }
}

fn needs_formula_guard(text: &str) -> bool {
    matches!(
        text.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

pub use super::export_people::{People, Person};

/// Check-ins read from the database at a time, at most (a department is never split): their
/// answers are most of an export's bytes, and a day of 100,000 people held at once made the
/// process grow by some 200 MiB.
const CHECKINS_PER_READ: usize = 2_000;

/// The organization's people and departments by number, so that a day's rows are three
/// small numbers each, sorted by two, rather than strings compared again every day.
struct Directory {
    people: Arc<People>,
    /// Each person's place in the order of names (then e-mails).
    name_rank: Vec<u32>,
    /// Number 0 is no department (the empty path).
    departments: Vec<Option<String>>,
    paths: Vec<String>,
    /// Each department's place in the order of paths, shared by paths that differ by case.
    path_rank: Vec<u32>,
    department_number: FastMap<String, u32>,
}

const NO_DEPARTMENT: u32 = 0;

/// What a number outside the directory reads as; never met, as numbers come from it.
const NOBODY: Person<'static> = Person {
    employee_no: "",
    name: "",
    email: "",
};

impl Directory {
    fn new(people: People, tree: &DepartmentTree, ids: Vec<String>) -> Self {
        let count = people.len() as u32;
        let mut order: Vec<u32> = (0..count).collect();
        {
            let person = |n: u32| people.get(n).unwrap_or(NOBODY);
            let lowercase: Vec<String> =
                (0..count).map(|n| person(n).name.to_lowercase()).collect();
            order.sort_unstable_by(|&a, &b| {
                lowercase[a as usize]
                    .cmp(&lowercase[b as usize])
                    .then_with(|| person(a).name.cmp(person(b).name))
                    .then_with(|| person(a).email.cmp(person(b).email))
            });
        }
        let mut name_rank = vec![0; people.len()];
        for (rank, n) in order.into_iter().enumerate() {
            name_rank[n as usize] = rank as u32;
        }
        let mut directory = Self {
            people: Arc::new(people),
            name_rank,
            departments: vec![None],
            paths: vec![String::new()],
            path_rank: Vec::new(),
            department_number: FastMap::default(),
        };
        for id in ids {
            directory.push_department(id, tree);
        }
        directory.rank_paths();
        directory
    }

    fn push_department(&mut self, id: String, tree: &DepartmentTree) -> u32 {
        let n = self.departments.len() as u32;
        self.paths.push(tree.path(&id));
        self.department_number.insert(id.clone(), n);
        self.departments.push(Some(id));
        n
    }

    fn rank_paths(&mut self) {
        let keys: Vec<String> = self.paths.iter().map(|p| p.to_lowercase()).collect();
        let mut sorted: Vec<&String> = keys.iter().collect();
        sorted.sort();
        sorted.dedup();
        self.path_rank = keys
            .iter()
            .map(|k| sorted.binary_search(&k).unwrap_or(0) as u32)
            .collect();
    }

    fn department(&self, id: Option<&str>) -> Option<u32> {
        match id {
            None => Some(NO_DEPARTMENT),
            Some(id) => self.department_number.get(id).copied(),
        }
    }
}

/// Where a person was at the end of the day being read.
#[derive(Clone, Copy, Default)]
struct Member {
    department: u32,
    active: bool,
    /// Whether they were in the organization yet.
    present: bool,
}

/// One line to write: who, under which department, expected or not.
#[derive(Clone, Copy)]
struct Line {
    person: u32,
    department: u32,
    expected: bool,
}

/// Reads the export's rows day by day.
pub struct ExportSource {
    org_id: String,
    settings: OrgSettings,
    /// `None`: the whole organization, people without a department included.
    scope: Option<HashSet<String>>,
    directory: Directory,
    tz: Tz,
    /// Membership history by number (when, person, department, active), oldest first,
    /// played forward a day at a time into `members`.
    changes: std::iter::Peekable<std::vec::IntoIter<(NaiveDateTime, u32, u32, bool)>>,
    members: Vec<Member>,
    leave: LeaveCalendar,
    from: NaiveDate,
    /// The next day to put in order.
    next: Option<NaiveDate>,
    to: NaiveDate,
    /// The day being put in order, and where its next part starts.
    current: Option<(Arc<DayLines>, usize)>,
    /// Parts whose check-ins were asked for, in order.
    asked: VecDeque<PartLines>,
    columns: Columns,
}

/// A day's lines in order, and who reported.
struct DayLines {
    day: NaiveDate,
    lines: Vec<Line>,
    reporters: FastSet<u32>,
}

/// Some whole departments of a day's lines: one part of the export.
struct PartLines {
    day: Arc<DayLines>,
    start: usize,
    end: usize,
}

impl PartLines {
    fn lines(&self) -> &[Line] {
        &self.day.lines[self.start..self.end]
    }
}

/// Parts whose check-ins are asked for before the first of them is put together: enough to
/// keep the database busy while one is assembled and another written.
const PARTS_AHEAD: usize = 3;

/// Some of the export's rows, owned, so that they can be read on one thread and written on
/// another.
pub struct Part {
    day: NaiveDate,
    paths: Vec<String>,
    lines: Vec<PartLine>,
}

struct PartLine {
    person: u32,
    path: u32,
    expected: bool,
    checkin: Option<Reported>,
}

impl Part {
    /// The rows, naming people from [`ExportSource::people`].
    pub fn rows<'a>(&'a self, people: &'a People) -> impl Iterator<Item = ExportRow<'a>> + 'a {
        self.lines.iter().filter_map(move |line| {
            Some(ExportRow {
                person: people.get(line.person)?,
                department: self.paths.get(line.path as usize)?,
                date: self.day,
                checkin: line.checkin.as_ref(),
                expected: line.expected,
            })
        })
    }
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
        let tree = tree_of(&all_departments);
        // An erased person is in no export: their rows are left out below.
        let everyone = users::table
            .filter(users::org_id.eq(&org.id))
            .filter(users::erased_at.is_null())
            .select((users::id, users::employee_no, users::name, users::email));
        let mut people = People::default();
        let mut packed = Ok(());
        // A row at a time, packed as it comes: read at once, 100,000 people took some 30 MiB
        // for a moment, in libpq and as strings, before they were packed.
        conn.each_row(
            everyone,
            |(id, employee_no, name, email): (String, Option<String>, String, String)| {
                if packed.is_ok() {
                    let employee_no = employee_no.as_deref().unwrap_or_default();
                    packed = people.push(&id, employee_no, &name, &email).map(drop);
                }
            },
        )?;
        // As a failure to read the people: the export ends with a server error that says why.
        packed.map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        let mut directory = Directory::new(
            people,
            &tree,
            all_departments.into_iter().map(|d| d.id).collect(),
        );
        let tz = org_tz(org);
        let mut changes = Vec::new();
        let mut added_departments = false;
        membership::each_change_before(
            conn,
            &org.id,
            day_end_utc(tz, to),
            |(user, department, active, at)| {
                // An erased person's history: they are in no export.
                let Some(person) = directory.people.number_of(&user) else {
                    return;
                };
                let department = match directory.department(department.as_deref()) {
                    Some(n) => n,
                    None => {
                        added_departments = true;
                        directory.push_department(department.unwrap_or_default(), &tree)
                    }
                };
                changes.push((at, person, department, active));
            },
        )?;
        if added_departments {
            directory.rank_paths();
        }
        let members = vec![Member::default(); directory.people.len()];
        Ok(Self {
            org_id: org.id.clone(),
            settings: org.settings()?,
            scope,
            directory,
            tz,
            changes: changes.into_iter().peekable(),
            members,
            leave: LeaveCalendar::load(conn, &org.id, from, to)?,
            from,
            next: Some(from),
            to,
            current: None,
            asked: VecDeque::new(),
            columns: columns_of_range(conn, &org.id, from, to)?,
        })
    }

    pub fn columns(&self) -> &Columns {
        &self.columns
    }

    /// Everyone the rows name, by the numbers of [`Part`]s.
    pub fn people(&self) -> Arc<People> {
        self.directory.people.clone()
    }

    /// What the reading threads need (see [`export_reads::start`]).
    pub fn read_plan(&self) -> ReadPlan {
        ReadPlan {
            org_id: self.org_id.clone(),
            from: self.from,
            to: self.to,
            people: Arc::clone(&self.directory.people),
        }
    }

    /// The next part of the export: whole departments of a day, in order, with their
    /// check-ins read. `None` when every day was read. The check-ins of the next few parts
    /// are asked for first, so that they are read while this one is put together.
    pub fn next_part(&mut self, reads: &Reads) -> Result<Option<Part>, ExportError> {
        while self.asked.len() < PARTS_AHEAD {
            let Some(part) = self.plan_part(reads)? else {
                break;
            };
            reads.ask(self.wanted(&part));
            self.asked.push_back(part);
        }
        let Some(part) = self.asked.pop_front() else {
            return Ok(None);
        };
        let found = reads.next_found()?;
        Ok(Some(self.assemble(&part, found)))
    }

    /// The next whole departments of the day being put in order, until enough check-ins to
    /// read; the next day's lines once a day is done. `None` after the last day.
    fn plan_part(&mut self, reads: &Reads) -> Result<Option<PartLines>, ExportError> {
        loop {
            if let Some((day, start)) = &mut self.current {
                let lines = &day.lines;
                if *start < lines.len() {
                    let mut end = *start;
                    let mut reported = 0;
                    let rank = |line: &Line| self.directory.path_rank[line.department as usize];
                    while end < lines.len() && reported < CHECKINS_PER_READ {
                        // Departments whose paths differ only by case sort together, by
                        // name: whole ranks go in one part, so that no department is read
                        // twice.
                        let department = rank(&lines[end]);
                        while end < lines.len() && rank(&lines[end]) == department {
                            reported += usize::from(day.reporters.contains(&lines[end].person));
                            end += 1;
                        }
                    }
                    let part = PartLines {
                        day: Arc::clone(day),
                        start: *start,
                        end,
                    };
                    *start = end;
                    return Ok(Some(part));
                }
            }
            let Some(day) = self.next.filter(|d| *d <= self.to) else {
                return Ok(None);
            };
            self.next = day.succ_opt();
            let reporters = reads.next_reporters()?;
            self.current = Some((Arc::new(self.lines_of(day, reporters)), 0));
        }
    }

    /// A day's lines, sorted by department path and name.
    fn lines_of(&mut self, day: NaiveDate, reporters: FastSet<u32>) -> DayLines {
        let end = day_end_utc(self.tz, day);
        while let Some((_, person, department, active)) = self.changes.next_if(|(at, ..)| *at < end)
        {
            self.members[person as usize] = Member {
                department,
                active,
                present: true,
            };
        }
        let away: FastSet<u32> = self
            .leave
            .away_on(day)
            .into_iter()
            .filter_map(|user| self.directory.people.number_of(user))
            .collect();
        let mut lines = Vec::new();
        for (person, member) in self.members.iter().enumerate() {
            let person = person as u32;
            // Active members, expected or exempt as the reports count them, and check-ins of
            // people deactivated by the end of the day: not expected, still reported.
            let expected =
                member.active && exemption(&self.settings, day, away.contains(&person)).is_none();
            if !member.present || !(expected || reporters.contains(&person)) {
                continue;
            }
            let department_id = self.directory.departments[member.department as usize].as_deref();
            if !crate::access::covers(self.scope.as_ref(), department_id) {
                continue;
            }
            lines.push(Line {
                person,
                department: member.department,
                expected,
            });
        }
        let directory = &self.directory;
        lines.sort_unstable_by_key(|l| {
            (
                directory.path_rank[l.department as usize],
                directory.name_rank[l.person as usize],
                l.person,
            )
        });
        DayLines {
            day,
            lines,
            reporters,
        }
    }

    /// The check-ins a part needs: of its people who reported, filed in its departments.
    fn wanted(&self, part: &PartLines) -> Wanted {
        let lines = part.lines();
        let departments: BTreeSet<u32> = lines.iter().map(|l| l.department).collect();
        Wanted {
            day: part.day.day,
            department_ids: departments
                .iter()
                .filter_map(|d| self.directory.departments[*d as usize].clone())
                .collect(),
            no_department: departments.contains(&NO_DEPARTMENT),
            people: lines
                .iter()
                .filter(|l| part.day.reporters.contains(&l.person))
                .map(|l| l.person)
                .collect(),
        }
    }

    /// A part's rows from its lines and their check-ins.
    fn assemble(&self, lines: &PartLines, mut stored: FastMap<u32, Stored>) -> Part {
        let taken = lines.lines();
        let mut part = Part {
            day: lines.day.day,
            paths: Vec::new(),
            lines: Vec::with_capacity(taken.len()),
        };
        let mut path_of: FastMap<u32, u32> = FastMap::default();
        for line in taken {
            let checkin = stored.remove(&line.person);
            if checkin.is_none() && !line.expected {
                // Its check-in was deleted after the day's reporters were read: as if it had
                // been before, someone not expected is not listed.
                continue;
            }
            let path = *path_of.entry(line.department).or_insert_with(|| {
                part.paths
                    .push(self.directory.paths[line.department as usize].clone());
                part.paths.len() as u32 - 1
            });
            let checkin = checkin.map(|(at, answers, abnormal, reasons, by)| Reported {
                submitted_at: at,
                answers,
                abnormal,
                abnormal_reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                filed_by: self.filer(by.as_deref()),
            });
            part.lines.push(PartLine {
                person: line.person,
                path,
                expected: line.expected,
                checkin,
            });
        }
        part
    }

    /// The name of who filed a check-in for someone else, `None` when they filed it themselves.
    fn filer(&self, by: Option<&str>) -> Option<String> {
        match self.directory.people.number_of(by?) {
            Some(n) => Some(
                self.directory
                    .people
                    .get(n)
                    .unwrap_or(NOBODY)
                    .name
                    .to_string(),
            ),
            // An erased filer is named as such, never as the person.
            None => Some("(erased)".to_string()),
        }
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
    let in_force = forms::current(conn, org_id)?;
    // A check-in is given on the version in force at that moment, never before its day has
    // begun in the person's zone (at most 14 hours ahead of UTC). When only one version was
    // in force since a day before `from`, it is the one, and the range's check-ins need not
    // be read for their versions: that read was a pass over the whole month (1 to 1.6 s
    // before the first row at 100,000 people).
    let since = from
        .checked_sub_days(chrono::Days::new(1))
        .unwrap_or(NaiveDate::MIN)
        .and_time(chrono::NaiveTime::MIN);
    if forms::in_force_since(conn, org_id, since)? == [in_force.version] {
        return Ok(Columns::of_form(&in_force.template()?));
    }
    let in_force = in_force.template()?;
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
/// hands over what has been written so far. Written here rather than through the `csv`
/// crate, whose buffering and state machine cost a tenth of an export's time; the bytes are
/// the same as its defaults with CRLF (`writes_the_bytes_the_csv_crate_writes`).
pub struct CsvChunks {
    written: Vec<u8>,
    columns: Columns,
    places: AnswerPlaces,
}

/// A field as RFC 4180 has it: quoted when it holds a comma, a quote or a line break, with
/// its quotes doubled. `prefix` goes before it inside the quotes (the formula guard's `'`).
fn put_field(out: &mut Vec<u8>, prefix: &str, field: &[u8]) {
    if !needs_quotes(field) {
        if !prefix.is_empty() {
            out.extend_from_slice(prefix.as_bytes());
        }
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    out.extend_from_slice(prefix.as_bytes());
    let mut rest = field;
    while let Some(quote) = rest.iter().position(|b| *b == b'"') {
        out.extend_from_slice(&rest[..=quote]);
        out.push(b'"');
        rest = &rest[quote + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

/// Whether a field holds a comma, a quote or a line break. Eight bytes at a time: a byte
/// equal to `n` is a zero byte of `x ^ n`, which sets the high bit of `(y - 0x01…) & !y`
/// (where a borrow flags more, a zero byte below it was flagged already).
fn needs_quotes(field: &[u8]) -> bool {
    const fn splat(byte: u8) -> u64 {
        u64::from_ne_bytes([byte; 8])
    }
    let zero_in = |y: u64| y.wrapping_sub(splat(1)) & !y;
    let mut chunks = field.chunks_exact(8);
    for chunk in &mut chunks {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(chunk);
        let x = u64::from_ne_bytes(eight);
        let flags = zero_in(x ^ splat(b','))
            | zero_in(x ^ splat(b'"'))
            | zero_in(x ^ splat(b'\r'))
            | zero_in(x ^ splat(b'\n'));
        if flags & splat(0x80) != 0 {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
}

/// A cell as [`csv_safe`] shows it, without building its text first.
fn put_cell(out: &mut Vec<u8>, cell: &Cell<'_>) {
    match cell {
        Cell::Text(t) if needs_formula_guard(t) => put_field(out, "'", t.as_bytes()),
        other => put_field(out, "", other.text().as_bytes()),
    }
}

impl CsvChunks {
    pub fn new(columns: &Columns) -> Result<Self, ExportError> {
        let mut written = UTF8_BOM.to_vec();
        for (i, name) in columns.names().into_iter().enumerate() {
            if i > 0 {
                written.push(b',');
            }
            put_field(&mut written, "", name.as_bytes());
        }
        written.extend_from_slice(b"\r\n");
        Ok(Self {
            written,
            columns: columns.clone(),
            places: AnswerPlaces::default(),
        })
    }

    pub fn write(&mut self, row: &ExportRow<'_>) -> Result<(), ExportError> {
        let out = &mut self.written;
        let mut cells = 0;
        let done: Result<(), std::convert::Infallible> =
            row.each_cell(&self.columns, &mut self.places, |cell| {
                if cells > 0 {
                    out.push(b',');
                }
                cells += 1;
                put_cell(out, &cell);
                Ok(())
            });
        match done {
            Ok(()) => {}
        }
        // The csv crate refused a row of another length than the header; a check where the
        // tests run keeps that guard.
        debug_assert_eq!(
            cells,
            LEADING_COLUMNS.len() + self.columns.answers.len() + TRAILING_COLUMNS.len(),
            "a row has one cell for each column"
        );
        out.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// Bytes written and not taken yet.
    pub fn pending(&self) -> usize {
        self.written.len()
    }

    pub fn take(&mut self) -> Result<Vec<u8>, ExportError> {
        let room = Vec::with_capacity(self.written.capacity());
        Ok(std::mem::replace(&mut self.written, room))
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
    places: AnswerPlaces,
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
            places: AnswerPlaces::default(),
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
        let (row_number, mut col) = (self.row, 0u16);
        row.each_cell(&self.columns, &mut self.places, |cell| {
            match cell {
                Cell::Number(n, _) => {
                    sheet.write_number(row_number, col, n)?;
                }
                // Empty cells are left out rather than written as empty text.
                Cell::Text(t) if t.is_empty() => {}
                Cell::Text(t) => {
                    sheet.write_string(row_number, col, t.as_ref())?;
                }
            }
            col += 1;
            Ok::<(), ExportError>(())
        })?;
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
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use serde_json::json;

    fn reported(answers: Value, reasons: &[&str]) -> Reported {
        Reported {
            submitted_at: NaiveDate::from_ymd_opt(2020, 2, 3)
                .unwrap()
                .and_hms_micro_opt(1, 0, 5, 250)
                .unwrap(),
            answers: answers.to_string(),
            abnormal: !reasons.is_empty(),
            abnormal_reasons: reasons.iter().map(|r| r.to_string()).collect(),
            filed_by: None,
        }
    }

    fn zhang_wei() -> Person<'static> {
        Person {
            employee_no: "E001",
            name: "张伟",
            email: "zw@acme.test",
        }
    }

    fn row<'a>(person: Person<'a>, checkin: Option<&'a Reported>) -> ExportRow<'a> {
        ExportRow {
            person,
            department: "Sales/East",
            date: NaiveDate::from_ymd_opt(2020, 2, 3).unwrap(),
            checkin,
            expected: true,
        }
    }

    fn texts<'a>(cells: &'a [Cell<'_>]) -> Vec<&'a str> {
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
        let person = zhang_wei();
        let cells = row(person, Some(&c)).cells(&default_columns());
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

    /// What a cell showed when answers were read as JSON values: the reference the stored
    /// text is read against.
    fn shown_from_value(value: &Value) -> String {
        match value {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(LIST_SEPARATOR),
            other => other.to_string(),
        }
    }

    #[test]
    fn answers_read_from_their_stored_text_show_as_their_json_values_do() {
        let answers = json!({
            "plain": "Building 3",
            "quoted": "say \"hi\"\\ then\nleave",
            "unicode": "caf\u{e9} 北京",
            "empty": "",
            "int": 72,
            "negative": -3.25,
            "tiny": 1e-7,
            "huge": 1.5e300,
            "big": 18446744073709551615u64,
            "yes": true,
            "no": false,
            "nothing": null,
            "list": ["fever", "co;ugh", "a\"b", 3, 2.5, true, null, {"k": [1, "x"]}, ["n"]],
            "none": [],
            "object": {"b": 1, "a": "x\ty"},
        });
        let stored = answers.to_string();
        fn get<'a>(read: &StoredAnswers<'a>, key: &str) -> Option<&'a str> {
            read.in_order_of(&[key.to_string()], &mut AnswerPlaces::default())
                .next()
                .flatten()
        }
        // Read by hand, and by serde_json (as the hand reader leaves what it declines).
        let by_hand = StoredAnswers::read(&stored);
        assert_eq!(by_hand.0.len(), answers.as_object().unwrap().len());
        for read in [by_hand, serde_json::from_str(&stored).unwrap()] {
            for (key, value) in answers.as_object().unwrap() {
                let cell = answer_cell(get(&read, key));
                assert_eq!(cell.text(), shown_from_value(value), "{key}");
                let number = matches!(cell, Cell::Number(..));
                assert_eq!(number, value.is_number(), "{key}");
                if let Cell::Number(n, _) = cell {
                    assert_eq!(Some(n), value.as_f64(), "{key}");
                }
            }
            assert_eq!(answer_cell(get(&read, "not asked")).text(), "");
        }
        // Stored text that is not an object reads as no answers, as before; a key with an
        // escape is read by serde_json.
        assert!(get(&StoredAnswers::read("[1]"), "plain").is_none());
        assert!(get(&StoredAnswers::read("{\"plain\":1"), "plain").is_none());
        let escaped = StoredAnswers::read(r#"{"pl\u0061in": "x", "b": 2}"#);
        assert_eq!(get(&escaped, "plain"), Some("\"x\""));
        assert_eq!(get(&escaped, "b"), Some("2"));
    }

    #[test]
    fn answers_are_found_in_any_order_of_the_columns() {
        let keys: Vec<String> = ["c", "a", "missing", "b", "d", "a", "z", "d"]
            .map(String::from)
            .to_vec();
        let first = r#"{"a": 1, "b": 2, "c": 3, "d": 4}"#;
        let read = StoredAnswers::read(first);
        let found: Vec<Option<&str>> = read
            .in_order_of(&keys, &mut AnswerPlaces::default())
            .collect();
        assert_eq!(
            found,
            [
                Some("3"),
                Some("1"),
                None,
                Some("2"),
                Some("4"),
                Some("1"),
                None,
                Some("4")
            ]
        );
        // One writer's places, kept across rows whose keys move, go missing and come back:
        // each row's answers are still its own.
        let mut places = AnswerPlaces::default();
        let rows = [
            first,
            first,
            r#"{"d": 40, "c": 30, "b": 20, "a": 10}"#,
            r#"{"b": 200}"#,
            r#"{"z": "last", "a": 1000, "b": 2000, "c": 3000}"#,
            first,
        ];
        for row in rows {
            let read = StoredAnswers::read(row);
            let by_key: serde_json::Map<String, Value> = serde_json::from_str(row).unwrap();
            let found: Vec<Option<String>> = read
                .in_order_of(&keys, &mut places)
                .map(|v| v.map(str::to_string))
                .collect();
            let expected: Vec<Option<String>> = keys
                .iter()
                .map(|k| by_key.get(k).map(Value::to_string))
                .collect();
            assert_eq!(found, expected, "{row}");
        }
        assert_eq!(
            StoredAnswers::default()
                .in_order_of(&keys, &mut places)
                .flatten()
                .count(),
            0
        );
    }

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        let instants = [
            "2020-02-03T08:30:05",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59",
            "1999-10-09T19:09:59",
        ];
        for text in instants {
            let at: NaiveDateTime = text.parse().unwrap();
            let (mut day, mut instant) = (DateText::default(), DateText::default());
            assert_eq!(day.of_day(at.date()), at.date().to_string());
            assert_eq!(
                instant.of_instant(at),
                at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
            );
        }
        let far = NaiveDate::from_ymd_opt(12_345, 6, 7).unwrap();
        assert_eq!(DateText::default().of_day(far), far.to_string());
        let before = NaiveDate::from_ymd_opt(-44, 3, 15).unwrap();
        assert_eq!(DateText::default().of_day(before), before.to_string());
    }

    #[test]
    fn an_unreported_row_has_empty_answers() {
        let person = zhang_wei();
        let cells = row(person, None).cells(&default_columns());
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
        csv.write(&row(zhang_wei(), Some(&c))).unwrap();
        csv.write(&row(zhang_wei(), None)).unwrap();
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
    fn writes_the_bytes_the_csv_crate_writes() {
        let fields = [
            "",
            "plain",
            "a,b",
            "say \"hi\"",
            "\"",
            "\"\"",
            "line\nbreak",
            "cr\rhere",
            "\r\n",
            "=1+1",
            "+1",
            "-3",
            "@x",
            "\tlead",
            "\rlead",
            "=\"q\",",
            "张伟, 李娜",
            "trailing,",
            ",",
            "'already",
            "x\"y\"z",
        ];
        let mut ours = Vec::new();
        let mut theirs = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        // Each field next to every other (a row is never one field), as text and as a
        // number's text.
        let records = fields
            .iter()
            .flat_map(|a| fields.iter().map(move |b| vec![*a, *b]));
        for record in records {
            for (i, field) in record.iter().enumerate() {
                let cell = if i == 0 {
                    Cell::Text(Cow::Borrowed(field))
                } else {
                    Cell::Number(0.0, Cow::Borrowed(field))
                };
                if i > 0 {
                    ours.push(b',');
                }
                put_cell(&mut ours, &cell);
                theirs.write_field(csv_safe(&cell).as_bytes()).unwrap();
            }
            ours.extend_from_slice(b"\r\n");
            theirs.write_record(std::iter::empty::<&[u8]>()).unwrap();
        }
        let theirs = theirs.into_inner().unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs).unwrap()
        );
    }

    #[test]
    fn a_field_needs_quotes_where_a_byte_at_a_time_says() {
        let mut rng = StdRng::seed_from_u64(4180);
        let bytes = [
            b',', b'"', b'\r', b'\n', b'\t', 0x00, 0x0b, 0x2b, 0x2d, 0xe5, 0xff,
        ];
        for _ in 0..50_000 {
            let field: Vec<u8> = (0..rng.random_range(0..30))
                .map(|_| match rng.random_range(0..12) {
                    0 => bytes[rng.random_range(0..bytes.len())],
                    _ => rng.random_range(b' '..=b'~'),
                })
                .collect();
            let naive = field
                .iter()
                .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
            assert_eq!(needs_quotes(&field), naive, "{field:?}");
        }
    }

    #[test]
    fn xlsx_rolls_over_to_a_new_sheet_when_one_is_full() {
        let mut x = XlsxExport::with_rows_per_sheet(&default_columns(), 3).unwrap();
        for _ in 0..5 {
            x.write(&row(zhang_wei(), None)).unwrap();
        }
        assert_eq!(x.sheets, 3, "two rows under each header");
        let mut bytes = Vec::new();
        x.finish(std::io::Cursor::new(&mut bytes)).unwrap();
        assert!(bytes.starts_with(b"PK"));
    }
}
