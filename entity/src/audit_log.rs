use sea_orm::entity::prelude::*;

/// One staff action (issue 11): who (`actor_id` with the roles they held), what (`action` on
/// `target_type`/`target_id`), where it belongs (`station_id`), when and from where. Inserted
/// in the action's transaction and never changed afterwards.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub actor_id: i32,
    /// The actor's roles at the time, comma-separated.
    pub actor_roles: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub station_id: Option<i32>,
    /// A small JSON object (old and new roles, an export's format and year, …).
    pub detail: String,
    pub client_address: Option<String>,
    pub request_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
