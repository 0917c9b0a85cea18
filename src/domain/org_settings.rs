use chrono::NaiveDate;
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
