//! One version and one set of facts: Cargo, the binary, the OpenAPI document, the README and
//! the changelog.

use std::process::Command;

use reqwest::StatusCode;

use crate::helpers::{binary, spawn_app};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md is readable")
}

fn changelog() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/CHANGELOG.md"))
        .expect("CHANGELOG.md is readable")
}

/// The highest `- X.Y.Z:` entry of the changelog.
fn newest_changelog_version(changelog: &str) -> String {
    let mut versions: Vec<(u64, u64, u64)> = changelog
        .lines()
        .filter_map(|line| line.strip_prefix("- ")?.split_once(':'))
        .filter_map(|(version, _)| {
            let mut parts = version.split('.').map(|p| p.parse::<u64>().ok());
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(Some(a)), Some(Some(b)), Some(Some(c)), None) => Some((a, b, c)),
                _ => None,
            }
        })
        .collect();
    versions.sort_unstable();
    let (a, b, c) = versions.pop().expect("the changelog names versions");
    format!("{a}.{b}.{c}")
}

#[tokio::test]
async fn cargo_the_binary_the_openapi_document_and_the_changelog_name_one_version() {
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(newest_changelog_version(&changelog()), version);
    assert!(
        readme().contains("(CHANGELOG.md)"),
        "the README links to the changelog"
    );

    let app = spawn_app().await;
    let doc = app
        .send(app.client.get(app.url("/api/v1/openapi.json")))
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["info"]["version"], version);

    let out = Command::new(binary())
        .arg("--version")
        .output()
        .expect("the binary runs");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("health-checkin {version}")
    );
}

#[test]
fn the_newest_changelog_entry_is_the_highest_version_not_the_last_line() {
    let text = "# Changelog\n\n- 0.9.0: a\n- 0.10.0: b\n  - 1.0.0: a sub-item\n- Later: c\n";
    assert_eq!(newest_changelog_version(text), "0.10.0");
}

#[test]
fn the_readme_gives_the_defaults_of_the_code() {
    let readme = readme();
    let row = |name: &str| {
        readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("the configuration table has {name}"))
            .split('|')
            .nth(2)
            .map(|cell| cell.trim().trim_matches('`').to_string())
            .unwrap_or_default()
    };
    assert_eq!(
        row("SMTP_CONNECTIONS"),
        health_checkin::config::DEFAULT_SMTP_CONNECTIONS.to_string()
    );
    let toolchain = env!("CARGO_PKG_RUST_VERSION");
    assert!(
        readme.contains(&format!("Rust toolchain ({toolchain} or newer)")),
        "the README names the toolchain of Cargo.toml's rust-version, {toolchain}"
    );
}
