//! Form versions: one row per version of an organization's daily form, never changed once
//! written. The newest version is the form in force.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::organizations::OrganizationRow;
use super::schema::forms;
use super::DbConn;
use crate::domain::FormTemplate;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = forms)]
pub struct FormRow {
    pub org_id: String,
    pub version: i32,
    /// The questions, as JSON text.
    pub fields: String,
    pub created_at: NaiveDateTime,
    /// None for the version an organization starts with.
    pub created_by: Option<String>,
}

impl FormRow {
    pub fn of(org_id: &str, form: &FormTemplate, at: NaiveDateTime, by: Option<&str>) -> Self {
        Self {
            org_id: org_id.to_string(),
            version: i32::try_from(form.version).unwrap_or(i32::MAX),
            fields: serde_json::to_string(&form.fields).unwrap_or_else(|_| "[]".into()),
            created_at: at,
            created_by: by.map(str::to_string),
        }
    }

    /// The version's questions; stored ones that do not parse are an error that says where.
    pub fn template(&self) -> QueryResult<FormTemplate> {
        let fields = serde_json::from_str(&self.fields).map_err(|e| {
            diesel::result::Error::DeserializationError(
                format!(
                    "form version {} of organization {}: {e}",
                    self.version, self.org_id
                )
                .into(),
            )
        })?;
        Ok(FormTemplate {
            version: u32::try_from(self.version).unwrap_or_default(),
            fields,
        })
    }

    /// Version 1 of a new organization: the default form, made by no one.
    pub fn first_of(org: &OrganizationRow) -> Self {
        Self::of(&org.id, &FormTemplate::default_form(), org.created_at, None)
    }
}

/// The version in force. Every organization has one from the moment it is made, so none is
/// an error that names the organization.
pub fn current(conn: &mut DbConn, org_id: &str) -> QueryResult<FormRow> {
    forms::table
        .filter(forms::org_id.eq(org_id))
        .order(forms::version.desc())
        .select(FormRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| missing(org_id))
}

/// The version in force and when it was saved: together they name its questions for good,
/// as a saved version never changes.
pub fn current_key(conn: &mut DbConn, org_id: &str) -> QueryResult<(i32, NaiveDateTime)> {
    let newest = forms::table
        .filter(forms::org_id.eq(org_id))
        .order(forms::version.desc())
        .select((forms::version, forms::created_at));
    on_inner!(conn, |c| newest.first(c).optional())?.ok_or_else(|| missing(org_id))
}

/// The error of an organization without a form.
pub fn missing(org_id: &str) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("organization {org_id} has no form").into())
}

pub fn find(conn: &mut DbConn, org_id: &str, version: i32) -> QueryResult<Option<FormRow>> {
    forms::table
        .find((org_id, version))
        .select(FormRow::as_select())
        .first(conn)
        .optional()
}

/// Every version, oldest first.
pub fn all(conn: &mut DbConn, org_id: &str) -> QueryResult<Vec<FormRow>> {
    forms::table
        .filter(forms::org_id.eq(org_id))
        .order(forms::version.asc())
        .select(FormRow::as_select())
        .load(conn)
}

/// The versions in force at some moment since `since`: the last saved at or before it, and
/// every one saved after.
pub fn in_force_since(
    conn: &mut DbConn,
    org_id: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<i32>> {
    let mut versions: Vec<i32> = forms::table
        .filter(forms::org_id.eq(org_id))
        .filter(forms::created_at.gt(since))
        .select(forms::version)
        .load(conn)?;
    let then: Option<i32> = forms::table
        .filter(forms::org_id.eq(org_id))
        .filter(forms::created_at.le(since))
        .order(forms::version.desc())
        .select(forms::version)
        .first(conn)
        .optional()?;
    versions.extend(then);
    Ok(versions)
}

/// The versions named, in any order.
pub fn some(conn: &mut DbConn, org_id: &str, versions: &[i32]) -> QueryResult<Vec<FormRow>> {
    forms::table
        .filter(forms::org_id.eq(org_id))
        .filter(forms::version.eq_any(versions))
        .select(FormRow::as_select())
        .load(conn)
}

/// Writes a new version; a version written at the same moment by another request makes this
/// a unique violation.
pub fn insert(conn: &mut DbConn, row: &FormRow) -> QueryResult<()> {
    diesel::insert_into(forms::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::domain::FormTemplate;

    /// The migration gives organizations made before forms the default form as version 1:
    /// the same questions, to the letter, that a new organization starts with.
    #[test]
    fn the_migration_writes_the_default_form() {
        let expected = serde_json::to_string(&FormTemplate::default_form().fields)
            .unwrap()
            .replace('\'', "''");
        for migration in [
            include_str!("../../migrations/sqlite/2020-02-15-000000_form_versions/up.sql"),
            include_str!("../../migrations/postgres/2020-02-15-000000_form_versions/up.sql"),
        ] {
            assert!(
                migration.contains(&format!("SELECT id, 1, '{expected}', created_at")),
                "the migration's form is not the default form:\n{expected}"
            );
        }
    }
}
