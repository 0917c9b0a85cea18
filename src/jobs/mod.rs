//! Work done in the background, away from requests: each job is a unit of its own with its
//! own schedule (mail delivery, reminder passes, closing days, forgetting what expired), run
//! by `spawn_every`.

use std::future::Future;
use std::time::Duration as StdDuration;

use actix_web::web;

use crate::state::AppState;

pub mod closing;
pub mod delivery;
pub mod expiry;
pub mod reminders;

/// What one run of a job did.
pub enum Ran {
    /// Nothing was due.
    Idle,
    /// Something was done; the text is logged.
    Worked(String),
    /// A full batch: run again at once instead of waiting.
    Again,
}

/// Runs `job` every `every` until the process ends; a failed run is logged and the next one
/// comes on schedule, so one bad run never stops a job.
pub fn spawn_every<F, Fut>(
    name: &'static str,
    every: StdDuration,
    state: web::Data<AppState>,
    job: F,
) where
    F: Fn(web::Data<AppState>) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<Ran>> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            match job(state.clone()).await {
                Ok(Ran::Again) => continue,
                Ok(Ran::Worked(what)) => tracing::info!(job = name, "{what}"),
                Ok(Ran::Idle) => {}
                Err(e) => {
                    tracing::warn!(job = name, error = %format!("{e:#}"), "background job failed")
                }
            }
            tokio::time::sleep(every).await;
        }
    });
}
