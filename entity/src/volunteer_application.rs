use sea_orm::entity::prelude::*;

use crate::enums::{ApplicationStatus, VolunteerSource};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteer_applications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub station_id: i32,
    pub real_name: String,
    /// A JSON array of skill names.
    pub skills: String,
    pub source: VolunteerSource,
    pub team_id: Option<i32>,
    pub status: ApplicationStatus,
    /// The applicant while pending, else `None`: a unique key allowing one pending application.
    #[sea_orm(unique)]
    pub pending_user_id: Option<i32>,
    pub reason: Option<String>,
    pub reviewed_by: Option<i32>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
