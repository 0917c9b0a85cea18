//! The one error type every handler returns, rendered in the contract's JSON shape.

use std::collections::BTreeMap;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::problem::{FieldErrors, Problem};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// `fields`: the values in the way, if any, each with its problem (e.g. `taken`).
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        fields: FieldErrors,
    },
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{message}")]
    Validation {
        message: String,
        fields: FieldErrors,
    },
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error("service unavailable")]
    Unavailable,
    /// Too much of one kind of work is waiting (password checks); come back shortly.
    #[error("the service is busy; please try again in a moment")]
    Busy { retry_after_secs: u64 },
    /// The cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(#[source] anyhow::Error),
}

/// The error shape of every failed request.
#[derive(Serialize, ToSchema)]
#[schema(as = ErrorResponse)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The error body under the name the API document gives it.
pub use ErrorBody as ErrorResponse;

/// The 403 of what only admins may do, as the API document lists it.
#[derive(utoipa::IntoResponses)]
#[response(status = 403, description = "admins only")]
#[allow(dead_code)]
pub struct AdminsOnly(ErrorBody);

/// The 404 of an operation on a person of the caller's organization.
#[derive(utoipa::IntoResponses)]
#[response(status = 404, description = "no such person")]
#[allow(dead_code)]
pub struct NoSuchPerson(ErrorBody);

/// The 403 of what hr and admins may do.
#[derive(utoipa::IntoResponses)]
#[response(status = 403, description = "hr and admins only")]
#[allow(dead_code)]
pub struct HrAndAdminsOnly(ErrorBody);

/// The 403 of what managers, hr and admins may do.
#[derive(utoipa::IntoResponses)]
#[response(status = 403, description = "managers and up")]
#[allow(dead_code)]
pub struct ManagersAndUp(ErrorBody);

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code, e.g. `validation_failed`.
    #[schema(value_type = String)]
    pub code: &'static str,
    pub message: String,
    /// Only for validation errors: field path (`answers.temperature`) → problem, in English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
    /// For validation errors, and conflicts that name the value in the way: each field's
    /// problem as a code and its parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<FieldDetail>>,
    /// Only when something went wrong on the server's side: the request's id (also in the
    /// `X-Request-Id` header), to quote when reporting it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One field's problem, for a program or a page to say in its own words.
#[derive(Serialize, ToSchema)]
pub struct FieldDetail {
    /// The field's path, e.g. `answers.temperature`.
    pub field: String,
    /// A stable snake_case code, e.g. `out_of_range`.
    #[schema(value_type = String)]
    pub code: &'static str,
    /// What the code needs, e.g. `{"min": 34, "max": 43}`.
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// The same in English.
    pub message: String,
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
            fields: FieldErrors::new(),
        }
    }

    /// A conflict over the value of one field, e.g. an e-mail address someone else has.
    pub fn conflict_on(
        code: &'static str,
        message: impl Into<String>,
        path: impl Into<String>,
        problem: Problem,
    ) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
            fields: FieldErrors::from([(path.into(), problem)]),
        }
    }

    /// No valid session: code `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::Unauthorized {
            code: "unauthorized",
            message: message.into(),
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }

    pub fn forbidden() -> Self {
        Self::Forbidden("your role does not allow this".into())
    }

    pub fn validation(fields: FieldErrors) -> Self {
        Self::Validation {
            message: "some fields are not valid".into(),
            fields,
        }
    }

    pub fn field(path: impl Into<String>, problem: impl Into<Problem>) -> Self {
        Self::validation(FieldErrors::from([(path.into(), problem.into())]))
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::Internal(cause.into())
    }

    /// The `error` object of the response, as the client reads it.
    pub fn detail(&self) -> ErrorDetail {
        let message = match self {
            Self::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                "something went wrong on our side; please try again".to_string()
            }
            Self::Unavailable => "the service is not ready; please try again shortly".to_string(),
            other => other.to_string(),
        };
        ErrorDetail {
            code: self.code(),
            message,
            fields: match self {
                Self::Validation { fields, .. } => Some(
                    fields
                        .iter()
                        .map(|(path, problem)| (path.clone(), problem.message.clone()))
                        .collect(),
                ),
                _ => None,
            },
            details: match self {
                Self::Validation { fields, .. } => Some(fields),
                Self::Conflict { fields, .. } if !fields.is_empty() => Some(fields),
                _ => None,
            }
            .map(|fields| {
                fields
                    .iter()
                    .map(|(path, problem)| FieldDetail {
                        field: path.clone(),
                        code: problem.code,
                        params: problem.params.clone(),
                        message: problem.message.clone(),
                    })
                    .collect()
            }),
            request_id: match self {
                Self::Internal(_) => crate::telemetry::request_id(),
                _ => None,
            },
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Conflict { code, .. }
            | Self::Unauthorized { code, .. } => code,
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Validation { .. } => "validation_failed",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::Busy { .. } => "busy",
            Self::Internal(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable | Self::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Self::RateLimited { retry_after_secs } | Self::Busy { retry_after_secs } = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let Self::Unauthorized { .. } = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(ErrorBody {
            error: self.detail(),
        })
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(error = %e, "no database connection available");
        Self::Unavailable
    }
}

impl From<crate::db::group_commit::GroupError> for ApiError {
    fn from(e: crate::db::group_commit::GroupError) -> Self {
        use crate::db::group_commit::GroupError;
        match e {
            GroupError::NotStored(_) => {
                tracing::warn!(error = %e, "a write was not stored");
                Self::Unavailable
            }
            GroupError::WriterStopped => Self::Internal(e.into()),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}
