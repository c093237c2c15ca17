//! Request and response types of the service-menu endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// One item of a station's service menu.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 5, "station_id": 1, "platform_id": 7, "name": "代买药品", "description": "为行动不便的老人代购常用药",
    "skills": ["代购"], "deleted": false, "deleted_at": null, "created_at": "2026-11-01T08:00:00Z", "updated_at": "2026-11-01T08:00:00Z"
}))]
pub struct ServiceItemResponse {
    pub id: i32,
    pub station_id: i32,
    pub platform_id: i32,
    pub name: String,
    pub description: Option<String>,
    /// The skills the service calls for; volunteers with a matching skill are told first when
    /// an order of this item opens to the pool.
    pub skills: Vec<String>,
    /// Removed from the menu (orders that used it still show it).
    pub deleted: bool,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new menu item.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"name": "代买药品", "description": "为行动不便的老人代购常用药", "platform_id": 7, "skills": ["代购"]}))]
pub struct CreateServiceItemRequest {
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, message = "名称须为 1 到 100 个字符"))]
    pub name: String,
    #[schema(max_length = 1000)]
    #[validate(length(max = 1000, message = "说明最多 1000 个字符"))]
    pub description: Option<String>,
    /// A platform usable by the station.
    pub platform_id: i32,
    /// Up to 20 skills the service calls for, each 1 to 30 characters (default none).
    #[schema(max_items = 20, inline, value_type = Option<Vec<String>>)]
    #[validate(
        length(max = 20, message = "最多填写 20 项技能"),
        custom(function = "crate::volunteers::types::validate_skills")
    )]
    pub skills: Option<Vec<String>>,
    /// Admins name the station; staff add to their own.
    pub station_id: Option<i32>,
}

/// Changes to a menu item; absent fields stay.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"name": "代买药品（含送药上门）"}))]
pub struct UpdateServiceItemRequest {
    #[schema(min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, message = "名称须为 1 到 100 个字符"))]
    pub name: Option<String>,
    #[schema(max_length = 1000)]
    #[validate(length(max = 1000, message = "说明最多 1000 个字符"))]
    pub description: Option<String>,
    pub platform_id: Option<i32>,
    /// Replaces the skills the service calls for (`[]` for none).
    #[schema(max_items = 20, inline, value_type = Option<Vec<String>>)]
    #[validate(
        length(max = 20, message = "最多填写 20 项技能"),
        custom(function = "crate::volunteers::types::validate_skills")
    )]
    pub skills: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceItemFilter {
    /// The station whose menu to list (default: the caller's station; without either, every station's).
    pub station_id: Option<i32>,
    pub platform_id: Option<i32>,
}
