//! Closing days: shortly after each organization's midnight, yesterday's exact numbers are
//! computed once and stored, so the morning's first report reads stored rows.

use actix_web::web;

use super::Ran;
use crate::state::AppState;

/// Closes yesterday in every organization that has not closed it yet.
pub async fn close_yesterday(state: web::Data<AppState>) -> anyhow::Result<Ran> {
    let now = state.clock.now();
    let closed = state
        .db(move |c| Ok(crate::reports::counts::close_yesterday(c, now)?))
        .await
        .map_err(|e| anyhow::anyhow!("closing yesterday: {e}"))?;
    Ok(if closed > 0 {
        Ran::Worked(format!(
            "closed yesterday's numbers in {closed} organization(s)"
        ))
    } else {
        Ran::Idle
    })
}
