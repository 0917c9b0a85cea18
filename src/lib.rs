//! health-checkin: daily health check-ins, reports for managers and HR, reminders by e-mail.

pub mod access;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod email;
pub mod error;
pub mod import;
pub mod invitations;
pub mod jobs;
pub mod markup;
pub mod memory;
pub mod people;
pub mod private_files;
pub mod problem;
pub mod provisioning;
pub mod reports;
pub mod routes;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
