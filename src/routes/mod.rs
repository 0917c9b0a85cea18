//! HTTP routes, one file per resource, and the handlers that turn the framework's own errors
//! into the contract's shape.

pub mod audit;
pub mod auth;
pub mod cases;
pub mod charts;
pub mod checkins;
pub mod dates;
pub mod departments;
pub mod employees;
pub mod exports;
pub mod fields;
pub mod forms;
pub mod health;
pub mod openapi;
pub mod organization;
pub mod pages;
pub mod paging;
pub mod privacy;
pub mod reminders;
pub mod reports;
pub mod services;
pub mod sessions;
pub mod views;
pub mod webhooks;

use actix_web::body::MessageBody;
use actix_web::dev::Payload;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::middleware::{from_fn, DefaultHeaders, Next};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, ResponseError};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// Largest JSON body accepted; a day's form is a few hundred bytes.
pub const JSON_LIMIT_BYTES: usize = 64 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(JSON_LIMIT_BYTES)
            .error_handler(json_error),
    )
    .app_data(web::PathConfig::default().error_handler(path_error))
    .app_data(web::QueryConfig::default().error_handler(query_error))
    .configure(health::configure)
    .service(
        web::scope("/api/v1")
            .wrap(api_headers())
            .wrap(from_fn(refuse_control_characters))
            .configure(auth::configure)
            .configure(sessions::configure)
            .configure(privacy::configure)
            .configure(checkins::configure)
            .configure(cases::configure)
            .configure(departments::configure)
            .configure(employees::configure)
            .configure(organization::configure)
            .configure(forms::configure)
            .configure(reports::configure)
            .configure(charts::configure)
            .configure(exports::configure)
            .configure(audit::configure)
            .configure(reminders::configure)
            .configure(webhooks::configure)
            .configure(openapi::configure),
    );
}

/// Answers carry personal data: no cache may keep them, no browser may guess their type, and an
/// answer opened on its own (an SVG chart) may run or load nothing.
fn api_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CACHE_CONTROL, "no-store"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ))
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    json_payload_error(&err).into()
}

fn json_payload_error(err: &JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType(
            "send the body as JSON with Content-Type: application/json".into(),
        ),
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge(format!(
                "the body is larger than {} KiB",
                JSON_LIMIT_BYTES / 1024
            ))
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::bad_request("invalid_body", format!("the body does not fit: {e}"))
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {e}"))
        }
        _ => ApiError::bad_request("malformed_body", "the body could not be read"),
    }
}

/// A JSON object read into `T`. `web::Json` alone would also take an array for a struct (serde
/// reads `["a", 1]` as its fields in order), which no documented body is.
pub struct JsonObject<T>(pub T);

impl<T> JsonObject<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonObject<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonObject<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let object = web::Json::<Map<String, Value>>::from_request(req, payload);
        Box::pin(async move {
            let object = object.await?.into_inner();
            from_object(object).map(JsonObject).map_err(Into::into)
        })
    }
}

fn from_object<T: DeserializeOwned>(object: Map<String, Value>) -> Result<T, ApiError> {
    serde_json::from_value(Value::Object(object))
        .map_err(|e| json_payload_error(&JsonPayloadError::Deserialize(e)))
}

/// A JSON object that may be left out: an empty body is `None`; any other must be a JSON object
/// of the right shape and is refused as a required one would be (415, 400). Give its resource a
/// `PayloadConfig` of `JSON_LIMIT_BYTES` for the same 413.
pub fn optional_json<T: DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
) -> Result<Option<T>, ApiError> {
    if body.is_empty() {
        return Ok(None);
    }
    let is_json = req
        .mime_type()
        .ok()
        .flatten()
        .is_some_and(|m| m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"));
    if !is_json {
        return Err(json_payload_error(&JsonPayloadError::ContentType));
    }
    let object = serde_json::from_slice(body)
        .map_err(|e| json_payload_error(&JsonPayloadError::Deserialize(e)))?;
    from_object(object).map(Some)
}

fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_path", format!("the address is not valid: {err}")).into()
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request(
        "invalid_query",
        format!("the query string is not valid: {err}"),
    )
    .into()
}

/// A path or query with a control character (`%00`, `%0A`, …) names nothing and searches for
/// nothing; refused as malformed before any of it reaches the database, which for NUL would
/// fail on PostgreSQL.
async fn refuse_control_characters(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if has_control_characters(req.path()) || has_control_characters(req.query_string()) {
        return Err(ApiError::bad_request(
            "invalid_address",
            "the address must not contain control characters",
        )
        .into());
    }
    next.call(req).await
}

/// Whether percent-decoded text holds a control character.
fn has_control_characters(encoded: &str) -> bool {
    let bytes = encoded.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded)
        .chars()
        .any(char::is_control)
}

/// Routes that do not exist answer in the contract's shape too.
pub async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no such route: {} {}",
        req.method(),
        req.path()
    )))
}

/// For PATCH bodies: a missing field is `None`, an explicit `null` is `Some(None)`.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

/// A resource whose other methods answer 405 (by default they would fall through to 404).
pub fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed(format!(
        "{} is not allowed on {}",
        req.method(),
        req.path()
    )))
}

/// Any error response that is not already JSON (405 from a resource, a panic's 500, …) is
/// rewritten into the contract's shape, keeping its status.
pub fn json_errors<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let api = match status.as_u16() {
        400 => ApiError::bad_request("bad_request", "the request is malformed"),
        401 => ApiError::unauthorized("log in first"),
        403 => ApiError::forbidden(),
        404 => ApiError::NotFound(format!("no such route: {}", res.request().path())),
        405 => ApiError::MethodNotAllowed(format!(
            "{} is not allowed on {}",
            res.request().method(),
            res.request().path()
        )),
        413 => ApiError::PayloadTooLarge("the body is too large".into()),
        415 => ApiError::UnsupportedMediaType("this content type is not accepted here".into()),
        s if s >= 500 => ApiError::internal(anyhow::anyhow!("an error response with status {s}")),
        _ => ApiError::bad_request("bad_request", status.canonical_reason().unwrap_or("error")),
    };
    let (req, _) = res.into_parts();
    let mut response = api.error_response().map_into_boxed_body();
    *response.status_mut() = status;
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

#[cfg(test)]
mod tests {
    use super::has_control_characters;

    #[test]
    fn control_characters_are_found_however_they_are_written() {
        for bad in ["a%00b", "%0a", "q=x%0D", "%7F", "%c2%85", "a\tb"] {
            assert!(has_control_characters(bad), "{bad}");
        }
        for good in [
            "/api/v1/employees/0190-ab",
            "q=%E5%BC%A0&page=2",
            "100%",
            "%zz",
            "%2F",
            "a+b",
        ] {
            assert!(!has_control_characters(good), "{good}");
        }
    }
}
