use sea_orm::entity::prelude::*;

use crate::enums::{ActivityKind, ActivityStatus, Audience, FocusGroup};

/// An activity (活动) of a station: drafted by a secretary, approved by the director, signed up
/// for, checked in to, and archived with its record.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub station_id: i32,
    pub title: String,
    pub kind: ActivityKind,
    pub platform_id: i32,
    pub description: String,
    pub location: String,
    pub theme: Option<String>,
    pub focus_group: Option<FocusGroup>,
    pub plan_id: Option<i32>,
    /// The item of the plan this activity carries out, if any.
    pub plan_item_id: Option<i32>,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub capacity: i32,
    pub signup_opens_at: Option<DateTimeUtc>,
    pub signup_closes_at: Option<DateTimeUtc>,
    pub audience: Audience,
    pub host_id: i32,
    pub created_by: i32,
    pub status: ActivityStatus,
    /// Confirmed sign-ups; only changed by guarded updates (`< capacity`).
    pub confirmed_count: i32,
    /// The last waitlist position handed out.
    pub waitlist_seq: i32,
    pub reject_reason: Option<String>,
    pub cancel_reason: Option<String>,
    pub approved_by: Option<i32>,
    pub published_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    /// SHA-256 (hex) of `"{id}:{code}"`; the current check-in code itself is never stored.
    pub checkin_code_hash: Option<String>,
    pub checkin_code_expires_at: Option<DateTimeUtc>,
    /// The optional geofence of the current code: centre and radius in metres.
    #[sea_orm(column_type = "Double", nullable)]
    pub checkin_latitude: Option<f64>,
    #[sea_orm(column_type = "Double", nullable)]
    pub checkin_longitude: Option<f64>,
    pub checkin_radius_m: Option<i32>,
    pub record_summary: Option<String>,
    pub record_minutes: Option<String>,
    pub record_materials: Option<String>,
    pub attendance_confirmed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
