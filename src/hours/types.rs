//! Response types of the hours endpoints.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

pub use entity::enums::HoursSource;

/// One confirmed entry of the ledger.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "source": "order", "source_id": 42, "minutes": 90, "station_id": 1,
    "note": "代买药品", "recorded_by": null, "confirmed_at": "2026-11-20T10:00:00Z",
    "starts_at": "2026-11-20T08:00:00Z", "ends_at": "2026-11-20T09:30:00Z"
}))]
pub struct HoursEntry {
    pub id: i32,
    pub source: HoursSource,
    /// The order or activity id (for a correction, the order or activity it corrects, if any).
    pub source_id: Option<i32>,
    /// Minutes credited; a correction may be negative.
    pub minutes: i32,
    /// The station that recorded the hours.
    pub station_id: i32,
    pub note: Option<String>,
    /// The staff member who recorded a correction.
    pub recorded_by: Option<i32>,
    pub confirmed_at: DateTime<Utc>,
    /// The time the entry covers: an activity's attended time ([check-in, check-out or the
    /// actual finish] within the scheduled time), or an order's service time ([completion −
    /// reported minutes, completion]). Minutes already credited for the same time by an
    /// earlier entry are not credited again, so `minutes` may be less than this interval.
    /// `null` for corrections.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
}

/// A volunteer's confirmed hours with their sources.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "total_minutes": 150, "total_hours": 2.5,
    "items": [{"id": 3, "source": "order", "source_id": 42, "minutes": 90, "station_id": 1,
               "note": "代买药品", "recorded_by": null, "confirmed_at": "2026-11-20T10:00:00Z",
               "starts_at": "2026-11-20T08:00:00Z", "ends_at": "2026-11-20T09:30:00Z"}],
    "page": 1, "page_size": 20, "total": 2
}))]
pub struct HoursResponse {
    /// Sum of all entries, in minutes.
    pub total_minutes: i64,
    /// The same in hours, rounded to two decimals.
    pub total_hours: f64,
    pub items: Vec<HoursEntry>,
    pub page: u64,
    pub page_size: u64,
    pub total: u64,
}

/// A staff correction of a volunteer's hours: a new entry, nothing is changed or deleted.
#[derive(Debug, serde::Deserialize, validator::Validate, ToSchema)]
#[schema(example = json!({"volunteer_id": 15, "minutes": -30, "reason": "重复登记，扣除 30 分钟", "order_id": 42}))]
pub struct CorrectionRequest {
    /// A volunteer of the caller's station; never the caller.
    pub volunteer_id: i32,
    /// Minutes to add (negative to take away), not zero. More than
    /// `HOURS_CORRECTION_DIRECTOR_MINUTES` (default 480) either way needs the director; the
    /// result may not take the volunteer's total, or the order's credit, below zero.
    #[schema(minimum = -14400, maximum = 14400)]
    #[validate(
        range(min = -14400, max = 14400, message = "更正时长须在 -14400 到 14400 分钟之间"),
        custom(function = "non_zero")
    )]
    pub minutes: i32,
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500, message = "原因须为 1 到 500 个字符"))]
    pub reason: String,
    /// The order the correction is about, if any (an order of the same station).
    pub order_id: Option<i32>,
}

fn non_zero(minutes: i32) -> Result<(), validator::ValidationError> {
    if minutes == 0 {
        Err(validator::ValidationError::new("non_zero").with_message("更正时长不能为 0".into()))
    } else {
        Ok(())
    }
}
