use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::Role;
use crate::error::ApiError;
use crate::error::{AdminsOnly, ErrorResponse};
use crate::routes::{double_option, resource, JsonObject};
use crate::services::departments as departments_service;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/departments")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        resource("/departments/{id}")
            .route(web::get().to(get_one))
            .route(web::patch().to(update))
            .route(web::delete().to(delete)),
    );
}

#[derive(Serialize, ToSchema)]
pub struct Department {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    /// Names from the root, joined by `/`.
    pub path: String,
    pub manager_ids: Vec<String>,
    /// Active people directly in this department.
    pub member_count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentList {
    pub departments: Vec<Department>,
}

impl From<departments_service::Department> for Department {
    fn from(d: departments_service::Department) -> Self {
        Self {
            id: d.row.id,
            name: d.row.name,
            parent_id: d.row.parent_id,
            path: d.path,
            manager_ids: d.manager_ids,
            member_count: d.member_count,
        }
    }
}

/// The department tree (managers: their subtrees), sorted by path.
#[utoipa::path(get, path = "/api/v1/departments", tag = "people", security(("bearer" = [])),
    responses((status = 200, description = "the departments in the caller's scope", body = DepartmentList),
              (status = 403, description = "staff may not list departments", body = ErrorResponse)))]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let (org_id, user_id, role) = (user.org_id().to_string(), user.id().to_string(), user.role);
    let seen = state
        .db(move |conn| Ok(departments_service::list(conn, &org_id, &user_id, role)?))
        .await?;
    let departments = seen.into_iter().map(Department::from).collect();
    Ok(HttpResponse::Ok().json(DepartmentList { departments }))
}

/// One department in the caller's scope.
#[utoipa::path(get, path = "/api/v1/departments/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the department's id")),
    responses((status = 200, description = "the department", body = Department),
              (status = 403, description = "staff may not read departments", body = ErrorResponse),
              (status = 404, description = "no such department in the caller's scope", body = ErrorResponse)))]
pub async fn get_one(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let (org_id, user_id, role) = (user.org_id().to_string(), user.id().to_string(), user.role);
    let id = id.into_inner();
    let found = state
        .db(move |conn| {
            Ok(departments_service::get(
                conn, &org_id, &user_id, role, &id,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Department::from(found)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    /// Not containing `/`, which separates levels in paths.
    #[schema(min_length = 1, max_length = 100, pattern = "^[^/]*$")]
    pub name: String,
    pub parent_id: Option<String>,
    #[serde(default)]
    pub manager_ids: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentChange {
    /// Not containing `/`, which separates levels in paths.
    #[schema(min_length = 1, max_length = 100, pattern = "^[^/]*$")]
    pub name: Option<String>,
    /// `null` moves the department to the top level.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<Option<String>>,
    pub manager_ids: Option<Vec<String>>,
}

/// Create a department, optionally under a parent and with managers.
#[utoipa::path(post, path = "/api/v1/departments", tag = "people", security(("bearer" = [])),
    request_body = NewDepartment,
    responses((status = 201, description = "created", body = Department),
              AdminsOnly,
              (status = 409, description = "the parent already has a department of that name", body = ErrorResponse),
              (status = 422, description = "a wrong name, parent, depth or manager", body = ErrorResponse)))]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonObject<NewDepartment>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let NewDepartment {
        name,
        parent_id,
        manager_ids,
    } = body.into_inner();
    let new = departments_service::NewDepartment {
        name,
        parent_id,
        manager_ids,
    };
    let created = state
        .as_caller(user, move |conn, caller, now| {
            departments_service::create(conn, caller, new, now)
        })
        .await?;
    Ok(HttpResponse::Created().json(Department::from(created)))
}

/// Rename, move (a cycle is refused) or change the managers of a department.
#[utoipa::path(patch, path = "/api/v1/departments/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the department's id")),
    request_body = DepartmentChange,
    responses((status = 200, description = "changed", body = Department),
              AdminsOnly,
              (status = 404, description = "no such department", body = ErrorResponse),
              (status = 409, description = "the parent already has a department of that name", body = ErrorResponse),
              (status = 422, description = "a wrong name, parent (a cycle, too deep) or manager", body = ErrorResponse)))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: JsonObject<DepartmentChange>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let DepartmentChange {
        name,
        parent_id,
        manager_ids,
    } = body.into_inner();
    let change = departments_service::DepartmentChange {
        name,
        parent_id,
        manager_ids,
    };
    let id = id.into_inner();
    let updated = state
        .as_caller(user, move |conn, caller, now| {
            departments_service::update(conn, caller, &id, change, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Department::from(updated)))
}

/// Delete an empty department (no people, no sub-departments). Its history stays.
#[utoipa::path(delete, path = "/api/v1/departments/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the department's id")),
    responses((status = 204, description = "deleted; its history stays"),
              AdminsOnly,
              (status = 404, description = "no such department", body = ErrorResponse),
              (status = 409, description = "the department still has people or sub-departments", body = ErrorResponse)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = id.into_inner();
    state
        .as_caller(user, move |conn, caller, now| {
            departments_service::delete(conn, caller, &id, now)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
