use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::problem::Problem;

/// What an organization decides about its days; stored as JSON text on the organization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct OrgSettings {
    /// ISO weekday numbers, Monday = 1.
    pub working_days: Vec<u8>,
    /// Local times of the reminder passes, written `HH:MM`.
    #[schema(value_type = Vec<String>)]
    pub reminder_times: Vec<ClockTime>,
    /// How many days back a missed check-in may still be filled in.
    pub late_days: u32,
    pub holidays: Vec<NaiveDate>,
    /// Default language of mails and pages: `zh-CN` or `en`.
    pub locale: String,
    /// One of `reminder_times`: from that pass on, managers get one list of their unreported
    /// people instead of the staff getting another reminder.
    #[schema(value_type = Option<String>)]
    pub escalate_after: Option<ClockTime>,
    /// Days after which check-in answers, revisions and leave notes are purged (the numbers
    /// stay); `None` keeps them.
    pub retention_days: Option<u32>,
    /// Days the audit log keeps its entries.
    pub audit_retention_days: u32,
    /// The organization's own words to its staff about their data, shown at first use.
    pub privacy_notice: Option<PrivacyNotice>,
    /// Whether an abnormal check-in is mailed at once to the managers of its department.
    pub abnormal_alerts: bool,
}

/// A notice in each language of the web app; a language left out shows the other.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PrivacyNotice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
    #[serde(default, rename = "zh-CN", skip_serializing_if = "Option::is_none")]
    pub zh_cn: Option<String>,
}

/// A local time of day in the settings, written `HH:MM` wherever it is stored or shown, and
/// compared as a time, not as text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime(pub NaiveTime);

impl std::fmt::Display for ClockTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&format_time(self.0))
    }
}

impl Serialize for ClockTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        read_time(&raw).map_err(serde::de::Error::custom)
    }
}

/// Stored settings that do not read as settings: an error that says what and where, never a
/// silent return to the defaults.
#[derive(Debug, thiserror::Error)]
#[error("the stored settings do not parse: {0}")]
pub struct StoredSettingsError(#[from] serde_json::Error);

pub const MAX_LATE_DAYS: u32 = 31;
pub const MAX_REMINDER_TIMES: usize = 6;
pub const MAX_HOLIDAYS: usize = 400;
/// The bounds of `retention_days`: a week at least (late check-ins and corrections need the
/// answers of the last days), ten years at most.
pub const RETENTION_DAYS: std::ops::RangeInclusive<u32> = 7..=3650;
/// The bounds of `audit_retention_days`, and its default (two years).
pub const AUDIT_RETENTION_DAYS: std::ops::RangeInclusive<u32> = 30..=3650;
pub const DEFAULT_AUDIT_RETENTION_DAYS: u32 = 730;
/// The longest privacy notice, in characters, per language.
pub const MAX_NOTICE_CHARS: usize = 10_000;

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

/// `parse_time` as a settings time, or the problem with `raw`: `invalid_time {value}`.
pub fn read_time(raw: &str) -> Result<ClockTime, Problem> {
    parse_time(raw).map(ClockTime).ok_or_else(|| {
        Problem::new("invalid_time", format!("`{raw}` is not a time as HH:MM")).with("value", raw)
    })
}

/// A time as settings store it: `09:30`.
pub fn format_time(time: NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            working_days: vec![1, 2, 3, 4, 5],
            reminder_times: vec![ClockTime(
                NaiveTime::MIN + chrono::Duration::minutes(9 * 60 + 30),
            )],
            late_days: 3,
            holidays: Vec::new(),
            locale: "zh-CN".into(),
            escalate_after: None,
            retention_days: None,
            audit_retention_days: DEFAULT_AUDIT_RETENTION_DAYS,
            privacy_notice: None,
            abnormal_alerts: true,
        }
    }
}

impl OrgSettings {
    /// Settings as stored; fields an older version did not write take their defaults, and
    /// anything that does not parse is an error.
    pub fn from_stored(text: &str) -> Result<Self, StoredSettingsError> {
        let settings: Self = serde_json::from_str(text)?;
        if let Some(day) = settings.working_days.iter().find(|d| !(1..=7).contains(*d)) {
            return Err(StoredSettingsError(serde::de::Error::custom(format!(
                "working_days: {day} is not a weekday number from 1 to 7"
            ))));
        }
        Ok(settings)
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_settings_read_typed_times_and_never_fall_back_in_silence() {
        let s = OrgSettings::from_stored(
            r#"{"reminder_times":["9:30","11:00"],"escalate_after":"11:00"}"#,
        )
        .unwrap();
        assert_eq!(
            s.reminder_times
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["09:30", "11:00"]
        );
        assert!(
            s.escalate_after > s.reminder_times.first().copied(),
            "compared as times"
        );
        assert_eq!(
            s.late_days, 3,
            "a field an older version did not write takes its default"
        );
        assert_eq!(OrgSettings::from_stored(&s.to_stored()).unwrap(), s);
        let bad = OrgSettings::from_stored(r#"{"reminder_times":["25:00"]}"#).unwrap_err();
        assert!(bad.to_string().contains("`25:00` is not a time"), "{bad}");
        let bad = OrgSettings::from_stored(r#"{"working_days":[1,9]}"#).unwrap_err();
        assert!(bad.to_string().contains("working_days: 9"), "{bad}");
        assert!(OrgSettings::from_stored("not json").is_err());
    }

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
