//! `wenming seed --demo`: one small, realistic station a newcomer can log in to and click
//! through in /docs: staff, residents and volunteers with Chinese names, the service menu,
//! activities and orders in every state, this year's approved plan and announcements.

use chrono::{Datelike, Duration, Utc};
use entity::enums::{
    ActivityKind, ActivityStatus, AnnouncementCategory, Audience, FocusGroup, OrderStatus, PlanStatus, SignupStatus,
    VolunteerSource,
};
use entity::{
    activity, activity_signup, announcement, annual_plan, annual_plan_item, order, platform, service_item, station,
    user, user_role, volunteer,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait, prelude::*,
};
use serde::Serialize;

use super::SeedOptions;
use crate::auth::roles::Role;

/// The logins `--demo` prints.
#[derive(Debug, Serialize)]
pub struct DemoLogins {
    pub station_id: i32,
    pub station: String,
    pub password: String,
    pub logins: Vec<DemoLogin>,
}

#[derive(Debug, Serialize)]
pub struct DemoLogin {
    pub phone: String,
    pub name: String,
    pub roles: Vec<String>,
}

const RESIDENTS: [&str; 12] = [
    "张桂英",
    "王秀兰",
    "李建华",
    "刘淑珍",
    "陈志强",
    "杨玉梅",
    "赵德明",
    "黄丽娟",
    "周海涛",
    "吴凤英",
    "徐国庆",
    "孙晓燕",
];
const VOLUNTEERS: [&str; 12] = [
    "马文博",
    "朱丽华",
    "胡建军",
    "郭晓东",
    "何雪梅",
    "高志远",
    "林小红",
    "罗永刚",
    "郑春燕",
    "梁家豪",
    "宋佳怡",
    "谢明轩",
];

pub async fn run(db: &DatabaseConnection, o: &SeedOptions, password_hash: &str) -> anyhow::Result<DemoLogins> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let name = format!("幸福里社区新时代文明实践站（演示{}）", now.format("%m%d%H%M%S"));
    let station = station::ActiveModel {
        name: Set(name.clone()),
        district: Set("滨江区".into()),
        address: Set("幸福里 18 号".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let station_id = station.id;
    let platforms: Vec<i32> = platform::Entity::find()
        .select_only()
        .column(platform::Column::Id)
        .filter(platform::Column::StationId.is_null())
        .order_by_asc(platform::Column::Id)
        .into_tuple()
        .all(&txn)
        .await?;
    anyhow::ensure!(!platforms.is_empty(), "the default platforms are missing");

    // People: director, secretary, then residents, then volunteers.
    let mut people: Vec<(&str, Vec<Role>)> = vec![
        ("王建国", vec![Role::Resident, Role::Director]),
        ("李秀英", vec![Role::Resident, Role::Secretary]),
    ];
    people.extend(RESIDENTS.iter().map(|n| (*n, vec![Role::Resident])));
    people.extend(VOLUNTEERS.iter().map(|n| (*n, vec![Role::Resident, Role::Volunteer])));
    let phone = |n: usize| format!("{}{:04}{:04}", o.phone_prefix, station_id % 10_000, n);
    let mut ids = Vec::with_capacity(people.len());
    let mut logins = Vec::with_capacity(people.len());
    for (n, (person, roles)) in people.iter().enumerate() {
        let row = user::ActiveModel {
            phone: Set(phone(n)),
            password_hash: Set(password_hash.to_owned()),
            name: Set((*person).to_owned()),
            station_id: Set(Some(station_id)),
            token_version: Set(0),
            district: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for role in roles {
            user_role::ActiveModel {
                user_id: Set(row.id),
                role: Set(role.as_str().to_owned()),
            }
            .insert(&txn)
            .await?;
        }
        ids.push(row.id);
        logins.push(DemoLogin {
            phone: phone(n),
            name: (*person).to_owned(),
            roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
        });
    }
    let (director, secretary) = (ids[0], ids[1]);
    let residents = &ids[2..2 + RESIDENTS.len()];
    let volunteers = &ids[2 + RESIDENTS.len()..];
    let sources = [
        VolunteerSource::CommunityStaff,
        VolunteerSource::RetiredCulturalWorkers,
        VolunteerSource::CollegeStudents,
        VolunteerSource::PartyMembers,
    ];
    for (n, id) in volunteers.iter().enumerate() {
        volunteer::ActiveModel {
            user_id: Set(*id),
            station_id: Set(station_id),
            real_name: Set(VOLUNTEERS[n].to_owned()),
            skills: Set(r#"["陪护","维修","理发"]"#.into()),
            source: Set(sources[n % sources.len()]),
            approved_at: Set(now - Duration::days(60)),
        }
        .insert(&txn)
        .await?;
    }

    let items = [
        ("助餐送餐", "为独居老人送午餐"),
        ("上门理发", "志愿者上门为行动不便的老人理发"),
        ("家电维修", "小家电检修"),
        ("课业辅导", "为留守儿童辅导功课"),
    ];
    for (n, (item, about)) in items.iter().enumerate() {
        service_item::ActiveModel {
            station_id: Set(station_id),
            platform_id: Set(platforms[n % platforms.len()]),
            name: Set((*item).to_owned()),
            description: Set(Some((*about).to_owned())),
            skills: Set(r#"["陪护"]"#.into()),
            deleted_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }

    // This year's plan, approved by the director.
    let year = now.with_timezone(&crate::clock::CHINA).year();
    let plan = annual_plan::ActiveModel {
        station_id: Set(station_id),
        year: Set(year),
        title: Set(format!("{year} 年度新时代文明实践工作计划")),
        goals: Set("每月至少开展一次主题实践活动，覆盖全体重点人群".into()),
        status: Set(PlanStatus::Approved),
        late: Set(false),
        approved_year: Set(Some(year)),
        submitted_at: Set(Some(now - Duration::days(30))),
        decided_at: Set(Some(now - Duration::days(29))),
        decided_by: Set(Some(director)),
        reject_reason: Set(None),
        created_by: Set(secretary),
        created_at: Set(now - Duration::days(31)),
        updated_at: Set(now - Duration::days(29)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let themes = ["理论宣讲", "移风易俗", "关爱老人", "科普进万家"];
    for month in 1..=12 {
        annual_plan_item::ActiveModel {
            plan_id: Set(plan.id),
            month: Set(month),
            theme: Set(themes[(month as usize) % themes.len()].to_owned()),
            platform_id: Set(platforms[(month as usize) % platforms.len()]),
            kind: Set(ActivityKind::Practice),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }

    // Activities, one or two in every state.
    let activities = [
        ("重阳节敬老义诊", ActivityStatus::Published, 3, 20),
        ("垃圾分类宣讲进楼道", ActivityStatus::Published, 10, 30),
        ("亲子读书会", ActivityStatus::Draft, 14, 25),
        ("反诈知识讲座", ActivityStatus::PendingApproval, 20, 50),
        ("社区环境清洁日", ActivityStatus::Ongoing, 0, 40),
        ("端午包粽子", ActivityStatus::Finished, -20, 30),
        ("党史学习分享会", ActivityStatus::Archived, -40, 30),
        ("露天电影放映", ActivityStatus::Cancelled, 5, 100),
    ];
    for (n, (title, status, days, capacity)) in activities.iter().enumerate() {
        let starts_at = now + Duration::days(*days) - Duration::hours(i64::from(*status == ActivityStatus::Ongoing));
        let ends_at = starts_at + Duration::hours(2);
        let published = !matches!(status, ActivityStatus::Draft | ActivityStatus::PendingApproval);
        let held = matches!(
            status,
            ActivityStatus::Ongoing | ActivityStatus::Finished | ActivityStatus::Archived
        );
        let signed: Vec<i32> = if published && *status != ActivityStatus::Cancelled {
            residents.iter().chain(volunteers).copied().skip(n).take(6).collect()
        } else {
            Vec::new()
        };
        let archived = *status == ActivityStatus::Archived;
        let row = activity::ActiveModel {
            station_id: Set(station_id),
            title: Set((*title).to_owned()),
            kind: Set(if n % 3 == 1 {
                ActivityKind::Lecture
            } else {
                ActivityKind::Practice
            }),
            platform_id: Set(platforms[n % platforms.len()]),
            description: Set(format!("{title}，欢迎社区居民踊跃参加")),
            location: Set("幸福里社区活动中心".into()),
            theme: Set(Some(themes[n % themes.len()].to_owned())),
            focus_group: Set((n == 0).then_some(FocusGroup::Elderly)),
            plan_id: Set(None),
            plan_item_id: Set(None),
            starts_at: Set(starts_at),
            ends_at: Set(ends_at),
            capacity: Set(*capacity),
            signup_opens_at: Set(None),
            signup_closes_at: Set(None),
            audience: Set(Audience::Public),
            host_id: Set(secretary),
            created_by: Set(secretary),
            status: Set(*status),
            confirmed_count: Set(signed.len() as i32),
            waitlist_seq: Set(0),
            approved_by: Set(published.then_some(director)),
            published_at: Set(published.then(|| now - Duration::days(7))),
            finished_at: Set(matches!(status, ActivityStatus::Finished | ActivityStatus::Archived).then_some(ends_at)),
            cancel_reason: Set((*status == ActivityStatus::Cancelled).then(|| "场地维修，活动取消".to_owned())),
            record_summary: Set(archived.then(|| "活动顺利开展，居民反响热烈".to_owned())),
            record_materials: Set(archived.then(|| "签到表、活动照片".to_owned())),
            attendance_confirmed_at: Set(archived.then_some(ends_at)),
            created_at: Set(now - Duration::days(10)),
            updated_at: Set(now - Duration::days(7)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for user_id in signed {
            activity_signup::ActiveModel {
                activity_id: Set(row.id),
                user_id: Set(user_id),
                status: Set(SignupStatus::Confirmed),
                checked_in_at: Set(held.then_some(starts_at)),
                checked_out_at: Set((held && *status != ActivityStatus::Ongoing).then_some(ends_at)),
                created_at: Set(now - Duration::days(5)),
                updated_at: Set(now - Duration::days(5)),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }

    // Orders, one in every state.
    let orders = [
        ("助餐送餐", OrderStatus::Submitted),
        ("上门理发", OrderStatus::Open),
        ("家电维修", OrderStatus::Assigned),
        ("陪同就医", OrderStatus::Accepted),
        ("课业辅导", OrderStatus::InService),
        ("代购药品", OrderStatus::Completed),
        ("上门理发", OrderStatus::Rated),
        ("家电维修", OrderStatus::Rejected),
        ("助餐送餐", OrderStatus::Cancelled),
        ("陪同散步", OrderStatus::Expired),
    ];
    for (n, (title, status)) in orders.iter().enumerate() {
        let taken = matches!(
            status,
            OrderStatus::Assigned
                | OrderStatus::Accepted
                | OrderStatus::InService
                | OrderStatus::Completed
                | OrderStatus::Rated
        );
        let finished = matches!(status, OrderStatus::Completed | OrderStatus::Rated);
        let created_at = now - Duration::days(12 - n as i64);
        let resident = residents[n % residents.len()];
        order::ActiveModel {
            station_id: Set(station_id),
            resident_id: Set(resident),
            placed_by: Set(resident),
            title: Set((*title).to_owned()),
            description: Set(format!("{}，麻烦志愿者帮忙", title)),
            platform_id: Set(platforms[n % platforms.len()]),
            service_item_id: Set(None),
            address: Set(format!("幸福里 {} 栋 {} 室", n + 1, 101 + n)),
            contact_phone: Set("13912345678".into()),
            focus_group: Set((n % 3 == 0).then_some(FocusGroup::Elderly)),
            status: Set(*status),
            volunteer_id: Set(taken.then_some(volunteers[n % volunteers.len()])),
            reject_reason: Set((*status == OrderStatus::Rejected).then(|| "超出本站服务范围".to_owned())),
            cancel_reason: Set((*status == OrderStatus::Cancelled).then(|| "家人已帮忙解决".to_owned())),
            summary: Set(finished.then(|| "已上门完成服务".to_owned())),
            service_minutes: Set(finished.then_some(90)),
            accepted_at: Set((taken && *status != OrderStatus::Assigned).then_some(created_at + Duration::hours(1))),
            completed_at: Set(finished.then_some(created_at + Duration::hours(3))),
            stars: Set((*status == OrderStatus::Rated).then_some(5)),
            rating_comment: Set((*status == OrderStatus::Rated).then(|| "志愿者很耐心，谢谢！".to_owned())),
            rated_at: Set((*status == OrderStatus::Rated).then_some(created_at + Duration::hours(8))),
            auto_confirmed: Set(false),
            created_at: Set(created_at),
            updated_at: Set(created_at),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }

    let news = [
        (
            "幸福里社区开展重阳敬老活动",
            AnnouncementCategory::News,
            "志愿者为社区老人义诊、理发，共服务 60 余人次。",
        ),
        (
            "学习新时代文明实践工作要点",
            AnnouncementCategory::Learning,
            "请各位志愿者认真学习，做好本年度实践工作。",
        ),
        (
            "关于招募社区志愿者的通知",
            AnnouncementCategory::Notice,
            "欢迎居民报名成为志愿者，可在小程序内提交申请。",
        ),
    ];
    for (n, (title, category, body)) in news.iter().enumerate() {
        announcement::ActiveModel {
            station_id: Set(Some(station_id)),
            title: Set((*title).to_owned()),
            body: Set((*body).to_owned()),
            category: Set(*category),
            cover_url: Set(None),
            pinned: Set(n == 2),
            publish_at: Set(now - Duration::days(3 - n as i64)),
            activity_id: Set(None),
            author_id: Set(secretary),
            created_at: Set(now - Duration::days(3)),
            updated_at: Set(now - Duration::days(3)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(DemoLogins {
        station_id,
        station: name,
        password: o.password.clone(),
        logins,
    })
}
