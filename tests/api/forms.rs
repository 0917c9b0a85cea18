//! Each organization's own form: versions, who may change it, bad forms, answers checked
//! against the version in force, corrections, recomputing past days, and exports across
//! versions.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

use health_checkin::domain::FormTemplate;

use crate::exports::{download, read_csv, read_xlsx, COLUMNS};
use crate::helpers::{healthy_answers, spawn_app, Person, TestApp};

struct Org {
    admin: Person,
    admin_token: String,
    staff: Person,
    staff_token: String,
    manager_token: String,
    hr_token: String,
}

async fn org(app: &TestApp) -> Org {
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let staff_token = app.token_for(&staff).await;
    let manager = app.add_person(&admin.org_id, "manager", None).await;
    let manager_token = app.token_for(&manager).await;
    let hr = app.add_person(&admin.org_id, "hr", None).await;
    let hr_token = app.token_for(&hr).await;
    Org {
        admin,
        admin_token,
        staff,
        staff_token,
        manager_token,
        hr_token,
    }
}

/// The default form's questions as the API gives them.
async fn fields_in_force(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.get("/api/v1/form", token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["fields"].as_array().unwrap().clone()
}

fn pulse(threshold_above: Value, threshold_below: Value) -> Value {
    json!({"key": "pulse", "label": {"en": "Pulse", "zh-CN": "脉搏"}, "required": true,
           "carry_over": false, "type": "number", "min": 30, "max": 200, "decimals": 0,
           "unit": "bpm", "abnormal_at_or_above": threshold_above,
           "abnormal_at_or_below": threshold_below})
}

/// The default form without `location`, with `pulse` after the temperature.
async fn second_version(app: &TestApp, o: &Org) -> Value {
    let mut fields = fields_in_force(app, &o.admin_token).await;
    fields.retain(|f| f["key"] != "location");
    fields.insert(1, pulse(json!(100), json!(40)));
    let r = app
        .put("/api/v1/form", &o.admin_token, &json!({ "fields": fields }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["version"], 2);
    r.body
}

fn with(mut answers: Value, key: &str, value: Value) -> Value {
    answers[key] = value;
    answers
}

async fn submit(
    app: &TestApp,
    token: &str,
    date: &str,
    answers: Value,
) -> crate::helpers::Response {
    app.put(
        &format!("/api/v1/checkins/{date}"),
        token,
        &json!({ "answers": answers }),
    )
    .await
}

#[tokio::test]
async fn an_organization_starts_on_the_default_form_and_only_admins_change_it() {
    let app = spawn_app().await;
    let o = org(&app).await;

    let form = app.get("/api/v1/form", &o.staff_token).await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.body["version"], 1);
    assert_eq!(form.body["created_by"], Value::Null);
    // The default form, question for question.
    let default = serde_json::to_value(FormTemplate::default_form().fields).unwrap();
    assert_eq!(form.body["fields"], default);
    // The day view shows the same form.
    let day = app.get("/api/v1/checkins/today", &o.staff_token).await;
    assert_eq!(day.body["form"]["version"], 1);
    assert_eq!(day.body["form"]["fields"], form.body["fields"]);

    let mut fields = form.body["fields"].as_array().unwrap().clone();
    fields.push(pulse(json!(100), Value::Null));
    let change = json!({ "fields": fields });
    for token in [&o.staff_token, &o.manager_token, &o.hr_token] {
        let r = app.put("/api/v1/form", token, &change).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    }
    for path in [
        "/api/v1/form/versions",
        "/api/v1/form/versions/1",
        "/api/v1/form/templates",
    ] {
        let r = app.get(path, &o.staff_token).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }

    let saved = app.put("/api/v1/form", &o.admin_token, &change).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{:?}", saved.body);
    assert_eq!(saved.body["version"], 2);
    assert_eq!(saved.body["created_by"]["id"], o.admin.id);
    assert_eq!(saved.body["fields"].as_array().unwrap().len(), 9);

    // The same questions again make no version.
    let again = app.put("/api/v1/form", &o.admin_token, &change).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["version"], 2);

    // A change made from version 1 no longer fits: version 2 was saved since.
    let mut from_one = form.body["fields"].as_array().unwrap().clone();
    from_one.pop();
    let stale = app
        .put(
            "/api/v1/form",
            &o.admin_token,
            &json!({ "fields": from_one, "base_version": 1 }),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{:?}", stale.body);
    assert_eq!(stale.code(), "form_changed");

    let versions = app.get("/api/v1/form/versions", &o.manager_token).await;
    assert_eq!(versions.status, StatusCode::OK);
    let numbers: Vec<i64> = versions
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1]);
    let first = app.get("/api/v1/form/versions/1", &o.hr_token).await;
    assert_eq!(first.body["fields"], form.body["fields"]);
    let missing = app.get("/api/v1/form/versions/9", &o.admin_token).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // Staff read an earlier version's questions to see their old answers by name.
    let old = app.get("/api/v1/form?version=1", &o.staff_token).await;
    assert_eq!(old.body["version"], 1);

    let audit = app
        .get("/api/v1/audit?kind=change", &o.admin_token)
        .await
        .body;
    let entry = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "form.update")
        .cloned()
        .expect("the new version is audited");
    assert_eq!(entry["changes"]["form_version"]["before"], 1);
    assert_eq!(entry["changes"]["form_version"]["after"], 2);
    assert_eq!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "form.update")
            .count(),
        1
    );

    let templates = app.get("/api/v1/form/templates", &o.admin_token).await;
    let ids: Vec<&str> = templates
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["default", "school", "site_safety"]);
    // A template is a form an admin can put in force as it is.
    let school = templates.body[1]["fields"].clone();
    let r = app
        .put("/api/v1/form", &o.admin_token, &json!({ "fields": school }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["version"], 3);
}

#[tokio::test]
async fn a_bad_form_is_refused_naming_the_question_and_nothing_is_saved() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let base = fields_in_force(&app, &o.admin_token).await;
    let option = |v: &str| json!({"value": v, "label": {"en": v, "zh-CN": v}});
    let choice = |options: Value, abnormal: Value| {
        json!({"key": "shift", "label": {"en": "Shift", "zh-CN": "班次"}, "required": true,
               "type": "single_choice", "options": options, "abnormal_values": abnormal})
    };
    let retyped = json!({"key": "temperature", "label": {"en": "T", "zh-CN": "体温"},
                         "required": true, "type": "text", "max_length": 10});
    let plus = |extra: Value| {
        let mut fields = base.clone();
        fields.push(extra);
        Value::Array(fields)
    };
    let many: Vec<Value> = (0..51)
        .map(|i| {
            let mut p = pulse(Value::Null, Value::Null);
            p["key"] = json!(format!("q{i}"));
            p
        })
        .collect();
    let cases = [
        (plus(base[0].clone()), "fields.8.key", "duplicate_key"),
        (
            plus(choice(json!([]), json!([]))),
            "fields.8.options",
            "no_options",
        ),
        (
            plus(choice(json!([option("day"), option("day")]), json!([]))),
            "fields.8.options.1.value",
            "duplicate_option",
        ),
        (
            plus(choice(json!([option("day")]), json!(["night"]))),
            "fields.8.abnormal_values.0",
            "unknown_option",
        ),
        (
            plus({
                let mut p = pulse(Value::Null, Value::Null);
                p["min"] = json!(250);
                p
            }),
            "fields.8.min",
            "min_above_max",
        ),
        (
            plus(pulse(json!(201), Value::Null)),
            "fields.8.abnormal_at_or_above",
            "threshold_out_of_range",
        ),
        (
            plus(pulse(Value::Null, json!(20))),
            "fields.8.abnormal_at_or_below",
            "threshold_out_of_range",
        ),
        (json!([retyped]), "fields.0.type", "type_changed"),
        (Value::Array(many), "fields", "too_many"),
        (json!([]), "fields", "empty_form"),
    ];
    for (fields, path, code) in cases {
        let r = app
            .put("/api/v1/form", &o.admin_token, &json!({ "fields": fields }))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {:?}",
            r.body
        );
        let (found, params) = r
            .problem(path)
            .unwrap_or_else(|| panic!("{path} is named: {}", r.body));
        assert_eq!(found, code, "{path}");
        if path != "fields" {
            let index: usize = path.split('.').nth(1).unwrap().parse().unwrap();
            assert_eq!(params["index"], index, "{path}");
            assert!(params["key"].is_string(), "{path}: {params}");
        }
    }
    // A key that was a number in version 1 is still refused as text after it was retired.
    let mut without = base.clone();
    without.remove(0);
    let r = app
        .put(
            "/api/v1/form",
            &o.admin_token,
            &json!({ "fields": without }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let mut back = without.clone();
    back.push(
        json!({"key": "temperature", "label": {"en": "T", "zh-CN": "体温"},
                     "required": false, "type": "text", "max_length": 10}),
    );
    let r = app
        .put("/api/v1/form", &o.admin_token, &json!({ "fields": back }))
        .await;
    assert_eq!(
        r.problem("fields.7.type").map(|p| p.0),
        Some("type_changed")
    );

    let versions = app.get("/api/v1/form/versions", &o.admin_token).await;
    assert_eq!(
        versions.body.as_array().unwrap().len(),
        2,
        "only the good form was saved"
    );
}

#[tokio::test]
async fn answers_are_checked_against_the_version_in_force_with_rules_exact_at_their_thresholds() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let on_v1 = submit(&app, &o.staff_token, "today", healthy_answers()).await;
    assert_eq!(on_v1.status, StatusCode::CREATED, "{:?}", on_v1.body);
    assert_eq!(on_v1.body["form_version"], 1);

    second_version(&app, &o).await;
    let colleague = app.add_person(&o.admin.org_id, "staff", None).await;
    let token = app.token_for(&colleague).await;

    // The retired question is unknown now, and the new one must be answered.
    let old_answers = submit(&app, &token, "today", healthy_answers()).await;
    assert_eq!(old_answers.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        old_answers.problem("answers.pulse").map(|p| p.0),
        Some("required")
    );
    assert_eq!(
        old_answers.problem("answers.location").map(|p| p.0),
        Some("unknown_field")
    );
    let mut answers = healthy_answers();
    answers.as_object_mut().unwrap().remove("location");
    let out = submit(
        &app,
        &token,
        "today",
        with(answers.clone(), "pulse", json!(201)),
    )
    .await;
    assert_eq!(
        out.problem("answers.pulse").map(|p| p.0),
        Some("out_of_range")
    );

    // At or above 100 and at or below 40 are abnormal; 99 and 41 are not.
    for (value, abnormal) in [(100, true), (99, false), (41, false), (40, true)] {
        let r = submit(
            &app,
            &token,
            "today",
            with(answers.clone(), "pulse", json!(value)),
        )
        .await;
        assert!(r.status.is_success(), "{value}: {:?}", r.body);
        assert_eq!(r.body["form_version"], 2);
        assert_eq!(r.body["abnormal"], abnormal, "pulse {value}");
        let reasons = r.body["abnormal_reasons"].as_array().unwrap().clone();
        assert_eq!(reasons.contains(&json!("pulse")), abnormal, "pulse {value}");
    }

    // A correction is checked against the version in force and keeps the earlier one's.
    let corrected = submit(
        &app,
        &o.staff_token,
        "today",
        with(answers, "pulse", json!(72)),
    )
    .await;
    assert_eq!(corrected.status, StatusCode::OK, "{:?}", corrected.body);
    assert_eq!(corrected.body["form_version"], 2);
    let revisions = app
        .get("/api/v1/checkins/today/revisions", &o.staff_token)
        .await;
    assert_eq!(revisions.body["current"]["form_version"], 2);
    assert_eq!(revisions.body["revisions"][0]["form_version"], 1);
    assert_eq!(
        revisions.body["revisions"][0]["answers"]["location"],
        "Shanghai"
    );
}

#[tokio::test]
async fn a_date_question_takes_a_calendar_day() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let mut fields = fields_in_force(&app, &o.admin_token).await;
    fields.push(
        json!({"key": "last_test", "label": {"en": "Last test", "zh-CN": "最近一次检测"},
                       "required": false, "type": "date"}),
    );
    let r = app
        .put("/api/v1/form", &o.admin_token, &json!({ "fields": fields }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    for bad in [json!("2020-13-01"), json!("yesterday"), json!(20200201)] {
        let r = submit(
            &app,
            &o.staff_token,
            "today",
            with(healthy_answers(), "last_test", bad.clone()),
        )
        .await;
        assert_eq!(
            r.problem("answers.last_test").map(|p| p.0),
            Some("invalid_date"),
            "{bad}"
        );
    }
    let r = submit(
        &app,
        &o.staff_token,
        "today",
        with(healthy_answers(), "last_test", json!("2020-02-01")),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["answers"]["last_test"], "2020-02-01");
}

async fn daily_abnormal(app: &TestApp, token: &str) -> Value {
    app.get("/api/v1/reports/daily?date=2020-02-03", token)
        .await
        .body["abnormal"]
        .clone()
}

#[tokio::test]
async fn a_new_rule_leaves_the_past_until_an_admin_recomputes_it() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let warm = with(healthy_answers(), "temperature", json!(37.0));
    let r = submit(&app, &o.staff_token, "today", warm).await;
    assert_eq!(r.body["abnormal"], false);
    assert_eq!(daily_abnormal(&app, &o.admin_token).await, 0);

    // Stricter: 37.0 is abnormal from now on.
    let mut fields = fields_in_force(&app, &o.admin_token).await;
    fields[0]["abnormal_at_or_above"] = json!(37.0);
    let r = app
        .put("/api/v1/form", &o.admin_token, &json!({ "fields": fields }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let today = app.get("/api/v1/checkins/today", &o.staff_token).await;
    assert_eq!(
        today.body["checkin"]["abnormal"], false,
        "the past is not rewritten"
    );
    assert_eq!(daily_abnormal(&app, &o.admin_token).await, 0);

    let range = json!({"from": "2020-01-27", "to": "2020-02-03"});
    for token in [&o.staff_token, &o.manager_token, &o.hr_token] {
        let r = app.post_as("/api/v1/form/recompute", token, &range).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    for (bad, field) in [
        (json!({"from": "2020-02-04", "to": "2020-02-03"}), "from"),
        (json!({"from": "2020-02-01", "to": "2020-02-09"}), "to"),
        (json!({"from": "2019-01-01", "to": "2020-02-03"}), "from"),
        (json!({"from": "2020-02-31", "to": "2020-02-03"}), "from"),
    ] {
        let r = app
            .post_as("/api/v1/form/recompute", &o.admin_token, &bad)
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {:?}",
            r.body
        );
        assert!(r.problem(field).is_some(), "{bad}: {:?}", r.body);
    }

    let done = app
        .post_as("/api/v1/form/recompute", &o.admin_token, &range)
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["checked"], 1);
    assert_eq!(done.body["changed"], 1);
    assert_eq!(done.body["form_version"], 2);
    let today = app.get("/api/v1/checkins/today", &o.staff_token).await;
    assert_eq!(today.body["checkin"]["abnormal"], true);
    assert_eq!(
        today.body["checkin"]["abnormal_reasons"],
        json!(["temperature"])
    );
    assert_eq!(daily_abnormal(&app, &o.admin_token).await, 1);
    // Again: nothing more changes, and the numbers stay exact.
    let again = app
        .post_as("/api/v1/form/recompute", &o.admin_token, &range)
        .await;
    assert_eq!(again.body["changed"], 0);
    assert_eq!(daily_abnormal(&app, &o.admin_token).await, 1);
    let audit = app
        .get("/api/v1/audit?kind=change", &o.admin_token)
        .await
        .body;
    let recomputes = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "form.recompute")
        .count();
    assert_eq!(recomputes, 2);
}

#[tokio::test]
async fn an_export_across_two_versions_has_a_column_per_question_blank_where_not_asked() {
    let app = spawn_app().await;
    let o = org(&app).await;
    // Monday on version 1, with a location; the others are not expected to report here.
    let monday = with(healthy_answers(), "note", json!("train"));
    let r = submit(&app, &o.staff_token, "today", monday).await;
    assert_eq!(r.status, StatusCode::CREATED);
    second_version(&app, &o).await;
    // Tuesday on version 2, with a pulse and no location.
    app.clock.advance(Duration::days(1));
    let mut tuesday = with(healthy_answers(), "pulse", json!(72));
    tuesday.as_object_mut().unwrap().remove("location");
    let r = submit(&app, &o.staff_token, "today", tuesday).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    let path = "checkins.csv?from=2020-02-03&to=2020-02-04";
    let csv = download(&app, &format!("/api/v1/exports/{path}"), &o.hr_token).await;
    assert_eq!(csv.status, StatusCode::OK);
    let (header, rows) = read_csv(&csv.bytes);
    let xlsx = download(
        &app,
        "/api/v1/exports/checkins.xlsx?from=2020-02-03&to=2020-02-04",
        &o.hr_token,
    )
    .await;
    let (xlsx_header, xlsx_rows) = read_xlsx(&xlsx.bytes);
    // The columns of before around this range's questions: version 2's in its order, then
    // the one it retired.
    let answers = [
        "temperature",
        "pulse",
        "symptoms",
        "work_status",
        "close_contact",
        "travel_to_risk_area",
        "health_code",
        "note",
        "location",
    ];
    let expected_header: Vec<&str> = COLUMNS[..7]
        .iter()
        .chain(&answers)
        .chain(&COLUMNS[15..])
        .copied()
        .collect();
    assert_eq!(header, expected_header);
    assert_eq!(xlsx_header, expected_header);
    let staff_rows: Vec<&Vec<String>> = rows.iter().filter(|r| r[2] == o.staff.email).collect();
    assert_eq!(staff_rows.len(), 2, "{rows:?}");
    let cells = |row: &Vec<String>| row[7..16].to_vec();
    assert_eq!(
        cells(staff_rows[0]),
        ["36.5", "", "", "remote", "false", "false", "green", "train", "Shanghai"]
    );
    assert_eq!(
        cells(staff_rows[1]),
        ["36.5", "72", "", "remote", "false", "false", "green", "", ""]
    );
    let xlsx_staff: Vec<&Vec<String>> =
        xlsx_rows.iter().filter(|r| r[2] == o.staff.email).collect();
    assert_eq!(
        cells(xlsx_staff[0]),
        ["36.5", "", "", "remote", "false", "false", "green", "train", "Shanghai"]
    );
    assert_eq!(
        cells(xlsx_staff[1]),
        ["36.5", "72.0", "", "remote", "false", "false", "green", "", ""]
    );

    // Only Tuesday: no column for the question version 2 retired.
    let tuesday = download(
        &app,
        "/api/v1/exports/checkins.csv?from=2020-02-04&to=2020-02-04",
        &o.hr_token,
    )
    .await;
    let (header, _) = read_csv(&tuesday.bytes);
    assert!(!header.contains(&"location".to_string()), "{header:?}");
    assert!(header.contains(&"pulse".to_string()));
}
