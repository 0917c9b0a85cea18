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
use crate::provisioning::{set_password_link, INVITATION_DAYS};

pub const RESET_MINUTES: i64 = 60;

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
    pub jwt: &'a JwtKeys,
    pub public_url: &'a str,
    pub org: &'a OrganizationRow,
    pub now: DateTime<Utc>,
}

impl<'a> Inviter<'a> {
    pub fn new(
        jwt: &'a JwtKeys,
        public_url: &'a str,
        org: &'a OrganizationRow,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            jwt,
            public_url,
            org,
            now,
        }
    }

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
        let (token, _) = self.jwt.issue(
            &user.id,
            &user.org_id,
            user.token_version,
            purpose,
            self.now,
            ttl,
        )?;
        let vars = BTreeMap::from([
            ("name".to_string(), user.name.clone()),
            ("org_name".to_string(), self.org.name.clone()),
            (
                "link".to_string(),
                set_password_link(self.public_url, &token),
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
