//! Reminders on demand, and what was queued for a day.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::db::outbox;
use crate::db::reminders as db;
use crate::domain::Role;
use crate::error::ApiError;
use crate::error::ErrorResponse;
use crate::jobs::reminders::plan_ondemand;
use crate::reports::summary::Today;
use crate::routes::dates::report_day;
use crate::routes::services::report_scope;
use crate::routes::{optional_json, resource, JSON_LIMIT_BYTES};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/reminders")
            .app_data(web::PayloadConfig::new(JSON_LIMIT_BYTES))
            .route(web::post().to(remind))
            .route(web::get().to(list)),
    );
}

/// At most one on-demand pass per scope in this time.
pub fn ondemand_interval() -> Duration {
    Duration::minutes(10)
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
    let Today { today, now } = Today::in_org(&user.org, state.clock.now());
    let day = report_day(body.date.as_deref(), today)?;
    let public_url = state.settings.public_url.clone();
    let queued = state
        .db(move |conn| {
            let scope = report_scope(conn, &user, body.department_id.as_deref())?;
            let scope_key = format!(
                "{}:{}:{}",
                user.org_id(),
                body.department_id.as_deref().unwrap_or("*"),
                if scope.departments.is_none() {
                    "organization"
                } else {
                    user.id()
                }
            );
            conn.write_transaction(|c| {
                if let Err(last) = db::take_ondemand_slot(
                    c,
                    user.org_id(),
                    &scope_key,
                    now,
                    now - ondemand_interval(),
                )? {
                    let wait = (last + ondemand_interval() - now).num_seconds().max(1);
                    return Err(ApiError::RateLimited {
                        retry_after_secs: wait as u64,
                    });
                }
                Ok(plan_ondemand(
                    c,
                    &user.org,
                    day,
                    today,
                    scope.departments.as_ref(),
                    &public_url,
                    now,
                )?)
            })
        })
        .await?;
    Ok(HttpResponse::Accepted().json(Queued { queued }))
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
    let reminders = state
        .db(move |conn| {
            let scope = report_scope(conn, &user, None)?;
            let day_part = format!(":{day}:");
            Ok(db::of_day(conn, user.org_id(), day)?
                .into_iter()
                .filter(|r| scope.covers(r.department_id.as_deref()))
                .map(|r| ReminderEntry {
                    pass: r
                        .dedupe_key
                        .split_once(day_part.as_str())
                        .map(|(_, pass)| pass.to_string())
                        .unwrap_or_default(),
                    id: r.id,
                    kind: r.kind,
                    user_id: r.user_id,
                    name: r.name,
                    to: r.to_email,
                    // A mail being sent right now is still pending to the reader.
                    status: if r.status == outbox::SENDING {
                        outbox::PENDING.to_string()
                    } else {
                        r.status
                    },
                    attempts: r.attempts,
                    last_error: r.last_error,
                    queued_at: r.created_at.and_utc(),
                    sent_at: r.sent_at.map(|t| t.and_utc()),
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(ReminderList {
        date: day,
        reminders,
    }))
}
