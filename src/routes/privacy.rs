//! A person's own data: `GET /me/export` (everything kept that is theirs, to take away) and
//! `GET /me/access-log` (who else read or changed it, and when).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::routes::paging::{PageQuery, People};
use crate::routes::resource;
use crate::routes::views::{stored_json, utc, Checkin, Leave, Revision};
use crate::services::privacy;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/me/export").route(web::get().to(export)))
        .service(resource("/me/access-log").route(web::get().to(access_log)));
}

#[derive(Serialize, ToSchema)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub email: String,
    pub employee_no: Option<String>,
    pub role: String,
    pub department_id: Option<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub organization: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedCheckin {
    #[serde(flatten)]
    pub checkin: Checkin,
    /// Its earlier versions, oldest first.
    pub revisions: Vec<Revision>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportedReminder {
    pub date: Option<NaiveDate>,
    /// `reminder`, or `reminder_digest` (a manager's list of the unreported).
    pub kind: String,
    pub status: String,
    pub queued_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct OwnData {
    pub exported_at: DateTime<Utc>,
    pub profile: Profile,
    /// Newest first.
    pub checkins: Vec<ExportedCheckin>,
    pub leave: Vec<Leave>,
    pub reminders: Vec<ExportedReminder>,
}

/// Everything kept about the caller that is theirs, as one JSON file to download: the
/// profile, every check-in with its earlier versions, leave, and the reminders sent to them.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "privacy", security(("bearer" = [])),
    responses((status = 200, description = "the caller's data, as an attachment", body = OwnData)))]
pub async fn export(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let organization = user.org.name.clone();
    let row = user.user.clone();
    let found = state
        .db(move |conn| Ok(privacy::own_data(conn, &row)?))
        .await?;
    let u = user.user;
    let data = OwnData {
        exported_at: now,
        profile: Profile {
            id: u.id,
            name: u.name,
            email: u.email,
            employee_no: u.employee_no,
            role: u.role,
            department_id: u.department_id,
            timezone: u.timezone,
            locale: u.locale,
            organization,
            created_at: utc(u.created_at),
        },
        checkins: found
            .checkins
            .into_iter()
            .map(|(checkin, earlier)| ExportedCheckin {
                checkin: checkin.into(),
                revisions: earlier.into_iter().map(Revision::from).collect(),
            })
            .collect(),
        leave: found.leave.into_iter().map(Leave::from).collect(),
        reminders: found
            .reminders
            .into_iter()
            .map(|r| ExportedReminder {
                date: r.day,
                kind: r.kind,
                status: r.status,
                queued_at: utc(r.created_at),
                sent_at: r.sent_at.map(utc),
            })
            .collect(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"my-health-checkin-data.json\"",
        ))
        .json(data))
}

#[derive(Serialize, ToSchema)]
pub struct Reader {
    pub name: String,
    pub role: String,
}

#[derive(Serialize, ToSchema)]
pub struct Access {
    /// What was done: `employees.get` (the record read), `leave.list`, `employees.update`, …
    pub action: String,
    /// `read` or `change`.
    pub kind: &'static str,
    pub at: DateTime<Utc>,
    /// Who, by name and role now; null for the command line or a link.
    pub by: Option<Reader>,
    #[schema(value_type = Object)]
    pub detail: Value,
}

#[derive(Serialize, ToSchema)]
pub struct AccessLog {
    pub entries: Vec<Access>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Who else read or changed the caller's own record, leave or check-ins, newest first: from
/// the audit log, each with the reader's name and role.
#[utoipa::path(get, path = "/api/v1/me/access-log", tag = "privacy", security(("bearer" = [])),
    params(PageQuery<People>),
    responses((status = 200, description = "one page of reads and changes by others", body = AccessLog),
              (status = 422, description = "a wrong page or per_page", body = crate::error::ErrorResponse)))]
pub async fn access_log(
    state: web::Data<AppState>,
    user: AuthUser,
    pages: web::Query<PageQuery<People>>,
) -> Result<HttpResponse, ApiError> {
    let paging = pages.parse()?;
    let row = user.user.clone();
    let found = state
        .db(move |conn| {
            Ok(privacy::access_log(
                conn,
                &row,
                paging.offset(),
                paging.per_page,
            )?)
        })
        .await?;
    let entries = found
        .entries
        .into_iter()
        .map(|(row, reader)| Access {
            kind: if row.changes.is_some() {
                "change"
            } else {
                "read"
            },
            action: row.action,
            at: utc(row.created_at),
            by: reader.map(|(name, role)| Reader { name, role }),
            detail: stored_json(&row.detail),
        })
        .collect();
    Ok(HttpResponse::Ok().json(AccessLog {
        entries,
        total: found.total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}
