use sea_orm::entity::prelude::*;

use crate::enums::{FocusGroup, FollowUpStatus, OrderStatus, ReasonTag};

/// A service order (服务订单); `status` follows the state machine in `src/orders/state.rs`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub station_id: i32,
    pub resident_id: i32,
    pub placed_by: i32,
    pub title: String,
    pub description: String,
    pub platform_id: i32,
    pub service_item_id: Option<i32>,
    pub address: String,
    pub contact_phone: String,
    pub expected_at: Option<DateTimeUtc>,
    pub deadline_at: Option<DateTimeUtc>,
    pub focus_group: Option<FocusGroup>,
    pub status: OrderStatus,
    pub volunteer_id: Option<i32>,
    pub team_id: Option<i32>,
    pub reject_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub summary: Option<String>,
    pub service_minutes: Option<i32>,
    pub accepted_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub stars: Option<i32>,
    pub rating_comment: Option<String>,
    pub reason_tag: Option<ReasonTag>,
    pub rated_at: Option<DateTimeUtc>,
    pub auto_confirmed: bool,
    pub follow_up_status: Option<FollowUpStatus>,
    pub follow_up_outcome: Option<String>,
    pub follow_up_by: Option<i32>,
    pub follow_up_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the overdue sweep escalated the order in its current state (cleared on every
    /// transition), so that each escalation is claimed and announced exactly once.
    pub escalated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
