//! Announcements (公告, rule 11): news and learning content a station's staff publish (admins
//! also platform-wide), read by anyone once their publish time has come; an archived
//! activity's record is reported as news in one call.

pub mod routes;
pub mod service;
pub mod types;
