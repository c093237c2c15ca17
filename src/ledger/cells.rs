//! The flat, printable form of ledger rows: Chinese column headers and widths, and each row as
//! cells (text, whole numbers, times), shared by the CSV and the workbook.

use chrono::{DateTime, NaiveDate, Utc};

use super::types::*;
use crate::clock::CHINA;

/// One cell of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(i64),
    /// Shown in China time.
    Time(DateTime<Utc>),
    Empty,
}

impl Cell {
    fn text(value: impl Into<String>) -> Self {
        Cell::Text(value.into())
    }

    fn opt_text(value: Option<impl Into<String>>) -> Self {
        value.map_or(Cell::Empty, |v| Cell::Text(v.into()))
    }

    fn opt_number(value: Option<impl Into<i64>>) -> Self {
        value.map_or(Cell::Empty, |v| Cell::Number(v.into()))
    }

    fn opt_time(value: Option<DateTime<Utc>>) -> Self {
        value.map_or(Cell::Empty, Cell::Time)
    }

    /// The cell as CSV text: times as `YYYY-MM-DD HH:MM:SS` in China time.
    pub fn to_csv(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Time(t) => t.with_timezone(&CHINA).format("%Y-%m-%d %H:%M:%S").to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// The Excel serial date-time (days since 1899-12-30) of a moment, in China time.
pub fn excel_serial(at: DateTime<Utc>) -> f64 {
    let local = at.with_timezone(&CHINA).naive_local();
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    (local - epoch).num_milliseconds() as f64 / 86_400_000.0
}

/// A column: its Chinese header and its width in characters.
pub struct Column(pub &'static str, pub f64);

/// A row that prints as cells under fixed columns.
pub trait LedgerRow {
    const COLUMNS: &'static [Column];
    fn cells(&self) -> Vec<Cell>;
}

fn yes_no(value: bool) -> Cell {
    Cell::text(if value { "是" } else { "否" })
}

pub fn kind_label(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Practice => "实践活动",
        ActivityKind::Training => "业务培训",
        ActivityKind::Lecture => "宣讲",
        ActivityKind::Meeting => "会议",
    }
}

pub fn activity_status_label(status: ActivityStatus) -> &'static str {
    match status {
        ActivityStatus::Draft => "草稿",
        ActivityStatus::PendingApproval => "待审批",
        ActivityStatus::Published => "已发布",
        ActivityStatus::Ongoing => "进行中",
        ActivityStatus::Finished => "已结束",
        ActivityStatus::Archived => "已归档",
        ActivityStatus::Cancelled => "已取消",
    }
}

pub fn focus_group_label(group: FocusGroup) -> &'static str {
    match group {
        FocusGroup::LeftBehindChildren => "留守儿童",
        FocusGroup::VulnerableChildren => "困境儿童",
        FocusGroup::Elderly => "老年人",
        FocusGroup::MigrantWorkers => "返乡农民工",
    }
}

fn signup_status_label(status: SignupStatus) -> &'static str {
    match status {
        SignupStatus::Confirmed => "已确认",
        SignupStatus::Waitlisted => "候补",
        SignupStatus::Cancelled => "已取消",
    }
}

fn attendance_label(attendance: Attendance) -> &'static str {
    match attendance {
        Attendance::Attended => "出席",
        Attendance::Excused => "请假",
        Attendance::Absent => "缺席",
    }
}

pub fn leave_status_label(status: LeaveStatus) -> &'static str {
    match status {
        LeaveStatus::Pending => "待审批",
        LeaveStatus::Approved => "已批准",
        LeaveStatus::Rejected => "已驳回",
        LeaveStatus::Withdrawn => "已撤回",
        LeaveStatus::Cancelled => "活动取消",
        LeaveStatus::Expired => "已过期",
    }
}

fn reason_category_label(category: ReasonCategory) -> &'static str {
    match category {
        ReasonCategory::Illness => "生病",
        ReasonCategory::OfficialDuty => "公务",
        ReasonCategory::FamilyEmergency => "家中急事",
        ReasonCategory::Other => "其他",
    }
}

pub fn order_status_label(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Submitted => "待审核",
        OrderStatus::Open => "待接单",
        OrderStatus::Assigned => "已派单",
        OrderStatus::Accepted => "已接单",
        OrderStatus::InService => "服务中",
        OrderStatus::Completed => "已完成",
        OrderStatus::Rated => "已评价",
        OrderStatus::Rejected => "已驳回",
        OrderStatus::Cancelled => "已取消",
        OrderStatus::Expired => "已过期",
    }
}

fn follow_up_label(status: FollowUpStatus) -> &'static str {
    match status {
        FollowUpStatus::Pending => "待回访",
        FollowUpStatus::Done => "已回访",
    }
}

const TIME: f64 = 18.0;

impl LedgerRow for ActivityRow {
    const COLUMNS: &'static [Column] = &[
        Column("编号", 8.0),
        Column("活动名称", 30.0),
        Column("类型", 10.0),
        Column("状态", 8.0),
        Column("平台", 12.0),
        Column("主题", 16.0),
        Column("服务对象", 12.0),
        Column("主持人", 10.0),
        Column("开始时间", TIME),
        Column("结束时间", TIME),
        Column("地点", 20.0),
        Column("名额", 8.0),
        Column("报名人数", 10.0),
        Column("签到人数", 10.0),
        Column("活动纪要", 40.0),
        Column("活动材料", 24.0),
        Column("考勤确认时间", TIME),
    ];

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Number(self.id.into()),
            Cell::text(&self.title),
            Cell::text(kind_label(self.kind)),
            Cell::text(activity_status_label(self.status)),
            Cell::text(&self.platform_name),
            Cell::opt_text(self.theme.as_deref()),
            Cell::opt_text(self.focus_group.map(focus_group_label)),
            Cell::text(&self.host_name),
            Cell::Time(self.starts_at),
            Cell::Time(self.ends_at),
            Cell::text(&self.location),
            Cell::Number(self.capacity.into()),
            Cell::Number(self.confirmed_count.into()),
            Cell::Number(self.attended_count),
            Cell::opt_text(self.record_summary.as_deref()),
            Cell::opt_text(self.record_materials.as_deref()),
            Cell::opt_time(self.attendance_confirmed_at),
        ]
    }
}

impl LedgerRow for AttendanceRow {
    const COLUMNS: &'static [Column] = &[
        Column("活动编号", 10.0),
        Column("活动名称", 30.0),
        Column("活动开始时间", TIME),
        Column("姓名", 10.0),
        Column("手机号", 14.0),
        Column("报名状态", 10.0),
        Column("签到时间", TIME),
        Column("签退时间", TIME),
        Column("手工签到", 10.0),
        Column("请假", 10.0),
        Column("考勤结果", 10.0),
        Column("计入时长（分钟）", 16.0),
    ];

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Number(self.activity_id.into()),
            Cell::text(&self.activity_title),
            Cell::Time(self.activity_starts_at),
            Cell::text(&self.name),
            Cell::text(&self.phone),
            Cell::text(signup_status_label(self.status)),
            Cell::opt_time(self.checked_in_at),
            Cell::opt_time(self.checked_out_at),
            yes_no(self.manual),
            Cell::opt_text(self.leave_status.map(leave_status_label)),
            Cell::opt_text(self.attendance.map(attendance_label)),
            Cell::opt_number(self.minutes),
        ]
    }
}

impl LedgerRow for TrainingRow {
    const COLUMNS: &'static [Column] = &[
        Column("编号", 8.0),
        Column("培训名称", 30.0),
        Column("状态", 8.0),
        Column("开始时间", TIME),
        Column("结束时间", TIME),
        Column("地点", 20.0),
        Column("主持人", 10.0),
        Column("报名人数", 10.0),
        Column("签到人数", 10.0),
        Column("准假人数", 10.0),
        Column("缺席人数", 10.0),
        Column("请假申请数", 12.0),
        Column("培训纪要", 40.0),
    ];

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Number(self.id.into()),
            Cell::text(&self.title),
            Cell::text(activity_status_label(self.status)),
            Cell::Time(self.starts_at),
            Cell::Time(self.ends_at),
            Cell::text(&self.location),
            Cell::text(&self.host_name),
            Cell::Number(self.confirmed_count.into()),
            Cell::Number(self.attended_count),
            Cell::Number(self.leave_approved_count),
            Cell::Number(self.absent_count),
            Cell::Number(self.leave_requests_count),
            Cell::opt_text(self.record_summary.as_deref()),
        ]
    }
}

impl LedgerRow for MeetingRow {
    const COLUMNS: &'static [Column] = &[
        Column("编号", 8.0),
        Column("会议名称", 30.0),
        Column("状态", 8.0),
        Column("开始时间", TIME),
        Column("结束时间", TIME),
        Column("地点", 20.0),
        Column("主持人", 10.0),
        Column("签到人数", 10.0),
        Column("会议纪要", 40.0),
        Column("会议记录", 40.0),
        Column("会议材料", 24.0),
    ];

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Number(self.id.into()),
            Cell::text(&self.title),
            Cell::text(activity_status_label(self.status)),
            Cell::Time(self.starts_at),
            Cell::Time(self.ends_at),
            Cell::text(&self.location),
            Cell::text(&self.host_name),
            Cell::Number(self.attended_count),
            Cell::opt_text(self.record_summary.as_deref()),
            Cell::opt_text(self.record_minutes.as_deref()),
            Cell::opt_text(self.record_materials.as_deref()),
        ]
    }
}

impl LedgerRow for OrderRow {
    const COLUMNS: &'static [Column] = &[
        Column("编号", 8.0),
        Column("服务内容", 30.0),
        Column("居民", 10.0),
        Column("志愿者", 10.0),
        Column("服务队", 16.0),
        Column("平台", 12.0),
        Column("服务对象", 12.0),
        Column("状态", 8.0),
        Column("完成时间", TIME),
        Column("服务时长（分钟）", 16.0),
        Column("评分", 8.0),
        Column("评价", 30.0),
        Column("自动确认", 10.0),
        Column("回访状态", 10.0),
        Column("回访结果", 30.0),
    ];

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Number(self.id.into()),
            Cell::text(&self.title),
            Cell::text(&self.resident_name),
            Cell::opt_text(self.volunteer_name.as_deref()),
            Cell::opt_text(self.team_name.as_deref()),
            Cell::text(&self.platform_name),
            Cell::opt_text(self.focus_group.map(focus_group_label)),
            Cell::text(order_status_label(self.status)),
            Cell::Time(self.completed_at),
            Cell::opt_number(self.service_minutes),
            Cell::opt_number(self.stars),
            Cell::opt_text(self.rating_comment.as_deref()),
            yes_no(self.auto_confirmed),
            Cell::opt_text(self.follow_up_status.map(follow_up_label)),
            Cell::opt_text(self.follow_up_outcome.as_deref()),
        ]
    }
}

impl LedgerRow for LeaveRow {
    const COLUMNS: &'static [Column] = &[
        Column("编号", 8.0),
        Column("申请人", 10.0),
        Column("活动编号", 10.0),
        Column("活动名称", 30.0),
        Column("请假类别", 10.0),
        Column("请假原因", 30.0),
        Column("审批结果", 10.0),
        Column("审批人", 10.0),
        Column("审批时间", TIME),
        Column("审批意见", 24.0),
    ];

    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::Number(self.id.into()),
            Cell::text(&self.requester_name),
            Cell::Number(self.activity_id.into()),
            Cell::text(&self.activity_title),
            Cell::opt_text(self.reason_category.map(reason_category_label)),
            Cell::text(&self.reason),
            Cell::text(leave_status_label(self.status)),
            Cell::opt_text(self.decided_by_name.as_deref()),
            Cell::Time(self.decided_at),
            Cell::opt_text(self.comment.as_deref()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn excel_serials_count_days_from_1899_12_30_in_china_time() {
        // 2026-01-01 00:00 in China is 2025-12-31 16:00 UTC; Excel's serial of 2026-01-01 is 46023.
        let at = Utc
            .with_ymd_and_hms(2025, 12, 31, 16, 0, 0)
            .single()
            .unwrap_or_default();
        assert!((excel_serial(at) - 46023.0).abs() < 1e-9);
        let noon = Utc.with_ymd_and_hms(2026, 1, 1, 4, 0, 0).single().unwrap_or_default();
        assert!((excel_serial(noon) - 46023.5).abs() < 1e-9);
    }

    #[test]
    fn csv_times_are_china_local() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 1, 30, 0).single().unwrap_or_default();
        assert_eq!(Cell::Time(at).to_csv(), "2026-03-01 09:30:00");
    }
}
