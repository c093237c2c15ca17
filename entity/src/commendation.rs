use sea_orm::entity::prelude::*;

use crate::enums::{CommendationStatus, NomineeKind};

/// A nomination for commendation (先进评选) of a volunteer or a team, with the evidence (hours,
/// finished orders, ratings of the year) copied from the ranking when it was made.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commendations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub station_id: i32,
    pub year: i32,
    pub nominee_kind: NomineeKind,
    pub volunteer_user_id: Option<i32>,
    pub team_id: Option<i32>,
    pub reason: String,
    pub evidence_minutes: i64,
    pub evidence_finished_orders: i32,
    pub evidence_rated_orders: i32,
    pub evidence_stars_sum: i32,
    pub status: CommendationStatus,
    /// `station:year:kind:id` while the nomination is live (pending, notice, final); `None`
    /// once rejected. Unique: one live nomination per nominee, station and year.
    #[sea_orm(unique)]
    pub live_key: Option<String>,
    /// Objections not yet answered by the director; the notice cannot end while any is open.
    pub open_objections: i32,
    pub nominated_by: i32,
    pub nominated_at: DateTimeUtc,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DateTimeUtc>,
    pub notice_ends_at: Option<DateTimeUtc>,
    pub reject_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
