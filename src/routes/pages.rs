//! The web app in `static/`: plain files served at `/`, after the API so that `/api/v1/*`,
//! `/healthz` and `/readyz` keep their handlers and unknown routes keep the JSON 404.

use std::path::Path;

use actix_files::Files;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web;

/// Pages may load scripts, styles and images from this server only; charts are shown from
/// blob URLs made of authenticated fetches, hence `blob:` for images.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Mounts the folder at `/` with `index.html` for `/`; a missing file is the JSON 404.
pub fn configure(cfg: &mut web::ServiceConfig, dir: &Path) {
    if !dir.is_dir() {
        tracing::warn!(dir = %dir.display(), "HC_STATIC_DIR is not a folder; the web app is not served");
        return;
    }
    cfg.service(
        Files::new("/", dir)
            .index_file("index.html")
            .use_etag(true)
            .use_last_modified(true)
            .default_handler(web::to(super::not_found)),
    );
}

/// Security headers for everything outside the API: the pages and their files.
pub fn add_page_headers<B>(res: &mut ServiceResponse<B>) {
    if res.request().path().starts_with("/api/") {
        return;
    }
    let headers = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Always revalidate, so a new release's files are picked up at once.
        (header::CACHE_CONTROL, "no-cache"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
}
