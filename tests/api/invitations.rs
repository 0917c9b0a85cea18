//! New people are invited by e-mail and set their password through the link; anyone can ask
//! for a reset link.

use chrono::Duration;
use health_checkin::config::DatabaseUrl;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::spawn_app_with_smtp;
use crate::smtp::{ReceivedMail, TestSmtp};

fn token_in(mail: &ReceivedMail) -> String {
    let text = mail.part("text/plain").expect("a text part");
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/#/set-password?token="))
        .unwrap_or_else(|| panic!("no link in {text}"));
    link.split("token=").nth(1).unwrap().trim().to_string()
}

#[tokio::test]
async fn a_new_person_follows_the_invitation_link_and_logs_in() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let r = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "li.lei@acme.test", "name": "李雷", "locale": "zh-CN"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let quiet = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "quiet@acme.test", "name": "Q", "invite": false}),
        )
        .await;
    assert_eq!(quiet.status, StatusCode::CREATED);
    app.deliver().await;

    let mails = smtp.received();
    assert_eq!(mails.len(), 1, "one invitation; none for invite=false");
    assert_eq!(mails[0].to, vec!["li.lei@acme.test".to_string()]);
    assert!(mails[0].part("text/plain").unwrap().contains("李雷"));
    assert!(mails[0].part("text/html").is_some());
    let link_token = token_in(&mails[0]);

    let set = app
        .post(
            "/api/v1/auth/set-password",
            &json!({"token": link_token, "password": "Plum-blossom-88"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    assert_eq!(
        app.login("li.lei@acme.test", "Plum-blossom-88")
            .await
            .status,
        StatusCode::OK
    );
    let reused = app
        .post(
            "/api/v1/auth/set-password",
            &json!({"token": link_token, "password": "Another-pass-99"}),
        )
        .await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reused.code(), "link_used");

    // A resend carries a fresh link; the old one stays spent.
    let resend = app
        .post_as(
            &format!(
                "/api/v1/employees/{}/invite",
                quiet.body["id"].as_str().unwrap()
            ),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(resend.status, StatusCode::ACCEPTED);
    app.deliver().await;
    let mails = smtp.received();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].to, vec!["quiet@acme.test".to_string()]);
}

#[tokio::test]
async fn an_expired_invitation_link_is_refused() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    app.post_as(
        "/api/v1/employees",
        &token,
        &json!({"email": "late@acme.test", "name": "Late"}),
    )
    .await;
    app.deliver().await;
    let link_token = token_in(&smtp.received()[0]);
    app.clock.advance(Duration::days(8));
    let r = app
        .post(
            "/api/v1/auth/set-password",
            &json!({"token": link_token, "password": "Plum-blossom-88"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "link_expired");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
    let forged = app
        .post(
            "/api/v1/auth/set-password",
            &json!({"token": "not-a-link", "password": "Plum-blossom-88"}),
        )
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert_eq!(forged.code(), "link_invalid");
}

#[tokio::test]
async fn imported_people_are_invited_and_stay_queued_while_smtp_is_down() {
    let mut smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    smtp.stop();
    let csv = "email,name,department\na@acme.test,A,Sales\nb@acme.test,B,Sales\n";
    let r = app.post_csv("/api/v1/employees/import", &token, csv).await;
    assert_eq!(r.body["created"], 2);
    app.deliver().await;
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
            .await,
        2
    );
    smtp.restart();
    app.clock.advance(Duration::hours(1));
    app.deliver().await;
    let mut to: Vec<String> = smtp.received().into_iter().flat_map(|m| m.to).collect();
    to.sort();
    assert_eq!(to, vec!["a@acme.test", "b@acme.test"]);

    let none = app
        .post_csv(
            "/api/v1/employees/import?invite=false",
            &token,
            "email,name\nc@acme.test,C\n",
        )
        .await;
    assert_eq!(none.body["created"], 1);
    assert_eq!(app.count_rows("SELECT COUNT(*) AS n FROM outbox").await, 2);
}

#[tokio::test]
async fn forgot_password_answers_the_same_and_sends_a_working_link() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let known = app
        .post(
            "/api/v1/auth/forgot-password",
            &json!({"email": admin.email}),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/auth/forgot-password",
            &json!({"email": "nobody@acme.test"}),
        )
        .await;
    let garbage = app
        .post("/api/v1/auth/forgot-password", &json!({"email": "???"}))
        .await;
    for r in [&known, &unknown, &garbage] {
        assert_eq!(r.status, StatusCode::ACCEPTED);
    }
    assert_eq!(known.body, unknown.body);
    // The answer leaves before the lookup; the link is queued right after.
    app.detached_work_done().await;
    app.deliver().await;
    let mails = smtp.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec![admin.email.clone()]);
    let reset = token_in(&mails[0]);
    let r = app
        .post(
            "/api/v1/auth/set-password",
            &json!({"token": reset, "password": "Lotus-pond-64"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        app.login(&admin.email, "Lotus-pond-64").await.status,
        StatusCode::OK
    );

    for _ in 0..2 {
        app.post(
            "/api/v1/auth/forgot-password",
            &json!({"email": admin.email}),
        )
        .await;
    }
    let limited = app
        .post(
            "/api/v1/auth/forgot-password",
            &json!({"email": admin.email}),
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate_limited");
}

#[tokio::test]
async fn forgot_password_answers_before_the_reset_work_even_when_that_fails() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    // No mail can be queued for now.
    let (refuse, allow) = match app.state.settings.database_url {
        DatabaseUrl::Sqlite(_) => (
            "CREATE TRIGGER refuse_mail BEFORE INSERT ON outbox \
             BEGIN SELECT RAISE(ABORT, 'no mail now'); END;",
            "DROP TRIGGER refuse_mail;",
        ),
        DatabaseUrl::Postgres(_) => (
            "CREATE FUNCTION refuse_mail() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'no mail now'; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER refuse_mail BEFORE INSERT ON outbox \
             FOR EACH ROW EXECUTE FUNCTION refuse_mail();",
            "DROP TRIGGER refuse_mail ON outbox; DROP FUNCTION refuse_mail();",
        ),
    };
    app.with_db(move |conn| conn.batch(refuse).expect("trigger created"))
        .await;
    let known = app
        .post(
            "/api/v1/auth/forgot-password",
            &json!({"email": admin.email}),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/auth/forgot-password",
            &json!({"email": "nobody@acme.test"}),
        )
        .await;
    // A failure after the lookup would tell that the address has an account; it cannot.
    assert_eq!(known.status, StatusCode::ACCEPTED, "{:?}", known.body);
    assert_eq!(known.body, unknown.body);
    app.detached_work_done().await;
    assert_eq!(app.count_rows("SELECT COUNT(*) AS n FROM outbox").await, 0);

    app.with_db(move |conn| conn.batch(allow).expect("trigger dropped"))
        .await;
    let again = app
        .post(
            "/api/v1/auth/forgot-password",
            &json!({"email": admin.email}),
        )
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED);
    app.detached_work_done().await;
    app.deliver().await;
    let mails = smtp.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, vec![admin.email.clone()]);
}

/// The token of the latest mail to `to`.
fn latest_token_to(smtp: &TestSmtp, to: &str) -> String {
    let mails = smtp.received();
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.to == [to.to_string()])
        .unwrap_or_else(|| panic!("no mail to {to}"));
    token_in(mail)
}

#[tokio::test]
async fn a_link_sent_to_an_address_the_person_no_longer_has_is_refused() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    // A typo: the invitation goes to someone else's mailbox.
    let typo = "li.lei@acme.tset";
    let person = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": typo, "name": "Li Lei"}),
        )
        .await;
    assert_eq!(person.status, StatusCode::CREATED);
    let id = person.body["id"].as_str().unwrap().to_string();
    app.deliver().await;
    let to_typo = latest_token_to(&smtp, typo);

    let fixed = app
        .patch(
            &format!("/api/v1/employees/{id}"),
            &token,
            &json!({"email": "li.lei@acme.test"}),
        )
        .await;
    assert_eq!(fixed.status, StatusCode::OK, "{:?}", fixed.body);
    let set = |link: String| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/auth/set-password",
                &json!({"token": link, "password": "Plum-blossom-88"}),
            )
            .await
        }
    };
    let refused = set(to_typo).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.code(), "link_invalid");

    // A new invitation goes to the address as it is now, and works.
    let resend = app
        .post_as(
            &format!("/api/v1/employees/{id}/invite"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(resend.status, StatusCode::ACCEPTED);
    app.deliver().await;
    let ok = set(latest_token_to(&smtp, "li.lei@acme.test")).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);

    // The same for a reset link: asked for, then the address changes before it is used.
    app.clock.advance(Duration::minutes(1));
    app.post(
        "/api/v1/auth/forgot-password",
        &json!({"email": "li.lei@acme.test"}),
    )
    .await;
    app.detached_work_done().await;
    app.deliver().await;
    let reset = latest_token_to(&smtp, "li.lei@acme.test");
    app.patch(
        &format!("/api/v1/employees/{id}"),
        &token,
        &json!({"email": "lei.li@acme.test"}),
    )
    .await;
    let refused = set(reset).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.code(), "link_invalid");
    assert_eq!(
        app.login("lei.li@acme.test", "Plum-blossom-88")
            .await
            .status,
        StatusCode::OK,
        "the password set through the good link stays"
    );
}

#[tokio::test]
async fn only_the_latest_link_of_each_kind_works() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let email = "new@acme.test";
    let person = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": email, "name": "New"}),
        )
        .await;
    let id = person.body["id"].as_str().unwrap().to_string();
    app.deliver().await;
    let first = latest_token_to(&smtp, email);
    app.clock.advance(Duration::minutes(1));
    app.post_as(
        &format!("/api/v1/employees/{id}/invite"),
        &token,
        &json!({}),
    )
    .await;
    app.deliver().await;
    let second = latest_token_to(&smtp, email);
    assert_ne!(first, second);

    // Two reset links: the second ends the first, and neither ends the invitation.
    for _ in 0..2 {
        app.clock.advance(Duration::minutes(1));
        app.post("/api/v1/auth/forgot-password", &json!({"email": email}))
            .await;
        app.detached_work_done().await;
        app.deliver().await;
    }
    let mails: Vec<String> = smtp.received().iter().map(token_in).collect();
    assert_eq!(mails.len(), 4, "two invitations, then two reset mails");
    let resets = &mails[2..];

    let set = |link: &str, password: &str| {
        let body = json!({"token": link, "password": password});
        let app = &app;
        async move { app.post("/api/v1/auth/set-password", &body).await }
    };
    for old in [&first, &resets[0]] {
        let r = set(old, "Plum-blossom-88").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.code(), "link_superseded");
    }
    let r = set(&second, "Plum-blossom-88").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // Setting a password spends every link from before it, as before.
    let r = set(&resets[1], "Lotus-pond-64").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "link_used");
}
