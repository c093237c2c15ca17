//! Request and response types of the ranking and commendation endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

pub use entity::enums::{CommendationStatus, NomineeKind};

/// Filters of the rankings.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// The year (China time); the current year when left out.
    #[param(minimum = 2000, maximum = 2100, example = 2026)]
    #[validate(range(min = 2000, max = 2100, message = "年份须在 2000 到 2100 之间"))]
    pub year: Option<i32>,
    /// One station. Staff see only their own (403 `OTHER_STATION` for another); supervisors
    /// and admins any, or every station they oversee when left out.
    pub station_id: Option<i32>,
}

/// A year's figures and the score computed from them.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "confirmed_minutes": 270, "confirmed_hours": 4.5, "finished_orders": 3, "rated_orders": 2,
    "average_rating": 4.5, "score": 25.5
}))]
pub struct RankingFigures {
    /// Minutes of service hours confirmed in the year (orders, activities, corrections).
    pub confirmed_minutes: i64,
    /// The same in hours, rounded to 2 decimals.
    pub confirmed_hours: f64,
    /// Orders served (completed or rated) in the year.
    pub finished_orders: i64,
    /// Of those, the ones the resident rated with stars.
    pub rated_orders: i64,
    /// Average stars of the rated ones, 2 decimals; `null` when none.
    pub average_rating: Option<f64>,
    /// `confirmed_minutes / 60 + 2 × finished_orders + 10 × (average_rating − 3)` (the rating
    /// term only with at least one rated order), rounded to 2 decimals.
    pub score: f64,
}

/// One volunteer's place in the ranking.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "rank": 1, "user_id": 21, "name": "李华", "station_id": 1, "confirmed_minutes": 270,
    "confirmed_hours": 4.5, "finished_orders": 3, "rated_orders": 2, "average_rating": 4.5, "score": 25.5
}))]
pub struct VolunteerRanking {
    /// 1 for the best; every place distinct.
    pub rank: u64,
    pub user_id: i32,
    pub name: String,
    /// The volunteer's home station.
    pub station_id: Option<i32>,
    #[serde(flatten)]
    pub figures: RankingFigures,
}

/// One team's place in the ranking.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "rank": 1, "team_id": 3, "name": "银龄助老服务队", "station_id": 1, "member_count": 6,
    "confirmed_minutes": 1200, "confirmed_hours": 20.0, "finished_orders": 9, "rated_orders": 7,
    "average_rating": 4.71, "score": 55.1
}))]
pub struct TeamRanking {
    pub rank: u64,
    pub team_id: i32,
    pub name: String,
    pub station_id: i32,
    /// Current members, whose hours and orders count for the team.
    pub member_count: u64,
    #[serde(flatten)]
    pub figures: RankingFigures,
}

/// A nomination: exactly one of `volunteer_id` and `team_id`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"year": 2026, "volunteer_id": 21, "reason": "全年服务 120 小时，助老送药 40 余次，群众评价均为五星"}))]
pub struct CreateCommendationRequest {
    #[schema(minimum = 2000, maximum = 2100)]
    #[validate(range(min = 2000, max = 2100, message = "年份须在 2000 到 2100 之间"))]
    pub year: i32,
    /// A volunteer whose home station is the station.
    pub volunteer_id: Option<i32>,
    /// A team of the station.
    pub team_id: Option<i32>,
    #[schema(min_length = 1, max_length = 1000)]
    #[validate(length(min = 1, max = 1000, message = "推荐理由须为 1 到 1000 个字符"))]
    pub reason: String,
    /// The station; defaults to the caller's (an admin names it).
    pub station_id: Option<i32>,
}

/// A reason (rejecting a commendation, objecting to one).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"reason": "该志愿者部分服务时长存在重复登记"}))]
pub struct CommendationReasonRequest {
    #[schema(min_length = 1, max_length = 1000)]
    #[validate(length(min = 1, max = 1000, message = "理由须为 1 到 1000 个字符"))]
    pub reason: String,
}

/// The director's answer to an objection.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"answer": "经核实，重复登记的时长已更正，不影响评选结果"}))]
pub struct ObjectionAnswerRequest {
    #[schema(min_length = 1, max_length = 1000)]
    #[validate(length(min = 1, max = 1000, message = "答复须为 1 到 1000 个字符"))]
    pub answer: String,
}

/// Filters of `GET /commendations`.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct CommendationFilter {
    #[param(minimum = 2000, maximum = 2100, example = 2026)]
    #[validate(range(min = 2000, max = 2100, message = "年份须在 2000 到 2100 之间"))]
    pub year: Option<i32>,
    pub station_id: Option<i32>,
    /// `notice` and `final` are public; `pending` and `rejected` only for the station's staff
    /// (and those overseeing it) who name `station_id`, or staff of their own station.
    pub status: Option<CommendationStatus>,
}

/// A commendation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 5, "station_id": 1, "year": 2026, "nominee_kind": "volunteer", "volunteer_id": 21,
    "team_id": null, "nominee_name": "李华", "reason": "全年服务 120 小时，助老送药 40 余次",
    "evidence": {"confirmed_minutes": 7200, "confirmed_hours": 120.0, "finished_orders": 42,
        "rated_orders": 40, "average_rating": 4.9, "score": 223.0},
    "status": "notice", "nominated_by": 8, "nominated_at": "2026-12-01T02:00:00Z",
    "decided_by": 7, "decided_at": "2026-12-02T02:00:00Z", "notice_ends_at": "2026-12-07T02:00:00Z",
    "reject_reason": null, "open_objections": 0, "allowed_actions": ["object"]
}))]
pub struct CommendationResponse {
    pub id: i32,
    pub station_id: i32,
    pub year: i32,
    pub nominee_kind: NomineeKind,
    pub volunteer_id: Option<i32>,
    pub team_id: Option<i32>,
    /// The volunteer's or the team's name.
    pub nominee_name: String,
    pub reason: String,
    /// The nominee's figures of the year when nominated, copied from the ranking.
    pub evidence: RankingFigures,
    /// As of now: a notice that has ended with every objection answered reads `final`.
    pub status: CommendationStatus,
    pub nominated_by: i32,
    pub nominated_at: DateTime<Utc>,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DateTime<Utc>>,
    /// End of the public notice (公示): approval + 5 days.
    pub notice_ends_at: Option<DateTime<Utc>>,
    pub reject_reason: Option<String>,
    /// Objections waiting for the director's answer (they hold the notice open).
    pub open_objections: i32,
    /// What the caller may do.
    #[schema(value_type = Vec<super::state::Action>)]
    pub allowed_actions: Vec<&'static str>,
}

/// An objection raised during the notice, with the director's answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 2, "commendation_id": 5, "user_id": 33, "reason": "该志愿者部分服务时长存在重复登记",
    "created_at": "2026-12-03T02:00:00Z", "answer": "经核实，已更正，不影响评选结果",
    "answered_by": 7, "answered_at": "2026-12-04T02:00:00Z"
}))]
pub struct ObjectionResponse {
    pub id: i32,
    pub commendation_id: i32,
    pub user_id: i32,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub answer: Option<String>,
    pub answered_by: Option<i32>,
    pub answered_at: Option<DateTime<Utc>>,
}
