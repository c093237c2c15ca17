use sea_orm::entity::prelude::*;

/// A request for leave (请假) from an activity a person signed up for.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leave_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub activity_id: i32,
    pub signup_id: i32,
    pub user_id: i32,
    pub station_id: i32,
    pub reason: String,
    /// `illness`, `official_duty`, `family_emergency` or `other`; required for trainings.
    pub reason_category: Option<String>,
    /// `pending`, `approved`, `rejected`, `withdrawn` or `expired` (still pending at the start).
    pub status: String,
    pub comment: Option<String>,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
