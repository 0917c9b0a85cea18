use std::fmt;

use crate::problem::Problem;

/// A lower-cased, trimmed e-mail address that has one `@` with text on both sides.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

pub const MAX_EMAIL_LEN: usize = 254;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(Problem::required());
        }
        // Both as sent (the API's documented length) and as stored, which lower-casing may lengthen.
        if raw.chars().count() > MAX_EMAIL_LEN || value.len() > MAX_EMAIL_LEN {
            return Err(Problem::too_long(MAX_EMAIL_LEN));
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err(not_an_address());
        };
        let domain_ok = !domain.is_empty()
            && !domain.contains('@')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty()
            || !domain_ok
            || value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(not_an_address());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

fn not_an_address() -> Problem {
    Problem::new(
        "invalid_email",
        "must be an e-mail address like name@example.com",
    )
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn normalizes_case_and_space() {
        assert_eq!(
            Email::parse("  Li.Lei@Acme.TEST ").unwrap().as_str(),
            "li.lei@acme.test"
        );
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "",
            "no-at-sign",
            "@acme.test",
            "a@",
            "a@@b",
            "a b@acme.test",
            "a@.acme",
            "a@acme..test",
        ] {
            let problem = Email::parse(bad).expect_err(bad);
            let expected = if bad.is_empty() {
                "required"
            } else {
                "invalid_email"
            };
            assert_eq!(problem.code, expected, "{bad:?}");
        }
    }
}
