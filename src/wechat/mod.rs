//! WeChat mini-program login: a `wx.login` code logs in the account bound to its openid, or
//! gets a ticket to bind one by the phone of a `getPhoneNumber` code.

pub mod client;
pub mod outbox;
pub mod routes;
pub mod service;
pub mod types;
