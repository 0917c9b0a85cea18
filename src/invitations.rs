//! Mails that carry a set-password link: invitations for new people, reset links for people
//! who forgot their password. Queued in the caller's transaction, sent by the outbox.

use diesel::QueryResult;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::auth::{JwtKeys, Purpose};
use crate::db::organizations::OrganizationRow;
use crate::db::users::UserRow;
use crate::db::{db_time, DbConn};
use crate::email::{self, NewMail};

pub const INVITATION_DAYS: i64 = 7;
pub const RESET_MINUTES: i64 = 60;

/// What set-password links are signed with and where they lead: the same for the API, the
/// command line and the tests.
#[derive(Clone, Copy)]
pub struct Links<'a> {
    pub jwt: &'a JwtKeys,
    pub public_url: &'a str,
}

impl<'a> Links<'a> {
    pub fn new(jwt: &'a JwtKeys, public_url: &'a str) -> Self {
        Self { jwt, public_url }
    }

    /// The web app's page that takes a token for `user` and asks for a new password.
    fn link(
        &self,
        user: &UserRow,
        purpose: Purpose,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let (token, _) = self.jwt.issue(
            &user.id,
            &user.org_id,
            user.token_version,
            purpose,
            now,
            ttl,
        )?;
        Ok(format!("{}/#/set-password?token={token}", self.public_url))
    }

    /// An invitation link valid for `INVITATION_DAYS`, for a person told some other way than
    /// by mail (the first admin of a new organization).
    pub fn invitation(&self, user: &UserRow, now: DateTime<Utc>) -> anyhow::Result<String> {
        self.link(
            user,
            Purpose::Invitation,
            Duration::days(INVITATION_DAYS),
            now,
        )
    }

    /// The invitation and reset mails of one organization, with links that start at `now`.
    pub fn inviter(self, org: &'a OrganizationRow, now: DateTime<Utc>) -> Inviter<'a> {
        Inviter {
            links: self,
            org,
            now,
        }
    }
}

/// A mail with a set-password link: the token's purpose and lifetime, the template, and the
/// one template value that differs between kinds.
struct LinkMail {
    purpose: Purpose,
    kind: &'static str,
    ttl: Duration,
    extra: (&'static str, String),
}

/// What it takes to invite people of one organization.
pub struct Inviter<'a> {
    links: Links<'a>,
    org: &'a OrganizationRow,
    now: DateTime<Utc>,
}

impl Inviter<'_> {
    fn locale(&self, user: &UserRow) -> QueryResult<String> {
        Ok(match &user.locale {
            Some(locale) => locale.clone(),
            None => self.org.settings()?.locale,
        })
    }

    fn queue(
        &self,
        conn: &mut DbConn,
        user: &UserRow,
        link: LinkMail,
        dedupe_key: String,
    ) -> anyhow::Result<bool> {
        let LinkMail {
            purpose,
            kind,
            ttl,
            extra,
        } = link;
        let vars = BTreeMap::from([
            ("name".to_string(), user.name.clone()),
            ("org_name".to_string(), self.org.name.clone()),
            (
                "link".to_string(),
                self.links.link(user, purpose, ttl, self.now)?,
            ),
            (extra.0.to_string(), extra.1),
        ]);
        let mail = NewMail {
            org_id: user.org_id.clone(),
            user_id: Some(user.id.clone()),
            kind,
            dedupe_key,
            to: user.email.clone(),
            locale: self.locale(user)?,
            vars,
        };
        Ok(email::enqueue(conn, &mail, db_time(self.now))?)
    }

    /// An invitation with a link valid for a week; `again` distinguishes a resend.
    pub fn invite(&self, conn: &mut DbConn, user: &UserRow, again: bool) -> anyhow::Result<bool> {
        let key = if again {
            format!("invitation:{}:{}", user.id, self.now.timestamp_micros())
        } else {
            format!("invitation:{}", user.id)
        };
        let link = LinkMail {
            purpose: Purpose::Invitation,
            kind: "invitation",
            ttl: Duration::days(INVITATION_DAYS),
            extra: ("days", INVITATION_DAYS.to_string()),
        };
        self.queue(conn, user, link, key)
    }

    /// A reset link valid for an hour.
    pub fn reset(&self, conn: &mut DbConn, user: &UserRow) -> anyhow::Result<bool> {
        let link = LinkMail {
            purpose: Purpose::Reset,
            kind: "password_reset",
            ttl: Duration::minutes(RESET_MINUTES),
            extra: ("minutes", RESET_MINUTES.to_string()),
        };
        let key = format!("reset:{}:{}", user.id, self.now.timestamp_micros());
        self.queue(conn, user, link, key)
    }
}
