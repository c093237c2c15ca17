use sea_orm::entity::prelude::*;

use crate::enums::PlanStatus;

/// One step in an annual plan's history: who did what, when, from which status to which.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "annual_plan_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    pub actor_id: i32,
    /// `create`, `edit`, `submit`, `approve`, `reject`.
    pub action: String,
    pub from_status: Option<PlanStatus>,
    pub to_status: PlanStatus,
    pub note: Option<String>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
