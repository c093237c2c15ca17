//! Uploaded files (photos and PDFs): who uploaded them, what they are, where their bytes are
//! stored, and the one resource each is attached to. An upload is attached at most once: the
//! attaching statement is conditional on `attached_to_id IS NULL`.

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
                    .table(Uploads::Table)
                    .if_not_exists()
                    .col(string_len(Uploads::Id, 36).primary_key())
                    .col(integer(Uploads::OwnerId))
                    .col(integer_null(Uploads::StationId))
                    .col(string_len(Uploads::ContentType, 64))
                    .col(big_integer(Uploads::Bytes))
                    .col(integer_null(Uploads::Width))
                    .col(integer_null(Uploads::Height))
                    .col(string_len(Uploads::Sha256, 64))
                    .col(string_len(Uploads::ObjectKey, 128))
                    .col(string_len_null(Uploads::ThumbnailKey, 128))
                    .col(string_len_null(Uploads::AttachedToType, 32))
                    .col(integer_null(Uploads::AttachedToId))
                    .col(timestamp_with_time_zone(Uploads::CreatedAt))
                    .foreign_key(
                        references((Uploads::Table, Uploads::OwnerId), (Users::Table, Users::Id))
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        references((Uploads::Table, Uploads::StationId), (Stations::Table, Stations::Id))
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_uploads_attached_to",
                Uploads::Table,
                [Uploads::AttachedToType, Uploads::AttachedToId],
            ))
            .await?;
        manager
            .create_index(index("idx_uploads_owner_id", Uploads::Table, [Uploads::OwnerId]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Uploads::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Uploads {
    Table,
    Id,
    OwnerId,
    StationId,
    ContentType,
    Bytes,
    Width,
    Height,
    Sha256,
    ObjectKey,
    ThumbnailKey,
    AttachedToType,
    AttachedToId,
    CreatedAt,
}
