//! Logs: readable in a terminal, JSON lines for a log collector. `RUST_LOG` sets the level.
//! Each request has an id: the `X-Request-Id` it came with, or a new one. It is in every log
//! line of the request (its span), in the answer's `X-Request-Id`, and in a 500's body, so a
//! person can quote it and an operator find the lines.

use std::future::Future;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialization (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// The header a request id comes in and goes out with.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id a request brought, when it is one a log can hold as it is (a proxy's, a client's):
/// at most 64 letters, digits, `-`, `_`, `.` or `:`; otherwise a new one.
pub fn request_id_from(sent: Option<&str>) -> String {
    match sent {
        Some(id)
            if !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':')
                }) =>
        {
            id.to_string()
        }
        _ => crate::db::new_id(),
    }
}

/// Runs a request's work with its id at hand for `request_id`.
pub async fn with_request_id<F: Future>(id: String, work: F) -> F::Output {
    REQUEST_ID.scope(id, work).await
}

/// The id of the request being answered, if any.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_id_is_kept_only_when_a_log_can_hold_it() {
        assert_eq!(request_id_from(Some("lb-7f3a:42")), "lb-7f3a:42");
        for bad in ["", "two words", "new\nline", &"x".repeat(65)] {
            let made = request_id_from(Some(bad));
            assert_ne!(made, bad);
            assert_eq!(
                request_id_from(Some(&made)),
                made,
                "a made id is a valid one"
            );
        }
        assert_ne!(request_id_from(None), request_id_from(None));
    }

    #[tokio::test]
    async fn the_id_is_at_hand_inside_the_request_only() {
        assert_eq!(request_id(), None);
        let inside = with_request_id("abc".into(), async { request_id() }).await;
        assert_eq!(inside.as_deref(), Some("abc"));
    }
}
