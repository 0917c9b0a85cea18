//! Password checks run on threads of their own with a short queue: when every place is
//! taken, a login or a new password is refused at once with 503 `busy` and `Retry-After`,
//! while everything else (check-ins) goes on.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{healthy_answers, spawn_app, TestApp, PASSWORD};

/// Takes every place in the password queue until dropped.
fn fill_password_queue(app: &TestApp) -> Vec<health_checkin::auth::hashing::Place> {
    std::iter::from_fn(|| app.state.passwords.reserve().ok()).collect()
}

#[tokio::test]
async fn logins_are_refused_while_the_password_queue_is_full_and_check_ins_go_on() {
    let app = spawn_app().await;
    let (staff, token) = app.staff().await;

    let held = fill_password_queue(&app);
    assert!(!held.is_empty());
    for (email, password) in [(staff.email.as_str(), PASSWORD), ("nobody@acme.test", "x")] {
        let r = app.login(email, password).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", r.body);
        assert_eq!(r.code(), "busy");
    }
    let raw = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": staff.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry_after: u64 = raw.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // Database work does not wait for password work.
    let r = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert!(r.status.is_success(), "{:?}", r.body);

    drop(held);
    assert_eq!(
        app.login(&staff.email, PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_refused_login_does_not_count_as_a_failed_one() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let held = fill_password_queue(&app);
    for _ in 0..12 {
        assert_eq!(
            app.login(&admin.email, "wrong-password").await.status,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
    drop(held);
    assert_eq!(
        app.login(&admin.email, PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_new_password_is_refused_while_the_queue_is_full_and_the_link_stays_good() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let link = app
        .link_for(&staff.id, health_checkin::auth::Purpose::Invitation)
        .await;
    let body = json!({"token": link, "password": "Autumn-leaves-77"});
    let held = fill_password_queue(&app);
    let r = app.post("/api/v1/auth/set-password", &body).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", r.body);
    assert_eq!(r.code(), "busy");
    drop(held);
    let r = app.post("/api/v1/auth/set-password", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}
