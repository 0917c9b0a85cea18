//! What is wrong with one value a person gave: a stable code with its parameters, for the web
//! app to say in the page's language, and an English sentence for everyone else.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

/// One field's problem. The code and the parameter names are part of the API and never change
/// meaning; the message may be reworded.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Stable snake_case, e.g. `out_of_range`.
    pub code: &'static str,
    /// What the code needs to be said in full, e.g. `{"min": 34, "max": 43}`.
    pub params: Map<String, Value>,
    /// The same in English, e.g. `must be between 34 and 43`.
    pub message: String,
}

/// Field path (`answers.temperature`) → what is wrong with it.
pub type FieldErrors = BTreeMap<String, Problem>;

impl Problem {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            params: Map::new(),
            message: message.into(),
        }
    }

    /// The same problem with one more parameter.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.params.insert(name.to_string(), value.into());
        self
    }

    pub fn required() -> Self {
        Self::new("required", "is required")
    }

    /// A number outside `min..=max`; the bounds stay numbers so the page can format them.
    pub fn out_of_range(min: impl Into<Value>, max: impl Into<Value>) -> Self {
        let (min, max) = (min.into(), max.into());
        Self::new("out_of_range", format!("must be between {min} and {max}"))
            .with("min", min)
            .with("max", max)
    }

    pub fn too_long(max: usize) -> Self {
        Self::new("too_long", format!("must be at most {max} characters")).with("max", max)
    }

    pub fn too_short(min: usize) -> Self {
        Self::new("too_short", format!("must be at least {min} characters")).with("min", min)
    }

    pub fn invalid_date() -> Self {
        Self::new("invalid_date", "must be a date as YYYY-MM-DD")
    }

    pub fn not_a_number() -> Self {
        Self::new("not_a_number", "must be a number")
    }

    pub fn not_text() -> Self {
        Self::new("not_text", "must be text")
    }

    pub fn not_a_boolean() -> Self {
        Self::new("not_a_boolean", "must be true or false")
    }

    pub fn control_characters() -> Self {
        Self::new("control_characters", "must not contain control characters")
    }

    /// Embedding, override or isolate characters (U+202A–U+202E, U+2066–U+2069), which make a
    /// text read in another order than it is stored.
    pub fn bidi_controls() -> Self {
        Self::new(
            "bidi_controls",
            "must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069)",
        )
    }

    /// Text made only of characters that show nothing (zero-width spaces, fillers): blank.
    pub fn only_invisible_characters() -> Self {
        Self::new(
            "only_invisible_characters",
            "must have a visible character; this one has only invisible ones",
        )
    }

    pub fn unknown_field() -> Self {
        Self::new("unknown_field", "is not a field of this form")
    }

    pub fn in_future() -> Self {
        Self::new("in_future", "is in the future")
    }

    /// A department id that names no department of the organization.
    pub fn unknown_department() -> Self {
        Self::new("unknown_department", "no such department")
    }

    /// A place in a list that the list did not give this reader.
    pub fn invalid_cursor() -> Self {
        Self::new(
            "invalid_cursor",
            "is not the next page of a list you were shown; start from the first page",
        )
    }

    /// A value that must be one of a fixed set; `choices` are listed for the page to show.
    pub fn not_a_choice(choices: &[&str]) -> Self {
        Self::new(
            "not_a_choice",
            format!("must be one of {}", choices.join(", ")),
        )
        .with("choices", choices.to_vec())
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Problem {}
