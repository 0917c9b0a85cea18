//! Forms to start from: the default, and forms written for other kinds of places. An admin
//! picks one, changes what fits, and saves it as the organization's next version.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::form::{FormField, FormTemplate, Label};

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Template {
    /// `default`, `school`, `site_safety`.
    pub id: String,
    pub name: Label,
    pub description: Label,
    pub fields: Vec<FormField>,
}

/// The templates other than the default, as written (checked by the tests below).
const WRITTEN: [&str; 2] = [
    include_str!("templates/school.json"),
    include_str!("templates/site_safety.json"),
];

pub fn all() -> Vec<Template> {
    let default = Template {
        id: "default".into(),
        name: Label {
            en: "Daily health check-in".into(),
            zh_cn: "每日健康打卡".into(),
        },
        description: Label {
            en: "Temperature, symptoms, where you are and how you work, contacts, travel and the health code.".into(),
            zh_cn: "体温、症状、所在地与工作状态、接触史、行程与健康码。".into(),
        },
        fields: FormTemplate::default_form().fields,
    };
    std::iter::once(default)
        .chain(
            WRITTEN
                .iter()
                .filter_map(|text| serde_json::from_str(text).ok()),
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::domain::form_definition::check_fields;

    #[test]
    fn every_template_is_read_and_is_a_valid_form() {
        for text in WRITTEN {
            let template: Template = serde_json::from_str(text).unwrap();
            assert!(!template.name.en.is_empty() && !template.name.zh_cn.is_empty());
        }
        let templates = all();
        let ids: Vec<&str> = templates.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["default", "school", "site_safety"]);
        for t in &templates {
            check_fields(&t.fields, &HashMap::new()).unwrap_or_else(|e| panic!("{}: {e:?}", t.id));
        }
    }
}
