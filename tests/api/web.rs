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

use crate::helpers::{
    healthy_answers, monday_morning, spawn_app, spawn_app_with_smtp, Person, TestApp,
};
use crate::smtp::{ReceivedMail, TestSmtp};

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
        self.browser_saving_to(width, height, None).await
    }

    /// As `browser`, with downloads saved without asking into `downloads`.
    async fn browser_saving_to(
        &self,
        width: u32,
        height: u32,
        downloads: Option<&std::path::Path>,
    ) -> Browser {
        self.launch(width, height, "en-US", downloads).await
    }

    /// As `browser`, for someone whose browser asks for `lang` first.
    async fn browser_in(&self, width: u32, height: u32, lang: &str) -> Browser {
        self.launch(width, height, lang, None).await
    }

    async fn launch(
        &self,
        width: u32,
        height: u32,
        lang: &str,
        downloads: Option<&std::path::Path>,
    ) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut options = json!({
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", format!("--lang={lang}"), "--hide-scrollbars",
                format!("--window-size={},{}", width.max(500), height),
                format!("--user-data-dir={}", profile.path().display()),
            ],
            "prefs": {"intl.accept_languages": format!("{lang},en")},
        });
        if let Some(dir) = downloads {
            options["prefs"]["download.default_directory"] = json!(dir.display().to_string());
            options["prefs"]["download.prompt_for_download"] = json!(false);
        }
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

fn is_stale(error: &fantoccini::error::CmdError) -> bool {
    matches!(
        error,
        fantoccini::error::CmdError::Standard(e)
            if e.error == fantoccini::error::ErrorStatus::StaleElementReference
    )
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

    /// Clicks the element; when the page re-rendered it meanwhile, finds it again.
    async fn click(&self, css: &str) {
        let started = Instant::now();
        loop {
            match self.find(css).await.click().await {
                Ok(_) => return,
                Err(e) if is_stale(&e) && started.elapsed() < WAIT => continue,
                Err(e) => panic!("click on {css}: {e}"),
            }
        }
    }

    /// Follows a link of the navigation, opening the menu first where the window folds it.
    async fn nav(&self, name: &str) {
        let folded = self
            .js("const b = document.getElementById('nav-toggle'); \
                 return !!b && getComputedStyle(b).display !== 'none' \
                 && b.getAttribute('aria-expanded') !== 'true';")
            .await;
        if folded == json!(true) {
            self.click("#nav-toggle").await;
        }
        self.click(&format!("#nav-{name}")).await;
    }

    /// Replaces the field's text; when the page re-rendered it meanwhile, finds it again.
    async fn fill(&self, css: &str, text: &str) {
        let started = Instant::now();
        loop {
            let el = self.find(css).await;
            let typed = match el.clear().await {
                Ok(()) => el.send_keys(text).await,
                Err(e) => Err(e),
            };
            match typed {
                Ok(()) => return,
                Err(e) if is_stale(&e) && started.elapsed() < WAIT => continue,
                Err(e) => panic!("typing into {css}: {e}"),
            }
        }
    }

    /// Sets a field's value as a picker would (typing into a date field depends on the locale).
    async fn set_value(&self, css: &str, value: &str) {
        self.find(css).await;
        self.client
            .execute(
                "const el = document.querySelector(arguments[0]); el.value = arguments[1]; \
                 el.dispatchEvent(new Event('input', {bubbles: true})); \
                 el.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![json!(css), json!(value)],
            )
            .await
            .expect("value set");
    }

    async fn choose(&self, select_css: &str, value: &str) {
        self.find(select_css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("{select_css} has no option {value}: {e}"));
    }

    /// Opens a path and fragment taken from a link in a mail, on this test's server.
    async fn follow_mail_link(&self, app: &TestApp, link: &str) {
        let start = link
            .find("/#/")
            .unwrap_or_else(|| panic!("not an app link: {link}"));
        self.client
            .goto(&format!("{}{}", app.address, &link[start..]))
            .await
            .expect("page opens");
    }

    /// Waits until nothing matches `css` (a form closed after a successful save, say).
    async fn wait_gone(&self, css: &str) {
        let started = Instant::now();
        while self.client.find(Locator::Css(css)).await.is_ok() {
            assert!(started.elapsed() < WAIT, "{css} is still there");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
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
        self.fill("#login-form #f-email", email).await;
        self.fill("#login-form #f-password", password).await;
        self.click("#login-submit").await;
        // Signed in once the form has made way for the first page (not before the answer came).
        self.wait_gone("#login-form").await;
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
    admin: Person,
    sales_id: String,
    manager_id: String,
    manager_email: String,
    staff_id: String,
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
    check_in_today(app, &staff.email, &staff.password).await;
    app.clock.set(monday_morning());
    Team {
        admin,
        sales_id: dept_id,
        manager_id: manager.id,
        manager_email: manager.email,
        staff_id: staff.id,
        staff_email: staff.email,
        password: staff.password,
    }
}

/// Today's check-in (by the app's clock) with healthy answers, through the API.
async fn check_in_today(app: &TestApp, email: &str, password: &str) {
    let token = app.token(email, password).await;
    let r = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{:?}", r.body);
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

    // The staff member, on a 360-px phone: log in, type today's temperature, one tap, done.
    let phone = driver.browser(360, 780).await;
    phone.login(&app, &team.staff_email, &team.password).await;
    phone.open(&app, "#/checkin").await;
    phone.find("#nothing-changed").await;
    phone.assert_no_horizontal_scroll("the check-in form").await;
    phone.fill("#f-answers-temperature", "36.6").await;
    phone.screenshot("checkin-phone").await;
    // The one tap needs today's temperature: without it, the field says so.
    phone.fill("#f-answers-temperature", "").await;
    phone.click("#nothing-changed").await;
    phone
        .wait_text("#err-answers-temperature", "required")
        .await;
    // A wrong answer is named next to its field, and nothing is stored.
    phone.fill("#f-answers-temperature", "50").await;
    phone.click("#submit").await;
    phone.wait_text("#err-answers-temperature", "between").await;
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM checkins WHERE day = '2020-02-03'")
            .await,
        0
    );
    phone.fill("#f-answers-temperature", "36.6").await;
    phone.click("#nothing-changed").await;
    phone.wait_text("#done-card", "Done for today").await;
    phone.assert_no_horizontal_scroll("the done page").await;
    phone.screenshot("checkin-done-phone").await;
    let stored = app
        .count_rows("SELECT COUNT(*) AS n FROM checkins WHERE day = '2020-02-03'")
        .await;
    assert_eq!(stored, 1);
    // Today's temperature and yesterday's other answers.
    let staff_token = app.token(&team.staff_email, &team.password).await;
    let today = app.get("/api/v1/checkins/today", &staff_token).await.body;
    assert_eq!(
        today["checkin"]["answers"],
        answers_with(&[("temperature", json!(36.6))])
    );

    // A reload keeps the login and shows the day as done.
    phone.client.refresh().await.expect("reload");
    phone.wait_text("#done-card", "Done for today").await;

    // A correction keeps the earlier answers as a revision.
    phone.click("#correct").await;
    phone.fill("#f-answers-temperature", "36.8").await;
    phone.click("#submit").await;
    phone.wait_text("#done-card", "revision 2").await;
    phone.wait_text("#done-card", "36.8").await;
    // The answers it replaced are there to see.
    phone.click("#show-revisions").await;
    phone.wait_text("#revisions", "revision 1").await;
    phone.wait_text("#revisions", "36.6 °C").await;
    phone
        .assert_no_horizontal_scroll("the earlier answers")
        .await;

    // The month of check-ins.
    phone.nav("history").await;
    phone.wait_text("#history-day", "Normal").await;
    phone.assert_no_horizontal_scroll("the history").await;
    phone.screenshot("history-phone").await;

    // The language switch changes the labels, and back.
    phone.wait_text("#nav-checkin", "Today").await;
    phone.click("#lang-switch").await;
    phone.wait_text("#nav-checkin", "今日打卡").await;
    phone.wait_text("h1", "我的打卡记录").await;
    phone.wait_text("#history-month", "2020年2月").await;
    phone.screenshot("history-phone-zh").await;
    phone.click("#lang-switch").await;
    phone.wait_text("#nav-checkin", "Today").await;

    // Logging out ends the session on the server and forgets the token.
    let session = phone.js("return localStorage.getItem('hc.token');").await;
    let session = session
        .as_str()
        .expect("a token while logged in")
        .to_string();
    phone.logout().await;
    let token = phone.js("return localStorage.getItem('hc.token');").await;
    assert_eq!(token, Value::Null);
    let after = app.get("/api/v1/me", &session).await;
    assert_eq!(after.status.as_u16(), 401, "{:?}", after.body);
    phone.close().await;

    // The manager's numbers move.
    manager.nav("dashboard").await;
    manager.client.refresh().await.expect("reload");
    manager.wait_text("#stat-reported .value", "1").await;
    manager.wait_text("#stat-unreported .value", "0").await;
    manager.wait_text("#department-table", "Sales").await;
    manager.screenshot("dashboard").await;

    manager.close().await;
}

/// `healthy_answers()` with some answers replaced.
fn answers_with(changes: &[(&str, Value)]) -> Value {
    let mut answers = healthy_answers();
    for (key, value) in changes {
        answers[*key] = value.clone();
    }
    answers
}

async fn field_value(browser: &Browser, id: &str) -> Value {
    browser
        .client
        .execute(
            "return document.getElementById(arguments[0]).value;",
            vec![json!(id)],
        )
        .await
        .expect("script runs")
}

/// Today's form loaded afresh, as on a morning after the clock moved on.
async fn open_todays_form(browser: &Browser, app: &TestApp) {
    browser.open(app, "#/checkin").await;
    browser.client.refresh().await.expect("reload");
    browser.find("#checkin-form").await;
}

/// The ids of the check-in form's buttons that can be seen.
async fn visible_form_buttons(browser: &Browser) -> Vec<String> {
    let ids = browser
        .js(
            "return [...document.querySelectorAll('#checkin-form button')] \
             .filter((b) => b.getClientRects().length).map((b) => b.id);",
        )
        .await;
    serde_json::from_value(ids).expect("a list of ids")
}

const FEVER_BOX: &str = "input[name='answers.symptoms'][value='fever']";
const NONE_BOX: &str = "input[name='answers.symptoms.none']";

async fn type_a_fever(browser: &Browser) {
    browser.fill("#f-answers-temperature", "38.5").await;
    browser.click(FEVER_BOX).await;
}

/// The issue this guards against: a fever typed into a form prefilled with yesterday's
/// answers, then the big one-tap button pressed, stored yesterday's normal answers.
#[tokio::test]
async fn what_is_typed_into_a_prefilled_form_is_what_gets_stored() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let token = app.token(&team.staff_email, &team.password).await;
    let driver = Driver::start().await;
    let phone = driver.browser(360, 780).await;
    phone.login(&app, &team.staff_email, &team.password).await;
    let fever = answers_with(&[("temperature", json!(38.5)), ("symptoms", json!(["fever"]))]);

    // Monday: Sunday's answers are shown, but the temperature waits empty and focused.
    open_todays_form(&phone, &app).await;
    phone.wait_text("#quick-summary", "Remote").await;
    phone.wait_text("#quick-summary", "None").await;
    assert_eq!(
        phone.js("return document.activeElement.id;").await,
        "f-answers-temperature"
    );
    assert_eq!(field_value(&phone, "f-answers-temperature").await, "");
    type_a_fever(&phone).await;
    // The one tap that would resend Sunday's answers is gone, and a note says why.
    phone
        .wait_text("#quick-changed", "You changed an answer")
        .await;
    let buttons = visible_form_buttons(&phone).await;
    assert!(
        !buttons.iter().any(|b| b == "nothing-changed"),
        "{buttons:?}"
    );
    assert!(buttons.iter().any(|b| b == "submit"), "{buttons:?}");
    // Each button still to be seen, pressed on a day of its own, stores the fever.
    for (n, button) in buttons.iter().enumerate() {
        if n > 0 {
            let day = i64::try_from(n).expect("a few buttons");
            app.clock
                .set(monday_morning() + chrono::Duration::days(day));
            open_todays_form(&phone, &app).await;
            type_a_fever(&phone).await;
        }
        phone.click(&format!("#{button}")).await;
        phone.wait_text("#done-card", "Abnormal").await;
        let day = app.get("/api/v1/checkins/today", &token).await.body;
        assert_eq!(day["checkin"]["answers"], fever, "#{button}");
        assert_eq!(
            day["checkin"]["abnormal_reasons"],
            json!(["temperature", "symptoms"]),
            "#{button}"
        );
    }

    // The next day the fever is among the answers carried over; unticking it hides the one
    // tap, ticking it again brings it back, and the tap sends the typed temperature with it.
    let next_day = i64::try_from(buttons.len()).expect("a few buttons");
    app.clock
        .set(monday_morning() + chrono::Duration::days(next_day));
    open_todays_form(&phone, &app).await;
    phone.wait_text("#quick-summary", "Fever").await;
    assert_eq!(field_value(&phone, "f-answers-temperature").await, "");
    phone.fill("#f-answers-temperature", "37.9").await;
    phone.click(FEVER_BOX).await;
    phone
        .wait_text("#quick-changed", "You changed an answer")
        .await;
    assert!(!visible_form_buttons(&phone)
        .await
        .contains(&"nothing-changed".to_string()));
    phone.click(FEVER_BOX).await;
    phone.wait_text("#quick", "Nothing changed").await;
    phone.click("#nothing-changed").await;
    phone.wait_text("#done-card", "Abnormal").await;
    let day = app.get("/api/v1/checkins/today", &token).await.body;
    assert_eq!(
        day["checkin"]["answers"],
        answers_with(&[("temperature", json!(37.9)), ("symptoms", json!(["fever"]))])
    );

    // A correction shows the day's own answers, offers no one tap, and stores what is shown.
    phone.click("#correct").await;
    phone.find("#checkin-form").await;
    assert_eq!(field_value(&phone, "f-answers-temperature").await, "37.9");
    assert!(!visible_form_buttons(&phone)
        .await
        .contains(&"nothing-changed".to_string()));
    phone.fill("#f-answers-temperature", "36.6").await;
    // "None of these" is a choice of its own, and it unticks the fever.
    phone.click(NONE_BOX).await;
    assert_eq!(
        phone
            .js(&format!(
                "return document.querySelector(\"{FEVER_BOX}\").checked;"
            ))
            .await,
        json!(false)
    );
    phone.click("#submit").await;
    phone.wait_text("#done-card", "revision 2").await;
    let day = app.get("/api/v1/checkins/today", &token).await.body;
    assert_eq!(
        day["checkin"]["answers"],
        answers_with(&[("temperature", json!(36.6))])
    );
    assert_eq!(day["checkin"]["abnormal"], false);
    phone.close().await;
}

/// The mail sent to `to`, once a delivery pass has run.
async fn mail_to(app: &TestApp, smtp: &TestSmtp, to: &str) -> ReceivedMail {
    // Forgot-password queues its mail after answering.
    app.detached_work_done().await;
    app.deliver().await;
    smtp.received()
        .into_iter()
        .rev()
        .find(|m| m.to.iter().any(|r| r == to))
        .unwrap_or_else(|| panic!("no mail to {to}"))
}

/// The first link into the app in a mail's text.
fn app_link(mail: &ReceivedMail, route: &str) -> String {
    let text = mail.part("text/plain").expect("a text part");
    text.split_whitespace()
        .find(|w| w.contains(&format!("/#/{route}")))
        .unwrap_or_else(|| panic!("no #/{route} link in {text}"))
        .to_string()
}

#[tokio::test]
async fn the_manager_reminds_the_unreported_and_the_mail_arrives() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let team = team(&app).await;
    let driver = Driver::start().await;

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
    manager
        .wait_text("#unreported .status", "Reminders queued: 1")
        .await;
    manager.screenshot("dashboard-phone-reminders").await;

    let reminder = mail_to(&app, &smtp, &team.staff_email).await;
    let subject = reminder.header("Subject").unwrap_or_default();
    assert!(!subject.is_empty(), "the reminder has a subject");
    // Its link opens today's form, where the staff member is already logged in or logs in.
    assert!(app_link(&reminder, "checkin").ends_with("/#/checkin"));

    // Asked again at once, the server says why not, and nothing more is sent.
    manager.click("#remind").await;
    manager
        .wait_text("#unreported .status", "a moment ago")
        .await;
    app.deliver().await;
    let to_staff = smtp
        .received()
        .iter()
        .filter(|m| m.to == [team.staff_email.clone()])
        .count();
    assert_eq!(to_staff, 1);

    // The escalation digest links to #/reports, which is the dashboard.
    manager.open(&app, "#/reports?date=2020-02-03").await;
    manager.wait_text("#stat-expected .value", "1").await;
    manager.close().await;
}

#[tokio::test]
async fn an_invited_person_sets_a_password_from_the_mail_and_lands_on_the_form() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let driver = Driver::start().await;

    // The admin adds a person with their own zone and language, and an invitation.
    let browser = driver.browser(1280, 1200).await;
    browser.login(&app, &admin.email, &admin.password).await;
    browser.nav("people").await;
    browser.fill("#new-email", "han.meimei@acme.test").await;
    browser.fill("#new-name", "Han Meimei").await;
    browser.fill("#new-zone", "Europe/Berlin").await;
    browser.choose("#new-locale", "en").await;
    browser.click("#new-person button[type=submit]").await;
    browser.wait_text("#people-list", "Han Meimei").await;
    let token = app.token_for(&admin).await;
    let people = app.get("/api/v1/employees?q=han.meimei", &token).await.body;
    assert_eq!(people["employees"][0]["timezone"], "Europe/Berlin");
    assert_eq!(people["employees"][0]["locale"], "en");
    browser.close().await;

    let invitation = mail_to(&app, &smtp, "han.meimei@acme.test").await;
    let link = app_link(&invitation, "set-password");

    let phone = driver.browser(360, 780).await;
    phone.follow_mail_link(&app, &link).await;
    // Two different passwords are caught here; a weak one by the server, next to its field.
    phone
        .fill("#set-password-form #f-password", "correct horse battery")
        .await;
    phone
        .fill("#set-password-form #f-password2", "correct horse")
        .await;
    phone.click("#set-password-form button[type=submit]").await;
    phone.wait_text("#err-password2", "not the same").await;
    phone.fill("#set-password-form #f-password", "short").await;
    phone.fill("#set-password-form #f-password2", "short").await;
    phone.click("#set-password-form button[type=submit]").await;
    phone.wait_text("#err-password", "at least").await;
    phone
        .assert_no_horizontal_scroll("the set-password page")
        .await;
    phone.screenshot("set-password-phone").await;

    // A good one logs her in, straight to today's form.
    phone
        .fill("#set-password-form #f-password", "correct horse battery")
        .await;
    phone
        .fill("#set-password-form #f-password2", "correct horse battery")
        .await;
    phone.click("#set-password-form button[type=submit]").await;
    phone.find("#checkin-form").await;
    phone.find("#logout").await;
    assert_eq!(
        app.login("han.meimei@acme.test", "correct horse battery")
            .await
            .status
            .as_u16(),
        200
    );

    // The link works once.
    phone.logout().await;
    phone.follow_mail_link(&app, &link).await;
    phone
        .fill("#set-password-form #f-password", "another good secret")
        .await;
    phone
        .fill("#set-password-form #f-password2", "another good secret")
        .await;
    phone.click("#set-password-form button[type=submit]").await;
    phone
        .wait_text("#set-password-form .status", "already used")
        .await;
    phone.close().await;
}

#[tokio::test]
async fn a_forgotten_password_is_reset_from_the_mail() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let driver = Driver::start().await;

    let phone = driver.browser(360, 780).await;
    phone.open(&app, "#/login").await;
    phone.click("a[href='#/forgot']").await;
    phone.fill("#forgot-form #f-email", &staff.email).await;
    phone.click("#forgot-form button[type=submit]").await;
    phone.wait_text("#forgot-form .status", "on its way").await;
    phone.assert_no_horizontal_scroll("the reset page").await;

    let mail = mail_to(&app, &smtp, &staff.email).await;
    phone
        .follow_mail_link(&app, &app_link(&mail, "set-password"))
        .await;
    phone
        .fill("#set-password-form #f-password", "a brand new secret")
        .await;
    phone
        .fill("#set-password-form #f-password2", "a brand new secret")
        .await;
    phone.click("#set-password-form button[type=submit]").await;
    phone.find("#checkin-form").await;

    // The old password is gone; the new one works from the login page.
    phone.logout().await;
    phone.fill("#login-form #f-email", &staff.email).await;
    phone.fill("#login-form #f-password", &staff.password).await;
    phone.click("#login-submit").await;
    phone.wait_text("#login-form .status", "wrong").await;
    phone
        .fill("#login-form #f-password", "a brand new secret")
        .await;
    phone.click("#login-submit").await;
    phone.find("#logout").await;
    phone.close().await;
}

#[tokio::test]
async fn staff_fills_in_a_missed_day_late() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let admin_token = app.token_for(&team.admin).await;
    let r = app
        .put(
            "/api/v1/organization",
            &admin_token,
            &json!({"late_days": 4}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{:?}", r.body);
    let driver = Driver::start().await;

    // Wednesday's answers exist; Thursday 2020-01-30 and Friday 2020-01-31 were missed, and
    // both are within the four days the organization accepts.
    app.clock.set(monday_morning() - chrono::Duration::days(5));
    check_in_today(&app, &team.staff_email, &team.password).await;
    app.clock.set(monday_morning());
    let phone = driver.browser(360, 780).await;
    phone.login(&app, &team.staff_email, &team.password).await;
    phone.open(&app, "#/checkin").await;
    phone.wait_text("#late-days", "Fri").await;
    phone.wait_text("#late-days", "Thu").await;
    phone
        .click("#late-days a[href='#/checkin?date=2020-01-31']")
        .await;
    phone.wait_text("h1", "Check-in for").await;
    // Wednesday's temperature is not Friday's: the field waits to be typed.
    phone.wait_text("#quick-title", "Same as").await;
    assert_eq!(field_value(&phone, "f-answers-temperature").await, "");
    phone.fill("#f-answers-temperature", "36.7").await;
    phone.click("#nothing-changed").await;
    phone.wait_text("#done-card", "Done for").await;
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM checkins WHERE day = '2020-01-31'")
            .await,
        1
    );
    let token = app.token(&team.staff_email, &team.password).await;
    let friday = app.get("/api/v1/checkins/2020-01-31", &token).await.body;
    assert_eq!(
        friday["checkin"]["answers"],
        answers_with(&[("temperature", json!(36.7))])
    );
    // Back on today's form, only Thursday is still offered.
    phone.nav("checkin").await;
    let late = phone.wait_text("#late-days", "Thu").await;
    assert!(!late.contains("Fri"), "{late}");

    // The history's month tells a weekend from a missed day; today is still open and is
    // filled in from there.
    phone.nav("history").await;
    phone.wait_text("#history-month", "February 2020").await;
    let february = day_statuses(&phone).await;
    assert_eq!(february["2020-02-01"], "rest");
    // Sunday's report, though nobody was expected, shows as reported.
    assert_eq!(february["2020-02-02"], "reported");
    assert_eq!(february["2020-02-03"], "open");
    phone
        .wait_text("#history-day", "Not reported: can still be filled in")
        .await;
    let fill = phone
        .js("return document.getElementById('history-fill').getAttribute('href');")
        .await;
    assert_eq!(fill, json!("#/checkin"));
    phone.assert_no_horizontal_scroll("the history").await;
    phone.screenshot("history-calendar-phone").await;

    // January: Wednesday reported, Thursday still open, Friday filled in late; the days
    // before the person joined (four weeks ago) offer nothing to fill in.
    phone.click("#month-prev").await;
    phone.wait_text("#history-month", "January 2020").await;
    let january = day_statuses(&phone).await;
    assert_eq!(january["2020-01-29"], "reported");
    assert_eq!(january["2020-01-30"], "open");
    assert_eq!(january["2020-01-31"], "reported");
    assert_eq!(january["2020-01-25"], "rest");
    let before: Vec<&String> = january
        .iter()
        .filter(|(_, status)| status.as_str() == "before")
        .map(|(day, _)| day)
        .collect();
    assert!(!before.is_empty(), "{january:?}");
    phone
        .click(&format!(".cal-day[data-date='{}']", before[0]))
        .await;
    phone.wait_text("#history-day", "Before you joined").await;
    let offered = phone
        .js("return document.getElementById('history-fill') === null;")
        .await;
    assert_eq!(offered, json!(true), "nothing to fill in before joining");
    phone.click(".cal-day[data-date='2020-01-30']").await;
    phone
        .wait_text("#history-day", "Not reported: can still be filled in")
        .await;
    phone.click("#history-fill").await;
    phone.wait_text("h1", "Check-in for").await;
    phone.close().await;
}

/// Each day of the history's month shown, with what it was (its calendar class).
async fn day_statuses(browser: &Browser) -> std::collections::BTreeMap<String, String> {
    let found = browser
        .js("return Object.fromEntries([...document.querySelectorAll('.cal-day[data-date]')]\
             .map(a => [a.dataset.date, [...a.classList].find(c => c !== 'cal-day' && c !== 'chosen')]));")
        .await;
    serde_json::from_value(found).expect("day statuses")
}

#[tokio::test]
async fn exports_download_as_csv_and_xlsx_files() {
    let app = spawn_app().await;
    let team = team(&app).await;
    // Monday's check-in, and one on Saturday, a day nobody is expected.
    check_in_today(&app, &team.staff_email, &team.password).await;
    app.clock.set(monday_morning() + chrono::Duration::days(5));
    check_in_today(&app, &team.staff_email, &team.password).await;
    let driver = Driver::start().await;
    let downloads = tempfile::tempdir().expect("download dir");
    let hr = driver
        .browser_saving_to(1280, 1200, Some(downloads.path()))
        .await;
    hr.login(&app, &team.admin.email, &team.admin.password)
        .await;
    hr.open(&app, "#/dashboard").await;
    hr.find("#exports").await;
    // Saturday: nobody was expected, and the dashboard says so and counts who reported anyway.
    hr.wait_text(
        "#day-off",
        "is not a working day: nobody is expected to report.",
    )
    .await;
    hr.wait_text("#day-off", "1 person reported anyway").await;
    let unexpected = hr.wait_text("#stat-reported_unexpected", "1").await;
    assert!(
        unexpected.contains("Reported, not expected"),
        "{unexpected}"
    );
    hr.set_value("#export-from", "2020-02-03").await;
    hr.set_value("#export-to", "2020-02-08").await;
    hr.click("#export-csv").await;
    let csv = wait_for_file(downloads.path(), "checkins-2020-02-03-2020-02-08.csv").await;
    let text = String::from_utf8(csv).expect("UTF-8");
    assert!(text.starts_with('\u{feff}'), "Excel needs the BOM");
    let row = text
        .lines()
        .find(|l| l.contains("Li Lei"))
        .unwrap_or_else(|| panic!("no row for Li Lei in {text}"));
    assert!(row.contains("Sales,2020-02-03,reported"), "{row}");
    let saturday = text
        .lines()
        .find(|l| l.contains("Li Lei") && l.contains(",2020-02-08,reported,"))
        .unwrap_or_else(|| panic!("no row for Saturday's check-in in {text}"));
    // `expected`, then `submitted_by` (empty: filed by the person).
    assert!(
        saturday.ends_with(",false,"),
        "marked as not expected: {saturday}"
    );

    hr.click("#export-xlsx").await;
    let xlsx = wait_for_file(downloads.path(), "checkins-2020-02-03-2020-02-08.xlsx").await;
    assert!(xlsx.starts_with(b"PK"), "an XLSX file is a zip");

    // A range the server refuses is explained, and nothing is downloaded.
    hr.set_value("#export-from", "2020-02-07").await;
    hr.set_value("#export-to", "2020-02-04").await;
    hr.click("#export-csv").await;
    hr.wait_text("#exports .status", "from").await;
    hr.close().await;
}

/// Waits for a finished download (Chromium writes `.crdownload` first).
async fn wait_for_file(dir: &std::path::Path, name: &str) -> Vec<u8> {
    let path = dir.join(name);
    let started = Instant::now();
    while started.elapsed() < WAIT {
        if let Ok(bytes) = std::fs::read(&path) {
            if !bytes.is_empty() {
                return bytes;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    panic!("{name} was not downloaded; the folder has {seen:?}");
}

#[tokio::test]
async fn an_admin_imports_a_csv_with_one_bad_line_and_sees_it_named() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let driver = Driver::start().await;
    let browser = driver.browser(1280, 1000).await;
    browser.login(&app, &admin.email, &admin.password).await;
    browser.nav("import").await;
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

    browser.nav("people").await;
    browser.wait_text("#people-list", "Zhang Wei").await;
    browser.screenshot("people").await;
    browser.nav("departments").await;
    browser.wait_text("#department-tree", "East").await;
    browser.nav("settings").await;
    browser.find("#settings-form").await;
    browser.screenshot("settings").await;
    browser.close().await;
}

#[tokio::test]
async fn an_admin_edits_departments_people_leave_and_settings() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let token = app.token_for(&team.admin).await;
    let ops = app
        .post_as("/api/v1/departments", &token, &json!({"name": "Ops"}))
        .await;
    assert_eq!(ops.status.as_u16(), 201, "{:?}", ops.body);
    let ops = ops.body["id"].as_str().unwrap().to_string();
    let sales = team.sales_id.clone();
    let driver = Driver::start().await;
    let admin = driver.browser(1280, 1400).await;
    admin
        .login(&app, &team.admin.email, &team.admin.password)
        .await;

    // Departments: Ops moves under Sales and gets the manager.
    admin.nav("departments").await;
    admin.click(&format!("#dept-{ops} button")).await;
    let editor = format!("#edit-dept-{ops}");
    admin.choose(&format!("#dept-{ops}-parent"), &sales).await;
    admin
        .click(&format!("{editor} input[value='{}']", team.manager_id))
        .await;
    admin.click(&format!("{editor} button[type=submit]")).await;
    admin.wait_text(&format!("#dept-{ops}"), "managed by").await;
    let list = app.get("/api/v1/departments", &token).await.body;
    let stored = list["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == ops.as_str())
        .unwrap()
        .clone();
    assert_eq!(stored["parent_id"], sales.as_str());
    assert_eq!(stored["manager_ids"], json!([team.manager_id]));
    assert_eq!(stored["path"], "Sales/Ops");
    // Sales cannot be moved under its own sub-department: Ops is not offered.
    admin.click(&format!("#dept-{sales} button")).await;
    let offered = admin
        .js(&format!(
            "return [...document.querySelectorAll('#dept-{sales}-parent option')].map(o => o.value);"
        ))
        .await;
    assert!(
        !offered.as_array().unwrap().contains(&json!(ops)),
        "{offered}"
    );
    // A new department without a name is refused next to the name.
    admin.click("#new-department button[type=submit]").await;
    admin.wait_text("#err-dept-name", "required").await;
    admin.screenshot("departments").await;

    // People: the staff member's own zone and language; an unknown zone is named.
    admin.nav("people").await;
    let staff = team.staff_id.clone();
    admin.click(&format!("#edit-{staff}")).await;
    let form = format!("#edit-{staff}-person");
    admin
        .fill(&format!("#edit-{staff}-zone"), "Mars/Olympus")
        .await;
    admin.click(&format!("{form} button[type=submit]")).await;
    admin
        .wait_text(
            &format!("#err-edit-{staff}-timezone"),
            "not an IANA time zone",
        )
        .await;
    admin
        .fill(&format!("#edit-{staff}-zone"), "America/New_York")
        .await;
    admin
        .choose(&format!("#edit-{staff}-locale"), "zh-CN")
        .await;
    admin.click(&format!("{form} button[type=submit]")).await;
    admin.wait_gone(&form).await;
    let person = app
        .get(&format!("/api/v1/employees/{staff}"), &token)
        .await
        .body;
    assert_eq!(person["timezone"], "America/New_York", "{person}");
    assert_eq!(person["locale"], "zh-CN", "{person}");
    // The manager's departments, as set on the department page, are ticked on the person;
    // unticking one hands it back. A staff member cannot manage anything.
    let manager = team.manager_id.clone();
    admin.click(&format!("#edit-{manager}")).await;
    let form = format!("#edit-{manager}-person");
    let ticked = admin
        .js(&format!(
            "return [...document.querySelectorAll('{form} input[name=manager_of]:checked')].map(i => i.value).sort();"
        ))
        .await;
    let mut both = vec![ops.clone(), sales.clone()];
    both.sort();
    assert_eq!(ticked, json!(both));
    admin
        .click(&format!("{form} input[name=manager_of][value='{ops}']"))
        .await;
    admin.click(&format!("{form} button[type=submit]")).await;
    admin.wait_gone(&form).await;
    let person = app
        .get(&format!("/api/v1/employees/{manager}"), &token)
        .await
        .body;
    assert_eq!(person["manages"], json!([sales]), "{person}");
    admin.click(&format!("#edit-{staff}")).await;
    let form = format!("#edit-{staff}-person");
    admin
        .click(&format!("{form} input[name=manager_of][value='{ops}']"))
        .await;
    admin.click(&format!("{form} button[type=submit]")).await;
    admin
        .wait_text(&format!("#err-edit-{staff}-manager_of"), "only a manager")
        .await;

    // Leave for today: the staff member is no longer expected.
    admin.nav("people").await;
    admin.click(&format!("#leave-{staff}")).await;
    admin
        .set_value(&format!("#leave-from-{staff}"), "2020-02-03")
        .await;
    admin
        .set_value(&format!("#leave-to-{staff}"), "2020-02-07")
        .await;
    admin.choose(&format!("#leave-kind-{staff}"), "sick").await;
    admin
        .click(&format!("#leave-form-{staff} button[type=submit]"))
        .await;
    admin
        .wait_text(&format!("#leave-card-{staff}"), "Sick")
        .await;
    let staff_token = app.token(&team.staff_email, &team.password).await;
    let today = app.get("/api/v1/checkins/today", &staff_token).await.body;
    assert_eq!(today["expected"], false, "{today}");

    // Settings: Friday off, later reminders, a holiday, more late days.
    admin.nav("settings").await;
    admin
        .click("#settings-form input[name=working_days][value='5']")
        .await;
    admin
        .fill("#settings-form [name=reminder_times]", "08:30, 17:00")
        .await;
    admin
        .fill("#settings-form [name=holidays]", "2020-02-10")
        .await;
    admin.fill("#settings-form [name=late_days]", "5").await;
    admin.click("#settings-form button[type=submit]").await;
    admin
        .wait_text("#settings-form .status", "Settings saved")
        .await;
    let org = app.get("/api/v1/organization", &token).await.body;
    assert_eq!(org["working_days"], json!([1, 2, 3, 4]), "{org}");
    assert_eq!(org["reminder_times"], json!(["08:30", "17:00"]), "{org}");
    assert_eq!(org["holidays"], json!(["2020-02-10"]), "{org}");
    assert_eq!(org["late_days"], 5, "{org}");
    // A bad time is named next to its field, and nothing changes.
    admin
        .fill("#settings-form [name=reminder_times]", "25:00")
        .await;
    admin.click("#settings-form button[type=submit]").await;
    admin
        .wait_text("#settings-form #err-reminder_times", "25:00")
        .await;
    let org = app.get("/api/v1/organization", &token).await.body;
    assert_eq!(org["reminder_times"], json!(["08:30", "17:00"]), "{org}");

    // Search finds one person; deactivating them (after a confirmation) ends their session:
    // their next page meets a 401, forgets the token and shows the login.
    let phone = driver.browser(360, 780).await;
    phone.login(&app, &team.staff_email, &team.password).await;
    admin.nav("people").await;
    admin.fill("#people-q", "Li Lei").await;
    admin.click("#people-search button[type=submit]").await;
    admin.wait_text("main", "1 person").await;
    let rows = admin
        .js("return document.querySelectorAll('#people-list > li').length;")
        .await;
    assert_eq!(rows, json!(1));
    admin.click(&format!("#deactivate-{staff}")).await;
    admin.client.accept_alert().await.expect("the confirmation");
    admin.wait_text("main", "0 people").await;
    let active = app
        .get(&format!("/api/v1/employees/{staff}"), &token)
        .await
        .body;
    assert_eq!(active["active"], false, "{active}");
    phone.nav("history").await;
    phone.find("#login-form").await;
    let kept = phone.js("return localStorage.getItem('hc.token');").await;
    assert_eq!(kept, Value::Null);
    phone.close().await;
    admin.close().await;
}

#[tokio::test]
async fn pages_follow_the_browser_language_and_the_persons_zone() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let admin_token = app.token_for(&team.admin).await;
    let r = app
        .patch(
            &format!("/api/v1/employees/{}", team.staff_id),
            &admin_token,
            &json!({"timezone": "Europe/Berlin"}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{:?}", r.body);
    let driver = Driver::start().await;

    // A Chinese browser gets Chinese pages without asking.
    let phone = driver.browser_in(360, 780, "zh-CN").await;
    phone.open(&app, "#/login").await;
    phone.wait_text("#login-form h1", "登录").await;
    phone.wait_text("#lang-switch", "English").await;
    let html_lang = phone.js("return document.documentElement.lang;").await;
    assert_eq!(html_lang, "zh-CN");
    // The server's messages come in Chinese too, next to their fields and in banners.
    phone.login(&app, &team.staff_email, &team.password).await;
    phone.open(&app, "#/checkin").await;
    phone.wait_text("#quick-title", "相同").await;
    phone.wait_text("#quick-summary", "无").await;
    phone.wait_text("#nothing-changed", "无变化").await;
    phone.fill("#f-answers-temperature", "50").await;
    phone.click("#submit").await;
    phone
        .wait_text("#err-answers-temperature", "须在 34.0 到 43.0 之间")
        .await;
    phone.logout().await;
    phone.open(&app, "#/set-password?token=not-a-token").await;
    phone
        .fill("#set-password-form #f-password", "correct horse battery")
        .await;
    phone
        .fill("#set-password-form #f-password2", "correct horse battery")
        .await;
    phone.click("#set-password-form button[type=submit]").await;
    phone
        .wait_text("#set-password-form .status", "此链接无效")
        .await;
    phone.close().await;

    // Times are the person's own: 01:00 UTC is 02:00 in Berlin (09:00 for the organization).
    let phone = driver.browser(360, 780).await;
    phone.login(&app, &team.staff_email, &team.password).await;
    phone.open(&app, "#/checkin").await;
    phone.fill("#f-answers-temperature", "36.6").await;
    phone.click("#nothing-changed").await;
    let done = phone.wait_text("#done-card", "Submitted at").await;
    assert!(done.contains("2:00"), "{done}");
    assert!(!done.contains("9:00"), "{done}");
    phone.close().await;
}

/// An admin adds a question with a rule on the form page; a staff member answers it on a phone
/// at the threshold and the dashboard flags them under the question's label, which stays
/// after the question is retired.
#[tokio::test]
async fn an_admin_adds_a_question_with_a_rule_and_the_dashboard_flags_an_answer_to_it() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let admin_token = app.token_for(&team.admin).await;
    let driver = Driver::start().await;

    let admin = driver.browser(1280, 1600).await;
    admin
        .login(&app, &team.admin.email, &team.admin.password)
        .await;
    admin.nav("form").await;
    admin.wait_text("#form-in-force", "version 1").await;
    admin.wait_text("#form-q7 .q-title", "Note").await;
    admin.wait_text("#form-preview", "Body temperature").await;

    // A pulse, counted afresh each day, abnormal at 100 beats a minute or more.
    admin.choose("#form-add-type", "number").await;
    admin.click("#form-add").await;
    admin.fill("#f-form-fields-8-key", "pulse").await;
    admin.fill("#f-form-fields-8-label-en", "Pulse").await;
    admin.fill("#f-form-fields-8-label-zh-CN", "脉搏").await;
    admin
        .fill("#f-form-fields-8-help-en", "Count for a full minute.")
        .await;
    admin
        .fill("#f-form-fields-8-help-zh-CN", "数满一分钟。")
        .await;
    admin.fill("#f-form-fields-8-min", "30").await;
    admin.fill("#f-form-fields-8-max", "220").await;
    admin.fill("#f-form-fields-8-unit", "bpm").await;
    admin
        .fill("#f-form-fields-8-abnormal_at_or_above", "100")
        .await;
    admin
        .wait_text("#form-q8 .q-summary", "abnormal at or above 100 bpm")
        .await;
    admin.wait_text("#form-preview", "Pulse (bpm)").await;
    admin
        .wait_text("#form-preview", "Count for a full minute.")
        .await;
    // Up one, above the note.
    admin.click("#form-q8 .move-up").await;
    admin.wait_text("#form-q7 .q-title", "Pulse").await;
    admin.wait_text("#form-q8 .q-title", "Note").await;

    // A second question under the same key: the server's problem is shown on that question.
    admin.choose("#form-add-type", "text").await;
    admin.click("#form-add").await;
    admin.fill("#f-form-fields-9-key", "pulse").await;
    admin.fill("#f-form-fields-9-label-en", "Pulse again").await;
    admin.fill("#f-form-fields-9-label-zh-CN", "再测脉搏").await;
    admin.click("#form-save").await;
    admin
        .wait_text(
            "#err-form-fields-9-key",
            "another question has the same key",
        )
        .await;
    admin
        .wait_text("#form-status", "Please correct the highlighted fields")
        .await;
    let class = admin
        .js("return document.getElementById('form-q9').className;")
        .await;
    assert!(class.as_str().unwrap_or("").contains("invalid"), "{class}");
    let no_error_elsewhere = admin
        .js("return document.getElementById('err-form-fields-7-key').textContent;")
        .await;
    assert_eq!(no_error_elsewhere, "");
    admin.screenshot("form-problem").await;
    let form = app.get("/api/v1/form", &admin_token).await.body;
    assert_eq!(form["version"], 1, "{form}");

    // Without it, the form is saved as version 2; saving again changes nothing.
    admin.click("#form-q9 .remove").await;
    admin.wait_gone("#form-q9").await;
    admin.click("#form-save").await;
    admin.wait_text("#form-status", "Saved as version 2").await;
    admin.wait_text("#form-in-force", "version 2").await;
    admin.screenshot("form-editor").await;
    admin.click("#form-save").await;
    admin.wait_text("#form-status", "Nothing changed").await;
    // Last week's check-ins checked again under the new rules: yesterday's has no pulse.
    admin.click("#recompute-run").await;
    admin
        .wait_text("#recompute-status", "looked at: 1; changed: 0")
        .await;
    let form = app.get("/api/v1/form", &admin_token).await.body;
    assert_eq!(form["version"], 2, "{form}");
    let pulse = &form["fields"][7];
    assert_eq!(pulse["key"], "pulse", "{form}");
    assert_eq!(pulse["type"], "number", "{pulse}");
    assert_eq!(
        pulse["abnormal_at_or_above"].as_f64(),
        Some(100.0),
        "{pulse}"
    );
    assert_eq!(pulse["abnormal_at_or_below"], Value::Null, "{pulse}");
    assert_eq!(pulse["carry_over"], false, "{pulse}");
    assert_eq!(pulse["required"], true, "{pulse}");
    assert_eq!(pulse["help"]["zh-CN"], "数满一分钟。", "{pulse}");
    assert_eq!(form["fields"][8]["key"], "note", "{form}");

    // The staff member's phone shows the new question with its help line, to fill in afresh.
    let phone = driver.browser(360, 780).await;
    phone.login(&app, &team.staff_email, &team.password).await;
    phone.open(&app, "#/checkin").await;
    phone.find("#nothing-changed").await;
    phone
        .wait_text("[data-field='answers.pulse']", "Count for a full minute.")
        .await;
    assert_eq!(field_value(&phone, "f-answers-pulse").await, "");
    phone
        .assert_no_horizontal_scroll("the form with a pulse")
        .await;
    phone.fill("#f-answers-temperature", "36.6").await;
    phone.fill("#f-answers-pulse", "100").await;
    phone.screenshot("checkin-pulse-phone").await;
    phone.click("#nothing-changed").await;
    phone.wait_text("#done-card", "Abnormal").await;
    phone.wait_text("#done-card dl.answers", "Pulse").await;
    phone.assert_no_horizontal_scroll("the done page").await;
    let staff_token = app.token(&team.staff_email, &team.password).await;
    let day = app.get("/api/v1/checkins/today", &staff_token).await.body;
    assert_eq!(day["checkin"]["form_version"], 2, "{day}");
    assert_eq!(
        day["checkin"]["answers"]["pulse"].as_f64(),
        Some(100.0),
        "{day}"
    );
    assert_eq!(
        day["checkin"]["abnormal_reasons"],
        json!(["pulse"]),
        "{day}"
    );

    // The question is retired in version 3; the answer given on version 2 keeps its label.
    let default_fields =
        app.get("/api/v1/form?version=1", &admin_token).await.body["fields"].clone();
    let retired = app
        .put(
            "/api/v1/form",
            &admin_token,
            &json!({"fields": default_fields}),
        )
        .await;
    assert_eq!(retired.status.as_u16(), 201, "{:?}", retired.body);
    assert_eq!(retired.body["version"], 3);

    // The manager sees them among the abnormal reports, flagged under the question's label.
    let manager = driver.browser(1280, 1400).await;
    manager
        .login(&app, &team.manager_email, &team.password)
        .await;
    manager.open(&app, "#/dashboard").await;
    manager.wait_text("#stat-abnormal .value", "1").await;
    manager.wait_text("#abnormal-list", "Li Lei").await;
    manager.click("#abnormal-list details summary").await;
    let flagged = manager
        .wait_text("#abnormal-list details[open] dt.flag", "Pulse")
        .await;
    assert_eq!(flagged, "Pulse");
    manager
        .js("document.getElementById('abnormal').scrollIntoView(); return null;")
        .await;
    manager.screenshot("dashboard-pulse").await;
    manager.close().await;

    // The staff member's history shows the answer under the label too.
    phone.nav("history").await;
    phone
        .click("#history-day details.day-answers summary")
        .await;
    phone
        .wait_text("#history-day details[open] dt.flag", "Pulse")
        .await;
    phone.assert_no_horizontal_scroll("the history").await;
    phone.close().await;

    // The form page fits a phone too.
    admin.close().await;
    let admin_phone = driver.browser(360, 780).await;
    admin_phone
        .login(&app, &team.admin.email, &team.admin.password)
        .await;
    admin_phone.open(&app, "#/form").await;
    admin_phone.wait_text("#form-in-force", "version 3").await;
    admin_phone
        .assert_no_horizontal_scroll("the form page")
        .await;
    admin_phone.screenshot("form-phone").await;
    admin_phone.close().await;
}

/// An admin starts from a template, edits an option list, is told a key keeps its type and a
/// number is missing, and saves; the staff member's phone asks the new questions (no one tap
/// for questions never answered) and sends the date question's answer as YYYY-MM-DD.
#[tokio::test]
async fn an_admin_starts_from_a_template_and_staff_answer_a_date_question() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let admin_token = app.token_for(&team.admin).await;
    let templates = app.get("/api/v1/form/templates", &admin_token).await.body;
    let school = templates
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "school")
        .unwrap_or_else(|| panic!("no school template in {templates}"))
        .clone();
    let driver = Driver::start().await;

    let admin = driver.browser(1280, 1400).await;
    admin
        .login(&app, &team.admin.email, &team.admin.password)
        .await;
    admin.open(&app, "#/form").await;
    admin.wait_text("#form-in-force", "version 1").await;
    admin.choose("#form-start", "school").await;
    admin.wait_text("#help-form-start", "before school").await;
    admin.click("#form-load").await;
    admin
        .wait_text("#form-q0 .q-title", "Grade and class")
        .await;
    admin
        .wait_text("#form-preview", "For example, Grade 3 Class 2.")
        .await;

    // One more option for who fills it in.
    admin.click("#form-q1-add-option").await;
    admin
        .fill("#f-form-fields-1-options-2-value", "grandparent")
        .await;
    admin
        .fill("#f-form-fields-1-options-2-label-en", "Grandparent")
        .await;
    admin
        .fill("#f-form-fields-1-options-2-label-zh-CN", "祖父母")
        .await;
    admin.wait_text("#form-preview", "Grandparent").await;

    // The temperature was a number in version 1: as text, the server refuses it there.
    admin.choose("#form-q2-type", "text").await;
    admin.click("#form-save").await;
    admin
        .wait_text("#err-form-fields-2-type", "a key keeps its type")
        .await;
    admin.choose("#form-q2-type", "number").await;
    // A bound left empty is named before anything is sent.
    admin.fill("#f-form-fields-2-min", "").await;
    admin.click("#form-save").await;
    admin
        .wait_text("#err-form-fields-2-min", "is required")
        .await;
    admin.fill("#f-form-fields-2-min", "34").await;
    admin.click("#form-save").await;
    admin.wait_text("#form-status", "Saved as version 2").await;
    let form = app.get("/api/v1/form", &admin_token).await.body;
    let mut expected = school["fields"].clone();
    expected[1]["options"]
        .as_array_mut()
        .unwrap()
        .push(json!({"value": "grandparent", "label": {"en": "Grandparent", "zh-CN": "祖父母"}}));
    assert_eq!(form["fields"], expected, "{form}");

    // In Chinese, both labels stay side by side and the preview speaks Chinese.
    admin.click("#lang-switch").await;
    admin.wait_text("h1", "每日表单").await;
    admin.wait_text("#form-preview", "年级班级").await;
    admin.screenshot("form-zh").await;
    admin.close().await;

    // The staff member has never answered most of these: no one tap, every question asked.
    let phone = driver.browser(360, 780).await;
    phone.login(&app, &team.staff_email, &team.password).await;
    phone.open(&app, "#/checkin").await;
    phone.find("#f-answers-class_name").await;
    let quick = phone
        .js("return document.getElementById('nothing-changed') === null;")
        .await;
    assert_eq!(quick, true, "a one tap for questions never answered");
    let kind = phone
        .js("return document.getElementById('f-answers-expected_return_date').type;")
        .await;
    assert_eq!(kind, "date");
    phone.assert_no_horizontal_scroll("the school form").await;
    phone.fill("#f-answers-class_name", "Grade 3 Class 2").await;
    phone
        .click("input[name='answers.filled_by'][value='grandparent']")
        .await;
    phone.fill("#f-answers-temperature", "36.6").await;
    for key in [
        "fever_medicine_24h",
        "household_ill",
        "infectious_contact_14d",
    ] {
        phone
            .click(&format!("input[name='answers.{key}'][value='false']"))
            .await;
    }
    phone
        .click("input[name='answers.attendance'][value='sick_leave']")
        .await;
    phone
        .set_value("#f-answers-expected_return_date", "2020-02-10")
        .await;
    phone.fill("#f-answers-guardian_phone", "13800000000").await;
    phone.click(NONE_BOX).await;
    phone.click("#submit").await;
    phone.wait_text("#done-card", "Abnormal").await;
    phone.wait_text("#done-card", "Grandparent").await;
    phone.wait_text("#done-card", "Feb 10, 2020").await;
    phone.screenshot("checkin-school-phone").await;
    let staff_token = app.token(&team.staff_email, &team.password).await;
    let day = app.get("/api/v1/checkins/today", &staff_token).await.body;
    let answers = &day["checkin"]["answers"];
    assert_eq!(answers["expected_return_date"], "2020-02-10", "{day}");
    assert_eq!(answers["filled_by"], "grandparent", "{day}");
    assert_eq!(
        day["checkin"]["abnormal_reasons"],
        json!(["attendance"]),
        "{day}"
    );
    phone.close().await;
}

/// Every form control has a name a screen reader can say, text meets WCAG AA contrast, and
/// logging in needs no mouse.
#[tokio::test]
async fn every_field_is_labelled_the_text_readable_and_the_login_works_from_the_keyboard() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let driver = Driver::start().await;
    let browser = driver.browser(1280, 1000).await;
    browser.open(&app, "#/login").await;
    // The email field has the focus; Tab moves to the password, Enter submits.
    let focused = browser.js("return document.activeElement.id;").await;
    assert_eq!(focused, "f-email");
    let email = browser.find("#f-email").await;
    email
        .send_keys(&format!(
            "{}\u{E004}{}\u{E007}",
            team.admin.email, team.admin.password
        ))
        .await
        .expect("typing");
    browser.find("#logout").await;

    for page in [
        "checkin",
        "history",
        "dashboard",
        "people",
        "import",
        "departments",
        "form",
        "settings",
    ] {
        browser.click(&format!("#nav-{page}")).await;
        browser.find("main h1").await;
        // The page's data has arrived when the loading line is gone.
        let started = Instant::now();
        while browser
            .js("return document.querySelector('main').textContent.includes('Loading');")
            .await
            == json!(true)
            && started.elapsed() < WAIT
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_labelled_and_readable(&browser, page).await;
    }
    // Today's form for someone who checked in yesterday, with its one-tap summary.
    browser.logout().await;
    browser.login(&app, &team.staff_email, &team.password).await;
    browser.nav("checkin").await;
    browser.find("#quick-summary").await;
    assert_labelled_and_readable(&browser, "checkin, with the one tap").await;
    browser.close().await;
}

const UNLABELLED: &str = "return [...document.querySelectorAll('input, select, textarea, button')]
        .filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length)
            && !el.getAttribute('aria-label') && !el.closest('label') && !el.textContent.trim())
        .map(el => el.outerHTML.slice(0, 120));";
// WCAG AA: 4.5:1 for text, 3:1 for large text, against the first opaque background behind it.
const LOW_CONTRAST: &str = r#"
        const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
        const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
            .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
        const background = (el) => {
            for (; el; el = el.parentElement) {
                const c = rgb(getComputedStyle(el).backgroundColor);
                if (c.length === 3 || c[3] === 1) return c.slice(0, 3);
            }
            return [255, 255, 255];
        };
        const low = [];
        for (const el of document.querySelectorAll('body *')) {
            const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
            if (!own || !el.getClientRects().length || el.closest(':disabled')) continue;
            const style = getComputedStyle(el);
            const [a, b] = [lum(rgb(style.color)), lum(background(el))];
            const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
            const size = parseFloat(style.fontSize);
            const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
            if (ratio < (large ? 3 : 4.5)) low.push(`${ratio.toFixed(2)} ${el.tagName} ${el.textContent.trim().slice(0, 40)}`);
        }
        return low;"#;

/// The page shows no control without a name, no text below WCAG AA contrast and no id twice.
async fn assert_labelled_and_readable(browser: &Browser, page: &str) {
    let faint = browser.js(LOW_CONTRAST).await;
    assert_eq!(faint, json!([]), "text below WCAG AA contrast on {page}");
    let unlabelled = browser.js(UNLABELLED).await;
    assert_eq!(unlabelled, json!([]), "unlabelled controls on {page}");
    // Labels and error lines find their fields by id, so ids must be unique.
    let repeated = browser
        .js(
            "const ids = [...document.querySelectorAll('[id]')].map(e => e.id); \
             return ids.filter((id, i) => ids.indexOf(id) !== i);",
        )
        .await;
    assert_eq!(repeated, json!([]), "repeated ids on {page}");
}

/// The demo organization (a few hundred people, two weeks of history) as HR and staff see it;
/// the screenshots in the README come from here.
#[tokio::test]
async fn the_dashboard_agrees_with_the_reports_for_the_demo_organization() {
    let app = spawn_app().await;
    let now = app.clock_now();
    app.with_db(move |conn| health_checkin::demo::seed(conn, now).expect("demo data"))
        .await;
    let password = health_checkin::demo::DEMO_PASSWORD;
    let token = app.token("hr@demo.test", password).await;
    let report = app.get("/api/v1/reports/daily", &token).await.body;
    assert!(report["expected"].as_i64().unwrap() > 100, "{report}");
    assert!(report["abnormal"].as_i64().unwrap() > 0, "{report}");

    let driver = Driver::start().await;
    let hr = driver.browser(1280, 1500).await;
    hr.login(&app, "hr@demo.test", password).await;
    hr.open(&app, "#/dashboard").await;
    for tile in ["expected", "reported", "unreported", "abnormal"] {
        hr.wait_text(&format!("#stat-{tile} .value"), &report[tile].to_string())
            .await;
    }
    hr.find("#trend-chart img").await;
    hr.find("#daily-chart img").await;
    hr.screenshot("dashboard").await;

    // Drilling into a department shows its own numbers.
    let engineering = report["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "Engineering")
        .unwrap_or_else(|| panic!("no Engineering in {report}"))
        .clone();
    let id = engineering["id"].as_str().unwrap();
    hr.click(&format!("#department-table a[href*='{id}']"))
        .await;
    hr.wait_text("nav.crumbs", "Engineering").await;
    hr.wait_text(
        "#stat-expected .value",
        &engineering["expected"].to_string(),
    )
    .await;
    hr.find("#trend-chart img").await;
    // Each abnormal report opens to its answers, the abnormal ones marked.
    hr.find("#abnormal-list details summary").await;
    hr.click("#abnormal-list details summary").await;
    hr.wait_text(
        "#abnormal-list details[open] dl.answers",
        "Body temperature",
    )
    .await;
    let flagged = hr
        .js("return document.querySelectorAll('#abnormal-list details[open] dt.flag').length;")
        .await;
    assert!(flagged.as_i64().unwrap_or(0) >= 1, "{flagged}");
    hr.js("document.getElementById('abnormal').scrollIntoView(); return null;")
        .await;
    hr.screenshot("dashboard-department").await;

    // In Chinese, the charts too.
    hr.click("#lang-switch").await;
    hr.wait_text("h1", "统计看板").await;
    hr.find("#trend-chart img").await;
    hr.screenshot("dashboard-zh").await;
    hr.close().await;

    let phone = driver.browser(360, 780).await;
    phone.login(&app, "staff@demo.test", password).await;
    phone.open(&app, "#/history").await;
    phone.wait_text("#history-day", "Normal").await;
    phone.assert_no_horizontal_scroll("the demo history").await;
    phone.screenshot("history-phone-demo").await;
    phone.close().await;
}

#[tokio::test]
async fn a_date_in_the_address_cannot_send_the_browser_to_another_endpoint() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let admin_token = app.token_for(&team.admin).await;
    let driver = Driver::start().await;
    let browser = driver.browser(1024, 800).await;
    browser.login(&app, &team.admin.email, &team.password).await;
    // The admin lands on the dashboard, whose two lists are audited reads: count after them.
    browser.wait_text("#unreported h2", "(").await;
    browser.wait_text("#abnormal h2", "(").await;
    app.detached_work_done().await;
    let audited_before = app.get("/api/v1/audit", &admin_token).await.body["total"].clone();

    // A link crafted to make an HR browser fetch a year's export under its name.
    browser
        .open(
            &app,
            "#/checkin?date=../exports/checkins.csv%3Ffrom%3D2019-02-01%26to%3D2020-01-31",
        )
        .await;
    // The page falls back to today's form instead.
    browser.wait_text("h1", "Today’s check-in").await;

    app.detached_work_done().await;
    let log = app.get("/api/v1/audit", &admin_token).await.body;
    assert_eq!(log["total"], audited_before, "{log}");
    let exported = log["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|entry| {
            entry["action"]
                .as_str()
                .is_some_and(|a| a.starts_with("exports"))
        });
    assert!(!exported, "{log}");
    browser.close().await;
}

#[tokio::test]
async fn a_person_signs_out_everywhere_from_their_history_and_an_admin_does_it_for_them() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let driver = Driver::start().await;
    let phone = driver.browser(360, 780).await;
    let laptop = driver.browser(1024, 800).await;
    phone.login(&app, &staff.email, &staff.password).await;
    laptop.login(&app, &staff.email, &staff.password).await;

    // From the phone's history page, after a confirmation: this device and every other.
    phone.nav("history").await;
    phone.find("#history-calendar").await;
    phone.assert_no_horizontal_scroll("the history page").await;
    phone.click("#sign-out-everywhere").await;
    phone.client.accept_alert().await.expect("the confirmation");
    phone.find("#login-form").await;
    let kept = phone.js("return localStorage.getItem('hc.token');").await;
    assert_eq!(kept, Value::Null);
    laptop.nav("history").await;
    laptop.find("#login-form").await;

    // An admin ends the sessions of a person, from the people page on a phone.
    laptop.login(&app, &staff.email, &staff.password).await;
    let admin_phone = driver.browser(360, 780).await;
    admin_phone.login(&app, &admin.email, &admin.password).await;
    admin_phone.nav("people").await;
    let button = format!("#sign-out-{}", staff.id);
    admin_phone.find(&button).await;
    // Not on the admin's own row: their own sessions end from their history page.
    let own = admin_phone
        .js(&format!(
            "return document.querySelector('#person-{} #sign-out-{}') === null \
             && document.getElementById('person-{}') !== null;",
            admin.id, admin.id, admin.id
        ))
        .await;
    assert_eq!(own, json!(true));
    admin_phone
        .assert_no_horizontal_scroll("the people page")
        .await;
    admin_phone.click(&button).await;
    admin_phone
        .client
        .accept_alert()
        .await
        .expect("the confirmation");
    admin_phone
        .wait_text(
            &format!("#person-{}", staff.id),
            "signed out on every device",
        )
        .await;
    // The laptop's next page meets a 401 and shows the login.
    laptop.nav("history").await;
    laptop.find("#login-form").await;
    // The admin's own session goes on.
    admin_phone.nav("departments").await;
    admin_phone.find("#logout").await;
    phone.close().await;
    laptop.close().await;
    admin_phone.close().await;
}

#[tokio::test]
async fn a_server_failure_shows_the_request_id_to_quote() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let driver = Driver::start().await;
    let browser = driver.browser(1024, 800).await;
    browser.login(&app, &admin.email, &admin.password).await;
    app.damage_settings(&admin.org_id).await;
    browser.nav("settings").await;
    let text = browser.wait_text("main", "(Request ").await;
    let id = text
        .split("(Request ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_default();
    assert!(
        id.len() >= 32 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'),
        "{text}"
    );
    browser.close().await;
}

/// `/api/docs` renders the OpenAPI document in a browser, under the pages' strict policy
/// and from this server's files alone.
#[tokio::test]
async fn the_api_reference_renders_every_operation_from_this_server_alone() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("/api-docs/swagger-ui-bundle.js"));

    let driver = Driver::start().await;
    let browser = driver.browser(1280, 900).await;
    browser
        .client
        .goto(&format!("{}/api/docs", app.address))
        .await
        .expect("page opens");
    browser
        .wait_text(".swagger-ui .info .title", "health-checkin")
        .await;
    browser
        .wait_text(".swagger-ui", "/api/v1/checkins/{date}")
        .await;
    let operations = browser
        .js("return document.querySelectorAll('.swagger-ui .opblock').length;")
        .await;
    assert!(operations.as_u64().unwrap_or(0) >= 40, "{operations}");
    let elsewhere = browser
        .js(
            "return performance.getEntriesByType('resource').map(e => e.name)\
             .filter(n => !n.startsWith(location.origin));",
        )
        .await;
    assert_eq!(elsewhere, json!([]));
    browser.screenshot("api-reference").await;
    browser.close().await;
}

/// An organization of three departments at three rates: Ops all in, Sales one of three (with
/// a fever), Lab none of 120; and the admin, in no department, unreported too.
async fn three_departments(app: &TestApp) -> (Person, String) {
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let token = app.token_for(&admin).await;
    let mut ids = Vec::new();
    for name in ["Ops", "Sales", "Lab"] {
        let r = app
            .post_as("/api/v1/departments", &token, &json!({"name": name}))
            .await;
        assert_eq!(r.status.as_u16(), 201, "{:?}", r.body);
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let ops = app.add_people_in(&admin.org_id, Some(&ids[0]), 2).await;
    let sales = app.add_people_in(&admin.org_id, Some(&ids[1]), 3).await;
    app.add_people_in(&admin.org_id, Some(&ids[2]), 120).await;
    for (person, answers) in [
        (&ops[0], healthy_answers()),
        (&ops[1], healthy_answers()),
        (&sales[0], answers_with(&[("temperature", json!(38.5))])),
    ] {
        let token = app.token_for(person).await;
        let r = app
            .put(
                "/api/v1/checkins/today",
                &token,
                &json!({"answers": answers}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 201, "{:?}", r.body);
    }
    (admin, token)
}

async fn department_order(browser: &Browser) -> Value {
    browser
        .js("return [...document.querySelectorAll('#department-table tbody th')].map(th => th.textContent);")
        .await
}

/// A day with more abnormal reports than a page: "Show more" brings the rest, each page after
/// the last person shown, in name order, until everyone is listed.
#[tokio::test]
async fn the_abnormal_list_shows_more_until_everyone_is_listed() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let people = app.add_people_in(&admin.org_id, None, 104).await;
    for person in &people {
        let r = app
            .put(
                "/api/v1/checkins/today",
                &app.issued_token(&person.id, &admin.org_id),
                &json!({"answers": answers_with(&[("temperature", json!(38.5))])}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 201, "{:?}", r.body);
    }
    let driver = Driver::start().await;
    let browser = driver.browser(1280, 1200).await;
    browser.login(&app, &admin.email, &admin.password).await;
    browser.open(&app, "#/dashboard").await;
    browser
        .wait_text("#abnormal-count", "Showing 100 of 104.")
        .await;
    browser.click("#abnormal-more").await;
    browser
        .wait_text("#abnormal-count", "Showing 104 of 104.")
        .await;
    let names = browser
        .js("return [...document.querySelectorAll('#abnormal-list li summary strong')].map(s => s.textContent);")
        .await;
    let expected: Vec<String> = (0..104).map(|i| format!("Person {i:04}")).collect();
    assert_eq!(names, json!(expected));
    let more_hidden = browser
        .js("return document.getElementById('abnormal-more').hidden;")
        .await;
    assert_eq!(more_hidden, json!(true));
    // The ones shown later open to their answers too.
    browser
        .click("#abnormal-list li:last-child details summary")
        .await;
    browser
        .wait_text(
            "#abnormal-list li:last-child details[open] dt.flag",
            "Body temperature",
        )
        .await;
    browser.close().await;
}

/// The dashboard on a desktop in English: the reporting rate, departments ranked with the
/// furthest behind first and re-sortable, abnormal reasons in the list, every unreported
/// person paged through, what "Remind them now" did and when it can be done again, and
/// exports of the department drilled into.
#[tokio::test]
async fn the_dashboard_ranks_departments_pages_everyone_and_says_what_reminding_did() {
    let app = spawn_app().await;
    let (admin, _) = three_departments(&app).await;
    let driver = Driver::start().await;
    let downloads = tempfile::tempdir().expect("download dir");
    let browser = driver
        .browser_saving_to(1280, 1200, Some(downloads.path()))
        .await;
    browser.login(&app, &admin.email, &admin.password).await;
    browser.open(&app, "#/dashboard").await;
    // 3 of 126 expected.
    browser.wait_text("#stat-rate", "2.4%").await;
    browser.wait_text("#stat-rate", "Reporting rate").await;
    assert_eq!(
        department_order(&browser).await,
        json!(["Lab", "Sales", "Ops"])
    );
    let rates = browser
        .js("return [...document.querySelectorAll('#department-table tbody td[data-label=\"Reporting rate\"]')].map(td => td.textContent);")
        .await;
    assert_eq!(rates, json!(["0%", "33.3%", "100%"]));
    browser.choose("#dept-sort", "name").await;
    browser.wait_text("#dept-sort", "By name").await;
    let started = Instant::now();
    while department_order(&browser).await != json!(["Lab", "Ops", "Sales"]) {
        assert!(
            started.elapsed() < WAIT,
            "{}",
            department_order(&browser).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let title = browser.js("return document.title;").await;
    assert_eq!(title, json!("Dashboard · Health Check-in"));
    let nav = browser
        .js("return document.querySelector('nav.nav').getAttribute('aria-label');")
        .await;
    assert_eq!(nav, json!("Main"));

    browser
        .wait_text("#abnormal-list .reason", "Body temperature: 38.5 °C")
        .await;

    browser
        .wait_text("#unreported-count", "Showing 100 of 123.")
        .await;
    browser.click("#unreported-more").await;
    browser
        .wait_text("#unreported-count", "Showing 123 of 123.")
        .await;
    let listed = browser
        .js("return document.querySelectorAll('#unreported-list li').length;")
        .await;
    assert_eq!(listed, json!(123));
    let more_hidden = browser
        .js("return document.getElementById('unreported-more').hidden;")
        .await;
    assert_eq!(more_hidden, json!(true));

    browser.click("#remind").await;
    let said = browser
        .wait_text("#unreported .status", "Reminders queued: 123.")
        .await;
    assert!(said.contains("The next reminder can be sent at"), "{said}");
    browser.click("#remind").await;
    browser
        .wait_text("#unreported .status", "The next can be sent at")
        .await;
    // A second pass within ten minutes queues nothing: the status says so rather than 0.
    assert_eq!(
        app.count_rows("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'reminder'")
            .await,
        123
    );

    // Drilled into Sales, the export is Sales'.
    let sales_link = browser
        .js("return [...document.querySelectorAll('#department-table tbody th a')].find(a => a.textContent === 'Sales').getAttribute('href');")
        .await;
    browser.open(&app, sales_link.as_str().unwrap()).await;
    browser.wait_text("nav.crumbs", "Sales").await;
    browser
        .wait_text("#export-scope", "Only Sales and its sub-departments.")
        .await;
    browser.set_value("#export-from", "2020-02-03").await;
    browser.set_value("#export-to", "2020-02-03").await;
    browser.click("#export-csv").await;
    let csv = wait_for_file(downloads.path(), "checkins-2020-02-03-2020-02-03.csv").await;
    let text = String::from_utf8_lossy(&csv);
    assert!(text.contains("Sales"), "{text}");
    assert!(!text.contains("Lab") && !text.contains("Ops"), "{text}");
    browser.screenshot("dashboard-desktop").await;

    // A Saturday reads as such.
    browser.open(&app, "#/dashboard?date=2020-02-01").await;
    browser
        .wait_text(
            "#day-off",
            "is not a working day: nobody is expected to report.",
        )
        .await;
    browser.close().await;
}

/// The same dashboard on a 360-px phone in Chinese: nothing cut off or scrolling sideways,
/// each department a card with its numbers named, and the admin's navigation behind a menu.
#[tokio::test]
async fn on_a_phone_the_dashboard_fits_and_the_navigation_is_a_menu() {
    let app = spawn_app().await;
    let (admin, _) = three_departments(&app).await;
    let driver = Driver::start().await;
    let phone = driver.browser_in(360, 800, "zh-CN").await;
    phone.login(&app, &admin.email, &admin.password).await;
    phone.open(&app, "#/dashboard").await;
    phone.wait_text("#stat-rate", "报告率").await;
    phone.wait_text("#dept-sort", "落后最多在前").await;
    phone.assert_no_horizontal_scroll("the dashboard").await;
    // The charts' text is at least 11 px on the phone, and their alternative text states
    // the numbers of each department and day.
    phone.find("#daily-chart img").await;
    phone.find("#trend-chart img").await;
    let charts = phone
        .js(
            "return [...document.querySelectorAll('figure.chart img')].map(img => ({ \
               px: 12 * img.getBoundingClientRect().width / img.naturalWidth, alt: img.alt }));",
        )
        .await;
    for chart in charts.as_array().unwrap() {
        assert!(chart["px"].as_f64().unwrap() >= 11.0, "{charts}");
    }
    let daily_alt = charts[1]["alt"].as_str().unwrap_or("");
    assert!(
        daily_alt.contains("Lab") && daily_alt.contains("120"),
        "{daily_alt}"
    );
    let trend_alt = charts[0]["alt"].as_str().unwrap_or("");
    assert!(
        trend_alt.contains("2020-02-03") && trend_alt.contains("126"),
        "{trend_alt}"
    );
    phone.screenshot("dashboard-phone-zh").await;
    // Every number of a department is on screen, named.
    let cells = phone
        .js("const rect = (e) => e.getBoundingClientRect(); \
             return [...document.querySelectorAll('#department-table td')].every(td => \
               rect(td).right <= window.innerWidth && getComputedStyle(td, '::before').content.length > 2);")
        .await;
    assert_eq!(cells, json!(true));
    let title = phone.js("return document.title;").await;
    assert_eq!(title, json!("统计看板 · 每日健康打卡"));
    let nav_name = phone
        .js("return document.querySelector('nav.nav').getAttribute('aria-label');")
        .await;
    assert_eq!(nav_name, json!("主导航"));
    // The navigation is folded: the menu opens it, and every page is reachable.
    let shown = phone
        .js("return getComputedStyle(document.getElementById('nav-settings')).display !== 'none' && document.getElementById('nav-settings').offsetParent !== null;")
        .await;
    assert_eq!(shown, json!(false));
    phone.nav("settings").await;
    phone.find("#settings-form").await;
    let title = phone.js("return document.title;").await;
    assert!(
        title.as_str().unwrap_or("").ends_with("· 每日健康打卡"),
        "{title}"
    );
    phone.open(&app, "#/dashboard?date=2020-02-02").await;
    phone.wait_text("#day-off", "不是工作日").await;
    phone.close().await;
}

/// The form as staff meet it on a phone, in Chinese: required questions marked, "none" a
/// choice of its own, a comma read as a decimal point, the first field in error focused, and
/// no reason asked for when correcting today, only for an earlier day.
#[tokio::test]
async fn the_form_marks_what_is_required_reads_a_comma_and_focuses_the_first_error() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let newcomer = app.add_person(&team.admin.org_id, "staff", None).await;
    let driver = Driver::start().await;
    let phone = driver.browser_in(360, 780, "zh-CN").await;
    phone.login(&app, &newcomer.email, &newcomer.password).await;
    phone.open(&app, "#/checkin").await;
    phone
        .wait_text("#checkin-form .required-note", "带星号")
        .await;
    let marks = phone
        .js(
            "const has = (k) => !!document.querySelector(`[data-field='answers.${k}'] .req`); \
             return [has('temperature'), has('symptoms'), has('location')];",
        )
        .await;
    assert_eq!(marks, json!([true, true, false]));
    phone.assert_no_horizontal_scroll("the form").await;

    // From the form: who can see the answers, and for how long they are kept.
    phone.click("#privacy-link").await;
    phone.wait_text("#privacy-facts", "人事和管理员").await;
    phone.wait_text("#privacy-facts", "从不包含体温").await;
    let title = phone.js("return document.title;").await;
    assert_eq!(title, json!("您的回答与查看权限 · 每日健康打卡"));
    phone.assert_no_horizontal_scroll("the privacy page").await;
    phone.click("#privacy-facts + p a").await;
    phone.find("#checkin-form").await;

    // Nothing answered: the first field in error, as the page shows them, has the focus.
    phone.click("#submit").await;
    phone.wait_text("#err-answers-temperature", "必填").await;
    assert_eq!(
        phone.js("return document.activeElement.id;").await,
        json!("f-answers-temperature")
    );
    phone.screenshot("checkin-required-phone-zh").await;
    // A comma for the decimal point; still no choice for the symptoms: they are next.
    phone.fill("#f-answers-temperature", "36,8").await;
    for (key, value) in [
        ("work_status", "office"),
        ("close_contact", "false"),
        ("travel_to_risk_area", "false"),
        ("health_code", "green"),
    ] {
        phone
            .click(&format!("input[name='answers.{key}'][value='{value}']"))
            .await;
    }
    phone.click("#submit").await;
    phone.wait_text("#err-answers-symptoms", "必填").await;
    assert_eq!(
        phone.js("return document.activeElement.name;").await,
        json!("answers.symptoms")
    );
    // "None" and a symptom exclude each other.
    phone.click(FEVER_BOX).await;
    phone.click(NONE_BOX).await;
    assert_eq!(
        phone
            .js(&format!(
                "return document.querySelector(\"{FEVER_BOX}\").checked;"
            ))
            .await,
        json!(false)
    );
    phone.click("#submit").await;
    phone.find("#done-card").await;
    let token = app.token(&newcomer.email, &newcomer.password).await;
    let day = app.get("/api/v1/checkins/today", &token).await.body;
    assert_eq!(
        day["checkin"]["answers"]["temperature"],
        json!(36.8),
        "{day}"
    );
    assert_eq!(day["checkin"]["answers"]["symptoms"], json!([]), "{day}");
    let shown = phone
        .js("return [...document.querySelectorAll('#done-card dt')].find(dt => dt.textContent === '症状').nextElementSibling.textContent;")
        .await;
    assert_eq!(shown, json!("无"), "no symptoms read as such");

    // Correcting today asks no reason.
    phone.click("#correct").await;
    phone.find("#checkin-form").await;
    let reason = phone
        .js("return document.querySelector(\"[name='reason']\") === null;")
        .await;
    assert_eq!(reason, json!(true), "today's correction asks no reason");
    phone.close().await;

    // Correcting an earlier day does.
    let staff = driver.browser(360, 780).await;
    staff.login(&app, &team.staff_email, &team.password).await;
    staff.open(&app, "#/checkin?date=2020-02-02").await;
    staff.click("#correct").await;
    staff.find("#checkin-form textarea[name='reason']").await;
    staff.close().await;
}

/// A new organization's admin is shown how to start, and the admin pages say what they
/// count: "1 person", the checkbox beside its words, department members with and without
/// their sub-departments, and the escalation setting kept as chosen.
#[tokio::test]
async fn a_new_admin_is_guided_and_the_admin_pages_say_what_they_count() {
    let app = spawn_app().await;
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let driver = Driver::start().await;
    let browser = driver.browser(1280, 1000).await;
    browser.login(&app, &admin.email, &admin.password).await;
    browser.open(&app, "#/dashboard").await;
    browser
        .wait_text("#getting-started", "Import your people")
        .await;
    let steps = browser
        .js("return [...document.querySelectorAll('#getting-started a')].map(a => a.getAttribute('href'));")
        .await;
    assert_eq!(
        steps,
        json!(["#/import", "#/settings", "#/people", "#/checkin"])
    );

    browser.nav("people").await;
    browser.wait_text("#main", "1 person").await;
    let beside = browser
        .js(
            "const l = document.querySelector('#people-search label.check'); \
             const box = l.querySelector('input').getBoundingClientRect(); \
             const text = document.createRange(); text.selectNodeContents(l); \
             const words = [...text.getClientRects()].pop(); \
             return Math.abs((box.top + box.bottom) / 2 - (words.top + words.bottom) / 2) < 8 \
               && box.right <= words.right;",
        )
        .await;
    assert_eq!(beside, json!(true), "the checkbox sits beside its words");

    // Sales with 2 people of its own, and East under it with 3.
    let token = app.token_for(&admin).await;
    let sales = app
        .post_as("/api/v1/departments", &token, &json!({"name": "Sales"}))
        .await;
    let sales = sales.body["id"].as_str().unwrap().to_string();
    let east = app
        .post_as(
            "/api/v1/departments",
            &token,
            &json!({"name": "East", "parent_id": sales}),
        )
        .await;
    let east = east.body["id"].as_str().unwrap().to_string();
    app.add_people_in(&admin.org_id, Some(&sales), 2).await;
    app.add_people_in(&admin.org_id, Some(&east), 3).await;
    browser.nav("departments").await;
    browser
        .wait_text(
            &format!("#dept-{sales} .members"),
            "2 directly, 5 with sub-departments",
        )
        .await;
    browser
        .wait_text(&format!("#dept-{east} .members"), "members: 3")
        .await;

    // Escalation: the choices are the reminder times, and the one chosen is kept.
    browser.nav("settings").await;
    browser.wait_text("#settings-escalate", "Never").await;
    browser.fill("#f-reminder_times", "09:30, 11:00").await;
    browser.choose("#settings-escalate", "11:00").await;
    browser.click("#settings-form button[type=submit]").await;
    browser
        .wait_text("#settings-form .status", "Settings saved.")
        .await;
    let org = app.get("/api/v1/organization", &token).await.body;
    assert_eq!(org["escalate_after"], "11:00", "{org}");
    assert_eq!(org["reminder_times"], json!(["09:30", "11:00"]));
    browser.open(&app, "#/people").await;
    browser.nav("settings").await;
    browser.find("#settings-escalate").await;
    let chosen = browser
        .js("return document.getElementById('settings-escalate').value;")
        .await;
    assert_eq!(chosen, json!("11:00"));
    browser.choose("#settings-escalate", "").await;
    browser.click("#settings-form button[type=submit]").await;
    browser
        .wait_text("#settings-form .status", "Settings saved.")
        .await;
    let org = app.get("/api/v1/organization", &token).await.body;
    assert_eq!(org["escalate_after"], Value::Null, "{org}");

    // With people in it, the organization needs no guide; in Chinese the counts say 人.
    browser.open(&app, "#/dashboard").await;
    browser.find("#stat-expected").await;
    let guide = browser
        .js("return document.getElementById('getting-started') === null;")
        .await;
    assert_eq!(guide, json!(true));
    browser.click("#lang-switch").await;
    browser.nav("departments").await;
    browser
        .wait_text(&format!("#dept-{sales} .members"), "含下级部门共 5 人")
        .await;
    browser.close().await;
}

/// An admin finds the reminder the mail server refused on #/reminders, sends it again once
/// the address works, and finds that in the audit log by action and by who did it.
#[tokio::test]
async fn an_admin_sends_a_failed_reminder_again_and_finds_it_in_the_audit_log() {
    let smtp = TestSmtp::start();
    let app = spawn_app_with_smtp(smtp.port()).await;
    let team = team(&app).await;
    // 09:31 in Shanghai: the first pass is due.
    app.clock
        .set(monday_morning() + chrono::Duration::minutes(31));
    smtp.reject(&team.staff_email);
    health_checkin::jobs::reminders::run_due_passes(&app.state)
        .await
        .expect("planned");
    app.deliver_all().await;

    let driver = Driver::start().await;
    let browser = driver.browser(1280, 1000).await;
    browser
        .login(&app, &team.admin.email, &team.admin.password)
        .await;
    browser.nav("reminders").await;
    // The failed ones first.
    browser.wait_text("#reminder-list", &team.staff_email).await;
    browser.wait_text("#reminder-list", "Failed").await;
    browser.wait_text("#reminder-list .error-line", "550").await;
    let title = browser.js("return document.title;").await;
    assert_eq!(title, json!("Reminders · Health Check-in"));
    smtp.accept(&team.staff_email);
    browser.click("#reminder-list button[id^='resend-']").await;
    browser.wait_text("#reminder-list", "Pending").await;
    browser.wait_text("#main .status", "Queued again").await;
    app.deliver_all().await;
    assert!(
        smtp.received()
            .iter()
            .any(|m| m.to == [team.staff_email.clone()]),
        "sent again"
    );

    browser.nav("audit").await;
    browser.fill("#audit-action", "reminders.resend").await;
    let admin_id = app
        .get("/api/v1/me", &app.token_for(&team.admin).await)
        .await
        .body["id"]
        .clone();
    browser
        .choose("#audit-actor", admin_id.as_str().unwrap())
        .await;
    browser.click("#audit-filter button[type=submit]").await;
    browser.wait_text("#audit-count", "1 entry").await;
    browser.wait_text("#audit-list", "reminders.resend").await;
    browser.wait_text("#audit-list", "Li Lei").await;
    browser.fill("#audit-action", "departments.delete").await;
    browser.click("#audit-filter button[type=submit]").await;
    browser.wait_text("#audit-count", "0 entries").await;
    // Reading the log wrote no read of the list of people into it.
    let token = app.token_for(&team.admin).await;
    let lists = app
        .get("/api/v1/audit?action=employees.list", &token)
        .await
        .body;
    assert_eq!(lists["total"], 0, "{lists}");
    browser.screenshot("audit-log").await;
    browser.close().await;

    // On a phone, in Chinese, the reminders page fits.
    let phone = driver.browser_in(360, 780, "zh-CN").await;
    phone
        .login(&app, &team.admin.email, &team.admin.password)
        .await;
    phone.nav("reminders").await;
    phone.wait_text("#reminder-counts", "已发送").await;
    phone
        .assert_no_horizontal_scroll("the reminders page")
        .await;
    let title = phone.js("return document.title;").await;
    assert_eq!(title, json!("提醒 · 每日健康打卡"));
    phone.close().await;
}

/// From the history page, on a phone in Chinese, a person downloads their data and sees who
/// else has looked at it.
#[tokio::test]
async fn a_person_downloads_their_data_and_sees_who_looked_at_it() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let admin_token = app.token_for(&team.admin).await;
    let read = app
        .get(
            &format!("/api/v1/employees/{}", team.staff_id),
            &admin_token,
        )
        .await;
    assert_eq!(read.status.as_u16(), 200);
    let admin_name = app.get("/api/v1/me", &admin_token).await.body["name"]
        .as_str()
        .unwrap()
        .to_string();
    let driver = Driver::start().await;
    let downloads = tempfile::tempdir().expect("download dir");
    let phone = driver
        .launch(360, 780, "zh-CN", Some(downloads.path()))
        .await;
    phone.login(&app, &team.staff_email, &team.password).await;
    phone.nav("history").await;
    phone.click("#show-access-log").await;
    phone.wait_text("#access-list", &admin_name).await;
    phone.wait_text("#access-list", "管理员").await;
    phone.wait_text("#access-list", "employees.get").await;
    phone.click("#download-own-data").await;
    let file = wait_for_file(downloads.path(), "my-health-checkin-data.json").await;
    let data: Value = serde_json::from_slice(&file).expect("JSON");
    assert_eq!(data["profile"]["email"], team.staff_email.as_str());
    assert!(!data["checkins"].as_array().unwrap().is_empty(), "{data}");
    phone
        .assert_no_horizontal_scroll("the history with the data card")
        .await;
    phone.close().await;
}

/// Privacy as each role meets it: the admin sets retention and a notice; staff, on a phone in
/// Chinese, read the notice once above the form and always on the privacy page, and see a
/// purged day as reported with no answers; a person who left is erased from the people page.
#[tokio::test]
async fn the_privacy_notice_retention_and_erasure_in_the_pages() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let token = app.token_for(&team.admin).await;
    let staff_token = app.token(&team.staff_email, &team.password).await;
    let r = app
        .put(
            "/api/v1/checkins/today",
            &staff_token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{:?}", r.body);

    let driver = Driver::start().await;
    let admin = driver.browser(1280, 1000).await;
    admin
        .login(&app, &team.admin.email, &team.admin.password)
        .await;
    admin.nav("settings").await;
    admin
        .fill("#settings-form [name=retention_days]", "5")
        .await;
    admin.click("#settings-form button[type=submit]").await;
    admin
        .wait_text("#settings-form #err-retention_days", "between 7 and 3650")
        .await;
    admin
        .fill("#settings-form [name=retention_days]", "30")
        .await;
    admin
        .fill(
            "#settings-notice-zh",
            "本公司只为防疫保存回答。\n有疑问请联系人事部。",
        )
        .await;
    admin
        .fill(
            "#settings-notice-en",
            "Acme keeps answers for health safety only.",
        )
        .await;
    admin.click("#settings-form button[type=submit]").await;
    admin
        .wait_text("#settings-form .status", "Settings saved")
        .await;
    let org = app.get("/api/v1/organization", &token).await.body;
    assert_eq!(org["retention_days"], 30, "{org}");
    assert_eq!(
        org["privacy_notice"]["zh-CN"],
        "本公司只为防疫保存回答。\n有疑问请联系人事部。"
    );

    // Staff: the notice above the form until read, then only on the privacy page.
    let phone = driver.browser_in(360, 780, "zh-CN").await;
    phone.login(&app, &team.staff_email, &team.password).await;
    phone.open(&app, "#/checkin").await;
    phone
        .wait_text("#privacy-notice", "本公司只为防疫保存回答")
        .await;
    phone
        .assert_no_horizontal_scroll("the form with the notice")
        .await;
    phone.screenshot("privacy-notice-phone-zh").await;
    phone.click("#privacy-notice-ok").await;
    phone.wait_gone("#privacy-notice").await;
    phone.open(&app, "#/history").await;
    phone.find("#history-month").await;
    phone.open(&app, "#/checkin").await;
    phone.find("#done-card").await;
    let shown = phone
        .js("return document.getElementById('privacy-notice') === null;")
        .await;
    assert_eq!(shown, json!(true), "read once, not shown again");
    phone.open(&app, "#/privacy").await;
    phone
        .wait_text("#privacy-org-notice", "有疑问请联系人事部")
        .await;
    phone.wait_text("#privacy-kept", "30 天后删除").await;

    // Six weeks on, the day's answers are purged: reported, and nothing answered is shown.
    app.clock.advance(chrono::Duration::days(42));
    health_checkin::jobs::retention::purge(app.state.clone())
        .await
        .unwrap();
    // The session ended meanwhile: log in again.
    phone
        .js("localStorage.removeItem('hc.token'); return null;")
        .await;
    phone.open(&app, "#/login").await;
    phone.find("#login-form").await;
    let signed_out = phone
        .js("return document.getElementById('logout') === null \
             && document.getElementById('nav-history') === null;")
        .await;
    assert_eq!(
        signed_out,
        json!(true),
        "nobody's pages offered once the token is gone"
    );
    phone.login(&app, &team.staff_email, &team.password).await;
    phone.nav("history").await;
    phone.click("#month-prev").await;
    phone.click(".cal-day[data-date='2020-02-03']").await;
    phone.wait_text("#history-day", "回答已删除").await;
    let answers = phone
        .js("return document.querySelector('#history-day details.day-answers') === null;")
        .await;
    assert_eq!(answers, json!(true));
    // Another tab signs in as somebody else: this one follows, not the last person's pages.
    let admin_token = app.token_for(&team.admin).await;
    phone
        .js(&format!(
            "localStorage.setItem('hc.token', '{admin_token}'); return null;"
        ))
        .await;
    phone.open(&app, "#/").await;
    phone.find("#nav-settings").await;
    phone.close().await;

    // The admin erases the person once they have left.
    let token = app.token_for(&team.admin).await;
    let r = app
        .delete(&format!("/api/v1/employees/{}", team.staff_id), &token)
        .await;
    assert_eq!(r.status.as_u16(), 200, "{:?}", r.body);
    admin
        .js("localStorage.removeItem('hc.token'); return null;")
        .await;
    admin
        .login(&app, &team.admin.email, &team.admin.password)
        .await;
    admin.find("#stat-rate").await;
    admin.open(&app, "#/people?active=all").await;
    admin.click(&format!("#erase-{}", team.staff_id)).await;
    admin.client.accept_alert().await.expect("the confirmation");
    admin.wait_gone(&format!("#person-{}", team.staff_id)).await;
    let r = app
        .get(&format!("/api/v1/employees/{}", team.staff_id), &token)
        .await;
    assert_eq!(r.status.as_u16(), 404);
    admin.close().await;
}

/// A manager files for someone without a phone from the dashboard's unreported list, with
/// the person's form; the person then sees who filed it.
#[tokio::test]
async fn a_manager_files_for_someone_from_the_unreported_list() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let driver = Driver::start().await;
    let manager = driver.browser(1280, 1000).await;
    manager
        .login(&app, &team.manager_email, &team.password)
        .await;
    manager.open(&app, "#/dashboard").await;
    manager.click(&format!("#file-for-{}", team.staff_id)).await;
    manager.wait_text("h1", "Li Lei").await;
    // The person's own answers of yesterday carry over; the rest is filled in for them.
    manager.fill("#f-answers-temperature", "36.7").await;
    for (key, value) in [
        ("work_status", "office"),
        ("close_contact", "false"),
        ("travel_to_risk_area", "false"),
        ("health_code", "green"),
    ] {
        manager
            .click(&format!("input[name='answers.{key}'][value='{value}']"))
            .await;
    }
    let none_ticked = manager
        .js(&format!(
            "return document.querySelector(\"{NONE_BOX}\").checked;"
        ))
        .await;
    if none_ticked != json!(true) {
        manager.click(NONE_BOX).await;
    }
    manager.click("#submit").await;
    manager.wait_text("#done-card", "Filed for Li Lei").await;
    manager.click("#back-to-dashboard").await;
    manager
        .wait_gone(&format!("#file-for-{}", team.staff_id))
        .await;
    manager.close().await;

    let token = app.token(&team.staff_email, &team.password).await;
    let day = app.get("/api/v1/checkins/today", &token).await.body;
    assert_eq!(
        day["checkin"]["answers"]["temperature"],
        json!(36.7),
        "{day}"
    );
    assert_eq!(day["checkin"]["filed_by"]["id"], team.manager_id.as_str());
    let phone = driver.browser(360, 780).await;
    phone.login(&app, &team.staff_email, &team.password).await;
    phone.open(&app, "#/checkin").await;
    phone.wait_text("#filed-by", "Filed by").await;
    phone.wait_text("#filed-by", "(Manager)").await;
    phone.close().await;
}

/// A manager meets an abnormal report on the dashboard and in a case from the alert's link,
/// and works it: contacted with a note, taken, cleared.
#[tokio::test]
async fn a_manager_works_a_case_from_the_dashboard_to_clearance() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let staff_token = app.token(&team.staff_email, &team.password).await;
    let mut fever = healthy_answers();
    fever["temperature"] = json!(38.4);
    let r = app
        .put(
            "/api/v1/checkins/today",
            &staff_token,
            &json!({"answers": fever}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{:?}", r.body);
    let admin_token = app.token_for(&team.admin).await;
    let cases = app.get("/api/v1/cases", &admin_token).await.body;
    let id = cases["cases"][0]["id"].as_str().unwrap().to_string();

    let driver = Driver::start().await;
    let manager = driver.browser(1280, 1000).await;
    manager
        .login(&app, &team.manager_email, &team.password)
        .await;
    manager.find("#stat-rate").await;
    manager.wait_text("#stat-open_cases", "1").await;
    manager.click("#stat-open_cases").await;
    manager.wait_text(&format!("#case-{id}"), "Li Lei").await;
    manager
        .wait_text(&format!("#case-{id} .case-checkins"), "Body temperature")
        .await;
    // As the alert's link opens it.
    manager.open(&app, &format!("#/cases?id={id}")).await;
    manager.find(&format!("#case-contacted-{id}")).await;
    manager.click(&format!("#case-contacted-{id}")).await;
    manager
        .wait_text(&format!("#case-{id} .pill"), "Contacted")
        .await;
    manager
        .fill(&format!("#case-note-{id}"), "Called; resting at home.")
        .await;
    manager.click(&format!("#case-add-note-{id}")).await;
    manager
        .wait_text(
            &format!("#case-{id} .case-timeline"),
            "Called; resting at home.",
        )
        .await;
    manager.screenshot("case-desktop").await;
    manager.click(&format!("#case-take-{id}")).await;
    manager
        .wait_text(&format!("#case-{id} .assignee"), "Test manager")
        .await;
    manager.click(&format!("#case-clear-{id}")).await;
    manager
        .wait_text(&format!("#case-{id} .pill"), "Cleared")
        .await;
    manager.close().await;
    let case = app
        .get(&format!("/api/v1/cases/{id}"), &admin_token)
        .await
        .body;
    assert_eq!(case["status"], "cleared", "{case}");
    assert_eq!(case["assignee"]["id"], team.manager_id.as_str());
}

/// An admin adds a DingTalk robot in the settings and sees its last delivery there.
#[tokio::test]
async fn an_admin_adds_a_chat_robot_and_sees_it_deliver() {
    let app = spawn_app().await;
    let team = team(&app).await;
    let receiver = crate::webhooks::Receiver::start();
    let driver = Driver::start().await;
    let admin = driver.browser(1280, 1000).await;
    admin
        .login(&app, &team.admin.email, &team.admin.password)
        .await;
    admin.nav("settings").await;
    admin.find("#webhook-form").await;
    admin
        .fill("#webhook-form [name=url]", "not an address")
        .await;
    admin.click("#webhook-add").await;
    admin
        .wait_text("#webhook-form #err-webhook-url", "http or https")
        .await;
    admin
        .fill(
            "#webhook-form [name=url]",
            &format!(
                "http://127.0.0.1:{}/robot/send?access_token=abc",
                receiver.port
            ),
        )
        .await;
    admin.fill("#webhook-form [name=secret]", "SECret").await;
    admin.click("#webhook-add").await;
    admin.wait_text("#webhook-list", "DingTalk robot").await;
    admin.wait_text("#webhook-list", "nothing sent yet").await;

    let token = app.token(&team.staff_email, &team.password).await;
    let mut fever = healthy_answers();
    fever["temperature"] = json!(38.2);
    let r = app
        .put("/api/v1/checkins/today", &token, &json!({"answers": fever}))
        .await;
    assert_eq!(r.status.as_u16(), 201, "{:?}", r.body);
    app.deliver_all().await;
    assert_eq!(receiver.received().len(), 1);
    admin.nav("dashboard").await;
    admin.nav("settings").await;
    admin.wait_text("#webhook-list .webhook-last", "Sent").await;
    admin.close().await;
}
