//! Accounts and authentication: passwords, access tokens, refresh tokens, roles and the login
//! rate limit.

pub mod jwt;
pub mod password;
pub mod rate_limit;
pub mod roles;
pub mod routes;
pub mod service;
pub mod tokens;
pub mod types;
