use std::fmt;

use unicode_normalization::UnicodeNormalization;

use crate::domain::text::is_invisible;
use crate::problem::Problem;

/// A lower-cased, trimmed e-mail address in Unicode's compatibility form (NFKC) that has one
/// `@` with text on both sides, no invisible characters, and a domain name rather than an IP
/// address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

pub const MAX_EMAIL_LEN: usize = 254;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        // Full-width and other compatibility forms (ｌｉ＠ａｃｍｅ．ｔｅｓｔ) become the letters
        // they stand for, so that an address has one spelling.
        let value = raw.nfkc().collect::<String>().trim().to_lowercase();
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
            || value
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || is_invisible(c))
        {
            return Err(not_an_address());
        }
        if is_ip_address(domain) {
            return Err(Problem::new(
                "ip_address_domain",
                "must have a domain name, not an IP address",
            ));
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

/// `[1.2.3.4]`, `[IPv6:…]`, or a name whose last label is a number as resolvers read IPv4
/// addresses (`1.2.3.4`, `2130706433`, `0x7f.1`): top-level domains are never numbers.
fn is_ip_address(domain: &str) -> bool {
    if domain.starts_with('[') || domain.ends_with(']') {
        return true;
    }
    let last = domain.rsplit('.').next().unwrap_or(domain);
    let hex = last
        .strip_prefix("0x")
        .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()));
    hex || last.bytes().all(|b| b.is_ascii_digit())
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
    fn full_width_and_compatibility_forms_become_plain_letters() {
        assert_eq!(
            Email::parse("Ｌｉ．Ｌｅｉ＠ＡＣＭＥ．ｔｅｓｔ")
                .unwrap()
                .as_str(),
            "li.lei@acme.test"
        );
        assert_eq!(
            Email::parse("ﬁn@acme.test").unwrap().as_str(),
            "fin@acme.test"
        );
    }

    #[test]
    fn ip_address_domains_are_refused() {
        for ip in [
            "a@[1.2.3.4]",
            "a@[IPv6:::1]",
            "a@1.2.3.4",
            "a@１．２．３．４",
            "a@2130706433",
            "a@0x7f.1",
        ] {
            assert_eq!(
                Email::parse(ip).unwrap_err().code,
                "ip_address_domain",
                "{ip}"
            );
        }
        for name in ["a@1.example", "a@acme.test", "a@localhost", "a@0xcafe.com"] {
            assert!(Email::parse(name).is_ok(), "{name}");
        }
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
            "a\u{200B}@acme.test",
            "admin@acme.test\u{202E}",
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
