//! Issue 8 rules for activities and hours: hashed check-in codes with an optional geofence,
//! who signed a person up or marked them present, and the interval each hours entry covers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite: one change per ALTER TABLE.
        let activity_columns = [
            // SHA-256 (hex) of "activity id:code"; the code itself is never stored.
            string_len_null(Activities::CheckinCodeHash, 64),
            double_null(Activities::CheckinLatitude),
            double_null(Activities::CheckinLongitude),
            integer_null(Activities::CheckinRadiusM),
        ];
        for mut column in activity_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Activities::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        // The plain code is replaced by its hash.
        manager
            .alter_table(
                Table::alter()
                    .table(Activities::Table)
                    .drop_column(Activities::CheckinCode)
                    .to_owned(),
            )
            .await?;
        for mut column in [
            // The staff member who signed the person up (代报名); null for one's own sign-up.
            integer_null(ActivitySignups::SignedUpBy),
            // The host or staff member who marked the person present by hand; null for a code.
            integer_null(ActivitySignups::CheckinMarkedBy),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ActivitySignups::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        for mut column in [
            timestamp_with_time_zone_null(ServiceHours::StartsAt),
            timestamp_with_time_zone_null(ServiceHours::EndsAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ServiceHours::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [ServiceHours::EndsAt, ServiceHours::StartsAt] {
            manager
                .alter_table(Table::alter().table(ServiceHours::Table).drop_column(column).to_owned())
                .await?;
        }
        for column in [ActivitySignups::CheckinMarkedBy, ActivitySignups::SignedUpBy] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ActivitySignups::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Activities::Table)
                    .add_column(string_len_null(Activities::CheckinCode, 20))
                    .to_owned(),
            )
            .await?;
        for column in [
            Activities::CheckinRadiusM,
            Activities::CheckinLongitude,
            Activities::CheckinLatitude,
            Activities::CheckinCodeHash,
        ] {
            manager
                .alter_table(Table::alter().table(Activities::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    CheckinCode,
    CheckinCodeHash,
    CheckinLatitude,
    CheckinLongitude,
    CheckinRadiusM,
}

#[derive(DeriveIden)]
enum ActivitySignups {
    Table,
    SignedUpBy,
    CheckinMarkedBy,
}

#[derive(DeriveIden)]
enum ServiceHours {
    Table,
    StartsAt,
    EndsAt,
}
