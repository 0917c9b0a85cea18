//! A small in-memory sliding window, per key, driven by the injected clock.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

pub struct RateLimiter {
    limit: usize,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl RateLimiter {
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a hit for `key`; `Err(seconds)` says how long until the next one is allowed.
    pub fn hit(&self, key: &str, now: DateTime<Utc>) -> Result<(), u64> {
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let cutoff = now - self.window;
        // Forget keys that went quiet so the map does not grow without bound.
        if hits.len() > 10_000 {
            hits.retain(|_, times| times.back().is_some_and(|t| *t > cutoff));
        }
        let times = hits.entry(key.to_string()).or_default();
        while times.front().is_some_and(|t| *t <= cutoff) {
            times.pop_front();
        }
        if times.len() >= self.limit {
            let oldest = times.front().copied().unwrap_or(now);
            let wait = (oldest + self.window - now).num_seconds().max(1);
            return Err(wait as u64);
        }
        times.push_back(now);
        Ok(())
    }

    pub fn forget(&self, key: &str) {
        self.hits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn allows_up_to_the_limit_then_says_how_long_to_wait() {
        let limiter = RateLimiter::new(2, Duration::minutes(10));
        let t0 = Utc.with_ymd_and_hms(2020, 2, 3, 9, 0, 0).unwrap();
        assert!(limiter.hit("k", t0).is_ok());
        assert!(limiter.hit("k", t0 + Duration::minutes(1)).is_ok());
        assert_eq!(limiter.hit("k", t0 + Duration::minutes(2)), Err(480));
        assert!(limiter.hit("other", t0).is_ok());
        assert!(limiter.hit("k", t0 + Duration::minutes(10)).is_ok());
    }
}
