//! `page` and `per_page` of the paged lists, read, checked and documented the same way
//! everywhere.

use std::marker::PhantomData;

use serde::Deserialize;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::Required;
use utoipa::IntoParams;

use crate::error::{ApiError, Problem};

/// The default and the largest page of one kind of list.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub default: i64,
    pub max: i64,
}

/// People and audit entries: 50 by default, at most 200.
pub const PEOPLE: Limits = Limits {
    default: 50,
    max: 200,
};

/// The unreported and abnormal lists, which managers read whole: 200, at most 1,000.
pub const REPORT_LISTS: Limits = Limits {
    default: 200,
    max: 1_000,
};

/// A kind of paged list, by its limits.
pub trait Paged {
    const LIMITS: Limits;
}

/// People and audit entries.
pub enum People {}

impl Paged for People {
    const LIMITS: Limits = PEOPLE;
}

/// The unreported and abnormal lists.
pub enum ReportList {}

impl Paged for ReportList {
    const LIMITS: Limits = REPORT_LISTS;
}

/// The last page anyone may ask for. Far beyond any real list, and small enough that the
/// offset of its last row (under 10⁹) fits every database's integers.
pub const MAX_PAGE: i64 = 1_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    pub fn parse(
        page: Option<i64>,
        per_page: Option<i64>,
        limits: Limits,
    ) -> Result<Self, ApiError> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(limits.default);
        if !(1..=MAX_PAGE).contains(&page) {
            return Err(ApiError::field("page", Problem::out_of_range(1, MAX_PAGE)));
        }
        if !(1..=limits.max).contains(&per_page) {
            return Err(ApiError::field(
                "per_page",
                Problem::out_of_range(1, limits.max),
            ));
        }
        Ok(Self { page, per_page })
    }

    /// Rows before this page.
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

/// `page` and `per_page` of a list of kind `L`, as the query string gives them: an extractor
/// of its own beside the list's other parameters, documented with `L`'s limits, so that the
/// document says what `parse` enforces.
#[derive(Deserialize)]
pub struct PageQuery<L> {
    #[serde(default, deserialize_with = "whole_number")]
    page: Option<i64>,
    #[serde(default, deserialize_with = "whole_number")]
    per_page: Option<i64>,
    #[serde(skip)]
    list: PhantomData<L>,
}

impl<L: Paged> PageQuery<L> {
    /// The page asked for, within `L`'s limits.
    pub fn parse(&self) -> Result<Paging, ApiError> {
        Paging::parse(self.page, self.per_page, L::LIMITS)
    }
}

impl<L: Paged> IntoParams for PageQuery<L> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let Limits { default, max } = L::LIMITS;
        vec![
            whole_number_param("page", "From 1.".to_string(), MAX_PAGE),
            whole_number_param("per_page", format!("{default} by default."), max),
        ]
    }
}

/// An optional query parameter that `whole_number` reads, from 1 to `max`.
fn whole_number_param(name: &str, description: String, max: i64) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .description(Some(description))
        .required(Required::False)
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(1))
                .maximum(Some(max)),
        ))
        .build()
}

/// Reads `page` or `per_page` from the query string. A number too large for an `i64` is kept as
/// the largest one, so that it is refused as out of range (422, naming the parameter) like any
/// other number past the limit; text that is not a whole number is malformed (400).
pub fn whole_number<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let Some(text) = <Option<String> as serde::Deserialize>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let digits = text.strip_prefix('-').unwrap_or(&text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(serde::de::Error::custom(format!(
            "`{text}` is not a whole number"
        )));
    }
    Ok(Some(text.parse::<i64>().unwrap_or(
        if text.starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        },
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    struct Query {
        #[serde(default, deserialize_with = "whole_number")]
        page: Option<i64>,
    }

    fn read(query: &str) -> Result<Option<i64>, String> {
        actix_web::web::Query::<Query>::from_query(query)
            .map(|q| q.into_inner().page)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn numbers_of_any_size_are_read_and_text_is_not() {
        assert_eq!(read(""), Ok(None));
        assert_eq!(read("page=7"), Ok(Some(7)));
        assert_eq!(read("page=-3"), Ok(Some(-3)));
        assert_eq!(read("page=99999999999999999999"), Ok(Some(i64::MAX)));
        assert_eq!(read("page=-99999999999999999999"), Ok(Some(i64::MIN)));
        for bad in [
            "page=",
            "page=abc",
            "page=1.5",
            "page=%2B5",
            "page=1e3",
            "page=-",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_last_page_of_the_longest_list_has_an_offset_every_database_takes() {
        let last = Paging::parse(Some(MAX_PAGE), Some(REPORT_LISTS.max), REPORT_LISTS)
            .expect("the largest page is allowed");
        assert!(last.offset() < i64::from(i32::MAX));
    }

    #[test]
    fn pages_and_sizes_out_of_range_name_their_parameter() {
        for (page, per_page, field) in [
            (Some(0), None, "page"),
            (Some(-1), None, "page"),
            (Some(MAX_PAGE + 1), None, "page"),
            (Some(i64::MAX), None, "page"),
            (None, Some(0), "per_page"),
            (None, Some(PEOPLE.max + 1), "per_page"),
            (None, Some(i64::MAX), "per_page"),
        ] {
            match Paging::parse(page, per_page, PEOPLE) {
                Err(ApiError::Validation { fields, .. }) => {
                    assert!(fields.contains_key(field), "{page:?} {per_page:?}")
                }
                other => panic!("{page:?} {per_page:?}: {other:?}"),
            }
        }
    }
}
