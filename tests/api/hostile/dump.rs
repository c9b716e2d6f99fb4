//! The database dumped as sorted rows, to show that hostile requests changed nothing.

use std::collections::BTreeMap;

pub async fn dump(db_path: &std::path::Path) -> BTreeMap<String, Vec<String>> {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db_path)
        .read_only(true);
    let pool = sqlx::SqlitePool::connect_with(opts).await.expect("db");
    let mut out = BTreeMap::new();
    let tables: &[(&str, Option<&[&str]>)] = &[
        ("learners", None),
        // last_seen_at is refreshed at most every 10 minutes: not within this test
        ("login_sessions", Some(&["id", "learner_id", "created_at"])),
        ("papers_read", None),
        ("concept_states", None),
        ("reviews", None),
        ("cards", None),
    ];
    for (table, cols) in tables {
        let cols: Vec<String> = match cols {
            Some(c) => c.iter().map(|s| s.to_string()).collect(),
            None => sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(&pool)
                .await
                .expect("columns"),
        };
        assert!(!cols.is_empty(), "table {table} has columns");
        let expr = cols
            .iter()
            .map(|c| format!("quote({c})"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let mut rows: Vec<String> = sqlx::query_scalar(&format!("SELECT {expr} FROM {table}"))
            .fetch_all(&pool)
            .await
            .expect("rows");
        rows.sort();
        out.insert(format!("{table} ({})", cols.join(", ")), rows);
    }
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_sessions")
        .fetch_one(&pool)
        .await
        .expect("count");
    out.insert("login_sessions count".into(), vec![sessions.to_string()]);
    pool.close().await;
    out
}

pub fn diff(
    before: &BTreeMap<String, Vec<String>>,
    after: &BTreeMap<String, Vec<String>>,
) -> String {
    let mut out = String::new();
    for (table, rows) in before {
        let empty = Vec::new();
        let now = after.get(table).unwrap_or(&empty);
        for r in rows.iter().filter(|r| !now.contains(r)) {
            out.push_str(&format!("  {table}: - {}\n", cut(r, 300)));
        }
        for r in now.iter().filter(|r| !rows.contains(r)) {
            out.push_str(&format!("  {table}: + {}\n", cut(r, 300)));
        }
    }
    out
}

pub fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!(
            "{}… ({} chars)",
            s.chars().take(n).collect::<String>(),
            s.len()
        )
    }
}

/// Rows of one learner, to see that nothing done by another learner touched them.
pub async fn rows_of(db_path: &std::path::Path, learner: i64) -> Vec<String> {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db_path)
        .read_only(true);
    let pool = sqlx::SqlitePool::connect_with(opts).await.expect("db");
    let mut out = Vec::new();
    for (table, key) in [
        ("learners", "id"),
        ("papers_read", "learner_id"),
        ("concept_states", "learner_id"),
        ("reviews", "learner_id"),
    ] {
        let cols: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(&pool)
                .await
                .expect("columns");
        let expr = cols
            .iter()
            .map(|c| format!("quote({c})"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let mut rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT {expr} FROM {table} WHERE {key} = $1"))
                .bind(learner)
                .fetch_all(&pool)
                .await
                .expect("rows");
        rows.sort();
        out.extend(rows.into_iter().map(|r| format!("{table}: {r}")));
    }
    pool.close().await;
    out
}

/// A status histogram as one line: `200 → 12, 403 → 40`.
pub fn histogram_line(histogram: &BTreeMap<String, usize>) -> String {
    histogram
        .iter()
        .map(|(k, v)| format!("{k} → {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
