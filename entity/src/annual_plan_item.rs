use sea_orm::entity::prelude::*;

use crate::enums::ActivityKind;

/// One planned activity of an annual plan: a month, a theme, a platform and a kind.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "annual_plan_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub plan_id: i32,
    /// 1 to 12.
    pub month: i32,
    pub theme: String,
    pub platform_id: i32,
    pub kind: ActivityKind,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
