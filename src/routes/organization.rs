use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::db::db_time;
use crate::db::organizations::{self, OrganizationRow};
use crate::domain::org_settings::MAX_LATE_DAYS;
use crate::domain::{OrgSettings, Role};
use crate::error::{ApiError, FieldErrors};
use crate::people;
use crate::provisioning::clean_name;
use crate::routes::openapi::ErrorResponse;
use crate::routes::resource;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/organization")
            .route(web::get().to(get_org))
            .route(web::put().to(put_org)),
    );
}

const MAX_REMINDER_TIMES: usize = 6;
const MAX_HOLIDAYS: usize = 400;

#[derive(Serialize, ToSchema)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub timezone: String,
    #[serde(flatten)]
    pub settings: OrgSettings,
}

impl From<&OrganizationRow> for Organization {
    fn from(row: &OrganizationRow) -> Self {
        Self {
            id: row.id.clone(),
            name: row.name.clone(),
            timezone: row.timezone.clone(),
            settings: OrgSettings::from_stored(&row.settings),
        }
    }
}

/// The caller's organization: name, zone, working days, holidays, reminder times, late days.
#[utoipa::path(get, path = "/api/v1/organization", tag = "organization", security(("bearer" = [])),
    responses((status = 200, body = Organization)))]
pub async fn get_org(user: AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(Organization::from(&user.org))
}

/// Fields left out keep their value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationChange {
    pub name: Option<String>,
    pub timezone: Option<String>,
    /// ISO weekday numbers, Monday = 1.
    pub working_days: Option<Vec<u8>>,
    /// `HH:MM`, local time.
    pub reminder_times: Option<Vec<String>>,
    pub late_days: Option<u32>,
    pub holidays: Option<Vec<NaiveDate>>,
    pub locale: Option<String>,
    /// One of `reminder_times` (`HH:MM`), or null for no escalation.
    #[serde(default, deserialize_with = "crate::routes::double_option")]
    #[schema(value_type = Option<String>)]
    pub escalate_after: Option<Option<String>>,
}

/// Checks a change against the current settings; every problem is named.
fn apply(
    current: &OrganizationRow,
    change: OrganizationChange,
) -> Result<(String, String, OrgSettings), ApiError> {
    let mut errors = FieldErrors::new();
    let mut settings = OrgSettings::from_stored(&current.settings);
    let name = match change.name.as_deref().map(clean_name) {
        Some(Ok(n)) => n,
        Some(Err(p)) => {
            errors.insert("name".into(), p);
            current.name.clone()
        }
        None => current.name.clone(),
    };
    let timezone = match change.timezone.as_deref().map(people::timezone) {
        Some(Ok(tz)) => tz.name().to_string(),
        Some(Err(p)) => {
            errors.insert("timezone".into(), p);
            current.timezone.clone()
        }
        None => current.timezone.clone(),
    };
    if let Some(mut days) = change.working_days {
        days.sort_unstable();
        days.dedup();
        if days.iter().any(|d| !(1..=7).contains(d)) {
            errors.insert(
                "working_days".into(),
                "must be weekday numbers from 1 (Monday) to 7 (Sunday)".into(),
            );
        }
        settings.working_days = days;
    }
    if let Some(times) = change.reminder_times {
        let mut parsed = Vec::new();
        for t in &times {
            match NaiveTime::parse_from_str(t.trim(), "%H:%M") {
                Ok(time) => parsed.push(time),
                Err(_) => {
                    errors.insert(
                        "reminder_times".into(),
                        format!("`{t}` is not a time as HH:MM"),
                    );
                }
            }
        }
        parsed.sort();
        parsed.dedup();
        if parsed.len() > MAX_REMINDER_TIMES {
            errors.insert(
                "reminder_times".into(),
                format!("at most {MAX_REMINDER_TIMES} reminder times"),
            );
        }
        settings.reminder_times = parsed
            .iter()
            .map(|t| t.format("%H:%M").to_string())
            .collect();
    }
    if let Some(late) = change.late_days {
        if late > MAX_LATE_DAYS {
            errors.insert(
                "late_days".into(),
                format!("must be between 0 and {MAX_LATE_DAYS}"),
            );
        }
        settings.late_days = late;
    }
    if let Some(mut holidays) = change.holidays {
        holidays.sort();
        holidays.dedup();
        if holidays.len() > MAX_HOLIDAYS {
            errors.insert(
                "holidays".into(),
                format!("at most {MAX_HOLIDAYS} holidays"),
            );
        }
        settings.holidays = holidays;
    }
    if let Some(locale) = change.locale.as_deref() {
        match people::locale(locale) {
            Ok(l) => settings.locale = l,
            Err(p) => {
                errors.insert("locale".into(), p);
            }
        }
    }
    if let Some(escalate) = change.escalate_after {
        settings.escalate_after = match escalate {
            None => None,
            Some(raw) => match NaiveTime::parse_from_str(raw.trim(), "%H:%M") {
                Ok(t) => Some(t.format("%H:%M").to_string()),
                Err(_) => {
                    errors.insert(
                        "escalate_after".into(),
                        format!("`{raw}` is not a time as HH:MM"),
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
    responses((status = 200, body = Organization), (status = 422, body = ErrorResponse)))]
pub async fn put_org(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<OrganizationChange>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let (name, timezone, settings) = apply(&user.org, body.into_inner())?;
    let now = db_time(state.clock.now());
    let org_id = user.org_id().to_string();
    let stored = settings.to_stored();
    let row = state
        .db(move |conn| {
            organizations::update(conn, &org_id, &name, &timezone, &stored, now)?;
            organizations::find(conn, &org_id)?.ok_or_else(|| ApiError::not_found("organization"))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Organization::from(&row)))
}
