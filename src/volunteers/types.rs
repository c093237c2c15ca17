//! Request and response types of the volunteer and team endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

pub use entity::enums::{ApplicationStatus, VolunteerSource};

pub fn validate_skills(skills: &[String]) -> Result<(), ValidationError> {
    if skills.iter().all(|s| (1..=30).contains(&s.chars().count())) {
        Ok(())
    } else {
        Err(ValidationError::new("skills").with_message("每项技能须为 1 到 30 个字符".into()))
    }
}

/// A resident's application to volunteer at their home station.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({
    "real_name": "李明", "skills": ["心理疏导", "电脑维修"], "source": "college_students", "team_id": null
}))]
pub struct CreateApplicationRequest {
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, message = "姓名须为 1 到 50 个字符"))]
    pub real_name: String,
    /// Up to 20 skills, each 1 to 30 characters.
    #[schema(max_items = 20, inline, value_type = Vec<String>)]
    #[validate(
        length(max = 20, message = "最多填写 20 项技能"),
        custom(function = "validate_skills")
    )]
    pub skills: Vec<String>,
    pub source: VolunteerSource,
    /// A team of the station to join once approved.
    pub team_id: Option<i32>,
}

/// A volunteer application.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "user_id": 12, "station_id": 1, "real_name": "李明", "skills": ["心理疏导"],
    "source": "college_students", "team_id": null, "status": "pending", "reason": null,
    "reviewed_by": null, "reviewed_at": null, "created_at": "2026-11-28T08:00:00Z"
}))]
pub struct ApplicationResponse {
    pub id: i32,
    pub user_id: i32,
    pub station_id: i32,
    pub real_name: String,
    pub skills: Vec<String>,
    pub source: VolunteerSource,
    pub team_id: Option<i32>,
    pub status: ApplicationStatus,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub reviewed_by: Option<i32>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Why an application is rejected.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"reason": "请补充联系方式后重新申请"}))]
pub struct RejectApplicationRequest {
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500, message = "原因须为 1 到 500 个字符"))]
    pub reason: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationFilter {
    pub status: Option<ApplicationStatus>,
}

/// A volunteer's profile with the evidence for commendation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 15, "user_id": 15, "name": "李明", "real_name": "李明", "phone": "13912345678",
    "skills": ["心理疏导"], "source": "college_students", "station_id": 1, "team_ids": [2],
    "confirmed_minutes": 150, "confirmed_hours": 2.5, "finished_orders": 2, "average_rating": 4.5,
    "approved_at": "2026-11-01T08:00:00Z"
}))]
pub struct VolunteerResponse {
    /// The volunteer's user id.
    pub id: i32,
    pub user_id: i32,
    pub name: String,
    /// From the application; the account name when there was none.
    pub real_name: String,
    pub phone: String,
    pub skills: Vec<String>,
    /// From the application; `null` when there was none.
    pub source: Option<VolunteerSource>,
    pub station_id: Option<i32>,
    pub team_ids: Vec<i32>,
    /// Confirmed service minutes (all sources).
    pub confirmed_minutes: i64,
    pub confirmed_hours: f64,
    /// Orders served to the end (`completed` or `rated`).
    pub finished_orders: u64,
    /// Mean stars over rated orders; `null` when none.
    pub average_rating: Option<f64>,
    /// When the application was approved; `null` for accounts given the role by staff.
    pub approved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct VolunteerFilter {
    /// Volunteers with any of these skills: comma-separated (`,` or `，`), each matched as a
    /// part of a skill (`电脑` finds `电脑维修`).
    #[param(max_length = 200, example = "心理,电脑维修")]
    #[validate(length(max = 200, message = "技能筛选最多 200 个字符"))]
    pub skill: Option<String>,
    /// Members of this team.
    pub team_id: Option<i32>,
    /// Members of a team under this platform.
    pub platform_id: Option<i32>,
    /// Supervisors (a station of their district) and admins: one station.
    pub station_id: Option<i32>,
}

/// A new team.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"name": "银发理论宣讲队", "platform_id": 1, "leader_id": 15, "description": "退休教师组成的宣讲队"}))]
pub struct CreateTeamRequest {
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, message = "名称须为 1 到 100 个字符"))]
    pub name: String,
    pub platform_id: i32,
    /// A volunteer of the station; becomes a member.
    pub leader_id: Option<i32>,
    #[schema(max_length = 1000)]
    #[validate(length(max = 1000, message = "说明最多 1000 个字符"))]
    pub description: Option<String>,
    /// Admins name the station; staff create in their own.
    pub station_id: Option<i32>,
}

/// A volunteer to add to a team.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"volunteer_id": 15}))]
pub struct AddMemberRequest {
    /// The volunteer's user id (`user_id` is accepted too).
    #[serde(alias = "user_id")]
    pub volunteer_id: i32,
}

/// A volunteer team (志愿服务队).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 2, "station_id": 1, "platform_id": 1, "name": "银发理论宣讲队", "description": null,
    "leader_id": 15, "member_ids": [15, 16], "created_at": "2026-11-01T08:00:00Z"
}))]
pub struct TeamResponse {
    pub id: i32,
    pub station_id: i32,
    pub platform_id: i32,
    pub name: String,
    pub description: Option<String>,
    pub leader_id: Option<i32>,
    pub member_ids: Vec<i32>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct TeamFilter {
    pub platform_id: Option<i32>,
    /// Supervisors (a station of their district) and admins: one station. Others may name only their own.
    pub station_id: Option<i32>,
    /// Only the teams the caller is a member of.
    pub mine: Option<bool>,
}

/// Why a volunteer is deactivated (optional); shown to them and on the returned orders.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"reason": "已搬离本社区"}))]
pub struct DeactivateRequest {
    #[schema(max_length = 500)]
    #[validate(length(max = 500, message = "原因最多 500 个字符"))]
    pub reason: Option<String>,
}

/// A deactivated volunteer and the orders that went back to the station.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"user_id": 15, "deactivated_at": "2026-11-30T08:00:00Z", "returned_order_ids": [42]}))]
pub struct DeactivationResponse {
    pub user_id: i32,
    pub deactivated_at: DateTime<Utc>,
    /// Orders the volunteer held (`assigned`, `accepted`, `in_service`), and team orders no
    /// remaining member may take, now `submitted` again for staff to re-dispatch.
    pub returned_order_ids: Vec<i32>,
}
