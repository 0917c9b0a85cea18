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

/// Whether a person had joined, was active and was on leave at the end of `day` in `tz`.
pub fn standing(conn: &mut DbConn, user_id: &str, day: NaiveDate, tz: Tz) -> QueryResult<Standing> {
    Ok(match at(conn, user_id, day_end_utc(tz, day))? {
        None => Standing::NotYetJoined,
        Some(m) if !m.active => Standing::Inactive,
        Some(_) => Standing::Active {
            on_leave: super::leaves::on_leave(conn, user_id, day)?,
        },
    })
}

/// A change: person, department, active, from when.
pub type Change = (String, Option<String>, bool, NaiveDateTime);

/// The changes of an organization before `until`, oldest first, for replaying day by day.
pub fn changes_before(
    conn: &mut DbConn,
    org_id: &str,
    until: NaiveDateTime,
) -> QueryResult<Vec<Change>> {
    membership_history::table
        .filter(membership_history::org_id.eq(org_id))
        .filter(membership_history::valid_from.lt(until))
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
        .load(conn)
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
