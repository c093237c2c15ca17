//! WeChat subscription messages (订阅消息): the grants a user accepted in the mini-program, the
//! durable outbox the notices go into, and the sender that delivers them.
//!
//! - A grant is one-time: each accept of `wx.requestSubscribeMessage` allows one message with
//!   that template. `wechat_subscriptions` counts them per user and template.
//! - [`enqueue`] runs inside [`crate::notifications::service::notify`], in the transaction of the
//!   change it reports: for each recipient bound to WeChat with a grant left for the notice's
//!   template, it spends one grant (a conditional update: `remaining > 0`) and writes an outbox
//!   row. A change rolled back leaves neither.
//! - The sender ([`spawn`]) claims due rows with one conditional update that sets a lease
//!   (`locked_until`) and a claim token of its own (`claimed_by`), then reads the rows carrying
//!   its token. A row claimed by one process is not due for another until the lease ends, so
//!   processes sharing one database never send a row twice. The lease outlasts two WeChat calls
//!   by a wide margin; only a process dying between WeChat's answer and the `sent` update can
//!   leave a row to be sent again when its lease ends (WeChat has no idempotency key).
//! - Failures are tried again after an exponential back-off up to a cap, then `failed`; 43101
//!   (the user has no grant with WeChat) is `dropped` at once; a rejected access token is
//!   replaced and the message tried again in the same attempt.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use actix_web::web;
use chrono::{DateTime, Utc};
use entity::{wechat_binding, wechat_outbox, wechat_subscription};
use sea_orm::{
    ActiveValue::Set,
    ConnectionTrait, QueryOrder, QuerySelect,
    prelude::*,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use serde::{Deserialize, Serialize};

use super::client::SendOutcome;
use super::types::WechatSubscriptionResponse;
use crate::config::{MessageChannel, WechatMessageSettings, WechatSettings};
use crate::http::{AppError, AppResult};
use crate::notifications::service::Notice;
use crate::state::AppState;

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
pub const DROPPED: &str = "dropped";

/// Rows one sender claims at a time.
const BATCH: u64 = 20;

/// What a message says: the notice, kept as it was written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payload {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub resource_type: Option<String>,
    pub resource_id: Option<i32>,
    pub at: DateTime<Utc>,
}

fn binding_required() -> AppError {
    AppError::conflict(
        "WECHAT_BINDING_REQUIRED",
        "当前账号未绑定微信，请先用微信登录并绑定后再订阅消息",
    )
}

fn template_unknown() -> AppError {
    AppError::unprocessable_field("WECHAT_TEMPLATE_UNKNOWN", "template_ids", "订阅消息模板不存在或未启用")
}

fn subscription_response(
    settings: &WechatMessageSettings,
    row: wechat_subscription::Model,
) -> WechatSubscriptionResponse {
    let channel = settings
        .channel_of(&row.template_id)
        .map_or(row.channel.clone(), |c| c.as_str().to_owned());
    WechatSubscriptionResponse {
        template_id: row.template_id,
        channel,
        remaining: row.remaining,
        updated_at: row.updated_at,
    }
}

/// The caller's grants, by template id.
pub async fn list(
    db: &impl ConnectionTrait,
    settings: &WechatMessageSettings,
    user_id: i32,
) -> AppResult<Vec<WechatSubscriptionResponse>> {
    Ok(wechat_subscription::Entity::find()
        .filter(wechat_subscription::Column::UserId.eq(user_id))
        .order_by_asc(wechat_subscription::Column::TemplateId)
        .all(db)
        .await?
        .into_iter()
        .map(|row| subscription_response(settings, row))
        .collect())
}

/// Records the templates the user accepted: one more message allowed for each. Every id must be
/// a configured template (else 422, nothing recorded); the account must be bound to WeChat.
pub async fn grant(
    db: &impl ConnectionTrait,
    settings: &WechatMessageSettings,
    user_id: i32,
    template_ids: &[String],
    now: DateTime<Utc>,
) -> AppResult<Vec<WechatSubscriptionResponse>> {
    let mut accepted: Vec<(&str, MessageChannel)> = Vec::new();
    for id in template_ids {
        let channel = settings.channel_of(id).ok_or_else(template_unknown)?;
        if !accepted.iter().any(|(seen, _)| seen == id) {
            accepted.push((id, channel));
        }
    }
    let bound = wechat_binding::Entity::find_by_id(user_id).one(db).await?.is_some();
    if !bound {
        return Err(binding_required());
    }
    for (template_id, channel) in accepted {
        wechat_subscription::Entity::insert(wechat_subscription::ActiveModel {
            user_id: Set(user_id),
            template_id: Set(template_id.to_owned()),
            channel: Set(channel.as_str().to_owned()),
            remaining: Set(1),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                wechat_subscription::Column::UserId,
                wechat_subscription::Column::TemplateId,
            ])
            .value(
                wechat_subscription::Column::Remaining,
                Expr::col((wechat_subscription::Entity, wechat_subscription::Column::Remaining)).add(1),
            )
            .value(wechat_subscription::Column::Channel, Expr::value(channel.as_str()))
            .value(wechat_subscription::Column::UpdatedAt, Expr::value(now))
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }
    list(db, settings, user_id).await
}

/// Puts `notice` in the outbox for each of `user_ids` bound to WeChat with a grant left for the
/// template of the notice's kind, spending that grant. Call it in the notice's transaction.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    user_ids: &[i32],
    notice: &Notice,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(channel) = MessageChannel::of_kind(notice.kind.as_str()) else {
        return Ok(());
    };
    let grants = wechat_subscription::Entity::find()
        .filter(wechat_subscription::Column::UserId.is_in(user_ids.iter().copied()))
        .filter(wechat_subscription::Column::Channel.eq(channel.as_str()))
        .filter(wechat_subscription::Column::Remaining.gt(0))
        .order_by_asc(wechat_subscription::Column::UserId)
        .order_by_desc(wechat_subscription::Column::UpdatedAt)
        .all(db)
        .await?;
    if grants.is_empty() {
        return Ok(());
    }
    let openids: HashMap<i32, String> = wechat_binding::Entity::find()
        .filter(wechat_binding::Column::UserId.is_in(grants.iter().map(|g| g.user_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.user_id, b.openid))
        .collect();
    let payload = serde_json::to_string(&Payload {
        kind: notice.kind.as_str().to_owned(),
        title: notice.title.clone(),
        body: notice.body.clone(),
        resource_type: notice.about.map(|a| a.resource_type.to_owned()),
        resource_id: notice.about.map(|a| a.resource_id),
        at: now,
    })
    .map_err(AppError::internal)?;
    let mut done: HashSet<i32> = HashSet::new();
    let mut rows = Vec::new();
    for grant in grants {
        if done.contains(&grant.user_id) {
            continue;
        }
        let Some(openid) = openids.get(&grant.user_id) else {
            continue;
        };
        let spent = wechat_subscription::Entity::update_many()
            .col_expr(
                wechat_subscription::Column::Remaining,
                Expr::col(wechat_subscription::Column::Remaining).sub(1),
            )
            .col_expr(wechat_subscription::Column::UpdatedAt, Expr::value(now))
            .filter(wechat_subscription::Column::UserId.eq(grant.user_id))
            .filter(wechat_subscription::Column::TemplateId.eq(grant.template_id.as_str()))
            .filter(wechat_subscription::Column::Remaining.gt(0))
            .exec(db)
            .await?
            .rows_affected;
        if spent == 0 {
            continue;
        }
        done.insert(grant.user_id);
        rows.push(wechat_outbox::ActiveModel {
            user_id: Set(grant.user_id),
            openid: Set(openid.clone()),
            template_id: Set(grant.template_id),
            channel: Set(channel.as_str().to_owned()),
            payload: Set(payload.clone()),
            status: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            locked_until: Set(None),
            claimed_by: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
            ..Default::default()
        });
    }
    if !rows.is_empty() {
        wechat_outbox::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The first `max` characters of `text` (WeChat refuses a `thing` value over 20).
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

/// The `subscribeMessage.send` body of an outbox row: `thing1` the title, `thing2` the text
/// (each at most 20 characters), `time3` the time in China time.
pub fn message(settings: &WechatMessageSettings, row: &wechat_outbox::Model) -> AppResult<serde_json::Value> {
    let payload: Payload = serde_json::from_str(&row.payload).map_err(AppError::internal)?;
    let base = if row.channel == MessageChannel::Order.as_str() {
        &settings.order_page
    } else {
        &settings.activity_page
    };
    let page = match payload.resource_id {
        Some(id) => format!("{base}?id={id}"),
        None => base.clone(),
    };
    let time = payload
        .at
        .with_timezone(&crate::clock::CHINA)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    Ok(serde_json::json!({
        "touser": row.openid,
        "template_id": row.template_id,
        "page": page,
        "data": {
            "thing1": {"value": clip(&payload.title, 20)},
            "thing2": {"value": clip(&payload.body, 20)},
            "time3": {"value": time},
        },
        "miniprogram_state": settings.miniprogram_state,
        "lang": "zh_CN",
    }))
}

/// The wait before try `attempts + 1`: `backoff` doubled for each try after the first, at most
/// `backoff_max`.
pub fn backoff(settings: &WechatMessageSettings, attempts: i32) -> Duration {
    let doublings = Ord::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 30);
    Ord::min(settings.backoff.saturating_mul(1u32 << doublings), settings.backoff_max)
}

/// How long a claim keeps a row from other senders: two WeChat calls for the token and two for
/// the message, and a minute of margin.
fn lease(wechat: &WechatSettings) -> chrono::Duration {
    chrono::Duration::from_std(wechat.timeout * 4 + Duration::from_secs(60)).unwrap_or(chrono::Duration::minutes(5))
}

fn millis(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::hours(1))
}

/// Claims up to [`BATCH`] due rows for this sender: a conditional update that only a row not
/// leased to anyone (or whose lease ended) passes, so a row is never held by two senders.
pub async fn claim(
    db: &impl ConnectionTrait,
    token: &str,
    lease: chrono::Duration,
    now: DateTime<Utc>,
) -> AppResult<Vec<wechat_outbox::Model>> {
    let free = || {
        sea_orm::Condition::any()
            .add(wechat_outbox::Column::LockedUntil.is_null())
            .add(wechat_outbox::Column::LockedUntil.lt(now))
    };
    let due: Vec<i32> = wechat_outbox::Entity::find()
        .select_only()
        .column(wechat_outbox::Column::Id)
        .filter(wechat_outbox::Column::Status.eq(PENDING))
        .filter(wechat_outbox::Column::NextAttemptAt.lte(now))
        .filter(free())
        .order_by_asc(wechat_outbox::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    // Re-checked by the update itself: a row another sender claimed since the read fails it.
    wechat_outbox::Entity::update_many()
        .col_expr(wechat_outbox::Column::ClaimedBy, Expr::value(token))
        .col_expr(wechat_outbox::Column::LockedUntil, Expr::value(now + lease))
        .col_expr(
            wechat_outbox::Column::Attempts,
            Expr::col(wechat_outbox::Column::Attempts).add(1),
        )
        .filter(wechat_outbox::Column::Id.is_in(due))
        .filter(wechat_outbox::Column::Status.eq(PENDING))
        .filter(wechat_outbox::Column::NextAttemptAt.lte(now))
        .filter(free())
        .exec(db)
        .await?;
    Ok(wechat_outbox::Entity::find()
        .filter(wechat_outbox::Column::ClaimedBy.eq(token))
        .filter(wechat_outbox::Column::Status.eq(PENDING))
        .order_by_asc(wechat_outbox::Column::Id)
        .all(db)
        .await?)
}

/// Records what became of a claimed row, if this sender still holds it.
async fn settle(
    db: &impl ConnectionTrait,
    settings: &WechatMessageSettings,
    row: &wechat_outbox::Model,
    token: &str,
    outcome: &SendOutcome,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let update = wechat_outbox::Entity::update_many()
        .col_expr(
            wechat_outbox::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(wechat_outbox::Column::ClaimedBy, Expr::value(Option::<String>::None));
    let update = match outcome {
        SendOutcome::Sent => update
            .col_expr(wechat_outbox::Column::Status, Expr::value(SENT))
            .col_expr(wechat_outbox::Column::SentAt, Expr::value(now)),
        SendOutcome::Refused => update
            .col_expr(wechat_outbox::Column::Status, Expr::value(DROPPED))
            .col_expr(
                wechat_outbox::Column::LastError,
                Expr::value("errcode 43101: no grant with WeChat"),
            ),
        SendOutcome::Rejected(error) => update
            .col_expr(wechat_outbox::Column::Status, Expr::value(FAILED))
            .col_expr(wechat_outbox::Column::LastError, Expr::value(clip(error, 500))),
        SendOutcome::Failed(error) => {
            let update = update.col_expr(wechat_outbox::Column::LastError, Expr::value(clip(error, 500)));
            if row.attempts >= settings.max_attempts {
                update.col_expr(wechat_outbox::Column::Status, Expr::value(FAILED))
            } else {
                update.col_expr(
                    wechat_outbox::Column::NextAttemptAt,
                    Expr::value(now + millis(backoff(settings, row.attempts))),
                )
            }
        }
    };
    update
        .filter(wechat_outbox::Column::Id.eq(row.id))
        .filter(wechat_outbox::Column::ClaimedBy.eq(token))
        .exec(db)
        .await?;
    Ok(())
}

/// Sends every due message once: claims, sends, settles. Returns how many were sent.
pub async fn run_once(state: &AppState) -> AppResult<u64> {
    let (Some(client), Some(wechat)) = (state.wechat.as_ref(), state.settings.wechat.as_ref()) else {
        return Ok(0);
    };
    let settings = &wechat.messages;
    let token = Uuid::new_v4().to_string();
    let rows = claim(&state.db, &token, lease(wechat), state.clock.now()).await?;
    let mut sent = 0;
    for row in rows {
        let outcome = match message(settings, &row) {
            Ok(body) => client.send_subscribe_message(&body).await,
            Err(_) => SendOutcome::Rejected("unreadable payload".into()),
        };
        if outcome == SendOutcome::Sent {
            sent += 1;
        }
        let label = match &outcome {
            SendOutcome::Sent => SENT,
            SendOutcome::Refused => DROPPED,
            SendOutcome::Rejected(_) => "rejected",
            SendOutcome::Failed(_) => "retry",
        };
        state.metrics.wechat_messages.with_label_values(&[label]).inc();
        if let SendOutcome::Failed(error) | SendOutcome::Rejected(error) = &outcome {
            tracing::warn!(id = row.id, attempts = row.attempts, error = %error, "a WeChat subscription message failed");
        }
        settle(&state.db, settings, &row, &token, &outcome, state.clock.now()).await?;
    }
    Ok(sent)
}

/// Sends due messages every `WECHAT_OUTBOX_POLL_MS` until the process ends (when WeChat and a
/// template are configured). A failed round is logged and tried again next time.
pub fn spawn(state: web::Data<AppState>) {
    let Some(wechat) = state.settings.wechat.as_ref().filter(|w| w.messages.enabled()) else {
        return;
    };
    let poll = wechat.messages.poll;
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(poll);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match run_once(&state).await {
                Ok(0) => {}
                Ok(sent) => tracing::info!(sent, "WeChat subscription messages sent"),
                Err(e) => tracing::warn!(error = %e, "the WeChat outbox failed; retrying next round"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> WechatMessageSettings {
        WechatMessageSettings {
            order_template: Some("T1".into()),
            activity_template: None,
            order_page: "pages/orders/detail".into(),
            activity_page: "pages/activities/detail".into(),
            miniprogram_state: "formal".into(),
            poll: Duration::from_secs(1),
            max_attempts: 8,
            backoff: Duration::from_secs(30),
            backoff_max: Duration::from_secs(600),
        }
    }

    #[test]
    fn the_back_off_doubles_up_to_its_cap() {
        let s = settings();
        assert_eq!(backoff(&s, 1), Duration::from_secs(30));
        assert_eq!(backoff(&s, 2), Duration::from_secs(60));
        assert_eq!(backoff(&s, 4), Duration::from_secs(240));
        assert_eq!(backoff(&s, 5), Duration::from_secs(480));
        assert_eq!(backoff(&s, 6), Duration::from_secs(600));
        assert_eq!(backoff(&s, 60), Duration::from_secs(600));
    }

    #[test]
    fn thing_values_are_clipped_to_twenty_characters() {
        assert_eq!(clip("订单已被接单", 20), "订单已被接单");
        let long = "一".repeat(25);
        let clipped = clip(&long, 20);
        assert_eq!(clipped.chars().count(), 20);
        assert!(clipped.ends_with('…'));
    }
}
