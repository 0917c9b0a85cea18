//! The database: connections, the pool, migrations and one module per family of tables.

/// Inserts many rows in one statement. The multi-backend connection cannot batch, so this
/// runs the same insert on whichever concrete connection is inside.
macro_rules! insert_batch {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
            $crate::db::DbConn::Postgres(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
}
pub(crate) use insert_batch;

/// Runs a statement on whichever concrete connection is inside, for the statements every
/// check-in or request runs. There diesel finds its prepared statement by the query's type;
/// through the multi-backend connection it builds the SQL text anew on every run to find it
/// (15% of the SQLite writer's time in the morning rush).
macro_rules! on_inner {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Postgres($c) => $body,
        }
    };
}

pub mod attempts;
pub mod audit;
pub mod backup;
pub mod batches;
pub mod cases;
pub mod checkins;
mod conn;
pub mod departments;
pub mod first_checkins;
pub mod forms;
pub mod group_commit;
pub mod instant;
pub mod job_lock;
pub mod leaves;
pub mod membership;
pub mod organizations;
pub mod outbox;
pub mod reminders;
pub mod retention;
pub mod schema;
pub mod secrets;
pub mod sessions;
pub mod stats;
pub mod users;
pub mod webhooks;

use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::r2d2;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryResult, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use conn::DbConn;

/// The backend type of `DbConn`, for boxed queries.
pub type Backend = <DbConn as diesel::Connection>::Backend;

use crate::config::DatabaseUrl;
use crate::private_files;

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a SQLite writer waits for another before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database at {url}: {cause}")]
    Connect { url: String, cause: String },
    #[error("cannot create the folder for the SQLite file {path}: {cause}")]
    Folder { path: String, cause: std::io::Error },
    #[error("database migrations failed: {0}")]
    Migrate(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// Opens connections of the backend the URL names, and keeps the real cause when it cannot.
#[derive(Clone, Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    pub fn establish(&self) -> Result<DbConn, DbError> {
        let fail = |cause: String| DbError::Connect {
            url: self.url.redacted(),
            cause,
        };
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let location = path.to_string_lossy();
                let mut conn =
                    SqliteConnection::establish(&location).map_err(|e| fail(e.to_string()))?;
                diesel::connection::SimpleConnection::batch_execute(
                    &mut conn,
                    &format!(
                        "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};
                         PRAGMA journal_mode = WAL;
                         PRAGMA synchronous = FULL;
                         PRAGMA foreign_keys = ON;"
                    ),
                )
                .map_err(|e| fail(e.to_string()))?;
                Ok(DbConn::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConn::Postgres)
                .map_err(|e| fail(e.to_string())),
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = HeldConn;
    type Error = DbError;

    fn connect(&self) -> Result<HeldConn, DbError> {
        Ok(HeldConn {
            conn: self.establish()?,
            returned_at: None,
        })
    }

    /// A checkout asks the server whether the connection still stands, unless it was in
    /// use a moment ago: under load that saves a round trip per request, and a server that
    /// went away within the moment fails one request, as it could right after any ping. A
    /// SQLite connection is an open file: nothing can end it from outside, so it is not asked.
    fn is_valid(&self, held: &mut HeldConn) -> Result<(), DbError> {
        let fresh = held
            .returned_at
            .is_some_and(|at| at.elapsed() < TRUSTED_AFTER_USE);
        match &mut held.conn {
            DbConn::Sqlite(_) => Ok(()),
            DbConn::Postgres(_) if fresh => Ok(()),
            conn => conn.batch("SELECT 1").map_err(DbError::from),
        }
    }

    fn has_broken(&self, held: &mut HeldConn) -> bool {
        use diesel::connection::TransactionManager;
        held.returned_at = Some(Instant::now());
        <DbConn as Connection>::TransactionManager::is_broken_transaction_manager(&mut held.conn)
    }
}

/// How long after its last use a pooled connection is taken without asking the server.
const TRUSTED_AFTER_USE: Duration = Duration::from_secs(1);

/// A connection as the pool keeps it: with when it was last given back.
pub struct HeldConn {
    conn: DbConn,
    returned_at: Option<Instant>,
}

impl std::ops::Deref for HeldConn {
    type Target = DbConn;

    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for HeldConn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

/// Runs `read` with PostgreSQL planning each of its statements for the values it is given.
/// After a few runs a kept statement is otherwise planned once without them, from guesses
/// that suit a small organization; for a large one's month of numbers such a plan walks
/// every row by index (70 ms at a million people, against 26 for a scan). Costs a
/// transaction's round trips and a plan per statement; SQLite plans as it always does.
pub fn planned_for_values<T>(
    conn: &mut DbConn,
    read: impl FnOnce(&mut DbConn) -> QueryResult<T>,
) -> QueryResult<T> {
    match conn {
        DbConn::Sqlite(_) => read(conn),
        DbConn::Postgres(_) => conn.transaction(|conn| {
            diesel::sql_query("SET LOCAL plan_cache_mode = force_custom_plan").execute(conn)?;
            read(conn)
        }),
    }
}

/// Opens one connection first, so an unreachable server or a bad path fails with its own words.
pub fn connect_pool(url: &DatabaseUrl, max_size: u32) -> Result<Pool, DbError> {
    ensure_sqlite_folder(url)?;
    let manager = ConnectionManager::new(url.clone());
    let first = manager.establish()?;
    drop(first);
    // Connections open on demand: no background connects that could still be running
    // when a process exits (libpq's TLS and GSS libraries crash on that).
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_secs(10))
        .build(manager)
        .map_err(|e| DbError::Connect {
            url: url.redacted(),
            cause: e.to_string(),
        })
}

/// One connection with the schema up to date, for commands that run once and exit.
pub fn connect_one(url: &DatabaseUrl) -> Result<DbConn, DbError> {
    ensure_sqlite_folder(url)?;
    let mut conn = ConnectionManager::new(url.clone()).establish()?;
    run_migrations(&mut conn)?;
    Ok(conn)
}

fn ensure_sqlite_folder(url: &DatabaseUrl) -> Result<(), DbError> {
    if let DatabaseUrl::Sqlite(path) = url {
        let folder_error = |cause| DbError::Folder {
            path: path.display().to_string(),
            cause,
        };
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            private_files::private_dir(folder).map_err(folder_error)?;
        }
        private_files::private_file(path).map_err(folder_error)?;
    }
    Ok(())
}

/// Applies pending migrations; returns their names. Safe to run from several instances at once.
pub fn run_migrations(conn: &mut DbConn) -> Result<Vec<String>, DbError> {
    let names = |versions: Vec<diesel::migration::MigrationVersion<'_>>| {
        versions.iter().map(|v| v.to_string()).collect::<Vec<_>>()
    };
    match conn {
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(names)
            .map_err(|e| DbError::Migrate(e.to_string())),
        DbConn::Postgres(c) => {
            // Instances starting together take turns instead of racing on the same DDL.
            diesel::connection::SimpleConnection::batch_execute(
                c,
                "SELECT pg_advisory_lock(7234001)",
            )?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(names)
                .map_err(|e| DbError::Migrate(e.to_string()));
            diesel::connection::SimpleConnection::batch_execute(
                c,
                "SELECT pg_advisory_unlock(7234001)",
            )?;
            result
        }
    }
}

/// How the database's schema stands against the migrations built into this binary.
#[derive(Debug)]
pub struct MigrationState {
    pub applied: usize,
    /// Built in and not applied yet: the next start applies them.
    pub pending: Vec<String>,
    /// Applied but not built in: a newer version wrote this schema.
    pub unknown: Vec<String>,
}

/// Reads the schema's state without changing anything: a database that has never been
/// migrated has every migration pending (diesel would create its bookkeeping table to say so).
pub fn migration_state(conn: &mut DbConn) -> Result<MigrationState, DbError> {
    use diesel::migration::MigrationSource;
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let bookkeeping = match conn {
        DbConn::Sqlite(_) => {
            "SELECT COUNT(*) AS n FROM sqlite_master \
                              WHERE type = 'table' AND name = '__diesel_schema_migrations'"
        }
        DbConn::Postgres(_) => {
            "SELECT COUNT(*) AS n FROM information_schema.tables \
                                WHERE table_name = '__diesel_schema_migrations' \
                                AND table_schema = current_schema()"
        }
    };
    let migrated =
        diesel::RunQueryDsl::get_result::<Found>(diesel::sql_query(bookkeeping), conn)?.n > 0;
    if !migrated {
        let failed = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migrate(e.to_string());
        let pending: Vec<String> = match conn {
            DbConn::Sqlite(_) => {
                MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
                    .map_err(failed)?
                    .iter()
                    .map(|m| m.name().version().to_string())
                    .collect()
            }
            DbConn::Postgres(_) => {
                MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS)
                    .map_err(failed)?
                    .iter()
                    .map(|m| m.name().version().to_string())
                    .collect()
            }
        };
        return Ok(MigrationState {
            applied: 0,
            pending,
            unknown: Vec::new(),
        });
    }
    fn state<DB, C>(
        c: &mut C,
        source: EmbeddedMigrations,
    ) -> Result<MigrationState, Box<dyn std::error::Error + Send + Sync>>
    where
        DB: diesel::backend::Backend,
        C: MigrationHarness<DB>,
        EmbeddedMigrations: MigrationSource<DB>,
    {
        let built_in: Vec<String> = MigrationSource::<DB>::migrations(&source)?
            .iter()
            .map(|m| m.name().version().to_string())
            .collect();
        let applied: Vec<String> = c
            .applied_migrations()?
            .iter()
            .map(|v| v.to_string())
            .collect();
        Ok(MigrationState {
            applied: applied.len(),
            pending: built_in
                .iter()
                .filter(|m| !applied.contains(m))
                .cloned()
                .collect(),
            unknown: applied
                .iter()
                .filter(|m| !built_in.contains(m))
                .cloned()
                .collect(),
        })
    }
    match conn {
        DbConn::Sqlite(c) => state(c, SQLITE_MIGRATIONS),
        DbConn::Postgres(c) => state(c, POSTGRES_MIGRATIONS),
    }
    .map_err(|e| DbError::Migrate(e.to_string()))
}

/// A UTC instant as stored: both databases keep microseconds, so the rest is dropped up front.
pub fn db_time(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    use chrono::DurationRound;
    t.duration_trunc(chrono::Duration::microseconds(1))
        .unwrap_or(t)
        .naive_utc()
}

/// A new random identifier, time-ordered so that indexes stay compact.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = Text)]
        compile_options: String,
    }

    /// `.cargo/config.toml` builds the bundled SQLite so that a statement with `LIMIT ?` keeps
    /// its plan (without it, every `.first()` is parsed again on each run), and in
    /// multi-thread mode (no lock on every call to guard a connection no two threads share).
    #[test]
    fn the_bundled_sqlite_keeps_statement_plans_and_takes_no_lock_per_call() {
        let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
            .load::<CompileOption>(&mut conn)
            .expect("compile options")
            .into_iter()
            .map(|o| o.compile_options)
            .collect();
        assert!(
            options.iter().any(|o| o == "ENABLE_QPSG"),
            "SQLite was built without SQLITE_ENABLE_QPSG: {options:?}"
        );
        assert!(
            options.iter().any(|o| o == "THREADSAFE=2"),
            "SQLite was not built for multi-thread mode: {options:?}"
        );
    }
}
