use sea_orm::entity::prelude::*;

/// A WeChat subscription message to send (or sent, failed, dropped).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wechat_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub openid: String,
    pub template_id: String,
    /// `order` or `activity`.
    pub channel: String,
    /// The notice as JSON: kind, title, body, resource and time.
    pub payload: String,
    /// `pending`, `sent`, `failed` (gave up) or `dropped` (the user withdrew the grant).
    pub status: String,
    /// Sends tried so far.
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// While in the future, the row belongs to the sender whose token is `claimed_by`.
    pub locked_until: Option<DateTimeUtc>,
    pub claimed_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
