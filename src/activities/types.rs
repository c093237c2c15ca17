//! Request and response types of the activity, sign-up and check-in endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

pub use super::state::{ActivityStatus, SignupStatus};
pub use crate::orders::types::FocusGroup;

/// What kind of activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// 实践活动
    Practice,
    /// 业务培训 (leave needs a reason category and the director)
    Training,
    /// 宣讲
    Lecture,
    /// 会议
    Meeting,
}

impl ActivityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Practice => "practice",
            Self::Training => "training",
            Self::Lecture => "lecture",
            Self::Meeting => "meeting",
        }
    }
    pub fn parse(text: &str) -> Self {
        match text {
            "training" => Self::Training,
            "lecture" => Self::Lecture,
            "meeting" => Self::Meeting,
            _ => Self::Practice,
        }
    }
}

/// Who may sign up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Anyone with an account.
    Public,
    /// Holders of the volunteer role.
    Volunteers,
    /// Users whose home station is the activity's station.
    Members,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Volunteers => "volunteers",
            Self::Members => "members",
        }
    }
    pub fn parse(text: &str) -> Self {
        match text {
            "volunteers" => Self::Volunteers,
            "members" => Self::Members,
            _ => Self::Public,
        }
    }
}

/// A new activity (a draft).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({
    "title": "重阳节敬老志愿服务", "kind": "practice", "platform_id": 1,
    "description": "为社区老人义诊、理发", "location": "社区活动中心",
    "starts_at": "2026-12-05T09:00:00+08:00", "ends_at": "2026-12-05T11:00:00+08:00",
    "capacity": 30, "audience": "public", "theme": "孝老爱亲", "focus_group": "elderly"
}))]
pub struct CreateActivityRequest {
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, message = "标题须为 1 到 100 个字符"))]
    pub title: String,
    pub kind: ActivityKind,
    /// A platform usable by the station.
    pub platform_id: i32,
    #[schema(max_length = 5000)]
    #[validate(length(max = 5000, message = "简介最多 5000 个字符"))]
    #[serde(default)]
    pub description: String,
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200, message = "地点须为 1 到 200 个字符"))]
    pub location: String,
    pub starts_at: DateTime<Utc>,
    /// After `starts_at`.
    pub ends_at: DateTime<Utc>,
    #[schema(minimum = 1, maximum = 100000)]
    #[validate(range(min = 1, max = 100000, message = "名额须在 1 到 100000 之间"))]
    pub capacity: i32,
    /// Sign-up opens (default: as soon as published).
    pub signup_opens_at: Option<DateTime<Utc>>,
    /// Sign-up closes (default and latest: the start).
    pub signup_closes_at: Option<DateTime<Utc>>,
    /// Default `public`.
    pub audience: Option<Audience>,
    /// A user of the station hosting it (a stand-in host); default the caller.
    pub host_id: Option<i32>,
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, message = "主题须为 1 到 100 个字符"))]
    pub theme: Option<String>,
    /// The annual plan this activity belongs to, if any.
    pub plan_id: Option<i32>,
    /// The group served (the same values as an order's `focus_group`).
    pub focus_group: Option<FocusGroup>,
    /// The station (admins only; staff always draft for their own station).
    pub station_id: Option<i32>,
}

/// Changes to a draft; absent fields stay as they are.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"capacity": 40, "location": "社区文化广场"}))]
pub struct UpdateActivityRequest {
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, message = "标题须为 1 到 100 个字符"))]
    pub title: Option<String>,
    pub kind: Option<ActivityKind>,
    pub platform_id: Option<i32>,
    #[schema(max_length = 5000)]
    #[validate(length(max = 5000, message = "简介最多 5000 个字符"))]
    pub description: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200, message = "地点须为 1 到 200 个字符"))]
    pub location: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    #[schema(minimum = 1, maximum = 100000)]
    #[validate(range(min = 1, max = 100000, message = "名额须在 1 到 100000 之间"))]
    pub capacity: Option<i32>,
    pub signup_opens_at: Option<DateTime<Utc>>,
    pub signup_closes_at: Option<DateTime<Utc>>,
    pub audience: Option<Audience>,
    pub host_id: Option<i32>,
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, message = "主题须为 1 到 100 个字符"))]
    pub theme: Option<String>,
    pub plan_id: Option<i32>,
    /// The group served (the same values as an order's `focus_group`).
    pub focus_group: Option<FocusGroup>,
}

/// A reason (reject, cancel).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"reason": "活动方案缺少安全预案"}))]
pub struct ReasonRequest {
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500, message = "原因须为 1 到 500 个字符"))]
    pub reason: String,
}

/// The ledger record of a finished activity.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({
    "summary": "为 32 位老人义诊理发", "minutes": null, "materials": "照片 12 张",
    "attendance_confirmed": true
}))]
pub struct RecordRequest {
    #[schema(min_length = 1, max_length = 5000)]
    #[validate(length(min = 1, max = 5000, message = "纪要须为 1 到 5000 个字符"))]
    pub summary: String,
    /// Minutes of a meeting (会议记录).
    #[schema(max_length = 20000)]
    #[validate(length(max = 20000, message = "会议记录最多 20000 个字符"))]
    pub minutes: Option<String>,
    /// Materials kept with the record (names, links).
    #[schema(max_length = 2000)]
    #[validate(length(max = 2000, message = "材料说明最多 2000 个字符"))]
    pub materials: Option<String>,
    /// `true` confirms attendance: marks absences, credits volunteers' hours and archives the
    /// activity. `false` only saves the record.
    pub attendance_confirmed: bool,
}

/// The record as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordResponse {
    pub summary: String,
    pub minutes: Option<String>,
    pub materials: Option<String>,
    pub attendance_confirmed_at: Option<DateTime<Utc>>,
}

/// The caller's own sign-up, inside an activity.
#[derive(Debug, Serialize, ToSchema)]
pub struct MySignup {
    pub id: i32,
    pub status: SignupStatus,
    /// Place in the waitlist (1 = next to be promoted), for waitlisted sign-ups.
    pub position: Option<i64>,
    /// The leave request's status, if any.
    pub leave: Option<String>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
}

/// An activity as the caller sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 7, "station_id": 1, "title": "重阳节敬老志愿服务", "kind": "practice", "platform_id": 1,
    "description": "为社区老人义诊、理发", "location": "社区活动中心", "theme": "孝老爱亲",
    "focus_group": "elderly", "plan_id": null,
    "starts_at": "2026-12-05T01:00:00Z", "ends_at": "2026-12-05T03:00:00Z",
    "capacity": 30, "confirmed_count": 12, "waitlisted_count": 0, "places_left": 18,
    "signup_opens_at": null, "signup_closes_at": null, "signup_open": true,
    "audience": "public", "host_id": 3, "created_by": 3, "status": "published",
    "reject_reason": null, "cancel_reason": null, "published_at": "2026-11-28T02:00:00Z",
    "finished_at": null, "record": null,
    "my_signup": null, "allowed_actions": ["signup"],
    "created_at": "2026-11-27T02:00:00Z", "updated_at": "2026-11-28T02:00:00Z"
}))]
pub struct ActivityResponse {
    pub id: i32,
    pub station_id: i32,
    pub title: String,
    pub kind: ActivityKind,
    pub platform_id: i32,
    pub description: String,
    pub location: String,
    pub theme: Option<String>,
    pub focus_group: Option<FocusGroup>,
    pub plan_id: Option<i32>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    pub confirmed_count: i32,
    pub waitlisted_count: i64,
    /// Capacity minus confirmed sign-ups.
    pub places_left: i32,
    pub signup_opens_at: Option<DateTime<Utc>>,
    pub signup_closes_at: Option<DateTime<Utc>>,
    /// Whether sign-up is open right now.
    pub signup_open: bool,
    pub audience: Audience,
    pub host_id: i32,
    pub created_by: i32,
    /// The effective status (`published` turns `ongoing` at the start time).
    pub status: ActivityStatus,
    /// Why the director sent it back, kept on the draft.
    pub reject_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub record: Option<RecordResponse>,
    /// The caller's sign-up, or null.
    pub my_signup: Option<MySignup>,
    /// What the caller may do now: `edit`, `submit`, `approve`, `reject`, `cancel`, `finish`,
    /// `record`, `checkin_code`, `signup`, `cancel_signup`, `checkin`, `checkout`, `ask_leave`.
    pub allowed_actions: Vec<&'static str>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Filters of `GET /activities`.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ActivityFilter {
    pub platform_id: Option<i32>,
    pub kind: Option<ActivityKind>,
    /// `YYYY-MM`, in China time (UTC+8).
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2026-12")]
    pub month: Option<String>,
    pub station_id: Option<i32>,
    /// Activities serving this group.
    pub focus_group: Option<FocusGroup>,
    /// Only activities with places left.
    pub has_places: Option<bool>,
    /// Text in the title.
    #[param(max_length = 100)]
    #[validate(length(max = 100, message = "搜索词最多 100 个字符"))]
    pub q: Option<String>,
    /// A status (staff see drafts and pending ones of their station). Without it: published
    /// and ongoing activities that have not ended.
    pub status: Option<ActivityStatus>,
}

/// Options of a new check-in code (the body may be left out).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"ttl_minutes": 10}))]
pub struct CheckinCodeRequest {
    /// How long the code is valid, 1 to 240 minutes (default 10).
    #[schema(minimum = 1, maximum = 240)]
    #[validate(range(min = 1, max = 240, message = "有效期须在 1 到 240 分钟之间"))]
    pub ttl_minutes: Option<i64>,
}

/// A check-in code to show (as text or QR). A new code voids the old one.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "483920", "expires_at": "2026-12-05T01:10:00Z"}))]
pub struct CheckinCodeResponse {
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// The code shown by the host.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"code": "483920"}))]
pub struct CheckinRequest {
    #[schema(min_length = 1, max_length = 20)]
    #[validate(length(min = 1, max = 20, message = "签到码须为 1 到 20 个字符"))]
    pub code: String,
}

/// A sign-up.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 15, "activity_id": 7, "activity_title": "重阳节敬老志愿服务", "user_id": 21,
    "user_name": "李华", "status": "waitlisted", "position": 3,
    "checked_in_at": null, "checked_out_at": null, "leave": null, "attendance": null,
    "minutes": 0, "hours": 0.0, "created_at": "2026-11-28T02:00:00Z",
    "allowed_actions": ["cancel_signup", "ask_leave"]
}))]
pub struct SignupResponse {
    pub id: i32,
    pub activity_id: i32,
    pub activity_title: String,
    pub user_id: i32,
    pub user_name: String,
    pub status: SignupStatus,
    /// Place in the waitlist (1 = next to be promoted), for waitlisted sign-ups.
    pub position: Option<i64>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
    /// The latest leave request's status (`pending`, `approved`, `rejected`, `withdrawn`).
    pub leave: Option<String>,
    /// `attended`, `absent` or `excused` once attendance is confirmed (excused from approved leave).
    pub attendance: Option<String>,
    /// Service minutes: the overlap of check-in to check-out (or the end) with the activity.
    pub minutes: i32,
    pub hours: f64,
    pub created_at: DateTime<Utc>,
    /// What the caller may do with this sign-up: `cancel_signup`, `checkin`, `checkout`, `ask_leave`.
    pub allowed_actions: Vec<&'static str>,
}
