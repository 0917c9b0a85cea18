//! Concurrent clients against a server, and their latencies.

use std::time::{Duration, Instant};

/// Latencies of successful requests, and how many failed.
#[derive(Default)]
pub struct Timings {
    pub took: Vec<Duration>,
    pub failed: usize,
    pub elapsed: Duration,
}

impl Timings {
    pub fn merge(mut self, other: Timings) -> Self {
        self.took.extend(other.took);
        self.failed += other.failed;
        self.elapsed = self.elapsed.max(other.elapsed);
        self
    }

    pub fn per_sec(&self) -> f64 {
        self.took.len() as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile_ms(&self, p: f64) -> f64 {
        let mut sorted = self.took.clone();
        sorted.sort();
        match sorted.len() {
            0 => f64::NAN,
            n => sorted[((n as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0,
        }
    }

    pub fn line(&self, label: &str) -> String {
        format!(
            "{label:<28} {:>6.0} req/s   p50 {:>6.1} ms   p99 {:>7.1} ms   ({} ok, {} failed)",
            self.per_sec(),
            self.percentile_ms(0.5),
            self.percentile_ms(0.99),
            self.took.len(),
            self.failed
        )
    }
}

/// `clients` loops, each sending the request `make` builds until `time` is up.
pub async fn load(
    clients: usize,
    time: Duration,
    make: impl Fn(usize) -> reqwest::RequestBuilder,
) -> Timings {
    let requests: Vec<reqwest::RequestBuilder> = (0..clients).map(make).collect();
    drive(
        clients,
        time,
        move |client| requests[client].try_clone(),
        |status| status.is_success(),
    )
    .await
}

/// `clients` loops, each sending what `next` gives it (given the loop's number) until `time`
/// is up or `next` gives nothing; an answer counts when `counts` says so.
pub async fn drive(
    clients: usize,
    time: Duration,
    next: impl Fn(usize) -> Option<reqwest::RequestBuilder> + Send + Sync + 'static,
    counts: fn(reqwest::StatusCode) -> bool,
) -> Timings {
    let started = Instant::now();
    let until = started + time;
    let next = std::sync::Arc::new(next);
    let loops = (0..clients).map(|n| {
        let next = next.clone();
        tokio::spawn(async move {
            let mut timings = Timings::default();
            while Instant::now() < until {
                let Some(request) = next(n) else {
                    break;
                };
                let sent = Instant::now();
                match request.send().await {
                    Ok(r) if counts(r.status()) => {
                        let _ = r.bytes().await;
                        timings.took.push(sent.elapsed());
                    }
                    _ => timings.failed += 1,
                }
            }
            timings.elapsed = started.elapsed();
            timings
        })
    });
    let mut total = Timings::default();
    for done in futures_util::future::join_all(loops).await {
        total = total.merge(done.unwrap_or_default());
    }
    total
}
