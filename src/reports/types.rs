//! Request and response types of the overview, the half-year report and inspections.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

pub use entity::enums::{FocusGroup, InspectionItemStatus, InspectionStatus};

/// `GET /stats/overview`: a period of whole days in China time (Asia/Shanghai), `to` included.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// First day of the period (`YYYY-MM-DD`, Asia/Shanghai).
    #[param(value_type = String, format = Date, example = "2026-01-01")]
    pub from: NaiveDate,
    /// Last day of the period, included (`YYYY-MM-DD`, Asia/Shanghai); at most 366 days after `from`.
    #[param(value_type = String, format = Date, example = "2026-06-30")]
    pub to: NaiveDate,
    /// The station; staff may leave it out (their own station); supervisors and admins must name one.
    pub station_id: Option<i32>,
}

/// Activities held in one month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthCount {
    /// `YYYY-MM` (Asia/Shanghai).
    #[schema(example = "2026-03")]
    pub month: String,
    /// Activities finished or archived that started in the month.
    pub held: i64,
}

/// Activities held under one platform.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlatformCount {
    pub platform_id: i32,
    pub platform_name: String,
    pub held: i64,
}

/// Confirmed service hours of the period, in minutes, by where they come from.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct VolunteerHours {
    /// Hours entries of service orders (confirmed when rated or auto-confirmed).
    pub orders_minutes: i64,
    /// Hours entries of activity attendance (confirmed with the record).
    pub activities_minutes: i64,
    /// Staff corrections (may be negative).
    pub corrections_minutes: i64,
    /// The sum of the three.
    pub total_minutes: i64,
}

/// Orders placed in the period, by their current status.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct OrdersByStatus {
    pub submitted: i64,
    pub open: i64,
    pub assigned: i64,
    pub accepted: i64,
    pub in_service: i64,
    pub completed: i64,
    pub rated: i64,
    pub rejected: i64,
    pub cancelled: i64,
    pub expired: i64,
    /// Every order placed in the period.
    pub total: i64,
}

/// Orders and activities serving one focus group (重点人群).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FocusGroupCount {
    pub focus_group: FocusGroup,
    /// Orders placed in the period tagged with the group.
    pub orders: i64,
    /// Activities held in the period tagged with the group.
    pub activities: i64,
}

/// What a station did in a period: activities, participants, hours, orders and ratings.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "station_id": 1, "from": "2026-03-01", "to": "2026-03-31", "activities_held": 3,
    "activities_by_month": [{"month": "2026-03", "held": 3}],
    "activities_by_platform": [{"platform_id": 1, "platform_name": "理论宣讲", "held": 2}, {"platform_id": 3, "platform_name": "文化服务", "held": 1}],
    "participants": 57,
    "volunteer_hours": {"orders_minutes": 540, "activities_minutes": 720, "corrections_minutes": 0, "total_minutes": 1260},
    "orders_by_status": {"submitted": 1, "open": 0, "assigned": 0, "accepted": 1, "in_service": 0, "completed": 1, "rated": 6, "rejected": 1, "cancelled": 0, "expired": 0, "total": 10},
    "accepted_orders": 8, "median_minutes_to_accept": 42.5, "rated_orders": 6, "average_rating": 4.5,
    "by_focus_group": [{"focus_group": "left_behind_children", "orders": 0, "activities": 1}, {"focus_group": "vulnerable_children", "orders": 0, "activities": 0}, {"focus_group": "elderly", "orders": 7, "activities": 1}, {"focus_group": "migrant_workers", "orders": 0, "activities": 0}]
}))]
pub struct Overview {
    pub station_id: i32,
    /// First day of the period (Asia/Shanghai).
    pub from: NaiveDate,
    /// Last day of the period, included.
    pub to: NaiveDate,
    /// Activities held (`finished` or `archived`) that started in the period.
    pub activities_held: i64,
    /// Every month the period touches, in order, with the activities held.
    pub activities_by_month: Vec<MonthCount>,
    /// Platforms with at least one activity held, most first.
    pub activities_by_platform: Vec<PlatformCount>,
    /// Attended sign-ups (checked in with the code or marked present) of the activities held.
    pub participants: i64,
    /// Hours entries confirmed in the period.
    pub volunteer_hours: VolunteerHours,
    /// Orders placed in the period, by current status.
    pub orders_by_status: OrdersByStatus,
    /// Orders placed in the period that a volunteer has accepted (and not released).
    pub accepted_orders: i64,
    /// Median minutes from placing an order to its acceptance over `accepted_orders`; `null` when none.
    pub median_minutes_to_accept: Option<f64>,
    /// Orders placed in the period and rated with stars (auto-confirmed ones have none).
    pub rated_orders: i64,
    /// Mean stars of `rated_orders`, two decimals; `null` when none.
    pub average_rating: Option<f64>,
    /// Every focus group, with the orders placed and the activities held serving it.
    pub by_focus_group: Vec<FocusGroupCount>,
}

/// `GET /reports/half-year`.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct HalfYearQuery {
    #[param(minimum = 2000, maximum = 2100, example = 2026)]
    #[validate(range(min = 2000, max = 2100, message = "年份须在 2000 到 2100 之间"))]
    pub year: i32,
    /// 1: January–June; 2: July–December.
    #[param(minimum = 1, maximum = 2, example = 1)]
    #[validate(range(min = 1, max = 2, message = "half 须为 1 或 2"))]
    pub half: i32,
    /// One station; without it supervisors and admins get every station they oversee, staff their own.
    pub station_id: Option<i32>,
}

/// Whether a month met the rule "at least one practice activity held".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MonthStatus {
    /// At least one practice activity was held.
    Met,
    /// The month is over and none was held.
    Missed,
    /// None held yet, and the month is not over.
    Pending,
}

/// One month of the half against the monthly rule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HalfYearMonth {
    #[schema(example = "2026-03")]
    pub month: String,
    /// Practice activities (kind `practice`) held that started in the month.
    pub practice_held: i64,
    pub status: MonthStatus,
}

/// Leave requests made in the half, by status.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct LeaveCounts {
    pub pending: i64,
    pub approved: i64,
    pub rejected: i64,
    pub withdrawn: i64,
    pub expired: i64,
    pub cancelled: i64,
}

/// An inspection in a report.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InspectionSummary {
    pub id: i32,
    pub score: i32,
    pub status: InspectionStatus,
    /// Items not yet rectified.
    pub open_items: i64,
    pub created_at: DateTime<Utc>,
}

/// One station's half year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StationHalfYear {
    pub station_id: i32,
    pub station_name: String,
    /// 0–100, see the operation's description: 60 × months met / months due + 20 if a training
    /// was held in the year so far + (20 − 5 × open follow-ups, at least 0).
    pub score: i32,
    /// The overview of the whole half.
    pub overview: Overview,
    /// The station's annual plan for the year (the approved one, else the latest); `null` when
    /// it wrote none.
    pub plan: Option<HalfYearPlan>,
    /// The six months of the half.
    pub months: Vec<HalfYearMonth>,
    pub months_met: i64,
    pub months_missed: i64,
    pub months_pending: i64,
    /// Trainings held from 1 January up to the clock (the rule: 1–2 a year).
    pub trainings_held: i64,
    pub leave: LeaveCounts,
    /// Confirmed sign-ups of activities held in the half with no check-in and no approved leave.
    pub absences: i64,
    /// Orders placed in the half whose follow-up call (回访) after a 1–2 star rating is still pending.
    pub open_follow_ups: i64,
    /// Inspections of this station for this half.
    pub inspections: Vec<InspectionSummary>,
}

/// The station's annual plan as the half-year report shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HalfYearPlan {
    pub plan_id: i32,
    pub status: entity::enums::PlanStatus,
    /// Submitted after 31 January of its year.
    pub late: bool,
    /// Plan items falling in the half's months.
    pub items_in_half: i64,
}

/// The half-year report: one station, or every station the supervisor oversees, best score first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "year": 2026, "half": 1,
    "stations": [{
        "station_id": 1, "station_name": "东湖社区实践站", "score": 83, "plan": null,
        "overview": {
            "station_id": 1, "from": "2026-01-01", "to": "2026-06-30", "activities_held": 9,
            "activities_by_month": [{"month": "2026-01", "held": 2}, {"month": "2026-02", "held": 1}, {"month": "2026-03", "held": 3},
                                    {"month": "2026-04", "held": 0}, {"month": "2026-05", "held": 2}, {"month": "2026-06", "held": 1}],
            "activities_by_platform": [{"platform_id": 1, "platform_name": "理论宣讲", "held": 5}, {"platform_id": 3, "platform_name": "文化服务", "held": 4}],
            "participants": 164,
            "volunteer_hours": {"orders_minutes": 5400, "activities_minutes": 9720, "corrections_minutes": -60, "total_minutes": 15060},
            "orders_by_status": {"submitted": 2, "open": 1, "assigned": 0, "accepted": 1, "in_service": 0, "completed": 3, "rated": 52, "rejected": 4, "cancelled": 3, "expired": 1, "total": 67},
            "accepted_orders": 57, "median_minutes_to_accept": 38.0, "rated_orders": 49, "average_rating": 4.63,
            "by_focus_group": [{"focus_group": "left_behind_children", "orders": 3, "activities": 2}, {"focus_group": "vulnerable_children", "orders": 1, "activities": 0},
                               {"focus_group": "elderly", "orders": 41, "activities": 4}, {"focus_group": "migrant_workers", "orders": 0, "activities": 1}]
        },
        "months": [{"month": "2026-01", "practice_held": 2, "status": "met"}, {"month": "2026-02", "practice_held": 1, "status": "met"},
                   {"month": "2026-03", "practice_held": 2, "status": "met"}, {"month": "2026-04", "practice_held": 0, "status": "missed"},
                   {"month": "2026-05", "practice_held": 2, "status": "met"}, {"month": "2026-06", "practice_held": 0, "status": "pending"}],
        "months_met": 4, "months_missed": 1, "months_pending": 1, "trainings_held": 1,
        "leave": {"pending": 0, "approved": 6, "rejected": 1, "withdrawn": 2, "expired": 0, "cancelled": 0},
        "absences": 3, "open_follow_ups": 1,
        "inspections": [{"id": 3, "score": 82, "status": "open", "open_items": 1, "created_at": "2026-06-20T02:00:00Z"}]
    }]
}))]
pub struct HalfYearReport {
    pub year: i32,
    pub half: i32,
    /// Sorted by `score` (highest first), ties by `station_id`.
    pub stations: Vec<StationHalfYear>,
}

/// A new inspection.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({
    "station_id": 1, "year": 2026, "half": 1, "score": 82,
    "findings": "上半年活动开展较规范，台账记录不全。",
    "items": [{"text": "补齐 3 月活动签到表"}, {"text": "完善志愿服务时长登记"}]
}))]
pub struct CreateInspectionRequest {
    pub station_id: i32,
    #[schema(minimum = 2000, maximum = 2100)]
    #[validate(range(min = 2000, max = 2100, message = "年份须在 2000 到 2100 之间"))]
    pub year: i32,
    /// 1: January–June; 2: July–December.
    #[schema(minimum = 1, maximum = 2)]
    #[validate(range(min = 1, max = 2, message = "half 须为 1 或 2"))]
    pub half: i32,
    #[schema(minimum = 0, maximum = 100)]
    #[validate(range(min = 0, max = 100, message = "评分须在 0 到 100 之间"))]
    pub score: i32,
    #[schema(min_length = 1, max_length = 5000)]
    #[validate(length(min = 1, max = 5000, message = "督查意见须为 1 到 5000 个字符"))]
    pub findings: String,
    /// Rectification items (整改事项), at most 50.
    #[validate(length(max = 50, message = "整改事项最多 50 项"), nested)]
    #[serde(default)]
    pub items: Vec<NewItem>,
}

/// A rectification item to file.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
pub struct NewItem {
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500, message = "整改事项须为 1 到 500 个字符"))]
    pub text: String,
}

/// The note of a rectification.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"note": "已补齐签到表并归档"}))]
pub struct RectifyRequest {
    #[schema(min_length = 1, max_length = 2000)]
    #[validate(length(min = 1, max = 2000, message = "整改说明须为 1 到 2000 个字符"))]
    pub note: String,
}

/// Filters of `GET /inspections`.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct InspectionFilter {
    /// Staff see only their own station (naming another is 403 `OTHER_STATION`).
    pub station_id: Option<i32>,
    pub year: Option<i32>,
    #[param(minimum = 1, maximum = 2)]
    #[validate(range(min = 1, max = 2, message = "half 须为 1 或 2"))]
    pub half: Option<i32>,
    pub status: Option<InspectionStatus>,
}

/// A rectification item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InspectionItemResponse {
    pub id: i32,
    pub text: String,
    pub status: InspectionItemStatus,
    pub rectified_note: Option<String>,
    pub rectified_by: Option<i32>,
    pub rectified_at: Option<DateTime<Utc>>,
    /// `rectify` for the station's staff while the item and the inspection are open.
    #[schema(value_type = Vec<super::state::InspectionAction>)]
    pub allowed_actions: Vec<&'static str>,
}

/// An inspection (督查) with its items.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "station_id": 1, "year": 2026, "half": 1, "score": 82,
    "findings": "上半年活动开展较规范，台账记录不全。", "status": "open", "created_by": 9,
    "created_at": "2026-07-05T02:00:00Z", "closed_at": null, "closed_by": null,
    "items": [{"id": 5, "text": "补齐 3 月活动签到表", "status": "rectified", "rectified_note": "已补齐并归档",
               "rectified_by": 4, "rectified_at": "2026-07-08T03:00:00Z", "allowed_actions": []},
              {"id": 6, "text": "完善志愿服务时长登记", "status": "open", "rectified_note": null,
               "rectified_by": null, "rectified_at": null, "allowed_actions": []}],
    "allowed_actions": []
}))]
pub struct InspectionResponse {
    pub id: i32,
    pub station_id: i32,
    pub year: i32,
    pub half: i32,
    pub score: i32,
    pub findings: String,
    pub status: InspectionStatus,
    pub created_by: i32,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<i32>,
    pub items: Vec<InspectionItemResponse>,
    /// What the caller may do: `rectify` (staff of the station, some item open) and `close`
    /// (a supervisor, every item rectified).
    #[schema(value_type = Vec<super::state::InspectionAction>)]
    pub allowed_actions: Vec<&'static str>,
}
