//! Per-user token versions (a role, password or account change invalidates access tokens on the
//! next request) and the claims of activity reminders (each reminder sent exactly once).

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{references, unique_index};

use crate::m20261128_000001_foundation::Users;
use crate::m20261128_000004_activities::Activities;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(integer(UsersTokenVersion::TokenVersion).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ActivityReminders::Table)
                    .if_not_exists()
                    .col(pk_auto(ActivityReminders::Id))
                    .col(integer(ActivityReminders::ActivityId))
                    .col(string_len(ActivityReminders::Kind, 20))
                    .col(timestamp_with_time_zone(ActivityReminders::SentAt))
                    .foreign_key(&mut references(
                        (ActivityReminders::Table, ActivityReminders::ActivityId),
                        (Activities::Table, Activities::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "uq_activity_reminders_activity_kind",
                ActivityReminders::Table,
                [ActivityReminders::ActivityId, ActivityReminders::Kind],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ActivityReminders::Table).if_exists().to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(UsersTokenVersion::TokenVersion)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum UsersTokenVersion {
    TokenVersion,
}

#[derive(DeriveIden)]
enum ActivityReminders {
    Table,
    Id,
    ActivityId,
    Kind,
    SentAt,
}
