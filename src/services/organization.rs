//! The organization's name, zone and settings: a change read field by field, checked against
//! the settings as they are (every wrong field named at once), stored, and today's check-ins
//! placed again, since working days or holidays may have changed what today expects.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::audit::{self, Changes, Target};
use crate::db::organizations::{self, OrganizationRow};
use crate::db::{db_time, stats, DbConn};
use crate::domain::day::parse_date;
use crate::domain::org_settings::{
    read_time, PrivacyNotice, AUDIT_RETENTION_DAYS, MAX_HOLIDAYS, MAX_LATE_DAYS, MAX_NOTICE_CHARS,
    MAX_REMINDER_TIMES, RETENTION_DAYS,
};
use crate::domain::OrgSettings;
use crate::people;
use crate::problem::{FieldErrors, Problem};
use crate::provisioning::clean_name;
use crate::reports::counts::org_tz;
use crate::services::Caller;

/// The fields of a settings change, as a change may name them.
pub const CHANGE_FIELDS: [&str; 12] = [
    "name",
    "timezone",
    "working_days",
    "reminder_times",
    "late_days",
    "holidays",
    "locale",
    "escalate_after",
    "retention_days",
    "audit_retention_days",
    "privacy_notice",
    "abnormal_alerts",
];

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A field that is not a setting: the change as a whole does not fit.
    #[error("unknown field `{0}`, expected one of {fields}", fields = CHANGE_FIELDS.join(", "))]
    UnknownField(String),
    /// Every wrong field, each with its problem; nothing was changed.
    #[error("some fields are not valid")]
    Invalid(FieldErrors),
    #[error("organization not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// An organization as its people see it: name, zone and settings.
pub struct Profile {
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub settings: OrgSettings,
}

impl Profile {
    /// Stored settings that do not parse are an error naming the organization.
    pub fn of(org: &OrganizationRow) -> Result<Self, SettingsError> {
        Ok(Self {
            id: org.id.clone(),
            name: org.name.clone(),
            timezone: org.timezone.clone(),
            settings: org.settings()?,
        })
    }
}

/// A change as given: a field left out (`None`) keeps its value; `escalate_after: Some(None)`
/// ends escalation. Values are checked when the change is applied.
#[derive(Debug, Default)]
pub struct SettingsChange {
    pub name: Option<String>,
    pub timezone: Option<String>,
    /// ISO weekday numbers, Monday = 1.
    pub working_days: Option<Vec<i64>>,
    pub reminder_times: Option<Vec<String>>,
    pub late_days: Option<i64>,
    pub holidays: Option<Vec<String>>,
    pub locale: Option<String>,
    pub escalate_after: Option<Option<String>>,
    /// `Some(None)` keeps answers for good.
    pub retention_days: Option<Option<i64>>,
    pub audit_retention_days: Option<i64>,
    /// `Some(None)` removes the notice.
    pub privacy_notice: Option<Option<Map<String, Value>>>,
    pub abnormal_alerts: Option<bool>,
    /// Fields whose value was of the wrong type, named with every other problem.
    unreadable: FieldErrors,
}

impl SettingsChange {
    /// Reads a change field by field, so that a value of the wrong type is named like a wrong
    /// value instead of refusing the whole change. A `null` keeps the value, but for
    /// `escalate_after`, where it ends escalation, `retention_days`, where it keeps answers
    /// for good, and `privacy_notice`, where it removes the notice.
    pub fn from_json(mut object: Map<String, Value>) -> Result<Self, SettingsError> {
        if let Some(unknown) = object.keys().find(|k| !CHANGE_FIELDS.contains(&k.as_str())) {
            return Err(SettingsError::UnknownField(unknown.clone()));
        }
        let mut unreadable = FieldErrors::new();
        let (object, errors) = (&mut object, &mut unreadable);
        Ok(Self {
            name: typed(object, "name", Problem::not_text(), errors),
            timezone: typed(object, "timezone", Problem::not_text(), errors),
            working_days: typed(object, "working_days", not_weekdays(), errors),
            reminder_times: typed(
                object,
                "reminder_times",
                not_a_list("time", "must be a list of times as HH:MM"),
                errors,
            ),
            late_days: typed(object, "late_days", late_days_range(), errors),
            holidays: typed(
                object,
                "holidays",
                not_a_list("date", "must be a list of dates as YYYY-MM-DD"),
                errors,
            ),
            locale: typed(object, "locale", Problem::not_text(), errors),
            retention_days: nullable(object, "retention_days", retention_days_range(), errors),
            audit_retention_days: typed(
                object,
                "audit_retention_days",
                audit_retention_days_range(),
                errors,
            ),
            privacy_notice: nullable(object, "privacy_notice", not_a_notice(), errors),
            abnormal_alerts: typed(object, "abnormal_alerts", Problem::not_a_boolean(), errors),
            escalate_after: match object.remove("escalate_after") {
                None => None,
                Some(Value::Null) => Some(None),
                Some(Value::String(time)) => Some(Some(time)),
                Some(_) => {
                    errors.insert(
                        "escalate_after".into(),
                        Problem::new("not_a_time_or_null", "must be a time as HH:MM, or null"),
                    );
                    None
                }
            },
            unreadable,
        })
    }

    /// The name, zone and settings after the change, or every problem with it (those found
    /// while reading it too).
    fn apply_to(
        self,
        current: &OrganizationRow,
    ) -> Result<(String, String, OrgSettings), SettingsError> {
        let mut errors = self.unreadable;
        let mut settings = current.settings()?;
        let name = self
            .name
            .and_then(|raw| checked(&mut errors, "name", clean_name(&raw)))
            .unwrap_or_else(|| current.name.clone());
        let timezone = self
            .timezone
            .and_then(|raw| {
                let zone = people::timezone(&raw).map(|tz| tz.name().to_string());
                checked(&mut errors, "timezone", zone)
            })
            .unwrap_or_else(|| current.timezone.clone());
        if let Some(days) = self.working_days {
            let mut weekdays: Vec<u8> = days
                .iter()
                .filter_map(|d| u8::try_from(*d).ok().filter(|d| (1..=7).contains(d)))
                .collect();
            if weekdays.len() < days.len() {
                errors.insert("working_days".into(), not_weekdays());
            } else if weekdays.is_empty() {
                errors.insert(
                    "working_days".into(),
                    Problem::new("no_working_day", "must name at least one working day"),
                );
            }
            weekdays.sort_unstable();
            weekdays.dedup();
            settings.working_days = weekdays;
        }
        if let Some(times) = self.reminder_times {
            settings.reminder_times = sorted_list(
                &mut errors,
                "reminder_times",
                &times,
                (MAX_REMINDER_TIMES, "reminder times"),
                read_time,
            );
        }
        if let Some(late) = self.late_days {
            match u32::try_from(late).ok().filter(|l| *l <= MAX_LATE_DAYS) {
                Some(late) => settings.late_days = late,
                None => {
                    errors.insert("late_days".into(), late_days_range());
                }
            }
        }
        if let Some(days) = self.holidays {
            settings.holidays = sorted_list(
                &mut errors,
                "holidays",
                &days,
                (MAX_HOLIDAYS, "holidays"),
                read_date,
            );
        }
        if let Some(raw) = self.locale {
            if let Some(locale) = checked(&mut errors, "locale", people::locale(&raw)) {
                settings.locale = locale;
            }
        }
        if let Some(escalate) = self.escalate_after {
            settings.escalate_after =
                escalate.and_then(|raw| checked(&mut errors, "escalate_after", read_time(&raw)));
        }
        if let Some(retention) = self.retention_days {
            settings.retention_days = retention.and_then(|days| {
                let days = u32::try_from(days)
                    .ok()
                    .filter(|d| RETENTION_DAYS.contains(d));
                checked(
                    &mut errors,
                    "retention_days",
                    days.ok_or_else(retention_days_range),
                )
            });
        }
        if let Some(days) = self.audit_retention_days {
            match u32::try_from(days)
                .ok()
                .filter(|d| AUDIT_RETENTION_DAYS.contains(d))
            {
                Some(days) => settings.audit_retention_days = days,
                None => {
                    errors.insert("audit_retention_days".into(), audit_retention_days_range());
                }
            }
        }
        if let Some(alerts) = self.abnormal_alerts {
            settings.abnormal_alerts = alerts;
        }
        if let Some(notice) = self.privacy_notice {
            settings.privacy_notice = notice.and_then(|texts| {
                checked(&mut errors, "privacy_notice", read_notice(texts)).flatten()
            });
        }
        if let Some(escalate) = &settings.escalate_after {
            if !settings.reminder_times.contains(escalate) {
                let times: Vec<String> = settings
                    .reminder_times
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                errors.insert(
                    "escalate_after".into(),
                    Problem::new("not_a_reminder_time", "must be one of the reminder times")
                        .with("reminder_times", times),
                );
            }
        }
        if errors.is_empty() {
            Ok((name, timezone, settings))
        } else {
            Err(SettingsError::Invalid(errors))
        }
    }
}

/// Applies `change` to the organization's settings as they are now, in one transaction, and
/// places today's check-ins again: a day that became a holiday expects nobody, one that
/// stopped being one expects those who were active and not on leave.
pub fn change_settings(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    change: SettingsChange,
    now: DateTime<Utc>,
) -> Result<Profile, SettingsError> {
    let org_id = &caller.org.id;
    let now = db_time(now);
    conn.write_transaction(|conn| {
        let current = organizations::find(conn, org_id)?.ok_or(SettingsError::NotFound)?;
        let (name, timezone, settings) = change.apply_to(&current)?;
        let stored = settings.to_stored();
        organizations::update(conn, org_id, &name, &timezone, &stored, now)?;
        let changed = OrganizationRow {
            name,
            timezone,
            settings: stored,
            updated_at: now,
            ..current.clone()
        };
        let changes = settings_changes(&current, &changed);
        if !changes.is_empty() {
            let entry = caller.change("organization.update", Target::organization(&changed), now);
            audit::record_change(conn, entry.with_changes(changes))?;
        }
        let today = now.and_utc().with_timezone(&org_tz(&changed)).date_naive();
        stats::recount_today(conn, &changed, today)?;
        Ok(Profile {
            id: changed.id,
            name: changed.name,
            timezone: changed.timezone,
            settings,
        })
    })
}

/// The name, zone and each setting that differ between two versions of the organization.
fn settings_changes(before: &OrganizationRow, after: &OrganizationRow) -> Changes {
    let mut changes = Changes::default();
    changes.field("name", &before.name, &after.name);
    changes.field("timezone", &before.timezone, &after.timezone);
    // Read as settings, so that a stored form from an older version compares field by field.
    let object = |row: &OrganizationRow| match row.settings().map(serde_json::to_value) {
        Ok(Ok(Value::Object(settings))) => settings,
        _ => Map::new(),
    };
    changes.fields_of(&object(before), &object(after));
    changes
}

/// Takes `key` out of `object` as a `T`; a value of another type is `problem` for `key`.
fn typed<T: DeserializeOwned>(
    object: &mut Map<String, Value>,
    key: &str,
    problem: Problem,
    errors: &mut FieldErrors,
) -> Option<T> {
    match object.remove(key) {
        None | Some(Value::Null) => None,
        Some(value) => checked(
            errors,
            key,
            serde_json::from_value(value).map_err(|_| problem),
        ),
    }
}

/// As `typed`, for a field where `null` is a value of its own: `Some(None)`.
fn nullable<T: DeserializeOwned>(
    object: &mut Map<String, Value>,
    key: &str,
    problem: Problem,
    errors: &mut FieldErrors,
) -> Option<Option<T>> {
    match object.remove(key) {
        None => None,
        Some(Value::Null) => Some(None),
        Some(value) => checked(
            errors,
            key,
            serde_json::from_value(value).map_err(|_| problem),
        )
        .map(Some),
    }
}

/// A notice as given, by language: only `en` and `zh-CN`, each text or null, none too long.
/// Blank texts are left out, and a notice with no text left is no notice.
fn read_notice(texts: Map<String, Value>) -> Result<Option<PrivacyNotice>, Problem> {
    let mut notice = PrivacyNotice::default();
    for (language, text) in texts {
        let text = match text {
            Value::Null => None,
            Value::String(text) if text.chars().count() > MAX_NOTICE_CHARS => {
                return Err(Problem::new(
                    "too_long",
                    format!("each language's notice is at most {MAX_NOTICE_CHARS} characters"),
                )
                .with("max", MAX_NOTICE_CHARS)
                .with("language", language))
            }
            Value::String(text) => Some(text.trim().to_string()).filter(|t| !t.is_empty()),
            _ => return Err(not_a_notice()),
        };
        match language.as_str() {
            "en" => notice.en = text,
            "zh-CN" => notice.zh_cn = text,
            _ => {
                return Err(Problem::new(
                    "unknown_language",
                    format!("`{language}` is not a language of the app: en or zh-CN"),
                )
                .with("value", language))
            }
        }
    }
    Ok(Some(notice).filter(|n| n.en.is_some() || n.zh_cn.is_some()))
}

/// The value, or `None` with its problem named for `field` (a later one replaces it).
fn checked<T>(errors: &mut FieldErrors, field: &str, result: Result<T, Problem>) -> Option<T> {
    result
        .map_err(|problem| errors.insert(field.to_string(), problem))
        .ok()
}

/// Each item as `read` reads it, sorted and without repeats. More than `max` items (`what`
/// names them in English), or an item that does not read, is a problem for `field` (the
/// last one found).
fn sorted_list<T: Ord>(
    errors: &mut FieldErrors,
    field: &str,
    items: &[String],
    (max, what): (usize, &str),
    read: impl Fn(&str) -> Result<T, Problem>,
) -> Vec<T> {
    if items.len() > max {
        errors.insert(field.to_string(), too_many(max, what));
    }
    let mut read_items: Vec<T> = items
        .iter()
        .filter_map(|item| checked(errors, field, read(item)))
        .collect();
    read_items.sort();
    read_items.dedup();
    read_items
}

/// `working_days` holds something other than ISO weekday numbers.
fn not_weekdays() -> Problem {
    Problem::new(
        "not_weekdays",
        "must be weekday numbers from 1 (Monday) to 7 (Sunday)",
    )
    .with("min", 1)
    .with("max", 7)
}

fn late_days_range() -> Problem {
    Problem::out_of_range(0, MAX_LATE_DAYS)
}

fn retention_days_range() -> Problem {
    Problem::out_of_range(*RETENTION_DAYS.start(), *RETENTION_DAYS.end())
}

fn audit_retention_days_range() -> Problem {
    Problem::out_of_range(*AUDIT_RETENTION_DAYS.start(), *AUDIT_RETENTION_DAYS.end())
}

fn not_a_notice() -> Problem {
    Problem::new(
        "not_a_notice",
        "must be an object of texts by language (en, zh-CN), or null",
    )
}

/// Not a list, or a list with an item that is not of `items` (`time`, `date`) at all.
fn not_a_list(items: &str, message: &str) -> Problem {
    Problem::new("not_a_list", message).with("items", items)
}

/// A list longer than `max`; `what` names its items in the English sentence.
fn too_many(max: usize, what: &str) -> Problem {
    Problem::new("too_many", format!("at most {max} {what}")).with("max", max)
}

/// A holiday that is not a date, named with its value.
fn read_date(raw: &str) -> Result<chrono::NaiveDate, Problem> {
    parse_date(raw).ok_or_else(|| {
        Problem::new(
            "invalid_date",
            format!("`{raw}` is not a date as YYYY-MM-DD"),
        )
        .with("value", raw)
    })
}
