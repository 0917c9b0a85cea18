//! Integration tests: each starts the real application on port 0 against a fresh database
//! (SQLite in a temporary folder, or with TEST_DATABASE_URL a fresh PostgreSQL database).

mod audit;
mod auth;
mod charts;
mod checkins;
mod cli;
mod day_boundary;
mod departments;
mod durability;
mod errors;
mod exports;
mod forms;
mod helpers;
mod import;
mod instances;
mod invitations;
mod limits;
mod mail;
mod messages;
mod metrics;
mod migrations;
mod names;
mod numbers;
mod openapi;
mod paging;
mod passwords;
mod people;
mod reminders;
mod reports;
mod roles;
mod sessions;
mod settings;
mod smtp;
mod tokens;
mod version;
mod web;
