//! Sessions end on the server: logging out ends the token it is called with and no other;
//! signing out everywhere ends every token of a person, by themselves or by an admin.

use chrono::Duration;
use health_checkin::jobs::expiry::forget_expired;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{spawn_app, TestApp, JWT_SECRET};

async fn post_with(app: &TestApp, path: &str, token: &str) -> StatusCode {
    app.call(Method::POST, path, token, None).await.status
}

async fn me(app: &TestApp, token: &str) -> StatusCode {
    app.get("/api/v1/me", token).await.status
}

#[tokio::test]
async fn logging_out_ends_this_token_and_no_other() {
    let app = spawn_app().await;
    let (staff, phone) = app.staff().await;
    let laptop = app.token_for(&staff).await;
    assert_ne!(phone, laptop);

    assert_eq!(
        post_with(&app, "/api/v1/auth/logout", &phone).await,
        StatusCode::NO_CONTENT
    );
    let r = app.get("/api/v1/me", &phone).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "unauthorized");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("signed out"));
    assert_eq!(me(&app, &laptop).await, StatusCode::OK);
    // A token that was logged out cannot log out again, or do anything else.
    assert_eq!(
        post_with(&app, "/api/v1/auth/logout", &phone).await,
        StatusCode::UNAUTHORIZED
    );

    // Kept until the token would have expired anyway (and a little longer), then forgotten.
    let revoked = "SELECT COUNT(*) AS n FROM revoked_tokens";
    assert_eq!(app.count_rows(revoked).await, 1);
    app.clock.advance(Duration::hours(24 * 7));
    forget_expired(app.state.clone()).await.unwrap();
    assert_eq!(app.count_rows(revoked).await, 1);
    app.clock.advance(Duration::hours(1) + Duration::seconds(1));
    forget_expired(app.state.clone()).await.unwrap();
    assert_eq!(app.count_rows(revoked).await, 0);
    assert_eq!(me(&app, &phone).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_the_caller() {
    let app = spawn_app().await;
    let (staff, phone) = app.staff().await;
    let laptop = app.token_for(&staff).await;
    let admin = app.create_org("Other", "UTC").await;
    let bystander = app.token_for(&admin).await;

    assert_eq!(
        post_with(&app, "/api/v1/me/sign-out-everywhere", &laptop).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(me(&app, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &bystander).await, StatusCode::OK);
    // Logging in again starts a new session.
    let fresh = app.token_for(&staff).await;
    assert_eq!(me(&app, &fresh).await, StatusCode::OK);
}

#[tokio::test]
async fn an_admin_signs_a_person_out_everywhere() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let phone = app.token_for(&staff).await;
    let laptop = app.token_for(&staff).await;

    let path = format!("/api/v1/employees/{}/sign-out-everywhere", staff.id);
    // Nobody but an admin may, not even for someone else's own good.
    assert_eq!(post_with(&app, &path, &phone).await, StatusCode::FORBIDDEN);
    assert_eq!(me(&app, &phone).await, StatusCode::OK);

    assert_eq!(
        post_with(&app, &path, &admin_token).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(me(&app, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &admin_token).await, StatusCode::OK);
    assert_eq!(
        app.login(&staff.email, &staff.password).await.status,
        StatusCode::OK
    );
    // The admin's act is in the audit log, on the person, with the admin as its actor.
    let log = app
        .get(
            &format!("/api/v1/audit?kind=change&target_id={}", staff.id),
            &admin_token,
        )
        .await;
    assert_eq!(log.status, StatusCode::OK);
    let ended: Vec<_> = log.body["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "employees.sign_out_everywhere")
        .collect();
    assert_eq!(ended.len(), 1, "{}", log.body);
    assert_eq!(ended[0]["actor"]["id"], admin.id.as_str());
    assert_eq!(ended[0]["target"]["id"], staff.id.as_str());

    // Nobody of that id in the admin's organization: 404, and nothing changes elsewhere.
    let other = app.create_org("Other", "UTC").await;
    let other_token = app.token_for(&other).await;
    let outside = app.add_person(&other.org_id, "staff", None).await;
    let outside_token = app.token_for(&outside).await;
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/employees/{}/sign-out-everywhere", outside.id),
            &admin_token,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "not_found");
    assert_eq!(me(&app, &outside_token).await, StatusCode::OK);
    assert_eq!(
        post_with(
            &app,
            "/api/v1/employees/no-such-person/sign-out-everywhere",
            &other_token
        )
        .await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_session_token_without_an_id_cannot_be_ended_alone_and_is_refused() {
    let app = spawn_app().await;
    let (staff, _) = app.staff().await;
    let now = app.clock_now().timestamp();
    // Signed with the real secret and complete but for `jti`, as tokens were before ids.
    let old = encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": staff.id, "org": staff.org_id, "purpose": "login", "ver": 0,
                "iat": now, "exp": now + 3600, "iss": "health-checkin", "aud": "health-checkin"}),
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    let r = app.get("/api/v1/me", &old).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "unauthorized");
}

#[tokio::test]
async fn tokens_checked_at_the_same_moment_each_get_their_own_answer() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    // Each person with their token and what /me must answer for it.
    let mut callers = Vec::new();
    for n in 0..24 {
        let person = app.add_person(&admin.org_id, "staff", None).await;
        let token = app.token_for(&person).await;
        let expected = match n % 4 {
            0 => {
                assert_eq!(
                    post_with(&app, "/api/v1/auth/logout", &token).await,
                    StatusCode::NO_CONTENT
                );
                StatusCode::UNAUTHORIZED
            }
            1 => {
                let path = format!("/api/v1/employees/{}", person.id);
                let r = app.delete(&path, &admin_token).await;
                assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
                StatusCode::UNAUTHORIZED
            }
            _ => StatusCode::OK,
        };
        callers.push((person, token, expected));
    }
    // Every token three times at once, so that lookups share batches, the same token's too.
    let app = &app;
    let requests = callers.iter().cycle().take(callers.len() * 3).map(
        |(person, token, expected)| async move {
            (person, *expected, app.get("/api/v1/me", token).await)
        },
    );
    let answers = futures_util::future::join_all(requests).await;
    for (person, expected, r) in answers {
        assert_eq!(r.status, expected, "{}: {:?}", person.email, r.body);
        if expected == StatusCode::OK {
            assert_eq!(r.body["id"], person.id.as_str());
            assert_eq!(r.body["email"], person.email.as_str());
        }
    }
}
