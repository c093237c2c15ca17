//! The year's ledger (台账, rule 4): every activity with its record and attendance list, every
//! training and meeting, every finished order and every leave decision of a station's year, as
//! JSON, as CSV (one section per file) or as an .xlsx workbook (one worksheet per section).
//!
//! Rows are read from the database in pages and written as they come, so a year of thousands of
//! rows per section stays bounded in memory.

pub mod cells;
pub mod routes;
pub mod service;
pub mod types;
pub mod xlsx;
