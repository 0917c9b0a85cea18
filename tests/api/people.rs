//! Departments, people, leave and the organization's settings.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{login_as, spawn_app, Person, TestApp};

async fn admin_session(app: &TestApp) -> (Person, String) {
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    (admin, token)
}

async fn department(app: &TestApp, token: &str, name: &str, parent: Option<&str>) -> String {
    let r = app
        .post_as(
            "/api/v1/departments",
            token,
            &json!({"name": name, "parent_id": parent}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

async fn employee(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post_as("/api/v1/employees", token, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

#[tokio::test]
async fn the_department_tree_can_be_built_moved_and_pruned() {
    let app = spawn_app().await;
    let (_, token) = admin_session(&app).await;
    let sales = department(&app, &token, "Sales", None).await;
    let east = department(&app, &token, "East", Some(&sales)).await;
    let shanghai = department(&app, &token, "Shanghai", Some(&east)).await;

    let list = app.get("/api/v1/departments", &token).await;
    let paths: Vec<&str> = list.body["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["Sales", "Sales/East", "Sales/East/Shanghai"]);

    // A sibling with the same name, a missing parent, a cycle: refused, nothing changes.
    let dup = app
        .post_as(
            "/api/v1/departments",
            &token,
            &json!({"name": "east", "parent_id": sales}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let orphan = app
        .post_as(
            "/api/v1/departments",
            &token,
            &json!({"name": "X", "parent_id": "nope"}),
        )
        .await;
    assert_eq!(orphan.field("parent_id"), Some("no such department"));
    let cycle = app
        .patch(
            &format!("/api/v1/departments/{sales}"),
            &token,
            &json!({"parent_id": shanghai}),
        )
        .await;
    assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(cycle.field("parent_id").unwrap().contains("under itself"));
    let slash = app
        .post_as("/api/v1/departments", &token, &json!({"name": "A/B"}))
        .await;
    assert!(slash.field("name").is_some());

    // Rename and move to the top level.
    let moved = app
        .patch(
            &format!("/api/v1/departments/{shanghai}"),
            &token,
            &json!({"name": "Shanghai Office", "parent_id": null}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["path"], "Shanghai Office");
    assert!(moved.body["parent_id"].is_null());

    // A department with people or children cannot be deleted.
    employee(
        &app,
        &token,
        json!({"email": "li@acme.test", "name": "Li", "department_id": east}),
    )
    .await;
    let busy = app
        .delete(&format!("/api/v1/departments/{east}"), &token)
        .await;
    assert_eq!(busy.status, StatusCode::CONFLICT);
    assert_eq!(busy.code(), "department_not_empty");
    assert!(busy.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("1 active"));
    let parent = app
        .delete(&format!("/api/v1/departments/{sales}"), &token)
        .await;
    assert_eq!(parent.status, StatusCode::CONFLICT);
    assert!(parent.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("sub-departments"));

    let gone = app
        .delete(&format!("/api/v1/departments/{shanghai}"), &token)
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let again = app
        .get(&format!("/api/v1/departments/{shanghai}"), &token)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn managers_see_the_subtrees_they_manage() {
    let app = spawn_app().await;
    let (_, token) = admin_session(&app).await;
    let sales = department(&app, &token, "Sales", None).await;
    let east = department(&app, &token, "East", Some(&sales)).await;
    let ops = department(&app, &token, "Operations", None).await;
    let boss = employee(&app, &token, json!({"email": "boss@acme.test", "name": "Boss", "role": "manager", "manager_of": [sales]})).await;
    assert_eq!(boss["manages"], json!([sales]));
    employee(
        &app,
        &token,
        json!({"email": "e1@acme.test", "name": "East One", "department_id": east}),
    )
    .await;
    let outsider = employee(
        &app,
        &token,
        json!({"email": "o1@acme.test", "name": "Ops One", "department_id": ops}),
    )
    .await;

    let staff_manager = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "s@acme.test", "name": "S", "manager_of": [ops]}),
        )
        .await;
    assert_eq!(staff_manager.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(staff_manager.field("manager_of").is_some());

    // The manager logs in through a password set by the admin's reset of their account.
    let boss_token = login_as(&app, &boss).await;
    let seen = app.get("/api/v1/departments", &boss_token).await;
    let names: Vec<&str> = seen.body["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Sales", "East"]);
    let people = app.get("/api/v1/employees", &boss_token).await;
    assert_eq!(people.body["total"], 1);
    assert_eq!(people.body["employees"][0]["email"], "e1@acme.test");
    assert_eq!(people.body["employees"][0]["department_path"], "Sales/East");

    let outside = app
        .get(&format!("/api/v1/departments/{ops}"), &boss_token)
        .await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);
    let filtered = app
        .get(
            &format!("/api/v1/employees?department_id={ops}"),
            &boss_token,
        )
        .await;
    assert_eq!(filtered.status, StatusCode::FORBIDDEN);
    // A department that does not exist gets one answer everywhere: 422 naming the parameter.
    for path in [
        "/api/v1/employees?department_id=no-such-department",
        "/api/v1/reports/daily?department_id=no-such-department",
        "/api/v1/reports/unreported?department_id=no-such-department",
    ] {
        let unknown = app.get(path, &boss_token).await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(
            unknown.field("department_id"),
            Some("no such department"),
            "{path}"
        );
    }
    let person = app
        .get(
            &format!("/api/v1/employees/{}", outsider["id"].as_str().unwrap()),
            &boss_token,
        )
        .await;
    assert_eq!(person.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn people_are_listed_searched_paged_changed_and_deactivated() {
    let app = spawn_app().await;
    let (admin, token) = admin_session(&app).await;
    let sales = department(&app, &token, "Sales", None).await;
    for (i, name) in ["Zhang Wei", "Li Na", "Wang Fang", "Zhao Lei"]
        .iter()
        .enumerate()
    {
        employee(&app, &token, json!({"email": format!("p{i}@acme.test"), "name": name, "employee_no": format!("E{i:03}"), "department_id": sales})).await;
    }
    let page = app.get("/api/v1/employees?per_page=2&page=2", &token).await;
    assert_eq!(page.body["total"], 5, "four people and the admin");
    assert_eq!(page.body["employees"].as_array().unwrap().len(), 2);
    let by_name = app.get("/api/v1/employees?q=zha", &token).await;
    let names: Vec<&str> = by_name.body["employees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Zhang Wei", "Zhao Lei"]);
    let by_no = app.get("/api/v1/employees?q=e002", &token).await;
    assert_eq!(by_no.body["employees"][0]["name"], "Wang Fang");
    let by_email = app.get("/api/v1/employees?q=P3%40ACME", &token).await;
    assert_eq!(by_email.body["employees"][0]["name"], "Zhao Lei");
    let wildcard = app.get("/api/v1/employees?q=%25", &token).await;
    assert_eq!(wildcard.body["total"], 0, "a % in the search is a literal");
    let bad = app.get("/api/v1/employees?per_page=1000", &token).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let dup = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "P0@acme.test", "name": "Again"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.code(), "email_taken");
    let dup_no = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "new@acme.test", "name": "New", "employee_no": "E001"}),
        )
        .await;
    assert_eq!(dup_no.code(), "employee_no_taken");
    let invalid = app
        .post_as("/api/v1/employees", &token, &json!({"email": "x", "name": "", "role": "boss", "timezone": "Nowhere", "locale": "fr"}))
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["email", "name", "role", "timezone", "locale"] {
        assert!(
            invalid.field(field).is_some(),
            "{field}: {:?}",
            invalid.body
        );
    }

    let li = employee(
        &app,
        &token,
        json!({"email": "li.lei@acme.test", "name": "Li Lei"}),
    )
    .await;
    let li_id = li["id"].as_str().unwrap();
    let li_token = login_as(&app, &li).await;
    let changed = app
        .patch(&format!("/api/v1/employees/{li_id}"), &token, &json!({"role": "hr", "department_id": sales, "timezone": "Europe/Berlin", "employee_no": "H-1"}))
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["role"], "hr");
    assert_eq!(changed.body["department_path"], "Sales");
    assert_eq!(changed.body["timezone"], "Europe/Berlin");
    let me = app.get("/api/v1/me", &li_token).await;
    assert_eq!(me.body["role"], "hr");
    assert_eq!(me.body["timezone"], "Europe/Berlin");

    // Deactivation keeps the person and their history, and ends their sessions.
    let r = app
        .put(
            "/api/v1/checkins/today",
            &li_token,
            &json!({"answers": crate::helpers::healthy_answers()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let gone = app
        .delete(&format!("/api/v1/employees/{li_id}"), &token)
        .await;
    assert_eq!(gone.status, StatusCode::OK);
    assert_eq!(gone.body["active"], false);
    assert_eq!(
        app.get("/api/v1/me", &li_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM checkins").await,
        1
    );
    let inactive = app.get("/api/v1/employees?active=false", &token).await;
    assert_eq!(inactive.body["employees"][0]["id"], li_id);
    let back = app
        .patch(
            &format!("/api/v1/employees/{li_id}"),
            &token,
            &json!({"active": true}),
        )
        .await;
    assert_eq!(back.body["active"], true);

    let myself = app
        .delete(&format!("/api/v1/employees/{}", admin.id), &token)
        .await;
    assert_eq!(myself.status, StatusCode::CONFLICT);
    let demote = app
        .patch(
            &format!("/api/v1/employees/{}", admin.id),
            &token,
            &json!({"role": "staff"}),
        )
        .await;
    assert_eq!(demote.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn leave_holidays_and_working_days_decide_who_is_expected() {
    let app = spawn_app().await;
    let (admin, token) = admin_session(&app).await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let staff_token = app.token_for(&staff).await;

    // Monday 2020-02-03: a working day.
    let today = app.get("/api/v1/checkins/today", &staff_token).await;
    assert_eq!(
        (
            today.body["expected"].clone(),
            today.body["exemption"].clone()
        ),
        (json!(true), Value::Null)
    );

    let settings = app
        .call(reqwest::Method::PUT, "/api/v1/organization", &token, Some(&json!({"holidays": ["2020-02-03"], "reminder_times": ["11:00", "09:30"], "late_days": 5})))
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{:?}", settings.body);
    assert_eq!(settings.body["reminder_times"], json!(["09:30", "11:00"]));
    assert_eq!(
        settings.body["working_days"],
        json!([1, 2, 3, 4, 5]),
        "kept"
    );
    let today = app.get("/api/v1/checkins/today", &staff_token).await;
    assert_eq!(today.body["exemption"], "holiday");
    assert_eq!(today.body["earliest_date"], "2020-01-29");
    assert_eq!(
        today.body["today"], today.body["date"],
        "the server's today"
    );
    let earlier = app.get("/api/v1/checkins/2020-01-31", &staff_token).await;
    assert_eq!(earlier.body["today"], today.body["date"]);

    app.call(
        reqwest::Method::PUT,
        "/api/v1/organization",
        &token,
        Some(&json!({"holidays": [], "working_days": [2, 3, 4, 5, 6]})),
    )
    .await;
    let today = app.get("/api/v1/checkins/today", &staff_token).await;
    assert_eq!(today.body["exemption"], "non_working_day");

    app.call(
        reqwest::Method::PUT,
        "/api/v1/organization",
        &token,
        Some(&json!({"working_days": [1, 2, 3, 4, 5]})),
    )
    .await;
    let leave = app
        .post_as(
            &format!("/api/v1/employees/{}/leave", staff.id),
            &token,
            &json!({"from": "2020-02-01", "to": "2020-02-07", "kind": "annual"}),
        )
        .await;
    assert_eq!(leave.status, StatusCode::CREATED, "{:?}", leave.body);
    let today = app.get("/api/v1/checkins/today", &staff_token).await;
    assert_eq!(today.body["exemption"], "on_leave");
    assert_eq!(today.body["expected"], false);
    let own = app
        .get(
            &format!("/api/v1/employees/{}/leave", staff.id),
            &staff_token,
        )
        .await;
    assert_eq!(own.body["leave"][0]["kind"], "annual");

    let removed = app
        .delete(
            &format!(
                "/api/v1/employees/{}/leave/{}",
                staff.id,
                leave.body["id"].as_str().unwrap()
            ),
            &token,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let today = app.get("/api/v1/checkins/today", &staff_token).await;
    assert_eq!(today.body["expected"], true);

    let bad = app
        .post_as(
            &format!("/api/v1/employees/{}/leave", staff.id),
            &token,
            &json!({"from": "2020-02-07", "to": "2020-02-01", "kind": "beach"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field("to").is_some() && bad.field("kind").is_some());
}

#[tokio::test]
async fn organization_settings_are_validated_and_unchanged_on_error() {
    let app = spawn_app().await;
    let (_, token) = admin_session(&app).await;
    let before = app.get("/api/v1/organization", &token).await;
    assert_eq!(before.body["timezone"], "Asia/Shanghai");
    assert_eq!(before.body["late_days"], 3);
    let bad = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/organization",
            &token,
            Some(&json!({"timezone": "Moon/Base", "working_days": [0, 8], "reminder_times": ["25:00"], "late_days": 99, "locale": "xx", "name": ""})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in [
        "timezone",
        "working_days",
        "reminder_times",
        "late_days",
        "locale",
        "name",
    ] {
        assert!(bad.field(field).is_some(), "{field}");
    }
    let unknown = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/organization",
            &token,
            Some(&json!({"colour": "blue"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get("/api/v1/organization", &token).await.body,
        before.body
    );

    let moved = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/organization",
            &token,
            Some(&json!({"timezone": "America/New_York", "name": "Acme US"})),
        )
        .await;
    assert_eq!(moved.body["timezone"], "America/New_York");
    assert_eq!(moved.body["name"], "Acme US");
    // Monday 09:00 in Shanghai is Sunday evening in New York.
    let today = app.get("/api/v1/checkins/today", &token).await;
    assert_eq!(today.body["date"], "2020-02-02");
}

/// Each refused field of a person as a code and its parameters, beside the English sentence.
#[tokio::test]
async fn a_persons_refused_fields_carry_codes_and_parameters() {
    let app = spawn_app().await;
    let (_, token) = admin_session(&app).await;
    let sales = department(&app, &token, "Sales", None).await;
    let r = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({
                "email": "x", "name": "  ", "employee_no": "E".repeat(65), "role": "boss",
                "department_id": "no-such-department", "timezone": "Nowhere", "locale": "fr",
                "manager_of": [sales, "gone"]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let no_params = json!({});
    for (field, code, params) in [
        ("email", "invalid_email", &no_params),
        ("name", "required", &no_params),
        ("employee_no", "too_long", &json!({"max": 64})),
        (
            "role",
            "not_a_choice",
            &json!({"choices": ["staff", "manager", "hr", "admin"], "value": "boss"}),
        ),
        ("department_id", "unknown_department", &no_params),
        ("timezone", "invalid_timezone", &json!({"value": "Nowhere"})),
        (
            "locale",
            "not_a_choice",
            &json!({"choices": ["zh-CN", "en"]}),
        ),
        (
            "manager_of",
            "unknown_department",
            &json!({"value": "gone"}),
        ),
    ] {
        assert_eq!(r.problem(field), Some((code, params)), "{field}");
    }
    // The English sentences stay as they were.
    assert_eq!(
        r.field("role"),
        Some("`boss` is not one of staff, manager, hr, admin")
    );
    assert_eq!(r.field("department_id"), Some("no such department"));

    let staff_manager = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "s@acme.test", "name": "S", "manager_of": [sales]}),
        )
        .await;
    assert_eq!(
        staff_manager.problem("manager_of"),
        Some(("role_cannot_manage", &json!({"role": "staff"})))
    );

    let boss = employee(&app, &token, json!({"email": "boss@acme.test", "name": "Boss", "role": "manager", "manager_of": [sales]})).await;
    let demoted = app
        .patch(
            &format!("/api/v1/employees/{}", boss["id"].as_str().unwrap()),
            &token,
            &json!({"role": "staff", "email": "boss@"}),
        )
        .await;
    assert_eq!(demoted.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        demoted.problem("role"),
        Some(("manages_departments", &no_params))
    );
    assert_eq!(
        demoted.problem("email"),
        Some(("invalid_email", &no_params))
    );

    for (query, field, choices) in [
        (
            "role=boss",
            "role",
            json!(["staff", "manager", "hr", "admin"]),
        ),
        ("active=maybe", "active", json!(["true", "false", "all"])),
    ] {
        let r = app.get(&format!("/api/v1/employees?{query}"), &token).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let (code, params) = r.problem(field).unwrap_or(("", &Value::Null));
        assert_eq!(code, "not_a_choice", "{query}");
        assert_eq!(params["choices"], choices, "{query}");
    }
}

/// A taken e-mail or employee number stays a 409 with its own code, and names the field.
#[tokio::test]
async fn a_taken_email_or_number_names_its_field() {
    let app = spawn_app().await;
    let (_, token) = admin_session(&app).await;
    let first = employee(
        &app,
        &token,
        json!({"email": "li@acme.test", "name": "Li", "employee_no": "E1"}),
    )
    .await;
    let other = app.create_org("Other", "UTC").await;
    let elsewhere = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": other.email.to_uppercase(), "name": "Twice"}),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::CONFLICT);
    assert_eq!(elsewhere.code(), "email_taken");
    assert_eq!(
        elsewhere.body["error"]["message"],
        format!("{} already has an account", other.email)
    );
    assert!(
        elsewhere.body["error"].get("fields").is_none(),
        "a conflict is no validation error"
    );
    assert_eq!(
        elsewhere.problem("email"),
        Some(("taken", &json!({"value": other.email})))
    );

    let second = employee(
        &app,
        &token,
        json!({"email": "wang@acme.test", "name": "Wang"}),
    )
    .await;
    let number = app
        .patch(
            &format!("/api/v1/employees/{}", second["id"].as_str().unwrap()),
            &token,
            &json!({"employee_no": " E1 "}),
        )
        .await;
    assert_eq!(number.status, StatusCode::CONFLICT);
    assert_eq!(number.code(), "employee_no_taken");
    assert_eq!(
        number.body["error"]["message"],
        "employee number E1 belongs to li@acme.test"
    );
    assert_eq!(
        number.problem("employee_no"),
        Some(("taken", &json!({"value": "E1", "holder": first["email"]})))
    );
}

#[tokio::test]
async fn refused_leave_carries_codes_and_parameters() {
    let app = spawn_app().await;
    let (admin, token) = admin_session(&app).await;
    let leave = |body: Value| {
        let (app, token, id) = (&app, &token, admin.id.clone());
        async move {
            app.post_as(&format!("/api/v1/employees/{id}/leave"), token, &body)
                .await
        }
    };
    let r = leave(
        json!({"from": "2020-02-30", "to": "2020-02-07", "kind": "beach", "note": "x".repeat(501)}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let no_params = json!({});
    assert_eq!(r.problem("from"), Some(("invalid_date", &no_params)));
    assert_eq!(r.problem("to"), None, "a range needs both ends");
    let kinds = json!({"choices": ["annual", "sick", "personal", "parental", "other"]});
    assert_eq!(r.problem("kind"), Some(("not_a_choice", &kinds)));
    assert_eq!(r.problem("note"), Some(("too_long", &json!({"max": 500}))));

    let reversed =
        leave(json!({"from": "2020-02-07", "to": "2020-02-01", "kind": "sick", "note": "a\u{7}b"}))
            .await;
    assert_eq!(reversed.problem("to"), Some(("before_start", &no_params)));
    assert_eq!(reversed.field("to"), Some("must not be before `from`"));
    assert_eq!(
        reversed.problem("note"),
        Some(("control_characters", &no_params))
    );

    let long = leave(json!({"from": "2020-01-01", "to": "2021-01-01", "kind": "annual"})).await;
    assert_eq!(
        long.problem("to"),
        Some(("range_too_long", &json!({"max_days": 366})))
    );
    let year = leave(json!({"from": "2020-01-01", "to": "2020-12-31", "kind": "annual"})).await;
    assert_eq!(
        year.status,
        StatusCode::CREATED,
        "366 days: {:?}",
        year.body
    );
}
