//! The OpenAPI 3 document, generated from the handlers' annotations. What every operation of a
//! kind can answer (401 when it needs a token, 400, 413 and 415 where it reads a body, …) is
//! added here once, so that no annotation can forget it.

use actix_web::{web, HttpResponse};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::routes::{
    audit, auth, cases, charts, checkins, departments, employees, exports, forms, health,
    organization, privacy, reminders, reports, sessions, webhooks, JSON_LIMIT_BYTES,
};

/// The error shape of every failed request: the one `ApiError` renders.
pub use crate::error::ErrorResponse;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("the value of HC_METRICS_TOKEN, when it is set"))
                    .build(),
            ),
        );
    }
}

/// The statuses an operation answers because of what it is, not of what it does.
struct CommonResponses;

impl CommonResponses {
    fn add(operation: &mut Operation, status: u16, description: &str) {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| {
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name(ErrorResponse::name()))),
                    )
                    .build()
                    .into()
            });
    }

    fn takes_json(body: Option<&RefOr<RequestBody>>) -> bool {
        matches!(body, Some(RefOr::T(body)) if body.content.contains_key("application/json"))
    }
}

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let parameters = operation.parameters.as_deref().unwrap_or_default();
                // `{id}`, `{leave_id}`: the path names an object, which may not exist.
                let names_an_object = parameters.iter().any(|p| {
                    matches!(p, RefOr::T(p)
                        if p.parameter_in == ParameterIn::Path && p.name.ends_with("id"))
                });
                if !parameters.is_empty() || operation.request_body.is_some() {
                    Self::add(
                        operation,
                        400,
                        "malformed: a body that is not JSON or not of the documented shape, or \
                         a path or query parameter that cannot be read",
                    );
                }
                if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    Self::add(
                        operation,
                        401,
                        "no token, or one that has expired or was revoked: log in again",
                    );
                }
                if names_an_object {
                    Self::add(operation, 404, "nothing with this id in your organization");
                }
                if Self::takes_json(operation.request_body.as_ref()) {
                    Self::add(
                        operation,
                        413,
                        &format!("the body is larger than {} KiB", JSON_LIMIT_BYTES / 1024),
                    );
                    Self::add(
                        operation,
                        415,
                        "the body is not sent as Content-Type: application/json",
                    );
                }
                if path != "/healthz" {
                    Self::add(operation, 503, "the database cannot be reached");
                }
                // OpenAPI requires a description on every response.
                for (status, response) in operation.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response {
                        if response.description.is_empty() {
                            response.description = status
                                .parse::<u16>()
                                .ok()
                                .and_then(|s| actix_web::http::StatusCode::from_u16(s).ok())
                                .and_then(|s| s.canonical_reason())
                                .unwrap_or("the answer")
                                .to_string();
                        }
                    }
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "health-checkin", description = "Daily health check-in service"),
    paths(
        health::healthz,
        health::readyz,
        health::metrics,
        auth::login,
        auth::set_password,
        auth::forgot_password,
        auth::me,
        sessions::logout,
        sessions::sign_out_everywhere,
        sessions::sign_out_person_everywhere,
        privacy::export,
        privacy::access_log,
        checkins::day_view,
        checkins::submit,
        checkins::history,
        checkins::revisions,
        checkins::person_day,
        checkins::file_for,
        cases::list,
        cases::get_one,
        cases::update,
        cases::csv,
        webhooks::list,
        webhooks::create,
        webhooks::delete,
        departments::list,
        departments::get_one,
        departments::create,
        departments::update,
        departments::delete,
        employees::list,
        employees::get_one,
        employees::create,
        employees::import_csv,
        employees::update,
        employees::deactivate,
        employees::list_leave,
        employees::add_leave,
        employees::delete_leave,
        employees::resend_invitation,
        employees::erase,
        organization::get_org,
        organization::put_org,
        forms::current,
        forms::save,
        forms::versions,
        forms::one_version,
        forms::templates,
        forms::recompute,
        reports::daily,
        reports::trend,
        reports::unreported,
        reports::abnormal,
        charts::trend_svg,
        charts::daily_svg,
        exports::checkins_csv,
        exports::checkins_xlsx,
        audit::list,
        reminders::remind,
        reminders::list,
        reminders::resend,
    ),
    components(schemas(ErrorResponse, employees::ActiveFilter)),
    modifiers(&BearerAuth, &CommonResponses)
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(openapi_json));
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
