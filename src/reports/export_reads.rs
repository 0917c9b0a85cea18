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
    /// One per check-in reader; parts are asked of them in turn.
    wanted: Vec<Sender<Wanted>>,
    /// Each reader's check-ins by person, in the order it was asked.
    found: Vec<Receiver<QueryResult<FastMap<u32, Stored>>>>,
    asked: Cell<usize>,
    handed: Cell<usize>,
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
    pub(super) fn ask(&self, wanted: Wanted) -> Result<(), ExportError> {
        let reader = self.asked.get() % self.wanted.len();
        if self.wanted[reader].send(wanted).is_ok() {
            self.asked.set(self.asked.get() + 1);
            return Ok(());
        }
        // The thread stopped at a failed read of a part asked for earlier: that failure is
        // the export's, not this part's.
        match self.found[reader].try_iter().find_map(Result::err) {
            Some(failed) => Err(failed.into()),
            None => Err(ExportError::Unfinished),
        }
    }

    /// The check-ins of the earliest part asked for and not yet handed over.
    pub(super) fn next_found(&self) -> Result<FastMap<u32, Stored>, ExportError> {
        let reader = self.handed.get() % self.found.len();
        let found = self.found[reader]
            .recv()
            .map_err(|_| ExportError::Unfinished)??;
        self.handed.set(self.handed.get() + 1);
        Ok(found)
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
    let mut threads = Vec::with_capacity(3);
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
            asked: Cell::new(0),
            handed: Cell::new(0),
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
