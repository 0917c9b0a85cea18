//! Reminders on demand, and what was queued for a day.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::domain::Role;
use crate::error::ApiError;
use crate::error::ErrorResponse;
use crate::reports::summary::Today;
use crate::routes::dates::report_day;
use crate::routes::views::utc;
use crate::routes::{optional_json, resource, JSON_LIMIT_BYTES};
use crate::services::reminders::{self, Asker};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/reminders")
            .app_data(web::PayloadConfig::new(JSON_LIMIT_BYTES))
            .route(web::post().to(remind))
            .route(web::get().to(list)),
    )
    .service(resource("/reminders/{id}/resend").route(web::post().to(resend)));
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RemindRequest {
    /// In the organization's zone, not in the future; today when left out.
    #[schema(value_type = Option<NaiveDate>)]
    pub date: Option<String>,
    /// Only this department and its sub-departments.
    pub department_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Queued {
    /// Reminders queued by this pass; people already reminded on demand that day are left out.
    pub queued: usize,
    /// When the next on-demand pass for this scope may be asked for.
    pub next_at: DateTime<Utc>,
}

/// Queue reminders now for the unreported of a day (manager and up, within their scope).
/// At most one such pass per scope every 10 minutes. The body may be left out (today, the
/// caller's whole scope).
#[utoipa::path(post, path = "/api/v1/reminders", tag = "reminders", security(("bearer" = [])),
    request_body = Option<RemindRequest>,
    responses((status = 202, description = "queued", body = Queued),
              (status = 403, description = "staff may not remind, or the department is outside the caller's", body = ErrorResponse),
              (status = 422, description = "a wrong date or department", body = ErrorResponse),
              (status = 429, description = "a pass for this scope within the last 10 minutes; see Retry-After", body = ErrorResponse)))]
pub async fn remind(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: RemindRequest = optional_json(&req, &body)?.unwrap_or_default();
    user.require(Role::Manager)?;
    let today = Today::in_org(&user.org, state.clock.now());
    let now = today.now;
    let day = report_day(body.date.as_deref(), today.today)?;
    let public_url = state.settings.public_url.clone();
    let queued = state
        .as_caller(user, move |conn, caller, _| {
            let asker = Asker::Person {
                caller,
                department_id: body.department_id.as_deref(),
            };
            reminders::remind_now(conn, &asker, day, &today, &public_url)
        })
        .await?;
    let next_at = utc(now + reminders::ondemand_interval());
    Ok(HttpResponse::Accepted().json(Queued { queued, next_at }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// In the organization's zone, not in the future; today when left out.
    #[param(format = Date)]
    pub date: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReminderEntry {
    pub id: String,
    /// `reminder` (to a person) or `reminder_digest` (to a manager).
    pub kind: String,
    /// The reminder time (`09:30`) or `ondemand`.
    pub pass: String,
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub to: String,
    /// `pending`, `sent`, `failed` or `cancelled` (the person reported first).
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub queued_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct ReminderList {
    pub date: NaiveDate,
    pub reminders: Vec<ReminderEntry>,
}

/// The reminders queued for a day with their delivery state (managers: their subtree's).
#[utoipa::path(get, path = "/api/v1/reminders", tag = "reminders", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "the day's reminders and digests", body = ReminderList),
              (status = 403, description = "staff may not read reminders", body = ErrorResponse),
              (status = 422, description = "a wrong date", body = ErrorResponse)))]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let today = Today::in_org(&user.org, state.clock.now()).today;
    let day = report_day(query.date.as_deref(), today)?;
    let found = state
        .as_caller(user, move |conn, caller, now| {
            reminders::of_day(conn, caller, day, now)
        })
        .await?;
    let reminders = found.into_iter().map(ReminderEntry::from).collect();
    Ok(HttpResponse::Ok().json(ReminderList {
        date: day,
        reminders,
    }))
}

impl From<reminders::DayReminder> for ReminderEntry {
    fn from(r: reminders::DayReminder) -> Self {
        Self {
            pass: r.pass,
            id: r.row.id,
            kind: r.row.kind,
            user_id: r.row.user_id,
            name: r.row.name,
            to: r.row.to_email,
            status: r.row.status,
            attempts: r.row.attempts,
            last_error: r.row.last_error,
            queued_at: utc(r.row.created_at),
            sent_at: r.row.sent_at.map(utc),
        }
    }
}

/// Sends a failed reminder or digest again, due at once with its attempts counted afresh
/// (admin). Audited as `reminders.resend` on the person it was for.
#[utoipa::path(post, path = "/api/v1/reminders/{id}/resend", tag = "reminders", security(("bearer" = [])),
    params(("id" = String, Path, description = "the reminder's id, from the day's list")),
    responses((status = 200, description = "queued again", body = ReminderEntry),
              (status = 403, description = "only admins send reminders again", body = ErrorResponse),
              (status = 404, description = "no reminder or digest of the organization has this id", body = ErrorResponse),
              (status = 409, description = "it did not fail: pending, sent or cancelled (`not_failed`)", body = ErrorResponse)))]
pub async fn resend(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = id.into_inner();
    let entry = state
        .as_caller(user, move |conn, caller, now| {
            reminders::resend(conn, caller, &id, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ReminderEntry::from(entry)))
}
