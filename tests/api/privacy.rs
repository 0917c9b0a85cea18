//! A person's own data: taken away whole, and who else has read it.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{healthy_answers, spawn_app};

#[tokio::test]
async fn a_person_takes_their_data_away_and_sees_who_read_it() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let token = app.token_for(&staff).await;

    // A check-in, corrected once; leave recorded by the admin; the admin reads the record.
    let first = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let mut warmer = healthy_answers();
    warmer["temperature"] = json!(37.1);
    let corrected = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": warmer}),
        )
        .await;
    assert_eq!(corrected.body["revision"], 2, "{:?}", corrected.body);
    let leave = app
        .post_as(
            &format!("/api/v1/employees/{}/leave", staff.id),
            &admin_token,
            &json!({"from": "2020-02-10", "to": "2020-02-12", "kind": "annual"}),
        )
        .await;
    assert!(leave.status.is_success(), "{:?}", leave.body);
    let read = app
        .get(&format!("/api/v1/employees/{}", staff.id), &admin_token)
        .await;
    assert_eq!(read.status, StatusCode::OK);

    // All of it, as a file.
    let response = app
        .client
        .get(app.url("/api/v1/me/export"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let data: serde_json::Value = response.json().await.unwrap();
    assert_eq!(data["profile"]["email"], staff.email.as_str());
    assert_eq!(data["profile"]["organization"], "Acme");
    let checkins = data["checkins"].as_array().unwrap();
    assert_eq!(checkins.len(), 1, "{data}");
    assert_eq!(checkins[0]["revision"], 2);
    assert_eq!(checkins[0]["answers"]["temperature"], json!(37.1));
    assert_eq!(
        checkins[0]["revisions"][0]["answers"],
        healthy_answers(),
        "the answers before the correction"
    );
    assert_eq!(data["leave"][0]["kind"], "annual", "{data}");
    // The same shape as the leave API's.
    assert_eq!(data["leave"][0]["from"], "2020-02-10");
    assert_eq!(data["leave"][0]["to"], "2020-02-12");
    assert_eq!(data["reminders"], json!([]));

    // Who read or changed it: the admin, by name and role; never the person themselves.
    let log = app.get("/api/v1/me/access-log", &token).await.body;
    let entries = log["entries"].as_array().unwrap();
    assert!(log["total"].as_i64().unwrap() >= 2, "{log}");
    let read_entry = entries
        .iter()
        .find(|e| e["action"] == "employees.get")
        .unwrap_or_else(|| panic!("the read of the record: {log}"));
    assert_eq!(read_entry["kind"], "read");
    assert_eq!(read_entry["by"]["role"], "admin");
    let admin_name = app.get("/api/v1/me", &admin_token).await.body["name"].clone();
    assert_eq!(read_entry["by"]["name"], admin_name);
    assert!(
        entries.iter().any(|e| e["kind"] == "change"),
        "the leave: {log}"
    );
    // The admin's own log names no one else's reads of the admin.
    let theirs = app.get("/api/v1/me/access-log", &admin_token).await.body;
    assert!(
        theirs["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["by"]["name"] != admin_name),
        "{theirs}"
    );
    let bad = app.get("/api/v1/me/access-log?per_page=0", &token).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}
