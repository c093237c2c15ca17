//! Response types of the notification endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// What a notification is about: its `kind`, one per event a user is told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, strum::IntoStaticStr, strum::VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum NotificationKind {
    ActivityApproved,
    ActivityCancelled,
    ActivityRejected,
    ActivityReminder,
    ActivitySubmitted,
    CommendationApproved,
    CommendationNominated,
    CommendationObjection,
    CommendationObjectionAnswered,
    CommendationRejected,
    HoursCorrected,
    InspectionClosed,
    InspectionFiled,
    InspectionItemRectified,
    LeaveApproved,
    LeaveExpired,
    LeaveRejected,
    LeaveRequested,
    LeaveWithdrawn,
    OrderAccepted,
    OrderAssigned,
    OrderCancelled,
    OrderCompleted,
    OrderConfirmed,
    OrderDeclined,
    OrderExpired,
    OrderLowRating,
    OrderOpen,
    OrderOverdue,
    OrderPlacedForYou,
    OrderRated,
    OrderRejected,
    OrderReleased,
    OrderReturned,
    OrderStarted,
    OrderSubmitted,
    OrderWithdrawn,
    PlanApproved,
    PlanEdited,
    PlanRejected,
    PlanSubmitted,
    SignupByStaff,
    SignupPromoted,
    VolunteerApproved,
    VolunteerDeactivated,
    VolunteerRejected,
}

impl NotificationKind {
    /// The wire name, as stored and answered.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// One notification.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 7, "kind": "order_accepted", "title": "订单已被接单", "body": "志愿者李明已接单：代买药品",
    "resource_type": "order", "resource_id": 42, "read": false, "read_at": null,
    "created_at": "2026-11-28T09:30:00Z"
}))]
pub struct NotificationResponse {
    pub id: i32,
    /// What happened.
    #[schema(value_type = NotificationKind)]
    pub kind: String,
    pub title: String,
    pub body: String,
    /// The kind of resource it is about (`order`, `activity`, `signup`, `leave_request`, `annual_plan`).
    pub resource_type: Option<String>,
    pub resource_id: Option<i32>,
    pub read: bool,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Unread notifications.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"unread": 3}))]
pub struct UnreadCount {
    pub unread: u64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationFilter {
    /// Only unread (`true`) or only read (`false`) notifications.
    pub unread: Option<bool>,
}

/// Query parameters of `GET /notifications/stream`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationStreamQuery {
    /// The access token, for clients that cannot send an `Authorization` header (a browser's
    /// `EventSource`). Accepted on this route only; prefer the header where possible.
    pub access_token: Option<String>,
    /// The id of the last `notification` event received; the `Last-Event-ID` header wins when
    /// both are sent.
    #[param(value_type = Option<i32>, minimum = 0, example = 41)]
    pub last_event_id: Option<String>,
}

/// The event lines of `GET /notifications/stream` (`text/event-stream`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(
    value_type = String,
    example = "event: notification\nid: 42\ndata: {\"id\":42,\"kind\":\"order_accepted\",\"title\":\"订单已被接单\",\"body\":\"志愿者李明已接单：代买药品\",\"resource_type\":\"order\",\"resource_id\":7,\"read\":false,\"read_at\":null,\"created_at\":\"2026-11-28T09:30:00Z\"}\n\nevent: unread\ndata: {\"unread\":3}\n\n: ping\n\n"
)]
pub struct NotificationStreamEvents(pub String);
