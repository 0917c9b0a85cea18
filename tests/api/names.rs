//! Names and e-mail addresses that look like something else: blank names made of invisible
//! characters, names and paths with bidirectional controls, full-width addresses, addresses
//! at an IP; and what an admin learns of an address that has an account elsewhere.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Response, TestApp};

const INVISIBLE: [&str; 5] = [
    "\u{200B}",
    "\u{2060}\u{FEFF}",
    " \u{00AD} ",
    "\u{3164}",
    "\u{115F}\u{200B}\u{1160}",
];
const BIDI: [&str; 4] = [
    "Li\u{202E}gpj.exe",
    "\u{202A}Wang",
    "Zhang\u{2066}",
    "A\u{2069}B",
];

async fn admin_token(app: &TestApp) -> String {
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    app.token_for(&admin).await
}

fn assert_problem(r: &Response, field: &str, code: &str, what: &str) {
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {:?}",
        r.body
    );
    assert_eq!(r.problem(field).map(|p| p.0), Some(code), "{what}");
}

#[tokio::test]
async fn names_of_invisible_characters_or_with_bidi_controls_are_refused() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let cases = INVISIBLE
        .iter()
        .map(|n| (*n, "only_invisible_characters"))
        .chain(BIDI.iter().map(|n| (*n, "bidi_controls")));
    for (i, (name, code)) in cases.enumerate() {
        let person = app
            .post_as(
                "/api/v1/employees",
                &token,
                &json!({"email": format!("p{i}@acme.test"), "name": name}),
            )
            .await;
        assert_problem(&person, "name", code, &format!("person {name:?}"));
        let department = app
            .post_as("/api/v1/departments", &token, &json!({"name": name}))
            .await;
        assert_problem(&department, "name", code, &format!("department {name:?}"));
        let org = app
            .call(
                Method::PUT,
                "/api/v1/organization",
                &token,
                Some(&json!({"name": name})),
            )
            .await;
        assert_problem(&org, "name", code, &format!("organization {name:?}"));
    }
    // Joiners and soft hyphens inside a visible name are fine.
    let fine = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "ok@acme.test", "name": "Ana\u{00AD}lyst \u{200D}👍"}),
        )
        .await;
    assert_eq!(fine.status, StatusCode::CREATED, "{:?}", fine.body);
    let none = app.get("/api/v1/departments", &token).await;
    assert_eq!(none.body["departments"], json!([]));
}

/// The codes of a refused import's lines, by line.
fn line_codes(r: &Response) -> Vec<(u64, String, Value)> {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["code"].as_str().unwrap().to_string(),
                e["params"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_import_refuses_the_same_names_paths_and_addresses() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let csv = "email,name,department,manager_of\n\
               a@acme.test,\u{200B}\u{2060},,\n\
               b@acme.test,B\u{202E}x,,\n\
               c@acme.test,C,Sales/\u{FEFF},\n\
               d@acme.test,D,Sales/E\u{2067}ast,\n\
               e@acme.test,E,,\u{3164}\n\
               f@[10.0.0.1],F,,\n\
               g@10.0.0.1,G,,\n";
    let r = app.post_csv("/api/v1/employees/import", &token, csv).await;
    let codes = line_codes(&r);
    let expected = [
        (2, "only_invisible_characters", json!({})),
        (3, "bidi_controls", json!({})),
        (
            4,
            "only_invisible_characters",
            json!({"path": "Sales/\u{FEFF}"}),
        ),
        (5, "bidi_controls", json!({"path": "Sales/E\u{2067}ast"})),
        (6, "only_invisible_characters", json!({"path": "\u{3164}"})),
        (7, "ip_address_domain", json!({})),
        (8, "ip_address_domain", json!({})),
    ];
    assert_eq!(codes.len(), expected.len(), "{codes:?}");
    for ((line, code, params), (want_line, want_code, want_params)) in codes.iter().zip(expected) {
        assert_eq!(
            (*line, code.as_str(), params),
            (want_line, want_code, &want_params)
        );
    }
    let fields: Vec<&Value> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["field"])
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "name",
            "department",
            "department",
            "manager_of",
            "email",
            "email"
        ]
    );
    let people = app.get("/api/v1/employees", &token).await;
    assert_eq!(people.body["total"], 1, "nothing was imported");
}

#[tokio::test]
async fn addresses_are_read_in_their_plain_form_and_never_at_an_ip() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let wide = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "Ｌｉ．Ｌｅｉ＠ａｃｍｅ．ｔｅｓｔ", "name": "Li Lei"}),
        )
        .await;
    assert_eq!(wide.status, StatusCode::CREATED, "{:?}", wide.body);
    assert_eq!(wide.body["email"], "li.lei@acme.test");
    // The same address, typed narrow or wide, is one account.
    let again = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "li.lei@acme.test", "name": "Twice"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "email_taken");
    let import = app
        .post_csv(
            "/api/v1/employees/import?dry_run=true",
            &token,
            "email,name\nｌｉ．ｌｅｉ＠ａｃｍｅ．ｔｅｓｔ,Li Lei\n",
        )
        .await;
    assert_eq!(import.status, StatusCode::OK, "{:?}", import.body);
    assert_eq!(
        (&import.body["created"], &import.body["unchanged"]),
        (&json!(0), &json!(1)),
        "the wide address is the person already there"
    );

    for (i, address) in [
        "x@[1.2.3.4]",
        "x@[IPv6:::1]",
        "x@1.2.3.4",
        "x@１．２．３．４",
    ]
    .into_iter()
    .enumerate()
    {
        let r = app
            .post_as(
                "/api/v1/employees",
                &token,
                &json!({"email": address, "name": format!("Ip {i}")}),
            )
            .await;
        assert_problem(&r, "email", "ip_address_domain", address);
    }
    let person = wide.body["id"].as_str().unwrap();
    let moved = app
        .patch(
            &format!("/api/v1/employees/{person}"),
            &token,
            &json!({"email": "li.lei@[127.0.0.1]"}),
        )
        .await;
    assert_problem(&moved, "email", "ip_address_domain", "a change");
    let hidden = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "li\u{200B}.lei@acme.test", "name": "Zero width"}),
        )
        .await;
    assert_problem(&hidden, "email", "invalid_email", "a zero-width space");
}

#[tokio::test]
async fn an_address_of_another_organization_gets_the_same_answer_as_one_of_ours() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let other = app.create_org("Other", "UTC").await;
    let ours = app
        .post_as(
            "/api/v1/employees",
            &token,
            &json!({"email": "ours@acme.test", "name": "Ours"}),
        )
        .await;
    assert_eq!(ours.status, StatusCode::CREATED);
    let add = |email: String| {
        let token = token.clone();
        let app = &app;
        async move {
            app.post_as(
                "/api/v1/employees",
                &token,
                &json!({"email": email, "name": "Twice"}),
            )
            .await
        }
    };
    let here = add("ours@acme.test".into()).await;
    let elsewhere = add(other.email.clone()).await;
    for (r, email) in [
        (&here, "ours@acme.test"),
        (&elsewhere, other.email.as_str()),
    ] {
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert_eq!(r.code(), "email_taken");
        assert_eq!(
            r.body["error"]["message"],
            format!("{email} already has an account")
        );
        assert_eq!(
            r.problem("email"),
            Some(("taken", &json!({"value": email})))
        );
    }
    // The import says it in the same words, and never which organization.
    let import = app
        .post_csv(
            "/api/v1/employees/import",
            &token,
            format!("email,name\n{},Twice\n", other.email),
        )
        .await;
    let line = &import.body["errors"][0];
    assert_eq!(line["code"], "taken");
    assert_eq!(line["params"], json!({"value": other.email}));
    assert_eq!(
        line["message"],
        format!("{} already has an account", other.email)
    );
}
