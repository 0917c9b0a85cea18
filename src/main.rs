use std::process::ExitCode;

fn main() -> ExitCode {
    health_checkin::cli::run()
}
