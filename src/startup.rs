//! Builds the application from settings: pool, migrations, keys, and a bound HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{ErrorHandlers, NormalizePath, TrailingSlash};
use actix_web::{web, App, HttpServer};

use crate::auth::jwt::load_keys;
use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::email::Mailer;
use crate::jobs::{self, delivery, reminders};
use crate::routes;
use crate::state::AppState;
use crate::telemetry;
use tokio::task::JoinHandle;
use tracing::Instrument;

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    jobs: Vec<JoinHandle<()>>,
}

/// How long stopping waits for the background jobs' runs under way, such as a mail batch's
/// sends in flight (each at most `SEND_TIMEOUT`).
const JOBS_STOP_WITHIN: std::time::Duration = std::time::Duration::from_secs(40);

/// Starts the background jobs; an interval of 0 turns a job off (tests then run its passes
/// themselves). Delivery runs on every instance, each claiming its own rows; the scheduled
/// passes run on one instance at a time.
fn spawn_jobs(
    state: &web::Data<AppState>,
    delivery_every: u64,
    reminders_every: u64,
    closing_every: u64,
) -> Vec<JoinHandle<()>> {
    let every = std::time::Duration::from_secs;
    let mut handles = Vec::new();
    if delivery_every > 0 {
        handles.push(jobs::spawn_every(
            "mail delivery",
            every(delivery_every),
            state.clone(),
            delivery::delivery_pass,
        ));
    }
    if reminders_every > 0 {
        handles.push(jobs::spawn_on_one_instance(
            "reminder passes",
            jobs::REMINDER_PASSES,
            every(reminders_every),
            state.clone(),
            reminders::plan_due_passes,
        ));
    }
    if closing_every > 0 {
        handles.push(jobs::spawn_on_one_instance(
            "closing days",
            jobs::CLOSING_DAYS,
            every(closing_every),
            state.clone(),
            jobs::closing::close_past_days,
        ));
        // Purging keeps the stored days' numbers: it runs where days are closed.
        handles.push(jobs::spawn_on_one_instance(
            "retention",
            jobs::PURGING,
            jobs::retention::EVERY,
            state.clone(),
            jobs::retention::purge,
        ));
    }
    handles.push(jobs::spawn_every(
        "metrics upkeep",
        std::time::Duration::from_secs(5),
        state.clone(),
        |state| async move {
            state.metrics.upkeep();
            Ok(jobs::Ran::Idle)
        },
    ));
    handles.push(jobs::spawn_on_one_instance(
        "forgetting what expired",
        jobs::FORGETTING_EXPIRED,
        jobs::expiry::EVERY,
        state.clone(),
        jobs::expiry::forget_expired,
    ));
    handles
}

/// Opens the database and brings its schema up to date.
pub fn prepare_database(settings: &Settings) -> anyhow::Result<Pool> {
    let pool = db::connect_pool(&settings.database_url, settings.db_pool_size)?;
    let mut conn = pool.get()?;
    let applied = db::run_migrations(&mut conn)?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "database schema updated");
    }
    Ok(pool)
}

impl Application {
    pub fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock))
    }

    pub fn build_with_clock(settings: Settings, clock: SharedClock) -> anyhow::Result<Self> {
        crate::memory::release_large_blocks_at_once();
        let pool = prepare_database(&settings)?;
        warn_about_open_folders(&settings);
        let (jwt, secret_source) = {
            let mut conn = pool.get()?;
            load_keys(&settings, &mut conn, clock.now().naive_utc())?
        };
        tracing::info!(source = secret_source.describe(), "session signing secret");
        let mailer = Mailer::from_settings(&settings)?;
        tracing::info!(mailer = ?mailer, "mail backend");
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("HC_BIND: cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let delivery_every = settings.delivery_interval_secs;
        let reminders_every = settings.reminder_interval_secs;
        let closing_every = settings.close_interval_secs;
        let state = web::Data::new(AppState::new(settings, pool, clock, jwt, mailer));
        let server = run(listener, state.clone())?;
        let jobs = spawn_jobs(&state, delivery_every, reminders_every, closing_every);
        Ok(Self {
            port,
            server,
            state,
            jobs,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Whether the database has no organization yet, as on the very first start.
    pub async fn first_start(&self) -> bool {
        let count = self
            .state
            .db(|conn| Ok(db::organizations::count(conn)?))
            .await;
        matches!(count, Ok(0))
    }

    /// Serves until SIGTERM or Ctrl-C. On SIGTERM the server stops taking connections and
    /// finishes its requests (actix stops at once on Ctrl-C); either way the jobs take no new
    /// work, and a mail batch finishes the mails in flight and gives the rest back for the
    /// next instance or start.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let state = self.state.clone();
        let on_signal = tokio::spawn(async move {
            stop_signal().await;
            tracing::info!("stopping: background jobs take no new work");
            state.stopping.begin();
        });
        let served = self.server.await;
        self.state.stopping.begin();
        let jobs = futures_util::future::join_all(self.jobs);
        if tokio::time::timeout(JOBS_STOP_WITHIN, jobs).await.is_err() {
            tracing::warn!("background jobs were still running when the process stopped");
        }
        on_signal.abort();
        served
    }
}

/// SIGTERM, or Ctrl-C (SIGINT), whichever comes first; the HTTP server hears them too.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn run(listener: TcpListener, state: web::Data<AppState>) -> anyhow::Result<Server> {
    let static_dir = state.settings.static_dir.clone();
    let server = HttpServer::new(move || {
        let static_dir = static_dir.clone();
        let metrics = state.metrics.clone();
        App::new()
            .app_data(state.clone())
            .wrap(ErrorHandlers::new().default_handler(routes::json_errors))
            .wrap(NormalizePath::new(TrailingSlash::Trim))
            .wrap_fn(move |req, srv| {
                let started = Instant::now();
                let method = req.method().clone();
                // The path only: query strings may carry things that do not belong in logs.
                let path = req.path().to_string();
                let id = telemetry::request_id_from(
                    req.headers()
                        .get(telemetry::REQUEST_ID_HEADER)
                        .and_then(|v| v.to_str().ok()),
                );
                let span = tracing::info_span!("request", request_id = %id);
                let fut =
                    telemetry::with_request_id(id.clone(), srv.call(req).instrument(span.clone()));
                let metrics = metrics.clone();
                async move {
                    let mut res = fut.await?;
                    // The pattern, not the path: ids in paths would make a series each.
                    let route = res.request().match_pattern();
                    metrics.request(
                        crate::metrics::method_label(&method),
                        route.as_deref().unwrap_or("unmatched"),
                        res.status().as_u16(),
                        started.elapsed().as_secs_f64(),
                    );
                    routes::pages::add_page_headers(&mut res);
                    if let Ok(value) = HeaderValue::from_str(&id) {
                        res.headers_mut()
                            .insert(HeaderName::from_static(telemetry::REQUEST_ID_HEADER), value);
                    }
                    span.in_scope(|| {
                        tracing::info!(
                            %method,
                            %path,
                            status = res.status().as_u16(),
                            ms = started.elapsed().as_millis() as u64,
                            "request"
                        )
                    });
                    Ok(res)
                }
            })
            .configure(routes::configure)
            // After the API, so that its routes and its JSON 404 come first.
            .configure(move |cfg| routes::pages::configure(cfg, static_dir.as_deref()))
            .default_service(web::to(routes::not_found))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// The folders that hold personal data, when other local users can read them.
fn warn_about_open_folders(settings: &Settings) {
    let mut folders = vec![settings.data_dir.clone()];
    if let crate::config::DatabaseUrl::Sqlite(path) = &settings.database_url {
        folders.extend(
            path.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(Into::into),
        );
    }
    folders.dedup();
    for folder in folders.iter().filter(|f| f.is_dir()) {
        crate::private_files::warn_if_open_to_others(folder);
    }
}
