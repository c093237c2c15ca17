//! The skills a service-menu item calls for (a JSON array, `[]` for none): when an order of the
//! item is opened to the pool, the volunteers with a matching skill are the ones told.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ServiceItems::Table)
                    .add_column(text(ServiceItems::Skills).default("[]"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ServiceItems::Table)
                    .drop_column(ServiceItems::Skills)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ServiceItems {
    Table,
    Skills,
}
