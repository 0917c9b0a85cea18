//! Two application instances on one database serve the same organization side by side.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{healthy_answers, monday_morning, spawn_on, TestDb};

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
