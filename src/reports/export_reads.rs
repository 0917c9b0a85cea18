//! The export's reads from the database, each kind on a thread and a connection of its own,
//! ahead of the rows being put in order: while one part's rows are assembled and written, the
//! database is already answering for the next ones, and the next day's reporters are read.
//! A single connection made the database and the assembly take turns.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::{Scope, ScopedJoinHandle};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::export::ExportError;
use super::export_people::People;
use crate::db::instant::ReadInstant;
use crate::db::schema::checkins;
use crate::db::DbConn;

/// Maps keyed by the organization's own ids and numbers, which no client chooses: hashed for
/// speed, since an export looks each person up several times a day of its range.
pub(super) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
pub(super) type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;

/// A stored check-in as the export reads it: when, the answers' text, abnormal, its reasons'
/// text, and who filed it when it was someone else.
pub(super) type Stored = (NaiveDateTime, String, bool, String, Option<String>);

/// What the reads need to know of the export: whose check-ins, which days, and the people's
/// numbers by id.
pub struct ReadPlan {
    pub(super) org_id: String,
    pub(super) from: NaiveDate,
    pub(super) to: NaiveDate,
    pub(super) people: Arc<People>,
}

/// The check-ins one part needs: those of `day` filed in the part's departments, of the
/// people in it who reported.
pub(super) struct Wanted {
    pub day: NaiveDate,
    pub department_ids: Vec<String>,
    pub no_department: bool,
    pub people: FastSet<u32>,
}

/// The assembling side of the reads.
pub struct Reads {
    /// Who reported, a day at a time from the first day on, by number.
    reporters: Receiver<QueryResult<FastSet<u32>>>,
    /// One per check-in reader: part `n` (counting from 0) is asked of reader `n % readers`.
    wanted: Vec<Sender<Wanted>>,
    /// Each reader's check-ins by person, in the order it was asked.
    found: Vec<Receiver<QueryResult<FastMap<u32, Stored>>>>,
    /// How many parts were asked for, and how many handed over: the next part's reader.
    parts_asked: Cell<usize>,
    parts_handed: Cell<usize>,
}

impl Reads {
    /// Who reported on the next day.
    pub(super) fn next_reporters(&self) -> Result<FastSet<u32>, ExportError> {
        Ok(self
            .reporters
            .recv()
            .map_err(|_| ExportError::Unfinished)??)
    }

    /// Asks for a part's check-ins, answered in turn by [`Reads::next_found`].
    pub(super) fn ask(&self, wanted: Wanted) {
        let reader = self.parts_asked.get() % self.wanted.len();
        self.parts_asked.set(self.parts_asked.get() + 1);
        // A reader that stopped did so at a failed read of a part asked for earlier, which
        // `next_found` hands over in its turn: the export fails with the first failure in the
        // order of the parts, whichever reader had it.
        let _ = self.wanted[reader].send(wanted);
    }

    /// The check-ins of the earliest part asked for and not yet handed over.
    pub(super) fn next_found(&self) -> Result<FastMap<u32, Stored>, ExportError> {
        let reader = self.parts_handed.get() % self.found.len();
        self.parts_handed.set(self.parts_handed.get() + 1);
        Ok(self.found[reader]
            .recv()
            .map_err(|_| ExportError::Unfinished)??)
    }
}

/// The reading threads, joined once the assembly is over.
pub struct Readers<'scope> {
    threads: Vec<ScopedJoinHandle<'scope, ()>>,
}

impl Readers<'_> {
    /// Waits for every thread. They end once the assembly drops its [`Reads`]; a panic in
    /// one of them is reported as an unfinished export.
    pub fn join(self) -> Result<(), ExportError> {
        // All are joined, also when the first panicked.
        let joined: Vec<bool> = self
            .threads
            .into_iter()
            .map(|thread| thread.join().is_ok())
            .collect();
        if joined.iter().all(|ok| *ok) {
            Ok(())
        } else {
            Err(ExportError::Unfinished)
        }
    }
}

/// Starts reading: the days' reporters on `reporters_conn`, the parts' check-ins on
/// `checkins_conn`, and on `second_checkins_conn` too when there is one, the two taking parts
/// in turn. Each connection is closed when its thread ends.
pub fn start<'scope>(
    scope: &'scope Scope<'scope, '_>,
    plan: ReadPlan,
    mut reporters_conn: DbConn,
    checkins_conn: DbConn,
    second_checkins_conn: Option<DbConn>,
) -> (Reads, Readers<'scope>) {
    let plan = Arc::new(plan);
    // One day ahead: a day's reporters are a number for each person who reported.
    let (reporters_read, reporters) = mpsc::sync_channel(1);
    let mut threads = Vec::new();
    threads.push({
        let plan = Arc::clone(&plan);
        scope.spawn(move || {
            let days = plan.from.iter_days().take_while(|day| *day <= plan.to);
            for day in days {
                let read = reporters_of(&mut reporters_conn, &plan, day);
                let failed = read.is_err();
                if reporters_read.send(read).is_err() || failed {
                    return;
                }
            }
        })
    });
    let (mut wanted, mut found) = (Vec::new(), Vec::new());
    for mut conn in std::iter::once(checkins_conn).chain(second_checkins_conn) {
        // As many as asked, and the assembly asks a few parts ahead only.
        let (ask, asked) = mpsc::channel::<Wanted>();
        let (found_read, found_here) = mpsc::channel();
        let plan = Arc::clone(&plan);
        threads.push(scope.spawn(move || {
            for part in asked {
                let read = checkins_of(&mut conn, &plan, &part);
                let failed = read.is_err();
                if found_read.send(read).is_err() || failed {
                    return;
                }
            }
        }));
        wanted.push(ask);
        found.push(found_here);
    }
    (
        Reads {
            reporters,
            wanted,
            found,
            parts_asked: Cell::new(0),
            parts_handed: Cell::new(0),
        },
        Readers { threads },
    )
}

/// Who reported on `day`, by number: the answers are read later, a few departments at a
/// time, in the order they are written.
fn reporters_of(conn: &mut DbConn, plan: &ReadPlan, day: NaiveDate) -> QueryResult<FastSet<u32>> {
    let mut reporters = FastSet::default();
    // Row by row: a day of 100,000 ids as strings would be 4 MiB held at once.
    for user in checkins::table
        .filter(checkins::org_id.eq(&plan.org_id))
        .filter(checkins::day.eq(day))
        .select(checkins::user_id)
        .load_iter::<String, diesel::connection::DefaultLoadingMode>(conn)?
    {
        // Erased people are in no export.
        if let Some(person) = plan.people.number_of(&user?) {
            reporters.insert(person);
        }
    }
    Ok(reporters)
}

/// The check-ins `wanted` names: by the part's departments, and then, by person, those filed
/// elsewhere (someone moved during the day) or moved since the day's reporters were read (a
/// move recounts the open days of the person it moves).
fn checkins_of(
    conn: &mut DbConn,
    plan: &ReadPlan,
    wanted: &Wanted,
) -> QueryResult<FastMap<u32, Stored>> {
    let query = || {
        checkins::table
            .filter(checkins::org_id.eq(&plan.org_id))
            .filter(checkins::day.eq(wanted.day))
            .select((
                checkins::user_id,
                checkins::submitted_at,
                checkins::answers,
                checkins::abnormal,
                checkins::abnormal_reasons,
                checkins::submitted_by,
            ))
            .into_boxed()
    };
    type Row = (String, ReadInstant, String, bool, String, String);
    let mut found: FastMap<u32, Stored> = FastMap::default();
    let keep = |found: &mut FastMap<u32, Stored>, rows: Vec<Row>| {
        for (user, ReadInstant(at), answers, abnormal, reasons, by) in rows {
            let Some(person) = plan.people.number_of(&user) else {
                continue;
            };
            if wanted.people.contains(&person) {
                let by = (by != user).then_some(by);
                found.insert(person, (at, answers, abnormal, reasons, by));
            }
        }
    };
    // Two reads rather than one with OR, which SQLite would answer by reading the whole
    // day.
    if !wanted.department_ids.is_empty() {
        keep(
            &mut found,
            query()
                .filter(checkins::department_id.eq_any(&wanted.department_ids))
                .load(conn)?,
        );
    }
    if wanted.no_department {
        keep(
            &mut found,
            query()
                .filter(checkins::department_id.is_null())
                .load(conn)?,
        );
    }
    let missing: Vec<&str> = wanted
        .people
        .iter()
        .filter(|p| !found.contains_key(p))
        .map(|p| plan.people.id(*p))
        .collect();
    for chunk in missing.chunks(super::lists::KEYS_PER_QUERY) {
        keep(
            &mut found,
            query().filter(checkins::user_id.eq_any(chunk)).load(conn)?,
        );
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::checkins::CheckinRow;
    use diesel::sqlite::SqliteConnection;

    const DAY: &str = "2020-02-03";

    fn day() -> NaiveDate {
        DAY.parse().expect("a date")
    }

    /// A database of its own in `dir`, with the tables (or none), and foreign keys off so
    /// that check-ins need no people; each person of `people` has a check-in on `DAY` whose
    /// answers name `source`.
    fn database(dir: &tempfile::TempDir, source: &str, tables: bool, people: &People) -> DbConn {
        let path = dir.path().join(format!("{source}.sqlite3"));
        let raw = SqliteConnection::establish(&path.to_string_lossy()).expect("opened");
        let mut conn = DbConn::Sqlite(raw);
        if !tables {
            return conn;
        }
        crate::db::run_migrations(&mut conn).expect("migrated");
        conn.batch("PRAGMA foreign_keys = OFF").expect("keys off");
        let at = day().and_hms_opt(1, 0, 0).expect("a time");
        for n in 0..people.len() as u32 {
            let row = CheckinRow {
                id: format!("{source}-{n}"),
                org_id: "org".into(),
                user_id: people.id(n).to_string(),
                day: day(),
                department_id: None,
                answers: format!(r#"{{"source":"{source}"}}"#),
                temperature: None,
                abnormal: false,
                abnormal_reasons: "[]".into(),
                revision: 1,
                reason: None,
                submitted_by: people.id(n).to_string(),
                submitted_at: at,
                updated_at: at,
                expected: true,
                form_version: 1,
                purged_at: None,
            };
            let DbConn::Sqlite(c) = &mut conn else {
                unreachable!("opened as SQLite")
            };
            diesel::insert_into(checkins::table)
                .values(&row)
                .execute(c)
                .expect("check-in stored");
        }
        conn
    }

    fn people(count: usize) -> Arc<People> {
        let mut people = People::default();
        for n in 0..count {
            people
                .push(&format!("u-{n}"), "", &format!("Person {n}"), "")
                .expect("added");
        }
        Arc::new(people)
    }

    fn plan(people: &Arc<People>) -> ReadPlan {
        ReadPlan {
            org_id: "org".into(),
            from: day(),
            to: day(),
            people: Arc::clone(people),
        }
    }

    fn part(person: u32) -> Wanted {
        Wanted {
            day: day(),
            department_ids: Vec::new(),
            no_department: true,
            people: [person].into_iter().collect(),
        }
    }

    /// Where each part's check-in was read: the `source` its answers name.
    fn source_of(found: &FastMap<u32, Stored>, person: u32) -> String {
        let (_, answers, ..) = found.get(&person).expect("the part's check-in");
        let answers: serde_json::Value = serde_json::from_str(answers).expect("JSON");
        answers["source"].as_str().unwrap_or_default().to_string()
    }

    #[test]
    fn two_readers_take_the_parts_in_turn_and_hand_them_over_in_order() {
        let dir = tempfile::tempdir().expect("a folder");
        let people = people(5);
        let reporters = database(&dir, "reporters", true, &people);
        let first = database(&dir, "first", true, &people);
        let second = database(&dir, "second", true, &people);
        std::thread::scope(|scope| {
            let (reads, readers) = start(scope, plan(&people), reporters, first, Some(second));
            for person in 0..5 {
                reads.ask(part(person));
            }
            let sources: Vec<String> = (0..5)
                .map(|person| source_of(&reads.next_found().expect("read"), person))
                .collect();
            assert_eq!(sources, ["first", "second", "first", "second", "first"]);
            assert_eq!(reads.next_reporters().expect("read").len(), 5);
            drop(reads);
            readers.join().expect("every reader ended");
        });
    }

    #[test]
    fn the_first_failure_in_the_order_of_the_parts_is_the_exports_whichever_reader_had_it() {
        let dir = tempfile::tempdir().expect("a folder");
        let people = people(4);
        let reporters = database(&dir, "reporters", true, &people);
        let first = database(&dir, "first", true, &people);
        // No tables: every read of the second reader fails.
        let broken = database(&dir, "broken", false, &people);
        std::thread::scope(|scope| {
            let (reads, readers) = start(scope, plan(&people), reporters, first, Some(broken));
            for person in 0..4 {
                // Asking the stopped reader again is no error of its own.
                reads.ask(part(person));
            }
            assert_eq!(source_of(&reads.next_found().expect("read"), 0), "first");
            match reads.next_found() {
                Err(ExportError::Db(e)) => assert!(e.to_string().contains("no such table"), "{e}"),
                other => panic!("the second part's own failure, not {other:?}"),
            }
            drop(reads);
            readers.join().expect("every reader ended");
        });
    }
}
