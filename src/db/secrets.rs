//! Secrets shared by every instance on the database, written once by whichever starts first.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::instance_secrets;
use super::DbConn;

/// The secret named `name`: the stored one, or `candidate` stored now when there is none. Of
/// instances starting at once, the first insert wins and every one reads the same value back.
pub fn get_or_insert(
    conn: &mut DbConn,
    name: &str,
    candidate: &str,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let row = (
        instance_secrets::name.eq(name),
        instance_secrets::value.eq(candidate),
        instance_secrets::created_at.eq(now),
    );
    on_inner!(conn, |c| diesel::insert_into(instance_secrets::table)
        .values(row)
        .on_conflict(instance_secrets::name)
        .do_nothing()
        .execute(c))?;
    instance_secrets::table
        .find(name)
        .select(instance_secrets::value)
        .first(conn)
}

/// The secret named `name`, if one was stored.
pub fn find(conn: &mut DbConn, name: &str) -> QueryResult<Option<String>> {
    instance_secrets::table
        .find(name)
        .select(instance_secrets::value)
        .first(conn)
        .optional()
}
