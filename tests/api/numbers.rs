//! Numbers that must always be right: new hires owe no earlier days, rest days still count
//! who reported, a check-in and then a deactivation or leave on the same day leave no
//! off-by-one, and closing a day loses no late check-in that arrives meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{healthy_answers, login_as, monday_morning, spawn_app, spawn_app_at, TestApp};
use health_checkin::db::schema::{checkins, users};

fn n(report: &Value, key: &str) -> i64 {
    report[key]
        .as_i64()
        .unwrap_or_else(|| panic!("{key} in {report}"))
}

/// The invariants of a day's numbers, for the whole report, each department and each day.
fn assert_consistent(report: &Value) {
    let rows = report["departments"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(report["days"].as_array().into_iter().flatten())
        .chain(std::iter::once(report).filter(|r| r.get("expected").is_some()));
    for row in rows {
        assert_eq!(
            n(row, "reported") + n(row, "unreported"),
            n(row, "expected"),
            "{row}"
        );
        assert!(
            n(row, "abnormal") <= n(row, "reported") + n(row, "reported_unexpected"),
            "{row}"
        );
    }
}

/// Expected, reported, reported though not expected, abnormal.
fn numbers(report: &Value) -> (i64, i64, i64, i64) {
    (
        n(report, "expected"),
        n(report, "reported"),
        n(report, "reported_unexpected"),
        n(report, "abnormal"),
    )
}

async fn daily(app: &TestApp, token: &str, date: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/reports/daily?date={date}"), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_consistent(&r.body);
    r.body
}

/// What the closing job does after midnight: every past day not closed yet is closed.
async fn close_past_days(app: &TestApp) {
    let now = app.clock_now();
    app.with_db(move |conn| health_checkin::reports::counts::close_past_days(conn, now))
        .await
        .expect("closing");
}

fn fever() -> Value {
    let mut answers = healthy_answers();
    answers["temperature"] = json!(38.5);
    answers["symptoms"] = json!(["fever"]);
    answers
}

#[tokio::test]
async fn a_new_hire_owes_no_day_before_joining_and_none_while_deactivated() {
    let app = spawn_app().await; // Monday 2020-02-03, 09:00 in Shanghai
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let hired = app
        .post_as(
            "/api/v1/employees",
            &admin_token,
            &json!({"email": "new@acme.test", "name": "New Hire", "invite": false}),
        )
        .await;
    assert_eq!(hired.status, StatusCode::CREATED, "{:?}", hired.body);
    let token = login_as(&app, &hired.body).await;

    let today = app.get("/api/v1/checkins/today", &token).await;
    assert_eq!(today.body["expected"], true);
    assert_eq!(
        today.body["earliest_date"], "2020-02-03",
        "not before joining"
    );
    let friday = app.get("/api/v1/checkins/2020-01-31", &token).await;
    assert_eq!(friday.status, StatusCode::OK, "{:?}", friday.body);
    assert_eq!(friday.body["expected"], false);
    assert_eq!(friday.body["exemption"], "not_yet_joined");
    let late = app
        .put(
            "/api/v1/checkins/2020-01-31",
            &token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        late.field("date").unwrap().contains("joined"),
        "{:?}",
        late.body
    );

    // Deactivated on Monday, back on Wednesday: Monday and Tuesday were not owed.
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let gone = app
        .delete(&format!("/api/v1/employees/{}", staff.id), &admin_token)
        .await;
    assert_eq!(gone.status, StatusCode::OK, "{:?}", gone.body);
    app.clock.set(monday_morning() + Duration::days(2));
    let back = app
        .patch(
            &format!("/api/v1/employees/{}", staff.id),
            &admin_token,
            &json!({"active": true}),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    let token = app.token_for(&staff).await;
    for day in ["2020-02-03", "2020-02-04"] {
        let view = app.get(&format!("/api/v1/checkins/{day}"), &token).await;
        assert_eq!(
            (
                view.body["expected"].clone(),
                view.body["exemption"].clone()
            ),
            (json!(false), json!("inactive")),
            "{day}"
        );
    }
    let refused = app
        .put(
            "/api/v1/checkins/2020-02-04",
            &token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.field("date").unwrap().contains("deactivated"));
    let sunday = app.get("/api/v1/checkins/2020-02-02", &token).await;
    assert_eq!(sunday.body["exemption"], "non_working_day", "active then");
    let today = app.get("/api/v1/checkins/today", &token).await;
    assert_eq!(today.body["expected"], true);

    // The history names every day, newest first, so no page offers a day that was not owed.
    let history = app
        .get("/api/v1/checkins?from=2020-01-31&to=2020-02-05", &token)
        .await;
    assert_eq!(history.status, StatusCode::OK, "{:?}", history.body);
    let days: Vec<(String, Value)> = history.body["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["exemption"].clone(),
            )
        })
        .collect();
    let expect = |date: &str, exemption: Value| (date.to_string(), exemption);
    assert_eq!(
        days,
        vec![
            expect("2020-02-05", Value::Null),
            expect("2020-02-04", json!("inactive")),
            expect("2020-02-03", json!("inactive")),
            expect("2020-02-02", json!("non_working_day")),
            expect("2020-02-01", json!("non_working_day")),
            expect("2020-01-31", Value::Null),
        ]
    );
    let hired_token = app.token("new@acme.test", "Summer-wind-31").await;
    let history = app
        .get(
            "/api/v1/checkins?from=2020-02-02&to=2020-02-05",
            &hired_token,
        )
        .await;
    let exemptions: Vec<&Value> = history.body["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["exemption"])
        .collect();
    assert_eq!(
        exemptions,
        vec![
            &Value::Null,
            &Value::Null,
            &Value::Null,
            &json!("not_yet_joined")
        ]
    );
}

#[tokio::test]
async fn a_rest_day_counts_who_reported_and_keeps_them_once_closed() {
    // Saturday 2020-02-01, 10:00 in Shanghai.
    let saturday = Utc.with_ymd_and_hms(2020, 2, 1, 2, 0, 0).unwrap();
    let app = spawn_app_at(saturday).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let sales = app
        .post_as(
            "/api/v1/departments",
            &admin_token,
            &json!({"name": "Sales"}),
        )
        .await;
    let sales_id = sales.body["id"].as_str().unwrap().to_string();
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let person = app.add_person(&admin.org_id, "staff", None).await;
        let moved = app
            .patch(
                &format!("/api/v1/employees/{}", person.id),
                &admin_token,
                &json!({"department_id": sales_id}),
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
        tokens.push(app.token_for(&person).await);
    }
    for (token, answers) in tokens.iter().zip([fever(), fever(), healthy_answers()]) {
        let r = app
            .put(
                "/api/v1/checkins/today",
                token,
                &json!({"answers": answers}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        assert_eq!(
            app.get("/api/v1/checkins/today", token).await.body["exemption"],
            "non_working_day"
        );
    }

    let check = |report: &Value| {
        let numbers = |r: &Value| {
            (
                n(r, "expected"),
                n(r, "reported"),
                n(r, "unreported"),
                n(r, "reported_unexpected"),
                n(r, "abnormal"),
            )
        };
        assert_eq!(numbers(report), (0, 0, 0, 3, 2), "{report}");
        let sales = report["departments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["path"] == "Sales")
            .unwrap();
        assert_eq!(numbers(sales), (0, 0, 0, 3, 2), "{sales}");
    };
    check(&daily(&app, &admin_token, "2020-02-01").await);
    let trend = app
        .get(
            "/api/v1/reports/trend?from=2020-02-01&to=2020-02-01",
            &admin_token,
        )
        .await;
    assert_consistent(&trend.body);
    assert_eq!(trend.body["days"][0]["reported_unexpected"], 3);
    assert_eq!(trend.body["days"][0]["abnormal"], 2);

    // On Monday, Saturday is counted exactly before it is closed, and from the stored rows
    // once the closing job has run: the same numbers.
    app.clock.set(monday_morning());
    check(&daily(&app, &admin_token, "2020-02-01").await);
    close_past_days(&app).await;
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM closed_days WHERE day = '2020-02-01'")
            .await,
        1
    );
    check(&daily(&app, &admin_token, "2020-02-01").await);
    let trend = app
        .get(
            "/api/v1/reports/trend?from=2020-02-01&to=2020-02-03",
            &admin_token,
        )
        .await;
    assert_consistent(&trend.body);
    assert_eq!(trend.body["days"][0]["reported_unexpected"], 3);
}

#[tokio::test]
async fn reporting_then_leaving_or_being_deactivated_the_same_day_moves_the_count() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let a = app.add_person(&admin.org_id, "staff", None).await;
    let b = app.add_person(&admin.org_id, "staff", None).await;
    for person in [&a, &b] {
        let token = app.token_for(person).await;
        let r = app
            .put(
                "/api/v1/checkins/today",
                &token,
                &json!({"answers": fever()}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    // The admin and the two staff are expected; the two staff reported, with a fever.
    let start = daily(&app, &admin_token, "2020-02-03").await;
    assert_eq!(numbers(&start), (3, 2, 0, 2));

    let gone = app
        .delete(&format!("/api/v1/employees/{}", a.id), &admin_token)
        .await;
    assert_eq!(gone.status, StatusCode::OK);
    let after = daily(&app, &admin_token, "2020-02-03").await;
    assert_eq!(numbers(&after), (2, 1, 1, 2), "{after}");

    let leave = app
        .post_as(
            &format!("/api/v1/employees/{}/leave", b.id),
            &admin_token,
            &json!({"from": "2020-02-03", "to": "2020-02-04", "kind": "sick"}),
        )
        .await;
    assert_eq!(leave.status, StatusCode::CREATED, "{:?}", leave.body);
    let after = daily(&app, &admin_token, "2020-02-03").await;
    assert_eq!(numbers(&after), (1, 0, 2, 2), "{after}");

    let removed = app
        .delete(
            &format!(
                "/api/v1/employees/{}/leave/{}",
                b.id,
                leave.body["id"].as_str().unwrap()
            ),
            &admin_token,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let back = app
        .call(
            Method::PATCH,
            &format!("/api/v1/employees/{}", a.id),
            &admin_token,
            Some(&json!({"active": true})),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK);
    let after = daily(&app, &admin_token, "2020-02-03").await;
    assert_eq!(numbers(&after), (3, 2, 0, 2), "{after}");

    // Deactivated again before the day ends: the closed day agrees with the last live view.
    app.delete(&format!("/api/v1/employees/{}", a.id), &admin_token)
        .await;
    let live = daily(&app, &admin_token, "2020-02-03").await;
    app.clock.set(monday_morning() + Duration::days(1));
    close_past_days(&app).await;
    let closed = daily(&app, &admin_token, "2020-02-03").await;
    assert_eq!(numbers(&closed), numbers(&live));
    assert_eq!(numbers(&closed), (2, 1, 1, 2));

    // The export agrees: both check-ins have their row, the deactivated person's as not expected.
    let csv = app
        .client
        .get(app.url("/api/v1/exports/checkins.csv?from=2020-02-03&to=2020-02-03"))
        .bearer_auth(&admin_token)
        .send()
        .await
        .expect("export");
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.expect("CSV text");
    let reported: Vec<&str> = text.lines().filter(|l| l.contains(",reported,")).collect();
    assert_eq!(reported.len(), 2, "{text}");
    let a_row = reported
        .iter()
        .find(|l| l.contains(&a.email))
        .unwrap_or_else(|| panic!("no row for the deactivated person in {text}"));
    // `expected` false, then an empty `submitted_by`.
    assert!(a_row.ends_with(",false,"), "{a_row}");
}

/// Stored check-ins of a day: (from people expected, from people not expected, abnormal).
async fn stored(app: &TestApp, org_id: &str, day: NaiveDate) -> (i64, i64, i64) {
    let org_id = org_id.to_string();
    app.with_db(move |conn| {
        let rows: Vec<(bool, bool)> = checkins::table
            .filter(checkins::org_id.eq(&org_id))
            .filter(checkins::day.eq(day))
            .select((checkins::expected, checkins::abnormal))
            .load(conn)
            .expect("check-ins");
        let count = |f: &dyn Fn(&(bool, bool)) -> bool| rows.iter().filter(|r| f(r)).count() as i64;
        (count(&|r| r.0), count(&|r| !r.0), count(&|r| r.1))
    })
    .await
}

#[tokio::test]
async fn closing_days_while_late_checkins_pour_in_loses_none() {
    const PEOPLE: usize = 1_500;
    const CLIENTS: usize = 24;
    // Everyone joins a week before; the late check-ins come on Monday 2020-02-03.
    let app = Arc::new(spawn_app_at(monday_morning() - Duration::days(7)).await);
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let mut csv = String::from("email,name,employee_no,department,role,manager_of\n");
    for i in 0..PEOPLE {
        csv.push_str(&format!(
            "p{i}@acme.test,Person {i},E{i},Team {},staff,\n",
            i % 5
        ));
    }
    let imported = app
        .post_csv("/api/v1/employees/import?invite=false", &admin_token, csv)
        .await;
    assert_eq!(imported.status, StatusCode::OK, "{:?}", imported.body);
    app.clock.set(monday_morning());
    let admin_token = app.token_for(&admin).await;
    let settings = app
        .call(
            Method::PUT,
            "/api/v1/organization",
            &admin_token,
            Some(&json!({"late_days": 5})),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{:?}", settings.body);

    // Thursday and Friday were working days, Saturday a rest day.
    const DAYS: [&str; 3] = ["2020-01-30", "2020-01-31", "2020-02-01"];
    let days = DAYS;
    let org_id = admin.org_id.clone();
    let people: Vec<String> = app
        .with_db(move |conn| {
            users::table
                .filter(users::org_id.eq(&org_id))
                .filter(users::role.eq("staff"))
                .select(users::id)
                .load(conn)
                .expect("people")
        })
        .await;
    assert_eq!(people.len(), PEOPLE);
    let jobs: Arc<Vec<(String, &'static str, Value)>> = Arc::new(
        people
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let token = app.issued_token(id, &admin.org_id);
                let answers = if i % 7 == 0 {
                    fever()
                } else {
                    healthy_answers()
                };
                (token, days[i % days.len()], answers)
            })
            .collect(),
    );

    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    // The last third waits until every day was closed twice, so however fast check-ins are
    // stored, closings run while they still come in.
    let closed_twice = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (app, jobs, next, done) = (app.clone(), jobs.clone(), next.clone(), done.clone());
        let closed_twice = closed_twice.clone();
        clients.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((token, day, answers)) = jobs.get(i) else {
                    return;
                };
                while i >= PEOPLE * 2 / 3 && closed_twice.load(Ordering::SeqCst) < DAYS.len() {
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                }
                let r = app
                    .put(
                        &format!("/api/v1/checkins/{day}"),
                        token,
                        &json!({"answers": answers}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
                done.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    // Once a third of the check-ins are in, the three days are closed, opened and closed
    // again and again while the rest pour in, and reports read them all along.
    let closers: Vec<_> = DAYS
        .iter()
        .map(|day| {
            let (app, token, done) = (app.clone(), admin_token.clone(), done.clone());
            let (org_id, closed_twice) = (admin.org_id.clone(), closed_twice.clone());
            tokio::spawn(async move {
                while done.load(Ordering::SeqCst) < PEOPLE / 3 {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
                let mut closings = 0;
                while done.load(Ordering::SeqCst) < PEOPLE {
                    let org_id = org_id.clone();
                    let now = app.clock_now();
                    app.with_db(move |conn| {
                        use health_checkin::db::schema::closed_days;
                        diesel::delete(
                            closed_days::table
                                .filter(closed_days::org_id.eq(&org_id))
                                .filter(closed_days::day.eq(date)),
                        )
                        .execute(conn)
                        .expect("reopened");
                        let org = health_checkin::db::organizations::find(conn, &org_id)
                            .expect("organization")
                            .expect("organization exists");
                        health_checkin::reports::counts::close_days(
                            conn,
                            &org,
                            date,
                            date,
                            health_checkin::db::db_time(now),
                        )
                        .expect("closed");
                    })
                    .await;
                    daily(&app, &token, day).await;
                    closings += 1;
                    if closings == 2 {
                        closed_twice.fetch_add(1, Ordering::SeqCst);
                    }
                }
                closings
            })
        })
        .collect();
    for task in clients {
        task.await.expect("client");
    }
    for task in closers {
        let closings = task.await.expect("closer");
        assert!(
            closings > 1,
            "the day was closed {closings} times while check-ins came in"
        );
    }

    let closed_days = app
        .count_rows("SELECT COUNT(*) AS n FROM closed_days")
        .await;
    assert_eq!(closed_days, 3, "every day ends closed");
    for day in days {
        let report = daily(&app, &admin_token, day).await;
        let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        let (expected_people, unexpected_people, abnormal) =
            stored(&app, &admin.org_id, date).await;
        assert_eq!(
            expected_people + unexpected_people,
            (PEOPLE / days.len()) as i64,
            "{day}"
        );
        assert_eq!(
            (
                n(&report, "reported"),
                n(&report, "reported_unexpected"),
                n(&report, "abnormal")
            ),
            (expected_people, unexpected_people, abnormal),
            "{day}: {report}"
        );
        let working_day = day != "2020-02-01";
        assert_eq!(
            n(&report, "expected"),
            if working_day { PEOPLE as i64 + 1 } else { 0 },
            "{day}"
        );
    }
}

#[tokio::test]
async fn making_today_a_holiday_and_back_keeps_todays_numbers_whole() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let well = app.add_person(&admin.org_id, "staff", None).await;
    let ill = app.add_person(&admin.org_id, "staff", None).await;
    let away = app.add_person(&admin.org_id, "staff", None).await;
    let leave = app
        .post_as(
            &format!("/api/v1/employees/{}/leave", away.id),
            &admin_token,
            &json!({"from": "2020-02-03", "to": "2020-02-03", "kind": "annual"}),
        )
        .await;
    assert_eq!(leave.status, StatusCode::CREATED, "{:?}", leave.body);
    for (person, answers) in [
        (&well, healthy_answers()),
        (&ill, fever()),
        (&away, healthy_answers()),
    ] {
        let token = app.token_for(person).await;
        let r = app
            .put(
                "/api/v1/checkins/today",
                &token,
                &json!({"answers": answers}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    // The admin, `well` and `ill` are expected; `away` reported while on leave.
    let before = daily(&app, &admin_token, "2020-02-03").await;
    assert_eq!(numbers(&before), (3, 2, 1, 1));

    let holiday = app
        .call(
            Method::PUT,
            "/api/v1/organization",
            &admin_token,
            Some(&json!({"holidays": ["2020-02-03"]})),
        )
        .await;
    assert_eq!(holiday.status, StatusCode::OK, "{:?}", holiday.body);
    let during = daily(&app, &admin_token, "2020-02-03").await;
    assert_eq!(numbers(&during), (0, 0, 3, 1), "{during}");

    let back = app
        .call(
            Method::PUT,
            "/api/v1/organization",
            &admin_token,
            Some(&json!({"holidays": []})),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    let after = daily(&app, &admin_token, "2020-02-03").await;
    assert_eq!(
        numbers(&after),
        (3, 2, 1, 1),
        "leave still exempts: {after}"
    );
}

#[tokio::test]
async fn the_closing_job_closes_yesterday_on_its_own_schedule() {
    use crate::helpers::{settings_for, spawn_with_settings, TestDb};
    let db = Arc::new(TestDb::new());
    let mut settings = settings_for(&db);
    settings.close_interval_secs = 1;
    // Tuesday 2020-02-04, 09:00 in Shanghai: Monday is yesterday.
    let app = spawn_with_settings(db, monday_morning() + Duration::days(1), settings).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    // Someone who joined weeks ago: the organization has past days to close.
    app.add_person(&admin.org_id, "staff", None).await;
    let started = std::time::Instant::now();
    loop {
        let closed = app
            .count_rows("SELECT COUNT(*) AS n FROM closed_days WHERE day = '2020-02-03'")
            .await;
        if closed == 1 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the job never closed Monday for {}",
            admin.org_id
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn damaged_stored_settings_are_an_error_for_their_organization_only() {
    let app = spawn_app().await;
    let healthy = app.create_org("Acme", "Asia/Shanghai").await;
    app.add_person(&healthy.org_id, "staff", None).await;
    let damaged = app.create_org("Broken", "Asia/Shanghai").await;
    let damaged_token = app.token_for(&damaged).await;
    app.damage_settings(&damaged.org_id).await;
    let r = app.get("/api/v1/organization", &damaged_token).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{:?}", r.body);
    assert!(
        !r.body.to_string().contains("25:00"),
        "no internals in the answer: {:?}",
        r.body
    );
    // The scheduler skips the damaged organization and reminds the other one's people.
    app.clock.set(monday_morning() + Duration::minutes(40));
    let planned = health_checkin::jobs::reminders::run_due_passes(&app.state)
        .await
        .expect("planning goes on");
    assert!(
        planned
            .iter()
            .any(|p| p.org_id == healthy.org_id && p.queued > 0),
        "{} planned",
        planned.len()
    );
    assert!(planned.iter().all(|p| p.org_id != damaged.org_id));
}
