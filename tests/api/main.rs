//! Black-box tests over HTTP against the real server on a random port and a fresh database
//! (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod activities;
mod announcements;
mod attendance;
mod audit;
mod auth;
mod commendations;
mod districts;
mod errors;
mod hardening;
mod hygiene;
mod leave;
mod ledger;
mod limits;
mod notifications;
mod openapi;
mod ops;
mod orders;
mod plans;
mod platforms;
mod process;
mod rankings;
mod reports;
mod resilience;
mod rules_activities;
mod rules_hours;
mod rules_leave_tokens;
mod rules_lists;
mod rules_orders;
mod service_items;
mod stations;
mod users;
mod volunteers;
