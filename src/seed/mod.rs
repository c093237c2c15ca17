//! `wenming seed`: fills a database directly (no HTTP) with one station's year of work, for
//! benchmarks and demos. Rows are written in large batches and the one password is hashed once,
//! so a year of 10,000 orders and 2,000 activities takes seconds.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use entity::enums::{
    ActivityKind, ActivityStatus, Attendance, Audience, FocusGroup, FollowUpStatus, HoursSource, LeaveStatus,
    OrderStatus, ReasonCategory, ReasonTag, SignupStatus, VolunteerSource,
};
use entity::{
    activity, activity_signup, leave_request, order, platform, service_hour, station, user, user_role, volunteer,
};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, prelude::*};

use crate::{auth::password::PasswordHashing, auth::roles::Role, config::Settings};

mod demo;
mod scale;
pub mod tokens;

/// What to seed: one station's year of work (the default), many stations for the load
/// generator (`--scale`), or one small realistic station to click through (`--demo`).
#[derive(Debug, Clone, clap::Args)]
pub struct SeedOptions {
    /// Many stations at once, for the load generator: fills the database with multi-row
    /// INSERTs and writes `--users-file`. Sizes default to 50 stations, 100,000 residents,
    /// 5,000 volunteers, 100,000 activities and 500,000 orders.
    #[arg(long, conflicts_with_all = ["demo", "year", "signups_per_activity"])]
    pub scale: bool,
    /// One small realistic station for a newcomer to click through in /docs; prints the logins.
    #[arg(long, conflicts_with_all = ["scale", "year", "orders", "activities", "residents", "volunteers"])]
    pub demo: bool,
    /// `--scale`: the number of stations.
    #[arg(long, requires = "scale", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..10_000))]
    pub stations: u32,
    /// `--scale`: published activities open for sign-up (the `signup` scenario's targets).
    #[arg(long, requires = "scale", default_value_t = 10_000)]
    pub open_activities: usize,
    /// `--scale`: open orders, spread over the stations (the `grab` scenario's targets).
    #[arg(long, requires = "scale", default_value_t = 500)]
    pub open_orders: usize,
    /// `--scale`: the places of the one activity the `rush` scenario crowds.
    #[arg(long, requires = "scale", default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..1_000_000))]
    pub rush_capacity: u32,
    /// `--scale`: where to write the users file loadgen reads (JSON).
    #[arg(long, requires = "scale")]
    pub users_file: Option<std::path::PathBuf>,
    /// The year (Asia/Shanghai) the station's work falls in; default: last year.
    #[arg(long)]
    pub year: Option<i32>,
    /// Service orders, in every state, most of them served and rated (default 10,000; with
    /// `--scale` 500,000).
    #[arg(long)]
    pub orders: Option<usize>,
    /// Activities spread over the year (finished, archived with a record, or cancelled); default
    /// 2,000 (with `--scale` 100,000, published ones in the future among them).
    #[arg(long)]
    pub activities: Option<usize>,
    /// Residents (default 500; with `--scale` 100,000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub residents: Option<u32>,
    /// Volunteers (default 100; with `--scale` 5,000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub volunteers: Option<u32>,
    /// Sign-ups per activity.
    #[arg(long, default_value_t = 10)]
    pub signups_per_activity: usize,
    /// The password of every seeded account.
    #[arg(long, default_value = "seed-password-1")]
    pub password: String,
    /// The first three digits of the seeded accounts' phone numbers.
    #[arg(long, default_value = "170", value_parser = phone_prefix)]
    pub phone_prefix: String,
}

fn phone_prefix(value: &str) -> Result<String, String> {
    if value.len() == 3 && value.starts_with('1') && value.chars().all(|c| c.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err("three digits starting with 1, e.g. 170".into())
    }
}

/// The accounts a benchmark logs in with.
#[derive(Debug, serde::Serialize)]
pub struct SeededStation {
    pub station_id: i32,
    pub year: i32,
    pub secretary_phone: String,
    pub director_phone: String,
    pub supervisor_phone: String,
    pub password: String,
    pub orders: usize,
    pub activities: usize,
    pub signups: usize,
    pub hours_entries: usize,
}

const BATCH: usize = 400;
const THEMES: [&str; 6] = [
    "邻里互助",
    "移风易俗",
    "理论宣讲进社区",
    "关爱老人",
    "科普进万家",
    "全民健身",
];

/// What seeding printed: one station's accounts, the scale summary, or the demo's logins.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub enum Seeded {
    Station(SeededStation),
    Scale(scale::ScaleSummary),
    Demo(demo::DemoLogins),
}

/// Opens the database named by `settings`, migrates it and seeds.
pub async fn run(settings: &Settings, options: SeedOptions) -> anyhow::Result<Seeded> {
    let db = crate::startup::connect(settings).await?;
    <migration::Migrator as migration::MigratorTrait>::up(&db, None).await?;
    // One hash for every seeded account: seeding takes seconds, not hours.
    let password_hash = PasswordHashing::new(settings.argon2_memory_kib)
        .hash(options.password.clone())
        .await
        .map_err(|e| anyhow::anyhow!("hashing the seed password: {e:?}"))?;
    if options.scale {
        return Ok(Seeded::Scale(scale::run(&db, &options, &password_hash).await?));
    }
    if options.demo {
        return Ok(Seeded::Demo(demo::run(&db, &options, &password_hash).await?));
    }
    Ok(Seeded::Station(seed_station(&db, &options, &password_hash).await?))
}

fn shanghai_year_start(year: i32) -> DateTime<Utc> {
    crate::clock::CHINA
        .with_ymd_and_hms(year, 1, 1, 0, 0, 0)
        .single()
        .map(|local| local.with_timezone(&Utc))
        .unwrap_or_default()
}

async fn insert_batches<E, A>(db: &impl ConnectionTrait, rows: Vec<A>) -> anyhow::Result<()>
where
    E: EntityTrait,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(BATCH).collect();
        E::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Ids of the rows just inserted by `created_by`-style markers: the newest `count` ids of a
/// table, oldest first (seeding runs alone, so nothing else inserts meanwhile).
async fn newest_ids<E>(
    db: &impl ConnectionTrait,
    column: E::Column,
    filter: sea_orm::Condition,
    count: usize,
) -> anyhow::Result<Vec<i32>>
where
    E: EntityTrait,
{
    let mut ids: Vec<i32> = E::find()
        .select_only()
        .column(column)
        .filter(filter)
        .order_by_desc(column)
        .limit(count as u64)
        .into_tuple()
        .all(db)
        .await?;
    ids.reverse();
    Ok(ids)
}

async fn seed_station(
    db: &impl ConnectionTrait,
    o: &SeedOptions,
    password_hash: &str,
) -> anyhow::Result<SeededStation> {
    let created = Utc::now();
    let year = o.year.unwrap_or(created.year() - 1);
    let mut rng = StdRng::seed_from_u64(year as u64);
    let year_start = shanghai_year_start(year);
    let year_seconds = (shanghai_year_start(year + 1) - year_start).num_seconds();
    let resident_count = o.residents.map_or(500, |n| n as usize);
    let volunteer_count = o.volunteers.map_or(100, |n| n as usize);
    let activity_count = o.activities.unwrap_or(2_000);
    let order_count = o.orders.unwrap_or(10_000);

    let station = station::ActiveModel {
        name: Set(format!("基准站{}", created.timestamp_micros())),
        district: Set("基准区".into()),
        address: Set("基准路 1 号".into()),
        created_at: Set(created),
        updated_at: Set(created),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let station_id = station.id;
    let platforms: Vec<i32> = platform::Entity::find()
        .select_only()
        .column(platform::Column::Id)
        .filter(platform::Column::StationId.is_null())
        .into_tuple()
        .all(db)
        .await?;
    anyhow::ensure!(!platforms.is_empty(), "the default platforms are missing");

    // Accounts: phones are the prefix, then the station id and a running number.
    let phone = |n: usize| format!("{}{:04}{:04}", o.phone_prefix, station_id % 10_000, n);
    let people = 3 + resident_count + volunteer_count;
    let users: Vec<user::ActiveModel> = (0..people)
        .map(|n| user::ActiveModel {
            phone: Set(phone(n)),
            password_hash: Set(password_hash.to_owned()),
            name: Set(format!("居民{n}")),
            station_id: Set((n != 2).then_some(station_id)),
            token_version: Set(0),
            district: Set((n == 2).then(|| "基准区".to_owned())),
            created_at: Set(created),
            updated_at: Set(created),
            ..Default::default()
        })
        .collect();
    insert_batches(db, users).await?;
    let user_ids = newest_ids::<user::Entity>(db, user::Column::Id, sea_orm::Condition::all(), people).await?;
    let (director, secretary) = (user_ids[0], user_ids[1]);
    let residents = &user_ids[3..3 + resident_count];
    let volunteers = &user_ids[3 + resident_count..];

    let mut roles = Vec::new();
    for (index, id) in user_ids.iter().enumerate() {
        roles.push((*id, Role::Resident));
        match index {
            0 => roles.push((*id, Role::Director)),
            1 => roles.push((*id, Role::Secretary)),
            2 => roles.push((*id, Role::Supervisor)),
            _ if index >= 3 + resident_count => roles.push((*id, Role::Volunteer)),
            _ => {}
        }
    }
    insert_batches(
        db,
        roles
            .into_iter()
            .map(|(user_id, role)| user_role::ActiveModel {
                user_id: Set(user_id),
                role: Set(role.as_str().to_owned()),
            })
            .collect(),
    )
    .await?;
    let sources = [
        VolunteerSource::CommunityStaff,
        VolunteerSource::RetiredCulturalWorkers,
        VolunteerSource::CollegeStudents,
        VolunteerSource::PartyMembers,
    ];
    insert_batches(
        db,
        volunteers
            .iter()
            .enumerate()
            .map(|(n, id)| volunteer::ActiveModel {
                user_id: Set(*id),
                station_id: Set(station_id),
                real_name: Set(format!("志愿者{n}")),
                skills: Set(r#"["陪护","维修"]"#.into()),
                source: Set(sources[n % sources.len()]),
                approved_at: Set(year_start),
            })
            .collect(),
    )
    .await?;

    // Activities over the year: mostly practice, some lectures, trainings and meetings.
    let mut activities = Vec::with_capacity(activity_count);
    let mut plans = Vec::with_capacity(activity_count);
    for n in 0..activity_count {
        let starts_at = year_start + Duration::seconds(rng.random_range(0..year_seconds - 7200));
        let ends_at = starts_at + Duration::hours(2);
        let kind = match rng.random_range(0..100) {
            0..80 => ActivityKind::Practice,
            80..90 => ActivityKind::Lecture,
            90..95 => ActivityKind::Training,
            _ => ActivityKind::Meeting,
        };
        let status = match rng.random_range(0..10) {
            0..6 => ActivityStatus::Finished,
            6..9 => ActivityStatus::Archived,
            _ => ActivityStatus::Cancelled,
        };
        let recorded = status == ActivityStatus::Archived;
        plans.push((starts_at, ends_at, status));
        activities.push(activity::ActiveModel {
            station_id: Set(station_id),
            title: Set(format!("{}活动 {n}", THEMES[n % THEMES.len()])),
            kind: Set(kind),
            platform_id: Set(*platforms.choose(&mut rng).unwrap_or(&platforms[0])),
            description: Set("社区新时代文明实践活动".into()),
            location: Set("社区活动室".into()),
            theme: Set(Some(THEMES[n % THEMES.len()].into())),
            focus_group: Set((n % 5 == 0).then_some(FocusGroup::Elderly)),
            plan_id: Set(None),
            starts_at: Set(starts_at),
            ends_at: Set(ends_at),
            capacity: Set(o.signups_per_activity as i32 + 10),
            audience: Set(Audience::Public),
            host_id: Set(secretary),
            created_by: Set(secretary),
            status: Set(status),
            confirmed_count: Set(o.signups_per_activity as i32),
            waitlist_seq: Set(0),
            approved_by: Set(Some(director)),
            published_at: Set(Some(starts_at - Duration::days(7))),
            finished_at: Set((status != ActivityStatus::Cancelled).then_some(ends_at)),
            cancel_reason: Set((status == ActivityStatus::Cancelled).then(|| "天气原因".to_owned())),
            record_summary: Set(recorded.then(|| "活动顺利开展，居民反响良好".to_owned())),
            record_materials: Set(recorded.then(|| "签到表、照片".to_owned())),
            attendance_confirmed_at: Set(recorded.then_some(ends_at)),
            created_at: Set(starts_at - Duration::days(14)),
            updated_at: Set(ends_at),
            ..Default::default()
        });
    }
    insert_batches(db, activities).await?;
    let activity_ids = newest_ids::<activity::Entity>(
        db,
        activity::Column::Id,
        sea_orm::Condition::all().add(activity::Column::StationId.eq(station_id)),
        activity_count,
    )
    .await?;

    // Sign-ups: attended mostly, some absent, some excused by approved leave.
    let members: Vec<i32> = residents.iter().chain(volunteers).copied().collect();
    let mut signups = Vec::new();
    let mut hours = Vec::new();
    let mut excused = Vec::new();
    for (activity_id, (starts_at, ends_at, status)) in activity_ids.iter().zip(&plans) {
        let mut chosen = HashSet::new();
        while chosen.len() < o.signups_per_activity.min(members.len()) {
            chosen.insert(*members.choose(&mut rng).unwrap_or(&members[0]));
        }
        for user_id in chosen {
            let held = *status != ActivityStatus::Cancelled;
            let attendance = match rng.random_range(0..10) {
                _ if !held => None,
                0 => Some(Attendance::Absent),
                1 => Some(Attendance::Excused),
                _ => Some(Attendance::Attended),
            };
            let attended = attendance == Some(Attendance::Attended);
            if attendance == Some(Attendance::Excused) {
                excused.push((*activity_id, user_id, *starts_at));
            }
            if attended {
                hours.push(service_hour::ActiveModel {
                    user_id: Set(user_id),
                    station_id: Set(station_id),
                    source: Set(HoursSource::Activity),
                    source_id: Set(Some(*activity_id)),
                    minutes: Set(120),
                    recorded_by: Set(Some(secretary)),
                    dedupe_key: Set(Some(format!("activity:{activity_id}:{user_id}"))),
                    confirmed_at: Set(*ends_at),
                    starts_at: Set(Some(*starts_at)),
                    ends_at: Set(Some(*ends_at)),
                    ..Default::default()
                });
            }
            signups.push(activity_signup::ActiveModel {
                activity_id: Set(*activity_id),
                user_id: Set(user_id),
                status: Set(if held {
                    SignupStatus::Confirmed
                } else {
                    SignupStatus::Cancelled
                }),
                checked_in_at: Set(attended.then_some(*starts_at)),
                checked_out_at: Set(attended.then_some(*ends_at)),
                leave_status: Set((attendance == Some(Attendance::Excused)).then_some(LeaveStatus::Approved)),
                attendance: Set(attendance),
                minutes: Set(attended.then_some(120)),
                cancelled_at: Set((!held).then_some(*starts_at)),
                created_at: Set(*starts_at - Duration::days(3)),
                updated_at: Set(*ends_at),
                ..Default::default()
            });
        }
    }
    let signup_count = signups.len();
    insert_batches(db, signups).await?;
    let leave_rows = excused.len();
    let mut leave = Vec::with_capacity(leave_rows);
    for (activity_id, user_id, starts_at) in excused {
        let signup_id: Option<i32> = activity_signup::Entity::find()
            .select_only()
            .column(activity_signup::Column::Id)
            .filter(activity_signup::Column::ActivityId.eq(activity_id))
            .filter(activity_signup::Column::UserId.eq(user_id))
            .into_tuple()
            .one(db)
            .await?;
        let Some(signup_id) = signup_id else { continue };
        leave.push(leave_request::ActiveModel {
            activity_id: Set(activity_id),
            signup_id: Set(signup_id),
            user_id: Set(user_id),
            station_id: Set(station_id),
            reason: Set("身体不适".into()),
            reason_category: Set(Some(ReasonCategory::Illness)),
            status: Set(LeaveStatus::Approved),
            decided_by: Set(Some(secretary)),
            decided_at: Set(Some(starts_at - Duration::days(1))),
            created_at: Set(starts_at - Duration::days(2)),
            updated_at: Set(starts_at - Duration::days(1)),
            ..Default::default()
        });
    }
    insert_batches(db, leave).await?;

    // Orders in every state, most of them served and rated.
    let mut orders = Vec::with_capacity(order_count);
    let mut order_hours = Vec::new();
    for n in 0..order_count {
        let created_at = year_start + Duration::seconds(rng.random_range(0..year_seconds - 86_400));
        let status = match rng.random_range(0..100) {
            0..50 => OrderStatus::Rated,
            50..60 => OrderStatus::Completed,
            60..70 => OrderStatus::Cancelled,
            70..75 => OrderStatus::Rejected,
            75..80 => OrderStatus::Open,
            80..85 => OrderStatus::Submitted,
            85..90 => OrderStatus::Accepted,
            90..95 => OrderStatus::InService,
            _ => OrderStatus::Expired,
        };
        let taken = matches!(
            status,
            OrderStatus::Accepted | OrderStatus::InService | OrderStatus::Completed | OrderStatus::Rated
        );
        let finished = matches!(status, OrderStatus::Completed | OrderStatus::Rated);
        let accepted_at = created_at + Duration::minutes(rng.random_range(5..600));
        let completed_at = accepted_at + Duration::minutes(rng.random_range(60..1440));
        let minutes = rng.random_range(30..240);
        let stars = (status == OrderStatus::Rated).then(|| rng.random_range(1..=5));
        let low = stars.is_some_and(|s| s <= 2);
        let volunteer_id = *volunteers.choose(&mut rng).unwrap_or(&volunteers[0]);
        orders.push(order::ActiveModel {
            station_id: Set(station_id),
            resident_id: Set(residents[n % residents.len()]),
            placed_by: Set(residents[n % residents.len()]),
            title: Set("上门服务".into()),
            description: Set("需要志愿者上门帮忙".into()),
            platform_id: Set(platforms[n % platforms.len()]),
            address: Set("基准路 8 号".into()),
            contact_phone: Set("13912345678".into()),
            focus_group: Set(match n % 4 {
                0 => Some(FocusGroup::Elderly),
                1 => Some(FocusGroup::LeftBehindChildren),
                _ => None,
            }),
            status: Set(status),
            volunteer_id: Set(taken.then_some(volunteer_id)),
            reject_reason: Set((status == OrderStatus::Rejected).then(|| "不在服务范围".to_owned())),
            cancel_reason: Set((status == OrderStatus::Cancelled).then(|| "已自行解决".to_owned())),
            summary: Set(finished.then(|| "服务完成".to_owned())),
            service_minutes: Set(finished.then_some(minutes)),
            accepted_at: Set(taken.then_some(accepted_at)),
            completed_at: Set(finished.then_some(completed_at)),
            stars: Set(stars),
            rating_comment: Set(stars.map(|_| "谢谢".to_owned())),
            reason_tag: Set(low.then_some(ReasonTag::Late)),
            rated_at: Set(stars.map(|_| completed_at + Duration::hours(5))),
            auto_confirmed: Set(false),
            follow_up_status: Set(low.then_some(if n % 2 == 0 {
                FollowUpStatus::Pending
            } else {
                FollowUpStatus::Done
            })),
            created_at: Set(created_at),
            updated_at: Set(created_at),
            ..Default::default()
        });
        if status == OrderStatus::Rated {
            order_hours.push((n, volunteer_id, completed_at, minutes));
        }
    }
    insert_batches(db, orders).await?;
    let order_ids = newest_ids::<order::Entity>(
        db,
        order::Column::Id,
        sea_orm::Condition::all().add(order::Column::StationId.eq(station_id)),
        order_count,
    )
    .await?;
    for (n, volunteer_id, completed_at, minutes) in order_hours {
        let order_id = order_ids[n];
        hours.push(service_hour::ActiveModel {
            user_id: Set(volunteer_id),
            station_id: Set(station_id),
            source: Set(HoursSource::Order),
            source_id: Set(Some(order_id)),
            minutes: Set(minutes),
            recorded_by: Set(None),
            dedupe_key: Set(Some(format!("order:{order_id}"))),
            confirmed_at: Set(completed_at + Duration::hours(5)),
            starts_at: Set(Some(completed_at - Duration::minutes(i64::from(minutes)))),
            ends_at: Set(Some(completed_at)),
            ..Default::default()
        });
    }
    let hours_entries = hours.len();
    insert_batches(db, hours).await?;
    // Fresh statistics, as autovacuum would gather them on a live database; without them the
    // planner takes the just-filled tables for empty ones.
    db.execute_unprepared("ANALYZE").await?;

    Ok(SeededStation {
        station_id,
        year,
        director_phone: phone(0),
        secretary_phone: phone(1),
        supervisor_phone: phone(2),
        password: o.password.clone(),
        orders: order_count,
        activities: activity_count,
        signups: signup_count,
        hours_entries,
    })
}
