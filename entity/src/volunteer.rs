use sea_orm::entity::prelude::*;

use crate::enums::VolunteerSource;

/// A volunteer's profile, written when their application is approved.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    pub station_id: i32,
    pub real_name: String,
    /// A JSON array of skill names.
    pub skills: String,
    pub source: VolunteerSource,
    pub approved_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
