//! How long a 100,000-person CSV import takes, on SQLite and (with BENCH_DATABASE_URL set to a
//! PostgreSQL server URL) on PostgreSQL.
//!
//! cargo bench --bench import
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench import

mod common;

use std::fmt::Write as _;
use std::time::Instant;

use chrono::Utc;
use diesel::prelude::*;
use health_checkin::auth::JwtKeys;
use health_checkin::config::DatabaseUrl;
use health_checkin::db::{self, db_time};
use health_checkin::import;
use health_checkin::provisioning::{create_organization, NewOrganization};

const PEOPLE: usize = 100_000;
const DEPARTMENTS: usize = 500;

fn csv() -> String {
    let mut out = String::from("email,name,employee_no,department,role,manager_of\n");
    for i in 0..PEOPLE {
        let d = i % DEPARTMENTS;
        let role = if i < DEPARTMENTS { "manager" } else { "staff" };
        let manages = if i < DEPARTMENTS {
            format!("Division {}/Team {d}", d / 25)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "person{i:06}@bench.test,Person {i},E{i:06},Division {}/Team {d},{role},{manages}",
            d / 25
        );
    }
    out
}

fn run(label: &str, url: DatabaseUrl, text: &str) -> anyhow::Result<()> {
    let pool = db::connect_pool(&url, 2)?;
    let mut conn = pool.get()?;
    db::run_migrations(&mut conn)?;
    let created = create_organization(
        &mut conn,
        &JwtKeys::new(b"bench-secret-bench-secret-bench-secret"),
        "http://127.0.0.1:8080",
        Utc::now(),
        NewOrganization {
            name: "Bench".into(),
            timezone: "Asia/Shanghai".into(),
            admin_email: format!("admin-{}@bench.test", db::new_id()),
            admin_name: None,
            admin_password: None,
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let org = created.org.id;
    for (what, dry_run) in [
        ("dry run", true),
        ("first import", false),
        ("same file again", false),
    ] {
        let started = Instant::now();
        let run = import::Run {
            org_id: &org,
            actor: None,
            dry_run,
            now: db_time(Utc::now()),
        };
        let report = import::import(&mut conn, &run, text, None)?;
        let took = started.elapsed();
        anyhow::ensure!(
            report.errors.is_empty(),
            "errors: {:?}",
            &report.errors[..3.min(report.errors.len())]
        );
        println!(
            "{label:<10} {what:<16} {:>7.2} s  created {:>6}  unchanged {:>6}  departments {:>3}",
            took.as_secs_f64(),
            report.created,
            report.unchanged,
            report.departments_created
        );
    }
    use health_checkin::db::schema::users;
    let stored: i64 = users::table
        .filter(users::org_id.eq(&org))
        .count()
        .get_result(&mut *conn as &mut health_checkin::db::DbConn)?;
    anyhow::ensure!(stored == PEOPLE as i64 + 1, "stored {stored}");
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let text = csv();
    println!(
        "{} lines, {:.1} MiB",
        PEOPLE,
        text.len() as f64 / 1024.0 / 1024.0
    );
    let dir = tempfile::tempdir()?;
    run(
        "sqlite",
        DatabaseUrl::Sqlite(dir.path().join("bench.sqlite3")),
        &text,
    )?;
    if let Some(pg) = common::ScratchPg::from_env()? {
        let result = run("postgres", pg.url.clone(), &text);
        pg.drop_db()?;
        result?;
    }
    Ok(())
}
