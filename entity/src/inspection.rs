use sea_orm::entity::prelude::*;

use crate::enums::InspectionStatus;

/// An inspection (督查) of a station for a half year, filed by a supervisor.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inspections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub station_id: i32,
    pub year: i32,
    /// 1 (January–June) or 2 (July–December).
    pub half: i32,
    /// 0 to 100.
    pub score: i32,
    pub findings: String,
    pub status: InspectionStatus,
    pub created_by: i32,
    pub created_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    pub closed_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
