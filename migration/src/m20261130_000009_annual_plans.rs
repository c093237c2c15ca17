//! Annual plans (年度活动方案) with their items and history, and the plan item an activity
//! carries out.

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{index, references, unique_index};

use crate::m20261128_000001_foundation::{Platforms, Stations, Users};
use crate::m20261128_000004_activities::Activities;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AnnualPlans::Table)
                    .if_not_exists()
                    .col(pk_auto(AnnualPlans::Id))
                    .col(integer(AnnualPlans::StationId))
                    .col(integer(AnnualPlans::Year))
                    .col(string_len(AnnualPlans::Title, 100))
                    .col(text(AnnualPlans::Goals))
                    .col(string_len(AnnualPlans::Status, 20))
                    .col(boolean(AnnualPlans::Late).default(false))
                    // Set to `year` only while approved: the unique index below then allows one
                    // approved plan per station and year, on both databases (nulls never collide).
                    .col(integer_null(AnnualPlans::ApprovedYear))
                    .col(timestamp_with_time_zone_null(AnnualPlans::SubmittedAt))
                    .col(timestamp_with_time_zone_null(AnnualPlans::DecidedAt))
                    .col(integer_null(AnnualPlans::DecidedBy))
                    .col(text_null(AnnualPlans::RejectReason))
                    .col(integer(AnnualPlans::CreatedBy))
                    .col(timestamp_with_time_zone(AnnualPlans::CreatedAt))
                    .col(timestamp_with_time_zone(AnnualPlans::UpdatedAt))
                    .foreign_key(&mut references(
                        (AnnualPlans::Table, AnnualPlans::StationId),
                        (Stations::Table, Stations::Id),
                    ))
                    .foreign_key(&mut references(
                        (AnnualPlans::Table, AnnualPlans::CreatedBy),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "uq_annual_plans_station_approved_year",
                AnnualPlans::Table,
                [AnnualPlans::StationId, AnnualPlans::ApprovedYear],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_annual_plans_station_year",
                AnnualPlans::Table,
                [AnnualPlans::StationId, AnnualPlans::Year],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AnnualPlanItems::Table)
                    .if_not_exists()
                    .col(pk_auto(AnnualPlanItems::Id))
                    .col(integer(AnnualPlanItems::PlanId))
                    .col(integer(AnnualPlanItems::Month))
                    .col(string_len(AnnualPlanItems::Theme, 100))
                    .col(integer(AnnualPlanItems::PlatformId))
                    .col(string_len(AnnualPlanItems::Kind, 20))
                    .foreign_key(&mut references(
                        (AnnualPlanItems::Table, AnnualPlanItems::PlanId),
                        (AnnualPlans::Table, AnnualPlans::Id),
                    ))
                    .foreign_key(&mut references(
                        (AnnualPlanItems::Table, AnnualPlanItems::PlatformId),
                        (Platforms::Table, Platforms::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_annual_plan_items_plan",
                AnnualPlanItems::Table,
                [AnnualPlanItems::PlanId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AnnualPlanEvents::Table)
                    .if_not_exists()
                    .col(pk_auto(AnnualPlanEvents::Id))
                    .col(integer(AnnualPlanEvents::PlanId))
                    .col(integer(AnnualPlanEvents::ActorId))
                    .col(string_len(AnnualPlanEvents::Action, 20))
                    .col(string_len_null(AnnualPlanEvents::FromStatus, 20))
                    .col(string_len(AnnualPlanEvents::ToStatus, 20))
                    .col(text_null(AnnualPlanEvents::Note))
                    .col(timestamp_with_time_zone(AnnualPlanEvents::At))
                    .foreign_key(&mut references(
                        (AnnualPlanEvents::Table, AnnualPlanEvents::PlanId),
                        (AnnualPlans::Table, AnnualPlans::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_annual_plan_events_plan",
                AnnualPlanEvents::Table,
                [AnnualPlanEvents::PlanId],
            ))
            .await?;

        // The plan item an activity carries out. SQLite cannot add a foreign key to an existing
        // table, so membership is checked by the activity rules (like `plan_id` before it).
        manager
            .alter_table(
                Table::alter()
                    .table(Activities::Table)
                    .add_column(integer_null(ActivitiesPlanItem::PlanItemId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_activities_plan_item",
                Activities::Table,
                [ActivitiesPlanItem::PlanItemId],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_activities_plan_item")
                    .table(Activities::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Activities::Table)
                    .drop_column(ActivitiesPlanItem::PlanItemId)
                    .to_owned(),
            )
            .await?;
        for table in [
            AnnualPlanEvents::Table.into_iden(),
            AnnualPlanItems::Table.into_iden(),
            AnnualPlans::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ActivitiesPlanItem {
    PlanItemId,
}

#[derive(DeriveIden)]
pub(crate) enum AnnualPlans {
    Table,
    Id,
    StationId,
    Year,
    Title,
    Goals,
    Status,
    Late,
    ApprovedYear,
    SubmittedAt,
    DecidedAt,
    DecidedBy,
    RejectReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum AnnualPlanItems {
    Table,
    Id,
    PlanId,
    Month,
    Theme,
    PlatformId,
    Kind,
}

#[derive(DeriveIden)]
pub(crate) enum AnnualPlanEvents {
    Table,
    Id,
    PlanId,
    ActorId,
    Action,
    FromStatus,
    ToStatus,
    Note,
    At,
}
