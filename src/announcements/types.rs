//! Request and response types of the announcement endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

/// What may be done to an announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AnnouncementAction {
    Edit,
    Delete,
}

impl AnnouncementAction {
    /// The wire name, as answered in `allowed_actions`.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

pub use entity::enums::AnnouncementCategory;

/// An `http` or `https` URL of at most 1000 characters.
pub fn validate_http_url(url: &str) -> Result<(), ValidationError> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or("");
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if url.len() <= 1000 && !host.is_empty() && !url.chars().any(char::is_whitespace) {
        Ok(())
    } else {
        Err(ValidationError::new("http_url").with_message("封面图片须为 http(s) 链接".into()))
    }
}

/// A new announcement.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({
    "title": "学习贯彻党的二十届四中全会精神", "body": "本周六上午 9 点在社区活动中心集中学习……",
    "category": "learning", "cover_url": "https://img.example.cn/covers/study.jpg", "pinned": true,
    "publish_at": "2026-12-01T08:00:00+08:00"
}))]
pub struct CreateAnnouncementRequest {
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200, message = "标题须为 1 到 200 个字符"))]
    pub title: String,
    #[schema(min_length = 1, max_length = 20000)]
    #[validate(length(min = 1, max = 20000, message = "正文须为 1 到 20000 个字符"))]
    pub body: String,
    pub category: AnnouncementCategory,
    /// An `http(s)` image URL.
    #[schema(max_length = 1000, example = "https://img.example.cn/covers/study.jpg")]
    #[validate(custom(function = "validate_http_url"))]
    pub cover_url: Option<String>,
    /// Pinned items come first. Default `false`.
    #[serde(default)]
    pub pinned: bool,
    /// When readers see it (default now); a future time schedules it.
    pub publish_at: Option<DateTime<Utc>>,
    /// The station (staff always publish for their own; an admin names one, or leaves it out
    /// for a platform-wide announcement).
    pub station_id: Option<i32>,
    /// Up to 9 of the caller's unattached uploads (`POST /uploads`), shown as `photos` to
    /// whoever may read the announcement.
    #[schema(max_items = 9)]
    #[validate(length(max = 9, message = "最多附 9 个附件"))]
    #[serde(default)]
    pub attachment_ids: Option<Vec<String>>,
}

/// Changes to an announcement; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"pinned": false, "title": "学习贯彻党的二十届四中全会精神（更新）"}))]
pub struct UpdateAnnouncementRequest {
    #[schema(min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200, message = "标题须为 1 到 200 个字符"))]
    pub title: Option<String>,
    #[schema(min_length = 1, max_length = 20000)]
    #[validate(length(min = 1, max = 20000, message = "正文须为 1 到 20000 个字符"))]
    pub body: Option<String>,
    pub category: Option<AnnouncementCategory>,
    /// An `http(s)` image URL; an empty string removes the cover.
    #[schema(max_length = 1000)]
    #[validate(custom(function = "validate_cover_change"))]
    pub cover_url: Option<String>,
    pub pinned: Option<bool>,
    pub publish_at: Option<DateTime<Utc>>,
}

fn validate_cover_change(url: &str) -> Result<(), ValidationError> {
    if url.is_empty() { Ok(()) } else { validate_http_url(url) }
}

/// Options when an activity's record is published as news; the body may be left out.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[schema(example = json!({"pinned": false, "cover_url": "https://img.example.cn/records/42.jpg"}))]
pub struct NewsFromActivityRequest {
    /// An `http(s)` image URL.
    #[schema(max_length = 1000)]
    #[validate(custom(function = "validate_http_url"))]
    pub cover_url: Option<String>,
    #[serde(default)]
    pub pinned: bool,
    /// Default now.
    pub publish_at: Option<DateTime<Utc>>,
}

/// An announcement.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 12, "station_id": 1, "title": "学习贯彻党的二十届四中全会精神",
    "body": "本周六上午 9 点在社区活动中心集中学习……", "category": "learning",
    "cover_url": "https://img.example.cn/covers/study.jpg", "pinned": true,
    "publish_at": "2026-12-01T00:00:00Z", "published": true, "activity_id": null, "author_id": 3,
    "created_at": "2026-11-30T02:00:00Z", "updated_at": "2026-11-30T02:00:00Z",
    "allowed_actions": ["edit", "delete"], "photos": []
}))]
pub struct AnnouncementResponse {
    pub id: i32,
    /// `null` for a platform-wide announcement.
    pub station_id: Option<i32>,
    pub title: String,
    pub body: String,
    pub category: AnnouncementCategory,
    pub cover_url: Option<String>,
    pub pinned: bool,
    pub publish_at: DateTime<Utc>,
    /// Whether readers see it now (`publish_at` has come).
    pub published: bool,
    /// The activity whose record this news reports.
    pub activity_id: Option<i32>,
    pub author_id: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What the caller may do (staff of its station, or an admin).
    #[schema(value_type = Vec<AnnouncementAction>)]
    pub allowed_actions: Vec<&'static str>,
    /// Files attached when it was published (`attachment_ids`).
    pub photos: Vec<crate::uploads::types::UploadPhoto>,
}

/// Filters of `GET /announcements`.
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AnnouncementFilter {
    /// Only this station's announcements (platform-wide ones have no station).
    pub station_id: Option<i32>,
    pub category: Option<AnnouncementCategory>,
    /// Staff also see their station's scheduled (not yet published) announcements; ignored
    /// for everyone else.
    pub include_scheduled: Option<bool>,
}
