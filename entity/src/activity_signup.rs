use sea_orm::entity::prelude::*;

use crate::enums::{Attendance, LeaveStatus, SignupStatus};

/// One person's sign-up (报名) for an activity; unique per (activity, user).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_signups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub activity_id: i32,
    pub user_id: i32,
    pub status: SignupStatus,
    /// The waitlist number handed out when the sign-up was waitlisted (1, 2, …).
    pub waitlist_seq: Option<i32>,
    pub checked_in_at: Option<DateTimeUtc>,
    pub checked_out_at: Option<DateTimeUtc>,
    /// The latest leave request's status.
    pub leave_status: Option<LeaveStatus>,
    /// Set when attendance is confirmed (or leave approved).
    pub attendance: Option<Attendance>,
    /// Credited minutes, set when attendance is confirmed.
    pub minutes: Option<i32>,
    pub cancelled_at: Option<DateTimeUtc>,
    /// The staff member who signed the person up (代报名); `None` for one's own sign-up.
    pub signed_up_by: Option<i32>,
    /// The host or staff member who marked the person present by hand (no phone); `None` when
    /// the person checked in with the code.
    pub checkin_marked_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
