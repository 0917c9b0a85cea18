use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{department_managers, departments, users};
use super::DbConn;
use crate::domain::department_tree::{DepartmentTree, Node};

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = departments)]
pub struct DepartmentRow {
    pub id: String,
    pub org_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub archived_at: Option<NaiveDateTime>,
}

/// The organization's departments that are not archived.
pub fn list(conn: &mut DbConn, org_id: &str) -> QueryResult<Vec<DepartmentRow>> {
    departments::table
        .filter(departments::org_id.eq(org_id))
        .filter(departments::archived_at.is_null())
        .order(departments::name.asc())
        .select(DepartmentRow::as_select())
        .load(conn)
}

pub fn tree(conn: &mut DbConn, org_id: &str) -> QueryResult<DepartmentTree> {
    Ok(tree_of(&list(conn, org_id)?))
}

pub fn tree_of(rows: &[DepartmentRow]) -> DepartmentTree {
    DepartmentTree::new(rows.iter().map(|d| Node {
        id: d.id.clone(),
        parent_id: d.parent_id.clone(),
        name: d.name.clone(),
    }))
}

pub fn find(conn: &mut DbConn, org_id: &str, id: &str) -> QueryResult<Option<DepartmentRow>> {
    departments::table
        .filter(departments::org_id.eq(org_id))
        .filter(departments::id.eq(id))
        .filter(departments::archived_at.is_null())
        .select(DepartmentRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConn, row: &DepartmentRow) -> QueryResult<usize> {
    diesel::insert_into(departments::table)
        .values(row)
        .execute(conn)
}

pub fn update(
    conn: &mut DbConn,
    id: &str,
    name: &str,
    parent_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(departments::table.find(id))
        .set((
            departments::name.eq(name),
            departments::parent_id.eq(parent_id),
            departments::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn archive(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(department_managers::table.filter(department_managers::department_id.eq(id)))
        .execute(conn)?;
    diesel::update(departments::table.find(id))
        .set((
            departments::archived_at.eq(Some(now)),
            departments::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Active people whose department this is.
pub fn member_count(conn: &mut DbConn, id: &str) -> QueryResult<i64> {
    users::table
        .filter(users::department_id.eq(id))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)
}

/// (department, manager) pairs of the organization.
pub fn managers(conn: &mut DbConn, org_id: &str) -> QueryResult<Vec<(String, String)>> {
    department_managers::table
        .filter(department_managers::org_id.eq(org_id))
        .select((
            department_managers::department_id,
            department_managers::user_id,
        ))
        .load(conn)
}

/// Person → the departments they manage directly, for everyone who manages any.
pub fn managed_per_person(
    conn: &mut DbConn,
    org_id: &str,
) -> QueryResult<std::collections::HashMap<String, Vec<String>>> {
    let mut managed = std::collections::HashMap::<String, Vec<String>>::new();
    for (department, user) in managers(conn, org_id)? {
        managed.entry(user).or_default().push(department);
    }
    Ok(managed)
}

/// The people who manage a department directly.
pub fn managers_of(conn: &mut DbConn, department_id: &str) -> QueryResult<Vec<String>> {
    department_managers::table
        .filter(department_managers::department_id.eq(department_id))
        .select(department_managers::user_id)
        .load(conn)
}

/// The departments a person manages directly.
pub fn managed_by(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<String>> {
    department_managers::table
        .filter(department_managers::user_id.eq(user_id))
        .select(department_managers::department_id)
        .load(conn)
}

pub fn set_managers(
    conn: &mut DbConn,
    org_id: &str,
    department_id: &str,
    user_ids: &[String],
) -> QueryResult<()> {
    diesel::delete(
        department_managers::table.filter(department_managers::department_id.eq(department_id)),
    )
    .execute(conn)?;
    for user_id in user_ids {
        add_manager(conn, org_id, department_id, user_id)?;
    }
    Ok(())
}

pub fn add_manager(
    conn: &mut DbConn,
    org_id: &str,
    department_id: &str,
    user_id: &str,
) -> QueryResult<usize> {
    diesel::insert_into(department_managers::table)
        .values((
            department_managers::org_id.eq(org_id),
            department_managers::department_id.eq(department_id),
            department_managers::user_id.eq(user_id),
        ))
        .execute(conn)
}

/// Replaces the set of departments one person manages.
pub fn set_managed_by(
    conn: &mut DbConn,
    org_id: &str,
    user_id: &str,
    department_ids: &[String],
) -> QueryResult<()> {
    diesel::delete(department_managers::table.filter(department_managers::user_id.eq(user_id)))
        .execute(conn)?;
    for department_id in department_ids {
        add_manager(conn, org_id, department_id, user_id)?;
    }
    Ok(())
}
