//! HTTP routes, one file per resource, and the handlers that turn the framework's own errors
//! into the contract's shape.

pub mod audit;
pub mod auth;
pub mod charts;
pub mod checkins;
pub mod departments;
pub mod employees;
pub mod exports;
pub mod health;
pub mod openapi;
pub mod organization;
pub mod pages;
pub mod paging;
pub mod reminders;
pub mod reports;

use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{web, HttpRequest, ResponseError};

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
            .configure(auth::configure)
            .configure(checkins::configure)
            .configure(departments::configure)
            .configure(employees::configure)
            .configure(organization::configure)
            .configure(reports::configure)
            .configure(charts::configure)
            .configure(exports::configure)
            .configure(audit::configure)
            .configure(reminders::configure)
            .configure(openapi::configure),
    );
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
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
    };
    api.into()
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
        401 => ApiError::Unauthorized("log in first".into()),
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
