//! Ending sessions: this one (log out), or all of a person's, on every device.

use actix_web::{web, HttpResponse};

use crate::auth::AuthUser;
use crate::domain::Role;
use crate::error::{AdminsOnly, ApiError, NoSuchPerson};
use crate::routes::resource;
use crate::services::sessions;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/logout").route(web::post().to(logout)))
        .service(resource("/me/sign-out-everywhere").route(web::post().to(sign_out_everywhere)))
        .service(
            resource("/employees/{id}/sign-out-everywhere")
                .route(web::post().to(sign_out_person_everywhere)),
        );
}

/// Log out: the token this is called with stops working; the caller's other sessions go on.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "this token is revoked")))]
pub async fn logout(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let token = user.token;
    state
        .db(move |conn| Ok(sessions::log_out(conn, &token.id, token.expires_at)?))
        .await?;
    tracing::info!(user_id = %user.user.id, "logged out");
    Ok(HttpResponse::NoContent().finish())
}

/// Sign out everywhere: every token of the caller stops working, this one included.
#[utoipa::path(post, path = "/api/v1/me/sign-out-everywhere", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "every session of the caller has ended")))]
pub async fn sign_out_everywhere(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    end_every_session(&state, &user, user.id().to_string()).await
}

/// Sign a person out everywhere (admin): every token they hold stops working, and so does a
/// set-password link they have not used yet.
#[utoipa::path(post, path = "/api/v1/employees/{id}/sign-out-everywhere", tag = "people", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person's id")),
    responses((status = 204, description = "every session of the person has ended"),
              AdminsOnly,
              NoSuchPerson))]
pub async fn sign_out_person_everywhere(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    end_every_session(&state, &user, id.into_inner()).await
}

async fn end_every_session(
    state: &AppState,
    user: &AuthUser,
    person_id: String,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let ended = person_id.clone();
    let caller_user = user.clone();
    state
        .db(move |conn| {
            Ok(sessions::sign_out_everywhere(
                conn,
                &caller_user.caller(),
                &ended,
                now,
            )?)
        })
        .await?;
    tracing::info!(user_id = %user.id(), person_id = %person_id, "signed out everywhere");
    Ok(HttpResponse::NoContent().finish())
}
