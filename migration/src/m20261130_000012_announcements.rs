//! Announcements (rule 11): news and learning content, each either a station's or
//! platform-wide, readable from its publish time on; an activity's record becomes news at most
//! once (a unique index on `activity_id`). Also the indexes the year's ledger pages by: a
//! station's orders by completion, and sign-ups by activity (activities by start are indexed with
//! the inspections).

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{index, references, unique_index};

use crate::m20261128_000001_foundation::{Stations, Users};
use crate::m20261128_000004_activities::Activities;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Announcements::Table)
                    .if_not_exists()
                    .col(pk_auto(Announcements::Id))
                    .col(integer_null(Announcements::StationId))
                    .col(string_len(Announcements::Title, 200))
                    .col(text(Announcements::Body))
                    .col(string_len(Announcements::Category, 20))
                    .col(string_len_null(Announcements::CoverUrl, 1000))
                    .col(boolean(Announcements::Pinned).default(false))
                    .col(timestamp_with_time_zone(Announcements::PublishAt))
                    .col(integer_null(Announcements::ActivityId))
                    .col(integer(Announcements::AuthorId))
                    .col(timestamp_with_time_zone(Announcements::CreatedAt))
                    .col(timestamp_with_time_zone(Announcements::UpdatedAt))
                    .foreign_key(&mut references(
                        (Announcements::Table, Announcements::StationId),
                        (Stations::Table, Stations::Id),
                    ))
                    .foreign_key(&mut references(
                        (Announcements::Table, Announcements::ActivityId),
                        (Activities::Table, Activities::Id),
                    ))
                    .foreign_key(&mut references(
                        (Announcements::Table, Announcements::AuthorId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // Readers' order: pinned first, then newest.
        manager
            .create_index(index(
                "idx_announcements_feed",
                Announcements::Table,
                [Announcements::Pinned, Announcements::PublishAt],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_announcements_station",
                Announcements::Table,
                [Announcements::StationId],
            ))
            .await?;
        manager
            .create_index(unique_index(
                "uq_announcements_activity",
                Announcements::Table,
                [Announcements::ActivityId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_activity_signups_activity_id",
                ActivitySignups::Table,
                [ActivitySignups::ActivityId, ActivitySignups::Id],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_orders_station_completed_at",
                Orders::Table,
                [Orders::StationId, Orders::CompletedAt],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [("idx_orders_station_completed_at", Orders::Table.into_iden())] {
            manager
                .drop_index(Index::drop().name(name).table(table).if_exists().to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Announcements::Table).if_exists().to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ActivitySignups {
    Table,
    Id,
    ActivityId,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    StationId,
    CompletedAt,
}

#[derive(DeriveIden)]
enum Announcements {
    Table,
    Id,
    StationId,
    Title,
    Body,
    Category,
    CoverUrl,
    Pinned,
    PublishAt,
    ActivityId,
    AuthorId,
    CreatedAt,
    UpdatedAt,
}
