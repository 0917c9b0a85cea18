//! Purging what retention no longer keeps (see `services::retention`), a few times a day, so
//! answers go within hours of their last kept day.

use actix_web::web;

use super::Ran;
use crate::services::retention::{self, Mode};
use crate::state::AppState;

/// How often the purge runs. A run that finds nothing reads only index entries.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(6 * 60 * 60);

pub async fn purge(state: web::Data<AppState>) -> anyhow::Result<Ran> {
    let now = state.clock.now();
    let done = state
        .db(move |conn| Ok(retention::purge_every_organization(conn, Mode::Purge, now)?))
        .await
        .map_err(|e| anyhow::anyhow!("purging what retention no longer keeps: {e}"))?;
    let worked: Vec<String> = done
        .iter()
        .filter(|o| !o.purged.is_empty())
        .map(|o| {
            let p = &o.purged;
            format!(
                "{}: {} check-in(s), {} revision(s), {} leave note(s), {} mail(s), {} audit entr(ies)",
                o.org_id, p.checkins, p.revisions, p.leave_notes, p.mails, p.audit_entries
            )
        })
        .collect();
    Ok(if worked.is_empty() {
        Ran::Idle
    } else {
        Ran::Worked(format!("purged {}", worked.join("; ")))
    })
}
