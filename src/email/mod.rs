//! Sending e-mail: one `Mailer` built at start-up, with an SMTP, a file or an in-memory
//! backend. Mails are not sent from requests: they are queued in the outbox (`enqueue`) and
//! the delivery job (`crate::jobs::delivery`) sends them with retries.

mod queue;
mod smtp;
pub mod template;

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

use crate::config::Settings;

pub use queue::{enqueue, enqueue_for_day, NewMail};

/// Connections the SMTP pool keeps open by default; also how many mails the delivery job sends
/// at once. `SMTP_CONNECTIONS` changes it.
pub const SMTP_CONNECTIONS: u32 = crate::config::DEFAULT_SMTP_CONNECTIONS;

pub enum Mailer {
    /// One pool of SMTP connections for the whole process (see `smtp`).
    Smtp {
        pool: Arc<smtp::SmtpPool>,
        from: Mailbox,
        /// For logs: the server without credentials.
        server: String,
    },
    /// `.eml` files in a folder: the embedded default, no mail server needed.
    File { dir: PathBuf, from: Mailbox },
    /// Kept in memory, for tests.
    Memory {
        sent: Arc<Mutex<Vec<SentMail>>>,
        from: Mailbox,
    },
}

/// One mail to send, as the outbox holds it.
#[derive(Clone, Debug)]
pub struct OutgoingMail {
    /// The outbox row's id: the Message-ID is made from it, so a retry carries the same one.
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub date: DateTime<Utc>,
}

/// What the memory backend keeps of a sent mail.
#[derive(Clone, Debug)]
pub struct SentMail {
    pub message_id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The whole message as it would go over the wire.
    pub raw: String,
}

/// Why a mail was not sent, with the server's reply when there was one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: a 4xx reply, a refused or dropped connection, a timeout.
    #[error("{0}")]
    Transient(String),
    /// Trying again will not help: a 5xx reply for this address, an unusable address.
    #[error("{0}")]
    Permanent(String),
}

impl SendError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Permanent(_))
    }
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mailer::Smtp { server, .. } => write!(f, "Mailer::Smtp({server})"),
            Mailer::File { dir, .. } => write!(f, "Mailer::File({})", dir.display()),
            Mailer::Memory { .. } => f.write_str("Mailer::Memory"),
        }
    }
}

impl Mailer {
    /// SMTP when `SMTP_URL` is set, else `.eml` files in `HC_DATA_DIR/outbox/`.
    /// The SMTP pool needs a running Tokio runtime, as the server has.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Mailer> {
        let from = parse_from(&settings.mail_from)?;
        match &settings.smtp_url {
            Some(url) => {
                let (pool, server) = smtp_pool(url.expose(), settings.smtp_connections)?;
                Ok(Mailer::Smtp { pool, from, server })
            }
            None => {
                let dir = settings.data_dir.join("outbox");
                crate::private_files::private_dir(&dir).map_err(|e| {
                    anyhow::anyhow!(
                        "HC_DATA_DIR: cannot create the mail folder {}: {e}",
                        dir.display()
                    )
                })?;
                Ok(Mailer::File { dir, from })
            }
        }
    }

    /// A mailer that keeps what it sends; the list is shared with the caller.
    pub fn memory(mail_from: &str) -> anyhow::Result<(Mailer, Arc<Mutex<Vec<SentMail>>>)> {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let mailer = Mailer::Memory {
            sent: sent.clone(),
            from: parse_from(mail_from)?,
        };
        Ok((mailer, sent))
    }

    pub fn sender(&self) -> &Mailbox {
        match self {
            Mailer::Smtp { from, .. } | Mailer::File { from, .. } | Mailer::Memory { from, .. } => {
                from
            }
        }
    }

    /// `<outbox-id@sender-domain>`: the same for every try of one outbox row, so a receiver
    /// that got a mail twice (a reply lost after the data went through) can tell.
    pub fn message_id(&self, outbox_id: &str) -> String {
        format!("<{outbox_id}@{}>", self.sender().email.domain())
    }

    /// Whether mail can go out now: the SMTP server answers and takes the login. Says where
    /// mail goes when it can.
    pub async fn check(&self) -> Result<String, String> {
        match self {
            Mailer::Smtp { pool, server, .. } => {
                match tokio::time::timeout(std::time::Duration::from_secs(15), pool.check()).await {
                    Ok(Ok(())) => Ok(format!("{server} answers and accepts the login")),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err(format!("{server} did not answer within 15 s")),
                }
            }
            Mailer::File { dir, .. } => Ok(format!("written as files to {}", dir.display())),
            Mailer::Memory { .. } => Ok("kept in memory".into()),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Mailer::Smtp { .. } => "smtp",
            Mailer::File { .. } => "file",
            Mailer::Memory { .. } => "memory",
        }
    }

    pub fn build_message(&self, mail: &OutgoingMail) -> Result<Message, SendError> {
        let to: Mailbox = mail.to.parse().map_err(|e| {
            SendError::Permanent(format!("`{}` is not a usable address: {e}", mail.to))
        })?;
        Message::builder()
            .message_id(Some(self.message_id(&mail.id)))
            .from(self.sender().clone())
            .to(to)
            .subject(mail.subject.as_str())
            .date(mail.date.into())
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))
    }

    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), SendError> {
        let message = self.build_message(mail)?;
        match self {
            Mailer::Smtp { pool, .. } => pool.send(&message).await,
            Mailer::File { dir, .. } => {
                let dir = dir.clone();
                let id = mail.id.clone();
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || write_eml(&dir, &id, &bytes))
                    .await
                    .map_err(|e| SendError::Transient(format!("writing the mail failed: {e}")))?
            }
            Mailer::Memory { sent, .. } => {
                let mut sent = sent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                sent.push(SentMail {
                    message_id: self.message_id(&mail.id),
                    to: mail.to.clone(),
                    subject: mail.subject.clone(),
                    text: mail.text.clone(),
                    html: mail.html.clone(),
                    raw: String::from_utf8_lossy(&message.formatted()).into_owned(),
                });
                Ok(())
            }
        }
    }
}

fn parse_from(mail_from: &str) -> anyhow::Result<Mailbox> {
    mail_from.parse().map_err(|e| {
        anyhow::anyhow!(
            "MAIL_FROM: `{mail_from}` is not an address like `Health Check-in <no-reply@example.com>`: {e}"
        )
    })
}

/// The connection pool for `SMTP_URL`, and the server's name for logs. Errors name the
/// setting and never carry the password.
fn smtp_pool(url: &str, connections: u32) -> anyhow::Result<(Arc<smtp::SmtpPool>, String)> {
    let parsed = url::Url::parse(url).map_err(|e| {
        anyhow::anyhow!("SMTP_URL: not a URL ({e}); expected e.g. smtps://user:pass@host:465")
    })?;
    let password = parsed.password().unwrap_or_default().to_string();
    let hide = |message: String| {
        if password.is_empty() {
            message
        } else {
            message.replace(&password, "***")
        }
    };
    let server =
        smtp::Server::from_url(&parsed).map_err(|e| anyhow::anyhow!("SMTP_URL: {}", hide(e)))?;
    if tokio::runtime::Handle::try_current().is_err() {
        anyhow::bail!("SMTP_URL: the SMTP connection pool needs a running async runtime");
    }
    let pool = smtp::SmtpPool::new(server, connections.max(1));
    let server = format!(
        "{}://{}:{}",
        parsed.scheme(),
        parsed.host_str().unwrap_or_default(),
        parsed
            .port()
            .map_or_else(|| "default".to_string(), |p| p.to_string())
    );
    Ok((pool, server))
}

/// 5xx means "not this mail, not ever", except for authentication replies: a wrong password
/// is the server's configuration, fixed by an admin, and must not fail every queued mail.
fn is_permanent_code(code: u16) -> bool {
    (500..600).contains(&code) && !matches!(code, 530 | 534 | 535 | 538)
}

fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let reply = e.to_string();
    let code = e.status().and_then(|c| c.to_string().parse::<u16>().ok());
    match code {
        Some(code) if is_permanent_code(code) => SendError::Permanent(reply),
        Some(_) => SendError::Transient(reply),
        // Refused by the client itself (e.g. an address the server cannot take).
        None if e.is_client() => SendError::Permanent(reply),
        // Refused or dropped connections, timeouts, TLS trouble: try again later.
        None => SendError::Transient(reply),
    }
}

/// Writes `<id>.eml` through a temporary file, so a reader never sees half a mail and a
/// retry of the same row replaces the file instead of adding another.
fn write_eml(dir: &std::path::Path, id: &str, bytes: &[u8]) -> Result<(), SendError> {
    let fail =
        |e: std::io::Error| SendError::Transient(format!("cannot write to {}: {e}", dir.display()));
    crate::private_files::private_dir(dir).map_err(fail)?;
    let partial = dir.join(format!(".{id}.eml.partial"));
    crate::private_files::write_private(&partial, bytes).map_err(fail)?;
    std::fs::rename(&partial, dir.join(format!("{id}.eml"))).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings_with_smtp(url: &str) -> Settings {
        let mut s = Settings::from_sources(None, |_| None).unwrap();
        s.smtp_url = Some(crate::config::Secret::new(url));
        s
    }

    fn error_of(url: &str) -> String {
        match Mailer::from_settings(&settings_with_smtp(url)) {
            Ok(m) => panic!("{url} was accepted as {m:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn bad_smtp_urls_name_the_setting_and_hide_the_password() {
        for url in [
            "smtp://user:hunter2@mail.example.com:587?tls=sometimes",
            "smtp://user:hunter2@:587",
            "smtps://user:hunter2@mail.example.com:99999",
            "smtp://user:hunter2%FF@mail.example.com:587",
            "not a url hunter2",
        ] {
            let err = error_of(url);
            assert!(err.starts_with("SMTP_URL: "), "{url}: {err}");
            assert!(!err.contains("hunter2"), "{url}: {err}");
        }
        let err = error_of("smtp://user:hunter2@mail.example.com:587?tls=sometimes");
        assert!(err.contains("sometimes"), "{err}");
    }

    #[test]
    fn bad_sender_names_the_setting() {
        let mut s = Settings::from_sources(None, |_| None).unwrap();
        s.mail_from = "no address here".into();
        let err = Mailer::from_settings(&s).unwrap_err().to_string();
        assert!(err.starts_with("MAIL_FROM: "), "{err}");
    }

    #[tokio::test]
    async fn the_three_smtp_url_forms_build_a_transport() {
        for url in [
            "smtps://user:p%40ss@mail.example.com:465",
            "smtp://user:pass@mail.example.com:587?tls=required",
            "smtp://127.0.0.1:2525",
        ] {
            let mailer = Mailer::from_settings(&settings_with_smtp(url)).unwrap();
            let shown = format!("{mailer:?}");
            assert!(shown.starts_with("Mailer::Smtp("), "{shown}");
            assert!(!shown.contains("pass"), "{shown}");
        }
    }

    #[test]
    fn replies_are_classified_by_code() {
        assert!(is_permanent_code(550));
        assert!(is_permanent_code(553));
        assert!(is_permanent_code(554));
        assert!(!is_permanent_code(451));
        assert!(!is_permanent_code(421));
        assert!(!is_permanent_code(535));
        assert!(!is_permanent_code(530));
    }

    fn mail(id: &str, to: &str) -> OutgoingMail {
        OutgoingMail {
            id: id.into(),
            to: to.into(),
            subject: "Reset your password".into(),
            text: "Open https://hc.example/#/x?token=t".into(),
            html: "<p>Open <a href=\"https://hc.example/#/x?token=t\">the link</a></p>".into(),
            date: chrono::DateTime::from_timestamp(1_580_691_600, 0).unwrap(),
        }
    }

    #[tokio::test]
    async fn the_memory_backend_keeps_both_parts_and_a_stable_message_id() {
        let (mailer, sent) = Mailer::memory("Health Check-in <no-reply@hc.example>").unwrap();
        mailer
            .send(&mail("0190-abc", "li@example.test"))
            .await
            .unwrap();
        mailer
            .send(&mail("0190-abc", "li@example.test"))
            .await
            .unwrap();
        let sent = sent.lock().unwrap();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0].message_id, "<0190-abc@hc.example>");
        assert_eq!(sent[0].message_id, sent[1].message_id);
        let raw = &sent[0].raw;
        assert!(raw.contains("Message-ID: <0190-abc@hc.example>"), "{raw}");
        assert!(raw.contains("To: li@example.test"), "{raw}");
        assert!(
            raw.contains("Date: Mon, 03 Feb 2020 01:00:00 +0000"),
            "{raw}"
        );
        assert!(raw.contains("Content-Type: multipart/alternative"), "{raw}");
        assert!(
            raw.contains("Content-Type: text/plain; charset=utf-8"),
            "{raw}"
        );
        assert!(
            raw.contains("Content-Type: text/html; charset=utf-8"),
            "{raw}"
        );
    }

    #[tokio::test]
    async fn an_unusable_address_is_permanent() {
        let (mailer, sent) = Mailer::memory("no-reply@hc.example").unwrap();
        let err = mailer.send(&mail("1", "not an address")).await.unwrap_err();
        assert!(err.is_permanent(), "{err}");
        assert!(sent.lock().unwrap().is_empty());
    }
}
