//! Our own SMTP connections: lettre speaks the protocol, we open the sockets.
//!
//! lettre 0.11 writes the end of DATA (`\r\n.\r\n`) as a small write of its own, on a socket
//! without TCP_NODELAY: Nagle's algorithm holds it back until the server acknowledges the
//! body, and the server delays that acknowledgement by ~40 ms. That capped a connection at
//! about 23 mails/s. Every socket here has TCP_NODELAY set before lettre gets it, so a mail
//! costs a few round trips and no waiting.
//!
//! The pool holds at most `size` connections, each either sending one mail or parked. A parked
//! connection is checked with NOOP before it is used again (as lettre's own pool does) and
//! closed after a minute unused; one that failed, or whose send was abandoned, is dropped.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::Message;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::{classify, SendError};

/// How long connecting (with TLS, EHLO and AUTH) or one NOOP may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection parked longer than this is closed rather than reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How a connection is encrypted.
#[derive(Clone)]
enum Security {
    /// `smtp://`: plain, for a local relay.
    Plain,
    /// `smtp://…?tls=opportunistic`: STARTTLS when the server offers it.
    Opportunistic(TlsParameters),
    /// `smtp://…?tls=required`: STARTTLS, or no mail.
    Required(TlsParameters),
    /// `smtps://`: TLS from the first byte.
    Wrapper(tokio_native_tls::TlsConnector),
}

/// Where and how to connect, as `SMTP_URL` says: the URL forms lettre's `from_url` takes.
#[derive(Clone)]
pub struct Server {
    /// For connecting (an IPv6 address without its brackets).
    host: String,
    /// The name the certificate must carry.
    domain: String,
    port: u16,
    security: Security,
    hello: ClientId,
    credentials: Option<Credentials>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Server({}:{})", self.domain, self.port)
    }
}

impl Server {
    /// `smtps://user:pass@host[:465]`, `smtp://user:pass@host[:587]?tls=required` (or
    /// `tls=opportunistic`), `smtp://host[:25]`; a path names the client in EHLO. The error
    /// never carries the password.
    pub fn from_url(url: &url::Url) -> Result<Server, String> {
        let domain = url
            .host_str()
            .ok_or("no host; expected e.g. smtps://user:pass@host:465")?
            .to_string();
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => domain.clone(),
        };
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let starttls = || TlsParameters::new(domain.clone()).map_err(|e| e.to_string());
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, 25),
            ("smtp", Some("required")) => (Security::Required(starttls()?), 587),
            ("smtp", Some("opportunistic")) => (Security::Opportunistic(starttls()?), 587),
            ("smtps", _) => {
                let connector = native_tls::TlsConnector::builder()
                    .min_protocol_version(Some(native_tls::Protocol::Tlsv12))
                    .build()
                    .map_err(|e| format!("cannot set up TLS: {e}"))?;
                (Security::Wrapper(connector.into()), 465)
            }
            (scheme, tls) => {
                return Err(format!(
                    "unknown scheme `{scheme}` or tls=`{}`; use smtps://, smtp://…?tls=required, \
                     smtp://…?tls=opportunistic or smtp://",
                    tls.unwrap_or_default()
                ))
            }
        };
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_string()),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| "the user name or password is not UTF-8 once decoded".to_string())
        };
        let credentials = match url.password() {
            Some(password) => Some(Credentials::new(decode(url.username())?, decode(password)?)),
            None => None,
        };
        Ok(Server {
            host,
            domain,
            port: url.port().unwrap_or(default_port),
            security,
            hello,
            credentials,
        })
    }

    /// A new connection: TCP with TCP_NODELAY, TLS as asked, EHLO, AUTH.
    async fn open(&self) -> Result<AsyncSmtpConnection, SendError> {
        let unreachable = |e: io::Error| {
            SendError::Transient(format!(
                "cannot connect to {}:{}: {e}",
                self.domain, self.port
            ))
        };
        let tcp = connect_tcp(&self.host, self.port)
            .await
            .map_err(unreachable)?;
        let stream: Box<dyn AsyncTokioStream> = match &self.security {
            Security::Wrapper(tls) => {
                let peer = tcp.peer_addr().map_err(unreachable)?;
                let tls = tls.connect(&self.domain, tcp).await.map_err(|e| {
                    SendError::Transient(format!("TLS with {}:{}: {e}", self.domain, self.port))
                })?;
                Box::new(TlsSocket { tls, peer })
            }
            _ => Box::new(tcp),
        };
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
            .await
            .map_err(|e| classify(&e))?;
        match &self.security {
            Security::Required(tls) => conn.starttls(tls.clone(), &self.hello).await,
            Security::Opportunistic(tls) if conn.can_starttls() => {
                conn.starttls(tls.clone(), &self.hello).await
            }
            _ => Ok(()),
        }
        .map_err(|e| classify(&e))?;
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(|e| classify(&e))?;
        }
        Ok(conn)
    }
}

/// The TCP connection lettre gets: TCP_NODELAY set, so the end of DATA goes out at once.
async fn connect_tcp(host: &str, port: u16) -> io::Result<TcpStream> {
    let stream = TcpStream::connect((host, port)).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// A TLS stream as lettre takes it (`smtps://`); the socket underneath has TCP_NODELAY.
#[derive(Debug)]
struct TlsSocket {
    tls: tokio_native_tls::TlsStream<TcpStream>,
    peer: SocketAddr,
}

impl AsyncTokioStream for TlsSocket {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.peer)
    }
}

impl AsyncRead for TlsSocket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsSocket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tls).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tls).poll_shutdown(cx)
    }
}

struct Parked {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// At most `size` connections to one server, shared by every send of the process.
pub struct SmtpPool {
    server: Server,
    /// One permit per connection in use.
    slots: Semaphore,
    /// Connections not in use, the most recently used last.
    parked: Mutex<Vec<Parked>>,
}

impl SmtpPool {
    /// Needs a running Tokio runtime: a task closes connections unused for a minute.
    pub fn new(server: Server, size: u32) -> Arc<SmtpPool> {
        let pool = Arc::new(SmtpPool {
            server,
            slots: Semaphore::new(size.max(1) as usize),
            parked: Mutex::new(Vec::new()),
        });
        tokio::spawn(close_idle(Arc::downgrade(&pool)));
        pool
    }

    /// Opens a connection of its own as a send would (TCP, TLS, EHLO, AUTH) and says goodbye.
    pub async fn check(&self) -> Result<(), SendError> {
        let mut conn = self.server.open().await?;
        let _ = conn.quit().await;
        Ok(())
    }

    /// Sends one mail over a pooled connection (waiting for one when all are busy).
    pub async fn send(&self, message: &Message) -> Result<(), SendError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| SendError::Transient("the SMTP pool is closed".into()))?;
        let mut conn = self.checkout().await?;
        // A server that stops answering mid-mail must not hold the delivery pass: the mail
        // is given up for now (and stays queued), the connection dropped.
        let sent = tokio::time::timeout(
            COMMAND_TIMEOUT,
            conn.send(message.envelope(), &message.formatted()),
        )
        .await
        .map_err(|_| self.no_answer())?;
        // lettre marks a connection broken on any error (and sends QUIT); only a sound one
        // is parked. Were this future dropped mid-send, `conn` would be dropped with it.
        if !conn.has_broken() {
            self.parked().push(Parked {
                conn,
                since: Instant::now(),
            });
        }
        sent.map(|_| ()).map_err(|e| classify(&e))
    }

    /// A parked connection that answers NOOP, or a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, SendError> {
        loop {
            let Some(Parked { mut conn, since }) = self.parked().pop() else {
                break;
            };
            if since.elapsed() < IDLE_TIMEOUT
                && tokio::time::timeout(COMMAND_TIMEOUT, conn.test_connected())
                    .await
                    .unwrap_or(false)
            {
                return Ok(conn);
            }
            // Dead or stale: dropped, which closes the socket.
        }
        tokio::time::timeout(COMMAND_TIMEOUT, self.server.open())
            .await
            .unwrap_or_else(|_| Err(self.no_answer()))
    }

    fn no_answer(&self) -> SendError {
        SendError::Transient(format!(
            "no answer from {}:{} within {} s",
            self.server.domain,
            self.server.port,
            COMMAND_TIMEOUT.as_secs()
        ))
    }

    fn parked(&self) -> MutexGuard<'_, Vec<Parked>> {
        self.parked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Connections open and not in use.
    #[cfg(test)]
    fn idle(&self) -> usize {
        self.parked().len()
    }
}

/// Closes connections parked longer than `IDLE_TIMEOUT`, until the pool is gone.
async fn close_idle(pool: Weak<SmtpPool>) {
    loop {
        tokio::time::sleep(IDLE_TIMEOUT / 2).await;
        let Some(pool) = pool.upgrade() else { return };
        let stale: Vec<Parked> = {
            let mut parked = pool.parked();
            let (stale, fresh) = parked
                .drain(..)
                .partition(|p| p.since.elapsed() >= IDLE_TIMEOUT);
            *parked = fresh;
            stale
        };
        drop(stale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    #[tokio::test]
    async fn the_socket_lettre_gets_has_tcp_nodelay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let stream = connect_tcp("127.0.0.1", port).await.unwrap();
        assert!(stream.nodelay().unwrap());
    }

    #[test]
    fn the_url_forms_are_read_as_lettre_reads_them() {
        let server = |u: &str| Server::from_url(&url::Url::parse(u).unwrap());
        let s = server("smtps://user:p%40ss@mail.example.com").unwrap();
        assert_eq!((s.host.as_str(), s.port), ("mail.example.com", 465));
        assert!(matches!(s.security, Security::Wrapper(_)));
        assert!(s.credentials.is_some());
        let s = server("smtp://user:pass@mail.example.com?tls=required").unwrap();
        assert_eq!(s.port, 587);
        assert!(matches!(s.security, Security::Required(_)));
        let s = server("smtp://mail.example.com:2587?tls=opportunistic").unwrap();
        assert_eq!(s.port, 2587);
        assert!(matches!(s.security, Security::Opportunistic(_)));
        assert!(s.credentials.is_none());
        let s = server("smtp://[::1]/client.example").unwrap();
        assert_eq!((s.host.as_str(), s.port), ("::1", 25));
        assert!(matches!(s.security, Security::Plain));
        assert_eq!(s.hello, ClientId::Domain("client.example".into()));
        let err = server("smtp://user:hunter2@mail.example.com?tls=sometimes").unwrap_err();
        assert!(
            err.contains("sometimes") && !err.contains("hunter2"),
            "{err}"
        );
        assert!(server("imap://mail.example.com").is_err());
    }

    /// A minimal SMTP server: accepts everything, records the recipients in order, counts
    /// connections.
    async fn sink() -> (u16, Arc<Mutex<Vec<String>>>, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (rec, count) = (received.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(converse(stream, rec.clone()));
            }
        });
        (port, received, connections)
    }

    async fn converse(stream: TcpStream, received: Arc<Mutex<Vec<String>>>) -> io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink ESMTP\r\n").await?;
        let mut line = String::new();
        let mut to = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let upper = line.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") {
                b"250-sink\r\n250 8BITMIME\r\n"
            } else if upper.starts_with("RCPT TO:") {
                to = line[8..].trim().to_string();
                b"250 ok\r\n"
            } else if upper.starts_with("DATA") {
                write.write_all(b"354 go on\r\n").await?;
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                }
                received.lock().unwrap().push(std::mem::take(&mut to));
                b"250 queued\r\n"
            } else if upper.starts_with("QUIT") {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                b"250 ok\r\n"
            };
            write.write_all(reply).await?;
        }
    }

    fn message(n: usize) -> Message {
        Message::builder()
            .from("no-reply@hc.example".parse().unwrap())
            .to(format!("p{n:03}@example.test").parse().unwrap())
            .subject("Reminder")
            .body(format!("Mail number {n}"))
            .unwrap()
    }

    #[tokio::test]
    async fn a_burst_over_one_connection_arrives_whole_and_in_order() {
        let (port, received, connections) = sink().await;
        let url = url::Url::parse(&format!("smtp://127.0.0.1:{port}")).unwrap();
        let pool = SmtpPool::new(Server::from_url(&url).unwrap(), 1);
        for n in 0..200 {
            pool.send(&message(n)).await.unwrap();
        }
        let expected: Vec<String> = (0..200)
            .map(|n| format!("<p{n:03}@example.test>"))
            .collect();
        assert_eq!(*received.lock().unwrap(), expected);
        assert_eq!(
            connections.load(Ordering::SeqCst),
            1,
            "one connection, reused"
        );
        assert_eq!(pool.idle(), 1);
    }

    #[tokio::test]
    async fn at_most_size_connections_are_opened() {
        let (port, received, connections) = sink().await;
        let url = url::Url::parse(&format!("smtp://127.0.0.1:{port}")).unwrap();
        let pool = SmtpPool::new(Server::from_url(&url).unwrap(), 3);
        let sends: Vec<_> = (0..60)
            .map(|n| {
                let pool = pool.clone();
                tokio::spawn(async move { pool.send(&message(n)).await })
            })
            .collect();
        for send in sends {
            send.await.unwrap().unwrap();
        }
        assert_eq!(received.lock().unwrap().len(), 60);
        assert!(connections.load(Ordering::SeqCst) <= 3);
        assert!(pool.idle() <= 3);
    }

    #[tokio::test]
    async fn a_refused_connection_is_transient() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let url = url::Url::parse(&format!("smtp://127.0.0.1:{port}")).unwrap();
        let pool = SmtpPool::new(Server::from_url(&url).unwrap(), 1);
        let err = pool.send(&message(1)).await.unwrap_err();
        assert!(!err.is_permanent(), "{err}");
        assert!(err.to_string().contains("Connection refused"), "{err}");
    }
}
