//! The answers of the day's form as the API document describes them: the schema is made from
//! the form itself, so the two cannot disagree.

use std::borrow::Cow;

use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::form::{FieldKind, FormTemplate};

/// The answers of the day's form, as the form checks them.
pub struct Answers;

impl PartialSchema for Answers {
    fn schema() -> RefOr<Schema> {
        answers_schema(&FormTemplate::default_form()).into()
    }
}

impl ToSchema for Answers {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Answers")
    }
}

fn answers_schema(form: &FormTemplate) -> Schema {
    let mut answers = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "One answer per question of the form in force (`form` in the day view); no others. \
             Shown here for the default form: an organization that made its own form has its \
             own questions (`GET /api/v1/form`).",
        ))
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)));
    for field in &form.fields {
        let (kind, schema): (Type, Schema) = match &field.kind {
            FieldKind::Number {
                min,
                max,
                decimals,
                unit,
                ..
            } => (
                Type::Number,
                ObjectBuilder::new()
                    .minimum(Some(*min))
                    .maximum(Some(*max))
                    .description(Some(format!("{unit}, kept to {decimals} decimal(s)")))
                    .build()
                    .into(),
            ),
            FieldKind::MultiChoice { options, .. } => (
                Type::Array,
                ArrayBuilder::new()
                    .items(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some(options.iter().map(|o| o.value.clone()))),
                    )
                    .description(Some("empty for none"))
                    .build()
                    .into(),
            ),
            FieldKind::SingleChoice { options, .. } => (
                Type::String,
                ObjectBuilder::new()
                    .enum_values(Some(options.iter().map(|o| o.value.clone())))
                    .build()
                    .into(),
            ),
            FieldKind::Boolean { .. } => (Type::Boolean, ObjectBuilder::new().build().into()),
            FieldKind::Text { max_length } => (
                Type::String,
                ObjectBuilder::new()
                    .max_length(Some(*max_length))
                    .description(Some("no control characters but line breaks and tabs"))
                    .build()
                    .into(),
            ),
            FieldKind::Date {} => (
                Type::String,
                ObjectBuilder::new()
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Date,
                    )))
                    .build()
                    .into(),
            ),
        };
        // A field left out or null is not answered: refused when required.
        let types = if field.required {
            vec![kind]
        } else {
            vec![kind, Type::Null]
        };
        let schema = with_types(schema, types);
        answers = answers.property(field.key.clone(), schema);
        if field.required {
            answers = answers.required(field.key.clone());
        }
    }
    answers.build().into()
}

/// Sets the `type` of a schema built without one.
fn with_types(schema: Schema, types: Vec<Type>) -> Schema {
    let schema_type = match types.as_slice() {
        [one] => utoipa::openapi::schema::SchemaType::Type(one.clone()),
        _ => utoipa::openapi::schema::SchemaType::Array(types),
    };
    match schema {
        Schema::Object(mut object) => {
            object.schema_type = schema_type;
            Schema::Object(object)
        }
        Schema::Array(mut array) => {
            array.schema_type = schema_type;
            Schema::Array(array)
        }
        other => other,
    }
}
