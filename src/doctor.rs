//! `health-checkin doctor`: checks what a start needs, names the setting of each problem, and
//! fails when one would stop the service or its mail.

use std::path::Path;

use crate::auth::jwt::SecretSource;
use crate::config::{DatabaseUrl, Settings};
use crate::db::{self, secrets, ConnectionManager};
use crate::email::Mailer;
use crate::private_files;

/// How one check came out.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Works, but worth a look.
    Warn,
    /// The service or its mail would not work.
    Fail,
}

#[derive(Debug)]
pub struct Finding {
    pub verdict: Verdict,
    /// The setting to look at.
    pub setting: &'static str,
    pub detail: String,
}

fn finding(verdict: Verdict, setting: &'static str, detail: impl Into<String>) -> Finding {
    Finding {
        verdict,
        setting,
        detail: detail.into(),
    }
}

/// Every check, in the order a start meets them. Nothing is created or migrated (a SQLite
/// file that is there is opened as the service opens it, in WAL mode).
pub async fn examine(settings: &Settings, config_file: Option<&Path>) -> Vec<Finding> {
    let source = match config_file {
        Some(file) => format!("read from the environment and {}", file.display()),
        None => "read from the environment".to_string(),
    };
    let mut findings = vec![finding(Verdict::Ok, "configuration", source)];
    let database = settings.database_url.clone();
    let (db_finding, secret) = tokio::task::spawn_blocking(move || examine_database(&database))
        .await
        .unwrap_or_else(|e| {
            (
                finding(
                    Verdict::Fail,
                    "DATABASE_URL",
                    format!("the check crashed: {e}"),
                ),
                None,
            )
        });
    findings.push(db_finding);
    findings.push(examine_secret(settings, secret));
    findings.push(examine_data_dir(&settings.data_dir));
    findings.push(examine_mail(settings).await);
    findings.push(examine_public_url(&settings.public_url));
    findings
}

/// Reachable, and the schema is this version's. Returns the stored signing secret's state
/// when the database could be read: `Some(true)` when one is kept there.
fn examine_database(url: &DatabaseUrl) -> (Finding, Option<bool>) {
    const SETTING: &str = "DATABASE_URL";
    let shown = url.redacted();
    if let DatabaseUrl::Sqlite(path) = url {
        if !path.exists() {
            return (
                finding(
                    Verdict::Warn,
                    SETTING,
                    format!("{shown} does not exist yet; the first start creates it"),
                ),
                None,
            );
        }
    }
    let mut conn = match ConnectionManager::new(url.clone()).establish() {
        Ok(conn) => conn,
        Err(e) => return (finding(Verdict::Fail, SETTING, e.to_string()), None),
    };
    let state = match db::migration_state(&mut conn) {
        Ok(state) => state,
        Err(e) => {
            return (
                finding(Verdict::Fail, SETTING, format!("{shown}: {e}")),
                None,
            )
        }
    };
    // Before the migration that keeps it, there is none yet, which the next start makes.
    let secret_kept = match secrets::find(&mut conn, "jwt") {
        Ok(found) => Some(found.is_some()),
        Err(_) if !state.pending.is_empty() => Some(false),
        Err(_) => None,
    };
    let found = if !state.unknown.is_empty() {
        finding(
            Verdict::Fail,
            SETTING,
            format!(
                "{shown} has {} migration(s) this version does not know ({}): a newer version \
                 wrote it; run that version",
                state.unknown.len(),
                state.unknown.join(", ")
            ),
        )
    } else if !state.pending.is_empty() {
        finding(
            Verdict::Warn,
            SETTING,
            format!(
                "{shown} answers; {} migration(s) to apply, which the next start (or \
                 `health-checkin migrate`) does",
                state.pending.len()
            ),
        )
    } else {
        finding(
            Verdict::Ok,
            SETTING,
            format!(
                "{shown} answers; its {} migrations are current",
                state.applied
            ),
        )
    };
    (found, secret_kept)
}

fn examine_secret(settings: &Settings, kept_in_database: Option<bool>) -> Finding {
    const SETTING: &str = "JWT_SECRET";
    let previous = if settings.jwt_secret_previous.is_some() {
        "; tokens of JWT_SECRET_PREVIOUS are accepted too"
    } else {
        ""
    };
    if settings.jwt_secret.is_some() {
        return finding(
            Verdict::Ok,
            SETTING,
            format!("set; every instance must have the same{previous}"),
        );
    }
    match kept_in_database {
        Some(true) => finding(
            Verdict::Ok,
            SETTING,
            format!("not set: {}{previous}", SecretSource::Database.describe()),
        ),
        Some(false) => finding(
            Verdict::Ok,
            SETTING,
            "not set: the first start generates one and keeps it in the database, for every \
             instance on it",
        ),
        None => finding(
            Verdict::Warn,
            SETTING,
            "not set, and the database could not be read to find the kept one",
        ),
    }
}

async fn examine_mail(settings: &Settings) -> Finding {
    const SETTING: &str = "SMTP_URL";
    if settings.smtp_url.is_none() {
        return finding(
            Verdict::Warn,
            SETTING,
            format!(
                "not set: mail is written as files to {} and nobody receives it",
                settings.data_dir.join("outbox").display()
            ),
        );
    }
    let mailer = match Mailer::from_settings(settings) {
        Ok(mailer) => mailer,
        Err(e) => return finding(Verdict::Fail, SETTING, format!("{e:#}")),
    };
    match mailer.check().await {
        Ok(detail) => finding(Verdict::Ok, SETTING, detail),
        Err(problem) => finding(Verdict::Fail, SETTING, problem),
    }
}

fn examine_public_url(public_url: &str) -> Finding {
    const SETTING: &str = "PUBLIC_URL";
    let Ok(url) = url::Url::parse(public_url) else {
        return finding(Verdict::Fail, SETTING, "not a URL");
    };
    let local = matches!(
        url.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
    );
    if local {
        finding(
            Verdict::Warn,
            SETTING,
            format!("{public_url}: links in mails lead to this machine only; set the address people open"),
        )
    } else if url.scheme() == "http" {
        finding(
            Verdict::Warn,
            SETTING,
            format!("{public_url}: links in mails are plain http; sessions would cross the network unencrypted"),
        )
    } else {
        finding(Verdict::Ok, SETTING, public_url.to_string())
    }
}

fn examine_data_dir(dir: &Path) -> Finding {
    const SETTING: &str = "HC_DATA_DIR";
    let shown = dir.display();
    if !dir.exists() {
        return finding(
            Verdict::Warn,
            SETTING,
            format!("{shown} does not exist yet; the first start creates it"),
        );
    }
    if !dir.is_dir() {
        return finding(Verdict::Fail, SETTING, format!("{shown} is not a folder"));
    }
    let probe = dir.join(".write-check");
    if let Err(e) = std::fs::write(&probe, b"").and_then(|()| std::fs::remove_file(&probe)) {
        return finding(
            Verdict::Fail,
            SETTING,
            format!("cannot write to {shown}: {e}"),
        );
    }
    if private_files::open_to_others(dir) {
        return finding(
            Verdict::Warn,
            SETTING,
            format!(
                "{shown} holds personal data and other local users can read it; `chmod 700` it"
            ),
        );
    }
    finding(
        Verdict::Ok,
        SETTING,
        format!("{shown} is writable and private"),
    )
}

/// Prints the findings; true when none failed.
pub fn report(findings: &[Finding]) -> bool {
    for f in findings {
        let mark = match f.verdict {
            Verdict::Ok => "ok  ",
            Verdict::Warn => "warn",
            Verdict::Fail => "FAIL",
        };
        println!("{mark}  {}: {}", f.setting, f.detail);
    }
    let failed = findings
        .iter()
        .filter(|f| f.verdict == Verdict::Fail)
        .count();
    if failed == 0 {
        println!("no problems that stop the service");
    } else {
        println!("{failed} check(s) failed");
    }
    failed == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_address_on_https_is_fine_and_others_are_named() {
        assert_eq!(
            examine_public_url("https://checkin.acme.test").verdict,
            Verdict::Ok
        );
        assert_eq!(
            examine_public_url("http://checkin.acme.test").verdict,
            Verdict::Warn
        );
        assert_eq!(
            examine_public_url("http://127.0.0.1:8080").verdict,
            Verdict::Warn
        );
    }

    #[test]
    fn a_data_folder_is_checked_for_writing_and_privacy() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(examine_data_dir(dir.path()).verdict, Verdict::Ok);
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(examine_data_dir(dir.path()).verdict, Verdict::Warn);
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"").unwrap();
        assert_eq!(examine_data_dir(&file).verdict, Verdict::Fail);
        assert_eq!(
            examine_data_dir(&dir.path().join("not-yet")).verdict,
            Verdict::Warn
        );
    }
}
