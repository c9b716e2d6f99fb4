//! `paperdeck copy-data`: every row of one database into another, empty one, in one
//! transaction — how a SQLite deployment moves to PostgreSQL.
//!
//! The tables and their column types are listed once, here; rows are read with the types the
//! list gives and written with the same, so a NULL keeps its column's type on PostgreSQL and an
//! id is copied as it was (reviews' ids are in feedback URLs, learners' in every other table).

use super::{Backend, Db};
use sqlx::Row;

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
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

async fn count(conn: &mut super::Conn, table: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&mut *conn)
        .await
}

/// Copies every table of `from` into `to`, which must hold no rows, in one transaction of
/// `to`: on any error nothing is left in it. Returns the rows copied per table.
pub async fn copy_all(from: &Db, to: &Db) -> Result<Vec<(&'static str, i64)>, CopyError> {
    let mut tx = to.write.begin().await?;
    for (table, _) in TABLES {
        let rows = count(&mut tx, table).await?;
        if rows > 0 {
            return Err(CopyError::NotEmpty { table, rows });
        }
    }
    let mut src = from.read.acquire().await?;
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
                for (i, (_, kind)) in columns.iter().enumerate() {
                    q = match kind {
                        Int => q.bind(r.try_get::<Option<i64>, _>(i)?),
                        Float => q.bind(super::NullableF64(r.try_get(i)?)),
                        Text => q.bind(r.try_get::<Option<String>, _>(i)?),
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
