//! The data layer: every SQL statement of paperdeck lives under this module, one function per
//! query.
//!
//! Two backends, one text per query: SQLite (the embedded default) and PostgreSQL (several
//! instances on one database), both through sqlx's `Any` driver. Queries use `query` with
//! `bind` and `$N` placeholders, standard SQL and `ON CONFLICT` upserts; timestamps are BIGINT
//! Unix seconds and booleans SMALLINT 0/1 (see the migrations' headers). What differs between
//! the two is decided by [`Backend`] here and nowhere else: pool sizes and timeouts, SQLite's
//! pragmas, the migrations folder, the identity columns after a copy ([`copy`]), and whether an
//! answer's writes share statements ([`Backend::combines_writes`]: two texts, both run by the
//! HTTP suite on their backend). A function that
//! changes what the quiz caches for a learner calls [`bump`] inside its transaction (see
//! [`cache`]); floats that may be NULL are bound as [`NullableF64`].
//!
//! Single-row lookups use `fetch_all` and take the first row, never `fetch_one`/`fetch_optional`:
//! those drop the row stream early, and sqlx's SQLite driver then resets the statement on its
//! worker thread later; until it does, the connection keeps an old WAL snapshot, and a read
//! right after a write (mark a paper read, then open the quiz) could miss the write.
//!
//! SQLite allows one writer at a time. Writes go through their own single-connection pool, so
//! they queue in the application instead of spinning on the database lock, while reads use a
//! wider pool and never wait for writers (WAL mode). On PostgreSQL the write pool has a few
//! connections: the server orders one learner's writes by her row lock (see [`bump`]).

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use std::str::FromStr;
use std::time::Duration;

/// `bound!(SQL, a, b)` is `sqlx::query(SQL).bind(a).bind(b)`: the binds in `$N` order, written
/// once. The runtime stand-in for sqlx's `query!`, which the `Any` driver cannot check at build
/// time. Defined before the modules below so that they can all use it.
macro_rules! bound {
    ($sql:expr $(, $arg:expr)* $(,)?) => {
        sqlx::query($sql)$(.bind($arg))*
    };
}

pub mod cache;
pub mod card_memory;
pub mod cards;
pub mod copy;
pub mod learners;
pub mod locks;
pub mod quiz;
pub mod reading;
pub mod recovery;
mod rows;
pub mod transfer;
pub mod writer;

/// The pool type of both backends: sqlx's `Any` driver runs the same query text on SQLite and
/// PostgreSQL, so no query is written twice.
pub type Pool = sqlx::AnyPool;
/// One connection (or, through `&mut *tx`, a transaction) of either backend.
pub type Conn = sqlx::AnyConnection;
pub type DbRow = sqlx::any::AnyRow;
/// A query with its binds, on either backend.
pub(crate) type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Which database the URL names. Every difference between the two dialects is decided here
/// (connection set-up, pool sizes, migrations), never in a query or a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One file, one process: the embedded default.
    Sqlite,
    /// A server that several paperdeck instances share.
    Postgres,
}

impl Backend {
    /// The backend of a database URL; `None` for a scheme paperdeck does not support.
    pub fn of(url: &str) -> Option<Backend> {
        let scheme = url.split(':').next().unwrap_or("");
        match scheme {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }

    /// Whether other processes may write the same data, so that what this process cached
    /// must be checked against the database (see [`cache`]).
    pub fn shared(self) -> bool {
        self == Backend::Postgres
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Whether several writes can go in one statement (PostgreSQL's data-modifying `WITH`;
    /// SQLite has none). Where a round trip crosses a network, an answer then takes three
    /// statements instead of five.
    pub(crate) fn combines_writes(self) -> bool {
        self == Backend::Postgres
    }

    pub(crate) fn migrator(self) -> &'static sqlx::migrate::Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

/// Why the database could not be opened, with the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("数据库地址无效 (invalid database URL) “{url}”: {source}")]
    Url { url: String, source: sqlx::Error },
    #[error("不支持的数据库 (unsupported database) “{url}”: 请用 sqlite://… 或 postgres://…")]
    Scheme { url: String },
    #[error("无法打开数据库 (cannot open database) {file}: {source}")]
    Open { file: String, source: sqlx::Error },
    #[error("无法迁移数据库 (cannot migrate database) {file}: {source}")]
    Migrate {
        file: String,
        source: sqlx::migrate::MigrateError,
    },
    #[error("无法重建题目记忆 (cannot rebuild card memory) {file}: {source}")]
    Rebuild { file: String, source: sqlx::Error },
}

#[derive(Clone, Debug)]
pub struct Db {
    pub backend: Backend,
    /// Reads: several connections, never blocked by the writer (WAL on SQLite, MVCC on
    /// PostgreSQL).
    pub read: Pool,
    /// Writes: on SQLite exactly one connection, so writers queue here rather than in SQLite's
    /// lock; on PostgreSQL a few, since the server takes row locks itself.
    pub write: Pool,
    /// What quiz pages read on every request. It lives with the pools so that the functions
    /// that write a learner's data keep it current themselves; see [`cache`].
    pub cache: std::sync::Arc<cache::Cache>,
    /// On PostgreSQL, how to open the connections that hold deployment-wide locks (see
    /// [`locks`]).
    pub lock_options: Option<AnyConnectOptions>,
}

// Moving the SQLite migrations into their own folder keeps their versions and checksums (the
// checksum is of the SQL text), so databases created before PostgreSQL existed still migrate.
static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The settings every SQLite connection gets, run when it opens (the `Any` driver takes only a
/// URL, so they cannot go into `SqliteConnectOptions`).
const SQLITE_PRAGMAS: [&str; 6] = [
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
    // FULL syncs the WAL on every commit. NORMAL would survive a crash of the process but may
    // lose the last commits on power loss or an OS crash, and an answer the server has
    // acknowledged must never be lost. The cost is one fsync per write.
    "PRAGMA synchronous = FULL",
    "PRAGMA temp_store = memory",
    // 4 MiB of page cache per connection (SQLite's default is 2 MiB): the working set (states,
    // today's reviews, cards) is small, and memory is budgeted.
    "PRAGMA cache_size = -4096",
];

/// One connection to the SQLite file with the pools' settings, opened and closed before the
/// pools: a file that is not a database (or that SQLite cannot open) fails here at once with
/// SQLite's own words, where the pool would retry until its 30-second wait ran out and then
/// report only that it timed out.
async fn probe_sqlite(options: &AnyConnectOptions) -> sqlx::Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect_with(options).await?;
    apply_sqlite_pragmas(&mut conn).await?;
    conn.close().await
}

/// Gives one SQLite connection the pools' settings ([`SQLITE_PRAGMAS`]).
async fn apply_sqlite_pragmas(conn: &mut sqlx::AnyConnection) -> sqlx::Result<()> {
    for pragma in SQLITE_PRAGMAS {
        sqlx::query(pragma).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Makes the database reachable before the pools open: SQLite's file created private, a missing
/// PostgreSQL database created. Returns the name messages give it (never a password).
async fn prepare(backend: Backend, url: &str) -> Result<String, OpenError> {
    match backend {
        Backend::Sqlite => {
            let options = SqliteConnectOptions::from_str(url).map_err(|source| OpenError::Url {
                url: url.to_string(),
                source,
            })?;
            let file = options.get_filename().display().to_string();
            create_private(options.get_filename()).map_err(|e| OpenError::Open {
                file: file.clone(),
                source: sqlx::Error::Io(e),
            })?;
            Ok(file)
        }
        Backend::Postgres => {
            create_database(url)
                .await
                .map_err(|source| OpenError::Open {
                    file: redact(url),
                    source,
                })?;
            Ok(redact(url))
        }
    }
}

/// A pooled PostgreSQL connection idle this long is pinged before it is used.
const PING_IDLE: Duration = Duration::from_secs(1);

impl Backend {
    /// (write, read) pool sizes.
    fn pool_sizes(self) -> (u32, u32) {
        match self {
            Backend::Sqlite => (1, 4),
            // Writes are short compare-and-set transactions; a few let two requests of
            // different learners commit at once. Reads: enough for the worker threads.
            Backend::Postgres => (4, 8),
        }
    }

    fn pool_options(self, max: u32, min: u32) -> AnyPoolOptions {
        let p = AnyPoolOptions::new()
            .max_connections(max)
            .min_connections(min);
        match self {
            // sqlx's default wait (30 s): SQLite's one write connection may have a queue
            // under load, and waiting for it is not an outage.
            Backend::Sqlite => {
                p.after_connect(|conn, _| Box::pin(async move { apply_sqlite_pragmas(conn).await }))
            }
            // A request waits this long for a connection before it gets the "database
            // unavailable" page, rather than hanging while the server is down (a refused
            // connection is retried until then).
            Backend::Postgres => p
                .acquire_timeout(Duration::from_secs(5))
                // sqlx pings a connection when it is given back and, by default, again when
                // it is taken: a round trip on every page for nothing under load, where a
                // connection waits microseconds between the two. One that sat idle long
                // enough for the server to have gone away meanwhile is still pinged (and
                // replaced if dead).
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= PING_IDLE {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                }),
        }
    }
}

impl Db {
    /// A new SQLite database in a temporary folder, for unit tests; the folder lives as long
    /// as the returned guard.
    #[cfg(test)]
    pub(crate) async fn temporary() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let db = Db::open(&url).await.expect("temporary database");
        (dir, db)
    }

    /// Opens (creating if missing) and migrates the database at `url`, with the default cache.
    pub async fn open(url: &str) -> Result<Db, OpenError> {
        Db::open_with(url, cache::TTL).await
    }

    /// Opens the database with a cache whose entries live `cache_ttl` (zero: no caching).
    pub async fn open_with(url: &str, cache_ttl: Duration) -> Result<Db, OpenError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(url).ok_or_else(|| OpenError::Scheme {
            url: url.to_string(),
        })?;
        let bad_url = |source| OpenError::Url {
            url: url.to_string(),
            source,
        };
        let file = prepare(backend, url).await?;
        let options = AnyConnectOptions::from_str(url).map_err(bad_url)?;
        let open_error = |source| OpenError::Open {
            file: file.clone(),
            source,
        };
        if backend == Backend::Sqlite {
            probe_sqlite(&options).await.map_err(open_error)?;
        }
        let (write_max, read_max) = backend.pool_sizes();
        let write = backend
            .pool_options(write_max, 0)
            .connect_with(options.clone())
            .await
            .map_err(open_error)?;
        // On PostgreSQL the migrator holds an advisory lock on the database while it runs, so
        // instances that start together apply each migration once and wait for each other.
        backend
            .migrator()
            .run(&write)
            .await
            .map_err(|source| OpenError::Migrate {
                file: file.clone(),
                source,
            })?;
        // Reads are short; a few connections keep two cores busy without each holding its own
        // page cache for nothing.
        let read = backend
            .pool_options(read_max, 1)
            .connect_with(options.clone())
            .await
            .map_err(open_error)?;
        let db = Db {
            backend,
            read,
            write,
            lock_options: backend.shared().then_some(options),
            cache: std::sync::Arc::new(cache::Cache::new(cache_ttl, backend.shared())),
        };
        // What a migration cannot do: replay the reviews of learners whose card memory is not
        // built yet (migration 20261206000010 queues everyone who had answered).
        let rebuilt = card_memory::rebuild_queued(&db)
            .await
            .map_err(|source| OpenError::Rebuild { file, source })?;
        if rebuilt > 0 {
            tracing::info!(
                learners = rebuilt,
                "card memory rebuilt from the review log"
            );
        }
        Ok(db)
    }

    /// `SELECT 1`, bounded: a readiness probe must answer before the load balancer's own check
    /// gives up (a few seconds), so a database that cannot hand out a connection by then counts
    /// as unavailable instead of leaving the probe waiting for the pool's full timeout.
    pub async fn ping(&self) -> sqlx::Result<()> {
        const PING_TIMEOUT: Duration = Duration::from_secs(2);
        let query = sqlx::query("SELECT 1").execute(&self.read);
        match tokio::time::timeout(PING_TIMEOUT, query).await {
            Ok(done) => done.map(|_| ()),
            Err(_) => Err(sqlx::Error::PoolTimedOut),
        }
    }

    pub async fn close(&self) {
        if self.backend == Backend::Sqlite {
            // SQLite folds the WAL back when its last connection closes, but a connection the
            // `Any` pool has not finished closing would keep it; an explicit checkpoint leaves
            // the file whole on its own however the pools end.
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.write)
                .await
            {
                tracing::warn!(error = %e, "could not checkpoint the WAL at close");
            }
        }
        self.read.close().await;
        self.write.close().await;
    }
}

/// A database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url.parse::<url::Url>() {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// Whether an error means the database could not be reached (server down, restarting, all
/// connections busy or cut) rather than that a query was wrong: such requests get "try again
/// in a moment" (503), not "something broke" (500).
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL's class 57 (operator intervention: admin shutdown, crash shutdown,
        // cannot connect now) and 08 (connection exceptions).
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("57") || c.starts_with("08")),
        _ => false,
    }
}

/// Makes every later cached read of the learner's data look again: bumps her
/// `data_version` inside the transaction `conn` that changes her data. Every write to what
/// [`cache::LearnerData`] holds calls it; on PostgreSQL the row lock it takes also orders the
/// writes of one learner (see [`cache`]). Returns the new version, 0 for no such learner.
pub async fn bump(conn: &mut Conn, learner: i64) -> sqlx::Result<i64> {
    let rows = bound!(
        "UPDATE learners SET data_version = data_version + 1 WHERE id = $1 RETURNING data_version",
        learner
    )
    .fetch_all(&mut *conn)
    .await?;
    match rows.first() {
        Some(r) => sqlx::Row::try_get(r, 0),
        None => Ok(0),
    }
}

/// Commits a transaction that changed the learner's cached data (it called [`bump`]), then
/// drops what this instance cached of her, so that its next read sees the change.
pub(crate) async fn commit_for(
    db: &Db,
    tx: sqlx::Transaction<'_, sqlx::Any>,
    learner: i64,
) -> sqlx::Result<()> {
    tx.commit().await?;
    db.cache.forget(learner);
    Ok(())
}

/// Creates a missing PostgreSQL database, as SQLite creates a missing file: pointing paperdeck
/// at a new name is all the setup there is. Instances starting together may race to create it;
/// the losers find it there.
async fn create_database(url: &str) -> sqlx::Result<()> {
    use sqlx::migrate::MigrateDatabase;
    if sqlx::Postgres::database_exists(url).await? {
        return Ok(());
    }
    match sqlx::Postgres::create_database(url).await {
        Err(e) if !sqlx::Postgres::database_exists(url).await.unwrap_or(false) => Err(e),
        _ => Ok(()),
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

/// A nullable float to bind: what every `REAL` / `DOUBLE PRECISION` column that may be NULL
/// takes. sqlx 0.8.6's `Any` driver sends a NULL `f64` to PostgreSQL as a `float4` parameter
/// (and a NULL `f32` as `float8`); PostgreSQL caches the prepared statement with that type, and
/// the next non-NULL `f64` bound to it is refused ("incorrect binary data format"). So a NULL is
/// sent as a NULL `f32`, which goes out as `float8`, like every non-NULL value.
#[derive(Debug, Clone, Copy)]
pub struct NullableF64(pub Option<f64>);

impl NullableF64 {
    pub fn from_f32(v: Option<f32>) -> NullableF64 {
        NullableF64(v.map(f64::from))
    }
}

impl sqlx::Type<sqlx::Any> for NullableF64 {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <f64 as sqlx::Type<sqlx::Any>>::type_info()
    }
}

impl<'q> sqlx::Encode<'q, sqlx::Any> for NullableF64 {
    fn encode_by_ref(
        &self,
        buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        match self.0 {
            Some(v) => <f64 as sqlx::Encode<'q, sqlx::Any>>::encode_by_ref(&v, buf),
            None => <Option<f32> as sqlx::Encode<'q, sqlx::Any>>::encode_by_ref(&None, buf),
        }
    }
}

/// The first row of a query (see the module doc for why not `fetch_optional`).
pub(crate) async fn first_row<'q>(q: Query<'q>, pool: &Pool) -> sqlx::Result<Option<DbRow>> {
    Ok(q.fetch_all(pool).await?.into_iter().next())
}

/// The first row of a query, read by `read`.
pub(crate) async fn first_as<'q, T>(
    q: Query<'q>,
    pool: &Pool,
    read: impl FnOnce(&DbRow) -> sqlx::Result<T>,
) -> sqlx::Result<Option<T>> {
    first_row(q, pool).await?.as_ref().map(read).transpose()
}

/// The first row of a query as a type that reads itself from a row.
pub(crate) async fn first_of<'q, T: for<'r> sqlx::FromRow<'r, DbRow>>(
    q: Query<'q>,
    pool: &Pool,
) -> sqlx::Result<Option<T>> {
    first_as(q, pool, |r| T::from_row(r)).await
}

/// Runs one statement on the write pool, on its own (no transaction around it).
pub(crate) async fn write(db: &Db, q: Query<'_>) -> sqlx::Result<()> {
    q.execute(&db.write).await.map(|_| ())
}

/// Every row of a query, each read by `read`.
pub(crate) async fn all_as<'q, T>(
    q: Query<'q>,
    pool: &Pool,
    read: impl FnMut(&DbRow) -> sqlx::Result<T>,
) -> sqlx::Result<Vec<T>> {
    q.fetch_all(pool).await?.iter().map(read).collect()
}

/// Every row of a query as a type that reads itself from a row (a tuple reads by position).
pub(crate) async fn all_of<'q, T: for<'r> sqlx::FromRow<'r, DbRow>>(
    q: Query<'q>,
    pool: &Pool,
) -> sqlx::Result<Vec<T>> {
    all_as(q, pool, |r| T::from_row(r)).await
}
