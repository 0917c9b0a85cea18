//! The organization's settings: every wrong value, of any type, is named in `error.fields`.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

async fn admin(app: &TestApp) -> String {
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    app.token_for(&admin).await
}

async fn put(app: &TestApp, token: &str, body: Value) -> crate::helpers::Response {
    app.call(Method::PUT, "/api/v1/organization", token, Some(&body))
        .await
}

#[tokio::test]
async fn wrong_settings_are_refused_naming_each_field_and_nothing_changes() {
    let app = spawn_app().await;
    let token = admin(&app).await;
    let before = app.get("/api/v1/organization", &token).await.body;

    let cases = [
        (
            json!({"holidays": ["2026-13-01"]}),
            "holidays",
            Some("2026-13-01"),
        ),
        (
            json!({"holidays": ["2026-01-01", "2026-1-5"]}),
            "holidays",
            Some("2026-1-5"),
        ),
        (json!({"holidays": "2026-01-01"}), "holidays", None),
        (json!({"holidays": [20260101]}), "holidays", None),
        (json!({"working_days": []}), "working_days", None),
        (json!({"working_days": [1, 8]}), "working_days", None),
        (json!({"working_days": [1, 300]}), "working_days", None),
        (json!({"working_days": ["mon"]}), "working_days", None),
        (json!({"working_days": 1}), "working_days", None),
        (
            json!({"reminder_times": ["09:30", "25:00"]}),
            "reminder_times",
            Some("25:00"),
        ),
        (
            json!({"reminder_times": [" 09:30"]}),
            "reminder_times",
            None,
        ),
        (
            json!({"reminder_times": ["09:30:00"]}),
            "reminder_times",
            None,
        ),
        (json!({"reminder_times": [930]}), "reminder_times", None),
        (
            json!({"reminder_times": ["08:00", "08:00", "08:00", "08:00", "08:00", "08:00", "08:00"]}),
            "reminder_times",
            None,
        ),
        (json!({"late_days": -1}), "late_days", None),
        (json!({"late_days": 32}), "late_days", None),
        (json!({"late_days": "3"}), "late_days", None),
        (json!({"late_days": 1.5}), "late_days", None),
        (json!({"name": 5}), "name", None),
        (json!({"name": "x".repeat(201)}), "name", None),
        (json!({"timezone": ["Asia/Shanghai"]}), "timezone", None),
        (json!({"locale": false}), "locale", None),
        (json!({"escalate_after": 930}), "escalate_after", None),
        (json!({"escalate_after": "9:3"}), "escalate_after", None),
    ];
    for (body, field, named) in cases {
        let r = put(&app, &token, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert_eq!(r.code(), "validation_failed", "{body}");
        let problem = r
            .field(field)
            .unwrap_or_else(|| panic!("{body} names {field}: {}", r.body));
        if let Some(value) = named {
            assert!(problem.contains(value), "{body}: {problem}");
        }
    }
    let too_many: Vec<String> = (0..401)
        .map(|d| {
            (chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(d))
                .to_string()
        })
        .collect();
    let r = put(&app, &token, json!({ "holidays": too_many })).await;
    assert!(r.field("holidays").is_some(), "{}", r.body);

    // Several wrong fields at once are all named.
    let r = put(
        &app,
        &token,
        json!({"holidays": ["2026-13-01"], "working_days": [], "late_days": "x", "reminder_times": ["noon"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["holidays", "working_days", "late_days", "reminder_times"] {
        assert!(r.field(field).is_some(), "{field}: {}", r.body);
    }

    assert_eq!(app.get("/api/v1/organization", &token).await.body, before);
}

#[tokio::test]
async fn good_settings_are_stored_in_one_form() {
    let app = spawn_app().await;
    let token = admin(&app).await;
    let r = put(
        &app,
        &token,
        json!({
            "working_days": [5, 1, 1],
            "reminder_times": ["9:30", "08:00", "09:30"],
            "escalate_after": "9:30",
            "holidays": ["2026-10-01", "2026-01-01", "2026-10-01"],
            "late_days": 0,
            "locale": "EN",
            "name": null,
        }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["working_days"], json!([1, 5]));
    assert_eq!(r.body["reminder_times"], json!(["08:00", "09:30"]));
    assert_eq!(r.body["escalate_after"], "09:30");
    assert_eq!(r.body["holidays"], json!(["2026-01-01", "2026-10-01"]));
    assert_eq!(r.body["late_days"], 0);
    assert_eq!(r.body["locale"], "en");
    assert_eq!(r.body["name"], "Acme", "null keeps the name");

    let cleared = put(&app, &token, json!({"escalate_after": null})).await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert_eq!(cleared.body["escalate_after"], Value::Null);

    let unknown = put(&app, &token, json!({"colour": "blue"})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.code(), "invalid_body");
    let not_an_object = put(&app, &token, json!(["working_days"])).await;
    assert_eq!(not_an_object.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn each_wrong_setting_carries_a_code_and_its_parameters() {
    let app = spawn_app().await;
    let token = admin(&app).await;
    let before = app.get("/api/v1/organization", &token).await.body;

    let weekdays = json!({"min": 1, "max": 7});
    let late_days = json!({"min": 0, "max": 31});
    let cases = [
        (
            json!({"holidays": ["2026-01-01", "2026-13-01"]}),
            "holidays",
            "invalid_date",
            json!({"value": "2026-13-01"}),
        ),
        (
            json!({"holidays": "2026-01-01"}),
            "holidays",
            "not_a_list",
            json!({"items": "date"}),
        ),
        (
            json!({"holidays": [20260101]}),
            "holidays",
            "not_a_list",
            json!({"items": "date"}),
        ),
        (
            json!({"working_days": []}),
            "working_days",
            "no_working_day",
            json!({}),
        ),
        (
            json!({"working_days": [1, 8]}),
            "working_days",
            "not_weekdays",
            weekdays.clone(),
        ),
        (
            json!({"working_days": ["mon"]}),
            "working_days",
            "not_weekdays",
            weekdays,
        ),
        (
            json!({"reminder_times": ["09:30", "25:00"]}),
            "reminder_times",
            "invalid_time",
            json!({"value": "25:00"}),
        ),
        (
            json!({"reminder_times": [930]}),
            "reminder_times",
            "not_a_list",
            json!({"items": "time"}),
        ),
        (
            json!({"reminder_times": ["08:00", "08:00", "08:00", "08:00", "08:00", "08:00", "08:00"]}),
            "reminder_times",
            "too_many",
            json!({"max": 6}),
        ),
        (
            json!({"late_days": 32}),
            "late_days",
            "out_of_range",
            late_days.clone(),
        ),
        (
            json!({"late_days": "3"}),
            "late_days",
            "out_of_range",
            late_days,
        ),
        (json!({"name": 5}), "name", "not_text", json!({})),
        (
            json!({"timezone": ["Asia/Shanghai"]}),
            "timezone",
            "not_text",
            json!({}),
        ),
        (json!({"locale": false}), "locale", "not_text", json!({})),
        (
            json!({"escalate_after": 930}),
            "escalate_after",
            "not_a_time_or_null",
            json!({}),
        ),
        (
            json!({"escalate_after": "9:3"}),
            "escalate_after",
            "invalid_time",
            json!({"value": "9:3"}),
        ),
        // The organization's reminder time is 09:30.
        (
            json!({"escalate_after": "10:00"}),
            "escalate_after",
            "not_a_reminder_time",
            json!({"reminder_times": ["09:30"]}),
        ),
        // Checked against the reminder times as changed in the same body.
        (
            json!({"reminder_times": ["8:00", "17:00"], "escalate_after": "9:30"}),
            "escalate_after",
            "not_a_reminder_time",
            json!({"reminder_times": ["08:00", "17:00"]}),
        ),
    ];
    for (body, field, code, params) in cases {
        let r = put(&app, &token, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert_eq!(
            r.problem(field),
            Some((code, &params)),
            "{body}: {}",
            r.body
        );
        let details = r.body["error"]["details"].as_array().unwrap();
        assert_eq!(details.len(), 1, "{body}: only {field} is wrong");
        assert_eq!(
            details[0]["message"].as_str(),
            r.field(field),
            "{body}: the detail says what `fields` says"
        );
    }

    let too_many: Vec<String> = (0..401)
        .map(|d| {
            (chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(d))
                .to_string()
        })
        .collect();
    let r = put(&app, &token, json!({ "holidays": too_many })).await;
    assert_eq!(
        r.problem("holidays"),
        Some(("too_many", &json!({"max": 400}))),
        "{}",
        r.body
    );
    assert_eq!(r.field("holidays"), Some("at most 400 holidays"));

    // Wrong types and wrong values together, each with its own code.
    let r = put(
        &app,
        &token,
        json!({"holidays": ["2026-13-01"], "working_days": [], "late_days": "x", "reminder_times": ["noon"]}),
    )
    .await;
    let codes: Vec<(&str, &str)> = r.body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["field"].as_str().unwrap(), d["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            ("holidays", "invalid_date"),
            ("late_days", "out_of_range"),
            ("reminder_times", "invalid_time"),
            ("working_days", "no_working_day"),
        ]
    );

    assert_eq!(app.get("/api/v1/organization", &token).await.body, before);
}
