//! The features' rules, between HTTP and the database: each function takes a connection and
//! parsed input and returns its own error, so the API, the command line and the jobs reach
//! the same rule. Nothing here knows HTTP.

pub mod accounts;
pub mod checkins;
pub mod departments;
pub mod invitations;
pub mod limits;
pub mod organization;
pub mod people;
pub mod sessions;
