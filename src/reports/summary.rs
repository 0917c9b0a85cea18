//! A day's and a range's numbers as reports show them: per department rolled up over
//! subtrees, and per day.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::QueryResult;
use serde::Serialize;
use utoipa::ToSchema;

use super::counts::{org_tz, ByDepartment};
use super::scope::ReportScope;
use super::Counts;
use crate::db::organizations::OrganizationRow;
use crate::db::{db_time, DbConn};
use crate::domain::LocalCalendar;

/// Today and now, in the organization's zone.
pub struct Today {
    pub today: NaiveDate,
    pub now: NaiveDateTime,
}

impl Today {
    /// Days are counted in the organization's zone.
    pub fn in_org(org: &OrganizationRow, now: DateTime<Utc>) -> Self {
        Self {
            today: LocalCalendar::new(org_tz(org), now).today(),
            now: db_time(now),
        }
    }
}

/// A day's numbers over some people, as the daily report gives them for the whole scope and
/// for each department.
#[derive(Serialize, ToSchema)]
pub struct DayNumbers {
    pub expected: i64,
    pub reported: i64,
    pub unreported: i64,
    /// Check-ins of people not expected that day (rest day, holiday, leave, not yet joined).
    pub reported_unexpected: i64,
    /// Every abnormal check-in, expected or not: at most `reported + reported_unexpected`.
    pub abnormal: i64,
    pub exempt: i64,
}

impl From<&Counts> for DayNumbers {
    fn from(counts: &Counts) -> Self {
        Self {
            expected: counts.expected,
            reported: counts.reported,
            unreported: counts.unreported(),
            reported_unexpected: counts.reported_unexpected,
            abnormal: counts.abnormal,
            exempt: counts.exempt,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentCounts {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub path: String,
    #[serde(flatten)]
    pub numbers: DayNumbers,
}

/// Every department in scope, each counting its whole subtree, by path.
pub fn rolled_up(scope: &ReportScope, counts: &ByDepartment) -> Vec<DepartmentCounts> {
    let mut ids: Vec<&str> = scope
        .tree
        .nodes()
        .map(|n| n.id.as_str())
        .filter(|id| scope.covers(Some(id)))
        .collect();
    ids.sort_by_key(|id| scope.tree.path(id).to_lowercase());
    ids.into_iter()
        .filter_map(|id| {
            let node = scope.tree.get(id)?;
            let mut sum = Counts::default();
            for member in scope.tree.subtree(id) {
                if let Some(c) = counts.get(&member) {
                    sum.add(c);
                }
            }
            Some(DepartmentCounts {
                id: node.id.clone(),
                name: node.name.clone(),
                parent_id: node.parent_id.clone(),
                path: scope.tree.path(id),
                numbers: DayNumbers::from(&sum),
            })
        })
        .collect()
}

#[derive(Serialize, ToSchema)]
pub struct TrendDay {
    pub date: NaiveDate,
    pub expected: i64,
    pub reported: i64,
    pub unreported: i64,
    /// Check-ins of people not expected that day.
    pub reported_unexpected: i64,
    pub abnormal: i64,
}

/// The numbers of each day of a range, over a scope.
pub fn trend_days(
    conn: &mut DbConn,
    org: &OrganizationRow,
    scope: &ReportScope,
    from: NaiveDate,
    to: NaiveDate,
    today: &Today,
) -> QueryResult<Vec<TrendDay>> {
    let mut by_day =
        super::counts::trend_totals(conn, org, from, to, today.today, scope.departments.as_ref())?;
    Ok(from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|date| {
            let total = by_day.remove(&date).unwrap_or_default();
            TrendDay {
                date,
                expected: total.expected,
                reported: total.reported,
                unreported: total.unreported(),
                reported_unexpected: total.reported_unexpected,
                abnormal: total.abnormal,
            }
        })
        .collect())
}
