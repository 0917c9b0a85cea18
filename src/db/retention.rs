//! Purging what an organization no longer keeps: check-in answers and their earlier versions,
//! leave notes, mail bodies and old audit entries. Each statement reads only what is still
//! to purge (the `*_unpurged` partial indexes), so a run costs what it purges, not the years
//! already purged.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::cases::ALERT;
use super::outbox::{PENDING, SENDING};
use super::reminders::DIGEST;
use super::schema::{
    audit_log, case_events, checkin_revisions, checkins, leaves, mail_bodies, outbox,
};
use super::webhooks::WEBHOOK;
use super::DbConn;

/// What a purge removed, or would remove when only counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    /// Check-ins whose answers were cleared (the rows stay, with their status).
    pub checkins: usize,
    /// Earlier versions of those check-ins, deleted.
    pub revisions: usize,
    /// Notes in the timelines of cases, emptied.
    pub case_notes: usize,
    pub leave_notes: usize,
    /// Mails whose bodies were cleared, and bodies shared by a pass that were deleted.
    pub mails: usize,
    pub audit_entries: usize,
}

impl Purged {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The limits of one organization's purge.
#[derive(Clone, Copy, Debug)]
pub struct Cutoffs<'a> {
    pub org_id: &'a str,
    /// Answers of days before this one go; `None` keeps them.
    pub answers_before: Option<NaiveDate>,
    /// Bodies of mails queued before this go, once the mail is no longer to be sent.
    pub mail_before: NaiveDateTime,
    pub audit_before: NaiveDateTime,
}

/// A mail body still stored, as the `outbox_unpurged` index is written, so that the
/// statements below can use it.
fn mail_body_kept() -> diesel::expression::SqlLiteral<Bool> {
    sql::<Bool>("(body_id IS NOT NULL OR vars IS NOT NULL OR body_text <> '' OR body_html <> '')")
}

/// Counts what `purge` would remove, changing nothing.
pub fn count(conn: &mut DbConn, c: &Cutoffs<'_>) -> QueryResult<Purged> {
    let mut purged = Purged::default();
    if let Some(before) = c.answers_before {
        let due = checkins::table
            .filter(checkins::org_id.eq(c.org_id))
            .filter(checkins::day.lt(before))
            .filter(checkins::purged_at.is_null());
        purged.checkins = count_of(due.count().get_result(conn)?);
        purged.revisions = count_of(
            checkin_revisions::table
                .filter(checkin_revisions::checkin_id.eq_any(due.select(checkins::id)))
                .count()
                .get_result(conn)?,
        );
        purged.case_notes = count_of(
            case_events::table
                .filter(case_events::org_id.eq(c.org_id))
                .filter(case_events::at.lt(start_of(before)))
                .filter(case_events::note.is_not_null())
                .count()
                .get_result(conn)?,
        );
        purged.leave_notes = count_of(
            leaves::table
                .filter(leaves::org_id.eq(c.org_id))
                .filter(leaves::end_date.lt(before))
                .filter(leaves::note.is_not_null())
                .count()
                .get_result(conn)?,
        );
    }
    purged.mails = count_of(
        outbox::table
            .filter(outbox::org_id.eq(c.org_id))
            .filter(outbox::created_at.lt(c.mail_before))
            .filter(mail_body_kept())
            .filter(outbox::status.ne_all([PENDING, SENDING]))
            .count()
            .get_result(conn)?,
    );
    purged.audit_entries = count_of(
        audit_log::table
            .filter(audit_log::org_id.eq(c.org_id))
            .filter(audit_log::created_at.lt(c.audit_before))
            .count()
            .get_result(conn)?,
    );
    Ok(purged)
}

/// Removes what the cutoffs no longer keep; call it in a transaction. Check-ins keep their
/// day, department, whether they were expected and abnormal, and when they came in: every
/// number of a day stays as it was.
pub fn purge(conn: &mut DbConn, c: &Cutoffs<'_>, now: NaiveDateTime) -> QueryResult<Purged> {
    let mut purged = Purged::default();
    if let Some(before) = c.answers_before {
        let due = checkins::table
            .filter(checkins::org_id.eq(c.org_id))
            .filter(checkins::day.lt(before))
            .filter(checkins::purged_at.is_null());
        // The earlier versions first, while their check-ins are still found as not purged.
        purged.revisions = diesel::delete(
            checkin_revisions::table
                .filter(checkin_revisions::checkin_id.eq_any(due.select(checkins::id))),
        )
        .execute(conn)?;
        purged.checkins = diesel::update(due)
            .set((
                checkins::answers.eq("{}"),
                checkins::temperature.eq(None::<f64>),
                checkins::abnormal_reasons.eq("[]"),
                checkins::reason.eq(None::<String>),
                checkins::purged_at.eq(Some(now)),
            ))
            .execute(conn)?;
        purged.case_notes = super::cases::purge_notes(conn, c.org_id, start_of(before))?;
        purged.leave_notes = diesel::update(
            leaves::table
                .filter(leaves::org_id.eq(c.org_id))
                .filter(leaves::end_date.lt(before))
                .filter(leaves::note.is_not_null()),
        )
        .set(leaves::note.eq(None::<String>))
        .execute(conn)?;
    }
    purged.mails = diesel::update(
        outbox::table
            .filter(outbox::org_id.eq(c.org_id))
            .filter(outbox::created_at.lt(c.mail_before))
            .filter(mail_body_kept())
            .filter(outbox::status.ne_all([PENDING, SENDING])),
    )
    .set((
        outbox::body_text.eq(""),
        outbox::body_html.eq(""),
        outbox::vars.eq(None::<String>),
        outbox::body_id.eq(None::<String>),
    ))
    .execute(conn)?;
    // A pass's shared body goes once no mail still to be sent refers to it.
    let still_needed = outbox::table
        .filter(outbox::status.eq_any([PENDING, SENDING]))
        .filter(outbox::body_id.is_not_null())
        .select(outbox::body_id.assume_not_null());
    purged.mails += diesel::delete(
        mail_bodies::table
            .filter(mail_bodies::org_id.eq(c.org_id))
            .filter(mail_bodies::created_at.lt(c.mail_before))
            .filter(mail_bodies::id.ne_all(still_needed)),
    )
    .execute(conn)?;
    purged.audit_entries = diesel::delete(
        audit_log::table
            .filter(audit_log::org_id.eq(c.org_id))
            .filter(audit_log::created_at.lt(c.audit_before)),
    )
    .execute(conn)?;
    Ok(purged)
}

/// The first instant of a day, in UTC: the timestamps of a day's notes fall after it.
fn start_of(day: NaiveDate) -> NaiveDateTime {
    day.and_time(chrono::NaiveTime::MIN)
}

fn count_of(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

/// Removes everything a person answered or was sent: the answers of their check-ins (the rows
/// stay, for the days' numbers), the earlier versions, their leave notes and their mails, and
/// the text of managers' digests and chat messages sent that name them (`mentions`: their
/// name, e-mail).
/// Call it in a transaction.
pub fn purge_person(
    conn: &mut DbConn,
    org_id: &str,
    user_id: &str,
    mentions: &[&str],
    now: NaiveDateTime,
) -> QueryResult<Purged> {
    let theirs = checkins::table
        .filter(checkins::org_id.eq(org_id))
        .filter(checkins::user_id.eq(user_id));
    let revisions = diesel::delete(
        checkin_revisions::table
            .filter(checkin_revisions::checkin_id.eq_any(theirs.select(checkins::id))),
    )
    .execute(conn)?;
    let checkins = diesel::update(theirs.filter(checkins::purged_at.is_null()))
        .set((
            checkins::answers.eq("{}"),
            checkins::temperature.eq(None::<f64>),
            checkins::abnormal_reasons.eq("[]"),
            checkins::reason.eq(None::<String>),
            checkins::purged_at.eq(Some(now)),
        ))
        .execute(conn)?;
    let leave_notes = diesel::update(
        leaves::table
            .filter(leaves::org_id.eq(org_id))
            .filter(leaves::user_id.eq(user_id))
            .filter(leaves::note.is_not_null()),
    )
    .set(leaves::note.eq(None::<String>))
    .execute(conn)?;
    let mut mails = diesel::delete(
        outbox::table
            .filter(outbox::org_id.eq(org_id))
            .filter(outbox::user_id.eq(user_id)),
    )
    .execute(conn)?;
    // The alerts about them went to their managers; their keys name them.
    mails += diesel::delete(
        outbox::table
            .filter(outbox::org_id.eq(org_id))
            .filter(outbox::kind.eq(ALERT))
            .filter(outbox::dedupe_key.like(format!("{ALERT}:{user_id}:%"))),
    )
    .execute(conn)?;
    for text in mentions.iter().filter(|t| t.chars().count() >= 2) {
        let pattern = super::audit::like_pattern(text);
        mails += diesel::update(
            outbox::table
                .filter(outbox::org_id.eq(org_id))
                .filter(outbox::kind.eq_any([DIGEST, WEBHOOK]))
                .filter(outbox::status.ne_all([PENDING, SENDING]))
                .filter(
                    outbox::vars
                        .like(pattern.clone())
                        .escape('\\')
                        .or(outbox::body_text.like(pattern).escape('\\')),
                ),
        )
        .set((
            outbox::subject.eq(""),
            outbox::body_text.eq(""),
            outbox::body_html.eq(""),
            outbox::vars.eq(None::<String>),
            outbox::body_id.eq(None::<String>),
        ))
        .execute(conn)?;
    }
    Ok(Purged {
        checkins,
        revisions,
        leave_notes,
        mails,
        ..Purged::default()
    })
}
