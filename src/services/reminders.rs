//! Reminders: planning a pass (one outbox row per person, day and pass, unique by
//! `dedupe_key`), on demand or on schedule, the on-demand limit, and what was queued for a
//! day. Planning only writes rows; the delivery job (`crate::jobs::delivery`) sends them, and
//! the reminder job (`crate::jobs::reminders`) decides when a scheduled pass is due. Planning
//! the same pass again, from a restart, another instance or the command line, inserts
//! nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::QueryResult;

use crate::audit::{report_read, Reader, Target as AuditTarget};
use crate::db::organizations::{self, OrganizationRow};
use crate::db::outbox::{self, NewOutboxRow, Queued};
use crate::db::reminders::{
    self as db, Listed, NewBody, Target, Zones, DIGEST, DIGEST_KEY, REMINDER,
};
use crate::db::{db_time, departments, new_id, users, DbConn};
use crate::domain::expectation::exemption;
use crate::domain::OrgSettings;
use crate::email::template::{self, escape_html, resolve_locale};
use crate::email::{enqueue_for_day, NewMail};
use crate::reports::lists;
use crate::reports::scope::ScopeError;
use crate::reports::summary::Today;
use crate::services::Caller;

/// The pass name of on-demand (API and command line) passes, in their dedupe keys.
pub const ONDEMAND: &str = "ondemand";

/// At most one on-demand pass per scope in this time.
pub fn ondemand_interval() -> Duration {
    Duration::minutes(10)
}

#[derive(Debug, thiserror::Error)]
pub enum ReminderError {
    /// A pass for the same scope was asked for within `ondemand_interval`.
    #[error("too many requests")]
    TooSoon { retry_after_secs: u64 },
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// No reminder or digest of the organization has this id.
    #[error("reminder not found")]
    NotFound,
    /// Only one that was given up can be sent again; the others are on their way or done.
    #[error("only a reminder that failed can be sent again; this one is {0}")]
    NotFailed(String),
    /// Its text was purged 30 days after it was queued: there is nothing left to send.
    #[error("this mail's text was deleted after 30 days; it cannot be sent again")]
    Purged,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Who asks for an on-demand pass.
pub enum Asker<'a> {
    /// A manager or admin: within what they may read, narrowed to `department_id` when
    /// given; at most one pass per scope every `ondemand_interval`.
    Person {
        caller: &'a Caller<'a>,
        department_id: Option<&'a str>,
    },
    /// The operator, from the command line: the whole organization, as often as asked.
    Operator(&'a OrganizationRow),
}

/// An on-demand pass for `day`: everyone asked for who is expected and has not reported
/// gets one reminder, once per day however often it is asked for. Returns how many were
/// queued.
pub fn remind_now(
    conn: &mut DbConn,
    asker: &Asker<'_>,
    day: NaiveDate,
    today: &Today,
    public_url: &str,
) -> Result<usize, ReminderError> {
    let (org, departments, limit_key) = match asker {
        Asker::Person {
            caller,
            department_id,
        } => {
            let scope = caller.report_scope(conn, *department_id)?;
            // One limit per department asked for, and per person unless they see it all.
            let limit_key = format!(
                "{}:{}:{}",
                caller.org.id,
                department_id.unwrap_or("*"),
                if scope.departments.is_none() {
                    "organization"
                } else {
                    caller.id
                }
            );
            (caller.org, scope.departments, Some(limit_key))
        }
        Asker::Operator(org) => (*org, None, None),
    };
    conn.write_transaction(|c| {
        if let Some(key) = &limit_key {
            take_ondemand_slot(c, &org.id, key, today.now)?;
        }
        Ok(plan_ondemand(
            c,
            org,
            day,
            today.today,
            departments.as_ref(),
            public_url,
            today.now,
        )?)
    })
}

/// Records an on-demand pass for `key` unless there was one within `ondemand_interval`.
fn take_ondemand_slot(
    conn: &mut DbConn,
    org_id: &str,
    key: &str,
    now: NaiveDateTime,
) -> Result<(), ReminderError> {
    match db::take_ondemand_slot(conn, org_id, key, now, now - ondemand_interval())? {
        Ok(()) => Ok(()),
        Err(last) => {
            let wait = (last + ondemand_interval() - now).num_seconds().max(1);
            Err(ReminderError::TooSoon {
                retry_after_secs: wait as u64,
            })
        }
    }
}

/// What an on-demand pass of one organization queued.
pub struct Reminded {
    pub org_name: String,
    pub day: NaiveDate,
    pub queued: usize,
}

/// An on-demand pass in every organization, as the operator asks for it: for `date`, else
/// for each organization's today.
pub fn remind_every_organization(
    conn: &mut DbConn,
    date: Option<NaiveDate>,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Reminded>, ReminderError> {
    let mut reminded = Vec::new();
    for org in organizations::all(conn)? {
        let today = Today::in_org(&org, now);
        let day = date.unwrap_or(today.today);
        let queued = remind_now(conn, &Asker::Operator(&org), day, &today, public_url)?;
        reminded.push(Reminded {
            org_name: org.name,
            day,
            queued,
        });
    }
    Ok(reminded)
}

/// A reminder or digest queued for a day.
pub struct DayReminder {
    /// The reminder time (`09:30`) or `ondemand`.
    pub pass: String,
    /// Its status as a reader sees it: a mail being sent right now is still pending.
    pub row: Listed,
}

/// The reminders and digests queued for `day` to people the caller may see, oldest first.
pub fn of_day(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<DayReminder>, ReminderError> {
    let scope = caller.report_scope(conn, None)?;
    // Who was reminded names who had not reported: a read of individual data, audited.
    let reader = Reader {
        org_id: &caller.org.id,
        user_id: caller.id,
    };
    let detail = serde_json::json!({ "date": day });
    report_read(
        conn,
        reader,
        &scope,
        None,
        "reminders.list",
        detail,
        db_time(now),
    )?;
    Ok(db::of_day(conn, &caller.org.id, day)?
        .into_iter()
        .filter(|r| scope.covers(r.department_id.as_deref()))
        .map(|mut row| {
            if row.status == outbox::SENDING {
                row.status = outbox::PENDING.to_string();
            }
            DayReminder {
                pass: db::pass_of(&row.dedupe_key, day)
                    .unwrap_or_default()
                    .to_string(),
                row,
            }
        })
        .collect())
}

/// Sends a failed reminder or digest again: due at once, with its attempts counted afresh,
/// the same Message-ID as before. Audited on the person it was for.
pub fn resend(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    id: &str,
    now: DateTime<Utc>,
) -> Result<DayReminder, ReminderError> {
    conn.write_transaction(|c| {
        let row = outbox::find(c, id)?
            .filter(|r| r.org_id == caller.org.id && (r.kind == REMINDER || r.kind == DIGEST))
            .ok_or(ReminderError::NotFound)?;
        if row.status != outbox::FAILED {
            return Err(ReminderError::NotFailed(row.status));
        }
        let has_body = row.body_id.is_some()
            || row.vars.is_some()
            || !row.body_text.is_empty()
            || !row.body_html.is_empty();
        if !has_body {
            return Err(ReminderError::Purged);
        }
        let at = db_time(now);
        if !outbox::retry_failed_now(c, id, at)? {
            return Err(ReminderError::NotFailed(outbox::SENDING.into()));
        }
        let person = match row.user_id.as_deref() {
            Some(user_id) => users::find_in_org(c, &caller.org.id, user_id)?,
            None => None,
        };
        let target = person
            .as_ref()
            .map_or(AuditTarget::organization(caller.org), AuditTarget::person);
        crate::audit::record_change(
            c,
            caller
                .change("reminders.resend", target, at)
                .with_detail(serde_json::json!({ "outbox_id": id, "kind": row.kind })),
        )?;
        let day = row.day.unwrap_or_else(|| at.date());
        let row = db::find_listed(c, &caller.org.id, id)?.ok_or(ReminderError::NotFound)?;
        Ok(DayReminder {
            pass: db::pass_of(&row.dedupe_key, day)
                .unwrap_or_default()
                .to_string(),
            row,
        })
    })
}

/// The link in a reminder: the web app's check-in form.
fn checkin_link(public_url: &str) -> String {
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
    // Keeps a first plan of the same pass, which inserts without ON CONFLICT, out meanwhile;
    // taken before the bodies are stored, as `plan_staff_today` does.
    db::lock_pass(conn, &org.id, day, pass)?;
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
    let rows: Vec<NewOutboxRow<'_>> = targets
        .iter()
        .filter_map(|target| {
            let locale = resolve_locale(target.locale.as_deref().unwrap_or(&settings.locale));
            let (body_id, subject) = shared.get(locale)?;
            Some(NewOutboxRow {
                id: new_id(),
                org_id: &org.id,
                user_id: Some(&target.id),
                kind: REMINDER,
                dedupe_key: db::dedupe_key(REMINDER, &target.id, day, pass),
                to_email: &target.email,
                locale,
                subject,
                body_text: "",
                body_html: "",
                delivery: Queued::at(now),
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
    // Before the bodies: every planner of a pass takes this lock first, so none holds a body
    // row another waits for while it waits for the lock.
    db::lock_pass(conn, &org.id, day, pass)?;
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

/// An on-demand pass for a day: everyone in `departments` (all when `None`) who is expected
/// and has not reported gets one reminder, once per day however often it is asked for. The
/// same for the API and the command line; an organization-wide pass for today is one
/// statement. Call it inside a writing transaction.
fn plan_ondemand(
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

/// Who has not reported for `day`: live for today (and the people of the given zones), from
/// the day's membership for an earlier day.
fn unreported_on(
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
        &lists::Window::first(i64::MAX),
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
            dedupe_key: db::dedupe_key(DIGEST_KEY, &manager.id, day, pass),
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
