//! The database dumped as sorted rows, to show that hostile requests changed nothing.

use crate::helpers::TestApp;
use sqlx::{Column, Row};
use std::collections::BTreeMap;

/// A row as text, each value with its column name, read the same way on either backend.
fn row_text(r: &sqlx::any::AnyRow) -> String {
    (0..r.len())
        .map(|i| {
            let v = r
                .try_get::<Option<i64>, _>(i)
                .map(|v| v.map(|v| v.to_string()))
                .or_else(|_| {
                    r.try_get::<Option<f64>, _>(i)
                        .map(|v| v.map(|v| v.to_string()))
                })
                .or_else(|_| {
                    r.try_get::<Option<String>, _>(i)
                        .map(|v| v.map(|v| format!("'{v}'")))
                })
                .unwrap_or_else(|e| Some(format!("<{e}>")))
                .unwrap_or_else(|| "NULL".into());
            format!("{}={v}", r.column(i).name())
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// The rows `query` selects, each as [`row_text`], sorted (row order is not what is compared).
async fn sorted_rows<'q>(
    pool: &sqlx::AnyPool,
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
) -> Vec<String> {
    let rows = query.fetch_all(pool).await.expect("rows");
    let mut rows: Vec<String> = rows.iter().map(row_text).map(without_version).collect();
    rows.sort();
    rows
}

/// A row without `learners.data_version`: it counts writes for the caches, not data, and a
/// download she is allowed to make records her backup time and bumps it. Every other column is
/// compared.
fn without_version(row: String) -> String {
    row.split('|')
        .filter(|field| !field.starts_with("data_version="))
        .collect::<Vec<_>>()
        .join("|")
}

pub async fn dump(app: &TestApp) -> BTreeMap<String, Vec<String>> {
    let pool = app.db().await;
    let mut out = BTreeMap::new();
    let tables: &[(&str, &str)] = &[
        ("learners", "*"),
        // last_seen_at is refreshed at most every 10 minutes: not within this test
        ("login_sessions", "id, learner_id, created_at"),
        ("papers_read", "*"),
        ("concept_states", "*"),
        ("reviews", "*"),
        ("cards", "*"),
        // A reset that wrongly went through would use a code (and change the hash above).
        ("recovery_codes", "*"),
    ];
    for (table, cols) in tables {
        let sql = format!("SELECT {cols} FROM {table}");
        let rows = sorted_rows(&pool, sqlx::query(&sql)).await;
        out.insert(table.to_string(), rows);
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
pub async fn rows_of(app: &TestApp, learner: i64) -> Vec<String> {
    let pool = app.db().await;
    let mut out = Vec::new();
    for (table, key) in [
        ("learners", "id"),
        ("papers_read", "learner_id"),
        ("concept_states", "learner_id"),
        ("reviews", "learner_id"),
    ] {
        let sql = format!("SELECT * FROM {table} WHERE {key} = $1");
        let rows = sorted_rows(&pool, sqlx::query(&sql).bind(learner)).await;
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
