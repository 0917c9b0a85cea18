//! The OpenAPI document is a contract a client can trust: every parameter declared, every
//! status listed with the error schema, the limits the server enforces, bodies required only
//! where they are. `.ci/api-fuzz` checks the same against generated requests; these tests pin
//! what it found.

use health_checkin::auth::password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use health_checkin::domain::department_tree::MAX_SEGMENT_CHARS;
use health_checkin::domain::email::MAX_EMAIL_LEN;
use health_checkin::domain::org_settings::{
    MAX_HOLIDAYS, MAX_LATE_DAYS, MAX_REMINDER_TIMES, TIME_PATTERN,
};
use health_checkin::domain::FormTemplate;
use health_checkin::people::MAX_EMPLOYEE_NO_CHARS;
use health_checkin::provisioning::MAX_NAME_CHARS;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

async fn document(app: &TestApp) -> Value {
    let r = app
        .send(app.client.get(app.url("/api/v1/openapi.json")))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    r.body
}

/// Every operation: (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                all.push((method.to_string(), path.clone(), operation.clone()));
            }
        }
    }
    assert!(all.len() >= 38, "{} operations", all.len());
    all
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let schema = &doc["components"]["schemas"][name];
    assert!(schema.is_object(), "no schema {name}");
    schema
}

fn error_schema_of(response: &Value) -> &str {
    response["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test]
async fn every_parameter_and_every_status_is_declared() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    for (method, path, op) in operations(&doc) {
        let label = format!("{method} {path}");
        let parameters = op["parameters"].as_array().cloned().unwrap_or_default();
        let templated: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for name in &templated {
            let declared = parameters
                .iter()
                .find(|p| p["name"] == *name && p["in"] == "path");
            let declared = declared.unwrap_or_else(|| panic!("{label} declares {name}"));
            assert_eq!(declared["required"], true, "{label} {name}");
        }
        for p in &parameters {
            if p["in"] == "path" {
                assert!(
                    templated.contains(&p["name"].as_str().unwrap_or("")),
                    "{label}: {p}"
                );
            }
        }

        let responses = op["responses"].as_object().expect("responses");
        let has = |status: &str| responses.contains_key(status);
        for (status, response) in responses {
            assert!(
                response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{label} {status} has a description"
            );
            if status.starts_with('4') || status.starts_with('5') {
                let expected = if path == "/api/v1/employees/import" && status == "422" {
                    "#/components/schemas/ImportFailure"
                } else {
                    "#/components/schemas/ErrorResponse"
                };
                assert_eq!(error_schema_of(response), expected, "{label} {status}");
            }
        }
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        assert_eq!(
            has("401"),
            secured || path == "/api/v1/auth/login" || path == "/api/v1/auth/set-password",
            "{label}: 401"
        );
        if !parameters.is_empty() || op.get("requestBody").is_some() {
            assert!(has("400"), "{label}: 400");
        }
        if templated.iter().any(|name| name.ends_with("id")) {
            assert!(has("404"), "{label}: 404");
        }
        if op["requestBody"]["content"]
            .get("application/json")
            .is_some()
        {
            assert!(has("413") && has("415"), "{label}: 413, 415");
        }
        if path != "/healthz" {
            assert!(has("503"), "{label}: 503");
        }
    }
    // Roles, conflicts and rate limits, where they apply.
    for (method, path, statuses) in [
        ("get", "/api/v1/employees", &["403", "422"][..]),
        ("patch", "/api/v1/employees/{id}", &["403", "409", "422"]),
        ("delete", "/api/v1/employees/{id}", &["403", "409"]),
        ("post", "/api/v1/employees/{id}/leave", &["403", "422"]),
        (
            "delete",
            "/api/v1/employees/{id}/leave/{leave_id}",
            &["403"],
        ),
        ("post", "/api/v1/employees/{id}/invite", &["403", "409"]),
        ("delete", "/api/v1/departments/{id}", &["403", "409"]),
        ("put", "/api/v1/organization", &["403", "422"]),
        ("put", "/api/v1/checkins/{date}", &["409", "422"]),
        ("get", "/api/v1/reports/unreported", &["403", "422"]),
        ("get", "/api/v1/reports/abnormal", &["403", "422"]),
        ("post", "/api/v1/reminders", &["403", "422", "429"]),
        ("post", "/api/v1/auth/login", &["429"]),
        ("post", "/api/v1/auth/set-password", &["429"]),
        ("post", "/api/v1/auth/forgot-password", &["429"]),
        ("post", "/api/v1/auth/logout", &["204", "401"]),
        ("post", "/api/v1/me/sign-out-everywhere", &["204", "401"]),
        (
            "post",
            "/api/v1/employees/{id}/sign-out-everywhere",
            &["204", "401", "403", "404"],
        ),
        ("get", "/api/v1/audit", &["403", "422"]),
    ] {
        let responses = &doc["paths"][path][method]["responses"];
        for status in statuses {
            assert!(
                responses.get(*status).is_some(),
                "{method} {path}: {status}"
            );
        }
    }
}

#[tokio::test]
async fn every_reference_resolves_and_names_one_schema() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    fn walk(value: &Value, doc: &Value, seen: &mut usize) {
        match value {
            Value::Object(map) => {
                if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                    let name = target
                        .strip_prefix("#/components/schemas/")
                        .unwrap_or_else(|| panic!("{target}"));
                    assert!(
                        doc["components"]["schemas"][name].is_object(),
                        "{target} is not in the document"
                    );
                    *seen += 1;
                }
                map.values().for_each(|v| walk(v, doc, seen));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, doc, seen)),
            _ => {}
        }
    }
    let mut seen = 0;
    walk(&doc, &doc, &mut seen);
    assert!(seen > 100, "{seen} references");

    // Two types once shared the name `Queued`, and one schema silently replaced the other.
    let accepted = |path: &str| {
        doc["paths"][path]["post"]["responses"]["202"]["content"]["application/json"]["schema"]
            ["$ref"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        accepted("/api/v1/employees/{id}/invite"),
        "#/components/schemas/InvitationQueued"
    );
    assert_eq!(accepted("/api/v1/reminders"), "#/components/schemas/Queued");
    assert_eq!(
        schema(&doc, "Queued")["properties"]["queued"]["type"],
        "integer"
    );
    assert_eq!(
        schema(&doc, "InvitationQueued")["properties"]["queued"]["type"],
        "boolean"
    );
    // The documented error is the one the server renders.
    let detail = schema(&doc, "ErrorDetail");
    assert_eq!(detail["required"], json!(["code", "message"]));
}

#[tokio::test]
async fn documented_limits_are_the_enforced_ones() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let property = |name: &str, field: &str| schema(&doc, name)["properties"][field].clone();

    assert_eq!(
        property("NewDepartment", "name")["maxLength"],
        MAX_SEGMENT_CHARS
    );
    assert_eq!(
        property("DepartmentChange", "name")["maxLength"],
        MAX_SEGMENT_CHARS
    );
    for name in ["NewEmployee", "EmployeeChange"] {
        assert_eq!(
            property(name, "email")["maxLength"],
            MAX_EMAIL_LEN,
            "{name}"
        );
        assert_eq!(
            property(name, "name")["maxLength"],
            MAX_NAME_CHARS,
            "{name}"
        );
        assert_eq!(
            property(name, "employee_no")["maxLength"],
            MAX_EMPLOYEE_NO_CHARS,
            "{name}"
        );
    }
    assert_eq!(
        property("OrganizationChange", "name")["maxLength"],
        MAX_NAME_CHARS
    );
    assert_eq!(
        property("OrganizationChange", "late_days")["maximum"],
        MAX_LATE_DAYS
    );
    assert_eq!(
        property("OrganizationChange", "reminder_times")["maxItems"],
        MAX_REMINDER_TIMES
    );
    assert_eq!(
        property("OrganizationChange", "holidays")["maxItems"],
        MAX_HOLIDAYS
    );
    assert_eq!(
        property("OrganizationChange", "working_days")["minItems"],
        1
    );
    assert_eq!(schema(&doc, "ClockTime")["pattern"], TIME_PATTERN);
    assert_eq!(schema(&doc, "Weekday")["minimum"], 1);
    assert_eq!(schema(&doc, "Weekday")["maximum"], 7);
    let password = property("SetPasswordRequest", "password");
    assert_eq!(password["minLength"], MIN_PASSWORD_CHARS);
    assert_eq!(password["maxLength"], MAX_PASSWORD_CHARS);
    assert_eq!(
        schema(&doc, "LeaveKind")["enum"],
        json!(health_checkin::people::LEAVE_KINDS)
    );
    assert_eq!(
        schema(&doc, "Role")["enum"],
        json!(["staff", "manager", "hr", "admin"])
    );

    // The answers are the form's own fields, required as the form requires them.
    let form = FormTemplate::default_form();
    let answers = schema(&doc, "Answers");
    let mut keys: Vec<&str> = answers["properties"]
        .as_object()
        .expect("answer properties")
        .keys()
        .map(String::as_str)
        .collect();
    let mut fields: Vec<&str> = form.fields.iter().map(|f| f.key.as_str()).collect();
    keys.sort_unstable();
    fields.sort_unstable();
    assert_eq!(keys, fields);
    let required: Vec<&str> = form
        .fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.key.as_str())
        .collect();
    assert_eq!(answers["required"], json!(required));
    assert_eq!(answers["additionalProperties"], false);
    assert_eq!(schema(&doc, "SubmitRequest")["additionalProperties"], false);

    // Dates are dates wherever they are taken.
    let day = &doc["paths"]["/api/v1/checkins/{date}"]["get"]["parameters"][0]["schema"];
    assert_eq!(day["pattern"], "^(today|[0-9]{4}-[0-9]{2}-[0-9]{2})$");
    for (path, name) in [
        ("/api/v1/checkins", "from"),
        ("/api/v1/reports/daily", "date"),
        ("/api/v1/reports/trend", "to"),
        ("/api/v1/reports/unreported", "date"),
        ("/api/v1/exports/checkins.csv", "from"),
        ("/api/v1/audit", "to"),
        ("/api/v1/reminders", "date"),
    ] {
        let param = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == name).cloned())
            .unwrap_or_else(|| panic!("{path} {name}"));
        assert_eq!(param["in"], "query", "{path} {name}");
        assert_eq!(param["schema"]["format"], "date", "{path} {name}");
    }
}

#[tokio::test]
async fn bodies_are_required_only_where_they_are() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    for (method, path, op) in operations(&doc) {
        if let Some(body) = op.get("requestBody") {
            let optional = (method.as_str(), path.as_str()) == ("post", "/api/v1/reminders");
            assert_eq!(
                body["required"].as_bool().unwrap_or(false),
                !optional,
                "{method} {path}"
            );
        }
    }

    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let remind = |body: Option<(&str, String)>| {
        let mut request = app
            .client
            .post(app.url("/api/v1/reminders"))
            .bearer_auth(&token);
        if let Some((content_type, body)) = body {
            request = request.header("Content-Type", content_type).body(body);
        }
        app.send(request)
    };
    let r = remind(None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert!(r.body["queued"].is_u64());

    // A body that is sent must be a right one: no longer read as no body at all.
    let huge = format!(r#"{{"department_id": "{}"}}"#, "x".repeat(70_000));
    for (content_type, body, status) in [
        ("application/json", "[null, null]", StatusCode::BAD_REQUEST),
        (
            "application/json",
            r#"{"date": 5}"#,
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json",
            r#"{"colour": "blue"}"#,
            StatusCode::BAD_REQUEST,
        ),
        ("application/json", "{", StatusCode::BAD_REQUEST),
        (
            "text/plain",
            r#"{"date": "2020-02-03"}"#,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "application/json",
            huge.as_str(),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "application/json",
            r#"{"date": "2020-2-3"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = remind(Some((content_type, body.to_string()))).await;
        assert_eq!(
            r.status,
            status,
            "{content_type} {}",
            &body[..body.len().min(40)]
        );
        assert!(r.body["error"]["code"].is_string(), "{}", r.body);
    }
}

#[tokio::test]
async fn requests_outside_the_document_are_refused_not_guessed() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;

    // An array is not an object, though serde would read one as a struct's fields in order.
    let r = app
        .post_as("/api/v1/departments", &token, &json!(["Sales", null, []]))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    // Control characters in a path or query never reach the database (PostgreSQL refuses NUL).
    for path in [
        "/api/v1/employees/%00",
        "/api/v1/departments/a%00b",
        "/api/v1/employees?q=%00",
        "/api/v1/reports/daily?department_id=%0A",
    ] {
        let r = app.get(path, &token).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}: {}", r.body);
        assert_eq!(r.code(), "invalid_address", "{path}");
    }
    let r = app
        .post_as(
            "/api/v1/departments",
            &token,
            &json!({"name": "Sales", "manager_ids": ["a\u{0}b"]}),
        )
        .await;
    assert!(r.field("manager_ids").is_some(), "{}", r.body);

    // Dates are YYYY-MM-DD, nothing looser.
    let r = app.get("/api/v1/checkins/2020-2-3", &token).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    for path in [
        "/api/v1/reports/daily?date=2020-2-3",
        "/api/v1/checkins?from=%2B2020-02-03",
        "/api/v1/audit?to=2020-02-03T00:00",
    ] {
        let r = app.get(path, &token).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
    }
    let person = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "li@acme.test", "name": "Li", "invite": false}),
        )
        .await;
    assert_eq!(person.status, StatusCode::CREATED, "{}", person.body);
    let leave = format!(
        "/api/v1/employees/{}/leave",
        person.body["id"].as_str().unwrap()
    );
    let r = app
        .post_as(
            &leave,
            &token,
            &json!({"from": "2020-2-3", "to": "2020-02-30", "kind": "Sick", "note": "a\u{0}b"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for field in ["from", "to", "kind", "note"] {
        assert!(r.field(field).is_some(), "{field}: {}", r.body);
    }

    // Enumerations are exactly their documented values.
    let r = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "wu@acme.test", "name": "Wu", "role": "Admin", "invite": false}),
        )
        .await;
    assert!(r.field("role").is_some(), "{}", r.body);
    let r = app.get("/api/v1/employees?role=Staff", &token).await;
    assert!(r.field("role").is_some(), "{}", r.body);

    // Lengths are counted as sent: spaces do not make a long name fit.
    let r = app
        .post_as(
            "/api/v1/departments",
            &token,
            &json!({"name": format!("{}  ", "d".repeat(MAX_SEGMENT_CHARS - 1))}),
        )
        .await;
    assert!(r.field("name").is_some(), "{}", r.body);
    let r = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": {
                "temperature": 36.5, "symptoms": [], "work_status": "office",
                "close_contact": false, "travel_to_risk_area": false, "health_code": "green",
                "location": format!("{} ", "x".repeat(200)),
            }}),
        )
        .await;
    assert!(r.field("answers.location").is_some(), "{}", r.body);

    // The import's 422 has one shape, whatever made the file unreadable.
    let r = app
        .post_csv("/api/v1/employees/import", &token, vec![0xff, 0xfe, 0x00])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "validation_failed");
    assert!(r.field("file").is_some(), "{}", r.body);
    assert_eq!(r.body["errors"], json!([]));
    assert_eq!(r.body["created"], 0);

    // Times of reminders are instants, as documented (`date-time`).
    let queued = app
        .call(reqwest::Method::POST, "/api/v1/reminders", &token, None)
        .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.body);
    let list = app.get("/api/v1/reminders", &token).await;
    let first = &list.body["reminders"][0];
    let queued_at = first["queued_at"].as_str().expect("a reminder was queued");
    assert!(
        chrono::DateTime::parse_from_rfc3339(queued_at).is_ok(),
        "{queued_at}"
    );
}
