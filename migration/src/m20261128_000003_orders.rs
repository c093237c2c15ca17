//! The service-order loop: the service menu, volunteers and their applications, teams, orders
//! and the order timeline.

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{index, references, unique_index};

use crate::m20261128_000001_foundation::{Platforms, Stations, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServiceItems::Table)
                    .if_not_exists()
                    .col(pk_auto(ServiceItems::Id))
                    .col(integer(ServiceItems::StationId))
                    .col(integer(ServiceItems::PlatformId))
                    .col(string_len(ServiceItems::Name, 100))
                    .col(text_null(ServiceItems::Description))
                    .col(timestamp_with_time_zone_null(ServiceItems::DeletedAt))
                    .col(timestamp_with_time_zone(ServiceItems::CreatedAt))
                    .col(timestamp_with_time_zone(ServiceItems::UpdatedAt))
                    .foreign_key(&mut references(
                        (ServiceItems::Table, ServiceItems::StationId),
                        (Stations::Table, Stations::Id),
                    ))
                    .foreign_key(&mut references(
                        (ServiceItems::Table, ServiceItems::PlatformId),
                        (Platforms::Table, Platforms::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Teams::Table)
                    .if_not_exists()
                    .col(pk_auto(Teams::Id))
                    .col(integer(Teams::StationId))
                    .col(integer(Teams::PlatformId))
                    .col(string_len(Teams::Name, 100))
                    .col(text_null(Teams::Description))
                    .col(integer_null(Teams::LeaderId))
                    .col(timestamp_with_time_zone(Teams::CreatedAt))
                    .foreign_key(&mut references(
                        (Teams::Table, Teams::StationId),
                        (Stations::Table, Stations::Id),
                    ))
                    .foreign_key(&mut references(
                        (Teams::Table, Teams::PlatformId),
                        (Platforms::Table, Platforms::Id),
                    ))
                    .foreign_key(&mut references(
                        (Teams::Table, Teams::LeaderId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "idx_teams_station_name",
                Teams::Table,
                [Teams::StationId, Teams::Name],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TeamMembers::Table)
                    .if_not_exists()
                    .col(integer(TeamMembers::TeamId))
                    .col(integer(TeamMembers::UserId))
                    .col(timestamp_with_time_zone(TeamMembers::JoinedAt))
                    .primary_key(Index::create().col(TeamMembers::TeamId).col(TeamMembers::UserId))
                    .foreign_key(
                        references((TeamMembers::Table, TeamMembers::TeamId), (Teams::Table, Teams::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut references(
                        (TeamMembers::Table, TeamMembers::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_team_members_user",
                TeamMembers::Table,
                [TeamMembers::UserId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Volunteers::Table)
                    .if_not_exists()
                    .col(integer(Volunteers::UserId).primary_key())
                    .col(integer(Volunteers::StationId))
                    .col(string_len(Volunteers::RealName, 50))
                    .col(text(Volunteers::Skills))
                    .col(string_len(Volunteers::Source, 40))
                    .col(timestamp_with_time_zone(Volunteers::ApprovedAt))
                    .foreign_key(&mut references(
                        (Volunteers::Table, Volunteers::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut references(
                        (Volunteers::Table, Volunteers::StationId),
                        (Stations::Table, Stations::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(VolunteerApplications::Table)
                    .if_not_exists()
                    .col(pk_auto(VolunteerApplications::Id))
                    .col(integer(VolunteerApplications::UserId))
                    .col(integer(VolunteerApplications::StationId))
                    .col(string_len(VolunteerApplications::RealName, 50))
                    .col(text(VolunteerApplications::Skills))
                    .col(string_len(VolunteerApplications::Source, 40))
                    .col(integer_null(VolunteerApplications::TeamId))
                    .col(string_len(VolunteerApplications::Status, 20))
                    // Set only while pending: one pending application per person (NULLs never clash).
                    .col(integer_null(VolunteerApplications::PendingUserId).unique_key())
                    .col(text_null(VolunteerApplications::Reason))
                    .col(integer_null(VolunteerApplications::ReviewedBy))
                    .col(timestamp_with_time_zone_null(VolunteerApplications::ReviewedAt))
                    .col(timestamp_with_time_zone(VolunteerApplications::CreatedAt))
                    .foreign_key(&mut references(
                        (VolunteerApplications::Table, VolunteerApplications::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut references(
                        (VolunteerApplications::Table, VolunteerApplications::StationId),
                        (Stations::Table, Stations::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .if_not_exists()
                    .col(pk_auto(Orders::Id))
                    .col(integer(Orders::StationId))
                    .col(integer(Orders::ResidentId))
                    .col(integer(Orders::PlacedBy))
                    .col(string_len(Orders::Title, 100))
                    .col(text(Orders::Description))
                    .col(integer(Orders::PlatformId))
                    .col(integer_null(Orders::ServiceItemId))
                    .col(string_len(Orders::Address, 200))
                    .col(string_len(Orders::ContactPhone, 20))
                    .col(timestamp_with_time_zone_null(Orders::ExpectedAt))
                    .col(timestamp_with_time_zone_null(Orders::DeadlineAt))
                    .col(string_len_null(Orders::FocusGroup, 40))
                    .col(string_len(Orders::Status, 20))
                    .col(integer_null(Orders::VolunteerId))
                    .col(integer_null(Orders::TeamId))
                    .col(text_null(Orders::RejectReason))
                    .col(text_null(Orders::CancelReason))
                    .col(text_null(Orders::Summary))
                    .col(integer_null(Orders::ServiceMinutes))
                    .col(timestamp_with_time_zone_null(Orders::AcceptedAt))
                    .col(timestamp_with_time_zone_null(Orders::CompletedAt))
                    .col(integer_null(Orders::Stars))
                    .col(text_null(Orders::RatingComment))
                    .col(string_len_null(Orders::ReasonTag, 20))
                    .col(timestamp_with_time_zone_null(Orders::RatedAt))
                    .col(boolean(Orders::AutoConfirmed).default(false))
                    .col(string_len_null(Orders::FollowUpStatus, 20))
                    .col(text_null(Orders::FollowUpOutcome))
                    .col(integer_null(Orders::FollowUpBy))
                    .col(timestamp_with_time_zone_null(Orders::FollowUpAt))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .foreign_key(&mut references(
                        (Orders::Table, Orders::StationId),
                        (Stations::Table, Stations::Id),
                    ))
                    .foreign_key(&mut references(
                        (Orders::Table, Orders::ResidentId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut references(
                        (Orders::Table, Orders::PlatformId),
                        (Platforms::Table, Platforms::Id),
                    ))
                    .foreign_key(&mut references(
                        (Orders::Table, Orders::ServiceItemId),
                        (ServiceItems::Table, ServiceItems::Id),
                    ))
                    .foreign_key(&mut references(
                        (Orders::Table, Orders::VolunteerId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut references(
                        (Orders::Table, Orders::TeamId),
                        (Teams::Table, Teams::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_orders_station_status", vec![Orders::StationId, Orders::Status]),
            ("idx_orders_resident", vec![Orders::ResidentId]),
            ("idx_orders_volunteer", vec![Orders::VolunteerId]),
            ("idx_orders_status", vec![Orders::Status]),
        ] {
            manager.create_index(index(name, Orders::Table, columns)).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(OrderEvents::Table)
                    .if_not_exists()
                    .col(pk_auto(OrderEvents::Id))
                    .col(integer(OrderEvents::OrderId))
                    .col(integer_null(OrderEvents::ActorId))
                    .col(string_len(OrderEvents::ActorRole, 20))
                    .col(string_len(OrderEvents::Action, 20))
                    .col(string_len_null(OrderEvents::FromStatus, 20))
                    .col(string_len(OrderEvents::ToStatus, 20))
                    .col(text_null(OrderEvents::Note))
                    .col(timestamp_with_time_zone(OrderEvents::CreatedAt))
                    .foreign_key(
                        references((OrderEvents::Table, OrderEvents::OrderId), (Orders::Table, Orders::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_order_events_order",
                OrderEvents::Table,
                [OrderEvents::OrderId],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OrderEvents::Table.into_iden(),
            Orders::Table.into_iden(),
            VolunteerApplications::Table.into_iden(),
            Volunteers::Table.into_iden(),
            TeamMembers::Table.into_iden(),
            Teams::Table.into_iden(),
            ServiceItems::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ServiceItems {
    Table,
    Id,
    StationId,
    PlatformId,
    Name,
    Description,
    DeletedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
    StationId,
    PlatformId,
    Name,
    Description,
    LeaderId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TeamMembers {
    Table,
    TeamId,
    UserId,
    JoinedAt,
}

#[derive(DeriveIden)]
enum Volunteers {
    Table,
    UserId,
    StationId,
    RealName,
    Skills,
    Source,
    ApprovedAt,
}

#[derive(DeriveIden)]
enum VolunteerApplications {
    Table,
    Id,
    UserId,
    StationId,
    RealName,
    Skills,
    Source,
    TeamId,
    Status,
    PendingUserId,
    Reason,
    ReviewedBy,
    ReviewedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Orders {
    Table,
    Id,
    StationId,
    ResidentId,
    PlacedBy,
    Title,
    Description,
    PlatformId,
    ServiceItemId,
    Address,
    ContactPhone,
    ExpectedAt,
    DeadlineAt,
    FocusGroup,
    Status,
    VolunteerId,
    TeamId,
    RejectReason,
    CancelReason,
    Summary,
    ServiceMinutes,
    AcceptedAt,
    CompletedAt,
    Stars,
    RatingComment,
    ReasonTag,
    RatedAt,
    AutoConfirmed,
    FollowUpStatus,
    FollowUpOutcome,
    FollowUpBy,
    FollowUpAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderEvents {
    Table,
    Id,
    OrderId,
    ActorId,
    ActorRole,
    Action,
    FromStatus,
    ToStatus,
    Note,
    CreatedAt,
}
