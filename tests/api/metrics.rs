//! `/metrics`: what Prometheus scrapes, counted per application, and its optional token.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{healthy_answers, monday_morning, settings_for, spawn_with_settings, TestDb};
use crate::smtp::TestSmtp;

/// The value of the series `series` (name and labels as printed), if it is there.
pub(crate) fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

pub(crate) async fn scrape(
    app: &crate::helpers::TestApp,
    token: Option<&str>,
) -> (StatusCode, String) {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn metrics_count_requests_check_ins_failed_logins_mail_and_the_outbox() {
    let smtp = TestSmtp::start();
    let db = std::sync::Arc::new(TestDb::new());
    let mut settings = settings_for(&db);
    settings.smtp_url = Some(health_checkin::config::Secret::new(format!(
        "smtp://127.0.0.1:{}",
        smtp.port()
    )));
    let app = spawn_with_settings(db, monday_morning(), settings).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let token = app.token_for(&staff).await;

    let (status, before) = scrape(&app, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(value(&before, "hc_failed_logins_total"), Some(0.0));

    for _ in 0..2 {
        let r = app.login(&admin.email, "wrong-password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let body = json!({"answers": healthy_answers()});
    let created = app.put("/api/v1/checkins/today", &token, &body).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let again = app.put("/api/v1/checkins/today", &token, &body).await;
    assert_eq!(again.status, StatusCode::OK);
    // An invitation waits in the outbox.
    let admin_token = app.token_for(&admin).await;
    let invited = app
        .post_as(
            "/api/v1/employees",
            &admin_token,
            &json!({"email": "new@acme.test", "name": "New Person"}),
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED);

    let (_, text) = scrape(&app, None).await;
    assert_eq!(value(&text, "hc_failed_logins_total"), Some(2.0), "{text}");
    assert_eq!(
        value(&text, "hc_checkins_total{outcome=\"created\"}"),
        Some(1.0)
    );
    assert_eq!(
        value(&text, "hc_checkins_total{outcome=\"unchanged\"}"),
        Some(1.0)
    );
    // Latency by route pattern, never by the path with its values.
    assert_eq!(
        value(
            &text,
            "hc_http_request_duration_seconds_count{method=\"PUT\",route=\"/api/v1/checkins/{date}\",status=\"201\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            "hc_http_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/auth/login\",status=\"401\"}"
        ),
        Some(2.0)
    );
    assert!(!text.contains("route=\"/api/v1/checkins/today\""), "{text}");
    // A made-up method is counted as `other`, not as a series of its own.
    let odd = reqwest::Method::from_bytes(b"BREW").unwrap();
    app.client
        .request(odd, app.url("/healthz"))
        .send()
        .await
        .unwrap();
    let (_, text) = scrape(&app, None).await;
    assert!(!text.contains("BREW"), "{text}");
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(text.contains("# TYPE hc_http_request_duration_seconds histogram"));
    assert!(text.contains("le=\"0.005\""));
    assert_eq!(
        value(
            &text,
            "hc_outbox_rows{status=\"pending\",kind=\"invitation\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(value(&text, "hc_db_pool_max_connections"), Some(4.0));
    assert!(value(&text, "hc_db_pool_connections{state=\"idle\"}").is_some());
    assert_eq!(value(&text, "hc_db_pool_waiting"), Some(0.0));

    // The mail goes out: counted sent, and the outbox gauge comes back to nothing pending.
    let report = app.deliver().await;
    assert_eq!(report.sent, 1);
    let (_, text) = scrape(&app, None).await;
    assert_eq!(value(&text, "hc_mails_total{outcome=\"sent\"}"), Some(1.0));
    assert_eq!(
        value(&text, "hc_outbox_rows{status=\"pending\",kind=\"all\"}"),
        Some(0.0),
        "{text}"
    );
    // Not left at its last count.
    assert_eq!(
        value(
            &text,
            "hc_outbox_rows{status=\"pending\",kind=\"invitation\"}"
        ),
        Some(0.0),
        "{text}"
    );
    assert_eq!(value(&text, "hc_outbox_oldest_due_seconds"), Some(0.0));
}

#[tokio::test]
async fn with_a_metrics_token_only_a_request_bearing_it_is_answered() {
    let db = std::sync::Arc::new(TestDb::new());
    let mut settings = settings_for(&db);
    let secret = "scrape-token-0123456789";
    settings.metrics_token = Some(health_checkin::config::Secret::new(secret));
    let app = spawn_with_settings(db, monday_morning(), settings).await;
    let (status, body) = scrape(&app, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["error"]["code"], "unauthorized");
    assert!(!body.contains(secret));
    let (status, _) = scrape(&app, Some("scrape-token-wrong-guess")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, text) = scrape(&app, Some(secret)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("hc_failed_logins_total 0"), "{text}");
}

/// On SQLite every write of a request goes through the one writer, which records each batch:
/// its writes, its time and its commit's. PostgreSQL has no such writer and shows none.
#[tokio::test]
async fn the_sqlite_writer_records_its_batches_and_their_commits() {
    let db = std::sync::Arc::new(TestDb::new());
    let on_sqlite = matches!(db.url, health_checkin::config::DatabaseUrl::Sqlite(_));
    let settings = settings_for(&db);
    let app = spawn_with_settings(db, monday_morning(), settings).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let token = app.token_for(&staff).await;
    let (_, before) = scrape(&app, None).await;

    let body = json!({"answers": healthy_answers()});
    let created = app.put("/api/v1/checkins/today", &token, &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);

    let (_, text) = scrape(&app, None).await;
    if !on_sqlite {
        assert!(!text.contains("hc_db_writer_"), "{text}");
        return;
    }
    let series =
        |text: &str, name: &str| value(text, name).unwrap_or_else(|| panic!("no {name} in {text}"));
    // Counted before the answer went: the check-in's batch is there at once.
    let batches = series(&text, "hc_db_writer_batch_jobs_count");
    assert!(
        batches > series(&before, "hc_db_writer_batch_jobs_count"),
        "{text}"
    );
    assert!(
        series(&text, "hc_db_writer_batch_jobs_sum")
            > series(&before, "hc_db_writer_batch_jobs_sum"),
        "{text}"
    );
    assert_eq!(series(&text, "hc_db_writer_batch_seconds_count"), batches);
    assert_eq!(series(&text, "hc_db_writer_commit_seconds_count"), batches);
    // A batch's time holds its commit's.
    let busy = series(&text, "hc_db_writer_batch_seconds_sum");
    let committing = series(&text, "hc_db_writer_commit_seconds_sum");
    assert!(committing > 0.0 && busy >= committing, "{text}");
    assert!(
        text.contains("# TYPE hc_db_writer_batch_seconds histogram"),
        "{text}"
    );
    // Buckets of their own: a commit takes a fraction of a millisecond, a batch holds writes.
    for bucket in [
        "hc_db_writer_batch_seconds_bucket{le=\"0.00025\"}",
        "hc_db_writer_commit_seconds_bucket{le=\"0.0001\"}",
        "hc_db_writer_batch_jobs_bucket{le=\"256\"}",
    ] {
        assert!(text.contains(bucket), "{bucket} in {text}");
    }
}
