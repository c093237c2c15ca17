//! Request and response types of the annual plan endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

pub use super::state::PlanStatus;
pub use entity::enums::ActivityKind;

/// One planned activity.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"month": 3, "theme": "学雷锋志愿服务", "platform_id": 1, "kind": "practice"}))]
pub struct PlanItemRequest {
    /// 1 to 12.
    #[schema(minimum = 1, maximum = 12)]
    #[validate(range(min = 1, max = 12, message = "月份须在 1 到 12 之间"))]
    pub month: i32,
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, message = "主题须为 1 到 100 个字符"))]
    pub theme: String,
    /// A platform usable by the station (a default platform or the station's own).
    pub platform_id: i32,
    pub kind: ActivityKind,
}

/// A new annual plan (a draft).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({
    "year": 2027, "title": "2027 年度新时代文明实践活动方案", "goals": "每月至少开展一次实践活动，全年开展两次业务培训",
    "items": [
        {"month": 1, "theme": "迎新春送温暖", "platform_id": 3, "kind": "practice"},
        {"month": 3, "theme": "志愿服务规范", "platform_id": 1, "kind": "training"}
    ]
}))]
pub struct CreatePlanRequest {
    /// The plan's year, 2000 to 2100.
    #[schema(minimum = 2000, maximum = 2100)]
    #[validate(range(min = 2000, max = 2100, message = "年份须在 2000 到 2100 之间"))]
    pub year: i32,
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, message = "标题须为 1 到 100 个字符"))]
    pub title: String,
    /// The year's goals, free text.
    #[schema(max_length = 5000)]
    #[validate(length(max = 5000, message = "目标最多 5000 个字符"))]
    #[serde(default)]
    pub goals: String,
    /// At most 200 items.
    #[schema(max_items = 200)]
    #[validate(length(max = 200, message = "计划条目最多 200 条"), nested)]
    #[serde(default)]
    pub items: Vec<PlanItemRequest>,
    /// The station (admins only; staff always write their own station's plan).
    pub station_id: Option<i32>,
}

/// Changes to a draft; absent fields stay as they are, `items` (when given) replaces every item.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"title": "2027 年度实践活动方案（修订）",
    "items": [{"month": 2, "theme": "邻里守望", "platform_id": 3, "kind": "practice"}]}))]
pub struct UpdatePlanRequest {
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, message = "标题须为 1 到 100 个字符"))]
    pub title: Option<String>,
    #[schema(max_length = 5000)]
    #[validate(length(max = 5000, message = "目标最多 5000 个字符"))]
    pub goals: Option<String>,
    #[schema(max_items = 200)]
    #[validate(length(max = 200, message = "计划条目最多 200 条"), nested)]
    pub items: Option<Vec<PlanItemRequest>>,
}

/// A rejection's reason.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"reason": "缺少业务培训安排"}))]
pub struct RejectPlanRequest {
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500, message = "原因须为 1 到 500 个字符"))]
    pub reason: String,
}

/// An approval's optional comment (the body may be left out).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"comment": "同意，按计划执行"}))]
pub struct ApprovePlanRequest {
    #[schema(max_length = 500)]
    #[validate(length(max = 500, message = "意见最多 500 个字符"))]
    pub comment: Option<String>,
}

/// One planned activity, as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanItemResponse {
    pub id: i32,
    pub month: i32,
    pub theme: String,
    pub platform_id: i32,
    pub kind: ActivityKind,
}

/// One step of a plan's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanEventResponse {
    pub id: i32,
    pub actor_id: i32,
    #[schema(value_type = super::state::PlanEventAction)]
    pub action: String,
    pub from_status: Option<PlanStatus>,
    pub to_status: PlanStatus,
    /// The rejection's reason or the approval's comment.
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// An annual plan as the caller sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "station_id": 1, "year": 2027, "title": "2027 年度新时代文明实践活动方案",
    "goals": "每月至少开展一次实践活动", "status": "pending_approval", "late": false,
    "submitted_at": "2026-12-20T02:00:00Z", "decided_at": null, "decided_by": null,
    "reject_reason": null, "created_by": 4,
    "items": [{"id": 11, "month": 1, "theme": "迎新春送温暖", "platform_id": 3, "kind": "practice"}],
    "history": [
        {"id": 1, "actor_id": 4, "action": "create", "from_status": null, "to_status": "draft", "note": null, "at": "2026-12-18T02:00:00Z"},
        {"id": 2, "actor_id": 4, "action": "submit", "from_status": "draft", "to_status": "pending_approval", "note": null, "at": "2026-12-20T02:00:00Z"}
    ],
    "allowed_actions": ["approve", "reject"],
    "created_at": "2026-12-18T02:00:00Z", "updated_at": "2026-12-20T02:00:00Z"
}))]
pub struct PlanResponse {
    pub id: i32,
    pub station_id: i32,
    pub year: i32,
    pub title: String,
    pub goals: String,
    pub status: PlanStatus,
    /// Submitted after 31 January 23:59:59 (Asia/Shanghai) of its year: accepted, but flagged.
    pub late: bool,
    /// The latest submission.
    pub submitted_at: Option<DateTime<Utc>>,
    /// The director's latest decision.
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<i32>,
    /// Why the director sent it back, kept on the draft.
    pub reject_reason: Option<String>,
    pub created_by: i32,
    /// By month, then in the order given.
    pub items: Vec<PlanItemResponse>,
    /// Every step, oldest first.
    pub history: Vec<PlanEventResponse>,
    /// What the caller may do now.
    #[schema(value_type = Vec<super::state::PlanAction>)]
    pub allowed_actions: Vec<&'static str>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Filters of `GET /annual-plans`.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PlanFilter {
    /// Supervisors and admins: one station (default every station). Staff: only their own.
    pub station_id: Option<i32>,
    pub year: Option<i32>,
    pub status: Option<PlanStatus>,
}

/// Whether a month met the rule "at least one practice activity".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplianceStatus {
    /// At least one practice activity was held.
    Met,
    /// Over, and no practice activity was held.
    Missed,
    /// Not over yet (by the server's clock), and not met so far.
    Pending,
}

/// An activity the station held (finished or archived).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeldActivity {
    pub activity_id: i32,
    pub title: String,
    pub theme: Option<String>,
    pub kind: ActivityKind,
    pub platform_id: i32,
    pub starts_at: DateTime<Utc>,
    /// The plan item it carried out, if linked.
    pub plan_item_id: Option<i32>,
}

/// One month of the plan's year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanMonthCompliance {
    /// 1 to 12.
    pub month: u32,
    pub status: ComplianceStatus,
    pub planned: Vec<PlannedItem>,
    /// Activities held (finished or archived) starting in this month, Asia/Shanghai.
    pub held: Vec<HeldActivity>,
    /// How many of `held` are practice activities.
    pub practice_held: u32,
}

/// A planned activity, in a compliance month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlannedItem {
    pub item_id: i32,
    pub theme: String,
    pub platform_id: i32,
    pub kind: ActivityKind,
}

/// Month-by-month compliance of a station's year with rule 1 (年度活动方案).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "station_id": 1, "year": 2027, "plan_id": 3, "plan_status": "approved", "plan_late": false,
    "months": [{"month": 1, "status": "met",
        "planned": [{"item_id": 11, "theme": "迎新春送温暖", "platform_id": 3, "kind": "practice"}],
        "held": [{"activity_id": 40, "title": "迎新春写春联", "theme": "迎新春送温暖", "kind": "practice",
            "platform_id": 3, "starts_at": "2027-01-20T01:00:00Z", "plan_item_id": 11}],
        "practice_held": 1}],
    "months_met": 1, "months_missed": 0, "months_pending": 11,
    "trainings_held": 0, "trainings_rule": "pending"
}))]
pub struct ComplianceReport {
    pub station_id: i32,
    pub year: i32,
    /// The plan compared against (null when the station has no approved plan for the year).
    pub plan_id: Option<i32>,
    pub plan_status: Option<PlanStatus>,
    pub plan_late: Option<bool>,
    /// Months 1 to 12. A month is `met` when at least one practice activity was held in it
    /// (whether planned or not), `pending` while it is not over and not yet met, else `missed`.
    pub months: Vec<PlanMonthCompliance>,
    pub months_met: u32,
    pub months_missed: u32,
    pub months_pending: u32,
    /// Trainings (业务培训) held in the year.
    pub trainings_held: u32,
    /// The 1–2 trainings a year rule: `met` from the first training held (more than two still
    /// meets it: the rule asks for at least one and plans for two), `pending` with none while
    /// the year is not over, `missed` with none at the year's end.
    pub trainings_rule: ComplianceStatus,
}
