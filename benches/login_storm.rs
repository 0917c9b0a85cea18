//! A login storm against the release server, run as a child process on SQLite so that its own
//! memory can be read: people keep checking in while 200 anonymous logins with unknown e-mails
//! run at once. Then a password spray: one client tries a wrong password on 150 accounts.
//!
//! cargo bench --bench login_storm
//! BENCH_STORM_SECS=10 (how long the storm lasts), BENCH_PHASE_SECS=5 (each quiet measurement)
//!
//! Goals (issue 14): during the storm, check-in p99 at most 100 ms and the server's peak RSS at
//! most 256 MiB; its memory comes back afterwards. The ceiling is `GET /healthz` at the same
//! concurrency as the check-ins, measured in the same run, so the numbers read as ratios on a
//! shared, noisy machine.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use common::load::{load, Timings};
use common::server::Server;

use chrono::Utc;
use health_checkin::auth::{password, JwtKeys};
use health_checkin::config::DatabaseUrl;
use health_checkin::db::users::{self, UserRow};
use health_checkin::db::{self, db_time};
use health_checkin::domain::Role;
use health_checkin::provisioning::{create_organization, NewOrganization};
use serde_json::{json, Value};

/// People checking in at once, all through the storm.
const CHECKERS: usize = 8;
/// Anonymous logins in flight at once during the storm.
const STORM_CLIENTS: usize = 200;
/// Accounts a sprayer tries one wrong password on, from one address.
const SPRAY_ACCOUNTS: usize = 150;
const PASSWORD: &str = "bench-password-42";
const JWT_SECRET: &str = "bench-secret-bench-secret-bench-secret";
/// How long the server is left alone after the storm before its memory is read again.
const SETTLE: Duration = Duration::from_secs(6);

fn secs_from_env(name: &str, default: u64) -> Duration {
    let secs = std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Duration::from_secs(secs)
}

/// The organization, the people who check in, and the accounts the sprayer tries.
fn seed(url: &DatabaseUrl) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let pool = db::connect_pool(url, 1)?;
    let mut conn = pool.get()?;
    db::run_migrations(&mut conn)?;
    let now = Utc::now();
    let created = create_organization(
        &mut conn,
        &JwtKeys::new(JWT_SECRET.as_bytes()),
        "http://127.0.0.1",
        now,
        NewOrganization {
            name: "Storm".into(),
            timezone: "Asia/Shanghai".into(),
            admin_email: "admin@storm.test".into(),
            admin_name: None,
            admin_password: Some(PASSWORD.into()),
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    // One hash for everyone: seeding is not what is measured.
    let hash = password::hash(PASSWORD)?;
    let joined = db_time(now - chrono::Duration::days(3));
    let person = |email: String| UserRow {
        password_hash: Some(hash.clone()),
        ..UserRow::new(
            &created.org.id,
            email,
            "Storm person".into(),
            Role::Staff,
            joined,
        )
    };
    let checkers: Vec<String> = (0..CHECKERS)
        .map(|i| format!("checker{i}@storm.test"))
        .collect();
    let sprayed: Vec<String> = (0..SPRAY_ACCOUNTS)
        .map(|i| format!("sprayed{i}@storm.test"))
        .collect();
    let rows: Vec<UserRow> = checkers
        .iter()
        .chain(&sprayed)
        .cloned()
        .map(person)
        .collect();
    conn.write_transaction(|c| users::insert_many(c, &rows))?;
    Ok((checkers, sprayed))
}

/// What a burst of logins got back.
#[derive(Default, Debug)]
struct Answers {
    /// 401: the password was checked and was wrong.
    wrong: usize,
    /// 429: refused by a rate limit before any check.
    limited: usize,
    /// 503: refused because too many password checks were waiting.
    busy: usize,
    other: usize,
}

impl Answers {
    fn count(&mut self, status: Option<u16>) {
        match status {
            Some(401) => self.wrong += 1,
            Some(429) => self.limited += 1,
            Some(503) => self.busy += 1,
            _ => self.other += 1,
        }
    }

    fn total(&self) -> usize {
        self.wrong + self.limited + self.busy + self.other
    }
}

/// A client sending from its own loopback address, as a client elsewhere on the internet
/// would: a per-client limit then sees many clients, not one.
fn client_from(n: usize) -> anyhow::Result<reqwest::Client> {
    let address = Ipv4Addr::new(127, 1, (n / 250) as u8, (n % 250 + 1) as u8);
    Ok(reqwest::Client::builder()
        .local_address(IpAddr::V4(address))
        .build()?)
}

/// How the storm's clients take a 503.
#[derive(Clone, Copy)]
enum Storm {
    /// Send the next login at once: 200 always in flight, as an attacker would.
    Flood,
    /// Wait the `Retry-After` second first, as a well-behaved client would.
    Polite,
}

/// `STORM_CLIENTS` loops of logins with unknown e-mails, each sent as the last is answered.
async fn storm(base: &str, time: Duration, kind: Storm) -> anyhow::Result<(Answers, Duration)> {
    let started = Instant::now();
    let until = started + time;
    let mut loops = Vec::new();
    for n in 0..STORM_CLIENTS {
        let client = client_from(n)?;
        let url = format!("{base}/api/v1/auth/login");
        loops.push(tokio::spawn(async move {
            let mut answers = Answers::default();
            let mut attempt = 0;
            while Instant::now() < until {
                attempt += 1;
                let body = json!({"email": format!("nobody{n}-{attempt}@storm.test"),
                                  "password": "not-the-password"});
                let status = client.post(&url).json(&body).send().await.ok().map(|r| {
                    let status = r.status().as_u16();
                    drop(r);
                    status
                });
                answers.count(status);
                if matches!(kind, Storm::Polite) && status == Some(503) {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            answers
        }));
    }
    let mut total = Answers::default();
    for done in futures_util::future::join_all(loops).await {
        let done = done.unwrap_or_default();
        total.wrong += done.wrong;
        total.limited += done.limited;
        total.busy += done.busy;
        total.other += done.other;
    }
    Ok((total, started.elapsed()))
}

/// One client tries one wrong password on each account, one after another.
async fn spray(base: &str, accounts: &[String]) -> anyhow::Result<(Answers, Duration)> {
    let client = client_from(STORM_CLIENTS + 1)?;
    let started = Instant::now();
    let mut answers = Answers::default();
    for email in accounts {
        let status = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": email, "password": "Autumn-leaves-77"}))
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16());
        answers.count(status);
    }
    Ok((answers, started.elapsed()))
}

async fn token(client: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<String> {
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    login["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("login of {email}: {login}"))
}

fn healthy_answers() -> Value {
    json!({"answers": {
        "temperature": 36.5, "symptoms": [], "location": "Shanghai", "work_status": "office",
        "close_contact": false, "travel_to_risk_area": false, "health_code": "green"
    }})
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let phase = secs_from_env("BENCH_PHASE_SECS", 5);
    let storm_time = secs_from_env("BENCH_STORM_SECS", 10);
    let dir = tempfile::tempdir()?;
    let db_path = dir.path().join("storm.sqlite3");
    let (checkers, sprayed) = seed(&DatabaseUrl::Sqlite(db_path.clone()))?;
    let server = Server::start(
        dir.path(),
        &DatabaseUrl::Sqlite(db_path.clone()),
        JWT_SECRET,
        &[],
    )?;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for email in &checkers {
        tokens.push(token(&client, &base, email).await?);
    }
    let checkin_url = format!("{base}/api/v1/checkins/today");
    let body = healthy_answers();
    let checkins = |time| {
        load(CHECKERS, time, |n| {
            client.put(&checkin_url).bearer_auth(&tokens[n]).json(&body)
        })
    };
    let healthz_url = format!("{base}/healthz");

    println!("login storm: release server on SQLite, {CHECKERS} people checking in at once, {STORM_CLIENTS} anonymous logins with unknown e-mails at once");
    println!(
        "server memory at start (after {CHECKERS} logins): {:.0} MiB",
        server.memory_mib("VmRSS")
    );
    let ceiling = load(CHECKERS, phase, |_| client.get(&healthz_url)).await;
    println!("{}", ceiling.line("ceiling: GET /healthz"));
    let quiet = checkins(phase).await;
    println!("{}", quiet.line("check-ins, quiet"));
    let ratio = |t: &Timings| t.per_sec() / ceiling.per_sec();

    for (kind, label) in [
        (Storm::Flood, "flood: a refused client sends again at once"),
        (Storm::Polite, "polite: a refused client waits Retry-After"),
    ] {
        println!("-- storm, {label}");
        let rss_before = server.memory_mib("VmRSS");
        server.reset_peak();
        let (during, stormed) = tokio::join!(checkins(storm_time), storm(&base, storm_time, kind));
        let (answers, storm_took) = stormed?;
        let peak = server.memory_mib("VmHWM");
        println!("{}", during.line("check-ins, during the storm"));
        println!(
            "logins in {:.1} s: {} sent, {} answered (401), {} refused busy (503), {} rate-limited (429), {} other; {:.0} passwords checked/s",
            storm_took.as_secs_f64(),
            answers.total(),
            answers.wrong,
            answers.busy,
            answers.limited,
            answers.other,
            answers.wrong as f64 / storm_took.as_secs_f64()
        );
        tokio::time::sleep(SETTLE).await;
        let rss_after = server.memory_mib("VmRSS");
        let after = checkins(phase).await;
        println!("{}", after.line("check-ins, after"));
        println!(
            "check-ins / ceiling: quiet {:.2}, during {:.2}, after {:.2}; check-in p99 during / quiet {:.1}x",
            ratio(&quiet),
            ratio(&during),
            ratio(&after),
            during.percentile_ms(0.99) / quiet.percentile_ms(0.99)
        );
        println!(
            "server memory: {rss_before:.0} MiB before, peak {peak:.0} MiB, {rss_after:.0} MiB {} s after",
            SETTLE.as_secs()
        );
        let met = |ok: bool| if ok { "met" } else { "MISSED" };
        println!(
            "goals: check-in p99 {:.1} ms <= 100 ms: {}; peak RSS {peak:.0} MiB <= 256 MiB: {}; {:.0} of the {:.0} MiB the storm added still held",
            during.percentile_ms(0.99),
            met(during.percentile_ms(0.99) <= 100.0),
            met(peak <= 256.0),
            (rss_after - rss_before).max(0.0),
            (peak - rss_before).max(0.0)
        );
    }

    let (sprayed_answers, spray_took) = spray(&base, &sprayed).await?;
    println!(
        "spray: {} wrong passwords over {} accounts from one client in {:.1} s: {} answered (401), {} rate-limited (429), {} busy (503), {} other",
        sprayed_answers.total(),
        sprayed.len(),
        spray_took.as_secs_f64(),
        sprayed_answers.wrong,
        sprayed_answers.limited,
        sprayed_answers.busy,
        sprayed_answers.other
    );
    println!(
        "server memory after the spray: {:.0} MiB, peak {:.0} MiB",
        server.memory_mib("VmRSS"),
        server.memory_mib("VmHWM")
    );
    drop(server);
    Ok(())
}
