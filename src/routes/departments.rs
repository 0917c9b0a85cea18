use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::scope_in;
use crate::auth::AuthUser;
use crate::db::departments::{self, DepartmentRow};
use crate::db::{db_time, new_id, users, DbConn};
use crate::domain::department_tree::{DepartmentTree, MAX_DEPTH, MAX_SEGMENT_CHARS};
use crate::domain::Role;
use crate::error::ApiError;
use crate::error::ErrorResponse;
use crate::provisioning::clean_name;
use crate::routes::{double_option, resource, JsonObject};
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

struct Snapshot {
    rows: Vec<DepartmentRow>,
    tree: DepartmentTree,
    managers: HashMap<String, Vec<String>>,
    members: HashMap<String, i64>,
}

fn snapshot(conn: &mut DbConn, org_id: &str) -> Result<Snapshot, ApiError> {
    let rows = departments::list(conn, org_id)?;
    let tree = departments::tree_of(&rows);
    let mut managers: HashMap<String, Vec<String>> = HashMap::new();
    for (department, user) in departments::managers(conn, org_id)? {
        managers.entry(department).or_default().push(user);
    }
    let members = users::members_per_department(conn, org_id)?
        .into_iter()
        .collect();
    Ok(Snapshot {
        rows,
        tree,
        managers,
        members,
    })
}

impl Snapshot {
    fn render(&self, row: &DepartmentRow) -> Department {
        let mut manager_ids = self.managers.get(&row.id).cloned().unwrap_or_default();
        manager_ids.sort();
        Department {
            id: row.id.clone(),
            name: row.name.clone(),
            parent_id: row.parent_id.clone(),
            path: self.tree.path(&row.id),
            manager_ids,
            member_count: self.members.get(&row.id).copied().unwrap_or(0),
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
    let departments = state
        .db(move |conn| {
            let snap = snapshot(conn, &org_id)?;
            let scope = scope_in(conn, &snap.tree, &user_id, role)?;
            let mut out: Vec<Department> = snap
                .rows
                .iter()
                .filter(|d| scope.covers_department(&d.id))
                .map(|d| snap.render(d))
                .collect();
            out.sort_by_key(|d| d.path.to_lowercase());
            Ok(out)
        })
        .await?;
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
            let snap = snapshot(conn, &org_id)?;
            let scope = scope_in(conn, &snap.tree, &user_id, role)?;
            Ok(snap
                .rows
                .iter()
                .find(|d| d.id == id && scope.covers_department(&d.id))
                .map(|d| snap.render(d)))
        })
        .await?;
    let department = found.ok_or_else(|| ApiError::not_found("department"))?;
    Ok(HttpResponse::Ok().json(department))
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

fn department_name(raw: &str) -> Result<String, ApiError> {
    let name = clean_name(raw).map_err(|p| ApiError::field("name", p))?;
    if name.contains('/') {
        return Err(ApiError::field(
            "name",
            "must not contain `/` (it separates levels in paths)",
        ));
    }
    if raw.chars().count() > MAX_SEGMENT_CHARS {
        return Err(ApiError::field(
            "name",
            format!("must be at most {MAX_SEGMENT_CHARS} characters"),
        ));
    }
    Ok(name)
}

/// Managers must be active people of the organization who may manage.
fn check_managers(conn: &mut DbConn, org_id: &str, ids: &[String]) -> Result<(), ApiError> {
    for id in ids {
        // Not an id at all: not worth a query (and PostgreSQL refuses text with a NUL).
        let found = if id.is_empty() || id.chars().any(char::is_control) {
            None
        } else {
            users::find_in_org(conn, org_id, id)?
        };
        match found {
            Some(u) if u.active && u.role.parse::<Role>().is_ok_and(|r| r >= Role::Manager) => {}
            Some(u) if u.active => {
                return Err(ApiError::field(
                    "manager_ids",
                    format!("{} has the staff role; make them a manager first", u.email),
                ))
            }
            _ => {
                return Err(ApiError::field(
                    "manager_ids",
                    format!("`{id}` is not an active person of this organization"),
                ))
            }
        }
    }
    Ok(())
}

fn check_placement(
    tree: &DepartmentTree,
    id: Option<&str>,
    name: &str,
    parent: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(parent) = parent {
        if !tree.contains(parent) {
            return Err(ApiError::field("parent_id", "no such department"));
        }
        if let Some(id) = id {
            if tree.would_cycle(id, parent) {
                return Err(ApiError::field(
                    "parent_id",
                    "a department cannot move under itself or one of its sub-departments",
                ));
            }
        }
    }
    let depth = parent.map_or(0, |p| tree.depth(p)) + id.map_or(1, |i| tree.height(i));
    if depth > MAX_DEPTH {
        return Err(ApiError::field(
            "parent_id",
            format!("the tree may be at most {MAX_DEPTH} levels deep"),
        ));
    }
    if let Some(sibling) = tree.child_named(parent, name) {
        if Some(sibling.id.as_str()) != id {
            return Err(ApiError::conflict(
                "department_exists",
                format!(
                    "`{}` already has a department named {name}",
                    parent.map_or("the top level".to_string(), |p| tree.path(p))
                ),
            ));
        }
    }
    Ok(())
}

/// Create a department, optionally under a parent and with managers.
#[utoipa::path(post, path = "/api/v1/departments", tag = "people", security(("bearer" = [])),
    request_body = NewDepartment,
    responses((status = 201, description = "created", body = Department),
              (status = 403, description = "admins only", body = ErrorResponse),
              (status = 409, description = "the parent already has a department of that name", body = ErrorResponse),
              (status = 422, description = "a wrong name, parent, depth or manager", body = ErrorResponse)))]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonObject<NewDepartment>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let body = body.into_inner();
    let name = department_name(&body.name)?;
    let org_id = user.org_id().to_string();
    let now = db_time(state.clock.now());
    let created = state
        .db(move |conn| {
            conn.write_transaction(|conn| {
                let tree = departments::tree(conn, &org_id)?;
                check_placement(&tree, None, &name, body.parent_id.as_deref())?;
                check_managers(conn, &org_id, &body.manager_ids)?;
                let row = DepartmentRow {
                    id: new_id(),
                    org_id: org_id.clone(),
                    parent_id: body.parent_id.clone(),
                    name,
                    created_at: now,
                    updated_at: now,
                    archived_at: None,
                };
                departments::insert(conn, &row)?;
                departments::set_managers(conn, &org_id, &row.id, &dedup(body.manager_ids))?;
                let snap = snapshot(conn, &org_id)?;
                Ok(snap.render(&row))
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(created))
}

fn dedup(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids.dedup();
    ids
}

/// Rename, move (a cycle is refused) or change the managers of a department.
#[utoipa::path(patch, path = "/api/v1/departments/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the department's id")),
    request_body = DepartmentChange,
    responses((status = 200, description = "changed", body = Department),
              (status = 403, description = "admins only", body = ErrorResponse),
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
    let change = body.into_inner();
    let name = change.name.as_deref().map(department_name).transpose()?;
    let org_id = user.org_id().to_string();
    let id = id.into_inner();
    let now = db_time(state.clock.now());
    let updated = state
        .db(move |conn| {
            conn.write_transaction(|conn| {
                let current = departments::find(conn, &org_id, &id)?
                    .ok_or_else(|| ApiError::not_found("department"))?;
                let tree = departments::tree(conn, &org_id)?;
                let name = name.unwrap_or_else(|| current.name.clone());
                let parent = match &change.parent_id {
                    Some(p) => p.clone(),
                    None => current.parent_id.clone(),
                };
                check_placement(&tree, Some(&id), &name, parent.as_deref())?;
                departments::update(conn, &id, &name, parent.as_deref(), now)?;
                if let Some(managers) = change.manager_ids {
                    check_managers(conn, &org_id, &managers)?;
                    departments::set_managers(conn, &org_id, &id, &dedup(managers))?;
                }
                let snap = snapshot(conn, &org_id)?;
                let row = snap
                    .rows
                    .iter()
                    .find(|d| d.id == id)
                    .ok_or_else(|| ApiError::not_found("department"))?;
                Ok(snap.render(row))
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// Delete an empty department (no people, no sub-departments). Its history stays.
#[utoipa::path(delete, path = "/api/v1/departments/{id}", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the department's id")),
    responses((status = 204, description = "deleted; its history stays"),
              (status = 403, description = "admins only", body = ErrorResponse),
              (status = 404, description = "no such department", body = ErrorResponse),
              (status = 409, description = "the department still has people or sub-departments", body = ErrorResponse)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let org_id = user.org_id().to_string();
    let id = id.into_inner();
    let now = db_time(state.clock.now());
    state
        .db(move |conn| {
            conn.write_transaction(|conn| {
                let department = departments::find(conn, &org_id, &id)?
                    .ok_or_else(|| ApiError::not_found("department"))?;
                let members = departments::member_count(conn, &id)?;
                if members > 0 {
                    return Err(ApiError::conflict(
                        "department_not_empty",
                        format!(
                            "{} has {members} active people; move them to another department first",
                            department.name
                        ),
                    ));
                }
                let tree = departments::tree(conn, &org_id)?;
                if tree.children_of(Some(&id)).next().is_some() {
                    return Err(ApiError::conflict(
                        "department_not_empty",
                        format!(
                            "{} has sub-departments; move or delete them first",
                            department.name
                        ),
                    ));
                }
                departments::archive(conn, &id, now)?;
                Ok(())
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
