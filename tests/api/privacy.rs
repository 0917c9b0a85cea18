//! A person's own data: taken away whole, and who else has read it.

use reqwest::StatusCode;
use serde_json::{json, Value};

use health_checkin::services::retention;

use crate::helpers::{healthy_answers, spawn_app, TestApp};

#[tokio::test]
async fn a_person_takes_their_data_away_and_sees_who_read_it() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let token = app.token_for(&staff).await;

    // A check-in, corrected once; leave recorded by the admin; the admin reads the record.
    let first = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let mut warmer = healthy_answers();
    warmer["temperature"] = json!(37.1);
    let corrected = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": warmer}),
        )
        .await;
    assert_eq!(corrected.body["revision"], 2, "{:?}", corrected.body);
    let leave = app
        .post_as(
            &format!("/api/v1/employees/{}/leave", staff.id),
            &admin_token,
            &json!({"from": "2020-02-10", "to": "2020-02-12", "kind": "annual"}),
        )
        .await;
    assert!(leave.status.is_success(), "{:?}", leave.body);
    let read = app
        .get(&format!("/api/v1/employees/{}", staff.id), &admin_token)
        .await;
    assert_eq!(read.status, StatusCode::OK);

    // All of it, as a file.
    let response = app
        .client
        .get(app.url("/api/v1/me/export"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let data: serde_json::Value = response.json().await.unwrap();
    assert_eq!(data["profile"]["email"], staff.email.as_str());
    assert_eq!(data["profile"]["organization"], "Acme");
    let checkins = data["checkins"].as_array().unwrap();
    assert_eq!(checkins.len(), 1, "{data}");
    assert_eq!(checkins[0]["revision"], 2);
    assert_eq!(checkins[0]["answers"]["temperature"], json!(37.1));
    assert_eq!(
        checkins[0]["revisions"][0]["answers"],
        healthy_answers(),
        "the answers before the correction"
    );
    assert_eq!(data["leave"][0]["kind"], "annual", "{data}");
    // The same shape as the leave API's.
    assert_eq!(data["leave"][0]["from"], "2020-02-10");
    assert_eq!(data["leave"][0]["to"], "2020-02-12");
    assert_eq!(data["reminders"], json!([]));

    // Who read or changed it: the admin, by name and role; never the person themselves.
    let log = app.get("/api/v1/me/access-log", &token).await.body;
    let entries = log["entries"].as_array().unwrap();
    assert!(log["total"].as_i64().unwrap() >= 2, "{log}");
    let read_entry = entries
        .iter()
        .find(|e| e["action"] == "employees.get")
        .unwrap_or_else(|| panic!("the read of the record: {log}"));
    assert_eq!(read_entry["kind"], "read");
    assert_eq!(read_entry["by"]["role"], "admin");
    let admin_name = app.get("/api/v1/me", &admin_token).await.body["name"].clone();
    assert_eq!(read_entry["by"]["name"], admin_name);
    assert!(
        entries.iter().any(|e| e["kind"] == "change"),
        "the leave: {log}"
    );
    // The admin's own log names no one else's reads of the admin.
    let theirs = app.get("/api/v1/me/access-log", &admin_token).await.body;
    assert!(
        theirs["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["by"]["name"] != admin_name),
        "{theirs}"
    );
    let bad = app.get("/api/v1/me/access-log?per_page=0", &token).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The organization's retention settings: each bound named, null keeping answers for good.
#[tokio::test]
async fn retention_and_the_notice_are_settings_with_their_bounds() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let org = app.get("/api/v1/organization", &token).await.body;
    assert_eq!(org["retention_days"], Value::Null, "kept unless set: {org}");
    assert_eq!(org["audit_retention_days"], 730);
    assert_eq!(org["privacy_notice"], Value::Null);

    for (body, field, code) in [
        (
            json!({"retention_days": 6}),
            "retention_days",
            "out_of_range",
        ),
        (
            json!({"retention_days": 3651}),
            "retention_days",
            "out_of_range",
        ),
        (
            json!({"retention_days": "30"}),
            "retention_days",
            "out_of_range",
        ),
        (
            json!({"audit_retention_days": 29}),
            "audit_retention_days",
            "out_of_range",
        ),
        (
            json!({"privacy_notice": "hello"}),
            "privacy_notice",
            "not_a_notice",
        ),
        (
            json!({"privacy_notice": {"fr": "Bonjour"}}),
            "privacy_notice",
            "unknown_language",
        ),
        (
            json!({"privacy_notice": {"en": "x".repeat(10_001)}}),
            "privacy_notice",
            "too_long",
        ),
    ] {
        let r = app.put("/api/v1/organization", &token, &body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert_eq!(
            r.problem(field).map(|(code, _)| code),
            Some(code),
            "{body}: {:?}",
            r.body
        );
    }

    let set = app
        .put(
            "/api/v1/organization",
            &token,
            &json!({
                "retention_days": 90,
                "audit_retention_days": 365,
                "privacy_notice": {"en": "  Acme keeps answers 90 days. ", "zh-CN": "Acme 保留回答 90 天。"}
            }),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    assert_eq!(set.body["retention_days"], 90);
    assert_eq!(set.body["audit_retention_days"], 365);
    assert_eq!(
        set.body["privacy_notice"],
        json!({"en": "Acme keeps answers 90 days.", "zh-CN": "Acme 保留回答 90 天。"})
    );
    // Staff read it with the rest of the organization.
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let staff_token = app.token_for(&staff).await;
    let seen = app.get("/api/v1/organization", &staff_token).await.body;
    assert_eq!(seen["privacy_notice"]["zh-CN"], "Acme 保留回答 90 天。");
    assert_eq!(seen["retention_days"], 90);

    // A change of something else keeps them; null keeps answers again and removes the notice.
    let kept = app
        .put("/api/v1/organization", &token, &json!({"late_days": 5}))
        .await;
    assert_eq!(kept.body["retention_days"], 90);
    let cleared = app
        .put(
            "/api/v1/organization",
            &token,
            &json!({"retention_days": null, "privacy_notice": null}),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.body);
    assert_eq!(cleared.body["retention_days"], Value::Null);
    assert_eq!(cleared.body["privacy_notice"], Value::Null);
    assert_eq!(cleared.body["audit_retention_days"], 365);
}

/// Reports of `days` as the dashboard reads them: each day's numbers and the trend.
async fn numbers(app: &TestApp, token: &str, days: &[&str]) -> Vec<Value> {
    let mut out = Vec::new();
    for day in days {
        let daily = app
            .get(&format!("/api/v1/reports/daily?date={day}"), token)
            .await;
        assert_eq!(daily.status, StatusCode::OK, "{:?}", daily.body);
        out.push(daily.body);
    }
    let trend = app
        .get(
            &format!(
                "/api/v1/reports/trend?from={}&to={}",
                days[0],
                days[days.len() - 1]
            ),
            token,
        )
        .await;
    assert_eq!(trend.status, StatusCode::OK, "{:?}", trend.body);
    out.push(trend.body);
    out
}

#[tokio::test]
async fn retention_purges_answers_and_keeps_every_number() {
    let app = spawn_app().await; // Monday 2020-02-03, 09:00 in Shanghai
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let fever = app.add_person(&admin.org_id, "staff", None).await;
    let fever_token = app.token_for(&fever).await;
    let well = app.add_person(&admin.org_id, "staff", None).await;
    let well_token = app.token_for(&well).await;
    let silent = app.add_person(&admin.org_id, "staff", None).await;

    // Monday: one with a fever, corrected with a note; one well who files Saturday late too.
    let mut hot = healthy_answers();
    hot["temperature"] = json!(38.2);
    let r = app
        .put(
            "/api/v1/checkins/today",
            &fever_token,
            &json!({"answers": hot}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    hot["note"] = json!("went to the clinic");
    let r = app
        .put(
            "/api/v1/checkins/today",
            &fever_token,
            &json!({"answers": hot}),
        )
        .await;
    assert_eq!(r.body["revision"], 2, "{:?}", r.body);
    for day in ["today", "2020-02-01"] {
        let r = app
            .put(
                &format!("/api/v1/checkins/{day}"),
                &well_token,
                &json!({"answers": healthy_answers()}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{day}: {:?}", r.body);
    }
    let leave = app
        .post_as(
            &format!("/api/v1/employees/{}/leave", silent.id),
            &admin_token,
            &json!({"from": "2020-02-04", "to": "2020-02-05", "kind": "sick", "note": "flu, at home"}),
        )
        .await;
    assert!(leave.status.is_success(), "{:?}", leave.body);
    let reminded = app
        .post_as("/api/v1/reminders", &admin_token, &json!({}))
        .await;
    assert!(reminded.status.is_success(), "{:?}", reminded.body);
    let delivered = app.deliver_all().await;
    assert!(delivered.sent >= 1, "{:?} {delivered:?}", reminded.body);

    let days = [
        "2020-02-01",
        "2020-02-02",
        "2020-02-03",
        "2020-02-04",
        "2020-02-05",
    ];
    // Six weeks later the days are past: their numbers as they were read then.
    app.clock.advance(chrono::Duration::days(42));
    let admin_token = app.token_for(&admin).await;
    let fever_token = app.token_for(&fever).await;
    let well_token = app.token_for(&well).await;
    let before = numbers(&app, &admin_token, &days).await;
    let csv_before = crate::exports::download(
        &app,
        "/api/v1/exports/checkins.csv?from=2020-02-01&to=2020-02-05",
        &admin_token,
    )
    .await;
    let (header, rows_before) = crate::exports::read_csv(&csv_before.bytes);

    // While answers are kept for good, only the mail bodies go, 30 days after.
    const KEPT_BODIES: &str = "SELECT COUNT(*) AS n FROM outbox WHERE body_id IS NOT NULL \
                               OR vars IS NOT NULL OR body_text <> '' OR body_html <> ''";
    assert!(app.count_rows(KEPT_BODIES).await >= 1);
    assert!(
        app.count_rows("SELECT COUNT(*) AS n FROM mail_bodies")
            .await
            >= 1
    );
    health_checkin::jobs::retention::purge(app.state.clone())
        .await
        .unwrap();
    assert_eq!(app.count_rows(KEPT_BODIES).await, 0);
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM mail_bodies")
            .await,
        0
    );
    let history = app
        .get(
            "/api/v1/checkins?from=2020-02-01&to=2020-02-05",
            &well_token,
        )
        .await;
    assert_eq!(
        history.body["checkins"][0]["purged"], false,
        "{:?}",
        history.body
    );
    let set = app
        .put(
            "/api/v1/organization",
            &admin_token,
            &json!({"retention_days": 30, "audit_retention_days": 30}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    let february = "/api/v1/audit?from=2020-02-01&to=2020-02-10";
    let old_entries = app.get(february, &admin_token).await.body["total"].clone();
    assert!(old_entries.as_i64().unwrap() >= 3, "{old_entries}");
    let now = app.clock_now();
    let counted = app
        .with_db(move |conn| {
            retention::purge_every_organization(conn, retention::Mode::DryRun, now).unwrap()
        })
        .await;
    let dry = counted
        .iter()
        .find(|o| o.org_id == admin.org_id)
        .unwrap()
        .purged;
    assert_eq!(
        (dry.checkins, dry.revisions, dry.leave_notes),
        (3, 1, 1),
        "{dry:?}"
    );
    assert_eq!(dry.mails, 0, "purged by the first run: {dry:?}");
    assert_eq!(json!(dry.audit_entries), old_entries);
    let unchanged = app
        .get(
            "/api/v1/checkins?from=2020-02-01&to=2020-02-05",
            &well_token,
        )
        .await;
    assert_eq!(unchanged.body, history.body, "a dry run changes nothing");

    health_checkin::jobs::retention::purge(app.state.clone())
        .await
        .unwrap();

    // Answers, notes, earlier versions and mail bodies are gone...
    let history = app
        .get(
            "/api/v1/checkins?from=2020-02-01&to=2020-02-05",
            &fever_token,
        )
        .await;
    let mine = &history.body["checkins"][0];
    assert_eq!(mine["purged"], true, "{:?}", history.body);
    assert_eq!(mine["answers"], json!({}));
    assert_eq!(mine["abnormal_reasons"], json!([]));
    assert_eq!(mine["abnormal"], true, "the status stays");
    let revisions = app
        .get("/api/v1/checkins/2020-02-03/revisions", &fever_token)
        .await;
    assert_eq!(
        revisions.body["revisions"],
        json!([]),
        "{:?}",
        revisions.body
    );
    let leave = app
        .get(
            &format!("/api/v1/employees/{}/leave", silent.id),
            &admin_token,
        )
        .await;
    assert_eq!(leave.body["leave"][0]["kind"], "sick", "{:?}", leave.body);
    assert_eq!(leave.body["leave"][0]["note"], Value::Null);
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM checkin_revisions")
            .await,
        0
    );

    // ...and every number, and who reported, stay as they were.
    assert_eq!(numbers(&app, &admin_token, &days).await, before);
    let csv_after = crate::exports::download(
        &app,
        "/api/v1/exports/checkins.csv?from=2020-02-01&to=2020-02-05",
        &admin_token,
    )
    .await;
    let (header_after, rows_after) = crate::exports::read_csv(&csv_after.bytes);
    assert_eq!(header_after, header);
    assert_eq!(rows_after.len(), rows_before.len());
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let answer_columns = ["temperature", "note", "abnormal_reasons"].map(column);
    for (after, before) in rows_after.iter().zip(&rows_before) {
        for kept in [
            "email",
            "date",
            "status",
            "submitted_at",
            "abnormal",
            "expected",
        ] {
            assert_eq!(after[column(kept)], before[column(kept)], "{kept}");
        }
        for c in answer_columns {
            assert_eq!(after[c], "", "no answer is exported: {after:?}");
        }
    }
    assert!(
        rows_before
            .iter()
            .any(|r| r[column("temperature")] == "38.2"),
        "the answers were there before"
    );

    // The purge is in the audit log with its counts, once: a second run finds nothing.
    health_checkin::jobs::retention::purge(app.state.clone())
        .await
        .unwrap();
    let log = app
        .get(
            "/api/v1/audit?action=privacy.purge&from=2020-03-01&to=2020-03-31",
            &admin_token,
        )
        .await;
    assert_eq!(
        log.body["total"], 2,
        "the mails', then the answers': {:?}",
        log.body
    );
    let detail = &log.body["entries"][0]["detail"];
    assert_eq!(detail["checkins"], 3, "{detail}");
    assert_eq!(detail["revisions"], 1);
    assert_eq!(detail["leave_notes"], 1);
    assert_eq!(detail["audit_entries"], old_entries);
    let left = app.get(february, &admin_token).await;
    assert_eq!(left.body["total"], 0, "older than 30 days: {:?}", left.body);

    // A purged day can still be corrected while it may be filled in: new answers, kept anew.
    let late = app
        .put(
            "/api/v1/organization",
            &admin_token,
            &json!({"retention_days": 7, "late_days": 31}),
        )
        .await;
    assert_eq!(late.status, StatusCode::OK, "{:?}", late.body);
    let recent = chrono::NaiveDate::from_ymd_opt(2020, 3, 5).unwrap();
    let r = app
        .put(
            &format!("/api/v1/checkins/{recent}"),
            &well_token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["purged"], false);
    // Older than the retention, but still open for late check-ins: kept until it closes.
    health_checkin::jobs::retention::purge(app.state.clone())
        .await
        .unwrap();
    let kept = app
        .get(
            &format!("/api/v1/checkins?from={recent}&to={recent}"),
            &well_token,
        )
        .await;
    assert_eq!(kept.body["checkins"][0]["purged"], false, "{:?}", kept.body);
    assert_eq!(kept.body["checkins"][0]["answers"], healthy_answers());
}

#[tokio::test]
async fn erasing_a_person_who_left_removes_them_and_keeps_the_numbers() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let created = app
        .post_as(
            "/api/v1/employees",
            &admin_token,
            &json!({"email": "wang.fang@acme.test", "name": "Wang Fang", "employee_no": "E-7001", "role": "manager"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    let clinic = app
        .post_as(
            "/api/v1/departments",
            &admin_token,
            &json!({"name": "Clinic", "manager_ids": [id]}),
        )
        .await;
    assert_eq!(clinic.status, StatusCode::CREATED, "{:?}", clinic.body);
    // They work on a ward the admin manages: their abnormal report alerts the admin by name.
    let ward = app
        .post_as(
            "/api/v1/departments",
            &admin_token,
            &json!({"name": "Ward", "manager_ids": [admin.id]}),
        )
        .await;
    assert_eq!(ward.status, StatusCode::CREATED, "{:?}", ward.body);
    let r = app
        .patch(
            &format!("/api/v1/employees/{id}"),
            &admin_token,
            &json!({"department_id": ward.body["id"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // An admin looks them up by name: the search is in the audit log.
    let found = app
        .get("/api/v1/employees?q=Wang%20Fang", &admin_token)
        .await;
    assert_eq!(found.body["total"], 1, "{:?}", found.body);
    let token = crate::helpers::login_as(&app, &created.body).await;
    let mut hot = healthy_answers();
    hot["temperature"] = json!(38.4);
    for answers in [hot.clone(), healthy_answers()] {
        let r = app
            .put(
                "/api/v1/checkins/today",
                &token,
                &json!({"answers": answers}),
            )
            .await;
        assert!(r.status.is_success(), "{:?}", r.body);
    }
    let leave = app
        .post_as(
            &format!("/api/v1/employees/{id}/leave"),
            &admin_token,
            &json!({"from": "2020-02-10", "to": "2020-02-11", "kind": "sick", "note": "surgery"}),
        )
        .await;
    assert!(leave.status.is_success(), "{:?}", leave.body);
    let other = app.add_person(&admin.org_id, "staff", None).await;
    let other_token = app.token_for(&other).await;

    // Not while they are active, and never by anyone but an admin.
    let erase = format!("/api/v1/employees/{id}/erase");
    let r = app.post_as(&erase, &admin_token, &json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.code(), "still_active");
    let r = app.post_as(&erase, &other_token, &json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Deactivated by a change, which leaves the departments they manage as they were.
    let r = app
        .patch(
            &format!("/api/v1/employees/{id}"),
            &admin_token,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let before = numbers(&app, &admin_token, &["2020-02-03"]).await;
    let alerted = app
        .count_rows("SELECT COUNT(*) AS n FROM outbox WHERE subject LIKE '%Wang Fang%'")
        .await;

    let r = app.post_as(&erase, &admin_token, &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let pseudonym = r.body["name"].as_str().unwrap().to_string();
    assert!(pseudonym.starts_with("Erased person "), "{pseudonym}");
    assert_eq!(r.body["checkins"], 1, "{:?}", r.body);
    assert_eq!(r.body["revisions"], 1);
    assert_eq!(r.body["leave_notes"], 1);
    assert!(
        r.body["mails"].as_u64().unwrap() >= 1,
        "the invitation: {:?}",
        r.body
    );

    // Gone from every list, export and lookup; the numbers stay.
    assert_eq!(numbers(&app, &admin_token, &["2020-02-03"]).await, before);
    let r = app
        .get(&format!("/api/v1/employees/{id}"), &admin_token)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let all = app.get("/api/v1/employees?active=all", &admin_token).await;
    assert!(
        all.body["employees"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != id.as_str()),
        "{:?}",
        all.body
    );
    let csv = crate::exports::download(
        &app,
        "/api/v1/exports/checkins.csv?from=2020-02-03&to=2020-02-03",
        &admin_token,
    )
    .await;
    let text = String::from_utf8_lossy(&csv.bytes).to_string();
    assert!(
        !text.contains("Wang Fang") && !text.contains("Erased person") && !text.contains("E-7001"),
        "{text}"
    );
    let abnormal = app
        .get("/api/v1/reports/abnormal?date=2020-02-03", &admin_token)
        .await;
    assert!(
        !abnormal.body.to_string().contains(&id),
        "{:?}",
        abnormal.body
    );
    let log = app
        .get(&format!("/api/v1/audit?target_id={id}"), &admin_token)
        .await;
    let log_text = log.body.to_string();
    assert!(log.body["total"].as_i64().unwrap() >= 3, "{log_text}");
    assert!(
        !log_text.contains("Wang Fang")
            && !log_text.contains("wang.fang")
            && !log_text.contains("E-7001"),
        "{log_text}"
    );
    assert!(log_text.contains("employees.erase"), "{log_text}");
    let changes = app
        .get(
            &format!("/api/v1/audit?target_id={id}&kind=change"),
            &admin_token,
        )
        .await;
    assert!(
        changes.body["total"].as_i64().unwrap() >= 3,
        "created, leave, deactivated and erased stay changes: {:?}",
        changes.body
    );
    let whole_log = app.get("/api/v1/audit?per_page=200", &admin_token).await;
    assert!(
        !whole_log.body.to_string().contains("Wang Fang"),
        "the search for them is redacted: {:?}",
        whole_log.body
    );
    let departments = app.get("/api/v1/departments", &admin_token).await;
    assert!(
        !departments.body.to_string().contains(&id),
        "they manage nothing: {:?}",
        departments.body
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM checkin_revisions")
            .await,
        0
    );
    let mentioning = app
        .count_rows(
            "SELECT COUNT(*) AS n FROM outbox WHERE subject LIKE '%Wang Fang%' \
             OR body_text LIKE '%Wang Fang%' OR body_html LIKE '%Wang Fang%'",
        )
        .await;
    assert_eq!(mentioning, 0, "the alerts about them are gone");
    assert!(alerted >= 1, "there was one to remove");

    // They cannot log in, it cannot be done twice, and the address is free again.
    let r = app.login("wang.fang@acme.test", "Summer-wind-31").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.post_as(&erase, &admin_token, &json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let again = app
        .post_as(
            "/api/v1/employees",
            &admin_token,
            &json!({"email": "wang.fang@acme.test", "name": "Wang Fang", "employee_no": "E-7001"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{:?}", again.body);
}
