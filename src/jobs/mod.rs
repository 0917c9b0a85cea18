//! Work done in the background, away from requests.

pub mod delivery;
pub mod reminders;
