//! Closing days: shortly after each organization's midnight, yesterday's exact numbers (and
//! those of any earlier day still open) are computed once and stored, so reports read stored
//! rows and never write.

use actix_web::web;

use super::Ran;
use crate::state::AppState;

/// Closes the past days not closed yet in every organization.
pub async fn close_past_days(state: web::Data<AppState>) -> anyhow::Result<Ran> {
    let now = state.clock.now();
    let closed = state
        .db(move |c| Ok(crate::reports::counts::close_past_days(c, now)?))
        .await
        .map_err(|e| anyhow::anyhow!("closing days: {e}"))?;
    Ok(if closed > 0 {
        Ran::Worked(format!(
            "closed yesterday's numbers in {closed} organization(s)"
        ))
    } else {
        Ran::Idle
    })
}
