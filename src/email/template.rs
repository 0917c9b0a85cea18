//! E-mail templates: one folder per kind and locale with `subject.txt`, `body.txt` and
//! `body.html`, compiled into the binary. `{{var}}` is replaced by its value, HTML-escaped in
//! the HTML part, except for names ending in `_html`, which the caller has built from escaped
//! values (a digest's list of people).

use std::collections::BTreeMap;

/// The locale used when the asked one has no templates.
pub const DEFAULT_LOCALE: &str = "en";
pub const LOCALES: &[&str] = &["en", "zh-CN"];
/// Every kind of e-mail there is a template for.
pub const KINDS: &[&str] = &[
    "invitation",
    "password_reset",
    "reminder",
    "reminder_digest",
    "abnormal_alert",
];

struct Template {
    kind: &'static str,
    locale: &'static str,
    subject: &'static str,
    text: &'static str,
    html: &'static str,
}

macro_rules! template {
    ($kind:literal, $locale:literal) => {
        Template {
            kind: $kind,
            locale: $locale,
            subject: include_str!(concat!("templates/", $kind, "/", $locale, "/subject.txt")),
            text: include_str!(concat!("templates/", $kind, "/", $locale, "/body.txt")),
            html: include_str!(concat!("templates/", $kind, "/", $locale, "/body.html")),
        }
    };
}

const TEMPLATES: &[Template] = &[
    template!("invitation", "en"),
    template!("invitation", "zh-CN"),
    template!("password_reset", "en"),
    template!("password_reset", "zh-CN"),
    template!("reminder", "en"),
    template!("reminder", "zh-CN"),
    template!("reminder_digest", "en"),
    template!("reminder_digest", "zh-CN"),
    template!("abnormal_alert", "en"),
    template!("abnormal_alert", "zh-CN"),
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The locale the mail was written in (after falling back).
    pub locale: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("no e-mail template named `{0}`")]
    UnknownKind(String),
    #[error("the `{kind}` e-mail needs a value for `{var}`")]
    MissingVar { kind: String, var: String },
}

/// The supported locale closest to `asked`: exact (ignoring case and `_`), else the same
/// language (`zh-TW` → `zh-CN`, `en-GB` → `en`), else English.
pub fn resolve_locale(asked: &str) -> &'static str {
    let asked = asked.trim().replace('_', "-");
    if let Some(exact) = LOCALES.iter().find(|l| l.eq_ignore_ascii_case(&asked)) {
        return exact;
    }
    let language = asked.split('-').next().unwrap_or_default();
    LOCALES
        .iter()
        .find(|l| {
            l.split('-')
                .next()
                .is_some_and(|own| own.eq_ignore_ascii_case(language))
        })
        .copied()
        .unwrap_or(DEFAULT_LOCALE)
}

pub fn render(
    kind: &str,
    locale: &str,
    vars: &BTreeMap<String, String>,
) -> Result<Rendered, TemplateError> {
    let locale = resolve_locale(locale);
    let template = TEMPLATES
        .iter()
        .find(|t| t.kind == kind && t.locale == locale)
        .ok_or_else(|| TemplateError::UnknownKind(kind.to_string()))?;
    let subject = fill(kind, template.subject, vars, |_, v| v.to_string())?;
    // A header is one line, whatever a name contains.
    let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok(Rendered {
        locale,
        subject,
        text: fill(kind, template.text, vars, |_, v| v.to_string())?,
        html: fill(kind, template.html, vars, html_value)?,
    })
}

/// Replaces each `{{name}}`; a name without a value is an error rather than a mail that
/// shows `{{link}}` to its reader.
fn fill(
    kind: &str,
    template: &str,
    vars: &BTreeMap<String, String>,
    encode: impl Fn(&str, &str) -> String,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = after[..end].trim();
        let value = vars.get(name).ok_or_else(|| TemplateError::MissingVar {
            kind: kind.to_string(),
            var: name.to_string(),
        })?;
        out.push_str(&encode(name, value));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn html_value(name: &str, value: &str) -> String {
    if name.ends_with("_html") {
        value.to_string()
    } else {
        escape_html(value)
    }
}

/// Fills the `{{name}}`s of a body rendered ahead for many people (see `render` with a value
/// of `{{name}}`), leaving any other `{{…}}` as it is: the body is already complete apart from
/// these values.
pub fn fill_shared(body: &str, vars: &BTreeMap<String, String>, html: bool) -> String {
    let mut out = String::with_capacity(body.len() + 64);
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        match vars.get(after[..end].trim()) {
            Some(value) if html => out.push_str(&escape_html(value)),
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

pub use crate::markup::escape as escape_html;

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn invitation_vars() -> BTreeMap<String, String> {
        vars(&[
            ("name", "Li <Lei>"),
            ("org_name", "Acme & Sons"),
            ("link", "https://hc.example/#/set-password?token=a&b=\"c\""),
            ("days", "7"),
        ])
    }

    #[test]
    fn every_kind_has_every_locale() {
        for kind in KINDS {
            for locale in LOCALES {
                assert!(
                    TEMPLATES
                        .iter()
                        .any(|t| t.kind == *kind && t.locale == *locale),
                    "{kind}/{locale}"
                );
            }
        }
        assert_eq!(TEMPLATES.len(), KINDS.len() * LOCALES.len());
    }

    #[test]
    fn invitation_in_english_fills_every_part() {
        let r = render("invitation", "en", &invitation_vars()).unwrap();
        assert_eq!(r.locale, "en");
        assert_eq!(r.subject, "Acme & Sons invited you to Health Check-in");
        assert!(r.text.starts_with("Hello Li <Lei>,"));
        assert!(r
            .text
            .contains("\nhttps://hc.example/#/set-password?token=a&b=\"c\"\n"));
        assert!(r.text.contains("valid for 7 days"));
        assert!(!r.text.contains("{{"));
        // The HTML part carries the same values, escaped.
        assert!(r.html.contains("Hello Li &lt;Lei&gt;,"));
        assert!(r.html.contains("Acme &amp; Sons uses"));
        assert!(r
            .html
            .contains("href=\"https://hc.example/#/set-password?token=a&amp;b=&quot;c&quot;\""));
        assert!(!r.html.contains("<Lei>"));
        assert!(!r.html.contains("{{"));
    }

    #[test]
    fn invitation_in_chinese() {
        let r = render("invitation", "zh-CN", &invitation_vars()).unwrap();
        assert_eq!(r.locale, "zh-CN");
        assert_eq!(r.subject, "Acme & Sons 邀请您使用每日健康打卡");
        assert!(r.text.starts_with("Li <Lei>，您好："));
        assert!(r.text.contains("7 天内有效"));
        assert!(r.html.contains("Li &lt;Lei&gt;，您好："));
        assert!(r.html.contains("lang=\"zh-CN\""));
    }

    #[test]
    fn password_reset_in_both_locales() {
        let v = vars(&[
            ("name", "Wang"),
            ("org_name", "Acme"),
            ("link", "https://hc.example/#/set-password?token=t"),
            ("minutes", "30"),
        ]);
        let en = render("password_reset", "en", &v).unwrap();
        assert_eq!(en.subject, "Reset your Health Check-in password");
        assert!(en.text.contains("expires in 30 minutes"));
        assert!(en
            .html
            .contains("https://hc.example/#/set-password?token=t"));
        let zh = render("password_reset", "zh-CN", &v).unwrap();
        assert_eq!(zh.subject, "重置您的健康打卡密码");
        assert!(zh.text.contains("30 分钟后失效"));
    }

    #[test]
    fn unknown_locales_fall_back() {
        assert_eq!(resolve_locale("fr"), "en");
        assert_eq!(resolve_locale(""), "en");
        assert_eq!(resolve_locale("en-GB"), "en");
        assert_eq!(resolve_locale("zh_cn"), "zh-CN");
        assert_eq!(resolve_locale("zh-TW"), "zh-CN");
        let r = render("invitation", "de-DE", &invitation_vars()).unwrap();
        assert_eq!(r.locale, "en");
        assert!(r.text.starts_with("Hello"));
    }

    #[test]
    fn missing_values_and_unknown_kinds_are_errors() {
        let mut v = invitation_vars();
        v.remove("link");
        assert_eq!(
            render("invitation", "en", &v),
            Err(TemplateError::MissingVar {
                kind: "invitation".into(),
                var: "link".into()
            })
        );
        assert_eq!(
            render("newsletter", "en", &invitation_vars()),
            Err(TemplateError::UnknownKind("newsletter".into()))
        );
    }

    #[test]
    fn a_shared_reminder_body_gets_each_name_later() {
        let v = vars(&[
            ("name", "{{name}}"),
            ("date", "2020-02-03"),
            ("org_name", "Acme & Sons"),
            ("link", "https://hc.example/#/checkin"),
        ]);
        for locale in LOCALES {
            let r = render("reminder", locale, &v).unwrap();
            assert!(r.subject.contains("2020-02-03"), "{}", r.subject);
            let person = vars(&[("name", "Li <Lei>")]);
            let text = fill_shared(&r.text, &person, false);
            let html = fill_shared(&r.html, &person, true);
            assert!(text.contains("Li <Lei>") && !text.contains("{{"), "{text}");
            assert!(
                html.contains("Li &lt;Lei&gt;") && !html.contains("<Lei>"),
                "{html}"
            );
            assert!(
                html.contains("href=\"https://hc.example/#/checkin\""),
                "{html}"
            );
            assert!(html.contains("Acme &amp; Sons"), "{html}");
        }
        // Values of other names are left alone, whatever they look like.
        assert_eq!(
            fill_shared("a {{x}} b", &vars(&[("name", "n")]), false),
            "a {{x}} b"
        );
    }

    #[test]
    fn a_digest_takes_its_list_as_built_html() {
        let v = vars(&[
            ("name", "Mei"),
            ("org_name", "Acme"),
            ("date", "2020-02-03"),
            ("count", "1"),
            ("people", "- Bo <East> (Sales)"),
            ("people_html", "<li>Bo &lt;East&gt; (Sales)</li>"),
            ("link", "https://hc.example/#/reports"),
        ]);
        let r = render("reminder_digest", "en", &v).unwrap();
        assert!(r.text.contains("- Bo <East> (Sales)"));
        assert!(r.html.contains("<li>Bo &lt;East&gt; (Sales)</li>"));
        let zh = render("reminder_digest", "zh-CN", &v).unwrap();
        assert!(zh.subject.contains("1 人"), "{}", zh.subject);
    }

    #[test]
    fn the_subject_stays_on_one_line() {
        let mut v = invitation_vars();
        v.insert("org_name".into(), "Acme\r\nBcc: someone@evil.test".into());
        let r = render("invitation", "en", &v).unwrap();
        assert!(!r.subject.contains('\n') && !r.subject.contains('\r'));
    }
}
