//! Check-ins as CSV or XLSX: one row per expected person per day, plus one for each check-in
//! of someone not expected that day, scoped like the reports.
//! Parameters, scope and the audit entry are settled before the first byte is sent, so every
//! error still gets the contract's JSON; the rows then follow day by day, read on a
//! connection of the export's own, never one of the pool's. A client that stops reading for
//! longer than the send timeout is given up: the export ends, closes its connection and says
//! so in the log, and the download ends in an error, never as a short file.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use futures_util::stream::Stream;
use serde::Deserialize;
use tokio::runtime::Handle;
use tokio::sync::mpsc::{self, error::SendTimeoutError};
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::domain::Role;
use crate::error::ApiError;
use crate::error::ErrorResponse;
use crate::reports::export::ExportError;
use crate::reports::summary::Today;
use crate::routes::dates::report_range;
use crate::routes::resource;
use crate::services::reporting::{self, Export, ExportConnections, ExportFormat};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/exports/checkins.csv").route(web::get().to(checkins_csv)))
        .service(resource("/exports/checkins.xlsx").route(web::get().to(checkins_xlsx)));
}

/// Bytes per chunk sent to the client.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks that may wait for a slow client; the reader stops while they do.
const CHANNEL_CHUNKS: usize = 4;

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// First day; defaults to 30 days before `to`.
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last day, not in the future; defaults to today.
    #[param(format = Date)]
    pub to: Option<String>,
    /// Only this department and its sub-departments.
    pub department_id: Option<String>,
}

struct Prepared {
    export: Export,
    from: NaiveDate,
    to: NaiveDate,
}

/// Checks the caller and the parameters, then prepares the export on a connection of its own.
async fn prepare(
    state: &AppState,
    user: AuthUser,
    query: ExportQuery,
    format: ExportFormat,
) -> Result<Prepared, ApiError> {
    user.require(Role::Manager)?;
    let today = Today::in_org(&user.org, state.clock.now());
    let (from, to) = report_range(query.from, query.to, today.today)?;
    let prepare = move |conns: ExportConnections| -> Result<Export, ApiError> {
        Ok(reporting::export(
            conns,
            &user.caller(),
            query.department_id.as_deref(),
            from,
            to,
            format,
            &today,
        )?)
    };
    let export = if ExportConnections::second_reader_for(&state.settings.database_url) {
        state
            .with_own_connections(move |[main, checkins, second]| {
                prepare(ExportConnections {
                    main,
                    checkins,
                    second_checkins: Some(second),
                })
            })
            .await?
    } else {
        state
            .with_own_connections(move |[main, checkins]| {
                prepare(ExportConnections {
                    main,
                    checkins,
                    second_checkins: None,
                })
            })
            .await?
    };
    Ok(Prepared { export, from, to })
}

fn attachment(from: NaiveDate, to: NaiveDate, extension: &str) -> (header::HeaderName, String) {
    (
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"checkins-{from}-{to}.{extension}\""),
    )
}

type Chunk = Result<Bytes, ExportError>;

/// The producer's end of the channel to the response body. It runs on the blocking pool and
/// waits for the client at most `timeout` per chunk.
struct Sink {
    tx: mpsc::Sender<Chunk>,
    runtime: Handle,
    timeout: Duration,
    finished: Arc<AtomicBool>,
}

impl Sink {
    fn send(&self, bytes: Vec<u8>) -> Result<(), ExportError> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.send_chunk(Ok(Bytes::from(bytes)))
    }

    fn send_chunk(&self, chunk: Chunk) -> Result<(), ExportError> {
        self.runtime
            .block_on(self.tx.send_timeout(chunk, self.timeout))
            .map_err(|e| match e {
                SendTimeoutError::Timeout(_) => ExportError::Stalled(self.timeout.as_secs()),
                SendTimeoutError::Closed(_) => ExportError::Closed,
            })
    }

    /// Ends the stream: complete when `result` is, else cut with an error.
    fn end(self, result: Result<(), ExportError>) {
        match result {
            Ok(()) => self.finished.store(true, Ordering::Release),
            Err(ExportError::Closed) => tracing::info!("export abandoned by the client"),
            Err(e @ ExportError::Stalled(_)) => {
                tracing::warn!(error = %e, "export given up; its connection is closed")
            }
            Err(e) => {
                tracing::error!(error = %e, "export failed after it started");
                // The response is already under way: ending it with an error cuts the
                // connection, so the client sees an incomplete download, not a short file.
                let _ = self.send_chunk(Err(e));
            }
        }
    }
}

/// A channel from a producer on the blocking pool to a response body. The body ends in an
/// error unless the producer said it finished: a producer that gave up or died never leaves
/// a download that looks whole.
fn channel(state: &AppState) -> (Sink, impl Stream<Item = Chunk>) {
    let (tx, mut rx) = mpsc::channel(CHANNEL_CHUNKS);
    let finished = Arc::new(AtomicBool::new(false));
    let sink = Sink {
        tx,
        runtime: Handle::current(),
        timeout: Duration::from_secs(state.settings.export_send_timeout_secs),
        finished: finished.clone(),
    };
    let mut ended = false;
    let body = futures_util::stream::poll_fn(move |cx| {
        if ended {
            return Poll::Ready(None);
        }
        match rx.poll_recv(cx) {
            Poll::Ready(None) => {
                ended = true;
                if finished.load(Ordering::Acquire) {
                    Poll::Ready(None)
                } else {
                    Poll::Ready(Some(Err(ExportError::Unfinished)))
                }
            }
            Poll::Ready(Some(Err(e))) => {
                ended = true;
                Poll::Ready(Some(Err(e)))
            }
            other => other,
        }
    });
    (sink, body)
}

/// Check-ins as CSV (UTF-8 with a byte-order mark, RFC 4180), streamed day by day.
#[utoipa::path(get, path = "/api/v1/exports/checkins.csv", tag = "exports", security(("bearer" = [])),
    params(ExportQuery),
    responses((status = 200, description = "one row per expected person per day, plus every other check-in", content_type = "text/csv", body = String),
              (status = 403, description = "staff may not export, or the department is outside the caller's", body = ErrorResponse),
              (status = 422, description = "a wrong date, range or department", body = ErrorResponse)))]
pub async fn checkins_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let Prepared { export, from, to } =
        prepare(&state, user, query.into_inner(), ExportFormat::Csv).await?;
    let (sink, body) = channel(&state);
    // Reads a day, writes its rows, sends them, and on to the next: a slow client fills the
    // channel and so pauses the reading.
    actix_web::rt::task::spawn_blocking(move || {
        let result = export.write_csv(CHUNK_BYTES, |bytes| sink.send(bytes));
        sink.end(result);
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(attachment(from, to, "csv"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}

fn stream_file(mut file: std::fs::File, sink: &Sink) -> Result<(), ExportError> {
    loop {
        let mut buf = vec![0; CHUNK_BYTES];
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        buf.truncate(n);
        sink.send(buf)?;
    }
}

/// Check-ins as an Excel workbook: the same columns and rows as the CSV, header in bold.
#[utoipa::path(get, path = "/api/v1/exports/checkins.xlsx", tag = "exports", security(("bearer" = [])),
    params(ExportQuery),
    responses((status = 200, description = "one row per expected person per day, plus every other check-in", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
              (status = 403, description = "staff may not export, or the department is outside the caller's", body = ErrorResponse),
              (status = 422, description = "a wrong date, range or department", body = ErrorResponse)))]
pub async fn checkins_xlsx(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let Prepared { export, from, to } =
        prepare(&state, user, query.into_inner(), ExportFormat::Xlsx).await?;
    let (file, len) = web::block(move || export.write_xlsx())
        .await?
        .map_err(ApiError::internal)?;
    let (sink, body) = channel(&state);
    actix_web::rt::task::spawn_blocking(move || {
        let result = stream_file(file, &sink);
        sink.end(result);
    });
    Ok(HttpResponse::Ok()
        .content_type(XLSX_TYPE)
        .insert_header(attachment(from, to, "xlsx"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(SizedStream::new(len, body)))
}
