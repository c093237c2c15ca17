//! The audit log (issue 11): one row per staff action, written in the action's own transaction.
//! Rows are only ever inserted; no route updates or deletes them. Indexed for the ways it is
//! read: a supervisor's district (station, newest first), an admin's whole log (newest first),
//! one record's history (target) and one person's actions (actor, newest first).

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
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(pk_auto(AuditLog::Id))
                    .col(integer(AuditLog::ActorId))
                    .col(string_len(AuditLog::ActorRoles, 200))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len(AuditLog::TargetType, 64))
                    .col(string_len(AuditLog::TargetId, 64))
                    .col(integer_null(AuditLog::StationId))
                    .col(text(AuditLog::Detail))
                    .col(string_len_null(AuditLog::ClientAddress, 64))
                    .col(string_len_null(AuditLog::RequestId, 128))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                    .foreign_key(&mut references(
                        (AuditLog::Table, AuditLog::ActorId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut references(
                        (AuditLog::Table, AuditLog::StationId),
                        (Stations::Table, Stations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_audit_log_station_created_at",
                AuditLog::Table,
                [AuditLog::StationId, AuditLog::CreatedAt],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_audit_log_created_at",
                AuditLog::Table,
                [AuditLog::CreatedAt],
            ))
            .await?;
        // One record's history, and one person's actions: without these the filters scan the log.
        manager
            .create_index(index(
                "idx_audit_log_target",
                AuditLog::Table,
                [AuditLog::TargetType, AuditLog::TargetId],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_audit_log_actor_created_at",
                AuditLog::Table,
                [AuditLog::ActorId, AuditLog::CreatedAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).if_exists().to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    ActorId,
    ActorRoles,
    Action,
    TargetType,
    TargetId,
    StationId,
    Detail,
    ClientAddress,
    RequestId,
    CreatedAt,
}
