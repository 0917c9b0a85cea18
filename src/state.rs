//! What every request handler can reach: the pool, the clock, the keys and the settings.

use std::sync::Arc;

use actix_web::web;
use chrono::Duration;

use crate::auth::rate_limit::RateLimiter;
use crate::auth::JwtKeys;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::db::{ConnectionManager, DbConn, Pool};
use crate::email::Mailer;
use crate::error::ApiError;
use crate::invitations::Links;

/// Failed logins allowed per e-mail address in `LOGIN_WINDOW_MINUTES`.
const LOGIN_FAILURES_ALLOWED: usize = 10;
const LOGIN_WINDOW_MINUTES: i64 = 15;

pub struct AppState {
    pub settings: Settings,
    pub pool: Pool,
    pub clock: SharedClock,
    pub jwt: JwtKeys,
    pub login_failures: RateLimiter,
    /// Reset requests per e-mail address, and per client address.
    pub reset_per_email: RateLimiter,
    pub reset_per_client: RateLimiter,
    pub mailer: Mailer,
}

pub type SharedState = web::Data<AppState>;

impl AppState {
    /// What set-password links are signed with and where they lead.
    pub fn links(&self) -> Links<'_> {
        Links::new(&self.jwt, &self.settings.public_url)
    }

    pub fn new(
        settings: Settings,
        pool: Pool,
        clock: SharedClock,
        jwt: JwtKeys,
        mailer: Mailer,
    ) -> Self {
        Self {
            settings,
            pool,
            clock,
            jwt,
            login_failures: RateLimiter::new(
                LOGIN_FAILURES_ALLOWED,
                Duration::minutes(LOGIN_WINDOW_MINUTES),
            ),
            reset_per_email: RateLimiter::new(3, Duration::hours(1)),
            reset_per_client: RateLimiter::new(30, Duration::hours(1)),
            mailer,
        }
    }

    /// Runs database work on the blocking pool, never on an actix worker thread.
    pub async fn db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await?
    }

    /// Runs `work` on the blocking pool with a connection of its own, opened outside the pool
    /// and set up as the pool's are, which `work` may keep: for work that lasts as long as a
    /// client takes (a download), which must not hold one of the pool's connections meanwhile.
    pub async fn with_own_connection<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let manager = ConnectionManager::new(self.settings.database_url.clone());
        web::block(move || {
            let conn = manager.establish().map_err(|e| {
                tracing::warn!(error = %e, "no database connection available");
                ApiError::Unavailable
            })?;
            work(conn)
        })
        .await?
    }

    pub fn session_ttl(&self) -> Duration {
        Duration::hours(self.settings.session_hours)
    }
}

pub fn shared(state: AppState) -> Arc<AppState> {
    Arc::new(state)
}
