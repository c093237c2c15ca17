//! Index and foreign-key statements, so each migration states only what it links and indexes.

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

/// A foreign key from `(table, column)` to `(table, column)`.
pub fn references<T, C, U, D>(from: (T, C), to: (U, D)) -> ForeignKeyCreateStatement
where
    T: IntoIden,
    C: IntoIden,
    U: IntoIden,
    D: IntoIden,
{
    ForeignKey::create().from(from.0, from.1).to(to.0, to.1).to_owned()
}
