//! WeChat subscription messages (订阅消息): the one-time grants a user accepted in the
//! mini-program (`wechat_subscriptions`, a count per user and template, spent one per message by
//! a conditional update) and the durable outbox of messages to send (`wechat_outbox`). A sender
//! claims due rows with a conditional update that sets a lease (`locked_until`) and its own
//! claim token (`claimed_by`), so several processes on one database never send a row twice.

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{index, references};

use crate::m20261128_000001_foundation::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WechatSubscriptions::Table)
                    .if_not_exists()
                    .col(integer(WechatSubscriptions::UserId))
                    .col(string_len(WechatSubscriptions::TemplateId, 128))
                    .col(string_len(WechatSubscriptions::Channel, 32))
                    .col(integer(WechatSubscriptions::Remaining))
                    .col(timestamp_with_time_zone(WechatSubscriptions::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(WechatSubscriptions::UserId)
                            .col(WechatSubscriptions::TemplateId),
                    )
                    .foreign_key(
                        references(
                            (WechatSubscriptions::Table, WechatSubscriptions::UserId),
                            (Users::Table, Users::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WechatOutbox::Table)
                    .if_not_exists()
                    .col(pk_auto(WechatOutbox::Id))
                    .col(integer(WechatOutbox::UserId))
                    .col(string_len(WechatOutbox::Openid, 128))
                    .col(string_len(WechatOutbox::TemplateId, 128))
                    .col(string_len(WechatOutbox::Channel, 32))
                    .col(text(WechatOutbox::Payload))
                    .col(string_len(WechatOutbox::Status, 16))
                    .col(integer(WechatOutbox::Attempts))
                    .col(timestamp_with_time_zone(WechatOutbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(WechatOutbox::LockedUntil))
                    .col(string_len_null(WechatOutbox::ClaimedBy, 36))
                    .col(string_len_null(WechatOutbox::LastError, 500))
                    .col(timestamp_with_time_zone(WechatOutbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(WechatOutbox::SentAt))
                    .foreign_key(
                        references((WechatOutbox::Table, WechatOutbox::UserId), (Users::Table, Users::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_wechat_outbox_due",
                WechatOutbox::Table,
                [WechatOutbox::Status, WechatOutbox::NextAttemptAt],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_wechat_outbox_claimed_by",
                WechatOutbox::Table,
                [WechatOutbox::ClaimedBy],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_wechat_outbox_user_id",
                WechatOutbox::Table,
                [WechatOutbox::UserId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WechatOutbox::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WechatSubscriptions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum WechatSubscriptions {
    Table,
    UserId,
    TemplateId,
    Channel,
    Remaining,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WechatOutbox {
    Table,
    Id,
    UserId,
    Openid,
    TemplateId,
    Channel,
    Payload,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    ClaimedBy,
    LastError,
    CreatedAt,
    SentAt,
}
