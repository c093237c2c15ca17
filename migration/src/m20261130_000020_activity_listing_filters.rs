//! The activity list's total under its filters (`kind`, `platform_id`), from the statement log
//! of issue 10's full-size benchmark (1,083 open activities a station, spread one to a heap
//! page): with a filter the count left the index for the heap, one page per open activity
//! (1,118 buffers, 4.6 ms for `kind=practice`, against 0.45 ms unfiltered). The listing index
//! now carries both columns, so the filtered totals are index-only too (19 buffers, 0.7 ms;
//! `platform_id`: 15 buffers, 0.2 ms). Neither column changes once an activity is published,
//! so a sign-up's update of its counters stays a HOT update (`confirmed_count` is left out for
//! that reason: `has_places` still reads the rows).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_activities_listing_filters \
             ON activities (station_id, status, ends_at, published_at, host_id, kind, platform_id)",
        )
        .await?;
        // Its prefix: every query it served, the new index serves.
        db.execute_unprepared("DROP INDEX IF EXISTS idx_activities_listing")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_activities_listing \
             ON activities (station_id, status, ends_at, published_at, host_id)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS idx_activities_listing_filters")
            .await?;
        Ok(())
    }
}
