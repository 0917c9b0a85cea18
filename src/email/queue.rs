//! Queuing a mail: render it now, store it in the outbox, let the delivery job send it.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};

use super::template;
use crate::db::outbox::{self, NewOutboxRow, Queued};
use crate::db::{new_id, DbConn};

/// A mail to queue. `kind` names a template folder (`invitation`, `password_reset`);
/// `vars` fills it. `dedupe_key` is unique across the outbox: the same key queues once.
#[derive(Clone, Debug)]
pub struct NewMail {
    pub org_id: String,
    pub user_id: Option<String>,
    pub kind: &'static str,
    pub dedupe_key: String,
    pub to: String,
    pub locale: String,
    pub vars: BTreeMap<String, String>,
}

/// Renders the mail and stores it as pending. Returns false, storing nothing, when a mail
/// with the same `dedupe_key` is already queued. Runs inside the caller's transaction (it
/// opens none) and never leaves it broken on a duplicate.
pub fn enqueue(conn: &mut DbConn, mail: &NewMail, now: NaiveDateTime) -> diesel::QueryResult<bool> {
    enqueue_for_day(conn, mail, None, now)
}

/// `enqueue` for a mail about one day (a reminder), so the day's mails can be listed.
pub fn enqueue_for_day(
    conn: &mut DbConn,
    mail: &NewMail,
    day: Option<NaiveDate>,
    now: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    // An unknown template or a missing value is a bug in the caller; it fails the caller's
    // transaction instead of queuing a mail that shows `{{link}}`.
    let rendered = template::render(mail.kind, &mail.locale, &mail.vars)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let row = NewOutboxRow {
        id: new_id(),
        org_id: &mail.org_id,
        user_id: mail.user_id.as_deref(),
        kind: mail.kind,
        dedupe_key: mail.dedupe_key.clone(),
        to_email: &mail.to,
        locale: rendered.locale,
        subject: &rendered.subject,
        body_text: &rendered.text,
        body_html: &rendered.html,
        delivery: Queued::at(now),
        day,
        body_id: None,
        vars: None,
    };
    outbox::insert_unless_duplicate(conn, &row)
}
