//! Response shapes that more than one handler answers with.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use utoipa::ToSchema;

use crate::services::checkins::{CheckinRow, RevisionRow};
use crate::services::people::LeaveRow;

#[derive(Serialize, ToSchema)]
pub struct Checkin {
    pub id: String,
    pub date: NaiveDate,
    #[schema(value_type = Object)]
    pub answers: Box<RawValue>,
    pub abnormal: bool,
    pub abnormal_reasons: Vec<String>,
    pub revision: i32,
    /// The version of the form the answers were given on: their questions and labels are
    /// that version's.
    pub form_version: i32,
    pub reason: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The organization's retention purged the answers: the day was reported, and nothing of
    /// what was answered is kept.
    pub purged: bool,
    /// Who filed it, when not the person themselves: a manager, HR or an admin filing for
    /// someone without a phone.
    pub filed_by: Option<Filer>,
}

/// Who filed a check-in for its person.
#[derive(Clone, Serialize, ToSchema)]
pub struct Filer {
    pub id: String,
    /// As they are named now; null once they were erased.
    pub name: Option<String>,
    pub role: Option<String>,
}

impl Checkin {
    /// The check-in, naming who filed it from `filers` (id → name, role) when someone else did.
    pub fn filed(row: CheckinRow, filers: &HashMap<String, (String, String)>) -> Self {
        let filer = (row.submitted_by != row.user_id).then(|| {
            let known = filers.get(&row.submitted_by);
            Filer {
                id: row.submitted_by.clone(),
                name: known.map(|(name, _)| name.clone()),
                role: known.map(|(_, role)| role.clone()),
            }
        });
        Self {
            filed_by: filer,
            ..Self::from(row)
        }
    }
}

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

pub fn stored_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// Stored answers as they are, without building them up and writing them out again: a list
/// of 200 check-ins spent most of its time doing that. Stored text that is not JSON is `null`,
/// as in `stored_json`.
pub fn stored_answers(text: &str) -> Box<RawValue> {
    // The default is `null`.
    RawValue::from_string(text.to_owned()).unwrap_or_default()
}

pub fn stored_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

impl From<CheckinRow> for Checkin {
    fn from(row: CheckinRow) -> Self {
        Self {
            answers: stored_answers(&row.answers),
            abnormal_reasons: stored_list(&row.abnormal_reasons),
            id: row.id,
            date: row.day,
            abnormal: row.abnormal,
            revision: row.revision,
            form_version: row.form_version,
            reason: row.reason,
            submitted_at: utc(row.submitted_at),
            updated_at: utc(row.updated_at),
            purged: row.purged_at.is_some(),
            filed_by: None,
        }
    }
}

/// An earlier version of a day's check-in, as it stood before a correction replaced it.
#[derive(Serialize, ToSchema)]
pub struct Revision {
    pub revision: i32,
    pub form_version: i32,
    #[schema(value_type = Object)]
    pub answers: Box<RawValue>,
    pub abnormal: bool,
    pub abnormal_reasons: Vec<String>,
    pub reason: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub replaced_at: DateTime<Utc>,
}

impl From<RevisionRow> for Revision {
    fn from(row: RevisionRow) -> Self {
        Self {
            revision: row.revision,
            form_version: row.form_version,
            answers: stored_answers(&row.answers),
            abnormal: row.abnormal,
            abnormal_reasons: stored_list(&row.abnormal_reasons),
            reason: row.reason,
            submitted_at: utc(row.submitted_at),
            replaced_at: utc(row.replaced_at),
        }
    }
}

/// A person's leave, as the leave API and a person's own export show it.
#[derive(Serialize, ToSchema)]
pub struct Leave {
    pub id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub kind: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<LeaveRow> for Leave {
    fn from(row: LeaveRow) -> Self {
        Self {
            id: row.id,
            from: row.start_date,
            to: row.end_date,
            kind: row.kind,
            note: row.note,
            created_at: utc(row.created_at),
        }
    }
}
