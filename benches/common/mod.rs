//! What the benchmarks share: a scratch PostgreSQL database on the server that
//! `BENCH_DATABASE_URL` names, dropped afterwards; the release server as a child process;
//! concurrent clients and their latencies.

// Each benchmark uses its own part of these.
#![allow(dead_code)]

pub mod load;
pub mod server;

use diesel::{Connection, PgConnection, RunQueryDsl};
use health_checkin::config::DatabaseUrl;

pub struct ScratchPg {
    admin: PgConnection,
    name: String,
    pub url: DatabaseUrl,
}

impl ScratchPg {
    /// A fresh database when `BENCH_DATABASE_URL` is set; `None` runs SQLite only.
    pub fn from_env() -> anyhow::Result<Option<Self>> {
        let Ok(server) = std::env::var("BENCH_DATABASE_URL") else {
            return Ok(None);
        };
        let name = format!("hc_bench_{}", health_checkin::db::new_id().replace('-', ""));
        let mut admin = PgConnection::establish(&server)?;
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin)?;
        let mut url = url::Url::parse(&server)?;
        url.set_path(&name);
        Ok(Some(Self {
            admin,
            name,
            url: DatabaseUrl::Postgres(url.to_string()),
        }))
    }

    pub fn drop_db(mut self) -> anyhow::Result<()> {
        diesel::sql_query(format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(&mut self.admin)?;
        Ok(())
    }
}
