//! Volunteers (志愿者) and volunteer teams (志愿服务队): applications and their review, profiles
//! with confirmed hours and ratings, teams with a leader, a platform and members.

pub mod routes;
pub mod service;
pub mod types;
