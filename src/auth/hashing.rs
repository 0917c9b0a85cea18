//! Password hashing on a few threads of its own. Argon2id takes ~19 MiB and tens of
//! milliseconds per call; run on the shared blocking pool, a storm of anonymous logins would
//! take every thread and gigabytes of memory from the database work. Here at most one hash
//! per thread runs at once, a short queue waits, and anything beyond is refused at once. The
//! threads run at a lower priority and give their memory back after each job.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

type Job = Box<dyn FnOnce() + Send>;

/// Too many password checks are waiting already; the caller should come back shortly.
#[derive(Debug, thiserror::Error)]
#[error("too many password checks are waiting; try again in a moment")]
pub struct Busy;

/// A fixed set of threads for password work, with a bounded queue in front.
pub struct PasswordWork {
    jobs: SyncSender<Job>,
    /// One per thread and one per place in the queue: a job holds one until it is done.
    places: Arc<Semaphore>,
}

/// A place taken in the queue before the work that leads to the hash (reading the account),
/// so that a refused request costs nothing more.
pub struct Place {
    permit: OwnedSemaphorePermit,
    jobs: SyncSender<Job>,
}

impl PasswordWork {
    /// `threads` hashes at once (at least one); `queue` more may wait for a thread.
    pub fn new(threads: usize, queue: usize) -> Self {
        let threads = threads.max(1);
        let places = threads + queue;
        // Never full: a job needs a place, and there are no more places than this.
        let (jobs, waiting) = sync_channel::<Job>(places);
        let waiting = Arc::new(Mutex::new(waiting));
        for n in 0..threads {
            let waiting = Arc::clone(&waiting);
            let spawned = std::thread::Builder::new()
                .name(format!("password-{n}"))
                .spawn(move || work_off(&waiting));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password thread");
            }
        }
        Self {
            jobs,
            places: Arc::new(Semaphore::new(places)),
        }
    }

    /// One thread per core, and a queue of four per thread.
    pub fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(cores, cores * 4)
    }

    /// A place for one job, or `Busy` at once when every place is taken.
    pub fn reserve(&self) -> Result<Place, Busy> {
        let permit = Arc::clone(&self.places)
            .try_acquire_owned()
            .map_err(|_| Busy)?;
        Ok(Place {
            permit,
            jobs: self.jobs.clone(),
        })
    }

    /// Runs `work` on a password thread, or refuses at once when the queue is full.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.reserve()?.run(work).await
    }
}

impl Place {
    /// Runs `work` on a password thread; the place is free again once it is done, even when
    /// the caller has gone away meanwhile.
    pub async fn run<T, F>(self, work: F) -> Result<T, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let Place { permit, jobs } = self;
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let answer = work();
            drop(permit);
            // The caller may have gone away meanwhile; its answer is then not needed.
            let _ = done.send(answer);
        });
        jobs.try_send(job).map_err(|_| Busy)?;
        result.await.map_err(|_| Busy)
    }
}

/// Takes jobs until every sender is gone (the state was dropped).
fn work_off(waiting: &Mutex<Receiver<Job>>) {
    yield_to_other_work();
    loop {
        let job = match waiting.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            // A job that panics loses its answer, not the thread.
            Ok(job) => {
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                    tracing::error!("a password job panicked");
                }
            }
            Err(_) => return,
        }
    }
}

/// How much lower than the rest of the process a password thread runs (a nice value): on a
/// busy machine, check-ins and reports get the cores first and hashing what is left.
const PASSWORD_NICENESS: libc::c_int = 10;

/// Lowers the calling thread's priority (Linux gives each thread its own nice value).
fn yield_to_other_work() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls on the calling thread, with no pointers.
        let failed = unsafe {
            let thread = libc::gettid() as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, thread, PASSWORD_NICENESS) != 0
        };
        if failed {
            tracing::warn!("cannot lower the priority of a password thread");
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

    #[tokio::test]
    async fn a_place_is_refused_while_every_one_is_taken_and_free_again_once_let_go() {
        let work = PasswordWork::new(1, 2);
        let held: Vec<Place> = std::iter::from_fn(|| work.reserve().ok()).collect();
        assert_eq!(held.len(), 3);
        assert!(work.run(|| ()).await.is_err());
        drop(held);
        assert_eq!(work.run(|| 1).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_panicking_job_keeps_its_thread() {
        let work = PasswordWork::new(1, 0);
        assert!(work.run(|| panic!("on purpose")).await.is_err());
        assert_eq!(work.run(|| 2).await.unwrap(), 2);
    }
}
