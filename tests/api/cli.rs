//! The binary's commands, run as a person would, against a fresh database.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{binary, spawn_on, TestDb, JWT_SECRET};

fn command(db: &TestDb) -> Command {
    command_of(&binary(), db)
}

/// The binary at `program`, with the test database and nothing else from the environment.
fn command_of(program: &std::path::Path, db: &TestDb) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db.url_string())
        .env("HC_DATA_DIR", db.dir.path())
        .env("JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> (Output, String, String) {
    let output = cmd.output().expect("binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    (output, stdout, stderr)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn org_create_with_a_password_lets_the_admin_log_in() {
    let db = Arc::new(TestDb::new());
    let (out, stdout, stderr) = run(command(&db).args([
        "org",
        "create",
        "--name",
        "Acme",
        "--timezone",
        "Asia/Shanghai",
        "--admin-email",
        "HR@acme.test",
        "--admin-password",
        "Spring-rain-42",
    ]));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("hr@acme.test"));
    assert!(!stdout.contains("set-password"));

    let app = spawn_on(db, chrono::Utc::now()).await;
    let r = app.login("hr@acme.test", "Spring-rain-42").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user"]["role"], "admin");
    assert_eq!(r.body["user"]["organization"]["name"], "Acme");
}

#[tokio::test]
async fn org_create_without_a_password_prints_a_one_time_link() {
    let db = Arc::new(TestDb::new());
    let (out, stdout, stderr) = run(command(&db).args([
        "org",
        "create",
        "--name",
        "Acme",
        "--timezone",
        "America/New_York",
        "--admin-email",
        "boss@acme.test",
    ]));
    assert!(out.status.success(), "{stdout}{stderr}");
    let link = stdout
        .split_whitespace()
        .find(|w| w.contains("/#/set-password?token="))
        .unwrap_or_else(|| panic!("no link in: {stdout}"));
    let token = link.split("token=").nth(1).unwrap();

    let app = spawn_on(db, chrono::Utc::now()).await;
    let weak = app
        .post(
            "/api/v1/auth/set-password",
            &json!({"token": token, "password": "12345678"}),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.field("password").is_some());

    let set = app
        .post(
            "/api/v1/auth/set-password",
            &json!({"token": token, "password": "Winter-snow-19"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    assert!(set.body["token"].is_string());
    assert_eq!(
        app.login("boss@acme.test", "Winter-snow-19").await.status,
        StatusCode::OK
    );

    let again = app
        .post(
            "/api/v1/auth/set-password",
            &json!({"token": token, "password": "Another-one-55"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert!(again.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already used"));
    assert_eq!(
        app.login("boss@acme.test", "Winter-snow-19").await.status,
        StatusCode::OK
    );
}

#[test]
fn org_create_refuses_bad_input_and_names_it() {
    let db = TestDb::new();
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "--name",
                "A",
                "--timezone",
                "Mars/Olympus",
                "--admin-email",
                "a@a.test",
            ],
            "--timezone",
        ),
        (
            &[
                "--name",
                "A",
                "--timezone",
                "UTC",
                "--admin-email",
                "not-an-email",
            ],
            "--admin-email",
        ),
        (
            &[
                "--name",
                "  ",
                "--timezone",
                "UTC",
                "--admin-email",
                "a@a.test",
            ],
            "--name",
        ),
        (
            &[
                "--name",
                "A",
                "--timezone",
                "UTC",
                "--admin-email",
                "a@a.test",
                "--admin-password",
                "123",
            ],
            "--admin-password",
        ),
    ];
    for (args, named) in cases {
        let (out, stdout, stderr) = run(command(&db).args(["org", "create"]).args(args));
        assert!(!out.status.success(), "{args:?}: {stdout}");
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
    let create = [
        "org",
        "create",
        "--name",
        "A",
        "--timezone",
        "UTC",
        "--admin-email",
        "a@a.test",
    ];
    assert!(run(command(&db).args(create)).0.status.success());
    let (out, _, stderr) = run(command(&db).args(create));
    assert!(!out.status.success());
    assert!(stderr.contains("already exists"), "{stderr}");
}

#[test]
fn migrate_brings_a_new_database_up_to_date_and_is_repeatable() {
    let db = TestDb::new();
    for _ in 0..2 {
        let (out, stdout, stderr) = run(command(&db).arg("migrate"));
        assert!(out.status.success(), "{stdout}{stderr}");
        assert!(stdout.contains("up to date"));
    }
}

#[test]
fn a_bad_database_url_is_a_start_up_error_with_its_cause() {
    let db = TestDb::new();
    let (out, _, stderr) = run(command(&db)
        .env("DATABASE_URL", "mysql://db/hc")
        .arg("migrate"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("DATABASE_URL") && stderr.contains("mysql"),
        "{stderr}"
    );

    // Nothing listens on port 1: the real connection error is kept.
    let (out, _, stderr) = run(command(&db)
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none")
        .arg("migrate"));
    assert!(!out.status.success());
    assert!(stderr.contains("127.0.0.1"), "{stderr}");
    assert!(stderr.to_lowercase().contains("connect"), "{stderr}");

    let (out, _, stderr) = run(command(&db).env("JWT_SECRET", "short").arg("migrate"));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("JWT_SECRET"), "{stderr}");
}

/// Lines of a child's standard output, read on a thread so a wait can time out.
struct Lines {
    rx: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Lines {
    fn of(child: &mut Child) -> Self {
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            rx,
            seen: Vec::new(),
        }
    }

    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {needle:?}; saw {:?}", self.seen),
            }
        }
    }
}

fn port_of(line: &str) -> u16 {
    line.split("127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
}

#[tokio::test]
async fn serve_says_how_to_create_the_first_organization() {
    let db = TestDb::new();
    let child = command(&db)
        .env("HC_BIND", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let mut lines = Lines::of(&mut child.0);
    let listening = lines.wait_for("listening on");
    lines.wait_for("org create");
    let port = port_of(&listening);
    let health = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn demo_seeds_an_organization_prints_logins_and_serves() {
    let db = TestDb::new();
    let child = command(&db)
        .env("HC_BIND", "127.0.0.1:0")
        .arg("demo")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let mut lines = Lines::of(&mut child.0);
    let listening = lines.wait_for("listening on");
    let printed = lines.seen.join("\n");
    for login in [
        "admin@demo.test",
        "hr@demo.test",
        "manager@demo.test",
        "staff@demo.test",
    ] {
        assert!(printed.contains(login), "{printed}");
    }
    assert!(printed.contains("300 people"), "{printed}");
    let password = printed
        .lines()
        .find_map(|l| l.split("password for all: ").nth(1))
        .map(|p| p.trim_end_matches([')', ':', '\n']).to_string())
        .expect("password printed");

    let base = format!("http://127.0.0.1:{}", port_of(&listening));
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "staff@demo.test", "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap_or_else(|| panic!("{login}"));
    let history: serde_json::Value =
        get_json(&client, &format!("{base}/api/v1/checkins"), token).await;
    let days = history["checkins"].as_array().unwrap().len();
    assert!(
        (5..=15).contains(&days),
        "two weeks with some missing days: {days}"
    );
    // The demo manager manages a department, so their dashboard has numbers.
    let manager: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "manager@demo.test", "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let manager_token = manager["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{manager}"));
    let trend: serde_json::Value = get_json(
        &client,
        &format!("{base}/api/v1/reports/trend"),
        manager_token,
    )
    .await;
    let expected: i64 = trend["days"]
        .as_array()
        .unwrap_or_else(|| panic!("{trend}"))
        .iter()
        .map(|d| d["expected"].as_i64().unwrap_or(0))
        .sum();
    assert!(expected > 0, "{trend}");
    // Its abnormal reports opened cases, one per person.
    let cases: serde_json::Value =
        get_json(&client, &format!("{base}/api/v1/cases"), manager_token).await;
    let total = cases["total"].as_i64().unwrap_or_else(|| panic!("{cases}"));
    assert!(total > 0, "{cases}");
    let people: std::collections::HashSet<&str> = cases["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["person"]["id"].as_str())
        .collect();
    assert_eq!(people.len(), cases["cases"].as_array().unwrap().len());
    drop(child);

    // A second run finds the demo there and does not seed twice.
    let (out, stdout, _) = run(command(&db).args(["demo", "--no-serve"]));
    assert!(out.status.success());
    assert!(stdout.contains("already seeded"), "{stdout}");
}

/// A GET with a bearer token, its body as JSON.
async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> serde_json::Value {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn private_data_is_for_the_owner_alone_and_an_open_folder_is_named() {
    let db = TestDb::new();
    // A new SQLite database: its folder and file are created for the owner only.
    let private = db.dir.path().join("private");
    let database = private.join("hc.sqlite3");
    let (out, stdout, stderr) = run(command(&db)
        .env("DATABASE_URL", format!("sqlite://{}", database.display()))
        .arg("migrate"));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert_eq!(mode_of(&private), 0o700);
    assert_eq!(mode_of(&database), 0o600);

    // A data folder others can read is kept as it is, named in a warning at start, and the
    // mail outbox made inside it is private.
    let open = db.dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let log = db.dir.path().join("serve.log");
    let child = command(&db)
        .env("HC_BIND", "127.0.0.1:0")
        .env("HC_DATA_DIR", &open)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    Lines::of(&mut child.0).wait_for("listening on");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("other local users can read it") && logged.contains("open"),
        "{logged}"
    );
    assert_eq!(mode_of(&open), 0o755);
    assert_eq!(mode_of(&open.join("outbox")), 0o700);
}

/// Starts `serve` on the test database; returns the running child and its address.
fn serve(db: &TestDb) -> (Killed, String) {
    serve_with(command(db))
}

fn serve_with(mut command: Command) -> (Killed, String) {
    let child = command
        .env("HC_BIND", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let listening = Lines::of(&mut child.0).wait_for("listening on");
    let address = format!("http://127.0.0.1:{}", port_of(&listening));
    (child, address)
}

#[tokio::test]
async fn every_acknowledged_check_in_survives_a_kill_in_the_middle_of_a_burst() {
    use health_checkin::auth::{JwtKeys, Purpose};
    use health_checkin::db::db_time;
    use health_checkin::db::users::{self, UserRow};
    use health_checkin::domain::Role;
    use std::sync::Mutex;

    const PEOPLE: usize = 400;
    let db = Arc::new(TestDb::new());
    let setup = spawn_on(db.clone(), chrono::Utc::now()).await;
    let admin = setup.create_org("Acme", "Asia/Shanghai").await;
    let now = chrono::Utc::now();
    let joined = db_time(now - chrono::Duration::days(28));
    let org_id = admin.org_id.clone();
    let ids: Vec<String> = setup
        .with_db(move |conn| {
            (0..PEOPLE)
                .map(|n| {
                    let row = UserRow::new(
                        &org_id,
                        format!("person-{n}@acme.test"),
                        format!("Person {n}"),
                        Role::Staff,
                        joined,
                    );
                    users::insert(conn, &row).expect("person inserted");
                    row.id
                })
                .collect()
        })
        .await;
    drop(setup);
    let keys = JwtKeys::new(JWT_SECRET.as_bytes());
    let people: Vec<(String, String)> = ids
        .into_iter()
        .map(|id| {
            let (token, _) = keys
                .issue(
                    &id,
                    &admin.org_id,
                    0,
                    Purpose::Login,
                    now,
                    chrono::Duration::hours(1),
                )
                .expect("token");
            (id, token)
        })
        .collect();

    let (mut server, address) = serve(&db);
    let client = reqwest::Client::new();
    let acknowledged = Arc::new(Mutex::new(Vec::<(String, String, String)>::new()));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let people = Arc::new(people);
    let mut senders = Vec::new();
    for _ in 0..16 {
        let (client, address, people, next, acknowledged) = (
            client.clone(),
            address.clone(),
            people.clone(),
            next.clone(),
            acknowledged.clone(),
        );
        senders.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some((id, token)) = people.get(n) else {
                    return;
                };
                let sent = client
                    .put(format!("{address}/api/v1/checkins/today"))
                    .bearer_auth(token)
                    .json(&json!({"answers": crate::helpers::healthy_answers()}))
                    .send()
                    .await;
                let Ok(response) = sent else { return };
                if !response.status().is_success() {
                    return;
                }
                let Ok(body) = response.json::<serde_json::Value>().await else {
                    return;
                };
                let date = body["date"].as_str().unwrap_or_default().to_string();
                acknowledged
                    .lock()
                    .unwrap()
                    .push((id.clone(), token.clone(), date));
            }
        }));
    }
    // Killed without warning once a good part of the burst was acknowledged.
    let started = std::time::Instant::now();
    while acknowledged.lock().unwrap().len() < PEOPLE / 4 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the burst stalled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.0.kill().expect("server killed");
    let _ = server.0.wait();
    for sender in senders {
        sender.await.expect("sender ends");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() < PEOPLE, "the kill came after the burst");

    let (_server, address) = serve(&db);
    for (id, token, date) in &acknowledged {
        let day: serde_json::Value = client
            .get(format!("{address}/api/v1/checkins/{date}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("answered")
            .json()
            .await
            .expect("json");
        assert!(
            day["checkin"].is_object(),
            "{id}'s acknowledged check-in of {date} is lost: {day}"
        );
    }
}

#[tokio::test]
async fn a_copied_binary_serves_its_web_app_from_anywhere_and_a_named_folder_instead() {
    let db = TestDb::new();
    // The binary copied away from its source tree and started in another folder.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("health-checkin");
    std::fs::copy(binary(), &copy).expect("the binary is copied");
    let mut started = command_of(&copy, &db);
    started.current_dir(elsewhere.path());
    let (_server, address) = serve_with(started);
    let client = reqwest::Client::new();
    let source = |name: &str| {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("static")
                .join(name),
        )
        .expect("the source file")
    };

    for (path, file, kind) in [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/js/app.js", "js/app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "app.css", "text/css; charset=utf-8"),
    ] {
        let r = client.get(format!("{address}{path}")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let headers = r.headers().clone();
        assert_eq!(headers["content-type"], kind, "{path}");
        assert!(headers.contains_key("content-security-policy"), "{path}");
        let etag = headers["etag"].clone();
        assert_eq!(r.bytes().await.unwrap(), source(file), "{path}");
        // Unchanged since the browser's copy: nothing is sent again.
        let again = client
            .get(format!("{address}{path}"))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    let missing = client
        .get(format!("{address}/js/no-such-file.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found", "{body}");

    // HC_STATIC_DIR serves that folder instead of the built-in files.
    let own = tempfile::tempdir().unwrap();
    std::fs::write(
        own.path().join("index.html"),
        "<title>Our own pages</title>",
    )
    .unwrap();
    let mut overridden = command_of(&copy, &db);
    overridden.env("HC_STATIC_DIR", own.path());
    let (_other, other) = serve_with(overridden);
    let page = client.get(format!("{other}/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.text().await.unwrap(), "<title>Our own pages</title>");
}

/// SIGTERM while a slow relay takes a batch of mails one at a time: the process stops within
/// seconds, the mail in flight is sent and recorded, and the rest are pending again, due at
/// once and with no attempt counted, instead of waiting out a lease.
#[tokio::test]
async fn on_sigterm_mail_in_flight_is_finished_and_the_rest_given_back() {
    let smtp = crate::smtp::TestSmtp::start();
    smtp.slow_down(std::time::Duration::from_millis(1500));
    let db = Arc::new(TestDb::new());
    let app = spawn_on(db.clone(), crate::helpers::monday_morning()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    for n in 0..6 {
        let r = app
            .post_as(
                "/api/v1/employees",
                &token,
                &json!({"email": format!("p{n}@acme.test"), "name": format!("Person {n}")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let queued = "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'invitation'";
    assert_eq!(app.count_rows(queued).await, 6);

    let child = command(&db)
        .env("HC_BIND", "127.0.0.1:0")
        .env("SMTP_URL", format!("smtp://127.0.0.1:{}", smtp.port()))
        .env("SMTP_CONNECTIONS", "1")
        .env("HC_DELIVERY_INTERVAL_SECS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let mut lines = Lines::of(&mut child.0);
    lines.wait_for("listening on");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while smtp.begun() == 0 {
        assert!(std::time::Instant::now() < deadline, "no mail was begun");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let pid = i32::try_from(child.0.id()).unwrap();
    // SAFETY: sends a signal to our own child process, which is still running.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let stopped_at = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopped_at.elapsed() < std::time::Duration::from_secs(30),
            "still running 30 s after SIGTERM"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");

    let received = smtp.received().len() as i64;
    assert!((1..6).contains(&received), "{received} received");
    let sent = "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'invitation' AND status = 'sent'";
    assert_eq!(app.count_rows(sent).await, received);
    let given_back = "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'invitation' \
                      AND status = 'pending' AND claimed_by IS NULL AND lease_until IS NULL \
                      AND attempts = 0";
    assert_eq!(app.count_rows(given_back).await, 6 - received);
}

#[tokio::test]
async fn doctor_passes_a_working_setup_and_names_the_setting_that_fails() {
    let smtp = crate::smtp::TestSmtp::start();
    let db = Arc::new(TestDb::new());
    // A started instance: the schema is current and the signing secret is kept.
    let _app = spawn_on(db.clone(), crate::helpers::monday_morning()).await;
    let (out, stdout, stderr) = run(command(&db)
        .env_remove("JWT_SECRET")
        .env("SMTP_URL", format!("smtp://127.0.0.1:{}", smtp.port()))
        .env("PUBLIC_URL", "https://checkin.acme.test")
        .arg("doctor"));
    assert!(out.status.success(), "{stdout}{stderr}");
    for line in [
        "ok    DATABASE_URL:",
        "migrations are current",
        "ok    SMTP_URL:",
        "ok    PUBLIC_URL: https://checkin.acme.test",
        "ok    JWT_SECRET: not set:",
        "HC_DATA_DIR:",
    ] {
        assert!(stdout.contains(line), "{line:?} in {stdout}");
    }
    assert!(!stdout.contains("FAIL"), "{stdout}");

    // Mail that cannot go out: named, and the exit says so.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let (out, stdout, _) = run(command(&db)
        .env("SMTP_URL", format!("smtp://127.0.0.1:{closed_port}"))
        .arg("doctor"));
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("FAIL  SMTP_URL: cannot connect"),
        "{stdout}"
    );
    assert!(stdout.contains("1 check(s) failed"), "{stdout}");

    // A database that does not answer.
    let (out, stdout, _) = run(command(&db)
        .env("DATABASE_URL", "postgres://nobody:hunter2@127.0.0.1:1/none")
        .arg("doctor"));
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("FAIL  DATABASE_URL:"), "{stdout}");
    assert!(
        !stdout.contains("hunter2"),
        "the password is not shown: {stdout}"
    );

    // A setting that cannot be read stops before any check, naming it.
    let (out, _, stderr) = run(command(&db).env("HC_METRICS_TOKEN", "short").arg("doctor"));
    assert!(!out.status.success());
    assert!(stderr.contains("HC_METRICS_TOKEN"), "{stderr}");
}

/// A backup taken while check-ins are being written is a whole database of its own: it
/// passes SQLite's integrity check, holds every check-in stored before it began, and an
/// instance started on it serves them.
#[tokio::test]
async fn backup_copies_the_database_while_it_is_written_and_the_copy_serves() {
    let db = Arc::new(TestDb::new());
    let app = spawn_on(db.clone(), crate::helpers::monday_morning()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let target = db.dir.path().join("backup.sqlite3");
    if !matches!(db.url, health_checkin::config::DatabaseUrl::Sqlite(_)) {
        let (out, _, stderr) = run(command(&db).arg("backup").arg(&target));
        assert!(!out.status.success());
        assert!(stderr.contains("pg_dump"), "{stderr}");
        assert!(!target.exists());
        return;
    }
    let mut tokens = Vec::new();
    for _ in 0..40 {
        let person = app.add_person(&admin.org_id, "staff", None).await;
        tokens.push(app.token_for(&person).await);
    }
    let body = json!({"answers": crate::helpers::healthy_answers()});
    for token in &tokens[..10] {
        let r = app.put("/api/v1/checkins/today", token, &body).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    // The other thirty report while the backup runs.
    let writing = {
        let (client, base, tokens) = (
            app.client.clone(),
            app.address.clone(),
            tokens[10..].to_vec(),
        );
        let body = body.clone();
        tokio::spawn(async move {
            for token in tokens {
                let r = client
                    .put(format!("{base}/api/v1/checkins/today"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::CREATED);
            }
        })
    };
    let backup = {
        let mut cmd = command(&db);
        cmd.arg("backup").arg(&target);
        tokio::task::spawn_blocking(move || run(&mut cmd))
    };
    let (out, stdout, stderr) = backup.await.unwrap();
    writing.await.unwrap();
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("backup written to"), "{stdout}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Not over an existing file.
    let (again, _, stderr) = run(command(&db).arg("backup").arg(&target));
    assert!(!again.status.success());
    assert!(stderr.contains("exists already"), "{stderr}");

    // Restored: an instance on the copy.
    let restored = Arc::new(TestDb::new());
    std::fs::copy(&target, restored.dir.path().join("test.sqlite3")).unwrap();
    let copy = spawn_on(restored.clone(), crate::helpers::monday_morning()).await;
    let ok = copy
        .with_db(|conn| {
            #[derive(diesel::QueryableByName)]
            struct Check {
                #[diesel(sql_type = diesel::sql_types::Text)]
                integrity_check: String,
            }
            use diesel::RunQueryDsl;
            diesel::sql_query("PRAGMA integrity_check")
                .get_result::<Check>(conn)
                .unwrap()
                .integrity_check
        })
        .await;
    assert_eq!(ok, "ok");
    let in_copy = copy.count_rows("SELECT COUNT(*) AS n FROM checkins").await;
    assert!(
        (10..=40).contains(&in_copy),
        "{in_copy} check-ins in the copy"
    );
    let r = copy.get("/api/v1/checkins/today", &tokens[0]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body["checkin"]["id"].is_string(), "{:?}", r.body);
}

#[tokio::test]
async fn purge_counts_first_when_asked_then_purges_what_retention_no_longer_keeps() {
    let db = Arc::new(TestDb::new());
    // Check-ins of 2020, purged by the command on today's clock.
    let app = spawn_on(db.clone(), crate::helpers::monday_morning()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let token = app.token_for(&staff).await;
    let r = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": crate::helpers::healthy_answers()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app
        .put(
            "/api/v1/organization",
            &admin_token,
            &json!({"retention_days": 30}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    let (out, stdout, stderr) = run(command(&db).args(["purge", "--dry-run"]));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("Acme") && stdout.contains("would purge answers of 1 check-in(s)"),
        "{stdout}"
    );
    let history = app.get("/api/v1/checkins", &token).await;
    assert_eq!(
        history.body["checkins"][0]["purged"], false,
        "{:?}",
        history.body
    );

    let (out, stdout, stderr) = run(command(&db).arg("purge"));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("purged answers of 1 check-in(s)"),
        "{stdout}"
    );
    let history = app.get("/api/v1/checkins", &token).await;
    assert_eq!(
        history.body["checkins"][0]["purged"], true,
        "{:?}",
        history.body
    );
    assert_eq!(history.body["checkins"][0]["answers"], json!({}));
    let (_, stdout, _) = run(command(&db).args(["purge", "--dry-run"]));
    assert!(
        stdout.contains("would purge answers of 0 check-in(s)"),
        "{stdout}"
    );
}
