//! Who may read a station's ledger, and the ledger's rows, read from the database in pages.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entity::{activity, activity_signup, leave_request, order, platform, station, team, user};
use sea_orm::{Condition, ConnectionTrait, FromQueryResult, QueryOrder, QuerySelect, Value, prelude::*};

use super::cells::{Cell, LedgerRow};
use super::types::*;
use crate::activities::state::effective_status;
use crate::clock::CHINA;
use crate::http::{AppError, AppResult, AuthUser};
use crate::orders::service::mask_phone;

/// The station and year a ledger covers.
#[derive(Debug, Clone)]
pub struct Scope {
    pub station_id: i32,
    pub station_name: String,
    pub year: i32,
    /// 1 January of the year, 00:00 China time.
    pub from: DateTime<Utc>,
    /// 1 January of the next year, 00:00 China time.
    pub to: DateTime<Utc>,
    /// When the ledger is made (an activity past its start shows as ongoing).
    pub now: DateTime<Utc>,
    /// Rows read from the database at a time (`LEDGER_PAGE_ROWS`).
    pub page_rows: u64,
}

fn new_year(year: i32) -> AppResult<DateTime<Utc>> {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| CHINA.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| AppError::invalid_field("year", "年份不合法"))
}

/// The station whose ledger the caller may read: staff their own (403 `OTHER_STATION` for
/// another), supervisors and admins the one they name (422 `STATION_REQUIRED` without one);
/// residents and volunteers none (403).
pub async fn scope(
    db: &impl ConnectionTrait,
    user: &AuthUser,
    named: Option<i32>,
    year: i32,
    now: DateTime<Utc>,
    page_rows: u64,
) -> AppResult<Scope> {
    let station_id = user.one_listed_station(named)?;
    user.require_oversight_of(station_id)?;
    let station = station::Entity::find_by_id(station_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("实践站不存在"))?;
    Ok(Scope {
        station_id,
        station_name: station.name,
        year,
        from: new_year(year)?,
        to: new_year(year + 1)?,
        now,
        page_rows,
    })
}

/// Where the previous page ended: the sort value and the id of its last row.
pub type Cursor = Option<(Value, i32)>;

/// Rows after `cursor` in the order (`first`, `id`), as one row-value comparison so that an
/// index on (`first`, `id`) bounds the scan (an `OR` of the two cases would not).
fn after(first: impl ColumnTrait, id: impl ColumnTrait, cursor: &Cursor) -> Condition {
    use sea_orm::sea_query::{Expr, ExprTrait};
    match cursor {
        None => Condition::all(),
        Some((value, last_id)) => Condition::all().add(
            Expr::tuple([Expr::col(first.as_column_ref()), Expr::col(id.as_column_ref())])
                .gt(Expr::tuple([Expr::val(value.clone()), Expr::val(*last_id)])),
        ),
    }
}

/// The ledger's activities: published ones of the station starting in the year.
fn year_activities(scope: &Scope) -> Condition {
    Condition::all()
        .add(activity::Column::StationId.eq(scope.station_id))
        .add(activity::Column::StartsAt.gte(scope.from))
        .add(activity::Column::StartsAt.lt(scope.to))
        .add(activity::Column::PublishedAt.is_not_null())
}

async fn activity_page(
    db: &impl ConnectionTrait,
    scope: &Scope,
    kind: Option<ActivityKind>,
    cursor: &Cursor,
) -> AppResult<Vec<activity::Model>> {
    let mut query = activity::Entity::find().filter(year_activities(scope)).filter(after(
        activity::Column::StartsAt,
        activity::Column::Id,
        cursor,
    ));
    if let Some(kind) = kind {
        query = query.filter(activity::Column::Kind.eq(kind));
    }
    Ok(query
        .order_by_asc(activity::Column::StartsAt)
        .order_by_asc(activity::Column::Id)
        .limit(scope.page_rows)
        .all(db)
        .await?)
}

/// The names of the users `ids` (the only column the ledger shows of staff and residents).
async fn users(db: &impl ConnectionTrait, ids: impl IntoIterator<Item = i32>) -> AppResult<HashMap<i32, String>> {
    let mut ids: Vec<i32> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::Name])
        .filter(user::Column::Id.is_in(ids))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

fn name_of(users: &HashMap<i32, String>, id: i32) -> String {
    users.get(&id).cloned().unwrap_or_default()
}

async fn platform_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i32>,
) -> AppResult<HashMap<i32, String>> {
    let ids: Vec<i32> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(platform::Entity::find()
        .filter(platform::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct PerActivity {
    activity_id: i32,
    n: i64,
}

/// Sign-ups per activity of `ids` that meet `condition`.
async fn signups_per_activity(
    db: &impl ConnectionTrait,
    ids: &[i32],
    condition: Condition,
) -> AppResult<HashMap<i32, i64>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = activity_signup::Entity::find()
        .select_only()
        .column(activity_signup::Column::ActivityId)
        .column_as(activity_signup::Column::Id.count(), "n")
        .filter(activity_signup::Column::ActivityId.is_in(ids.to_vec()))
        .filter(condition)
        .group_by(activity_signup::Column::ActivityId)
        .into_model::<PerActivity>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.activity_id, r.n)).collect())
}

/// Confirmed sign-ups that checked in (or were marked present).
fn attended() -> Condition {
    Condition::all()
        .add(activity_signup::Column::Status.eq(SignupStatus::Confirmed))
        .add(activity_signup::Column::CheckedInAt.is_not_null())
}

/// What every activity section needs beside the activity rows.
struct ActivityFacts {
    hosts: HashMap<i32, String>,
    attended: HashMap<i32, i64>,
}

async fn activity_facts(db: &impl ConnectionTrait, models: &[activity::Model]) -> AppResult<ActivityFacts> {
    let ids: Vec<i32> = models.iter().map(|a| a.id).collect();
    Ok(ActivityFacts {
        hosts: users(db, models.iter().map(|a| a.host_id)).await?,
        attended: signups_per_activity(db, &ids, attended()).await?,
    })
}

fn time_cursor(at: DateTime<Utc>, id: i32) -> Cursor {
    Some((at.into(), id))
}

/// One page of the 活动 section, and where the next begins.
pub async fn activities(
    db: &impl ConnectionTrait,
    scope: &Scope,
    cursor: &Cursor,
) -> AppResult<(Vec<ActivityRow>, Cursor)> {
    let models = activity_page(db, scope, None, cursor).await?;
    let next = models.last().and_then(|a| time_cursor(a.starts_at, a.id));
    let facts = activity_facts(db, &models).await?;
    let platforms = platform_names(db, models.iter().map(|a| a.platform_id)).await?;
    let rows = models
        .into_iter()
        .map(|a| ActivityRow {
            status: effective_status(a.status, a.starts_at, scope.now),
            platform_name: platforms.get(&a.platform_id).cloned().unwrap_or_default(),
            host_name: name_of(&facts.hosts, a.host_id),
            attended_count: facts.attended.get(&a.id).copied().unwrap_or(0),
            id: a.id,
            title: a.title,
            kind: a.kind,
            theme: a.theme,
            focus_group: a.focus_group,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            location: a.location,
            capacity: a.capacity,
            confirmed_count: a.confirmed_count,
            record_summary: a.record_summary,
            record_materials: a.record_materials,
            attendance_confirmed_at: a.attendance_confirmed_at,
        })
        .collect();
    Ok((rows, next))
}

/// One page of the 培训 section.
pub async fn trainings(
    db: &impl ConnectionTrait,
    scope: &Scope,
    cursor: &Cursor,
) -> AppResult<(Vec<TrainingRow>, Cursor)> {
    let models = activity_page(db, scope, Some(ActivityKind::Training), cursor).await?;
    let next = models.last().and_then(|a| time_cursor(a.starts_at, a.id));
    let ids: Vec<i32> = models.iter().map(|a| a.id).collect();
    let facts = activity_facts(db, &models).await?;
    let excused = signups_per_activity(
        db,
        &ids,
        // Approved leave cancels the sign-up (freeing the place) and marks it excused.
        Condition::all().add(activity_signup::Column::Attendance.eq(Attendance::Excused)),
    )
    .await?;
    let absent = signups_per_activity(
        db,
        &ids,
        Condition::all().add(activity_signup::Column::Attendance.eq(Attendance::Absent)),
    )
    .await?;
    let requests: HashMap<i32, i64> = if ids.is_empty() {
        HashMap::new()
    } else {
        leave_request::Entity::find()
            .select_only()
            .column(leave_request::Column::ActivityId)
            .column_as(leave_request::Column::Id.count(), "n")
            .filter(leave_request::Column::ActivityId.is_in(ids.clone()))
            .group_by(leave_request::Column::ActivityId)
            .into_model::<PerActivity>()
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.activity_id, r.n))
            .collect()
    };
    let count = |map: &HashMap<i32, i64>, id: i32| map.get(&id).copied().unwrap_or(0);
    let rows = models
        .into_iter()
        .map(|a| TrainingRow {
            status: effective_status(a.status, a.starts_at, scope.now),
            host_name: name_of(&facts.hosts, a.host_id),
            attended_count: count(&facts.attended, a.id),
            leave_approved_count: count(&excused, a.id),
            absent_count: count(&absent, a.id),
            leave_requests_count: count(&requests, a.id),
            id: a.id,
            title: a.title,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            location: a.location,
            confirmed_count: a.confirmed_count,
            record_summary: a.record_summary,
        })
        .collect();
    Ok((rows, next))
}

/// One page of the 会议 section.
pub async fn meetings(
    db: &impl ConnectionTrait,
    scope: &Scope,
    cursor: &Cursor,
) -> AppResult<(Vec<MeetingRow>, Cursor)> {
    let models = activity_page(db, scope, Some(ActivityKind::Meeting), cursor).await?;
    let next = models.last().and_then(|a| time_cursor(a.starts_at, a.id));
    let facts = activity_facts(db, &models).await?;
    let rows = models
        .into_iter()
        .map(|a| MeetingRow {
            status: effective_status(a.status, a.starts_at, scope.now),
            host_name: name_of(&facts.hosts, a.host_id),
            attended_count: facts.attended.get(&a.id).copied().unwrap_or(0),
            id: a.id,
            title: a.title,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            location: a.location,
            record_summary: a.record_summary,
            record_minutes: a.record_minutes,
            record_materials: a.record_materials,
        })
        .collect();
    Ok((rows, next))
}

/// A sign-up with what its 签到名单 row shows of its activity and person.
#[derive(Debug, FromQueryResult)]
struct SignupLine {
    id: i32,
    activity_id: i32,
    user_id: i32,
    status: SignupStatus,
    checked_in_at: Option<DateTime<Utc>>,
    checked_out_at: Option<DateTime<Utc>>,
    checkin_marked_by: Option<i32>,
    leave_status: Option<LeaveStatus>,
    attendance: Option<Attendance>,
    minutes: Option<i32>,
    activity_title: String,
    activity_starts_at: DateTime<Utc>,
    name: Option<String>,
    phone: Option<String>,
}

/// One page of the 签到名单 section: sign-ups of the ledger's activities, by activity. One
/// query joins the activity and the person and reads only the columns the row shows: this
/// section has as many rows as the year has sign-ups.
pub async fn attendance(
    db: &impl ConnectionTrait,
    scope: &Scope,
    cursor: &Cursor,
) -> AppResult<(Vec<AttendanceRow>, Cursor)> {
    use activity_signup::Column as S;
    use sea_orm::JoinType;
    let lines = activity_signup::Entity::find()
        .select_only()
        .columns([
            S::Id,
            S::ActivityId,
            S::UserId,
            S::Status,
            S::CheckedInAt,
            S::CheckedOutAt,
            S::CheckinMarkedBy,
            S::LeaveStatus,
            S::Attendance,
            S::Minutes,
        ])
        .column_as(activity::Column::Title, "activity_title")
        .column_as(activity::Column::StartsAt, "activity_starts_at")
        .column_as(user::Column::Name, "name")
        .column_as(user::Column::Phone, "phone")
        .join(
            JoinType::InnerJoin,
            activity_signup::Entity::belongs_to(activity::Entity)
                .from(S::ActivityId)
                .to(activity::Column::Id)
                .into(),
        )
        .join(
            JoinType::LeftJoin,
            activity_signup::Entity::belongs_to(user::Entity)
                .from(S::UserId)
                .to(user::Column::Id)
                .into(),
        )
        .filter(year_activities(scope))
        .filter(after(S::ActivityId, S::Id, cursor))
        .order_by_asc(S::ActivityId)
        .order_by_asc(S::Id)
        .limit(scope.page_rows)
        .into_model::<SignupLine>()
        .all(db)
        .await?;
    let next = lines.last().map(|s| (Value::from(s.activity_id), s.id));
    let rows = lines
        .into_iter()
        .map(|s| AttendanceRow {
            signup_id: s.id,
            activity_id: s.activity_id,
            activity_title: s.activity_title,
            activity_starts_at: s.activity_starts_at,
            user_id: s.user_id,
            name: s.name.unwrap_or_default(),
            phone: s.phone.as_deref().map(mask_phone).unwrap_or_default(),
            status: s.status,
            checked_in_at: s.checked_in_at,
            checked_out_at: s.checked_out_at,
            manual: s.checkin_marked_by.is_some(),
            leave_status: s.leave_status,
            attendance: s.attendance,
            minutes: s.minutes,
        })
        .collect();
    Ok((rows, next))
}

/// One page of the 服务订单 section: orders of the station completed in the year.
pub async fn orders(db: &impl ConnectionTrait, scope: &Scope, cursor: &Cursor) -> AppResult<(Vec<OrderRow>, Cursor)> {
    let models = order::Entity::find()
        .filter(order::Column::StationId.eq(scope.station_id))
        .filter(order::Column::Status.is_in([OrderStatus::Completed, OrderStatus::Rated]))
        .filter(order::Column::CompletedAt.gte(scope.from))
        .filter(order::Column::CompletedAt.lt(scope.to))
        .filter(after(order::Column::CompletedAt, order::Column::Id, cursor))
        .order_by_asc(order::Column::CompletedAt)
        .order_by_asc(order::Column::Id)
        .limit(scope.page_rows)
        .all(db)
        .await?;
    let next = models
        .last()
        .and_then(|o| o.completed_at.and_then(|at| time_cursor(at, o.id)));
    let people = users(
        db,
        models
            .iter()
            .flat_map(|o| std::iter::once(o.resident_id).chain(o.volunteer_id)),
    )
    .await?;
    let platforms = platform_names(db, models.iter().map(|o| o.platform_id)).await?;
    let team_ids: Vec<i32> = models.iter().filter_map(|o| o.team_id).collect();
    let teams: HashMap<i32, String> = if team_ids.is_empty() {
        HashMap::new()
    } else {
        team::Entity::find()
            .filter(team::Column::Id.is_in(team_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect()
    };
    let rows = models
        .into_iter()
        .filter_map(|o| {
            Some(OrderRow {
                completed_at: o.completed_at?,
                resident_name: name_of(&people, o.resident_id),
                volunteer_name: o.volunteer_id.map(|v| name_of(&people, v)),
                team_name: o.team_id.and_then(|t| teams.get(&t).cloned()),
                platform_name: platforms.get(&o.platform_id).cloned().unwrap_or_default(),
                id: o.id,
                title: o.title,
                focus_group: o.focus_group,
                status: o.status,
                service_minutes: o.service_minutes,
                stars: o.stars,
                rating_comment: o.rating_comment,
                auto_confirmed: o.auto_confirmed,
                follow_up_status: o.follow_up_status,
                follow_up_outcome: o.follow_up_outcome,
            })
        })
        .collect();
    Ok((rows, next))
}

/// One page of the 请假 section: the station's leave requests decided in the year.
pub async fn leave(db: &impl ConnectionTrait, scope: &Scope, cursor: &Cursor) -> AppResult<(Vec<LeaveRow>, Cursor)> {
    let models = leave_request::Entity::find()
        .filter(leave_request::Column::StationId.eq(scope.station_id))
        .filter(leave_request::Column::Status.is_in([LeaveStatus::Approved, LeaveStatus::Rejected]))
        .filter(leave_request::Column::DecidedAt.gte(scope.from))
        .filter(leave_request::Column::DecidedAt.lt(scope.to))
        .filter(after(
            leave_request::Column::DecidedAt,
            leave_request::Column::Id,
            cursor,
        ))
        .order_by_asc(leave_request::Column::DecidedAt)
        .order_by_asc(leave_request::Column::Id)
        .limit(scope.page_rows)
        .all(db)
        .await?;
    let next = models
        .last()
        .and_then(|l| l.decided_at.and_then(|at| time_cursor(at, l.id)));
    let people = users(
        db,
        models
            .iter()
            .flat_map(|l| std::iter::once(l.user_id).chain(l.decided_by)),
    )
    .await?;
    let titles: HashMap<i32, String> = activity::Entity::find()
        .filter(activity::Column::Id.is_in(models.iter().map(|l| l.activity_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.title))
        .collect();
    let rows = models
        .into_iter()
        .filter_map(|l| {
            Some(LeaveRow {
                decided_at: l.decided_at?,
                requester_name: name_of(&people, l.user_id),
                activity_title: titles.get(&l.activity_id).cloned().unwrap_or_default(),
                decided_by_name: l.decided_by.map(|d| name_of(&people, d)),
                id: l.id,
                activity_id: l.activity_id,
                reason_category: l.reason_category,
                reason: l.reason,
                status: l.status,
                comment: l.comment,
            })
        })
        .collect();
    Ok((rows, next))
}

/// A section read page by page as rows of cells.
pub struct SheetPages {
    sheet: LedgerSheet,
    cursor: Cursor,
    done: bool,
}

impl SheetPages {
    pub fn new(sheet: LedgerSheet) -> Self {
        Self {
            sheet,
            cursor: None,
            done: false,
        }
    }

    /// The next page's rows as cells, or `None` once the section is exhausted.
    pub async fn next(&mut self, db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Option<Vec<Vec<Cell>>>> {
        fn cells<R: LedgerRow>(rows: &[R]) -> Vec<Vec<Cell>> {
            rows.iter().map(LedgerRow::cells).collect()
        }
        if self.done {
            return Ok(None);
        }
        let cursor = &self.cursor;
        let (page, next) = match self.sheet {
            LedgerSheet::Activities => activities(db, scope, cursor).await.map(|(r, n)| (cells(&r), n))?,
            LedgerSheet::Attendance => attendance(db, scope, cursor).await.map(|(r, n)| (cells(&r), n))?,
            LedgerSheet::Trainings => trainings(db, scope, cursor).await.map(|(r, n)| (cells(&r), n))?,
            LedgerSheet::Meetings => meetings(db, scope, cursor).await.map(|(r, n)| (cells(&r), n))?,
            LedgerSheet::Orders => orders(db, scope, cursor).await.map(|(r, n)| (cells(&r), n))?,
            LedgerSheet::Leave => leave(db, scope, cursor).await.map(|(r, n)| (cells(&r), n))?,
        };
        self.done = (page.len() as u64) < scope.page_rows;
        self.cursor = next;
        Ok(Some(page))
    }
}

/// Every row of a section as typed rows (the JSON form).
async fn collect<R, F, Fut>(page_rows: u64, fetch: F) -> AppResult<Vec<R>>
where
    F: Fn(Cursor) -> Fut,
    Fut: std::future::Future<Output = AppResult<(Vec<R>, Cursor)>>,
{
    let mut all = Vec::new();
    let mut cursor: Cursor = None;
    loop {
        let (rows, next) = fetch(cursor).await?;
        let done = (rows.len() as u64) < page_rows;
        all.extend(rows);
        if done {
            return Ok(all);
        }
        cursor = next;
    }
}

/// The whole ledger as one JSON document.
pub async fn json(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<LedgerResponse> {
    let sheets = LedgerSheets {
        activities: collect(scope.page_rows, |c| async move { activities(db, scope, &c).await }).await?,
        attendance: collect(scope.page_rows, |c| async move { attendance(db, scope, &c).await }).await?,
        trainings: collect(scope.page_rows, |c| async move { trainings(db, scope, &c).await }).await?,
        meetings: collect(scope.page_rows, |c| async move { meetings(db, scope, &c).await }).await?,
        orders: collect(scope.page_rows, |c| async move { orders(db, scope, &c).await }).await?,
        leave: collect(scope.page_rows, |c| async move { leave(db, scope, &c).await }).await?,
    };
    Ok(LedgerResponse {
        year: scope.year,
        station_id: scope.station_id,
        station_name: scope.station_name.clone(),
        generated_at: scope.now,
        sheets,
    })
}

/// One section as CSV: a UTF-8 byte-order mark (so Excel reads the Chinese), the Chinese
/// header row, then the rows.
pub async fn csv(db: &impl ConnectionTrait, scope: &Scope, sheet: LedgerSheet) -> AppResult<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let failed = |e: csv::Error| AppError::internal(e);
    writer.write_record(headers(sheet)).map_err(failed)?;
    let mut pages = SheetPages::new(sheet);
    while let Some(page) = pages.next(db, scope).await? {
        for cells in page {
            writer.write_record(cells.iter().map(Cell::to_csv)).map_err(failed)?;
        }
    }
    writer
        .into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!("csv flush: {e}")))
}

/// The section's Chinese column headers.
pub fn headers(sheet: LedgerSheet) -> Vec<&'static str> {
    columns(sheet).iter().map(|c| c.0).collect()
}

/// The section's columns.
pub fn columns(sheet: LedgerSheet) -> &'static [super::cells::Column] {
    match sheet {
        LedgerSheet::Activities => ActivityRow::COLUMNS,
        LedgerSheet::Attendance => AttendanceRow::COLUMNS,
        LedgerSheet::Trainings => TrainingRow::COLUMNS,
        LedgerSheet::Meetings => MeetingRow::COLUMNS,
        LedgerSheet::Orders => OrderRow::COLUMNS,
        LedgerSheet::Leave => LeaveRow::COLUMNS,
    }
}
