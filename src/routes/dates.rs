//! Dates and ranges of days in query strings, read the same way by every handler.

use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::day::parse_date;
use crate::error::{ApiError, Problem};

/// Longest range one request reads.
pub const MAX_RANGE_DAYS: i64 = 366;
const DEFAULT_RANGE_DAYS: i64 = 30;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First day; defaults to 30 days before `to`.
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day; defaults to today.
    #[param(format = Date)]
    pub to: Option<String>,
}

fn query_day(raw: Option<&str>, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    raw.map(|r| parse_date(r).ok_or_else(|| ApiError::field(name, Problem::invalid_date())))
        .transpose()
}

/// A date range from the query: inclusive, not reversed, at most a year.
pub fn parse_range(
    query: &RangeQuery,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let to = query_day(query.to.as_deref(), "to")?.unwrap_or(today);
    let from = query_day(query.from.as_deref(), "from")?
        .unwrap_or(to - Duration::days(DEFAULT_RANGE_DAYS - 1));
    if from > to {
        return Err(ApiError::field(
            "from",
            Problem::new("after_end", "must not be after `to`"),
        ));
    }
    if (to - from).num_days() >= MAX_RANGE_DAYS {
        return Err(ApiError::field(
            "from",
            Problem::new(
                "range_too_long",
                format!("the range may cover at most {MAX_RANGE_DAYS} days"),
            )
            .with("max_days", MAX_RANGE_DAYS),
        ));
    }
    Ok((from, to))
}

/// A report's day: today when left out, never in the future.
pub fn report_day(raw: Option<&str>, today: NaiveDate) -> Result<NaiveDate, ApiError> {
    let day = match raw {
        None => today,
        Some(r) => parse_date(r).ok_or_else(|| ApiError::field("date", Problem::invalid_date()))?,
    };
    if day > today {
        return Err(ApiError::field("date", Problem::in_future()));
    }
    Ok(day)
}

/// A range of days for a report: as `parse_range` reads it, and not ending in the future.
pub fn report_range(
    from: Option<String>,
    to: Option<String>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let (from, to) = parse_range(&RangeQuery { from, to }, today)?;
    if to > today {
        return Err(ApiError::field("to", Problem::in_future()));
    }
    Ok((from, to))
}
