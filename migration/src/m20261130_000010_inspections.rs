//! Inspections (督查) of a station for a half year, with their rectification items, and the
//! indexes the period reports (overview, half-year report) aggregate along.

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{index, references};

use crate::m20261128_000001_foundation::{Stations, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Inspections::Table)
                    .if_not_exists()
                    .col(pk_auto(Inspections::Id))
                    .col(integer(Inspections::StationId))
                    .col(integer(Inspections::Year))
                    .col(integer(Inspections::Half))
                    .col(integer(Inspections::Score))
                    .col(text(Inspections::Findings))
                    .col(string_len(Inspections::Status, 20))
                    .col(integer(Inspections::CreatedBy))
                    .col(timestamp_with_time_zone(Inspections::CreatedAt))
                    .col(timestamp_with_time_zone_null(Inspections::ClosedAt))
                    .col(integer_null(Inspections::ClosedBy))
                    .foreign_key(&mut references(
                        (Inspections::Table, Inspections::StationId),
                        (Stations::Table, Stations::Id),
                    ))
                    .foreign_key(&mut references(
                        (Inspections::Table, Inspections::CreatedBy),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut references(
                        (Inspections::Table, Inspections::ClosedBy),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_inspections_station_period",
                Inspections::Table,
                [Inspections::StationId, Inspections::Year, Inspections::Half],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InspectionItems::Table)
                    .if_not_exists()
                    .col(pk_auto(InspectionItems::Id))
                    .col(integer(InspectionItems::InspectionId))
                    .col(text(InspectionItems::Text))
                    .col(string_len(InspectionItems::Status, 20))
                    .col(text_null(InspectionItems::RectifiedNote))
                    .col(integer_null(InspectionItems::RectifiedBy))
                    .col(timestamp_with_time_zone_null(InspectionItems::RectifiedAt))
                    .foreign_key(&mut references(
                        (InspectionItems::Table, InspectionItems::InspectionId),
                        (Inspections::Table, Inspections::Id),
                    ))
                    .foreign_key(&mut references(
                        (InspectionItems::Table, InspectionItems::RectifiedBy),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_inspection_items_inspection",
                InspectionItems::Table,
                [InspectionItems::InspectionId],
            ))
            .await?;
        // The period reports filter every table by station and a time range.
        manager
            .create_index(index(
                "idx_orders_station_created",
                Orders::Table,
                [Orders::StationId, Orders::CreatedAt],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_activities_station_starts",
                Activities::Table,
                [Activities::StationId, Activities::StartsAt],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_service_hours_station_confirmed",
                ServiceHours::Table,
                [ServiceHours::StationId, ServiceHours::ConfirmedAt],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("idx_service_hours_station_confirmed", ServiceHours::Table.into_iden()),
            ("idx_activities_station_starts", Activities::Table.into_iden()),
            ("idx_orders_station_created", Orders::Table.into_iden()),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).if_exists().to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(InspectionItems::Table).if_exists().to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Inspections::Table).if_exists().to_owned())
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Inspections {
    Table,
    Id,
    StationId,
    Year,
    Half,
    Score,
    Findings,
    Status,
    CreatedBy,
    CreatedAt,
    ClosedAt,
    ClosedBy,
}

#[derive(DeriveIden)]
enum InspectionItems {
    Table,
    Id,
    InspectionId,
    Text,
    Status,
    RectifiedNote,
    RectifiedBy,
    RectifiedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    StationId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    StationId,
    StartsAt,
}

#[derive(DeriveIden)]
enum ServiceHours {
    Table,
    StationId,
    ConfirmedAt,
}
