use sea_orm::entity::prelude::*;

/// An uploaded photo or PDF and, once referenced, the one resource it is attached to.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "uploads")]
pub struct Model {
    /// UUID v7, opaque to clients.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub owner_id: i32,
    pub station_id: Option<i32>,
    pub content_type: String,
    pub bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub sha256: String,
    pub object_key: String,
    pub thumbnail_key: Option<String>,
    /// `order`, `order_completion`, `activity_record` or `announcement`; null until attached.
    pub attached_to_type: Option<String>,
    pub attached_to_id: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
