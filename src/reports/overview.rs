//! The station overview for a period (活动、参与、时长、订单、评价、重点人群): every number is an
//! aggregate query in the database (COUNT, SUM, GROUP BY, conditional sums); no row of the period
//! is loaded into memory. Periods are whole days in China time (UTC+8, no daylight saving).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entity::enums::{ActivityStatus, FocusGroup, HoursSource, OrderStatus};
use entity::{activity, activity_signup, order, platform, service_hour};
use sea_orm::{
    Condition, ConnectionTrait, DatabaseBackend, FromQueryResult, QueryOrder, QuerySelect,
    prelude::*,
    sea_query::{Expr, ExprTrait, Func, Query},
};

use super::types::*;
use crate::http::{AppError, AppResult};

/// The longest period an overview covers.
pub const MAX_DAYS: i64 = 366;

/// A half-open interval of instants `[start, end)`.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Midnight at the start of `day` in China time, as UTC.
pub fn china_midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc() - Duration::hours(8)
}

/// The day (China time) an instant falls on.
pub fn china_day(at: DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(8)).date_naive()
}

/// The first day of the month after the one `day` is in.
fn next_month(day: NaiveDate) -> NaiveDate {
    let (y, m) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(day)
}

/// The days `from` to `to` (included), checked: `from <= to`, at most [`MAX_DAYS`] days.
pub fn days(from: NaiveDate, to: NaiveDate) -> AppResult<Period> {
    if from > to {
        return Err(AppError::unprocessable_field(
            "INVALID_PERIOD",
            "to",
            "结束日期不能早于开始日期",
        ));
    }
    if (to - from).num_days() + 1 > MAX_DAYS {
        return Err(AppError::unprocessable_field(
            "PERIOD_TOO_LONG",
            "to",
            format!("统计区间最长 {MAX_DAYS} 天"),
        ));
    }
    Ok(Period {
        start: china_midnight(from),
        end: china_midnight(to + Duration::days(1)),
    })
}

/// The months the days `from`..=`to` touch, each as (`YYYY-MM`, its part of the period).
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<(String, Period)> {
    let end = to + Duration::days(1);
    let mut out = Vec::new();
    let mut day = from;
    while day < end {
        let next = std::cmp::Ord::min(next_month(day), end);
        out.push((
            format!("{:04}-{:02}", day.year(), day.month()),
            Period {
                start: china_midnight(day),
                end: china_midnight(next),
            },
        ));
        day = next;
    }
    out
}

/// Activities of the station held (finished or archived) that started in the period.
pub fn held(station_id: i32, period: Period) -> Condition {
    Condition::all()
        .add(activity::Column::StationId.eq(station_id))
        .add(activity::Column::Status.is_in([ActivityStatus::Finished, ActivityStatus::Archived]))
        .add(activity::Column::StartsAt.gte(period.start))
        .add(activity::Column::StartsAt.lt(period.end))
}

/// Orders of the station placed in the period.
fn placed(station_id: i32, period: Period) -> Condition {
    Condition::all()
        .add(order::Column::StationId.eq(station_id))
        .add(order::Column::CreatedAt.gte(period.start))
        .add(order::Column::CreatedAt.lt(period.end))
}

/// `SUM(CASE WHEN condition THEN 1 ELSE 0 END)` as a bigint on both databases.
pub fn count_if(condition: Condition) -> Expr {
    Expr::from(Func::sum(Expr::case(condition, 1).finally(0))).cast_as("bigint")
}

/// Reads named bigint columns of a one-row aggregate answer (a `NULL` sum is 0).
pub async fn sums(
    db: &impl ConnectionTrait,
    query: sea_orm::sea_query::SelectStatement,
    columns: &[String],
) -> AppResult<Vec<i64>> {
    let row = db.query_one(&query).await?;
    let mut out = Vec::with_capacity(columns.len());
    for column in columns {
        let value = match &row {
            Some(row) => row.try_get::<Option<i64>>("", column)?.unwrap_or(0),
            None => 0,
        };
        out.push(value);
    }
    Ok(out)
}

/// Activities held per month of the period, in one query of conditional sums.
async fn by_month(
    db: &impl ConnectionTrait,
    station_id: i32,
    from: NaiveDate,
    to: NaiveDate,
    period: Period,
) -> AppResult<Vec<MonthCount>> {
    let months = months(from, to);
    let counts = held_per_month(db, station_id, &months, period, Condition::all()).await?;
    Ok(months
        .into_iter()
        .zip(counts)
        .map(|((month, _), held)| MonthCount { month, held })
        .collect())
}

/// How many activities meeting `only` the station held in each of `months` (which lie inside
/// `period`), in one query of conditional sums.
pub async fn held_per_month(
    db: &impl ConnectionTrait,
    station_id: i32,
    months: &[(String, Period)],
    period: Period,
    only: Condition,
) -> AppResult<Vec<i64>> {
    let mut query = Query::select();
    query
        .from(activity::Entity)
        .cond_where(held(station_id, period))
        .cond_where(only);
    let names: Vec<String> = (0..months.len()).map(|i| format!("m{i}")).collect();
    for ((_, part), name) in months.iter().zip(&names) {
        let inside = Condition::all()
            .add(activity::Column::StartsAt.gte(part.start))
            .add(activity::Column::StartsAt.lt(part.end));
        query.expr_as(count_if(inside), name.clone());
    }
    sums(db, query, &names).await
}

#[derive(FromQueryResult)]
struct Counted<K: sea_orm::TryGetable> {
    key: K,
    n: i64,
}

async fn by_platform(db: &impl ConnectionTrait, station_id: i32, period: Period) -> AppResult<Vec<PlatformCount>> {
    let rows = activity::Entity::find()
        .select_only()
        .column_as(activity::Column::PlatformId, "key")
        .column_as(activity::Column::Id.count().cast_as("bigint"), "n")
        .filter(held(station_id, period))
        .group_by(activity::Column::PlatformId)
        .into_model::<Counted<i32>>()
        .all(db)
        .await?;
    let names: std::collections::HashMap<i32, String> = platform::Entity::find()
        .filter(platform::Column::Id.is_in(rows.iter().map(|r| r.key).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let mut out: Vec<PlatformCount> = rows
        .into_iter()
        .map(|r| PlatformCount {
            platform_id: r.key,
            platform_name: names.get(&r.key).cloned().unwrap_or_default(),
            held: r.n,
        })
        .collect();
    out.sort_by(|a, b| b.held.cmp(&a.held).then(a.platform_id.cmp(&b.platform_id)));
    Ok(out)
}

/// Confirmed sign-ups of the held activities that checked in (with the code or marked present).
async fn participants(db: &impl ConnectionTrait, station_id: i32, period: Period) -> AppResult<i64> {
    let n = activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.in_subquery(held_ids(station_id, period)))
        .filter(activity_signup::Column::Status.eq(entity::enums::SignupStatus::Confirmed))
        .filter(activity_signup::Column::CheckedInAt.is_not_null())
        .count(db)
        .await?;
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

/// `SELECT id FROM activities WHERE <held>`.
pub fn held_ids(station_id: i32, period: Period) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(activity::Column::Id)
        .from(activity::Entity)
        .cond_where(held(station_id, period))
        .to_owned()
}

async fn hours(db: &impl ConnectionTrait, station_id: i32, period: Period) -> AppResult<VolunteerHours> {
    let rows = service_hour::Entity::find()
        .select_only()
        .column_as(service_hour::Column::Source, "key")
        .column_as(service_hour::Column::Minutes.sum().cast_as("bigint"), "n")
        .filter(service_hour::Column::StationId.eq(station_id))
        .filter(service_hour::Column::ConfirmedAt.gte(period.start))
        .filter(service_hour::Column::ConfirmedAt.lt(period.end))
        .group_by(service_hour::Column::Source)
        .into_model::<Counted<HoursSource>>()
        .all(db)
        .await?;
    let mut out = VolunteerHours::default();
    for row in rows {
        match row.key {
            HoursSource::Order => out.orders_minutes += row.n,
            HoursSource::Activity => out.activities_minutes += row.n,
            HoursSource::Correction => out.corrections_minutes += row.n,
        }
    }
    out.total_minutes = out.orders_minutes + out.activities_minutes + out.corrections_minutes;
    Ok(out)
}

async fn orders_by_status(db: &impl ConnectionTrait, station_id: i32, period: Period) -> AppResult<OrdersByStatus> {
    let rows = order::Entity::find()
        .select_only()
        .column_as(order::Column::Status, "key")
        .column_as(order::Column::Id.count().cast_as("bigint"), "n")
        .filter(placed(station_id, period))
        .group_by(order::Column::Status)
        .into_model::<Counted<OrderStatus>>()
        .all(db)
        .await?;
    let mut out = OrdersByStatus::default();
    for row in rows {
        let slot = match row.key {
            OrderStatus::Submitted => &mut out.submitted,
            OrderStatus::Open => &mut out.open,
            OrderStatus::Assigned => &mut out.assigned,
            OrderStatus::Accepted => &mut out.accepted,
            OrderStatus::InService => &mut out.in_service,
            OrderStatus::Completed => &mut out.completed,
            OrderStatus::Rated => &mut out.rated,
            OrderStatus::Rejected => &mut out.rejected,
            OrderStatus::Cancelled => &mut out.cancelled,
            OrderStatus::Expired => &mut out.expired,
        };
        *slot += row.n;
        out.total += row.n;
    }
    Ok(out)
}

/// Minutes from placing to acceptance, computed by the database (timestamps are text on SQLite,
/// `timestamptz` on PostgreSQL).
fn minutes_to_accept(backend: DatabaseBackend) -> Expr {
    match backend {
        DatabaseBackend::Postgres => Expr::cust(
            r#"CAST(EXTRACT(EPOCH FROM ("orders"."accepted_at" - "orders"."created_at")) AS DOUBLE PRECISION) / 60"#,
        ),
        _ => Expr::cust(r#"(julianday("orders"."accepted_at") - julianday("orders"."created_at")) * 1440.0"#),
    }
}

/// The number of accepted orders placed in the period and the median of their minutes to
/// acceptance: the middle one (or the mean of the middle two) by `ORDER BY … LIMIT … OFFSET`.
async fn median_to_accept(db: &impl ConnectionTrait, station_id: i32, period: Period) -> AppResult<(i64, Option<f64>)> {
    let accepted = placed(station_id, period).add(order::Column::AcceptedAt.is_not_null());
    let n = order::Entity::find().filter(accepted.clone()).count(db).await?;
    if n == 0 {
        return Ok((0, None));
    }
    let (offset, take) = if n % 2 == 1 { ((n - 1) / 2, 1) } else { (n / 2 - 1, 2) };
    let duration = minutes_to_accept(db.get_database_backend());
    let middle: Vec<Option<f64>> = order::Entity::find()
        .select_only()
        .column_as(duration.clone(), "minutes")
        .filter(accepted)
        .order_by(duration, sea_orm::Order::Asc)
        .order_by_asc(order::Column::Id)
        .offset(offset)
        .limit(take)
        .into_tuple()
        .all(db)
        .await?;
    let values: Vec<f64> = middle.into_iter().flatten().collect();
    let median = (!values.is_empty()).then(|| round2(values.iter().sum::<f64>() / values.len() as f64));
    Ok((i64::try_from(n).unwrap_or(i64::MAX), median))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[derive(FromQueryResult)]
struct Stars {
    rated: Option<i64>,
    stars: Option<i64>,
}

async fn rating(db: &impl ConnectionTrait, station_id: i32, period: Period) -> AppResult<(i64, Option<f64>)> {
    let row = order::Entity::find()
        .select_only()
        .column_as(order::Column::Stars.count().cast_as("bigint"), "rated")
        .column_as(order::Column::Stars.sum().cast_as("bigint"), "stars")
        .filter(placed(station_id, period))
        .into_model::<Stars>()
        .one(db)
        .await?;
    let (rated, stars) = row.map_or((0, 0), |r| (r.rated.unwrap_or(0), r.stars.unwrap_or(0)));
    Ok((rated, (rated > 0).then(|| round2(stars as f64 / rated as f64))))
}

async fn focus_groups(db: &impl ConnectionTrait, station_id: i32, period: Period) -> AppResult<Vec<FocusGroupCount>> {
    let orders = order::Entity::find()
        .select_only()
        .column_as(order::Column::FocusGroup, "key")
        .column_as(order::Column::Id.count().cast_as("bigint"), "n")
        .filter(placed(station_id, period))
        .filter(order::Column::FocusGroup.is_not_null())
        .group_by(order::Column::FocusGroup)
        .into_model::<Counted<FocusGroup>>()
        .all(db)
        .await?;
    let activities = activity::Entity::find()
        .select_only()
        .column_as(activity::Column::FocusGroup, "key")
        .column_as(activity::Column::Id.count().cast_as("bigint"), "n")
        .filter(held(station_id, period))
        .filter(activity::Column::FocusGroup.is_not_null())
        .group_by(activity::Column::FocusGroup)
        .into_model::<Counted<FocusGroup>>()
        .all(db)
        .await?;
    let count = |rows: &[Counted<FocusGroup>], group: FocusGroup| {
        rows.iter().filter(|r| r.key == group).map(|r| r.n).sum::<i64>()
    };
    Ok([
        FocusGroup::LeftBehindChildren,
        FocusGroup::VulnerableChildren,
        FocusGroup::Elderly,
        FocusGroup::MigrantWorkers,
    ]
    .into_iter()
    .map(|group| FocusGroupCount {
        focus_group: group,
        orders: count(&orders, group),
        activities: count(&activities, group),
    })
    .collect())
}

/// The overview of the station for the days `from`..=`to` (China time).
#[tracing::instrument(skip_all, fields(station_id))]
pub async fn overview(
    db: &impl ConnectionTrait,
    station_id: i32,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Overview> {
    let period = days(from, to)?;
    let activities_by_month = by_month(db, station_id, from, to, period).await?;
    let (accepted_orders, median_minutes_to_accept) = median_to_accept(db, station_id, period).await?;
    let (rated_orders, average_rating) = rating(db, station_id, period).await?;
    Ok(Overview {
        station_id,
        from,
        to,
        activities_held: activities_by_month.iter().map(|m| m.held).sum(),
        activities_by_month,
        activities_by_platform: by_platform(db, station_id, period).await?,
        participants: participants(db, station_id, period).await?,
        volunteer_hours: hours(db, station_id, period).await?,
        orders_by_status: orders_by_status(db, station_id, period).await?,
        accepted_orders,
        median_minutes_to_accept,
        rated_orders,
        average_rating,
        by_focus_group: focus_groups(db, station_id, period).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_day_starts_at_midnight_china_time() {
        assert_eq!(china_midnight(d(2026, 3, 1)).to_rfc3339(), "2026-02-28T16:00:00+00:00");
        assert_eq!(china_day(china_midnight(d(2026, 3, 1))), d(2026, 3, 1));
    }

    #[test]
    fn months_cover_the_period_and_clip_its_ends() {
        let months = months(d(2026, 1, 15), d(2026, 3, 10));
        let names: Vec<&str> = months.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(names, ["2026-01", "2026-02", "2026-03"]);
        assert_eq!(months[0].1.start, china_midnight(d(2026, 1, 15)));
        assert_eq!(months[1].1.start, china_midnight(d(2026, 2, 1)));
        assert_eq!(months[2].1.end, china_midnight(d(2026, 3, 11)));
        let december = months_named(d(2026, 12, 1), d(2027, 1, 31));
        assert_eq!(december, ["2026-12", "2027-01"]);
    }

    fn months_named(from: NaiveDate, to: NaiveDate) -> Vec<String> {
        months(from, to).into_iter().map(|(m, _)| m).collect()
    }

    #[test]
    fn a_period_is_ordered_and_at_most_366_days() {
        assert!(days(d(2026, 1, 1), d(2026, 12, 31)).is_ok());
        assert!(days(d(2028, 1, 1), d(2028, 12, 31)).is_ok());
        assert_eq!(days(d(2026, 1, 2), d(2026, 1, 1)).unwrap_err().code(), "INVALID_PERIOD");
        assert_eq!(
            days(d(2026, 1, 1), d(2027, 1, 2)).unwrap_err().code(),
            "PERIOD_TOO_LONG"
        );
    }
}
