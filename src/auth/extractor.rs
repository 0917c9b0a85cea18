//! `AuthUser`: the bearer token checked, the person and their organization loaded, active.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::jwt::{Purpose, TokenError};
use crate::db::organizations::OrganizationRow;
use crate::db::users::UserRow;
use crate::domain::{LocalCalendar, OrgSettings, Role};
use crate::error::ApiError;
use crate::services::Caller;
use crate::state::AppState;

#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user: UserRow,
    pub org: OrganizationRow,
    pub role: Role,
    /// The person's own zone where set, else the organization's.
    pub tz: Tz,
    /// The token this request came with.
    pub token: SessionToken,
}

/// A login token by its id, and when it expires by itself.
#[derive(Clone, Debug)]
pub struct SessionToken {
    pub id: String,
    pub expires_at: DateTime<Utc>,
}

impl AuthUser {
    pub fn id(&self) -> &str {
        &self.user.id
    }

    pub fn org_id(&self) -> &str {
        &self.org.id
    }

    /// The organization's settings; stored ones that do not parse are a 500 whose log names
    /// the organization and the problem.
    pub fn settings(&self) -> Result<OrgSettings, ApiError> {
        Ok(self.org.settings()?)
    }

    /// The organization's zone, in which reports count days.
    pub fn org_tz(&self) -> Tz {
        crate::reports::counts::org_tz(&self.org)
    }

    /// The caller, as the features' rules see them.
    pub fn caller(&self) -> Caller<'_> {
        Caller {
            org: &self.org,
            id: self.id(),
            role: self.role,
        }
    }

    pub fn calendar(&self, state: &AppState) -> LocalCalendar {
        LocalCalendar::new(self.tz, state.clock.now())
    }

    /// The one place where roles are checked.
    pub fn require(&self, at_least: Role) -> Result<(), ApiError> {
        if self.role >= at_least {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

pub fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("log in first: the Authorization header is missing"))?
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not readable"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer TOKEN`"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthorized(
            "the Authorization header must be `Bearer TOKEN`",
        ));
    }
    Ok(token.trim().to_string())
}

pub async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    let claims = state
        .jwt
        .verify(token, Purpose::Login, state.clock.now())
        .map_err(|e| match e {
            TokenError::Expired => ApiError::unauthorized("your session has expired; log in again"),
            _ => ApiError::unauthorized("the token is not valid; log in again"),
        })?;
    let signed_out = || ApiError::unauthorized("this session was signed out; log in again");
    // A session from before tokens had ids could not be ended alone: it must log in again.
    let token = SessionToken {
        id: claims.jti.clone().ok_or_else(signed_out)?,
        expires_at: DateTime::from_timestamp(claims.exp, 0)
            .ok_or_else(|| ApiError::unauthorized("the token is not valid; log in again"))?,
    };
    let (user_id, token_id) = (claims.sub.clone(), token.id.clone());
    let found = state.holder_of(user_id, token_id).await?;
    let Some((user, org, revoked)) = found else {
        return Err(ApiError::unauthorized(
            "the token is not valid; log in again",
        ));
    };
    if revoked || !user.active || user.token_version != claims.ver || user.org_id != claims.org {
        return Err(signed_out());
    }
    let role = user
        .role
        .parse::<Role>()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("stored role: {e}")))?;
    let tz = crate::reports::counts::person_tz(user.timezone.as_deref(), &org);
    Ok(AuthUser {
        user,
        org,
        role,
        tz,
        token,
    })
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app state")))?;
            authenticate(&state, &token?).await
        })
    }
}
