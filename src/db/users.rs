use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::organizations::OrganizationRow;
use super::schema::{organizations, users};
use super::DbConn;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub employee_no: Option<String>,
    pub role: String,
    pub department_id: Option<String>,
    pub password_hash: Option<String>,
    pub token_version: i32,
    pub active: bool,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deactivated_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, user: &UserRow) -> QueryResult<usize> {
    diesel::insert_into(users::table).values(user).execute(conn)
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// A person together with their organization: what every authenticated request needs.
pub fn find_with_org(
    conn: &mut DbConn,
    user_id: &str,
) -> QueryResult<Option<(UserRow, OrganizationRow)>> {
    users::table
        .inner_join(organizations::table)
        .filter(users::id.eq(user_id))
        .select((UserRow::as_select(), OrganizationRow::as_select()))
        .first(conn)
        .optional()
}

/// Sets a new password and bumps the token version, which revokes every token issued before.
/// Returns false when the version moved meanwhile (the link was already used).
pub fn set_password(
    conn: &mut DbConn,
    user_id: &str,
    expected_version: i32,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        users::table
            .filter(users::id.eq(user_id))
            .filter(users::token_version.eq(expected_version))
            .filter(users::active.eq(true)),
    )
    .set((
        users::password_hash.eq(hash),
        users::token_version.eq(expected_version + 1),
        users::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn find_with_email_and_org(
    conn: &mut DbConn,
    email: &str,
) -> QueryResult<Option<(UserRow, OrganizationRow)>> {
    users::table
        .inner_join(organizations::table)
        .filter(users::email.eq(email))
        .select((UserRow::as_select(), OrganizationRow::as_select()))
        .first(conn)
        .optional()
}
