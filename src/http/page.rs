//! The list envelope every collection endpoint answers with.

use serde::Serialize;
use utoipa::ToSchema;

use super::extract::Pagination;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    /// The items of this page.
    pub items: Vec<T>,
    /// This page's number, from 1.
    #[schema(example = 1)]
    pub page: u64,
    /// The page size asked for.
    #[schema(example = 20)]
    pub page_size: u64,
    /// Items in the whole list.
    #[schema(example = 1)]
    pub total: u64,
}

impl<T: ToSchema> Page<T> {
    pub fn new(items: Vec<T>, pagination: &Pagination, total: u64) -> Self {
        Page {
            items,
            page: pagination.page(),
            page_size: pagination.page_size(),
            total,
        }
    }
}
