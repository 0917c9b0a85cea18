//! Group commit: writes that arrive at the same moment share one transaction, and so one
//! flush to disk, instead of each paying for its own.
//!
//! For SQLite, where one transaction writes at a time: one writer thread takes every job
//! waiting (up to a batch), runs each in a savepoint of one transaction, commits, and only
//! then answers each job: an answer still means "stored". It never waits for more jobs to
//! come; while one batch commits, the next one gathers by itself. The day's first check-ins
//! of a batch, the most of the morning, are stored before the other jobs, without savepoints
//! (see `db::first_checkins`); should they fail other than one by one, the transaction is
//! rolled back, they go the ordinary way, and the other jobs run in a transaction of their
//! own.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Instant;

use diesel::Connection;

use super::checkins::CheckinRow;
use super::first_checkins::{self, FirstCheckin};
use super::{DbConn, Pool};

/// The most jobs one transaction takes: a bound on how long a batch holds its locks.
pub const MOST_PER_BATCH: usize = 256;

/// Why a job got no answer of its own.
#[derive(Clone, Debug, thiserror::Error)]
pub enum GroupError {
    /// No connection, or the batch's transaction could not begin or commit: nothing of the
    /// job was stored.
    #[error("the batch was not stored: {0}")]
    NotStored(String),
    /// The job's writer stopped (a panic in the batch, or the process is ending).
    #[error("the writer stopped before the batch was stored")]
    WriterStopped,
}

/// What a job leaves once it has run: how to answer it when its batch's fate is known.
type Answer = Box<dyn FnOnce(Result<(), GroupError>) + Send>;
/// A job runs on the batch's connection, or is told why there is none.
type Job = Box<dyn FnOnce(Result<&mut DbConn, GroupError>) -> Answer + Send>;

/// Where a first check-in's row goes once its batch committed (`None` when the batch did not
/// store it).
type FirstStored = tokio::sync::oneshot::Sender<Option<CheckinRow>>;

/// What waits for the writer: a job, or a first check-in of the day.
enum Queued {
    Job(Job),
    First(Box<FirstCheckin>, FirstStored),
}

/// What the writer's batches cost, for `/metrics`. Since there is one writer, the rate of
/// the batches' seconds is the share of its time it is busy, and that of the commits'
/// seconds the share it spends committing (most of it waiting for the disk). A busy writer
/// is not yet a full one: batches grow with the load, and only batches near
/// `MOST_PER_BATCH` say that writes arrive faster than it stores them.
#[derive(Clone)]
pub struct WriterMetrics {
    /// From taking a batch (its wait for a connection included) to answering it.
    pub batch_seconds: metrics::Histogram,
    /// The batch's commit.
    pub commit_seconds: metrics::Histogram,
    /// The jobs and first check-ins of a batch.
    pub batch_jobs: metrics::Histogram,
}

impl WriterMetrics {
    /// Recorded nowhere.
    pub fn unrecorded() -> Self {
        Self {
            batch_seconds: metrics::Histogram::noop(),
            commit_seconds: metrics::Histogram::noop(),
            batch_jobs: metrics::Histogram::noop(),
        }
    }

    /// A batch of `writes` taken at `taken` is about to be answered: recorded before the
    /// answers go, so that whoever is answered finds it counted.
    fn answering(&self, taken: Instant, writes: usize) {
        self.batch_jobs.record(writes as f64);
        self.batch_seconds.record(taken.elapsed().as_secs_f64());
    }
}

/// The queue in front of the writer. Cloning shares it; the writer ends when the last clone
/// is dropped.
#[derive(Clone)]
pub struct GroupCommit {
    jobs: Sender<Queued>,
}

impl GroupCommit {
    /// Starts the writer thread, which takes a connection from `pool` for each batch and
    /// records what each batch cost in `measured`.
    pub fn start(pool: Pool, measured: WriterMetrics) -> Self {
        let (jobs, queue) = mpsc::channel::<Queued>();
        let spawned = std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || write_batches(&pool, &queue, &measured));
        if let Err(e) = spawned {
            // Jobs sent then are answered `WriterStopped`: a 500, never a lost write.
            tracing::error!(error = %e, "cannot start the database writer");
        }
        Self { jobs }
    }

    /// Runs `work` in a savepoint of the next batch and answers once the batch committed.
    /// When `work` fails, only its own savepoint is rolled back.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<diesel::result::Error> + From<GroupError> + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel::<Result<T, E>>();
        // The request's span goes along, so that what the work logs carries its id.
        let span = tracing::Span::current();
        let job: Job = Box::new(move |conn: Result<&mut DbConn, GroupError>| {
            let outcome = span.in_scope(|| match conn {
                Ok(conn) => conn.transaction(work),
                Err(e) => Err(E::from(e)),
            });
            Box::new(move |batch: Result<(), GroupError>| {
                let _ = answer.send(match batch {
                    Err(e) if outcome.is_ok() => Err(E::from(e)),
                    _ => outcome,
                });
            })
        });
        self.jobs
            .send(Queued::Job(job))
            .map_err(|_| E::from(GroupError::WriterStopped))?;
        answered
            .await
            .unwrap_or_else(|_| Err(E::from(GroupError::WriterStopped)))
    }

    /// Stores a first check-in of the day with the others of the next batch: its row once
    /// the batch committed, or `None` when it must be submitted the ordinary way (its day
    /// has a check-in, the person is not owed it, the form changed, the batch failed).
    pub async fn store_first(&self, first: FirstCheckin) -> Option<CheckinRow> {
        let (stored, answered) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Queued::First(Box::new(first), stored))
            .ok()?;
        answered.await.ok().flatten()
    }
}

/// The writer: a batch at a time until the queue is dropped.
fn write_batches(pool: &Pool, queue: &Receiver<Queued>, measured: &WriterMetrics) {
    while let Some(batch) = next_batch(queue) {
        let taken = Instant::now();
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "no database connection for a batch of writes");
                measured.answering(taken, batch.len());
                refuse(batch, &e.to_string());
                continue;
            }
        };
        // A panic in one job ends this batch unanswered (its callers learn the writer
        // stopped) and rolls it back, unrecorded; the writer goes on with the next.
        let written = catch_unwind(AssertUnwindSafe(|| {
            write_batch(&mut conn, batch, measured, taken)
        }));
        if written.is_err() {
            tracing::error!("a database writer's batch panicked; it was rolled back");
            conn.abandon_transaction();
        }
    }
}

/// The jobs waiting now: at least one (waiting for it), at most a batch.
fn next_batch(queue: &Receiver<Queued>) -> Option<Vec<Queued>> {
    let first = queue.recv().ok()?;
    let mut batch = vec![first];
    while batch.len() < MOST_PER_BATCH {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// Answers every job of a batch that could not run, without running it; its first
/// check-ins go the ordinary way.
fn refuse(batch: Vec<Queued>, why: &str) {
    for queued in batch {
        match queued {
            Queued::Job(job) => job(Err(GroupError::NotStored(why.to_string())))(Ok(())),
            Queued::First(_, stored) => {
                let _ = stored.send(None);
            }
        }
    }
}

/// Writes `batch`, taken at `taken`, and answers its jobs.
fn write_batch(conn: &mut DbConn, batch: Vec<Queued>, measured: &WriterMetrics, taken: Instant) {
    let writes = batch.len();
    if let Err(e) = conn.begin_write() {
        tracing::warn!(error = %e, "a batch of writes could not begin");
        measured.answering(taken, writes);
        refuse(batch, &e.to_string());
        return;
    }
    let mut firsts = Vec::new();
    let mut jobs = Vec::new();
    for queued in batch {
        match queued {
            Queued::Job(job) => jobs.push(job),
            Queued::First(first, stored) => firsts.push((first, stored)),
        }
    }
    let first_rows = match store_firsts(conn, &firsts) {
        Ok(rows) => rows,
        Err(e) => {
            // Nothing of the batch stands now: its first check-ins go the ordinary way, and
            // its other jobs run in a transaction of their own.
            tracing::warn!(error = %e, "a batch of first check-ins failed; it was rolled back");
            conn.abandon_transaction();
            for (_, stored) in firsts {
                let _ = stored.send(None);
            }
            write_batch(
                conn,
                jobs.into_iter().map(Queued::Job).collect(),
                measured,
                taken,
            );
            return;
        }
    };
    let answers: Vec<Answer> = jobs.into_iter().map(|job| job(Ok(&mut *conn))).collect();
    let committing = Instant::now();
    let committed = conn.commit_write();
    measured
        .commit_seconds
        .record(committing.elapsed().as_secs_f64());
    measured.answering(taken, writes);
    let batch_result = committed.map_err(|e| {
        tracing::warn!(error = %e, "a batch of writes could not commit; it was rolled back");
        GroupError::NotStored(e.to_string())
    });
    for ((_, stored), row) in firsts.into_iter().zip(first_rows) {
        let _ = stored.send(row.filter(|_| batch_result.is_ok()));
    }
    for answer in answers {
        answer(batch_result.clone());
    }
}

/// The rows of the batch's first check-ins as stored (see
/// `first_checkins::store_in_sqlite_batch`).
fn store_firsts(
    conn: &mut DbConn,
    firsts: &[(Box<FirstCheckin>, FirstStored)],
) -> diesel::QueryResult<Vec<Option<CheckinRow>>> {
    if firsts.is_empty() {
        return Ok(Vec::new());
    }
    let checkins: Vec<&FirstCheckin> = firsts.iter().map(|(first, _)| &**first).collect();
    first_checkins::store_in_sqlite_batch(conn, &checkins)
}
