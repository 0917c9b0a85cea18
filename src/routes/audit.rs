//! The audit log: who read lists of people and exports, what, in which part of the
//! organization and when. Entries are written by the handlers that read; admins read them.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::db::audit::{self};
use crate::domain::day::day_end_utc;
use crate::domain::Role;
use crate::error::ApiError;
use crate::error::ErrorResponse;
use crate::reports::counts::org_tz;
use crate::reports::summary::Today;
use crate::routes::dates::{parse_range, RangeQuery};
use crate::routes::paging::{self, Paging};
use crate::routes::resource;
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
    let tz = org_tz(&user.org);
    // From the start of `from` (the end of the day before) to the end of `to`.
    let start = day_end_utc(tz, from.pred_opt().unwrap_or(from));
    let until = day_end_utc(tz, to);
    let org_id = user.org_id().to_string();
    let (rows, total) = state
        .db(move |conn| {
            Ok(audit::page(
                conn,
                &org_id,
                start,
                until,
                paging.offset(),
                per_page,
            )?)
        })
        .await?;
    let entries = rows
        .into_iter()
        .map(|(row, name, email)| AuditEntry {
            detail: serde_json::from_str(&row.detail).unwrap_or(Value::Null),
            created_at: row.created_at.and_utc(),
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
        total,
        page,
        per_page,
    }))
}
