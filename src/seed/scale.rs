//! `wenming seed --scale`: many stations, a crowd of residents and volunteers, activities to
//! browse and sign up for, and orders in every state, written in multi-row INSERTs inside one
//! transaction per table. It writes the users file the load generator (`loadgen`) reads.

use chrono::{DateTime, Duration, Utc};
use entity::enums::{
    ActivityKind, ActivityStatus, Audience, FocusGroup, FollowUpStatus, OrderStatus, ReasonTag, VolunteerSource,
};
use entity::{activity, order, platform, station, user, user_role, volunteer};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait, prelude::*,
};
use serde::Serialize;

use super::SeedOptions;
use crate::auth::roles::Role;

/// Rows per multi-row INSERT; the widest table (orders, ~28 columns) stays under SQLite's
/// 32,766 bound variables.
const BATCH: usize = 1000;

/// The users file: what `loadgen` logs in with and aims at.
#[derive(Debug, Serialize)]
pub struct UsersFile {
    pub password: String,
    pub platform_ids: Vec<i32>,
    pub stations: Vec<StationUsers>,
    pub rush_activity: RushActivity,
    /// Every station's open orders, for `grab`.
    pub open_orders: Vec<i32>,
}

#[derive(Debug, Serialize)]
pub struct StationUsers {
    pub id: i32,
    pub director: String,
    pub secretary: String,
    pub residents: Vec<String>,
    pub volunteers: Vec<String>,
    /// Published activities of this station with places, in the future: the `signup` targets.
    pub open_activities: Vec<i32>,
    /// This station's open orders (volunteers may only take their own station's).
    pub open_orders: Vec<i32>,
}

#[derive(Debug, Serialize)]
pub struct RushActivity {
    pub id: i32,
    pub station_id: i32,
    pub capacity: i32,
}

/// What `--scale` prints (the users file goes to `--users-file`).
#[derive(Debug, Serialize)]
pub struct ScaleSummary {
    pub stations: usize,
    pub residents: usize,
    pub volunteers: usize,
    pub activities: usize,
    pub orders: usize,
    pub open_orders: usize,
    pub open_activities: usize,
    pub rush_activity_id: i32,
    pub users_file: String,
    pub seconds: f64,
}

struct Sizes {
    stations: usize,
    residents: usize,
    volunteers: usize,
    activities: usize,
    orders: usize,
    open_orders: usize,
    open_activities: usize,
    rush_capacity: i32,
}

/// Person `n` of a kind in a station of `count` stations: spread evenly, station `n % count`.
fn station_of(n: usize, count: usize) -> usize {
    n % count
}

async fn insert_in_batches<E, A, F>(db: &impl ConnectionTrait, total: usize, mut make: F) -> anyhow::Result<()>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    F: FnMut(usize) -> A,
{
    let mut start = 0;
    while start < total {
        let end = (start + BATCH).min(total);
        let rows: Vec<A> = (start..end).map(&mut make).collect();
        E::insert_many(rows).exec_without_returning(db).await?;
        start = end;
    }
    Ok(())
}

/// The newest `count` ids of a table, oldest first: the rows this seeding just inserted (it
/// runs alone, and ids grow with insertion order).
async fn newest<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    count: usize,
) -> anyhow::Result<Vec<i32>> {
    let mut ids: Vec<i32> = E::find()
        .select_only()
        .column(column)
        .order_by_desc(column)
        .limit(count as u64)
        .into_tuple()
        .all(db)
        .await?;
    ids.reverse();
    anyhow::ensure!(ids.len() == count, "expected {count} new rows, found {}", ids.len());
    Ok(ids)
}

pub async fn run(db: &DatabaseConnection, o: &SeedOptions, password_hash: &str) -> anyhow::Result<ScaleSummary> {
    let started = std::time::Instant::now();
    let sizes = Sizes {
        stations: o.stations as usize,
        residents: o.residents.map_or(100_000, |n| n as usize),
        volunteers: o.volunteers.map_or(5_000, |n| n as usize),
        activities: o.activities.unwrap_or(100_000),
        orders: o.orders.unwrap_or(500_000),
        open_orders: o.open_orders,
        open_activities: o.open_activities,
        rush_capacity: o.rush_capacity as i32,
    };
    let s = &sizes;
    anyhow::ensure!(s.stations >= 1, "--stations must be at least 1");
    anyhow::ensure!(
        s.residents >= s.stations && s.volunteers >= s.stations,
        "every station needs at least one resident and one volunteer"
    );
    anyhow::ensure!(
        s.activities > s.open_activities,
        "--activities must exceed --open-activities (one more for the rush)"
    );
    anyhow::ensure!(s.orders >= s.open_orders, "--orders must be at least --open-orders");
    let Some(users_file) = o.users_file.clone() else {
        anyhow::bail!("--scale needs --users-file, the file loadgen reads");
    };
    let now = Utc::now();
    let mut rng = StdRng::seed_from_u64(now.timestamp() as u64);

    let platforms: Vec<i32> = platform::Entity::find()
        .select_only()
        .column(platform::Column::Id)
        .filter(platform::Column::StationId.is_null())
        .order_by_asc(platform::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    anyhow::ensure!(!platforms.is_empty(), "the default platforms are missing");

    // Stations.
    let txn = db.begin().await?;
    let stamp = now.timestamp_micros();
    insert_in_batches(&txn, s.stations, |n| station::ActiveModel {
        name: Set(format!("压测站{stamp}-{n}")),
        district: Set(format!("压测区{}", n % 5)),
        address: Set(format!("压测路 {n} 号")),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .await?;
    let stations = newest::<station::Entity>(&txn, station::Column::Id, s.stations).await?;

    // People: per station a director and a secretary, then the volunteers, then the residents.
    let staff = 2 * s.stations;
    let people = staff + s.volunteers + s.residents;
    let phone = |n: usize| format!("{}{:08}", o.phone_prefix, n);
    let home = |n: usize| -> i32 {
        if n < staff {
            stations[n / 2]
        } else {
            stations[station_of(n - staff, s.stations)]
        }
    };
    insert_in_batches(&txn, people, |n| user::ActiveModel {
        phone: Set(phone(n)),
        password_hash: Set(password_hash.to_owned()),
        name: Set(if n < staff {
            format!("站长{n}")
        } else if n < staff + s.volunteers {
            format!("志愿者{n}")
        } else {
            format!("居民{n}")
        }),
        station_id: Set(Some(home(n))),
        token_version: Set(0),
        district: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .await?;
    let user_ids = newest::<user::Entity>(&txn, user::Column::Id, people).await?;
    let mut roles: Vec<(i32, Role)> = Vec::with_capacity(people + staff + s.volunteers);
    for (n, id) in user_ids.iter().enumerate() {
        roles.push((*id, Role::Resident));
        if n < staff {
            roles.push((*id, if n % 2 == 0 { Role::Director } else { Role::Secretary }));
        } else if n < staff + s.volunteers {
            roles.push((*id, Role::Volunteer));
        }
    }
    insert_in_batches(&txn, roles.len(), |n| user_role::ActiveModel {
        user_id: Set(roles[n].0),
        role: Set(roles[n].1.as_str().to_owned()),
    })
    .await?;
    let sources = [
        VolunteerSource::CommunityStaff,
        VolunteerSource::RetiredCulturalWorkers,
        VolunteerSource::CollegeStudents,
        VolunteerSource::PartyMembers,
    ];
    insert_in_batches(&txn, s.volunteers, |n| volunteer::ActiveModel {
        user_id: Set(user_ids[staff + n]),
        station_id: Set(home(staff + n)),
        real_name: Set(format!("志愿者{n}")),
        skills: Set(r#"["陪护","维修"]"#.into()),
        source: Set(sources[n % sources.len()]),
        approved_at: Set(now - Duration::days(30)),
    })
    .await?;
    txn.commit().await?;

    // Volunteers and residents of station k, by index into `user_ids`.
    let mut volunteers_of: Vec<Vec<usize>> = vec![Vec::new(); s.stations];
    let mut residents_of: Vec<Vec<usize>> = vec![Vec::new(); s.stations];
    for n in 0..s.volunteers {
        volunteers_of[station_of(n, s.stations)].push(staff + n);
    }
    for n in 0..s.residents {
        residents_of[station_of(n, s.stations)].push(staff + s.volunteers + n);
    }

    // Activities: the rush activity first, then the ones open for sign-up, then the rest in
    // every state (published ones in the future, finished and archived ones in the past).
    let txn = db.begin().await?;
    let themes = [
        "邻里互助",
        "移风易俗",
        "理论宣讲进社区",
        "关爱老人",
        "科普进万家",
        "全民健身",
    ];
    let kinds = [
        ActivityKind::Practice,
        ActivityKind::Practice,
        ActivityKind::Practice,
        ActivityKind::Lecture,
        ActivityKind::Training,
        ActivityKind::Meeting,
    ];
    let mut activity_rng = StdRng::seed_from_u64(rng.random());
    insert_in_batches(&txn, s.activities, |n| {
        let k = station_of(n, s.stations);
        let (status, capacity) = if n == 0 {
            (ActivityStatus::Published, s.rush_capacity)
        } else if n <= s.open_activities {
            (ActivityStatus::Published, 50)
        } else {
            let status = match activity_rng.random_range(0..100) {
                0..50 => ActivityStatus::Published,
                50..70 => ActivityStatus::Finished,
                70..80 => ActivityStatus::Archived,
                80..87 => ActivityStatus::Cancelled,
                87..94 => ActivityStatus::Draft,
                _ => ActivityStatus::PendingApproval,
            };
            (status, 30)
        };
        let past = matches!(status, ActivityStatus::Finished | ActivityStatus::Archived);
        let offset = Duration::minutes(activity_rng.random_range(60..60 * 24 * 180));
        let starts_at = if past { now - offset } else { now + offset };
        let ends_at = starts_at + Duration::hours(2);
        let published = !matches!(status, ActivityStatus::Draft | ActivityStatus::PendingApproval);
        let (director, secretary) = (user_ids[2 * k], user_ids[2 * k + 1]);
        let recorded = status == ActivityStatus::Archived;
        activity::ActiveModel {
            station_id: Set(stations[k]),
            title: Set(if n == 0 {
                "抢报名：新春联欢晚会".to_owned()
            } else {
                format!("{}活动 {n}", themes[n % themes.len()])
            }),
            kind: Set(kinds[n % kinds.len()]),
            platform_id: Set(platforms[n % platforms.len()]),
            description: Set("社区新时代文明实践活动".into()),
            location: Set("社区活动室".into()),
            theme: Set(Some(themes[n % themes.len()].into())),
            focus_group: Set((n % 5 == 0).then_some(FocusGroup::Elderly)),
            plan_id: Set(None),
            plan_item_id: Set(None),
            starts_at: Set(starts_at),
            ends_at: Set(ends_at),
            capacity: Set(capacity),
            signup_opens_at: Set(None),
            signup_closes_at: Set(None),
            audience: Set(Audience::Public),
            host_id: Set(secretary),
            created_by: Set(secretary),
            status: Set(status),
            confirmed_count: Set(0),
            waitlist_seq: Set(0),
            approved_by: Set(published.then_some(director)),
            published_at: Set(published.then(|| now - Duration::days(1))),
            finished_at: Set(past.then_some(ends_at)),
            cancel_reason: Set((status == ActivityStatus::Cancelled).then(|| "天气原因".to_owned())),
            record_summary: Set(recorded.then(|| "活动顺利开展".to_owned())),
            record_materials: Set(recorded.then(|| "签到表、照片".to_owned())),
            attendance_confirmed_at: Set(recorded.then_some(ends_at)),
            created_at: Set(now - Duration::days(2)),
            updated_at: Set(now - Duration::days(1)),
            ..Default::default()
        }
    })
    .await?;
    let activity_ids = newest::<activity::Entity>(&txn, activity::Column::Id, s.activities).await?;
    txn.commit().await?;

    // Orders: the open ones first (spread over the stations), then every other state.
    let txn = db.begin().await?;
    let mut order_rng = StdRng::seed_from_u64(rng.random());
    insert_in_batches(&txn, s.orders, |n| {
        let k = station_of(n, s.stations);
        let status = if n < s.open_orders {
            OrderStatus::Open
        } else {
            match order_rng.random_range(0..100) {
                0..45 => OrderStatus::Rated,
                45..55 => OrderStatus::Completed,
                55..65 => OrderStatus::Cancelled,
                65..70 => OrderStatus::Rejected,
                70..78 => OrderStatus::Submitted,
                78..83 => OrderStatus::Assigned,
                83..88 => OrderStatus::Accepted,
                88..93 => OrderStatus::InService,
                _ => OrderStatus::Expired,
            }
        };
        let taken = matches!(
            status,
            OrderStatus::Assigned
                | OrderStatus::Accepted
                | OrderStatus::InService
                | OrderStatus::Completed
                | OrderStatus::Rated
        );
        let accepted = taken && status != OrderStatus::Assigned;
        let finished = matches!(status, OrderStatus::Completed | OrderStatus::Rated);
        let residents = &residents_of[k];
        let volunteers = &volunteers_of[k];
        let resident = user_ids[residents[(n / s.stations) % residents.len()]];
        let volunteer = user_ids[volunteers[order_rng.random_range(0..volunteers.len())]];
        let created_at = now - Duration::minutes(order_rng.random_range(60..60 * 24 * 365));
        let accepted_at: DateTime<Utc> = created_at + Duration::minutes(30);
        let completed_at = accepted_at + Duration::minutes(120);
        let stars = (status == OrderStatus::Rated).then(|| order_rng.random_range(1..=5));
        let low = stars.is_some_and(|s| s <= 2);
        order::ActiveModel {
            station_id: Set(stations[k]),
            resident_id: Set(resident),
            placed_by: Set(resident),
            title: Set("上门服务".into()),
            description: Set("需要志愿者上门帮忙".into()),
            platform_id: Set(platforms[n % platforms.len()]),
            service_item_id: Set(None),
            address: Set("压测路 8 号".into()),
            contact_phone: Set("13912345678".into()),
            expected_at: Set(None),
            deadline_at: Set(None),
            focus_group: Set((n % 4 == 0).then_some(FocusGroup::Elderly)),
            status: Set(status),
            volunteer_id: Set(taken.then_some(volunteer)),
            team_id: Set(None),
            reject_reason: Set((status == OrderStatus::Rejected).then(|| "不在服务范围".to_owned())),
            cancel_reason: Set((status == OrderStatus::Cancelled).then(|| "已自行解决".to_owned())),
            summary: Set(finished.then(|| "服务完成".to_owned())),
            service_minutes: Set(finished.then_some(120)),
            accepted_at: Set(accepted.then_some(accepted_at)),
            completed_at: Set(finished.then_some(completed_at)),
            stars: Set(stars),
            rating_comment: Set(stars.map(|_| "谢谢".to_owned())),
            reason_tag: Set(low.then_some(ReasonTag::Late)),
            rated_at: Set(stars.map(|_| completed_at + Duration::hours(5))),
            auto_confirmed: Set(false),
            follow_up_status: Set(low.then_some(FollowUpStatus::Pending)),
            created_at: Set(created_at),
            updated_at: Set(created_at),
            ..Default::default()
        }
    })
    .await?;
    let order_ids = newest::<order::Entity>(&txn, order::Column::Id, s.orders).await?;
    txn.commit().await?;
    // Fresh statistics: without them the planner takes the just-filled tables for empty ones.
    db.execute_unprepared("ANALYZE").await?;

    let mut station_users: Vec<StationUsers> = stations
        .iter()
        .enumerate()
        .map(|(k, id)| StationUsers {
            id: *id,
            director: phone(2 * k),
            secretary: phone(2 * k + 1),
            residents: residents_of[k].iter().map(|n| phone(*n)).collect(),
            volunteers: volunteers_of[k].iter().map(|n| phone(*n)).collect(),
            open_activities: Vec::new(),
            open_orders: Vec::new(),
        })
        .collect();
    for (n, id) in activity_ids.iter().enumerate().take(s.open_activities + 1).skip(1) {
        station_users[station_of(n, s.stations)].open_activities.push(*id);
    }
    for (n, id) in order_ids.iter().enumerate().take(s.open_orders) {
        station_users[station_of(n, s.stations)].open_orders.push(*id);
    }
    let file = UsersFile {
        password: o.password.clone(),
        platform_ids: platforms,
        rush_activity: RushActivity {
            id: activity_ids[0],
            station_id: stations[0],
            capacity: s.rush_capacity,
        },
        open_orders: order_ids[..s.open_orders].to_vec(),
        stations: station_users,
    };
    std::fs::write(&users_file, serde_json::to_vec(&file)?)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", users_file.display()))?;
    Ok(ScaleSummary {
        stations: s.stations,
        residents: s.residents,
        volunteers: s.volunteers,
        activities: s.activities,
        orders: s.orders,
        open_orders: s.open_orders,
        open_activities: s.open_activities,
        rush_activity_id: activity_ids[0],
        users_file: users_file.display().to_string(),
        seconds: started.elapsed().as_secs_f64(),
    })
}
