//! Tokens revoked before their time: a session that logged out.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::pg::PgConnection;
use diesel::prelude::*;

use super::batches::{BatchKind, Batches};
use super::organizations::OrganizationRow;
use super::schema::{organizations, revoked_tokens, users};
use super::users::UserRow;
use super::{DbConn, Pool};

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

/// A person with their organization, and whether the token they were looked up by was
/// revoked.
pub type Holder = (UserRow, OrganizationRow, bool);

/// A login token to look up: the person it names, and its id.
pub struct HolderLookup {
    pub user_id: String,
    pub jti: String,
}

/// `holder_of` for many tokens at once, in two statements whatever their number: the people
/// with their organizations, then which of the tokens were revoked. For each lookup, in the
/// order given, what `holder_of` finds, read at the moment of the batch (a revocation
/// committed between the two statements counts, as it would for the next request).
pub fn holders_of(
    conn: &mut PgConnection,
    lookups: Vec<HolderLookup>,
) -> QueryResult<Vec<Option<Option<Holder>>>> {
    let mut user_ids: Vec<&str> = lookups.iter().map(|l| l.user_id.as_str()).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let people: HashMap<String, (UserRow, OrganizationRow)> = users::table
        .inner_join(organizations::table)
        .filter(users::id.eq_any(&user_ids))
        .select((UserRow::as_select(), OrganizationRow::as_select()))
        .load::<(UserRow, OrganizationRow)>(conn)?
        .into_iter()
        .map(|(user, org)| (user.id.clone(), (user, org)))
        .collect();
    let jtis: Vec<&str> = lookups.iter().map(|l| l.jti.as_str()).collect();
    let revoked: HashSet<String> = revoked_tokens::table
        .filter(revoked_tokens::jti.eq_any(&jtis))
        .select(revoked_tokens::jti)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    Ok(lookups
        .iter()
        .map(|l| {
            Some(
                people
                    .get(&l.user_id)
                    .map(|(user, org)| (user.clone(), org.clone(), revoked.contains(&l.jti))),
            )
        })
        .collect())
}

/// Readers at once: while one batch's statements run, the next gathers and is read.
const LOOKUP_WORKERS: usize = 2;
/// A bound on one statement's list of ids.
const MOST_LOOKUPS_PER_BATCH: usize = 256;

/// The batches of token lookups: every authenticated request's first statement.
pub type HolderLookups = Batches<HolderLookup, Option<Holder>>;

/// Starts the readers, which take a connection from `pool` for each batch.
pub fn start_holder_lookups(pool: Pool) -> HolderLookups {
    Batches::start(
        pool,
        BatchKind {
            name: "token-reader",
            workers: LOOKUP_WORKERS,
            most_per_batch: MOST_LOOKUPS_PER_BATCH,
            serve: holders_of,
        },
    )
}

/// Forgets revoked tokens that expired before `cutoff`: they are refused as expired anyway.
pub fn purge_expired_before(conn: &mut DbConn, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(cutoff)))
        .execute(conn)
}
