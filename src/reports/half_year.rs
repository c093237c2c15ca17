//! The half-year report (半年报告) a supervisor inspects: per station the overview of the half,
//! the monthly rule ("at least one practice activity held per month"), trainings, leave,
//! absences, open follow-ups and the inspections of the period, with a score to rank stations.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::enums::{ActivityKind, FollowUpStatus, InspectionItemStatus, LeaveStatus, SignupStatus};
use entity::{activity, activity_signup, inspection, inspection_item, leave_request, order, station};
use sea_orm::{Condition, ConnectionTrait, FromQueryResult, QueryOrder, QuerySelect, prelude::*, sea_query::ExprTrait};

use super::overview::{self, Period, china_midnight, held};
use super::types::*;
use crate::auth::roles::StationScope;
use crate::http::{AppError, AppResult};

/// Points for the monthly rule: `MONTH_POINTS × months met / months due` (all of them when no
/// month is due yet).
const MONTH_POINTS: i64 = 60;
/// Points when at least one training was held in the year up to the end of the half.
const TRAINING_POINTS: i64 = 20;
/// Points for follow-ups, less `FOLLOW_UP_PENALTY` per open one (never below 0).
const FOLLOW_UP_POINTS: i64 = 20;
const FOLLOW_UP_PENALTY: i64 = 5;

/// The score of a station's half year (0–100), see the constants above.
pub fn score(months_met: i64, months_missed: i64, trainings_held: i64, open_follow_ups: i64) -> i32 {
    let due = months_met + months_missed;
    let months = if due == 0 {
        MONTH_POINTS
    } else {
        MONTH_POINTS * months_met / due
    };
    let training = if trainings_held > 0 { TRAINING_POINTS } else { 0 };
    let follow_ups = std::cmp::Ord::max(FOLLOW_UP_POINTS - FOLLOW_UP_PENALTY * open_follow_ups, 0);
    i32::try_from(months + training + follow_ups).unwrap_or(0)
}

/// Whether a month met the rule, given the practice activities held in it.
pub fn month_status(practice_held: i64, month_end: DateTime<Utc>, now: DateTime<Utc>) -> MonthStatus {
    if practice_held > 0 {
        MonthStatus::Met
    } else if month_end <= now {
        MonthStatus::Missed
    } else {
        MonthStatus::Pending
    }
}

/// The first and last day of the half.
pub fn half_days(year: i32, half: i32) -> AppResult<(NaiveDate, NaiveDate)> {
    let bad = || AppError::invalid_field("half", "half 须为 1 或 2");
    let (first, last) = match half {
        1 => ((1, 1), (6, 30)),
        2 => ((7, 1), (12, 31)),
        _ => return Err(bad()),
    };
    let day = |(m, d)| NaiveDate::from_ymd_opt(year, m, d).ok_or_else(bad);
    Ok((day(first)?, day(last)?))
}

/// Practice activities (`ActivityKind::PRACTICE`) held per month of the half, one query.
async fn months(
    db: &impl ConnectionTrait,
    station_id: i32,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<Vec<HalfYearMonth>> {
    let months = overview::months(from, to);
    let period = overview::days(from, to)?;
    let practice = Condition::all().add(activity::Column::Kind.is_in(ActivityKind::PRACTICE));
    let counts = overview::held_per_month(db, station_id, &months, period, practice).await?;
    Ok(months
        .into_iter()
        .zip(counts)
        .map(|((month, part), practice_held)| HalfYearMonth {
            month,
            practice_held,
            status: month_status(practice_held, part.end, now),
        })
        .collect())
}

async fn trainings(db: &impl ConnectionTrait, station_id: i32, year: i32, until: NaiveDate) -> AppResult<i64> {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| AppError::invalid_field("year", "年份不正确"))?;
    let period = Period {
        start: china_midnight(from),
        end: china_midnight(until + Duration::days(1)),
    };
    let n = activity::Entity::find()
        .filter(held(station_id, period))
        .filter(activity::Column::Kind.eq(ActivityKind::Training))
        .count(db)
        .await?;
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

#[derive(FromQueryResult)]
struct ByStatus {
    key: LeaveStatus,
    n: i64,
}

async fn leave(db: &impl ConnectionTrait, station_id: i32, period: Period) -> AppResult<LeaveCounts> {
    let rows = leave_request::Entity::find()
        .select_only()
        .column_as(leave_request::Column::Status, "key")
        .column_as(leave_request::Column::Id.count().cast_as("bigint"), "n")
        .filter(leave_request::Column::StationId.eq(station_id))
        .filter(leave_request::Column::CreatedAt.gte(period.start))
        .filter(leave_request::Column::CreatedAt.lt(period.end))
        .group_by(leave_request::Column::Status)
        .into_model::<ByStatus>()
        .all(db)
        .await?;
    let mut out = LeaveCounts::default();
    for row in rows {
        let slot = match row.key {
            LeaveStatus::Pending => &mut out.pending,
            LeaveStatus::Approved => &mut out.approved,
            LeaveStatus::Rejected => &mut out.rejected,
            LeaveStatus::Withdrawn => &mut out.withdrawn,
            LeaveStatus::Expired => &mut out.expired,
            LeaveStatus::Cancelled => &mut out.cancelled,
        };
        *slot += row.n;
    }
    Ok(out)
}

/// Confirmed sign-ups of activities held in the period with no check-in and no approved leave.
async fn absences(db: &impl ConnectionTrait, station_id: i32, period: Period) -> AppResult<i64> {
    let n = activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.in_subquery(overview::held_ids(station_id, period)))
        .filter(activity_signup::Column::Status.eq(SignupStatus::Confirmed))
        .filter(activity_signup::Column::CheckedInAt.is_null())
        .filter(
            Condition::any()
                .add(activity_signup::Column::LeaveStatus.is_null())
                .add(activity_signup::Column::LeaveStatus.ne(LeaveStatus::Approved)),
        )
        .count(db)
        .await?;
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

async fn open_follow_ups(db: &impl ConnectionTrait, station_id: i32, period: Period) -> AppResult<i64> {
    let n = order::Entity::find()
        .filter(order::Column::StationId.eq(station_id))
        .filter(order::Column::CreatedAt.gte(period.start))
        .filter(order::Column::CreatedAt.lt(period.end))
        .filter(order::Column::FollowUpStatus.eq(FollowUpStatus::Pending))
        .count(db)
        .await?;
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

#[derive(FromQueryResult)]
struct OpenItems {
    inspection_id: i32,
    n: i64,
}

/// The station's inspections of the half, oldest first, with their open items.
async fn inspections(
    db: &impl ConnectionTrait,
    station_id: i32,
    year: i32,
    half: i32,
) -> AppResult<Vec<InspectionSummary>> {
    let rows = inspection::Entity::find()
        .filter(inspection::Column::StationId.eq(station_id))
        .filter(inspection::Column::Year.eq(year))
        .filter(inspection::Column::Half.eq(half))
        .order_by_asc(inspection::Column::Id)
        .all(db)
        .await?;
    let open: Vec<OpenItems> = inspection_item::Entity::find()
        .select_only()
        .column(inspection_item::Column::InspectionId)
        .column_as(inspection_item::Column::Id.count().cast_as("bigint"), "n")
        .filter(inspection_item::Column::InspectionId.is_in(rows.iter().map(|r| r.id).collect::<Vec<_>>()))
        .filter(inspection_item::Column::Status.eq(InspectionItemStatus::Open))
        .group_by(inspection_item::Column::InspectionId)
        .into_model()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| InspectionSummary {
            id: r.id,
            score: r.score,
            status: r.status,
            open_items: open.iter().filter(|o| o.inspection_id == r.id).map(|o| o.n).sum(),
            created_at: r.created_at,
        })
        .collect())
}

/// The station's plan for `year` (the approved one, else the latest written) with its items in
/// the half.
async fn plan(db: &impl ConnectionTrait, station_id: i32, year: i32, half: i32) -> AppResult<Option<HalfYearPlan>> {
    use entity::{annual_plan, annual_plan_item};
    let of_year = annual_plan::Entity::find()
        .filter(annual_plan::Column::StationId.eq(station_id))
        .filter(annual_plan::Column::Year.eq(year));
    let approved = of_year
        .clone()
        .filter(annual_plan::Column::ApprovedYear.is_not_null())
        .one(db)
        .await?;
    let plan = match approved {
        Some(plan) => plan,
        None => match of_year.order_by_desc(annual_plan::Column::Id).one(db).await? {
            Some(plan) => plan,
            None => return Ok(None),
        },
    };
    let first_month = if half == 1 { 1 } else { 7 };
    let items_in_half = annual_plan_item::Entity::find()
        .filter(annual_plan_item::Column::PlanId.eq(plan.id))
        .filter(annual_plan_item::Column::Month.between(first_month, first_month + 5))
        .count(db)
        .await?;
    Ok(Some(HalfYearPlan {
        plan_id: plan.id,
        status: plan.status,
        late: plan.late,
        items_in_half: i64::try_from(items_in_half).unwrap_or(i64::MAX),
    }))
}

/// One station's half year.
#[tracing::instrument(skip_all, fields(station_id = station.id, year, half))]
pub async fn station_report(
    db: &impl ConnectionTrait,
    station: &station::Model,
    year: i32,
    half: i32,
    now: DateTime<Utc>,
) -> AppResult<StationHalfYear> {
    let (from, to) = half_days(year, half)?;
    let period = overview::days(from, to)?;
    let months = months(db, station.id, from, to, now).await?;
    let count = |status: MonthStatus| i64::try_from(months.iter().filter(|m| m.status == status).count()).unwrap_or(0);
    let (months_met, months_missed, months_pending) = (
        count(MonthStatus::Met),
        count(MonthStatus::Missed),
        count(MonthStatus::Pending),
    );
    let trainings_held = trainings(db, station.id, year, to).await?;
    let open_follow_ups = open_follow_ups(db, station.id, period).await?;
    Ok(StationHalfYear {
        station_id: station.id,
        station_name: station.name.clone(),
        score: score(months_met, months_missed, trainings_held, open_follow_ups),
        overview: overview::overview(db, station.id, from, to).await?,
        plan: plan(db, station.id, year, half).await?,
        months,
        months_met,
        months_missed,
        months_pending,
        trainings_held,
        leave: leave(db, station.id, period).await?,
        absences: absences(db, station.id, period).await?,
        open_follow_ups,
        inspections: inspections(db, station.id, year, half).await?,
    })
}

/// The report over `stations`, best score first, ties by station id.
pub async fn report(
    db: &impl ConnectionTrait,
    stations: &[station::Model],
    year: i32,
    half: i32,
    now: DateTime<Utc>,
) -> AppResult<HalfYearReport> {
    let mut out = Vec::with_capacity(stations.len());
    for station in stations {
        out.push(station_report(db, station, year, half, now).await?);
    }
    out.sort_by(|a, b| b.score.cmp(&a.score).then(a.station_id.cmp(&b.station_id)));
    Ok(HalfYearReport {
        year,
        half,
        stations: out,
    })
}

/// The stations a report covers (the caller's scope, from `AuthUser::listing_station`); a named
/// station that does not exist is 422.
pub async fn stations(db: &impl ConnectionTrait, scope: &StationScope) -> AppResult<Vec<station::Model>> {
    let found = station::Entity::find()
        .filter(scope.condition(station::Column::Id))
        .order_by_asc(station::Column::Id)
        .all(db)
        .await?;
    if matches!(scope, StationScope::One(_)) && found.is_empty() {
        return Err(AppError::invalid_field("station_id", "实践站不存在"));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn the_score_weighs_months_trainings_and_follow_ups() {
        assert_eq!(score(6, 0, 1, 0), 100);
        assert_eq!(score(3, 3, 0, 0), 50);
        assert_eq!(score(1, 2, 2, 1), 20 + 20 + 15);
        assert_eq!(score(0, 0, 0, 9), 60);
    }

    #[test]
    fn a_month_without_activity_is_pending_until_it_ends() {
        let now = Utc::now();
        assert_eq!(month_status(1, now + Duration::days(3), now), MonthStatus::Met);
        assert_eq!(month_status(0, now + Duration::days(3), now), MonthStatus::Pending);
        assert_eq!(month_status(0, now, now), MonthStatus::Missed);
    }

    #[test]
    fn halves_are_january_to_june_and_july_to_december() {
        let (from, to) = half_days(2026, 2).unwrap();
        assert_eq!((from.month(), to.month(), to.day()), (7, 12, 31));
        assert!(half_days(2026, 3).is_err());
    }
}
