//! Request and response types of the audit log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// `GET /audit-log` filters; every one is optional and they combine with AND.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Only entries about this station; a supervisor may name only a station of their district
    /// (another is 403 `OTHER_STATION`).
    #[param(example = 1)]
    pub station_id: Option<i32>,
    /// Only actions by this user.
    #[param(example = 4)]
    pub actor_id: Option<i32>,
    /// Only this action, e.g. `order.cancelled`.
    #[param(example = "user.roles_changed")]
    #[validate(length(min = 1, max = 64, message = "action 长度须在 1 到 64 之间"))]
    pub action: Option<String>,
    /// Only actions on this kind of record, e.g. `order`.
    #[param(example = "user")]
    #[validate(length(min = 1, max = 64, message = "target_type 长度须在 1 到 64 之间"))]
    pub target_type: Option<String>,
    /// Only actions on this record (with `target_type`, one record's history).
    #[param(example = "12")]
    #[validate(length(min = 1, max = 64, message = "target_id 长度须在 1 到 64 之间"))]
    pub target_id: Option<String>,
    /// Entries at or after this moment (RFC 3339 with offset).
    #[param(value_type = String, format = DateTime, example = "2026-11-01T00:00:00+08:00")]
    pub from: Option<DateTime<Utc>>,
    /// Entries at or before this moment (RFC 3339 with offset); not before `from` (422 `INVALID_PERIOD`).
    #[param(value_type = String, format = DateTime, example = "2026-11-30T23:59:59+08:00")]
    pub to: Option<DateTime<Utc>>,
}

/// What a staff member did: `<record>.<verb>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, strum::IntoStaticStr)]
pub enum AuditAction {
    #[serde(rename = "user.created")]
    #[strum(serialize = "user.created")]
    UserCreated,
    #[serde(rename = "user.roles_changed")]
    #[strum(serialize = "user.roles_changed")]
    UserRolesChanged,
    #[serde(rename = "activity.approved")]
    #[strum(serialize = "activity.approved")]
    ActivityApproved,
    #[serde(rename = "activity.rejected")]
    #[strum(serialize = "activity.rejected")]
    ActivityRejected,
    #[serde(rename = "activity.cancelled")]
    #[strum(serialize = "activity.cancelled")]
    ActivityCancelled,
    #[serde(rename = "order.rejected")]
    #[strum(serialize = "order.rejected")]
    OrderRejected,
    #[serde(rename = "order.cancelled")]
    #[strum(serialize = "order.cancelled")]
    OrderCancelled,
    #[serde(rename = "order.redispatched")]
    #[strum(serialize = "order.redispatched")]
    OrderRedispatched,
    #[serde(rename = "leave.approved")]
    #[strum(serialize = "leave.approved")]
    LeaveApproved,
    #[serde(rename = "leave.rejected")]
    #[strum(serialize = "leave.rejected")]
    LeaveRejected,
    #[serde(rename = "volunteer_application.approved")]
    #[strum(serialize = "volunteer_application.approved")]
    VolunteerApplicationApproved,
    #[serde(rename = "volunteer_application.rejected")]
    #[strum(serialize = "volunteer_application.rejected")]
    VolunteerApplicationRejected,
    #[serde(rename = "volunteer.deactivated")]
    #[strum(serialize = "volunteer.deactivated")]
    VolunteerDeactivated,
    #[serde(rename = "plan.approved")]
    #[strum(serialize = "plan.approved")]
    PlanApproved,
    #[serde(rename = "plan.rejected")]
    #[strum(serialize = "plan.rejected")]
    PlanRejected,
    #[serde(rename = "hours.corrected")]
    #[strum(serialize = "hours.corrected")]
    HoursCorrected,
    #[serde(rename = "inspection.closed")]
    #[strum(serialize = "inspection.closed")]
    InspectionClosed,
    #[serde(rename = "commendation.approved")]
    #[strum(serialize = "commendation.approved")]
    CommendationApproved,
    #[serde(rename = "commendation.rejected")]
    #[strum(serialize = "commendation.rejected")]
    CommendationRejected,
    #[serde(rename = "ledger.exported")]
    #[strum(serialize = "ledger.exported")]
    LedgerExported,
    #[serde(rename = "phone.revealed")]
    #[strum(serialize = "phone.revealed")]
    PhoneRevealed,
}

impl AuditAction {
    /// The wire name, as stored and answered.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One staff action.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 31, "actor_id": 4, "actor_roles": ["director", "resident"], "action": "user.roles_changed",
    "target_type": "user", "target_id": "12", "station_id": 1,
    "detail": {"before": ["resident"], "after": ["resident", "secretary"]},
    "client_address": "198.51.100.7", "request_id": "0193a1f2-7c4e-7b21-9d0a-5e6f7a8b9c0d",
    "created_at": "2026-11-30T02:15:00Z"
}))]
pub struct AuditEntryResponse {
    pub id: i32,
    /// The user who acted.
    pub actor_id: i32,
    /// The roles the actor held when acting.
    pub actor_roles: Vec<String>,
    #[schema(value_type = AuditAction)]
    pub action: String,
    /// The kind of record acted on (`user`, `order`, `activity`, …).
    pub target_type: String,
    /// The record's id, as text.
    pub target_id: String,
    /// The station the action concerns; `null` for platform-wide actions.
    pub station_id: Option<i32>,
    /// A small object saying more: old and new roles (and a granted district), a reason, an
    /// export's format and year.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// The client's address (behind a trusted proxy, the address it forwarded).
    pub client_address: Option<String>,
    /// The request's `X-Request-Id` (sent by the client, or made by the server), to find its log lines.
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}
