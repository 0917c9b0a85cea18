//! Mails that carry a set-password link: invitations for new people, reset links for people
//! who forgot their password. Queued in the caller's transaction, sent by the outbox.

use diesel::QueryResult;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::auth::jwt::LinkTarget;
use crate::auth::{JwtKeys, Purpose};
use crate::db::organizations::OrganizationRow;
use crate::db::users::{self, LinkKind, UserRow};
use crate::db::{db_time, DbConn};
use crate::email::{self, NewMail};

pub const INVITATION_DAYS: i64 = 7;
pub const RESET_MINUTES: i64 = 60;
/// The number of a person's first invitation link: a new person's count of them starts
/// there, so it needs no write.
const FIRST_INVITATION: i32 = 0;

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

    /// The web app's page that takes a token for `user` and asks for a new password: link
    /// `number` of its kind, sent to the person's address as it is now.
    fn link(
        &self,
        user: &UserRow,
        (purpose, number): (Purpose, i32),
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let target = LinkTarget {
            user_id: &user.id,
            org_id: &user.org_id,
            token_version: user.token_version,
            email: &user.email,
            number,
        };
        let token = self.jwt.issue_link(&target, purpose, now, ttl)?;
        Ok(format!("{}/#/set-password?token={token}", self.public_url))
    }

    /// The first invitation link of a person just added, valid for `INVITATION_DAYS`, for
    /// one told some other way than by mail (the first admin of a new organization).
    pub fn invitation(&self, user: &UserRow, now: DateTime<Utc>) -> anyhow::Result<String> {
        self.link(
            user,
            (Purpose::Invitation, FIRST_INVITATION),
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

/// A mail with a set-password link: the token's purpose and the link's number, its lifetime,
/// the template, and the one template value that differs between kinds.
struct LinkMail {
    purpose: Purpose,
    number: i32,
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
            number,
            kind,
            ttl,
            extra,
        } = link;
        let vars = BTreeMap::from([
            ("name".to_string(), user.name.clone()),
            ("org_name".to_string(), self.org.name.clone()),
            (
                "link".to_string(),
                self.links.link(user, (purpose, number), ttl, self.now)?,
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

    /// An invitation with a link valid for a week: the first for a person just added, or
    /// `again`, a new one that ends the invitation links sent before.
    pub fn invite(&self, conn: &mut DbConn, user: &UserRow, again: bool) -> anyhow::Result<bool> {
        let (key, number) = if again {
            let key = format!("invitation:{}:{}", user.id, self.now.timestamp_micros());
            (
                key,
                users::next_link_number(conn, &user.id, LinkKind::Invitation)?,
            )
        } else {
            (format!("invitation:{}", user.id), FIRST_INVITATION)
        };
        let link = LinkMail {
            purpose: Purpose::Invitation,
            number,
            kind: "invitation",
            ttl: Duration::days(INVITATION_DAYS),
            extra: ("days", INVITATION_DAYS.to_string()),
        };
        self.queue(conn, user, link, key)
    }

    /// A reset link valid for an hour; the reset links sent before it stop working.
    pub fn reset(&self, conn: &mut DbConn, user: &UserRow) -> anyhow::Result<bool> {
        let link = LinkMail {
            purpose: Purpose::Reset,
            number: users::next_link_number(conn, &user.id, LinkKind::Reset)?,
            kind: "password_reset",
            ttl: Duration::minutes(RESET_MINUTES),
            extra: ("minutes", RESET_MINUTES.to_string()),
        };
        let key = format!("reset:{}:{}", user.id, self.now.timestamp_micros());
        self.queue(conn, user, link, key)
    }
}
