//! Request and response types of the authentication endpoints.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

/// A resident's self-registration.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"phone": "13912345678", "password": "secret123", "name": "王芳", "station_id": 1}))]
pub struct RegisterRequest {
    /// Mainland mobile number (11 digits, 1[3-9]…); the login name.
    #[schema(pattern = "^1[3-9][0-9]{9}$", example = "13912345678")]
    #[validate(custom(function = "crate::users::rules::validate_phone"))]
    pub phone: String,
    /// 8 to 72 characters with at least one letter and one digit.
    #[schema(
        min_length = 8,
        max_length = 72,
        pattern = "^(.*[A-Za-z].*[0-9].*|.*[0-9].*[A-Za-z].*)$"
    )]
    #[validate(custom(function = "super::password::validate_strength"))]
    pub password: String,
    /// Display name.
    #[schema(min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, message = "姓名须为 1 到 50 个字符"))]
    pub name: String,
    /// Home station, from `GET /stations`.
    pub station_id: i32,
}

/// Phone and password.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"phone": "13912345678", "password": "secret123"}))]
pub struct LoginRequest {
    #[schema(min_length = 1, max_length = 20)]
    #[validate(length(min = 1, max = 20, message = "请输入手机号"))]
    pub phone: String,
    #[schema(min_length = 1, max_length = 128)]
    #[validate(length(min = 1, max = 128, message = "请输入密码"))]
    pub password: String,
}

/// A refresh token, to rotate or to revoke.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"refresh_token": "q1Xy…"}))]
pub struct RefreshRequest {
    #[schema(min_length = 1, max_length = 512)]
    #[validate(length(min = 1, max = 512, message = "请提供刷新令牌"))]
    pub refresh_token: String,
}

/// A token pair. Send the access token as `Authorization: Bearer …`; trade the refresh token
/// for a new pair before the access token expires. Each refresh token works once.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiJ9…", "refresh_token": "q1Xy…",
    "token_type": "Bearer", "expires_in": 900
}))]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// A password change; all refresh tokens are revoked afterwards.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"current_password": "secret123", "new_password": "newsecret456"}))]
pub struct ChangePasswordRequest {
    /// The password in use now (also accepted as `old_password`).
    #[serde(alias = "old_password")]
    #[schema(min_length = 1, max_length = 128)]
    #[validate(length(min = 1, max = 128, message = "请输入当前密码"))]
    pub current_password: String,
    #[schema(
        min_length = 8,
        max_length = 72,
        pattern = "^(.*[A-Za-z].*[0-9].*|.*[0-9].*[A-Za-z].*)$"
    )]
    #[validate(custom(function = "super::password::validate_strength"))]
    pub new_password: String,
}
