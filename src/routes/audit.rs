//! The audit log: who read lists of people and exports, what, in which part of the
//! organization and when. Entries are written by the handlers that read; admins read them.

use std::collections::HashSet;

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::db::audit::{self, AuditRow};
use crate::db::{new_id, DbConn};
use crate::domain::day::day_end_utc;
use crate::domain::department_tree::DepartmentTree;
use crate::domain::Role;
use crate::error::ApiError;
use crate::reports::counts::org_tz;
use crate::routes::checkins::{parse_range, RangeQuery};
use crate::routes::openapi::ErrorResponse;
use crate::routes::paging::{self, Paging};
use crate::routes::reports::{org_today, ReportScope};
use crate::routes::resource;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/audit").route(web::get().to(list)));
}

/// The `scope` of an entry for a whole organization.
pub const ORGANIZATION: &str = "organization";

/// What an entry says about the part of the organization that was read: the department
/// asked for; `organization`; or, for a manager who asked for none, the departments they
/// manage (the tops of their subtrees), comma-separated.
pub(crate) fn scope_text(
    tree: &DepartmentTree,
    departments: Option<&HashSet<String>>,
    department_id: Option<&str>,
) -> String {
    if let Some(d) = department_id {
        return d.to_string();
    }
    let Some(ids) = departments else {
        return ORGANIZATION.to_string();
    };
    let mut tops: Vec<&str> = ids
        .iter()
        .filter(|id| {
            tree.get(id)
                .and_then(|n| n.parent_id.as_deref())
                .is_none_or(|parent| !ids.contains(parent))
        })
        .map(String::as_str)
        .collect();
    tops.sort_unstable();
    tops.join(",")
}

/// One read of individual-level data.
pub(crate) struct Read<'a> {
    pub org_id: &'a str,
    pub user_id: &'a str,
    /// e.g. `reports.unreported`, `exports.csv`, `employees.list`.
    pub action: &'static str,
    pub scope: String,
    /// The request's parameters.
    pub detail: Value,
    pub at: NaiveDateTime,
}

pub(crate) fn record(conn: &mut DbConn, read: Read<'_>) -> Result<(), ApiError> {
    audit::insert(
        conn,
        &AuditRow {
            id: new_id(),
            org_id: read.org_id.to_string(),
            user_id: read.user_id.to_string(),
            action: read.action.to_string(),
            scope: read.scope,
            detail: read.detail.to_string(),
            created_at: read.at,
        },
    )?;
    Ok(())
}

/// A read through a report's scope.
pub(crate) fn report_read(
    conn: &mut DbConn,
    user: &AuthUser,
    scope: &ReportScope,
    department_id: Option<&str>,
    action: &'static str,
    detail: Value,
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    record(
        conn,
        Read {
            org_id: user.org_id(),
            user_id: user.id(),
            action,
            scope: scope_text(&scope.tree, scope.departments.as_ref(), department_id),
            detail,
            at,
        },
    )
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
    let today = org_today(&state, &user.org).today;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::department_tree::Node;

    #[test]
    fn a_managers_scope_names_the_tops_of_their_subtrees() {
        let node = |id: &str, parent: Option<&str>| Node {
            id: id.into(),
            parent_id: parent.map(str::to_string),
            name: id.into(),
        };
        let tree = DepartmentTree::new([
            node("sales", None),
            node("east", Some("sales")),
            node("ops", None),
            node("night", Some("ops")),
        ]);
        let ids: HashSet<String> = ["sales", "east", "night"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(scope_text(&tree, Some(&ids), None), "night,sales");
        assert_eq!(scope_text(&tree, Some(&ids), Some("east")), "east");
        assert_eq!(scope_text(&tree, None, None), ORGANIZATION);
    }
}
