use sea_orm::entity::prelude::*;

use crate::enums::PlanStatus;

/// A station's annual activity plan (年度活动方案): drafted by the secretary, approved by the
/// director. At most one plan per station and year is approved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "annual_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub station_id: i32,
    pub year: i32,
    pub title: String,
    pub goals: String,
    pub status: PlanStatus,
    /// Submitted after 31 January (Asia/Shanghai) of its year.
    pub late: bool,
    /// The plan's year while approved, else null: a unique index on `(station_id,
    /// approved_year)` keeps one approved plan per station and year (nulls never collide).
    pub approved_year: Option<i32>,
    pub submitted_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<i32>,
    pub reject_reason: Option<String>,
    pub created_by: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
