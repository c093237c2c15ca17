//! Notifications: what concerns a user (order, sign-up, leave and activity changes), written in
//! the same transaction as the change that causes them.

pub mod routes;
pub mod service;
pub mod stream;
pub mod types;
