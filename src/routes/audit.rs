//! The audit log: who read lists of people and exports, what, in which part of the
//! organization and when. Entries are written by the handlers that read; admins read them.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::domain::Role;
use crate::error::ApiError;
use crate::error::ErrorResponse;
use crate::reports::summary::Today;
use crate::routes::dates::{parse_range, RangeQuery};
use crate::routes::paging::{self, Paging};
use crate::routes::resource;
use crate::routes::views::{stored_json, utc};
use crate::services::audit;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/audit").route(web::get().to(list)));
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// First day, in the organization's zone; defaults to 30 days before `to`.
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day; defaults to today.
    #[param(format = Date)]
    pub to: Option<String>,
    /// From 1.
    #[serde(default, deserialize_with = "paging::whole_number")]
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// 50 by default.
    #[serde(default, deserialize_with = "paging::whole_number")]
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct Actor {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub action: String,
    /// A department id, `organization`, or the departments a manager manages.
    pub scope: String,
    #[schema(value_type = Object)]
    pub detail: Value,
    pub created_at: DateTime<Utc>,
    pub actor: Actor,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Who read lists of people and exports (admin), newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, description = "one page of entries", body = AuditPage),
              (status = 403, description = "admins only", body = ErrorResponse),
              (status = 422, description = "a wrong date, range, page or per_page", body = ErrorResponse)))]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let query = query.into_inner();
    let today = Today::in_org(&user.org, state.clock.now()).today;
    let (from, to) = parse_range(
        &RangeQuery {
            from: query.from,
            to: query.to,
        },
        today,
    )?;
    let paging = Paging::parse(query.page, query.per_page, paging::PEOPLE)?;
    let Paging { page, per_page } = paging;
    let found = state
        .db(move |conn| {
            Ok(audit::page(
                conn,
                &user.org,
                from,
                to,
                paging.offset(),
                per_page,
            )?)
        })
        .await?;
    let entries = found
        .entries
        .into_iter()
        .map(|(row, name, email)| AuditEntry {
            detail: stored_json(&row.detail),
            created_at: utc(row.created_at),
            actor: Actor {
                id: row.user_id,
                name,
                email,
            },
            id: row.id,
            action: row.action,
            scope: row.scope,
        })
        .collect();
    Ok(HttpResponse::Ok().json(AuditPage {
        entries,
        total: found.total,
        page,
        per_page,
    }))
}
