//! The reports as pictures: `trend.svg` and `daily.svg`, drawn from the same numbers as
//! `GET /reports/trend` and `GET /reports/daily`.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToResponse};

use crate::auth::AuthUser;
use crate::domain::Role;
use crate::error::ErrorResponse;
use crate::error::{ApiError, Problem};
use crate::people;
use crate::reports::charts::{self, Lang, TrendPoint};
use crate::reports::summary::Today;
use crate::routes::dates::report_range;
use crate::routes::resource;
use crate::routes::services;
use crate::services::reporting;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Resources of their own, beside `/reports/trend` and `/reports/daily`.
    cfg.service(resource("/reports/trend.svg").route(web::get().to(trend_svg)))
        .service(resource("/reports/daily.svg").route(web::get().to(daily_svg)));
}

/// The `lang` asked for, else the caller's own language, else the organization's.
fn chart_lang(raw: Option<&str>, user: &AuthUser) -> Result<Lang, ApiError> {
    if let Some(raw) = raw {
        // Exactly one of the languages, in any letter case.
        return people::locale(raw)
            .ok()
            .and_then(|code| Lang::parse(&code))
            .ok_or_else(|| ApiError::field("lang", Problem::not_a_choice(&people::LOCALES)));
    }
    Ok(user
        .user
        .locale
        .as_deref()
        .and_then(Lang::parse)
        .or_else(|| user.settings().ok().and_then(|s| Lang::parse(&s.locale)))
        .unwrap_or(Lang::En))
}

/// A chart as both charts answer it, and as the API document declares it once for both.
#[derive(ToResponse)]
#[response(description = "an SVG image", content_type = "image/svg+xml")]
pub struct SvgImage(String);

impl From<SvgImage> for HttpResponse {
    fn from(SvgImage(svg): SvgImage) -> Self {
        HttpResponse::Ok()
            .content_type("image/svg+xml")
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(svg)
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendChartQuery {
    /// First day; defaults to 30 days before `to`.
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day, not in the future; defaults to today.
    #[param(format = Date)]
    pub to: Option<String>,
    /// Only this department and its sub-departments.
    pub department_id: Option<String>,
    /// `zh-CN` or `en` in any letter case; else the caller's language, else the organization's.
    #[param(pattern = "^([Zz][Hh]-[Cc][Nn]|[Ee][Nn])$")]
    pub lang: Option<String>,
    /// The width to draw at, 320 to 1600 (800): the width it is shown at keeps its text at
    /// 12 pixels.
    #[param(value_type = Option<u32>, minimum = 320, maximum = 1600)]
    pub width: Option<String>,
}

/// The trend as a chart: reported % per day as a line, abnormal people per day as bars.
#[utoipa::path(get, path = "/api/v1/reports/trend.svg", tag = "reports", security(("bearer" = [])),
    params(TrendChartQuery),
    responses((status = 200, response = inline(SvgImage)),
              (status = 403, description = "staff may not read reports, or the department is outside the caller's", body = ErrorResponse),
              (status = 422, description = "a wrong date, range, department or lang", body = ErrorResponse)))]
pub async fn trend_svg(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<TrendChartQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let query = query.into_inner();
    let lang = chart_lang(query.lang.as_deref(), &user)?;
    let width = chart_width(query.width.as_deref())?;
    let today = Today::in_org(&user.org, state.clock.now());
    let (from, to) = report_range(query.from, query.to, today.today)?;
    let trend = services::trend(&state, user, query.department_id, (from, to), today).await?;
    let points: Vec<TrendPoint> = trend
        .days
        .iter()
        .map(|d| TrendPoint {
            date: d.date,
            expected: d.expected,
            reported: d.reported,
            abnormal: d.abnormal,
        })
        .collect();
    let subtitle = charts::trend_subtitle(from, to, trend.department.as_deref());
    Ok(SvgImage(charts::trend_svg(&points, &subtitle, lang, width)).into())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyChartQuery {
    /// Not in the future; today when left out.
    #[param(format = Date)]
    pub date: Option<String>,
    /// Bars for this department's sub-departments; else for the top departments in scope.
    pub department_id: Option<String>,
    /// `zh-CN` or `en` in any letter case; else the caller's language, else the organization's.
    #[param(pattern = "^([Zz][Hh]-[Cc][Nn]|[Ee][Nn])$")]
    pub lang: Option<String>,
    /// The width to draw at, 320 to 1600 (800).
    #[param(value_type = Option<u32>, minimum = 320, maximum = 1600)]
    pub width: Option<String>,
}

/// A day as a chart: reported against expected, one bar per department.
#[utoipa::path(get, path = "/api/v1/reports/daily.svg", tag = "reports", security(("bearer" = [])),
    params(DailyChartQuery),
    responses((status = 200, response = inline(SvgImage)),
              (status = 403, description = "staff may not read reports, or the department is outside the caller's", body = ErrorResponse),
              (status = 422, description = "a wrong date, department or lang", body = ErrorResponse)))]
pub async fn daily_svg(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<DailyChartQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let query = query.into_inner();
    let lang = chart_lang(query.lang.as_deref(), &user)?;
    let width = chart_width(query.width.as_deref())?;
    let (day, daily) = services::day_report(
        &state,
        user,
        query.date.as_deref(),
        query.department_id,
        reporting::daily_bars,
    )
    .await?;
    let subtitle = charts::daily_subtitle(
        day,
        daily.department.as_deref(),
        daily.total.reported,
        daily.total.expected,
        lang,
    );
    Ok(SvgImage(charts::daily_svg(&daily.bars, &subtitle, lang, width)).into())
}

/// `width` as asked, or the default; outside 320 to 1600, or not a number, a 422 naming it.
fn chart_width(raw: Option<&str>) -> Result<u32, ApiError> {
    let Some(raw) = raw else {
        return Ok(charts::DEFAULT_WIDTH);
    };
    let range = || Problem::out_of_range(charts::MIN_WIDTH, charts::MAX_WIDTH);
    match raw.trim().parse::<i64>() {
        Ok(width) => u32::try_from(width)
            .ok()
            .filter(|w| (charts::MIN_WIDTH..=charts::MAX_WIDTH).contains(w))
            .ok_or_else(|| ApiError::field("width", range())),
        Err(_) => Err(ApiError::field("width", Problem::not_a_number())),
    }
}
