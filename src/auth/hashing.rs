//! Password hashing on a few threads of its own. Argon2id takes ~19 MiB and tens of
//! milliseconds per call; run on the shared blocking pool, a storm of anonymous logins would
//! take every thread and gigabytes of memory from the database work. Here at most one hash
//! per thread runs at once, a short queue waits, and anything beyond is refused at once.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// Too many password checks are waiting already; the caller should come back shortly.
#[derive(Debug, thiserror::Error)]
#[error("too many password checks are waiting; try again in a moment")]
pub struct Busy;

/// A fixed set of threads for password work, with a bounded queue in front.
pub struct PasswordWork {
    jobs: SyncSender<Job>,
}

impl PasswordWork {
    /// `threads` hashes at once (at least one); `queue` more may wait for a thread.
    pub fn new(threads: usize, queue: usize) -> Self {
        let (jobs, waiting) = sync_channel::<Job>(queue);
        let waiting = Arc::new(Mutex::new(waiting));
        for n in 0..threads.max(1) {
            let waiting = Arc::clone(&waiting);
            let spawned = std::thread::Builder::new()
                .name(format!("password-{n}"))
                .spawn(move || work_off(&waiting));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password thread");
            }
        }
        Self { jobs }
    }

    /// One thread per core, and a queue of four per thread.
    pub fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(cores, cores * 4)
    }

    /// Runs `work` on a password thread, or refuses at once when the queue is full.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The caller may have gone away meanwhile; its answer is then not needed.
            let _ = done.send(work());
        });
        match self.jobs.try_send(job) {
            Ok(()) => result.await.map_err(|_| Busy),
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => Err(Busy),
        }
    }
}

/// Takes jobs until every sender is gone (the state was dropped).
fn work_off(waiting: &Mutex<Receiver<Job>>) {
    loop {
        let job = match waiting.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn runs_work_and_answers() {
        let work = PasswordWork::new(2, 2);
        assert_eq!(work.run(|| 6 * 7).await.unwrap(), 42);
    }

    #[tokio::test]
    async fn never_runs_more_than_its_threads_and_refuses_past_the_queue() {
        let work = Arc::new(PasswordWork::new(2, 3));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut calls = Vec::new();
        for _ in 0..20 {
            let (work, running, most) = (work.clone(), running.clone(), most.clone());
            calls.push(tokio::spawn(async move {
                work.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(200));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        let mut done = 0;
        let mut refused = 0;
        for call in calls {
            match call.await.unwrap() {
                Ok(()) => done += 1,
                Err(Busy) => refused += 1,
            }
        }
        assert!(most.load(Ordering::SeqCst) <= 2);
        // Two running and three queued at most while the twenty arrive at once.
        assert!((2..=5).contains(&done), "{done} ran");
        assert_eq!(done + refused, 20);
    }
}
