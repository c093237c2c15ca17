//! Order rules that need the database to hold them: the claim of an overdue order's escalation
//! (`orders.escalated_at`, set by exactly one sweeping process) and the members of a team who
//! declined an order dispatched to the team (`order_declines`, one row per member and order).

use sea_orm_migration::{prelude::*, schema::*};

use crate::indexes::{index, references};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(timestamp_with_time_zone_null(Orders::EscalatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderDeclines::Table)
                    .if_not_exists()
                    .col(integer(OrderDeclines::OrderId))
                    .col(integer(OrderDeclines::UserId))
                    .col(timestamp_with_time_zone(OrderDeclines::CreatedAt))
                    .primary_key(Index::create().col(OrderDeclines::OrderId).col(OrderDeclines::UserId))
                    .foreign_key(
                        references(
                            (OrderDeclines::Table, OrderDeclines::OrderId),
                            (Orders::Table, Orders::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut references(
                        (OrderDeclines::Table, OrderDeclines::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_order_declines_user",
                OrderDeclines::Table,
                [OrderDeclines::UserId],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrderDeclines::Table).if_exists().to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .drop_column(Orders::EscalatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    EscalatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OrderDeclines {
    Table,
    OrderId,
    UserId,
    CreatedAt,
}
