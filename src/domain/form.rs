//! The daily form: which answers exist, what is valid, and what counts as abnormal.
//!
//! The template is data, so an organization's own form can replace the default without code.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};
use utoipa::ToSchema;

use crate::problem::{FieldErrors, Problem};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Label {
    pub en: String,
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
}

fn label(en: &str, zh_cn: &str) -> Label {
    Label {
        en: en.into(),
        zh_cn: zh_cn.into(),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Choice {
    pub value: String,
    pub label: Label,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    Number {
        min: f64,
        max: f64,
        /// Answers are kept to this many decimals.
        decimals: u32,
        #[serde(default)]
        unit: String,
        /// At or above this value the answer is abnormal.
        #[serde(default)]
        abnormal_at_or_above: Option<f64>,
        /// At or below this value the answer is abnormal.
        #[serde(default)]
        abnormal_at_or_below: Option<f64>,
    },
    MultiChoice {
        options: Vec<Choice>,
        /// Any chosen option makes the answer abnormal; an empty list means "none".
        #[serde(default)]
        abnormal_if_any: bool,
    },
    SingleChoice {
        options: Vec<Choice>,
        #[serde(default)]
        abnormal_values: Vec<String>,
    },
    Boolean {
        #[serde(default)]
        abnormal_if_true: bool,
    },
    Text {
        max_length: usize,
    },
    /// A calendar day, answered as `YYYY-MM-DD`.
    Date {},
}

impl FieldKind {
    /// The name of the kind as the API spells it (`single_choice`): a key keeps it forever.
    pub fn type_name(&self) -> &'static str {
        match self {
            FieldKind::Number { .. } => "number",
            FieldKind::MultiChoice { .. } => "multi_choice",
            FieldKind::SingleChoice { .. } => "single_choice",
            FieldKind::Boolean { .. } => "boolean",
            FieldKind::Text { .. } => "text",
            FieldKind::Date {} => "date",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FormField {
    /// snake_case, at most 40 characters; stable forever, with its type.
    pub key: String,
    pub label: Label,
    /// A line under the question that says what is meant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Label>,
    pub required: bool,
    /// Whether an earlier day's answer may stand for today's: it is prefilled and a one-tap
    /// "nothing changed" resends it. A measurement (the temperature) must be taken afresh.
    /// Always written; a form that leaves it out carries the field over.
    #[serde(default = "carries_over")]
    #[schema(default = true)]
    pub carry_over: bool,
    #[serde(flatten)]
    pub kind: FieldKind,
}

fn carries_over() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FormTemplate {
    pub version: u32,
    pub fields: Vec<FormField>,
}

/// Valid answers in their stored form, and what the form makes of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub answers: Map<String, Value>,
    pub abnormal_reasons: Vec<String>,
    pub temperature: Option<f64>,
}

impl Evaluation {
    pub fn abnormal(&self) -> bool {
        !self.abnormal_reasons.is_empty()
    }
}

fn choices(pairs: &[(&str, &str, &str)]) -> Vec<Choice> {
    pairs
        .iter()
        .map(|(value, en, zh)| Choice {
            value: (*value).into(),
            label: label(en, zh),
        })
        .collect()
}

impl FormTemplate {
    /// The form of the contract: temperature, symptoms, location, work status, contacts, travel,
    /// health code and a note. Every answer but the temperature carries over to the next day.
    pub fn default_form() -> Self {
        let field = |key: &str, en: &str, zh: &str, required: bool, kind: FieldKind| FormField {
            key: key.into(),
            label: label(en, zh),
            help: None,
            required,
            carry_over: true,
            kind,
        };
        Self {
            version: 1,
            fields: vec![
                FormField {
                    carry_over: false,
                    ..field(
                        "temperature",
                        "Body temperature",
                        "体温",
                        true,
                        FieldKind::Number {
                            min: 34.0,
                            max: 43.0,
                            decimals: 1,
                            unit: "°C".into(),
                            abnormal_at_or_above: Some(37.3),
                            abnormal_at_or_below: None,
                        },
                    )
                },
                field(
                    "symptoms",
                    "Symptoms",
                    "症状",
                    true,
                    FieldKind::MultiChoice {
                        options: choices(&[
                            ("fever", "Fever", "发热"),
                            ("cough", "Cough", "咳嗽"),
                            ("sore_throat", "Sore throat", "咽痛"),
                            ("fatigue", "Fatigue", "乏力"),
                            ("shortness_of_breath", "Shortness of breath", "呼吸急促"),
                            (
                                "loss_of_taste_or_smell",
                                "Loss of taste or smell",
                                "味觉或嗅觉丧失",
                            ),
                            ("diarrhea", "Diarrhea", "腹泻"),
                            ("other", "Other", "其他"),
                        ]),
                        abnormal_if_any: true,
                    },
                ),
                field(
                    "location",
                    "Where you are today",
                    "今日所在地",
                    false,
                    FieldKind::Text { max_length: 200 },
                ),
                field(
                    "work_status",
                    "Working from",
                    "工作状态",
                    true,
                    FieldKind::SingleChoice {
                        options: choices(&[
                            ("office", "Office", "到岗办公"),
                            ("remote", "Remote", "居家办公"),
                            ("leave", "On leave", "休假"),
                            ("quarantine", "Quarantine", "隔离"),
                        ]),
                        abnormal_values: Vec::new(),
                    },
                ),
                field(
                    "close_contact",
                    "Close contact with a case",
                    "是否密切接触者",
                    true,
                    FieldKind::Boolean {
                        abnormal_if_true: true,
                    },
                ),
                field(
                    "travel_to_risk_area",
                    "Travel to a risk area",
                    "是否去过风险地区",
                    true,
                    FieldKind::Boolean {
                        abnormal_if_true: true,
                    },
                ),
                field(
                    "health_code",
                    "Health code",
                    "健康码",
                    true,
                    FieldKind::SingleChoice {
                        options: choices(&[
                            ("green", "Green", "绿码"),
                            ("yellow", "Yellow", "黄码"),
                            ("red", "Red", "红码"),
                        ]),
                        abnormal_values: vec!["yellow".into(), "red".into()],
                    },
                ),
                field(
                    "note",
                    "Note",
                    "备注",
                    false,
                    FieldKind::Text { max_length: 500 },
                ),
            ],
        }
    }

    /// Checks every answer against the form. Errors are keyed `answers.<field>`.
    pub fn evaluate(&self, raw: &Map<String, Value>) -> Result<Evaluation, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut answers = Map::new();
        let mut abnormal_reasons = Vec::new();
        let mut temperature = None;

        for key in raw.keys() {
            if !self.fields.iter().any(|f| &f.key == key) {
                errors.insert(format!("answers.{key}"), Problem::unknown_field());
            }
        }
        for field in &self.fields {
            let path = format!("answers.{}", field.key);
            let value = match raw.get(&field.key) {
                None | Some(Value::Null) => {
                    if field.required {
                        errors.insert(path, Problem::required());
                    }
                    continue;
                }
                Some(v) => v,
            };
            match field.kind.check(value) {
                Ok((stored, abnormal)) => {
                    if abnormal {
                        abnormal_reasons.push(field.key.clone());
                    }
                    if field.key == "temperature" {
                        temperature = stored.as_f64();
                    }
                    if !(stored.is_string() && stored.as_str() == Some("") && !field.required) {
                        answers.insert(field.key.clone(), stored);
                    }
                }
                Err(problem) => {
                    errors.insert(path, problem);
                }
            }
        }
        if errors.is_empty() {
            Ok(Evaluation {
                answers,
                abnormal_reasons,
                temperature,
            })
        } else {
            Err(errors)
        }
    }
}

impl FormTemplate {
    /// The keys whose stored answer this form's rules call abnormal, in the form's order.
    /// Answers to questions the form no longer has flag nothing.
    pub fn abnormal_reasons(&self, answers: &Map<String, Value>) -> Vec<String> {
        self.fields
            .iter()
            .filter(|f| answers.get(&f.key).is_some_and(|v| f.kind.is_abnormal(v)))
            .map(|f| f.key.clone())
            .collect()
    }
}

impl FieldKind {
    /// Whether a stored answer meets the question's abnormal rule.
    pub fn is_abnormal(&self, value: &Value) -> bool {
        match self {
            FieldKind::Number {
                decimals,
                abnormal_at_or_above,
                abnormal_at_or_below,
                ..
            } => {
                let Some(n) = value.as_f64() else {
                    return false;
                };
                // Compared in whole units of the last decimal, so 37.3 is never 37.29999.
                let scale = 10f64.powi(*decimals as i32);
                let scaled = (n * scale).round();
                abnormal_at_or_above.is_some_and(|limit| scaled >= (limit * scale).round())
                    || abnormal_at_or_below.is_some_and(|limit| scaled <= (limit * scale).round())
            }
            FieldKind::MultiChoice {
                abnormal_if_any, ..
            } => *abnormal_if_any && value.as_array().is_some_and(|items| !items.is_empty()),
            FieldKind::SingleChoice {
                abnormal_values, ..
            } => value
                .as_str()
                .is_some_and(|v| abnormal_values.iter().any(|a| a == v)),
            FieldKind::Boolean { abnormal_if_true } => {
                *abnormal_if_true && value == &Value::Bool(true)
            }
            FieldKind::Text { .. } | FieldKind::Date {} => false,
        }
    }

    /// The value to store and whether it is abnormal, or what is wrong with it.
    fn check(&self, value: &Value) -> Result<(Value, bool), Problem> {
        match self {
            FieldKind::Number {
                min, max, decimals, ..
            } => {
                let n = value.as_f64().ok_or_else(Problem::not_a_number)?;
                if !n.is_finite() || n < *min || n > *max {
                    return Err(Problem::out_of_range(*min, *max).with("decimals", *decimals));
                }
                let scale = 10f64.powi(*decimals as i32);
                let rounded = (n * scale).round() / scale;
                // What is stored must be in range too: 37.26 is kept as 37.3.
                if rounded < *min || rounded > *max {
                    return Err(Problem::out_of_range(*min, *max).with("decimals", *decimals));
                }
                // A whole-number question stores whole numbers: 72, not 72.0.
                let number = if *decimals == 0 {
                    Number::from(rounded as i64)
                } else {
                    Number::from_f64(rounded).ok_or_else(Problem::not_a_number)?
                };
                let stored = Value::Number(number);
                let abnormal = self.is_abnormal(&stored);
                Ok((stored, abnormal))
            }
            FieldKind::MultiChoice { options, .. } => {
                let items = value
                    .as_array()
                    .ok_or_else(|| Problem::new("not_a_list", "must be a list (empty for none)"))?;
                let mut chosen = Vec::new();
                for item in items {
                    let v = item.as_str().ok_or_else(|| {
                        Problem::new("not_a_list", "must be a list of option names")
                    })?;
                    if !options.iter().any(|o| o.value == v) {
                        let names = option_values(options);
                        return Err(Problem::new(
                            "not_a_choice",
                            format!("`{v}` is not one of {}", names.join(", ")),
                        )
                        .with("choices", names)
                        .with("value", v));
                    }
                    chosen.push(v);
                }
                // Stored in the form's order, once each, so equal answers compare equal.
                let stored: Vec<Value> = options
                    .iter()
                    .filter(|o| chosen.contains(&o.value.as_str()))
                    .map(|o| Value::String(o.value.clone()))
                    .collect();
                let stored = Value::Array(stored);
                let abnormal = self.is_abnormal(&stored);
                Ok((stored, abnormal))
            }
            FieldKind::SingleChoice { options, .. } => {
                let v = value
                    .as_str()
                    .ok_or_else(|| Problem::new("not_text", "must be a text value"))?;
                if !options.iter().any(|o| o.value == v) {
                    return Err(Problem::not_a_choice(&option_values(options)));
                }
                let stored = Value::String(v.to_string());
                let abnormal = self.is_abnormal(&stored);
                Ok((stored, abnormal))
            }
            FieldKind::Boolean { .. } => {
                let b = Value::Bool(value.as_bool().ok_or_else(Problem::not_a_boolean)?);
                let abnormal = self.is_abnormal(&b);
                Ok((b, abnormal))
            }
            FieldKind::Text { max_length } => {
                let raw = value.as_str().ok_or_else(Problem::not_text)?;
                let s = raw.trim();
                // Counted as sent, spaces included: the limit the OpenAPI document gives.
                if raw.chars().count() > *max_length {
                    return Err(Problem::too_long(*max_length));
                }
                if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                    return Err(Problem::control_characters());
                }
                Ok((Value::String(s.to_string()), false))
            }
            FieldKind::Date {} => {
                let raw = value.as_str().ok_or_else(Problem::invalid_date)?;
                let day = crate::domain::day::parse_date(raw).ok_or_else(Problem::invalid_date)?;
                Ok((Value::String(day.format("%Y-%m-%d").to_string()), false))
            }
        }
    }
}

fn option_values(options: &[Choice]) -> Vec<&str> {
    options.iter().map(|o| o.value.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn healthy() -> Value {
        json!({
            "temperature": 36.5,
            "symptoms": [],
            "location": "Shanghai",
            "work_status": "remote",
            "close_contact": false,
            "travel_to_risk_area": false,
            "health_code": "green"
        })
    }

    fn evaluate(v: Value) -> Result<Evaluation, FieldErrors> {
        FormTemplate::default_form().evaluate(v.as_object().unwrap())
    }

    fn with(key: &str, value: Value) -> Value {
        let mut v = healthy();
        v[key] = value;
        v
    }

    #[test]
    fn healthy_answers_are_normal() {
        let e = evaluate(healthy()).unwrap();
        assert!(!e.abnormal());
        assert_eq!(e.temperature, Some(36.5));
    }

    #[test]
    fn each_default_rule_marks_abnormal() {
        let cases = [
            ("temperature", json!(37.3)),
            ("symptoms", json!(["cough"])),
            ("close_contact", json!(true)),
            ("travel_to_risk_area", json!(true)),
            ("health_code", json!("yellow")),
            ("health_code", json!("red")),
        ];
        for (key, value) in cases {
            let e = evaluate(with(key, value.clone())).unwrap();
            assert_eq!(e.abnormal_reasons, vec![key.to_string()], "{key}={value}");
        }
        assert!(!evaluate(with("temperature", json!(37.2)))
            .unwrap()
            .abnormal());
        assert!(evaluate(with("temperature", json!(37.25)))
            .unwrap()
            .abnormal());
    }

    #[test]
    fn out_of_range_and_wrong_types_name_the_field() {
        let cases = [
            ("temperature", json!(33.9)),
            ("temperature", json!(43.1)),
            ("temperature", json!("36.5")),
            ("symptoms", json!("cough")),
            ("symptoms", json!(["sneezing"])),
            ("work_status", json!("beach")),
            ("close_contact", json!("no")),
            ("health_code", json!(1)),
            ("location", json!("x".repeat(201))),
            ("note", json!("x".repeat(501))),
        ];
        for (key, value) in cases {
            let errors = evaluate(with(key, value.clone())).unwrap_err();
            assert!(
                errors.contains_key(&format!("answers.{key}")),
                "{key}={value}: {errors:?}"
            );
        }
    }

    #[test]
    fn missing_required_and_unknown_fields_are_errors() {
        let mut v = healthy();
        v.as_object_mut().unwrap().remove("health_code");
        v["mood"] = json!("great");
        let errors = evaluate(v).unwrap_err();
        assert_eq!(errors["answers.health_code"].code, "required");
        assert!(errors.contains_key("answers.mood"));
    }

    #[test]
    fn only_the_temperature_is_taken_afresh_each_day() {
        let form = FormTemplate::default_form();
        let fresh: Vec<&str> = form
            .fields
            .iter()
            .filter(|f| !f.carry_over)
            .map(|f| f.key.as_str())
            .collect();
        assert_eq!(fresh, ["temperature"]);
    }

    #[test]
    fn carry_over_is_always_written_and_defaults_to_true_when_read() {
        let json = serde_json::to_value(FormTemplate::default_form()).unwrap();
        for field in json["fields"].as_array().unwrap() {
            assert!(field["carry_over"].is_boolean(), "{field}");
        }
        let read: FormTemplate = serde_json::from_value(json!({
            "version": 2,
            "fields": [
                {"key": "mood", "label": {"en": "Mood", "zh-CN": "心情"}, "required": false,
                 "type": "text", "max_length": 20},
                {"key": "pulse", "label": {"en": "Pulse", "zh-CN": "脉搏"}, "required": true,
                 "carry_over": false, "type": "number", "min": 30.0, "max": 200.0,
                 "decimals": 0, "unit": "bpm", "abnormal_at_or_above": null}
            ]
        }))
        .unwrap();
        assert!(read.fields[0].carry_over);
        assert!(!read.fields[1].carry_over);
        let written = serde_json::to_value(&read).unwrap();
        assert_eq!(written["fields"][0]["carry_over"], true);
        assert_eq!(written["fields"][1]["carry_over"], false);
    }

    #[test]
    fn a_number_is_in_range_as_it_is_stored() {
        let form: FormTemplate = serde_json::from_value(json!({"version": 2, "fields": [
            {"key": "dose", "label": {"en": "Dose", "zh-CN": "剂量"}, "required": true,
             "type": "number", "min": 0, "max": 0.9, "decimals": 0}]}))
        .unwrap();
        let answers = json!({"dose": 0.7});
        let errors = form.evaluate(answers.as_object().unwrap()).unwrap_err();
        assert_eq!(
            errors["answers.dose"].code, "out_of_range",
            "0.7 is kept as 1"
        );
        let answers = json!({"dose": 0.4});
        assert_eq!(
            form.evaluate(answers.as_object().unwrap()).unwrap().answers["dose"],
            0
        );
    }

    #[test]
    fn symptoms_are_stored_once_in_form_order() {
        let e = evaluate(with("symptoms", json!(["cough", "fever", "cough"]))).unwrap();
        assert_eq!(e.answers["symptoms"], json!(["fever", "cough"]));
    }
}
