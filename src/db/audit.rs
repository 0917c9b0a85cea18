//! The audit log: one entry for every read of individual-level data and every change to
//! people, departments, leave and the organization's settings.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{audit_log, users};
use super::DbConn;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: String,
    pub org_id: String,
    /// Who read or changed; none for the command line or an anonymous request.
    pub user_id: Option<String>,
    /// What, e.g. `reports.unreported`, `exports.csv` or `employees.update`.
    pub action: String,
    /// A department id, or `organization`.
    pub scope: String,
    /// The request's parameters, as JSON text.
    pub detail: String,
    pub created_at: NaiveDateTime,
    /// `person`, `department` or `organization`: what one person's read or a change was about.
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    /// The target's name when the entry was written.
    pub target_name: Option<String>,
    /// A change's fields, each `{"before", "after"}`, as JSON text; none for a read.
    pub changes: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &AuditRow) -> QueryResult<usize> {
    diesel::insert_into(audit_log::table)
        .values(row)
        .execute(conn)
}

/// Rows per INSERT: under both databases' limits on bound parameters (11 per row).
const INSERT_CHUNK: usize = 2_000;

/// Many entries at once, as an import writes them.
pub fn insert_many(conn: &mut DbConn, rows: &[AuditRow]) -> QueryResult<()> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        insert_batch!(conn, audit_log::table, chunk)?;
    }
    Ok(())
}

/// An entry with its actor's name and e-mail, when it has an actor.
pub type Entry = (AuditRow, Option<(String, String)>);

/// Which entries a page holds.
pub struct EntryFilter<'a> {
    pub org_id: &'a str,
    pub from: NaiveDateTime,
    pub until: NaiveDateTime,
    /// Only reads (`Some(false)`) or only changes (`Some(true)`).
    pub changes: Option<bool>,
    /// Only entries about this person, department or organization.
    pub target_id: Option<&'a str>,
    /// Only what this person read or did.
    pub actor_id: Option<&'a str>,
    /// Only this action (`employees.update`).
    pub action: Option<&'a str>,
}

fn filtered<'a>(
    filter: &EntryFilter<'a>,
) -> audit_log::BoxedQuery<'a, <DbConn as diesel::Connection>::Backend> {
    let mut query = audit_log::table
        .filter(audit_log::org_id.eq(filter.org_id))
        .filter(audit_log::created_at.ge(filter.from))
        .filter(audit_log::created_at.lt(filter.until))
        .into_boxed();
    match filter.changes {
        Some(true) => query = query.filter(audit_log::changes.is_not_null()),
        Some(false) => query = query.filter(audit_log::changes.is_null()),
        None => {}
    }
    if let Some(target) = filter.target_id {
        query = query.filter(audit_log::target_id.eq(target));
    }
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit_log::user_id.eq(actor));
    }
    if let Some(action) = filter.action {
        query = query.filter(audit_log::action.eq(action));
    }
    query
}

/// One page of the entries `filter` picks, newest first, and how many there are in all.
pub fn page(
    conn: &mut DbConn,
    filter: &EntryFilter<'_>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<Entry>, i64)> {
    let total = filtered(filter).count().get_result(conn)?;
    let rows: Vec<AuditRow> = filtered(filter)
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?;
    let mut actor_ids: Vec<&str> = rows.iter().filter_map(|r| r.user_id.as_deref()).collect();
    actor_ids.sort_unstable();
    actor_ids.dedup();
    let actors: HashMap<String, (String, String)> = users::table
        .filter(users::id.eq_any(&actor_ids))
        .select((users::id, users::name, users::email))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, email)| (id, (name, email)))
        .collect();
    let entries = rows
        .into_iter()
        .map(|row| {
            let actor = row.user_id.as_ref().and_then(|id| actors.get(id)).cloned();
            (row, actor)
        })
        .collect();
    Ok((entries, total))
}

/// An entry about a person, with the name and role of who read or changed.
pub type ByWhom = (AuditRow, Option<(String, String)>);

/// What others read or changed of one person, newest first, each with the reader's name and
/// role as they are now; `limit` of them after the first `offset`, and how many in all.
pub fn about_person(
    conn: &mut DbConn,
    org_id: &str,
    person_id: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<ByWhom>, i64)> {
    let about = || {
        audit_log::table
            .filter(audit_log::org_id.eq(org_id))
            .filter(audit_log::target_id.eq(person_id))
            .filter(
                audit_log::user_id
                    .is_null()
                    .or(audit_log::user_id.ne(person_id)),
            )
    };
    let total = about().count().get_result(conn)?;
    let rows: Vec<AuditRow> = about()
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?;
    let mut reader_ids: Vec<&str> = rows.iter().filter_map(|r| r.user_id.as_deref()).collect();
    reader_ids.sort_unstable();
    reader_ids.dedup();
    let readers: HashMap<String, (String, String)> = users::table
        .filter(users::id.eq_any(&reader_ids))
        .select((users::id, users::name, users::role))
        .load::<(String, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, role)| (id, (name, role)))
        .collect();
    let entries = rows
        .into_iter()
        .map(|row| {
            let reader = row.user_id.as_ref().and_then(|id| readers.get(id)).cloned();
            (row, reader)
        })
        .collect();
    Ok((entries, total))
}

/// Entries about a person name them by `name` from now on, and forget the values their
/// changes held (their e-mail, name, number): a change stays a change (`{}`), with what was
/// done and when. Entries whose detail mentions one of `mentions` (a search for the person,
/// say) lose that detail. Returns how many entries were rewritten.
pub fn pseudonymize_target(
    conn: &mut DbConn,
    org_id: &str,
    person_id: &str,
    name: &str,
    mentions: &[&str],
) -> QueryResult<usize> {
    let about = || {
        audit_log::table
            .filter(audit_log::org_id.eq(org_id))
            .filter(audit_log::target_id.eq(person_id))
    };
    let renamed = diesel::update(about())
        .set(audit_log::target_name.eq(name))
        .execute(conn)?;
    diesel::update(about().filter(audit_log::changes.is_not_null()))
        .set(audit_log::changes.eq("{}"))
        .execute(conn)?;
    let mut redacted = 0;
    for text in mentions.iter().filter(|t| t.chars().count() >= 2) {
        redacted += diesel::update(
            audit_log::table
                .filter(audit_log::org_id.eq(org_id))
                .filter(audit_log::detail.like(like_pattern(text)).escape('\\')),
        )
        .set(audit_log::detail.eq(r#"{"redacted":"erased person"}"#))
        .execute(conn)?;
    }
    Ok(renamed + redacted)
}

/// `%text%` for LIKE, with its wildcards taken literally; as JSON writes the text.
pub(crate) fn like_pattern(text: &str) -> String {
    let json = serde_json::to_string(text).unwrap_or_default();
    let inner = json.trim_matches('"');
    let mut out = String::from("%");
    for c in inner.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
