//! The morning rush: 100,000 people imported, then 64 clients at once each submitting a
//! different person's first check-in of the day to the release server, every acknowledged
//! check-in looked for in the database afterwards. Measured in the same run: a minimal
//! actix-web JSON echo (the ceiling), `GET /api/v1/me`, and on PostgreSQL pgbench's
//! single-row insert on the same server.
//!
//! cargo bench --bench rush
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench rush
//! (BENCH_PHASE_SECS sets how long each phase runs, 5 s by default.)

mod common;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use chrono::Utc;
use diesel::prelude::*;
use health_checkin::auth::{JwtKeys, Purpose};
use health_checkin::config::DatabaseUrl;
use health_checkin::db::schema::{checkins, users};
use health_checkin::db::{self, db_time};
use health_checkin::domain::LocalCalendar;
use health_checkin::import;
use health_checkin::provisioning::{create_organization, NewOrganization};
use serde_json::{json, Value};

use common::load::{drive, load, Timings};
use common::server::{cpu_seconds_of, Server};
use common::ScratchPg;

const PEOPLE: usize = 100_000;
const DEPARTMENTS: usize = 500;
const CLIENTS: usize = 64;
const JWT_SECRET: &str = "bench-secret-bench-secret-bench-secret";

fn phase_time() -> Duration {
    let secs = std::env::var("BENCH_PHASE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    Duration::from_secs(secs)
}

/// The organization, imported from a CSV as an admin would; returns its id and a login
/// token for each person, made with the server's own key code.
fn seed(url: &DatabaseUrl) -> anyhow::Result<(String, Vec<String>)> {
    let pool = db::connect_pool(url, 1)?;
    let mut conn = pool.get()?;
    db::run_migrations(&mut conn)?;
    let now = Utc::now();
    let keys = JwtKeys::new(JWT_SECRET.as_bytes());
    let created = create_organization(
        &mut conn,
        &keys,
        "http://127.0.0.1",
        now - chrono::Duration::days(2),
        NewOrganization {
            name: "Rush".into(),
            timezone: "Asia/Shanghai".into(),
            admin_email: "admin@rush.test".into(),
            admin_name: None,
            admin_password: None,
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let org_id = created.org.id;
    let mut csv = String::from("email,name,employee_no,department,role\n");
    for i in 0..PEOPLE {
        let d = i % DEPARTMENTS;
        let _ = writeln!(
            csv,
            "p{i:06}@rush.test,Person {i},E{i:06},Division {}/Team {d},staff",
            d / 25
        );
    }
    let run = import::Run {
        org_id: &org_id,
        actor: None,
        dry_run: false,
        // Joined two days ago: today is owed.
        now: db_time(now - chrono::Duration::days(2)),
    };
    let report = import::import(&mut conn, &run, &csv, None)?;
    anyhow::ensure!(report.errors.is_empty(), "the import failed");
    let people: Vec<(String, i32)> = users::table
        .filter(users::org_id.eq(&org_id))
        .filter(users::role.eq("staff"))
        .select((users::id, users::token_version))
        .load(&mut *conn as &mut db::DbConn)?;
    let tokens = people
        .iter()
        .map(|(id, version)| {
            keys.issue(
                id,
                &org_id,
                *version,
                Purpose::Login,
                now,
                chrono::Duration::hours(12),
            )
            .map(|(token, _)| token)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok((org_id, tokens))
}

/// A minimal actix-web handler that echoes JSON, on its own threads: what this machine
/// answers when a request does nothing.
fn start_echo() -> anyhow::Result<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            let server = HttpServer::new(|| {
                App::new().route(
                    "/echo",
                    web::put().to(|body: web::Json<Value>| async move {
                        HttpResponse::Created().json(body.into_inner())
                    }),
                )
            })
            .bind("127.0.0.1:0");
            let server = match server {
                Ok(server) => server,
                Err(e) => {
                    let _ = tx.send(Err(e.to_string()));
                    return;
                }
            };
            let address = server.addrs().first().copied();
            let _ = tx.send(address.ok_or_else(|| "no address".to_string()));
            let _ = server.run().await;
        });
    });
    let address = rx.recv()?.map_err(|e| anyhow::anyhow!(e))?;
    Ok(format!("http://{address}/echo"))
}

fn body() -> Value {
    json!({"answers": {
        "temperature": 36.5, "symptoms": [], "location": "Shanghai", "work_status": "office",
        "close_contact": false, "travel_to_risk_area": false, "health_code": "green"
    }})
}

/// `CLIENTS` loops, each submitting the next person's first check-in until `time` is up or
/// everyone has reported; a 201 is an acknowledged check-in.
async fn rush(base: &str, tokens: Arc<Vec<String>>, time: Duration) -> Timings {
    let client = reqwest::Client::new();
    let taken = AtomicUsize::new(0);
    let url = format!("{base}/api/v1/checkins/today");
    let body = body();
    let next = move |_| {
        let token = tokens.get(taken.fetch_add(1, Ordering::Relaxed))?;
        Some(client.put(&url).bearer_auth(token).json(&body))
    };
    drive(CLIENTS, time, next, |status| {
        status == reqwest::StatusCode::CREATED
    })
    .await
}

/// The CPU each request of a phase cost the server and this process (the load generator),
/// from their CPU time before the phase; the database's own processes are not counted.
fn cpu_per_request(
    server: &Server,
    (server_before, load_before): (f64, f64),
    phase: &Timings,
) -> String {
    let requests = (phase.took.len() + phase.failed).max(1) as f64;
    let server_us = (server.cpu_seconds() - server_before) / requests * 1e6;
    let load_us = (cpu_seconds_of("/proc/self") - load_before) / requests * 1e6;
    format!("  CPU per request: server {server_us:.0} µs, load generator {load_us:.0} µs")
}

/// pgbench's single-row insert at the same concurrency, in transactions per second, where
/// pgbench is installed.
fn pgbench(url: &str, time: Duration) -> anyhow::Result<Option<f64>> {
    let found = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|version| version.path().join("bin/pgbench"))
        .find(|path| path.exists());
    let Some(pgbench) = found else {
        return Ok(None);
    };
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query(
        "CREATE TABLE rush_pgbench (id BIGSERIAL PRIMARY KEY, day DATE, answers TEXT)",
    )
    .execute(&mut conn)?;
    let script = tempfile::NamedTempFile::new()?;
    std::fs::write(
        script.path(),
        "INSERT INTO rush_pgbench (day, answers) VALUES (CURRENT_DATE, '{\"temperature\":36.5}');\n",
    )?;
    let out = std::process::Command::new(pgbench)
        .args(["-n", "-c", &CLIENTS.to_string(), "-j", "2", "-T"])
        .arg(time.as_secs().max(1).to_string())
        .arg("-f")
        .arg(script.path())
        .arg(url)
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|tps| tps.parse().ok()))
}

/// What SQLite's one writer has done so far, from the server's `/metrics`: batches, the
/// writes in them, and the seconds spent in batches and in their commits.
#[derive(Clone, Copy, Default)]
struct WriterTotals {
    batches: f64,
    writes: f64,
    busy_secs: f64,
    commit_secs: f64,
}

async fn writer_totals(client: &reqwest::Client, base: &str) -> Option<WriterTotals> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let value = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
    };
    Some(WriterTotals {
        batches: value("hc_db_writer_batch_jobs_count")?,
        writes: value("hc_db_writer_batch_jobs_sum")?,
        busy_secs: value("hc_db_writer_batch_seconds_sum")?,
        commit_secs: value("hc_db_writer_commit_seconds_sum")?,
    })
}

/// The writer over a phase: how large its batches were, and what share of the phase it was
/// busy and committing: with 64 clients, a request of the rush on SQLite mostly waits for it.
fn writer_line(before: WriterTotals, after: WriterTotals, phase: &Timings) -> String {
    let batches = after.batches - before.batches;
    let secs = phase.elapsed.as_secs_f64();
    format!(
        "  SQLite writer: {batches:.0} batches of {:.1} writes, busy {:.0} % of the phase, \
         committing {:.0} %",
        (after.writes - before.writes) / batches.max(1.0),
        100.0 * (after.busy_secs - before.busy_secs) / secs,
        100.0 * (after.commit_secs - before.commit_secs) / secs,
    )
}

/// The organization's check-ins of today, in its zone.
fn stored_today(url: &DatabaseUrl, org_id: &str) -> anyhow::Result<i64> {
    let pool = db::connect_pool(url, 1)?;
    let mut conn = pool.get()?;
    let today = LocalCalendar::new(chrono_tz::Asia::Shanghai, Utc::now()).today();
    Ok(checkins::table
        .filter(checkins::org_id.eq(org_id))
        .filter(checkins::day.eq(today))
        .count()
        .get_result(&mut *conn as &mut db::DbConn)?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let phase = phase_time();
    let dir = tempfile::tempdir()?;
    let scratch = ScratchPg::from_env()?;
    let url = match &scratch {
        Some(pg) => pg.url.clone(),
        None => DatabaseUrl::Sqlite(dir.path().join("rush.sqlite3")),
    };
    let label = if scratch.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let seeding = Instant::now();
    let (org_id, tokens) = seed(&url)?;
    println!(
        "{label}: imported {PEOPLE} people and made their tokens in {:.1} s; {CLIENTS} clients",
        seeding.elapsed().as_secs_f64()
    );
    let tokens = Arc::new(tokens);

    let echo = start_echo()?;
    let client = reqwest::Client::new();
    let echo_body = body();
    let ceiling = load(CLIENTS, phase, |_| client.put(&echo).json(&echo_body)).await;
    println!("{}", ceiling.line("ceiling: actix JSON echo"));
    let ratio = |t: &Timings| t.per_sec() / ceiling.per_sec();

    let server = Server::start(dir.path(), &url, JWT_SECRET, &[])?;
    let base = server.base.clone();
    let me_url = format!("{base}/api/v1/me");
    let cpu_before_me = (server.cpu_seconds(), cpu_seconds_of("/proc/self"));
    let me = load(CLIENTS, phase, |n| {
        client
            .get(&me_url)
            .bearer_auth(&tokens[n * 997 % tokens.len()])
    })
    .await;
    let me_cpu = cpu_per_request(&server, cpu_before_me, &me);
    println!(
        "{}   {:.3} of the ceiling",
        me.line("GET /api/v1/me"),
        ratio(&me)
    );
    println!("{me_cpu}");

    let rss_before = server.memory_mib("VmRSS");
    server.reset_peak();
    let writer_before = writer_totals(&client, &base).await;
    let cpu_before_rush = (server.cpu_seconds(), cpu_seconds_of("/proc/self"));
    let rushed = rush(&base, tokens.clone(), phase).await;
    let rush_cpu = cpu_per_request(&server, cpu_before_rush, &rushed);
    let writer_after = writer_totals(&client, &base).await;
    let peak = server.memory_mib("VmHWM");
    println!(
        "{}   {:.3} of the ceiling",
        rushed.line("first check-ins (201)"),
        ratio(&rushed)
    );
    println!("{rush_cpu}");
    // PostgreSQL has no such writer, and `/metrics` there has none of its series.
    if let (Some(before), Some(after)) = (writer_before, writer_after) {
        if after.batches > before.batches {
            println!("{}", writer_line(before, after, &rushed));
        }
    }
    println!("server memory: {rss_before:.0} MiB before the rush, peak {peak:.0} MiB");
    drop(server);

    // Each request was a different person's first check-in: with no failed request, every
    // row is an acknowledged one and there must be exactly as many; a failed request may
    // still have stored its row.
    let stored = stored_today(&url, &org_id)?;
    let acknowledged = rushed.took.len() as i64;
    let none_lost = if rushed.failed == 0 {
        stored == acknowledged
    } else {
        stored >= acknowledged
    };
    println!(
        "acknowledged {acknowledged}, failed {}, stored {stored}: {}",
        rushed.failed,
        if none_lost { "none lost" } else { "SOME LOST" }
    );
    if let DatabaseUrl::Postgres(raw) = &url {
        match pgbench(raw, phase)? {
            Some(tps) => println!(
                "pgbench single-row insert, {CLIENTS} clients: {tps:.0} tps; check-ins are {:.3} of it",
                rushed.per_sec() / tps
            ),
            None => println!("pgbench is not installed: no PostgreSQL ceiling"),
        }
    }
    if let Some(pg) = scratch {
        pg.drop_db()?;
    }
    anyhow::ensure!(none_lost, "acknowledged check-ins were lost");
    Ok(())
}
