//! Response types of the hours endpoints.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where confirmed hours come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HoursSource {
    /// A service order, confirmed when rated or auto-confirmed.
    Order,
    /// An activity's attendance, confirmed by the host with the record.
    Activity,
    /// A staff correction (may be negative).
    Correction,
}

impl HoursSource {
    pub fn as_str(self) -> &'static str {
        match self {
            HoursSource::Order => "order",
            HoursSource::Activity => "activity",
            HoursSource::Correction => "correction",
        }
    }
}

/// One confirmed entry of the ledger.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3, "source": "order", "source_id": 42, "minutes": 90, "station_id": 1,
    "note": "代买药品", "recorded_by": null, "confirmed_at": "2026-11-20T10:00:00Z"
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
}

/// A volunteer's confirmed hours with their sources.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "total_minutes": 150, "total_hours": 2.5,
    "items": [{"id": 3, "source": "order", "source_id": 42, "minutes": 90, "station_id": 1,
               "note": "代买药品", "recorded_by": null, "confirmed_at": "2026-11-20T10:00:00Z"}],
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
