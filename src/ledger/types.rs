//! Request and response types of the ledger endpoint: one typed row per section.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

pub use entity::enums::{
    ActivityKind, ActivityStatus, Attendance, FocusGroup, FollowUpStatus, LeaveStatus, OrderStatus, ReasonCategory,
    SignupStatus,
};

/// How the ledger is delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LedgerFormat {
    /// Every section in one JSON document.
    #[default]
    Json,
    /// One section (`sheet`) as UTF-8 CSV with a byte-order mark, Chinese headers.
    Csv,
    /// An Excel workbook, one worksheet per section.
    Xlsx,
}

/// A section of the ledger (a worksheet of the workbook).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LedgerSheet {
    /// 活动: every published activity starting in the year, any kind.
    #[default]
    Activities,
    /// 签到名单: one row per sign-up of those activities.
    Attendance,
    /// 培训: the trainings, with attendance and leave counts.
    Trainings,
    /// 会议: the meetings, with their minutes.
    Meetings,
    /// 服务订单: orders completed in the year (completed or rated).
    Orders,
    /// 请假: leave requests decided in the year.
    Leave,
}

impl LedgerSheet {
    pub const ALL: [LedgerSheet; 6] = [
        LedgerSheet::Activities,
        LedgerSheet::Attendance,
        LedgerSheet::Trainings,
        LedgerSheet::Meetings,
        LedgerSheet::Orders,
        LedgerSheet::Leave,
    ];

    /// The section's name in the API (`?sheet=`, file names).
    pub fn key(self) -> &'static str {
        match self {
            LedgerSheet::Activities => "activities",
            LedgerSheet::Attendance => "attendance",
            LedgerSheet::Trainings => "trainings",
            LedgerSheet::Meetings => "meetings",
            LedgerSheet::Orders => "orders",
            LedgerSheet::Leave => "leave",
        }
    }

    /// The worksheet's Chinese name.
    pub fn title(self) -> &'static str {
        match self {
            LedgerSheet::Activities => "活动",
            LedgerSheet::Attendance => "签到名单",
            LedgerSheet::Trainings => "培训",
            LedgerSheet::Meetings => "会议",
            LedgerSheet::Orders => "服务订单",
            LedgerSheet::Leave => "请假",
        }
    }
}

/// `GET /ledger` parameters.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// The calendar year in China time (Asia/Shanghai).
    #[param(minimum = 2000, maximum = 2100, example = 2026)]
    #[validate(range(min = 2000, max = 2100, message = "年份须在 2000 到 2100 之间"))]
    pub year: i32,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<LedgerFormat>,
    /// The station; staff default to their own, supervisors and admins must name one.
    pub station_id: Option<i32>,
    /// The section a CSV holds (default `activities`); JSON and xlsx hold every section.
    pub sheet: Option<LedgerSheet>,
}

/// A row of the 活动 section.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityRow {
    pub id: i32,
    pub title: String,
    pub kind: ActivityKind,
    pub status: ActivityStatus,
    pub platform_name: String,
    pub theme: Option<String>,
    pub focus_group: Option<FocusGroup>,
    pub host_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: String,
    pub capacity: i32,
    /// Confirmed sign-ups.
    pub confirmed_count: i32,
    /// Confirmed sign-ups that checked in (or were marked present).
    pub attended_count: i64,
    pub record_summary: Option<String>,
    pub record_materials: Option<String>,
    pub attendance_confirmed_at: Option<DateTime<Utc>>,
}

/// A row of the 签到名单 section: one sign-up.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttendanceRow {
    pub signup_id: i32,
    pub activity_id: i32,
    pub activity_title: String,
    pub activity_starts_at: DateTime<Utc>,
    pub user_id: i32,
    pub name: String,
    /// Masked (`139****5678`).
    #[schema(example = "139****5678")]
    pub phone: String,
    pub status: SignupStatus,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
    /// Marked present by the host or staff (no phone) rather than checked in with the code.
    pub manual: bool,
    pub leave_status: Option<LeaveStatus>,
    /// Set when the record confirmed attendance.
    pub attendance: Option<Attendance>,
    /// Minutes credited when attendance was confirmed.
    pub minutes: Option<i32>,
}

/// A row of the 培训 section.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingRow {
    pub id: i32,
    pub title: String,
    pub status: ActivityStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: String,
    pub host_name: String,
    pub confirmed_count: i32,
    pub attended_count: i64,
    /// Sign-ups excused by approved leave.
    pub leave_approved_count: i64,
    /// Marked absent when attendance was confirmed.
    pub absent_count: i64,
    /// Leave requests made, whatever their outcome.
    pub leave_requests_count: i64,
    pub record_summary: Option<String>,
}

/// A row of the 会议 section.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingRow {
    pub id: i32,
    pub title: String,
    pub status: ActivityStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: String,
    pub host_name: String,
    pub attended_count: i64,
    pub record_summary: Option<String>,
    /// 会议记录.
    pub record_minutes: Option<String>,
    pub record_materials: Option<String>,
}

/// A row of the 服务订单 section: an order completed in the year.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderRow {
    pub id: i32,
    pub title: String,
    pub resident_name: String,
    pub volunteer_name: Option<String>,
    pub team_name: Option<String>,
    pub platform_name: String,
    pub focus_group: Option<FocusGroup>,
    pub status: OrderStatus,
    pub completed_at: DateTime<Utc>,
    /// The minutes the volunteer reported.
    pub service_minutes: Option<i32>,
    pub stars: Option<i32>,
    pub rating_comment: Option<String>,
    pub auto_confirmed: bool,
    pub follow_up_status: Option<FollowUpStatus>,
    pub follow_up_outcome: Option<String>,
}

/// A row of the 请假 section: a leave request decided in the year.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaveRow {
    pub id: i32,
    pub requester_name: String,
    pub activity_id: i32,
    pub activity_title: String,
    pub reason_category: Option<ReasonCategory>,
    pub reason: String,
    pub status: LeaveStatus,
    pub decided_by_name: Option<String>,
    pub decided_at: DateTime<Utc>,
    pub comment: Option<String>,
}

/// Every section of the ledger.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct LedgerSheets {
    pub activities: Vec<ActivityRow>,
    pub attendance: Vec<AttendanceRow>,
    pub trainings: Vec<TrainingRow>,
    pub meetings: Vec<MeetingRow>,
    pub orders: Vec<OrderRow>,
    pub leave: Vec<LeaveRow>,
}

/// The year's ledger of a station.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "year": 2026, "station_id": 1, "station_name": "东湖社区新时代文明实践站",
    "generated_at": "2026-12-31T08:00:00Z",
    "sheets": {
        "activities": [{
            "id": 7, "title": "重阳节敬老志愿服务", "kind": "practice", "status": "archived",
            "platform_name": "卫生服务", "theme": "孝老爱亲", "focus_group": "elderly", "host_name": "王芳",
            "starts_at": "2026-10-29T01:00:00Z", "ends_at": "2026-10-29T03:00:00Z", "location": "社区活动中心",
            "capacity": 30, "confirmed_count": 28, "attended_count": 26,
            "record_summary": "为 32 位老人义诊理发", "record_materials": "照片 12 张",
            "attendance_confirmed_at": "2026-10-29T06:00:00Z"
        }],
        "attendance": [], "trainings": [], "meetings": [], "orders": [], "leave": []
    }
}))]
pub struct LedgerResponse {
    pub year: i32,
    pub station_id: i32,
    pub station_name: String,
    pub generated_at: DateTime<Utc>,
    pub sheets: LedgerSheets,
}

/// A CSV file of one section (UTF-8 with a byte-order mark).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct CsvFile(pub Vec<u8>);

/// An .xlsx workbook.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct XlsxFile(pub Vec<u8>);
