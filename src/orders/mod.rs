//! Service orders (服务订单): 群众点单、中心派单、志愿者接单、群众评单. A resident orders, the
//! station dispatches, a volunteer accepts and serves, the resident rates; hours follow.

pub mod routes;
pub mod service;
pub mod state;
pub mod steps;
pub mod types;
