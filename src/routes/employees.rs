use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::{scope_in, scope_of};
use crate::auth::AuthUser;
use crate::db::departments;
use crate::db::leaves::{self, LeaveRow};
use crate::db::users::{self, PeopleFilter, UserRow};
use crate::db::{db_time, is_unique_violation, new_id, DbConn};
use crate::domain::day::parse_date;
use crate::domain::department_tree::DepartmentTree;
use crate::domain::{Email, Role};
use crate::error::ErrorResponse;
use crate::error::{ApiError, ErrorDetail, FieldErrors};
use crate::import::{self, ImportReport, LineError};
use crate::people;
use crate::provisioning::clean_name;
use crate::reports::scope::visible_departments;
use crate::routes::paging::{self, Paging};
use crate::routes::{double_option, resource, JsonObject};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/employees")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        resource("/employees/import")
            .app_data(web::PayloadConfig::new(import::MAX_IMPORT_BYTES))
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
    .service(resource("/employees/{id}/invite").route(web::post().to(resend_invitation)));
}

const MAX_LEAVE_DAYS: i64 = 366;
const MAX_NOTE_CHARS: usize = 500;

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

/// What it takes to render people: paths and who manages what.
pub struct Directory {
    pub tree: DepartmentTree,
    managed: HashMap<String, Vec<String>>,
}

impl Directory {
    pub fn load(conn: &mut DbConn, org_id: &str) -> Result<Self, ApiError> {
        let tree = departments::tree(conn, org_id)?;
        let mut managed: HashMap<String, Vec<String>> = HashMap::new();
        for (department, user) in departments::managers(conn, org_id)? {
            managed.entry(user).or_default().push(department);
        }
        Ok(Self { tree, managed })
    }

    /// What `departments::set_managed_by` just stored, without loading it again.
    fn set_managed(&mut self, user_id: &str, departments: &[String]) {
        self.managed
            .insert(user_id.to_string(), departments.to_vec());
    }

    pub fn render(&self, u: &UserRow) -> Employee {
        let mut manages = self.managed.get(&u.id).cloned().unwrap_or_default();
        manages.sort();
        Employee {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            employee_no: u.employee_no.clone(),
            role: u.role.clone(),
            department_id: u.department_id.clone(),
            department_path: u
                .department_id
                .as_deref()
                .filter(|d| self.tree.contains(d))
                .map(|d| self.tree.path(d)),
            timezone: u.timezone.clone(),
            locale: u.locale.clone(),
            active: u.active,
            manages,
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
    /// From 1.
    #[serde(default, deserialize_with = "paging::whole_number")]
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// 50 by default.
    #[serde(default, deserialize_with = "paging::whole_number")]
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
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
    params(ListQuery),
    responses((status = 200, description = "one page of people", body = EmployeePage),
              (status = 403, description = "staff may not list people, or the department is outside the caller's", body = ErrorResponse),
              (status = 422, description = "a wrong role, active, page or per_page", body = ErrorResponse)))]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let query = query.into_inner();
    let paging = Paging::parse(query.page, query.per_page, paging::PEOPLE)?;
    let Paging { page, per_page } = paging;
    let role = query
        .role
        .as_deref()
        .map(|r| Role::from_name(r).map_err(|p| ApiError::field("role", p)))
        .transpose()?;
    let active = match query.active.as_deref() {
        None | Some("true") => Some(true),
        Some("false") => Some(false),
        Some("all") => None,
        Some(_) => return Err(ApiError::field("active", "must be true, false or all")),
    };
    let (org_id, user_id, caller_role) =
        (user.org_id().to_string(), user.id().to_string(), user.role);
    let now = db_time(state.clock.now());
    let result = state
        .db(move |conn| {
            let directory = Directory::load(conn, &org_id)?;
            let audit_departments = visible_departments(
                conn,
                &directory.tree,
                &user_id,
                caller_role,
                query.department_id.as_deref(),
            )?;
            let filter = PeopleFilter {
                org_id,
                departments: audit_departments
                    .as_ref()
                    .map(|ids| ids.iter().cloned().collect()),
                role: role.map(|r| r.as_str().to_string()),
                active,
                text: query.q,
            };
            let (rows, total) = users::search(conn, &filter, paging.offset(), per_page)?;
            crate::audit::record(
                conn,
                crate::audit::Read {
                    org_id: &filter.org_id,
                    user_id: &user_id,
                    action: "employees.list",
                    scope: crate::audit::scope_text(
                        &directory.tree,
                        audit_departments.as_ref(),
                        query.department_id.as_deref(),
                    ),
                    detail: serde_json::json!({
                        "q": filter.text, "department_id": query.department_id,
                        "role": filter.role, "active": query.active,
                        "page": page, "per_page": per_page, "people": rows.len(),
                    }),
                    at: now,
                },
            )?;
            Ok(EmployeePage {
                employees: rows.iter().map(|u| directory.render(u)).collect(),
                total,
                page,
                per_page,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// The person with this id, when the caller may see them (anyone may see themselves).
fn visible_person(conn: &mut DbConn, caller: &AuthUser, id: &str) -> Result<UserRow, ApiError> {
    visible_person_in(conn, None, caller, id)
}

/// `visible_person` for a caller that holds the department tree already.
fn visible_person_in(
    conn: &mut DbConn,
    tree: Option<&DepartmentTree>,
    caller: &AuthUser,
    id: &str,
) -> Result<UserRow, ApiError> {
    let person = users::find_in_org(conn, caller.org_id(), id)?
        .ok_or_else(|| ApiError::not_found("person"))?;
    if person.id == caller.id() {
        return Ok(person);
    }
    let scope = match tree {
        Some(tree) => scope_in(conn, tree, caller.id(), caller.role)?,
        None => scope_of(conn, caller.org_id(), caller.id(), caller.role)?,
    };
    if caller.role >= Role::Manager && scope.covers_member_of(person.department_id.as_deref()) {
        Ok(person)
    } else {
        Err(ApiError::not_found("person"))
    }
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
    let id = id.into_inner();
    let employee = state
        .db(move |conn| {
            let directory = Directory::load(conn, user.org_id())?;
            let person = visible_person_in(conn, Some(&directory.tree), &user, &id)?;
            Ok(directory.render(&person))
        })
        .await?;
    Ok(HttpResponse::Ok().json(employee))
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

/// Checks a person's fields as they would be stored; collects every problem.
struct Draft<'a> {
    errors: FieldErrors,
    tree: &'a DepartmentTree,
}

impl Draft<'_> {
    fn take<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result
            .map_err(|problem| {
                self.errors.insert(field.to_string(), problem.into());
            })
            .ok()
    }

    fn department(&mut self, id: Option<String>) -> Option<String> {
        let id = id?;
        if self.tree.contains(&id) {
            Some(id)
        } else {
            self.errors
                .insert("department_id".into(), "no such department".into());
            None
        }
    }

    fn managed(&mut self, ids: Vec<String>, role: Role) -> Vec<String> {
        let mut ids = ids;
        ids.sort();
        ids.dedup();
        if let Some(bad) = ids.iter().find(|d| !self.tree.contains(d)) {
            self.errors.insert(
                "manager_of".into(),
                format!("`{bad}` is not a department").into(),
            );
        } else if !ids.is_empty() && role < Role::Manager {
            self.errors.insert(
                "manager_of".into(),
                "only a manager, hr or admin can manage departments".into(),
            );
        }
        ids
    }
}

fn uniqueness(conn: &mut DbConn, user: &UserRow) -> Result<(), ApiError> {
    if let Some(other) = users::find_by_email(conn, &user.email)? {
        if other.id != user.id {
            return Err(ApiError::conflict(
                "email_taken",
                format!("{} already has an account", user.email),
            ));
        }
    }
    if let Some(no) = &user.employee_no {
        if let Some(other) = users::find_by_employee_no(conn, &user.org_id, no)? {
            if other.id != user.id {
                return Err(ApiError::conflict(
                    "employee_no_taken",
                    format!("employee number {no} belongs to {}", other.email),
                ));
            }
        }
    }
    Ok(())
}

fn conflict_on_unique(e: diesel::result::Error) -> ApiError {
    if is_unique_violation(&e) {
        ApiError::conflict(
            "already_exists",
            "the e-mail or employee number is already in use",
        )
    } else {
        e.into()
    }
}

/// Add a person; they get an invitation e-mail unless `invite` is false.
#[utoipa::path(post, path = "/api/v1/employees", tag = "people", security(("bearer" = [])),
    request_body = NewEmployee,
    responses((status = 201, description = "added", body = Employee),
              (status = 403, description = "admins only", body = ErrorResponse),
              (status = 409, description = "the e-mail or employee number is taken", body = ErrorResponse),
              (status = 422, description = "a wrong field", body = ErrorResponse)))]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonObject<NewEmployee>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let body = body.into_inner();
    let now = db_time(state.clock.now());
    let org_id = user.org_id().to_string();
    let invite = body.invite.unwrap_or(true);
    let shared = state.clone();
    let created = state
        .db(move |conn| {
            conn.write_transaction(|conn| {
                let mut directory = Directory::load(conn, &org_id)?;
                let mut draft = Draft {
                    errors: FieldErrors::new(),
                    tree: &directory.tree,
                };
                let email = draft.take("email", Email::parse(&body.email));
                let name = draft.take("name", clean_name(&body.name));
                let employee_no = draft
                    .take(
                        "employee_no",
                        people::employee_no(body.employee_no.as_deref().unwrap_or("")),
                    )
                    .flatten();
                let role = draft
                    .take(
                        "role",
                        Role::from_name(body.role.as_deref().unwrap_or("staff")),
                    )
                    .unwrap_or(Role::Staff);
                let department_id = draft.department(body.department_id);
                let timezone = body
                    .timezone
                    .as_deref()
                    .and_then(|z| draft.take("timezone", people::timezone(z)))
                    .map(|z| z.name().to_string());
                let locale = body
                    .locale
                    .as_deref()
                    .and_then(|l| draft.take("locale", people::locale(l)));
                let manages = draft.managed(body.manager_of, role);
                let (Some(email), Some(name), true) = (email, name, draft.errors.is_empty()) else {
                    return Err(ApiError::validation(draft.errors));
                };
                let row = UserRow {
                    id: new_id(),
                    org_id: org_id.clone(),
                    email: email.into_string(),
                    name,
                    employee_no,
                    role: role.as_str().into(),
                    department_id,
                    password_hash: None,
                    token_version: 0,
                    active: true,
                    timezone,
                    locale,
                    created_at: now,
                    updated_at: now,
                    deactivated_at: None,
                };
                uniqueness(conn, &row)?;
                users::insert(conn, &row).map_err(conflict_on_unique)?;
                departments::set_managed_by(conn, &org_id, &row.id, &manages)?;
                directory.set_managed(&row.id, &manages);
                if invite {
                    shared
                        .inviter(&user.org)
                        .invite(conn, &row, false)
                        .map_err(ApiError::internal)?;
                }
                Ok(directory.render(&row))
            })
        })
        .await?;
    tracing::info!(user_id = %created.id, "person added");
    Ok(HttpResponse::Created().json(created))
}

#[derive(Serialize, ToSchema)]
pub struct InvitationQueued {
    pub queued: bool,
}

/// Send a person a new invitation with a fresh set-password link (admin).
#[utoipa::path(post, path = "/api/v1/employees/{id}/invite", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person's id")),
    responses((status = 202, description = "the invitation is queued", body = InvitationQueued),
              (status = 403, description = "admins only", body = ErrorResponse),
              (status = 404, description = "no such person", body = ErrorResponse),
              (status = 409, description = "the person is deactivated", body = ErrorResponse)))]
pub async fn resend_invitation(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = id.into_inner();
    let shared = state.clone();
    state
        .db(move |conn| {
            let person = users::find_in_org(conn, user.org_id(), &id)?
                .ok_or_else(|| ApiError::not_found("person"))?;
            if !person.active {
                return Err(ApiError::conflict(
                    "inactive",
                    "this person is deactivated; reactivate them first",
                ));
            }
            shared
                .inviter(&user.org)
                .invite(conn, &person, true)
                .map_err(ApiError::internal)
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
              (status = 403, description = "admins only", body = ErrorResponse),
              (status = 404, description = "no such person", body = ErrorResponse),
              (status = 409, description = "the e-mail or employee number is taken, or an admin would demote or deactivate themselves", body = ErrorResponse),
              (status = 422, description = "a wrong field", body = ErrorResponse)))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: JsonObject<EmployeeChange>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let change = body.into_inner();
    let id = id.into_inner();
    let now = db_time(state.clock.now());
    let caller_id = user.id().to_string();
    let org_id = user.org_id().to_string();
    let updated = state
        .db(move |conn| {
            conn.write_transaction(|conn| {
                let current = users::find_in_org(conn, &org_id, &id)?
                    .ok_or_else(|| ApiError::not_found("person"))?;
                let mut directory = Directory::load(conn, &org_id)?;
                let mut draft = Draft {
                    errors: FieldErrors::new(),
                    tree: &directory.tree,
                };
                let mut next = current.clone();
                if let Some(e) = &change.email {
                    if let Some(e) = draft.take("email", Email::parse(e)) {
                        next.email = e.into_string();
                    }
                }
                if let Some(n) = &change.name {
                    if let Some(n) = draft.take("name", clean_name(n)) {
                        next.name = n;
                    }
                }
                if let Some(no) = &change.employee_no {
                    if let Some(no) = draft.take("employee_no", people::employee_no(no.as_deref().unwrap_or(""))) {
                        next.employee_no = no;
                    }
                }
                let mut role = current.role.parse::<Role>().map_err(|e| {
                    ApiError::internal(anyhow::anyhow!("person {}: stored role: {e}", current.id))
                })?;
                if let Some(r) = &change.role {
                    if let Some(r) = draft.take("role", Role::from_name(r)) {
                        role = r;
                        next.role = r.as_str().into();
                    }
                }
                if let Some(d) = change.department_id.clone() {
                    next.department_id = match d {
                        Some(d) => draft.department(Some(d)).or(current.department_id.clone()),
                        None => None,
                    };
                }
                if let Some(z) = &change.timezone {
                    next.timezone = match z {
                        Some(z) => draft
                            .take("timezone", people::timezone(z))
                            .map(|z| z.name().to_string()),
                        None => None,
                    };
                }
                if let Some(l) = &change.locale {
                    next.locale = match l {
                        Some(l) => draft.take("locale", people::locale(l)),
                        None => None,
                    };
                }
                let manages = change.manager_of.clone().map(|m| draft.managed(m, role));
                if manages.is_none() && role < Role::Manager && directory_manages(&directory, &id) {
                    draft.errors.insert(
                        "role".into(),
                        "this person manages departments; remove them as manager first (manager_of: [])".into(),
                    );
                }
                if !draft.errors.is_empty() {
                    return Err(ApiError::validation(draft.errors));
                }
                if id == caller_id && (change.active == Some(false) || role < Role::Admin) {
                    return Err(ApiError::conflict(
                        "cannot_change_self",
                        "you cannot take away your own admin role or deactivate yourself",
                    ));
                }
                match change.active {
                    Some(false) if current.active => deactivate_row(&mut next, now),
                    Some(true) if !current.active => {
                        next.active = true;
                        next.deactivated_at = None;
                    }
                    _ => {}
                }
                next.updated_at = now;
                uniqueness(conn, &next)?;
                users::save(conn, &current, &next).map_err(conflict_on_unique)?;
                if let Some(manages) = manages {
                    departments::set_managed_by(conn, &org_id, &id, &manages)?;
                    directory.set_managed(&id, &manages);
                }
                Ok(directory.render(&next))
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}

fn directory_manages(directory: &Directory, user_id: &str) -> bool {
    directory
        .managed
        .get(user_id)
        .is_some_and(|m| !m.is_empty())
}

/// Deactivation keeps the person and their history, and revokes every token they hold.
fn deactivate_row(user: &mut UserRow, now: chrono::NaiveDateTime) {
    user.active = false;
    user.deactivated_at = Some(now);
    user.token_version += 1;
}

/// Deactivate a person: they can no longer log in; their history stays.
#[utoipa::path(delete, path = "/api/v1/employees/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person's id")),
    responses((status = 200, description = "deactivated (or already so)", body = Employee),
              (status = 403, description = "admins only", body = ErrorResponse),
              (status = 404, description = "no such person", body = ErrorResponse),
              (status = 409, description = "an admin cannot deactivate themselves", body = ErrorResponse)))]
pub async fn deactivate(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = id.into_inner();
    if id == user.id() {
        return Err(ApiError::conflict(
            "cannot_change_self",
            "you cannot deactivate yourself",
        ));
    }
    let now = db_time(state.clock.now());
    let org_id = user.org_id().to_string();
    let employee = state
        .db(move |conn| {
            conn.write_transaction(|conn| {
                let before = users::find_in_org(conn, &org_id, &id)?
                    .ok_or_else(|| ApiError::not_found("person"))?;
                let mut person = before.clone();
                if person.active {
                    deactivate_row(&mut person, now);
                    person.updated_at = now;
                    users::save(conn, &before, &person)?;
                    departments::set_managed_by(conn, &org_id, &id, &[])?;
                }
                Ok(Directory::load(conn, &org_id)?.render(&person))
            })
        })
        .await?;
    tracing::info!(user_id = %employee.id, "person deactivated");
    Ok(HttpResponse::Ok().json(employee))
}

#[derive(Serialize, ToSchema)]
pub struct Leave {
    pub id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<LeaveRow> for Leave {
    fn from(row: LeaveRow) -> Self {
        Self {
            id: row.id,
            from: row.start_date,
            to: row.end_date,
            kind: row.kind,
            note: row.note,
            created_at: row.created_at.and_utc(),
        }
    }
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
    let id = id.into_inner();
    let leave = state
        .db(move |conn| {
            let person = visible_person(conn, &user, &id)?;
            Ok(leaves::for_user(conn, &person.id)?)
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
              (status = 403, description = "hr and admins only", body = ErrorResponse),
              (status = 404, description = "no such person", body = ErrorResponse),
              (status = 422, description = "a wrong date, range, kind or note", body = ErrorResponse)))]
pub async fn add_leave(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: JsonObject<NewLeave>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Hr)?;
    let body = body.into_inner();
    let mut errors = FieldErrors::new();
    let mut day = |field: &str, raw: &str| {
        let parsed = parse_date(raw);
        if parsed.is_none() {
            errors.insert(field.into(), "must be a date as YYYY-MM-DD".into());
        }
        parsed
    };
    let (from, to) = (day("from", &body.from), day("to", &body.to));
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            errors.insert("to".into(), "must not be before `from`".into());
        } else if (to - from).num_days() >= MAX_LEAVE_DAYS {
            errors.insert(
                "to".into(),
                format!("leave may cover at most {MAX_LEAVE_DAYS} days at once").into(),
            );
        }
    }
    let kind = people::leave_kind(&body.kind)
        .map_err(|p| {
            errors.insert("kind".into(), p.into());
        })
        .unwrap_or_default();
    if let Some(note) = &body.note {
        if note.chars().count() > MAX_NOTE_CHARS {
            errors.insert(
                "note".into(),
                format!("must be at most {MAX_NOTE_CHARS} characters").into(),
            );
        } else if note
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            errors.insert("note".into(), "must not contain control characters".into());
        }
    }
    let note = body
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    let (Some(from), Some(to), true) = (from, to, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let now = db_time(state.clock.now());
    let id = id.into_inner();
    let leave = state
        .db(move |conn| {
            let person = users::find_in_org(conn, user.org_id(), &id)?
                .ok_or_else(|| ApiError::not_found("person"))?;
            let row = LeaveRow {
                id: new_id(),
                org_id: person.org_id.clone(),
                user_id: person.id.clone(),
                start_date: from,
                end_date: to,
                kind,
                note,
                created_by: user.id().to_string(),
                created_at: now,
            };
            conn.write_transaction(|c| leaves::insert(c, &row))?;
            Ok(row)
        })
        .await?;
    Ok(HttpResponse::Created().json(Leave::from(leave)))
}

/// Remove a leave record (hr and admin).
#[utoipa::path(delete, path = "/api/v1/employees/{id}/leave/{leave_id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person's id"),
           ("leave_id" = String, Path, description = "the leave record's id")),
    responses((status = 204, description = "removed"),
              (status = 403, description = "hr and admins only", body = ErrorResponse),
              (status = 404, description = "no such leave of this person", body = ErrorResponse)))]
pub async fn delete_leave(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Hr)?;
    let (id, leave_id) = path.into_inner();
    let org_id = user.org_id().to_string();
    let removed = state
        .db(move |conn| Ok(conn.write_transaction(|c| leaves::delete(c, &org_id, &id, &leave_id))?))
        .await?;
    if removed == 0 {
        return Err(ApiError::not_found("leave"));
    }
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
              (status = 403, description = "admins only", body = ErrorResponse),
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
    let dry_run = query.dry_run.unwrap_or(false);
    let invite = query.invite.unwrap_or(true);
    let org_id = user.org_id().to_string();
    let now = db_time(state.clock.now());
    if let Err(problem) = import::decode(&body) {
        return Ok(HttpResponse::UnprocessableEntity().json(ImportFailure {
            error: ApiError::field("file", problem).detail(),
            created: 0,
            updated: 0,
            errors: Vec::new(),
        }));
    }
    let shared = state.clone();
    let report = state
        .db(move |conn| {
            let text = import::decode(&body).map_err(|e| ApiError::field("file", e))?;
            let inviter = shared.inviter(&user.org);
            import::import(
                conn,
                &org_id,
                text,
                dry_run,
                now,
                invite.then_some(&inviter),
            )
            .map_err(ApiError::internal)
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
        },
        created: 0,
        updated: 0,
        errors: report.errors,
    })
}
