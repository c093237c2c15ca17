use sea_orm::entity::prelude::*;

/// An objection to a commendation raised during its public notice (公示), and the director's
/// answer. One per person and commendation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commendation_objections")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub commendation_id: i32,
    pub user_id: i32,
    pub reason: String,
    pub created_at: DateTimeUtc,
    pub answer: Option<String>,
    pub answered_by: Option<i32>,
    pub answered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
