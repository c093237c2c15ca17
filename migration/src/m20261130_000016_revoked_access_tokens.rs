//! Access tokens ended by a logout before their expiry, by `jti`. A row is needed only until the
//! token expires; the job sweep deletes it then, so the table holds at most one access-token
//! lifetime of logouts.

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RevokedAccessTokens::Table)
                    .if_not_exists()
                    .col(string_len(RevokedAccessTokens::Jti, 64).primary_key())
                    .col(timestamp_with_time_zone(RevokedAccessTokens::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_revoked_access_tokens_expires_at",
                RevokedAccessTokens::Table,
                [RevokedAccessTokens::ExpiresAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RevokedAccessTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RevokedAccessTokens {
    Table,
    Jti,
    ExpiresAt,
}
