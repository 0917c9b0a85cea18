//! Follow-up: an abnormal check-in opens a case and reaches the managers at once; cases are
//! worked to clearance within each caller's scope.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{healthy_answers, spawn_app_with_smtp, Person, TestApp};
use crate::smtp::TestSmtp;

fn fever() -> Value {
    let mut answers = healthy_answers();
    answers["temperature"] = json!(38.6);
    json!({"answers": answers})
}

async fn department(app: &TestApp, token: &str, body: Value) -> String {
    let r = app.post_as("/api/v1/departments", token, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

async fn place(app: &TestApp, token: &str, person: &Person, department_id: &str) {
    let r = app
        .patch(
            &format!("/api/v1/employees/{}", person.id),
            token,
            &json!({"department_id": department_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

#[tokio::test]
async fn an_abnormal_check_in_opens_a_case_that_managers_work_to_clearance() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let manager = app.add_person(&admin.org_id, "manager", None).await;
    let manager_token = app.token_for(&manager).await;
    let other_manager = app.add_person(&admin.org_id, "manager", None).await;
    let other_token = app.token_for(&other_manager).await;
    let hr = app.add_person(&admin.org_id, "hr", None).await;
    let worker = app.add_person(&admin.org_id, "staff", None).await;
    let worker_token = app.token_for(&worker).await;
    let colleague = app.add_person(&admin.org_id, "staff", None).await;
    let colleague_token = app.token_for(&colleague).await;
    let floor = department(
        &app,
        &admin_token,
        json!({"name": "Floor", "manager_ids": [manager.id]}),
    )
    .await;
    // The night shift's only manager has left (deactivated by a change, which keeps what
    // they managed): the floor's manager is told instead.
    let gone = app.add_person(&admin.org_id, "manager", None).await;
    let night = department(
        &app,
        &admin_token,
        json!({"name": "Night", "parent_id": floor, "manager_ids": [gone.id]}),
    )
    .await;
    let r = app
        .patch(
            &format!("/api/v1/employees/{}", gone.id),
            &admin_token,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let office = department(
        &app,
        &admin_token,
        json!({"name": "Office", "manager_ids": [other_manager.id]}),
    )
    .await;
    place(&app, &admin_token, &worker, &night).await;
    place(&app, &admin_token, &colleague, &office).await;

    let r = app
        .put("/api/v1/checkins/today", &worker_token, &fever())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // Corrected to normal and back the same day: still one alert, one check-in in the case.
    let r = app
        .put(
            "/api/v1/checkins/today",
            &worker_token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .put("/api/v1/checkins/today", &worker_token, &fever())
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Saturday, filled in late, abnormal too: the same case.
    let r = app
        .put("/api/v1/checkins/2020-02-01", &worker_token, &fever())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    app.deliver_all().await;
    let mails = smtp.received();
    let alerts: Vec<_> = mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains(&manager.email)))
        .collect();
    assert_eq!(alerts.len(), 2, "one per person and day: {}", mails.len());
    let worker_name = app.get("/api/v1/me", &worker_token).await.body["name"].clone();
    let text = alerts[0].part("text/plain").unwrap();
    assert!(text.contains(worker_name.as_str().unwrap()), "{text}");
    assert!(text.contains("Floor/Night"), "{text}");
    assert!(text.contains("#/cases?id="), "{text}");
    assert!(
        !text.contains("38.6") && !text.contains("fever"),
        "no answers: {text}"
    );
    assert!(
        mails.iter().all(|m| !m
            .to
            .iter()
            .any(|t| t.contains(&other_manager.email) || t.contains(&gone.email))),
        "only the active managers above the person"
    );

    // The manager sees the case; another department's manager does not; staff may not ask.
    let list = app.get("/api/v1/cases", &manager_token).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["total"], 1, "{:?}", list.body);
    let case = &list.body["cases"][0];
    let id = case["id"].as_str().unwrap().to_string();
    assert_eq!(case["status"], "open");
    assert_eq!(case["person"]["id"], worker.id.as_str());
    assert_eq!(case["person"]["department"]["path"], "Floor/Night");
    let dates: Vec<&str> = case["checkins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2020-02-01", "2020-02-03"]);
    assert!(case["checkins"][0]["abnormal_reasons"]
        .as_array()
        .unwrap()
        .contains(&json!("temperature")));
    let kinds: Vec<&str> = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["opened", "checkin", "checkin"]);
    let theirs = app.get("/api/v1/cases", &other_token).await;
    assert_eq!(theirs.body["total"], 0, "{:?}", theirs.body);
    let r = app.get(&format!("/api/v1/cases/{id}"), &other_token).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get("/api/v1/cases", &colleague_token).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Worked: contacted with a note and an assignee, each a step of the timeline.
    let path = format!("/api/v1/cases/{id}");
    for (body, field, code) in [
        (json!({"status": "resolved"}), "status", "not_a_choice"),
        (
            json!({"assignee_id": colleague.id}),
            "assignee_id",
            "not_an_assignee",
        ),
        (json!({"note": "x".repeat(2001)}), "note", "too_long"),
    ] {
        let r = app.patch(&path, &manager_token, &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.problem(field).map(|(c, _)| c), Some(code), "{:?}", r.body);
    }
    let r = app
        .patch(
            &path,
            &manager_token,
            &json!({"status": "contacted", "note": "Called: resting at home.", "assignee_id": hr.id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "contacted");
    assert_eq!(r.body["assignee"]["id"], hr.id.as_str());
    assert_eq!(r.body["assignee"]["role"], "hr");
    let timeline = r.body["timeline"].as_array().unwrap();
    let note = timeline.iter().find(|e| e["kind"] == "note").unwrap();
    assert_eq!(note["note"], "Called: resting at home.");
    assert_eq!(note["by"]["id"], manager.id.as_str());
    assert!(timeline
        .iter()
        .any(|e| e["kind"] == "status" && e["status"] == "contacted"));
    let r = app
        .patch(&path, &manager_token, &json!({"status": "cleared"}))
        .await;
    assert_eq!(r.body["status"], "cleared");
    let log = app
        .get(
            &format!("/api/v1/audit?action=cases.update&target_id={}", worker.id),
            &admin_token,
        )
        .await;
    assert_eq!(log.body["total"], 2, "{:?}", log.body);

    // A new abnormal day after clearance opens a new case; the old one cannot be reopened
    // while it is open.
    let late = app
        .put("/api/v1/checkins/2020-02-02", &worker_token, &fever())
        .await;
    assert_eq!(late.status, StatusCode::CREATED, "{:?}", late.body);
    let open = app.get("/api/v1/cases?status=open", &admin_token).await;
    assert_eq!(open.body["total"], 1, "{:?}", open.body);
    assert_ne!(open.body["cases"][0]["id"], id.as_str());
    let r = app
        .patch(&path, &manager_token, &json!({"status": "open"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.code(), "case_already_open");
    let r = app.get("/api/v1/cases?status=bogus", &admin_token).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The cases as a file.
    let csv = crate::exports::download(&app, "/api/v1/cases.csv", &admin_token).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    let (header, rows) = crate::exports::read_csv(&csv.bytes);
    assert_eq!(header[0], "case_id");
    assert_eq!(rows.len(), 2);
    let status = header.iter().position(|h| h == "status").unwrap();
    let notes = header.iter().position(|h| h == "notes").unwrap();
    let cleared = rows.iter().find(|r| r[status] == "cleared").unwrap();
    assert_eq!(cleared[notes], "Called: resting at home.");

    // Alerts can be turned off; the case still opens.
    let r = app
        .put(
            "/api/v1/organization",
            &admin_token,
            &json!({"abnormal_alerts": false}),
        )
        .await;
    assert_eq!(r.body["abnormal_alerts"], false, "{:?}", r.body);
    app.deliver_all().await;
    let before = smtp.received().len();
    let r = app
        .put("/api/v1/checkins/today", &colleague_token, &fever())
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    app.deliver_all().await;
    assert_eq!(smtp.received().len(), before, "no alert");
    let theirs = app.get("/api/v1/cases", &other_token).await;
    assert_eq!(theirs.body["total"], 1, "{:?}", theirs.body);

    // A manager's own case is for HR and admins, even in a department they manage.
    place(&app, &admin_token, &other_manager, &office).await;
    let r = app
        .put("/api/v1/checkins/today", &other_token, &fever())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let theirs = app.get("/api/v1/cases", &other_token).await;
    assert_eq!(
        theirs.body["total"], 1,
        "only the colleague's: {:?}",
        theirs.body
    );
    let all = app.get("/api/v1/cases?status=open", &admin_token).await;
    assert!(
        all.body["cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["person"]["id"] == other_manager.id.as_str()),
        "{:?}",
        all.body
    );
}
