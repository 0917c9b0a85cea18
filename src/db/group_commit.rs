//! Group commit: writes that arrive at the same moment share one transaction, and so one
//! flush to disk, instead of each paying for its own.
//!
//! For SQLite, where one transaction writes at a time: one writer thread takes every job
//! waiting (up to a batch), runs each in a savepoint of one transaction, commits, and only
//! then answers each job: an answer still means "stored". It never waits for more jobs to
//! come; while one batch commits, the next one gathers by itself.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};

use diesel::Connection;

use super::{DbConn, Pool};

/// The most jobs one transaction takes: a bound on how long a batch holds its locks.
const MOST_PER_BATCH: usize = 256;

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

/// The queue in front of the writer. Cloning shares it; the writer ends when the last clone
/// is dropped.
#[derive(Clone)]
pub struct GroupCommit {
    jobs: Sender<Job>,
}

impl GroupCommit {
    /// Starts the writer thread, which takes a connection from `pool` for each batch.
    pub fn start(pool: Pool) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || write_batches(&pool, &queue));
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
            .send(job)
            .map_err(|_| E::from(GroupError::WriterStopped))?;
        answered
            .await
            .unwrap_or_else(|_| Err(E::from(GroupError::WriterStopped)))
    }
}

/// The writer: a batch at a time until the queue is dropped.
fn write_batches(pool: &Pool, queue: &Receiver<Job>) {
    while let Some(batch) = next_batch(queue) {
        let mut conn = match pool.get() {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "no database connection for a batch of writes");
                refuse(batch, &e.to_string());
                continue;
            }
        };
        // A panic in one job ends this batch unanswered (its callers learn the writer
        // stopped) and rolls it back; the writer goes on with the next.
        let written = catch_unwind(AssertUnwindSafe(|| write_batch(&mut conn, batch)));
        if written.is_err() {
            tracing::error!("a database writer's batch panicked; it was rolled back");
            conn.abandon_transaction();
        }
    }
}

/// The jobs waiting now: at least one (waiting for it), at most a batch.
fn next_batch(queue: &Receiver<Job>) -> Option<Vec<Job>> {
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

/// Answers every job of a batch that could not run, without running it.
fn refuse(batch: Vec<Job>, why: &str) {
    for job in batch {
        job(Err(GroupError::NotStored(why.to_string())))(Ok(()));
    }
}

fn write_batch(conn: &mut DbConn, batch: Vec<Job>) {
    if let Err(e) = conn.begin_write() {
        tracing::warn!(error = %e, "a batch of writes could not begin");
        refuse(batch, &e.to_string());
        return;
    }
    let answers: Vec<Answer> = batch.into_iter().map(|job| job(Ok(&mut *conn))).collect();
    let batch_result = conn.commit_write().map_err(|e| {
        tracing::warn!(error = %e, "a batch of writes could not commit; it was rolled back");
        GroupError::NotStored(e.to_string())
    });
    for answer in answers {
        answer(batch_result.clone());
    }
}
