//! Tokens revoked before their time: a session that logged out.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::organizations::OrganizationRow;
use super::schema::{organizations, revoked_tokens, users};
use super::users::UserRow;
use super::DbConn;

/// Revokes the token `jti` until `expires_at`; revoking it again changes nothing.
pub fn revoke(conn: &mut DbConn, jti: &str, expires_at: NaiveDateTime) -> QueryResult<usize> {
    let row = (
        revoked_tokens::jti.eq(jti),
        revoked_tokens::expires_at.eq(expires_at),
    );
    match conn {
        DbConn::Sqlite(c) => diesel::insert_into(revoked_tokens::table)
            .values(row)
            .on_conflict(revoked_tokens::jti)
            .do_nothing()
            .execute(c),
        DbConn::Postgres(c) => diesel::insert_into(revoked_tokens::table)
            .values(row)
            .on_conflict(revoked_tokens::jti)
            .do_nothing()
            .execute(c),
    }
}

/// The person a login token names, with their organization, and whether the token was
/// revoked: what every authenticated request needs, in one statement.
pub fn holder_of(
    conn: &mut DbConn,
    user_id: &str,
    jti: &str,
) -> QueryResult<Option<(UserRow, OrganizationRow, bool)>> {
    on_inner!(conn, |c| {
        users::table
            .inner_join(organizations::table)
            .filter(users::id.eq(user_id))
            .select((
                UserRow::as_select(),
                OrganizationRow::as_select(),
                diesel::dsl::exists(revoked_tokens::table.find(jti)),
            ))
            .first(c)
            .optional()
    })
}

/// Forgets revoked tokens that expired before `cutoff`: they are refused as expired anyway.
pub fn purge_expired_before(conn: &mut DbConn, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(cutoff)))
        .execute(conn)
}
