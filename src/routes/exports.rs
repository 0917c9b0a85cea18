//! Check-ins as CSV or XLSX: one row per expected person per day, plus one for each check-in
//! of someone not expected that day, scoped like the reports.
//! Parameters, scope and the audit entry are settled before the first byte is sent, so every
//! error still gets the contract's JSON; the rows then follow day by day.

use std::io::{Read, Seek, SeekFrom, Write};

use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use futures_util::stream::Stream;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;
use utoipa::IntoParams;

use crate::auth::AuthUser;
use crate::db::PooledConn;
use crate::domain::Role;
use crate::error::ApiError;
use crate::error::ErrorResponse;
use crate::reports::export::{CsvChunks, ExportError, ExportSource, XlsxExport};
use crate::reports::summary::Today;
use crate::routes::dates::report_range;
use crate::routes::resource;
use crate::routes::services::{reader, report_scope};
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
    /// Kept for the rows, so that a busy pool answers 503 before the download starts.
    conn: PooledConn,
    source: ExportSource,
    from: NaiveDate,
    to: NaiveDate,
}

/// Checks the caller and the parameters, resolves the scope, notes the read in the audit log
/// and loads what the rows are made from.
async fn prepare(
    state: &AppState,
    user: AuthUser,
    query: ExportQuery,
    action: &'static str,
) -> Result<Prepared, ApiError> {
    user.require(Role::Manager)?;
    let Today { today, now } = Today::in_org(&user.org, state.clock.now());
    let (from, to) = report_range(query.from, query.to, today)?;
    let department_id = query.department_id;
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        let scope = report_scope(&mut conn, &user, department_id.as_deref())?;
        let source =
            ExportSource::prepare(&mut conn, &user.org, scope.departments.clone(), from, to)?;
        let detail = json!({"from": from, "to": to, "department_id": department_id});
        crate::audit::report_read(
            &mut conn,
            reader(&user),
            &scope,
            department_id.as_deref(),
            action,
            detail,
            now,
        )?;
        Ok(Prepared {
            conn,
            source,
            from,
            to,
        })
    })
    .await?
}

fn attachment(from: NaiveDate, to: NaiveDate, extension: &str) -> (header::HeaderName, String) {
    (
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"checkins-{from}-{to}.{extension}\""),
    )
}

type Chunk = Result<Bytes, ExportError>;

/// The receiving end of the producer's channel as a response body.
fn body_of(mut rx: mpsc::Receiver<Chunk>) -> impl Stream<Item = Chunk> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

fn send(tx: &mpsc::Sender<Chunk>, bytes: Vec<u8>) -> Result<(), ExportError> {
    if bytes.is_empty() {
        return Ok(());
    }
    tx.blocking_send(Ok(Bytes::from(bytes)))
        .map_err(|_| ExportError::Closed)
}

/// Runs on the blocking pool: reads a day, writes its rows, sends them, and on to the next.
/// A slow client fills the channel and so pauses the reading.
fn produce_csv(mut conn: PooledConn, mut source: ExportSource, tx: mpsc::Sender<Chunk>) {
    let result = (|| {
        let mut csv = CsvChunks::new()?;
        while source
            .next_day(&mut conn, |row| {
                csv.write(&row)?;
                if csv.pending() >= CHUNK_BYTES {
                    send(&tx, csv.take()?)?;
                }
                Ok(())
            })?
            .is_some()
        {
            send(&tx, csv.take()?)?;
        }
        send(&tx, csv.take()?)
    })();
    end_stream(result, &tx);
}

fn end_stream(result: Result<(), ExportError>, tx: &mpsc::Sender<Chunk>) {
    match result {
        Ok(()) => {}
        Err(ExportError::Closed) => tracing::info!("export abandoned by the client"),
        Err(e) => {
            tracing::error!(error = %e, "export failed after it started");
            // The response is already under way: ending it with an error cuts the
            // connection, so the client sees an incomplete download, not a short file.
            let _ = tx.blocking_send(Err(e));
        }
    }
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
    let Prepared {
        conn,
        source,
        from,
        to,
    } = prepare(&state, user, query.into_inner(), "exports.csv").await?;
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    actix_web::rt::task::spawn_blocking(move || produce_csv(conn, source, tx));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(attachment(from, to, "csv"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body_of(rx)))
}

/// Builds the workbook in a temporary file (constant memory: rows go to disk as written).
fn build_xlsx(
    mut conn: PooledConn,
    mut source: ExportSource,
) -> Result<(std::fs::File, u64), ExportError> {
    let mut xlsx = XlsxExport::new()?;
    while source
        .next_day(&mut conn, |row| xlsx.write(&row))?
        .is_some()
    {}
    drop(conn);
    // An unnamed temporary file: the system removes it once the last handle is closed.
    let mut file = tempfile::tempfile()?;
    let mut writer = std::io::BufWriter::new(&mut file);
    xlsx.finish(&mut writer)?;
    // Flushed here: a BufWriter dropped with data in it would lose the error.
    writer.flush()?;
    drop(writer);
    let len = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(0))?;
    Ok((file, len))
}

fn stream_file(mut file: std::fs::File, tx: mpsc::Sender<Chunk>) {
    let result = (|| loop {
        let mut buf = vec![0; CHUNK_BYTES];
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        buf.truncate(n);
        send(&tx, buf)?;
    })();
    end_stream(result, &tx);
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
    let Prepared {
        conn,
        source,
        from,
        to,
    } = prepare(&state, user, query.into_inner(), "exports.xlsx").await?;
    let (file, len) = web::block(move || build_xlsx(conn, source))
        .await?
        .map_err(ApiError::internal)?;
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    actix_web::rt::task::spawn_blocking(move || stream_file(file, tx));
    Ok(HttpResponse::Ok()
        .content_type(XLSX_TYPE)
        .insert_header(attachment(from, to, "xlsx"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(SizedStream::new(len, body_of(rx))))
}
