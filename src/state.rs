//! What every request handler can reach: the pool, the clock, the keys and the settings.

use std::future::Future;
use std::sync::Arc;

use actix_web::web;
use chrono::{DateTime, Duration, Utc};

use crate::auth::flood_guard::FloodGuard;
use crate::auth::hashing::PasswordWork;
use crate::auth::{AuthUser, JwtKeys};
use crate::clock::SharedClock;
use crate::config::{DatabaseUrl, Settings};
use crate::db::first_checkins::{self, FirstCheckin, FirstCheckins};
use crate::db::group_commit::GroupCommit;
use crate::db::sessions::{self, Holder, HolderLookup, HolderLookups};
use crate::db::{ConnectionManager, DbConn, Pool};
use crate::email::Mailer;
use crate::error::ApiError;
use crate::invitations::Links;
use crate::services::checkins::{Prepared, SubmitOutcome};
use crate::services::limits::LoginLimits;
use crate::services::Caller;

pub struct AppState {
    pub settings: Settings,
    pub pool: Pool,
    pub clock: SharedClock,
    pub jwt: JwtKeys,
    /// Keeps one client's flood of anonymous requests off the pool (the limits themselves
    /// are in the database).
    pub flood_guard: FloodGuard,
    pub mailer: Mailer,
    /// Where every password of a request is hashed or checked: never on the blocking pool,
    /// which the database work needs.
    pub passwords: PasswordWork,
    /// Work a handler leaves running after it has answered.
    pub detached: Detached,
    /// Where the morning's many small writes share transactions, on SQLite.
    grouped_writes: Option<GroupCommit>,
    /// Where the morning's first check-ins are stored in batches, on PostgreSQL.
    first_checkins: Option<FirstCheckins>,
    /// Where the tokens of requests are looked up in batches, on PostgreSQL.
    holder_lookups: Option<HolderLookups>,
    /// Set when the process begins to stop; the background jobs watch it.
    pub stopping: crate::jobs::Stopping,
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Which scheduled jobs this instance runs now (see `db::job_lock`).
    pub job_locks: std::sync::Arc<crate::db::job_lock::JobLocks>,
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
        let flood_guard = FloodGuard::new(settings.auth_requests_per_minute, clock.clone());
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let (grouped_writes, first_checkins, holder_lookups) = match settings.database_url {
            // One transaction writes at a time there, so it pays to let it write many.
            DatabaseUrl::Sqlite(_) => (
                Some(GroupCommit::start(pool.clone(), metrics.writer())),
                None,
                None,
            ),
            // Transactions run side by side there; what costs is each request's round trips,
            // which set statements over a batch save (see `db::batches`).
            DatabaseUrl::Postgres(_) => (
                None,
                Some(first_checkins::start(pool.clone())),
                Some(sessions::start_holder_lookups(pool.clone())),
            ),
        };
        let job_locks = crate::db::job_lock::JobLocks::for_database(&settings.database_url);
        Self {
            settings,
            pool,
            clock,
            jwt,
            flood_guard,
            mailer,
            passwords: PasswordWork::per_core(),
            detached: Detached::default(),
            grouped_writes,
            first_checkins,
            holder_lookups,
            stopping: crate::jobs::Stopping::default(),
            metrics,
            job_locks,
        }
    }

    /// Runs database work on the blocking pool, never on an actix worker thread.
    pub async fn db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let metrics = self.metrics.clone();
        // The request's span goes along, so that what the rules log carries its id.
        let span = tracing::Span::current();
        web::block(move || {
            let _request = span.enter();
            let waiting = metrics.waiting_for_connection();
            let mut conn = pool.get()?;
            drop(waiting);
            work(&mut conn)
        })
        .await?
    }

    /// The person a login token names, with their organization, and whether the token was
    /// revoked (see `sessions::holder_of`): on PostgreSQL looked up with the other requests'
    /// tokens of the moment; on SQLite on this worker when a pool connection is idle.
    pub async fn holder_of(
        &self,
        user_id: String,
        jti: String,
    ) -> Result<Option<Holder>, ApiError> {
        if let Some(lookups) = &self.holder_lookups {
            let lookup = HolderLookup {
                user_id: user_id.clone(),
                jti: jti.clone(),
            };
            if let Some(found) = lookups.run(lookup).await {
                return Ok(found);
            }
        }
        // On SQLite the check is one short statement in the process itself (a few reads by
        // key), shorter than the two thread switches to the blocking pool and back; it is made
        // here only with an idle connection, so this worker never waits for one.
        if matches!(self.settings.database_url, DatabaseUrl::Sqlite(_)) {
            if let Some(mut conn) = self.pool.try_get() {
                return Ok(sessions::holder_of(&mut conn, &user_id, &jti)?);
            }
        }
        self.db(move |conn| Ok(sessions::holder_of(conn, &user_id, &jti)?))
            .await
    }

    /// Runs a short write that makes its own transaction: on SQLite in the next group
    /// commit's batch (see `db::group_commit`), answered once the batch is stored; on
    /// PostgreSQL as `db` does.
    pub async fn write_grouped<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        match &self.grouped_writes {
            Some(grouped) => grouped.run(work).await,
            None => self.db(work).await,
        }
    }

    /// Submits a check-in. A first check-in of today that `quick` makes without the database
    /// goes into a batch of first check-ins: on SQLite the group commit's next batch, on
    /// PostgreSQL a batch writer's. On PostgreSQL, when `quick` makes none, `prepare` reads
    /// what it needs and may hand one back for a batch. Everything else, and whatever a
    /// batch did not store, goes through `submit`: on SQLite in a group commit's batch. All
    /// are given `given`, which is copied only on PostgreSQL.
    pub async fn submit_checkin<G, Q, P, S>(
        &self,
        given: G,
        quick: Q,
        prepare: P,
        submit: S,
    ) -> Result<SubmitOutcome, ApiError>
    where
        G: Clone + Send + 'static,
        Q: FnOnce(&G) -> Option<FirstCheckin>,
        P: FnOnce(&mut DbConn, G) -> Result<Prepared, ApiError> + Send + 'static,
        S: FnOnce(&mut DbConn, G) -> Result<SubmitOutcome, ApiError> + Send + 'static,
    {
        // Most of the morning: judged here on the worker, stored by a batch, one hop in all.
        if let Some(first) = quick(&given) {
            if let Some(stored) = self.store_first_in_batch(first).await {
                return Ok(stored);
            }
            return self.write_grouped(move |conn| submit(conn, given)).await;
        }
        if self.first_checkins.is_none() {
            return self.write_grouped(move |conn| submit(conn, given)).await;
        }
        let again = given.clone();
        match self.db(move |conn| prepare(conn, given)).await? {
            Prepared::Done(outcome) => Ok(outcome),
            Prepared::First(first) => match self.store_first_in_batch(first).await {
                Some(stored) => Ok(stored),
                None => self.write_grouped(move |conn| submit(conn, again)).await,
            },
        }
    }

    /// A first check-in stored by this database's batches (see `db::first_checkins`), or
    /// `None` when it must be submitted the ordinary way.
    async fn store_first_in_batch(&self, first: FirstCheckin) -> Option<SubmitOutcome> {
        let row = match (&self.grouped_writes, &self.first_checkins) {
            (Some(grouped), _) => grouped.store_first(first).await,
            (None, Some(batches)) => batches.run(first).await,
            (None, None) => None,
        }?;
        self.metrics.first_checkin_in_batch();
        Some(SubmitOutcome::Created(row))
    }

    /// Runs one of the features' rules on the blocking pool for `user`, as the caller the
    /// rules see, at the clock's instant: what most handlers do between parsing and answering.
    pub async fn as_caller<T, E, F>(&self, user: AuthUser, rule: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn, &Caller<'_>, DateTime<Utc>) -> Result<T, E> + Send + 'static,
        ApiError: From<E>,
        T: Send + 'static,
    {
        let now = self.clock.now();
        self.db(move |conn| Ok(rule(conn, &user.caller(), now)?))
            .await
    }

    /// Runs `work` on the blocking pool with `N` connections of its own, opened outside the
    /// pool and set up as the pool's are, which `work` may keep: for work that lasts as long
    /// as a client takes (a download), which must not hold the pool's connections meanwhile.
    pub async fn with_own_connections<const N: usize, T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce([DbConn; N]) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let manager = ConnectionManager::new(self.settings.database_url.clone());
        web::block(move || {
            let opened = (0..N)
                .map(|_| manager.establish())
                .collect::<Result<Vec<DbConn>, _>>()
                .map_err(|e| {
                    tracing::warn!(error = %e, "no database connection available");
                    ApiError::Unavailable
                })?;
            let conns: [DbConn; N] = opened.try_into().map_err(|_| ApiError::Unavailable)?;
            work(conns)
        })
        .await?
    }

    pub fn session_ttl(&self) -> Duration {
        Duration::hours(self.settings.session_hours)
    }

    /// The login limits the settings set.
    pub fn login_limits(&self) -> LoginLimits {
        LoginLimits {
            failures_per_client: self.settings.login_failures_per_client,
        }
    }
}

/// Work that goes on after the answer was sent, counted so that a test (or anyone who must
/// know it is over) can wait for it.
#[derive(Default)]
pub struct Detached {
    running: Arc<tokio::sync::watch::Sender<usize>>,
}

/// Counts one piece of detached work as done when dropped, also when it panicked.
struct Running(Arc<tokio::sync::watch::Sender<usize>>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

impl Detached {
    /// Runs `work` on the current worker without making anyone wait for it.
    pub fn spawn(&self, work: impl Future<Output = ()> + 'static) {
        self.running.send_modify(|n| *n += 1);
        let running = Running(Arc::clone(&self.running));
        actix_web::rt::spawn(async move {
            work.await;
            drop(running);
        });
    }

    /// Waits until no detached work is left.
    pub async fn finished(&self) {
        let _ = self.running.subscribe().wait_for(|n| *n == 0).await;
    }
}

pub fn shared(state: AppState) -> Arc<AppState> {
    Arc::new(state)
}
