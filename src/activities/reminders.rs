//! Reminders before an activity starts: everyone with a confirmed sign-up is told 24 hours and
//! 1 hour before the start. Each reminder is claimed by inserting (activity, kind) into
//! `activity_reminders`, whose unique key lets exactly one of several sweeping processes win;
//! the winner writes the notices in the same transaction, so a reminder goes out exactly once.

use crate::notifications::types::NotificationKind;
use chrono::{DateTime, Duration, Utc};
use entity::{activity, activity_reminder, activity_signup};
use sea_orm::{ActiveValue::Set, DatabaseConnection, QueryOrder, TransactionTrait, prelude::*, sea_query::OnConflict};

use super::state::{ActivityStatus, SignupStatus};
use crate::http::AppResult;
use crate::notifications::service::{About, Notice, notify};

/// One reminder before the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reminder {
    /// Sent when the start is between 24 hours and 1 hour away.
    DayBefore,
    /// Sent in the last hour before the start.
    HourBefore,
}

impl Reminder {
    fn kind(self) -> &'static str {
        match self {
            Reminder::DayBefore => "24h",
            Reminder::HourBefore => "1h",
        }
    }

    /// The window of start times this reminder is due for at `now`: (after, up to and including].
    /// The two windows do not overlap, so an activity first seen in its last hour gets only the
    /// 1-hour reminder.
    fn window(self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        match self {
            Reminder::DayBefore => (now + Duration::hours(1), now + Duration::hours(24)),
            Reminder::HourBefore => (now, now + Duration::hours(1)),
        }
    }

    fn title(self) -> &'static str {
        match self {
            Reminder::DayBefore => "活动提醒：24 小时内开始",
            Reminder::HourBefore => "活动提醒：1 小时后开始",
        }
    }
}

/// The start in China time (UTC+8), as people read it.
fn local(t: DateTime<Utc>) -> String {
    let china = crate::clock::CHINA;
    t.with_timezone(&china).format("%m月%d日 %H:%M").to_string()
}

/// The job sweep: sends every reminder due at `now` that no process has sent yet. Returns how
/// many reminders (not notices) it sent.
pub async fn send_due(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<u64> {
    let mut sent = 0;
    for reminder in [Reminder::DayBefore, Reminder::HourBefore] {
        let (after, until) = reminder.window(now);
        let due = activity::Entity::find()
            .filter(activity::Column::Status.eq(ActivityStatus::Published))
            .filter(activity::Column::StartsAt.gt(after))
            .filter(activity::Column::StartsAt.lte(until))
            .order_by_asc(activity::Column::Id)
            .all(db)
            .await?;
        for model in due {
            if send_one(db, &model, reminder, now).await? {
                sent += 1;
            }
        }
    }
    Ok(sent)
}

/// Claims the reminder and notifies the confirmed sign-ups in one transaction; `false` when
/// another process (or an earlier run) already claimed it.
async fn send_one(
    db: &DatabaseConnection,
    model: &activity::Model,
    reminder: Reminder,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let txn = db.begin().await?;
    let claimed = activity_reminder::Entity::insert(activity_reminder::ActiveModel {
        activity_id: Set(model.id),
        kind: Set(reminder.kind().to_owned()),
        sent_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([activity_reminder::Column::ActivityId, activity_reminder::Column::Kind])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if claimed == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    let people: Vec<i32> = activity_signup::Entity::find()
        .filter(activity_signup::Column::ActivityId.eq(model.id))
        .filter(activity_signup::Column::Status.eq(SignupStatus::Confirmed))
        .order_by_asc(activity_signup::Column::Id)
        .all(&txn)
        .await?
        .into_iter()
        .map(|s| s.user_id)
        .collect();
    notify(
        &txn,
        &people,
        &Notice {
            kind: NotificationKind::ActivityReminder,
            title: reminder.title().into(),
            body: format!(
                "您报名的活动「{}」将于 {} 在{}开始，请准时参加；如不能参加请提前请假",
                model.title,
                local(model.starts_at),
                model.location
            ),
            about: Some(About {
                resource_type: "activity",
                resource_id: model.id,
            }),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_windows_meet_without_overlapping() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let (day_after, day_until) = Reminder::DayBefore.window(now);
        let (hour_after, hour_until) = Reminder::HourBefore.window(now);
        assert_eq!(hour_until, day_after);
        assert_eq!(hour_after, now);
        assert_eq!(day_until - now, Duration::hours(24));
    }
}
