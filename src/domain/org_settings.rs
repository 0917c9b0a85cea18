use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an organization decides about its days; stored as JSON text on the organization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct OrgSettings {
    /// ISO weekday numbers, Monday = 1.
    pub working_days: Vec<u8>,
    /// Local times of the reminder passes, `HH:MM`.
    pub reminder_times: Vec<String>,
    /// How many days back a missed check-in may still be filled in.
    pub late_days: u32,
    pub holidays: Vec<NaiveDate>,
    /// Default language of mails and pages: `zh-CN` or `en`.
    pub locale: String,
    /// One of `reminder_times`: from that pass on, managers get one list of their unreported
    /// people instead of the staff getting another reminder.
    pub escalate_after: Option<String>,
}

pub const MAX_LATE_DAYS: u32 = 31;
pub const MAX_REMINDER_TIMES: usize = 6;
pub const MAX_HOLIDAYS: usize = 400;

/// What `parse_time` reads, as the OpenAPI document's `pattern` for reminder times.
pub const TIME_PATTERN: &str = "^([01]?[0-9]|2[0-3]):[0-5][0-9]$";

/// A local time written `HH:MM` (or `H:MM`), as `reminder_times` and `escalate_after` hold
/// them; nothing around it, no seconds.
pub fn parse_time(raw: &str) -> Option<NaiveTime> {
    let (hour, minute) = raw.split_once(':')?;
    let digits = |s: &str, widths: std::ops::RangeInclusive<usize>| {
        widths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(hour, 1..=2) || !digits(minute, 2..=2) {
        return None;
    }
    NaiveTime::from_hms_opt(hour.parse().ok()?, minute.parse().ok()?, 0)
}

/// A time as settings store it: `09:30`.
pub fn format_time(time: NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            working_days: vec![1, 2, 3, 4, 5],
            reminder_times: vec!["09:30".into()],
            late_days: 3,
            holidays: Vec::new(),
            locale: "zh-CN".into(),
            escalate_after: None,
        }
    }
}

impl OrgSettings {
    /// Settings written by an older version, or damaged by hand, fall back to the defaults.
    pub fn from_stored(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_hh_mm_and_stored_with_two_digit_hours() {
        for (raw, stored) in [
            ("09:30", "09:30"),
            ("9:30", "09:30"),
            ("23:59", "23:59"),
            ("0:00", "00:00"),
        ] {
            assert_eq!(
                parse_time(raw).map(format_time).as_deref(),
                Some(stored),
                "{raw}"
            );
        }
        for bad in [
            "24:00", "9:5", "09:60", "09:30:00", " 09:30", "09:30 ", "0930", "123:00", "+9:30", "",
            ":30", "9:",
        ] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }
}
