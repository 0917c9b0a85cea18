//! Forgetting what no longer counts: limit windows that have passed, so that the table does
//! not grow with time.

use actix_web::web;

use super::Ran;
use crate::services::limits;
use crate::state::AppState;

/// How often the job runs; what it removes only takes room, never changes an answer.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(5 * 60);

pub async fn forget_expired(state: web::Data<AppState>) -> anyhow::Result<Ran> {
    let now = state.clock.now();
    let login_limits = state.login_limits();
    let windows = state
        .db(move |conn| Ok(limits::purge_expired(conn, login_limits, now)?))
        .await
        .map_err(|e| anyhow::anyhow!("forgetting what expired: {e}"))?;
    Ok(if windows > 0 {
        Ran::Worked(format!("forgot {windows} passed limit window(s)"))
    } else {
        Ran::Idle
    })
}
