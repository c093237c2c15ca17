//! Request and response types of the station endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// A station.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "name": "东湖社区新时代文明实践站", "district": "武昌区",
    "address": "东湖路 88 号", "created_at": "2026-01-05T09:00:00Z"
}))]
pub struct StationResponse {
    pub id: i32,
    pub name: String,
    /// The district whose civilization practice centre supervises the station.
    pub district: String,
    pub address: String,
    pub created_at: DateTime<Utc>,
}

/// A new station.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"name": "东湖社区新时代文明实践站", "district": "武昌区", "address": "东湖路 88 号"}))]
pub struct CreateStationRequest {
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, message = "名称须为 1 到 100 个字符"))]
    pub name: String,
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, message = "所属区须为 1 到 50 个字符"))]
    pub district: String,
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200, message = "地址须为 1 到 200 个字符"))]
    pub address: String,
}

/// Changes to a station; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"address": "东湖路 90 号"}))]
pub struct UpdateStationRequest {
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, message = "名称须为 1 到 100 个字符"))]
    pub name: Option<String>,
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, message = "所属区须为 1 到 50 个字符"))]
    pub district: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200, message = "地址须为 1 到 200 个字符"))]
    pub address: Option<String>,
}
