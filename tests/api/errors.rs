//! The framework's own errors come in the contract's shape too.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

fn assert_contract_shape(body: &serde_json::Value) {
    let error = &body["error"];
    assert!(error["code"].is_string(), "{body}");
    assert!(error["message"].is_string(), "{body}");
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_bad_bodies_answer_in_json() {
    let app = spawn_app().await;
    let (_, token) = app.staff().await;

    let r = app
        .send(app.client.get(app.url("/api/v1/nothing-here")))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_contract_shape(&r.body);

    let r = app
        .send(
            app.client
                .delete(app.url("/api/v1/checkins/today"))
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_contract_shape(&r.body);

    let r = app
        .send(
            app.client
                .put(app.url("/api/v1/checkins/today"))
                .bearer_auth(&token)
                .header("Content-Type", "text/plain")
                .body("temperature=36.5"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_contract_shape(&r.body);

    let r = app
        .send(
            app.client
                .put(app.url("/api/v1/checkins/today"))
                .bearer_auth(&token)
                .header("Content-Type", "application/json")
                .body("{\"answers\": {"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "malformed_json");

    let huge = format!("{{\"answers\": {{\"note\": \"{}\"}}}}", "x".repeat(100_000));
    let r = app
        .send(
            app.client
                .put(app.url("/api/v1/checkins/today"))
                .bearer_auth(&token)
                .header("Content-Type", "application/json")
                .body(huge),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_contract_shape(&r.body);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let r = app.send(app.client.get(app.url("/healthz"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.send(app.client.get(app.url("/readyz"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ready");
}

#[tokio::test]
async fn the_openapi_document_covers_every_route() {
    let app = spawn_app().await;
    let r = app
        .send(app.client.get(app.url("/api/v1/openapi.json")))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["openapi"].as_str().unwrap().starts_with("3."));
    let paths = r.body["paths"].as_object().unwrap();
    for (path, method) in [
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/set-password", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/checkins", "get"),
        ("/api/v1/checkins/{date}", "get"),
        ("/api/v1/checkins/{date}", "put"),
        ("/api/v1/checkins/{date}/revisions", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    assert!(r.body["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn api_answers_are_never_cached_sniffed_or_run_on_their_own() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let paths = [
        "/api/v1/me",
        "/api/v1/employees",
        "/api/v1/reports/daily?date=not-a-date",
        "/api/v1/reports/trend.svg",
        "/api/v1/no-such-thing",
    ];
    for path in paths {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request is answered");
        assert_ne!(
            response.status().as_u16() == 404,
            path != "/api/v1/no-such-thing",
            "{path} answers"
        );
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(header("cache-control"), "no-store", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert!(
            header("content-security-policy").contains("default-src 'none'"),
            "{path}: {:?}",
            header("content-security-policy")
        );
    }
}

#[tokio::test]
async fn every_answer_carries_a_request_id_and_a_500_names_it_in_its_body() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let id_of = |r: &reqwest::Response| {
        r.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };

    // Answers of every kind carry one, each its own.
    let mut seen = Vec::new();
    for path in ["/healthz", "/api/v1/me", "/api/v1/no-such-thing", "/"] {
        let r = app
            .client
            .get(format!("{}{path}", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .expect("answered");
        let id = id_of(&r).unwrap_or_else(|| panic!("{path} has no X-Request-Id"));
        assert!(!seen.contains(&id), "{path} repeats {id}");
        seen.push(id);
    }
    // An id sent by a proxy is kept; one a log should not hold is replaced.
    for (sent, kept) in [("lb-7f3a:42", true), ("two words", false)] {
        let r = app
            .client
            .get(format!("{}/healthz", app.address))
            .header("x-request-id", sent)
            .send()
            .await
            .expect("answered");
        assert_eq!(id_of(&r).as_deref() == Some(sent), kept, "{sent}");
    }

    // A 500 names the request in its body, as in its header, and nothing else of the cause.
    app.damage_settings(&admin.org_id).await;
    let r = app
        .client
        .get(format!("{}/api/v1/organization", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let id = id_of(&r).expect("X-Request-Id");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "internal", "{body}");
    assert_eq!(body["error"]["request_id"], id.as_str(), "{body}");
    assert!(!body.to_string().contains("25:00"), "{body}");
    // Other errors have none.
    let missing = app.get("/api/v1/no-such-thing", &token).await;
    assert!(missing.body["error"].get("request_id").is_none());
}
