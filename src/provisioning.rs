//! Creating an organization with its first administrator (the `org create` command), and
//! the rule for a display name that people, departments and organizations share.

use chrono::{DateTime, Utc};

use crate::audit::{self, Change, Changes, Target};
use crate::auth::{password, JwtKeys};
use crate::db::organizations::{self, OrganizationRow};
use crate::db::users::UserRow;
use crate::db::{db_time, is_unique_violation, new_id, DbConn};
use crate::domain::day::parse_timezone;
use crate::domain::text::check_name_characters;
use crate::domain::{Email, OrgSettings, Role};
use crate::invitations::Links;
use crate::problem::Problem;

pub const MAX_NAME_CHARS: usize = 200;

pub struct NewOrganization {
    pub name: String,
    pub timezone: String,
    pub admin_email: String,
    pub admin_name: Option<String>,
    pub admin_password: Option<String>,
}

pub struct CreatedOrganization {
    pub org: OrganizationRow,
    pub admin: UserRow,
    /// A one-time link to set the admin's password, when none was given.
    pub set_password_link: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// `field` names the command's option.
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: Problem,
    },
    #[error("an account with the e-mail {0} already exists")]
    EmailTaken(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

fn invalid(field: &'static str) -> impl FnOnce(Problem) -> ProvisionError {
    move |problem| ProvisionError::Invalid { field, problem }
}

pub fn create_organization(
    conn: &mut DbConn,
    jwt: &JwtKeys,
    public_url: &str,
    now: DateTime<Utc>,
    new: NewOrganization,
) -> Result<CreatedOrganization, ProvisionError> {
    let name = clean_name(&new.name).map_err(invalid("--name"))?;
    let tz = parse_timezone(&new.timezone).map_err(invalid("--timezone"))?;
    let email = Email::parse(&new.admin_email).map_err(invalid("--admin-email"))?;
    let admin_name = match &new.admin_name {
        Some(n) => clean_name(n).map_err(invalid("--admin-name"))?,
        None => email
            .as_str()
            .split('@')
            .next()
            .unwrap_or("admin")
            .to_string(),
    };
    let password_hash = match &new.admin_password {
        Some(pw) => {
            password::check_strength(pw, email.as_str()).map_err(invalid("--admin-password"))?;
            Some(password::hash(pw)?)
        }
        None => None,
    };
    let stamp = db_time(now);
    let org = OrganizationRow {
        id: new_id(),
        name,
        timezone: tz.name().to_string(),
        settings: OrgSettings::default().to_stored(),
        created_at: stamp,
        updated_at: stamp,
    };
    let admin = UserRow {
        password_hash,
        ..UserRow::new(&org.id, email.to_string(), admin_name, Role::Admin, stamp)
    };
    conn.write_transaction(|conn| {
        organizations::create_with_admin(conn, &org, &admin)?;
        // Made from the command line: no actor.
        let mut settings = Changes::default();
        settings.field("name", None::<()>, &org.name);
        settings.field("timezone", None::<()>, &org.timezone);
        let created = Change::new(
            &org.id,
            None,
            "organization.create",
            Target::organization(&org),
            stamp,
        );
        audit::record_change(conn, created.with_changes(settings))?;
        let first_admin = Change::new(
            &org.id,
            None,
            "employees.create",
            Target::person(&admin),
            stamp,
        );
        audit::record_change(
            conn,
            first_admin.with_changes(audit::person_changes(None, &admin)),
        )
    })
    .map_err(|e| {
        if is_unique_violation(&e) {
            ProvisionError::EmailTaken(email.to_string())
        } else {
            ProvisionError::Other(e.into())
        }
    })?;
    let set_password_link = match admin.password_hash {
        None => Some(Links::new(jwt, public_url).invitation(&admin, now)?),
        Some(_) => None,
    };
    Ok(CreatedOrganization {
        org,
        admin,
        set_password_link,
    })
}

/// A display name: trimmed, not blank, at most `MAX_NAME_CHARS`, without control or
/// bidirectional control characters, and with something to see.
pub fn clean_name(raw: &str) -> Result<String, Problem> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Problem::required());
    }
    // Counted as sent, spaces included: the limit the API documents.
    if raw.chars().count() > MAX_NAME_CHARS {
        return Err(Problem::too_long(MAX_NAME_CHARS));
    }
    check_name_characters(name)?;
    Ok(name.to_string())
}
