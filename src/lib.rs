//! wenming: the backend for New Era Civilization Practice Stations (新时代文明实践站).

pub mod activities;
pub mod announcements;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod hours;
pub mod http;
pub mod jobs;
pub mod leave;
pub mod ledger;
pub mod notifications;
pub mod openapi;
pub mod ops;
pub mod orders;
pub mod platforms;
pub mod service_items;
pub mod startup;
pub mod state;
pub mod stations;
pub mod telemetry;
pub mod users;
pub mod volunteers;
