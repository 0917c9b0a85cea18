//! The numbers managers and HR read: per day and department, who was expected, who reported,
//! who was abnormal. Closed days (before today) come from `day_stats`, computed once from the
//! raw data and kept up to date by late check-ins; today is counted live.

pub mod charts;
pub mod counts;
pub mod expected;
pub mod export;
pub mod export_people;
pub mod export_reads;
pub mod lists;
pub mod scope;
pub mod stored_json;
pub mod summary;

pub use counts::{day_counts, trend_counts, Counts};
