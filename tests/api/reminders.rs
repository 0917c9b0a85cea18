//! Reminders: scheduled passes driven by the test clock, escalation digests, on-demand passes,
//! delivery over a real SMTP server with its faults, and exactly-once across instances.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::prelude::*;
use health_checkin::db::{db_time, outbox, DbConn};
use health_checkin::jobs::delivery::lease;
use health_checkin::jobs::reminders::{run_due_passes, Planned};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::login_as;
use crate::helpers::{
    binary, healthy_answers, monday_morning, spawn_app, spawn_app_at, spawn_app_with_smtp,
    spawn_on_with_smtp, Person, TestApp, TestDb, JWT_SECRET,
};
use crate::smtp::{ReceivedMail, TestSmtp};

/// Monday 2020-02-03 in Shanghai at a local time.
fn shanghai(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 2, 3, hour, minute, 0).unwrap() - Duration::hours(8)
}

impl TestApp {
    async fn plan(&self) -> Vec<Planned> {
        run_due_passes(&self.state).await.expect("planning")
    }

    async fn queued(&self) -> usize {
        self.plan().await.iter().map(|p| p.queued).sum()
    }

    async fn sql(&self, sql: String) {
        self.with_db(move |conn: &mut DbConn| {
            diesel::sql_query(sql).execute(conn).expect("sql");
        })
        .await;
    }

    async fn statuses(&self, kind: &'static str) -> HashMap<String, String> {
        self.with_db(move |conn: &mut DbConn| {
            use health_checkin::db::schema::outbox::dsl as o;
            o::outbox
                .filter(o::kind.eq(kind))
                .select((o::to_email, o::status))
                .load::<(String, String)>(conn)
                .expect("outbox")
                .into_iter()
                .collect()
        })
        .await
    }

    async fn check_in(&self, token: &str) {
        let r = self
            .put(
                "/api/v1/checkins/today",
                token,
                &json!({"answers": healthy_answers()}),
            )
            .await;
        assert!(r.status.is_success(), "{:?}", r.body);
    }
}

fn reminders_to(received: &[ReceivedMail], email: &str) -> usize {
    received.iter().filter(|m| m.to == [email]).count()
}

/// An organization built through the API: Sales ⊃ East, and Ops; a manager of Sales, HR,
/// and staff A, B in East and C in Ops. The invitations are marked sent.
struct Org {
    admin: String,
    manager: String,
    hr: String,
    ops: String,
    a: Value,
    c: Value,
}

async fn build_org(app: &TestApp) -> Org {
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let post = |path: &'static str, body: Value| {
        let token = admin_token.clone();
        async move {
            let r = app.post_as(path, &token, &body).await;
            assert!(r.status.is_success(), "{path}: {:?}", r.body);
            r.body
        }
    };
    let sales = post("/api/v1/departments", json!({"name": "Sales"})).await["id"].clone();
    let east = post(
        "/api/v1/departments",
        json!({"name": "East", "parent_id": sales}),
    )
    .await["id"]
        .clone();
    let ops = post("/api/v1/departments", json!({"name": "Ops"})).await["id"].clone();
    let manager = post(
        "/api/v1/employees",
        json!({"email": "mgr@acme.test", "name": "Mei Manager", "role": "manager", "manager_of": [sales]}),
    )
    .await;
    let hr = post(
        "/api/v1/employees",
        json!({"email": "hr@acme.test", "name": "Hua HR", "role": "hr"}),
    )
    .await;
    let a = post(
        "/api/v1/employees",
        json!({"email": "a@acme.test", "name": "An East", "department_id": east}),
    )
    .await;
    post(
        "/api/v1/employees",
        json!({"email": "b@acme.test", "name": "Bo East", "department_id": east}),
    )
    .await;
    let c = post(
        "/api/v1/employees",
        json!({"email": "c@acme.test", "name": "Cai Ops", "department_id": ops}),
    )
    .await;
    app.sql("UPDATE outbox SET status = 'sent' WHERE kind = 'invitation'".into())
        .await;
    Org {
        admin: admin_token,
        manager: login_as(app, &manager).await,
        hr: login_as(app, &hr).await,
        ops: ops.as_str().unwrap().to_string(),
        a,
        c,
    }
}

async fn person(app: &TestApp, org_id: &str, timezone: Option<&str>) -> Person {
    app.add_person(org_id, "staff", timezone).await
}

#[tokio::test]
async fn a_pass_reminds_the_unreported_once_after_its_time() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    app.clock.set(shanghai(9, 0));
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let late = person(&app, &admin.org_id, None).await;
    let early = person(&app, &admin.org_id, None).await;
    let away = person(&app, &admin.org_id, None).await;
    app.check_in(&app.token_for(&early).await).await;
    let admin_token = app.token_for(&admin).await;
    let r = app
        .post_as(
            &format!("/api/v1/employees/{}/leave", away.id),
            &admin_token,
            &json!({"from": "2020-02-03", "to": "2020-02-04", "kind": "sick"}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);

    // Before 09:30 nothing is due.
    assert!(app.plan().await.is_empty());
    app.clock.set(shanghai(9, 31));
    let planned = app.plan().await;
    assert_eq!(planned.len(), 1, "{planned:?}");
    assert_eq!(planned[0].pass, "09:30");
    // The admin and the late one; not the one who reported, nor the one on leave.
    assert_eq!(planned[0].queued, 2);
    // Planning the same pass again queues nothing.
    assert_eq!(app.queued().await, 0);

    let report = app.deliver_all().await;
    assert_eq!(report.sent, 2, "{report:?}");
    let received = smtp.received();
    assert_eq!(received.len(), 2);
    assert_eq!(reminders_to(&received, &early.email), 0);
    assert_eq!(reminders_to(&received, &away.email), 0);
    let mail = received
        .iter()
        .find(|m| m.to == [late.email.clone()])
        .unwrap();
    // The organization's locale by default: zh-CN.
    let subject = mail.header("Subject").unwrap();
    assert!(subject.contains("2020-02-03"), "{subject}");
    let text = mail.part("text/plain").unwrap();
    assert!(text.starts_with("Test staff，您好："), "{text}");
    assert!(text.contains("http://127.0.0.1:8080/#/checkin"), "{text}");
    let html = mail.part("text/html").unwrap();
    assert!(html.contains("Test staff，您好："), "{html}");
    assert!(
        html.contains("href=\"http://127.0.0.1:8080/#/checkin\""),
        "{html}"
    );
    assert!(!html.contains("{{"), "{html}");

    // Hours later, after a restart: the morning pass is not sent again, nor caught up late.
    app.clock.set(shanghai(12, 0));
    assert!(app.plan().await.is_empty());
    app.clock.set(shanghai(9, 45));
    assert_eq!(app.queued().await, 0);
    assert_eq!(app.deliver_all().await.claimed, 0);
    assert_eq!(smtp.received().len(), 2);
}

#[tokio::test]
async fn people_in_another_zone_are_reminded_on_their_own_clock() {
    let app = spawn_app_at(shanghai(9, 31)).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let london = person(&app, &admin.org_id, Some("Europe/London")).await;
    let local = person(&app, &admin.org_id, None).await;
    let planned = app.plan().await;
    assert_eq!(planned.len(), 1, "{planned:?}");
    assert_eq!(planned[0].queued, 2); // the admin and `local`
    let statuses = app.statuses("reminder").await;
    assert!(statuses.contains_key(&local.email));
    assert!(!statuses.contains_key(&london.email));

    // 09:31 in London, 17:31 in Shanghai: London's pass for London's Monday.
    app.clock
        .set(Utc.with_ymd_and_hms(2020, 2, 3, 9, 31, 0).unwrap());
    let planned = app.plan().await;
    assert_eq!(planned.len(), 1, "{planned:?}");
    assert_eq!(planned[0].queued, 1);
    assert_eq!(
        planned[0].day,
        chrono::NaiveDate::from_ymd_opt(2020, 2, 3).unwrap()
    );
    assert_eq!(app.statuses("reminder").await.len(), 3);
    assert_eq!(app.queued().await, 0);
}

#[tokio::test]
async fn nobody_is_reminded_on_a_weekend_or_a_holiday() {
    // Saturday 2020-02-08, 09:31 in Shanghai.
    let app = spawn_app_at(Utc.with_ymd_and_hms(2020, 2, 8, 1, 31, 0).unwrap()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    person(&app, &admin.org_id, None).await;
    assert!(app.plan().await.is_empty());

    app.clock.set(shanghai(9, 31));
    let token = app.token_for(&admin).await;
    let r = app
        .put(
            "/api/v1/organization",
            &token,
            &json!({"holidays": ["2020-02-03"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(app.plan().await.is_empty());
    assert_eq!(app.statuses("reminder").await.len(), 0);
}

#[tokio::test]
async fn someone_who_reports_before_the_send_is_not_reminded() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    app.clock.set(shanghai(9, 31));
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let quick = person(&app, &admin.org_id, None).await;
    assert_eq!(app.queued().await, 2);
    app.check_in(&app.token_for(&quick).await).await;

    let report = app.deliver_all().await;
    assert_eq!((report.sent, report.skipped), (1, 1), "{report:?}");
    assert_eq!(reminders_to(&smtp.received(), &quick.email), 0);
    assert_eq!(reminders_to(&smtp.received(), &admin.email), 1);

    let list = app
        .get("/api/v1/reminders", &app.token_for(&admin).await)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    let entry = list.body["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["to"] == quick.email.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["status"], "cancelled");
    assert_eq!(entry["pass"], "09:30");
    assert_eq!(entry["kind"], "reminder");
}

#[tokio::test]
async fn smtp_down_keeps_reminders_queued_and_a_refusal_fails_only_its_row() {
    let mut smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    app.clock.set(shanghai(9, 31));
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let refused = person(&app, &admin.org_id, None).await;
    let fine = person(&app, &admin.org_id, None).await;
    smtp.reject(&refused.email);
    assert_eq!(app.queued().await, 3);

    smtp.stop();
    let report = app.deliver_all().await;
    assert_eq!(report.retrying, 3, "{report:?}");
    assert!(smtp.received().is_empty());
    // Not due yet: nothing is tried again before its backoff.
    assert_eq!(app.deliver_all().await.claimed, 0);

    smtp.restart();
    app.clock.advance(Duration::minutes(2));
    let report = app.deliver_all().await;
    assert_eq!((report.sent, report.failed), (2, 1), "{report:?}");
    let received = smtp.received();
    assert_eq!(received.len(), 2);
    assert_eq!(reminders_to(&received, &fine.email), 1);
    assert_eq!(reminders_to(&received, &admin.email), 1);

    app.clock.advance(Duration::hours(1));
    assert_eq!(app.deliver_all().await.claimed, 0);
    assert_eq!(smtp.received().len(), 2);

    let list = app
        .get(
            "/api/v1/reminders?date=2020-02-03",
            &app.token_for(&admin).await,
        )
        .await;
    let rows = list.body["reminders"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let failed = rows
        .iter()
        .find(|r| r["to"] == refused.email.as_str())
        .unwrap();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["attempts"], 2);
    assert!(
        failed["last_error"].as_str().unwrap().contains("550"),
        "{failed}"
    );
    let sent = rows
        .iter()
        .find(|r| r["to"] == fine.email.as_str())
        .unwrap();
    assert_eq!(sent["status"], "sent");
    assert_eq!(sent["attempts"], 2);
    assert!(sent["last_error"].as_str().is_some());
}

#[tokio::test]
async fn the_escalation_pass_sends_managers_a_digest_instead() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    app.clock.set(shanghai(9, 0));
    let org = build_org(&app).await;
    let r = app
        .put(
            "/api/v1/organization",
            &org.admin,
            &json!({"reminder_times": ["09:30"], "escalate_after": "11:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(r.field("escalate_after").is_some());
    let r = app
        .put(
            "/api/v1/organization",
            &org.admin,
            &json!({"reminder_times": ["09:30", "11:00"], "escalate_after": "11:00", "locale": "en"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["escalate_after"], "11:00");

    // A reports with an abnormal temperature: reported, so in no list; nothing of it is mailed.
    let mut answers = healthy_answers();
    answers["temperature"] = json!(38.2);
    let token_a = login_as(&app, &org.a).await;
    let r = app
        .put(
            "/api/v1/checkins/today",
            &token_a,
            &json!({"answers": answers}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);

    app.clock.set(shanghai(9, 31));
    let morning = app.plan().await;
    assert_eq!(morning.len(), 1, "{morning:?}");
    assert!(!morning[0].digest);
    app.clock.set(shanghai(11, 1));
    let planned = app.plan().await;
    assert_eq!(planned.len(), 1, "only the latest due pass: {planned:?}");
    let digest = planned.iter().find(|p| p.pass == "11:00").unwrap();
    assert!(digest.digest);
    assert_eq!(digest.queued, 1);
    app.deliver_all().await;
    let received = smtp.received();
    let digests: Vec<_> = received
        .iter()
        .filter(|m| {
            m.to == ["mgr@acme.test"] && m.header("Subject").unwrap().contains("not checked in")
        })
        .collect();
    assert_eq!(digests.len(), 1, "{received:?}");
    let text = digests[0].part("text/plain").unwrap();
    assert!(text.contains("Bo East (Sales/East)"), "{text}");
    assert!(!text.contains("An East"), "{text}");
    assert!(!text.contains("Cai Ops"), "{text}");
    assert!(
        !text.contains("38.2") && !text.contains("temperature"),
        "{text}"
    );
    let html = digests[0].part("text/html").unwrap();
    assert!(html.contains("<li>Bo East (Sales/East)</li>"), "{html}");
    // The staff were reminded at 09:30, not again at 11:00.
    assert_eq!(
        received.iter().filter(|m| m.to == ["b@acme.test"]).count(),
        1
    );
    assert_eq!(app.queued().await, 0);
}

#[tokio::test]
async fn on_demand_passes_are_scoped_limited_and_counted() {
    let app = spawn_app().await;
    let org = build_org(&app).await;
    let staff_token = login_as(&app, &org.c).await;

    let r = app
        .post_as("/api/v1/reminders", &staff_token, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_as(
            "/api/v1/reminders",
            &org.manager,
            &json!({"department_id": org.ops}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);

    // The manager's subtree: A and B in East.
    let r = app
        .post_as("/api/v1/reminders", &org.manager, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert_eq!(r.body["queued"], 2);
    // When the page may offer the next pass.
    let next_at = r.body["next_at"].as_str().expect("next_at");
    let next_at: DateTime<Utc> = next_at.parse().expect("an instant");
    assert_eq!(next_at, app.clock_now() + Duration::minutes(10));
    let again = app
        .send(
            app.client
                .post(app.url("/api/v1/reminders"))
                .bearer_auth(&org.manager)
                .json(&json!({})),
        )
        .await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    let raw = app
        .client
        .post(app.url("/api/v1/reminders"))
        .bearer_auth(&org.manager)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let retry: i64 = raw.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry), "{retry}");

    // HR: the whole organization; A and B were reminded on demand already today.
    let r = app
        .post_as("/api/v1/reminders", &org.hr, &json!({"date": "2020-02-03"}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert_eq!(r.body["queued"], 4); // admin, manager, hr, C
    app.clock.advance(Duration::minutes(11));
    let r = app
        .post_as("/api/v1/reminders", &org.manager, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    assert_eq!(r.body["queued"], 0);

    // What each sees of the day's reminders, and the daily report's count.
    let all = app.get("/api/v1/reminders", &org.hr).await;
    assert_eq!(all.body["reminders"].as_array().unwrap().len(), 6);
    let mine = app.get("/api/v1/reminders", &org.manager).await;
    let mine = mine.body["reminders"].as_array().unwrap();
    let mut names: Vec<&str> = mine.iter().map(|r| r["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["An East", "Bo East"]);
    assert!(mine
        .iter()
        .all(|r| r["status"] == "pending" && r["pass"] == "ondemand"));
    let r = app.get("/api/v1/reports/daily", &org.hr).await;
    assert_eq!(r.body["reminded"], 6, "{:?}", r.body);
    let r = app.get("/api/v1/reports/daily", &org.manager).await;
    assert_eq!(r.body["reminded"], 2, "{:?}", r.body);
    let r = app.get("/api/v1/reminders", &staff_token).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn two_instances_planning_and_delivering_at_once_send_each_person_one_mail() {
    let smtp = TestSmtp::start();
    let first = spawn_app_with_smtp(smtp.port()).await;
    let second = spawn_on_with_smtp(first._db.clone(), smtp.port()).await;
    first.clock.set(shanghai(9, 31));
    second.clock.set(shanghai(9, 31));
    let admin = first.create_org("Acme", "Asia/Shanghai").await;
    let mut people = vec![admin.email.clone()];
    for _ in 0..40 {
        people.push(person(&first, &admin.org_id, None).await.email);
    }
    let (a, b) = tokio::join!(first.plan(), second.plan());
    let queued: usize = a.iter().chain(b.iter()).map(|p| p.queued).sum();
    assert_eq!(queued, people.len());
    let (ra, rb) = tokio::join!(first.deliver_all(), second.deliver_all());
    assert_eq!(ra.sent + rb.sent, people.len(), "{ra:?} {rb:?}");
    let received = smtp.received();
    assert_eq!(received.len(), people.len());
    for email in &people {
        assert_eq!(reminders_to(&received, email), 1, "{email}");
    }
}

#[tokio::test]
async fn rows_of_a_sender_that_died_are_sent_once_after_the_lease() {
    let smtp = TestSmtp::start();
    let first = spawn_app_with_smtp(smtp.port()).await;
    let second = spawn_on_with_smtp(first._db.clone(), smtp.port()).await;
    first.clock.set(shanghai(9, 31));
    second.clock.set(shanghai(9, 31));
    let admin = first.create_org("Acme", "Asia/Shanghai").await;
    let other = person(&first, &admin.org_id, None).await;
    assert_eq!(first.queued().await, 2);
    // The first instance claims the pass and dies before sending.
    let now = db_time(shanghai(9, 31));
    let claimed = first
        .with_db(move |conn| {
            outbox::claim_due(conn, now, now + lease(), "dead-sender", 100)
                .expect("claim")
                .len()
        })
        .await;
    assert_eq!(claimed, 2);
    assert_eq!(second.deliver_all().await.claimed, 0);
    second.clock.advance(lease() + Duration::seconds(1));
    let report = second.deliver_all().await;
    assert_eq!(report.sent, 2, "{report:?}");
    second.clock.advance(lease() * 2);
    assert_eq!(second.deliver_all().await.claimed, 0);
    let received = smtp.received();
    assert_eq!(received.len(), 2);
    assert_eq!(reminders_to(&received, &other.email), 1);
}

#[tokio::test]
async fn the_remind_command_queues_and_delivers_one_pass() {
    let smtp = TestSmtp::start();
    let db = Arc::new(TestDb::new());
    let app = crate::helpers::spawn_on(db.clone(), monday_morning()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let staff = person(&app, &admin.org_id, None).await;
    let run = || {
        std::process::Command::new(binary())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", db.url_string())
            .env("HC_DATA_DIR", db.dir.path())
            .env("JWT_SECRET", JWT_SECRET)
            .env("SMTP_URL", format!("smtp://127.0.0.1:{}", smtp.port()))
            .env("RUST_LOG", "warn")
            .args(["remind", "--date", "2020-02-03"])
            .output()
            .expect("binary runs")
    };
    let out = run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("2 reminder(s) queued for 2020-02-03"),
        "{stdout}"
    );
    assert!(stdout.contains("2 sent"), "{stdout}");
    assert_eq!(reminders_to(&smtp.received(), &staff.email), 1);
    // A second run finds everyone reminded already.
    let out = run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("0 reminder(s) queued"), "{stdout}");
    assert_eq!(smtp.received().len(), 2);
}

#[tokio::test]
async fn an_admin_sends_a_failed_reminder_again_and_the_audit_log_finds_it() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    app.clock.set(shanghai(9, 31));
    let org = build_org(&app).await;
    smtp.reject("a@acme.test");
    app.plan().await;
    app.deliver_all().await;
    let list = app.get("/api/v1/reminders", &org.admin).await.body;
    let entry = |to: &str| {
        list["reminders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["to"] == to)
            .cloned()
            .unwrap_or_else(|| panic!("no reminder to {to}: {list}"))
    };
    let failed = entry("a@acme.test");
    assert_eq!(failed["status"], "failed", "{failed}");
    let sent = entry("b@acme.test");
    assert_eq!(sent["status"], "sent");
    let resend = |id: &Value| format!("/api/v1/reminders/{}/resend", id.as_str().unwrap());

    let r = app
        .post_as(&resend(&failed["id"]), &org.manager, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_as(&resend(&sent["id"]), &org.admin, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.code(), "not_failed");
    let r = app
        .post_as(&resend(&json!("no-such-id")), &org.admin, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    smtp.accept("a@acme.test");
    let r = app
        .post_as(&resend(&failed["id"]), &org.admin, &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "pending");
    assert_eq!(r.body["attempts"], 0);
    app.deliver_all().await;
    assert_eq!(reminders_to(&smtp.received(), "a@acme.test"), 1);
    let list = app.get("/api/v1/reminders", &org.admin).await.body;
    let again = list["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["to"] == "a@acme.test")
        .cloned()
        .unwrap();
    assert_eq!(again["status"], "sent", "{again}");

    // The audit log, by action and by actor.
    let admin_id = app.get("/api/v1/me", &org.admin).await.body["id"].clone();
    let manager_id = app.get("/api/v1/me", &org.manager).await.body["id"].clone();
    let log = app
        .get("/api/v1/audit?action=reminders.resend", &org.admin)
        .await
        .body;
    assert_eq!(log["total"], 1, "{log}");
    assert_eq!(log["entries"][0]["target"]["id"], org.a["id"]);
    assert_eq!(log["entries"][0]["actor"]["id"], admin_id);
    let by = |actor: &Value| {
        format!(
            "/api/v1/audit?action=reminders.resend&actor_id={}",
            actor.as_str().unwrap()
        )
    };
    assert_eq!(app.get(&by(&admin_id), &org.admin).await.body["total"], 1);
    assert_eq!(app.get(&by(&manager_id), &org.admin).await.body["total"], 0);
}
