//! Each organization's daily form: the version in force, every earlier one, a new version
//! from an admin, the templates to start from, and recomputing past days under new rules.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::QueryResult;
use serde_json::{Map, Value};

use crate::audit::{self, Changes, Target};
use crate::db::checkins;
use crate::db::forms::{self, FormRow};
use crate::db::stats::{self, DayLock, Tally};
use crate::db::users;
use crate::db::{db_time, is_unique_violation, DbConn};
use crate::domain::form::FormField;
use crate::domain::form_definition::{check_fields, key_types};
use crate::domain::form_templates::{self, Template};
use crate::domain::FormTemplate;
use crate::problem::FieldErrors;
use crate::services::Caller;

#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("no such form version")]
    NotFound,
    /// Every problem of the form, each named by the question's place; nothing was saved.
    #[error("the form is not valid")]
    Invalid(FieldErrors),
    /// Another admin saved a version since the one the change was made from, or at the
    /// same moment.
    #[error("the form was changed meanwhile; load it again and retry")]
    Concurrent,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// A version of the form with who made it and when.
#[derive(Clone, Debug)]
pub struct FormVersion {
    pub form: FormTemplate,
    pub created_at: NaiveDateTime,
    pub created_by: Option<String>,
}

impl FormVersion {
    fn of(row: FormRow) -> QueryResult<Self> {
        Ok(Self {
            form: row.template()?,
            created_at: row.created_at,
            created_by: row.created_by,
        })
    }
}

/// The questions in force, as every check-in is judged by them: the version is read, and its
/// parsed questions are kept for the next check-in, since a saved version never changes.
pub fn in_force(conn: &mut DbConn, org_id: &str) -> QueryResult<Arc<FormTemplate>> {
    Ok(seen_in_force(conn, org_id)?.form)
}

/// A version of the form as found in force: the key that names its questions for good, and
/// the questions.
#[derive(Clone, Debug)]
pub struct SeenInForce {
    pub version: i32,
    pub saved_at: NaiveDateTime,
    pub form: Arc<FormTemplate>,
}

/// As `in_force`, with the version's key.
pub fn seen_in_force(conn: &mut DbConn, org_id: &str) -> QueryResult<SeenInForce> {
    let (version, saved_at) = forms::current_key(conn, org_id)?;
    let key = (org_id.to_string(), version, saved_at);
    let kept = locked(&PARSED).get(&key).map(Arc::clone);
    let form = match kept {
        Some(form) => form,
        None => {
            let row = forms::find(conn, org_id, version)?.ok_or_else(|| forms::missing(org_id))?;
            let form = Arc::new(row.template()?);
            let mut kept = locked(&PARSED);
            if kept.len() >= MOST_PARSED {
                kept.clear();
            }
            kept.insert(key, Arc::clone(&form));
            form
        }
    };
    let seen = SeenInForce {
        version,
        saved_at,
        form,
    };
    remember_in_force(org_id, &seen);
    Ok(seen)
}

/// The version this process last found in force for the organization, without asking the
/// database: it may have been replaced since, so what is judged by it must be stored only
/// if it is still in force (as the batches of first check-ins do).
pub fn last_seen_in_force(org_id: &str) -> Option<SeenInForce> {
    locked(&LAST_SEEN).get(org_id).cloned()
}

fn remember_in_force(org_id: &str, seen: &SeenInForce) {
    let mut last = locked(&LAST_SEEN);
    // Known already, or a read from before it that finished later: kept as it is. (A
    // database restored from an older backup has a lower version saved later: taken.)
    if last
        .get(org_id)
        .is_some_and(|known| known.version >= seen.version && known.saved_at >= seen.saved_at)
    {
        return;
    }
    if last.len() >= MOST_PARSED {
        last.clear();
    }
    last.insert(org_id.to_string(), seen.clone());
}

/// One of the process's caches, locked; one left by a panic is still good to read.
fn locked<T: Default>(cache: &'static OnceLock<Mutex<T>>) -> MutexGuard<'static, T> {
    cache
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Parsed versions by organization, version and when it was saved.
type ParsedForms = HashMap<(String, i32, NaiveDateTime), Arc<FormTemplate>>;
static PARSED: OnceLock<Mutex<ParsedForms>> = OnceLock::new();
/// The version last found in force, by organization.
static LAST_SEEN: OnceLock<Mutex<HashMap<String, SeenInForce>>> = OnceLock::new();
/// Enough for every organization of a large instance; past it, the cache starts again.
const MOST_PARSED: usize = 4096;

/// The form in force. Every organization has one from the moment it is made.
pub fn current(conn: &mut DbConn, org_id: &str) -> QueryResult<FormVersion> {
    FormVersion::of(forms::current(conn, org_id)?)
}

pub fn version(conn: &mut DbConn, org_id: &str, version: i32) -> Result<FormVersion, FormError> {
    Ok(FormVersion::of(
        forms::find(conn, org_id, version)?.ok_or(FormError::NotFound)?,
    )?)
}

/// Every version, newest first.
pub fn versions(conn: &mut DbConn, org_id: &str) -> Result<Vec<FormVersion>, FormError> {
    let mut all = forms::all(conn, org_id)?
        .into_iter()
        .map(FormVersion::of)
        .collect::<QueryResult<Vec<_>>>()?;
    all.reverse();
    Ok(all)
}

/// The names of the people who made `versions`, by id.
pub fn author_names(
    conn: &mut DbConn,
    org_id: &str,
    versions: &[&FormVersion],
) -> Result<HashMap<String, String>, FormError> {
    let mut ids: Vec<&str> = versions
        .iter()
        .filter_map(|v| v.created_by.as_deref())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(users::find_many_in_org(conn, org_id, &ids)?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// What saving a form came to.
pub enum Saved {
    /// A new version, now in force.
    Created(FormVersion),
    /// The same questions as the version in force: nothing was made.
    Unchanged(FormVersion),
}

/// Puts `fields` in force as the next version, unless they are the version in force. With
/// `base_version`, a version saved since that one refuses the change.
pub fn save(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    fields: Vec<FormField>,
    base_version: Option<u32>,
    now: DateTime<Utc>,
) -> Result<Saved, FormError> {
    let stamp = db_time(now);
    let saved = conn.write_transaction(|conn| {
        let all = versions(conn, &caller.org.id)?;
        let Some(in_force) = all.first() else {
            return Err(forms::missing(&caller.org.id).into());
        };
        if in_force.form.fields == fields {
            return Ok(Saved::Unchanged(in_force.clone()));
        }
        if base_version.is_some_and(|base| base != in_force.form.version) {
            return Err(FormError::Concurrent);
        }
        let earlier = key_types(all.iter().map(|v| v.form.fields.as_slice()));
        check_fields(&fields, &earlier).map_err(FormError::Invalid)?;
        let form = FormTemplate {
            version: in_force.form.version + 1,
            fields,
        };
        forms::insert(
            conn,
            &FormRow::of(&caller.org.id, &form, stamp, Some(caller.id)),
        )?;
        let key_list = |fields: &[FormField]| -> Vec<String> {
            fields.iter().map(|f| f.key.clone()).collect()
        };
        let mut changes = Changes::default();
        changes.field("form_version", in_force.form.version, form.version);
        changes.field(
            "form_questions",
            key_list(&in_force.form.fields),
            key_list(&form.fields),
        );
        audit::record_change(
            conn,
            caller
                .change("form.update", Target::organization(caller.org), stamp)
                .with_changes(changes),
        )?;
        Ok(Saved::Created(FormVersion {
            form,
            created_at: stamp,
            created_by: Some(caller.id.to_string()),
        }))
    });
    match saved {
        Err(FormError::Db(e)) if is_unique_violation(&e) => Err(FormError::Concurrent),
        other => other,
    }
}

/// The forms an admin may start from: the default and templates for other kinds of places.
pub fn templates() -> Vec<Template> {
    form_templates::all()
}

/// What a recompute found and changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recomputed {
    /// The version whose rules were applied.
    pub form_version: u32,
    pub checked: u64,
    pub changed: u64,
}

/// Applies the rules of the form in force to the stored answers of every check-in from `from`
/// to `to`, and corrects `abnormal` and the day numbers where they now differ. Each day is its
/// own transaction, so a long range never holds the database for long.
pub fn recompute(
    conn: &mut DbConn,
    caller: &Caller<'_>,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Recomputed, FormError> {
    let rules = current(conn, &caller.org.id)?.form;
    let mut total = Recomputed {
        form_version: rules.version,
        ..Recomputed::default()
    };
    for day in from.iter_days().take_while(|d| *d <= to) {
        let done =
            conn.write_transaction(|conn| recompute_day(conn, &caller.org.id, &rules, day))?;
        total.checked += done.checked;
        total.changed += done.changed;
    }
    let mut detail = Map::new();
    detail.insert("from".into(), Value::String(from.to_string()));
    detail.insert("to".into(), Value::String(to.to_string()));
    detail.insert("form_version".into(), rules.version.into());
    detail.insert("checked".into(), total.checked.into());
    detail.insert("changed".into(), total.changed.into());
    audit::record_change(
        conn,
        caller
            .change(
                "form.recompute",
                Target::organization(caller.org),
                db_time(now),
            )
            .with_detail(Value::Object(detail)),
    )?;
    Ok(total)
}

fn recompute_day(
    conn: &mut DbConn,
    org_id: &str,
    rules: &FormTemplate,
    day: NaiveDate,
) -> Result<Recomputed, FormError> {
    // Alone: a submission of the day waits, so neither writes over what the other read.
    stats::lock_day(conn, org_id, day, DayLock::Exclusive)?;
    let mut done = Recomputed::default();
    let mut deltas: HashMap<Option<String>, i32> = HashMap::new();
    for checkin in checkins::judged_on(conn, org_id, day)? {
        done.checked += 1;
        let answers: Map<String, Value> = serde_json::from_str(&checkin.answers).map_err(|e| {
            diesel::result::Error::DeserializationError(
                format!("the answers of check-in {}: {e}", checkin.id).into(),
            )
        })?;
        let reasons = rules.abnormal_reasons(&answers);
        let stored = serde_json::to_string(&reasons)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        if stored == checkin.abnormal_reasons {
            continue;
        }
        let abnormal = !reasons.is_empty();
        checkins::set_judgement(conn, &checkin.id, abnormal, &stored)?;
        done.changed += 1;
        *deltas.entry(checkin.department_id).or_default() +=
            i32::from(abnormal) - i32::from(checkin.abnormal);
    }
    for (department_id, delta) in deltas {
        stats::add(
            conn,
            org_id,
            day,
            department_id.as_deref(),
            Tally {
                abnormal: delta,
                ..Tally::default()
            },
        )?;
    }
    Ok(done)
}
