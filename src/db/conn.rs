//! One connection type over both databases; the backend comes from the URL's scheme.

use diesel::connection::DefaultLoadingMode;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::query_dsl::methods::LoadQuery;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConn {
    /// Hands the rows of `query` to `each` one at a time, never holding the whole answer: on
    /// PostgreSQL in libpq's row-by-row mode, as libpq otherwise keeps every row in memory
    /// before the first is handed over. Slower per row, so for the reads that would hold tens
    /// of MiB at once.
    pub fn each_row<'query, Q, U>(
        &mut self,
        query: Q,
        mut each: impl FnMut(U),
    ) -> diesel::QueryResult<()>
    where
        Q: LoadQuery<'query, PgConnection, U, diesel::pg::PgRowByRowLoadingMode>
            + LoadQuery<'query, SqliteConnection, U, DefaultLoadingMode>
            + 'query,
        U: 'query,
    {
        match self {
            DbConn::Postgres(pg) => {
                for row in query.load_iter::<U, diesel::pg::PgRowByRowLoadingMode>(pg)? {
                    each(row?);
                }
            }
            // SQLite steps through its rows as they are asked for.
            DbConn::Sqlite(sqlite) => {
                for row in query.load_iter::<U, DefaultLoadingMode>(sqlite)? {
                    each(row?);
                }
            }
        }
        Ok(())
    }

    /// A transaction that intends to write. On SQLite it starts with `BEGIN IMMEDIATE`, so a
    /// second writer waits for the busy timeout instead of failing when it upgrades its lock.
    /// Inside a transaction already (a batch of the group commit) it is a savepoint of it.
    pub fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        self.begin_write()?;
        match f(self) {
            Ok(value) => {
                self.commit_write()?;
                Ok(value)
            }
            Err(error) => {
                <DbConn as Connection>::TransactionManager::rollback_transaction(self)?;
                Err(error)
            }
        }
    }

    /// Begins what `write_transaction` runs in: a writing transaction, or a savepoint when
    /// one is open already.
    pub fn begin_write(&mut self) -> diesel::QueryResult<()> {
        if self.in_transaction()? {
            return <DbConn as Connection>::TransactionManager::begin_transaction(self);
        }
        match self {
            DbConn::Sqlite(c) => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
            }
            DbConn::Postgres(c) => AnsiTransactionManager::begin_transaction(c),
        }
    }

    /// Commits what `begin_write` began; when the commit fails, it is rolled back.
    pub fn commit_write(&mut self) -> diesel::QueryResult<()> {
        if let Err(commit_error) =
            <DbConn as Connection>::TransactionManager::commit_transaction(self)
        {
            let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(self);
            return Err(commit_error);
        }
        Ok(())
    }

    /// A transaction whose reads all see one moment: on PostgreSQL `REPEATABLE READ` when it
    /// is the outermost (inside one already, a savepoint sees what that one sees); on SQLite
    /// every transaction reads one snapshot.
    pub fn snapshot<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        let outermost = !self.in_transaction()?;
        self.transaction(|c| {
            if outermost && matches!(c, DbConn::Postgres(_)) {
                c.batch("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")?;
            }
            f(c)
        })
    }

    /// Rolls back whatever is open, after a panic left it in an unknown state.
    pub fn abandon_transaction(&mut self) {
        while matches!(self.in_transaction(), Ok(true)) {
            if <DbConn as Connection>::TransactionManager::rollback_transaction(self).is_err() {
                break;
            }
        }
    }

    fn in_transaction(&mut self) -> diesel::QueryResult<bool> {
        let depth = match self {
            DbConn::Sqlite(c) => {
                AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
            }
            DbConn::Postgres(c) => {
                AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
            }
        }?;
        Ok(depth.is_some())
    }

    pub fn batch(&mut self, sql: &str) -> diesel::QueryResult<()> {
        match self {
            DbConn::Sqlite(c) => c.batch_execute(sql),
            DbConn::Postgres(c) => c.batch_execute(sql),
        }
    }
}
