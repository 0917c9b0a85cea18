//! Settings from environment variables and an optional TOML file (the environment wins).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::auth::client::TrustedProxies;

/// A value that never shows up in logs or `Debug` output.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_string()));
        }
        if let Some(path) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("a sqlite:// URL needs a file path, e.g. sqlite://./data/health-checkin.sqlite3".into());
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        let scheme = raw.split(':').next().unwrap_or_default();
        Err(format!(
            "unsupported scheme `{scheme}`; use sqlite://PATH or postgres://USER@HOST/DB"
        ))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// The URL without its password, fit for logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => match url::Url::parse(url) {
                Ok(mut parsed) => {
                    if parsed.password().is_some() {
                        let _ = parsed.set_password(Some("***"));
                    }
                    parsed.to_string()
                }
                Err(_) => "postgres://[unparsable]".into(),
            },
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: DatabaseUrl,
    pub db_pool_size: u32,
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    pub public_url: String,
    pub jwt_secret: Option<Secret>,
    /// The secret before the last rotation: tokens it signed are still accepted, none are
    /// signed with it.
    pub jwt_secret_previous: Option<Secret>,
    pub session_hours: i64,
    pub log_format: LogFormat,
    /// Seconds between passes of the mail delivery loop; 0 turns it off.
    pub delivery_interval_secs: u64,
    /// Seconds between looks for due reminder passes; 0 turns the scheduler off.
    pub reminder_interval_secs: u64,
    /// Seconds between looks for a yesterday to close; 0 turns the job off.
    pub close_interval_secs: u64,
    /// Open SMTP connections, and so mails sent at once by one instance.
    pub smtp_connections: u32,
    /// Seconds an export waits for a client that stopped reading before it gives up.
    pub export_send_timeout_secs: u64,
    /// The web app's files, served at `/`.
    /// The web app's files from this folder instead of those built into the binary.
    pub static_dir: Option<PathBuf>,
    /// Our own proxies: only their forwarded headers name the client; empty trusts none.
    pub trusted_proxies: TrustedProxies,
    /// Failed logins from one client address in 15 minutes before it must wait.
    pub login_failures_per_client: u32,
    /// Anonymous requests (log in, set a password, forgot password) one client may send per
    /// minute, at once or spread out, before the in-memory guard refuses them; 0 turns it off.
    pub auth_requests_per_minute: u32,
    /// When set, `/metrics` answers only requests that bear it.
    pub metrics_token: Option<Secret>,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {setting}: {problem}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub problem: String,
}

fn bad(setting: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        setting,
        problem: problem.into(),
    }
}

/// The optional TOML file: the same settings, named in lower case.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    bind: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    db_pool_size: Option<u32>,
    smtp_url: Option<Secret>,
    mail_from: Option<String>,
    public_url: Option<String>,
    jwt_secret: Option<Secret>,
    jwt_secret_previous: Option<Secret>,
    session_hours: Option<i64>,
    log_format: Option<String>,
    delivery_interval_secs: Option<u64>,
    static_dir: Option<PathBuf>,
    reminder_interval_secs: Option<u64>,
    close_interval_secs: Option<u64>,
    smtp_connections: Option<u32>,
    export_send_timeout_secs: Option<u64>,
    trusted_proxies: Option<String>,
    login_failures_per_client: Option<u32>,
    auth_requests_per_minute: Option<u32>,
    metrics_token: Option<Secret>,
}

pub const MIN_JWT_SECRET_BYTES: usize = 32;
/// Long enough not to be guessed by a scraper's neighbours.
pub const MIN_METRICS_TOKEN_BYTES: usize = 16;
/// A connection sends a mail in a few round trips (TCP_NODELAY, see `email::smtp`): 8 deliver
/// well over 1,000 mails/s to a fast relay, and stay within what relays allow one client.
pub const DEFAULT_SMTP_CONNECTIONS: u32 = 8;
pub const MAX_SMTP_CONNECTIONS: u32 = 256;
/// Long enough for a client busy with something else, short enough that a vanished one does
/// not keep a database connection.
pub const DEFAULT_EXPORT_SEND_TIMEOUT_SECS: u64 = 30;
pub const DEFAULT_LOGIN_FAILURES_PER_CLIENT: u32 = 50;
pub const MAX_LOGIN_FAILURES_PER_CLIENT: u32 = 100_000;
pub const DEFAULT_AUTH_REQUESTS_PER_MINUTE: u32 = 300;
pub const MAX_AUTH_REQUESTS_PER_MINUTE: u32 = 1_000_000;

impl Settings {
    /// Reads the process environment and, when given, a TOML file.
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        let file = match config_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| bad("--config", format!("cannot read {}: {e}", path.display())))?,
            ),
            None => None,
        };
        Self::from_sources(file.as_deref(), |name| std::env::var(name).ok())
    }

    pub fn from_sources(
        file: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file: FileSettings = match file {
            Some(text) => toml::from_str(text).map_err(|e| bad("--config", e.to_string()))?,
            None => FileSettings::default(),
        };
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());

        let bind = env("HC_BIND")
            .or(file.bind)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let data_dir = env("HC_DATA_DIR")
            .map(PathBuf::from)
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = match env("DATABASE_URL").or(file.database_url) {
            Some(raw) => DatabaseUrl::parse(&raw).map_err(|p| bad("DATABASE_URL", p))?,
            None => DatabaseUrl::Sqlite(data_dir.join("health-checkin.sqlite3")),
        };
        let db_pool_size = match env("HC_DB_POOL_SIZE") {
            Some(raw) => raw
                .parse()
                .map_err(|_| bad("HC_DB_POOL_SIZE", "must be a whole number"))?,
            None => file.db_pool_size.unwrap_or(10),
        };
        if !(1..=200).contains(&db_pool_size) {
            return Err(bad("HC_DB_POOL_SIZE", "must be between 1 and 200"));
        }
        let smtp_url = env("SMTP_URL").map(Secret::new).or(file.smtp_url);
        if let Some(smtp) = &smtp_url {
            let scheme = smtp.expose().split("://").next().unwrap_or_default();
            if scheme != "smtp" && scheme != "smtps" {
                return Err(bad("SMTP_URL", "must start with smtp:// or smtps://"));
            }
        }
        let mail_from = env("MAIL_FROM")
            .or(file.mail_from)
            .unwrap_or_else(|| "Health Check-in <no-reply@localhost>".into());
        let public_url = env("PUBLIC_URL")
            .or(file.public_url)
            .unwrap_or_else(|| "http://127.0.0.1:8080".into());
        match url::Url::parse(&public_url) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
            _ => return Err(bad("PUBLIC_URL", "must be an http:// or https:// URL")),
        }
        let public_url = public_url.trim_end_matches('/').to_string();
        let jwt_secret = env("JWT_SECRET").map(Secret::new).or(file.jwt_secret);
        let jwt_secret_previous = env("JWT_SECRET_PREVIOUS")
            .map(Secret::new)
            .or(file.jwt_secret_previous);
        for (setting, secret) in [
            ("JWT_SECRET", &jwt_secret),
            ("JWT_SECRET_PREVIOUS", &jwt_secret_previous),
        ] {
            if secret
                .as_ref()
                .is_some_and(|s| s.expose().len() < MIN_JWT_SECRET_BYTES)
            {
                return Err(bad(
                    setting,
                    format!("must be at least {MIN_JWT_SECRET_BYTES} bytes"),
                ));
            }
        }
        let session_hours = match env("HC_SESSION_HOURS") {
            Some(raw) => raw
                .parse()
                .map_err(|_| bad("HC_SESSION_HOURS", "must be a whole number"))?,
            None => file.session_hours.unwrap_or(24 * 7),
        };
        if !(1..=24 * 90).contains(&session_hours) {
            return Err(bad("HC_SESSION_HOURS", "must be between 1 and 2160"));
        }
        let log_format = match env("HC_LOG_FORMAT")
            .or(file.log_format)
            .as_deref()
            .unwrap_or("pretty")
        {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                return Err(bad(
                    "HC_LOG_FORMAT",
                    format!("`{other}` is not one of pretty, json"),
                ))
            }
        };
        let delivery_interval_secs = match env("HC_DELIVERY_INTERVAL_SECS") {
            Some(raw) => raw
                .parse()
                .map_err(|_| bad("HC_DELIVERY_INTERVAL_SECS", "must be a whole number"))?,
            None => file.delivery_interval_secs.unwrap_or(5),
        };
        if delivery_interval_secs > 3600 {
            return Err(bad(
                "HC_DELIVERY_INTERVAL_SECS",
                "must be between 0 (off) and 3600",
            ));
        }
        let static_dir = env("HC_STATIC_DIR").map(PathBuf::from).or(file.static_dir);
        let reminder_interval_secs = match env("HC_REMINDER_INTERVAL_SECS") {
            Some(raw) => raw
                .parse()
                .map_err(|_| bad("HC_REMINDER_INTERVAL_SECS", "must be a whole number"))?,
            None => file.reminder_interval_secs.unwrap_or(60),
        };
        if reminder_interval_secs > 3600 {
            return Err(bad(
                "HC_REMINDER_INTERVAL_SECS",
                "must be between 0 (off) and 3600",
            ));
        }
        let close_interval_secs = match env("HC_CLOSE_INTERVAL_SECS") {
            Some(raw) => raw
                .parse()
                .map_err(|_| bad("HC_CLOSE_INTERVAL_SECS", "must be a whole number"))?,
            None => file.close_interval_secs.unwrap_or(60),
        };
        if close_interval_secs > 3600 {
            return Err(bad(
                "HC_CLOSE_INTERVAL_SECS",
                "must be between 0 (off) and 3600",
            ));
        }
        let smtp_connections = match env("SMTP_CONNECTIONS") {
            Some(raw) => raw
                .parse()
                .map_err(|_| bad("SMTP_CONNECTIONS", "must be a whole number"))?,
            None => file.smtp_connections.unwrap_or(DEFAULT_SMTP_CONNECTIONS),
        };
        if !(1..=MAX_SMTP_CONNECTIONS).contains(&smtp_connections) {
            return Err(bad(
                "SMTP_CONNECTIONS",
                format!("must be between 1 and {MAX_SMTP_CONNECTIONS}"),
            ));
        }
        let export_send_timeout_secs = match env("HC_EXPORT_SEND_TIMEOUT_SECS") {
            Some(raw) => raw
                .parse()
                .map_err(|_| bad("HC_EXPORT_SEND_TIMEOUT_SECS", "must be a whole number"))?,
            None => file
                .export_send_timeout_secs
                .unwrap_or(DEFAULT_EXPORT_SEND_TIMEOUT_SECS),
        };
        if !(1..=3600).contains(&export_send_timeout_secs) {
            return Err(bad(
                "HC_EXPORT_SEND_TIMEOUT_SECS",
                "must be between 1 and 3600",
            ));
        }
        let trusted_proxies = env("HC_TRUSTED_PROXIES")
            .or(file.trusted_proxies)
            .map(|raw| TrustedProxies::parse(&raw).map_err(|p| bad("HC_TRUSTED_PROXIES", p)))
            .transpose()?
            .unwrap_or_default();
        let login_failures_per_client = match env("HC_LOGIN_FAILURES_PER_CLIENT") {
            Some(raw) => raw
                .parse()
                .map_err(|_| bad("HC_LOGIN_FAILURES_PER_CLIENT", "must be a whole number"))?,
            None => file
                .login_failures_per_client
                .unwrap_or(DEFAULT_LOGIN_FAILURES_PER_CLIENT),
        };
        if !(1..=MAX_LOGIN_FAILURES_PER_CLIENT).contains(&login_failures_per_client) {
            return Err(bad(
                "HC_LOGIN_FAILURES_PER_CLIENT",
                format!("must be between 1 and {MAX_LOGIN_FAILURES_PER_CLIENT}"),
            ));
        }
        let auth_requests_per_minute = match env("HC_AUTH_REQUESTS_PER_MINUTE") {
            Some(raw) => raw
                .parse()
                .map_err(|_| bad("HC_AUTH_REQUESTS_PER_MINUTE", "must be a whole number"))?,
            None => file
                .auth_requests_per_minute
                .unwrap_or(DEFAULT_AUTH_REQUESTS_PER_MINUTE),
        };
        if auth_requests_per_minute > MAX_AUTH_REQUESTS_PER_MINUTE {
            return Err(bad(
                "HC_AUTH_REQUESTS_PER_MINUTE",
                format!("must be between 0 (off) and {MAX_AUTH_REQUESTS_PER_MINUTE}"),
            ));
        }
        let metrics_token = env("HC_METRICS_TOKEN")
            .map(Secret::new)
            .or(file.metrics_token);
        if metrics_token
            .as_ref()
            .is_some_and(|t| t.expose().len() < MIN_METRICS_TOKEN_BYTES)
        {
            return Err(bad(
                "HC_METRICS_TOKEN",
                format!("must be at least {MIN_METRICS_TOKEN_BYTES} bytes"),
            ));
        }
        Ok(Self {
            bind,
            data_dir,
            database_url,
            db_pool_size,
            smtp_url,
            mail_from,
            public_url,
            jwt_secret,
            jwt_secret_previous,
            session_hours,
            log_format,
            delivery_interval_secs,
            static_dir,
            reminder_interval_secs,
            close_interval_secs,
            smtp_connections,
            export_send_timeout_secs,
            trusted_proxies,
            login_failures_per_client,
            auth_requests_per_minute,
            metrics_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_env(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_sources(None, move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let s = from_env(&[]).unwrap();
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(
            s.database_url,
            DatabaseUrl::Sqlite(PathBuf::from("./data/health-checkin.sqlite3"))
        );
        assert!(s.smtp_url.is_none());
    }

    #[test]
    fn unknown_database_scheme_names_the_setting() {
        let err = from_env(&[("DATABASE_URL", "mysql://x/y")]).unwrap_err();
        assert_eq!(err.setting, "DATABASE_URL");
        assert!(err.problem.contains("mysql"));
    }

    #[test]
    fn short_jwt_secret_is_refused() {
        let err = from_env(&[("JWT_SECRET", "too-short")]).unwrap_err();
        assert_eq!(err.setting, "JWT_SECRET");
        let err = from_env(&[("JWT_SECRET_PREVIOUS", "too-short")]).unwrap_err();
        assert_eq!(err.setting, "JWT_SECRET_PREVIOUS");
    }

    #[test]
    fn environment_overrides_the_file() {
        let s = Settings::from_sources(
            Some("bind = \"0.0.0.0:9000\"\nmail_from = \"a@b.c\""),
            |n| (n == "HC_BIND").then(|| "127.0.0.1:1".to_string()),
        )
        .unwrap();
        assert_eq!(s.bind, "127.0.0.1:1");
        assert_eq!(s.mail_from, "a@b.c");
    }

    #[test]
    fn reminder_interval_and_smtp_connections_are_settings() {
        let defaults = from_env(&[]).unwrap();
        assert_eq!(defaults.reminder_interval_secs, 60);
        assert_eq!(defaults.smtp_connections, DEFAULT_SMTP_CONNECTIONS);
        assert_eq!(DEFAULT_SMTP_CONNECTIONS, 8);
        let set = from_env(&[
            ("HC_REMINDER_INTERVAL_SECS", "0"),
            ("SMTP_CONNECTIONS", "16"),
        ])
        .unwrap();
        assert_eq!((set.reminder_interval_secs, set.smtp_connections), (0, 16));
        let err = from_env(&[("SMTP_CONNECTIONS", "0")]).unwrap_err();
        assert_eq!(err.setting, "SMTP_CONNECTIONS");
        let err = from_env(&[("HC_REMINDER_INTERVAL_SECS", "9999")]).unwrap_err();
        assert_eq!(err.setting, "HC_REMINDER_INTERVAL_SECS");
    }

    #[test]
    fn closing_days_has_its_own_schedule() {
        assert_eq!(from_env(&[]).unwrap().close_interval_secs, 60);
        let off = from_env(&[("HC_CLOSE_INTERVAL_SECS", "0")]).unwrap();
        assert_eq!(off.close_interval_secs, 0);
        let err = from_env(&[("HC_CLOSE_INTERVAL_SECS", "soon")]).unwrap_err();
        assert_eq!(err.setting, "HC_CLOSE_INTERVAL_SECS");
        let err = from_env(&[("HC_CLOSE_INTERVAL_SECS", "3601")]).unwrap_err();
        assert_eq!(err.setting, "HC_CLOSE_INTERVAL_SECS");
    }

    #[test]
    fn the_export_send_timeout_is_a_setting() {
        assert_eq!(
            from_env(&[]).unwrap().export_send_timeout_secs,
            DEFAULT_EXPORT_SEND_TIMEOUT_SECS
        );
        let set = from_env(&[("HC_EXPORT_SEND_TIMEOUT_SECS", "5")]).unwrap();
        assert_eq!(set.export_send_timeout_secs, 5);
        let file = Settings::from_sources(Some("export_send_timeout_secs = 90"), |_| None).unwrap();
        assert_eq!(file.export_send_timeout_secs, 90);
        for bad in ["0", "soon", "3601"] {
            let err = from_env(&[("HC_EXPORT_SEND_TIMEOUT_SECS", bad)]).unwrap_err();
            assert_eq!(err.setting, "HC_EXPORT_SEND_TIMEOUT_SECS", "{bad}");
        }
    }

    #[test]
    fn delivery_interval_defaults_to_five_seconds_and_zero_turns_it_off() {
        assert_eq!(from_env(&[]).unwrap().delivery_interval_secs, 5);
        let off = from_env(&[("HC_DELIVERY_INTERVAL_SECS", "0")]).unwrap();
        assert_eq!(off.delivery_interval_secs, 0);
        let file = Settings::from_sources(Some("delivery_interval_secs = 30"), |_| None).unwrap();
        assert_eq!(file.delivery_interval_secs, 30);
        for bad in ["-1", "soon", "3601"] {
            let err = from_env(&[("HC_DELIVERY_INTERVAL_SECS", bad)]).unwrap_err();
            assert_eq!(err.setting, "HC_DELIVERY_INTERVAL_SECS", "{bad}");
        }
    }

    #[test]
    fn the_web_app_is_built_in_unless_a_folder_is_named() {
        assert_eq!(from_env(&[]).unwrap().static_dir, None);
        let s = from_env(&[("HC_STATIC_DIR", "/srv/hc/static")]).unwrap();
        assert_eq!(s.static_dir, Some(PathBuf::from("/srv/hc/static")));
    }

    #[test]
    fn limits_are_settings_and_a_bad_proxy_list_names_its_setting() {
        let defaults = from_env(&[]).unwrap();
        assert_eq!(defaults.trusted_proxies, TrustedProxies::default());
        assert_eq!(defaults.login_failures_per_client, 50);
        assert_eq!(defaults.auth_requests_per_minute, 300);
        let set = from_env(&[
            ("HC_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"),
            ("HC_LOGIN_FAILURES_PER_CLIENT", "200"),
            ("HC_AUTH_REQUESTS_PER_MINUTE", "0"),
        ])
        .unwrap();
        assert!(set.trusted_proxies.trusts("10.1.2.3".parse().unwrap()));
        assert!(set.trusted_proxies.trusts("127.0.0.1".parse().unwrap()));
        assert!(!set.trusted_proxies.trusts("192.0.2.1".parse().unwrap()));
        assert_eq!(
            (set.login_failures_per_client, set.auth_requests_per_minute),
            (200, 0)
        );
        let file = Settings::from_sources(Some("trusted_proxies = \"::1\""), |_| None).unwrap();
        assert!(file.trusted_proxies.trusts("::1".parse().unwrap()));
        for (setting, value) in [
            ("HC_TRUSTED_PROXIES", "proxy.internal"),
            ("HC_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("HC_LOGIN_FAILURES_PER_CLIENT", "0"),
            ("HC_LOGIN_FAILURES_PER_CLIENT", "many"),
            ("HC_AUTH_REQUESTS_PER_MINUTE", "-1"),
        ] {
            let err = from_env(&[(setting, value)]).unwrap_err();
            assert_eq!(err.setting, setting, "{value}");
        }
        let err = from_env(&[("HC_TRUSTED_PROXIES", "10.0.0.0/8, nonsense")]).unwrap_err();
        assert!(err.problem.contains("nonsense"), "{}", err.problem);
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let s = from_env(&[
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef-secret"),
            (
                "JWT_SECRET_PREVIOUS",
                "fedcba9876543210fedcba9876543210-before",
            ),
            ("DATABASE_URL", "postgres://app:hunter2@db/hc"),
        ])
        .unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("0123456789abcdef"));
        assert!(!shown.contains("fedcba9876543210"));
        assert!(!shown.contains("hunter2"));
        assert!(!s.database_url.redacted().contains("hunter2"));
    }
}
