//! What makes a form an organization may put in force. A form is checked whole and every
//! problem is named by the question's place (`fields.3.options`) with its index and key, so
//! the form page can show each one on its question.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::form::{Choice, FieldKind, FormField, Label};
use super::text::{check_name_characters, is_bidi_control, is_invisible};
use crate::problem::{FieldErrors, Problem};
use crate::reports::export::{LEADING_COLUMNS, TRAILING_COLUMNS};

pub const MAX_FIELDS: usize = 50;
pub const MAX_KEY_CHARS: usize = 40;
pub const MAX_LABEL_CHARS: usize = 200;
pub const MAX_HELP_CHARS: usize = 500;
pub const MAX_OPTIONS: usize = 50;
pub const MAX_OPTION_VALUE_CHARS: usize = 40;
pub const MAX_UNIT_CHARS: usize = 20;
pub const MAX_DECIMALS: u32 = 4;
pub const MAX_TEXT_LENGTH: usize = 2000;
/// Numbers beyond this are not what a health form measures, and keep the arithmetic exact.
pub const MAX_MAGNITUDE: f64 = 1e9;

/// Checks `fields` as the next version of a form. `earlier_types` maps each key of every
/// earlier version to its type: a key keeps its type forever, so exports stay readable.
pub fn check_fields(
    fields: &[FormField],
    earlier_types: &HashMap<String, &'static str>,
) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    if fields.is_empty() {
        errors.insert(
            "fields".into(),
            Problem::new("empty_form", "a form needs at least one question"),
        );
    }
    if fields.len() > MAX_FIELDS {
        errors.insert(
            "fields".into(),
            Problem::new(
                "too_many",
                format!("a form has at most {MAX_FIELDS} questions"),
            )
            .with("max", MAX_FIELDS),
        );
    }
    let mut seen = HashSet::new();
    for (index, field) in fields.iter().enumerate() {
        let mut at = |part: &str, problem: Problem| {
            let path = if part.is_empty() {
                format!("fields.{index}")
            } else {
                format!("fields.{index}.{part}")
            };
            errors
                .entry(path)
                .or_insert(problem.with("index", index).with("key", field.key.clone()));
        };
        if let Err(problem) = check_key(&field.key) {
            at("key", problem);
        } else if !seen.insert(field.key.as_str()) {
            at(
                "key",
                Problem::new("duplicate_key", "another question has the same key"),
            );
        } else if let Some(earlier) = earlier_types.get(&field.key) {
            let now = field.kind.type_name();
            if *earlier != now {
                at(
                    "type",
                    Problem::new(
                        "type_changed",
                        format!("the key was a {earlier} question in an earlier version; a key keeps its type"),
                    )
                    .with("was", *earlier),
                );
            }
        }
        check_label(&field.label, MAX_LABEL_CHARS, true, &mut |part, p| {
            at(&format!("label.{part}"), p)
        });
        if let Some(help) = &field.help {
            check_label(help, MAX_HELP_CHARS, false, &mut |part, p| {
                at(&format!("help.{part}"), p)
            });
        }
        check_kind(&field.kind, &mut at);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// snake_case: a lower-case letter, then lower-case letters, digits and single underscores;
/// not the name of one of the export's own columns.
fn check_key(key: &str) -> Result<(), Problem> {
    if key.is_empty() {
        return Err(Problem::required());
    }
    if LEADING_COLUMNS.contains(&key) || TRAILING_COLUMNS.contains(&key) {
        return Err(Problem::new(
            "reserved_key",
            format!("`{key}` names a column of the export of its own; choose another key"),
        )
        .with("value", key));
    }
    if key.chars().count() > MAX_KEY_CHARS {
        return Err(Problem::too_long(MAX_KEY_CHARS));
    }
    let shaped = key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !key.ends_with('_')
        && !key.contains("__");
    if shaped {
        Ok(())
    } else {
        Err(Problem::new(
            "not_snake_case",
            "must be snake_case: lower-case letters, digits and underscores, starting with a letter",
        ))
    }
}

fn check_label(label: &Label, max: usize, required: bool, at: &mut dyn FnMut(&str, Problem)) {
    for (part, text) in [("en", &label.en), ("zh-CN", &label.zh_cn)] {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            if required {
                at(part, Problem::required());
            }
        } else if text.chars().count() > max {
            at(part, Problem::too_long(max));
        } else if let Err(problem) = check_name_characters(trimmed) {
            at(part, problem);
        }
    }
}

fn check_kind(kind: &FieldKind, at: &mut dyn FnMut(&str, Problem)) {
    match kind {
        FieldKind::Number {
            min,
            max,
            decimals,
            unit,
            abnormal_at_or_above,
            abnormal_at_or_below,
        } => {
            for (part, value) in [("min", *min), ("max", *max)] {
                if !value.is_finite() || value.abs() > MAX_MAGNITUDE {
                    at(part, Problem::out_of_range(-MAX_MAGNITUDE, MAX_MAGNITUDE));
                }
            }
            if min > max {
                at(
                    "min",
                    Problem::new("min_above_max", "the smallest answer is above the largest")
                        .with("max", *max),
                );
            }
            if *decimals > MAX_DECIMALS {
                at("decimals", Problem::out_of_range(0, MAX_DECIMALS));
            }
            if unit.chars().count() > MAX_UNIT_CHARS {
                at("unit", Problem::too_long(MAX_UNIT_CHARS));
            } else if !unit.is_empty() {
                if let Err(problem) = check_name_characters(unit) {
                    at("unit", problem);
                }
            }
            for (part, threshold) in [
                ("abnormal_at_or_above", abnormal_at_or_above),
                ("abnormal_at_or_below", abnormal_at_or_below),
            ] {
                if let Some(t) = threshold {
                    if !t.is_finite() || t < min || t > max {
                        at(
                            part,
                            Problem::new(
                                "threshold_out_of_range",
                                format!("the threshold must be between {min} and {max}"),
                            )
                            .with("min", *min)
                            .with("max", *max),
                        );
                    }
                }
            }
        }
        FieldKind::SingleChoice {
            options,
            abnormal_values,
        } => {
            check_options(options, at);
            for (i, value) in abnormal_values.iter().enumerate() {
                if !options.iter().any(|o| &o.value == value) {
                    at(
                        &format!("abnormal_values.{i}"),
                        Problem::new("unknown_option", format!("`{value}` is not an option"))
                            .with("value", Value::String(value.clone())),
                    );
                }
            }
        }
        FieldKind::MultiChoice { options, .. } => check_options(options, at),
        FieldKind::Text { max_length } => {
            if *max_length == 0 || *max_length > MAX_TEXT_LENGTH {
                at("max_length", Problem::out_of_range(1, MAX_TEXT_LENGTH));
            }
        }
        FieldKind::Boolean { .. } | FieldKind::Date {} => {}
    }
}

fn check_options(options: &[Choice], at: &mut dyn FnMut(&str, Problem)) {
    if options.is_empty() {
        at(
            "options",
            Problem::new("no_options", "a choice question needs at least one option"),
        );
        return;
    }
    if options.len() > MAX_OPTIONS {
        at(
            "options",
            Problem::new(
                "too_many",
                format!("a question has at most {MAX_OPTIONS} options"),
            )
            .with("max", MAX_OPTIONS),
        );
    }
    let mut seen = HashSet::new();
    for (i, option) in options.iter().enumerate() {
        let value = option.value.as_str();
        if value.is_empty() {
            at(&format!("options.{i}.value"), Problem::required());
        } else if value.chars().count() > MAX_OPTION_VALUE_CHARS {
            at(
                &format!("options.{i}.value"),
                Problem::too_long(MAX_OPTION_VALUE_CHARS),
            );
        } else if value.chars().any(|c| {
            c.is_control() || c.is_whitespace() || c == ';' || is_bidi_control(c) || is_invisible(c)
        }) {
            // `;` joins the chosen options in an export's cell.
            at(
                &format!("options.{i}.value"),
                Problem::new(
                    "invalid_option",
                    "an option's value has no spaces, `;` or invisible characters",
                ),
            );
        } else if !seen.insert(value) {
            at(
                &format!("options.{i}.value"),
                Problem::new("duplicate_option", format!("`{value}` is listed twice"))
                    .with("value", value),
            );
        }
        check_label(&option.label, MAX_LABEL_CHARS, true, &mut |part, p| {
            at(&format!("options.{i}.label.{part}"), p)
        });
    }
}

/// The type each key had in the given versions (newest wins; a key never changes type).
pub fn key_types<'a>(
    forms: impl IntoIterator<Item = &'a [FormField]>,
) -> HashMap<String, &'static str> {
    let mut types = HashMap::new();
    for fields in forms {
        for field in fields {
            types.insert(field.key.clone(), field.kind.type_name());
        }
    }
    types
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FormTemplate;
    use serde_json::json;

    fn fields(v: Value) -> Vec<FormField> {
        serde_json::from_value(v).unwrap()
    }

    fn problems(v: Value, earlier: &HashMap<String, &'static str>) -> FieldErrors {
        check_fields(&fields(v), earlier).unwrap_err()
    }

    fn number(key: &str, extra: Value) -> Value {
        let mut f = json!({"key": key, "label": {"en": "Pulse", "zh-CN": "脉搏"}, "required": true,
                           "type": "number", "min": 30, "max": 200, "decimals": 0, "unit": "bpm"});
        for (k, v) in extra.as_object().unwrap() {
            f[k] = v.clone();
        }
        f
    }

    #[test]
    fn the_default_form_and_the_templates_pass() {
        let none = HashMap::new();
        assert!(check_fields(&FormTemplate::default_form().fields, &none).is_ok());
    }

    #[test]
    fn each_bad_form_names_the_question_and_its_key() {
        let none = HashMap::new();
        let e = problems(
            json!([number("pulse", json!({})), number("pulse", json!({}))]),
            &none,
        );
        assert_eq!(e["fields.1.key"].code, "duplicate_key");
        assert_eq!(e["fields.1.key"].params["index"], 1);
        assert_eq!(e["fields.1.key"].params["key"], "pulse");

        let e = problems(json!([number("pulse", json!({"min": 300}))]), &none);
        assert_eq!(e["fields.0.min"].code, "min_above_max");

        let e = problems(
            json!([number("pulse", json!({"abnormal_at_or_above": 250}))]),
            &none,
        );
        assert_eq!(
            e["fields.0.abnormal_at_or_above"].code,
            "threshold_out_of_range"
        );

        let e = problems(
            json!([{"key": "shift", "label": {"en": "Shift", "zh-CN": "班次"}, "required": true,
                    "type": "single_choice", "options": []}]),
            &none,
        );
        assert_eq!(e["fields.0.options"].code, "no_options");

        let opt = |v: &str| json!({"value": v, "label": {"en": v, "zh-CN": v}});
        let e = problems(
            json!([{"key": "shift", "label": {"en": "Shift", "zh-CN": "班次"}, "required": true,
                    "type": "single_choice", "options": [opt("day"), opt("day")],
                    "abnormal_values": ["night"]}]),
            &none,
        );
        assert_eq!(e["fields.0.options.1.value"].code, "duplicate_option");
        assert_eq!(e["fields.0.abnormal_values.0"].code, "unknown_option");

        let e = problems(json!([number("Pulse Rate", json!({}))]), &none);
        assert_eq!(e["fields.0.key"].code, "not_snake_case");
        let e = problems(json!([number("email", json!({}))]), &none);
        assert_eq!(e["fields.0.key"].code, "reserved_key");
        let e = problems(
            json!([{"key": "shift", "label": {"en": "Shift", "zh-CN": "班次"}, "required": true,
                    "type": "multi_choice", "options": [opt("a;b")]}]),
            &none,
        );
        assert_eq!(e["fields.0.options.0.value"].code, "invalid_option");

        let e = problems(json!([]), &none);
        assert_eq!(e["fields"].code, "empty_form");
        let many: Vec<Value> = (0..51)
            .map(|i| number(&format!("q{i}"), json!({})))
            .collect();
        let e = problems(Value::Array(many), &none);
        assert_eq!(e["fields"].code, "too_many");
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn a_key_keeps_its_type_across_versions() {
        let earlier = key_types([FormTemplate::default_form().fields.as_slice()]);
        let e = problems(
            json!([{"key": "temperature", "label": {"en": "T", "zh-CN": "体温"}, "required": true,
                    "type": "text", "max_length": 10}]),
            &earlier,
        );
        assert_eq!(e["fields.0.type"].code, "type_changed");
        assert_eq!(e["fields.0.type"].params["was"], "number");
        assert!(check_fields(&fields(json!([number("temperature", json!({}))])), &earlier).is_ok());
    }
}
