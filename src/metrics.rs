//! What an operator's Prometheus scrapes at `/metrics`: request latency by route, the
//! database pool and SQLite's writer, the outbox and mail, reminder passes, check-ins and
//! failed logins.
//!
//! Each application has its own recorder rather than the process-wide one, so that several
//! applications in one process (the tests) count apart.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use metrics::{Counter, Key, KeyName, Label, Level, Metadata, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use crate::db::group_commit::WriterMetrics;

/// Request latency buckets in seconds: most answers take milliseconds; exports take seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The SQLite writer's batches and commits take from a tenth of a millisecond up.
const WRITER_SECONDS_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];
/// Up to the most jobs a writer's batch holds: batches near it mean the writer is full.
const WRITER_JOBS_BUCKETS: &[f64] = &[
    1.0,
    2.0,
    4.0,
    8.0,
    16.0,
    32.0,
    64.0,
    128.0,
    crate::db::group_commit::MOST_PER_BATCH as f64,
];

const REQUEST_SECONDS: &str = "hc_http_request_duration_seconds";
const CHECKINS: &str = "hc_checkins_total";
const FAILED_LOGINS: &str = "hc_failed_logins_total";
const FIRST_CHECKINS_IN_BATCHES: &str = "hc_first_checkins_in_batches_total";
const MAILS: &str = "hc_mails_total";
const REMINDER_PASSES: &str = "hc_reminder_passes_planned_total";
const REMINDERS: &str = "hc_reminders_queued_total";
const POOL_CONNECTIONS: &str = "hc_db_pool_connections";
const POOL_MAX: &str = "hc_db_pool_max_connections";
const POOL_WAITING: &str = "hc_db_pool_waiting";
const OUTBOX_ROWS: &str = "hc_outbox_rows";
const OUTBOX_OVERDUE: &str = "hc_outbox_oldest_due_seconds";
const WRITER_BATCH_SECONDS: &str = "hc_db_writer_batch_seconds";
const WRITER_COMMIT_SECONDS: &str = "hc_db_writer_commit_seconds";
const WRITER_BATCH_JOBS: &str = "hc_db_writer_batch_jobs";

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

/// What the outbox holds now, read when scraped.
#[derive(Debug, Default)]
pub struct OutboxGauges {
    /// Rows not sent (pending, sending, failed) by status and kind.
    pub rows: Vec<(String, String, i64)>,
    /// How long the oldest pending row has been due, in seconds; 0 when none is.
    pub oldest_due_secs: i64,
}

/// The database pool now.
#[derive(Debug, Clone, Copy)]
pub struct PoolGauges {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// A request's method as a label: the ones the API answers, else `other`, since a client
/// may send any word as a method and each would make a series of its own.
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    failed_logins: Counter,
    first_checkins_in_batches: Counter,
    /// Callers waiting for a pooled connection now.
    pool_waiting: Arc<AtomicI64>,
    /// Every (status, kind) of the outbox gauge shown so far: one with no rows now is shown
    /// as 0, not left at its last count.
    outbox_series: std::sync::Mutex<std::collections::BTreeSet<(String, String)>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        // The buckets are constant and never empty; a refusal (of any of them) would only
        // leave every histogram a summary instead.
        let buckets = |builder: PrometheusBuilder, name: &str, values: &[f64]| {
            builder.set_buckets_for_metric(Matcher::Full(name.to_string()), values)
        };
        let builder = PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS)
            .and_then(|b| buckets(b, WRITER_BATCH_SECONDS, WRITER_SECONDS_BUCKETS))
            .and_then(|b| buckets(b, WRITER_COMMIT_SECONDS, WRITER_SECONDS_BUCKETS))
            .and_then(|b| buckets(b, WRITER_BATCH_JOBS, WRITER_JOBS_BUCKETS))
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let text = SharedString::const_str;
        let name = KeyName::from_const_str;
        recorder.describe_histogram(
            name(REQUEST_SECONDS),
            Some(Unit::Seconds),
            text("Time to answer a request, by method, route pattern and status."),
        );
        for (histogram, unit, help) in [
            (
                WRITER_BATCH_SECONDS,
                Some(Unit::Seconds),
                "SQLite: time from the writer taking a batch of writes (its wait for a connection included) to answering it; its rate is the share of the time the one writer is busy.",
            ),
            (
                WRITER_COMMIT_SECONDS,
                Some(Unit::Seconds),
                "SQLite: time the writer spends committing a batch, most of it waiting for the disk.",
            ),
            (
                WRITER_BATCH_JOBS,
                None,
                "SQLite: writes in a batch of the writer.",
            ),
        ] {
            recorder.describe_histogram(name(histogram), unit, text(help));
        }
        for (counter, help) in [
            (CHECKINS, "Check-ins stored, by outcome: created, corrected or unchanged."),
            (FAILED_LOGINS, "Logins refused for a wrong e-mail or password."),
            (FIRST_CHECKINS_IN_BATCHES, "First check-ins of the day stored by a batch; the others of the morning were stored one by one."),
            (MAILS, "Mails handled by delivery, by outcome: sent, failed (given up), retried, released (given back at a stop)."),
            (REMINDER_PASSES, "Reminder passes planned that queued at least one mail."),
            (REMINDERS, "Reminders and digests queued by reminder passes."),
        ] {
            recorder.describe_counter(name(counter), None, text(help));
        }
        for (gauge, unit, help) in [
            (
                POOL_CONNECTIONS,
                None,
                "Database connections of the pool, by state: in_use or idle.",
            ),
            (
                POOL_MAX,
                None,
                "The most database connections the pool opens.",
            ),
            (
                POOL_WAITING,
                None,
                "Requests waiting for a database connection.",
            ),
            (
                OUTBOX_ROWS,
                None,
                "Outbox rows not sent, by status (pending, sending, failed) and kind.",
            ),
            (
                OUTBOX_OVERDUE,
                Some(Unit::Seconds),
                "How long the oldest pending outbox row has been due.",
            ),
        ] {
            recorder.describe_gauge(name(gauge), unit, text(help));
        }
        let failed_logins =
            recorder.register_counter(&Key::from_static_name(FAILED_LOGINS), &METADATA);
        let first_checkins_in_batches =
            recorder.register_counter(&Key::from_static_name(FIRST_CHECKINS_IN_BATCHES), &METADATA);
        Self {
            recorder,
            handle,
            failed_logins,
            first_checkins_in_batches,
            pool_waiting: Arc::new(AtomicI64::new(0)),
            outbox_series: Default::default(),
        }
    }

    fn counter(&self, name: &'static str, label: (&'static str, &'static str)) -> Counter {
        let key = Key::from_parts(name, vec![Label::from_static_parts(label.0, label.1)]);
        self.recorder.register_counter(&key, &METADATA)
    }

    /// One answered request; `route` is the matched pattern, never the path itself, so
    /// that ids in paths do not make a series each.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let key = Key::from_parts(
            REQUEST_SECONDS,
            vec![
                Label::new("method", method.to_string()),
                Label::new("route", route.to_string()),
                Label::new("status", status.to_string()),
            ],
        );
        self.recorder
            .register_histogram(&key, &METADATA)
            .record(seconds);
    }

    pub fn checkin(&self, outcome: &'static str) {
        self.counter(CHECKINS, ("outcome", outcome)).increment(1);
    }

    /// A first check-in stored by a batch (`db::first_checkins`), counted besides `checkin`.
    pub fn first_checkin_in_batch(&self) {
        self.first_checkins_in_batches.increment(1);
    }

    /// Where SQLite's writer records what its batches cost (`db::group_commit`).
    pub fn writer(&self) -> WriterMetrics {
        let histogram = |name: &'static str| {
            self.recorder
                .register_histogram(&Key::from_static_name(name), &METADATA)
        };
        WriterMetrics {
            batch_seconds: histogram(WRITER_BATCH_SECONDS),
            commit_seconds: histogram(WRITER_COMMIT_SECONDS),
            batch_jobs: histogram(WRITER_BATCH_JOBS),
        }
    }

    pub fn failed_login(&self) {
        self.failed_logins.increment(1);
    }

    pub fn mails(&self, sent: usize, failed: usize, retried: usize, released: usize) {
        for (outcome, n) in [
            ("sent", sent),
            ("failed", failed),
            ("retried", retried),
            ("released", released),
        ] {
            if n > 0 {
                self.counter(MAILS, ("outcome", outcome))
                    .increment(n as u64);
            }
        }
    }

    pub fn reminder_pass(&self, queued: usize) {
        self.recorder
            .register_counter(&Key::from_static_name(REMINDER_PASSES), &METADATA)
            .increment(1);
        self.recorder
            .register_counter(&Key::from_static_name(REMINDERS), &METADATA)
            .increment(queued as u64);
    }

    /// Counts a caller waiting for a pooled connection until the guard is dropped.
    pub fn waiting_for_connection(&self) -> WaitingGuard {
        self.pool_waiting.fetch_add(1, Ordering::Relaxed);
        WaitingGuard(self.pool_waiting.clone())
    }

    /// How many callers wait for a pooled connection now.
    pub fn waiting_for_connection_now(&self) -> i64 {
        self.pool_waiting.load(Ordering::Relaxed)
    }

    /// The exposition text, with the gauges read now.
    pub fn render(&self, pool: PoolGauges, outbox: &OutboxGauges) -> String {
        let gauge = |name: &'static str, labels: Vec<Label>, value: f64| {
            self.recorder
                .register_gauge(&Key::from_parts(name, labels), &METADATA)
                .set(value);
        };
        gauge(
            POOL_CONNECTIONS,
            vec![Label::new("state", "in_use")],
            f64::from(pool.open.saturating_sub(pool.idle)),
        );
        gauge(
            POOL_CONNECTIONS,
            vec![Label::new("state", "idle")],
            f64::from(pool.idle),
        );
        gauge(POOL_MAX, vec![], f64::from(pool.max));
        gauge(
            POOL_WAITING,
            vec![],
            self.pool_waiting.load(Ordering::Relaxed).max(0) as f64,
        );
        let mut series = self
            .outbox_series
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Every status at least once, so that an alert on it has a series to read.
        for status in ["pending", "sending", "failed"] {
            series.insert((status.to_string(), "all".to_string()));
        }
        for (status, kind, _) in &outbox.rows {
            series.insert((status.clone(), kind.clone()));
        }
        for (status, kind) in series.iter() {
            let now = if kind == "all" {
                outbox
                    .rows
                    .iter()
                    .filter(|(s, _, _)| s == status)
                    .map(|(_, _, n)| *n)
                    .sum()
            } else {
                outbox
                    .rows
                    .iter()
                    .find(|(s, k, _)| s == status && k == kind)
                    .map_or(0, |(_, _, n)| *n)
            };
            gauge(
                OUTBOX_ROWS,
                vec![
                    Label::new("status", status.clone()),
                    Label::new("kind", kind.clone()),
                ],
                now as f64,
            );
        }
        drop(series);
        gauge(OUTBOX_OVERDUE, vec![], outbox.oldest_due_secs.max(0) as f64);
        self.handle.render()
    }

    /// Moves recorded latencies into their buckets; without a scrape they would pile up.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }
}

pub struct WaitingGuard(Arc<AtomicI64>);

impl Drop for WaitingGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
