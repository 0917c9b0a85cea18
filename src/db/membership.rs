//! Where people were at a given moment, from `membership_history`.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use diesel::prelude::*;

use super::schema::membership_history;
use super::DbConn;
use crate::domain::day::day_end_utc;
use crate::domain::expectation::Standing;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub department_id: Option<String>,
    pub active: bool,
}

/// One person's department and whether they were active just before `at`.
pub fn at(conn: &mut DbConn, user_id: &str, at: NaiveDateTime) -> QueryResult<Option<Membership>> {
    let row: Option<(Option<String>, bool)> = membership_history::table
        .filter(membership_history::user_id.eq(user_id))
        .filter(membership_history::valid_from.lt(at))
        .order((
            membership_history::valid_from.desc(),
            membership_history::id.desc(),
        ))
        .select((
            membership_history::department_id,
            membership_history::active,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(department_id, active)| Membership {
        department_id,
        active,
    }))
}

/// One person's standing day by day (joined, active, on leave), from their membership
/// history and leave, loaded once for a range of days.
pub struct PersonStandings {
    tz: Tz,
    /// When the person became active or inactive, oldest first.
    changes: Vec<(NaiveDateTime, bool)>,
    leave: Vec<(NaiveDate, NaiveDate)>,
}

impl PersonStandings {
    pub fn load(
        conn: &mut DbConn,
        user_id: &str,
        tz: Tz,
        first: NaiveDate,
        last: NaiveDate,
    ) -> QueryResult<Self> {
        use super::schema::leaves;
        let changes = membership_history::table
            .filter(membership_history::user_id.eq(user_id))
            .filter(membership_history::valid_from.lt(day_end_utc(tz, last)))
            .order((
                membership_history::valid_from.asc(),
                membership_history::id.asc(),
            ))
            .select((membership_history::valid_from, membership_history::active))
            .load(conn)?;
        let leave = leaves::table
            .filter(leaves::user_id.eq(user_id))
            .filter(leaves::start_date.le(last))
            .filter(leaves::end_date.ge(first))
            .select((leaves::start_date, leaves::end_date))
            .load(conn)?;
        Ok(Self { tz, changes, leave })
    }

    /// Where the person stood at the end of `day`.
    pub fn on(&self, day: NaiveDate) -> Standing {
        let end = day_end_utc(self.tz, day);
        match self.changes.iter().take_while(|(at, _)| *at < end).last() {
            None => Standing::NotYetJoined,
            Some((_, false)) => Standing::Inactive,
            Some((_, true)) => Standing::Active {
                on_leave: self
                    .leave
                    .iter()
                    .any(|(start, stop)| *start <= day && day <= *stop),
            },
        }
    }
}

/// Whether a person had joined, was active and was on leave at the end of `day` in `tz`, in
/// one statement: every check-in asks.
pub fn standing(conn: &mut DbConn, user_id: &str, day: NaiveDate, tz: Tz) -> QueryResult<Standing> {
    standing_at_day_end(conn, user_id, day, day_end_utc(tz, day))
}

/// `standing` for a caller that has the end of the day already (`day_end_utc`).
pub fn standing_at_day_end(
    conn: &mut DbConn,
    user_id: &str,
    day: NaiveDate,
    day_end: NaiveDateTime,
) -> QueryResult<Standing> {
    use super::schema::leaves;
    let latest_change = || {
        membership_history::table
            .filter(membership_history::user_id.eq(user_id))
            .filter(membership_history::valid_from.lt(day_end))
            .order((
                membership_history::valid_from.desc(),
                membership_history::id.desc(),
            ))
            .select(membership_history::active)
            .limit(1)
            .single_value()
    };
    let on_leave = || {
        diesel::dsl::exists(
            leaves::table
                .filter(leaves::user_id.eq(user_id))
                .filter(leaves::start_date.le(day))
                .filter(leaves::end_date.ge(day)),
        )
    };
    let (active, on_leave): (Option<bool>, bool) =
        on_inner!(conn, |c| diesel::select((latest_change(), on_leave()))
            .get_result(c))?;
    Ok(match active {
        None => Standing::NotYetJoined,
        Some(false) => Standing::Inactive,
        Some(true) => Standing::Active { on_leave },
    })
}

/// A change: person, department, active, from when.
pub type Change = (String, Option<String>, bool, NaiveDateTime);

/// The membership history of `$org_id` before `$until`, oldest first: person, department,
/// active, from when. One query for both ways of reading it below.
macro_rules! history_before {
    ($org_id:expr, $until:expr) => {
        membership_history::table
            .filter(membership_history::org_id.eq($org_id))
            .filter(membership_history::valid_from.lt($until))
            .order((
                membership_history::valid_from.asc(),
                membership_history::id.asc(),
            ))
            .select((
                membership_history::user_id,
                membership_history::department_id,
                membership_history::active,
                membership_history::valid_from,
            ))
    };
}

/// The changes of an organization before `until`, oldest first, for replaying day by day.
pub fn changes_before(
    conn: &mut DbConn,
    org_id: &str,
    until: NaiveDateTime,
) -> QueryResult<Vec<Change>> {
    // Read at once: they are all kept anyway, and row by row costs more per row.
    history_before!(org_id, until).load(conn)
}

/// The changes of [`changes_before`], handed over one at a time rather than held together
/// (the export's, which keeps them by number): 18 MiB in libpq for the 100,000 changes of
/// 100,000 people, had they been read at once.
pub fn each_change_before(
    conn: &mut DbConn,
    org_id: &str,
    until: NaiveDateTime,
    mut each: impl FnMut(Change),
) -> QueryResult<()> {
    conn.each_row(history_before!(org_id, until), &mut each)
}

/// Everybody's membership at the end of each replayed moment.
#[derive(Default)]
pub struct Roster {
    pub members: HashMap<String, Membership>,
}

impl Roster {
    pub fn apply(&mut self, user_id: String, department_id: Option<String>, active: bool) {
        self.members.insert(
            user_id,
            Membership {
                department_id,
                active,
            },
        );
    }
}
