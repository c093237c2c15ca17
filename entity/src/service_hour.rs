use sea_orm::entity::prelude::*;

use crate::enums::HoursSource;

/// One entry of the service-hours ledger. Entries are never changed or deleted; a correction
/// is a new entry (negative minutes take hours away).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_hours")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub station_id: i32,
    pub source: HoursSource,
    pub source_id: Option<i32>,
    pub minutes: i32,
    pub note: Option<String>,
    pub recorded_by: Option<i32>,
    /// Makes crediting the same source twice impossible (`order:12`); `None` for corrections.
    #[sea_orm(unique)]
    pub dedupe_key: Option<String>,
    pub confirmed_at: DateTimeUtc,
    /// The time the entry covers (activity attendance, or an order's service time); `None`
    /// for corrections. A person's minutes are credited once: a new entry credits only the
    /// part of its interval no earlier entry covers.
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
