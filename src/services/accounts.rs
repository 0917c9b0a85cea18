//! Accounts: logging in, and setting a password through an invitation or reset link.
//!
//! Each is split where a password hash is computed: the hash is slow on purpose, so it runs
//! without holding a database connection, between the steps that need one.

use chrono::{DateTime, Utc};

use crate::audit::{self, Change, Target};
use crate::auth::jwt::{Claims, TokenError};
use crate::auth::{password, JwtKeys, Purpose};
use crate::db::organizations::OrganizationRow;
use crate::db::users::{self, LinkKind, UserRow};
use crate::db::{db_time, DbConn};
use crate::problem::Problem;
use crate::services::limits::{self, LimitError, LoginAttempt, LoginLimits};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The one answer for an unknown address, a wrong password and a deactivated account.
    #[error("the e-mail or password is wrong")]
    WrongCredentials,
    #[error("this link has expired; ask for a new one")]
    LinkExpired,
    #[error("this link is not valid")]
    LinkInvalid,
    #[error("this link was already used; ask for a new one")]
    LinkUsed,
    #[error("a newer link was sent; use the one in the latest e-mail")]
    LinkSuperseded,
    #[error("{0}")]
    WeakPassword(Problem),
    #[error(transparent)]
    Limited(#[from] LimitError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// A person with their organization.
pub struct Account {
    pub user: UserRow,
    pub org: OrganizationRow,
}

impl Account {
    fn of((user, org): (UserRow, OrganizationRow)) -> Self {
        Self { user, org }
    }
}

/// Logging in, first step: the attempt counted against its limits (as failed, until it
/// succeeds), then the account of the address given, if it names one.
pub fn find_login(
    conn: &mut DbConn,
    attempt: &LoginAttempt,
    limits: LoginLimits,
    now: DateTime<Utc>,
) -> Result<Option<Account>, AccountError> {
    limits::admit_login(conn, attempt, limits, now)?;
    let Some(email) = &attempt.email else {
        return Ok(None);
    };
    Ok(users::find_with_email_and_org(conn, email.as_str())?.map(Account::of))
}

/// Logging in, second step: the password checked against the account found, or against a
/// stand-in when none was, so that both take the same time.
pub fn check_login(found: Option<Account>, password: &str) -> Result<Account, AccountError> {
    let stored = found.as_ref().and_then(|a| a.user.password_hash.as_deref());
    let matches = password::verify(password, stored);
    match found {
        Some(account) if matches && account.user.active => Ok(account),
        _ => Err(AccountError::WrongCredentials),
    }
}

/// Logging in, last step, once the password matched: the attempt does not count as failed.
pub fn logged_in(
    conn: &mut DbConn,
    attempt: &LoginAttempt,
    limits: LoginLimits,
    account: Account,
) -> Result<Account, AccountError> {
    limits::login_succeeded(conn, attempt, limits)?;
    Ok(account)
}

/// What an invitation or reset link says, when it is one and still in time.
pub fn link_claims(jwt: &JwtKeys, token: &str, now: DateTime<Utc>) -> Result<Claims, AccountError> {
    [Purpose::Invitation, Purpose::Reset]
        .into_iter()
        .map(|purpose| jwt.verify(token, purpose, now))
        .find(|r| !matches!(r, Err(TokenError::WrongPurpose)))
        .unwrap_or(Err(TokenError::WrongPurpose))
        .map_err(|e| match e {
            TokenError::Expired => AccountError::LinkExpired,
            _ => AccountError::LinkInvalid,
        })
}

/// The account a link was made for, while the link can be used.
pub struct LinkHolder {
    account: Account,
    /// What the link says; checked again when the password is stored.
    claims: Claims,
}

/// Setting a password, first step: the active account the link is for.
pub fn link_holder(
    conn: &mut DbConn,
    jwt: &JwtKeys,
    claims: Claims,
) -> Result<LinkHolder, AccountError> {
    let account = check_link(conn, jwt, &claims)?;
    Ok(LinkHolder { account, claims })
}

/// The active account of a link that can still be used: sent to the address the person has
/// now, not used (a password set since moves their token version past the link's), and
/// the latest link of its kind.
fn check_link(conn: &mut DbConn, jwt: &JwtKeys, claims: &Claims) -> Result<Account, AccountError> {
    let account = users::find_with_org(conn, &claims.sub)?
        .map(Account::of)
        .filter(|a| a.user.active && a.user.org_id == claims.org)
        .ok_or(AccountError::LinkInvalid)?;
    // Links from before links were bound have no address, and are refused with the others.
    if !jwt.sent_to(claims, &account.user.email) {
        return Err(AccountError::LinkInvalid);
    }
    if account.user.token_version != claims.ver {
        return Err(AccountError::LinkUsed);
    }
    let kind = match claims.purpose {
        Purpose::Invitation => LinkKind::Invitation,
        Purpose::Reset => LinkKind::Reset,
        Purpose::Login => return Err(AccountError::LinkInvalid),
    };
    let latest = users::latest_link_number(conn, &account.user.id, kind)?;
    if claims.link.as_ref().map(|l| l.n) != Some(latest) {
        return Err(AccountError::LinkSuperseded);
    }
    Ok(account)
}

/// A new password, checked and hashed, for the account of a link.
pub struct NewPassword {
    holder: LinkHolder,
    hash: String,
}

impl LinkHolder {
    /// Setting a password, second step: refused when too weak, else hashed.
    pub fn with_password(self, password: &str) -> Result<NewPassword, AccountError> {
        password::check_strength(password, &self.account.user.email)
            .map_err(AccountError::WeakPassword)?;
        let hash = password::hash(password)?;
        Ok(NewPassword { holder: self, hash })
    }
}

/// Setting a password, last step: stored if the link can still be used (it may have been
/// used, replaced or had its address changed while the password was hashed). The link and
/// every session from before stop working.
pub fn set_password(
    conn: &mut DbConn,
    jwt: &JwtKeys,
    new: NewPassword,
    now: DateTime<Utc>,
) -> Result<Account, AccountError> {
    let NewPassword { holder, hash } = new;
    let claims = holder.claims;
    let now = db_time(now);
    conn.write_transaction(|conn| {
        let mut account = check_link(conn, jwt, &claims)?;
        let version = claims.ver;
        if !users::set_password(conn, &account.user.id, version, &hash, now)? {
            return Err(AccountError::LinkUsed);
        }
        account.user.token_version = version + 1;
        let person = &account.user;
        let entry = Change::new(
            &person.org_id,
            Some(&person.id),
            "employees.set_password",
            Target::person(person),
            now,
        );
        let link = serde_json::to_value(claims.purpose).unwrap_or_default();
        audit::record_change(conn, entry.with_detail(serde_json::json!({ "link": link })))?;
        Ok(account)
    })
}
