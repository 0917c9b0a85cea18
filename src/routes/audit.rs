//! The audit log: who read lists of people, a person's record or leave and exports, and who
//! changed people, departments, leave and settings, field by field. Entries are written where
//! the reads and changes happen; admins read them.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::domain::Role;
use crate::error::ApiError;
use crate::error::{AdminsOnly, ErrorResponse};
use crate::reports::summary::Today;
use crate::routes::dates::{parse_range, RangeQuery};
use crate::routes::paging::{PageQuery, Paging, People};
use crate::routes::resource;
use crate::routes::views::{stored_json, utc};
use crate::services::audit::{self, AuditRow, EntryQuery};
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
    /// Only reads of personal data, or only changes.
    #[param(value_type = Option<EntryKind>)]
    pub kind: Option<String>,
    /// Only entries about this person, department or organization.
    pub target_id: Option<String>,
    /// Only what this person read or did.
    pub actor_id: Option<String>,
    /// Only this action, e.g. `employees.update`.
    pub action: Option<String>,
}

/// A read of personal data, or a change.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum EntryKind {
    Read,
    Change,
}

#[derive(Serialize, ToSchema)]
pub struct Actor {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// What one person's read or a change was about, named as it was then.
#[derive(Serialize, ToSchema)]
pub struct Target {
    /// `person`, `department` or `organization`.
    pub kind: String,
    pub id: String,
    pub name: String,
}

/// One field of a change: its value before and after, of the field's own type (null when
/// there was none).
#[derive(Serialize, ToSchema)]
pub struct FieldChange {
    pub before: Value,
    pub after: Value,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    #[schema(value_type = EntryKind)]
    pub kind: &'static str,
    /// What was read or done, e.g. `reports.unreported`, `employees.get`, `employees.update`,
    /// `departments.create`, `leave.add`, `organization.update`.
    pub action: String,
    /// A department id, `organization`, or the departments a manager manages.
    pub scope: String,
    /// The request's parameters, or what else tells what happened (the import and line a
    /// change came from, the link a password was set with).
    #[schema(value_type = Object)]
    pub detail: Value,
    pub created_at: DateTime<Utc>,
    /// Who read or changed; null for the command line (`import-employees`) and for a reset
    /// link asked for by anyone who knew the address.
    pub actor: Option<Actor>,
    /// The person, department or organization; null for reads of lists and exports.
    pub target: Option<Target>,
    /// For a change, each changed field with its value before and after (e.g.
    /// `{"email": {"before": "a@x.test", "after": "b@x.test"}}`); null for a read.
    #[schema(value_type = Option<std::collections::HashMap<String, FieldChange>>)]
    pub changes: Option<Value>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Who read personal data and who changed what (admin), newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery, PageQuery<People>),
    responses((status = 200, description = "one page of entries", body = AuditPage),
              AdminsOnly,
              (status = 422, description = "a wrong date, range, page, per_page or kind", body = ErrorResponse)))]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<AuditQuery>,
    pages: web::Query<PageQuery<People>>,
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
    let paging = pages.parse()?;
    let Paging { page, per_page } = paging;
    let kind = query
        .kind
        .as_deref()
        .map(|k| audit::EntryKind::parse(k).map_err(|p| ApiError::field("kind", p)))
        .transpose()?;
    let asked = EntryQuery {
        from,
        to,
        kind,
        target_id: query.target_id,
        actor_id: query.actor_id.filter(|a| !a.is_empty()),
        action: query.action.filter(|a| !a.is_empty()),
    };
    let found = state
        .db(move |conn| {
            Ok(audit::page(
                conn,
                &user.org,
                &asked,
                paging.offset(),
                per_page,
            )?)
        })
        .await?;
    let entries = found.entries.into_iter().map(entry).collect();
    Ok(HttpResponse::Ok().json(AuditPage {
        entries,
        total: found.total,
        page,
        per_page,
    }))
}

fn entry((row, actor): (AuditRow, Option<(String, String)>)) -> AuditEntry {
    let kind = audit::EntryKind::of(&row).as_str();
    let AuditRow {
        id,
        user_id,
        action,
        scope,
        detail,
        created_at,
        target_kind,
        target_id,
        target_name,
        changes,
        ..
    } = row;
    AuditEntry {
        id,
        kind,
        action,
        scope,
        detail: stored_json(&detail),
        created_at: utc(created_at),
        actor: user_id
            .zip(actor)
            .map(|(id, (name, email))| Actor { id, name, email }),
        target: match (target_kind, target_id) {
            (Some(kind), Some(id)) => Some(Target {
                kind,
                id,
                name: target_name.unwrap_or_default(),
            }),
            _ => None,
        },
        changes: changes.as_deref().map(stored_json),
    }
}
