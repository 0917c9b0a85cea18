//! Every read of individual-level data, and every change to people, departments, leave and
//! settings, leaves an entry that admins can read.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::exports::{acme, download};
use crate::helpers::{login_as, spawn_app, TestApp};

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
    // Setting up changed people and departments (see the changes below) but read nothing.
    let before = app.get("/api/v1/audit?kind=read", &acme.admin_token).await;
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

    let log = app.get("/api/v1/audit?kind=read", &acme.admin_token).await;
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
        .get(
            "/api/v1/audit?kind=read&per_page=2&page=2",
            &acme.admin_token,
        )
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
            "/api/v1/audit?kind=read&from=2020-02-01&to=2020-02-04",
            &acme.admin_token,
        )
        .await;
    assert_eq!(earlier.body["total"], 0);
    let that_day = app
        .get(
            "/api/v1/audit?kind=read&from=2020-02-05&to=2020-02-05",
            &acme.admin_token,
        )
        .await;
    assert_eq!(that_day.body["total"], 6);
    for bad in [
        "/api/v1/audit?page=0",
        "/api/v1/audit?per_page=201",
        "/api/v1/audit?from=2020-02-06&to=2020-02-05",
        "/api/v1/audit?from=someday",
        "/api/v1/audit?kind=reads",
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

/// The changes of `target_id`, newest first.
async fn changes_of(app: &TestApp, token: &str, target_id: &str) -> Vec<Value> {
    let r = app
        .get(
            &format!("/api/v1/audit?kind=change&target_id={target_id}"),
            token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["entries"].as_array().unwrap().clone()
}

async fn total(app: &TestApp, token: &str, query: &str) -> i64 {
    let r = app.get(&format!("/api/v1/audit?{query}"), token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["total"].as_i64().unwrap()
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

fn id_of(body: &Value) -> String {
    body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn every_change_to_a_person_is_in_the_audit_log_with_before_and_after() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let step = || app.clock.advance(Duration::seconds(1));
    let sales = id_of(
        &app.post_as("/api/v1/departments", &token, &json!({"name": "Sales"}))
            .await
            .body,
    );
    step();
    let created = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "hr@acme.test", "name": "Hr", "invite": false}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let hr = id_of(&created.body);
    let person = format!("/api/v1/employees/{hr}");
    step();
    // The scenario of the finding: HR's e-mail and role changed, a reset asked for.
    let changed = app
        .patch(
            &person,
            &token,
            &json!({"email": "mine@acme.test", "role": "hr", "department_id": sales,
                    "manager_of": [sales]}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    step();
    app.post(
        "/api/v1/auth/forgot-password",
        &json!({"email": "mine@acme.test"}),
    )
    .await;
    app.detached_work_done().await;
    step();
    let leave = app
        .post_as(
            &format!("{person}/leave"),
            &token,
            &json!({"from": "2020-02-10", "to": "2020-02-12", "kind": "sick",
                    "note": "flu, 39 degrees"}),
        )
        .await;
    assert_eq!(leave.status, StatusCode::CREATED, "{:?}", leave.body);
    let leave_id = id_of(&leave.body);
    step();
    let removed = app
        .delete(&format!("{person}/leave/{leave_id}"), &token)
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    step();
    assert_eq!(app.delete(&person, &token).await.status, StatusCode::OK);
    step();
    // Deactivating again changes nothing, and says nothing.
    assert_eq!(app.delete(&person, &token).await.status, StatusCode::OK);
    let back = app.patch(&person, &token, &json!({"active": true})).await;
    assert_eq!(back.status, StatusCode::OK);
    step();
    let invite = app
        .post_as(&format!("{person}/invite"), &token, &json!({}))
        .await;
    assert_eq!(invite.status, StatusCode::ACCEPTED);
    step();
    // A change that changes nothing is no change.
    app.patch(&person, &token, &json!({"name": "Hr"})).await;

    let entries = changes_of(&app, &token, &hr).await;
    assert_eq!(
        actions(&entries),
        [
            "employees.invite",
            "employees.update",
            "employees.deactivate",
            "leave.delete",
            "leave.add",
            "employees.reset_link",
            "employees.update",
            "employees.create",
        ]
    );
    let by_admin = json!({"id": admin.id, "name": admin.email.split('@').next().unwrap(),
                          "email": admin.email});
    for entry in &entries {
        assert_eq!(entry["kind"], "change");
        assert_eq!(entry["scope"], "organization");
        assert_eq!(entry["target"]["kind"], "person");
        assert_eq!(entry["target"]["id"], hr.as_str());
        let actor = if entry["action"] == "employees.reset_link" {
            Value::Null
        } else {
            by_admin.clone()
        };
        assert_eq!(entry["actor"], actor, "{}", entry["action"]);
    }
    let change = |i: usize| &entries[i]["changes"];
    assert_eq!(
        change(7),
        &json!({
            "email": {"before": null, "after": "hr@acme.test"},
            "name": {"before": null, "after": "Hr"},
            "role": {"before": null, "after": "staff"},
            "active": {"before": null, "after": true},
        })
    );
    assert_eq!(entries[7]["detail"], json!({"invited": false}));
    assert_eq!(
        change(6),
        &json!({
            "email": {"before": "hr@acme.test", "after": "mine@acme.test"},
            "role": {"before": "staff", "after": "hr"},
            "department_id": {"before": null, "after": sales},
            "manager_of": {"before": [], "after": [sales]},
        })
    );
    assert_eq!(entries[6]["target"]["name"], "Hr");
    assert_eq!(change(5), &json!({}));
    assert_eq!(
        change(4),
        &json!({"from": {"before": null, "after": "2020-02-10"},
                "to": {"before": null, "after": "2020-02-12"}})
    );
    assert_eq!(entries[4]["detail"], json!({"leave_id": leave_id}));
    assert_eq!(
        change(3),
        &json!({"from": {"before": "2020-02-10", "after": null},
                "to": {"before": "2020-02-12", "after": null}})
    );
    assert_eq!(
        change(2),
        &json!({"active": {"before": true, "after": false},
                "manager_of": {"before": [sales], "after": []}})
    );
    assert_eq!(
        change(1),
        &json!({"active": {"before": false, "after": true}})
    );
    // What a leave is for and its note are health data: never in the log.
    let log = app.get("/api/v1/audit", &token).await.body.to_string();
    for health in ["sick", "flu", "39 degrees"] {
        assert!(!log.contains(health), "{health} in {log}");
    }
}

#[tokio::test]
async fn changes_to_departments_and_settings_are_in_the_audit_log() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let step = || app.clock.advance(Duration::seconds(1));
    let manager = id_of(
        &app.post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "mgr@acme.test", "name": "Mgr", "role": "manager"}),
        )
        .await
        .body,
    );
    let sales = id_of(
        &app.post_as("/api/v1/departments", &token, &json!({"name": "Sales"}))
            .await
            .body,
    );
    step();
    let east = id_of(
        &app.post_as(
            "/api/v1/departments",
            &token,
            &json!({"name": "East", "manager_ids": [manager]}),
        )
        .await
        .body,
    );
    step();
    let moved = app
        .patch(
            &format!("/api/v1/departments/{east}"),
            &token,
            &json!({"name": "East China", "parent_id": sales, "manager_ids": []}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    step();
    let same = app
        .patch(
            &format!("/api/v1/departments/{east}"),
            &token,
            &json!({"name": "East China"}),
        )
        .await;
    assert_eq!(same.status, StatusCode::OK);
    let deleted = app
        .delete(&format!("/api/v1/departments/{east}"), &token)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    let entries = changes_of(&app, &token, &east).await;
    assert_eq!(
        actions(&entries),
        [
            "departments.delete",
            "departments.update",
            "departments.create"
        ]
    );
    assert_eq!(
        entries[2]["target"],
        json!({"kind": "department", "id": east, "name": "East"})
    );
    assert_eq!(
        entries[2]["changes"],
        json!({"name": {"before": null, "after": "East"},
               "manager_ids": {"before": [], "after": [manager]}})
    );
    assert_eq!(
        entries[1]["changes"],
        json!({"name": {"before": "East", "after": "East China"},
               "parent_id": {"before": null, "after": sales},
               "manager_ids": {"before": [manager], "after": []}})
    );
    assert_eq!(entries[1]["target"]["name"], "East China");
    assert_eq!(
        entries[0]["changes"],
        json!({"name": {"before": "East China", "after": null},
               "parent_id": {"before": sales, "after": null}})
    );
    assert_eq!(entries[0]["actor"]["id"], admin.id.as_str());

    step();
    let put = |body: Value| {
        let token = token.clone();
        let app = &app;
        async move {
            app.call(Method::PUT, "/api/v1/organization", &token, Some(&body))
                .await
        }
    };
    let r = put(
        json!({"name": "Acme Ltd", "working_days": [1, 2, 3, 4, 5, 6],
                       "holidays": ["2020-05-01"], "late_days": 9}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    step();
    put(json!({"late_days": 9})).await;
    let entries = changes_of(&app, &token, &admin.org_id).await;
    assert_eq!(
        actions(&entries),
        ["organization.update", "organization.create"]
    );
    // Made from the command line, with its first admin: no actor.
    assert_eq!(entries[1]["actor"], Value::Null);
    assert_eq!(
        entries[1]["changes"],
        json!({"name": {"before": null, "after": "Acme"},
               "timezone": {"before": null, "after": "Asia/Shanghai"}})
    );
    let first_admin = changes_of(&app, &token, &admin.id).await;
    assert_eq!(actions(&first_admin), ["employees.create"]);
    assert_eq!(first_admin[0]["actor"], Value::Null);
    assert_eq!(first_admin[0]["changes"]["role"]["after"], "admin");
    assert_eq!(
        entries[0]["target"],
        json!({"kind": "organization", "id": admin.org_id, "name": "Acme Ltd"})
    );
    let changes = &entries[0]["changes"];
    assert_eq!(
        changes["name"],
        json!({"before": "Acme", "after": "Acme Ltd"})
    );
    assert_eq!(
        changes["working_days"],
        json!({"before": [1, 2, 3, 4, 5], "after": [1, 2, 3, 4, 5, 6]})
    );
    assert_eq!(
        changes["holidays"],
        json!({"before": [], "after": ["2020-05-01"]})
    );
    assert_eq!(changes.as_object().unwrap().len(), 4, "{changes}");
}

#[tokio::test]
async fn a_refused_change_leaves_no_entry() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let other = app.create_org("Other", "UTC").await;
    let token = app.token_for(&admin).await;
    let sales = id_of(
        &app.post_as("/api/v1/departments", &token, &json!({"name": "Sales"}))
            .await
            .body,
    );
    let li = id_of(
        &app.post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "li@acme.test", "name": "Li", "department_id": sales}),
        )
        .await
        .body,
    );
    let before = total(&app, &token, "kind=change").await;
    let person = format!("/api/v1/employees/{li}");
    let refused = [
        app.post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "x@acme.test", "name": "\u{200B}"}),
        )
        .await,
        app.post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": other.email, "name": "Taken"}),
        )
        .await,
        app.patch(&person, &token, &json!({"department_id": "nowhere"}))
            .await,
        app.patch(&person, &token, &json!({"email": admin.email}))
            .await,
        app.patch(
            &format!("/api/v1/employees/{}", admin.id),
            &token,
            &json!({"role": "staff"}),
        )
        .await,
        app.patch(
            &format!("/api/v1/departments/{sales}"),
            &token,
            &json!({"parent_id": sales}),
        )
        .await,
        app.delete(&format!("/api/v1/departments/{sales}"), &token)
            .await,
        app.call(
            Method::PUT,
            "/api/v1/organization",
            &token,
            Some(&json!({"name": "Acme 2", "late_days": 99})),
        )
        .await,
        app.post_as(
            &format!("{person}/leave"),
            &token,
            &json!({"from": "2020-02-10", "to": "2020-02-01", "kind": "annual"}),
        )
        .await,
        app.post_csv(
            "/api/v1/employees/import",
            &token,
            "email,name,department\nnew@acme.test,New,Ops\nbad,Bad,\n",
        )
        .await,
        app.post(
            "/api/v1/auth/set-password",
            &json!({"token": "not-a-link", "password": "Plum-blossom-88"}),
        )
        .await,
    ];
    for r in &refused {
        assert!(r.status.is_client_error(), "{:?}", r.body);
    }
    // A dry run changes nothing either.
    let dry = app
        .post_csv(
            "/api/v1/employees/import?dry_run=true",
            &token,
            "email,name,department\nnew@acme.test,New,Ops\n",
        )
        .await;
    assert_eq!(dry.body["created"], 1);
    assert_eq!(total(&app, &token, "kind=change").await, before);
    let done = app.patch(&person, &token, &json!({"name": "Li Lei"})).await;
    assert_eq!(done.status, StatusCode::OK);
    assert_eq!(
        total(&app, &token, "kind=change").await,
        before + 1,
        "a change that went through is there"
    );
}

#[tokio::test]
async fn an_import_leaves_an_entry_per_person_and_department_it_changes() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let csv = "email,name,department,role\n\
               a@acme.test,A,Sales/East,staff\n\
               b@acme.test,B,,manager\n";
    let first = app.post_csv("/api/v1/employees/import", &token, csv).await;
    assert_eq!(first.body["created"], 2, "{:?}", first.body);
    app.clock.advance(Duration::seconds(1));
    let again = app.post_csv("/api/v1/employees/import", &token, csv).await;
    assert_eq!(again.body["unchanged"], 2);
    app.clock.advance(Duration::seconds(1));
    let renamed = "email,name\nb@acme.test,Bee\n";
    assert_eq!(
        app.post_csv("/api/v1/employees/import", &token, renamed)
            .await
            .body["updated"],
        1
    );

    let log = app.get("/api/v1/audit?kind=change", &token).await;
    let entries: Vec<&Value> = log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().ends_with(".import"))
        .collect();
    let summary: Vec<(&str, &str, &Value)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["target"]["name"].as_str().unwrap(),
                &e["detail"]["line"],
            )
        })
        .collect();
    let mut first_import = summary[1..].to_vec();
    first_import.sort_by_key(|(_, name, _)| name.to_string());
    assert_eq!(summary[0], ("employees.import", "Bee", &json!(2)));
    assert_eq!(
        first_import,
        [
            ("employees.import", "A", &json!(2)),
            ("employees.import", "B", &json!(3)),
            ("departments.import", "East", &json!(2)),
            ("departments.import", "Sales", &json!(2)),
        ],
        "the same file again changed nothing"
    );
    assert_eq!(
        entries[0]["changes"],
        json!({"name": {"before": "B", "after": "Bee"}})
    );
    let ids: std::collections::HashSet<&Value> = entries[1..]
        .iter()
        .map(|e| &e["detail"]["import"])
        .collect();
    assert_eq!(ids.len(), 1, "one import, one id");
    assert_ne!(
        entries[0]["detail"]["import"],
        entries[1]["detail"]["import"]
    );
    for entry in &entries {
        assert_eq!(entry["actor"]["id"], admin.id.as_str());
    }
    let a = entries.iter().find(|e| e["target"]["name"] == "A").unwrap();
    assert_eq!(a["changes"]["email"]["after"], "a@acme.test");
    assert!(a["changes"]["department_id"]["after"].is_string());

    // From the command line, the same entries without an actor.
    let org_id = admin.org_id.clone();
    let state = app.state.clone();
    let now = app.clock_now();
    app.with_db(move |conn| {
        health_checkin::services::people::import(
            conn,
            &org_id,
            "email,name\nc@acme.test,C\n",
            health_checkin::services::people::ImportOptions {
                dry_run: false,
                invite: false,
            },
            state.links(),
            now,
        )
        .unwrap()
    })
    .await;
    let log = app.get("/api/v1/audit?kind=change", &token).await;
    let newest = &log.body["entries"][0];
    assert_eq!(
        (
            &newest["action"],
            &newest["target"]["name"],
            &newest["actor"]
        ),
        (&json!("employees.import"), &json!("C"), &Value::Null)
    );
}

#[tokio::test]
async fn passwords_set_through_links_are_in_the_audit_log() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let li = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "li@acme.test", "name": "Li"}),
        )
        .await
        .body;
    login_as(&app, &li).await;
    let entries = changes_of(&app, &token, li["id"].as_str().unwrap()).await;
    assert_eq!(
        actions(&entries),
        ["employees.set_password", "employees.create"]
    );
    assert_eq!(entries[0]["actor"]["id"], li["id"]);
    assert_eq!(entries[0]["detail"], json!({"link": "invitation"}));
    assert_eq!(entries[0]["changes"], json!({}));
    assert_eq!(entries[1]["detail"], json!({"invited": true}));
}

#[tokio::test]
async fn reading_one_person_or_their_leave_is_in_the_audit_log() {
    let app = spawn_app().await;
    let acme = acme(&app).await;
    let hr_id = app.get("/api/v1/me", &acme.hr).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let people = app.get("/api/v1/employees?q=a%40acme.test", &acme.hr).await;
    let a = people.body["employees"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a_department = people.body["employees"][0]["department_id"].clone();
    let me = app.get("/api/v1/me", &acme.a).await.body["id"].clone();
    assert_eq!(me, a.as_str());
    let reads_before = total(&app, &acme.admin_token, "kind=read").await;

    app.clock.advance(Duration::seconds(1));
    let one = app
        .get(&format!("/api/v1/employees/{a}"), &acme.manager)
        .await;
    assert_eq!(one.status, StatusCode::OK);
    app.clock.advance(Duration::seconds(1));
    let leave = app
        .get(&format!("/api/v1/employees/{a}/leave"), &acme.hr)
        .await;
    assert_eq!(leave.status, StatusCode::OK);
    // Reading oneself is not a read of someone else's data; a refused read reads nothing.
    app.get(&format!("/api/v1/employees/{a}"), &acme.a).await;
    app.get(&format!("/api/v1/employees/{a}/leave"), &acme.a)
        .await;
    let refused = app
        .get(&format!("/api/v1/employees/{hr_id}"), &acme.a)
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);

    let log = app
        .get(
            &format!("/api/v1/audit?kind=read&target_id={a}"),
            &acme.admin_token,
        )
        .await;
    let entries = log.body["entries"].as_array().unwrap();
    assert_eq!(actions(entries), ["leave.list", "employees.get"]);
    assert_eq!(entries[0]["actor"]["id"], hr_id.as_str());
    assert_eq!(entries[0]["detail"], json!({"leave": 0}));
    assert_eq!(entries[1]["actor"]["email"], "mgr@acme.test");
    for entry in entries {
        assert_eq!(entry["kind"], "read");
        assert_eq!(entry["changes"], Value::Null);
        assert_eq!(entry["scope"], a_department);
        assert_eq!(
            entry["target"],
            json!({"kind": "person", "id": a, "name": "A"})
        );
    }
    assert_eq!(
        total(&app, &acme.admin_token, "kind=read").await,
        reads_before + 2
    );
}

#[tokio::test]
async fn reading_a_days_reminders_is_in_the_audit_log() {
    let app = spawn_app().await;
    let acme = acme(&app).await;
    let before = total(&app, &acme.admin_token, "kind=read").await;
    let r = app
        .get("/api/v1/reminders?date=2020-02-05", &acme.manager)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let log = app.get("/api/v1/audit?kind=read", &acme.admin_token).await;
    assert_eq!(log.body["total"].as_i64(), Some(before + 1), "{}", log.body);
    let entry = &log.body["entries"][0];
    assert_eq!(entry["action"], "reminders.list");
    assert_eq!(entry["detail"]["date"], "2020-02-05");
    // A refused read leaves nothing.
    let staff = app.get("/api/v1/reminders", &acme.a).await;
    assert_eq!(staff.status, StatusCode::FORBIDDEN);
    assert_eq!(
        total(&app, &acme.admin_token, "kind=read").await,
        before + 1
    );
}
