//! Commendations (先进评选): nominations of volunteers and teams with the evidence they were
//! nominated on, and the objections raised during the public notice (公示).
//!
//! "One live nomination per nominee per station and year" is a unique index on `live_key`, a
//! text naming the station, year and nominee while the nomination is pending, under notice or
//! final, and cleared (NULL) when it is rejected: NULLs never collide, on either database.

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
                    .table(Commendations::Table)
                    .if_not_exists()
                    .col(pk_auto(Commendations::Id))
                    .col(integer(Commendations::StationId))
                    .col(integer(Commendations::Year))
                    .col(string_len(Commendations::NomineeKind, 20))
                    .col(integer_null(Commendations::VolunteerUserId))
                    .col(integer_null(Commendations::TeamId))
                    .col(text(Commendations::Reason))
                    .col(big_integer(Commendations::EvidenceMinutes))
                    .col(integer(Commendations::EvidenceFinishedOrders))
                    .col(integer(Commendations::EvidenceRatedOrders))
                    .col(integer(Commendations::EvidenceStarsSum))
                    .col(string_len(Commendations::Status, 20))
                    .col(string_len_null(Commendations::LiveKey, 100))
                    .col(integer(Commendations::OpenObjections).default(0))
                    .col(integer(Commendations::NominatedBy))
                    .col(timestamp_with_time_zone(Commendations::NominatedAt))
                    .col(integer_null(Commendations::DecidedBy))
                    .col(timestamp_with_time_zone_null(Commendations::DecidedAt))
                    .col(timestamp_with_time_zone_null(Commendations::NoticeEndsAt))
                    .col(text_null(Commendations::RejectReason))
                    .foreign_key(&mut references(
                        (Commendations::Table, Commendations::StationId),
                        (Stations::Table, Stations::Id),
                    ))
                    .foreign_key(&mut references(
                        (Commendations::Table, Commendations::VolunteerUserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut references(
                        (Commendations::Table, Commendations::TeamId),
                        (Teams::Table, Teams::Id),
                    ))
                    .foreign_key(&mut references(
                        (Commendations::Table, Commendations::NominatedBy),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "uq_commendations_live_key",
                Commendations::Table,
                [Commendations::LiveKey],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_commendations_year_station",
                Commendations::Table,
                [Commendations::Year, Commendations::StationId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_commendations_status_notice_ends",
                Commendations::Table,
                [Commendations::Status, Commendations::NoticeEndsAt],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CommendationObjections::Table)
                    .if_not_exists()
                    .col(pk_auto(CommendationObjections::Id))
                    .col(integer(CommendationObjections::CommendationId))
                    .col(integer(CommendationObjections::UserId))
                    .col(text(CommendationObjections::Reason))
                    .col(timestamp_with_time_zone(CommendationObjections::CreatedAt))
                    .col(text_null(CommendationObjections::Answer))
                    .col(integer_null(CommendationObjections::AnsweredBy))
                    .col(timestamp_with_time_zone_null(CommendationObjections::AnsweredAt))
                    .foreign_key(&mut references(
                        (CommendationObjections::Table, CommendationObjections::CommendationId),
                        (Commendations::Table, Commendations::Id),
                    ))
                    .foreign_key(&mut references(
                        (CommendationObjections::Table, CommendationObjections::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "uq_commendation_objections_user",
                CommendationObjections::Table,
                [CommendationObjections::CommendationId, CommendationObjections::UserId],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(CommendationObjections::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Commendations::Table).if_exists().to_owned())
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Commendations {
    Table,
    Id,
    StationId,
    Year,
    NomineeKind,
    VolunteerUserId,
    TeamId,
    Reason,
    EvidenceMinutes,
    EvidenceFinishedOrders,
    EvidenceRatedOrders,
    EvidenceStarsSum,
    Status,
    LiveKey,
    OpenObjections,
    NominatedBy,
    NominatedAt,
    DecidedBy,
    DecidedAt,
    NoticeEndsAt,
    RejectReason,
}

#[derive(DeriveIden)]
enum CommendationObjections {
    Table,
    Id,
    CommendationId,
    UserId,
    Reason,
    CreatedAt,
    Answer,
    AnsweredBy,
    AnsweredAt,
}
