//! Rules for the fields of a person, shared by the employee API and the CSV import.

use chrono_tz::Tz;

use crate::domain::day::parse_timezone;
use crate::problem::Problem;

pub const LOCALES: [&str; 2] = ["zh-CN", "en"];
pub const MAX_EMPLOYEE_NO_CHARS: usize = 64;
pub const LEAVE_KINDS: [&str; 5] = ["annual", "sick", "personal", "parental", "other"];

pub fn employee_no(raw: &str) -> Result<Option<String>, Problem> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    // Counted as sent, spaces included: the limit the API documents.
    if raw.chars().count() > MAX_EMPLOYEE_NO_CHARS {
        return Err(Problem::too_long(MAX_EMPLOYEE_NO_CHARS));
    }
    if value.chars().any(char::is_control) {
        return Err(Problem::control_characters());
    }
    Ok(Some(value.to_string()))
}

/// `zh-CN` or `en` in any letter case (the documented pattern), stored as written here.
pub fn locale(raw: &str) -> Result<String, Problem> {
    LOCALES
        .iter()
        .find(|l| l.eq_ignore_ascii_case(raw))
        .map(|l| l.to_string())
        .ok_or_else(|| Problem::not_a_choice(&LOCALES))
}

pub fn timezone(raw: &str) -> Result<Tz, Problem> {
    parse_timezone(raw)
}

/// Exactly one of `LEAVE_KINDS`.
pub fn leave_kind(raw: &str) -> Result<String, Problem> {
    if LEAVE_KINDS.contains(&raw) {
        Ok(raw.to_string())
    } else {
        Err(Problem::not_a_choice(&LEAVE_KINDS))
    }
}

/// An address that already has an account. Logins are by e-mail alone, so an address is one
/// account on the whole server; the answer is the same whether the account is in the
/// caller's organization or another, and never says which.
pub fn email_taken(email: &str) -> Problem {
    Problem::new("taken", format!("{email} already has an account")).with("value", email)
}

/// An employee number someone else in the organization has.
pub fn employee_no_taken(number: &str, holder: &str) -> Problem {
    Problem::new(
        "taken",
        format!("employee number {number} belongs to {holder}"),
    )
    .with("value", number)
    .with("holder", holder)
}
