//! The department tree's refusals: each wrong name, place or manager is named with a code and
//! its parameters, and a refused change leaves the tree as it was.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Response, TestApp};

async fn create(app: &TestApp, token: &str, body: Value) -> Response {
    app.post_as("/api/v1/departments", token, &body).await
}

async fn created(app: &TestApp, token: &str, name: &str, parent: Option<&str>) -> String {
    let r = create(app, token, json!({"name": name, "parent_id": parent})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

/// A 422 naming only `field`, with `code` and `params`; its sentence is `message`.
fn assert_problem(r: &Response, field: &str, code: &str, params: Value, message: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.problem(field), Some((code, &params)), "{}", r.body);
    assert_eq!(r.field(field), Some(message), "{}", r.body);
    assert_eq!(r.body["error"]["details"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn wrong_names_places_and_managers_carry_codes_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let sales = created(&app, &token, "Sales", None).await;
    let east = created(&app, &token, "East", Some(&sales)).await;

    let r = create(&app, &token, json!({"name": "A/B"})).await;
    assert_problem(
        &r,
        "name",
        "contains_slash",
        json!({}),
        "must not contain `/` (it separates levels in paths)",
    );
    let r = create(&app, &token, json!({"name": "x".repeat(101)})).await;
    assert_problem(
        &r,
        "name",
        "too_long",
        json!({"max": 100}),
        "must be at most 100 characters",
    );
    let r = create(&app, &token, json!({"name": "X", "parent_id": "nope"})).await;
    assert_problem(
        &r,
        "parent_id",
        "unknown_department",
        json!({}),
        "no such department",
    );

    // Moving a department under itself or below it.
    for parent in [&sales, &east] {
        let r = app
            .patch(
                &format!("/api/v1/departments/{sales}"),
                &token,
                &json!({"parent_id": parent}),
            )
            .await;
        assert_problem(
            &r,
            "parent_id",
            "cycle",
            json!({}),
            "a department cannot move under itself or one of its sub-departments",
        );
    }

    // Eight levels are allowed; a ninth is not, whether created or moved there.
    let mut deepest = east.clone();
    for level in 3..=8 {
        deepest = created(&app, &token, &format!("L{level}"), Some(&deepest)).await;
    }
    let too_deep = "the tree may be at most 8 levels deep";
    let r = create(&app, &token, json!({"name": "L9", "parent_id": deepest})).await;
    assert_problem(&r, "parent_id", "too_deep", json!({"max": 8}), too_deep);
    let ops = created(&app, &token, "Ops", None).await;
    let r = app
        .patch(
            &format!("/api/v1/departments/{ops}"),
            &token,
            &json!({"parent_id": deepest}),
        )
        .await;
    assert_problem(&r, "parent_id", "too_deep", json!({"max": 8}), too_deep);

    // Managers must be active people of this organization with a role that may manage.
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let manager = app.add_person(&admin.org_id, "manager", None).await;
    let other_org = app.create_org("Other", "Europe/Berlin").await;
    let r = create(
        &app,
        &token,
        json!({"name": "Lab", "manager_ids": [manager.id, staff.id]}),
    )
    .await;
    assert_problem(
        &r,
        "manager_ids",
        "not_a_manager",
        json!({"email": staff.email}),
        &format!(
            "{} has the staff role; make them a manager first",
            staff.email
        ),
    );
    for id in ["nobody", other_org.id.as_str()] {
        let r = create(&app, &token, json!({"name": "Lab", "manager_ids": [id]})).await;
        assert_problem(
            &r,
            "manager_ids",
            "not_an_active_person",
            json!({"id": id}),
            &format!("`{id}` is not an active person of this organization"),
        );
    }

    // A refused change of managers undoes the rename that came with it.
    let r = app
        .patch(
            &format!("/api/v1/departments/{east}"),
            &token,
            &json!({"name": "East Renamed", "manager_ids": [staff.id]}),
        )
        .await;
    assert_eq!(r.problem("manager_ids").map(|p| p.0), Some("not_a_manager"));

    // A sibling's name is a conflict, not a field's problem; an unknown department is 404.
    let r = create(&app, &token, json!({"name": "east", "parent_id": sales})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "department_exists");
    assert_eq!(
        r.body["error"]["message"],
        "`Sales` already has a department named east"
    );
    assert!(r.body["error"].get("details").is_none(), "{}", r.body);
    let r = app
        .patch("/api/v1/departments/nope", &token, &json!({"name": "Y"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let list = app.get("/api/v1/departments", &token).await;
    let paths: Vec<&str> = list.body["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "Ops",
            "Sales",
            "Sales/East",
            "Sales/East/L3",
            "Sales/East/L3/L4",
            "Sales/East/L3/L4/L5",
            "Sales/East/L3/L4/L5/L6",
            "Sales/East/L3/L4/L5/L6/L7",
            "Sales/East/L3/L4/L5/L6/L7/L8",
        ]
    );
    let east_now = app
        .get(&format!("/api/v1/departments/{east}"), &token)
        .await;
    assert_eq!(east_now.body["manager_ids"], json!([]));
}
