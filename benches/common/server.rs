//! The release server in a process of its own, as an operator runs it, with its memory read
//! from /proc.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use health_checkin::config::DatabaseUrl;

/// The server, killed when this is dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// The server on `url`, with its data folder in `dir` and `jwt_secret` as its key;
    /// `extra` adds settings.
    pub fn start(
        dir: &Path,
        url: &DatabaseUrl,
        jwt_secret: &str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let database_url = match url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => url.clone(),
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_health-checkin"))
            .arg("serve")
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("HC_DATA_DIR", dir)
            .env("HC_BIND", "127.0.0.1:0")
            .env("JWT_SECRET", jwt_secret)
            .env("HC_DELIVERY_INTERVAL_SECS", "0")
            .env("HC_REMINDER_INTERVAL_SECS", "0")
            .env("HC_CLOSE_INTERVAL_SECS", "0")
            .env("RUST_LOG", "warn")
            .envs(extra.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let first = lines
            .next()
            .ok_or_else(|| anyhow::anyhow!("the server said nothing"))??;
        // "health-checkin listening on http://127.0.0.1:PORT (sqlite)"
        let base = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .ok_or_else(|| anyhow::anyhow!("no address in `{first}`"))?
            .to_string();
        // Whatever else it prints is read and dropped, so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Self { child, base })
    }

    /// Starts the peak (`VmHWM`) again from the present resident size.
    pub fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }

    /// The CPU time the server has used so far, in seconds, its ended threads included.
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds_of(&format!("/proc/{}", self.child.id()))
    }

    /// A line of /proc/PID/status in MiB, e.g. `VmRSS` (now) or `VmHWM` (the peak so far).
    pub fn memory_mib(&self, field: &str) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find(|l| l.starts_with(&format!("{field}:")))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kib| kib.parse::<f64>().ok())
            })
            .map_or(f64::NAN, |kib| kib / 1024.0)
    }
}

/// The CPU time (user and system) of the process at `proc_dir` (`/proc/PID` or
/// `/proc/self`) so far, in seconds: what its `stat` says, which keeps the time of threads
/// that have ended (the blocking pool's end after ten idle seconds).
pub fn cpu_seconds_of(proc_dir: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("{proc_dir}/stat")) else {
        return f64::NAN;
    };
    // The name in parentheses may hold spaces; the fields are counted after it.
    let Some((_, after_name)) = stat.rsplit_once(')') else {
        return f64::NAN;
    };
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are the 14th and 15th fields, the 12th and 13th after the name.
    let ticks = |n: usize| fields.get(n).and_then(|f| f.parse::<f64>().ok());
    // SAFETY: sysconf reads a constant of the system and touches no memory of ours.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) if per_second > 0.0 => (user + system) / per_second,
        _ => f64::NAN,
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
