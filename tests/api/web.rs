//! The web app in a real browser: headless Chromium driven over WebDriver (chromedriver)
//! against the real server. Screenshots of the main pages go to `target/screenshots/`.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::helpers::{healthy_answers, monday_morning, spawn_app, TestApp};

const WAIT: Duration = Duration::from_secs(15);

fn chromedriver_path() -> PathBuf {
    let candidates = [
        std::env::var_os("CHROMEDRIVER").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromedriver")),
        Some(PathBuf::from("/usr/lib/chromium/chromedriver")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.is_file())
        .expect("chromedriver is missing: install Debian's chromium and chromium-driver packages (.ci/run does)")
}

fn chromium_path() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// One chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(chromedriver_path())
            .arg(format!("--port={port}"))
            // Its own process group, which the browsers it starts join: a failing test
            // stops them all, not only the driver.
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            if reqwest::get(format!("{url}/status")).await.is_ok() {
                break;
            }
            assert!(
                started.elapsed() < WAIT,
                "chromedriver did not answer on {url}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self { child, url }
    }

    /// A browser with a fresh profile and a window (or, below 500 px, an emulated phone
    /// viewport) of the given size, in English.
    async fn browser(&self, width: u32, height: u32) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut options = json!({
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--lang=en-US", "--hide-scrollbars",
                format!("--window-size={},{}", width.max(500), height),
                format!("--user-data-dir={}", profile.path().display()),
            ],
            "prefs": {"intl.accept_languages": "en-US,en"},
        });
        // Headless windows are at least 500 px wide; a phone's viewport is emulated instead.
        if width < 500 {
            options["mobileEmulation"] = json!({
                "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": true, "mobile": true}
            });
        }
        if let Some(binary) = chromium_path() {
            options["binary"] = json!(binary.display().to_string());
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("Chromium starts under chromedriver");
        Browser {
            client,
            _profile: profile,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Ok(pgid) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) with a negative id signals that process group only.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Browser {
    client: Client,
    _profile: TempDir,
}

impl Browser {
    async fn open(&self, app: &TestApp, hash: &str) {
        self.client
            .goto(&format!("{}/{hash}", app.address))
            .await
            .expect("page opens");
    }

    async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.clear().await.expect("clear");
        el.send_keys(text).await.expect("type");
    }

    /// Waits until the element's text contains `expected`; returns the text.
    async fn wait_text(&self, css: &str, expected: &str) -> String {
        let started = Instant::now();
        let mut last = String::new();
        while started.elapsed() < WAIT {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = el.text().await {
                    if text.contains(expected) {
                        return text;
                    }
                    last = text;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never showed {expected:?}; last text: {last:?}");
    }

    async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("script runs")
    }

    async fn login(&self, app: &TestApp, email: &str, password: &str) {
        self.open(app, "#/login").await;
        self.fill("#f-email", email).await;
        self.fill("#f-password", password).await;
        self.click("#login-submit").await;
        self.find("#logout").await;
    }

    async fn logout(&self) {
        self.click("#logout").await;
        self.find("#login-form").await;
    }

    /// The page is no wider than the window.
    async fn assert_no_horizontal_scroll(&self, page: &str) {
        let sizes = self
            .js("return [document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth];")
            .await;
        let (doc, body, inner) = (sizes[0].as_i64(), sizes[1].as_i64(), sizes[2].as_i64());
        assert_eq!(inner, Some(360), "the window is 360 px wide");
        assert!(
            doc <= inner && body <= inner,
            "{page} scrolls sideways at 360 px: {sizes}"
        );
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }

    async fn close(self) {
        self.client.close().await.expect("browser closes");
    }
}

#[tokio::test]
async fn the_pages_are_served_at_the_root_with_a_strict_policy() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let headers = page.headers().clone();
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe"), "{csp}");
    assert!(page.text().await.unwrap().contains("js/app.js"));
    let script = app.client.get(app.url("/js/api.js")).send().await.unwrap();
    assert_eq!(script.status().as_u16(), 200);
    assert!(script.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));

    // The API keeps its routes and its JSON 404, and missing files answer the same way.
    for path in ["/api/v1/nope", "/api/nope", "/nope.js", "/../Cargo.toml"] {
        let r = app.send(app.client.get(app.url(path))).await;
        assert_eq!(r.status.as_u16(), 404, "{path}");
        assert_eq!(r.code(), "not_found", "{path}");
    }
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    let me = app.send(app.client.get(app.url("/api/v1/me"))).await;
    assert_eq!(me.status.as_u16(), 401);
}

/// An organization with a department managed by a manager, and one staff member in it who
/// checked in yesterday.
struct Team {
    manager_email: String,
    staff_email: String,
    password: String,
}

async fn team(app: &TestApp) -> Team {
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let manager = app.add_person(&admin.org_id, "manager", None).await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let dept = app
        .post_as(
            "/api/v1/departments",
            &admin_token,
            &json!({"name": "Sales", "manager_ids": [manager.id]}),
        )
        .await;
    assert_eq!(dept.status.as_u16(), 201, "{:?}", dept.body);
    let dept_id = dept.body["id"].as_str().unwrap().to_string();
    let moved = app
        .patch(
            &format!("/api/v1/employees/{}", staff.id),
            &admin_token,
            &json!({"department_id": dept_id, "name": "Li Lei"}),
        )
        .await;
    assert_eq!(moved.status.as_u16(), 200, "{:?}", moved.body);
    // Yesterday's answers, for the one-tap "nothing changed".
    app.clock.set(monday_morning() - chrono::Duration::days(1));
    let staff_token = app.token_for(&staff).await;
    let r = app
        .put(
            "/api/v1/checkins/today",
            &staff_token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{:?}", r.body);
    app.clock.set(monday_morning());
    Team {
        manager_email: manager.email,
        staff_email: staff.email,
        password: staff.password,
    }
}

#[tokio::test]
async fn staff_submits_with_one_tap_and_the_manager_sees_the_count_move() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let driver = Driver::start().await;

    // The manager sees one person expected and nobody reported yet.
    let manager = driver.browser(1280, 1400).await;
    manager
        .login(&app, &team.manager_email, &team.password)
        .await;
    manager.open(&app, "#/dashboard").await;
    manager.wait_text("#stat-expected .value", "1").await;
    manager.wait_text("#stat-reported .value", "0").await;
    manager.wait_text("#unreported-list", "Li Lei").await;

    // The staff member, on a 360-px phone: log in, one tap, done.
    let phone = driver.browser(360, 780).await;
    phone.login(&app, &team.staff_email, &team.password).await;
    phone.open(&app, "#/checkin").await;
    phone.find("#nothing-changed").await;
    phone.assert_no_horizontal_scroll("the check-in form").await;
    phone.screenshot("checkin-phone").await;
    // A wrong answer is named next to its field, and nothing is stored.
    phone.fill("#f-answers-temperature", "50").await;
    phone.click("#submit").await;
    phone.wait_text("#err-answers-temperature", "between").await;
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM checkins WHERE day = '2020-02-03'")
            .await,
        0
    );
    phone.click("#nothing-changed").await;
    phone.wait_text("#done-card", "Done for today").await;
    phone.assert_no_horizontal_scroll("the done page").await;
    phone.screenshot("checkin-done-phone").await;
    let stored = app
        .count_rows("SELECT COUNT(*) AS n FROM checkins WHERE day = '2020-02-03'")
        .await;
    assert_eq!(stored, 1);

    // A reload keeps the login and shows the day as done.
    phone.client.refresh().await.expect("reload");
    phone.wait_text("#done-card", "Done for today").await;

    // A correction keeps the earlier answers as a revision.
    phone.click("#correct").await;
    phone.fill("#f-answers-temperature", "36.8").await;
    phone.click("#submit").await;
    phone.wait_text("#done-card", "revision 2").await;
    phone.wait_text("#done-card", "36.8").await;

    // The last 30 days.
    phone.click("#nav-history").await;
    phone.wait_text("#history-list", "Normal").await;
    phone.assert_no_horizontal_scroll("the history").await;
    phone.screenshot("history-phone").await;

    // The language switch changes the labels, and back.
    phone.wait_text("#nav-checkin", "Today").await;
    phone.click("#lang-switch").await;
    phone.wait_text("#nav-checkin", "今日打卡").await;
    phone.wait_text("h1", "最近 30 天").await;
    phone.screenshot("history-phone-zh").await;
    phone.click("#lang-switch").await;
    phone.wait_text("#nav-checkin", "Today").await;

    // Logging out forgets the token.
    phone.logout().await;
    let token = phone.js("return localStorage.getItem('hc.token');").await;
    assert_eq!(token, Value::Null);
    phone.close().await;

    // The manager's numbers move.
    manager.click("#nav-dashboard").await;
    manager.client.refresh().await.expect("reload");
    manager.wait_text("#stat-reported .value", "1").await;
    manager.wait_text("#stat-unreported .value", "0").await;
    manager.wait_text("#department-table", "Sales").await;
    manager.screenshot("dashboard").await;

    manager.close().await;
}

#[tokio::test]
async fn the_manager_reminds_the_unreported_or_is_told_why_not() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let driver = Driver::start().await;
    let manager_token = app.login(&team.manager_email, &team.password).await.body["token"]
        .as_str()
        .unwrap()
        .to_string();
    // Whether this server has the reminders endpoint at all (a GET queues nothing).
    let probe = app
        .get("/api/v1/reminders?date=2020-02-03", &manager_token)
        .await;
    let expected = if probe.status.as_u16() == 404 {
        "Reminders cannot be sent from this server yet."
    } else {
        "reminders queued"
    };

    // On a phone this time: the dashboard fits too.
    let manager = driver.browser(360, 780).await;
    manager
        .login(&app, &team.manager_email, &team.password)
        .await;
    manager.open(&app, "#/dashboard").await;
    manager.wait_text("#unreported-list", "Li Lei").await;
    manager.wait_text("#department-table", "Sales").await;
    manager.assert_no_horizontal_scroll("the dashboard").await;
    manager.click("#remind").await;
    manager.wait_text("#unreported .status", expected).await;
    manager.screenshot("dashboard-phone-reminders").await;
    manager.close().await;
}

#[tokio::test]
async fn an_admin_imports_a_csv_with_one_bad_line_and_sees_it_named() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let driver = Driver::start().await;
    let browser = driver.browser(1280, 1000).await;
    browser.login(&app, &admin.email, &admin.password).await;
    browser.click("#nav-import").await;
    let bad = "email,name,employee_no,department,role,manager_of\n\
               wang@acme.test,Wang Fang,E1,Sales/East,staff,\n\
               not-an-email,Zhang Wei,E2,Sales/East,staff,\n\
               zhao@acme.test,Zhao Min,E3,Ops,manager,Ops\n";
    browser.fill("#import-text", bad).await;
    browser.click("#import-preview").await;
    let errors = browser.wait_text("#import-errors", "Line 3").await;
    assert!(errors.contains("email"), "{errors}");
    browser.screenshot("import-bad-line").await;
    let run_disabled = browser
        .js("return document.getElementById('import-run').disabled;")
        .await;
    assert_eq!(
        run_disabled,
        json!(true),
        "no import after a failed preview"
    );
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM users WHERE email = 'wang@acme.test'")
            .await,
        0
    );

    // Fixed: the preview says what will change, then the import writes it.
    browser
        .fill(
            "#import-text",
            &bad.replace("not-an-email", "zhang@acme.test"),
        )
        .await;
    browser.click("#import-preview").await;
    browser.wait_text("#import-status", "3 to create").await;
    browser.click("#import-run").await;
    browser
        .wait_text("#import-status", "Imported: 3 created")
        .await;
    assert_eq!(
        app.count_rows(
            "SELECT COUNT(*) AS n FROM users WHERE email IN \
             ('wang@acme.test', 'zhang@acme.test', 'zhao@acme.test')"
        )
        .await,
        3
    );

    browser.click("#nav-people").await;
    browser.wait_text("#people-list", "Zhang Wei").await;
    browser.screenshot("people").await;
    browser.click("#nav-departments").await;
    browser.wait_text("#department-tree", "East").await;
    browser.click("#nav-settings").await;
    browser.find("#settings-form").await;
    browser.screenshot("settings").await;
    browser.close().await;
}
