//! A person's own data: all of it, to take away, and who else has read it.

use diesel::QueryResult;

use crate::db::audit::{self, ByWhom};
use crate::db::checkins::{self, CheckinRow, RevisionRow};
use crate::db::leaves::{self, LeaveRow};
use crate::db::outbox::{self, OutboxRow};
use crate::db::users::UserRow;
use crate::db::DbConn;

/// Everything kept about a person that is theirs: each check-in with its earlier versions,
/// their leave, and the reminders queued for them (not the mails' text).
pub struct OwnData {
    pub checkins: Vec<(CheckinRow, Vec<RevisionRow>)>,
    pub leave: Vec<LeaveRow>,
    pub reminders: Vec<OutboxRow>,
}

pub fn own_data(conn: &mut DbConn, user: &UserRow) -> QueryResult<OwnData> {
    let all = checkins::all_of(conn, &user.id)?;
    let mut with_revisions = Vec::with_capacity(all.len());
    for checkin in all {
        let earlier = if checkin.revision > 1 {
            checkins::revisions(conn, &checkin.id)?
        } else {
            Vec::new()
        };
        with_revisions.push((checkin, earlier));
    }
    Ok(OwnData {
        checkins: with_revisions,
        leave: leaves::for_user(conn, &user.id)?,
        reminders: outbox::reminders_of(conn, &user.id)?,
    })
}

/// One page of what others read or changed of the person, with who did it: their name and
/// role now, or none for the command line.
pub struct AccessPage {
    pub entries: Vec<ByWhom>,
    pub total: i64,
}

pub fn access_log(
    conn: &mut DbConn,
    user: &UserRow,
    offset: i64,
    limit: i64,
) -> QueryResult<AccessPage> {
    let (entries, total) = audit::about_person(conn, &user.org_id, &user.id, offset, limit)?;
    Ok(AccessPage { entries, total })
}
