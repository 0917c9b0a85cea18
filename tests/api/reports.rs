//! Exact numbers for a hand-built organization over three days.

use std::collections::HashSet;

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::login_as;
use crate::helpers::{
    healthy_answers, monday_morning, spawn_app, spawn_on, Response, TestApp, TestDb,
};

/// The code and the parameters of `field`'s problem in a 422, whose English sentence is the
/// one `fields` gives.
pub fn problem(r: &Response, field: &str) -> (String, Value) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.code(), "validation_failed");
    let detail = r.body["error"]["details"]
        .as_array()
        .and_then(|details| details.iter().find(|d| d["field"] == field))
        .unwrap_or_else(|| panic!("no detail for {field}: {:?}", r.body));
    assert_eq!(
        detail["message"], r.body["error"]["fields"][field],
        "{field}: the same sentence in details and fields"
    );
    let code = detail["code"].as_str().unwrap_or_default().to_string();
    (code, detail["params"].clone())
}

fn totals(r: &Value) -> (i64, i64, i64, i64, i64) {
    let n = |k: &str| r[k].as_i64().unwrap_or_else(|| panic!("{k} in {r}"));
    (
        n("expected"),
        n("reported"),
        n("unreported"),
        n("abnormal"),
        n("exempt"),
    )
}

fn department<'a>(r: &'a Value, path: &str) -> &'a Value {
    r["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == path)
        .unwrap_or_else(|| panic!("{path} in {r}"))
}

fn dept_numbers(d: &Value) -> (i64, i64, i64) {
    (
        d["expected"].as_i64().unwrap(),
        d["reported"].as_i64().unwrap(),
        d["abnormal"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn counts_follow_leave_holidays_moves_deactivation_and_late_checkins() {
    let app = spawn_app().await; // Monday 2020-02-03, 09:00 in Shanghai
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let post = |path: &'static str, body: Value| {
        let app = &app;
        let token = token.clone();
        async move {
            let r = app.post_as(path, &token, &body).await;
            assert!(r.status.is_success(), "{path}: {:?}", r.body);
            r.body
        }
    };
    let sales = post("/api/v1/departments", json!({"name": "Sales"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let east = post(
        "/api/v1/departments",
        json!({"name": "East", "parent_id": sales}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let west = post(
        "/api/v1/departments",
        json!({"name": "West", "parent_id": sales}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ops = post("/api/v1/departments", json!({"name": "Ops"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mgr = post(
        "/api/v1/employees",
        json!({"email": "mgr@acme.test", "name": "Mgr", "role": "manager", "manager_of": [sales]}),
    )
    .await;
    post(
        "/api/v1/employees",
        json!({"email": "hr@acme.test", "name": "Hr", "role": "hr"}),
    )
    .await;
    let a = post(
        "/api/v1/employees",
        json!({"email": "a@acme.test", "name": "A", "department_id": east}),
    )
    .await;
    let b = post(
        "/api/v1/employees",
        json!({"email": "b@acme.test", "name": "B", "department_id": east}),
    )
    .await;
    let c = post(
        "/api/v1/employees",
        json!({"email": "c@acme.test", "name": "C", "department_id": west}),
    )
    .await;
    let d = post(
        "/api/v1/employees",
        json!({"email": "d@acme.test", "name": "D", "department_id": ops}),
    )
    .await;
    let (ta, tb, tc, td) = (
        login_as(&app, &a).await,
        login_as(&app, &b).await,
        login_as(&app, &c).await,
        login_as(&app, &d).await,
    );
    let tm = login_as(&app, &mgr).await;
    let mut fever = healthy_answers();
    fever["temperature"] = json!(38.0);
    let submit = |t: &str, day: &str, answers: Value| {
        let app = &app;
        let path = format!("/api/v1/checkins/{day}");
        let t = t.to_string();
        async move {
            let r = app.put(&path, &t, &json!({"answers": answers})).await;
            assert!(r.status.is_success(), "{path}: {:?}", r.body);
        }
    };

    // Monday: a, b (abnormal) and d report; c does not.
    submit(&ta, "today", healthy_answers()).await;
    submit(&tb, "today", fever.clone()).await;
    submit(&td, "today", healthy_answers()).await;
    let mon = app.get("/api/v1/reports/daily", &token).await;
    assert_eq!(mon.status, StatusCode::OK, "{:?}", mon.body);
    assert_eq!(mon.body["date"], "2020-02-03");
    assert_eq!(mon.body["day_off"], Value::Null, "a working day");
    assert_eq!(totals(&mon.body), (7, 3, 4, 1, 0));
    assert_eq!(dept_numbers(department(&mon.body, "Sales")), (3, 2, 1));
    assert_eq!(dept_numbers(department(&mon.body, "Sales/East")), (2, 2, 1));

    // Tuesday is a holiday: nobody is expected, a reports anyway.
    app.call(
        Method::PUT,
        "/api/v1/organization",
        &token,
        Some(&json!({"holidays": ["2020-02-04"]})),
    )
    .await;
    app.clock.advance(Duration::hours(25));
    submit(&ta, "today", healthy_answers()).await;
    let tue = app.get("/api/v1/reports/daily", &token).await;
    assert_eq!(totals(&tue.body), (0, 0, 0, 0, 7));
    // The day says why: a holiday; a Saturday is not a working day.
    assert_eq!(tue.body["day_off"], "holiday");
    let sat = app
        .get("/api/v1/reports/daily?date=2020-02-01", &token)
        .await;
    assert_eq!(sat.body["day_off"], "non_working_day", "{:?}", sat.body);
    let mon_closed = app
        .get("/api/v1/reports/daily?date=2020-02-03", &token)
        .await;
    assert_eq!(
        totals(&mon_closed.body),
        (7, 3, 4, 1, 0),
        "closed day, same numbers"
    );

    // Wednesday: a moves to West, d leaves the company, c is on leave from today.
    app.clock.advance(Duration::hours(23));
    let r = app
        .patch(
            &format!("/api/v1/employees/{}", a["id"].as_str().unwrap()),
            &token,
            &json!({"department_id": west}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    app.delete(
        &format!("/api/v1/employees/{}", d["id"].as_str().unwrap()),
        &token,
    )
    .await;
    let r = app
        .post_as(
            &format!("/api/v1/employees/{}/leave", c["id"].as_str().unwrap()),
            &token,
            &json!({"from": "2020-02-05", "to": "2020-02-07", "kind": "sick"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    app.clock.advance(Duration::hours(1));
    submit(&ta, "today", healthy_answers()).await;
    submit(&tb, "today", healthy_answers()).await;
    // c fills in Monday late: the closed day's numbers follow.
    submit(&tc, "2020-02-03", healthy_answers()).await;

    let wed = app.get("/api/v1/reports/daily", &token).await;
    assert_eq!(wed.body["date"], "2020-02-05");
    assert_eq!(totals(&wed.body), (5, 2, 3, 0, 1));
    assert_eq!(dept_numbers(department(&wed.body, "Sales/West")), (1, 1, 0));
    assert_eq!(department(&wed.body, "Sales/West")["exempt"], 1);
    assert_eq!(dept_numbers(department(&wed.body, "Ops")), (0, 0, 0));

    let mon = app
        .get("/api/v1/reports/daily?date=2020-02-03", &token)
        .await;
    assert_eq!(totals(&mon.body), (7, 4, 3, 1, 0));
    assert_eq!(
        dept_numbers(department(&mon.body, "Sales/East")),
        (2, 2, 1),
        "a still counts in East on Monday"
    );
    assert_eq!(dept_numbers(department(&mon.body, "Sales/West")), (1, 1, 0));
    assert_eq!(
        dept_numbers(department(&mon.body, "Ops")),
        (1, 1, 0),
        "d still counts on Monday"
    );

    let trend = app
        .get(
            "/api/v1/reports/trend?from=2020-02-03&to=2020-02-05",
            &token,
        )
        .await;
    let days: Vec<(i64, i64, i64)> = trend.body["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["expected"].as_i64().unwrap(),
                d["reported"].as_i64().unwrap(),
                d["abnormal"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(days, vec![(7, 4, 1), (0, 0, 0), (5, 2, 0)]);
    let east_trend = app
        .get(
            &format!("/api/v1/reports/trend?from=2020-02-03&to=2020-02-05&department_id={east}"),
            &token,
        )
        .await;
    let east_days: Vec<i64> = east_trend.body["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["expected"].as_i64().unwrap())
        .collect();
    assert_eq!(east_days, vec![2, 0, 1]);

    let unreported = app
        .get("/api/v1/reports/unreported?date=2020-02-03", &token)
        .await;
    let names: Vec<&str> = unreported.body["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let mut expected_names = vec!["Hr", "Mgr", admin.email.split('@').next().unwrap()];
    expected_names.sort();
    assert_eq!(names, expected_names);
    assert_eq!(unreported.body["total"], 3);
    let today_unreported = app.get("/api/v1/reports/unreported", &token).await;
    assert_eq!(today_unreported.body["people"].as_array().unwrap().len(), 3);
    assert_eq!(today_unreported.body["total"], 3);
    let second_page = app
        .get("/api/v1/reports/unreported?per_page=2&page=2", &token)
        .await;
    assert_eq!(second_page.body["people"].as_array().unwrap().len(), 1);
    assert_eq!(second_page.body["total"], 3);
    let past_page = app
        .get(
            "/api/v1/reports/unreported?date=2020-02-03&per_page=2",
            &token,
        )
        .await;
    assert_eq!(past_page.body["people"].as_array().unwrap().len(), 2);
    assert_eq!(past_page.body["total"], 3);

    let abnormal = app
        .get("/api/v1/reports/abnormal?date=2020-02-03", &token)
        .await;
    let people = abnormal.body["people"].as_array().unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(abnormal.body["total"], 1);
    assert_eq!(people[0]["name"], "B");
    assert_eq!(people[0]["department"]["path"], "Sales/East");
    assert_eq!(people[0]["checkin"]["answers"]["temperature"], 38.0);

    // The manager of Sales sees Sales only.
    let scoped = app.get("/api/v1/reports/daily?date=2020-02-03", &tm).await;
    assert_eq!(totals(&scoped.body), (3, 3, 0, 1, 0));
    let paths: Vec<&str> = scoped.body["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["Sales", "Sales/East", "Sales/West"]);
    let outside = app
        .get(&format!("/api/v1/reports/daily?department_id={ops}"), &tm)
        .await;
    assert_eq!(outside.status, StatusCode::FORBIDDEN);
    let scoped_unreported = app
        .get("/api/v1/reports/unreported?date=2020-02-03", &tm)
        .await;
    assert_eq!(scoped_unreported.body["people"], json!([]));
    assert_eq!(
        app.get("/api/v1/reports/daily", &ta).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn report_parameters_are_checked() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    for (path, field) in [
        ("/api/v1/reports/daily?date=2020-02-04", "date"),
        ("/api/v1/reports/daily?date=03/02/2020", "date"),
        (
            "/api/v1/reports/trend?from=2020-02-03&to=2020-01-01",
            "from",
        ),
        (
            "/api/v1/reports/trend?from=2019-01-01&to=2020-02-03",
            "from",
        ),
        ("/api/v1/reports/trend?to=2020-02-09", "to"),
        ("/api/v1/reports/daily?department_id=nope", "department_id"),
    ] {
        let r = app.get(path, &token).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {:?}",
            r.body
        );
        assert!(r.field(field).is_some(), "{path}: {:?}", r.body);
    }
    let default = app.get("/api/v1/reports/trend", &token).await;
    assert_eq!(default.body["days"].as_array().unwrap().len(), 30);
}

#[tokio::test]
async fn yesterday_is_closed_ahead_of_the_first_report() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    app.put(
        "/api/v1/checkins/today",
        &token,
        &json!({"answers": healthy_answers()}),
    )
    .await;
    app.clock.advance(Duration::days(1));
    let now = app.clock_now();
    let closed = app
        .with_db(move |conn| health_checkin::reports::counts::close_past_days(conn, now).unwrap())
        .await;
    assert_eq!(closed, 1);
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM closed_days")
            .await,
        1
    );
    let again = app
        .with_db(move |conn| health_checkin::reports::counts::close_past_days(conn, now).unwrap())
        .await;
    assert_eq!(again, 0, "a closed day stays closed");
    let monday = app
        .get("/api/v1/reports/daily?date=2020-02-03", &token)
        .await;
    assert_eq!(
        (
            monday.body["expected"].clone(),
            monday.body["reported"].clone()
        ),
        (json!(1), json!(1))
    );
}

#[tokio::test]
async fn report_parameters_name_their_problems_with_codes() {
    let app = spawn_app().await; // Monday 2020-02-03
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let none = json!({});
    for (path, field, code, params) in [
        (
            "/api/v1/reports/daily?date=03/02/2020",
            "date",
            "invalid_date",
            &none,
        ),
        (
            "/api/v1/reports/daily?date=2020-02-04",
            "date",
            "in_future",
            &none,
        ),
        (
            "/api/v1/reports/daily?department_id=nope",
            "department_id",
            "unknown_department",
            &none,
        ),
        (
            "/api/v1/reports/trend?from=2020-02-03&to=2020-01-01",
            "from",
            "after_end",
            &none,
        ),
        (
            "/api/v1/reports/trend?from=2019-01-01&to=2020-02-03",
            "from",
            "range_too_long",
            &json!({"max_days": 366}),
        ),
        (
            "/api/v1/reports/trend?to=2020-02-04",
            "to",
            "in_future",
            &none,
        ),
        (
            "/api/v1/reports/trend?from=yesterday",
            "from",
            "invalid_date",
            &none,
        ),
        (
            "/api/v1/reports/unreported?page=0",
            "page",
            "out_of_range",
            &json!({"min": 1, "max": 1_000_000}),
        ),
        (
            "/api/v1/reports/abnormal?per_page=1001",
            "per_page",
            "out_of_range",
            &json!({"min": 1, "max": 1000}),
        ),
        (
            "/api/v1/reports/unreported?department_id=nope",
            "department_id",
            "unknown_department",
            &none,
        ),
        (
            "/api/v1/reports/abnormal?after=nope",
            "after",
            "invalid_cursor",
            &none,
        ),
        (
            "/api/v1/reports/daily.svg?date=2020-02-04",
            "date",
            "in_future",
            &none,
        ),
        (
            "/api/v1/exports/checkins.csv?department_id=nope",
            "department_id",
            "unknown_department",
            &none,
        ),
        (
            "/api/v1/exports/checkins.xlsx?to=2020-02-04",
            "to",
            "in_future",
            &none,
        ),
        (
            "/api/v1/audit?per_page=201",
            "per_page",
            "out_of_range",
            &json!({"min": 1, "max": 200}),
        ),
        (
            "/api/v1/audit?from=2020-02-04&to=2020-02-01",
            "from",
            "after_end",
            &none,
        ),
        (
            "/api/v1/reminders?date=2020-02-04",
            "date",
            "in_future",
            &none,
        ),
    ] {
        let r = app.get(path, &token).await;
        assert_eq!(
            problem(&r, field),
            (code.to_string(), params.clone()),
            "{path}"
        );
    }
    for (body, field, code) in [
        (json!({"date": "2020-13-01"}), "date", "invalid_date"),
        (json!({"date": "2020-02-04"}), "date", "in_future"),
        (
            json!({"department_id": "nope"}),
            "department_id",
            "unknown_department",
        ),
    ] {
        let r = app.post_as("/api/v1/reminders", &token, &body).await;
        assert_eq!(
            problem(&r, field),
            (code.to_string(), none.clone()),
            "{body}"
        );
    }
    // None of these took the on-demand slot: a pass may still be asked for.
    let r = app.post_as("/api/v1/reminders", &token, &json!({})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
}

/// A long abnormal list is read three ways on PostgreSQL, whichever is estimated to meet the
/// fewest people for the page asked: by walking everyone in name order, each looked up among
/// the abnormal check-ins by index (here page 1 of 5), or in a hash of them built first
/// (pages 2 to 5, and 100 a page), or by reading every abnormal check-in's person by key (1,000
/// a page); SQLite always reads by key. Every way gives one list in order of names, with the
/// same total, and leaves out erased people, whose check-ins still count in the day.
#[tokio::test]
async fn a_long_abnormal_list_pages_in_name_order_whichever_way_it_is_read() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let people = app.add_people_in(&admin.org_id, None, 40).await;
    let mut hot = healthy_answers();
    hot["temperature"] = json!(38.4);
    // 26 abnormal, 10 well, 4 who do not report.
    for (i, person) in people.iter().enumerate().take(36) {
        let answers = if i % 7 == 3 || i >= 26 {
            healthy_answers()
        } else {
            hot.clone()
        };
        let r = app
            .put(
                "/api/v1/checkins/today",
                &app.issued_token(&person.id, &admin.org_id),
                &json!({ "answers": answers }),
            )
            .await;
        assert!(r.status.is_success(), "{:?}", r.body);
    }
    let abnormal: Vec<usize> = (0..26).filter(|i| i % 7 != 3).collect();
    assert_eq!(abnormal.len(), 22);
    // One abnormal person is deactivated and erased; another is only deactivated.
    for (id, erase) in [(&people[0].id, true), (&people[1].id, false)] {
        let r = app
            .patch(
                &format!("/api/v1/employees/{id}"),
                &token,
                &json!({"active": false}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        if erase {
            let r = app
                .post_as(&format!("/api/v1/employees/{id}/erase"), &token, &json!({}))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
    }
    let daily = app.get("/api/v1/reports/daily", &token).await;
    assert_eq!(daily.body["abnormal"], 22, "the day still counts both");

    let names = |r: &Response| -> Vec<String> {
        r.body["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                assert_eq!(p["checkin"]["answers"]["temperature"], 38.4, "{p}");
                p["name"].as_str().unwrap().to_string()
            })
            .collect()
    };
    let expected: Vec<String> = abnormal[1..]
        .iter()
        .map(|i| format!("Person {i:04}"))
        .collect();
    for per_page in [100, 1_000] {
        let whole = app
            .get(
                &format!("/api/v1/reports/abnormal?per_page={per_page}"),
                &token,
            )
            .await;
        assert_eq!(whole.status, StatusCode::OK, "{:?}", whole.body);
        assert_eq!(names(&whole), expected, "{per_page} a page");
        assert_eq!(whole.body["total"], 21, "{per_page} a page");
    }

    let mut paged = Vec::new();
    for page in 1..=5 {
        let r = app
            .get(
                &format!("/api/v1/reports/abnormal?per_page=5&page={page}"),
                &token,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.body["total"], 21, "page {page}");
        let on_page = names(&r);
        assert_eq!(on_page.len(), if page == 5 { 1 } else { 5 }, "page {page}");
        paged.extend(on_page);
    }
    assert_eq!(paged, expected);

    // Page after page, each after the last person of the one before (on PostgreSQL five a
    // page is read by walking and probing, as a first page is).
    let (walked, totals) = walk_after(&app, &token, "/api/v1/reports/abnormal?", 5).await;
    let walked_names: Vec<String> = walked.iter().map(|(name, _)| name.clone()).collect();
    assert_eq!(walked_names, expected);
    assert!(totals.iter().all(|t| *t == 21), "{totals:?}");
    // After the third person, however the rest is read (on PostgreSQL: a hash at 100 a page,
    // by key at 1,000), and a page counted from there.
    let first_three = app.get("/api/v1/reports/abnormal?per_page=3", &token).await;
    let after_third = first_three.body["next"].as_str().unwrap().to_string();
    for per_page in [100, 1_000] {
        let r = app
            .get(
                &format!("/api/v1/reports/abnormal?per_page={per_page}&after={after_third}"),
                &token,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(names(&r), expected[3..], "{per_page} a page");
        assert_eq!(r.body["total"], 21);
        assert_eq!(r.body["next"], Value::Null, "the last page came back short");
    }
    let r = app
        .get(
            &format!("/api/v1/reports/abnormal?per_page=4&page=2&after={after_third}"),
            &token,
        )
        .await;
    assert_eq!(names(&r), expected[7..11]);

    // A place is the reader's own: another reader, or an id with a tag of its own making,
    // is refused.
    let hr = app.add_person(&admin.org_id, "hr", None).await;
    let hr_token = app.token_for(&hr).await;
    let (id, _) = after_third.rsplit_once('.').unwrap();
    for (token, after) in [
        (&hr_token, after_third.clone()),
        (&token, format!("{id}.AAAAAAAAAAAAAAAAAAAAAA")),
        (&token, id.to_string()),
    ] {
        let r = app
            .get(&format!("/api/v1/reports/abnormal?after={after}"), token)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert_eq!(r.problem("after").map(|p| p.0), Some("invalid_cursor"));
    }

    // Once the person a place is after is erased, their place in the order is gone too.
    for (path, body) in [
        (format!("/api/v1/employees/{id}"), json!({"active": false})),
        (format!("/api/v1/employees/{id}/erase"), json!({})),
    ] {
        let r = if path.ends_with("erase") {
            app.post_as(&path, &token, &body).await
        } else {
            app.patch(&path, &token, &body).await
        };
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let r = app
        .get(
            &format!("/api/v1/reports/abnormal?after={after_third}"),
            &token,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.problem("after").map(|p| p.0), Some("invalid_cursor"));
}

/// A list's people as (name, id), in its order.
fn names_and_ids(r: &Response) -> Vec<(String, String)> {
    r.body["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap().to_string();
            (name, p["id"].as_str().unwrap().to_string())
        })
        .collect()
}

/// Every page of `list` (the path with its query and a trailing `?` or `&`), each asked for
/// with the `next` of the page before, as (name, id) in order; with the totals they gave.
/// A page comes back short, and without a `next`, only at the end.
async fn walk_after(
    app: &TestApp,
    token: &str,
    list: &str,
    per_page: usize,
) -> (Vec<(String, String)>, Vec<i64>) {
    let mut people = Vec::new();
    let mut totals = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("{list}per_page={per_page}");
        if let Some(place) = &after {
            path.push_str(&format!("&after={place}"));
        }
        let r = app.get(&path, token).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        totals.push(r.body["total"].as_i64().unwrap());
        let page = names_and_ids(&r);
        assert!(page.len() <= per_page, "{path}");
        people.extend(page.iter().cloned());
        assert!(people.len() <= 1_000, "{path}: the walk does not end");
        match r.body["next"].as_str() {
            Some(next) => {
                assert_eq!(page.len(), per_page, "{path}: a full page");
                assert!(next.starts_with(&page[per_page - 1].1), "{next}");
                after = Some(next.to_string());
            }
            None => {
                assert!(page.len() < per_page, "{path}: a short page ends the list");
                break;
            }
        }
    }
    (people, totals)
}

/// The unreported list, paged after a person: the same people in the same order as the whole
/// list, people of one name told apart by id, for today and a past day, for the whole
/// organization and one department, and a list read across midnight.
#[tokio::test]
async fn the_unreported_list_goes_on_after_a_person_today_and_on_a_past_day() {
    // On PostgreSQL, names in an order that is not the bytes': "alice" before "Bob".
    let db = std::sync::Arc::new(TestDb::with_icu_collation("en-US"));
    let app = spawn_on(db, monday_morning()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let mut departments = Vec::new();
    for name in ["Ops", "Sales"] {
        let r = app
            .post_as("/api/v1/departments", &token, &json!({"name": name}))
            .await;
        assert_eq!(r.status.as_u16(), 201, "{:?}", r.body);
        departments.push(r.body["id"].as_str().unwrap().to_string());
    }
    // "Person 0000" to "Person 0006" in each department: every name twice; then names of
    // other cases and scripts, one of them twice too.
    let ops = app
        .add_people_in(&admin.org_id, Some(&departments[0]), 7)
        .await;
    let sales = app
        .add_people_in(&admin.org_id, Some(&departments[1]), 7)
        .await;
    for (person, name) in [
        (&ops[4], "alice"),
        (&ops[5], "Bob"),
        (&ops[6], "张伟"),
        (&sales[4], "Émile"),
        (&sales[5], "Zoë"),
        (&sales[6], "张伟"),
    ] {
        let r = app
            .patch(
                &format!("/api/v1/employees/{}", person.id),
                &token,
                &json!({ "name": name }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    for person in ops.iter().take(2) {
        let r = app
            .put(
                "/api/v1/checkins/today",
                &app.issued_token(&person.id, &admin.org_id),
                &json!({ "answers": healthy_answers() }),
            )
            .await;
        assert!(r.status.is_success(), "{:?}", r.body);
    }
    let whole_of = |list: &str| {
        let (app, token) = (&app, &token);
        let path = format!("{list}per_page=1000");
        async move {
            let r = app.get(&path, token).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
            assert_eq!(r.body["next"], Value::Null, "{path}");
            (names_and_ids(&r), r.body["total"].as_i64().unwrap())
        }
    };
    let organization = "/api/v1/reports/unreported?date=2020-02-03&".to_string();
    let ops_list = format!(
        "/api/v1/reports/unreported?date=2020-02-03&department_id={}&",
        departments[0]
    );
    let mut lists = vec![(organization.clone(), 13), (ops_list, 5)];
    let mut today_order = Vec::new();
    for (list, total) in &lists {
        let (whole, counted) = whole_of(list).await;
        assert_eq!((whole.len() as i64, counted), (*total, *total), "{list}");
        if *list == organization {
            let names: HashSet<&str> = whole.iter().map(|(name, _)| name.as_str()).collect();
            assert!(
                names.len() < whole.len(),
                "{list}: some names are there twice"
            );
        }
        for per_page in [1, 2, 5] {
            let (walked, totals) = walk_after(&app, &token, list, per_page).await;
            assert_eq!(walked, whole, "{list}, {per_page} a page");
            assert!(totals.iter().all(|t| t == total), "{list}: {totals:?}");
        }
        today_order.push(whole);
    }
    // A list read across midnight: its first page today, the rest once the day is past.
    let first_page = app.get(&format!("{organization}per_page=4"), &token).await;
    let next = first_page.body["next"].as_str().unwrap().to_string();
    app.clock.advance(Duration::days(1));
    let rest = app
        .get(&format!("{organization}per_page=1000&after={next}"), &token)
        .await;
    let across: Vec<&str> = first_page.body["people"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest.body["people"].as_array().unwrap())
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let ids: Vec<&str> = today_order[0].iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(across, ids);
    // The next day: the same lists as a past day, in the order they had, and today's.
    lists.push((
        "/api/v1/reports/unreported?date=2020-02-04&".to_string(),
        15,
    ));
    for (i, (list, total)) in lists.iter().enumerate() {
        let (whole, counted) = whole_of(list).await;
        assert_eq!(counted, *total, "{list}");
        if let Some(before) = today_order.get(i) {
            assert_eq!(&whole, before, "{list}: as it was on its day");
        }
        for per_page in [1, 3] {
            let (walked, _) = walk_after(&app, &token, list, per_page).await;
            assert_eq!(walked, whole, "{list}, {per_page} a page");
        }
    }
    // A place another organization's list gave is nothing here.
    let other = app.create_org("Other", "Asia/Shanghai").await;
    let other_token = app.token_for(&other).await;
    let theirs = app
        .get("/api/v1/reports/unreported?per_page=1", &other_token)
        .await;
    let their_next = theirs.body["next"].as_str().unwrap();
    let r = app
        .get(
            &format!("/api/v1/reports/unreported?after={their_next}"),
            &token,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.problem("after").map(|p| p.0), Some("invalid_cursor"));
}
