//! Portable schema migrations for SQLite and PostgreSQL, run at server start-up.

pub use sea_orm_migration::prelude::*;

mod indexes;
mod m20261128_000001_foundation;
mod m20261128_000002_shared;
mod m20261128_000003_orders;
mod m20261128_000004_activities;
mod m20261130_000005_activity_rules;
mod m20261130_000006_order_rules;
mod m20261130_000007_leave_tokens_reminders;
mod m20261130_000008_service_item_skills;
mod m20261130_000009_annual_plans;
mod m20261130_000010_inspections;
mod m20261130_000011_commendations;
mod m20261130_000012_announcements;
mod m20261130_000013_supervisor_district;
mod m20261130_000014_audit_log;
mod m20261130_000015_wechat_bindings;
mod m20261130_000016_revoked_access_tokens;
mod m20261130_000017_uploads;
mod m20261130_000018_wechat_outbox;
mod m20261130_000019_activity_listing_indexes;
mod m20261130_000020_activity_listing_filters;

/// Every migration of the schema, in the order they apply.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_foundation::Migration),
            Box::new(m20261128_000002_shared::Migration),
            Box::new(m20261128_000003_orders::Migration),
            Box::new(m20261128_000004_activities::Migration),
            Box::new(m20261130_000005_activity_rules::Migration),
            Box::new(m20261130_000006_order_rules::Migration),
            Box::new(m20261130_000007_leave_tokens_reminders::Migration),
            Box::new(m20261130_000008_service_item_skills::Migration),
            Box::new(m20261130_000009_annual_plans::Migration),
            Box::new(m20261130_000010_inspections::Migration),
            Box::new(m20261130_000011_commendations::Migration),
            Box::new(m20261130_000012_announcements::Migration),
            Box::new(m20261130_000013_supervisor_district::Migration),
            Box::new(m20261130_000014_audit_log::Migration),
            Box::new(m20261130_000015_wechat_bindings::Migration),
            Box::new(m20261130_000016_revoked_access_tokens::Migration),
            Box::new(m20261130_000017_uploads::Migration),
            Box::new(m20261130_000018_wechat_outbox::Migration),
            Box::new(m20261130_000019_activity_listing_indexes::Migration),
            Box::new(m20261130_000020_activity_listing_filters::Migration),
        ]
    }
}
