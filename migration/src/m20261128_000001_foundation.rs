//! Stations, accounts, roles, refresh tokens and service platforms.

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{index, references, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The eight platforms every station has (product rule 7), as `(code, name)`.
const DEFAULT_PLATFORMS: [(&str, &str); 8] = [
    ("theory", "理论宣讲"),
    ("education", "教育服务"),
    ("culture", "文化服务"),
    ("science", "科技科普"),
    ("fitness", "健身体育"),
    ("legal", "法律服务"),
    ("health", "卫生服务"),
    ("poverty_relief", "扶贫攻坚"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Stations::Table)
                    .if_not_exists()
                    .col(pk_auto(Stations::Id))
                    .col(string_uniq(Stations::Name))
                    .col(string(Stations::District))
                    .col(string(Stations::Address))
                    .col(timestamp_with_time_zone(Stations::CreatedAt))
                    .col(timestamp_with_time_zone(Stations::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(pk_auto(Users::Id))
                    .col(string_uniq(Users::Phone))
                    .col(string(Users::PasswordHash))
                    .col(string(Users::Name))
                    .col(integer_null(Users::StationId))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .foreign_key(&mut references(
                        (Users::Table, Users::StationId),
                        (Stations::Table, Stations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_users_station", Users::Table, [Users::StationId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserRoles::Table)
                    .if_not_exists()
                    .col(integer(UserRoles::UserId))
                    .col(string_len(UserRoles::Role, 16))
                    .primary_key(Index::create().col(UserRoles::UserId).col(UserRoles::Role))
                    .foreign_key(
                        references((UserRoles::Table, UserRoles::UserId), (Users::Table, Users::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_user_roles_role", UserRoles::Table, [UserRoles::Role]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .if_not_exists()
                    .col(pk_auto(RefreshTokens::Id))
                    .col(integer(RefreshTokens::UserId))
                    .col(string_len(RefreshTokens::FamilyId, 36))
                    .col(string_len_uniq(RefreshTokens::TokenHash, 64))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    .foreign_key(
                        references((RefreshTokens::Table, RefreshTokens::UserId), (Users::Table, Users::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_refresh_tokens_family", RefreshTokens::FamilyId),
            ("idx_refresh_tokens_user", RefreshTokens::UserId),
        ] {
            manager
                .create_index(index(name, RefreshTokens::Table, [column]))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Platforms::Table)
                    .if_not_exists()
                    .col(pk_auto(Platforms::Id))
                    .col(integer_null(Platforms::StationId))
                    .col(string_len_null(Platforms::Code, 32))
                    .col(string(Platforms::Name))
                    .col(text_null(Platforms::Description))
                    .col(timestamp_with_time_zone_default_now(Platforms::CreatedAt))
                    .foreign_key(&mut references(
                        (Platforms::Table, Platforms::StationId),
                        (Stations::Table, Stations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique_index(
                "idx_platforms_station_name",
                Platforms::Table,
                [Platforms::StationId, Platforms::Name],
            ))
            .await?;

        let mut insert = Query::insert()
            .into_table(Platforms::Table)
            .columns([Platforms::Code, Platforms::Name])
            .to_owned();
        for (code, name) in DEFAULT_PLATFORMS {
            insert.values_panic([code.into(), name.into()]);
        }
        manager.exec_stmt(insert).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Platforms::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            UserRoles::Table.into_iden(),
            Users::Table.into_iden(),
            Stations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub(crate) enum Stations {
    Table,
    Id,
    Name,
    District,
    Address,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    Id,
    Phone,
    PasswordHash,
    Name,
    StationId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserRoles {
    Table,
    UserId,
    Role,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    UserId,
    FamilyId,
    TokenHash,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Platforms {
    Table,
    Id,
    StationId,
    Code,
    Name,
    Description,
    CreatedAt,
}
