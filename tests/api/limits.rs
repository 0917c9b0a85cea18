//! The limits on what anyone may try without a token: per client behind trusted proxies only,
//! per account on one client, shared by every instance on the database, forgotten when their
//! window has passed, and a flood refused before any of it.

use std::sync::Arc;

use chrono::Duration;
use health_checkin::auth::client::TrustedProxies;
use health_checkin::jobs::expiry::forget_expired;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{monday_morning, settings_for, spawn_app, spawn_on, spawn_with_settings};
use crate::helpers::{TestApp, TestDb, PASSWORD};

/// An answer's status and its `Retry-After` in seconds, if any.
struct Answer {
    status: StatusCode,
    retry_after: Option<u64>,
}

async fn post_from(app: &TestApp, path: &str, body: serde_json::Value, via: &[&str]) -> Answer {
    let mut request = app.client.post(app.url(path)).json(&body);
    // Several lines, as several proxies (or a client and a proxy) may write them.
    for line in via {
        request = request.header("X-Forwarded-For", *line);
    }
    let response = request.send().await.expect("request sent");
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    Answer {
        status: response.status(),
        retry_after,
    }
}

async fn login_via(app: &TestApp, email: &str, password: &str, via: &[&str]) -> Answer {
    let body = json!({"email": email, "password": password});
    post_from(app, "/api/v1/auth/login", body, via).await
}

async fn forgot_via(app: &TestApp, email: &str, via: &[&str]) -> Answer {
    let body = json!({"email": email});
    post_from(app, "/api/v1/auth/forgot-password", body, via).await
}

async fn behind_our_proxy() -> TestApp {
    let db = Arc::new(TestDb::new());
    let mut settings = settings_for(&db);
    // The tests' own address stands for the proxy; the header they send is its word.
    settings.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    spawn_with_settings(db, monday_morning(), settings).await
}

#[tokio::test]
async fn the_51st_failed_login_from_one_client_waits_and_successes_do_not_count() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    for i in 0..49 {
        let r = login_via(&app, &format!("nobody{i}@acme.test"), PASSWORD, &[]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "failure {i}");
    }
    // People who know their password do not use up the office's allowance.
    for _ in 0..3 {
        let r = login_via(&app, &admin.email, PASSWORD, &[]).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let fiftieth = login_via(&app, &admin.email, "wrong-password", &[]).await;
    assert_eq!(fiftieth.status, StatusCode::UNAUTHORIZED);
    let limited = login_via(&app, "someone-else@acme.test", PASSWORD, &[]).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    // The window opened with the first failure, on the test clock that stands still.
    assert_eq!(limited.retry_after, Some(15 * 60));
    let meanwhile = login_via(&app, &admin.email, PASSWORD, &[]).await;
    assert_eq!(meanwhile.status, StatusCode::TOO_MANY_REQUESTS);

    app.clock.advance(Duration::minutes(15));
    let later = login_via(&app, &admin.email, PASSWORD, &[]).await;
    assert_eq!(later.status, StatusCode::OK);
}

#[tokio::test]
async fn a_forged_forwarded_header_from_an_untrusted_peer_changes_nothing() {
    let app = spawn_app().await;
    for i in 0..50 {
        let forged = format!("198.51.100.{i}");
        let r = login_via(&app, &format!("p{i}@acme.test"), PASSWORD, &[&forged]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "failure {i}");
    }
    let r = login_via(&app, "p50@acme.test", PASSWORD, &["203.0.113.50"]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let forwarded = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("Forwarded", "for=203.0.113.51")
        .json(&json!({"email": "p51@acme.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(forwarded.status(), StatusCode::TOO_MANY_REQUESTS);

    // Reset requests likewise: 30 per client in an hour, whatever the header says.
    for i in 0..30 {
        let forged = format!("198.51.100.{i}");
        let r = forgot_via(&app, &format!("p{i}@acme.test"), &[&forged]).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "request {i}");
    }
    let r = forgot_via(&app, "p30@acme.test", &["203.0.113.30"]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.retry_after, Some(60 * 60));
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_counted() {
    let app = behind_our_proxy().await;
    for i in 0..50 {
        let r = login_via(&app, &format!("p{i}@acme.test"), PASSWORD, &["203.0.113.1"]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "failure {i}");
    }
    let same = login_via(&app, "p50@acme.test", PASSWORD, &["203.0.113.1"]).await;
    assert_eq!(same.status, StatusCode::TOO_MANY_REQUESTS);
    let other = login_via(&app, "p50@acme.test", PASSWORD, &["203.0.113.2"]).await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    // The client's own entry in front of what our proxy saw, in one line or in two, is not
    // believed.
    for via in [
        &["198.51.100.9, 203.0.113.1"][..],
        &["198.51.100.9", "203.0.113.1"],
    ] {
        let r = login_via(&app, "p51@acme.test", PASSWORD, via).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{via:?}");
    }

    // An IPv6 client is its /64: another address in it is the same client.
    for i in 0..50 {
        let r = login_via(
            &app,
            &format!("q{i}@acme.test"),
            PASSWORD,
            &["2001:db8:1:2::1"],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "failure {i}");
    }
    let sibling = login_via(&app, "q50@acme.test", PASSWORD, &["2001:db8:1:2::ffff"]).await;
    assert_eq!(sibling.status, StatusCode::TOO_MANY_REQUESTS);
    let next_door = login_via(&app, "q50@acme.test", PASSWORD, &["2001:db8:1:3::1"]).await;
    assert_eq!(next_door.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_person_logs_in_from_their_own_address_while_their_account_is_hammered_elsewhere() {
    let app = behind_our_proxy().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let person = app.add_person(&admin.org_id, "staff", None).await;
    let attacker = "198.51.100.66";
    for i in 0..10 {
        let r = login_via(&app, &person.email, &format!("guess-{i}"), &[attacker]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    // The attacker is locked out of this account, even with the right password...
    let r = login_via(&app, &person.email, PASSWORD, &[attacker]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.retry_after, Some(15 * 60));
    // ...the person is not.
    let home = "203.0.113.10";
    let r = login_via(&app, &person.email, PASSWORD, &[home]).await;
    assert_eq!(r.status, StatusCode::OK);
    // Their own typos count on their own, and a success forgets them.
    for _ in 0..9 {
        let r = login_via(&app, &person.email, "typo", &[home]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = login_via(&app, &person.email, PASSWORD, &[home]).await;
    assert_eq!(r.status, StatusCode::OK);
    for _ in 0..9 {
        let r = login_via(&app, &person.email, "typo", &[home]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = login_via(&app, &person.email, PASSWORD, &[home]).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn two_instances_on_one_database_share_the_counts() {
    let db = Arc::new(TestDb::new());
    let first = spawn_on(db.clone(), monday_morning()).await;
    let second = spawn_on(db.clone(), monday_morning()).await;
    let admin = first.create_org("Acme", "Asia/Shanghai").await;
    for app in [&first, &second] {
        for _ in 0..5 {
            let r = login_via(app, &admin.email, "wrong-password", &[]).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
    }
    for app in [&first, &second] {
        let r = login_via(app, &admin.email, PASSWORD, &[]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.retry_after.is_some());
    }

    for app in [&first, &second, &first] {
        let r = forgot_via(app, &admin.email, &[]).await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
    }
    for app in [&first, &second] {
        let r = forgot_via(app, &admin.email, &[]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    }
}

#[tokio::test]
async fn addresses_count_as_parsed_are_never_stored_and_passed_windows_are_forgotten() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let shouted = format!("  {}  ", admin.email.to_uppercase());
    for email in [&shouted, &admin.email] {
        for _ in 0..5 {
            let r = login_via(&app, email, "wrong-password", &[]).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        }
    }
    let r = login_via(&app, &admin.email, PASSWORD, &[]).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "one account, two spellings"
    );
    // Text that is no address names no account; it counts on the client only.
    let junk = "x".repeat(60 * 1024);
    let r = login_via(&app, &junk, PASSWORD, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = forgot_via(&app, &junk, &[]).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let sql = "SELECT COUNT(*) AS n FROM attempt_windows WHERE key LIKE '%@%' OR LENGTH(key) > 90";
    assert_eq!(app.count_rows(sql).await, 0);
    // Per client and per account on it, for logins; per client, for the reset request.
    let all = "SELECT COUNT(*) AS n FROM attempt_windows";
    assert_eq!(app.count_rows(all).await, 3);

    // The login windows pass after 15 minutes, the reset window after an hour.
    app.clock.advance(Duration::minutes(15));
    forget_expired(app.state.clone()).await.unwrap();
    assert_eq!(app.count_rows(all).await, 1);
    app.clock.advance(Duration::minutes(45));
    forget_expired(app.state.clone()).await.unwrap();
    assert_eq!(app.count_rows(all).await, 0);
    let r = login_via(&app, &admin.email, PASSWORD, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn a_flood_from_one_client_is_refused_in_memory() {
    let db = Arc::new(TestDb::new());
    let mut settings = settings_for(&db);
    settings.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    settings.auth_requests_per_minute = 5;
    let app = spawn_with_settings(db, monday_morning(), settings).await;
    let bogus = || json!({"token": "not-a-link", "password": PASSWORD});
    let path = "/api/v1/auth/set-password";
    let flood = "198.51.100.7";
    for i in 0..5 {
        let r = post_from(&app, path, bogus(), &[flood]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "request {i}");
    }
    let r = post_from(&app, path, bogus(), &[flood]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.retry_after, Some(12), "one request per 12 s comes back");
    // The guard covers every anonymous endpoint, and refuses before reading the body.
    let r = login_via(&app, "a@acme.test", PASSWORD, &[flood]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let r = forgot_via(&app, "a@acme.test", &[flood]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let r = post_from(&app, path, json!({"token": "x"}), &[flood]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Other clients are not slowed.
    let r = post_from(&app, path, bogus(), &["198.51.100.8"]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    app.clock.advance(Duration::seconds(12));
    let r = post_from(&app, path, bogus(), &[flood]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
