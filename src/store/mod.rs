//! The data layer: every SQL statement of paperdeck lives under this module, one function per
//! query.
//!
//! SQLite is the embedded default. Queries use `query`/`query_as` with `bind` and `$N`
//! placeholders, standard SQL and `ON CONFLICT` upserts, so that a PostgreSQL backend needs only
//! its own pool type and migrations folder, not new queries. Timestamps are BIGINT Unix seconds
//! (see the migration's header).
//!
//! Single-row lookups use `fetch_all` and take the first row, never `fetch_one`/`fetch_optional`:
//! those drop the row stream early, and sqlx's SQLite driver then resets the statement on its
//! worker thread later; until it does, the connection keeps an old WAL snapshot, and a read
//! right after a write (mark a paper read, then open the quiz) could miss the write.
//!
//! SQLite allows one writer at a time. Writes go through their own single-connection pool, so
//! they queue in the application instead of spinning on the database lock, while reads use a
//! wider pool and never wait for writers (WAL mode).

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

pub mod cache;
pub mod cards;
pub mod learners;
pub mod quiz;
pub mod reading;
mod rows;
pub mod transfer;
pub mod writer;

/// Why the database could not be opened, with the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("数据库地址无效 (invalid database URL) “{url}”: {source}")]
    Url { url: String, source: sqlx::Error },
    #[error("无法打开数据库 (cannot open database) {file}: {source}")]
    Open { file: String, source: sqlx::Error },
    #[error("无法迁移数据库 (cannot migrate database) {file}: {source}")]
    Migrate {
        file: String,
        source: sqlx::migrate::MigrateError,
    },
}

#[derive(Clone, Debug)]
pub struct Db {
    /// Reads: several connections, never blocked by the writer thanks to WAL.
    pub read: SqlitePool,
    /// Writes: exactly one connection, so writers queue here rather than in SQLite's lock.
    pub write: SqlitePool,
    /// What quiz pages read on every request. It lives with the pools so that the functions
    /// that write a learner's data keep it current themselves; see [`cache`].
    pub cache: std::sync::Arc<cache::Cache>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Db {
    /// Opens (creating if missing) and migrates the database at `url`, with the default cache.
    pub async fn open(url: &str) -> Result<Db, OpenError> {
        Db::open_with(url, cache::TTL).await
    }

    /// Opens the database with a cache whose entries live `cache_ttl` (zero: no caching).
    pub async fn open_with(url: &str, cache_ttl: Duration) -> Result<Db, OpenError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|source| OpenError::Url {
                url: url.to_string(),
                source,
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // FULL syncs the WAL on every commit. NORMAL would survive a crash of the process
            // but may lose the last commits on power loss or an OS crash, and an answer the
            // server has acknowledged must never be lost. The cost is one fsync per write.
            .synchronous(SqliteSynchronous::Full)
            .pragma("temp_store", "memory")
            // 4 MiB of page cache per connection (SQLite's default is 2 MiB): the working set
            // (states, today's reviews, cards) is small, and memory is budgeted.
            .pragma("cache_size", "-4096");
        let file = options.get_filename().display().to_string();
        create_private(options.get_filename()).map_err(|e| OpenError::Open {
            file: file.clone(),
            source: sqlx::Error::Io(e),
        })?;

        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(|source| OpenError::Open {
                file: file.clone(),
                source,
            })?;
        MIGRATOR
            .run(&write)
            .await
            .map_err(|source| OpenError::Migrate {
                file: file.clone(),
                source,
            })?;
        // Reads are short; a few connections keep two cores busy without each holding its own
        // page cache for nothing.
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .connect_with(options.read_only(false))
            .await
            .map_err(|source| OpenError::Open { file, source })?;
        Ok(Db {
            read,
            write,
            cache: std::sync::Arc::new(cache::Cache::new(cache_ttl)),
        })
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map(|_| ())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// Creates a missing database file readable by its owner only (0600): it holds the password
/// hashes and every learner's data. SQLite gives the `-wal` and `-shm` files the database
/// file's mode. An existing file is left as it is; in-memory databases have no file.
fn create_private(path: &std::path::Path) -> std::io::Result<()> {
    let name = path.to_string_lossy();
    // sqlx names in-memory databases `file:sqlx-in-memory-N`: no file to create.
    if name.is_empty() || name == ":memory:" || name.starts_with("file:") || path.exists() {
        return Ok(());
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        // Another process created it meanwhile: fine, SQLite opens it.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Seconds since the Unix epoch: the one timestamp format in the database. For tools and
/// start-up; request paths read [`crate::clock::Clock`] so that tests can pin the time.
pub fn now_ts() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The first row of a query (see the module doc for why not `fetch_optional`).
pub(crate) async fn first_row<'q>(
    q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    pool: &SqlitePool,
) -> Result<Option<sqlx::sqlite::SqliteRow>, sqlx::Error> {
    Ok(q.fetch_all(pool).await?.into_iter().next())
}
