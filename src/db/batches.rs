//! Requests that arrive at the same moment served together on PostgreSQL.
//!
//! In the morning rush the same short statement comes by the thousand per second, each alone
//! a round trip and a statement for the server to run. Here worker threads each take every
//! item waiting (up to a batch) and hand them to one function with one connection, which
//! answers them all in a statement or two. They never wait for more items to come: while one
//! batch is served, the next gathers by itself, so a lone request is served at once.
//!
//! An item the batch did not answer (the function said so, or the batch failed as a whole,
//! or there was no connection) gets `None`, and its caller goes the ordinary way.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use diesel::pg::PgConnection;
use diesel::QueryResult;

use super::{DbConn, Pool};

/// Serves a batch: for each item, in the order given, its answer or `None`.
pub type Serve<T, A> = fn(&mut PgConnection, Vec<T>) -> QueryResult<Vec<Option<A>>>;

type Answer<A> = tokio::sync::oneshot::Sender<Option<A>>;

/// How long a worker waits for a connection before handing its batch back.
const CONNECTION_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// The queue in front of the workers. Cloning shares it; the workers end when the last
/// clone is dropped.
pub struct Batches<T, A> {
    queue: Sender<(T, Answer<A>)>,
}

impl<T, A> Clone for Batches<T, A> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
        }
    }
}

/// How a kind of batch is served: its name (for threads and logs), how many workers serve
/// at once, the most items one batch takes, and the function.
pub struct BatchKind<T, A> {
    pub name: &'static str,
    pub workers: usize,
    pub most_per_batch: usize,
    pub serve: Serve<T, A>,
}

impl<T: Send + 'static, A: Send + 'static> Batches<T, A> {
    /// Starts the workers, which take a connection from `pool` for each batch.
    pub fn start(pool: Pool, kind: BatchKind<T, A>) -> Self {
        let (queue, waiting) = mpsc::channel();
        let waiting = Arc::new(Mutex::new(waiting));
        let kind = Arc::new(kind);
        let name = kind.name;
        for n in 0..kind.workers {
            let (pool, waiting, kind) = (pool.clone(), Arc::clone(&waiting), Arc::clone(&kind));
            let spawned = std::thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || serve_batches(&pool, &waiting, &kind));
            if let Err(e) = spawned {
                // Requests then go the ordinary way: nothing is lost, only slower.
                tracing::error!(error = %e, batches = name, "cannot start a batch worker");
            }
        }
        Self { queue }
    }

    /// `item` served in the next batch: its answer, or `None` when it was not answered here
    /// and must be served the ordinary way.
    pub async fn run(&self, item: T) -> Option<A> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.queue.send((item, answer)).ok()?;
        answered.await.ok().flatten()
    }
}

fn serve_batches<T, A>(
    pool: &Pool,
    waiting: &Mutex<Receiver<(T, Answer<A>)>>,
    kind: &BatchKind<T, A>,
) {
    while let Some(batch) = next_batch(waiting, kind.most_per_batch) {
        let (items, answers): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        // A worker that waited the pool's whole timeout would hold up every request queued
        // behind it; given up sooner, they go the ordinary way, each with its own wait.
        let served = match pool.get_timeout(CONNECTION_WAIT) {
            Ok(mut conn) => match &mut **conn {
                DbConn::Postgres(c) => (kind.serve)(c, items).unwrap_or_else(|e| {
                    tracing::warn!(error = %e, batches = kind.name, "a batch failed; each of its requests goes on alone");
                    Vec::new()
                }),
                DbConn::Sqlite(_) => Vec::new(),
            },
            Err(e) => {
                tracing::warn!(error = %e, batches = kind.name, "no database connection for a batch");
                Vec::new()
            }
        };
        let mut served = served.into_iter();
        for answer in answers {
            let _ = answer.send(served.next().flatten());
        }
    }
}

/// The items waiting now: at least one (waiting for it), at most `most`. One worker gathers
/// at a time.
fn next_batch<T>(waiting: &Mutex<Receiver<T>>, most: usize) -> Option<Vec<T>> {
    let queue = waiting
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut batch = vec![queue.recv().ok()?];
    while batch.len() < most {
        match queue.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
    Some(batch)
}
