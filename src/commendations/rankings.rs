//! Rankings for commendation (先进评选): volunteers and teams of a year by confirmed hours,
//! finished orders and rating. The sums are aggregate queries in the database (one row per
//! volunteer or team comes back, never the entries); the score is [`score`], one pure function.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use entity::{order, service_hour, team, team_member, user, user_role};
use sea_orm::{
    ConnectionTrait, FromQueryResult, QueryOrder, QuerySelect,
    prelude::*,
    sea_query::{Condition, ExprTrait, Query},
};

use super::types::{RankingFigures, TeamRanking, VolunteerRanking};
use crate::auth::roles::{Role, StationScope};
use crate::clock::CHINA;
use crate::http::{AppError, AppResult};
use entity::enums::OrderStatus;

/// The year `now` falls in, in China time.
pub fn current_year(now: DateTime<Utc>) -> i32 {
    use chrono::Datelike;
    now.with_timezone(&CHINA).year()
}

/// `[1 January, 1 January of the next year)` in China time, as UTC instants.
pub fn year_bounds(year: i32) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    let start = |y: i32| {
        CHINA
            .with_ymd_and_hms(y, 1, 1, 0, 0, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| AppError::invalid_field("year", "年份不正确"))
    };
    Ok((start(year)?, start(year + 1)?))
}

/// The score of one volunteer or team: `confirmed_minutes / 60 + 2 × finished_orders +
/// 10 × (average_rating − 3)`, the rating term only with at least one rated order, rounded to
/// 2 decimals. Hours reward time given, orders the services finished, and the rating term moves
/// the score up or down by how residents judged them (3 stars is neutral).
pub fn score(confirmed_minutes: i64, finished_orders: i64, rated_orders: i64, stars_sum: i64) -> f64 {
    let hours = confirmed_minutes as f64 / 60.0;
    let rating = if rated_orders >= 1 {
        10.0 * (stars_sum as f64 / rated_orders as f64 - 3.0)
    } else {
        0.0
    };
    round2(hours + 2.0 * finished_orders as f64 + rating)
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// A year's figures of one volunteer or team, as the database summed them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub minutes: i64,
    pub finished_orders: i64,
    pub rated_orders: i64,
    pub stars_sum: i64,
}

impl Figures {
    pub fn score(&self) -> f64 {
        score(self.minutes, self.finished_orders, self.rated_orders, self.stars_sum)
    }

    /// The figures as a response shows them.
    pub fn view(&self) -> RankingFigures {
        RankingFigures {
            confirmed_minutes: self.minutes,
            confirmed_hours: round2(self.minutes as f64 / 60.0),
            finished_orders: self.finished_orders,
            rated_orders: self.rated_orders,
            average_rating: (self.rated_orders > 0).then(|| round2(self.stars_sum as f64 / self.rated_orders as f64)),
            score: self.score(),
        }
    }
}

/// Orders that count as finished: served (`completed`) or rated, auto-confirmed included.
fn finished() -> [OrderStatus; 2] {
    [OrderStatus::Completed, OrderStatus::Rated]
}

#[derive(Debug, FromQueryResult)]
struct MinutesRow {
    key: i32,
    minutes: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct OrdersRow {
    key: i32,
    finished: i64,
    rated: i64,
    stars: Option<i64>,
}

#[derive(Debug, FromQueryResult)]
struct OrderSums {
    finished: i64,
    rated: i64,
    stars: Option<i64>,
}

/// Confirmed minutes of the year per user of `users` (a subquery of user ids).
async fn minutes_by_user(
    db: &impl ConnectionTrait,
    users: Condition,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<HashMap<i32, i64>> {
    let rows = service_hour::Entity::find()
        .select_only()
        .column_as(service_hour::Column::UserId, "key")
        .column_as(service_hour::Column::Minutes.sum().cast_as("bigint"), "minutes")
        .filter(users)
        .filter(service_hour::Column::ConfirmedAt.gte(from))
        .filter(service_hour::Column::ConfirmedAt.lt(to))
        .group_by(service_hour::Column::UserId)
        .into_model::<MinutesRow>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.key, r.minutes.unwrap_or(0))).collect())
}

/// Finished orders of the year, how many of them carry stars and the stars' sum, per volunteer.
async fn orders_by_volunteer(
    db: &impl ConnectionTrait,
    volunteers: Condition,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> AppResult<HashMap<i32, OrdersRow>> {
    let rows = order::Entity::find()
        .select_only()
        .column_as(order::Column::VolunteerId, "key")
        .column_as(order::Column::Id.count().cast_as("bigint"), "finished")
        .column_as(order::Column::Stars.count().cast_as("bigint"), "rated")
        .column_as(order::Column::Stars.sum().cast_as("bigint"), "stars")
        .filter(volunteers)
        .filter(order::Column::Status.is_in(finished()))
        .filter(order::Column::CompletedAt.gte(from))
        .filter(order::Column::CompletedAt.lt(to))
        .group_by(order::Column::VolunteerId)
        .into_model::<OrdersRow>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.key, r)).collect())
}

/// Ids of users holding the volunteer role.
fn volunteer_ids() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(user_role::Column::UserId)
        .from(user_role::Entity)
        .and_where(user_role::Column::Role.eq(Role::Volunteer.as_str()))
        .to_owned()
}

/// Volunteers whose home station is in `scope`.
fn volunteers_of(scope: &StationScope) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(user::Column::Id.in_subquery(volunteer_ids()))
        .cond_where(scope.condition(user::Column::StationId))
        .to_owned()
}

/// Sorts by score, then minutes (both descending), then id; ties keep distinct ranks.
fn by_merit<T>(items: &mut [T], key: impl Fn(&T) -> (f64, i64, i32)) {
    items.sort_by(|a, b| {
        let (sa, ma, ia) = key(a);
        let (sb, mb, ib) = key(b);
        sb.total_cmp(&sa).then(mb.cmp(&ma)).then(ia.cmp(&ib))
    });
}

/// The volunteer ranking of `year`: every volunteer whose home station is in `scope`, with
/// their figures of the year wherever they served, best first.
pub async fn volunteers(
    db: &impl ConnectionTrait,
    scope: &StationScope,
    year: i32,
) -> AppResult<Vec<VolunteerRanking>> {
    let bounds = year_bounds(year)?;
    let people = user::Entity::find()
        .filter(user::Column::Id.in_subquery(volunteers_of(scope)))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?;
    let minutes = minutes_by_user(
        db,
        Condition::all().add(service_hour::Column::UserId.in_subquery(volunteers_of(scope))),
        bounds,
    )
    .await?;
    let orders = orders_by_volunteer(
        db,
        Condition::all().add(order::Column::VolunteerId.in_subquery(volunteers_of(scope))),
        bounds,
    )
    .await?;
    let mut ranked: Vec<(user::Model, Figures)> = people
        .into_iter()
        .map(|person| {
            let o = orders.get(&person.id);
            let figures = Figures {
                minutes: minutes.get(&person.id).copied().unwrap_or(0),
                finished_orders: o.map_or(0, |o| o.finished),
                rated_orders: o.map_or(0, |o| o.rated),
                stars_sum: o.and_then(|o| o.stars).unwrap_or(0),
            };
            (person, figures)
        })
        .collect();
    by_merit(&mut ranked, |(p, f)| (f.score(), f.minutes, p.id));
    Ok(ranked
        .into_iter()
        .enumerate()
        .map(|(i, (person, figures))| VolunteerRanking {
            rank: i as u64 + 1,
            user_id: person.id,
            name: person.name,
            station_id: person.station_id,
            figures: figures.view(),
        })
        .collect())
}

/// One volunteer's figures of the year (the evidence of a nomination).
pub async fn volunteer_figures(db: &impl ConnectionTrait, user_id: i32, year: i32) -> AppResult<Figures> {
    let bounds = year_bounds(year)?;
    let minutes = minutes_by_user(
        db,
        Condition::all().add(service_hour::Column::UserId.eq(user_id)),
        bounds,
    )
    .await?;
    let orders = orders_by_volunteer(db, Condition::all().add(order::Column::VolunteerId.eq(user_id)), bounds).await?;
    let o = orders.get(&user_id);
    Ok(Figures {
        minutes: minutes.get(&user_id).copied().unwrap_or(0),
        finished_orders: o.map_or(0, |o| o.finished),
        rated_orders: o.map_or(0, |o| o.rated),
        stars_sum: o.and_then(|o| o.stars).unwrap_or(0),
    })
}

fn members_of(team_id: i32) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(team_member::Column::UserId)
        .from(team_member::Entity)
        .and_where(team_member::Column::TeamId.eq(team_id))
        .to_owned()
}

/// A team's figures of the year: its current members' confirmed hours, and the finished orders
/// dispatched to the team or served by a member (each order once).
pub async fn team_figures(db: &impl ConnectionTrait, team_id: i32, year: i32) -> AppResult<Figures> {
    let bounds = year_bounds(year)?;
    let minutes: i64 = minutes_by_user(
        db,
        Condition::all().add(service_hour::Column::UserId.in_subquery(members_of(team_id))),
        bounds,
    )
    .await?
    .values()
    .sum();
    let (from, to) = bounds;
    let row = order::Entity::find()
        .select_only()
        .column_as(order::Column::Id.count().cast_as("bigint"), "finished")
        .column_as(order::Column::Stars.count().cast_as("bigint"), "rated")
        .column_as(order::Column::Stars.sum().cast_as("bigint"), "stars")
        .filter(
            Condition::any()
                .add(order::Column::TeamId.eq(team_id))
                .add(order::Column::VolunteerId.in_subquery(members_of(team_id))),
        )
        .filter(order::Column::Status.is_in(finished()))
        .filter(order::Column::CompletedAt.gte(from))
        .filter(order::Column::CompletedAt.lt(to))
        .into_model::<OrderSums>()
        .one(db)
        .await?;
    Ok(Figures {
        minutes,
        finished_orders: row.as_ref().map_or(0, |r| r.finished),
        rated_orders: row.as_ref().map_or(0, |r| r.rated),
        stars_sum: row.and_then(|r| r.stars).unwrap_or(0),
    })
}

/// The team ranking of `year`: every team of a station in `scope`, best first. Two aggregate
/// queries per team (a station has a handful of teams).
pub async fn teams(db: &impl ConnectionTrait, scope: &StationScope, year: i32) -> AppResult<Vec<TeamRanking>> {
    let models = team::Entity::find()
        .filter(scope.condition(team::Column::StationId))
        .order_by_asc(team::Column::Id)
        .all(db)
        .await?;
    let mut counts: HashMap<i32, u64> = HashMap::new();
    for member in team_member::Entity::find()
        .filter(team_member::Column::TeamId.is_in(models.iter().map(|t| t.id).collect::<Vec<_>>()))
        .all(db)
        .await?
    {
        *counts.entry(member.team_id).or_default() += 1;
    }
    let mut ranked = Vec::with_capacity(models.len());
    for model in models {
        let figures = team_figures(db, model.id, year).await?;
        ranked.push((model, figures));
    }
    by_merit(&mut ranked, |(t, f)| (f.score(), f.minutes, t.id));
    Ok(ranked
        .into_iter()
        .enumerate()
        .map(|(i, (model, figures))| TeamRanking {
            rank: i as u64 + 1,
            team_id: model.id,
            member_count: counts.get(&model.id).copied().unwrap_or(0),
            name: model.name,
            station_id: model.station_id,
            figures: figures.view(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_and_finished_orders_count_without_ratings() {
        // 90 minutes = 1.5 hours, 2 orders = 4 points, nothing rated: no rating term.
        assert_eq!(score(90, 2, 0, 0), 5.5);
        assert_eq!(score(0, 0, 0, 0), 0.0);
    }

    #[test]
    fn the_rating_term_rewards_above_three_stars_and_penalises_below() {
        // 2 rated orders, 5 and 4 stars: average 4.5 → 10 × 1.5 = 15.
        assert_eq!(score(120, 2, 2, 9), 2.0 + 4.0 + 15.0);
        // One order with 1 star: 10 × (1 − 3) = −20.
        assert_eq!(score(60, 1, 1, 1), 1.0 + 2.0 - 20.0);
    }

    #[test]
    fn the_score_is_rounded_to_two_decimals() {
        // 100 minutes = 1.666… hours.
        assert_eq!(score(100, 0, 0, 0), 1.67);
        // 3 rated orders, 10 stars: average 3.333… → 3.33…
        assert_eq!(score(0, 3, 3, 10), 9.33);
    }

    #[test]
    fn ties_break_on_minutes_then_id() {
        let mut items = vec![(1, 5.0, 60), (2, 5.0, 120), (3, 7.0, 0), (4, 5.0, 120)];
        by_merit(&mut items, |(id, s, m)| (*s, *m, *id));
        let order: Vec<i32> = items.iter().map(|(id, _, _)| *id).collect();
        assert_eq!(order, vec![3, 2, 4, 1]);
    }

    #[test]
    fn years_are_counted_in_china_time() {
        let (from, to) = year_bounds(2026).unwrap();
        assert_eq!(from.to_rfc3339(), "2025-12-31T16:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-12-31T16:00:00+00:00");
        assert_eq!(current_year(from), 2026);
        assert_eq!(current_year(from - chrono::Duration::seconds(1)), 2025);
    }
}
