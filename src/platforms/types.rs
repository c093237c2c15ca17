//! Request and response types of the platform endpoints.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// A service platform.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 3, "station_id": null, "code": "culture", "name": "文化服务", "description": null, "is_default": true}))]
pub struct PlatformResponse {
    pub id: i32,
    /// The station that added it; `null` for the eight shared platforms.
    pub station_id: Option<i32>,
    /// Stable code of a shared platform (`theory`, `education`, `culture`, `science`,
    /// `fitness`, `legal`, `health`, `poverty_relief`); `null` for a station's own.
    pub code: Option<String>,
    pub name: String,
    pub description: Option<String>,
    /// Whether this is one of the eight platforms every station has.
    pub is_default: bool,
}

/// A station's own platform.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"name": "邻里互助", "description": "楼栋邻里之间的互助服务"}))]
pub struct CreatePlatformRequest {
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, message = "名称须为 1 到 50 个字符"))]
    pub name: String,
    #[schema(max_length = 500)]
    #[validate(length(max = 500, message = "说明最多 500 个字符"))]
    pub description: Option<String>,
    /// The station (admins must name it; staff add to their own station).
    pub station_id: Option<i32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlatformFilter {
    /// Also list this station's own platforms (default: the caller's station, if any).
    pub station_id: Option<i32>,
}
