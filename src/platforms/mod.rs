//! Service platforms (平台): the eight every station shares, plus a station's own.

pub mod routes;
pub mod service;
pub mod types;
