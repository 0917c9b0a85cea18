//! The OpenAPI 3 document, generated from the handlers' annotations.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::routes::{
    audit, auth, charts, checkins, departments, employees, exports, health, organization,
    reminders, reports,
};

/// The error shape of every failed request.
#[derive(Serialize, ToSchema)]
pub struct ErrorResponse {
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
struct ErrorDetail {
    /// A stable snake_case code, e.g. `validation_failed`.
    code: String,
    message: String,
    /// Only for validation errors: field path → problem.
    fields: Option<std::collections::BTreeMap<String, String>>,
}

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
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "health-checkin", description = "Daily health check-in service"),
    paths(
        health::healthz,
        health::readyz,
        auth::login,
        auth::set_password,
        auth::forgot_password,
        auth::me,
        checkins::day_view,
        checkins::submit,
        checkins::history,
        checkins::revisions,
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
        organization::get_org,
        organization::put_org,
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
    ),
    components(schemas(ErrorResponse)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/openapi.json", web::get().to(openapi_json));
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
