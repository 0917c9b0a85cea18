//! Rules for the fields of a person, shared by the employee API and the CSV import.

use chrono_tz::Tz;

use crate::domain::day::parse_timezone;

pub const LOCALES: [&str; 2] = ["zh-CN", "en"];
pub const MAX_EMPLOYEE_NO_CHARS: usize = 64;
pub const LEAVE_KINDS: [&str; 5] = ["annual", "sick", "personal", "parental", "other"];

pub fn employee_no(raw: &str) -> Result<Option<String>, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    // Counted as sent, spaces included: the limit the API documents.
    if raw.chars().count() > MAX_EMPLOYEE_NO_CHARS {
        return Err(format!(
            "must be at most {MAX_EMPLOYEE_NO_CHARS} characters"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(Some(value.to_string()))
}

/// `zh-CN` or `en` in any letter case (the documented pattern), stored as written here.
pub fn locale(raw: &str) -> Result<String, String> {
    LOCALES
        .iter()
        .find(|l| l.eq_ignore_ascii_case(raw))
        .map(|l| l.to_string())
        .ok_or_else(|| format!("must be one of {}", LOCALES.join(", ")))
}

pub fn timezone(raw: &str) -> Result<Tz, String> {
    parse_timezone(raw)
}

/// Exactly one of `LEAVE_KINDS`.
pub fn leave_kind(raw: &str) -> Result<String, String> {
    if LEAVE_KINDS.contains(&raw) {
        Ok(raw.to_string())
    } else {
        Err(format!("must be one of {}", LEAVE_KINDS.join(", ")))
    }
}
