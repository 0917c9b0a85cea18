//! The reminder job: which scheduled passes are due, planned through the reminders service
//! (`crate::services::reminders`), and, just before sending, the reminders of people who
//! have reported meanwhile dropped.

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::web;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::QueryResult;

use crate::db::organizations::OrganizationRow;
use crate::db::outbox::{self, OutboxRow};
use crate::db::reminders::{self as db, Zones, REMINDER};
use crate::db::{db_time, DbConn};
use crate::domain::day::parse_timezone;
use crate::domain::expectation::exemption;
use crate::domain::org_settings::ClockTime;
use crate::domain::OrgSettings;
use crate::email::template::fill_shared;
use crate::reports::counts::org_tz;
use crate::services::reminders::{plan_digests, plan_staff_today};
use crate::services::webhooks;
use crate::state::AppState;

/// A pass whose time passed longer ago than this is not run any more that day (an instance
/// started at 23:00 does not send the 09:30 reminders).
pub fn catch_up() -> Duration {
    Duration::hours(2)
}

/// What one planned pass queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub org_id: String,
    pub day: NaiveDate,
    pub pass: String,
    pub digest: bool,
    pub queued: usize,
}

/// The passes due at `now` for one organization, as (zone, local day, pass time). A zone is
/// the organization's, or one that some of its people set for themselves: they are reminded
/// at the organization's times on their own clock, for their own day.
fn due_passes(
    org: &OrganizationRow,
    settings: &OrgSettings,
    zones: &[String],
    now: DateTime<Utc>,
) -> Vec<(Option<String>, NaiveDate, ClockTime)> {
    let org_zone = org_tz(org);
    let mut groups: Vec<(Option<String>, Tz)> = vec![(None, org_zone)];
    for zone in zones {
        if let Ok(tz) = parse_timezone(zone) {
            if tz != org_zone {
                groups.push((Some(zone.clone()), tz));
            }
        }
    }
    let mut due = Vec::new();
    for (name, tz) in groups {
        let local = now.with_timezone(&tz).naive_local();
        let day = local.date();
        if exemption(settings, day, false).is_some() {
            continue;
        }
        // Only the latest pass that is due: an instance starting at 11:10 sends the 11:00
        // reminder, not the missed 09:30 one as well (earlier passes were planned on time or
        // are superseded).
        let latest = settings
            .reminder_times
            .iter()
            .filter_map(|time| {
                let at = day.and_time(time.0);
                (local >= at && local < at + catch_up()).then_some((at, *time))
            })
            .max();
        if let Some((_, time)) = latest {
            due.push((name, day, time));
        }
    }
    due
}

/// Plans every pass due at `now`, in every organization; each pass in its own transaction.
pub fn plan_due(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    public_url: &str,
) -> QueryResult<Vec<Planned>> {
    let stamp = db_time(now);
    let mut planned = Vec::new();
    for org in crate::db::organizations::all(conn)? {
        // One organization's damaged settings must not stop the others' reminders.
        let settings = match org.settings() {
            Ok(settings) => settings,
            Err(e) => {
                tracing::error!(org_id = %org.id, error = %e, "reminder passes skipped");
                continue;
            }
        };
        if settings.reminder_times.is_empty() {
            continue;
        }
        let zones = db::own_zones(conn, &org.id)?;
        let org_zone = org_tz(&org);
        for (zone, day, time) in due_passes(&org, &settings, &zones, now) {
            // From the escalation time on, managers get the list instead.
            let digest = settings.escalate_after.is_some_and(|from| time >= from);
            let pass = time.to_string();
            let queued = conn.write_transaction(|c| {
                let queued = if digest {
                    // One digest per manager and day, on the organization's clock.
                    if zone.is_some() {
                        return Ok(0);
                    }
                    plan_digests(c, &org, &settings, day, day, &pass, public_url, stamp)?
                } else {
                    let zones = match &zone {
                        None => Zones::Organization(org_zone.name()),
                        Some(z) => Zones::Only(z),
                    };
                    plan_staff_today(c, &org, &settings, day, &pass, zones, public_url, stamp)?
                };
                // The organization's own pass tells its chat robots (once per day and pass).
                if zone.is_none() {
                    webhooks::after_pass(
                        c,
                        &org,
                        &settings,
                        (day, &pass),
                        queued,
                        digest,
                        public_url,
                        stamp,
                    )?;
                }
                Ok::<_, diesel::result::Error>(queued)
            })?;
            planned.push(Planned {
                org_id: org.id.clone(),
                day,
                pass,
                digest,
                queued,
            });
        }
    }
    Ok(planned)
}

/// Plans the passes due now (by `state.clock`); the scheduler loop calls this, and tests do.
pub async fn run_due_passes(state: &AppState) -> anyhow::Result<Vec<Planned>> {
    let now = state.clock.now();
    let public_url = state.settings.public_url.clone();
    let planned = state
        .db(move |c| Ok(plan_due(c, now, &public_url)?))
        .await
        .map_err(|e| anyhow::anyhow!("planning reminder passes: {e}"))?;
    for pass in planned.iter().filter(|p| p.queued > 0) {
        state.metrics.reminder_pass(pass.queued);
    }
    Ok(planned)
}

/// One run of the reminder scheduler: the passes due now, planned.
pub async fn plan_due_passes(state: web::Data<AppState>) -> anyhow::Result<super::Ran> {
    let planned = run_due_passes(&state).await?;
    let mut queued = 0;
    for p in planned.iter().filter(|p| p.queued > 0) {
        tracing::info!(org_id = %p.org_id, day = %p.day, pass = %p.pass, digest = p.digest, queued = p.queued, "reminder pass planned");
        queued += p.queued;
    }
    Ok(if queued > 0 {
        super::Ran::Worked(format!("{queued} reminder(s) planned"))
    } else {
        super::Ran::Idle
    })
}

/// Just claimed, before sending: reminders of people who have reported for that day are
/// cancelled, and rows with a shared body get it filled in. Returns the rows to send and how
/// many were cancelled.
pub fn before_sending(
    conn: &mut DbConn,
    rows: Vec<OutboxRow>,
    token: &str,
) -> QueryResult<(Vec<OutboxRow>, usize)> {
    let reminders: Vec<&OutboxRow> = rows
        .iter()
        .filter(|r| r.kind == REMINDER && r.user_id.is_some() && r.day.is_some())
        .collect();
    let reported = if reminders.is_empty() {
        HashSet::new()
    } else {
        let users: Vec<String> = reminders.iter().filter_map(|r| r.user_id.clone()).collect();
        let mut days: Vec<NaiveDate> = reminders.iter().filter_map(|r| r.day).collect();
        days.sort();
        days.dedup();
        db::reported(conn, &users, &days)?
    };
    let mut body_ids: Vec<String> = rows.iter().filter_map(|r| r.body_id.clone()).collect();
    body_ids.sort();
    body_ids.dedup();
    let bodies: HashMap<String, (String, String)> = if body_ids.is_empty() {
        HashMap::new()
    } else {
        db::bodies(conn, &body_ids)?
            .into_iter()
            .map(|(id, text, html)| (id, (text, html)))
            .collect()
    };
    // Rows planned in the database carry no values: the name is read now.
    let unnamed: Vec<String> = rows
        .iter()
        .filter(|r| r.body_id.is_some() && r.vars.is_none())
        .filter_map(|r| r.user_id.clone())
        .collect();
    let names: HashMap<String, String> = if unnamed.is_empty() {
        HashMap::new()
    } else {
        db::names(conn, &unnamed)?.into_iter().collect()
    };
    let mut ready = Vec::with_capacity(rows.len());
    let mut cancelled = 0;
    for mut row in rows {
        let has_reported = row.kind == REMINDER
            && match (&row.user_id, row.day) {
                (Some(user), Some(day)) => reported.contains(&(user.clone(), day)),
                _ => false,
            };
        if has_reported {
            if outbox::mark_cancelled(conn, &row.id, token, "reported before it was sent")? {
                cancelled += 1;
            }
            continue;
        }
        if let Some(body_id) = &row.body_id {
            let Some((text, html)) = bodies.get(body_id) else {
                outbox::mark_failed(conn, &row.id, token, "its shared body is missing")?;
                continue;
            };
            let mut vars: BTreeMap<String, String> = row
                .vars
                .as_deref()
                .and_then(|v| serde_json::from_str(v).ok())
                .unwrap_or_default();
            if let Some(name) = row.user_id.as_ref().and_then(|u| names.get(u)) {
                vars.entry("name".to_string())
                    .or_insert_with(|| name.clone());
            }
            row.body_text = fill_shared(text, &vars, false);
            row.body_html = fill_shared(html, &vars, true);
        }
        ready.push(row);
    }
    Ok((ready, cancelled))
}
