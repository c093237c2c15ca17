//! The service-hours ledger (志愿服务时长): confirmed minutes from orders and activities, and
//! staff corrections. Entries are only ever added (谁记录谁证明: the station that recorded the
//! hours stands behind them).

pub mod routes;
pub mod service;
pub mod types;
