//! Reports a station is held to and the district's supervision (督查): the station overview for
//! any period, the half-year report per station, and inspections with their rectification.

pub mod half_year;
pub mod inspections;
pub mod overview;
pub mod routes;
pub mod state;
pub mod types;
