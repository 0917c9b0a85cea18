//! The organization's webhooks (admin): added with a URL, a format and the events they
//! receive, listed with their latest delivery, deleted; and the day's events they are told
//! of after a reminder pass: the pass itself, and after the last one, each department's rate.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::json;

use crate::audit::{self, Target};
use crate::db::organizations::OrganizationRow;
use crate::db::webhooks::{self as db};
pub use crate::db::webhooks::{LastDelivery, WebhookRow};
use crate::db::{db_time, departments, new_id, DbConn};
use crate::domain::OrgSettings;
use crate::problem::{FieldErrors, Problem};
use crate::reports::counts::day_counts;
use crate::services::Caller;
use crate::webhooks::{self, Message, EVENTS, FORMATS};

/// The most webhooks one organization keeps.
pub const MAX_WEBHOOKS: usize = 20;
const MAX_URL_CHARS: usize = 2_000;
const MAX_SECRET_CHARS: usize = 200;
/// The most departments a day's summary lists; the rest are counted.
const SUMMARY_LINES: usize = 30;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("some fields are not valid")]
    Invalid(FieldErrors),
    #[error("webhook not found")]
    NotFound,
    #[error("an organization keeps at most {MAX_WEBHOOKS} webhooks")]
    TooMany,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// A webhook as given.
pub struct NewWebhook {
    pub url: Option<String>,
    pub format: Option<String>,
    pub events: Option<Vec<String>>,
    pub secret: Option<String>,
}

fn checked(
    given: NewWebhook,
) -> Result<(String, String, Vec<String>, Option<String>), WebhookError> {
    let mut errors = FieldErrors::new();
    let url = match given.url.as_deref().map(str::trim) {
        None | Some("") => {
            errors.insert("url".into(), Problem::required());
            None
        }
        Some(raw) if raw.chars().count() > MAX_URL_CHARS => {
            errors.insert("url".into(), Problem::too_long(MAX_URL_CHARS));
            None
        }
        Some(raw) => match url::Url::parse(raw) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
                Some(url.to_string())
            }
            _ => {
                errors.insert(
                    "url".into(),
                    Problem::new("invalid_url", "must be an http or https address")
                        .with("value", raw),
                );
                None
            }
        },
    };
    let format = match given.format.as_deref() {
        Some(f) if FORMATS.contains(&f) => Some(f.to_string()),
        Some(f) => {
            errors.insert(
                "format".into(),
                Problem::not_a_choice(&FORMATS).with("value", f),
            );
            None
        }
        None => {
            errors.insert("format".into(), Problem::required());
            None
        }
    };
    let mut events = given.events.unwrap_or_default();
    events.sort();
    events.dedup();
    if events.is_empty() {
        errors.insert(
            "events".into(),
            Problem::new("required", "must name at least one event"),
        );
    } else if let Some(unknown) = events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
        errors.insert(
            "events".into(),
            Problem::not_a_choice(&EVENTS).with("value", unknown.as_str()),
        );
    }
    let secret = given
        .secret
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if secret
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_SECRET_CHARS)
    {
        errors.insert("secret".into(), Problem::too_long(MAX_SECRET_CHARS));
    }
    match (url, format) {
        (Some(url), Some(format)) if errors.is_empty() => Ok((url, format, events, secret)),
        _ => Err(WebhookError::Invalid(errors)),
    }
}

/// Only the host of an address: its path and query may hold the robot's token.
fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default()
}

pub fn create(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    given: NewWebhook,
    now: DateTime<Utc>,
) -> Result<(WebhookRow, Option<LastDelivery>), WebhookError> {
    let (url, format, events, secret) = checked(given)?;
    let at = db_time(now);
    conn.write_transaction(|conn| {
        if db::of_org(conn, &caller.org.id)?.len() >= MAX_WEBHOOKS {
            return Err(WebhookError::TooMany);
        }
        let row = WebhookRow {
            id: new_id(),
            org_id: caller.org.id.clone(),
            url,
            format,
            events: serde_json::to_string(&events).unwrap_or_else(|_| "[]".into()),
            secret,
            created_at: at,
            created_by: Some(caller.id.to_string()),
        };
        db::insert(conn, &row)?;
        let entry = caller
            .change("webhooks.create", Target::organization(caller.org), at)
            .with_detail(json!({
                "webhook_id": row.id,
                "host": host_of(&row.url),
                "format": row.format,
                "events": events,
                "signed": row.secret.is_some(),
            }));
        audit::record_change(conn, entry)?;
        Ok((row, None))
    })
}

/// The organization's webhooks, each with its latest delivery.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller<'_>,
) -> Result<Vec<(WebhookRow, Option<LastDelivery>)>, WebhookError> {
    let mut out = Vec::new();
    for hook in db::of_org(conn, &caller.org.id)? {
        let last = db::last_delivery(conn, &hook.id)?;
        out.push((hook, last));
    }
    Ok(out)
}

/// Deletes a webhook; what it had not been sent yet is cancelled.
pub fn delete(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), WebhookError> {
    let at = db_time(now);
    conn.write_transaction(|conn| {
        let hook = db::find(conn, id)?
            .filter(|h| h.org_id == caller.org.id)
            .ok_or(WebhookError::NotFound)?;
        db::delete(conn, &caller.org.id, id)?;
        let entry = caller
            .change("webhooks.delete", Target::organization(caller.org), at)
            .with_detail(json!({"webhook_id": hook.id, "host": host_of(&hook.url)}));
        audit::record_change(conn, entry)?;
        Ok(())
    })
}

/// A pass of the organization's own zone was planned: its `reminder.digest`, and after the
/// day's last pass, the `day.summary` of each department's rate. In the pass's transaction.
#[allow(clippy::too_many_arguments)]
pub fn after_pass(
    conn: &mut DbConn,
    org: &OrganizationRow,
    settings: &OrgSettings,
    (day, pass): (NaiveDate, &str),
    queued: usize,
    digest: bool,
    public_url: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<usize> {
    // Most organizations have no robot: nothing to count for them after a pass.
    let hooks = db::of_org(conn, &org.id)?;
    if hooks.is_empty() {
        return Ok(0);
    }
    let words = webhooks::phrases(&settings.locale);
    let link = format!(
        "{}/#/dashboard?date={day}",
        public_url.trim_end_matches('/')
    );
    let date = day.to_string();
    let count = queued.to_string();
    let line = if digest {
        words.reminder_managers
    } else {
        words.reminder_staff
    };
    let reminder = Message {
        event: "reminder.digest".into(),
        title: webhooks::fill(words.reminder_title, &[("date", &date), ("pass", pass)]),
        lines: vec![webhooks::fill(line, &[("n", &count)])],
        link: link.clone(),
        link_label: words.open_dashboard.into(),
        organization: org.name.clone(),
        at: now.and_utc(),
    };
    let mut sent = webhooks::queue(conn, org, &reminder, &format!("{day}:{pass}"), now)?;
    let last = settings
        .reminder_times
        .iter()
        .max()
        .map(ToString::to_string);
    if last.as_deref() != Some(pass) || !hooks.iter().any(|h| h.receives("day.summary")) {
        return Ok(sent);
    }
    let counts = day_counts(conn, org, day, day)?;
    let tree = departments::tree(conn, &org.id)?;
    let rate = |reported: i64, expected: i64| {
        if expected > 0 {
            format!("{}%", reported * 100 / expected)
        } else {
            "—".to_string()
        }
    };
    let mut rows: Vec<(String, i64, i64)> = counts
        .iter()
        .filter(|(_, c)| c.expected > 0)
        .map(|(department, c)| {
            let name = if department.is_empty() {
                words.no_department.to_string()
            } else {
                tree.path(department)
            };
            (name, c.reported.min(c.expected), c.expected)
        })
        .collect();
    // Furthest behind first: that is where someone should look.
    rows.sort_by(|a, b| (a.1 * b.2).cmp(&(b.1 * a.2)).then_with(|| a.0.cmp(&b.0)));
    let (reported, expected) = rows
        .iter()
        .fold((0, 0), |(r, e), row| (r + row.1, e + row.2));
    let mut lines = vec![webhooks::fill(
        words.summary_total,
        &[
            ("reported", &reported.to_string()),
            ("expected", &expected.to_string()),
            ("rate", &rate(reported, expected)),
        ],
    )];
    for (name, r, e) in rows.iter().take(SUMMARY_LINES) {
        lines.push(format!("{name}: {r}/{e} ({})", rate(*r, *e)));
    }
    if rows.len() > SUMMARY_LINES {
        let more = (rows.len() - SUMMARY_LINES).to_string();
        lines.push(webhooks::fill(words.more, &[("n", &more)]));
    }
    let summary = Message {
        event: "day.summary".into(),
        title: webhooks::fill(words.summary_title, &[("date", &date)]),
        lines,
        link,
        link_label: words.open_dashboard.into(),
        organization: org.name.clone(),
        at: now.and_utc(),
    };
    sent += webhooks::queue(conn, org, &summary, &day.to_string(), now)?;
    Ok(sent)
}
