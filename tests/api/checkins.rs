use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{healthy_answers, spawn_app};
use crate::reports::problem;

#[tokio::test]
async fn submit_today_then_see_it_in_today_and_history() {
    let app = spawn_app().await;
    let (_, token) = app.staff().await;

    let before = app.get("/api/v1/checkins/today", &token).await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(before.body["date"], "2020-02-03");
    assert!(before.body["checkin"].is_null());
    assert!(before.body["previous"].is_null());
    let keys: Vec<&str> = before.body["form"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "temperature",
            "symptoms",
            "location",
            "work_status",
            "close_contact",
            "travel_to_risk_area",
            "health_code",
            "note"
        ]
    );

    let r = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["date"], "2020-02-03");
    assert_eq!(r.body["revision"], 1);
    assert_eq!(r.body["abnormal"], false);
    assert_eq!(r.body["abnormal_reasons"], json!([]));
    assert_eq!(r.body["answers"]["temperature"], 36.5);
    for key in ["id", "submitted_at", "updated_at"] {
        assert!(r.body[key].is_string(), "{key}");
    }

    let after = app.get("/api/v1/checkins/today", &token).await;
    assert_eq!(after.body["checkin"]["id"], r.body["id"]);

    // The next morning, yesterday's answers come back as `previous`.
    app.clock.advance(Duration::days(1));
    let next = app.get("/api/v1/checkins/today", &token).await;
    assert_eq!(next.body["date"], "2020-02-04");
    assert!(next.body["checkin"].is_null());
    assert_eq!(next.body["previous"]["id"], r.body["id"]);
    assert_eq!(next.body["previous"]["answers"], r.body["answers"]);
    let tuesday = app
        .put(
            "/api/v1/checkins/2020-02-04",
            &token,
            &json!({"answers": next.body["previous"]["answers"]}),
        )
        .await;
    assert_eq!(tuesday.status, StatusCode::CREATED);
    // Once today is in, it is the day's check-in and yesterday's stays `previous`.
    let both = app.get("/api/v1/checkins/today", &token).await;
    assert_eq!(both.body["checkin"]["id"], tuesday.body["id"]);
    assert_eq!(both.body["previous"]["id"], r.body["id"]);

    let history = app.get("/api/v1/checkins", &token).await;
    assert_eq!(history.status, StatusCode::OK);
    let days: Vec<&str> = history.body["checkins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["date"].as_str().unwrap())
        .collect();
    assert_eq!(days, ["2020-02-04", "2020-02-03"], "newest first");

    let ranged = app
        .get("/api/v1/checkins?from=2020-02-03&to=2020-02-03", &token)
        .await;
    assert_eq!(ranged.body["checkins"].as_array().unwrap().len(), 1);
}

/// A measurement is taken each day; the other answers may stand from the day before.
#[tokio::test]
async fn the_form_says_which_answers_carry_over_to_the_next_day() {
    let app = spawn_app().await;
    let (_, token) = app.staff().await;
    let today = app.get("/api/v1/checkins/today", &token).await;
    assert_eq!(today.status, StatusCode::OK);
    let fields = today.body["form"]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 8);
    for field in fields {
        let key = field["key"].as_str().unwrap();
        assert_eq!(
            field["carry_over"],
            json!(key != "temperature"),
            "{key}: {field}"
        );
    }

    // The published schema describes it.
    let doc = app
        .send(app.client.get(app.url("/api/v1/openapi.json")))
        .await;
    let schema = doc.body["components"]["schemas"]["FormField"].to_string();
    assert!(schema.contains("carry_over"), "{schema}");
}

#[tokio::test]
async fn each_abnormal_rule_is_reported() {
    let app = spawn_app().await;
    let (_, token) = app.staff().await;
    let mut answers = healthy_answers();
    answers["temperature"] = json!(37.3);
    answers["symptoms"] = json!(["cough", "fever"]);
    answers["close_contact"] = json!(true);
    answers["travel_to_risk_area"] = json!(true);
    answers["health_code"] = json!("red");
    let r = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": answers}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["abnormal"], true);
    assert_eq!(
        r.body["abnormal_reasons"],
        json!([
            "temperature",
            "symptoms",
            "close_contact",
            "travel_to_risk_area",
            "health_code"
        ])
    );
    assert_eq!(r.body["answers"]["symptoms"], json!(["fever", "cough"]));
}

#[tokio::test]
async fn the_same_form_twice_is_one_checkin() {
    let app = spawn_app().await;
    let (_, token) = app.staff().await;
    let body = json!({"answers": healthy_answers()});
    let first = app.put("/api/v1/checkins/today", &token, &body).await;
    let second = app.put("/api/v1/checkins/today", &token, &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body["id"], first.body["id"]);
    assert_eq!(second.body["revision"], 1);
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM checkins").await,
        1
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM checkin_revisions")
            .await,
        0
    );
}

#[tokio::test]
async fn simultaneous_submissions_of_one_day_store_one_checkin() {
    let app = spawn_app().await;
    let (_, token) = app.staff().await;
    let body = json!({"answers": healthy_answers()});
    let requests = (0..8).map(|_| app.put("/api/v1/checkins/today", &token, &body));
    let responses = futures_util::future::join_all(requests).await;
    let created = responses
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let ok = responses
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(
        (created, ok),
        (1, 7),
        "{:?}",
        responses.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM checkins").await,
        1
    );
}

/// The morning's first check-ins arriving together are stored together (on PostgreSQL in
/// batches of set statements): each once, counted once where the person stands that day, and
/// what a batch does not store (a second submission of the same day) or never sees (a day
/// before joining) is answered as it would be alone.
#[tokio::test]
async fn first_checkins_arriving_together_are_each_stored_and_counted_once() {
    first_checkins_arriving_together(false).await;
}

/// As above, once the form was opened: then the answers are judged on the HTTP worker by the
/// form this process found in force, and every first check-in is stored by a batch on both
/// databases (on SQLite the group commit's own), as the metric of such check-ins shows.
#[tokio::test]
async fn first_checkins_judged_by_an_opened_form_are_each_stored_and_counted_once() {
    first_checkins_arriving_together(true).await;
}

async fn first_checkins_arriving_together(form_opened_first: bool) {
    let app = spawn_app().await; // Monday 2020-02-03, 09:00 in Shanghai
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let sales = app
        .post_as("/api/v1/departments", &token, &json!({"name": "Sales"}))
        .await;
    let sales = sales.body["id"]
        .as_str()
        .expect("department id")
        .to_string();
    let people = app.add_people_in(&admin.org_id, Some(&sales), 40).await;
    let on_leave = &people[0];
    let leave = app
        .post_as(
            &format!("/api/v1/employees/{}/leave", on_leave.id),
            &token,
            &json!({"from": "2020-02-03", "to": "2020-02-03", "kind": "annual"}),
        )
        .await;
    assert_eq!(leave.status, StatusCode::CREATED, "{:?}", leave.body);
    let joins_tomorrow = app
        .add_person_joined(
            &admin.org_id,
            "staff",
            None,
            app.clock_now() + Duration::days(1),
        )
        .await;

    if form_opened_first {
        let staff = app.issued_token(&people[2].id, &admin.org_id);
        let opened = app.get("/api/v1/checkins/today", &staff).await;
        assert_eq!(opened.status, StatusCode::OK, "{:?}", opened.body);
    }
    let body = json!({"answers": healthy_answers()});
    let twice = app.issued_token(&people[1].id, &admin.org_id);
    let mut tokens: Vec<String> = people
        .iter()
        .map(|p| app.issued_token(&p.id, &admin.org_id))
        .collect();
    tokens.extend([twice.clone(), twice.clone(), twice]);
    tokens.push(app.issued_token(&joins_tomorrow.id, &admin.org_id));
    let responses = futures_util::future::join_all(
        tokens
            .iter()
            .map(|t| app.put("/api/v1/checkins/today", t, &body)),
    )
    .await;

    let (refused, answered) = responses.split_last().expect("responses");
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        refused.body
    );
    assert_eq!(
        refused.problem("date").map(|(code, _)| code),
        Some("before_joining")
    );
    let created = answered
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let again = answered
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(
        (created, again),
        (40, 3),
        "{:?}",
        answered.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    let ids: std::collections::BTreeSet<&str> = answered
        .iter()
        .map(|r| r.body["id"].as_str().expect("check-in id"))
        .collect();
    assert_eq!(
        ids.len(),
        40,
        "the second person's answers name one check-in"
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM checkins").await,
        40
    );
    if form_opened_first {
        // Each person's first check-in went by a batch; the three repeats did not.
        let (status, metrics) = crate::metrics::scrape(&app, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            crate::metrics::value(&metrics, "hc_first_checkins_in_batches_total"),
            Some(40.0),
            "{metrics}"
        );
    }

    // Counted once each: the person on leave reported though not expected.
    let daily = app.get("/api/v1/reports/daily", &token).await;
    assert_eq!(daily.status, StatusCode::OK, "{:?}", daily.body);
    let sales_day = daily.body["departments"]
        .as_array()
        .expect("departments")
        .iter()
        .find(|d| d["path"] == "Sales")
        .expect("Sales");
    assert_eq!(
        (&sales_day["expected"], &sales_day["reported"]),
        (&json!(39), &json!(39)),
        "{sales_day}"
    );
    assert_eq!(
        app.count_rows(
            "SELECT CAST(COALESCE(SUM(reported_unexpected), 0) AS BIGINT) AS n FROM day_stats"
        )
        .await,
        1
    );
    assert_eq!(
        app.count_rows("SELECT CAST(COALESCE(SUM(reported), 0) AS BIGINT) AS n FROM day_stats")
            .await,
        39
    );
}

#[tokio::test]
async fn a_correction_keeps_the_earlier_answers() {
    let app = spawn_app().await;
    let (_, token) = app.staff().await;
    let first = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    let mut fever = healthy_answers();
    fever["temperature"] = json!(38.2);
    app.clock.advance(Duration::minutes(30));
    let second = app
        .put("/api/v1/checkins/today", &token, &json!({"answers": fever}))
        .await;
    assert_eq!(second.status, StatusCode::OK, "{:?}", second.body);
    assert_eq!(second.body["id"], first.body["id"]);
    assert_eq!(second.body["revision"], 2);
    assert_eq!(second.body["abnormal"], true);
    assert_eq!(second.body["submitted_at"], first.body["submitted_at"]);
    assert_ne!(second.body["updated_at"], first.body["updated_at"]);

    let history = app.get("/api/v1/checkins/today/revisions", &token).await;
    assert_eq!(history.status, StatusCode::OK);
    assert_eq!(history.body["current"]["revision"], 2);
    let revisions = history.body["revisions"].as_array().unwrap();
    assert_eq!(revisions.len(), 1);
    assert_eq!(revisions[0]["revision"], 1);
    assert_eq!(revisions[0]["answers"], first.body["answers"]);
    assert_eq!(revisions[0]["abnormal"], false);
}

#[tokio::test]
async fn late_days_are_accepted_within_the_window_and_corrections_need_a_reason() {
    let app = spawn_app().await;
    let (_, token) = app.staff().await;
    let body = json!({"answers": healthy_answers()});
    // The default window is three days back.
    let late = app.put("/api/v1/checkins/2020-01-31", &token, &body).await;
    assert_eq!(late.status, StatusCode::CREATED, "{:?}", late.body);
    assert_eq!(late.body["date"], "2020-01-31");

    let too_old = app.put("/api/v1/checkins/2020-01-30", &token, &body).await;
    assert_eq!(too_old.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_old.field("date").unwrap().contains("3 days"));

    let future = app.put("/api/v1/checkins/2020-02-04", &token, &body).await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(future.field("date"), Some("is in the future"));

    let mut fever = healthy_answers();
    fever["temperature"] = json!(37.8);
    let no_reason = app
        .put(
            "/api/v1/checkins/2020-01-31",
            &token,
            &json!({"answers": fever}),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.field("reason").is_some());
    let unchanged = app
        .get("/api/v1/checkins?from=2020-01-31&to=2020-01-31", &token)
        .await;
    assert_eq!(unchanged.body["checkins"][0]["revision"], 1);

    let with_reason = app
        .put(
            "/api/v1/checkins/2020-01-31",
            &token,
            &json!({"answers": fever, "reason": "misread the thermometer"}),
        )
        .await;
    assert_eq!(with_reason.status, StatusCode::OK);
    assert_eq!(with_reason.body["revision"], 2);
    assert_eq!(with_reason.body["reason"], "misread the thermometer");
}

#[tokio::test]
async fn every_invalid_answer_is_named_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (_, token) = app.staff().await;
    let cases = [
        ("temperature", json!(33.9), "between"),
        ("temperature", json!(43.1), "between"),
        ("temperature", json!("36.5"), "number"),
        ("symptoms", json!("cough"), "list"),
        ("symptoms", json!(["sneezing"]), "sneezing"),
        ("location", json!("x".repeat(201)), "200"),
        ("work_status", json!("beach"), "one of"),
        ("close_contact", json!("no"), "true or false"),
        ("travel_to_risk_area", json!(1), "true or false"),
        ("health_code", json!("blue"), "one of"),
        ("note", json!("x".repeat(501)), "500"),
    ];
    for (key, value, hint) in cases {
        let mut answers = healthy_answers();
        answers[key] = value.clone();
        let r = app
            .put(
                "/api/v1/checkins/today",
                &token,
                &json!({"answers": answers}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{key}={value}");
        assert_eq!(r.code(), "validation_failed");
        let message = r
            .field(&format!("answers.{key}"))
            .unwrap_or_else(|| panic!("{key}: {:?}", r.body));
        assert!(message.contains(hint), "{key}: {message}");
    }

    let mut answers = healthy_answers();
    answers.as_object_mut().unwrap().remove("temperature");
    answers["mood"] = json!("fine");
    let r = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": answers, "extra": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.field("answers.temperature"), Some("is required"));
    assert!(r.field("answers.mood").is_some());
    assert!(r.field("extra").is_some());

    let r = app
        .put("/api/v1/checkins/today", &token, &json!({"answers": [1]}))
        .await;
    assert_eq!(r.field("answers"), Some("must be an object"));
    let r = app.put("/api/v1/checkins/today", &token, &json!([])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .put(
            "/api/v1/checkins/yesterday",
            &token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_date");

    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM checkins").await,
        0
    );
}

#[tokio::test]
async fn history_ranges_are_checked() {
    let app = spawn_app().await;
    let (_, token) = app.staff().await;
    let reversed = app
        .get("/api/v1/checkins?from=2020-02-03&to=2020-01-01", &token)
        .await;
    assert_eq!(reversed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reversed.field("from").is_some());
    let too_long = app
        .get("/api/v1/checkins?from=2018-01-01&to=2020-01-01", &token)
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    let malformed = app.get("/api/v1/checkins?from=yesterday", &token).await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(malformed.field("from").is_some());
}

#[tokio::test]
async fn people_see_only_their_own_checkins_and_other_organizations_stay_apart() {
    let app = spawn_app().await;
    let (_, alice) = app.staff().await;
    let (_, bob) = app.staff().await;
    let r = app
        .put(
            "/api/v1/checkins/today",
            &alice,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let bobs = app.get("/api/v1/checkins", &bob).await;
    assert_eq!(bobs.body["checkins"], json!([]));
    let bobs_today = app.get("/api/v1/checkins/today", &bob).await;
    assert!(bobs_today.body["checkin"].is_null());
    let revisions = app.get("/api/v1/checkins/today/revisions", &bob).await;
    assert_eq!(revisions.status, StatusCode::NOT_FOUND);
    assert_eq!(revisions.code(), "not_found");
}

#[tokio::test]
async fn checkin_problems_carry_codes_and_parameters() {
    let app = spawn_app().await; // Monday 2020-02-03
    let (_, token) = app.staff().await;
    let body = json!({"answers": healthy_answers()});
    let future = app.put("/api/v1/checkins/2020-02-04", &token, &body).await;
    assert_eq!(problem(&future, "date"), ("in_future".into(), json!({})));
    let too_old = app.put("/api/v1/checkins/2020-01-30", &token, &body).await;
    assert_eq!(
        problem(&too_old, "date"),
        ("too_far_back".into(), json!({"late_days": 3}))
    );
    let mut answers = healthy_answers();
    answers["temperature"] = json!(43.5);
    answers["mood"] = json!("fine");
    let r = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": answers, "reason": "x".repeat(501)}),
        )
        .await;
    assert_eq!(
        problem(&r, "answers.temperature"),
        (
            "out_of_range".into(),
            json!({"min": 34.0, "max": 43.0, "decimals": 1})
        )
    );
    assert_eq!(problem(&r, "answers.mood").0, "unknown_field");
    assert_eq!(
        problem(&r, "reason"),
        ("too_long".into(), json!({"max": 500}))
    );
    // A late day corrected without a reason.
    let late = app.put("/api/v1/checkins/2020-01-31", &token, &body).await;
    assert_eq!(late.status, StatusCode::CREATED);
    let mut fever = healthy_answers();
    fever["temperature"] = json!(37.8);
    let r = app
        .put(
            "/api/v1/checkins/2020-01-31",
            &token,
            &json!({"answers": fever}),
        )
        .await;
    assert_eq!(problem(&r, "reason"), ("required".into(), json!({})));
}
