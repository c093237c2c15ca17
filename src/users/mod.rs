//! User accounts: own profile, staff accounts, role grants and the station's user search.

pub mod routes;
pub mod rules;
pub mod service;
pub mod types;
