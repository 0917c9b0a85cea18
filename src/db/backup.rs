//! A consistent copy of the SQLite database, taken while the service runs. PostgreSQL has
//! `pg_dump` for this.

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::{ConnectionManager, DbConn};
use crate::config::DatabaseUrl;
use crate::private_files;

/// Writes a copy of the database as of one moment to `to`, a file that must not exist yet,
/// readable by its owner only. Writers go on meanwhile: the copy is one read transaction
/// (`VACUUM INTO`), so it holds every commit before it began and none after. Returns its size.
pub fn backup(url: &DatabaseUrl, to: &Path) -> anyhow::Result<u64> {
    let DatabaseUrl::Sqlite(live) = url else {
        anyhow::bail!(
            "DATABASE_URL names PostgreSQL: back it up with pg_dump (see the README's Backups)"
        );
    };
    // Opening a path with no database would make an empty one, and back that up.
    anyhow::ensure!(
        live.is_file(),
        "DATABASE_URL: there is no database at {}",
        live.display()
    );
    anyhow::ensure!(
        !to.exists(),
        "{} exists already; name a new file",
        to.display()
    );
    let target = to
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("{}: the path is not UTF-8", to.display()))?;
    let mut conn = ConnectionManager::new(url.clone()).establish()?;
    // Created empty and private first: SQLite then writes into it and keeps its mode.
    private_files::private_file(to)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", to.display()))?;
    let copied = match &mut conn {
        DbConn::Sqlite(c) => diesel::sql_query("VACUUM INTO ?")
            .bind::<Text, _>(target)
            .execute(c),
        DbConn::Postgres(_) => unreachable_backend(),
    };
    if let Err(e) = copied {
        let _ = std::fs::remove_file(to);
        anyhow::bail!("the copy to {} failed: {e}", to.display());
    }
    Ok(std::fs::metadata(to)?.len())
}

/// The URL was checked to be SQLite's above.
fn unreachable_backend() -> QueryResult<usize> {
    Err(diesel::result::Error::QueryBuilderError(
        "a PostgreSQL connection for a SQLite URL".into(),
    ))
}
