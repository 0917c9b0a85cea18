//! Which roles may call which routes: 2xx, 403 or 404, for every route.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::login_as;
use crate::helpers::{healthy_answers, spawn_app};

#[tokio::test]
async fn the_role_matrix() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let make = |path: &'static str, body: Value| {
        let app = &app;
        let token = admin_token.clone();
        async move {
            let r = app.post_as(path, &token, &body).await;
            assert!(r.status.is_success(), "{path}: {:?}", r.body);
            r.body
        }
    };
    let sales = make("/api/v1/departments", json!({"name": "Sales"})).await;
    let ops = make("/api/v1/departments", json!({"name": "Ops"})).await;
    let sales_id = sales["id"].as_str().unwrap().to_string();
    let ops_id = ops["id"].as_str().unwrap().to_string();
    let manager = make(
        "/api/v1/employees",
        json!({"email": "m@acme.test", "name": "M", "role": "manager", "manager_of": [sales_id]}),
    )
    .await;
    let hr = make(
        "/api/v1/employees",
        json!({"email": "h@acme.test", "name": "H", "role": "hr"}),
    )
    .await;
    let staff = make(
        "/api/v1/employees",
        json!({"email": "s@acme.test", "name": "S", "department_id": sales_id}),
    )
    .await;
    let outsider = make(
        "/api/v1/employees",
        json!({"email": "o@acme.test", "name": "O", "department_id": ops_id}),
    )
    .await;
    let staff_id = staff["id"].as_str().unwrap().to_string();
    let outsider_id = outsider["id"].as_str().unwrap().to_string();

    let tokens = [
        ("staff", login_as(&app, &staff).await),
        ("manager", login_as(&app, &manager).await),
        ("hr", login_as(&app, &hr).await),
        ("admin", admin_token.clone()),
    ];
    // (method, path, body, expected status for staff, manager, hr, admin)
    let cases: Vec<(Method, String, Option<Value>, [u16; 4])> = vec![
        (Method::GET, "/api/v1/me".into(), None, [200, 200, 200, 200]),
        (
            Method::GET,
            "/api/v1/checkins/today".into(),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::PUT,
            "/api/v1/checkins/today".into(),
            Some(json!({"answers": healthy_answers()})),
            [201, 201, 201, 201],
        ),
        (
            Method::GET,
            "/api/v1/checkins".into(),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::GET,
            "/api/v1/organization".into(),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::PUT,
            "/api/v1/organization".into(),
            Some(json!({"late_days": 3})),
            [403, 403, 403, 200],
        ),
        (
            Method::GET,
            "/api/v1/departments".into(),
            None,
            [403, 200, 200, 200],
        ),
        (
            Method::GET,
            format!("/api/v1/departments/{sales_id}"),
            None,
            [403, 200, 200, 200],
        ),
        (
            Method::GET,
            format!("/api/v1/departments/{ops_id}"),
            None,
            [403, 404, 200, 200],
        ),
        (
            Method::POST,
            "/api/v1/departments".into(),
            Some(json!({"name": "New"})),
            [403, 403, 403, 201],
        ),
        (
            Method::PATCH,
            format!("/api/v1/departments/{ops_id}"),
            Some(json!({"name": "Ops2"})),
            [403, 403, 403, 200],
        ),
        (
            Method::GET,
            "/api/v1/employees".into(),
            None,
            [403, 200, 200, 200],
        ),
        (
            Method::GET,
            format!("/api/v1/employees?department_id={ops_id}"),
            None,
            [403, 403, 200, 200],
        ),
        (
            Method::GET,
            format!("/api/v1/employees/{staff_id}"),
            None,
            [200, 200, 200, 200],
        ),
        (
            Method::GET,
            format!("/api/v1/employees/{outsider_id}"),
            None,
            [404, 404, 200, 200],
        ),
        (
            Method::POST,
            "/api/v1/employees".into(),
            Some(json!({"email": "n@acme.test", "name": "N"})),
            [403, 403, 403, 201],
        ),
        (
            Method::PATCH,
            format!("/api/v1/employees/{outsider_id}"),
            Some(json!({"name": "O2"})),
            [403, 403, 403, 200],
        ),
        (
            Method::GET,
            format!("/api/v1/employees/{outsider_id}/leave"),
            None,
            [404, 404, 200, 200],
        ),
        (
            Method::POST,
            format!("/api/v1/employees/{outsider_id}/leave"),
            Some(json!({"from": "2020-02-10", "to": "2020-02-11", "kind": "sick"})),
            [403, 403, 201, 201],
        ),
        (
            Method::POST,
            format!("/api/v1/employees/{outsider_id}/sign-out-everywhere"),
            None,
            [403, 403, 403, 204],
        ),
        (
            Method::DELETE,
            format!("/api/v1/employees/{outsider_id}"),
            None,
            [403, 403, 403, 200],
        ),
    ];
    for (method, path, body, expected) in &cases {
        for ((role, token), want) in tokens.iter().zip(expected) {
            let r = app.call(method.clone(), path, token, body.as_ref()).await;
            assert_eq!(
                r.status,
                StatusCode::from_u16(*want).unwrap(),
                "{role} {method} {path}: {:?}",
                r.body
            );
            if !r.status.is_success() {
                assert!(
                    r.body["error"]["code"].is_string(),
                    "{role} {method} {path}"
                );
            }
        }
    }
    let import = app
        .post_csv("/api/v1/employees/import", &tokens[2].1, "email,name\n")
        .await;
    assert_eq!(import.status, StatusCode::FORBIDDEN);

    // Another organization's objects answer 404, even to its admin.
    let other = app.create_org("Other", "UTC").await;
    let other_token = app.token_for(&other).await;
    for path in [
        format!("/api/v1/employees/{staff_id}"),
        format!("/api/v1/departments/{sales_id}"),
        format!("/api/v1/employees/{staff_id}/leave"),
    ] {
        let r = app.get(&path, &other_token).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = app
        .patch(
            &format!("/api/v1/employees/{staff_id}"),
            &other_token,
            &json!({"name": "Mine"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .delete(&format!("/api/v1/departments/{ops_id}"), &other_token)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/employees/{staff_id}/sign-out-everywhere"),
            &other_token,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/me", &tokens[0].1).await.status,
        StatusCode::OK
    );
}
