//! Exports of a hand-built organization over three days (Monday, a holiday, Wednesday),
//! read back cell by cell, as CSV and as XLSX; scope and parameters.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::login_as;
use crate::helpers::{
    healthy_answers, monday_morning, settings_for, spawn_app, spawn_with_settings, Person, TestApp,
    TestDb,
};

/// The organization of these tests, with a token for each person.
pub struct Acme {
    pub admin: Person,
    pub admin_token: String,
    pub hr: String,
    /// Manages Sales (East and West below it).
    pub manager: String,
    pub a: String,
    pub sales: String,
    pub east: String,
    pub west: String,
    pub ops: String,
    pub lab: String,
}

pub const LAB: &str = "R&D <Lab>";

/// Shanghai. Monday 2020-02-03: A, B (fever), D and 张伟 report, C does not (C fills it in
/// late on Wednesday). Tuesday is a holiday. Wednesday: A has moved from East to West, D has
/// left, C is on leave; A and B report. Admin, Hr and Mgr have no department and never report.
/// The clock ends on Wednesday 10:00.
pub async fn acme(app: &TestApp) -> Acme {
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let call = |method: Method, path: String, body: Value| {
        let token = token.clone();
        async move {
            let r = app.call(method, &path, &token, Some(&body)).await;
            assert!(r.status.is_success(), "{path}: {:?}", r.body);
            r.body
        }
    };
    let post = |path: &str, body: Value| call(Method::POST, path.to_string(), body);
    let id = |v: Value| v["id"].as_str().unwrap().to_string();
    let sales = id(post("/api/v1/departments", json!({"name": "Sales"})).await);
    let east = id(post(
        "/api/v1/departments",
        json!({"name": "East", "parent_id": sales}),
    )
    .await);
    let west = id(post(
        "/api/v1/departments",
        json!({"name": "West", "parent_id": sales}),
    )
    .await);
    let ops = id(post("/api/v1/departments", json!({"name": "Ops"})).await);
    let lab = id(post("/api/v1/departments", json!({"name": LAB})).await);
    call(
        Method::PATCH,
        format!("/api/v1/employees/{}", admin.id),
        json!({"name": "Admin"}),
    )
    .await;
    let mgr = post(
        "/api/v1/employees",
        json!({"email": "mgr@acme.test", "name": "Mgr", "role": "manager", "manager_of": [sales]}),
    )
    .await;
    let hr = post(
        "/api/v1/employees",
        json!({"email": "hr@acme.test", "name": "Hr", "role": "hr"}),
    )
    .await;
    let person = |email: &str, name: &str, no: &str, department: &str| {
        post(
            "/api/v1/employees",
            json!({"email": email, "name": name, "employee_no": no, "department_id": department}),
        )
    };
    let a = person("a@acme.test", "A", "E001", &east).await;
    let b = person("b@acme.test", "B", "E002", &east).await;
    let c = person("c@acme.test", "C", "E003", &west).await;
    let d = person("d@acme.test", "D", "E004", &ops).await;
    let zw = person("zw@acme.test", "张伟", "E005", &lab).await;
    let (ta, tb, tc, td, tz) = (
        login_as(app, &a).await,
        login_as(app, &b).await,
        login_as(app, &c).await,
        login_as(app, &d).await,
        login_as(app, &zw).await,
    );
    let submit = |t: &str, day: &str, answers: Value| {
        let path = format!("/api/v1/checkins/{day}");
        let t = t.to_string();
        async move {
            let r = app.put(&path, &t, &json!({"answers": answers})).await;
            assert!(r.status.is_success(), "{path}: {:?}", r.body);
        }
    };
    let with = |changes: Value| {
        let mut answers = healthy_answers();
        for (k, v) in changes.as_object().unwrap() {
            answers[k] = v.clone();
        }
        answers
    };

    // Monday 09:00.
    submit(&ta, "today", healthy_answers()).await;
    submit(
        &tb,
        "today",
        with(json!({"temperature": 38.0, "symptoms": ["cough", "fever"]})),
    )
    .await;
    submit(
        &td,
        "today",
        with(json!({"location": "=1+1", "note": "late, \"train\"\nsorry"})),
    )
    .await;
    submit(&tz, "today", with(json!({"location": "上海"}))).await;

    // Tuesday is a holiday; A reports anyway.
    call(
        Method::PUT,
        "/api/v1/organization".into(),
        json!({"holidays": ["2020-02-04"]}),
    )
    .await;
    app.clock.advance(Duration::hours(25));
    submit(&ta, "today", healthy_answers()).await;

    // Wednesday 09:00: A moves, D leaves, C is on leave.
    app.clock.advance(Duration::hours(23));
    call(
        Method::PATCH,
        format!("/api/v1/employees/{}", id(a.clone())),
        json!({"department_id": west}),
    )
    .await;
    call(
        Method::DELETE,
        format!("/api/v1/employees/{}", id(d.clone())),
        Value::Null,
    )
    .await;
    call(
        Method::POST,
        format!("/api/v1/employees/{}/leave", id(c.clone())),
        json!({"from": "2020-02-05", "to": "2020-02-07", "kind": "sick"}),
    )
    .await;
    app.clock.advance(Duration::hours(1));
    submit(&ta, "today", healthy_answers()).await;
    submit(&tb, "today", healthy_answers()).await;
    submit(&tc, "2020-02-03", healthy_answers()).await;

    Acme {
        admin_token: token.clone(),
        hr: login_as(app, &hr).await,
        manager: login_as(app, &mgr).await,
        a: ta,
        admin,
        sales,
        east,
        west,
        ops,
        lab,
    }
}

pub const COLUMNS: [&str; 19] = [
    "employee_no",
    "name",
    "email",
    "department",
    "date",
    "status",
    "submitted_at",
    "temperature",
    "symptoms",
    "location",
    "work_status",
    "close_contact",
    "travel_to_risk_area",
    "health_code",
    "note",
    "abnormal",
    "abnormal_reasons",
    "expected",
    "submitted_by",
];

const MONDAY_9: &str = "2020-02-03T01:00:00Z";
const TUESDAY_10: &str = "2020-02-04T02:00:00Z";
const WEDNESDAY_10: &str = "2020-02-05T02:00:00Z";

/// A row of someone who reported on a day they were not expected to.
fn not_expected(mut row: Vec<String>) -> Vec<String> {
    let expected = row.len() - 2;
    row[expected] = "false".into();
    row
}

fn unreported(no: &str, name: &str, email: &str, department: &str, date: &str) -> Vec<String> {
    let mut row: Vec<String> = [no, name, email, department, date, "unreported"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    row.resize(COLUMNS.len() - 2, String::new());
    row.push("true".into());
    row.push(String::new());
    row
}

/// A reported row: `answers` are temperature … note; healthy ones are the helpers' answers.
#[allow(clippy::too_many_arguments)]
fn reported(
    no: &str,
    name: &str,
    email: &str,
    department: &str,
    date: &str,
    at: &str,
    answers: [&str; 8],
    reasons: &str,
) -> Vec<String> {
    let abnormal = if reasons.is_empty() { "false" } else { "true" };
    [no, name, email, department, date, "reported", at]
        .into_iter()
        .chain(answers)
        .chain([abnormal, reasons, "true", ""])
        .map(str::to_string)
        .collect()
}

const HEALTHY: [&str; 8] = [
    "36.5", "", "Shanghai", "remote", "false", "false", "green", "",
];

/// Every row of the organization-wide export, as the CSV has them (`location` of D is
/// `'=1+1` there: a formula is defused in CSV only).
fn everything(acme: &Acme, d_location: &str) -> Vec<Vec<String>> {
    let admin = acme.admin.email.as_str();
    let mon = "2020-02-03";
    let wed = "2020-02-05";
    let mut d_answers = HEALTHY;
    d_answers[2] = d_location;
    d_answers[7] = "late, \"train\"\nsorry";
    let mut zw_answers = HEALTHY;
    zw_answers[2] = "上海";
    let fever = [
        "38.0",
        "fever;cough",
        "Shanghai",
        "remote",
        "false",
        "false",
        "green",
        "",
    ];
    vec![
        unreported("", "Admin", admin, "", mon),
        unreported("", "Hr", "hr@acme.test", "", mon),
        unreported("", "Mgr", "mgr@acme.test", "", mon),
        reported(
            "E004",
            "D",
            "d@acme.test",
            "Ops",
            mon,
            MONDAY_9,
            d_answers,
            "",
        ),
        reported(
            "E005",
            "张伟",
            "zw@acme.test",
            LAB,
            mon,
            MONDAY_9,
            zw_answers,
            "",
        ),
        reported(
            "E001",
            "A",
            "a@acme.test",
            "Sales/East",
            mon,
            MONDAY_9,
            HEALTHY,
            "",
        ),
        reported(
            "E002",
            "B",
            "b@acme.test",
            "Sales/East",
            mon,
            MONDAY_9,
            fever,
            "temperature;symptoms",
        ),
        reported(
            "E003",
            "C",
            "c@acme.test",
            "Sales/West",
            mon,
            WEDNESDAY_10,
            HEALTHY,
            "",
        ),
        // The holiday: nobody is expected, and A's check-in is there all the same.
        not_expected(reported(
            "E001",
            "A",
            "a@acme.test",
            "Sales/East",
            "2020-02-04",
            TUESDAY_10,
            HEALTHY,
            "",
        )),
        unreported("", "Admin", admin, "", wed),
        unreported("", "Hr", "hr@acme.test", "", wed),
        unreported("", "Mgr", "mgr@acme.test", "", wed),
        unreported("E005", "张伟", "zw@acme.test", LAB, wed),
        reported(
            "E002",
            "B",
            "b@acme.test",
            "Sales/East",
            wed,
            WEDNESDAY_10,
            HEALTHY,
            "",
        ),
        reported(
            "E001",
            "A",
            "a@acme.test",
            "Sales/West",
            wed,
            WEDNESDAY_10,
            HEALTHY,
            "",
        ),
    ]
}

pub struct Download {
    pub status: StatusCode,
    pub content_type: String,
    pub disposition: String,
    pub bytes: Vec<u8>,
}

pub async fn download(app: &TestApp, path: &str, token: &str) -> Download {
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request sent");
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    Download {
        status: r.status(),
        content_type: header("content-type"),
        disposition: header("content-disposition"),
        bytes: r.bytes().await.expect("body read").to_vec(),
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The CSV's header and rows, after checking the byte-order mark.
pub fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(bytes.starts_with(BOM), "starts with a BOM");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(&bytes[BOM.len()..]);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// The first worksheet's header and rows, every cell as text (numbers with one decimal);
/// a row is as wide as the header.
pub fn read_xlsx(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an XLSX");
    assert_eq!(book.sheet_names(), ["checkins"]);
    let range = book.worksheet_range("checkins").expect("the sheet");
    assert_eq!(range.start(), Some((0, 0)));
    let width = range.width();
    let mut rows = range.rows().map(|row| {
        let mut cells: Vec<String> = row
            .iter()
            .map(|cell| match cell {
                Data::Empty => String::new(),
                Data::String(s) => s.clone(),
                Data::Float(f) => format!("{f:.1}"),
                other => panic!("unexpected cell {other:?}"),
            })
            .collect();
        cells.resize(width, String::new());
        cells
    });
    let header = rows.next().expect("a header");
    (header, rows.collect())
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = COLUMNS.iter().position(|c| *c == name).unwrap();
    rows.iter().map(|r| r[i].clone()).collect()
}

#[tokio::test]
async fn the_csv_has_a_row_per_expected_person_and_day_and_for_every_other_checkin() {
    let app = spawn_app().await;
    let acme = acme(&app).await;
    let csv = download(
        &app,
        "/api/v1/exports/checkins.csv?from=2020-02-03&to=2020-02-05",
        &acme.hr,
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    assert_eq!(
        csv.disposition,
        r#"attachment; filename="checkins-2020-02-03-2020-02-05.csv""#
    );
    let (header, rows) = read_csv(&csv.bytes);
    assert_eq!(header, COLUMNS);
    let expected = everything(&acme, "'=1+1");
    assert_eq!(rows.len(), expected.len());
    for (i, (row, want)) in rows.iter().zip(&expected).enumerate() {
        for (c, name) in COLUMNS.iter().enumerate() {
            assert_eq!(row[c], want[c], "row {} column {name}", i + 1);
        }
    }

    // As many expected rows per day as the trend expects people.
    let trend = app
        .get(
            "/api/v1/reports/trend?from=2020-02-03&to=2020-02-05",
            &acme.hr,
        )
        .await;
    let dates = column(&rows, "date");
    let expected = column(&rows, "expected");
    for day in trend.body["days"].as_array().unwrap() {
        let date = day["date"].as_str().unwrap();
        let n = dates
            .iter()
            .zip(&expected)
            .filter(|(d, e)| *d == date && *e == "true")
            .count() as i64;
        assert_eq!(n, day["expected"].as_i64().unwrap(), "{date}");
        let reported = rows
            .iter()
            .filter(|r| r[4] == date && r[5] == "reported" && r[17] == "true")
            .count() as i64;
        assert_eq!(reported, day["reported"].as_i64().unwrap(), "{date}");
    }
}

#[tokio::test]
async fn the_xlsx_has_the_same_rows_as_the_csv() {
    let app = spawn_app().await;
    let acme = acme(&app).await;
    let xlsx = download(
        &app,
        "/api/v1/exports/checkins.xlsx?from=2020-02-03&to=2020-02-05",
        &acme.hr,
    )
    .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(
        xlsx.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        xlsx.disposition,
        r#"attachment; filename="checkins-2020-02-03-2020-02-05.xlsx""#
    );
    let (header, rows) = read_xlsx(&xlsx.bytes);
    assert_eq!(header, COLUMNS);
    let expected = everything(&acme, "=1+1");
    assert_eq!(rows.len(), expected.len());
    for (i, (row, want)) in rows.iter().zip(&expected).enumerate() {
        for (c, name) in COLUMNS.iter().enumerate() {
            assert_eq!(row[c], want[c], "row {} column {name}", i + 1);
        }
    }
}

#[tokio::test]
async fn exports_are_scoped_like_the_reports() {
    let app = spawn_app().await;
    let acme = acme(&app).await;
    let range = "from=2020-02-03&to=2020-02-05";
    let names_and_departments = |rows: &[Vec<String>]| -> Vec<(String, String, String)> {
        rows.iter()
            .map(|r| (r[4].clone(), r[1].clone(), r[3].clone()))
            .collect()
    };
    let row = |date: &str, name: &str, department: &str| {
        (date.to_string(), name.to_string(), department.to_string())
    };

    // The manager of Sales sees Sales, as it was each day.
    let own = download(
        &app,
        &format!("/api/v1/exports/checkins.csv?{range}"),
        &acme.manager,
    )
    .await;
    assert_eq!(own.status, StatusCode::OK);
    let sales_rows = vec![
        row("2020-02-03", "A", "Sales/East"),
        row("2020-02-03", "B", "Sales/East"),
        row("2020-02-03", "C", "Sales/West"),
        row("2020-02-04", "A", "Sales/East"),
        row("2020-02-05", "B", "Sales/East"),
        row("2020-02-05", "A", "Sales/West"),
    ];
    assert_eq!(names_and_departments(&read_csv(&own.bytes).1), sales_rows);
    let own_xlsx = download(
        &app,
        &format!("/api/v1/exports/checkins.xlsx?{range}"),
        &acme.manager,
    )
    .await;
    assert_eq!(
        names_and_departments(&read_xlsx(&own_xlsx.bytes).1),
        sales_rows
    );

    // One department, asked for by hr.
    let east = download(
        &app,
        &format!(
            "/api/v1/exports/checkins.csv?{range}&department_id={}",
            acme.east
        ),
        &acme.hr,
    )
    .await;
    assert_eq!(
        names_and_departments(&read_csv(&east.bytes).1),
        vec![
            row("2020-02-03", "A", "Sales/East"),
            row("2020-02-03", "B", "Sales/East"),
            row("2020-02-04", "A", "Sales/East"),
            row("2020-02-05", "B", "Sales/East"),
        ]
    );
    let west = download(
        &app,
        &format!(
            "/api/v1/exports/checkins.csv?{range}&department_id={}",
            acme.west
        ),
        &acme.manager,
    )
    .await;
    assert_eq!(west.status, StatusCode::OK);
    assert_eq!(
        read_csv(&west.bytes).1.len(),
        2,
        "C on Monday, A on Wednesday"
    );

    for (path, token) in [
        (
            format!(
                "/api/v1/exports/checkins.csv?{range}&department_id={}",
                acme.ops
            ),
            &acme.manager,
        ),
        (
            format!(
                "/api/v1/exports/checkins.xlsx?{range}&department_id={}",
                acme.lab
            ),
            &acme.manager,
        ),
        (format!("/api/v1/exports/checkins.csv?{range}"), &acme.a),
        (format!("/api/v1/exports/checkins.xlsx?{range}"), &acme.a),
    ] {
        let r = app.get(&path, token).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {:?}", r.body);
        assert_eq!(r.code(), "forbidden");
    }
    let sales = download(
        &app,
        &format!(
            "/api/v1/exports/checkins.csv?{range}&department_id={}",
            acme.sales
        ),
        &acme.manager,
    )
    .await;
    assert_eq!(sales.bytes, own.bytes, "the whole scope, asked for by name");
}

#[tokio::test]
async fn bad_ranges_are_refused_before_anything_is_sent() {
    let app = spawn_app().await; // Monday 2020-02-03
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    for kind in ["csv", "xlsx"] {
        for (query, field) in [
            ("from=2020-02-03&to=2020-01-01", "from"),
            ("from=2019-01-01&to=2020-02-03", "from"),
            ("to=2020-02-04", "to"),
            ("from=2020-02-04&to=2020-02-04", "to"),
            ("from=03/02/2020", "from"),
            ("to=yesterday", "to"),
            ("department_id=nope", "department_id"),
        ] {
            let path = format!("/api/v1/exports/checkins.{kind}?{query}");
            let r = app.get(&path, &token).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}: {:?}",
                r.body
            );
            assert_eq!(r.code(), "validation_failed", "{path}");
            assert!(r.field(field).is_some(), "{path}: {:?}", r.body);
        }
        // 366 days is the most; by default the last 30.
        let longest = download(
            &app,
            &format!("/api/v1/exports/checkins.{kind}?from=2019-02-03&to=2020-02-03"),
            &token,
        )
        .await;
        assert_eq!(longest.status, StatusCode::OK, "{kind}");
        let default = download(&app, &format!("/api/v1/exports/checkins.{kind}"), &token).await;
        assert_eq!(default.status, StatusCode::OK, "{kind}");
        if kind == "csv" {
            assert_eq!(
                default.disposition,
                r#"attachment; filename="checkins-2020-01-05-2020-02-03.csv""#
            );
            let (_, rows) = read_csv(&default.bytes);
            assert_eq!(rows.len(), 1, "the admin, today");
        }
    }
    let anonymous = app
        .send(app.client.get(app.url("/api/v1/exports/checkins.csv")))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_new_routes_are_in_the_openapi_document() {
    let app = spawn_app().await;
    let r = app
        .send(app.client.get(app.url("/api/v1/openapi.json")))
        .await;
    let paths = r.body["paths"].as_object().unwrap();
    for path in [
        "/api/v1/exports/checkins.csv",
        "/api/v1/exports/checkins.xlsx",
        "/api/v1/reports/trend.svg",
        "/api/v1/reports/daily.svg",
        "/api/v1/audit",
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get("get")).is_some(),
            "{path}"
        );
    }
    assert!(
        paths["/api/v1/exports/checkins.csv"]["get"]["responses"]["200"]["content"]["text/csv"]
            .is_object()
    );
}

/// `count` people without a department who joined `days` days before the app's clock, as
/// `N00000`, `N00001`, …
async fn add_many_people(app: &TestApp, org_id: &str, count: usize, days: i64) {
    use health_checkin::db::users::{insert_many, UserRow};
    use health_checkin::domain::Role;
    let org_id = org_id.to_string();
    let created = health_checkin::db::db_time(app.clock_now() - Duration::days(days));
    app.with_db(move |conn| {
        let rows: Vec<UserRow> = (0..count)
            .map(|i| UserRow {
                employee_no: Some(format!("N{i:05}")),
                ..UserRow::new(
                    &org_id,
                    format!("p{i:05}@acme.test"),
                    format!("Person {i:05}"),
                    Role::Staff,
                    created,
                )
            })
            .collect();
        insert_many(conn, &rows).expect("people inserted");
    })
    .await;
}

#[tokio::test]
async fn a_large_export_is_streamed_in_chunks() {
    let app = spawn_app().await; // Monday 2020-02-03
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    const PEOPLE: usize = 3_000;
    add_many_people(&app, &admin.org_id, PEOPLE, 7).await;
    // Monday to Friday of the week before, and this Monday: six working days.
    let path = "/api/v1/exports/checkins.csv?from=2020-01-27&to=2020-02-03";
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers().get("content-length").is_none(),
        "streamed, not sized up front"
    );
    let mut response = response;
    let mut chunks = 0;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        chunks += 1;
        body.extend_from_slice(&chunk);
    }
    assert!(chunks > 1, "{chunks} chunk(s)");
    let (_, rows) = read_csv(&body);
    assert_eq!(
        rows.len(),
        PEOPLE * 6 + 1,
        "everyone on six days, the admin today"
    );
    let first = &rows[0];
    assert_eq!(
        (first[0].as_str(), first[4].as_str(), first[5].as_str()),
        ("N00000", "2020-01-27", "unreported")
    );
    let last = &rows[rows.len() - 1];
    assert_eq!(
        (last[0].as_str(), last[4].as_str()),
        ("N02999", "2020-02-03")
    );
}

/// An export far larger than what the sockets between server and client hold, so that its
/// producer waits for a client that does not read: a year of 1,200 people (about 20 MB).
const UNREAD_PEOPLE: usize = 1_200;
const A_YEAR: &str = "/api/v1/exports/checkins.csv?from=2019-02-04&to=2020-02-03";

/// An app whose pool has `pool_size` connections and whose exports wait `send_timeout_secs`
/// for a client, with the year's people; and the admin's token.
async fn app_for_a_long_export(pool_size: u32, send_timeout_secs: u64) -> (TestApp, String) {
    let db = std::sync::Arc::new(TestDb::new());
    let mut settings = settings_for(&db);
    settings.db_pool_size = pool_size;
    settings.export_send_timeout_secs = send_timeout_secs;
    let app = spawn_with_settings(db, monday_morning(), settings).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    add_many_people(&app, &admin.org_id, UNREAD_PEOPLE, 400).await;
    (app, token)
}

/// The year's export, its headers read and its body not yet.
async fn start_export(app: &TestApp, token: &str) -> reqwest::Response {
    let export = app
        .client
        .get(app.url(A_YEAR))
        .bearer_auth(token)
        .send()
        .await
        .expect("export started");
    assert_eq!(export.status(), StatusCode::OK);
    export
}

#[tokio::test]
async fn an_unread_export_holds_no_connection_of_the_pool() {
    let (app, token) = app_for_a_long_export(1, 30).await;
    let mut export = start_export(&app, &token).await;
    // While the export waits for its client, the pool's only connection serves the API (a
    // busy pool would answer 503 after its 10 s wait).
    for _ in 0..3 {
        let report = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            app.get("/api/v1/reports/daily", &token),
        )
        .await
        .expect("answered while the export is open");
        assert_eq!(report.status, StatusCode::OK, "{:?}", report.body);
    }
    // Read now, well within the send timeout, the export is whole.
    let mut body = Vec::new();
    while let Some(chunk) = export.chunk().await.expect("export read") {
        body.extend_from_slice(&chunk);
    }
    assert!(body.len() > 15_000_000, "{} bytes", body.len());
    let (_, rows) = read_csv(&body);
    assert_eq!(
        (rows.len() - 1) % UNREAD_PEOPLE,
        0,
        "everyone on every working day, the admin today: {} rows",
        rows.len()
    );
    assert!(rows.len() > UNREAD_PEOPLE * 200, "{} rows", rows.len());
    let last = &rows[rows.len() - 1];
    assert_eq!(last[4], "2020-02-03");
}

#[tokio::test]
async fn an_export_whose_client_stops_reading_is_given_up_and_cut() {
    let (app, token) = app_for_a_long_export(4, 1).await;
    // How long the server takes to produce the whole file on this machine now: an unread
    // export must wait longer than that, or it may still be producing, not yet stuck.
    let started = std::time::Instant::now();
    let first = download(&app, A_YEAR, &token).await;
    assert_eq!(first.status, StatusCode::OK);
    let producing = started.elapsed();
    let mut export = start_export(&app, &token).await;
    // Longer than producing plus the send timeout without reading: the export gives up.
    tokio::time::sleep(producing * 2 + std::time::Duration::from_secs(3)).await;
    let mut read = 0;
    let ending = loop {
        match export.chunk().await {
            Ok(Some(chunk)) => read += chunk.len(),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    // What was under way arrives, and then the download fails: it never looks whole.
    assert!(
        ending.is_err(),
        "the download ended as if whole after {read} bytes"
    );
    assert!(read < 15_000_000, "{read} bytes");
    // The server goes on serving, and a client that reads gets the whole export.
    let whole = download(&app, A_YEAR, &token).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert!(
        whole.bytes.len() > 15_000_000,
        "{} bytes",
        whole.bytes.len()
    );
}

#[tokio::test]
async fn an_export_read_in_many_parts_keeps_every_row_in_order_with_its_own_answers() {
    use diesel::RunQueryDsl;
    use health_checkin::db::checkins::CheckinRow;
    use health_checkin::db::departments::{self, DepartmentRow};
    use health_checkin::db::users::{insert_many, UserRow};
    use health_checkin::domain::Role;
    let app = spawn_app().await; // Monday 2020-02-03
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    // 3,000 people in 10 departments who reported on Thursday and Friday: more check-ins a
    // day than one read takes, so each day is read in two parts (on PostgreSQL by two
    // readers in turn).
    const DEPARTMENTS: usize = 10;
    const PER_DEPARTMENT: usize = 300;
    let days = ["2020-01-30", "2020-01-31"];
    let temperature =
        |person: usize, day: usize| 35.0 + ((person * 7 + day * 3) % 40) as f64 / 10.0;
    let org_id = admin.org_id.clone();
    let created = health_checkin::db::db_time(app.clock_now() - Duration::days(7));
    app.with_db(move |conn| {
        let mut people = Vec::new();
        for d in 0..DEPARTMENTS {
            let department = DepartmentRow {
                id: format!("dept-{d}"),
                org_id: org_id.clone(),
                parent_id: None,
                name: format!("Team {d}"),
                created_at: created,
                updated_at: created,
                archived_at: None,
            };
            departments::insert(conn, &department).expect("department inserted");
            for p in 0..PER_DEPARTMENT {
                let i = d * PER_DEPARTMENT + p;
                people.push(UserRow {
                    employee_no: Some(format!("N{i:05}")),
                    department_id: Some(department.id.clone()),
                    ..UserRow::new(
                        &org_id,
                        format!("p{i:05}@acme.test"),
                        format!("Person {i:05}"),
                        Role::Staff,
                        created,
                    )
                });
            }
        }
        insert_many(conn, &people).expect("people inserted");
        let mut checkins = Vec::new();
        for (d, day) in days.iter().enumerate() {
            let day: chrono::NaiveDate = day.parse().expect("a date");
            let at = day.and_hms_opt(1, 0, 0).expect("a time");
            for (i, person) in people.iter().enumerate() {
                let mut answers = healthy_answers();
                answers["temperature"] = json!(temperature(i, d));
                checkins.push(CheckinRow {
                    id: health_checkin::db::new_id(),
                    org_id: org_id.clone(),
                    user_id: person.id.clone(),
                    day,
                    department_id: person.department_id.clone(),
                    answers: answers.to_string(),
                    temperature: Some(temperature(i, d)),
                    abnormal: false,
                    abnormal_reasons: "[]".into(),
                    revision: 1,
                    reason: None,
                    submitted_by: person.id.clone(),
                    submitted_at: at,
                    updated_at: at,
                    expected: true,
                    form_version: 1,
                    purged_at: None,
                });
            }
        }
        // Through the concrete connection: diesel writes no multi-row insert through the
        // connection of either backend.
        use health_checkin::db::{schema::checkins::table, DbConn};
        for chunk in checkins.chunks(500) {
            let insert = diesel::insert_into(table).values(chunk);
            match conn {
                DbConn::Sqlite(c) => insert.execute(c),
                DbConn::Postgres(c) => insert.execute(c),
            }
            .expect("check-ins inserted");
        }
    })
    .await;
    let csv = download(
        &app,
        "/api/v1/exports/checkins.csv?from=2020-01-30&to=2020-01-31",
        &token,
    )
    .await;
    assert_eq!(csv.status, StatusCode::OK);
    let (header, rows) = read_csv(&csv.bytes);
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (number, department, date, status, temp) = (
        column("employee_no"),
        column("department"),
        column("date"),
        column("status"),
        column("temperature"),
    );
    let rows: Vec<&Vec<String>> = rows.iter().filter(|r| r[number].starts_with('N')).collect();
    assert_eq!(rows.len(), DEPARTMENTS * PER_DEPARTMENT * days.len());
    // Day by day, department by department, person by person: the order the people were made in.
    for (at, row) in rows.iter().enumerate() {
        let (d, i) = (
            at / (DEPARTMENTS * PER_DEPARTMENT),
            at % (DEPARTMENTS * PER_DEPARTMENT),
        );
        let expected = (
            format!("N{i:05}"),
            format!("Team {}", i / PER_DEPARTMENT),
            days[d].to_string(),
            "reported".to_string(),
            temperature(i, d),
        );
        let found = (
            row[number].clone(),
            row[department].clone(),
            row[date].clone(),
            row[status].clone(),
            row[temp].parse::<f64>().unwrap_or(f64::NAN),
        );
        assert_eq!(found, expected, "row {at}");
    }
}
