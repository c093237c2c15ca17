//! Cross-domain tables: notifications, the service-hours ledger and idempotency keys.

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{index, references, unique_index};

use crate::m20261128_000001_foundation::{Stations, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .if_not_exists()
                    .col(pk_auto(Notifications::Id))
                    .col(integer(Notifications::UserId))
                    .col(string_len(Notifications::Kind, 40))
                    .col(string(Notifications::Title))
                    .col(text(Notifications::Body))
                    .col(string_len_null(Notifications::ResourceType, 30))
                    .col(integer_null(Notifications::ResourceId))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .foreign_key(
                        references((Notifications::Table, Notifications::UserId), (Users::Table, Users::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_notifications_user",
                Notifications::Table,
                [Notifications::UserId, Notifications::Id],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ServiceHours::Table)
                    .if_not_exists()
                    .col(pk_auto(ServiceHours::Id))
                    .col(integer(ServiceHours::UserId))
                    .col(integer(ServiceHours::StationId))
                    .col(string_len(ServiceHours::Source, 20))
                    .col(integer_null(ServiceHours::SourceId))
                    .col(integer(ServiceHours::Minutes))
                    .col(text_null(ServiceHours::Note))
                    .col(integer_null(ServiceHours::RecordedBy))
                    .col(string_len_null(ServiceHours::DedupeKey, 80).unique_key())
                    .col(timestamp_with_time_zone(ServiceHours::ConfirmedAt))
                    .foreign_key(&mut references(
                        (ServiceHours::Table, ServiceHours::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut references(
                        (ServiceHours::Table, ServiceHours::StationId),
                        (Stations::Table, Stations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_service_hours_user", ServiceHours::UserId),
            ("idx_service_hours_station", ServiceHours::StationId),
        ] {
            manager.create_index(index(name, ServiceHours::Table, [column])).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .if_not_exists()
                    .col(pk_auto(IdempotencyKeys::Id))
                    .col(integer(IdempotencyKeys::UserId))
                    .col(string_len(IdempotencyKeys::Scope, 120))
                    .col(string_len(IdempotencyKeys::Key, 255))
                    .col(string_len(IdempotencyKeys::RequestHash, 64))
                    .col(integer_null(IdempotencyKeys::StatusCode))
                    .col(text_null(IdempotencyKeys::ResponseBody))
                    .col(string_null(IdempotencyKeys::Location))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "idx_idempotency_keys_unique",
                IdempotencyKeys::Table,
                [IdempotencyKeys::UserId, IdempotencyKeys::Scope, IdempotencyKeys::Key],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyKeys::Table.into_iden(),
            ServiceHours::Table.into_iden(),
            Notifications::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    Kind,
    Title,
    Body,
    ResourceType,
    ResourceId,
    ReadAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServiceHours {
    Table,
    Id,
    UserId,
    StationId,
    Source,
    SourceId,
    Minutes,
    Note,
    RecordedBy,
    DedupeKey,
    ConfirmedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    UserId,
    Scope,
    Key,
    RequestHash,
    StatusCode,
    ResponseBody,
    Location,
    CreatedAt,
}
