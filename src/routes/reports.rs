use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::db::DbConn;
use crate::domain::Role;
use crate::error::ApiError;
use crate::error::ErrorResponse;
use crate::reports::scope::ReportScope;
use crate::reports::summary::{rolled_up, trend_days, DepartmentCounts, Today, TrendDay};
use crate::reports::{self, lists};
use crate::routes::dates::{report_day, report_range};
use crate::routes::paging::{self, Paging};
use crate::routes::resource;
use crate::routes::services::{reader, report_scope};
use crate::routes::views::Checkin;
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

#[derive(Serialize, ToSchema)]
pub struct DailyReport {
    pub date: NaiveDate,
    pub expected: i64,
    pub reported: i64,
    pub unreported: i64,
    /// Check-ins of people not expected that day (rest day, holiday, leave, not yet joined).
    pub reported_unexpected: i64,
    /// Every abnormal check-in, expected or not: at most `reported + reported_unexpected`.
    pub abnormal: i64,
    pub exempt: i64,
    /// People in scope with a reminder queued that day (any pass).
    pub reminded: i64,
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
    let Today { today, .. } = Today::in_org(&user.org, state.clock.now());
    let day = report_day(query.date.as_deref(), today)?;
    let report = state
        .db(move |conn| {
            let scope = report_scope(conn, &user, query.department_id.as_deref())?;
            let counts = reports::day_counts(conn, &user.org, day, today)?;
            let total = scope.total(&counts);
            let reminded = crate::db::reminders::reminded(conn, user.org_id(), day)?
                .iter()
                .filter(|(_, department)| scope.covers(department.as_deref()))
                .count() as i64;
            Ok(DailyReport {
                date: day,
                expected: total.expected,
                reported: total.reported,
                unreported: total.unreported(),
                reported_unexpected: total.reported_unexpected,
                abnormal: total.abnormal,
                exempt: total.exempt,
                reminded,
                departments: rolled_up(&scope, &counts),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
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
    let days = state
        .db(move |conn| {
            let scope = report_scope(conn, &user, query.department_id.as_deref())?;
            Ok(trend_days(conn, &user.org, &scope, from, to, &today)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Trend { from, to, days }))
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
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// In the organization's zone, not in the future; today when left out.
    #[param(format = Date)]
    pub date: Option<String>,
    /// Only this department and its sub-departments.
    pub department_id: Option<String>,
    /// From 1.
    #[serde(default, deserialize_with = "paging::whole_number")]
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// 200 by default.
    #[serde(default, deserialize_with = "paging::whole_number")]
    #[param(minimum = 1, maximum = 1000)]
    pub per_page: Option<i64>,
}

fn window(query: &ListQuery) -> Result<(i64, i64, lists::Window), ApiError> {
    let paging = Paging::parse(query.page, query.per_page, paging::REPORT_LISTS)?;
    Ok((
        paging.page,
        paging.per_page,
        lists::Window {
            offset: paging.offset(),
            limit: paging.per_page,
        },
    ))
}

fn entry(scope: &ReportScope, listed: lists::Listed, checkin: Option<Checkin>) -> PersonEntry {
    let department = listed.department_id.as_deref().and_then(|d| {
        scope.tree.get(d).map(|n| DepartmentRef {
            id: n.id.clone(),
            name: n.name.clone(),
            path: scope.tree.path(d),
        })
    });
    PersonEntry {
        id: listed.user.id,
        name: listed.user.name,
        email: listed.user.email,
        employee_no: listed.user.employee_no,
        department,
        checkin,
    }
}

/// What a people list needs to find its page.
struct ListRequest {
    day: NaiveDate,
    today: NaiveDate,
    window: lists::Window,
}

/// The frame both people lists share: role and parameter checks, the scope, the list itself
/// (from `fetch`: one page and the total), and the audit entry for reading it.
async fn people_list<F>(
    state: web::Data<AppState>,
    user: AuthUser,
    query: ListQuery,
    action: &'static str,
    fetch: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(
            &mut DbConn,
            &AuthUser,
            &ReportScope,
            &ListRequest,
        ) -> Result<(Vec<PersonEntry>, i64), ApiError>
        + Send
        + 'static,
{
    user.require(Role::Manager)?;
    let Today { today, now } = Today::in_org(&user.org, state.clock.now());
    let day = report_day(query.date.as_deref(), today)?;
    let (page, per_page, window) = window(&query)?;
    let request = ListRequest { day, today, window };
    let (people, total) = state
        .db(move |conn| {
            let scope = report_scope(conn, &user, query.department_id.as_deref())?;
            let (people, total) = fetch(conn, &user, &scope, &request)?;
            let detail = json!({"date": day, "page": page, "people": people.len()});
            crate::audit::report_read(
                conn,
                reader(&user),
                &scope,
                query.department_id.as_deref(),
                action,
                detail,
                now,
            )?;
            Ok((people, total))
        })
        .await?;
    Ok(HttpResponse::Ok().json(PeopleList {
        date: day,
        people,
        total,
        page,
        per_page,
    }))
}

/// Who was expected on a day and has not reported, by name, a page at a time.
#[utoipa::path(get, path = "/api/v1/reports/unreported", tag = "reports", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "one page of the unreported", body = PeopleList),
              (status = 403, description = "staff may not read reports, or the department is outside the caller's", body = ErrorResponse),
              (status = 422, description = "a wrong date, department, page or per_page", body = ErrorResponse)))]
pub async fn unreported(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    people_list(
        state,
        user,
        query.into_inner(),
        "reports.unreported",
        |conn, user, scope, r| {
            let listed = lists::unreported(
                conn,
                &user.org,
                r.day,
                r.today,
                scope.departments.as_ref(),
                r.window,
            )?;
            // Today's list pages through the database; its total is the day's own count.
            let total = match listed.total {
                Some(total) => total,
                None => scope
                    .total(&reports::day_counts(conn, &user.org, r.day, r.today)?)
                    .unreported(),
            };
            let people = listed
                .items
                .into_iter()
                .map(|l| entry(scope, l, None))
                .collect();
            Ok((people, total))
        },
    )
    .await
}

/// Who reported something abnormal on a day, with their answers, a page at a time.
#[utoipa::path(get, path = "/api/v1/reports/abnormal", tag = "reports", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "one page of the abnormal, with their check-ins", body = PeopleList),
              (status = 403, description = "staff may not read reports, or the department is outside the caller's", body = ErrorResponse),
              (status = 422, description = "a wrong date, department, page or per_page", body = ErrorResponse)))]
pub async fn abnormal(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    people_list(
        state,
        user,
        query.into_inner(),
        "reports.abnormal",
        |conn, user, scope, r| {
            let listed =
                lists::abnormal(conn, &user.org, r.day, scope.departments.as_ref(), r.window)?;
            let people = listed
                .items
                .into_iter()
                .map(|(l, c)| entry(scope, l, Some(Checkin::from(c))))
                .collect();
            Ok((people, listed.total.unwrap_or_default()))
        },
    )
    .await
}
