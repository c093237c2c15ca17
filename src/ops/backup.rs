//! `wenming backup <file>` and `wenming restore <file>` for the embedded SQLite database.
//!
//! A backup is a consistent online copy made with `VACUUM INTO` through the server's own
//! connection settings (WAL, busy timeout), so it may run while servers keep writing: it reads
//! one snapshot and never blocks writers. A restore checks the copy, refuses while a server
//! answers on `BIND_ADDR`, and puts the copy in place by writing a temporary file and renaming
//! it, so the database file is either the old one or the whole new one. PostgreSQL has its own
//! tools (`pg_dump`, `pg_restore`, see the README).

use std::{
    net::{SocketAddr, TcpStream},
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{Context, bail};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, Statement};

use crate::config::Settings;

/// Why a backup or restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database is PostgreSQL: use its own tools.
    #[error("the database is PostgreSQL; use pg_dump to back it up and pg_restore to restore it (see the README)")]
    NotSqlite,
    /// Anything else, with its cause.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// The SQLite database file named by the settings.
fn database_file(settings: &Settings) -> Result<PathBuf, BackupError> {
    let path = settings.sqlite_file().ok_or(BackupError::NotSqlite)?;
    if path.is_empty() || path.starts_with(":memory:") {
        return Err(anyhow::anyhow!("DATABASE_URL names no database file").into());
    }
    Ok(PathBuf::from(path))
}

/// Opens `path` with the server's connection settings; never creates the file.
async fn open(settings: &Settings, path: &Path) -> anyhow::Result<sea_orm::DatabaseConnection> {
    if !path.is_file() {
        bail!("{} does not exist", path.display());
    }
    let busy_timeout = settings.sqlite_busy_timeout;
    let mut options = ConnectOptions::new(format!("sqlite://{}?mode=rw", path.display()));
    options
        .max_connections(1)
        .min_connections(1)
        .acquire_timeout(settings.db_acquire_timeout)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |opts| opts.busy_timeout(busy_timeout));
    Ok(Database::connect(options).await?)
}

/// `PRAGMA integrity_check` of the open database: `Ok` when SQLite answers `ok`.
async fn check_integrity(db: &impl ConnectionTrait) -> anyhow::Result<()> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA integrity_check"))
        .await?
        .context("integrity_check answered nothing")?;
    let verdict: String = row.try_get_by_index(0)?;
    if verdict != "ok" {
        bail!("integrity check failed: {verdict}");
    }
    Ok(())
}

/// Restricts a file holding personal data to its owner.
fn owner_only(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// A sibling of `path` with `suffix` appended to its name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Writes a consistent copy of the running database to `target` (which must not exist yet);
/// returns its size in bytes.
pub async fn backup(settings: &Settings, target: &Path) -> Result<u64, BackupError> {
    let source = database_file(settings)?;
    if target.exists() {
        return Err(anyhow::anyhow!("{} already exists; name a new file", target.display()).into());
    }
    let partial = sibling(target, ".partial");
    let _ = std::fs::remove_file(&partial);
    let db = open(settings, &source).await?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [partial.display().to_string().into()],
    ))
    .await
    .context("VACUUM INTO failed")?;
    db.close().await.context("closing the database")?;
    owner_only(&partial)?;
    std::fs::rename(&partial, target).with_context(|| format!("renaming to {}", target.display()))?;
    let size = std::fs::metadata(target).context("reading the backup")?.len();
    Ok(size)
}

/// Whether a server answers on `addr` (a wildcard address is tried on loopback).
fn server_answers(addr: SocketAddr) -> bool {
    if addr.port() == 0 {
        return false;
    }
    let mut probe = addr;
    if probe.ip().is_unspecified() {
        probe.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    TcpStream::connect_timeout(&probe, Duration::from_millis(500)).is_ok()
}

/// Puts the backup `source` in place of the database named by the settings. Servers on this
/// database must be stopped first; one answering on `BIND_ADDR` makes this refuse.
pub async fn restore(settings: &Settings, source: &Path) -> Result<(), BackupError> {
    let target = database_file(settings)?;
    if server_answers(settings.bind_addr) {
        return Err(anyhow::anyhow!(
            "a server answers on {}; stop every server on this database before restoring",
            settings.bind_addr
        )
        .into());
    }
    let backup = open(settings, source).await.context("opening the backup")?;
    check_integrity(&backup).await.context("the backup is not usable")?;
    backup.close().await.context("closing the backup")?;

    if let Some(folder) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    }
    let incoming = sibling(&target, ".restoring");
    std::fs::copy(source, &incoming).with_context(|| format!("copying to {}", incoming.display()))?;
    std::fs::File::open(&incoming)
        .and_then(|f| f.sync_all())
        .context("syncing the copy")?;
    owner_only(&incoming)?;
    // The old database's write-ahead log must not be replayed onto the restored file.
    for suffix in ["-wal", "-shm"] {
        match std::fs::remove_file(sibling(&target, suffix)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(anyhow::Error::new(e).context("removing the old write-ahead log").into());
            }
            _ => {}
        }
    }
    std::fs::rename(&incoming, &target).with_context(|| format!("renaming to {}", target.display()))?;
    Ok(())
}
