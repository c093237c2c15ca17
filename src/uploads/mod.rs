//! Uploaded photos and PDFs: accepted by content (never by name), images re-encoded without
//! their metadata and given a thumbnail, kept in the configured object store, attached once to
//! an order (or its completion) or an announcement, and downloaded only by those who may see what they belong to.

pub mod media;
pub mod routes;
pub mod service;
pub mod store;
pub mod types;
