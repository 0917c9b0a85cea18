//! The mail outbox: rows are written inside the transaction that decides to send, then
//! claimed, sent and recorded by the delivery job.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::outbox;
use super::DbConn;

pub const PENDING: &str = "pending";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
/// Not sent because it was no longer needed (a reminder for someone who has reported).
pub const CANCELLED: &str = "cancelled";

/// Longest `last_error` kept; server replies can be long and only the start matters.
const MAX_ERROR_CHARS: usize = 1000;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub org_id: String,
    pub user_id: Option<String>,
    pub kind: String,
    pub dedupe_key: String,
    pub to_email: String,
    pub locale: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub claimed_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub day: Option<NaiveDate>,
    /// A body shared by the mails of one pass (`mail_bodies`), filled with `vars` when sent;
    /// `body_text` and `body_html` are then empty.
    pub body_id: Option<String>,
    /// JSON object of the values for the shared body's `{{name}}`s.
    pub vars: Option<String>,
}

/// A row to queue, borrowing what it is made from (a rendered mail, or what all rows of a
/// reminder pass share).
#[derive(Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
pub struct NewOutboxRow<'a> {
    pub id: String,
    pub org_id: &'a str,
    pub user_id: Option<&'a str>,
    pub kind: &'a str,
    pub dedupe_key: String,
    pub to_email: &'a str,
    pub locale: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    #[diesel(embed)]
    pub delivery: Queued<'a>,
    pub day: Option<NaiveDate>,
    pub body_id: Option<&'a str>,
    pub vars: Option<String>,
}

/// How every row starts: pending, due at once, never tried and never claimed.
#[derive(Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
pub struct Queued<'a> {
    status: &'a str,
    attempts: i32,
    last_error: Option<&'a str>,
    next_attempt_at: NaiveDateTime,
    lease_until: Option<NaiveDateTime>,
    claimed_by: Option<&'a str>,
    created_at: NaiveDateTime,
    sent_at: Option<NaiveDateTime>,
}

impl Queued<'_> {
    /// Queued at `now`, for the delivery job's next round.
    pub fn at(now: NaiveDateTime) -> Self {
        Self {
            status: PENDING,
            attempts: 0,
            last_error: None,
            next_attempt_at: now,
            lease_until: None,
            claimed_by: None,
            created_at: now,
            sent_at: None,
        }
    }
}

/// Inserts the row unless one with the same `dedupe_key` exists; true when inserted.
/// `ON CONFLICT DO NOTHING` on both databases, so a duplicate never raises an error and the
/// caller's transaction stays usable, even when two instances enqueue the same mail at once.
pub fn insert_unless_duplicate(conn: &mut DbConn, row: &NewOutboxRow<'_>) -> QueryResult<bool> {
    let inserted = match conn {
        DbConn::Sqlite(c) => diesel::insert_into(outbox::table)
            .values(row)
            .on_conflict(outbox::dedupe_key)
            .do_nothing()
            .execute(c)?,
        DbConn::Postgres(c) => diesel::insert_into(outbox::table)
            .values(row)
            .on_conflict(outbox::dedupe_key)
            .do_nothing()
            .execute(c)?,
    };
    Ok(inserted == 1)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<OutboxRow>> {
    outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_dedupe_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<OutboxRow>> {
    outbox::table
        .filter(outbox::dedupe_key.eq(key))
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}

/// Claims up to `limit` due rows for `token` until `lease_until` and returns them.
///
/// Due: pending and `next_attempt_at <= now`, or sending with an expired lease (a sender that
/// died). On PostgreSQL the rows are locked as they are read, skipping those another claim
/// has locked; the UPDATE repeats the condition all the same, so of two claimers racing for
/// the same row only one changes it (SQLite runs one writer at a time). Each claim counts as an attempt, so a row whose sender
/// keeps dying still runs out of attempts.
pub fn claim_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    token: &str,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text, Timestamp};

    conn.write_transaction(|c| {
        // The first `limit` due rows by `next_attempt_at`, as two reads that each walk the
        // `outbox_due (status, next_attempt_at)` index in order and stop at `limit`. One
        // query with the OR of both scanned and sorted every pending row instead: 100,000
        // after a reminder pass, for every batch.
        let first = |status: &'static str| {
            outbox::table
                .filter(outbox::status.eq(status))
                .order(outbox::next_attempt_at.asc())
                .select((outbox::id, outbox::next_attempt_at))
                .limit(limit)
        };
        let pending = first(PENDING).filter(outbox::next_attempt_at.le(now));
        let abandoned = first(SENDING).filter(outbox::lease_until.lt(now));
        let mut due_rows: Vec<(String, NaiveDateTime)> = match c {
            // Rows that another instance's claim is taking are passed over, not waited for:
            // several instances claim side by side, each its own rows.
            DbConn::Postgres(pg) => {
                let mut rows = pending.for_update().skip_locked().load(pg)?;
                rows.extend(
                    abandoned
                        .for_update()
                        .skip_locked()
                        .load::<(String, NaiveDateTime)>(pg)?,
                );
                rows
            }
            DbConn::Sqlite(_) => {
                let mut rows = pending.load(c)?;
                rows.extend(abandoned.load::<(String, NaiveDateTime)>(c)?);
                rows
            }
        };
        due_rows.sort_by_key(|(_, at)| *at);
        let candidates: Vec<String> = due_rows
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(0))
            .map(|(id, _)| id)
            .collect();
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        // Still due, as one CASE: for the OR of two conditions on `outbox_due`, SQLite walks
        // that index for both (every pending row) even with the ids given; a CASE leaves it
        // the primary key.
        let still_due = sql::<Bool>("CASE status WHEN ")
            .bind::<Text, _>(PENDING)
            .sql(" THEN next_attempt_at <= ")
            .bind::<Timestamp, _>(now)
            .sql(" WHEN ")
            .bind::<Text, _>(SENDING)
            .sql(" THEN lease_until < ")
            .bind::<Timestamp, _>(now)
            .sql(" ELSE FALSE END");
        diesel::update(
            outbox::table
                .filter(outbox::id.eq_any(&candidates))
                .filter(still_due),
        )
        .set((
            outbox::status.eq(SENDING),
            outbox::lease_until.eq(Some(lease_until)),
            outbox::claimed_by.eq(Some(token)),
            outbox::attempts.eq(outbox::attempts + 1),
        ))
        .execute(c)?;
        outbox::table
            .filter(outbox::claimed_by.eq(token))
            .filter(outbox::status.eq(SENDING))
            .order(outbox::next_attempt_at.asc())
            .select(OutboxRow::as_select())
            .load(c)
    })
}

type Claimed = diesel::dsl::Filter<
    diesel::dsl::Filter<outbox::table, diesel::dsl::Eq<outbox::id, String>>,
    diesel::dsl::And<
        diesel::dsl::Eq<outbox::claimed_by, String>,
        diesel::dsl::Eq<outbox::status, &'static str>,
    >,
>;

/// The row as this claim left it: only the claimer that holds it may record an outcome.
fn claimed(id: &str, token: &str) -> Claimed {
    outbox::table.filter(outbox::id.eq(id.to_string())).filter(
        outbox::claimed_by
            .eq(token.to_string())
            .and(outbox::status.eq(SENDING)),
    )
}

/// Marks rows of one claim sent; returns how many were still held by it (a claim is lost
/// when its lease ran out and another instance took the row).
pub fn mark_sent_many(
    conn: &mut DbConn,
    ids: &[String],
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::claimed_by.eq(token))
            .filter(outbox::status.eq(SENDING)),
    )
    .set((
        outbox::status.eq(SENT),
        outbox::sent_at.eq(Some(now)),
        outbox::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
}

/// Gives rows of one claim back untried, due at once, as if never claimed: the claim's
/// attempt is taken back too. Returns how many were still held by the claim.
pub fn release_many(conn: &mut DbConn, ids: &[String], token: &str) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::claimed_by.eq(token))
            .filter(outbox::status.eq(SENDING)),
    )
    .set((
        outbox::status.eq(PENDING),
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::claimed_by.eq(None::<String>),
        outbox::attempts.eq(outbox::attempts - 1),
    ))
    .execute(conn)
}

/// A failed row back to pending, due at `now`, its attempts counted afresh; false when it was
/// not failed (any more).
pub fn retry_failed_now(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq(FAILED)),
    )
    .set((
        outbox::status.eq(PENDING),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
        outbox::lease_until.eq(None::<NaiveDateTime>),
        outbox::claimed_by.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Back to pending, to be tried again at `next_attempt_at`.
pub fn mark_retry(
    conn: &mut DbConn,
    id: &str,
    token: &str,
    error: &str,
    next_attempt_at: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(claimed(id, token))
        .set((
            outbox::status.eq(PENDING),
            outbox::last_error.eq(Some(truncate(error))),
            outbox::next_attempt_at.eq(next_attempt_at),
            outbox::lease_until.eq(None::<NaiveDateTime>),
            outbox::claimed_by.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Given up: a permanent refusal, or out of attempts.
pub fn mark_failed(conn: &mut DbConn, id: &str, token: &str, error: &str) -> QueryResult<bool> {
    let changed = diesel::update(claimed(id, token))
        .set((
            outbox::status.eq(FAILED),
            outbox::last_error.eq(Some(truncate(error))),
            outbox::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

fn truncate(error: &str) -> String {
    error.chars().take(MAX_ERROR_CHARS).collect()
}

/// Not sent and never will be: the claimer found it was no longer needed.
pub fn mark_cancelled(conn: &mut DbConn, id: &str, token: &str, why: &str) -> QueryResult<bool> {
    let changed = diesel::update(claimed(id, token))
        .set((
            outbox::status.eq(CANCELLED),
            outbox::last_error.eq(Some(truncate(why))),
            outbox::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Rows not sent (pending, sending, failed) by status and kind. Each status is read on its
/// own, along the `(status, next_attempt_at)` index, so the sent rows of past months are
/// never counted.
pub fn unsent_counts(conn: &mut DbConn) -> QueryResult<Vec<(String, String, i64)>> {
    let mut counts = Vec::new();
    for status in [PENDING, SENDING, FAILED] {
        let kinds: Vec<(String, i64)> = outbox::table
            .filter(outbox::status.eq(status))
            .group_by(outbox::kind)
            .select((outbox::kind, diesel::dsl::count_star()))
            .load(conn)?;
        counts.extend(
            kinds
                .into_iter()
                .map(|(kind, n)| (status.to_string(), kind, n)),
        );
    }
    Ok(counts)
}

/// When the oldest pending row became due, if one is due at `now`.
pub fn oldest_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Option<NaiveDateTime>> {
    outbox::table
        .filter(outbox::status.eq(PENDING))
        .filter(outbox::next_attempt_at.le(now))
        .select(diesel::dsl::min(outbox::next_attempt_at))
        .first(conn)
}

/// The reminders queued for one person, newest first: their day, kind, status and times.
pub fn reminders_of(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::user_id.eq(user_id))
        .filter(outbox::kind.eq_any(["reminder", "reminder_digest"]))
        .order(outbox::created_at.desc())
        .select(OutboxRow::as_select())
        .load(conn)
}
