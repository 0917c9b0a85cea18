//! "Today" is the date where the organization (or the person) is, around local midnight.

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{healthy_answers, spawn_app};

fn local(tz: &str, y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::DateTime<chrono::Utc> {
    let tz: Tz = tz.parse().unwrap();
    tz.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap()
        .with_timezone(&chrono::Utc)
}

async fn check_midnight(zone: &str) {
    let app = spawn_app().await;
    let admin = app.create_org("Zone", zone).await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    app.clock.set(local(zone, 2020, 3, 9, 23, 59));
    let token = app.token_for(&staff).await;

    let before = app.get("/api/v1/checkins/today", &token).await;
    assert_eq!(before.body["date"], "2020-03-09", "{zone} at 23:59");
    assert_eq!(before.body["timezone"], zone);
    let late_evening = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(late_evening.status, StatusCode::CREATED);
    assert_eq!(late_evening.body["date"], "2020-03-09");

    app.clock.set(local(zone, 2020, 3, 10, 0, 1));
    let after = app.get("/api/v1/checkins/today", &token).await;
    assert_eq!(after.body["date"], "2020-03-10", "{zone} at 00:01");
    assert!(after.body["checkin"].is_null());
    assert_eq!(after.body["previous"]["date"], "2020-03-09");
    let just_after_midnight = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(just_after_midnight.status, StatusCode::CREATED);
    assert_eq!(just_after_midnight.body["date"], "2020-03-10");
    // 2020-03-11 does not exist yet at 00:01 on the 10th.
    let tomorrow = app
        .put(
            "/api/v1/checkins/2020-03-11",
            &token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(tomorrow.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn midnight_in_shanghai() {
    check_midnight("Asia/Shanghai").await;
}

#[tokio::test]
async fn midnight_in_new_york() {
    // 2020-03-08 was the start of daylight saving time there; the 9th and 10th are EDT.
    check_midnight("America/New_York").await;
}

#[tokio::test]
async fn a_persons_own_zone_wins_over_the_organizations() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let traveller = app
        .add_person(&admin.org_id, "staff", Some("America/New_York"))
        .await;
    let at_home = app.add_person(&admin.org_id, "staff", None).await;
    // 10:00 in Shanghai on the 3rd is 21:00 on the 2nd in New York.
    app.clock.set(local("Asia/Shanghai", 2020, 2, 3, 10, 0));
    let t1 = app.token_for(&traveller).await;
    let t2 = app.token_for(&at_home).await;
    let abroad = app.get("/api/v1/checkins/today", &t1).await;
    let home = app.get("/api/v1/checkins/today", &t2).await;
    assert_eq!(abroad.body["date"], "2020-02-02");
    assert_eq!(home.body["date"], "2020-02-03");
    let me = app.get("/api/v1/me", &t1).await;
    assert_eq!(me.body["timezone"], "America/New_York");
    assert_eq!(
        NaiveDate::parse_from_str(abroad.body["date"].as_str().unwrap(), "%Y-%m-%d").unwrap(),
        NaiveDate::from_ymd_opt(2020, 2, 2).unwrap()
    );
}
