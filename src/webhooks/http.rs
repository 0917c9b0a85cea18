//! One HTTP POST of a JSON body, over a connection of its own (TLS for `https`), with a
//! deadline; enough for a chat robot's webhook, without a client library.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

/// Longest a delivery may take, from connecting to the last byte of the answer.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// The most of an answer that is read: a status and an error code are all that matter.
const MOST_READ: usize = 64 * 1024;

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
            .connect(host.trim_matches(['[', ']']), stream)
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
    // Read until the answer is whole (its Content-Length), the server closes, or the cap.
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    while raw.len() < MOST_READ {
        let n = stream.read(&mut buf).await.map_err(failed)?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if is_whole(&raw) {
            break;
        }
    }
    parse(&raw)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether `raw` holds a head and as many body bytes as its Content-Length says.
fn is_whole(raw: &[u8]) -> bool {
    let Some(end) = find(raw, b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    head.lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .is_some_and(|length| raw.len() >= end + 4 + length)
}

/// The status and body of an answer; a chunked body is joined as bytes before it is read as
/// text, so a chunk may end anywhere.
fn parse(raw: &[u8]) -> Result<Answer, String> {
    let end = find(raw, b"\r\n\r\n").ok_or("the answer is not HTTP")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let rest = &raw[end + 4..];
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
        rest.to_vec()
    };
    Ok(Answer {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn unchunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(line_end) = find(rest, b"\r\n") {
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
        else {
            break;
        };
        let after = &rest[line_end + 2..];
        let take = size.min(after.len());
        body.extend_from_slice(&after[..take]);
        if size == 0 || take < size {
            break;
        }
        rest = after[size..]
            .strip_prefix(b"\r\n")
            .unwrap_or(&after[size..]);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_plain_and_chunked() {
        let plain = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{\"errcode\":0}").unwrap();
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
        // A chunk that ends inside a character, and a size past the end: read, no panic.
        let split = "HTTP/1.1 400 X\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n\u{7b7e}\r\n1\r\n\r\n0\r\n\r\n";
        assert_eq!(parse(split.as_bytes()).unwrap().status, 400);
        assert!(parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nab").is_ok());
        assert!(is_whole(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        assert!(!is_whole(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok"));
    }
}
