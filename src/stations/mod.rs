//! Stations (社区实践站): every resource belongs to one.

pub mod routes;
pub mod service;
pub mod types;
