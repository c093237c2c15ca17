//! Request and response types of the leave endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

pub use super::state::LeaveStatus;

pub use entity::enums::ReasonCategory;

/// A new leave request.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"activity_id": 7, "reason": "发烧需就医", "reason_category": "illness"}))]
pub struct CreateLeaveRequest {
    pub activity_id: i32,
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500, message = "请假原因须为 1 到 500 个字符"))]
    pub reason: String,
    /// Required when the activity is a training.
    pub reason_category: Option<ReasonCategory>,
}

/// A decision's optional comment.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"comment": "同意，注意休息"}))]
pub struct DecisionRequest {
    #[schema(max_length = 500)]
    #[validate(length(max = 500, message = "意见最多 500 个字符"))]
    pub comment: Option<String>,
}

/// A leave request.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 4, "activity_id": 7, "activity_title": "业务培训：志愿服务规范", "activity_kind": "training",
    "station_id": 1, "user_id": 21, "user_name": "李华", "reason": "发烧需就医",
    "reason_category": "illness", "status": "pending", "comment": null, "decided_by": null,
    "decided_at": null, "created_at": "2026-11-28T02:00:00Z", "allowed_actions": ["withdraw"]
}))]
pub struct LeaveResponse {
    pub id: i32,
    pub activity_id: i32,
    pub activity_title: String,
    pub activity_kind: crate::activities::types::ActivityKind,
    pub station_id: i32,
    pub user_id: i32,
    pub user_name: String,
    pub reason: String,
    pub reason_category: Option<ReasonCategory>,
    pub status: LeaveStatus,
    pub comment: Option<String>,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// What the caller may do.
    #[schema(value_type = Vec<super::state::LeaveAction>)]
    pub allowed_actions: Vec<&'static str>,
}

/// Filters of `GET /leave-requests`.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct LeaveFilter {
    pub status: Option<LeaveStatus>,
    pub activity_id: Option<i32>,
}
