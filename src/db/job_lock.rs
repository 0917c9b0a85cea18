//! Which instance runs a scheduled job: on PostgreSQL, the one that holds the job's advisory
//! lock; the others skip that run. The locks are taken on a connection of their own, outside
//! the pool, so a job holding one never takes a connection from requests (or from itself);
//! when the process dies, the connection closes and its locks go with it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use super::{ConnectionManager, DbConn};
use crate::config::DatabaseUrl;

/// A job that only one instance on a database may run at a time, by its lock number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobKey(pub i64);

/// This instance's side of the jobs' locks.
pub struct JobLocks {
    /// How to open the lock connection; `None` on SQLite, where an instance has its file to
    /// itself and every job's work is idempotent anyway.
    manager: Option<ConnectionManager>,
    conn: Mutex<Option<DbConn>>,
}

/// Held while this instance runs the job; dropping it lets another instance have it.
pub struct JobLock {
    locks: Option<Arc<JobLocks>>,
    key: JobKey,
}

#[derive(QueryableByName)]
struct Answer {
    #[diesel(sql_type = Bool)]
    done: bool,
}

impl JobLocks {
    pub fn for_database(url: &DatabaseUrl) -> Arc<Self> {
        let manager = match url {
            DatabaseUrl::Postgres(_) => Some(ConnectionManager::new(url.clone())),
            DatabaseUrl::Sqlite(_) => None,
        };
        Arc::new(Self {
            manager,
            conn: Mutex::new(None),
        })
    }

    fn connection(&self) -> MutexGuard<'_, Option<DbConn>> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `sql` with the key on the lock connection, opening it when needed. A failure
    /// closes the connection: whatever it held is let go, and the next call opens another.
    fn ask(&self, manager: &ConnectionManager, sql: &str, key: JobKey) -> anyhow::Result<bool> {
        let mut held = self.connection();
        if held.is_none() {
            *held = Some(manager.establish()?);
        }
        let Some(DbConn::Postgres(pg)) = held.as_mut() else {
            anyhow::bail!("the job lock connection is not PostgreSQL's");
        };
        match diesel::sql_query(sql)
            .bind::<BigInt, _>(key.0)
            .get_result::<Answer>(pg)
        {
            Ok(answer) => Ok(answer.done),
            Err(e) => {
                *held = None;
                Err(e.into())
            }
        }
    }

    /// The job's lock, or `None` when another instance holds it now.
    pub fn try_hold(self: &Arc<Self>, key: JobKey) -> anyhow::Result<Option<JobLock>> {
        let Some(manager) = &self.manager else {
            return Ok(Some(JobLock { locks: None, key }));
        };
        let taken = self.ask(manager, "SELECT pg_try_advisory_lock($1) AS done", key)?;
        Ok(taken.then(|| JobLock {
            locks: Some(self.clone()),
            key,
        }))
    }
}

impl Drop for JobLock {
    fn drop(&mut self) {
        let Some(locks) = &self.locks else { return };
        let Some(manager) = &locks.manager else {
            return;
        };
        // On failure the connection was closed, which let go of the lock as well.
        if let Err(e) = locks.ask(manager, "SELECT pg_advisory_unlock($1) AS done", self.key) {
            tracing::warn!(error = %e, "letting go of a job lock failed; its connection was closed");
        }
    }
}
