//! Annual plans (年度活动方案): the secretary drafts the year's plan and submits it, the director
//! approves it or sends it back; month-by-month compliance of what the station actually held.

pub mod routes;
pub mod service;
pub mod state;
pub mod types;
