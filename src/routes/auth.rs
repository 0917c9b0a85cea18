use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::flood_guard::AnonymousClient;
use crate::auth::{AuthUser, Purpose};
use crate::domain::Email;
use crate::error::ApiError;
use crate::error::ErrorResponse;
use crate::routes::{resource, JsonObject};
use crate::services::accounts::{self, Account};
use crate::services::invitations;
use crate::services::limits::{self, LoginAttempt, ResetRequest};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/login").route(web::post().to(login)))
        .service(resource("/auth/set-password").route(web::post().to(set_password)))
        .service(resource("/auth/forgot-password").route(web::post().to(forgot_password)))
        .service(resource("/me").route(web::get().to(me)));
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationSummary {
    pub id: String,
    pub name: String,
    pub timezone: String,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub department_id: Option<String>,
    pub employee_no: Option<String>,
    /// The zone the person's days are counted in.
    pub timezone: String,
    pub locale: Option<String>,
    pub organization: OrganizationSummary,
}

impl Me {
    pub fn new(account: &Account) -> Self {
        let Account { user, org } = account;
        Self {
            id: user.id.clone(),
            name: user.name.clone(),
            email: user.email.clone(),
            role: user.role.clone(),
            department_id: user.department_id.clone(),
            employee_no: user.employee_no.clone(),
            timezone: user
                .timezone
                .clone()
                .unwrap_or_else(|| org.timezone.clone()),
            locale: user.locale.clone(),
            organization: OrganizationSummary {
                id: org.id.clone(),
                name: org.name.clone(),
                timezone: org.timezone.clone(),
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Session {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: Me,
}

/// Exchange an e-mail and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "logged in", body = Session),
              (status = 401, description = "the e-mail or password is wrong (one message for both)", body = ErrorResponse),
              (status = 429, description = "this client failed 10 times for this e-mail, or `HC_LOGIN_FAILURES_PER_CLIENT` times (50) for any, in 15 minutes; or it sent more than `HC_AUTH_REQUESTS_PER_MINUTE` anonymous requests; see Retry-After", body = ErrorResponse),
              (status = 503, description = "too many password checks at once (`busy`; see Retry-After), or the database cannot be reached", body = ErrorResponse)))]
pub async fn login(
    state: web::Data<AppState>,
    body: JsonObject<LoginRequest>,
    client: AnonymousClient,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { email, password } = body.into_inner();
    // A place for the password check comes first: when none is free the answer is 503 at
    // once, before the database is asked and before it counts as a failed try.
    let password_check = state.passwords.reserve()?;
    let now = state.clock.now();
    let limits = state.login_limits();
    let attempt = LoginAttempt::new(&email, client.0);
    let counted = attempt.clone();
    let found = state
        .db(move |conn| Ok(accounts::find_login(conn, &counted, limits, now)?))
        .await?;
    // The password check is slow on purpose: it runs on the password threads, found or not.
    let account = password_check
        .run(move || accounts::check_login(found, &password))
        .await?
        .inspect_err(|_| state.metrics.failed_login())?;
    let account = state
        .db(move |conn| Ok(accounts::logged_in(conn, &attempt, limits, account)?))
        .await?;
    tracing::info!(user_id = %account.user.id, "logged in");
    Ok(HttpResponse::Ok().json(issue_session(&state, &account)?))
}

pub fn issue_session(state: &AppState, account: &Account) -> Result<Session, ApiError> {
    let (token, expires_at) = state
        .jwt
        .issue(
            &account.user.id,
            &account.org.id,
            account.user.token_version,
            Purpose::Login,
            state.clock.now(),
            state.session_ttl(),
        )
        .map_err(ApiError::internal)?;
    Ok(Session {
        token,
        expires_at,
        user: Me::new(account),
    })
}

/// The caller, their role and organization.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "the caller", body = Me)))]
pub async fn me(user: AuthUser) -> HttpResponse {
    let AuthUser { user, org, .. } = user;
    HttpResponse::Ok().json(Me::new(&Account { user, org }))
}

#[derive(Deserialize, ToSchema)]
pub struct SetPasswordRequest {
    /// The token from an invitation or reset link.
    pub token: String,
    /// At least 4 different characters, not a common password, not the e-mail's name.
    #[schema(min_length = 8, max_length = 256)]
    pub password: String,
}

/// Set a password from an invitation or reset link; the link works once. Logs the person in.
#[utoipa::path(post, path = "/api/v1/auth/set-password", tag = "auth", request_body = SetPasswordRequest,
    responses((status = 200, description = "the password is set and the person logged in", body = Session),
              (status = 401, description = "the link is not valid or was sent to an address the person no longer has (`link_invalid`), has expired (`link_expired`), was used (`link_used`), or a newer link of its kind was sent (`link_superseded`)", body = ErrorResponse),
              (status = 422, description = "the password is too weak (`fields.password`)", body = ErrorResponse),
              (status = 429, description = "more than `HC_AUTH_REQUESTS_PER_MINUTE` anonymous requests from this client; see Retry-After", body = ErrorResponse),
              (status = 503, description = "too many password checks at once (`busy`; see Retry-After), or the database cannot be reached", body = ErrorResponse)))]
pub async fn set_password(
    state: web::Data<AppState>,
    body: JsonObject<SetPasswordRequest>,
    _client: AnonymousClient,
) -> Result<HttpResponse, ApiError> {
    let SetPasswordRequest { token, password } = body.into_inner();
    let now = state.clock.now();
    let claims = accounts::link_claims(&state.jwt, &token, now)?;
    let shared = state.clone();
    let holder = state
        .db(move |conn| Ok(accounts::link_holder(conn, &shared.jwt, claims)?))
        .await?;
    // Hashing is slow on purpose: it runs on the password threads, between the two steps
    // that need the database.
    let new = state
        .passwords
        .run(move || holder.with_password(&password))
        .await??;
    let shared = state.clone();
    let account = state
        .db(move |conn| Ok(accounts::set_password(conn, &shared.jwt, new, now)?))
        .await?;
    tracing::info!(user_id = %account.user.id, "password set");
    Ok(HttpResponse::Ok().json(issue_session(&state, &account)?))
}

#[derive(Deserialize, ToSchema)]
pub struct ForgotPasswordRequest {
    pub email: String,
}

#[derive(Serialize, ToSchema)]
pub struct Accepted {
    pub status: &'static str,
}

/// Ask for a reset link. The answer is the same whether or not the address has an account.
#[utoipa::path(post, path = "/api/v1/auth/forgot-password", tag = "auth",
    request_body = ForgotPasswordRequest,
    responses((status = 202, description = "the same answer whether or not the address has an account", body = Accepted),
              (status = 429, description = "3 per address or 30 per client in an hour, or more than `HC_AUTH_REQUESTS_PER_MINUTE` anonymous requests from this client; see Retry-After", body = ErrorResponse)))]
pub async fn forgot_password(
    state: web::Data<AppState>,
    body: JsonObject<ForgotPasswordRequest>,
    client: AnonymousClient,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let request = ResetRequest::new(&body.email, client.0);
    state
        .db(move |conn| Ok(limits::admit_reset(conn, &request, now)?))
        .await?;
    // The answer leaves before the address is looked up, so that it takes as long whether
    // or not an account has it; the lookup and the mail follow.
    if let Ok(email) = Email::parse(&body.email) {
        let shared = state.clone();
        state.detached.spawn(async move {
            let links = shared.clone();
            let queued = shared
                .db(move |conn| Ok(invitations::send_reset(conn, links.links(), &email, now)?))
                .await;
            if let Err(e) = queued {
                tracing::warn!(error = %e, "a reset link could not be queued");
            }
        });
    }
    Ok(HttpResponse::Accepted().json(Accepted {
        status: "if an account uses this address, a reset link is on its way",
    }))
}
