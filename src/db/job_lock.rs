//! Which instance runs a scheduled job: on PostgreSQL, the one that holds the job's advisory
//! lock; the others skip that run. The lock is a transaction's, on a connection held for the
//! run, so it ends with the run, or with the connection when the process dies.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use super::{DbConn, Pool, PooledConn};

/// A job that only one instance on a database may run at a time, by its lock number.
#[derive(Clone, Copy, Debug)]
pub struct JobKey(pub i64);

/// Held while this instance runs the job; dropping it lets another instance have it.
pub struct JobLock {
    /// The connection whose transaction holds the lock, on PostgreSQL; SQLite needs none, as
    /// an instance has its file to itself and every job's work is idempotent anyway.
    held: Option<PooledConn>,
}

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = Bool)]
    taken: bool,
}

/// The job's lock, or `None` when another instance holds it now.
pub fn try_hold(pool: &Pool, key: JobKey) -> anyhow::Result<Option<JobLock>> {
    let mut conn = pool.get()?;
    let DbConn::Postgres(pg) = &mut **conn else {
        return Ok(Some(JobLock { held: None }));
    };
    AnsiTransactionManager::begin_transaction(pg)?;
    let taken = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS taken")
        .bind::<BigInt, _>(key.0)
        .get_result::<Taken>(pg);
    match taken {
        Ok(Taken { taken: true }) => Ok(Some(JobLock { held: Some(conn) })),
        Ok(Taken { taken: false }) => {
            AnsiTransactionManager::rollback_transaction(pg)?;
            Ok(None)
        }
        Err(e) => {
            let _ = AnsiTransactionManager::rollback_transaction(pg);
            Err(e.into())
        }
    }
}

impl Drop for JobLock {
    fn drop(&mut self) {
        if let Some(conn) = &mut self.held {
            if let DbConn::Postgres(pg) = &mut ***conn {
                // When this fails the transaction manager is left broken, and the pool closes
                // the connection instead of keeping it, which ends the lock too.
                if let Err(e) = AnsiTransactionManager::commit_transaction(pg) {
                    tracing::warn!(error = %e, "releasing a job lock failed");
                }
            }
        }
    }
}
