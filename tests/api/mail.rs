//! The outbox and its delivery: real SMTP (an in-process server), retries driven by the test
//! clock, refusals, the file backend, and passes running at once.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::Duration;
use diesel::prelude::*;
use health_checkin::db::outbox::{self, OutboxRow};
use health_checkin::db::{db_time, new_id, DbConn};
use health_checkin::email::{enqueue, NewMail};
use health_checkin::jobs::delivery::{DeliveryReport, MAX_ATTEMPTS};

use crate::helpers::{
    monday_morning, settings_for, spawn_app, spawn_app_with_smtp, spawn_on_with_smtp,
    spawn_with_settings, TestApp, TestDb,
};
use crate::smtp::{ReceivedMail, TestSmtp};

const LINK: &str = "http://127.0.0.1:8080/#/set-password?token=abc.def.ghi";

fn invitation(org_id: &str, to: &str, locale: &str) -> NewMail {
    NewMail {
        org_id: org_id.into(),
        user_id: None,
        kind: "invitation",
        dedupe_key: format!("invitation:{to}"),
        to: to.into(),
        locale: locale.into(),
        vars: BTreeMap::from([
            ("name".to_string(), "Li Lei".to_string()),
            ("org_name".to_string(), "Acme".to_string()),
            ("link".to_string(), LINK.to_string()),
            ("days".to_string(), "7".to_string()),
        ]),
    }
}

impl TestApp {
    async fn enqueue(&self, mail: NewMail) -> bool {
        let now = db_time(self.clock_now());
        self.with_db(move |conn| enqueue(conn, &mail, now).expect("enqueue"))
            .await
    }

    async fn outbox_row(&self, dedupe_key: &str) -> OutboxRow {
        let key = dedupe_key.to_string();
        self.with_db(move |conn| outbox::find_by_dedupe_key(conn, &key).expect("query"))
            .await
            .unwrap_or_else(|| panic!("no outbox row {dedupe_key}"))
    }
}

fn report(claimed: usize, sent: usize, retrying: usize, failed: usize) -> DeliveryReport {
    DeliveryReport {
        claimed,
        sent,
        retrying,
        failed,
        skipped: 0,
        released: 0,
    }
}

#[tokio::test]
async fn an_invitation_is_delivered_over_smtp() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    assert!(
        app.enqueue(invitation(&admin.org_id, "li.lei@example.test", "en"))
            .await
    );
    assert!(
        app.enqueue(invitation(
            &admin.org_id,
            "han.meimei@example.test",
            "zh-CN"
        ))
        .await
    );

    assert_eq!(app.deliver().await, report(2, 2, 0, 0));

    let received = smtp.received();
    assert_eq!(received.len(), 2);
    let en = received
        .iter()
        .find(|m| m.to == ["li.lei@example.test"])
        .expect("the English mail");
    let row = app.outbox_row("invitation:li.lei@example.test").await;
    assert_eq!(en.from, "no-reply@test.local");
    assert_eq!(
        en.header("Subject").as_deref(),
        Some("Acme invited you to Health Check-in")
    );
    assert_eq!(
        en.header("Message-ID"),
        Some(format!("<{}@test.local>", row.id))
    );
    let text = en.part("text/plain").expect("a text part");
    assert!(text.starts_with("Hello Li Lei,"), "{text}");
    assert!(text.contains(LINK), "{text}");
    let html = en.part("text/html").expect("an HTML part");
    assert!(html.contains(&format!("href=\"{LINK}\"")), "{html}");

    // Chinese travels encoded and arrives intact.
    let zh = received
        .iter()
        .find(|m| m.to == ["han.meimei@example.test"])
        .expect("the Chinese mail");
    assert!(zh.part("text/plain").unwrap().starts_with("Li Lei，您好："));
    assert!(zh.part("text/html").unwrap().contains(LINK));

    assert_eq!(row.status, "sent");
    assert_eq!(row.sent_at, Some(db_time(app.clock_now())));
    assert_eq!(row.attempts, 1);
    assert_eq!(row.last_error, None);
    // Nothing is left to do.
    assert_eq!(app.deliver().await, report(0, 0, 0, 0));
    assert_eq!(smtp.received().len(), 2);
}

#[tokio::test]
async fn mail_waits_in_the_outbox_while_the_server_is_down() {
    let mut smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    // One mail first, so the app holds a pooled connection when the server goes away.
    app.enqueue(invitation(&admin.org_id, "first@example.test", "en"))
        .await;
    assert_eq!(app.deliver().await, report(1, 1, 0, 0));

    smtp.stop();
    app.enqueue(invitation(&admin.org_id, "second@example.test", "en"))
        .await;
    assert_eq!(app.deliver().await, report(1, 0, 1, 0));
    let row = app.outbox_row("invitation:second@example.test").await;
    assert_eq!(row.status, "pending");
    assert_eq!(row.attempts, 1);
    let error = row.last_error.clone().expect("the error is kept");
    assert!(error.contains("Connection refused"), "{error}");
    let now = db_time(app.clock_now());
    assert!(row.next_attempt_at >= now + Duration::minutes(1));
    assert!(row.next_attempt_at <= now + Duration::seconds(66));

    // Back up, but the retry is not due yet.
    smtp.restart();
    assert_eq!(app.deliver().await, report(0, 0, 0, 0));
    assert_eq!(smtp.received().len(), 1);

    app.clock.advance(Duration::minutes(2));
    assert_eq!(app.deliver().await, report(1, 1, 0, 0));
    app.clock.advance(Duration::hours(1));
    assert_eq!(app.deliver().await, report(0, 0, 0, 0));

    let to_second: Vec<_> = smtp
        .received()
        .into_iter()
        .filter(|m| m.to == ["second@example.test"])
        .collect();
    assert_eq!(to_second.len(), 1, "delivered exactly once");
    let row = app.outbox_row("invitation:second@example.test").await;
    assert_eq!(row.status, "sent");
    assert_eq!(row.attempts, 2);
    assert_eq!(
        to_second[0].header("Message-ID"),
        Some(format!("<{}@test.local>", row.id))
    );
}

#[tokio::test]
async fn the_background_loop_delivers_on_its_own() {
    let smtp = TestSmtp::start();
    let db = Arc::new(TestDb::new());
    let mut settings = settings_for(&db);
    settings.smtp_url = Some(health_checkin::config::Secret::new(format!(
        "smtp://127.0.0.1:{}",
        smtp.port()
    )));
    settings.delivery_interval_secs = 1;
    let app = spawn_with_settings(db, monday_morning(), settings).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    app.enqueue(invitation(&admin.org_id, "li.lei@example.test", "en"))
        .await;
    // The loop's next pass is at most a second away.
    let mut status = String::new();
    for _ in 0..100 {
        status = app
            .outbox_row("invitation:li.lei@example.test")
            .await
            .status;
        if status == "sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "sent");
    assert_eq!(smtp.received().len(), 1);
}

#[tokio::test]
async fn a_refused_address_fails_and_the_others_are_sent() {
    let smtp = TestSmtp::start();
    smtp.reject("nobody@example.test");
    let app = spawn_app_with_smtp(smtp.port()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    app.enqueue(invitation(&admin.org_id, "nobody@example.test", "en"))
        .await;
    app.enqueue(invitation(&admin.org_id, "somebody@example.test", "en"))
        .await;

    assert_eq!(app.deliver().await, report(2, 1, 0, 1));

    let refused = app.outbox_row("invitation:nobody@example.test").await;
    assert_eq!(refused.status, "failed");
    let error = refused.last_error.expect("the reply is kept");
    assert!(error.contains("550"), "{error}");
    assert!(
        error.contains("<nobody@example.test>: mailbox unavailable"),
        "{error}"
    );
    assert_eq!(refused.sent_at, None);
    let sent = app.outbox_row("invitation:somebody@example.test").await;
    assert_eq!(sent.status, "sent");
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["somebody@example.test"]);

    // A refusal is final.
    app.clock.advance(Duration::days(1));
    assert_eq!(app.deliver().await, report(0, 0, 0, 0));
}

#[tokio::test]
async fn a_mail_is_given_up_after_the_last_attempt() {
    let mut smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    smtp.stop();
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    app.enqueue(invitation(&admin.org_id, "li.lei@example.test", "en"))
        .await;
    for attempt in 1..MAX_ATTEMPTS {
        assert_eq!(app.deliver().await, report(1, 0, 1, 0), "attempt {attempt}");
        app.clock.advance(Duration::hours(7));
    }
    assert_eq!(app.deliver().await, report(1, 0, 0, 1));
    let row = app.outbox_row("invitation:li.lei@example.test").await;
    assert_eq!(row.status, "failed");
    assert_eq!(row.attempts, MAX_ATTEMPTS);
    let error = row.last_error.unwrap();
    assert!(error.starts_with("gave up after 10 attempts: "), "{error}");
    app.clock.advance(Duration::days(1));
    assert_eq!(app.deliver().await, report(0, 0, 0, 0));
}

#[tokio::test]
async fn the_same_dedupe_key_is_queued_once() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let org_id = admin.org_id.clone();
    let now = db_time(app.clock_now());
    let (first, second, after) = app
        .with_db(move |conn: &mut DbConn| {
            conn.write_transaction(|c| {
                let first = enqueue(c, &invitation(&org_id, "li@example.test", "en"), now)?;
                let mut again = invitation(&org_id, "li@example.test", "zh-CN");
                again.to = "someone-else@example.test".into();
                let second = enqueue(c, &again, now)?;
                // The transaction is still good after the duplicate.
                let after = enqueue(c, &invitation(&org_id, "wang@example.test", "en"), now)?;
                Ok::<_, diesel::result::Error>((first, second, after))
            })
        })
        .await
        .expect("one transaction");
    assert_eq!((first, second, after), (true, false, true));
    assert_eq!(app.count_rows("SELECT COUNT(*) AS n FROM outbox").await, 2);
    let row = app.outbox_row("invitation:li@example.test").await;
    assert_eq!(row.to_email, "li@example.test");
    assert_eq!(row.locale, "en");
    assert_eq!(row.status, "pending");
    assert_eq!(row.attempts, 0);
    // Outside a transaction as well.
    assert!(
        !app.enqueue(invitation(&admin.org_id, "li@example.test", "en"))
            .await
    );
}

#[tokio::test]
async fn the_file_backend_writes_eml_files_with_a_stable_message_id() {
    let app = spawn_app().await;
    assert_eq!(app.state.mailer.backend_name(), "file");
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    app.enqueue(invitation(&admin.org_id, "li.lei@example.test", "en"))
        .await;
    assert_eq!(app.deliver().await, report(1, 1, 0, 0));

    let row = app.outbox_row("invitation:li.lei@example.test").await;
    let folder = app._db.dir.path().join("outbox");
    let file = folder.join(format!("{}.eml", row.id));
    let eml = std::fs::read_to_string(&file).expect("the .eml file");
    assert!(
        eml.contains(&format!("Message-ID: <{}@test.local>\r\n", row.id)),
        "{eml}"
    );
    assert!(eml.contains("To: li.lei@example.test\r\n"), "{eml}");
    assert!(
        eml.contains("Subject: Acme invited you to Health Check-in\r\n"),
        "{eml}"
    );
    let parsed = ReceivedMail {
        from: String::new(),
        to: Vec::new(),
        data: eml.clone(),
    };
    assert!(parsed.part("text/plain").unwrap().contains(LINK), "{eml}");
    assert!(parsed.part("text/html").unwrap().contains(LINK), "{eml}");

    // Sent again (as after a crash before the outcome was stored): the same file, same id.
    let id = row.id.clone();
    app.with_db(move |conn| {
        diesel::update(health_checkin::db::schema::outbox::table.find(id))
            .set(health_checkin::db::schema::outbox::status.eq("pending"))
            .execute(conn)
            .expect("reset")
    })
    .await;
    assert_eq!(app.deliver().await, report(1, 1, 0, 0));
    let files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(files, [format!("{}.eml", row.id)]);
    let again = std::fs::read_to_string(&file).unwrap();
    assert!(again.contains(&format!("Message-ID: <{}@test.local>\r\n", row.id)));
}

#[tokio::test]
async fn a_claim_whose_sender_died_is_taken_over_after_its_lease() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    app.enqueue(invitation(&admin.org_id, "li.lei@example.test", "en"))
        .await;
    // Another instance claims the row and is never heard of again.
    let now = db_time(app.clock_now());
    let claimed = app
        .with_db(move |conn| {
            outbox::claim_due(conn, now, now + Duration::minutes(15), &new_id(), 10).expect("claim")
        })
        .await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].status, "sending");

    assert_eq!(app.deliver().await, report(0, 0, 0, 0));
    app.clock.advance(Duration::minutes(16));
    assert_eq!(app.deliver().await, report(1, 1, 0, 0));
    assert_eq!(smtp.received().len(), 1);
    let row = app.outbox_row("invitation:li.lei@example.test").await;
    assert_eq!((row.status.as_str(), row.attempts), ("sent", 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_running_at_once_never_send_a_row_twice() {
    let smtp = TestSmtp::start();
    let db = Arc::new(TestDb::new());
    let first = spawn_on_with_smtp(db.clone(), smtp.port()).await;
    let second = spawn_on_with_smtp(db.clone(), smtp.port()).await;
    let admin = first.create_org("Acme", "Asia/Shanghai").await;
    // More than one batch, so passes really compete for rows.
    const MAILS: usize = 120;
    for i in 0..MAILS {
        first
            .enqueue(invitation(
                &admin.org_id,
                &format!("person{i}@example.test"),
                "en",
            ))
            .await;
    }

    // Two instances, two loops each, all at once, then one more pass for anything a loop
    // left when it lost every row of a claim to another.
    let (a, b, c, d) = tokio::join!(drain(&first), drain(&second), drain(&first), drain(&second));
    let last = first.deliver().await;
    let claimed = a.0 + b.0 + c.0 + d.0 + last.claimed;
    let sent = a.1 + b.1 + c.1 + d.1 + last.sent;
    assert_eq!((claimed, sent), (MAILS, MAILS));

    let received = smtp.received();
    assert_eq!(received.len(), MAILS, "a row was sent twice or not at all");
    let ids: HashSet<_> = received
        .iter()
        .map(|m| m.header("Message-ID").expect("Message-ID"))
        .collect();
    assert_eq!(ids.len(), MAILS, "a row was sent twice");
    let recipients: HashSet<_> = received.iter().map(|m| m.to.clone()).collect();
    assert_eq!(recipients.len(), MAILS);
    assert_eq!(
        first
            .count_rows("SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent'")
            .await,
        MAILS as i64
    );
}

/// Passes until one finds nothing; (claimed, sent) over all of them.
async fn drain(app: &TestApp) -> (usize, usize) {
    let (mut claimed, mut sent) = (0, 0);
    loop {
        let r = app.deliver().await;
        if r.claimed == 0 {
            return (claimed, sent);
        }
        claimed += r.claimed;
        sent += r.sent;
    }
}
