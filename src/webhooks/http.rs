//! One HTTP POST of a JSON body, over a connection of its own (TLS for `https`), with a
//! deadline; enough for a chat robot's webhook, without a client library.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

/// Longest a delivery may take, from connecting to the last byte of the answer.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// The most of an answer that is read: a status and an error code are all that matter.
const MOST_READ: u64 = 64 * 1024;

/// An answer: its status and (the start of) its body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

pub async fn post(url: &Url, headers: &[(String, String)], body: &[u8]) -> Result<Answer, String> {
    tokio::time::timeout(TIMEOUT, post_now(url, headers, body))
        .await
        .map_err(|_| format!("no answer within {} s", TIMEOUT.as_secs()))?
}

async fn post_now(url: &Url, headers: &[(String, String)], body: &[u8]) -> Result<Answer, String> {
    let host = url.host_str().ok_or("the address has no host")?;
    let port = url
        .port_or_known_default()
        .ok_or("the address has no port")?;
    let mut target = url.path().to_string();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    let host_header = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    let mut head = format!(
        "POST {target} HTTP/1.1\r\nHost: {host_header}\r\nContent-Type: application/json; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\nUser-Agent: health-checkin/{}\r\n",
        body.len(),
        env!("CARGO_PKG_VERSION")
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let stream = TcpStream::connect((host.trim_matches(['[', ']']), port))
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    if url.scheme() == "https" {
        let connector = native_tls::TlsConnector::new().map_err(|e| format!("TLS: {e}"))?;
        let mut tls = tokio_native_tls::TlsConnector::from(connector)
            .connect(host, stream)
            .await
            .map_err(|e| format!("TLS: {e}"))?;
        exchange(&mut tls, head.as_bytes(), body).await
    } else {
        let mut plain = stream;
        exchange(&mut plain, head.as_bytes(), body).await
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    head: &[u8],
    body: &[u8],
) -> Result<Answer, String> {
    let failed = |e: std::io::Error| format!("connection: {e}");
    stream.write_all(head).await.map_err(failed)?;
    stream.write_all(body).await.map_err(failed)?;
    stream.flush().await.map_err(failed)?;
    let mut raw = Vec::new();
    stream
        .take(MOST_READ)
        .read_to_end(&mut raw)
        .await
        .map_err(failed)?;
    parse(&raw)
}

/// The status and body of an answer; a chunked body is joined.
fn parse(raw: &[u8]) -> Result<Answer, String> {
    let text = String::from_utf8_lossy(raw);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or("the answer is not HTTP")?;
    let status = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or("the answer has no status")?;
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let body = if chunked {
        unchunk(rest)
    } else {
        rest.to_string()
    };
    Ok(Answer { status, body })
}

fn unchunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
        else {
            break;
        };
        if size == 0 || after.len() < size {
            body.push_str(&after[..size.min(after.len())]);
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_plain_and_chunked() {
        let plain = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"errcode\":0}").unwrap();
        assert_eq!(
            (plain.status, plain.body.as_str()),
            (200, "{\"errcode\":0}")
        );
        let chunked = parse(
            b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((chunked.status, chunked.body.as_str()), (500, "{\"a\":1}"));
        assert!(parse(b"garbage").is_err());
    }
}
