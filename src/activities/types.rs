//! Request and response types of the activity, sign-up and check-in endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// `allowed_actions` of an activity: an [`super::state::Action`] or a
/// [`super::state::ParticipantAction`].
fn activity_allowed_actions() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::{
        Ref,
        schema::{ArrayBuilder, OneOfBuilder},
    };
    ArrayBuilder::new()
        .items(
            OneOfBuilder::new()
                .item(Ref::from_schema_name("ActivityAction"))
                .item(Ref::from_schema_name("ParticipantAction")),
        )
        .build()
}

pub use super::state::{ActivityStatus, Attendance, SignupStatus};
pub use crate::leave::state::LeaveStatus;
pub use crate::orders::types::FocusGroup;

pub use entity::enums::{ActivityKind, Audience};

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
    /// The annual plan this activity belongs to, if any: an approved plan of the same station
    /// (422 `PLAN_OTHER_STATION`, `PLAN_NOT_APPROVED`).
    pub plan_id: Option<i32>,
    /// The item of that plan it carries out (422 `PLAN_ITEM_MISMATCH` when not of the plan);
    /// alone, it implies its plan.
    pub plan_item_id: Option<i32>,
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
    /// An approved plan of the station; giving it alone keeps the item link only when the
    /// item belongs to it.
    pub plan_id: Option<i32>,
    /// An item of the plan (alone, it implies its plan).
    pub plan_item_id: Option<i32>,
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
    /// Materials kept with the record (names, links); files go in `material_ids`.
    #[schema(max_length = 2000)]
    #[validate(length(max = 2000, message = "材料说明最多 2000 个字符"))]
    pub materials: Option<String>,
    /// `true` confirms attendance: marks absences, credits volunteers' hours and archives the
    /// activity. Only staff of the station who are not the host may confirm (the secretary, or
    /// the director when the secretary hosts): the host gets 403 `HOST_CANNOT_CONFIRM`.
    /// `false` only saves the record (the host may).
    pub attendance_confirmed: bool,
    /// Photos and PDFs of the activity (过程材料): up to 9 uploads (`POST /uploads`). The
    /// record's files become exactly these: ones already on the record stay, the caller's
    /// unattached uploads are attached, and files left out are removed. Absent: unchanged.
    #[schema(max_items = 9)]
    #[validate(length(max = 9, message = "最多附 9 个文件"))]
    #[serde(default)]
    pub material_ids: Option<Vec<String>>,
}

/// The record as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordResponse {
    pub summary: String,
    pub minutes: Option<String>,
    pub materials: Option<String>,
    /// The record's photos and PDFs (过程材料), oldest first, with their download URLs.
    pub material_files: Vec<crate::uploads::types::UploadPhoto>,
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
    pub leave: Option<LeaveStatus>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
}

/// An activity as the caller sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 7, "station_id": 1, "title": "重阳节敬老志愿服务", "kind": "practice", "platform_id": 1,
    "description": "为社区老人义诊、理发", "location": "社区活动中心", "theme": "孝老爱亲",
    "focus_group": "elderly", "plan_id": null, "plan_item_id": null,
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
    /// The plan item it carries out, if any.
    pub plan_item_id: Option<i32>,
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
    /// The record of a finished activity: shown to its host, the station's staff, supervisors
    /// and those with a confirmed sign-up; null for others.
    pub record: Option<RecordResponse>,
    /// The caller's sign-up, or null.
    pub my_signup: Option<MySignup>,
    /// What the caller may do now: the activity's own changes and, for a resident or
    /// volunteer, what they may do with their sign-up.
    #[schema(schema_with = activity_allowed_actions)]
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
    #[param(inline)]
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
#[schema(example = json!({"ttl_minutes": 10, "latitude": 30.5928, "longitude": 114.3055, "radius_m": 200}))]
pub struct CheckinCodeRequest {
    /// How long the code is valid, 1 to 240 minutes (default 10).
    #[schema(minimum = 1, maximum = 240)]
    #[validate(range(min = 1, max = 240, message = "有效期须在 1 到 240 分钟之间"))]
    pub ttl_minutes: Option<i64>,
    /// Optional geofence centre (WGS-84 latitude); `latitude`, `longitude` and `radius_m` come
    /// together. With a geofence, a check-in must send coordinates inside it.
    #[schema(minimum = -90, maximum = 90)]
    #[validate(range(min = -90.0, max = 90.0, message = "纬度须在 -90 到 90 之间"))]
    pub latitude: Option<f64>,
    /// Geofence centre longitude.
    #[schema(minimum = -180, maximum = 180)]
    #[validate(range(min = -180.0, max = 180.0, message = "经度须在 -180 到 180 之间"))]
    pub longitude: Option<f64>,
    /// Geofence radius in metres, 10 to 50 000.
    #[schema(minimum = 10, maximum = 50000)]
    #[validate(range(min = 10, max = 50000, message = "半径须在 10 到 50000 米之间"))]
    pub radius_m: Option<i32>,
}

/// A geofence: a check-in must come from within `radius_m` metres of the centre.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Geofence {
    pub latitude: f64,
    pub longitude: f64,
    pub radius_m: i32,
}

/// A check-in code to show (as text or QR). A new code voids the old one. Only a hash of the
/// code is stored: it is shown once, here.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"code": "483920", "expires_at": "2026-12-05T01:10:00Z",
    "geofence": {"latitude": 30.5928, "longitude": 114.3055, "radius_m": 200}}))]
pub struct CheckinCodeResponse {
    pub code: String,
    pub expires_at: DateTime<Utc>,
    /// The geofence check-ins must fall inside, or null.
    pub geofence: Option<Geofence>,
}

/// The code shown by the host, and where the person is.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"code": "483920", "latitude": 30.5931, "longitude": 114.3049}))]
pub struct CheckinRequest {
    #[schema(min_length = 1, max_length = 20)]
    #[validate(length(min = 1, max = 20, message = "签到码须为 1 到 20 个字符"))]
    pub code: String,
    /// The person's latitude (WGS-84). Required for a check-in when the code has a geofence
    /// (422 `LOCATION_REQUIRED` without it, `OUTSIDE_GEOFENCE` outside it); ignored otherwise.
    #[schema(minimum = -90, maximum = 90)]
    #[validate(range(min = -90.0, max = 90.0, message = "纬度须在 -90 到 90 之间"))]
    pub latitude: Option<f64>,
    /// The person's longitude.
    #[schema(minimum = -180, maximum = 180)]
    #[validate(range(min = -180.0, max = 180.0, message = "经度须在 -180 到 180 之间"))]
    pub longitude: Option<f64>,
}

/// Who to sign up (the body may be left out: the caller signs up themselves).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"user_id": 21}))]
pub struct SignupRequest {
    /// 代报名: staff of the activity's station sign up a user of the station who has no phone.
    /// The same capacity, waitlist, audience and one-per-person rules apply; the person is
    /// notified.
    pub user_id: Option<i32>,
}

/// A sign-up.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 15, "activity_id": 7, "activity_title": "重阳节敬老志愿服务", "user_id": 21,
    "user_name": "李华", "status": "waitlisted", "position": 3,
    "checked_in_at": null, "checked_out_at": null, "leave": null, "attendance": null,
    "minutes": 0, "hours": 0.0, "created_at": "2026-11-28T02:00:00Z",
    "signed_up_by": null, "proxy": false, "marked_by": null, "manual": false,
    "allowed_actions": ["cancel_signup"]
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
    /// The latest leave request's status.
    pub leave: Option<LeaveStatus>,
    /// Set once attendance is confirmed (`excused` from approved leave).
    pub attendance: Option<Attendance>,
    /// Service minutes: the overlap of check-in to check-out (or the actual finish) with the
    /// scheduled time.
    pub minutes: i32,
    pub hours: f64,
    pub created_at: DateTime<Utc>,
    /// The staff member who signed the person up (代报名), or null.
    pub signed_up_by: Option<i32>,
    /// Whether staff signed the person up (代报名).
    pub proxy: bool,
    /// The host or staff member who marked the person present by hand, or null.
    pub marked_by: Option<i32>,
    /// Whether attendance was marked by hand (no phone) rather than with the code.
    pub manual: bool,
    /// What the caller may do with this sign-up.
    #[schema(value_type = Vec<super::state::ParticipantAction>)]
    pub allowed_actions: Vec<&'static str>,
}
