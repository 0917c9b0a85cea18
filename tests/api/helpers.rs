use std::path::PathBuf;
use std::sync::Arc;

use actix_web::web;
use chrono::{DateTime, TimeZone, Utc};
use diesel::prelude::*;
use diesel::Connection;
use health_checkin::auth::jwt::LinkTarget;
use health_checkin::auth::Purpose;
use health_checkin::clock::ManualClock;
use health_checkin::config::{DatabaseUrl, LogFormat, Settings};
use health_checkin::db::users::{self, LinkKind, UserRow};
use health_checkin::db::{db_time, new_id};
use health_checkin::jobs::delivery::{deliver_due, DeliveryReport};
use health_checkin::provisioning::{create_organization, NewOrganization};
use health_checkin::startup::Application;
use health_checkin::state::AppState;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tempfile::TempDir;

pub const JWT_SECRET: &str = "test-secret-that-is-long-enough-for-hs256";
pub const PASSWORD: &str = "Spring-rain-42";

/// A fresh database: a SQLite file in a temporary folder, or a new PostgreSQL database that
/// is dropped when this goes out of scope.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub dir: TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub fn new() -> Self {
        Self::ordering_names_by(None)
    }

    /// A fresh database whose text is ordered by the ICU collation of `locale` on PostgreSQL,
    /// as a production server's often is, rather than by bytes; SQLite orders by bytes always.
    pub fn with_icu_collation(locale: &str) -> Self {
        Self::ordering_names_by(Some(locale))
    }

    fn ordering_names_by(icu_locale: Option<&str>) -> Self {
        health_checkin::cli::init_tls();
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(server) => {
                let name = format!("hc_test_{}", uuid_simple());
                let mut admin =
                    diesel::PgConnection::establish(&server).expect("connect to TEST_DATABASE_URL");
                let collation = match icu_locale {
                    Some(locale) => {
                        format!(" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '{locale}'")
                    }
                    None => String::new(),
                };
                diesel::sql_query(format!("CREATE DATABASE {name}{collation}"))
                    .execute(&mut admin)
                    .expect("create test database");
                let mut url = url::Url::parse(&server).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                // Many servers in one test process share libpq; without TLS and GSS their
                // libraries' teardown at process exit cannot race with pool threads.
                for (option, value) in [("sslmode", "disable"), ("gssencmode", "disable")] {
                    if !url.query_pairs().any(|(k, _)| k == option) {
                        url.query_pairs_mut().append_pair(option, value);
                    }
                }
                Self {
                    url: DatabaseUrl::Postgres(url.to_string()),
                    dir,
                    postgres: Some((server, name)),
                }
            }
            None => Self {
                url: DatabaseUrl::Sqlite(dir.path().join("test.sqlite3")),
                dir,
                postgres: None,
            },
        }
    }

    /// The URL as a string, for the binary's DATABASE_URL.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres {
            if let Ok(mut admin) = diesel::PgConnection::establish(server) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin);
            }
        }
    }
}

fn uuid_simple() -> String {
    new_id().replace('-', "")
}

pub fn settings_for(db: &TestDb) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        data_dir: db.dir.path().to_path_buf(),
        database_url: db.url.clone(),
        db_pool_size: 4,
        smtp_url: None,
        mail_from: "Health Check-in <no-reply@test.local>".into(),
        public_url: "http://127.0.0.1:8080".into(),
        jwt_secret: Some(health_checkin::config::Secret::new(JWT_SECRET)),
        jwt_secret_previous: None,
        session_hours: 24 * 7,
        log_format: LogFormat::Pretty,
        // Tests run delivery passes themselves, with the test clock.
        delivery_interval_secs: 0,
        static_dir: None,
        // Tests plan reminder passes themselves too.
        reminder_interval_secs: 0,
        close_interval_secs: 0,
        smtp_connections: 8,
        export_send_timeout_secs: health_checkin::config::DEFAULT_EXPORT_SEND_TIMEOUT_SECS,
        trusted_proxies: Default::default(),
        login_failures_per_client: health_checkin::config::DEFAULT_LOGIN_FAILURES_PER_CLIENT,
        auth_requests_per_minute: health_checkin::config::DEFAULT_AUTH_REQUESTS_PER_MINUTE,
        metrics_token: None,
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub state: web::Data<AppState>,
    /// Kept so the database lives as long as the app.
    pub _db: Arc<TestDb>,
}

pub struct Person {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub password: String,
}

/// A Monday morning in Shanghai: 2020-02-03 09:00 +08:00.
pub fn monday_morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 2, 3, 1, 0, 0).unwrap()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_at(monday_morning()).await
}

pub async fn spawn_app_at(now: DateTime<Utc>) -> TestApp {
    spawn_on(Arc::new(TestDb::new()), now).await
}

/// An app whose mail goes to the SMTP server on `127.0.0.1:port` (see `smtp::TestSmtp`).
pub async fn spawn_app_with_smtp(port: u16) -> TestApp {
    spawn_on_with_smtp(Arc::new(TestDb::new()), port).await
}

/// Another instance with SMTP on the same database.
pub async fn spawn_on_with_smtp(db: Arc<TestDb>, port: u16) -> TestApp {
    let mut settings = settings_for(&db);
    settings.smtp_url = Some(health_checkin::config::Secret::new(format!(
        "smtp://127.0.0.1:{port}"
    )));
    spawn_with_settings(db, monday_morning(), settings).await
}

/// Another instance on the same database, as a second server behind a load balancer.
pub async fn spawn_on(db: Arc<TestDb>, now: DateTime<Utc>) -> TestApp {
    let settings = settings_for(&db);
    spawn_with_settings(db, now, settings).await
}

pub async fn spawn_with_settings(
    db: Arc<TestDb>,
    now: DateTime<Utc>,
    settings: Settings,
) -> TestApp {
    if std::env::var_os("RUST_LOG").is_some() {
        health_checkin::telemetry::init(LogFormat::Pretty);
    }
    let clock = ManualClock::new(now);
    let app = Application::build_with_clock(settings, clock.clone()).expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        // Idle connections are let go well before the server's keep-alive (5 s) ends them:
        // a request sent on one the server is closing at that moment fails as incomplete.
        client: reqwest::Client::builder()
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .expect("HTTP client"),
        clock,
        state,
        _db: db,
    }
}

pub struct Response {
    pub status: StatusCode,
    pub body: Value,
}

impl Response {
    /// The contract's error code, when this is an error.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.body["error"]["fields"][name].as_str()
    }

    /// The code and parameters `error.details` gives for field `name`, as `(code, params)`.
    pub fn problem(&self, name: &str) -> Option<(&str, &Value)> {
        let detail = self.body["error"]["details"]
            .as_array()?
            .iter()
            .find(|d| d["field"] == name)?;
        Some((detail["code"].as_str()?, &detail["params"]))
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Response {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let text = response.text().await.expect("body read");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
        };
        Response { status, body }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send(self.client.get(self.url(path)).bearer_auth(token))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Response {
        self.send(
            self.client
                .put(self.url(path))
                .bearer_auth(token)
                .json(body),
        )
        .await
    }

    /// Any method, with a token and an optional JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request).await
    }

    pub async fn post_as(&self, path: &str, token: &str, body: &Value) -> Response {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.call(reqwest::Method::PATCH, path, token, Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.call(reqwest::Method::DELETE, path, token, None).await
    }

    pub async fn post_csv(
        &self,
        path: &str,
        token: &str,
        csv: impl Into<reqwest::Body>,
    ) -> Response {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .header("Content-Type", "text/csv")
                .body(csv),
        )
        .await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/v1/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// A login token for a person, made in-process with the server's own key code at the
    /// test clock: for many people at once, with no login (and no login limit) in between.
    pub fn issued_token(&self, user_id: &str, org_id: &str) -> String {
        let (token, _) = self
            .state
            .jwt
            .issue(
                user_id,
                org_id,
                0,
                Purpose::Login,
                self.clock_now(),
                chrono::Duration::hours(1),
            )
            .expect("token");
        token
    }

    pub async fn token_for(&self, person: &Person) -> String {
        self.token(&person.email, &person.password).await
    }

    /// Logs in and returns the bearer token; the login must succeed.
    pub async fn token(&self, email: &str, password: &str) -> String {
        let r = self.login(email, password).await;
        assert_eq!(r.status, StatusCode::OK, "login of {email}: {:?}", r.body);
        r.body["token"].as_str().expect("token").to_string()
    }

    /// One pass of the mail delivery loop (tests run it themselves, on the test clock).
    pub async fn deliver(&self) -> DeliveryReport {
        deliver_due(&self.state).await.expect("delivery pass")
    }

    /// Delivery passes until one finds nothing to send; their reports added up.
    pub async fn deliver_all(&self) -> DeliveryReport {
        let mut total = DeliveryReport::default();
        loop {
            let r = self.deliver().await;
            total.claimed += r.claimed;
            total.sent += r.sent;
            total.retrying += r.retrying;
            total.failed += r.failed;
            total.skipped += r.skipped;
            if r.claimed == 0 {
                return total;
            }
        }
    }

    /// Waits until the work handlers left running after answering (reset mails) is done.
    pub async fn detached_work_done(&self) {
        self.state.detached.finished().await;
    }

    /// Runs database work on the application's own pool.
    /// Stores settings the server cannot read for an organization (a reminder at 25:00), as a
    /// damaged row or a bad hand edit would leave them: its requests then fail with a 500.
    pub async fn damage_settings(&self, org_id: &str) {
        use diesel::prelude::*;
        use health_checkin::db::schema::organizations;
        let org_id = org_id.to_string();
        self.with_db(move |conn| {
            diesel::update(organizations::table.find(&org_id))
                .set(organizations::settings.eq(r#"{"reminder_times":["25:00"]}"#))
                .execute(conn)
                .expect("settings damaged")
        })
        .await;
    }

    pub async fn with_db<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut health_checkin::db::DbConn) -> T + Send + 'static,
    ) -> T {
        let pool = self.state.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().expect("pooled connection");
            work(&mut conn)
        })
        .await
        .expect("database work")
    }

    /// A new organization with an admin who has a password.
    pub async fn create_org(&self, name: &str, timezone: &str) -> Person {
        let email = format!("admin-{}@{}.test", uuid_simple(), name.to_lowercase());
        let new = NewOrganization {
            name: name.into(),
            timezone: timezone.into(),
            admin_email: email.clone(),
            admin_name: None,
            admin_password: Some(PASSWORD.into()),
        };
        let state = self.state.clone();
        let now = self.clock_now();
        let created = self
            .with_db(move |conn| {
                create_organization(conn, &state.jwt, &state.settings.public_url, now, new)
                    .map_err(|e| e.to_string())
            })
            .await
            .expect("organization created");
        Person {
            id: created.admin.id,
            org_id: created.org.id,
            email,
            password: PASSWORD.into(),
        }
    }

    /// Adds a person to an organization, with an own time zone when given. They joined four
    /// weeks before the clock's now, so every day a test files late was owed.
    pub async fn add_person(&self, org_id: &str, role: &str, timezone: Option<&str>) -> Person {
        let joined = self.clock_now() - chrono::Duration::days(28);
        self.add_person_joined(org_id, role, timezone, joined).await
    }

    /// Adds a person who joined at `joined`.
    pub async fn add_person_joined(
        &self,
        org_id: &str,
        role: &str,
        timezone: Option<&str>,
        joined: DateTime<Utc>,
    ) -> Person {
        let email = format!("{role}-{}@example.test", uuid_simple());
        let now = db_time(joined);
        let row = UserRow {
            id: new_id(),
            org_id: org_id.into(),
            email: email.clone(),
            name: format!("Test {role}"),
            employee_no: None,
            role: role.into(),
            department_id: None,
            password_hash: Some(health_checkin::auth::password::hash(PASSWORD).unwrap()),
            token_version: 0,
            active: true,
            timezone: timezone.map(str::to_string),
            locale: None,
            created_at: now,
            updated_at: now,
            deactivated_at: None,
        };
        let id = row.id.clone();
        self.with_db(move |conn| users::insert(conn, &row).expect("person inserted"))
            .await;
        Person {
            id,
            org_id: org_id.into(),
            email,
            password: PASSWORD.into(),
        }
    }

    /// An organization in Asia/Shanghai with one staff member, logged in.
    /// `n` staff in a department at once, all with the password `PASSWORD` (hashed once).
    pub async fn add_people_in(
        &self,
        org_id: &str,
        department_id: Option<&str>,
        n: usize,
    ) -> Vec<Person> {
        let hash = health_checkin::auth::password::hash(PASSWORD).unwrap();
        let now = db_time(self.clock_now());
        let rows: Vec<UserRow> = (0..n)
            .map(|i| UserRow {
                id: new_id(),
                org_id: org_id.into(),
                email: format!("person-{i:04}-{}@example.test", uuid_simple()),
                name: format!("Person {i:04}"),
                employee_no: None,
                role: "staff".into(),
                department_id: department_id.map(str::to_string),
                password_hash: Some(hash.clone()),
                token_version: 0,
                active: true,
                timezone: None,
                locale: None,
                created_at: now,
                updated_at: now,
                deactivated_at: None,
            })
            .collect();
        let people = rows
            .iter()
            .map(|r| Person {
                id: r.id.clone(),
                org_id: org_id.into(),
                email: r.email.clone(),
                password: PASSWORD.into(),
            })
            .collect();
        self.with_db(move |conn| users::insert_many(conn, &rows).expect("people inserted"))
            .await;
        people
    }

    pub async fn staff(&self) -> (Person, String) {
        let admin = self.create_org("Acme", "Asia/Shanghai").await;
        let staff = self.add_person(&admin.org_id, "staff", None).await;
        let token = self.token_for(&staff).await;
        (staff, token)
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        use health_checkin::clock::Clock;
        self.clock.now()
    }

    pub async fn count_rows(&self, sql: &'static str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        self.with_db(move |conn| {
            diesel::sql_query(sql)
                .get_result::<Count>(conn)
                .expect("count query")
                .n
        })
        .await
    }
}

/// Gives a person created through the API a password, as their invitation link would.
pub async fn login_as(app: &TestApp, employee: &Value) -> String {
    let id = employee["id"].as_str().unwrap();
    let token = app.link_for(id, Purpose::Invitation).await;
    let r = app
        .post(
            "/api/v1/auth/set-password",
            &json!({"token": token, "password": "Summer-wind-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["token"].as_str().unwrap().to_string()
}

impl TestApp {
    /// The token of the person's latest set-password link of `purpose`, as their mail has
    /// it: bound to their address and the link's number, valid for a day.
    pub async fn link_for(&self, person_id: &str, purpose: Purpose) -> String {
        let kind = match purpose {
            Purpose::Reset => LinkKind::Reset,
            _ => LinkKind::Invitation,
        };
        let id = person_id.to_string();
        let (user, number) = self
            .with_db(move |conn| {
                let (user, _) = users::find_with_org(conn, &id).unwrap().unwrap();
                let number = users::latest_link_number(conn, &id, kind).unwrap();
                (user, number)
            })
            .await;
        let target = LinkTarget {
            user_id: &user.id,
            org_id: &user.org_id,
            token_version: user.token_version,
            email: &user.email,
            number,
        };
        self.state
            .jwt
            .issue_link(
                &target,
                purpose,
                self.clock_now(),
                chrono::Duration::days(1),
            )
            .unwrap()
    }
}

pub fn healthy_answers() -> Value {
    json!({
        "temperature": 36.5,
        "symptoms": [],
        "location": "Shanghai",
        "work_status": "remote",
        "close_contact": false,
        "travel_to_risk_area": false,
        "health_code": "green"
    })
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_health-checkin"))
}
