//! Reminder passes at 100,000 people: planning a pass, planning it again (inserts nothing),
//! and delivering it to a local SMTP sink, on SQLite and (with BENCH_DATABASE_URL) on
//! PostgreSQL.
//!
//! cargo bench --bench reminders
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench reminders
//! BENCH_SMTP_CONNECTIONS=16 (default: the service's default, 8) and BENCH_MAILS=20000 (how many
//! of the pass's mails to time the delivery over).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use health_checkin::auth::JwtKeys;
use health_checkin::clock::SystemClock;
use health_checkin::config::{DatabaseUrl, LogFormat, Secret, Settings, DEFAULT_SMTP_CONNECTIONS};
use health_checkin::db::users::{self, UserRow};
use health_checkin::db::{self, db_time, new_id, DbConn};
use health_checkin::email::Mailer;
use health_checkin::jobs::delivery::deliver_due;
use health_checkin::jobs::reminders::plan_due;
use health_checkin::state::AppState;

const PEOPLE: usize = 100_000;

/// A minimal SMTP responder: accepts everything, keeps nothing. One thread per connection,
/// replies written at once (no Nagle delay on this side).
fn start_sink() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = converse(stream);
            });
        }
    });
    Ok(port)
}

fn converse(stream: TcpStream) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    out.write_all(b"220 sink ESMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => out.write_all(b"250 sink\r\n")?,
            "DATA" => {
                out.write_all(b"354 go on\r\n")?;
                loop {
                    line.clear();
                    if reader.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                }
                out.write_all(b"250 queued\r\n")?;
            }
            "QUIT" => {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => out.write_all(b"250 ok\r\n")?,
        }
    }
}

fn seed(conn: &mut DbConn, now: chrono::DateTime<Utc>) -> anyhow::Result<()> {
    let created = health_checkin::provisioning::create_organization(
        conn,
        &JwtKeys::new(b"bench-secret-bench-secret-bench-secret"),
        "http://127.0.0.1",
        now,
        health_checkin::provisioning::NewOrganization {
            name: "Bench".into(),
            timezone: "Asia/Shanghai".into(),
            admin_email: "admin@bench.test".into(),
            admin_name: None,
            admin_password: Some("bench-password-42".into()),
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let since = db_time(now - Duration::days(3));
    let people: Vec<UserRow> = (0..PEOPLE)
        .map(|i| UserRow {
            id: new_id(),
            org_id: created.org.id.clone(),
            email: format!("p{i:06}@bench.test"),
            name: format!("Person {i:06}"),
            employee_no: None,
            role: "staff".into(),
            department_id: None,
            password_hash: None,
            token_version: 0,
            active: true,
            timezone: None,
            // A mix of locales: a body per locale.
            locale: (i % 3 == 0).then(|| "en".to_string()),
            created_at: since,
            updated_at: since,
            deactivated_at: None,
        })
        .collect();
    conn.write_transaction(|c| users::insert_many(c, &people))?;
    Ok(())
}

async fn run(label: &str, url: DatabaseUrl, dir: &std::path::Path) -> anyhow::Result<()> {
    // Monday 2020-02-03, 09:31 in Shanghai: the 09:30 pass is due.
    let now = Utc.with_ymd_and_hms(2020, 2, 3, 1, 31, 0).unwrap();
    let pool = db::connect_pool(&url, 8)?;
    let mut conn = pool.get()?;
    db::run_migrations(&mut conn)?;
    let started = Instant::now();
    seed(&mut conn, now)?;
    println!(
        "{label:<9} seeded {PEOPLE} people in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let planned = plan_due(&mut conn, now, "http://127.0.0.1")?;
    let queued: usize = planned.iter().map(|p| p.queued).sum();
    println!(
        "{label:<9} plan a pass:   {queued} rows in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(queued == PEOPLE + 1, "queued {queued}");
    let started = Instant::now();
    let again: usize = plan_due(&mut conn, now, "http://127.0.0.1")?
        .iter()
        .map(|p| p.queued)
        .sum();
    println!(
        "{label:<9} plan it again: {again} rows in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(again == 0, "re-plan queued {again}");
    drop(conn);

    let connections: u32 = std::env::var("BENCH_SMTP_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_SMTP_CONNECTIONS);
    let mails: usize = std::env::var("BENCH_MAILS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let port = start_sink()?;
    let settings = Settings {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        database_url: url,
        db_pool_size: 8,
        smtp_url: Some(Secret::new(format!("smtp://127.0.0.1:{port}"))),
        mail_from: "Bench <bench@localhost>".into(),
        public_url: "http://127.0.0.1".into(),
        jwt_secret: Some(Secret::new("bench-secret-bench-secret-bench-secret")),
        jwt_secret_previous: None,
        session_hours: 24,
        log_format: LogFormat::Pretty,
        delivery_interval_secs: 0,
        reminder_interval_secs: 0,
        close_interval_secs: 0,
        smtp_connections: connections,
        export_send_timeout_secs: health_checkin::config::DEFAULT_EXPORT_SEND_TIMEOUT_SECS,
        static_dir: None,
        trusted_proxies: Default::default(),
        login_failures_per_client: health_checkin::config::DEFAULT_LOGIN_FAILURES_PER_CLIENT,
        auth_requests_per_minute: health_checkin::config::DEFAULT_AUTH_REQUESTS_PER_MINUTE,
        metrics_token: None,
    };
    let mailer = Mailer::from_settings(&settings)?;
    let state = AppState::new(
        settings,
        pool,
        Arc::new(SystemClock),
        JwtKeys::new(b"bench-secret-bench-secret-bench-secret"),
        mailer,
    );
    let started = Instant::now();
    let mut sent = 0;
    while sent < mails {
        let report = deliver_due(&state).await?;
        anyhow::ensure!(
            report.failed == 0 && report.retrying == 0,
            "delivery: {report:?}"
        );
        if report.claimed == 0 {
            break;
        }
        sent += report.sent;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{label:<9} deliver:       {sent} mails in {secs:.1} s = {:.0} mails/s with {connections} SMTP connections",
        sent as f64 / secs
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    health_checkin::cli::init_tls();
    let dir = tempfile::tempdir()?;
    run(
        "sqlite",
        DatabaseUrl::Sqlite(dir.path().join("bench.sqlite3")),
        dir.path(),
    )
    .await?;
    if let Some(pg) = common::ScratchPg::from_env()? {
        let result = run("postgres", pg.url.clone(), dir.path()).await;
        pg.drop_db()?;
        result?;
    }
    Ok(())
}
