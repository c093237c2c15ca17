//! Activities, their sign-ups and leave requests.

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
                    .table(Activities::Table)
                    .if_not_exists()
                    .col(pk_auto(Activities::Id))
                    .col(integer(Activities::StationId))
                    .col(string_len(Activities::Title, 100))
                    .col(string_len(Activities::Kind, 20))
                    .col(integer(Activities::PlatformId))
                    .col(text(Activities::Description))
                    .col(string_len(Activities::Location, 200))
                    .col(string_len_null(Activities::Theme, 100))
                    .col(string_len_null(Activities::FocusGroup, 40))
                    .col(integer_null(Activities::PlanId))
                    .col(timestamp_with_time_zone(Activities::StartsAt))
                    .col(timestamp_with_time_zone(Activities::EndsAt))
                    .col(integer(Activities::Capacity))
                    .col(timestamp_with_time_zone_null(Activities::SignupOpensAt))
                    .col(timestamp_with_time_zone_null(Activities::SignupClosesAt))
                    .col(string_len(Activities::Audience, 20))
                    .col(integer(Activities::HostId))
                    .col(integer(Activities::CreatedBy))
                    .col(string_len(Activities::Status, 20))
                    .col(integer(Activities::ConfirmedCount).default(0))
                    .col(integer(Activities::WaitlistSeq).default(0))
                    .col(text_null(Activities::RejectReason))
                    .col(text_null(Activities::CancelReason))
                    .col(integer_null(Activities::ApprovedBy))
                    .col(timestamp_with_time_zone_null(Activities::PublishedAt))
                    .col(timestamp_with_time_zone_null(Activities::FinishedAt))
                    .col(string_len_null(Activities::CheckinCode, 20))
                    .col(timestamp_with_time_zone_null(Activities::CheckinCodeExpiresAt))
                    .col(text_null(Activities::RecordSummary))
                    .col(text_null(Activities::RecordMinutes))
                    .col(text_null(Activities::RecordMaterials))
                    .col(timestamp_with_time_zone_null(Activities::AttendanceConfirmedAt))
                    .col(timestamp_with_time_zone(Activities::CreatedAt))
                    .col(timestamp_with_time_zone(Activities::UpdatedAt))
                    .foreign_key(&mut references(
                        (Activities::Table, Activities::StationId),
                        (Stations::Table, Stations::Id),
                    ))
                    .foreign_key(&mut references(
                        (Activities::Table, Activities::PlatformId),
                        (Platforms::Table, Platforms::Id),
                    ))
                    .foreign_key(&mut references(
                        (Activities::Table, Activities::HostId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_activities_station", Activities::StationId),
            ("idx_activities_starts_at", Activities::StartsAt),
            ("idx_activities_status", Activities::Status),
        ] {
            manager.create_index(index(name, Activities::Table, [column])).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ActivitySignups::Table)
                    .if_not_exists()
                    .col(pk_auto(ActivitySignups::Id))
                    .col(integer(ActivitySignups::ActivityId))
                    .col(integer(ActivitySignups::UserId))
                    .col(string_len(ActivitySignups::Status, 20))
                    .col(integer_null(ActivitySignups::WaitlistSeq))
                    .col(timestamp_with_time_zone_null(ActivitySignups::CheckedInAt))
                    .col(timestamp_with_time_zone_null(ActivitySignups::CheckedOutAt))
                    .col(string_len_null(ActivitySignups::LeaveStatus, 20))
                    .col(string_len_null(ActivitySignups::Attendance, 20))
                    .col(integer_null(ActivitySignups::Minutes))
                    .col(timestamp_with_time_zone_null(ActivitySignups::CancelledAt))
                    .col(timestamp_with_time_zone(ActivitySignups::CreatedAt))
                    .col(timestamp_with_time_zone(ActivitySignups::UpdatedAt))
                    .foreign_key(
                        references(
                            (ActivitySignups::Table, ActivitySignups::ActivityId),
                            (Activities::Table, Activities::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut references(
                        (ActivitySignups::Table, ActivitySignups::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "idx_activity_signups_one_per_person",
                ActivitySignups::Table,
                [ActivitySignups::ActivityId, ActivitySignups::UserId],
            ))
            .await?;
        // The waitlist in order, for promotion and for positions.
        manager
            .create_index(index(
                "idx_activity_signups_queue",
                ActivitySignups::Table,
                [
                    ActivitySignups::ActivityId,
                    ActivitySignups::Status,
                    ActivitySignups::WaitlistSeq,
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_activity_signups_user",
                ActivitySignups::Table,
                [ActivitySignups::UserId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LeaveRequests::Table)
                    .if_not_exists()
                    .col(pk_auto(LeaveRequests::Id))
                    .col(integer(LeaveRequests::ActivityId))
                    .col(integer(LeaveRequests::SignupId))
                    .col(integer(LeaveRequests::UserId))
                    .col(integer(LeaveRequests::StationId))
                    .col(text(LeaveRequests::Reason))
                    .col(string_len_null(LeaveRequests::ReasonCategory, 30))
                    .col(string_len(LeaveRequests::Status, 20))
                    .col(text_null(LeaveRequests::Comment))
                    .col(integer_null(LeaveRequests::DecidedBy))
                    .col(timestamp_with_time_zone_null(LeaveRequests::DecidedAt))
                    .col(timestamp_with_time_zone(LeaveRequests::CreatedAt))
                    .col(timestamp_with_time_zone(LeaveRequests::UpdatedAt))
                    .foreign_key(
                        references(
                            (LeaveRequests::Table, LeaveRequests::ActivityId),
                            (Activities::Table, Activities::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut references(
                        (LeaveRequests::Table, LeaveRequests::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_leave_requests_station", LeaveRequests::StationId),
            ("idx_leave_requests_user", LeaveRequests::UserId),
        ] {
            manager
                .create_index(index(name, LeaveRequests::Table, [column]))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LeaveRequests::Table.into_iden(),
            ActivitySignups::Table.into_iden(),
            Activities::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub(crate) enum Activities {
    Table,
    Id,
    StationId,
    Title,
    Kind,
    PlatformId,
    Description,
    Location,
    Theme,
    FocusGroup,
    PlanId,
    StartsAt,
    EndsAt,
    Capacity,
    SignupOpensAt,
    SignupClosesAt,
    Audience,
    HostId,
    CreatedBy,
    Status,
    ConfirmedCount,
    WaitlistSeq,
    RejectReason,
    CancelReason,
    ApprovedBy,
    PublishedAt,
    FinishedAt,
    CheckinCode,
    CheckinCodeExpiresAt,
    RecordSummary,
    RecordMinutes,
    RecordMaterials,
    AttendanceConfirmedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ActivitySignups {
    Table,
    Id,
    ActivityId,
    UserId,
    Status,
    WaitlistSeq,
    CheckedInAt,
    CheckedOutAt,
    LeaveStatus,
    Attendance,
    Minutes,
    CancelledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LeaveRequests {
    Table,
    Id,
    ActivityId,
    SignupId,
    UserId,
    StationId,
    Reason,
    ReasonCategory,
    Status,
    Comment,
    DecidedBy,
    DecidedAt,
    CreatedAt,
    UpdatedAt,
}
