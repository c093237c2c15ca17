//! WeChat mini-program bindings: which account an `openid` logs in as. One openid, one account,
//! both ways: the user id is the primary key and the openid has a unique index, so two binds
//! racing for either side cannot both succeed.

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{index, references, unique_index};

use crate::m20261128_000001_foundation::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WechatBindings::Table)
                    .if_not_exists()
                    .col(integer(WechatBindings::UserId).primary_key())
                    .col(string_len(WechatBindings::Openid, 128))
                    .col(string_len_null(WechatBindings::Unionid, 128))
                    .col(timestamp_with_time_zone(WechatBindings::CreatedAt))
                    .foreign_key(
                        references(
                            (WechatBindings::Table, WechatBindings::UserId),
                            (Users::Table, Users::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "uq_wechat_bindings_openid",
                WechatBindings::Table,
                [WechatBindings::Openid],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_wechat_bindings_unionid",
                WechatBindings::Table,
                [WechatBindings::Unionid],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WechatBindings::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum WechatBindings {
    Table,
    UserId,
    Openid,
    Unionid,
    CreatedAt,
}
