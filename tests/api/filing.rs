//! Filing for someone without a phone: a manager within their departments, HR or an admin
//! files a person's check-in under the person's rules, and everyone can tell who filed it.

use reqwest::StatusCode;
use serde_json::json;

use crate::exports::{download, read_csv};
use crate::helpers::{healthy_answers, spawn_app};

#[tokio::test]
async fn a_manager_files_for_someone_in_their_department_and_everyone_sees_who() {
    let app = spawn_app().await; // Monday 2020-02-03, 09:00 in Shanghai
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let manager = app.add_person(&admin.org_id, "manager", None).await;
    let manager_token = app.token_for(&manager).await;
    let worker = app.add_person(&admin.org_id, "staff", None).await;
    let worker_token = app.token_for(&worker).await;
    let elsewhere = app.add_person(&admin.org_id, "staff", None).await;
    let elsewhere_token = app.token_for(&elsewhere).await;
    let hr = app.add_person(&admin.org_id, "hr", None).await;
    let hr_token = app.token_for(&hr).await;
    let floor = app
        .post_as(
            "/api/v1/departments",
            &admin_token,
            &json!({"name": "Floor", "manager_ids": [manager.id]}),
        )
        .await;
    assert_eq!(floor.status, StatusCode::CREATED, "{:?}", floor.body);
    let floor_id = floor.body["id"].as_str().unwrap();
    let moved = app
        .patch(
            &format!("/api/v1/employees/{}", worker.id),
            &admin_token,
            &json!({"department_id": floor_id}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let manager_name = app.get("/api/v1/me", &manager_token).await.body["name"].clone();

    let file = |id: &str, date: &str| format!("/api/v1/employees/{id}/checkins/{date}");
    let answers = json!({"answers": healthy_answers()});
    // Staff cannot; a manager only within their departments.
    let r = app
        .put(&file(&worker.id, "today"), &elsewhere_token, &answers)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .put(&file(&elsewhere.id, "today"), &manager_token, &answers)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let r = app.get(&file(&elsewhere.id, "today"), &manager_token).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The person's day as they would see it, then filed for them.
    let day = app.get(&file(&worker.id, "today"), &manager_token).await;
    assert_eq!(day.status, StatusCode::OK, "{:?}", day.body);
    assert_eq!(day.body["person"]["id"], worker.id.as_str());
    assert_eq!(day.body["date"], "2020-02-03");
    assert_eq!(day.body["checkin"], serde_json::Value::Null);
    assert!(day.body["form"]["fields"].as_array().unwrap().len() >= 5);
    let bad = app
        .put(
            &file(&worker.id, "today"),
            &manager_token,
            &json!({"answers": {"temperature": 55}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field("answers.temperature").is_some(), "{:?}", bad.body);
    let filed = app
        .put(&file(&worker.id, "today"), &manager_token, &answers)
        .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{:?}", filed.body);
    assert_eq!(filed.body["filed_by"]["id"], manager.id.as_str());
    let future = app
        .put(&file(&worker.id, "2020-02-04"), &manager_token, &answers)
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The person sees who filed it, in the day view and the history.
    let own = app.get("/api/v1/checkins/today", &worker_token).await.body;
    assert_eq!(own["checkin"]["filed_by"]["name"], manager_name, "{own}");
    assert_eq!(own["checkin"]["filed_by"]["role"], "manager");
    let history = app.get("/api/v1/checkins", &worker_token).await.body;
    assert_eq!(
        history["checkins"][0]["filed_by"]["id"],
        manager.id.as_str()
    );
    // Their own check-in names nobody.
    let theirs = app
        .put("/api/v1/checkins/today", &elsewhere_token, &answers)
        .await;
    assert_eq!(
        theirs.body["filed_by"],
        serde_json::Value::Null,
        "{:?}",
        theirs.body
    );

    // An earlier day, under the person's rules: a correction needs a reason.
    let saturday = app
        .put(&file(&worker.id, "2020-02-01"), &manager_token, &answers)
        .await;
    assert_eq!(saturday.status, StatusCode::CREATED, "{:?}", saturday.body);
    let mut warmer = healthy_answers();
    warmer["temperature"] = json!(37.6);
    let r = app
        .put(
            &file(&worker.id, "2020-02-01"),
            &hr_token,
            &json!({"answers": warmer}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.problem("reason").map(|(code, _)| code), Some("required"));
    let r = app
        .put(
            &file(&worker.id, "2020-02-01"),
            &hr_token,
            &json!({"answers": warmer, "reason": "read out over the phone"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["revision"], 2);
    assert_eq!(r.body["filed_by"]["id"], hr.id.as_str());

    // Counted as reported; the export and the audit log say who filed it.
    let daily = app
        .get("/api/v1/reports/daily?date=2020-02-03", &admin_token)
        .await
        .body;
    assert_eq!(daily["reported"], 2, "{daily}");
    let csv = download(
        &app,
        "/api/v1/exports/checkins.csv?from=2020-02-03&to=2020-02-03",
        &admin_token,
    )
    .await;
    let (header, rows) = read_csv(&csv.bytes);
    let email = header.iter().position(|h| h == "email").unwrap();
    let by = header.iter().position(|h| h == "submitted_by").unwrap();
    let row_of = |who: &str| rows.iter().find(|r| r[email] == who).unwrap().clone();
    assert_eq!(row_of(&worker.email)[by], manager_name.as_str().unwrap());
    assert_eq!(row_of(&elsewhere.email)[by], "", "filed by themselves");
    let log = app
        .get("/api/v1/audit?action=checkins.file", &admin_token)
        .await
        .body;
    assert_eq!(log["total"], 3, "{log}");
    let first = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["detail"]["date"] == "2020-02-03")
        .unwrap();
    assert_eq!(first["actor"]["id"], manager.id.as_str(), "{first}");
    assert_eq!(first["target"]["id"], worker.id.as_str());
    let reads = app
        .get("/api/v1/audit?action=checkins.get", &admin_token)
        .await
        .body;
    assert_eq!(reads["total"], 1, "the manager's look at the day: {reads}");
}
