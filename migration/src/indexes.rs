//! Index statements, so each migration states only what it indexes.

use sea_orm_migration::prelude::*;

/// A non-unique index, created if missing.
pub fn index<T, C>(name: &str, table: T, columns: impl IntoIterator<Item = C>) -> IndexCreateStatement
where
    T: IntoIden,
    C: IntoIndexColumn,
{
    let mut statement = Index::create();
    statement.name(name).table(table).if_not_exists();
    for column in columns {
        statement.col(column);
    }
    statement.to_owned()
}

/// A unique index, created if missing.
pub fn unique_index<T, C>(name: &str, table: T, columns: impl IntoIterator<Item = C>) -> IndexCreateStatement
where
    T: IntoIden,
    C: IntoIndexColumn,
{
    let mut statement = index(name, table, columns);
    statement.unique();
    statement
}
