//! A cheap guard in front of the anonymous endpoints (log in, set a password, forgot
//! password): one client's flood is refused in memory, before it takes a blocking thread, a
//! pooled connection or a password hash from everyone else. The limits that matter for
//! security are counted in the database (`services::limits`); this one is per instance and
//! only keeps floods off the shared resources.
//!
//! Memory stays bounded: a client is kept only while its allowance is not whole again, and
//! those that are get swept out every few seconds.

use std::future::{ready, Ready};
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderName};
use actix_web::{web, FromRequest, HttpRequest};
use governor::clock::{Clock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

use super::client::ClientKey;
use crate::clock::SharedClock;
use crate::error::ApiError;
use crate::state::AppState;

/// How often clients whose allowance is whole again are forgotten.
const SWEEP_EVERY: Nanos = Nanos::new(10 * 1_000_000_000);

type Limiter =
    RateLimiter<ClientKey, HashMapStateStore<ClientKey>, InjectedClock, NoOpMiddleware<Nanos>>;

pub struct FloodGuard {
    /// None when turned off.
    limiter: Option<Limiter>,
    last_sweep: AtomicU64,
}

impl FloodGuard {
    /// `per_minute` requests per client, at once or spread out; 0 turns the guard off.
    pub fn new(per_minute: u32, clock: SharedClock) -> Self {
        let clock = InjectedClock {
            clock,
            latest: AtomicU64::new(0),
        };
        let limiter = NonZeroU32::new(per_minute)
            .map(|n| RateLimiter::hashmap_with_clock(Quota::per_minute(n), clock));
        Self {
            limiter,
            last_sweep: AtomicU64::new(0),
        }
    }

    /// `Err(seconds)` to wait when `client` has used its allowance.
    pub fn admit(&self, client: &ClientKey) -> Result<(), u64> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        self.sweep(limiter);
        limiter.check_key(client).map_err(|not_until| {
            let wait = not_until.wait_time_from(limiter.clock().now());
            wait.as_millis().div_ceil(1000).max(1) as u64
        })
    }

    /// Clients known to the guard now.
    pub fn clients(&self) -> usize {
        self.limiter.as_ref().map_or(0, |l| l.len())
    }

    /// At most once per `SWEEP_EVERY`, by whichever request comes first.
    fn sweep(&self, limiter: &Limiter) {
        let now = limiter.clock().now();
        let last = Nanos::from(self.last_sweep.load(Ordering::Relaxed));
        if now.duration_since(last) < SWEEP_EVERY {
            return;
        }
        let claimed = self.last_sweep.compare_exchange(
            last.as_u64(),
            now.as_u64(),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
        if claimed.is_ok() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// The application's clock as the guard reads it: nanoseconds since 1970 that never go back,
/// so that tests which set the clock back do not leave a client waiting until it comes again.
struct InjectedClock {
    clock: SharedClock,
    latest: AtomicU64,
}

impl Clock for InjectedClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let now = self
            .clock
            .now()
            .timestamp_nanos_opt()
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        Nanos::from(self.latest.fetch_max(now, Ordering::Relaxed).max(now))
    }
}

/// A caller without a token, named by the address limits count them by (their own, or the
/// one our trusted proxies forwarded), and admitted by the flood guard: taking this in a
/// handler refuses a flood with 429 and `Retry-After`, before its body is read.
pub struct AnonymousClient(pub ClientKey);

impl FromRequest for AnonymousClient {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(anonymous_client(req))
    }
}

fn anonymous_client(req: &HttpRequest) -> Result<AnonymousClient, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no app state")))?;
    // Only a test request has no peer; all of them count as one client.
    let peer = req
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    let x_forwarded_for = joined(req, &header::X_FORWARDED_FOR);
    let forwarded = joined(req, &header::FORWARDED);
    let client = state.settings.trusted_proxies.client_of(
        peer,
        x_forwarded_for.as_deref(),
        forwarded.as_deref(),
    );
    let key = ClientKey::of(client);
    state
        .flood_guard
        .admit(&key)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    Ok(AnonymousClient(key))
}

/// Every line of a header as one list: a proxy may add its own line rather than extend the
/// client's, and reading only the first would believe the client.
fn joined(req: &HttpRequest, name: &HeaderName) -> Option<String> {
    let lines: Vec<&str> = req
        .headers()
        .get_all(name)
        .map(|value| value.to_str().unwrap_or("unreadable"))
        .collect();
    (!lines.is_empty()).then(|| lines.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn a_client_gets_its_allowance_then_waits_and_is_forgotten_when_whole_again() {
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2020, 2, 3, 9, 0, 0).unwrap());
        let guard = FloodGuard::new(60, clock.clone());
        let a = ClientKey::of("192.0.2.1".parse().unwrap());
        let b = ClientKey::of("192.0.2.2".parse().unwrap());
        for _ in 0..60 {
            assert_eq!(guard.admit(&a), Ok(()));
        }
        assert_eq!(guard.admit(&a), Err(1));
        assert_eq!(guard.admit(&b), Ok(()));
        clock.advance(Duration::seconds(1));
        assert_eq!(guard.admit(&a), Ok(()));
        assert_eq!(guard.clients(), 2);
        // A clock set back changes nothing; a minute later both are whole and swept out.
        clock.advance(Duration::hours(-1));
        assert_eq!(guard.admit(&a), Err(1));
        clock.advance(Duration::minutes(62));
        assert_eq!(guard.admit(&b), Ok(()));
        assert_eq!(guard.clients(), 1);
    }

    #[test]
    fn zero_turns_the_guard_off() {
        let clock = ManualClock::new(Utc::now());
        let guard = FloodGuard::new(0, clock);
        let a = ClientKey::of("192.0.2.1".parse().unwrap());
        for _ in 0..1000 {
            assert_eq!(guard.admit(&a), Ok(()));
        }
        assert_eq!(guard.clients(), 0);
    }
}
