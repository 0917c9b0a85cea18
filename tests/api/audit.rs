//! Every read of individual-level data leaves an entry that admins can read.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::exports::{acme, download};
use crate::helpers::spawn_app;

#[tokio::test]
async fn reads_of_people_and_exports_are_in_the_audit_log() {
    let app = spawn_app().await;
    let acme = acme(&app).await; // Wednesday 2020-02-05, 10:00 in Shanghai
    let hr_id = app.get("/api/v1/me", &acme.hr).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let manager_id = app.get("/api/v1/me", &acme.manager).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = app.get("/api/v1/audit", &acme.admin_token).await;
    assert_eq!(before.status, StatusCode::OK, "{:?}", before.body);
    assert_eq!(before.body["total"], 0, "setting up read no lists");

    // Each read a second apart, so that newest first is one order.
    let reads = [
        ("/api/v1/reports/unreported?date=2020-02-03", &acme.hr),
        ("/api/v1/reports/abnormal?date=2020-02-03", &acme.hr),
        ("/api/v1/employees?q=a&per_page=10", &acme.hr),
        (
            "/api/v1/exports/checkins.csv?from=2020-02-03&to=2020-02-05",
            &acme.hr,
        ),
        ("/api/v1/exports/checkins.xlsx?to=2020-02-05", &acme.hr),
        ("/api/v1/reports/unreported", &acme.manager),
    ];
    for (path, token) in reads {
        app.clock.advance(Duration::seconds(1));
        let r = download(&app, path, token).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
    }
    // Refused reads and reports of numbers only leave nothing.
    app.get("/api/v1/reports/unreported?date=2020-02-09", &acme.hr)
        .await;
    app.get("/api/v1/exports/checkins.csv", &acme.a).await;
    app.get("/api/v1/reports/daily", &acme.hr).await;
    download(&app, "/api/v1/reports/trend.svg", &acme.hr).await;

    let log = app.get("/api/v1/audit", &acme.admin_token).await;
    assert_eq!(log.status, StatusCode::OK);
    assert_eq!(log.body["total"], 6);
    assert_eq!(log.body["page"], 1);
    assert_eq!(log.body["per_page"], 50);
    let entries = log.body["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "reports.unreported",
            "exports.xlsx",
            "exports.csv",
            "employees.list",
            "reports.abnormal",
            "reports.unreported",
        ]
    );
    let hr_entry = |action: &str| -> &Value {
        entries
            .iter()
            .find(|e| e["action"] == action && e["actor"]["id"] == hr_id.as_str())
            .unwrap()
    };
    let unreported = hr_entry("reports.unreported");
    assert_eq!(
        unreported["actor"],
        json!({"id": hr_id, "name": "Hr", "email": "hr@acme.test"})
    );
    assert_eq!(unreported["scope"], "organization");
    assert_eq!(
        unreported["detail"],
        json!({"date": "2020-02-03", "page": 1, "people": 3})
    );
    // Wednesday 10:00 in Shanghai, plus the first second.
    assert_eq!(unreported["created_at"], "2020-02-05T02:00:01Z");
    assert_eq!(
        hr_entry("exports.csv")["detail"],
        json!({"from": "2020-02-03", "to": "2020-02-05", "department_id": null})
    );
    assert_eq!(
        hr_entry("exports.xlsx")["detail"]["from"],
        "2020-01-07",
        "the default range is recorded as used"
    );
    let list = &hr_entry("employees.list")["detail"];
    assert_eq!(list["q"], "a");
    assert_eq!(list["per_page"], 10);
    let managers = &entries[0];
    assert_eq!(managers["actor"]["id"], manager_id.as_str());
    assert_eq!(
        managers["scope"], acme.sales,
        "a manager's entry names the departments they manage"
    );
    assert_eq!(managers["detail"]["date"], "2020-02-05");

    // Paged like the people list, and by day.
    let page = app
        .get("/api/v1/audit?per_page=2&page=2", &acme.admin_token)
        .await;
    let actions: Vec<&str> = page.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["exports.csv", "employees.list"]);
    assert_eq!(page.body["total"], 6);
    let earlier = app
        .get(
            "/api/v1/audit?from=2020-02-01&to=2020-02-04",
            &acme.admin_token,
        )
        .await;
    assert_eq!(earlier.body["total"], 0);
    let that_day = app
        .get(
            "/api/v1/audit?from=2020-02-05&to=2020-02-05",
            &acme.admin_token,
        )
        .await;
    assert_eq!(that_day.body["total"], 6);
    for bad in [
        "/api/v1/audit?page=0",
        "/api/v1/audit?per_page=201",
        "/api/v1/audit?from=2020-02-06&to=2020-02-05",
        "/api/v1/audit?from=someday",
    ] {
        let r = app.get(bad, &acme.admin_token).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }

    for token in [&acme.hr, &acme.manager, &acme.a] {
        let r = app.get("/api/v1/audit", token).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.code(), "forbidden");
    }
}
