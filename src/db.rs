//! Query helpers shared by every domain's service.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QuerySelect, Select};

/// One page of `query` (already filtered and ordered) and the number of rows in all pages.
pub async fn fetch_page<E: EntityTrait>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    offset: u64,
    limit: u64,
) -> Result<(Vec<E::Model>, u64), DbErr>
where
    E::Model: Sync,
{
    let total = query.clone().count(db).await?;
    let items = query.offset(offset).limit(limit).all(db).await?;
    Ok((items, total))
}
