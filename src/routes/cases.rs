use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::domain::Role;
use crate::error::{ApiError, ErrorResponse};
use crate::reports::export::{csv_safe, Cell, UTF8_BOM};
use crate::routes::fields::Fields;
use crate::routes::paging::{PageQuery, Paging, People};
use crate::routes::resource;
use crate::routes::views::{stored_list, utc};
use crate::services::cases::{self as case_service, CaseChange, CaseQuery, CaseView};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/cases").route(web::get().to(list)))
        .service(resource("/cases.csv").route(web::get().to(csv)))
        .service(
            resource("/cases/{id}")
                .route(web::get().to(get_one))
                .route(web::patch().to(update)),
        );
}

#[derive(Serialize, ToSchema)]
pub struct Case {
    pub id: String,
    pub person: CasePerson,
    /// `open`, `contacted` or `cleared`.
    pub status: String,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The abnormal check-ins that raised it, oldest first.
    pub checkins: Vec<CaseCheckin>,
    pub assignee: Option<Named>,
    /// What happened, oldest first.
    pub timeline: Vec<CaseEvent>,
}

#[derive(Serialize, ToSchema)]
pub struct CasePerson {
    pub id: String,
    pub name: String,
    pub email: String,
    pub employee_no: Option<String>,
    pub department: Option<CaseDepartment>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseDepartment {
    pub id: String,
    pub path: String,
}

#[derive(Serialize, ToSchema)]
pub struct CaseCheckin {
    pub id: String,
    pub date: NaiveDate,
    pub abnormal_reasons: Vec<String>,
}

#[derive(Clone, Serialize, ToSchema)]
pub struct Named {
    pub id: String,
    /// Null once that person was erased.
    pub name: Option<String>,
    pub role: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CaseEvent {
    pub at: DateTime<Utc>,
    /// `opened`, `checkin` (one more abnormal check-in), `status`, `assigned` or `note`.
    pub kind: String,
    /// Who did it; null for what a check-in did.
    pub by: Option<Named>,
    pub status: Option<String>,
    pub note: Option<String>,
    pub assignee: Option<Named>,
    pub checkin_id: Option<String>,
}

impl From<CaseView> for Case {
    fn from(v: CaseView) -> Self {
        let named = |id: &String| {
            let known = v.people.get(id);
            Named {
                id: id.clone(),
                name: known.map(|(name, _)| name.clone()),
                role: known.map(|(_, role)| role.clone()),
            }
        };
        Self {
            id: v.case.id.clone(),
            person: CasePerson {
                id: v.person.id.clone(),
                name: v.person.name.clone(),
                email: v.person.email.clone(),
                employee_no: v.person.employee_no.clone(),
                department: v
                    .person
                    .department_id
                    .clone()
                    .zip(v.department_path.clone())
                    .map(|(id, path)| CaseDepartment { id, path }),
            },
            status: v.case.status.clone(),
            opened_at: utc(v.case.opened_at),
            updated_at: utc(v.case.updated_at),
            checkins: v
                .checkins
                .iter()
                .map(|c| CaseCheckin {
                    id: c.checkin_id.clone(),
                    date: c.day,
                    abnormal_reasons: stored_list(&c.abnormal_reasons),
                })
                .collect(),
            assignee: v.case.assignee_id.as_ref().map(named),
            timeline: v
                .events
                .iter()
                .map(|e| CaseEvent {
                    at: utc(e.at),
                    kind: e.kind.clone(),
                    by: e.actor_id.as_ref().map(named),
                    status: e.status.clone(),
                    note: e.note.clone(),
                    assignee: e.assignee_id.as_ref().map(named),
                    checkin_id: e.checkin_id.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseListQuery {
    /// Only cases in this state.
    #[param(value_type = Option<CaseStatus>)]
    pub status: Option<String>,
    /// Only people of this department and its sub-departments.
    pub department_id: Option<String>,
}

/// A case's state.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum CaseStatus {
    Open,
    Contacted,
    Cleared,
}

#[derive(Serialize, ToSchema)]
pub struct CasePage {
    pub cases: Vec<Case>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

fn read_query(query: CaseListQuery) -> Result<CaseQuery, ApiError> {
    let status = query
        .status
        .as_deref()
        .map(|s| case_service::read_status(s).map_err(|p| ApiError::field("status", p)))
        .transpose()?;
    Ok(CaseQuery {
        status,
        department_id: query.department_id,
    })
}

/// The cases the caller may follow up (managers: their departments' people; HR and admins:
/// everyone), newest first. The read is audited.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])),
    params(CaseListQuery, PageQuery<People>),
    responses((status = 200, description = "one page of cases", body = CasePage),
              (status = 403, description = "staff", body = ErrorResponse),
              (status = 422, description = "an unknown status, or a page out of range", body = ErrorResponse)))]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<CaseListQuery>,
    pages: web::Query<PageQuery<People>>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let asked = read_query(query.into_inner())?;
    let Paging { page, per_page } = pages.parse()?;
    let window = ((page - 1) * per_page, per_page);
    let (cases, total) = state
        .as_caller(user, move |conn, caller, now| {
            case_service::list(conn, caller, asked, window, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(CasePage {
        cases: cases.into_iter().map(Case::from).collect(),
        total,
        page,
        per_page,
    }))
}

/// One case, with its check-ins and timeline. The read is audited on its person.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id")),
    responses((status = 200, description = "the case", body = Case),
              (status = 403, description = "staff", body = ErrorResponse),
              (status = 404, description = "no such case the caller may see", body = ErrorResponse)))]
pub async fn get_one(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let found = state
        .as_caller(user, move |conn, caller, now| {
            case_service::get(conn, caller, &id, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Case::from(found)))
}

/// A change of a case: any part may be left out.
// Read field by field below; this shape documents it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct CaseUpdate {
    /// `open`, `contacted` or `cleared`; a cleared case may be reopened.
    #[schema(value_type = Option<CaseStatus>)]
    status: Option<String>,
    /// Added to the timeline; at most 2,000 characters.
    #[schema(max_length = 2000)]
    note: Option<String>,
    /// A manager, HR or admin of the organization; null unassigns.
    assignee_id: Option<String>,
}

fn read_change(body: Map<String, Value>) -> Result<CaseChange, ApiError> {
    let mut fields = Fields::of(body);
    let change = CaseChange {
        status: fields.text("status"),
        note: fields.text("note"),
        assignee_id: fields.nullable_text("assignee_id"),
    };
    fields.finish()?;
    Ok(change)
}

/// Work a case: change its status (`open` → `contacted` → `cleared`, or reopen it), assign it,
/// add a note. Each is a step of its timeline and an audited change.
#[utoipa::path(patch, path = "/api/v1/cases/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path, description = "the case's id")),
    request_body = CaseUpdate,
    responses((status = 200, description = "the case as changed", body = Case),
              (status = 403, description = "staff", body = ErrorResponse),
              (status = 404, description = "no such case the caller may see", body = ErrorResponse),
              (status = 409, description = "reopening while the person has another case that is not cleared (`case_already_open`)", body = ErrorResponse),
              (status = 422, description = "an unknown status, an assignee who is not a manager, HR or admin, a note too long", body = ErrorResponse)))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let change = read_change(body.into_inner())?;
    let changed = state
        .as_caller(user, move |conn, caller, now| {
            case_service::update(conn, caller, &id, change, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Case::from(changed)))
}

/// The cases of `/api/v1/cases` as a CSV file (UTF-8 with a BOM, for Excel). The read is
/// audited.
#[utoipa::path(get, path = "/api/v1/cases.csv", tag = "cases", security(("bearer" = [])),
    params(CaseListQuery),
    responses((status = 200, description = "`case_id,employee_no,name,email,department,status,opened_at,updated_at,assignee,checkin_dates,abnormal_reasons,notes`", content_type = "text/csv"),
              (status = 403, description = "staff", body = ErrorResponse),
              (status = 422, description = "an unknown status", body = ErrorResponse)))]
pub async fn csv(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<CaseListQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let asked = read_query(query.into_inner())?;
    let cases = state
        .as_caller(user, move |conn, caller, now| {
            case_service::all(conn, caller, asked, now)
        })
        .await?;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(UTF8_BOM.to_vec());
    let header = [
        "case_id",
        "employee_no",
        "name",
        "email",
        "department",
        "status",
        "opened_at",
        "updated_at",
        "assignee",
        "checkin_dates",
        "abnormal_reasons",
        "notes",
    ];
    let failed = |e: csv::Error| ApiError::internal(anyhow::anyhow!("writing the cases: {e}"));
    writer.write_record(header).map_err(failed)?;
    for case in cases.into_iter().map(Case::from) {
        let mut reasons: Vec<String> = case
            .checkins
            .iter()
            .flat_map(|c| c.abnormal_reasons.clone())
            .collect();
        reasons.sort();
        reasons.dedup();
        let notes: Vec<String> = case
            .timeline
            .iter()
            .filter_map(|e| e.note.clone())
            .collect();
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let cells = [
            case.id,
            case.person.employee_no.unwrap_or_default(),
            case.person.name,
            case.person.email,
            case.person.department.map(|d| d.path).unwrap_or_default(),
            case.status,
            time(case.opened_at),
            time(case.updated_at),
            case.assignee.and_then(|a| a.name).unwrap_or_default(),
            case.checkins
                .iter()
                .map(|c| c.date.to_string())
                .collect::<Vec<_>>()
                .join(";"),
            reasons.join(";"),
            notes.join(" | "),
        ]
        .map(|text| Cell::Text(text.into()));
        writer
            .write_record(cells.iter().map(|c| csv_safe(c).into_owned()))
            .map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("writing the cases: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"cases.csv\"",
        ))
        .body(bytes))
}
