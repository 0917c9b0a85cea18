//! The reports managers and HR read: a day's numbers, a range's trend, who has not reported
//! and who reported something abnormal, and the check-ins as a file, each within what the
//! reader may see. Every read of people by name is written in the audit log. The counting
//! itself is `crate::reports`.

use std::io::{Seek, SeekFrom, Write};

use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::audit::{report_read, Reader};
use crate::config::DatabaseUrl;
use crate::db::checkins::CheckinRow;
use crate::db::organizations::OrganizationRow;
use crate::db::reminders;
use crate::db::stats::NO_DEPARTMENT;
use crate::db::users::UserRow;
use crate::db::DbConn;
use crate::reports::charts::DepartmentBar;
use crate::reports::counts::ByDepartment;
use crate::reports::export::{CsvChunks, ExportError, ExportRow, ExportSource, XlsxExport};
use crate::reports::export_reads;
use crate::reports::lists::{self, After, Listed, Window};
use crate::reports::scope::{ReportScope, ScopeError};
use crate::reports::summary::{rolled_up, trend_days, DepartmentCounts, Today, TrendDay};
use crate::reports::{self, Counts};
use crate::services::Caller;

/// The caller, as the audit log names a reader.
fn reader<'a>(caller: &'a Caller<'_>) -> Reader<'a> {
    Reader {
        org_id: &caller.org.id,
        user_id: caller.id,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// A list asked to start after a person the organization does not have, or no longer
    /// names.
    #[error("no such person in the organization")]
    UnknownPerson,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// A report of one day over what the caller may see: `daily` or `daily_bars`.
pub type DayReport<T> =
    fn(&mut DbConn, &Caller<'_>, Option<&str>, NaiveDate, &Today) -> Result<T, ReportError>;

/// A day's numbers over what the caller may see.
pub struct Daily {
    pub total: Counts,
    /// People in scope with a reminder queued that day (any pass).
    pub reminded: i64,
    /// Every department in scope, each counting its whole subtree.
    pub departments: Vec<DepartmentCounts>,
}

pub fn daily(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    department_id: Option<&str>,
    day: NaiveDate,
    today: &Today,
) -> Result<Daily, ReportError> {
    let (scope, counts) = day_in_scope(conn, caller, department_id, day, today)?;
    let reminded = reminders::reminded(conn, &caller.org.id, day)?
        .iter()
        .filter(|(_, department)| scope.covers(department.as_deref()))
        .count() as i64;
    Ok(Daily {
        total: scope.total(&counts),
        reminded,
        departments: rolled_up(&scope, &counts),
    })
}

/// What the caller may see, and a day's counts per department.
fn day_in_scope(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    department_id: Option<&str>,
    day: NaiveDate,
    today: &Today,
) -> Result<(ReportScope, ByDepartment), ReportError> {
    let scope = caller.report_scope(conn, department_id)?;
    let counts = reports::day_counts(conn, caller.org, day, today.today)?;
    Ok((scope, counts))
}

/// A day as a chart draws it: one bar per department, and the total.
pub struct DailyBars {
    pub bars: Vec<DepartmentBar>,
    pub total: Counts,
    /// The path of the department asked for.
    pub department: Option<String>,
}

/// Bars for the sub-departments of `department_id`, else for the top departments in scope;
/// people directly in the chosen department (or in none, for the whole organization) get a
/// bar of their own, so that the bars add up to the total.
pub fn daily_bars(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    department_id: Option<&str>,
    day: NaiveDate,
    today: &Today,
) -> Result<DailyBars, ReportError> {
    let (scope, counts) = day_in_scope(conn, caller, department_id, day, today)?;
    let rolled = rolled_up(&scope, &counts);
    let mut bars: Vec<DepartmentBar> = rolled
        .iter()
        .filter(|d| match department_id {
            Some(chosen) => d.parent_id.as_deref() == Some(chosen),
            None => d
                .parent_id
                .as_deref()
                .is_none_or(|parent| !scope.covers(Some(parent))),
        })
        .map(|d| DepartmentBar {
            id: d.id.clone(),
            name: d.name.clone(),
            direct: false,
            expected: d.numbers.expected,
            reported: d.numbers.reported,
        })
        .collect();
    let direct_key = match (department_id, &scope.departments) {
        (Some(d), _) => Some(d),
        (None, None) => Some(NO_DEPARTMENT),
        (None, Some(_)) => None,
    };
    if let Some(key) = direct_key {
        let direct = counts.get(key).copied().unwrap_or_default();
        let chosen = rolled.iter().find(|d| d.id == key);
        if direct.expected > 0 || direct.reported > 0 || (bars.is_empty() && chosen.is_some()) {
            bars.push(DepartmentBar {
                id: key.to_string(),
                name: chosen.map(|d| d.name.clone()).unwrap_or_default(),
                direct: !bars.is_empty(),
                expected: direct.expected,
                reported: direct.reported,
            });
        }
    }
    Ok(DailyBars {
        bars,
        total: scope.total(&counts),
        department: department_id.map(|d| scope.tree.path(d)),
    })
}

/// The numbers of each day of a range over what the caller may see.
pub struct TrendDays {
    pub days: Vec<TrendDay>,
    /// The path of the department asked for.
    pub department: Option<String>,
}

pub fn trend(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    department_id: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
    today: &Today,
) -> Result<TrendDays, ReportError> {
    let scope = caller.report_scope(conn, department_id)?;
    Ok(TrendDays {
        days: trend_days(conn, caller.org, &scope, from, to, today)?,
        department: department_id.map(|d| scope.tree.path(d)),
    })
}

/// Which page of a list of people, of which day.
pub struct ListRequest<'a> {
    pub department_id: Option<&'a str>,
    pub day: NaiveDate,
    /// The page's number, counted from `after` when it is given.
    pub page: i64,
    pub per_page: i64,
    /// The id of the person the list starts after, in its order (names, then ids): the
    /// page after the one that ended with them.
    pub after: Option<&'a str>,
}

impl ListRequest<'_> {
    /// The part of the list asked for, its place found by the person it starts after.
    fn window(&self, conn: &mut DbConn, org: &OrganizationRow) -> Result<Window, ReportError> {
        let after = match self.after {
            Some(id) => {
                // An erased person is not found: their name is a pseudonym now, with a place
                // of its own.
                let person = crate::db::users::find_in_org(conn, &org.id, id)?
                    .ok_or(ReportError::UnknownPerson)?;
                Some(After {
                    name: person.name,
                    id: person.id,
                })
            }
            None => None,
        };
        Ok(Window {
            offset: (self.page - 1) * self.per_page,
            limit: self.per_page,
            after,
        })
    }
}

/// A department as a list names it.
pub struct Department {
    pub id: String,
    pub name: String,
    pub path: String,
}

/// A person on a list, under the department they were in that day.
pub struct ListedPerson {
    pub user: UserRow,
    pub department: Option<Department>,
    /// The abnormal list carries the check-in.
    pub checkin: Option<CheckinRow>,
}

/// One page of a list, and how many there are in all.
pub struct PeoplePage {
    pub people: Vec<ListedPerson>,
    pub total: i64,
    /// Whether the page was read to its end, so that more may follow its last person.
    pub full: bool,
}

/// The lists of people by name.
#[derive(Clone, Copy, Debug)]
pub enum Listing {
    /// Who was expected on a day and has not reported.
    Unreported,
    /// Who reported something abnormal on a day, with their check-ins.
    Abnormal,
}

impl Listing {
    /// The action the audit log names.
    fn action(self) -> &'static str {
        match self {
            Listing::Unreported => "reports.unreported",
            Listing::Abnormal => "reports.abnormal",
        }
    }
}

/// One page of a list within the caller's scope, its departments named; the read is written
/// in the audit log.
pub fn people(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    list: Listing,
    request: &ListRequest<'_>,
    today: &Today,
) -> Result<PeoplePage, ReportError> {
    let scope = caller.report_scope(conn, request.department_id)?;
    let window = request.window(conn, caller.org)?;
    let (found, total, full) = match list {
        Listing::Unreported => unreported(conn, caller.org, &scope, request, &window, today.today)?,
        Listing::Abnormal => abnormal(conn, caller.org, &scope, request, &window, today.today)?,
    };
    let people: Vec<ListedPerson> = found
        .into_iter()
        .map(|(listed, checkin)| ListedPerson {
            department: listed.department_id.as_deref().and_then(|d| {
                scope.tree.get(d).map(|n| Department {
                    id: n.id.clone(),
                    name: n.name.clone(),
                    path: scope.tree.path(d),
                })
            }),
            user: listed.user,
            checkin,
        })
        .collect();
    let mut detail = json!({"date": request.day, "page": request.page, "people": people.len()});
    if let Some(after) = request.after {
        detail["after"] = json!(after);
    }
    report_read(
        conn,
        reader(caller),
        &scope,
        request.department_id,
        list.action(),
        detail,
        today.now,
    )?;
    Ok(PeoplePage {
        people,
        total,
        full,
    })
}

/// People with their check-ins, and how many there are in all.
type Found = (Vec<(Listed, Option<CheckinRow>)>, i64, bool);

fn unreported(
    conn: &mut DbConn,
    org: &OrganizationRow,
    scope: &ReportScope,
    request: &ListRequest<'_>,
    window: &Window,
    today: NaiveDate,
) -> diesel::QueryResult<Found> {
    let listed = lists::unreported(
        conn,
        org,
        request.day,
        today,
        scope.departments.as_ref(),
        window,
    )?;
    // Today's list pages through the database; its total is the day's own count.
    let total = match listed.total {
        Some(total) => total,
        None => scope
            .total(&reports::day_counts(conn, org, request.day, today)?)
            .unreported(),
    };
    Ok((
        listed.items.into_iter().map(|l| (l, None)).collect(),
        total,
        listed.full,
    ))
}

fn abnormal(
    conn: &mut DbConn,
    org: &OrganizationRow,
    scope: &ReportScope,
    request: &ListRequest<'_>,
    window: &Window,
    today: NaiveDate,
) -> diesel::QueryResult<Found> {
    let listed = lists::abnormal(
        conn,
        org,
        (request.day, today),
        scope.departments.as_ref(),
        window,
    )?;
    let people = listed
        .items
        .into_iter()
        .map(|(l, c)| (l, Some(c)))
        .collect();
    Ok((people, listed.total.unwrap_or_default(), listed.full))
}

/// The file formats of an export.
#[derive(Clone, Copy, Debug)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    /// The action the audit log names.
    fn action(self) -> &'static str {
        match self {
            ExportFormat::Csv => "exports.csv",
            ExportFormat::Xlsx => "exports.xlsx",
        }
    }
}

/// An export whose scope is settled and whose read is in the audit log, with connections of
/// its own for the rows: a download lasts as long as the client takes, and must not hold a
/// connection of the pool meanwhile. The connections are closed when the export is done or
/// given up.
pub struct Export {
    conns: ExportConnections,
    source: ExportSource,
}

/// The connections an export is prepared and read on, opened for it alone: `main` for what
/// the rows are made from and then each day's reporters, `checkins` for the answers, and on
/// PostgreSQL `second_checkins`, which takes every other part of the answers.
pub struct ExportConnections {
    pub main: DbConn,
    pub checkins: DbConn,
    pub second_checkins: Option<DbConn>,
}

impl ExportConnections {
    /// Whether an export on `database` reads the answers on a second connection. PostgreSQL
    /// answers a part in a process of its own, and with one reader the database and the
    /// reader took turns: a second keeps it busy with the next part meanwhile (a month's
    /// export about 12 % sooner). SQLite answers in the reading thread itself, where a
    /// second reader only competed for the cores with the writing.
    pub fn second_reader_for(database: &DatabaseUrl) -> bool {
        matches!(database, DatabaseUrl::Postgres(_))
    }
}

/// Checks the range's scope, notes the read in the audit log and loads what the rows are
/// made from, on `conns.main`, which the export then keeps for its rows, with the others.
pub fn export(
    conns: ExportConnections,
    caller: &Caller<'_>,
    department_id: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
    format: ExportFormat,
    today: &Today,
) -> Result<Export, ReportError> {
    let ExportConnections {
        main: mut conn,
        checkins,
        second_checkins,
    } = conns;
    let scope = caller.report_scope(&mut conn, department_id)?;
    let source = ExportSource::prepare(&mut conn, caller.org, scope.departments.clone(), from, to)?;
    let detail: Value = json!({"from": from, "to": to, "department_id": department_id});
    report_read(
        &mut conn,
        reader(caller),
        &scope,
        department_id,
        format.action(),
        detail,
        today.now,
    )?;
    Ok(Export {
        conns: ExportConnections {
            main: conn,
            checkins,
            second_checkins,
        },
        source,
    })
}

impl Export {
    /// Hands every row to `write`, and calls `part_done` after each part. The rows are put
    /// in order on a thread of their own, a part or two ahead of the writing, from what more
    /// threads read ahead of them (`reports::export_reads`: the days' reporters, and the
    /// answers on one or two), so that the database's time, the ordering's and the writing's
    /// overlap.
    fn each_row<W, D>(self, mut write: W, mut part_done: D) -> Result<(), ExportError>
    where
        W: FnMut(&ExportRow<'_>) -> Result<(), ExportError>,
        D: FnMut() -> Result<(), ExportError>,
    {
        let Export { conns, mut source } = self;
        let people = source.people();
        std::thread::scope(|scope| {
            let (reads, readers) = export_reads::start(
                scope,
                source.read_plan(),
                conns.main,
                conns.checkins,
                conns.second_checkins,
            );
            let (parts, arrived) = std::sync::mpsc::sync_channel(2);
            let assembler = scope.spawn(move || -> Result<(), ExportError> {
                while let Some(part) = source.next_part(&reads)? {
                    if parts.send(part).is_err() {
                        // The writing stopped; it says why.
                        break;
                    }
                }
                // The reading threads end when `reads` is dropped here.
                Ok(())
            });
            let written = arrived.iter().try_for_each(|part| {
                part.rows(&people).try_for_each(|row| write(&row))?;
                part_done()
            });
            // Stops an assembler still waiting to hand over a part.
            drop(arrived);
            let assembled = assembler.join().unwrap_or(Err(ExportError::Unfinished));
            written.and(assembled).and(readers.join())
        })
    }

    /// The CSV: `send` gets what has been written whenever it reaches `chunk_bytes`, and at
    /// the end. An error from `send` stops the export.
    pub fn write_csv<F>(self, chunk_bytes: usize, send: F) -> Result<(), ExportError>
    where
        F: FnMut(Vec<u8>) -> Result<(), ExportError>,
    {
        let csv = std::cell::RefCell::new(CsvChunks::new(self.source.columns())?);
        let send = std::cell::RefCell::new(send);
        let send_written = || -> Result<(), ExportError> {
            let bytes = csv.borrow_mut().take()?;
            if bytes.is_empty() {
                return Ok(());
            }
            (send.borrow_mut())(bytes)
        };
        self.each_row(
            |row| {
                csv.borrow_mut().write(row)?;
                if csv.borrow().pending() >= chunk_bytes {
                    send_written()?;
                }
                Ok(())
            },
            // What the writer still buffers goes too, as at the end of each day before.
            &send_written,
        )?;
        let rest = csv.into_inner().take()?;
        let mut send = send.into_inner();
        send(rest)
    }

    /// The workbook in an unnamed temporary file (constant memory: rows go to disk as
    /// written), read from its start, and its length. The connection is closed as soon as
    /// the rows are read.
    pub fn write_xlsx(self) -> Result<(std::fs::File, u64), ExportError> {
        let mut xlsx = XlsxExport::new(self.source.columns())?;
        self.each_row(|row| xlsx.write(row), || Ok(()))?;
        // The system removes an unnamed temporary file once its last handle is closed.
        let mut file = tempfile::tempfile()?;
        let mut writer = std::io::BufWriter::new(&mut file);
        xlsx.finish(&mut writer)?;
        // Flushed here: a BufWriter dropped with data in it would lose the error.
        writer.flush()?;
        drop(writer);
        let len = file.seek(SeekFrom::End(0))?;
        file.seek(SeekFrom::Start(0))?;
        Ok((file, len))
    }
}
