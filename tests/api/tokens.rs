//! Every way a bearer token can be wrong gets a 401 in the contract's shape.

use chrono::Duration;
use health_checkin::auth::{JwtKeys, Purpose};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_app, TestApp, JWT_SECRET};

async fn assert_rejected(app: &TestApp, token: &str, why: &str) {
    let r = app.get("/api/v1/me", token).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{why}: {:?}", r.body);
    assert_eq!(r.code(), "unauthorized", "{why}");
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn missing_or_malformed_authorization_is_401() {
    let app = spawn_app().await;
    let r = app.send(app.client.get(app.url("/api/v1/me"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "unauthorized");
    let r = app
        .send(
            app.client
                .get(app.url("/api/v1/me"))
                .header("Authorization", "Basic abc"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_rejected(&app, "not-a-jwt", "garbage").await;
}

#[tokio::test]
async fn tampered_expired_foreign_algorithm_and_none_tokens_are_refused() {
    let app = spawn_app().await;
    let (staff, token) = app.staff().await;
    assert_eq!(app.get("/api/v1/me", &token).await.status, StatusCode::OK);

    // A changed payload with the old signature.
    let parts: Vec<&str> = token.split('.').collect();
    let forged_claims = json!({
        "sub": staff.id, "org": staff.org_id, "purpose": "login", "ver": 0,
        "iat": app.clock_now().timestamp(), "exp": app.clock_now().timestamp() + 999_999,
        "iss": "health-checkin", "aud": "health-checkin"
    });
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(forged_claims.to_string().as_bytes()),
        parts[2]
    );
    assert_rejected(&app, &tampered, "tampered payload").await;

    // The same claims signed with HS512 and the real secret: the algorithm is pinned.
    let hs512 = encode(
        &Header::new(Algorithm::HS512),
        &forged_claims,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    assert_rejected(&app, &hs512, "HS512").await;

    // alg: none with no signature.
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(forged_claims.to_string().as_bytes())
    );
    assert_rejected(&app, &none, "alg none").await;

    // Signed with another secret.
    let other = JwtKeys::new(b"some-other-secret-some-other-secret!")
        .issue(
            &staff.id,
            &staff.org_id,
            0,
            Purpose::Login,
            app.clock_now(),
            Duration::hours(1),
        )
        .unwrap()
        .0;
    assert_rejected(&app, &other, "other secret").await;

    // A session older than its lifetime.
    app.clock.advance(Duration::hours(24 * 7 + 1));
    let expired = app.get("/api/v1/me", &token).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert!(expired.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
}

#[tokio::test]
async fn a_token_for_another_purpose_or_without_required_claims_is_refused() {
    let app = spawn_app().await;
    let (staff, _) = app.staff().await;
    let keys = &app.state.jwt;
    let invitation = keys
        .issue(
            &staff.id,
            &staff.org_id,
            0,
            Purpose::Invitation,
            app.clock_now(),
            Duration::days(7),
        )
        .unwrap()
        .0;
    assert_rejected(&app, &invitation, "invitation as login").await;

    let no_audience = encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": staff.id, "org": staff.org_id, "purpose": "login", "ver": 0,
                "iat": app.clock_now().timestamp(), "exp": app.clock_now().timestamp() + 3600,
                "iss": "health-checkin"}),
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    assert_rejected(&app, &no_audience, "no aud").await;
}

#[tokio::test]
async fn a_new_password_or_deactivation_revokes_earlier_tokens() {
    let app = spawn_app().await;
    let (staff, token) = app.staff().await;
    // A reset link sets a new password: the session from before it stops working.
    let reset = app.link_for(&staff.id, Purpose::Reset).await;
    let r = app
        .post(
            "/api/v1/auth/set-password",
            &json!({"token": reset, "password": "Autumn-leaves-77"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_rejected(&app, &token, "token from before the new password").await;
    let fresh = r.body["token"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/me", &fresh).await.status, StatusCode::OK);

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
    assert_rejected(&app, &fresh, "deactivated").await;
}
