//! A JSON object read field by field, so that each wrong field is named in one 422 with the
//! others, and a field the request does not take is named too.

use serde_json::{Map, Value};

use crate::error::{ApiError, FieldErrors, Problem};

pub struct Fields {
    body: Map<String, Value>,
    errors: FieldErrors,
}

impl Fields {
    pub fn of(body: Map<String, Value>) -> Self {
        Self {
            body,
            errors: FieldErrors::new(),
        }
    }

    /// A text, or `None` when left out or null; anything else is named `not_text`.
    pub fn text(&mut self, key: &str) -> Option<String> {
        self.nullable_text(key).flatten()
    }

    /// As `text`, where `null` is a value of its own: `Some(None)`.
    pub fn nullable_text(&mut self, key: &str) -> Option<Option<String>> {
        match self.body.remove(key) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s)),
            Some(_) => {
                self.errors.insert(key.to_string(), Problem::not_text());
                None
            }
        }
    }

    /// A list of texts, or `None` when left out or null; anything else is named `not_a_list`.
    pub fn texts(&mut self, key: &str) -> Option<Vec<String>> {
        match self.body.remove(key) {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => Some(
                items
                    .into_iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
            ),
            Some(_) => {
                self.errors.insert(
                    key.to_string(),
                    Problem::new("not_a_list", "must be a list of texts").with("items", "text"),
                );
                None
            }
        }
    }

    /// Every problem found, with every field left unread named `unknown_field`.
    pub fn finish(mut self) -> Result<(), ApiError> {
        for unknown in self.body.keys() {
            self.errors.insert(
                unknown.clone(),
                Problem::new("unknown_field", "is not a field of this request"),
            );
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}
