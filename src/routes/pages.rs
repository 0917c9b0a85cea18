//! The web app in `static/`: plain files served at `/`, after the API so that `/api/v1/*`,
//! `/healthz` and `/readyz` keep their handlers and unknown routes keep the JSON 404. The
//! files are built into the binary, so a copied binary serves its pages; `HC_STATIC_DIR`
//! serves a folder instead.

use std::path::Path;

use actix_files::Files;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::ApiError;

#[derive(rust_embed::Embed)]
#[folder = "static/"]
struct WebApp;

/// Pages may load scripts, styles and images from this server only; charts are shown from
/// blob URLs made of authenticated fetches, hence `blob:` for images.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Mounts the web app at `/` with `index.html` for `/`: the built-in files, or those of
/// `dir`. A missing file is the JSON 404.
pub fn configure(cfg: &mut web::ServiceConfig, dir: Option<&Path>) {
    // The API reference's page; its files are the web app's, under /api-docs/.
    cfg.service(
        web::resource("/api/docs")
            .route(web::get().to(api_reference))
            .route(web::head().to(api_reference)),
    );
    let Some(dir) = dir else {
        cfg.service(
            web::resource("/{file:.*}")
                .route(web::get().to(built_in))
                .route(web::head().to(built_in)),
        );
        return;
    };
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

/// The API reference: Swagger UI over `/api/v1/openapi.json`, from files of this server only.
async fn api_reference(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    serve_built_in(req, "api-docs/index.html").await
}

async fn built_in(req: HttpRequest, file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let name = match file.as_str() {
        "" => "index.html",
        name => name,
    };
    serve_built_in(req, name).await
}

/// One built-in file, with its content hash as the ETag so that a browser revalidates cheaply.
async fn serve_built_in(req: HttpRequest, name: &str) -> Result<HttpResponse, ApiError> {
    let Some(found) = WebApp::get(name) else {
        return super::not_found(req).await;
    };
    let etag = format!(
        "\"{}\"",
        found
            .metadata
            .sha256_hash()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag));
    if unchanged {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let mime = found.metadata.mimetype();
    let content_type = if mime.starts_with("text/") || mime.ends_with("javascript") {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::ETAG, etag));
    // Built into the binary, the file is sent from where it lies, without a copy.
    Ok(match found.data {
        std::borrow::Cow::Borrowed(bytes) => response.body(bytes),
        std::borrow::Cow::Owned(bytes) => response.body(bytes),
    })
}

/// Security headers for everything outside the API: the pages and their files, and the API
/// reference's page.
pub fn add_page_headers<B>(res: &mut ServiceResponse<B>) {
    let path = res.request().path();
    if path.starts_with("/api/") && path != "/api/docs" {
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
