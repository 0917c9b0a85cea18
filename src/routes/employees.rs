use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::domain::Role;
use crate::error::{AdminsOnly, ErrorResponse, HrAndAdminsOnly, NoSuchPerson};
use crate::error::{ApiError, ErrorDetail};
use crate::import::{ImportReport, LineError, MAX_IMPORT_BYTES};
use crate::routes::paging::{PageQuery, Paging, People};
use crate::routes::views::Leave;
use crate::routes::{double_option, resource, JsonObject};
use crate::services::erasure;
use crate::services::invitations;
use crate::services::people::{
    self, ImportError, ImportOptions, LeaveEntry, NewPerson, PeopleQuery, Person, PersonChange,
    StateFilter,
};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/employees")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        resource("/employees/import")
            .app_data(web::PayloadConfig::new(MAX_IMPORT_BYTES))
            .route(web::post().to(import_csv)),
    )
    .service(
        resource("/employees/{id}")
            .route(web::get().to(get_one))
            .route(web::patch().to(update))
            .route(web::delete().to(deactivate)),
    )
    .service(
        resource("/employees/{id}/leave")
            .route(web::get().to(list_leave))
            .route(web::post().to(add_leave)),
    )
    .service(resource("/employees/{id}/leave/{leave_id}").route(web::delete().to(delete_leave)))
    .service(resource("/employees/{id}/invite").route(web::post().to(resend_invitation)))
    .service(resource("/employees/{id}/erase").route(web::post().to(erase)));
}

#[derive(Serialize, ToSchema)]
pub struct Employee {
    pub id: String,
    pub email: String,
    pub name: String,
    pub employee_no: Option<String>,
    pub role: String,
    pub department_id: Option<String>,
    pub department_path: Option<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub active: bool,
    /// Departments this person manages directly.
    pub manages: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub deactivated_at: Option<DateTime<Utc>>,
}

impl From<Person> for Employee {
    fn from(p: Person) -> Self {
        let u = p.user;
        Employee {
            id: u.id,
            email: u.email,
            name: u.name,
            employee_no: u.employee_no,
            role: u.role,
            department_id: u.department_id,
            department_path: p.department_path,
            timezone: u.timezone,
            locale: u.locale,
            active: u.active,
            manages: p.manages,
            created_at: u.created_at.and_utc(),
            deactivated_at: u.deactivated_at.map(|t| t.and_utc()),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of a name, e-mail or employee number.
    pub q: Option<String>,
    /// Only this department and its sub-departments.
    pub department_id: Option<String>,
    #[param(value_type = Option<Role>)]
    pub role: Option<String>,
    /// Active people (the default), deactivated ones, or all.
    #[param(value_type = Option<ActiveFilter>)]
    pub active: Option<String>,
}

/// Which people a list holds by their state.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ActiveFilter {
    True,
    False,
    All,
}

#[derive(Serialize, ToSchema)]
pub struct EmployeePage {
    pub employees: Vec<Employee>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// People the caller may see, one page at a time.
#[utoipa::path(get, path = "/api/v1/employees", tag = "people", security(("bearer" = [])),
    params(ListQuery, PageQuery<People>),
    responses((status = 200, description = "one page of people", body = EmployeePage),
              (status = 403, description = "staff may not list people, or the department is outside the caller's", body = ErrorResponse),
              (status = 422, description = "a wrong role, active, page or per_page", body = ErrorResponse)))]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListQuery>,
    pages: web::Query<PageQuery<People>>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let query = query.into_inner();
    let Paging { page, per_page } = pages.parse()?;
    let role = query
        .role
        .as_deref()
        .map(|r| Role::from_name(r).map_err(|p| ApiError::field("role", p)))
        .transpose()?;
    let state_filter = query
        .active
        .as_deref()
        .map(|a| StateFilter::parse(a).map_err(|p| ApiError::field("active", p)))
        .transpose()?;
    let asked = PeopleQuery {
        text: query.q,
        department_id: query.department_id,
        role,
        state: state_filter,
        page,
        per_page,
    };
    let found = state
        .as_caller(user, move |conn, caller, now| {
            people::list(conn, caller, asked, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(EmployeePage {
        employees: found.people.into_iter().map(Employee::from).collect(),
        total: found.total,
        page,
        per_page,
    }))
}

/// One person (managers: within their departments; anyone: themselves).
#[utoipa::path(get, path = "/api/v1/employees/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person's id")),
    responses((status = 200, description = "the person", body = Employee),
              (status = 404, description = "no such person among those the caller may see", body = ErrorResponse)))]
pub async fn get_one(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let person = state
        .as_caller(user, move |conn, caller, now| {
            people::get(conn, caller, &id, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Employee::from(person)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEmployee {
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(max_length = 64)]
    pub employee_no: Option<String>,
    /// `staff` when not given.
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
    pub department_id: Option<String>,
    /// An IANA time zone; the organization's when not given.
    pub timezone: Option<String>,
    /// `zh-CN` or `en`, in any letter case.
    #[schema(pattern = "^([Zz][Hh]-[Cc][Nn]|[Ee][Nn])$")]
    pub locale: Option<String>,
    /// Departments this person manages (needs the manager, hr or admin role).
    #[serde(default)]
    pub manager_of: Vec<String>,
    /// Send an invitation e-mail with a set-password link (default true).
    pub invite: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmployeeChange {
    #[schema(min_length = 1, max_length = 254)]
    pub email: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 64)]
    pub employee_no: Option<Option<String>>,
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub department_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub timezone: Option<Option<String>>,
    /// `zh-CN` or `en`, in any letter case; null for the organization's.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, pattern = "^([Zz][Hh]-[Cc][Nn]|[Ee][Nn])$")]
    pub locale: Option<Option<String>>,
    pub manager_of: Option<Vec<String>>,
    /// `false` deactivates (tokens revoked, history kept); `true` reactivates.
    pub active: Option<bool>,
}

impl From<NewEmployee> for NewPerson {
    fn from(e: NewEmployee) -> Self {
        NewPerson {
            email: e.email,
            name: e.name,
            employee_no: e.employee_no,
            role: e.role,
            department_id: e.department_id,
            timezone: e.timezone,
            locale: e.locale,
            manager_of: e.manager_of,
        }
    }
}

impl From<EmployeeChange> for PersonChange {
    fn from(c: EmployeeChange) -> Self {
        PersonChange {
            email: c.email,
            name: c.name,
            employee_no: c.employee_no,
            role: c.role,
            department_id: c.department_id,
            timezone: c.timezone,
            locale: c.locale,
            manager_of: c.manager_of,
            active: c.active,
        }
    }
}

/// Add a person; they get an invitation e-mail unless `invite` is false.
#[utoipa::path(post, path = "/api/v1/employees", tag = "people", security(("bearer" = [])),
    request_body = NewEmployee,
    responses((status = 201, description = "added", body = Employee),
              AdminsOnly,
              (status = 409, description = "the e-mail already has an account, here or in another organization (an address is one account on the server; which organization is never said), or the employee number is taken (`email_taken`, `employee_no_taken`; `details` names the field with code `taken`)", body = ErrorResponse),
              (status = 422, description = "a wrong field", body = ErrorResponse)))]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonObject<NewEmployee>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let body = body.into_inner();
    let invite = body.invite.unwrap_or(true);
    let shared = state.clone();
    let created = state
        .as_caller(user, move |conn, caller, now| {
            let links = invite.then(|| shared.links());
            people::create(conn, caller, body.into(), links, now)
        })
        .await?;
    tracing::info!(user_id = %created.user.id, "person added");
    Ok(HttpResponse::Created().json(Employee::from(created)))
}

#[derive(Serialize, ToSchema)]
pub struct InvitationQueued {
    pub queued: bool,
}

/// Send a person a new invitation with a fresh set-password link (admin).
#[utoipa::path(post, path = "/api/v1/employees/{id}/invite", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person's id")),
    responses((status = 202, description = "the invitation is queued", body = InvitationQueued),
              AdminsOnly,
              NoSuchPerson,
              (status = 409, description = "the person is deactivated", body = ErrorResponse)))]
pub async fn resend_invitation(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let shared = state.clone();
    state
        .as_caller(user, move |conn, caller, now| {
            invitations::resend(conn, shared.links(), caller, &id, now)
        })
        .await?;
    Ok(HttpResponse::Accepted().json(InvitationQueued { queued: true }))
}

/// Change a person's details, role, department, zone or managed departments; deactivate or
/// reactivate them.
#[utoipa::path(patch, path = "/api/v1/employees/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person's id")),
    request_body = EmployeeChange,
    responses((status = 200, description = "changed", body = Employee),
              AdminsOnly,
              NoSuchPerson,
              (status = 409, description = "the e-mail already has an account, here or in another organization, or the employee number is taken (`email_taken`, `employee_no_taken`; `details` names the field with code `taken`), or an admin would demote or deactivate themselves", body = ErrorResponse),
              (status = 422, description = "a wrong field", body = ErrorResponse)))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: JsonObject<EmployeeChange>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let change = PersonChange::from(body.into_inner());
    let updated = state
        .as_caller(user, move |conn, caller, now| {
            people::update(conn, caller, &id, change, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Employee::from(updated)))
}

/// Deactivate a person: they can no longer log in; their history stays.
#[utoipa::path(delete, path = "/api/v1/employees/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person's id")),
    responses((status = 200, description = "deactivated (or already so)", body = Employee),
              AdminsOnly,
              NoSuchPerson,
              (status = 409, description = "an admin cannot deactivate themselves", body = ErrorResponse)))]
pub async fn deactivate(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let person = state
        .as_caller(user, move |conn, caller, now| {
            people::deactivate(conn, caller, &id, now)
        })
        .await?;
    tracing::info!(user_id = %person.user.id, "person deactivated");
    Ok(HttpResponse::Ok().json(Employee::from(person)))
}

/// What an erasure did: the pseudonym the person has from now on, and what was removed.
#[derive(Serialize, ToSchema)]
pub struct Erasure {
    pub id: String,
    /// e.g. `Erased person 7f3a2c`: their name, e-mail and employee number are gone.
    pub name: String,
    pub erased_at: DateTime<Utc>,
    /// Check-ins whose answers were removed (the rows stay, so the days' numbers do).
    pub checkins: usize,
    /// Earlier versions of corrected check-ins, deleted.
    pub revisions: usize,
    pub leave_notes: usize,
    /// Mails queued or sent to them, deleted.
    pub mails: usize,
}

/// Erase a deactivated person, for good: their name, e-mail and employee number become a
/// pseudonym, their answers, earlier versions, leave notes and mails are deleted, and they
/// leave every list and export. The days' numbers stay. Audited.
#[utoipa::path(post, path = "/api/v1/employees/{id}/erase", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person's id")),
    responses((status = 200, description = "erased", body = Erasure),
              AdminsOnly,
              NoSuchPerson,
              (status = 409, description = "the person is still active (`still_active`): deactivate them first", body = ErrorResponse)))]
pub async fn erase(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let erased = state
        .as_caller(user, move |conn, caller, now| {
            erasure::erase(conn, caller, &id, now)
        })
        .await?;
    tracing::info!(user_id = %erased.id, "person erased");
    Ok(HttpResponse::Ok().json(Erasure {
        id: erased.id,
        name: erased.pseudonym,
        erased_at: erased.at.and_utc(),
        checkins: erased.purged.checkins,
        revisions: erased.purged.revisions,
        leave_notes: erased.purged.leave_notes,
        mails: erased.purged.mails,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct LeaveList {
    pub leave: Vec<Leave>,
}

/// A person's leave, newest first.
#[utoipa::path(get, path = "/api/v1/employees/{id}/leave", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person's id")),
    responses((status = 200, description = "the person's leave", body = LeaveList),
              (status = 404, description = "no such person among those the caller may see", body = ErrorResponse)))]
pub async fn list_leave(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let leave = state
        .as_caller(user, move |conn, caller, now| {
            people::leave(conn, caller, &id, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(LeaveList {
        leave: leave.into_iter().map(Leave::from).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLeave {
    /// The first day; at most 366 days before `to`.
    #[schema(value_type = NaiveDate)]
    pub from: String,
    /// The last day, not before `from`.
    #[schema(value_type = NaiveDate)]
    pub to: String,
    #[schema(value_type = LeaveKind)]
    pub kind: String,
    /// No control characters but line breaks and tabs.
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

/// What a leave is for.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum LeaveKind {
    Annual,
    Sick,
    Personal,
    Parental,
    Other,
}

/// Record leave (hr and admin): the person is not expected to report on those days.
#[utoipa::path(post, path = "/api/v1/employees/{id}/leave", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person's id")),
    request_body = NewLeave,
    responses((status = 201, description = "recorded", body = Leave),
              HrAndAdminsOnly,
              NoSuchPerson,
              (status = 422, description = "a wrong date, range, kind or note", body = ErrorResponse)))]
pub async fn add_leave(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: JsonObject<NewLeave>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Hr)?;
    let NewLeave {
        from,
        to,
        kind,
        note,
    } = body.into_inner();
    let entry = LeaveEntry::parse(&from, &to, &kind, note)?;
    let leave = state
        .as_caller(user, move |conn, caller, now| {
            people::add_leave(conn, caller, &id, entry, now)
        })
        .await?;
    Ok(HttpResponse::Created().json(Leave::from(leave)))
}

/// Remove a leave record (hr and admin).
#[utoipa::path(delete, path = "/api/v1/employees/{id}/leave/{leave_id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person's id"),
           ("leave_id" = String, Path, description = "the leave record's id")),
    responses((status = 204, description = "removed"),
              HrAndAdminsOnly,
              (status = 404, description = "no such leave of this person", body = ErrorResponse)))]
pub async fn delete_leave(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Hr)?;
    let (id, leave_id) = path.into_inner();
    state
        .as_caller(user, move |conn, caller, now| {
            people::delete_leave(conn, caller, &id, &leave_id, now)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check the file and report what would change, without writing.
    pub dry_run: Option<bool>,
    /// Invite the people the import creates (default true).
    pub invite: Option<bool>,
}

/// The import's answer when some lines are bad: the contract's error and the import result.
#[derive(Serialize, ToSchema)]
pub struct ImportFailure {
    pub error: ErrorDetail,
    pub created: usize,
    pub updated: usize,
    pub errors: Vec<LineError>,
}

/// Import people from CSV (`email,name,employee_no,department,role,manager_of`). Departments
/// given as paths (`Sales/East`) are created; existing e-mails are updated. Any bad line means
/// nothing is written.
#[utoipa::path(post, path = "/api/v1/employees/import", tag = "people", security(("bearer" = [])),
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "imported, or what would be with `dry_run`", body = ImportReport),
              AdminsOnly,
              (status = 413, description = "the file is larger than 32 MiB", body = ErrorResponse),
              (status = 415, description = "the file is not sent as text/csv", body = ErrorResponse),
              (status = 422, description = "bad lines, each in `errors`, or a file that is not UTF-8 text; nothing was imported", body = ImportFailure)))]
pub async fn import_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_lowercase();
    if !["text/csv", "application/csv", "text/plain"]
        .iter()
        .any(|t| content_type.starts_with(t))
    {
        return Err(ApiError::UnsupportedMediaType(
            "send the file with Content-Type: text/csv".into(),
        ));
    }
    let options = ImportOptions {
        dry_run: query.dry_run.unwrap_or(false),
        invite: query.invite.unwrap_or(true),
    };
    let text = match people::read_import(body.into()) {
        Ok(text) => text,
        Err(ImportError::Unreadable(problem)) => {
            return Ok(HttpResponse::UnprocessableEntity().json(ImportFailure {
                error: ApiError::field("file", problem).detail(),
                created: 0,
                updated: 0,
                errors: Vec::new(),
            }))
        }
        Err(e) => return Err(e.into()),
    };
    let shared = state.clone();
    let report = state
        .as_caller(user, move |conn, caller, now| {
            people::import_by(conn, caller, &text, options, shared.links(), now)
        })
        .await?;
    Ok(import_response(report))
}

pub fn import_response(report: ImportReport) -> HttpResponse {
    if report.errors.is_empty() {
        return HttpResponse::Ok().json(report);
    }
    let count = report.errors.len();
    HttpResponse::UnprocessableEntity().json(ImportFailure {
        error: ErrorDetail {
            code: "invalid_import",
            message: format!(
                "{count} line{} of the file {} errors; nothing was imported",
                if count == 1 { "" } else { "s" },
                if count == 1 { "has" } else { "have" }
            ),
            fields: None,
            details: None,
            request_id: None,
        },
        created: 0,
        updated: 0,
        errors: report.errors,
    })
}
