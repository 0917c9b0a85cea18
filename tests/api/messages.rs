//! Every code the server can put in an error is one the web app says in both languages, so
//! no message reaches a Chinese page in English.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("source folder reads") {
        let path = entry.expect("entry reads").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The string literal that follows each `call` in `text`, across line breaks.
fn literals_after<'a>(text: &'a str, call: &str) -> Vec<&'a str> {
    text.match_indices(call)
        .filter_map(|(at, _)| {
            let rest = text[at + call.len()..].trim_start();
            let rest = rest.strip_prefix('"')?;
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// The entries of a table of static/js/messages.js: each code with its text.
fn table<'a>(js: &'a str, name: &str) -> Vec<(&'a str, String)> {
    let start = js
        .find(&format!("const {name} = {{\n"))
        .unwrap_or_else(|| panic!("messages.js has no {name} table"));
    let body = &js[start..];
    let body = &body[..body.find("\n};").expect("table ends")];
    // An entry starts on a line indented by exactly two spaces: `  code: {`.
    let mut entries: Vec<(&str, String)> = Vec::new();
    for line in body.lines().skip(1) {
        let starts_entry = line.starts_with("  ") && !line.starts_with("   ");
        match line.trim_start().split_once(": {") {
            Some((code, _)) if starts_entry => entries.push((code, line.to_string())),
            _ => {
                if let Some((_, text)) = entries.last_mut() {
                    text.push_str(line);
                }
            }
        }
    }
    entries
}

#[test]
fn every_error_code_the_server_sends_is_translated_in_both_languages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let js = fs::read_to_string(root.join("static/js/messages.js")).expect("messages.js reads");
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let sources: Vec<String> = files
        .iter()
        .map(|f| fs::read_to_string(f).expect("source reads"))
        .collect();

    let check = |table_name: &str, calls: &[&str]| {
        let entries = table(&js, table_name);
        for (code, text) in &entries {
            assert!(
                text.contains("en:") && text.contains("'zh-CN':"),
                "{code} in {table_name} lacks a language"
            );
        }
        let mut missing = Vec::new();
        for source in &sources {
            for call in calls {
                for code in literals_after(source, call) {
                    if !entries.iter().any(|(c, _)| *c == code) && !missing.contains(&code) {
                        missing.push(code);
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "codes the web app cannot say: {missing:?}"
        );
        entries.len()
    };
    let field_codes = check("FIELD", &["Problem::new(", "Self::new("]);
    assert!(field_codes >= 10, "the field table was not read");
    check(
        "REQUEST",
        &[
            "ApiError::conflict(",
            "ApiError::conflict_on(",
            "ApiError::bad_request(",
            "link_refused(",
        ],
    );

    // The codes of the error kinds themselves (`busy`, `rate_limited`, ...).
    let error_rs = fs::read_to_string(root.join("src/error.rs")).expect("error.rs reads");
    let codes = &error_rs[error_rs.find("pub fn code(&self)").expect("ApiError::code")..];
    let codes = &codes[..codes.find("\n    }\n").expect("code() ends")];
    let request = table(&js, "REQUEST");
    let untranslated: Vec<&str> = literals_after(codes, "=> ")
        .into_iter()
        .filter(|code| !request.iter().any(|(c, _)| c == code))
        .collect();
    assert!(
        literals_after(codes, "=> ").len() >= 10,
        "the error kinds were not read"
    );
    assert!(
        untranslated.is_empty(),
        "error kinds the web app cannot say: {untranslated:?}"
    );
}

/// The reminder mail tells people which button to tap by the words on it, in each language.
#[test]
fn the_reminder_mail_names_the_one_tap_button_as_the_page_labels_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let i18n = fs::read_to_string(root.join("static/js/i18n.js")).expect("i18n.js reads");
    let labels: Vec<&str> = i18n
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nothing_changed: '"))
        .filter_map(|l| l.strip_suffix("',"))
        .collect();
    assert_eq!(labels.len(), 2, "one label per language: {labels:?}");
    for (language, label) in [("en", labels[0]), ("zh-CN", labels[1])] {
        for file in ["body.txt", "body.html"] {
            let path = root.join(format!("src/email/templates/reminder/{language}/{file}"));
            let body = fs::read_to_string(&path).expect("template reads");
            assert!(body.contains(label), "{} names {label:?}", path.display());
        }
    }
}

/// The keys of one dictionary object of i18n.js (`const en = {` … `};`), one per line.
fn dictionary_keys(i18n: &str, name: &str) -> Vec<String> {
    let start = i18n
        .find(&format!("const {name} = {{"))
        .unwrap_or_else(|| panic!("no dictionary {name}"));
    let body = &i18n[start..];
    let body = &body[..body.find("\n};").expect("the dictionary ends")];
    body.lines()
        .skip(1)
        .filter_map(|l| {
            let l = l.trim_start();
            let (key, _) = l.split_once(':')?;
            (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .then(|| key.to_string())
        })
        .collect()
}

/// Every key the pages name in `t('…')` or `tn('…')` is in the English dictionary, every
/// English key is in the Chinese one (but the `_one` forms English needs), and no key is
/// given twice in one dictionary.
#[test]
fn every_text_the_pages_use_is_in_both_languages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let i18n = fs::read_to_string(root.join("static/js/i18n.js")).expect("i18n.js reads");
    let en = dictionary_keys(&i18n, "en");
    let zh = dictionary_keys(&i18n, "zh");
    assert!(
        en.len() > 100 && zh.len() > 100,
        "{} {}",
        en.len(),
        zh.len()
    );
    for (name, keys) in [("en", &en), ("zh", &zh)] {
        let mut seen = std::collections::HashSet::new();
        for k in keys.iter() {
            assert!(seen.insert(k), "{k} twice in {name}");
        }
    }
    for k in &en {
        if !k.ends_with("_one") {
            assert!(zh.contains(k), "{k} has no Chinese text");
        }
    }
    let mut used = Vec::new();
    for entry in fs::read_dir(root.join("static/js")).expect("static/js reads") {
        let path = entry.expect("entry").path();
        let text = fs::read_to_string(&path).expect("script reads");
        for call in ["t('", "tn('"] {
            for (at, _) in text.match_indices(call) {
                // Not the tail of another name (`rt('`, `text('`).
                let before = text[..at].chars().last();
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                let rest = &text[at + call.len()..];
                if let Some(end) = rest.find('\'') {
                    used.push((path.display().to_string(), rest[..end].to_string()));
                }
            }
        }
    }
    assert!(used.len() > 100, "{}", used.len());
    for (file, key) in used {
        assert!(
            en.contains(&key),
            "{file} uses {key:?}, which the English dictionary lacks"
        );
    }
}
