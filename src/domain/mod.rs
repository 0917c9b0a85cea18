//! Types that parse instead of validate: once a value of these types exists, it is good.

pub mod answers;
pub mod day;
pub mod department_tree;
pub mod email;
pub mod expectation;
pub mod form;
pub mod form_definition;
pub mod form_templates;
pub mod org_settings;
pub mod role;
pub mod text;

pub use day::LocalCalendar;
pub use email::Email;
pub use form::{Evaluation, FormTemplate};
pub use org_settings::OrgSettings;
pub use role::Role;
