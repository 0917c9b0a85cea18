//! The organization's daily form: read by everyone, changed by admins as a new version,
//! every version kept for managers and up, templates to start from, and recomputing past
//! days under the rules in force.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::domain::form::FormField;
use crate::domain::form_templates::Template;
use crate::domain::Role;
use crate::error::{AdminsOnly, ApiError, ErrorResponse, ManagersAndUp};
use crate::routes::dates::report_range;
use crate::routes::resource;
use crate::routes::views::utc;
use crate::services::forms::{self as forms_service, FormVersion, Saved};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/form")
            .route(web::get().to(current))
            .route(web::put().to(save)),
    )
    .service(resource("/form/versions").route(web::get().to(versions)))
    .service(resource("/form/versions/{version}").route(web::get().to(one_version)))
    .service(resource("/form/templates").route(web::get().to(templates)))
    .service(resource("/form/recompute").route(web::post().to(recompute)));
}

#[derive(Serialize, ToSchema)]
pub struct Author {
    pub id: String,
    pub name: String,
}

/// A version of the form: its questions, and who made it when (no one for the form an
/// organization starts with).
#[derive(Serialize, ToSchema)]
pub struct Form {
    pub version: u32,
    pub fields: Vec<FormField>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Author>,
}

impl Form {
    fn of(v: FormVersion, names: &HashMap<String, String>) -> Self {
        let created_by = v.created_by.map(|id| Author {
            name: names.get(&id).cloned().unwrap_or_default(),
            id,
        });
        Self {
            version: v.form.version,
            fields: v.form.fields,
            created_at: utc(v.created_at),
            created_by,
        }
    }
}

/// Loads the versions with their authors' names, in one database call.
async fn with_authors(
    state: &AppState,
    user: &AuthUser,
    load: impl FnOnce(&mut crate::db::DbConn, &str) -> Result<Vec<FormVersion>, forms_service::FormError>
        + Send
        + 'static,
) -> Result<Vec<Form>, ApiError> {
    let org_id = user.org_id().to_string();
    state
        .db(move |conn| {
            let found = load(conn, &org_id)?;
            let names =
                forms_service::author_names(conn, &org_id, &found.iter().collect::<Vec<_>>())?;
            Ok(found.into_iter().map(|v| Form::of(v, &names)).collect())
        })
        .await
}

fn only(mut forms: Vec<Form>) -> Result<Form, ApiError> {
    forms
        .pop()
        .ok_or_else(|| ApiError::not_found("form version"))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormQuery {
    /// A version of the form, to read the questions and labels of answers given on it;
    /// the form in force when left out.
    #[param(minimum = 1)]
    pub version: Option<u32>,
}

/// The form in force, which every check-in is answered on; or, with `version`, an earlier one.
#[utoipa::path(get, path = "/api/v1/form", tag = "form", security(("bearer" = [])),
    params(FormQuery),
    responses((status = 200, description = "the form", body = Form),
              (status = 404, description = "no such version", body = ErrorResponse)))]
pub async fn current(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<FormQuery>,
) -> Result<HttpResponse, ApiError> {
    let version = query.version;
    let form = with_authors(&state, &user, move |conn, org| {
        Ok(vec![match version {
            Some(n) => forms_service::version(conn, org, version_number(n))?,
            None => forms_service::current(conn, org)?,
        }])
    })
    .await?;
    Ok(HttpResponse::Ok().json(only(form)?))
}

fn version_number(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormChange {
    /// The questions, in the order the form shows them; 1 to 50.
    #[schema(min_items = 1, max_items = 50)]
    pub fields: Vec<FormField>,
    /// The version the change was made from: when another version was saved since, the
    /// change is refused (409 `form_changed`) instead of replacing it unseen.
    #[schema(minimum = 1)]
    pub base_version: Option<u32>,
}

/// Put a new version of the form in force (admin). The same questions as the version in
/// force make no new version.
#[utoipa::path(put, path = "/api/v1/form", tag = "form", security(("bearer" = [])),
    request_body = FormChange,
    responses((status = 201, description = "a new version, now in force", body = Form),
              (status = 200, description = "nothing changed: the version in force", body = Form),
              AdminsOnly,
              (status = 409, description = "another version was saved since `base_version`, or at the same moment", body = ErrorResponse),
              (status = 422, description = "a bad form: each problem named by the question's index and key; nothing was saved", body = ErrorResponse)))]
pub async fn save(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<FormChange>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let FormChange {
        fields,
        base_version,
    } = body.into_inner();
    let saved = state
        .as_caller(user, move |conn, caller, now| {
            let saved = forms_service::save(conn, caller, fields, base_version, now)?;
            let version = match &saved {
                Saved::Created(v) | Saved::Unchanged(v) => v,
            };
            let names = forms_service::author_names(conn, &caller.org.id, &[version])?;
            Ok::<_, forms_service::FormError>(match saved {
                Saved::Created(v) => (true, Form::of(v, &names)),
                Saved::Unchanged(v) => (false, Form::of(v, &names)),
            })
        })
        .await?;
    Ok(match saved {
        (true, form) => HttpResponse::Created().json(form),
        (false, form) => HttpResponse::Ok().json(form),
    })
}

/// Every version of the form, newest first (manager and up).
#[utoipa::path(get, path = "/api/v1/form/versions", tag = "form", security(("bearer" = [])),
    responses((status = 200, description = "every version, newest first", body = Vec<Form>),
              ManagersAndUp))]
pub async fn versions(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let all = with_authors(&state, &user, |conn, org| {
        forms_service::versions(conn, org)
    })
    .await?;
    Ok(HttpResponse::Ok().json(all))
}

/// One version of the form, with who made it and when (manager and up).
#[utoipa::path(get, path = "/api/v1/form/versions/{version}", tag = "form", security(("bearer" = [])),
    params(("version" = u32, Path, description = "from 1", minimum = 1)),
    responses((status = 200, description = "the version", body = Form),
              ManagersAndUp,
              (status = 404, description = "no such version", body = ErrorResponse)))]
pub async fn one_version(
    state: web::Data<AppState>,
    user: AuthUser,
    version: web::Path<u32>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let n = version_number(version.into_inner());
    let form = with_authors(&state, &user, move |conn, org| {
        Ok(vec![forms_service::version(conn, org, n)?])
    })
    .await?;
    Ok(HttpResponse::Ok().json(only(form)?))
}

/// Forms to start from: the default, a school's daily student report and a site's
/// pre-shift safety check, in both languages (manager and up).
#[utoipa::path(get, path = "/api/v1/form/templates", tag = "form", security(("bearer" = [])),
    responses((status = 200, description = "the templates", body = Vec<Template>),
              ManagersAndUp))]
pub async fn templates(user: AuthUser) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    Ok(HttpResponse::Ok().json(forms_service::templates()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecomputeRequest {
    #[schema(format = Date)]
    pub from: String,
    /// At most 366 days after `from`, and not after today.
    #[schema(format = Date)]
    pub to: String,
}

#[derive(Serialize, ToSchema)]
pub struct Recomputed {
    pub from: String,
    pub to: String,
    /// The version whose rules were applied.
    pub form_version: u32,
    /// Check-ins looked at.
    pub checked: u64,
    /// Check-ins whose `abnormal` or reasons changed.
    pub changed: u64,
}

/// Apply the rules of the form in force to the check-ins of a range of days, correcting
/// `abnormal`, the reasons and the day numbers where they now differ (admin; audited).
#[utoipa::path(post, path = "/api/v1/form/recompute", tag = "form", security(("bearer" = [])),
    request_body = RecomputeRequest,
    responses((status = 200, description = "what was looked at and changed", body = Recomputed),
              AdminsOnly,
              (status = 422, description = "a date that is not YYYY-MM-DD, a reversed or too long range, or a day in the future", body = ErrorResponse)))]
pub async fn recompute(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<RecomputeRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let request = body.into_inner();
    let (from, to) = report_range(
        Some(request.from),
        Some(request.to),
        user.calendar(&state).today(),
    )?;
    let done = state
        .as_caller(user, move |conn, caller, now| {
            forms_service::recompute(conn, caller, from, to, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Recomputed {
        from: from.to_string(),
        to: to.to_string(),
        form_version: done.form_version,
        checked: done.checked,
        changed: done.changed,
    }))
}
