//! `page` and `per_page` of the paged lists, checked the same way everywhere.

use crate::error::ApiError;

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
        if page < 1 {
            return Err(ApiError::field("page", "must be 1 or more"));
        }
        if !(1..=limits.max).contains(&per_page) {
            return Err(ApiError::field(
                "per_page",
                format!("must be between 1 and {}", limits.max),
            ));
        }
        Ok(Self { page, per_page })
    }

    /// Rows before this page.
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
}
