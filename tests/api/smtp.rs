//! A real SMTP server inside the test process, for tests that send mail.
//!
//! `mailin-embedded` does the SMTP on a listener bound to `127.0.0.1:0`. Its accept loop runs
//! until the process ends, so the port the app talks to is a small relay in front of it:
//! `stop()` closes that port and cuts every open connection (the app's pooled ones too),
//! `restart()` opens the same port again. What was received is kept in shared memory.

use std::collections::HashSet;
use std::io;
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};

use base64::Engine;
use mailin_embedded::{response, Handler, Response, Server, SslConfig};

/// One message as the server got it (or as read from an `.eml` file).
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent after DATA: headers and MIME body.
    pub data: String,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<ReceivedMail>>,
    /// Recipients answered with 550.
    rejected: Mutex<HashSet<String>>,
    /// How long each message waits before it is accepted, in milliseconds.
    delay_ms: AtomicU64,
    /// Messages whose DATA has begun, accepted or not yet.
    begun: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The state of one SMTP conversation; mailin-embedded clones the handler per connection.
#[derive(Clone)]
struct Recorder {
    shared: Arc<Shared>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

fn bare(address: &str) -> String {
    address
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

impl Handler for Recorder {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.from = bare(from);
        self.to.clear();
        self.data.clear();
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        let to = bare(to);
        if lock(&self.shared.rejected).contains(&to) {
            return Response::custom(550, format!("5.1.1 <{to}>: mailbox unavailable"));
        }
        self.to.push(to);
        response::OK
    }

    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> Response {
        self.shared.begun.fetch_add(1, Ordering::SeqCst);
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let delay = self.shared.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            thread::sleep(std::time::Duration::from_millis(delay));
        }
        lock(&self.shared.received).push(ReceivedMail {
            from: self.from.clone(),
            to: std::mem::take(&mut self.to),
            data: String::from_utf8_lossy(&std::mem::take(&mut self.data)).into_owned(),
        });
        response::OK
    }
}

/// The listening side the app connects to, and every connection relayed through it.
struct Front {
    stop: Arc<AtomicBool>,
    accept: JoinHandle<()>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

pub struct TestSmtp {
    port: u16,
    backend: SocketAddr,
    shared: Arc<Shared>,
    front: Option<Front>,
}

impl TestSmtp {
    pub fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP server");
        let backend = listener.local_addr().expect("SMTP server address");
        let mut server = Server::new(Recorder {
            shared: shared.clone(),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        });
        server
            .with_name("smtp.test.local")
            // One thread per open connection, and the app keeps its connections open in a
            // pool (up to 8 per instance): enough for two instances at full speed.
            .with_num_threads(24)
            .with_ssl(SslConfig::None)
            .expect("no TLS")
            .with_tcp_listener(listener);
        thread::spawn(move || {
            let _ = server.serve();
        });
        let front = open_front(0, backend).expect("bind the SMTP port");
        let port = front.0;
        Self {
            port,
            backend,
            shared,
            front: Some(front.1),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        lock(&self.shared.received).clone()
    }

    /// From now on, take this long over each message before accepting it.
    pub fn slow_down(&self, per_message: std::time::Duration) {
        let ms = u64::try_from(per_message.as_millis()).unwrap_or(u64::MAX);
        self.shared.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// Messages whose sending has begun, accepted or still under way.
    pub fn begun(&self) -> u64 {
        self.shared.begun.load(Ordering::SeqCst)
    }

    /// From now on, take mail for this address again.
    pub fn accept(&self, address: &str) {
        lock(&self.shared.rejected).remove(address);
    }

    /// From now on, answer 550 when this address is given as a recipient.
    pub fn reject(&self, address: &str) {
        lock(&self.shared.rejected).insert(address.to_string());
    }

    /// Closes the port and drops every open connection: the app sees a dead server.
    pub fn stop(&mut self) {
        if let Some(front) = self.front.take() {
            front.stop.store(true, Ordering::SeqCst);
            // Wakes the blocking accept so it sees the flag.
            let _ = TcpStream::connect(("127.0.0.1", self.port));
            let _ = front.accept.join();
            for conn in lock(&front.connections).drain(..) {
                let _ = conn.shutdown(Shutdown::Both);
            }
        }
    }

    /// Listens again on the same port, with everything received so far kept.
    pub fn restart(&mut self) {
        if self.front.is_none() {
            let (_, front) = open_front(self.port, self.backend).expect("bind the SMTP port again");
            self.front = Some(front);
        }
    }
}

impl Drop for TestSmtp {
    fn drop(&mut self) {
        self.stop();
    }
}

fn open_front(port: u16, backend: SocketAddr) -> io::Result<(u16, Front)> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let port = listener.local_addr()?.port();
    let stop = Arc::new(AtomicBool::new(false));
    let connections = Arc::new(Mutex::new(Vec::new()));
    let accept = {
        let stop = stop.clone();
        let connections = connections.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(backend) else {
                    continue;
                };
                if let Err(e) = relay(client, server, &connections) {
                    eprintln!("test SMTP relay: {e}");
                }
            }
            // The listener is dropped here: the port is closed.
        })
    };
    Ok((
        port,
        Front {
            stop,
            accept,
            connections,
        },
    ))
}

fn relay(
    client: TcpStream,
    server: TcpStream,
    connections: &Mutex<Vec<TcpStream>>,
) -> io::Result<()> {
    {
        let mut open = lock(connections);
        open.push(client.try_clone()?);
        open.push(server.try_clone()?);
    }
    let pipe = |mut from: TcpStream, mut to: TcpStream| {
        thread::spawn(move || {
            let _ = io::copy(&mut from, &mut to);
            let _ = to.shutdown(Shutdown::Write);
        });
    };
    pipe(client.try_clone()?, server.try_clone()?);
    pipe(server, client);
    Ok(())
}

impl ReceivedMail {
    /// The unfolded value of a top-level header.
    pub fn header(&self, name: &str) -> Option<String> {
        header_in(head(&self.data), name)
    }

    /// The decoded body of the first part with this content type (`text/plain`, `text/html`).
    pub fn part(&self, content_type: &str) -> Option<String> {
        let boundary = self
            .header("Content-Type")?
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .map(|b| b.trim_matches('"').to_string())?;
        let data = self.data.replace("\r\n", "\n");
        data.split(&format!("--{boundary}")).find_map(|section| {
            let section = section.trim_start_matches('\n');
            let (headers, body) = section.split_once("\n\n")?;
            let kind = header_in(headers, "Content-Type")?;
            if !kind.starts_with(content_type) {
                return None;
            }
            let encoding = header_in(headers, "Content-Transfer-Encoding").unwrap_or_default();
            Some(decode(&encoding, body.trim_end_matches('\n')))
        })
    }
}

fn head(message: &str) -> &str {
    message
        .split_once("\r\n\r\n")
        .or_else(|| message.split_once("\n\n"))
        .map_or(message, |(h, _)| h)
}

fn header_in(headers: &str, name: &str) -> Option<String> {
    let headers = headers.replace("\r\n", "\n");
    let mut value: Option<String> = None;
    for line in headers.lines() {
        if let Some(v) = value.as_mut() {
            if line.starts_with(' ') || line.starts_with('\t') {
                v.push(' ');
                v.push_str(line.trim());
                continue;
            }
            break;
        }
        if let Some((key, rest)) = line.split_once(':') {
            if key.eq_ignore_ascii_case(name) {
                value = Some(rest.trim().to_string());
            }
        }
    }
    value
}

fn decode(encoding: &str, body: &str) -> String {
    match encoding.to_ascii_lowercase().as_str() {
        "base64" => {
            let joined: String = body.split_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(joined)
                .expect("base64 body");
            String::from_utf8(bytes).expect("UTF-8 body")
        }
        "quoted-printable" => {
            let soft = body.replace("=\n", "");
            let mut bytes = Vec::with_capacity(soft.len());
            let raw = soft.as_bytes();
            let mut i = 0;
            while i < raw.len() {
                if raw[i] == b'=' && i + 3 <= raw.len() {
                    let hex = std::str::from_utf8(&raw[i + 1..i + 3]).unwrap_or("");
                    if let Ok(b) = u8::from_str_radix(hex, 16) {
                        bytes.push(b);
                        i += 3;
                        continue;
                    }
                }
                bytes.push(raw[i]);
                i += 1;
            }
            String::from_utf8(bytes).expect("UTF-8 body")
        }
        _ => body.to_string(),
    }
}
