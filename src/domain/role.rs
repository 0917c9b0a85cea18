use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::problem::Problem;

/// Roles are ordered: each one can do everything the ones before it can.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Staff,
    Manager,
    Hr,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Staff, Role::Manager, Role::Hr, Role::Admin];

    /// Exactly one of the names, as the API documents them; `FromStr`, for the CSV import, also
    /// takes `Manager` or ` hr `.
    pub fn from_name(name: &str) -> Result<Role, Problem> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
            .ok_or_else(|| not_a_role(name))
    }

    /// The names of `ALL`, in order, as the API writes them.
    pub const NAMES: [&'static str; 4] = ["staff", "manager", "hr", "admin"];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Manager => "manager",
            Role::Hr => "hr",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = Problem;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_lowercase())
            .ok_or_else(|| not_a_role(s))
    }
}

/// `choices` for the page to list, `value` as given.
fn not_a_role(name: &str) -> Problem {
    Problem::new(
        "not_a_choice",
        format!("`{name}` is not one of {}", Role::NAMES.join(", ")),
    )
    .with("choices", Role::NAMES.to_vec())
    .with("value", name)
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn parses_and_orders() {
        assert_eq!("HR".parse::<Role>().unwrap(), Role::Hr);
        let boss = "boss".parse::<Role>().unwrap_err();
        assert_eq!(
            boss.message,
            "`boss` is not one of staff, manager, hr, admin"
        );
        assert_eq!(boss.code, "not_a_choice");
        assert_eq!(boss.params["value"], "boss");
        assert_eq!(Role::from_name("hr"), Ok(Role::Hr));
        assert!(Role::from_name("HR").is_err() && Role::from_name(" hr").is_err());
        assert_eq!(Role::ALL.map(Role::as_str), Role::NAMES);
        assert!(Role::Admin > Role::Hr && Role::Hr > Role::Manager && Role::Manager > Role::Staff);
    }
}
