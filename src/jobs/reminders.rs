//! Reminder passes: decide which passes are due, plan them (one outbox row per person, day
//! and pass, written in one transaction, unique by `dedupe_key`), and, just before sending,
//! drop the reminders of people who have reported meanwhile.
//!
//! Planning only writes rows; the delivery job (`super::delivery`) sends them. Planning the
//! same pass again, from a restart, another instance or the CLI, inserts nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::web;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use diesel::QueryResult;

use crate::db::organizations::OrganizationRow;
use crate::db::outbox::{self, OutboxRow};
use crate::db::reminders::{self as db, NewBody, NewReminder, Target, Zones, DIGEST, REMINDER};
use crate::db::{db_time, departments, new_id, users, DbConn};
use crate::domain::day::parse_timezone;
use crate::domain::expectation::exemption;
use crate::domain::org_settings::ClockTime;
use crate::domain::OrgSettings;
use crate::email::template::{self, escape_html, fill_shared, resolve_locale};
use crate::email::{enqueue_for_day, NewMail};
use crate::reports::counts::org_tz;
use crate::reports::lists;
use crate::state::AppState;

/// The pass name of on-demand (API and CLI) passes, in their dedupe keys.
pub const ONDEMAND: &str = "ondemand";
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

/// The link in a reminder: the web app's check-in form.
pub fn checkin_link(public_url: &str) -> String {
    format!("{public_url}/#/checkin")
}

/// Queues one reminder for each of `targets` for `day`, keyed by `pass`. The body is rendered
/// once per locale and stored once (`mail_bodies`); each row carries only the name.
#[allow(clippy::too_many_arguments)]
pub fn plan_staff(
    conn: &mut DbConn,
    org: &OrganizationRow,
    settings: &OrgSettings,
    day: NaiveDate,
    pass: &str,
    targets: &[Target],
    public_url: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let done = db::already_queued(conn, &org.id, REMINDER, day, pass)?;
    let targets: Vec<&Target> = targets.iter().filter(|t| !done.contains(&t.id)).collect();
    if targets.is_empty() {
        return Ok(0);
    }
    let link = checkin_link(public_url);
    // Per locale: (body id, subject), rendered with the name left as a placeholder.
    let mut shared: HashMap<&'static str, (String, String)> = HashMap::new();
    for target in &targets {
        let locale = resolve_locale(target.locale.as_deref().unwrap_or(&settings.locale));
        if shared.contains_key(locale) {
            continue;
        }
        shared.insert(
            locale,
            store_body(conn, org, day, pass, locale, &link, now)?,
        );
    }
    let rows: Vec<NewReminder<'_>> = targets
        .iter()
        .filter_map(|target| {
            let locale = resolve_locale(target.locale.as_deref().unwrap_or(&settings.locale));
            let (body_id, subject) = shared.get(locale)?;
            Some(NewReminder {
                id: new_id(),
                org_id: &org.id,
                user_id: Some(&target.id),
                kind: REMINDER,
                dedupe_key: format!("{REMINDER}:{}:{day}:{pass}", target.id),
                to_email: &target.email,
                locale,
                subject,
                body_text: "",
                body_html: "",
                status: outbox::PENDING,
                attempts: 0,
                last_error: None,
                next_attempt_at: now,
                lease_until: None,
                claimed_by: None,
                created_at: now,
                sent_at: None,
                day: Some(day),
                body_id: Some(body_id),
                vars: Some(serde_json::json!({ "name": target.name }).to_string()),
            })
        })
        .collect();
    db::insert_reminders(conn, &rows)
}

/// Renders a pass's reminder in one language with the name left as a placeholder, and stores
/// it once for all its rows; returns the body's id and the subject.
fn store_body(
    conn: &mut DbConn,
    org: &OrganizationRow,
    day: NaiveDate,
    pass: &str,
    locale: &str,
    link: &str,
    now: NaiveDateTime,
) -> QueryResult<(String, String)> {
    let vars = BTreeMap::from([
        ("name".to_string(), "{{name}}".to_string()),
        ("date".to_string(), day.to_string()),
        ("org_name".to_string(), org.name.clone()),
        ("link".to_string(), link.to_string()),
    ]);
    let rendered = template::render(REMINDER, locale, &vars)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let body_id = format!("{REMINDER}:{}:{day}:{pass}:{locale}", org.id);
    db::insert_body(
        conn,
        &NewBody {
            id: &body_id,
            org_id: &org.id,
            body_text: &rendered.text,
            body_html: &rendered.html,
            created_at: now,
        },
    )?;
    Ok((body_id, rendered.subject))
}

/// `plan_staff` for everyone unreported today among `zones`, set-based in the database (see
/// `db::reminders::insert_pass`): the way scheduled passes are planned.
#[allow(clippy::too_many_arguments)]
pub fn plan_staff_today(
    conn: &mut DbConn,
    org: &OrganizationRow,
    settings: &OrgSettings,
    day: NaiveDate,
    pass: &str,
    zones: Zones<'_>,
    public_url: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    if exemption(settings, day, false).is_some() {
        return Ok(0);
    }
    let link = checkin_link(public_url);
    let mut locales = Vec::new();
    for locale in template::LOCALES {
        let (body_id, subject) = store_body(conn, org, day, pass, locale, &link, now)?;
        locales.push((*locale, body_id, subject));
    }
    db::insert_pass(
        conn,
        &db::PassRows {
            org_id: &org.id,
            day,
            pass,
            zones,
            locales: &locales,
            default_locale: resolve_locale(&settings.locale),
            now,
        },
    )
}

/// Who has not reported for `day`: live for today (and the people of the given zones), from
/// the day's membership for an earlier day.
/// An on-demand pass for a day: everyone in `departments` (all when `None`) who is expected
/// and has not reported gets one reminder, once per day however often it is asked for. The
/// same for the API and the command line; an organization-wide pass for today is one
/// statement. Call it inside a writing transaction.
#[allow(clippy::too_many_arguments)]
pub fn plan_ondemand(
    conn: &mut DbConn,
    org: &OrganizationRow,
    day: NaiveDate,
    today: NaiveDate,
    departments: Option<&HashSet<String>>,
    public_url: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let settings = org.settings()?;
    if day == today && departments.is_none() {
        return plan_staff_today(
            conn,
            org,
            &settings,
            day,
            ONDEMAND,
            Zones::All,
            public_url,
            now,
        );
    }
    let targets = unreported_on(conn, org, day, today, Zones::All, departments)?;
    plan_staff(
        conn, org, &settings, day, ONDEMAND, &targets, public_url, now,
    )
}

pub fn unreported_on(
    conn: &mut DbConn,
    org: &OrganizationRow,
    day: NaiveDate,
    today: NaiveDate,
    zones: Zones<'_>,
    scope: Option<&HashSet<String>>,
) -> QueryResult<Vec<Target>> {
    let settings = org.settings()?;
    if exemption(&settings, day, false).is_some() {
        return Ok(Vec::new());
    }
    if day >= today {
        return db::unreported(conn, &org.id, day, zones, scope);
    }
    let page = lists::unreported(
        conn,
        org,
        day,
        today,
        scope,
        lists::Window {
            offset: 0,
            limit: i64::MAX,
        },
    )?;
    Ok(page
        .items
        .into_iter()
        .map(|l| Target {
            id: l.user.id,
            name: l.user.name,
            email: l.user.email,
            locale: l.user.locale,
            department_id: l.department_id,
        })
        .collect())
}

/// One digest per manager listing the unreported people of the departments they manage
/// (subtrees included): names and departments only.
#[allow(clippy::too_many_arguments)]
pub fn plan_digests(
    conn: &mut DbConn,
    org: &OrganizationRow,
    settings: &OrgSettings,
    day: NaiveDate,
    today: NaiveDate,
    pass: &str,
    public_url: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let tree = departments::tree(conn, &org.id)?;
    let mut managed: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    for (department, manager) in departments::managers(conn, &org.id)? {
        managed
            .entry(manager)
            .or_default()
            .extend(tree.subtree(&department));
    }
    // A pass planned on an earlier tick is not worked out again.
    let done = db::already_queued(conn, &org.id, DIGEST, day, pass)?;
    managed.retain(|manager, _| !done.contains(manager));
    if managed.is_empty() {
        return Ok(0);
    }
    let ids: Vec<&str> = managed.keys().map(String::as_str).collect();
    let managers: HashMap<String, users::UserRow> = users::find_many_in_org(conn, &org.id, &ids)?
        .into_iter()
        .filter(|m| m.active)
        .map(|m| (m.id.clone(), m))
        .collect();
    let missing = unreported_on(conn, org, day, today, Zones::All, None)?;
    let link = format!("{public_url}/#/reports?date={day}");
    let mut queued = 0;
    for (manager_id, scope) in managed {
        let Some(manager) = managers.get(&manager_id) else {
            continue;
        };
        let people: Vec<&Target> = missing
            .iter()
            .filter(|t| t.department_id.as_ref().is_some_and(|d| scope.contains(d)))
            .collect();
        if people.is_empty() {
            continue;
        }
        let place = |t: &Target| {
            t.department_id
                .as_deref()
                .map(|d| tree.path(d))
                .unwrap_or_default()
        };
        let text: Vec<String> = people
            .iter()
            .map(|t| format!("- {} ({})", t.name, place(t)))
            .collect();
        let html: Vec<String> = people
            .iter()
            .map(|t| {
                format!(
                    "<li>{} ({})</li>",
                    escape_html(&t.name),
                    escape_html(&place(t))
                )
            })
            .collect();
        let mail = NewMail {
            org_id: org.id.clone(),
            user_id: Some(manager.id.clone()),
            kind: DIGEST,
            dedupe_key: format!("digest:{}:{day}:{pass}", manager.id),
            to: manager.email.clone(),
            locale: manager.locale.clone().unwrap_or(settings.locale.clone()),
            vars: BTreeMap::from([
                ("name".to_string(), manager.name.clone()),
                ("org_name".to_string(), org.name.clone()),
                ("date".to_string(), day.to_string()),
                ("count".to_string(), people.len().to_string()),
                ("people".to_string(), text.join("\n")),
                ("people_html".to_string(), html.join("\n")),
                ("link".to_string(), link.clone()),
            ]),
        };
        if enqueue_for_day(conn, &mail, Some(day), now)? {
            queued += 1;
        }
    }
    Ok(queued)
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
                if digest {
                    // One digest per manager and day, on the organization's clock.
                    if zone.is_some() {
                        return Ok(0);
                    }
                    plan_digests(c, &org, &settings, day, day, &pass, public_url, stamp)
                } else {
                    let zones = match &zone {
                        None => Zones::Organization(org_zone.name()),
                        Some(z) => Zones::Only(z),
                    };
                    plan_staff_today(c, &org, &settings, day, &pass, zones, public_url, stamp)
                }
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
    state
        .db(move |c| Ok(plan_due(c, now, &public_url)?))
        .await
        .map_err(|e| anyhow::anyhow!("planning reminder passes: {e}"))
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
