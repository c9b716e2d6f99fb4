//! `paperdeck copy-data`: every row of one database into another, empty one, in one
//! transaction — how a SQLite deployment moves to PostgreSQL.
//!
//! The tables and their column types are listed once, here; rows are read with the types the
//! list gives and written with the same, so a NULL keeps its column's type on PostgreSQL and an
//! id is copied as it was (reviews' ids are in feedback URLs, learners' in every other table).

use super::{Backend, Db, Pool};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::Row;
use std::str::FromStr;

/// How a column is read and written.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Float,
    Text,
}

use Kind::{Float, Int, Text};

/// Every table, parents before children (foreign keys are checked as rows arrive).
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "learners",
        &[
            ("id", Int),
            ("username", Text),
            ("username_key", Text),
            ("password_hash", Text),
            ("created_at", Int),
            ("desired_retention", Float),
            ("new_per_day", Int),
            ("max_reviews_per_day", Int),
            ("timezone", Text),
            ("rollover_hour", Int),
            ("fsrs_params", Text),
            ("undo_floor", Int),
            ("data_version", Int),
            ("extra_new_day", Int),
            ("extra_new", Int),
        ],
    ),
    (
        "login_sessions",
        &[
            ("id", Text),
            ("learner_id", Int),
            ("created_at", Int),
            ("last_seen_at", Int),
        ],
    ),
    (
        "cards",
        &[
            ("id", Text),
            ("paper_slug", Text),
            ("fact_key", Text),
            ("kind", Text),
            ("concept_slug", Text),
            ("prompt", Text),
            ("data_json", Text),
            ("explanation", Text),
            ("section", Text),
            ("content_hash", Text),
            ("retired", Int),
            ("updated_at", Int),
        ],
    ),
    (
        "papers_read",
        &[("learner_id", Int), ("paper_slug", Text), ("read_at", Int)],
    ),
    (
        "reading_progress",
        &[
            ("learner_id", Int),
            ("paper_slug", Text),
            ("section", Text),
            ("reached_at", Int),
        ],
    ),
    (
        "concept_states",
        &[
            ("learner_id", Int),
            ("concept_slug", Text),
            ("unlocked_at", Int),
            ("stability", Float),
            ("difficulty", Float),
            ("due_at", Int),
            ("last_review_at", Int),
            ("reps", Int),
            ("lapses", Int),
            ("last_card_id", Text),
            ("version", Int),
        ],
    ),
    (
        "reviews",
        &[
            ("id", Int),
            ("learner_id", Int),
            ("card_id", Text),
            ("concept_slug", Text),
            ("reviewed_at", Int),
            ("answer", Text),
            ("correct", Int),
            ("rating", Int),
            ("duration_ms", Int),
            ("review_kind", Text),
            ("stability_before", Float),
            ("difficulty_before", Float),
            ("due_before_at", Int),
            ("last_review_before_at", Int),
            ("reps_before", Int),
            ("lapses_before", Int),
            ("stability_after", Float),
            ("difficulty_after", Float),
            ("due_after_at", Int),
            ("elapsed_days", Int),
            ("scheduled_days", Int),
            ("version_after", Int),
            ("overridden", Int),
        ],
    ),
    (
        "card_memory",
        &[
            ("learner_id", Int),
            ("card_id", Text),
            ("stability", Float),
            ("difficulty", Float),
            ("last_review_at", Int),
            ("last_right", Int),
            ("reviews", Int),
        ],
    ),
    ("card_memory_rebuild", &[("learner_id", Int)]),
    (
        "login_failures",
        &[("name_key", Text), ("addr", Text), ("failed_at", Int)],
    ),
    // Her way back in if she forgets her password: a moved deployment must keep it working
    // (the hashes are salted with her id, which is copied as it was, not keyed with the
    // server's secret). The export file deliberately leaves them out (see `export`).
    (
        "recovery_codes",
        &[
            ("learner_id", Int),
            ("code_hash", Text),
            ("created_at", Int),
            ("used_at", Int),
        ],
    ),
    (
        "backup_reminders",
        &[
            ("learner_id", Int),
            ("last_export_at", Int),
            ("dismissed_at", Int),
        ],
    ),
];

/// Tables deliberately left out of a copy, and why.
pub const NOT_COPIED: &[(&str, &str)] = &[(
    "signup_events",
    "the last hour's sign-ups per address, for the sign-up budget: a moved deployment starts \
     with a fresh budget",
)];

/// Rows read and written per statement round: bounds the memory of a copy.
const PAGE: i64 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(
        "目标数据库不是空的 (the target database is not empty): {table} has {rows} rows. \
         copy-data only fills an empty database; create a new one (and copy before the first \
         server start there, which adds the cards)"
    )]
    NotEmpty { table: &'static str, rows: i64 },
    #[error("行数不一致 (row counts differ) in {table}: {from} in the source, {to} copied")]
    Count {
        table: &'static str,
        from: i64,
        to: i64,
    },
    #[error(
        "源数据库 {table} 表中的一行（{key}）无法读取 (cannot read a row of the source): \
         {table}.{column}: {reason}"
    )]
    Decode {
        table: &'static str,
        /// The row's first columns, as far as they could be read.
        key: String,
        column: &'static str,
        reason: String,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Why the source of a copy was not opened. The source is only ever read: a typo must not
/// create a file, and a database kept for a rollback must not be migrated by the copy
/// (review 2026-12-06, N9).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("源数据库不存在 (the source database does not exist): {0}")]
    Missing(String),
    #[error("数据库地址无效 (invalid database URL) “{url}”: {source}")]
    Url { url: String, source: sqlx::Error },
    #[error("不支持的数据库 (unsupported database) “{0}”: 请用 sqlite://… 或 postgres://…")]
    Scheme(String),
    #[error("无法打开源数据库 (cannot open the source database) {file}: {source}")]
    Open { file: String, source: sqlx::Error },
    #[error(
        "源数据库不是 paperdeck 的数据库，或从未迁移 (the source holds no paperdeck schema): {0}"
    )]
    NoSchema(String),
    #[error(
        "源数据库的结构版本 {found} 比本程序的 {expected} 旧 (the source's schema is older): \
         先用本程序启动一次 `paperdeck serve --database …` 让它迁移，再复制"
    )]
    Older { found: i64, expected: i64 },
    #[error(
        "源数据库的结构版本 {found} 本程序不认识 (the source's schema is newer than this \
         program's {expected}): 请用写入它的那个版本的 paperdeck 复制"
    )]
    Unknown { found: i64, expected: i64 },
}

/// Opens the source of a copy read-only and without migrations, and checks that its schema is
/// exactly this program's (the copy reads the columns of [`TABLES`]).
pub async fn open_source(url: &str) -> Result<Pool, SourceError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of(url).ok_or_else(|| SourceError::Scheme(url.to_string()))?;
    let name = super::redact(url);
    let url = match backend {
        Backend::Sqlite => {
            let file = crate::config::sqlite_file(url)
                .ok_or_else(|| SourceError::Missing(name.clone()))?;
            if !file.is_file() {
                return Err(SourceError::Missing(file.display().to_string()));
            }
            // mode=ro: SQLite itself refuses every write, whatever the code below does.
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=ro")
        }
        Backend::Postgres => url.to_string(),
    };
    let options = AnyConnectOptions::from_str(&url).map_err(|source| SourceError::Url {
        url: name.clone(),
        source,
    })?;
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Postgres {
                    sqlx::query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(|source| SourceError::Open {
            file: name.clone(),
            source,
        })?;
    let applied: Result<Vec<i64>, _> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&pool)
            .await;
    let Ok(applied) = applied else {
        return Err(SourceError::NoSchema(name));
    };
    let ours: Vec<i64> = backend.migrator().iter().map(|m| m.version).collect();
    let found = applied.last().copied().unwrap_or(0);
    let expected = ours.last().copied().unwrap_or(0);
    if applied.is_empty() {
        return Err(SourceError::NoSchema(name));
    }
    if let Some(v) = applied.iter().find(|v| !ours.contains(v)) {
        return Err(SourceError::Unknown {
            found: *v,
            expected,
        });
    }
    if applied != ours {
        return Err(SourceError::Older { found, expected });
    }
    Ok(pool)
}

async fn count(conn: &mut super::Conn, table: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut *conn)
        .await
}

/// Copies every table of `from` into `to`, which must hold no rows, in one transaction of
/// `to`: on any error nothing is left in it. Returns the rows copied per table.
pub async fn copy_all(from: &Pool, to: &Db) -> Result<Vec<(&'static str, i64)>, CopyError> {
    let mut tx = to.write.begin().await?;
    for (table, _) in TABLES {
        let rows = count(&mut tx, table).await?;
        if rows > 0 {
            return Err(CopyError::NotEmpty { table, rows });
        }
    }
    let mut src = from.acquire().await?;
    let mut copied = Vec::new();
    for (table, columns) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        let list = names.join(", ");
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
        let insert = format!("INSERT INTO {table} ({list}) VALUES ({})", marks.join(", "));
        // Paged by position in a stable order; the source is not written meanwhile (the
        // command is for a deployment that is stopped).
        let select = format!("SELECT {list} FROM {table} ORDER BY {list} LIMIT $1 OFFSET $2");
        let mut offset = 0;
        loop {
            let rows = bound!(&select, PAGE, offset).fetch_all(&mut *src).await?;
            for r in &rows {
                let mut q = sqlx::query(&insert);
                for (i, (column, kind)) in columns.iter().enumerate() {
                    let bad = |reason: String| CopyError::Decode {
                        table,
                        key: key_of(r, columns),
                        column,
                        reason,
                    };
                    q = match kind {
                        Int => q.bind(integer(r, i).map_err(bad)?),
                        Float => q.bind(super::NullableF64(
                            r.try_get(i).map_err(|e| bad(e.to_string()))?,
                        )),
                        Text => q.bind(
                            r.try_get::<Option<String>, _>(i)
                                .map_err(|e| bad(e.to_string()))?,
                        ),
                    };
                }
                q.execute(&mut *tx).await?;
            }
            offset += rows.len() as i64;
            if (rows.len() as i64) < PAGE {
                break;
            }
        }
        let in_source = count(&mut src, table).await?;
        let in_target = count(&mut tx, table).await?;
        if in_source != in_target || in_target != offset {
            return Err(CopyError::Count {
                table,
                from: in_source,
                to: in_target,
            });
        }
        copied.push((*table, in_target));
    }
    if to.backend == Backend::Postgres {
        // Ids were inserted as they were: the identity columns must continue after them, or
        // the next sign-up or answer would collide with a copied id.
        for table in ["learners", "reviews"] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            ))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(copied)
}

/// An integer column's value. A whole number stored as a REAL (as an old bug wrote
/// `concept_states.version` on SQLite) is taken as the integer it is; anything else that is not
/// an integer is refused with the value, so the operator can find and mend the row.
fn integer(r: &sqlx::any::AnyRow, i: usize) -> Result<Option<i64>, String> {
    match r.try_get::<Option<i64>, _>(i) {
        Ok(v) => Ok(v),
        Err(first) => match r.try_get::<Option<f64>, _>(i) {
            // 2^63 as f64 is exactly i64::MAX + 1: the range check must exclude it.
            Ok(Some(x)) if x.fract() == 0.0 && x >= -(2f64.powi(63)) && x < 2f64.powi(63) => {
                Ok(Some(x as i64))
            }
            Ok(Some(x)) => Err(format!("{x} 不是整数或超出范围 (not an integer in range)")),
            Ok(None) => Ok(None),
            Err(_) => Err(first.to_string()),
        },
    }
}

/// The first two columns of a row as text, for an error that names the row.
fn key_of(r: &sqlx::any::AnyRow, columns: &[(&str, Kind)]) -> String {
    columns
        .iter()
        .take(2)
        .enumerate()
        .map(|(i, (name, kind))| {
            let v = match kind {
                Text => r.try_get::<Option<String>, _>(i).ok().flatten(),
                _ => integer(r, i).ok().flatten().map(|v| v.to_string()),
            };
            format!("{name}={}", v.unwrap_or_else(|| "?".into()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table and column the migrations make is copied, or its table is listed in
    /// [`NOT_COPIED`] with a reason: a table added without a line here would be lost by a move.
    #[tokio::test]
    async fn every_table_and_column_of_the_schema_is_copied_or_left_out_on_purpose() {
        let (_dir, db) = Db::temporary().await;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
        )
        .fetch_all(&db.read)
        .await
        .unwrap();
        assert!(tables.len() >= 12, "{tables:?}");
        let mut problems = Vec::new();
        for table in &tables {
            if NOT_COPIED.iter().any(|(t, _)| t == table) {
                continue;
            }
            let Some((_, listed)) = TABLES.iter().find(|(t, _)| t == table) else {
                problems.push(format!("table {table} is neither copied nor in NOT_COPIED"));
                continue;
            };
            let columns: Vec<String> =
                sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                    .fetch_all(&db.read)
                    .await
                    .unwrap();
            for c in &columns {
                if !listed.iter().any(|(n, _)| n == c) {
                    problems.push(format!("column {table}.{c} is not copied"));
                }
            }
            for (n, _) in listed.iter() {
                if !columns.iter().any(|c| c == n) {
                    problems.push(format!("{table}.{n} is listed but not in the schema"));
                }
            }
        }
        let listed = TABLES.iter().map(|(t, _)| *t);
        for t in listed.chain(NOT_COPIED.iter().map(|(t, _)| *t)) {
            if !tables.iter().any(|x| x == t) {
                problems.push(format!("{t} is listed but not in the schema"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
