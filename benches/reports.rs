//! Report latency at 100,000 people in 500 departments with 30 days of history, answered on a
//! 20-question form, over HTTP against the release server in a process of its own, on SQLite
//! and (with BENCH_DATABASE_URL) on PostgreSQL.
//!
//! cargo bench --bench reports
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench --bench reports
//! BENCH_SQLITE=0 measures PostgreSQL alone; BENCH_PEOPLE=1000000 seeds a million people in
//! 5,000 departments (one division of 24 teams per 5,000 people); BENCH_DAYS=1 seeds only today
//! (30 days by default), enough to look at today's lists in minutes; BENCH_KEEP_DB=1 leaves the
//! seeded database behind for EXPLAIN and prints where it is; BENCH_SEEDED_URL=<its URL>
//! measures such a PostgreSQL database again, the same day, without seeding it (a million
//! people take 20 minutes to seed). On PostgreSQL the export's ceiling is the server's own
//! COPY of the same check-ins, read by `psql`.

mod common;

use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use common::server::Server;
use diesel::prelude::*;
use diesel::sql_types::{Date, Text, Timestamp};
use health_checkin::config::DatabaseUrl;
use health_checkin::db::departments::DepartmentRow;
use health_checkin::db::users::{self, UserRow};
use health_checkin::db::{self, db_time, new_id, DbConn};
use health_checkin::domain::{FormTemplate, LocalCalendar};
use serde_json::{json, Value};

const TEAMS_PER_DIVISION: usize = 24;
const PEOPLE_PER_DIVISION: usize = 5_000;
const DEFAULT_DAYS: i64 = 30;
const SAMPLES: usize = 40;
const PASSWORD: &str = "bench-password-42";
const SECRET: &str = "bench-secret-bench-secret-bench-secret";

fn people() -> anyhow::Result<usize> {
    match std::env::var("BENCH_PEOPLE") {
        Ok(n) => Ok(n.replace('_', "").parse()?),
        Err(_) => Ok(100_000),
    }
}

/// Days of history to seed, today included.
fn days() -> anyhow::Result<i64> {
    match std::env::var("BENCH_DAYS") {
        Ok(n) => Ok(n.parse::<i64>()?.max(1)),
        Err(_) => Ok(DEFAULT_DAYS),
    }
}

fn keep_db() -> bool {
    std::env::var("BENCH_KEEP_DB").as_deref() == Ok("1")
}

struct Seeded {
    org_id: String,
    team: String,
    people: usize,
    departments: usize,
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
    let days = days()?;
    let since = db_time(now - Duration::days(days + 2));
    let created = health_checkin::provisioning::create_organization(
        conn,
        &health_checkin::auth::JwtKeys::new(SECRET.as_bytes()),
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
    let people_count = people()?;
    let divisions = people_count.div_ceil(PEOPLE_PER_DIVISION).max(1);
    let mut departments = Vec::new();
    let mut leaves = Vec::new();
    for d in 0..divisions {
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
        for t in 0..TEAMS_PER_DIVISION {
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
    conn.write_transaction(|c| -> anyhow::Result<()> {
        for d in &departments {
            db::departments::insert(c, d)?;
        }
        Ok(())
    })?;
    // People through the application's own insert (which writes their membership history and
    // headcounts), in transactions of 50,000 so that a million never sit in memory at once.
    for first in (0..people_count).step_by(50_000) {
        let batch: Vec<UserRow> = (first..(first + 50_000).min(people_count))
            .map(|i| UserRow {
                id: new_id(),
                org_id: org_id.clone(),
                email: format!("p{i:07}@bench.test"),
                name: format!("Person {i:07}"),
                employee_no: Some(format!("E{i:07}")),
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
        conn.write_transaction(|c| users::insert_many(c, &batch))?;
    }
    let today = LocalCalendar::new(tz, now).today();
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
    for back in (0..days).rev() {
        let day = today - Duration::days(back);
        let stamp = db_time(now - Duration::days(back));
        seed_day(conn, &org_id, day, stamp, &healthy, &fever)?;
    }
    health_checkin::reports::counts::recount_open_day(conn, &org_id, today)?;
    if let DbConn::Postgres(_) = conn {
        // A production database has statistics, and its pages are marked all-visible by
        // autovacuum: the people's long after their import, the day's check-ins through the
        // day (migration 2020-02-24). A freshly bulk-loaded one gets both now, rather than
        // from autovacuum in the middle of the measurements, or never on a server that runs
        // without it (as CI's does).
        conn.batch("VACUUM (ANALYZE)")?;
        // And the seed's dirty pages are written out now, not by the checkpointer while the
        // requests are timed.
        conn.batch("CHECKPOINT")?;
    }
    Ok(Seeded {
        org_id,
        team: leaves[0].clone(),
        people: people_count,
        departments: departments.len(),
    })
}

/// One day's check-ins, made by the database in one statement: 92 % of the staff report,
/// 2 % of them abnormal (a bulk load, so a million people take minutes rather than hours).
fn seed_day(
    conn: &mut DbConn,
    org_id: &str,
    day: NaiveDate,
    stamp: NaiveDateTime,
    healthy: &str,
    fever: &str,
) -> anyhow::Result<()> {
    const COLUMNS: &str = "id, org_id, user_id, day, department_id, answers, temperature, \
        abnormal, abnormal_reasons, revision, reason, submitted_by, submitted_at, updated_at, \
        expected, form_version, purged_at";
    let (random_id, draw, sick) = match conn {
        DbConn::Sqlite(_) => (
            "lower(hex(randomblob(16)))",
            "(abs(random()) % 10000) < 9200",
            "(abs(random()) % 10000) < 200",
        ),
        DbConn::Postgres(_) => (
            "gen_random_uuid()::text",
            "random() < 0.92",
            "random() < 0.02",
        ),
    };
    let sql = format!(
        "INSERT INTO checkins ({COLUMNS}) \
         SELECT {random_id}, org_id, id, $1, department_id, \
                CASE WHEN sick THEN $2 ELSE $3 END, CASE WHEN sick THEN 38.1 ELSE 36.5 END, \
                sick, CASE WHEN sick THEN '[\"temperature\",\"symptoms\"]' ELSE '[]' END, \
                1, NULL, id, $4, $4, TRUE, 2, NULL \
         FROM (SELECT org_id, id, department_id, {draw} AS present, {sick} AS sick \
               FROM users WHERE org_id = $5 AND role = 'staff') drawn \
         WHERE present"
    );
    let sql = match conn {
        // SQLite numbers its parameters `?NNN`.
        DbConn::Sqlite(_) => sql.replace('$', "?"),
        DbConn::Postgres(_) => sql,
    };
    conn.write_transaction(|c| -> anyhow::Result<()> {
        if let DbConn::Postgres(_) = c {
            // The rows refer to people, departments and the organization just written:
            // checking each reference one row at a time would be most of a million people's
            // load (as pg_restore's --disable-triggers).
            c.batch("SET LOCAL session_replication_role = replica")?;
        }
        let query = diesel::sql_query(sql)
            .bind::<Date, _>(day)
            .bind::<Text, _>(fever)
            .bind::<Text, _>(healthy)
            .bind::<Timestamp, _>(stamp)
            .bind::<Text, _>(org_id);
        match c {
            DbConn::Sqlite(s) => query.execute(s)?,
            DbConn::Postgres(p) => query.execute(p)?,
        };
        Ok(())
    })?;
    Ok(())
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

/// The page halfway down today's `list` (of 200 a page), read by its number and then with the
/// `next` of the page before it, as the web app's "Show more" reads it.
async fn measure_deep_page(
    client: &reqwest::Client,
    db: &str,
    base: &str,
    list: &str,
    token: &str,
) -> anyhow::Result<()> {
    let url = format!("{base}/api/v1/reports/{list}?per_page=200");
    let get = |url: String| async move {
        let response = client.get(&url).bearer_auth(token).send().await?;
        anyhow::ensure!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        Ok::<Value, anyhow::Error>(response.json().await?)
    };
    let total = get(url.clone()).await?["total"].as_i64().unwrap_or(0);
    let page = (total / 200 / 2).max(2);
    let before = get(format!("{url}&page={}", page - 1)).await?;
    let Some(after) = before["next"].as_str() else {
        println!("{db:<9} {list}: no page {page} to measure ({total} in all)");
        return Ok(());
    };
    measure(
        client,
        &format!("{list}, page {page} by number"),
        db,
        &format!("{url}&page={page}"),
        token,
    )
    .await?;
    measure(
        client,
        &format!("{list}, page {page} by after"),
        db,
        &format!("{url}&after={after}"),
        token,
    )
    .await
}

/// What an earlier run seeded and kept: its organization, a team, its numbers.
fn already_seeded(conn: &mut DbConn) -> anyhow::Result<Seeded> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Text)]
        org_id: String,
        #[diesel(sql_type = Text)]
        team: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        people: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        departments: i64,
    }
    let found: Found = diesel::sql_query(
        "SELECT d.org_id, d.id AS team, \
           (SELECT count(*) FROM users WHERE role = 'staff') AS people, \
           (SELECT count(*) FROM departments) AS departments \
         FROM departments d \
         WHERE NOT EXISTS (SELECT 1 FROM departments c WHERE c.parent_id = d.id) \
         ORDER BY d.id LIMIT 1",
    )
    .get_result(conn)?;
    Ok(Seeded {
        org_id: found.org_id,
        team: found.team,
        people: usize::try_from(found.people)?,
        departments: usize::try_from(found.departments)?,
    })
}

async fn run(
    db_label: &str,
    url: DatabaseUrl,
    dir: &std::path::Path,
    seeded_before: bool,
) -> anyhow::Result<()> {
    let pool = db::connect_pool(&url, 2)?;
    let mut conn = pool.get()?;
    db::run_migrations(&mut conn)?;
    let seeded = if seeded_before {
        let seeded = already_seeded(&mut conn)?;
        println!(
            "{db_label:<9} measured again: {} people in {} departments, seeded before",
            seeded.people, seeded.departments
        );
        seeded
    } else {
        let started = Instant::now();
        let seeded = seed(&mut conn)?;
        println!(
            "{db_label:<9} seeded {} people in {} departments, {} days in {:.1} s",
            seeded.people,
            seeded.departments,
            days()?,
            started.elapsed().as_secs_f64()
        );
        // What the closing job does after each midnight, here for every past day at once.
        let started = Instant::now();
        let closed = health_checkin::reports::counts::close_past_days(&mut conn, Utc::now())?;
        println!(
            "{db_label:<9} closing {closed} past days once: {:.1} s",
            started.elapsed().as_secs_f64()
        );
        seeded
    };
    drop(conn);
    drop(pool);

    let server = Server::start(dir, &url, SECRET, &[])?;
    let base = server.base.clone();
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
    for list in ["unreported", "abnormal"] {
        measure_deep_page(&client, db_label, &base, list, &token).await?;
    }
    let exported = measure_export(&client, &server, db_label, &base, &token).await?;
    if let DatabaseUrl::Postgres(raw) = &url {
        if let Some(copied) = copy_ceiling(raw, &seeded.org_id)? {
            println!(
                "{db_label:<9} ceiling: PostgreSQL's COPY of the same check-ins with their people's names: {copied:.0} rows/s; the export {:.2} of it",
                exported / copied
            );
        }
    }
    Ok(())
}

/// The export's ceiling on PostgreSQL: the server's own `COPY … TO STDOUT` of every seeded
/// check-in joined to its person, read by `psql` over the same kind of connection, in rows a
/// second (`None` where `psql` is not installed). Unordered, and without the rows of who did
/// not report: what the database alone can hand over.
fn copy_ceiling(url: &str, org_id: &str) -> anyhow::Result<Option<f64>> {
    use std::io::Read;
    let sql = format!(
        "COPY (SELECT c.day, u.employee_no, u.name, u.email, c.department_id, c.submitted_at, \
                c.answers, c.abnormal, c.abnormal_reasons, c.expected \
         FROM checkins c JOIN users u ON u.id = c.user_id WHERE c.org_id = '{org_id}') \
         TO STDOUT (FORMAT csv)"
    );
    let started = Instant::now();
    let mut child = match std::process::Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", &sql, url])
        .stdout(std::process::Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut out = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("psql's output"))?;
    let (mut rows, mut buffer) = (0usize, vec![0u8; 1 << 20]);
    loop {
        let n = out.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        rows += buffer[..n].iter().filter(|b| **b == b'\n').count();
    }
    anyhow::ensure!(child.wait()?.success(), "psql's COPY failed");
    Ok(Some(rows as f64 / started.elapsed().as_secs_f64()))
}

/// A month's CSV export, read as it streams: rows per second and the memory it took.
async fn measure_export(
    client: &reqwest::Client,
    server: &Server,
    db: &str,
    base: &str,
    token: &str,
) -> anyhow::Result<f64> {
    use futures_util::StreamExt;
    let days = days()?;
    let before = server.memory_mib("VmRSS");
    server.reset_peak();
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
        "{db:<9} CSV export, {days:>2} days          {rows} rows, {:.0} MiB in {took:.1} s: {:.0} rows/s; server memory {before:.0} MiB, peak {:.0} MiB",
        bytes as f64 / 1024.0 / 1024.0,
        rows as f64 / took,
        server.memory_mib("VmHWM")
    );
    Ok(rows as f64 / took)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let scratch = tempfile::tempdir()?;
    let (dir, _removed_at_end) = if keep_db() {
        let kept = scratch.keep();
        println!("sqlite    kept {}", kept.join("bench.sqlite3").display());
        (kept, None)
    } else {
        (scratch.path().to_path_buf(), Some(scratch))
    };
    if let Ok(kept) = std::env::var("BENCH_SEEDED_URL") {
        return run("postgres", DatabaseUrl::Postgres(kept), &dir, true).await;
    }
    // BENCH_SQLITE=0 measures PostgreSQL alone.
    if std::env::var("BENCH_SQLITE").as_deref() != Ok("0") {
        run(
            "sqlite",
            DatabaseUrl::Sqlite(dir.join("bench.sqlite3")),
            &dir,
            false,
        )
        .await?;
    }
    if let Some(pg) = common::ScratchPg::from_env()? {
        let result = run("postgres", pg.url.clone(), &dir, false).await;
        if keep_db() {
            println!("postgres  kept {:?}", pg.url);
        } else {
            pg.drop_db()?;
        }
        result?;
    }
    Ok(())
}
