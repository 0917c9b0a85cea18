//! One connection type over both databases; the backend comes from the URL's scheme.

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConn {
    /// A transaction that intends to write. On SQLite it starts with `BEGIN IMMEDIATE`, so a
    /// second writer waits for the busy timeout instead of failing when it upgrades its lock.
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        match self {
            DbConn::Sqlite(c) => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
            }
            DbConn::Postgres(c) => AnsiTransactionManager::begin_transaction(c)?,
        }
        match f(self) {
            Ok(value) => {
                if let Err(commit_error) =
                    <DbConn as Connection>::TransactionManager::commit_transaction(self)
                {
                    let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(self);
                    return Err(commit_error.into());
                }
                Ok(value)
            }
            Err(error) => {
                <DbConn as Connection>::TransactionManager::rollback_transaction(self)?;
                Err(error)
            }
        }
    }

    pub fn batch(&mut self, sql: &str) -> diesel::QueryResult<()> {
        match self {
            DbConn::Sqlite(c) => c.batch_execute(sql),
            DbConn::Postgres(c) => c.batch_execute(sql),
        }
    }
}
