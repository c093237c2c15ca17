//! Leave requests (请假): a signed-up person asks before the start; the secretary (the director
//! for trainings) decides; approved leave frees the place and excuses the absence.

pub mod routes;
pub mod service;
pub mod state;
pub mod types;
