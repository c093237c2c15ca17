//! Rankings and commendation (先进评选): the year's volunteer and team rankings from confirmed
//! hours, finished orders and ratings; nominations by the secretary, the director's decision,
//! the five-day public notice (公示) with objections, and the final, public list.

pub mod rankings;
pub mod routes;
pub mod service;
pub mod state;
pub mod types;
