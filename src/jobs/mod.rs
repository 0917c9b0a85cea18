//! Work done in the background, away from requests: each job is a unit of its own with its
//! own schedule (mail delivery, reminder passes, closing days, retention, forgetting what
//! expired), run by `spawn_every`, or by `spawn_on_one_instance` when instances sharing a
//! database should take turns instead of all doing it.

use std::future::Future;
use std::time::Duration as StdDuration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use actix_web::web;

use crate::db::job_lock::JobKey;
use crate::state::AppState;

pub mod closing;
pub mod delivery;
pub mod expiry;
pub mod reminders;
pub mod retention;

/// The advisory lock numbers of the jobs one instance runs at a time ("hc" and a number).
pub const REMINDER_PASSES: JobKey = JobKey(0x6863_0001);
pub const CLOSING_DAYS: JobKey = JobKey(0x6863_0002);
pub const FORGETTING_EXPIRED: JobKey = JobKey(0x6863_0003);
pub const PURGING: JobKey = JobKey(0x6863_0004);

/// What one run of a job did.
pub enum Ran {
    /// Nothing was due.
    Idle,
    /// Something was done; the text is logged.
    Worked(String),
    /// A full batch: run again at once instead of waiting.
    Again,
}

/// Told once the process is going to stop: jobs take no new work and a mail batch gives
/// back what it has not started sending.
pub struct Stopping(watch::Sender<bool>);

impl Default for Stopping {
    fn default() -> Self {
        Self(watch::Sender::new(false))
    }
}

impl Stopping {
    pub fn begin(&self) {
        self.0.send_replace(true);
    }

    pub fn has_begun(&self) -> bool {
        *self.0.borrow()
    }

    fn subscribe(&self) -> watch::Receiver<bool> {
        self.0.subscribe()
    }
}

/// Runs `job` every `every` until the process begins to stop; a failed run is logged and the
/// next one comes on schedule, so one bad run never stops a job. The handle ends after the
/// run under way when stopping began.
pub fn spawn_every<F, Fut>(
    name: &'static str,
    every: StdDuration,
    state: web::Data<AppState>,
    job: F,
) -> JoinHandle<()>
where
    F: Fn(web::Data<AppState>) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<Ran>> + Send + 'static,
{
    spawn(name, every, None, state, job)
}

/// As `spawn_every`, but each run happens on one instance of those sharing the database: the
/// one that holds the job's lock (on PostgreSQL); the others skip that run.
pub fn spawn_on_one_instance<F, Fut>(
    name: &'static str,
    key: JobKey,
    every: StdDuration,
    state: web::Data<AppState>,
    job: F,
) -> JoinHandle<()>
where
    F: Fn(web::Data<AppState>) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<Ran>> + Send + 'static,
{
    spawn(name, every, Some(key), state, job)
}

fn spawn<F, Fut>(
    name: &'static str,
    every: StdDuration,
    key: Option<JobKey>,
    state: web::Data<AppState>,
    job: F,
) -> JoinHandle<()>
where
    F: Fn(web::Data<AppState>) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<Ran>> + Send + 'static,
{
    tokio::spawn(async move {
        let mut stopping = state.stopping.subscribe();
        while !*stopping.borrow() {
            let ran = match key {
                Some(key) => run_holding(&state, name, key, job(state.clone())).await,
                None => job(state.clone()).await,
            };
            match ran {
                Ok(Ran::Again) => continue,
                Ok(Ran::Worked(what)) => tracing::info!(job = name, "{what}"),
                Ok(Ran::Idle) => {}
                Err(e) => {
                    tracing::warn!(job = name, error = %format!("{e:#}"), "background job failed")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stopping.changed() => {}
            }
        }
        tracing::debug!(job = name, "stopped");
    })
}

/// One run (`run`, not started yet) while holding its lock; idle when another instance
/// holds it.
async fn run_holding<Fut>(
    state: &web::Data<AppState>,
    name: &'static str,
    key: JobKey,
    run: Fut,
) -> anyhow::Result<Ran>
where
    Fut: Future<Output = anyhow::Result<Ran>>,
{
    let locks = state.job_locks.clone();
    let Some(lock) = web::block(move || locks.try_hold(key)).await?? else {
        tracing::debug!(job = name, "another instance is running it; skipped");
        return Ok(Ran::Idle);
    };
    let ran = run.await;
    // Letting go is a statement on the lock connection: blocking work.
    web::block(move || drop(lock)).await?;
    ran
}
