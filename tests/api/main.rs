//! Black-box tests over HTTP against the real server on a random port and a fresh database
//! (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod auth;
mod errors;
mod notifications;
mod openapi;
mod orders;
mod ops;
mod platforms;
mod stations;
mod users;
