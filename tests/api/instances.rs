//! Several application instances on one database serve the same organization side by side.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use health_checkin::config::DatabaseUrl;
use health_checkin::db::job_lock::JobLocks;
use health_checkin::jobs::{CLOSING_DAYS, REMINDER_PASSES};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    healthy_answers, monday_morning, settings_for, spawn_on, spawn_with_settings, TestApp, TestDb,
};
use crate::smtp::TestSmtp;

#[tokio::test]
async fn two_instances_share_one_database() {
    let db = Arc::new(TestDb::new());
    let first = spawn_on(db.clone(), monday_morning()).await;
    let second = spawn_on(db.clone(), monday_morning()).await;
    assert_ne!(first.address, second.address);

    let admin = first.create_org("Acme", "Asia/Shanghai").await;
    let staff = first.add_person(&admin.org_id, "staff", None).await;
    // Logged in on one, served by the other: the token is good on both.
    let token = first.token_for(&staff).await;
    let r = second
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let seen = first.get("/api/v1/checkins/today", &token).await;
    assert_eq!(seen.body["checkin"]["id"], r.body["id"]);

    // Both answer at once for the same person and day: still one check-in.
    let body = json!({"answers": healthy_answers(), "reason": null});
    let (a, b) = tokio::join!(
        first.put("/api/v1/checkins/today", &token, &body),
        second.put("/api/v1/checkins/today", &token, &body)
    );
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(
        first.count_rows("SELECT COUNT(*) AS n FROM checkins").await,
        1
    );
}

/// Three instances as an operator starts them behind a load balancer: no `JWT_SECRET`, a data
/// folder each, the scheduler and delivery running on every one, a request to any of them.
#[tokio::test]
async fn three_instances_without_a_secret_share_sessions_reminders_and_limits() {
    let smtp = TestSmtp::start();
    let db = Arc::new(TestDb::new());
    // Monday 09:00 in Shanghai, before the first reminder pass.
    let morning = monday_morning();
    let mut folders = Vec::new();
    let mut apps: Vec<TestApp> = Vec::new();
    for _ in 0..3 {
        let folder = tempfile::tempdir().unwrap();
        let mut settings = settings_for(&db);
        settings.jwt_secret = None;
        settings.data_dir = folder.path().to_path_buf();
        settings.smtp_url = Some(health_checkin::config::Secret::new(format!(
            "smtp://127.0.0.1:{}",
            smtp.port()
        )));
        settings.reminder_interval_secs = 1;
        settings.delivery_interval_secs = 1;
        folders.push(folder);
        apps.push(spawn_with_settings(db.clone(), morning, settings).await);
    }
    // Nothing was written to the folders: the secret is the database's.
    for folder in &folders {
        assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0);
    }

    let admin = apps[0].create_org("Acme", "Asia/Shanghai").await;
    let mut people = vec![admin.email.clone()];
    let mut staff = Vec::new();
    for _ in 0..12 {
        let person = apps[0].add_person(&admin.org_id, "staff", None).await;
        people.push(person.email.clone());
        staff.push(person);
    }

    // A session from any instance works on every other, and a log-out on one ends it on all.
    let token = apps[1].token_for(&staff[0]).await;
    for app in &apps {
        let me = app.get("/api/v1/me", &token).await;
        assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    }
    let out = apps[2]
        .post_as("/api/v1/auth/logout", &token, &json!({}))
        .await;
    assert!(out.status.is_success(), "{:?}", out.body);
    for app in &apps {
        let me = app.get("/api/v1/me", &token).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    }

    // Past the first pass's time: everyone unreported gets one reminder, though every
    // instance's scheduler and delivery run.
    let after_first_pass = Utc.with_ymd_and_hms(2020, 2, 3, 1, 31, 0).unwrap();
    for app in &apps {
        app.clock.set(after_first_pass);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while smtp.received().len() < people.len() {
        assert!(
            Instant::now() < deadline,
            "{} of {} reminded",
            smtp.received().len(),
            people.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A few more rounds of every scheduler and delivery loop.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = smtp.received();
    assert_eq!(received.len(), people.len());
    for email in &people {
        assert_eq!(
            received.iter().filter(|m| m.to == [email.clone()]).count(),
            1,
            "{email}"
        );
    }

    // Failed logins spread over the instances count together.
    let target = &staff[1].email;
    for n in 0..10 {
        let r = apps[n % 3].login(target, "wrong-password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    for app in &apps {
        let r = app.login(target, crate::helpers::PASSWORD).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    }
}

/// On PostgreSQL a scheduled job's lock is held by one instance at a time, and let go when
/// its run ends; each job has its own. SQLite's file belongs to one instance: no lock needed.
#[test]
fn a_scheduled_job_is_held_by_one_instance_at_a_time() {
    let db = TestDb::new();
    let (first, second) = (
        JobLocks::for_database(&db.url),
        JobLocks::for_database(&db.url),
    );
    let held = first.try_hold(REMINDER_PASSES).unwrap();
    assert!(held.is_some());
    let other = second.try_hold(REMINDER_PASSES).unwrap();
    let postgres = matches!(db.url, health_checkin::config::DatabaseUrl::Postgres(_));
    assert_eq!(other.is_none(), postgres);
    drop(other);
    let another_job = second.try_hold(CLOSING_DAYS).unwrap();
    assert!(another_job.is_some());
    drop(another_job);
    drop(held);
    let after = second.try_hold(REMINDER_PASSES).unwrap();
    assert!(after.is_some(), "let go when the run ended");
}

/// A job holding its lock takes no connection of the pool: with a pool of one, requests
/// are answered while the lock is held.
#[tokio::test]
async fn a_held_job_lock_leaves_the_pool_to_requests() {
    let db = Arc::new(TestDb::new());
    let mut settings = settings_for(&db);
    settings.db_pool_size = 1;
    let app = spawn_with_settings(db, monday_morning(), settings).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let lock = app.state.job_locks.try_hold(REMINDER_PASSES).unwrap();
    assert!(lock.is_some());
    let token = app.token_for(&admin).await;
    let me = app.get("/api/v1/me", &token).await;
    assert_eq!(me.status, StatusCode::OK);
}

/// On SQLite the token is checked on the HTTP worker when a connection is idle; when none
/// is, the request waits for one on the blocking pool rather than failing, and is answered
/// once one is given back (on PostgreSQL the batch token reader waits the same way).
#[tokio::test]
async fn a_token_check_waits_for_a_busy_pool() {
    let db = Arc::new(TestDb::new());
    let on_sqlite = matches!(db.url, DatabaseUrl::Sqlite(_));
    let mut settings = settings_for(&db);
    settings.db_pool_size = 1;
    let app = spawn_with_settings(db, monday_morning(), settings).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let held = app.state.pool.get().unwrap();
    let answered = std::sync::atomic::AtomicBool::new(false);
    let request = async {
        let me = app.get("/api/v1/me", &token).await;
        answered.store(true, std::sync::atomic::Ordering::SeqCst);
        me
    };
    // On SQLite the request shows up as a waiter on the pool; PostgreSQL's token reader
    // waits without being counted there, so it is given a moment to answer wrongly.
    let patience = if on_sqlite {
        Duration::from_secs(5)
    } else {
        Duration::from_millis(300)
    };
    let give_back = async {
        let started = Instant::now();
        while app.state.metrics.waiting_for_connection_now() == 0 && started.elapsed() < patience {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let seen_waiting = app.state.metrics.waiting_for_connection_now() > 0;
        let answered_while_held = answered.load(std::sync::atomic::Ordering::SeqCst);
        drop(held);
        (seen_waiting, answered_while_held)
    };
    let (me, (seen_waiting, answered_while_held)) = tokio::join!(request, give_back);
    assert!(!answered_while_held, "answered without a connection");
    if on_sqlite {
        assert!(
            seen_waiting,
            "the request did not wait on the blocking pool"
        );
    }
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let again = app.get("/api/v1/me", &token).await;
    assert_eq!(again.status, StatusCode::OK);
}
