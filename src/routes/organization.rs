use actix_web::{web, HttpResponse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::db::organizations::{self, OrganizationRow};
use crate::db::{db_time, stats};
use crate::domain::day::parse_date;
use crate::domain::org_settings::ClockTime as SettingsTime;
use crate::domain::org_settings::{parse_time, MAX_HOLIDAYS, MAX_LATE_DAYS, MAX_REMINDER_TIMES};
use crate::domain::{OrgSettings, Role};
use crate::error::ErrorResponse;
use crate::error::{ApiError, FieldErrors};
use crate::people;
use crate::provisioning::clean_name;
use crate::reports::counts::org_tz;
use crate::routes::resource;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/organization")
            .route(web::get().to(get_org))
            .route(web::put().to(put_org)),
    );
}

#[derive(Serialize, ToSchema)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub timezone: String,
    #[serde(flatten)]
    pub settings: OrgSettings,
}

impl TryFrom<&OrganizationRow> for Organization {
    type Error = ApiError;

    fn try_from(row: &OrganizationRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: row.id.clone(),
            name: row.name.clone(),
            timezone: row.timezone.clone(),
            settings: row.settings()?,
        })
    }
}

/// The caller's organization: name, zone, working days, holidays, reminder times, late days.
#[utoipa::path(get, path = "/api/v1/organization", tag = "organization", security(("bearer" = [])),
    responses((status = 200, description = "the caller's organization", body = Organization)))]
pub async fn get_org(user: AuthUser) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(Organization::try_from(&user.org)?))
}

/// Fields left out keep their value, and so does a `null` (but for `escalate_after`, where it
/// ends escalation). A value of the wrong type is named like a wrong value (422); an unknown
/// field makes the body malformed (400).
// Read field by field in `read_change`; the serde attribute documents the closed set of fields.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct OrganizationChange {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// An IANA time zone, e.g. `Asia/Shanghai`.
    pub timezone: Option<String>,
    /// ISO weekday numbers, Monday = 1; at least one.
    #[schema(value_type = Option<Vec<Weekday>>, min_items = 1)]
    pub working_days: Option<Vec<i64>>,
    /// Local times of the reminder passes; at most 6.
    #[schema(value_type = Option<Vec<ClockTime>>, max_items = 6)]
    pub reminder_times: Option<Vec<String>>,
    #[schema(minimum = 0, maximum = 31)]
    pub late_days: Option<i64>,
    /// At most 400.
    #[schema(value_type = Option<Vec<chrono::NaiveDate>>, max_items = 400)]
    pub holidays: Option<Vec<String>>,
    /// `zh-CN` or `en`, in any letter case.
    #[schema(pattern = "^([Zz][Hh]-[Cc][Nn]|[Ee][Nn])$")]
    pub locale: Option<String>,
    /// One of `reminder_times`, or null for no escalation.
    #[serde(default, deserialize_with = "crate::routes::double_option")]
    #[schema(value_type = Option<ClockTime>)]
    pub escalate_after: Option<Option<String>>,
}

/// The fields of `OrganizationChange`, as a body may name them.
const CHANGE_FIELDS: [&str; 8] = [
    "name",
    "timezone",
    "working_days",
    "reminder_times",
    "late_days",
    "holidays",
    "locale",
    "escalate_after",
];

/// An ISO weekday number, Monday = 1.
#[derive(ToSchema)]
#[schema(minimum = 1, maximum = 7)]
pub struct Weekday(#[allow(dead_code)] u8);

/// A local time as `HH:MM` (or `H:MM`).
#[derive(ToSchema)]
#[schema(pattern = "^([01]?[0-9]|2[0-3]):[0-5][0-9]$")]
pub struct ClockTime(#[allow(dead_code)] String);

const WORKING_DAYS_PROBLEM: &str = "must be weekday numbers from 1 (Monday) to 7 (Sunday)";

/// Takes `key` out of the body as a `T`; a value of another type becomes `problem` for `key`.
fn typed<T: DeserializeOwned>(
    body: &mut Map<String, Value>,
    key: &str,
    problem: &str,
    errors: &mut FieldErrors,
) -> Option<T> {
    match body.remove(key) {
        None | Some(Value::Null) => None,
        Some(value) => serde_json::from_value(value)
            .map_err(|_| errors.insert(key.to_string(), problem.to_string().into()))
            .ok(),
    }
}

/// Reads a settings body field by field, so that a value of the wrong type is named like a
/// wrong value instead of failing the whole body. Its problems go into `errors`.
fn read_change(
    mut body: Map<String, Value>,
    errors: &mut FieldErrors,
) -> Result<OrganizationChange, ApiError> {
    if let Some(unknown) = body.keys().find(|k| !CHANGE_FIELDS.contains(&k.as_str())) {
        return Err(ApiError::bad_request(
            "invalid_body",
            format!(
                "the body does not fit: unknown field `{unknown}`, expected one of {}",
                CHANGE_FIELDS.join(", ")
            ),
        ));
    }
    let late_days_problem = format!("must be between 0 and {MAX_LATE_DAYS}");
    let body = &mut body;
    let change = OrganizationChange {
        name: typed(body, "name", "must be text", errors),
        timezone: typed(body, "timezone", "must be text", errors),
        working_days: typed(body, "working_days", WORKING_DAYS_PROBLEM, errors),
        reminder_times: typed(
            body,
            "reminder_times",
            "must be a list of times as HH:MM",
            errors,
        ),
        late_days: typed(body, "late_days", &late_days_problem, errors),
        holidays: typed(
            body,
            "holidays",
            "must be a list of dates as YYYY-MM-DD",
            errors,
        ),
        locale: typed(body, "locale", "must be text", errors),
        escalate_after: match body.remove("escalate_after") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(time)) => Some(Some(time)),
            Some(_) => {
                errors.insert(
                    "escalate_after".into(),
                    "must be a time as HH:MM, or null".into(),
                );
                None
            }
        },
    };
    Ok(change)
}

/// Checks a change against the current settings; every problem is named, with those found
/// while reading the body.
fn apply(
    current: &OrganizationRow,
    change: OrganizationChange,
    mut errors: FieldErrors,
) -> Result<(String, String, OrgSettings), ApiError> {
    let mut settings = current.settings()?;
    let name = match change.name.as_deref().map(clean_name) {
        Some(Ok(n)) => n,
        Some(Err(p)) => {
            errors.insert("name".into(), p.into());
            current.name.clone()
        }
        None => current.name.clone(),
    };
    let timezone = match change.timezone.as_deref().map(people::timezone) {
        Some(Ok(tz)) => tz.name().to_string(),
        Some(Err(p)) => {
            errors.insert("timezone".into(), p.into());
            current.timezone.clone()
        }
        None => current.timezone.clone(),
    };
    if let Some(days) = change.working_days {
        let mut weekdays: Vec<u8> = days
            .iter()
            .filter_map(|d| u8::try_from(*d).ok().filter(|d| (1..=7).contains(d)))
            .collect();
        if weekdays.len() < days.len() {
            errors.insert("working_days".into(), WORKING_DAYS_PROBLEM.into());
        } else if weekdays.is_empty() {
            errors.insert(
                "working_days".into(),
                "must name at least one working day".into(),
            );
        }
        weekdays.sort_unstable();
        weekdays.dedup();
        settings.working_days = weekdays;
    }
    if let Some(times) = change.reminder_times {
        if times.len() > MAX_REMINDER_TIMES {
            errors.insert(
                "reminder_times".into(),
                format!("at most {MAX_REMINDER_TIMES} reminder times").into(),
            );
        }
        let mut parsed = Vec::new();
        for t in &times {
            match parse_time(t) {
                Some(time) => parsed.push(time),
                None => {
                    errors.insert(
                        "reminder_times".into(),
                        format!("`{t}` is not a time as HH:MM").into(),
                    );
                }
            }
        }
        parsed.sort();
        parsed.dedup();
        settings.reminder_times = parsed.into_iter().map(SettingsTime).collect();
    }
    if let Some(late) = change.late_days {
        match u32::try_from(late).ok().filter(|l| *l <= MAX_LATE_DAYS) {
            Some(late) => settings.late_days = late,
            None => {
                errors.insert(
                    "late_days".into(),
                    format!("must be between 0 and {MAX_LATE_DAYS}").into(),
                );
            }
        }
    }
    if let Some(raw) = change.holidays {
        if raw.len() > MAX_HOLIDAYS {
            errors.insert(
                "holidays".into(),
                format!("at most {MAX_HOLIDAYS} holidays").into(),
            );
        }
        let mut holidays = Vec::new();
        for day in &raw {
            match parse_date(day) {
                Some(date) => holidays.push(date),
                None => {
                    errors.insert(
                        "holidays".into(),
                        format!("`{day}` is not a date as YYYY-MM-DD").into(),
                    );
                }
            }
        }
        holidays.sort();
        holidays.dedup();
        settings.holidays = holidays;
    }
    if let Some(locale) = change.locale.as_deref() {
        match people::locale(locale) {
            Ok(l) => settings.locale = l,
            Err(p) => {
                errors.insert("locale".into(), p.into());
            }
        }
    }
    if let Some(escalate) = change.escalate_after {
        settings.escalate_after = match escalate {
            None => None,
            Some(raw) => match parse_time(&raw) {
                Some(t) => Some(SettingsTime(t)),
                None => {
                    errors.insert(
                        "escalate_after".into(),
                        format!("`{raw}` is not a time as HH:MM").into(),
                    );
                    None
                }
            },
        };
    }
    if let Some(escalate) = &settings.escalate_after {
        if !settings.reminder_times.contains(escalate) {
            errors.insert(
                "escalate_after".into(),
                "must be one of the reminder times".into(),
            );
        }
    }
    if errors.is_empty() {
        Ok((name, timezone, settings))
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Change the organization's settings (admin).
#[utoipa::path(put, path = "/api/v1/organization", tag = "organization", security(("bearer" = [])),
    request_body = OrganizationChange,
    responses((status = 200, description = "changed", body = Organization),
              (status = 403, description = "admins only", body = ErrorResponse),
              (status = 422, description = "wrong fields, each named", body = ErrorResponse)))]
pub async fn put_org(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let mut errors = FieldErrors::new();
    let change = read_change(body.into_inner(), &mut errors)?;
    let (name, timezone, settings) = apply(&user.org, change, errors)?;
    let now = db_time(state.clock.now());
    let org_id = user.org_id().to_string();
    let stored = settings.to_stored();
    let row = state
        .db(move |conn| {
            conn.write_transaction(|conn| {
                organizations::update(conn, &org_id, &name, &timezone, &stored, now)?;
                let row = organizations::find(conn, &org_id)?
                    .ok_or_else(|| ApiError::not_found("organization"))?;
                let today = now.and_utc().with_timezone(&org_tz(&row)).date_naive();
                stats::recount_today(conn, &row, today)?;
                Ok(row)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(Organization::try_from(&row)?))
}
