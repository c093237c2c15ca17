//! Indexes for the residents' activity list (`GET /activities?station_id=…`), from the
//! `EXPLAIN (ANALYZE, BUFFERS)` of its two queries on issue 10's seeded database (2,000
//! activities a station, 100,000 in all):
//!
//! - the total: a bitmap AND of the station index with the status index (55,000 entries for
//!   `published`/`ongoing`) and a heap visit per match (1,137 buffers, 26 ms) becomes an
//!   index-only scan of `(station_id, status, ends_at, published_at, host_id)` (18 buffers,
//!   0.4 ms);
//! - the page: the station's activities in start order, past ones filtered out one heap row
//!   at a time (page 10: 1,104 buffers), becomes a scan of only the published and ongoing ones
//!   in start order (200 buffers). The list states that filter with literal statuses, so the
//!   partial index is used by a prepared statement's generic plan too.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        // The same statements on PostgreSQL and SQLite (both have partial indexes).
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_activities_listing \
             ON activities (station_id, status, ends_at, published_at, host_id)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS idx_activities_open_by_start \
             ON activities (station_id, starts_at, id) WHERE status IN ('published', 'ongoing')",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS idx_activities_open_by_start")
            .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS idx_activities_listing")
            .await?;
        Ok(())
    }
}
