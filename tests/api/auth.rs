use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_app, PASSWORD};

#[tokio::test]
async fn login_returns_a_token_and_me_describes_the_caller() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let r = app.login(&admin.email.to_uppercase(), PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user"]["email"], admin.email);
    assert_eq!(r.body["user"]["role"], "admin");
    assert!(r.body["expires_at"]
        .as_str()
        .unwrap()
        .starts_with("2020-02-10"));
    let token = r.body["token"].as_str().unwrap();

    let me = app.get("/api/v1/me", token).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["id"], admin.id);
    assert_eq!(me.body["organization"]["id"], admin.org_id);
    assert_eq!(me.body["organization"]["name"], "Acme");
    assert_eq!(me.body["organization"]["timezone"], "Asia/Shanghai");
    assert!(me.body.get("department_id").is_some());
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let wrong = app.login(&admin.email, "not-the-password").await;
    let unknown = app.login("nobody@acme.test", PASSWORD).await;
    let malformed = app.login("not an email", PASSWORD).await;
    for r in [&wrong, &unknown, &malformed] {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.code(), "unauthorized");
    }
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body, malformed.body);
}

#[tokio::test]
async fn a_login_body_without_a_password_is_malformed() {
    let app = spawn_app().await;
    let r = app
        .post("/api/v1/auth/login", &json!({"email": "a@b.test"}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_body");
}

#[tokio::test]
async fn repeated_failures_are_rate_limited_and_a_success_clears_them() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    for _ in 0..9 {
        assert_eq!(
            app.login(&admin.email, "wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.login(&admin.email, PASSWORD).await.status,
        StatusCode::OK
    );
    for _ in 0..10 {
        app.login(&admin.email, "wrong-password").await;
    }
    let limited = app.login(&admin.email, PASSWORD).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.code(), "rate_limited");
    // The window passes with the clock, not with a sleep.
    app.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(
        app.login(&admin.email, PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_deactivated_person_cannot_log_in() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let id = staff.id.clone();
    app.with_db(move |conn| {
        use diesel::prelude::*;
        use health_checkin::db::schema::users;
        diesel::update(users::table.find(id))
            .set(users::active.eq(false))
            .execute(conn)
            .unwrap()
    })
    .await;
    let r = app.login(&staff.email, PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_weak_password_is_refused_with_a_code_and_the_link_stays_good() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let link = app
        .link_for(&staff.id, health_checkin::auth::Purpose::Invitation)
        .await;
    let email_name = staff.email.split('@').next().unwrap().to_string();
    for (password, code, params) in [
        ("short", "too_short", json!({"min": 8})),
        (&"long".repeat(65), "too_long", json!({"max": 256})),
        ("Password123", "common_password", json!({})),
        ("abababab", "too_few_distinct_characters", json!({"min": 4})),
        (
            &format!("{email_name}-2020"),
            "contains_email_name",
            json!({}),
        ),
    ] {
        let r = app
            .post(
                "/api/v1/auth/set-password",
                &json!({"token": link, "password": password}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        assert_eq!(r.problem("password"), Some((code, &params)), "{password}");
        assert!(r.field("password").is_some(), "{password}");
    }
    let r = app
        .post(
            "/api/v1/auth/set-password",
            &json!({"token": link, "password": "Spring-rain-42"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user"]["id"], staff.id);
}
