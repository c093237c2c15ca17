//! Activities (活动): drafting, the director's approval, browsing, sign-ups that never oversell,
//! check-in with a short-lived code, the record that archives an activity and credits hours.

pub mod reminders;
pub mod routes;
pub mod service;
pub mod signups;
pub mod state;
pub mod types;
