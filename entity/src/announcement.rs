use sea_orm::entity::prelude::*;

use crate::enums::AnnouncementCategory;

/// News or learning content (rule 11). `station_id` is `None` for platform-wide items, which
/// only admins publish. Readers see it from `publish_at` on.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "announcements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub station_id: Option<i32>,
    pub title: String,
    pub body: String,
    pub category: AnnouncementCategory,
    pub cover_url: Option<String>,
    pub pinned: bool,
    pub publish_at: DateTimeUtc,
    /// The activity whose record this news reports; unique, so each record is published once.
    #[sea_orm(unique)]
    pub activity_id: Option<i32>,
    pub author_id: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
