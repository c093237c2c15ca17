//! Black-box tests over HTTP against the real server on a random port and a fresh database
//! (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set), or several replicas of it behind
//! nginx (`TEST_CLUSTER_REPLICAS`, see `through_nginx`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fake_wechat;
mod helpers;
mod through_nginx;

mod activities;
mod announcements;
mod attendance;
mod audit;
mod auth;
mod caching;
mod cluster;
mod commendations;
mod crash;
mod districts;
mod errors;
mod fuzz;
mod hardening;
mod hygiene;
mod leave;
mod ledger;
mod limits;
mod method_override;
mod notifications;
mod notifications_stream;
mod openapi;
mod ops;
mod orders;
mod pg_restart;
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
mod seeding;
mod service_items;
mod stations;
mod tokens;
mod uploads;
mod users;
mod volunteers;
mod wechat;
mod wechat_outbox;
