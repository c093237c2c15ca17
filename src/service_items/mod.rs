//! The service menu (服务菜单): what a station offers under each platform, which residents order
//! from. Deleting an item hides it from the menu; orders that used it keep it.

pub mod routes;
pub mod service;
pub mod types;
