//! Request and response types of the user endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::roles::Role;

/// A user's profile.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 12, "phone": "13912345678", "name": "王芳", "roles": ["resident"],
    "station_id": 1, "district": null, "created_at": "2026-03-01T08:00:00Z"
}))]
pub struct UserResponse {
    pub id: i32,
    /// Mainland mobile number, also the login name.
    pub phone: String,
    pub name: String,
    /// Every role the user holds.
    pub roles: Vec<Role>,
    /// Home station; `null` for platform-wide accounts (admin, supervisor).
    pub station_id: Option<i32>,
    /// For a supervisor: the district whose stations they read; `null` otherwise.
    pub district: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Changes to one's own profile. Only these fields can change here: roles and station are
/// managed by staff, and unknown fields are ignored.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"name": "王芳"}))]
pub struct UpdateMeRequest {
    /// Display name, 1 to 50 characters.
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, message = "姓名须为 1 到 50 个字符"))]
    pub name: Option<String>,
}

/// A staff account made by an admin (any station, any role) or a director (own station,
/// resident, volunteer or secretary).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({
    "phone": "13700000001", "password": "secret123", "name": "李秘书",
    "station_id": 1, "roles": ["secretary"]
}))]
pub struct CreateUserRequest {
    #[schema(pattern = "^1[3-9][0-9]{9}$", example = "13912345678")]
    #[validate(custom(function = "super::rules::validate_phone"))]
    pub phone: String,
    #[schema(
        min_length = 8,
        max_length = 72,
        pattern = "^(.*[A-Za-z].*[0-9].*|.*[0-9].*[A-Za-z].*)$"
    )]
    #[validate(custom(function = "crate::auth::password::validate_strength"))]
    pub password: String,
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, message = "姓名须为 1 到 50 个字符"))]
    pub name: String,
    /// Home station; required for station roles.
    pub station_id: Option<i32>,
    /// Roles to hold; `resident` is always added.
    #[schema(max_items = 6)]
    #[validate(length(max = 6))]
    pub roles: Vec<Role>,
    /// The district a `supervisor` reads (as in `stations.district`); required with that role.
    #[schema(min_length = 1, max_length = 50, example = "武昌区")]
    #[validate(length(min = 1, max = 50, message = "辖区名称须为 1 到 50 个字符"))]
    pub district: Option<String>,
}

/// The complete set of roles a user should hold.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"roles": ["resident", "secretary"]}))]
pub struct SetRolesRequest {
    #[schema(max_items = 6)]
    #[validate(length(max = 6))]
    pub roles: Vec<Role>,
    /// The district a `supervisor` reads; required when granting that role to an account that
    /// names none, and changes it when given.
    #[schema(min_length = 1, max_length = 50, example = "武昌区")]
    #[validate(length(min = 1, max = 50, message = "辖区名称须为 1 到 50 个字符"))]
    pub district: Option<String>,
}

/// Filters for the user search.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Text found in the name or phone number.
    #[param(max_length = 50)]
    #[validate(length(max = 50))]
    pub q: Option<String>,
    /// Only users holding this role.
    pub role: Option<Role>,
    /// Station to search (admins and supervisors; others always search their own).
    pub station_id: Option<i32>,
}
