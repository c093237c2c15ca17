use sea_orm::entity::prelude::*;

/// One entry of a station's service menu. Deleting sets `deleted_at`; orders keep pointing at it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub station_id: i32,
    pub platform_id: i32,
    pub name: String,
    pub description: Option<String>,
    /// A JSON array of the skills the service calls for (`[]` for none).
    pub skills: String,
    pub deleted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
