//! Request and response types of the order endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::state::{OrderAction, OrderEventAction, OrderStatus};

pub use entity::enums::{FocusGroup, FollowUpStatus, ReasonTag};

/// A new order. Residents order for themselves; staff may order on behalf of a resident of
/// their station who has no phone (代点单) by naming `resident_id`.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({
    "title": "代买降压药", "description": "腿脚不便，需要志愿者帮忙到社区医院取药",
    "platform_id": 7, "service_item_id": null, "address": "东湖路 88 号 3 栋 201",
    "contact_phone": "13912345678", "expected_at": "2026-12-01T09:00:00+08:00",
    "focus_group": "elderly"
}))]
pub struct CreateOrderRequest {
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, message = "标题须为 1 到 100 个字符"))]
    pub title: String,
    #[schema(min_length = 1, max_length = 2000)]
    #[validate(length(min = 1, max = 2000, message = "需求描述须为 1 到 2000 个字符"))]
    pub description: String,
    /// A platform usable by the station (see `GET /platforms`).
    pub platform_id: i32,
    /// An item of the station's service menu, when ordered from it.
    pub service_item_id: Option<i32>,
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200, message = "地址须为 1 到 200 个字符"))]
    pub address: String,
    #[schema(min_length = 5, max_length = 20, pattern = "^[0-9+\\-]{5,20}$")]
    #[validate(regex(path = *CONTACT_PHONE, message = "联系电话须为 5 到 20 位数字"))]
    pub contact_phone: String,
    /// When the service is wanted.
    pub expected_at: Option<DateTime<Utc>>,
    /// After this, an order still open expires (default: `expected_at`).
    pub deadline_at: Option<DateTime<Utc>>,
    pub focus_group: Option<FocusGroup>,
    /// Staff only: the resident the order is placed for (代点单).
    pub resident_id: Option<i32>,
    /// Up to 9 of the caller's unattached uploads (`POST /uploads`) to show with the order.
    #[schema(max_items = 9)]
    #[validate(length(max = 9, message = "最多附 9 张照片"))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_ids: Option<Vec<String>>,
}

pub static CONTACT_PHONE: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"^[0-9+\-]{5,20}$").unwrap_or_else(|_| unreachable!()));

/// Where staff send a submitted order.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DispatchTarget {
    /// To every volunteer of the station (first to accept wins).
    Open,
    /// To one volunteer (`volunteer_id`).
    Volunteer,
    /// To a team (`team_id`); any member may accept.
    Team,
}

/// `{mode: "open"}`, `{mode: "volunteer", volunteer_id}` or `{mode: "team", team_id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"mode": "volunteer", "volunteer_id": 15, "note": "离得最近"}))]
pub struct DispatchRequest {
    pub mode: DispatchTarget,
    /// Required when `mode` is `volunteer`: a volunteer of the order's station.
    pub volunteer_id: Option<i32>,
    /// Required when `mode` is `team`: a team of the order's station.
    pub team_id: Option<i32>,
    #[schema(max_length = 500)]
    #[validate(length(max = 500, message = "备注最多 500 个字符"))]
    pub note: Option<String>,
}

/// Where staff move an `open` or `assigned` order.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RedispatchTarget {
    /// Into the station's pool (from `assigned`).
    Open,
    /// To one volunteer (`volunteer_id`).
    Volunteer,
    /// To a team (`team_id`).
    Team,
    /// Back to the station: `submitted`, to be dispatched again later.
    Submitted,
}

/// `{mode: "open"}`, `{mode: "volunteer", volunteer_id}`, `{mode: "team", team_id}` or
/// `{mode: "submitted"}` (pull it back to the station).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"mode": "team", "team_id": 3, "note": "原志愿者临时有事"}))]
pub struct RedispatchRequest {
    pub mode: RedispatchTarget,
    /// Required when `mode` is `volunteer`: a volunteer of the order's station.
    pub volunteer_id: Option<i32>,
    /// Required when `mode` is `team`: a team of the order's station.
    pub team_id: Option<i32>,
    /// Why; shown on the timeline and to the volunteer or team the order is taken from.
    #[schema(max_length = 500)]
    #[validate(length(max = 500, message = "备注最多 500 个字符"))]
    pub note: Option<String>,
}

/// Why the volunteer declines (optional); staff see it on the timeline and in their notice.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"reason": "当天在外地"}))]
pub struct DeclineRequest {
    #[schema(max_length = 500)]
    #[validate(length(max = 500, message = "原因最多 500 个字符"))]
    pub reason: Option<String>,
}

/// A reason, required (rejecting, cancelling).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"reason": "不在本站服务范围内"}))]
pub struct ReasonRequest {
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500, message = "原因须为 1 到 500 个字符"))]
    pub reason: String,
}

/// What the volunteer did and for how long.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"summary": "已代取药品并送到家中，叮嘱按时服药", "service_minutes": 90}))]
pub struct CompleteRequest {
    #[schema(min_length = 1, max_length = 2000)]
    #[validate(length(min = 1, max = 2000, message = "服务小结须为 1 到 2000 个字符"))]
    pub summary: String,
    /// Minutes served, 1 to 1440; they become confirmed hours once the order is rated.
    #[schema(minimum = 1, maximum = 1440)]
    #[validate(range(min = 1, max = 1440, message = "服务时长须为 1 到 1440 分钟"))]
    pub service_minutes: i32,
    /// Up to 9 of the volunteer's unattached uploads (`POST /uploads`) showing the work done.
    #[schema(max_items = 9)]
    #[validate(length(max = 9, message = "最多附 9 张照片"))]
    #[serde(default)]
    pub photo_ids: Option<Vec<String>>,
}

/// The resident's rating; 1 or 2 stars need a `reason_tag` and open a follow-up call.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"stars": 5, "comment": "志愿者很耐心"}))]
pub struct RateRequest {
    #[schema(minimum = 1, maximum = 5)]
    #[validate(range(min = 1, max = 5, message = "评分须为 1 到 5 星"))]
    pub stars: i32,
    #[schema(max_length = 500)]
    #[validate(length(max = 500, message = "评价最多 500 个字符"))]
    pub comment: Option<String>,
    /// Required for 1 or 2 stars (also accepted as `reason`).
    #[serde(alias = "reason")]
    pub reason_tag: Option<ReasonTag>,
}

/// The outcome of the follow-up call (回访).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"outcome": "已致电居民，志愿者当日迟到，已提醒，居民表示理解"}))]
pub struct FollowUpRequest {
    #[schema(min_length = 1, max_length = 1000)]
    #[validate(length(min = 1, max = 1000, message = "回访结果须为 1 到 1000 个字符"))]
    pub outcome: String,
}

/// The resident's rating of a served order.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingResponse {
    /// 1 to 5; `null` when auto-confirmed without a rating.
    pub stars: Option<i32>,
    pub comment: Option<String>,
    pub reason_tag: Option<ReasonTag>,
    pub rated_at: Option<DateTime<Utc>>,
    /// Confirmed by the system after 7 days without a rating.
    pub auto_confirmed: bool,
}

/// The follow-up call after a 1–2 star rating.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpResponse {
    pub status: FollowUpStatus,
    pub outcome: Option<String>,
    pub recorded_by: Option<i32>,
    pub recorded_at: Option<DateTime<Utc>>,
}

/// A service order (服务订单).
///
/// State machine (`status`):
/// `submitted --dispatch(open)--> open --accept--> accepted --start--> in_service --complete-->
/// completed --rate--> rated`; `submitted --dispatch(volunteer|team)--> assigned --accept-->
/// accepted`; `assigned --decline--> submitted`; `accepted --release--> open` (before start);
/// `submitted --reject--> rejected`; `submitted|open|assigned|accepted --cancel--> cancelled`
/// (the resident before service starts, staff any time before completion); `open --deadline
/// passes--> expired`; `completed --7 days without rating--> rated` (auto-confirmed, no stars).
///
/// `allowed_actions` lists what the caller may do now. `address`, `contact_phone`,
/// `resident_name`, `resident_id` and `placed_by` are `null` for a volunteer until they have
/// accepted the order; `area` (the station's district) is always shown. Supervisors (and
/// admins) see the phone, address and name masked (`139****5678`) in lists, and in full only
/// when they open the order (`GET /orders/{id}`), which is recorded in the audit log.
///
/// `overdue` is `true` while a `submitted` order waits longer than `ORDER_DISPATCH_OVERDUE_MINS`
/// to be dispatched, or an `assigned` one longer than `ORDER_ACCEPT_OVERDUE_MINS` to be accepted.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 42, "status": "accepted", "title": "代买降压药", "description": "腿脚不便，需要志愿者帮忙到社区医院取药",
    "platform_id": 7, "service_item_id": null, "address": "东湖路 88 号 3 栋 201", "contact_phone": "13912345678",
    "area": "武昌区", "resident_name": "王芳",
    "expected_at": "2026-12-01T01:00:00Z", "deadline_at": null, "focus_group": "elderly", "station_id": 1,
    "resident_id": 12, "placed_by": 12, "volunteer_id": 15, "team_id": null,
    "reject_reason": null, "cancel_reason": null, "summary": null, "service_minutes": null,
    "accepted_at": "2026-11-28T09:30:00Z", "completed_at": null, "rating": null, "follow_up": null,
    "created_at": "2026-11-28T09:00:00Z", "updated_at": "2026-11-28T09:30:00Z", "overdue": false,
    "allowed_actions": ["release", "start"], "photos": [], "completion_photos": []
}))]
pub struct OrderResponse {
    pub id: i32,
    pub status: OrderStatus,
    pub title: String,
    pub description: String,
    pub platform_id: i32,
    pub service_item_id: Option<i32>,
    /// Hidden (`null`) from volunteers who have not accepted the order.
    pub address: Option<String>,
    /// Hidden (`null`) from volunteers who have not accepted the order.
    pub contact_phone: Option<String>,
    /// The district of the order's station.
    pub area: String,
    /// Hidden (`null`) from volunteers who have not accepted the order.
    pub resident_name: Option<String>,
    pub expected_at: Option<DateTime<Utc>>,
    pub deadline_at: Option<DateTime<Utc>>,
    pub focus_group: Option<FocusGroup>,
    pub station_id: i32,
    /// Hidden (`null`) from volunteers who have not accepted the order.
    pub resident_id: Option<i32>,
    /// Who placed the order: the resident, or a staff member (代点单). Hidden (`null`) from
    /// volunteers who have not accepted the order.
    pub placed_by: Option<i32>,
    pub volunteer_id: Option<i32>,
    pub team_id: Option<i32>,
    pub reject_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub summary: Option<String>,
    pub service_minutes: Option<i32>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub rating: Option<RatingResponse>,
    pub follow_up: Option<FollowUpResponse>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Waiting too long to be dispatched (`submitted`) or accepted (`assigned`).
    pub overdue: bool,
    /// What the caller may do to the order now.
    pub allowed_actions: Vec<OrderAction>,
    /// Photos attached when the order was placed.
    pub photos: Vec<crate::uploads::types::UploadPhoto>,
    /// Photos the volunteer attached on completing it.
    pub completion_photos: Vec<crate::uploads::types::UploadPhoto>,
}

/// One transition on the order's timeline.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "order_id": 42, "action": "accept", "actor_id": 15, "actor_role": "volunteer",
    "from_status": "open", "to_status": "accepted", "note": null, "created_at": "2026-11-28T09:30:00Z"
}))]
pub struct OrderEventResponse {
    pub id: i32,
    pub order_id: i32,
    #[schema(value_type = OrderEventAction)]
    pub action: String,
    /// `null` for the system, and for the resident's (or 代点单 staff's) own events when the
    /// caller is a volunteer who has not accepted the order.
    pub actor_id: Option<i32>,
    /// `resident`, `volunteer`, `staff` or `system`.
    pub actor_role: String,
    pub from_status: Option<OrderStatus>,
    pub to_status: OrderStatus,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Filters of `GET /orders`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub platform_id: Option<i32>,
    pub focus_group: Option<FocusGroup>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
    /// `open`: volunteers see the open pool of their station.
    #[param(inline)]
    pub pool: Option<PoolFilter>,
    /// Supervisors (a station of their district) and admins: one station.
    pub station_id: Option<i32>,
    /// `true`: only overdue orders (`submitted` longer than `ORDER_DISPATCH_OVERDUE_MINS`,
    /// `assigned` longer than `ORDER_ACCEPT_OVERDUE_MINS`); `false`: only the others.
    pub overdue: Option<bool>,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoolFilter {
    Open,
}

/// Filter of `GET /follow-ups`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowUpFilter {
    /// `pending` (the default) or `done`.
    #[param(inline)]
    pub status: Option<FollowUpStatus>,
}
