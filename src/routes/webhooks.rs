use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::Role;
use crate::error::{AdminsOnly, ApiError, ErrorResponse};
use crate::routes::fields::Fields;
use crate::routes::resource;
use crate::routes::views::{stored_list, utc};
use crate::services::webhooks::{self as webhook_service, LastDelivery, NewWebhook, WebhookRow};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/webhooks")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(resource("/webhooks/{id}").route(web::delete().to(delete)));
}

#[derive(Serialize, ToSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    /// `generic`, `dingtalk`, `wecom`, `feishu` or `slack`.
    pub format: String,
    pub events: Vec<String>,
    /// Whether it is signed; the secret itself is never shown again.
    pub signed: bool,
    pub created_at: DateTime<Utc>,
    /// Its latest delivery, if any.
    pub last_delivery: Option<Delivery>,
}

#[derive(Serialize, ToSchema)]
pub struct Delivery {
    /// The event it carried.
    pub event: String,
    /// `sent`, `pending` (waiting for its next try), `sending`, `failed` or `cancelled`.
    pub status: String,
    pub attempts: i32,
    pub error: Option<String>,
    pub queued_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

fn view((row, last): (WebhookRow, Option<LastDelivery>)) -> Webhook {
    Webhook {
        events: stored_list(&row.events),
        signed: row.secret.is_some(),
        created_at: utc(row.created_at),
        last_delivery: last.map(|d| Delivery {
            event: d.subject,
            status: d.status,
            attempts: d.attempts,
            error: d.last_error,
            queued_at: utc(d.created_at),
            sent_at: d.sent_at.map(utc),
        }),
        id: row.id,
        url: row.url,
        format: row.format,
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<Webhook>,
}

/// The organization's webhooks, with their latest delivery (admin).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, description = "the webhooks", body = WebhookList), AdminsOnly))]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let found = state
        .as_caller(user, move |conn, caller, _| {
            webhook_service::list(conn, caller)
        })
        .await?;
    Ok(HttpResponse::Ok().json(WebhookList {
        webhooks: found.into_iter().map(view).collect(),
    }))
}

/// A new webhook.
// Read field by field below; this shape documents it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct WebhookRequest {
    /// An `http` or `https` address, at most 2,000 characters (a robot's token may be in it).
    url: String,
    #[schema(value_type = WebhookFormat)]
    format: String,
    /// At least one of `checkin.abnormal`, `day.summary`, `reminder.digest`.
    events: Vec<String>,
    /// Signs each delivery as the platform wants (DingTalk, Feishu) or with `X-Signature`
    /// (generic); at most 200 characters.
    secret: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum WebhookFormat {
    Generic,
    Dingtalk,
    Wecom,
    Feishu,
    Slack,
}

fn read(body: Map<String, Value>) -> Result<NewWebhook, ApiError> {
    let mut fields = Fields::of(body);
    let given = NewWebhook {
        url: fields.text("url"),
        format: fields.text("format"),
        events: fields.texts("events"),
        secret: fields.text("secret"),
    };
    fields.finish()?;
    Ok(given)
}

/// Add a webhook (admin): a chat robot (DingTalk, WeCom, Feishu, Slack) or any receiver of
/// JSON, for the events it names. Audited; the secret is never shown again.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = WebhookRequest,
    responses((status = 201, description = "added", body = Webhook),
              AdminsOnly,
              (status = 409, description = "the organization has 20 webhooks already (`too_many_webhooks`)", body = ErrorResponse),
              (status = 422, description = "a wrong field, each named", body = ErrorResponse)))]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<Map<String, Value>>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let given = read(body.into_inner())?;
    let created = state
        .as_caller(user, move |conn, caller, now| {
            webhook_service::create(conn, caller, given, now)
        })
        .await?;
    Ok(HttpResponse::Created().json(view(created)))
}

/// Delete a webhook (admin); what it had not been sent yet is cancelled. Audited.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "the webhook's id")),
    responses((status = 204, description = "deleted"),
              AdminsOnly,
              (status = 404, description = "no such webhook", body = ErrorResponse)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    state
        .as_caller(user, move |conn, caller, now| {
            webhook_service::delete(conn, caller, &id, now)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
