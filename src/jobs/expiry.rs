//! Forgetting what no longer counts: limit windows that have passed and revoked tokens that
//! have expired, so that neither table grows with time.

use actix_web::web;

use super::Ran;
use crate::services::{limits, sessions};
use crate::state::AppState;

/// How often the job runs; what it removes only takes room, never changes an answer.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(5 * 60);

pub async fn forget_expired(state: web::Data<AppState>) -> anyhow::Result<Ran> {
    let now = state.clock.now();
    let login_limits = state.login_limits();
    let (windows, tokens) = state
        .db(move |conn| {
            Ok((
                limits::purge_expired(conn, login_limits, now)?,
                sessions::purge_expired(conn, now)?,
            ))
        })
        .await
        .map_err(|e| anyhow::anyhow!("forgetting what expired: {e}"))?;
    Ok(if windows + tokens > 0 {
        Ran::Worked(format!(
            "forgot {windows} passed limit window(s) and {tokens} expired revoked token(s)"
        ))
    } else {
        Ran::Idle
    })
}
