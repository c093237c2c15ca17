//! SeaORM entities of the wenming schema. Entities stay behind the service layer: HTTP responses
//! are built from them, never serialized directly.

pub mod activity;
pub mod activity_reminder;
pub mod activity_signup;
pub mod announcement;
pub mod annual_plan;
pub mod annual_plan_event;
pub mod annual_plan_item;
pub mod audit_log;
pub mod commendation;
pub mod commendation_objection;
pub mod enums;
pub mod idempotency_key;
pub mod inspection;
pub mod inspection_item;
pub mod leave_request;
pub mod notification;
pub mod order;
pub mod order_decline;
pub mod order_event;
pub mod platform;
pub mod refresh_token;
pub mod revoked_access_token;
pub mod service_hour;
pub mod service_item;
pub mod station;
pub mod team;
pub mod team_member;
pub mod upload;
pub mod user;
pub mod user_role;
pub mod volunteer;
pub mod volunteer_application;
pub mod wechat_binding;
pub mod wechat_outbox;
pub mod wechat_subscription;
