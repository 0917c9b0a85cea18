//! The organization's webhooks, and the latest delivery of each from the outbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::outbox::{CANCELLED, PENDING};
use super::schema::{outbox, webhooks};
use super::DbConn;

/// The outbox kind of a webhook's deliveries.
pub const WEBHOOK: &str = "webhook";

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks, treat_none_as_default_value = false)]
pub struct WebhookRow {
    pub id: String,
    pub org_id: String,
    pub url: String,
    pub format: String,
    /// A JSON list of event names.
    pub events: String,
    pub secret: Option<String>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<String>,
}

impl WebhookRow {
    pub fn receives(&self, event: &str) -> bool {
        serde_json::from_str::<Vec<String>>(&self.events)
            .is_ok_and(|events| events.iter().any(|e| e == event))
    }
}

/// A webhook's latest delivery: its status, tries, error and times.
#[derive(Clone, Debug, Queryable)]
pub struct LastDelivery {
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub subject: String,
}

pub fn of_org(conn: &mut DbConn, org_id: &str) -> QueryResult<Vec<WebhookRow>> {
    webhooks::table
        .filter(webhooks::org_id.eq(org_id))
        .order((webhooks::created_at.asc(), webhooks::id.asc()))
        .select(WebhookRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<WebhookRow>> {
    webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConn, row: &WebhookRow) -> QueryResult<usize> {
    diesel::insert_into(webhooks::table)
        .values(row)
        .execute(conn)
}

/// Deletes the webhook, and cancels its deliveries not yet made; false when none was there.
pub fn delete(conn: &mut DbConn, org_id: &str, id: &str) -> QueryResult<bool> {
    let deleted = diesel::delete(
        webhooks::table
            .filter(webhooks::org_id.eq(org_id))
            .filter(webhooks::id.eq(id)),
    )
    .execute(conn)?;
    if deleted > 0 {
        diesel::update(
            outbox::table
                .filter(outbox::kind.eq(WEBHOOK))
                .filter(outbox::to_email.eq(id))
                .filter(outbox::status.eq(PENDING)),
        )
        .set(outbox::status.eq(CANCELLED))
        .execute(conn)?;
    }
    Ok(deleted > 0)
}

pub fn last_delivery(conn: &mut DbConn, id: &str) -> QueryResult<Option<LastDelivery>> {
    outbox::table
        // Written as the `outbox_webhook` index is, so that it is used.
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "kind = 'webhook'",
        ))
        .filter(outbox::to_email.eq(id))
        .order((outbox::created_at.desc(), outbox::id.desc()))
        .select((
            outbox::status,
            outbox::attempts,
            outbox::last_error,
            outbox::created_at,
            outbox::sent_at,
            outbox::subject,
        ))
        .first(conn)
        .optional()
}
