//! What a 2xx promises: a check-in acknowledged is stored, also when the server is killed
//! in the middle of a burst of them.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use chrono::Utc;
use diesel::prelude::*;
use health_checkin::auth::Purpose;
use health_checkin::db::schema::{checkins, day_stats};
use health_checkin::db::users::{self, UserRow};
use health_checkin::db::{db_time, new_id};
use reqwest::StatusCode;

use crate::helpers::{binary, healthy_answers, monday_morning, spawn_on, TestDb, JWT_SECRET};

const PEOPLE: usize = 240;
/// Acknowledgements to wait for before the kill: the rest of the burst is in flight.
const KILL_AFTER: usize = 40;

#[tokio::test]
async fn a_server_killed_mid_burst_keeps_every_acknowledged_checkin() {
    let db = Arc::new(TestDb::new());
    let app = spawn_on(db.clone(), monday_morning()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let joined = Utc::now() - chrono::Duration::days(2);
    // Without passwords: the tokens are made here, as the server's key code makes them.
    let rows: Vec<UserRow> = (0..PEOPLE)
        .map(|i| UserRow {
            id: new_id(),
            org_id: admin.org_id.clone(),
            email: format!("staff-{i}@burst.test"),
            name: format!("Staff {i}"),
            employee_no: None,
            role: "staff".into(),
            department_id: None,
            password_hash: None,
            token_version: 0,
            active: true,
            timezone: None,
            locale: None,
            created_at: db_time(joined),
            updated_at: db_time(joined),
            deactivated_at: None,
        })
        .collect();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    app.with_db(move |conn| {
        for row in &rows {
            users::insert(conn, row).expect("person inserted");
        }
    })
    .await;
    let mut people = Vec::new();
    for id in ids {
        let (token, _) = app
            .state
            .jwt
            .issue(
                &id,
                &admin.org_id,
                0,
                Purpose::Login,
                Utc::now(),
                chrono::Duration::hours(1),
            )
            .expect("token");
        people.push((id, token));
    }

    let mut server = Command::new(binary())
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db.url_string())
        .env("HC_DATA_DIR", db.dir.path())
        .env("HC_BIND", "127.0.0.1:0")
        .env("JWT_SECRET", JWT_SECRET)
        .env("HC_DELIVERY_INTERVAL_SECS", "0")
        .env("HC_REMINDER_INTERVAL_SECS", "0")
        .env("HC_CLOSE_INTERVAL_SECS", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("readable");
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in `{first}`"))
        .to_string();
    std::thread::spawn(move || lines.for_each(drop));

    // Everyone at once; the server dies once enough of them were acknowledged.
    let client = reqwest::Client::new();
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let mut burst = Vec::new();
    for (id, token) in people {
        let (client, base, acked) = (client.clone(), base.clone(), acked_tx.clone());
        burst.push(tokio::spawn(async move {
            let sent = client
                .put(format!("{base}/api/v1/checkins/today"))
                .bearer_auth(token)
                .json(&serde_json::json!({ "answers": healthy_answers() }))
                .send()
                .await;
            if let Ok(response) = sent {
                if response.status() == StatusCode::CREATED {
                    let _ = acked.send(id);
                }
            }
        }));
    }
    drop(acked_tx);
    let mut acknowledged = Vec::new();
    while acknowledged.len() < KILL_AFTER {
        match acked_rx.recv().await {
            Some(id) => acknowledged.push(id),
            None => break,
        }
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("the server is gone");
    for request in burst {
        let _ = request.await;
    }
    while let Ok(id) = acked_rx.try_recv() {
        acknowledged.push(id);
    }
    assert!(
        acknowledged.len() >= KILL_AFTER,
        "only {} check-ins were acknowledged before the server died",
        acknowledged.len()
    );

    let expected = acknowledged.clone();
    let (stored, counted) = app
        .with_db(move |conn| {
            let stored: Vec<String> = checkins::table
                .filter(checkins::user_id.eq_any(&expected))
                .select(checkins::user_id)
                .load(conn)
                .expect("check-ins");
            let all: i64 = checkins::table.count().get_result(conn).expect("count");
            // The server runs on the real clock: on a rest day its check-ins are unexpected.
            let (expected, unexpected): (Option<i64>, Option<i64>) = day_stats::table
                .select((
                    diesel::dsl::sum(day_stats::reported),
                    diesel::dsl::sum(day_stats::reported_unexpected),
                ))
                .first(conn)
                .expect("day stats");
            let counted = expected.unwrap_or(0) + unexpected.unwrap_or(0);
            (stored, (all, counted))
        })
        .await;
    let mut missing = acknowledged.clone();
    missing.retain(|id| !stored.contains(id));
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged check-ins were lost",
        missing.len(),
        acknowledged.len()
    );
    // Whatever was stored was stored whole: each check-in counted once in the day's numbers.
    assert_eq!(
        counted.0, counted.1,
        "check-ins vs. the day's reported count"
    );
}
