use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::org_settings::PrivacyNotice;
use crate::domain::{OrgSettings, Role};
use crate::error::ApiError;
use crate::error::{AdminsOnly, ErrorResponse};
use crate::routes::resource;
use crate::services::organization::{self as organization_service, Profile, SettingsChange};
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

impl From<Profile> for Organization {
    fn from(p: Profile) -> Self {
        Self {
            id: p.id,
            name: p.name,
            timezone: p.timezone,
            settings: p.settings,
        }
    }
}

/// The caller's organization: name, zone, working days, holidays, reminder times, late days.
#[utoipa::path(get, path = "/api/v1/organization", tag = "organization", security(("bearer" = [])),
    responses((status = 200, description = "the caller's organization", body = Organization)))]
pub async fn get_org(user: AuthUser) -> Result<HttpResponse, ApiError> {
    let profile = Profile::of(&user.org)?;
    Ok(HttpResponse::Ok().json(Organization::from(profile)))
}

/// Fields left out keep their value, and so does a `null` (but for `escalate_after`, where it
/// ends escalation). A value of the wrong type is named like a wrong value (422); an unknown
/// field makes the body malformed (400).
// Read field by field by `SettingsChange::from_json`; this shape documents the closed set of
// fields and their types.
#[derive(Deserialize, ToSchema)]
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
    /// Days after which check-in answers, revisions and leave notes are purged, keeping the
    /// day's numbers and who reported: 7 to 3650, or null to keep them.
    #[serde(default, deserialize_with = "crate::routes::double_option")]
    #[schema(value_type = Option<u32>, minimum = 7, maximum = 3650)]
    pub retention_days: Option<Option<i64>>,
    /// Days the audit log keeps its entries: 30 to 3650 (730 unless set).
    #[schema(minimum = 30, maximum = 3650)]
    pub audit_retention_days: Option<i64>,
    /// Shown to staff at first use and on the privacy page; replaces the whole notice, and
    /// null removes it. At most 10,000 characters per language.
    #[serde(default, deserialize_with = "crate::routes::double_option")]
    #[schema(value_type = Option<PrivacyNotice>)]
    pub privacy_notice: Option<Option<Map<String, Value>>>,
    /// Whether an abnormal check-in is mailed at once to the managers of its department (the
    /// nearest ones above it where it has none); true unless set.
    pub abnormal_alerts: Option<bool>,
}

/// An ISO weekday number, Monday = 1.
#[derive(ToSchema)]
#[schema(minimum = 1, maximum = 7)]
pub struct Weekday(#[allow(dead_code)] u8);

/// A local time as `HH:MM` (or `H:MM`).
#[derive(ToSchema)]
#[schema(pattern = "^([01]?[0-9]|2[0-3]):[0-5][0-9]$")]
pub struct ClockTime(#[allow(dead_code)] String);

/// Change the organization's settings (admin).
#[utoipa::path(put, path = "/api/v1/organization", tag = "organization", security(("bearer" = [])),
    request_body = OrganizationChange,
    responses((status = 200, description = "changed", body = Organization),
              AdminsOnly,
              (status = 422, description = "wrong fields, each named", body = ErrorResponse)))]
pub async fn put_org(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let change = SettingsChange::from_json(body.into_inner())?;
    let changed = state
        .as_caller(user, move |conn, caller, now| {
            organization_service::change_settings(conn, caller, change, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Organization::from(changed)))
}
