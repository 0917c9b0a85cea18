use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::domain::expectation::{exemption, Exemption};
use crate::domain::Role;
use crate::error::ErrorResponse;
use crate::error::{ApiError, Problem};
use crate::reports::summary::{DayNumbers, DepartmentCounts, Today, TrendDay};
use crate::routes::dates::{report_day, report_range};
use crate::routes::paging::{PageQuery, ReportList};
use crate::routes::resource;
use crate::routes::services;
use crate::routes::views::Checkin;
use crate::services::reporting::{self, ListRequest, Listing};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/reports/daily").route(web::get().to(daily)))
        .service(resource("/reports/trend").route(web::get().to(trend)))
        .service(resource("/reports/unreported").route(web::get().to(unreported)))
        .service(resource("/reports/abnormal").route(web::get().to(abnormal)));
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// In the organization's zone, not in the future; today when left out.
    #[param(format = Date)]
    pub date: Option<String>,
    /// Only this department and its sub-departments.
    pub department_id: Option<String>,
}

/// Where a list of people starts.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterQuery {
    /// The `next` of the page before: the list goes on after the last person it showed, in
    /// its order (names, then ids), and `page` counts from there. Each page then costs what
    /// the first costs, however far in, where a large `page` reads past everyone before it.
    pub after: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DailyReport {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub numbers: DayNumbers,
    /// People in scope with a reminder queued that day (any pass).
    pub reminded: i64,
    /// Why nobody is expected that day: `holiday` or `non_working_day` in the organization's
    /// calendar; null on a working day.
    #[schema(value_type = Option<String>)]
    pub day_off: Option<Exemption>,
    /// Every department in scope, each counting its whole subtree.
    pub departments: Vec<DepartmentCounts>,
}

/// A day's numbers: expected, reported, unreported, abnormal, exempt, per department.
#[utoipa::path(get, path = "/api/v1/reports/daily", tag = "reports", security(("bearer" = [])),
    params(DayQuery),
    responses((status = 200, description = "the day's numbers", body = DailyReport),
              (status = 403, description = "staff may not read reports, or the department is outside the caller's", body = ErrorResponse),
              (status = 422, description = "a wrong date or department", body = ErrorResponse)))]
pub async fn daily(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<DayQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let query = query.into_inner();
    let settings = user.settings()?;
    let (day, daily) = services::day_report(
        &state,
        user,
        query.date.as_deref(),
        query.department_id,
        reporting::daily,
    )
    .await?;
    let total = daily.total;
    Ok(HttpResponse::Ok().json(DailyReport {
        date: day,
        numbers: DayNumbers::from(&total),
        reminded: daily.reminded,
        day_off: exemption(&settings, day, false),
        departments: daily.departments,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    /// First day; defaults to 30 days before `to`.
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day, not in the future; defaults to today.
    #[param(format = Date)]
    pub to: Option<String>,
    /// Only this department and its sub-departments.
    pub department_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Trend {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<TrendDay>,
}

/// Numbers per day for a range (at most 366 days; by default the last 30).
#[utoipa::path(get, path = "/api/v1/reports/trend", tag = "reports", security(("bearer" = [])),
    params(TrendQuery),
    responses((status = 200, description = "the numbers of each day", body = Trend),
              (status = 403, description = "staff may not read reports, or the department is outside the caller's", body = ErrorResponse),
              (status = 422, description = "a wrong date, range or department", body = ErrorResponse)))]
pub async fn trend(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<TrendQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let today = Today::in_org(&user.org, state.clock.now());
    let query = query.into_inner();
    let (from, to) = report_range(query.from, query.to, today.today)?;
    let trend = services::trend(&state, user, query.department_id, (from, to), today).await?;
    Ok(HttpResponse::Ok().json(Trend {
        from,
        to,
        days: trend.days,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentRef {
    pub id: String,
    pub name: String,
    pub path: String,
}

#[derive(Serialize, ToSchema)]
pub struct PersonEntry {
    pub id: String,
    pub name: String,
    pub email: String,
    pub employee_no: Option<String>,
    pub department: Option<DepartmentRef>,
    /// The abnormal list carries the check-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkin: Option<Checkin>,
}

#[derive(Serialize, ToSchema)]
pub struct PeopleList {
    pub date: NaiveDate,
    pub people: Vec<PersonEntry>,
    /// How many there are in all; `people` holds one page of them.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    /// What `after` takes for the page that follows: a place after this page's last person,
    /// for this reader only. Null when the page came back short, and so was the last.
    /// Should that person be erased before it is used, it answers 422 `invalid_cursor`.
    pub next: Option<String>,
}

/// The frame both people lists share: role and parameter checks, then one page of `list`.
async fn people_list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<DayQuery>,
    pages: web::Query<PageQuery<ReportList>>,
    after: web::Query<AfterQuery>,
    list: Listing,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let today = Today::in_org(&user.org, state.clock.now());
    let day = report_day(query.date.as_deref(), today.today)?;
    let paging = pages.parse()?;
    let (org_id, reader_id) = (user.org.id.clone(), user.user.id.clone());
    let after = match after.into_inner().after {
        Some(place) => Some(
            state
                .jwt
                .open_list_place(&org_id, &reader_id, &place)
                .ok_or_else(|| ApiError::field("after", Problem::invalid_cursor()))?
                .to_string(),
        ),
        None => None,
    };
    let found = state
        .as_caller(user, move |conn, caller, _| {
            let request = ListRequest {
                department_id: query.department_id.as_deref(),
                day,
                page: paging.page,
                per_page: paging.per_page,
                after: after.as_deref(),
            };
            reporting::people(conn, caller, list, &request, &today)
        })
        .await?;
    let next = match found.people.last() {
        Some(last) if found.full => Some(
            state
                .jwt
                .list_place(&org_id, &reader_id, &last.user.id)
                .map_err(ApiError::Internal)?,
        ),
        _ => None,
    };
    let people: Vec<PersonEntry> = found
        .people
        .into_iter()
        .map(|p| PersonEntry {
            id: p.user.id,
            name: p.user.name,
            email: p.user.email,
            employee_no: p.user.employee_no,
            department: p.department.map(|d| DepartmentRef {
                id: d.id,
                name: d.name,
                path: d.path,
            }),
            checkin: p.checkin.map(Checkin::from),
        })
        .collect();
    Ok(HttpResponse::Ok().json(PeopleList {
        date: day,
        people,
        total: found.total,
        page: paging.page,
        per_page: paging.per_page,
        next,
    }))
}

/// Who was expected on a day and has not reported, by name, a page at a time.
#[utoipa::path(get, path = "/api/v1/reports/unreported", tag = "reports", security(("bearer" = [])),
    params(DayQuery, PageQuery<ReportList>, AfterQuery),
    responses((status = 200, description = "one page of the unreported", body = PeopleList),
              (status = 403, description = "staff may not read reports, or the department is outside the caller's", body = ErrorResponse),
              (status = 422, description = "a wrong date, department, page, per_page or after", body = ErrorResponse)))]
pub async fn unreported(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<DayQuery>,
    pages: web::Query<PageQuery<ReportList>>,
    after: web::Query<AfterQuery>,
) -> Result<HttpResponse, ApiError> {
    people_list(state, user, query, pages, after, Listing::Unreported).await
}

/// Who reported something abnormal on a day, with their answers, a page at a time.
#[utoipa::path(get, path = "/api/v1/reports/abnormal", tag = "reports", security(("bearer" = [])),
    params(DayQuery, PageQuery<ReportList>, AfterQuery),
    responses((status = 200, description = "one page of the abnormal, with their check-ins", body = PeopleList),
              (status = 403, description = "staff may not read reports, or the department is outside the caller's", body = ErrorResponse),
              (status = 422, description = "a wrong date, department, page, per_page or after", body = ErrorResponse)))]
pub async fn abnormal(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<DayQuery>,
    pages: web::Query<PageQuery<ReportList>>,
    after: web::Query<AfterQuery>,
) -> Result<HttpResponse, ApiError> {
    people_list(state, user, query, pages, after, Listing::Abnormal).await
}
