//! Bulk import from CSV: all or nothing, every bad line named.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{binary, spawn_app, TestApp};

const HEADER: &str = "email,name,employee_no,department,role,manager_of\n";

async fn admin(app: &TestApp) -> (String, String) {
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    (admin.org_id, token)
}

async fn people_count(app: &TestApp) -> i64 {
    app.count_rows("SELECT COUNT(*) AS n FROM users").await
}

#[tokio::test]
async fn an_import_creates_departments_people_and_managers_then_updates() {
    let app = spawn_app().await;
    let (_, token) = admin(&app).await;
    let csv = format!(
        "\u{feff}{HEADER}\
         wang@acme.test,王芳,E001,Sales/East,manager,Sales/East;Sales/West\n\
         li@acme.test,李雷,E002,Sales/East,,\n\
         ZHAO@acme.test,\"Zhao, Lei\",E003,Operations,hr,\n"
    );
    let r = app
        .post_csv("/api/v1/employees/import", &token, csv.clone())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["created"], 3);
    assert_eq!(r.body["updated"], 0);
    assert_eq!(
        r.body["departments_created"], 4,
        "Sales, Sales/East, Sales/West, Operations"
    );
    assert_eq!(r.body["errors"], json!([]));

    let list = app.get("/api/v1/employees?q=zhao", &token).await;
    let zhao = &list.body["employees"][0];
    assert_eq!(zhao["email"], "zhao@acme.test");
    assert_eq!(zhao["name"], "Zhao, Lei");
    assert_eq!(zhao["role"], "hr");
    assert_eq!(zhao["department_path"], "Operations");
    let wang = &app.get("/api/v1/employees?q=E001", &token).await.body["employees"][0];
    assert_eq!(wang["manages"].as_array().unwrap().len(), 2);
    let li = &app.get("/api/v1/employees?q=li@", &token).await.body["employees"][0];
    assert_eq!(li["role"], "staff");

    let again = app.post_csv("/api/v1/employees/import", &token, csv).await;
    assert_eq!(
        (
            again.body["created"].clone(),
            again.body["updated"].clone(),
            again.body["unchanged"].clone()
        ),
        (json!(0), json!(0), json!(3))
    );
    assert_eq!(again.body["departments_created"], 0);

    let changed = format!("{HEADER}li@acme.test,李雷 (Li Lei),E002,Sales/West,,\n");
    let r = app
        .post_csv("/api/v1/employees/import", &token, changed)
        .await;
    assert_eq!(r.body["updated"], 1);
    let li = &app.get("/api/v1/employees?q=li@", &token).await.body["employees"][0];
    assert_eq!(li["name"], "李雷 (Li Lei)");
    assert_eq!(li["department_path"], "Sales/West");
}

#[tokio::test]
async fn a_dry_run_reports_and_writes_nothing() {
    let app = spawn_app().await;
    let (_, token) = admin(&app).await;
    let before = people_count(&app).await;
    let csv = format!("{HEADER}a@acme.test,A,,Sales,,\nb@acme.test,B,,Sales/East,,\n");
    let r = app
        .post_csv("/api/v1/employees/import?dry_run=true", &token, csv)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["dry_run"], true);
    assert_eq!(r.body["created"], 2);
    assert_eq!(r.body["departments_created"], 2);
    assert_eq!(people_count(&app).await, before);
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM departments")
            .await,
        0
    );
}

#[tokio::test]
async fn any_bad_line_means_nothing_is_written_and_each_is_named() {
    let app = spawn_app().await;
    let (_, token) = admin(&app).await;
    let other = app.create_org("Other", "UTC").await;
    let before = people_count(&app).await;
    let csv = format!(
        "{HEADER}\
         good@acme.test,Good,E1,Sales,,\n\
         bad-email,Bad,,,,\n\
         good@acme.test,Twice,,,,\n\
         x@acme.test,X,,Sales//East,,\n\
         y@acme.test,Y,,,emperor,\n\
         z@acme.test,Z,,,staff,Sales\n\
         {},Elsewhere,,,,\n\
         w@acme.test,W,E1,,,\n\
         short@acme.test,Short\n",
        other.email
    );
    let r = app.post_csv("/api/v1/employees/import", &token, csv).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.code(), "invalid_import");
    assert_eq!(r.body["created"], 0);
    let errors = r.body["errors"].as_array().unwrap();
    let lines: Vec<u64> = errors.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 9, 10], "{errors:?}");
    let message = |line: u64| {
        errors.iter().find(|e| e["line"] == line).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(message(3).contains("email"));
    assert!(message(4).contains("line 2"));
    assert!(message(5).contains("empty part"));
    assert!(message(6).contains("emperor"));
    assert!(message(9).contains("E1"));
    assert!(message(10).contains("fields"));
    assert_eq!(people_count(&app).await, before);
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM departments")
            .await,
        0
    );

    // Lines that only the database can refuse are named too.
    let csv = format!(
        "{HEADER}z@acme.test,Z,,,staff,Sales\n{},Elsewhere,,,,\n",
        other.email
    );
    let r = app.post_csv("/api/v1/employees/import", &token, csv).await;
    let lines: Vec<u64> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![2, 3], "{:?}", r.body);
    assert_eq!(people_count(&app).await, before);
}

#[tokio::test]
async fn encodings_sizes_and_content_types() {
    let app = spawn_app().await;
    let (_, token) = admin(&app).await;
    let (gbk, _, _) = encoding_rs::GBK.encode("email,name\nli@acme.test,李雷\n");
    let r = app
        .post_csv("/api/v1/employees/import", &token, gbk.into_owned())
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field("file").unwrap().contains("GBK"));

    let r = app
        .post_csv("/api/v1/employees/import", &token, "email,shoe\n")
        .await;
    assert_eq!(r.body["errors"][0]["line"], 1);

    let huge = format!("{HEADER}{}", "a@acme.test,A,,,,\n".repeat(2_000_000));
    let r = app.post_csv("/api/v1/employees/import", &token, huge).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), "payload_too_large");

    let r = app
        .send(
            app.client
                .post(app.url("/api/v1/employees/import"))
                .bearer_auth(&token)
                .json(&json!({"email": "a@b.c"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn the_command_line_import_is_the_same_import() {
    let app = spawn_app().await;
    let (org_id, _) = admin(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("people.csv");
    std::fs::write(
        &good,
        format!("{HEADER}a@acme.test,A,,Sales,,\nb@acme.test,B,,Sales,,\n"),
    )
    .unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, format!("{HEADER}c@acme.test,C,,,,\nnope,D,,,,\n")).unwrap();
    let db = app.state.settings.database_url.clone();
    let url = match db {
        health_checkin::config::DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        health_checkin::config::DatabaseUrl::Postgres(u) => u,
    };
    let run = |file: &std::path::Path, extra: &[&str]| {
        std::process::Command::new(binary())
            .env("DATABASE_URL", &url)
            .env("HC_DATA_DIR", dir.path())
            .env("JWT_SECRET", crate::helpers::JWT_SECRET)
            .args(["import-employees", "--org", &org_id])
            .args(extra)
            .arg(file)
            .output()
            .unwrap()
    };
    let out = run(&bad, &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 3"));
    let out = run(&good, &["--dry-run"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 created"));
    assert_eq!(people_count(&app).await, 1);
    let out = run(&good, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(people_count(&app).await, 3);
}

/// Each bad line carries codes and parameters beside its English message, in a dry run too.
#[tokio::test]
async fn bad_lines_carry_codes_and_parameters() {
    let app = spawn_app().await;
    let (_, token) = admin(&app).await;
    let other = app.create_org("Other", "UTC").await;
    let csv = format!(
        "{HEADER}\
         bad-email,Bad,,,,\n\
         y@acme.test,,,,emperor,\n\
         w@acme.test,W,,A//B,,\n"
    );
    for path in [
        "/api/v1/employees/import",
        "/api/v1/employees/import?dry_run=true",
    ] {
        let r = app.post_csv(path, &token, csv.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        let errors = r.body["errors"].as_array().unwrap();
        let email = &errors[0];
        assert_eq!(email["line"], 2);
        assert_eq!(
            email["message"],
            "email must be an e-mail address like name@example.com"
        );
        assert_eq!(email["code"], "invalid_email", "{path}");
        assert_eq!(email["field"], "email");
        assert_eq!(email["params"], json!({}));

        let several = &errors[1];
        assert_eq!(several["code"], "several_problems");
        assert_eq!(several["params"], json!({"count": 2}));
        assert!(several.get("field").is_none(), "two columns: {several}");
        let problems = several["problems"].as_array().unwrap();
        assert_eq!(
            (&problems[0]["field"], &problems[0]["code"]),
            (&json!("name"), &json!("required"))
        );
        assert_eq!(problems[1]["field"], "role");
        assert_eq!(problems[1]["code"], "not_a_choice");
        assert_eq!(problems[1]["params"]["value"], "emperor");
        assert_eq!(
            several["message"],
            format!(
                "{}; {}",
                problems[0]["message"].as_str().unwrap(),
                problems[1]["message"].as_str().unwrap()
            )
        );

        let path_problem = &errors[2];
        assert_eq!(path_problem["field"], "department");
        assert_eq!(path_problem["code"], "empty_part");
        assert_eq!(path_problem["params"], json!({"path": "A//B"}));
    }

    // Lines only the database refuses.
    app.post_csv(
        "/api/v1/employees/import",
        &token,
        format!("{HEADER}held@acme.test,Held,E7,,,\n"),
    )
    .await;
    let csv = format!(
        "{HEADER}z@acme.test,Z,,,staff,Sales\n{},Elsewhere,,,,\nn@acme.test,N,E7,,,\n",
        other.email
    );
    let r = app.post_csv("/api/v1/employees/import", &token, csv).await;
    let errors = r.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(
        (
            &errors[0]["code"],
            &errors[0]["field"],
            &errors[0]["params"]
        ),
        (
            &json!("role_cannot_manage"),
            &json!("manager_of"),
            &json!({"role": "staff"})
        )
    );
    assert_eq!(
        (
            &errors[1]["code"],
            &errors[1]["field"],
            &errors[1]["params"]
        ),
        (
            &json!("taken"),
            &json!("email"),
            &json!({"value": other.email})
        )
    );
    assert_eq!(
        (
            &errors[2]["code"],
            &errors[2]["field"],
            &errors[2]["params"]
        ),
        (
            &json!("taken"),
            &json!("employee_no"),
            &json!({"value": "E7", "holder": "held@acme.test"})
        )
    );

    let header = app
        .post_csv("/api/v1/employees/import", &token, "email,name,shoe_size\n")
        .await;
    let line = &header.body["errors"][0];
    assert_eq!(line["code"], "unknown_column");
    assert_eq!(line["params"]["column"], "shoe_size");
    assert_eq!(
        line["params"]["columns"],
        json!([
            "email",
            "name",
            "employee_no",
            "department",
            "role",
            "manager_of"
        ])
    );

    let (gbk, _, _) = encoding_rs::GBK.encode("email,name\nli@acme.test,李雷\n");
    let r = app
        .post_csv("/api/v1/employees/import", &token, gbk.into_owned())
        .await;
    assert_eq!(
        r.problem("file"),
        Some(("not_utf8", &json!({"encoding": "GBK"})))
    );
}
