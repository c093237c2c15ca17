//! The closed sets of values stored in text columns (statuses, kinds, sources). Each is stored as
//! its snake_case name, the same string the API shows, so the column type is plain text on both
//! databases and no data migration is needed when a value is added.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed by the resident, waiting for the station to review it.
    Submitted,
    /// Open to every volunteer of the station; the first to accept wins.
    Open,
    /// Dispatched to one volunteer or a team, waiting for them to accept.
    Assigned,
    /// A volunteer took it.
    Accepted,
    /// The volunteer is serving.
    InService,
    /// Served; waiting for the resident's rating.
    Completed,
    /// Rated by the resident (or auto-confirmed after 7 days); hours credited.
    Rated,
    /// Refused by the station.
    Rejected,
    /// Cancelled by the resident or the station.
    Cancelled,
    /// Open past its deadline with nobody accepting.
    Expired,
}

/// The group an order or activity serves (重点人群).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FocusGroup {
    /// 留守儿童
    LeftBehindChildren,
    /// 困境儿童
    VulnerableChildren,
    /// 老年人
    Elderly,
    /// 返乡农民工
    MigrantWorkers,
}

/// Why a resident gave 1 or 2 stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ReasonTag {
    Late,
    Attitude,
    NotSolved,
    Other,
}

/// Where the follow-up call (回访) after a low rating stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum FollowUpStatus {
    Pending,
    Done,
}

/// Where an activity is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ActivityStatus {
    Draft,
    PendingApproval,
    Published,
    Ongoing,
    Finished,
    Archived,
    Cancelled,
}

/// What kind of activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// 实践活动
    Practice,
    /// 业务培训 (leave needs a reason category and the director)
    Training,
    /// 宣讲
    Lecture,
    /// 会议
    Meeting,
}

impl ActivityKind {
    /// The kinds that count as a practice activity (实践活动) for the rule "at least one practice
    /// activity a month": trainings, lectures and meetings do not.
    pub const PRACTICE: [ActivityKind; 1] = [ActivityKind::Practice];

    pub fn is_practice(self) -> bool {
        Self::PRACTICE.contains(&self)
    }
}

/// Who may sign up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Anyone with an account.
    Public,
    /// Holders of the volunteer role.
    Volunteers,
    /// Users whose home station is the activity's station.
    Members,
}

/// A sign-up's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SignupStatus {
    Confirmed,
    Waitlisted,
    Cancelled,
}

/// A confirmed sign-up's attendance, set when the record confirms attendance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    /// Checked in.
    Attended,
    /// Approved leave.
    Excused,
    /// Neither checked in nor on approved leave.
    Absent,
}

/// Where a leave request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum LeaveStatus {
    Pending,
    Approved,
    Rejected,
    Withdrawn,
    /// Closed because the activity was cancelled.
    Cancelled,
    /// Still pending when the activity started; closed by the job sweep.
    Expired,
}

/// Why a person asks for leave; required for trainings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ReasonCategory {
    Illness,
    OfficialDuty,
    FamilyEmergency,
    /// Explained in `reason`.
    Other,
}

/// Where a volunteer comes from (product rule 8 and the station's work rules: community staff
/// and community collective enterprises; retired cultural workers, model figures, art
/// volunteers, college students, returning entrepreneurs and party members).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum VolunteerSource {
    /// 社区工作者
    CommunityStaff,
    /// 社区集体企业单位
    CommunityEnterprises,
    /// 退休文化工作者
    RetiredCulturalWorkers,
    /// 道德模范、身边好人
    ModelFigures,
    /// 文艺志愿者
    ArtVolunteers,
    /// 大学生
    CollegeStudents,
    /// 返乡创业人员
    ReturningEntrepreneurs,
    /// 党员
    PartyMembers,
}

/// Where a volunteer application is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    Pending,
    Approved,
    Rejected,
}

/// Where confirmed hours come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum HoursSource {
    /// A service order, confirmed when rated or auto-confirmed.
    Order,
    /// An activity's attendance, confirmed by the host with the record.
    Activity,
    /// A staff correction (may be negative).
    Correction,
}

/// Where a station's annual plan (年度活动方案) is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Being written (also after the director sent it back).
    Draft,
    /// Submitted, waiting for the director.
    PendingApproval,
    /// Approved by the director: the station's plan for the year (at most one per year).
    Approved,
}

/// Where an inspection (督查) stands: open until the supervisor closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum InspectionStatus {
    /// Filed; the station rectifies its items.
    Open,
    /// Closed by a supervisor once every item was rectified.
    Closed,
}

/// Where a rectification item (整改事项) of an inspection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum InspectionItemStatus {
    /// Still to be rectified.
    Open,
    /// Rectified by the station's staff, with a note.
    Rectified,
}

/// Who a commendation (先进评选) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum NomineeKind {
    /// An outstanding volunteer (优秀志愿者).
    Volunteer,
    /// An outstanding volunteer team (优秀志愿服务队).
    Team,
}

/// Where a commendation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CommendationStatus {
    /// Nominated by the secretary, waiting for the director.
    Pending,
    /// Approved by the director and under public notice (公示) until `notice_ends_at`.
    Notice,
    /// The notice ended with every objection answered: the commendation stands.
    Final,
    /// Rejected by the director (before or during the notice).
    Rejected,
}

/// What an announcement is (rule 11: news and learning content pushed to residents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AnnouncementCategory {
    /// 新闻动态 (an activity's record reported as news, among others)
    News,
    /// 学习内容 (理论学习)
    Learning,
    /// 通知公告
    Notice,
}
