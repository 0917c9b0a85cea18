//! Delivering the outbox: claim the due rows, send them a few at a time through the one
//! mailer, and record for each: sent, to be retried later (with exponential backoff), or
//! failed. Any number of instances may run this at once on one database.

use std::time::Duration as StdDuration;

use actix_web::web;
use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use futures_util::stream::{self, StreamExt};

use crate::clock::Clock;
use crate::db::outbox::{self, OutboxRow};
use crate::db::webhooks::{self, WEBHOOK};
use crate::db::{db_time, new_id, DbConn, Pool};
use crate::email::{Mailer, OutgoingMail, SendError};
use crate::jobs::{reminders, Stopping};
use crate::state::AppState;

/// Rows claimed per pass at the least; a full batch makes the loop go again at once.
pub const BATCH: i64 = 50;

/// Rows claimed per pass: enough to keep every SMTP connection busy for a few rounds.
pub fn batch_size(connections: u32) -> i64 {
    BATCH.max(i64::from(connections) * 6)
}
/// Tries before a mail is given up.
pub const MAX_ATTEMPTS: i32 = 10;
/// Longest a send may take; past it the attempt counts as a transient failure.
pub const SEND_TIMEOUT: StdDuration = StdDuration::from_secs(60);
/// How long a claim holds its rows. A batch takes at most BATCH / SMTP_CONNECTIONS rounds of
/// SEND_TIMEOUT (7 minutes), so another instance never takes over rows still being sent.
pub fn lease() -> Duration {
    Duration::minutes(15)
}

const FIRST_RETRY_SECS: i64 = 60;
const LONGEST_RETRY_SECS: i64 = 6 * 60 * 60;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub claimed: usize,
    pub sent: usize,
    /// Transient failures, back to pending with a later `next_attempt_at`.
    pub retrying: usize,
    /// Permanently refused, or out of attempts.
    pub failed: usize,
    /// Not sent by this pass: the lease ran out first, the outcome could not be recorded, or
    /// it was no longer needed (a reminder for someone who has reported: `cancelled`).
    pub skipped: usize,
    /// Given back untried because the process began to stop.
    pub released: usize,
}

enum Outcome {
    /// Sent; recorded together with the batch's other sent mails.
    SentUnrecorded(String),
    Retrying,
    Failed,
    Skipped,
    /// Not started because the process began to stop; given back with the batch's others.
    Released(String),
}

/// The wait after `failures` failed tries (at least 1): one minute, doubling, at most 6 hours.
pub fn backoff(failures: i32) -> Duration {
    let doublings = u32::try_from(failures.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    Duration::seconds((FIRST_RETRY_SECS << doublings).min(LONGEST_RETRY_SECS))
}

/// Up to a tenth more, so that mails that failed together do not all come back together.
fn with_jitter(delay: Duration) -> Duration {
    let spread = (delay.num_milliseconds() / 10).max(0);
    delay + Duration::milliseconds(rand::random_range(0..=spread))
}

/// What delivering the outbox needs: the database, the one mailer, the clock, and how many
/// mails may be sent at once.
pub struct Delivery<'a> {
    pub pool: &'a Pool,
    pub mailer: &'a Mailer,
    pub clock: &'a dyn Clock,
    pub connections: u32,
    /// When it has begun, mails not yet started are given back instead of sent.
    pub stopping: Option<&'a Stopping>,
}

impl<'a> Delivery<'a> {
    /// The server's pool, mailer, clock and SMTP connections.
    pub fn of(state: &'a AppState) -> Self {
        Self {
            pool: &state.pool,
            mailer: &state.mailer,
            clock: state.clock.as_ref(),
            connections: state.settings.smtp_connections,
            stopping: Some(&state.stopping),
        }
    }

    /// Runs `work` with a connection of the pool on the blocking threads.
    async fn db<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        F: FnOnce(&mut DbConn) -> diesel::QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || -> anyhow::Result<T> {
            let mut conn = pool.get()?;
            Ok(work(&mut conn)?)
        })
        .await?
    }
}

/// One pass with the server's pool, mailer and clock (see `deliver`).
pub async fn deliver_due(state: &AppState) -> anyhow::Result<DeliveryReport> {
    let report = deliver(&Delivery::of(state)).await?;
    state
        .metrics
        .mails(report.sent, report.failed, report.retrying, report.released);
    Ok(report)
}

/// One pass: claims up to a batch of due mails and sends them. Uses the given clock, so
/// tests move time instead of waiting. Errors of single mails are recorded and logged, not
/// returned.
pub async fn deliver(delivery: &Delivery<'_>) -> anyhow::Result<DeliveryReport> {
    let now = delivery.clock.now();
    let token = new_id();
    let claim_token = token.clone();
    let connections = delivery.connections.max(1);
    let (claimed, rows, cancelled) = delivery
        .db(move |c| {
            let rows = outbox::claim_due(
                c,
                db_time(now),
                db_time(now + lease()),
                &claim_token,
                batch_size(connections),
            )?;
            let claimed = rows.len();
            // Reminders for people who reported meanwhile are cancelled; shared bodies filled.
            let (rows, cancelled) = reminders::before_sending(c, rows, &claim_token)?;
            Ok((claimed, rows, cancelled))
        })
        .await
        .context("claiming due mails")?;
    let mut report = DeliveryReport {
        claimed,
        skipped: cancelled,
        ..DeliveryReport::default()
    };
    let outcomes: Vec<Outcome> = stream::iter(rows)
        .map(|row| deliver_one(delivery, row, &token))
        .buffer_unordered(connections as usize)
        .collect()
        .await;
    // One statement for every sent mail of the batch instead of one each: on SQLite each
    // statement is a durable commit, the bottleneck at 1,000 mails/s. Should the process die
    // before this, the rows are sent again after the lease, with the same Message-ID.
    let sent: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::SentUnrecorded(id) => Some(id.clone()),
            _ => None,
        })
        .collect();
    if !sent.is_empty() {
        let at = db_time(delivery.clock.now());
        let (ids, token) = (sent.clone(), token.clone());
        match delivery
            .db(move |c| outbox::mark_sent_many(c, &ids, &token, at))
            .await
        {
            Ok(recorded) => {
                report.sent += recorded;
                report.skipped += sent.len() - recorded.min(sent.len());
                if recorded < sent.len() {
                    tracing::warn!(
                        lost = sent.len() - recorded,
                        "claims lost before the outcome was recorded"
                    );
                }
            }
            Err(e) => {
                tracing::error!(error = %e, mails = sent.len(), "could not record sent mails");
                report.skipped += sent.len();
            }
        }
    }
    let released: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Released(id) => Some(id.clone()),
            _ => None,
        })
        .collect();
    if !released.is_empty() {
        let (ids, token) = (released.clone(), token.clone());
        match delivery
            .db(move |c| outbox::release_many(c, &ids, &token))
            .await
        {
            Ok(given_back) => {
                report.released = given_back;
                tracing::info!(mails = given_back, "stopping: unsent mails given back");
            }
            // Their lease runs out and they are sent after it.
            Err(e) => {
                tracing::error!(error = %e, mails = released.len(), "could not give back unsent mails")
            }
        }
    }
    for outcome in outcomes {
        match outcome {
            Outcome::SentUnrecorded(_) | Outcome::Released(_) => {}
            Outcome::Retrying => report.retrying += 1,
            Outcome::Failed => report.failed += 1,
            Outcome::Skipped => report.skipped += 1,
        }
    }
    Ok(report)
}

async fn deliver_one(delivery: &Delivery<'_>, row: OutboxRow, token: &str) -> Outcome {
    if delivery.stopping.is_some_and(Stopping::has_begun) {
        return Outcome::Released(row.id);
    }
    // A row that waited in this batch past its lease may already belong to another sender.
    if row
        .lease_until
        .is_none_or(|until| db_time(delivery.clock.now()) >= until)
    {
        tracing::warn!(outbox_id = %row.id, "lease ran out before sending; left for the next pass");
        return Outcome::Skipped;
    }
    let result = if row.kind == WEBHOOK {
        post_webhook(delivery, &row).await
    } else {
        let mail = OutgoingMail {
            id: row.id.clone(),
            to: row.to_email.clone(),
            subject: row.subject.clone(),
            text: row.body_text.clone(),
            html: row.body_html.clone(),
            // When it was written, so that every try of the row is the same message.
            date: DateTime::<Utc>::from_naive_utc_and_offset(row.created_at, Utc),
        };
        match tokio::time::timeout(SEND_TIMEOUT, delivery.mailer.send(&mail)).await {
            Ok(result) => result,
            Err(_) => Err(SendError::Transient(format!(
                "no answer within {} s",
                SEND_TIMEOUT.as_secs()
            ))),
        }
    };
    let now = delivery.clock.now();
    let (id, token) = (row.id.clone(), token.to_string());
    let (outcome, recorded) = match result {
        Ok(()) => {
            tracing::debug!(outbox_id = %row.id, kind = %row.kind, "mail sent");
            return Outcome::SentUnrecorded(row.id);
        }
        Err(SendError::Permanent(reply)) => {
            tracing::warn!(outbox_id = %row.id, kind = %row.kind, error = %reply, "mail refused; not retried");
            (
                Outcome::Failed,
                delivery
                    .db(move |c| outbox::mark_failed(c, &id, &token, &reply))
                    .await,
            )
        }
        Err(SendError::Transient(reply)) if row.attempts >= MAX_ATTEMPTS => {
            tracing::warn!(outbox_id = %row.id, kind = %row.kind, error = %reply, attempts = row.attempts, "mail given up");
            let reply = format!("gave up after {} attempts: {reply}", row.attempts);
            (
                Outcome::Failed,
                delivery
                    .db(move |c| outbox::mark_failed(c, &id, &token, &reply))
                    .await,
            )
        }
        Err(SendError::Transient(reply)) => {
            let next = db_time(now + with_jitter(backoff(row.attempts)));
            tracing::info!(outbox_id = %row.id, kind = %row.kind, error = %reply, attempts = row.attempts, next_attempt_at = %next, "mail not sent; will retry");
            (
                Outcome::Retrying,
                delivery
                    .db(move |c| outbox::mark_retry(c, &id, &token, &reply, next))
                    .await,
            )
        }
    };
    match recorded {
        Ok(true) => outcome,
        Ok(false) => {
            tracing::warn!(outbox_id = %row.id, "claim lost before the outcome was recorded");
            Outcome::Skipped
        }
        Err(e) => {
            // The lease runs out and a later pass tries again; the Message-ID stays the same.
            tracing::error!(outbox_id = %row.id, error = %e, "could not record the mail's outcome");
            Outcome::Skipped
        }
    }
}

/// A webhook's message: to the webhook it was queued for (`to_email` holds its id), signed
/// at the moment it is sent.
async fn post_webhook(delivery: &Delivery<'_>, row: &OutboxRow) -> Result<(), SendError> {
    let id = row.to_email.clone();
    let hook = delivery
        .db(move |c| webhooks::find(c, &id))
        .await
        .map_err(|e| SendError::Transient(format!("reading the webhook: {e}")))?
        .ok_or_else(|| SendError::Permanent("the webhook was deleted".into()))?;
    crate::webhooks::send(&hook, &row.body_text, delivery.clock.now()).await
}

/// One delivery pass; a full batch asks to run again at once.
pub async fn delivery_pass(state: web::Data<AppState>) -> anyhow::Result<super::Ran> {
    let report = deliver_due(&state).await?;
    Ok(
        if report.claimed as i64 >= batch_size(state.settings.smtp_connections) {
            super::Ran::Again
        } else if report.claimed > 0 {
            super::Ran::Worked(format!("mail delivery pass: {report:?}"))
        } else {
            super::Ran::Idle
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::SMTP_CONNECTIONS;

    #[test]
    fn backoff_doubles_from_a_minute_up_to_six_hours() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(2), Duration::minutes(2));
        assert_eq!(backoff(3), Duration::minutes(4));
        assert_eq!(backoff(9), Duration::minutes(256));
        assert_eq!(backoff(10), Duration::hours(6));
        assert_eq!(backoff(1000), Duration::hours(6));
        // Nonsense in, the shortest wait out.
        assert_eq!(backoff(0), Duration::minutes(1));
        assert_eq!(backoff(-3), Duration::minutes(1));
    }

    #[test]
    fn jitter_adds_at_most_a_tenth() {
        for failures in 1..12 {
            let base = backoff(failures);
            for _ in 0..50 {
                let d = with_jitter(base);
                assert!(d >= base && d <= base + base / 10, "{d} for {base}");
            }
        }
    }

    #[test]
    fn the_lease_outlasts_a_full_batch() {
        let rounds = (batch_size(SMTP_CONNECTIONS) as u64).div_ceil(u64::from(SMTP_CONNECTIONS));
        let worst = StdDuration::from_secs(rounds * SEND_TIMEOUT.as_secs());
        assert!(lease().to_std().unwrap() > worst);
    }
}
