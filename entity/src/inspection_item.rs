use sea_orm::entity::prelude::*;

use crate::enums::InspectionItemStatus;

/// One rectification item (整改事项) of an inspection, rectified by the station's staff.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inspection_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub inspection_id: i32,
    pub text: String,
    pub status: InspectionItemStatus,
    pub rectified_note: Option<String>,
    pub rectified_by: Option<i32>,
    pub rectified_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
