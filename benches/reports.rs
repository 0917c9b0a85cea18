//! Report latency at 100,000 people in 500 departments with 30 days of history, answered on a
//! 20-question form, over HTTP against the real server, on SQLite and (with
//! BENCH_DATABASE_URL) on PostgreSQL.
//!
//! cargo bench --bench reports
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench reports
//! (and BENCH_SQLITE=0 for PostgreSQL alone)

mod common;

use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use diesel::prelude::*;
use health_checkin::config::{DatabaseUrl, LogFormat, Secret, Settings};
use health_checkin::db::checkins::CheckinRow;
use health_checkin::db::departments::DepartmentRow;
use health_checkin::db::schema::checkins;
use health_checkin::db::users::{self, UserRow};
use health_checkin::db::{self, db_time, new_id, DbConn};
use health_checkin::domain::{FormTemplate, LocalCalendar};
use health_checkin::startup::Application;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const PEOPLE: usize = 100_000;
const DIVISIONS: usize = 20;
const TEAMS: usize = 480;
const DAYS: i64 = 30;
const SAMPLES: usize = 40;
const PASSWORD: &str = "bench-password-42";

struct Seeded {
    org_id: String,
    team: String,
}

/// The default form and twelve more questions of every kind (version 2), and an answer to
/// each of the twelve.
fn twenty_questions() -> (FormTemplate, serde_json::Map<String, Value>) {
    let mut form = FormTemplate::default_form();
    form.version = 2;
    let mut answers = serde_json::Map::new();
    let label = |i: usize| json!({"en": format!("Question {i}"), "zh-CN": format!("问题 {i}")});
    for i in 0..12 {
        let key = format!("question_{i}");
        let (field, answer) = match i % 4 {
            0 => (
                json!({"type": "number", "min": 0, "max": 300, "decimals": 0, "unit": "bpm",
                       "abnormal_at_or_above": 120}),
                json!(72),
            ),
            1 => (
                json!({"type": "single_choice", "options": [
                    {"value": "day", "label": label(1)}, {"value": "night", "label": label(2)}]}),
                json!("day"),
            ),
            2 => (
                json!({"type": "boolean", "abnormal_if_true": true}),
                json!(false),
            ),
            _ => (
                json!({"type": "text", "max_length": 200}),
                json!("Building 3, floor 2"),
            ),
        };
        let mut field = field;
        field["key"] = json!(key);
        field["label"] = label(i);
        field["required"] = json!(true);
        form.fields
            .push(serde_json::from_value(field).expect("a question"));
        answers.insert(key, answer);
    }
    (form, answers)
}

fn seed(conn: &mut DbConn) -> anyhow::Result<Seeded> {
    let now = Utc::now();
    let tz: chrono_tz::Tz = "Asia/Shanghai"
        .parse()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let since = db_time(now - Duration::days(DAYS + 2));
    let created = health_checkin::provisioning::create_organization(
        conn,
        &health_checkin::auth::JwtKeys::new(b"bench-secret-bench-secret-bench-secret"),
        "http://127.0.0.1",
        now,
        health_checkin::provisioning::NewOrganization {
            name: "Bench".into(),
            timezone: tz.name().into(),
            admin_email: "admin@bench.test".into(),
            admin_name: None,
            admin_password: Some(PASSWORD.into()),
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let org_id = created.org.id.clone();
    // Every day a working day: "today" is then a working day whatever day the run is on (a run
    // on a Saturday in Shanghai measured an empty unreported list).
    let settings = health_checkin::domain::OrgSettings {
        working_days: (1..=7).collect(),
        ..health_checkin::domain::OrgSettings::default()
    };
    db::organizations::update(
        conn,
        &org_id,
        &created.org.name,
        &created.org.timezone,
        &settings.to_stored(),
        db_time(now),
    )?;
    let mut departments = Vec::new();
    let mut leaves = Vec::new();
    for d in 0..DIVISIONS {
        let id = new_id();
        departments.push(DepartmentRow {
            id: id.clone(),
            org_id: org_id.clone(),
            parent_id: None,
            name: format!("Division {d}"),
            created_at: since,
            updated_at: since,
            archived_at: None,
        });
        for t in 0..TEAMS / DIVISIONS {
            let team = new_id();
            departments.push(DepartmentRow {
                id: team.clone(),
                org_id: org_id.clone(),
                parent_id: Some(id.clone()),
                name: format!("Team {t}"),
                created_at: since,
                updated_at: since,
                archived_at: None,
            });
            leaves.push(team);
        }
    }
    let people: Vec<UserRow> = (0..PEOPLE)
        .map(|i| UserRow {
            id: new_id(),
            org_id: org_id.clone(),
            email: format!("p{i:06}@bench.test"),
            name: format!("Person {i:06}"),
            employee_no: Some(format!("E{i:06}")),
            role: "staff".into(),
            department_id: Some(leaves[i % leaves.len()].clone()),
            password_hash: None,
            token_version: 0,
            active: true,
            timezone: None,
            locale: None,
            created_at: since,
            updated_at: since,
            deactivated_at: None,
        })
        .collect();
    conn.write_transaction(|c| -> anyhow::Result<()> {
        for d in &departments {
            db::departments::insert(c, d)?;
        }
        users::insert_many(c, &people)?;
        Ok(())
    })?;
    let today = LocalCalendar::new(tz, now).today();
    let mut rng = StdRng::seed_from_u64(7);
    let (form, extra) = twenty_questions();
    conn.write_transaction(|c| {
        db::forms::insert(
            c,
            &db::forms::FormRow::of(&org_id, &form, since, Some(&created.admin.id)),
        )
    })?;
    let answers = |base: Value| {
        let mut all = extra.clone();
        all.extend(base.as_object().cloned().unwrap_or_default());
        Value::Object(all).to_string()
    };
    let healthy = answers(
        json!({"close_contact":false,"health_code":"green","symptoms":[],"temperature":36.5,"travel_to_risk_area":false,"work_status":"office"}),
    );
    let fever = answers(
        json!({"close_contact":false,"health_code":"green","symptoms":["fever"],"temperature":38.1,"travel_to_risk_area":false,"work_status":"remote"}),
    );
    for back in (0..DAYS).rev() {
        let day = today - Duration::days(back);
        let stamp = db_time(now - Duration::days(back));
        let rows: Vec<CheckinRow> = people
            .iter()
            .filter_map(|p| {
                if !rng.random_bool(0.92) {
                    return None;
                }
                let sick = rng.random_bool(0.02);
                Some(CheckinRow {
                    id: new_id(),
                    org_id: org_id.clone(),
                    user_id: p.id.clone(),
                    day,
                    department_id: p.department_id.clone(),
                    answers: if sick { &fever } else { &healthy }.clone(),
                    temperature: Some(if sick { 38.1 } else { 36.5 }),
                    abnormal: sick,
                    abnormal_reasons: if sick {
                        r#"["temperature","symptoms"]"#
                    } else {
                        "[]"
                    }
                    .into(),
                    revision: 1,
                    reason: None,
                    submitted_by: p.id.clone(),
                    submitted_at: stamp,
                    updated_at: stamp,
                    expected: true,
                    form_version: 2,
                    purged_at: None,
                })
            })
            .collect();
        conn.write_transaction(|c| -> anyhow::Result<()> {
            for chunk in rows.chunks(1_000) {
                match c {
                    DbConn::Sqlite(s) => diesel::insert_into(checkins::table)
                        .values(chunk)
                        .execute(s)?,
                    DbConn::Postgres(p) => diesel::insert_into(checkins::table)
                        .values(chunk)
                        .execute(p)?,
                };
            }
            Ok(())
        })?;
    }
    health_checkin::reports::counts::recount_open_day(conn, &org_id, today)?;
    if let DbConn::Postgres(_) = conn {
        // A production database has statistics; a freshly bulk-loaded one gets them now
        // rather than from autovacuum in the middle of the measurements.
        conn.batch("ANALYZE")?;
        // And the seed's dirty pages are written out now, not by the checkpointer while the
        // requests are timed.
        conn.batch("CHECKPOINT")?;
    }
    Ok(Seeded {
        org_id,
        team: leaves[0].clone(),
    })
}

fn percentile(sorted: &[StdDuration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn measure(
    client: &reqwest::Client,
    label: &str,
    db: &str,
    url: &str,
    token: &str,
) -> anyhow::Result<()> {
    let mut times = Vec::with_capacity(SAMPLES);
    let mut bytes = 0;
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let response = client.get(url).bearer_auth(token).send().await?;
        anyhow::ensure!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        bytes = response.bytes().await?.len();
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "{db:<9} {label:<28} p50 {:>7.1} ms   p95 {:>7.1} ms   ({} KiB)",
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        bytes / 1024
    );
    Ok(())
}

async fn run(db_label: &str, url: DatabaseUrl, dir: &std::path::Path) -> anyhow::Result<()> {
    let pool = db::connect_pool(&url, 2)?;
    let mut conn = pool.get()?;
    db::run_migrations(&mut conn)?;
    let started = Instant::now();
    let seeded = seed(&mut conn)?;
    println!(
        "{db_label:<9} seeded {PEOPLE} people, {DAYS} days in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    drop(conn);
    let settings = Settings {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        database_url: url,
        db_pool_size: 8,
        smtp_url: None,
        mail_from: "Bench <bench@localhost>".into(),
        public_url: "http://127.0.0.1".into(),
        jwt_secret: Some(Secret::new("bench-secret-bench-secret-bench-secret")),
        jwt_secret_previous: None,
        session_hours: 24,
        log_format: LogFormat::Pretty,
        delivery_interval_secs: 0,
        static_dir: None,
        reminder_interval_secs: 0,
        close_interval_secs: 0,
        smtp_connections: 8,
        export_send_timeout_secs: health_checkin::config::DEFAULT_EXPORT_SEND_TIMEOUT_SECS,
        trusted_proxies: Default::default(),
        login_failures_per_client: health_checkin::config::DEFAULT_LOGIN_FAILURES_PER_CLIENT,
        auth_requests_per_minute: health_checkin::config::DEFAULT_AUTH_REQUESTS_PER_MINUTE,
        metrics_token: None,
    };
    let app = Application::build(settings)?;
    let pool = app.state().pool.clone();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "admin@bench.test", "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("login: {login}"))?
        .to_string();

    // What the closing job does after each midnight, here for every past day at once.
    let started = Instant::now();
    let closed = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let mut conn = pool.get()?;
        Ok(health_checkin::reports::counts::close_past_days(
            &mut conn,
            Utc::now(),
        )?)
    })
    .await??;
    println!(
        "{db_label:<9} closing {closed} past days once: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let yesterday = (Utc::now() - Duration::days(1))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let team = &seeded.team;
    measure(
        &client,
        "daily, today",
        db_label,
        &format!("{base}/api/v1/reports/daily"),
        &token,
    )
    .await?;
    measure(
        &client,
        "daily, yesterday",
        db_label,
        &format!("{base}/api/v1/reports/daily?date={yesterday}"),
        &token,
    )
    .await?;
    measure(
        &client,
        "trend, 30 days",
        db_label,
        &format!("{base}/api/v1/reports/trend"),
        &token,
    )
    .await?;
    measure(
        &client,
        "trend, 30 days, one team",
        db_label,
        &format!("{base}/api/v1/reports/trend?department_id={team}"),
        &token,
    )
    .await?;
    measure(
        &client,
        "unreported, today",
        db_label,
        &format!("{base}/api/v1/reports/unreported"),
        &token,
    )
    .await?;
    measure(
        &client,
        "unreported, one team",
        db_label,
        &format!("{base}/api/v1/reports/unreported?department_id={team}"),
        &token,
    )
    .await?;
    measure(
        &client,
        "abnormal, today",
        db_label,
        &format!("{base}/api/v1/reports/abnormal"),
        &token,
    )
    .await?;
    measure_export(&client, db_label, &base, &token).await?;
    let _ = seeded.org_id;
    Ok(())
}

/// Peak resident memory of this process so far, in MiB (Linux).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A month's CSV export, read as it streams: rows per second and the memory it took.
async fn measure_export(
    client: &reqwest::Client,
    db: &str,
    base: &str,
    token: &str,
) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    let before = peak_rss_mib();
    let started = Instant::now();
    let response = client
        .get(format!("{base}/api/v1/exports/checkins.csv"))
        .bearer_auth(token)
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "export: {}",
        response.status()
    );
    let mut stream = response.bytes_stream();
    let (mut rows, mut bytes) = (0usize, 0usize);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        bytes += chunk.len();
        rows += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "{db:<9} CSV export, 30 days          {rows} rows, {:.0} MiB in {took:.1} s: {:.0} rows/s; peak memory {before:.0} -> {:.0} MiB",
        bytes as f64 / 1024.0 / 1024.0,
        rows as f64 / took,
        peak_rss_mib()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    // BENCH_SQLITE=0 measures PostgreSQL alone.
    if std::env::var("BENCH_SQLITE").as_deref() != Ok("0") {
        run(
            "sqlite",
            DatabaseUrl::Sqlite(dir.path().join("bench.sqlite3")),
            dir.path(),
        )
        .await?;
    }
    if let Some(pg) = common::ScratchPg::from_env()? {
        let result = run("postgres", pg.url.clone(), dir.path()).await;
        pg.drop_db()?;
        result?;
    }
    Ok(())
}
