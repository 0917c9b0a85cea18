//! Tokens revoked before their time: a session that logged out.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::revoked_tokens;
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

/// One lookup by primary key, made for every request with a token.
pub fn is_revoked(conn: &mut DbConn, jti: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(revoked_tokens::table.find(jti))).get_result(conn)
}

/// Forgets revoked tokens that expired before `cutoff`: they are refused as expired anyway.
pub fn purge_expired_before(conn: &mut DbConn, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(cutoff)))
        .execute(conn)
}
