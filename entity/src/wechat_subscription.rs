use sea_orm::entity::prelude::*;

/// One-time subscription-message grants a user accepted for a template: each allows one message.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wechat_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub template_id: String,
    /// The notices the template carries: `order` or `activity`.
    pub channel: String,
    /// Messages still allowed (accepted grants not yet spent).
    pub remaining: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
