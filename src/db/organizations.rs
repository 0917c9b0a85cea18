use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::organizations;
use super::users::{self, UserRow};
use super::DbConn;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = organizations)]
pub struct OrganizationRow {
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub settings: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl OrganizationRow {
    /// The organization's settings; stored ones that do not parse are an error naming the
    /// organization and the problem.
    pub fn settings(&self) -> QueryResult<crate::domain::OrgSettings> {
        crate::domain::OrgSettings::from_stored(&self.settings).map_err(|e| {
            diesel::result::Error::DeserializationError(
                format!("organization {}: {e}", self.id).into(),
            )
        })
    }
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<OrganizationRow>> {
    organizations::table
        .find(id)
        .select(OrganizationRow::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    organizations::table.count().get_result(conn)
}

/// The organization and its first person. Call it inside a writing transaction, so that
/// neither exists without the other.
pub fn create_with_admin(
    conn: &mut DbConn,
    org: &OrganizationRow,
    admin: &UserRow,
) -> QueryResult<()> {
    diesel::insert_into(organizations::table)
        .values(org)
        .execute(conn)?;
    users::insert(conn, admin)?;
    super::forms::insert(conn, &super::forms::FormRow::first_of(org))?;
    Ok(())
}

pub fn update(
    conn: &mut DbConn,
    id: &str,
    name: &str,
    timezone: &str,
    settings: &str,
    now: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(organizations::table.find(id))
        .set((
            organizations::name.eq(name),
            organizations::timezone.eq(timezone),
            organizations::settings.eq(settings),
            organizations::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<OrganizationRow>> {
    organizations::table
        .order(organizations::id.asc())
        .select(OrganizationRow::as_select())
        .load(conn)
}
