//! Who was expected to report on a past day, and in which department: membership history
//! replayed to the end of each day in the organization's zone, less leave, holidays and
//! non-working days. The closed-day counts and the exports both read days this way.

use std::collections::HashSet;
use std::iter::Peekable;
use std::vec::IntoIter;

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use diesel::prelude::*;

use super::counts::org_tz;
use crate::db::membership::{self, Change, Roster};
use crate::db::organizations::OrganizationRow;
use crate::db::schema::leaves;
use crate::db::DbConn;
use crate::domain::day::day_end_utc;
use crate::domain::expectation::exemption;
use crate::domain::OrgSettings;

/// Membership history played forward one day at a time.
pub struct DayReplay {
    tz: Tz,
    changes: Peekable<IntoIter<Change>>,
    roster: Roster,
}

impl DayReplay {
    /// Loads every change made before the end of `last`.
    pub fn load(conn: &mut DbConn, org: &OrganizationRow, last: NaiveDate) -> QueryResult<Self> {
        let tz = org_tz(org);
        let changes = membership::changes_before(conn, &org.id, day_end_utc(tz, last))?;
        Ok(Self {
            tz,
            changes: changes.into_iter().peekable(),
            roster: Roster::default(),
        })
    }

    /// Everybody as they were at the end of `day`. Days must come in increasing order.
    pub fn advance_to(&mut self, day: NaiveDate) -> &Roster {
        let end = day_end_utc(self.tz, day);
        while let Some((user, department, active, _)) =
            self.changes.next_if(|(_, _, _, at)| *at < end)
        {
            self.roster.apply(user, department, active);
        }
        &self.roster
    }
}

/// The organization's leave that overlaps a range of days.
pub struct LeaveCalendar {
    spans: Vec<(String, NaiveDate, NaiveDate)>,
}

impl LeaveCalendar {
    pub fn load(
        conn: &mut DbConn,
        org_id: &str,
        first: NaiveDate,
        last: NaiveDate,
    ) -> QueryResult<Self> {
        let spans = leaves::table
            .filter(leaves::org_id.eq(org_id))
            .filter(leaves::start_date.le(last))
            .filter(leaves::end_date.ge(first))
            .select((leaves::user_id, leaves::start_date, leaves::end_date))
            .load(conn)?;
        Ok(Self { spans })
    }

    /// People on leave on `day`.
    pub fn away_on(&self, day: NaiveDate) -> HashSet<&str> {
        self.spans
            .iter()
            .filter(|(_, start, stop)| *start <= day && day <= *stop)
            .map(|(user, _, _)| user.as_str())
            .collect()
    }
}

/// The first day a person owes a check-in: the day they were added, in `tz`.
pub fn first_day(created_at: NaiveDateTime, tz: Tz) -> NaiveDate {
    created_at.and_utc().with_timezone(&tz).date_naive()
}

/// An active member on one day: their department and whether they were expected to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Presence<'a> {
    pub user_id: &'a str,
    pub department_id: Option<&'a str>,
    pub expected: bool,
}

/// Every active member of the roster on `day`, expected or exempt.
pub fn presence<'a>(
    settings: &'a OrgSettings,
    day: NaiveDate,
    roster: &'a Roster,
    away: &'a HashSet<&str>,
) -> impl Iterator<Item = Presence<'a>> + 'a {
    roster
        .members
        .iter()
        .filter(|(_, member)| member.active)
        .map(move |(user, member)| Presence {
            user_id: user.as_str(),
            department_id: member.department_id.as_deref(),
            expected: exemption(settings, day, away.contains(user.as_str())).is_none(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 2, d).unwrap()
    }

    #[test]
    fn leave_inactive_people_and_holidays_are_not_expected() {
        let mut roster = Roster::default();
        roster.apply("a".into(), Some("east".into()), true);
        roster.apply("b".into(), None, true);
        roster.apply("c".into(), Some("west".into()), true);
        roster.apply("gone".into(), Some("east".into()), false);
        let calendar = LeaveCalendar {
            spans: vec![("c".into(), day(3), day(4))],
        };
        let settings = OrgSettings {
            holidays: vec![day(5)],
            ..OrgSettings::default()
        };
        let away = calendar.away_on(day(3));
        let mut expected: Vec<(&str, Option<&str>)> = presence(&settings, day(3), &roster, &away)
            .filter(|p| p.expected)
            .map(|p| (p.user_id, p.department_id))
            .collect();
        expected.sort();
        assert_eq!(expected, vec![("a", Some("east")), ("b", None)]);
        let exempt = presence(&settings, day(3), &roster, &away)
            .filter(|p| !p.expected)
            .count();
        assert_eq!(
            exempt, 1,
            "c on leave; the inactive person is not counted at all"
        );
        let away = calendar.away_on(day(5));
        assert_eq!(
            presence(&settings, day(5), &roster, &away)
                .filter(|p| p.expected)
                .count(),
            0
        );
    }
}
