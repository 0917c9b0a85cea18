//! The command line: serve (the default), migrate, org create, import-employees, remind, demo,
//! doctor, backup, purge.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::auth::jwt::load_keys;
use crate::config::Settings;
use crate::db;
use crate::invitations::{Links, INVITATION_DAYS};
use crate::provisioning::{create_organization, NewOrganization, ProvisionError};
use crate::services::people::{self, ImportError, ImportOptions};
use crate::startup::Application;
use crate::{demo, telemetry};

#[derive(Parser)]
#[command(
    name = "health-checkin",
    version,
    about = "Daily health check-in service"
)]
pub struct Cli {
    /// A TOML file with settings; environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API and the web app (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Import people from a CSV file into an organization (all or nothing).
    ImportEmployees {
        /// The organization's id (printed by `org create`).
        #[arg(long)]
        org: String,
        /// Check the file and report, without writing.
        #[arg(long)]
        dry_run: bool,
        /// Do not e-mail invitations to the people created.
        #[arg(long)]
        no_invite: bool,
        /// CSV with the header email,name,employee_no,department,role,manager_of.
        file: PathBuf,
    },
    /// Queue reminders now for everyone expected and unreported (an on-demand pass in every
    /// organization), then deliver the outbox once.
    Remind {
        /// YYYY-MM-DD; each organization's today when left out.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
    /// Check the settings, the database, mail, the data folder and the signing secret, and
    /// name the setting of each problem; exits non-zero when one would stop the service.
    Doctor,
    /// Copy the SQLite database to a new file while the service runs (PostgreSQL: pg_dump).
    Backup {
        /// The file to write; it must not exist yet.
        path: PathBuf,
    },
    /// Purge what each organization's retention no longer keeps (answers, revisions, leave
    /// notes, mail bodies, old audit entries), as the closing job does, and print the counts.
    Purge {
        /// Count what would be purged, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Seed a demo organization, print its logins, then serve.
    Demo {
        /// Seed and print the logins, but do not serve.
        #[arg(long)]
        no_serve: bool,
    },
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Create an organization and its first administrator.
    Create {
        #[arg(long)]
        name: String,
        /// IANA time zone, e.g. Asia/Shanghai.
        #[arg(long)]
        timezone: String,
        #[arg(long)]
        admin_email: String,
        /// The administrator's display name (defaults to the e-mail's name).
        #[arg(long)]
        admin_name: Option<String>,
        /// Without it, a one-time link to set the password is printed.
        #[arg(long)]
        admin_password: Option<String>,
    },
}

pub fn run() -> ExitCode {
    init_tls();
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Doctor => return doctor(&settings, cli.config.as_deref()),
        Command::Backup { path } => backup(&settings, &path),
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings),
        Command::Org(OrgCommand::Create {
            name,
            timezone,
            admin_email,
            admin_name,
            admin_password,
        }) => org_create(
            &settings,
            NewOrganization {
                name,
                timezone,
                admin_email,
                admin_name,
                admin_password,
            },
        ),
        Command::ImportEmployees {
            org,
            dry_run,
            no_invite,
            file,
        } => import_employees(&settings, &org, dry_run, !no_invite, &file),
        Command::Remind { date } => remind(settings, date),
        Command::Purge { dry_run } => purge(&settings, dry_run),
        Command::Demo { no_serve } => run_demo(settings, no_serve),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Initializes OpenSSL before libpq does, without its exit handler: otherwise the handler can
/// tear OpenSSL down at exit while a pool thread is still in a TLS handshake (a crash).
pub fn init_tls() {
    openssl::init();
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings.clone())?;
        let host = settings.bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
        println!(
            "health-checkin listening on http://{host}:{} ({})",
            app.port(),
            settings.database_url.backend_name()
        );
        if app.first_start().await {
            println!(
                "No organization yet. Create the first one with:\n  \
                 health-checkin org create --name \"Acme\" --timezone Asia/Shanghai --admin-email hr@acme.test\n\
                 or try it with demo data: health-checkin demo"
            );
        }
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn doctor(settings: &Settings, config_file: Option<&std::path::Path>) -> ExitCode {
    let findings = actix_web::rt::System::new()
        .block_on(async { crate::doctor::examine(settings, config_file).await });
    if crate::doctor::report(&findings) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn purge(settings: &Settings, dry_run: bool) -> anyhow::Result<()> {
    use crate::services::retention::{self, Mode};
    let pool = crate::startup::prepare_database(settings)?;
    let mut conn = pool.get()?;
    let mode = if dry_run { Mode::DryRun } else { Mode::Purge };
    let done = retention::purge_every_organization(&mut conn, mode, chrono::Utc::now())?;
    let verb = if dry_run { "would purge" } else { "purged" };
    for o in &done {
        let p = &o.purged;
        println!(
            "{} ({}): {verb} answers of {} check-in(s), {} earlier version(s), {} case note(s), \
             {} leave note(s), {} mail bod(ies), {} audit entr(ies)",
            o.org_name,
            o.org_id,
            p.checkins,
            p.revisions,
            p.case_notes,
            p.leave_notes,
            p.mails,
            p.audit_entries
        );
    }
    if done.is_empty() {
        println!("no organization yet: nothing to purge");
    }
    Ok(())
}

fn backup(settings: &Settings, path: &std::path::Path) -> anyhow::Result<()> {
    let bytes = db::backup::backup(&settings.database_url, path)?;
    println!(
        "backup written to {} ({:.1} MiB)",
        path.display(),
        bytes as f64 / (1024.0 * 1024.0)
    );
    if let crate::config::DatabaseUrl::Sqlite(live) = &settings.database_url {
        println!(
            "to restore: stop the service, delete {0}-wal and {0}-shm, copy the backup over {0} \
             and start again",
            live.display()
        );
    }
    Ok(())
}

fn migrate(settings: &Settings) -> anyhow::Result<()> {
    db::connect_one(&settings.database_url)?;
    println!(
        "database is up to date ({})",
        settings.database_url.redacted()
    );
    Ok(())
}

fn org_create(settings: &Settings, new: NewOrganization) -> anyhow::Result<()> {
    let mut conn = db::connect_one(&settings.database_url)?;
    let (jwt, _) = load_keys(settings, &mut conn, chrono::Utc::now().naive_utc())?;
    let created = create_organization(
        &mut conn,
        &jwt,
        &settings.public_url,
        chrono::Utc::now(),
        new,
    )
    .map_err(|e| match e {
        ProvisionError::Other(e) => e,
        other => anyhow::anyhow!(other),
    })?;
    println!("organization created");
    println!("  id:       {}", created.org.id);
    println!("  name:     {}", created.org.name);
    println!("  timezone: {}", created.org.timezone);
    println!("  admin:    {}", created.admin.email);
    match created.set_password_link {
        Some(link) => println!(
            "The admin sets a password with this one-time link (valid {INVITATION_DAYS} days):\n  {link}"
        ),
        None => println!("The admin can log in now."),
    }
    Ok(())
}

fn import_employees(
    settings: &Settings,
    org_id: &str,
    dry_run: bool,
    invite: bool,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let in_file = |e: ImportError| match e {
        ImportError::UnknownOrganization(id) => {
            anyhow::anyhow!("--org: no organization with the id {id}")
        }
        ImportError::TooLarge => anyhow::anyhow!(
            "{} is larger than {} MiB",
            file.display(),
            crate::import::MAX_IMPORT_BYTES / 1024 / 1024
        ),
        ImportError::Unreadable(problem) => anyhow::anyhow!("{}: {problem}", file.display()),
        ImportError::Failed(e) => e,
    };
    let text = people::read_import(bytes).map_err(in_file)?;
    let mut conn = db::connect_one(&settings.database_url)?;
    let (jwt, _) = load_keys(settings, &mut conn, chrono::Utc::now().naive_utc())?;
    let links = Links::new(&jwt, &settings.public_url);
    let started = std::time::Instant::now();
    let options = ImportOptions { dry_run, invite };
    let report = people::import(&mut conn, org_id, &text, options, links, chrono::Utc::now())
        .map_err(in_file)?;
    if !report.errors.is_empty() {
        for e in &report.errors {
            eprintln!("line {}: {}", e.line, e.message);
        }
        anyhow::bail!(
            "{} line(s) have errors; nothing was imported",
            report.errors.len()
        );
    }
    println!(
        "{}{} created, {} updated, {} unchanged, {} departments created ({:.1} s)",
        if dry_run {
            "dry run, nothing written: "
        } else {
            ""
        },
        report.created,
        report.updated,
        report.unchanged,
        report.departments_created,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn remind(settings: Settings, date: Option<chrono::NaiveDate>) -> anyhow::Result<()> {
    use crate::jobs::delivery::{self, Delivery};
    use crate::services::reminders;

    actix_web::rt::System::new().block_on(async move {
        let pool = crate::startup::prepare_database(&settings)?;
        let mailer = crate::email::Mailer::from_settings(&settings)?;
        let now = chrono::Utc::now();
        let public_url = settings.public_url.clone();
        let planner = pool.clone();
        let reminded = actix_web::web::block(move || -> anyhow::Result<_> {
            let mut conn = planner.get()?;
            Ok(reminders::remind_every_organization(
                &mut conn,
                date,
                &public_url,
                now,
            )?)
        })
        .await?
        .map_err(|e| anyhow::anyhow!("planning reminders: {e}"))?;
        for r in &reminded {
            println!(
                "{}: {} reminder(s) queued for {}",
                r.org_name, r.queued, r.day
            );
        }
        let outbox = Delivery {
            pool: &pool,
            mailer: &mailer,
            clock: &crate::clock::SystemClock,
            connections: settings.smtp_connections,
            stopping: None,
        };
        let mut sent = 0;
        let mut failed = 0;
        let mut retrying = 0;
        loop {
            let report = delivery::deliver(&outbox).await?;
            sent += report.sent;
            failed += report.failed;
            retrying += report.retrying;
            if report.claimed == 0 {
                break;
            }
        }
        println!("delivery: {sent} sent, {failed} failed, {retrying} to retry later");
        Ok(())
    })
}

fn run_demo(settings: Settings, no_serve: bool) -> anyhow::Result<()> {
    let mut conn = db::connect_one(&settings.database_url)?;
    match demo::seed(&mut conn, chrono::Utc::now())? {
        demo::Seeded::Created { people, checkins } => {
            println!("demo organization seeded: {people} people, {checkins} check-ins")
        }
        demo::Seeded::AlreadyThere => println!("demo organization already seeded"),
    }
    drop(conn);
    println!("logins (password for all: {}):", demo::DEMO_PASSWORD);
    for login in demo::LOGINS {
        println!("  {:<8} {}", login.role.as_str(), login.email);
    }
    if no_serve {
        return Ok(());
    }
    serve(settings)
}
