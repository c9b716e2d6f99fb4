//! Every query on the request path uses an index (issue 23 §3), on both backends.
//!
//! The statements are not listed by hand (a list drifts from the code): the test records every
//! statement sqlx runs (its `sqlx::query` events) while a learner goes through the app over
//! HTTP, then asks the database for each one's plan. A full scan of a table that grows with
//! learners or reviews fails the test: on SQLite a `SCAN` of such a table (with or without an
//! index: reading all of one is as slow), on PostgreSQL a `Seq Scan` with sequential scans
//! priced out (`enable_seqscan = off`, so a small test table does not excuse a missing index)
//! or an index scan with no `Index Cond` (all of the index). Tables whose size is the
//! content's (cards), not the users', may be scanned.
//!
//! Its own binary: the recorder sees every statement of the process, so no other test may run
//! beside it.

mod common;
/// `common::app` wants one; each test here names its backend itself.
const BACKEND: common::app::Backend = common::app::Backend::Sqlite;

use common::app::{spawn_app_on, Backend, TestApp};
use common::PW;
use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Tables sized by the content, not by learners: scanning one costs the same at any scale.
const CONTENT_TABLES: [&str; 1] = ["cards"];

/// The statements sqlx ran since the last [`take`].
static RAN: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// One backend at a time: the recorder is process-wide.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Recorder;

#[derive(Default)]
struct Statement {
    summary: String,
    full: String,
}

impl Visit for Statement {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_string(),
            "db.statement" => self.full = value.to_string(),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // String fields may arrive here as `"text"`, quoted.
        let text = format!("{value:?}");
        let text = text.trim_matches('"').replace("\\n", "\n");
        self.record_str(field, &text);
    }
}

impl<S: tracing::Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut s = Statement::default();
        event.record(&mut s);
        // sqlx puts the whole text in `db.statement` when it is longer than its summary.
        let sql = if s.full.trim().is_empty() {
            s.summary
        } else {
            s.full
        };
        if let Ok(mut ran) = RAN.lock() {
            ran.push(sql.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
}

fn record() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(Recorder);
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    });
}

fn take() -> Vec<String> {
    RAN.lock()
        .map(|mut r| std::mem::take(&mut *r))
        .unwrap_or_default()
}

/// A learner's way through the app: every page and form a learner uses, logged out and in.
async fn walk(app: &TestApp) {
    for path in [
        "/",
        "/papers",
        "/papers/qlora",
        "/concepts",
        "/glossary",
        "/login",
        "/recover",
    ] {
        assert_eq!(app.get(path).await.status, 200, "{path}");
    }
    app.learner("walker", &["qlora", "chinchilla"]).await;
    for path in [
        "/",
        "/papers",
        "/papers/qlora",
        "/concepts/scaling-laws",
        "/quiz",
        "/quiz?mode=practice",
        "/progress",
        "/settings",
        "/account/recovery-codes?next=/",
        "/account",
        "/export",
        "/export/paperdeck.json",
        "/export/revlog.csv",
        "/export/cards.csv",
    ] {
        assert_eq!(app.get(path).await.status, 200, "{path}");
    }
    for _ in 0..3 {
        let (_, feedback) = app.submit(&app.some_answer().await).await;
        for action in ["/quiz/regrade", "/quiz/override"] {
            if let Some(mut form) = feedback.form(action) {
                if action == "/quiz/regrade" {
                    form.push(("rating".into(), "2".into()));
                }
                let pairs = common::quiz::as_pairs(&form);
                let res = app.post(action, &pairs).await;
                assert_eq!(res.status, 303, "{action}: {}", res.body);
            }
        }
    }
    let (_, feedback) = app.submit(&app.some_answer().await).await;
    if let Some(form) = feedback.form("/quiz/undo") {
        let res = app.post("/quiz/undo", &common::quiz::as_pairs(&form)).await;
        assert_eq!(res.status, 303, "undo: {}", res.body);
    }
    assert_eq!(app.get("/progress").await.status, 200);
    let page = app.get("/papers/qlora").await;
    let csrf = page.csrf();
    let res = app
        .post(
            "/papers/qlora/reached",
            &[("csrf", &csrf), ("section", "core")],
        )
        .await;
    assert_eq!(res.status, 303, "reached: {}", res.body);
    if let Some(mut form) = page.form("/papers/qlora/check") {
        // The first question's first option, else "true" (a judgement, or a wrong fill-in).
        let options = common::page::choices(&page.body, "/papers/qlora/check", "answer");
        let answer = options.first().cloned().unwrap_or_else(|| "true".into());
        form.push(("answer".into(), answer));
        let res = app
            .post("/papers/qlora/check", &common::quiz::as_pairs(&form))
            .await;
        assert_eq!(res.status, 303, "in-page answer: {}", res.body);
        let back = res.location.unwrap_or_default();
        assert_eq!(app.get(&back).await.status, 200);
    }
    let csrf = app.get("/progress").await.csrf();
    let res = app
        .post("/progress/backup-reminder", &[("csrf", &csrf)])
        .await;
    assert_eq!(res.status, 303, "backup reminder: {}", res.body);
    // New recovery codes (after her password), shown once; one of them resets the password
    // once she is logged out.
    let csrf = app.get("/account").await.csrf();
    let res = app
        .post(
            "/account/recovery-codes",
            &[("csrf", &csrf), ("password", PW)],
        )
        .await;
    assert_eq!(res.status, 303, "new codes: {}", res.body);
    let shown = app.get(&res.location.unwrap_or_default()).await;
    let codes = shown.texts(".recovery-codes code");
    assert_eq!(codes.len(), 8, "{}", shown.body);
    for (from, action) in [
        ("/papers", "/logout"),
        ("/account", "/account/logout-everywhere"),
    ] {
        if action != "/logout" {
            assert_eq!(app.login("walker", PW).await.status, 303);
        }
        let token = app.get(from).await.csrf();
        // Log out everywhere asks for her password (N8); a plain log-out does not read it.
        let out = app
            .post(action, &[("csrf", &token), ("password", PW)])
            .await;
        assert_eq!(out.status, 303, "{action}");
    }
    let res = app
        .recover("walker", &codes[0], "a fresh long passphrase")
        .await;
    assert_eq!(res.status, 303, "recover: {}", res.body);
}

/// Statements whose plan is worth asking for: reads and writes that find rows.
fn planned(sql: &str) -> bool {
    let head = sql
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    match head.as_str() {
        "SELECT" | "UPDATE" | "DELETE" | "WITH" => true,
        // An INSERT finds rows only through a SELECT in it.
        "INSERT" => sql.to_ascii_uppercase().contains("SELECT"),
        _ => false,
    }
}

fn params(sql: &str) -> usize {
    (1..=32)
        .take_while(|n| sql.contains(&format!("${n}")))
        .count()
}

/// The tables of `sql` by the names its plan may use: each table's own name and its alias
/// (`FROM cards c` → `c` is `cards`); SQLite's plans name an aliased table by its alias only.
fn aliases(sql: &str) -> std::collections::HashMap<String, String> {
    let words: Vec<&str> = sql
        .split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    let keyword = |w: &str| {
        matches!(
            w.to_ascii_uppercase().as_str(),
            "WHERE"
                | "ON"
                | "JOIN"
                | "LEFT"
                | "INNER"
                | "CROSS"
                | "GROUP"
                | "ORDER"
                | "LIMIT"
                | "USING"
                | "SET"
                | "VALUES"
                | "UNION"
                | "AS"
        )
    };
    let mut map = std::collections::HashMap::new();
    for (i, w) in words.iter().enumerate() {
        if !matches!(w.to_ascii_uppercase().as_str(), "FROM" | "JOIN") {
            continue;
        }
        let Some(table) = words.get(i + 1) else {
            continue;
        };
        map.insert(table.to_string(), table.to_string());
        let mut next = i + 2;
        if words
            .get(next)
            .is_some_and(|w| w.eq_ignore_ascii_case("AS"))
        {
            next += 1;
        }
        if let Some(alias) = words.get(next).filter(|w| !keyword(w)) {
            map.insert(alias.to_string(), table.to_string());
        }
    }
    map
}

/// The plan's full scans of tables that grow with users, as "table: plan line"; `sql` names
/// the tables behind the plan's aliases.
fn sqlite_scans(plan: &[String], sql: &str) -> Vec<String> {
    let names = aliases(sql);
    plan.iter()
        .filter_map(|line| {
            let named = line
                .trim()
                .strip_prefix("SCAN ")?
                .split_whitespace()
                .next()?;
            let table = names.get(named).map_or(named, String::as_str);
            // `SCAN CONSTANT ROW`, a subquery's rows or a CTE's are not tables.
            let is_table = !matches!(table, "CONSTANT" | "(subquery") && !table.starts_with('(');
            (is_table && !CONTENT_TABLES.contains(&table)).then(|| format!("{table}: {line}"))
        })
        .collect()
}

fn postgres_scans(plan: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, line) in plan.iter().enumerate() {
        let node = line.trim().trim_start_matches("->").trim();
        let Some(on) = node.split(" on ").nth(1) else {
            continue;
        };
        let table = on.split_whitespace().next().unwrap_or("");
        if CONTENT_TABLES.contains(&table) {
            continue;
        }
        if node.starts_with("Seq Scan") {
            out.push(format!("{table}: {line}"));
        } else if node.starts_with("Index") {
            // Its details, up to the next node.
            let cond = plan[i + 1..]
                .iter()
                .take_while(|l| !l.contains("->"))
                .any(|l| l.contains("Index Cond"));
            if !cond {
                out.push(format!("{table}: {line} (no Index Cond)"));
            }
        }
    }
    out
}

async fn plan(conn: &mut sqlx::AnyConnection, backend: Backend, sql: &str) -> Vec<String> {
    use sqlx::Row;
    let rows = match backend {
        Backend::Sqlite => {
            let text = format!("EXPLAIN QUERY PLAN {sql}");
            let mut q = sqlx::query(&text);
            for _ in 0..params(sql) {
                q = q.bind(None::<i64>);
            }
            q.fetch_all(&mut *conn).await
        }
        Backend::Postgres => {
            let nulls = vec!["NULL"; params(sql)].join(", ");
            let execute = match nulls.is_empty() {
                true => "EXPLAIN EXECUTE plan_me".to_string(),
                false => format!("EXPLAIN EXECUTE plan_me({nulls})"),
            };
            let script = format!("PREPARE plan_me AS {sql}; {execute}; DEALLOCATE plan_me");
            sqlx::raw_sql(&script).fetch_all(&mut *conn).await
        }
    };
    let rows = rows.unwrap_or_else(|e| panic!("plan of {sql}: {e}"));
    let column = match backend {
        Backend::Sqlite => 3,
        Backend::Postgres => 0,
    };
    rows.iter()
        .filter_map(|r| r.try_get::<String, _>(column).ok())
        .collect()
}

async fn no_full_scan_on_the_request_path(backend: Backend) {
    let _one = ONE_AT_A_TIME.lock().await;
    record();
    let app = spawn_app_on(backend, |_| {}).await;
    // Start-up (migrations, the card sync) is not the request path.
    take();
    walk(&app).await;
    let ran: BTreeSet<String> = take().into_iter().filter(|s| planned(s)).collect();
    assert!(
        ran.iter().any(|s| s.contains("FROM reviews")) && ran.len() >= 15,
        "the walk ran too few statements to say anything: {ran:#?}"
    );
    // The recovery codes and the backup reminder are on the walk too.
    for table in [
        "FROM recovery_codes",
        "UPDATE recovery_codes",
        "FROM backup_reminders",
    ] {
        assert!(
            ran.iter().any(|s| s.contains(table)),
            "no statement {table}… in the walk: {ran:#?}"
        );
    }
    let pool = app.writable_db().await;
    let mut conn = pool.acquire().await.expect("connection");
    if backend == Backend::Postgres {
        let setup = "SET enable_seqscan = off; SET plan_cache_mode = force_generic_plan";
        sqlx::raw_sql(setup)
            .execute(&mut *conn)
            .await
            .expect("planner settings");
    }
    let mut failures = Vec::new();
    for sql in &ran {
        let lines = plan(&mut conn, backend, sql).await;
        let scans = match backend {
            Backend::Sqlite => sqlite_scans(&lines, sql),
            Backend::Postgres => postgres_scans(&lines),
        };
        if !scans.is_empty() {
            failures.push(format!("{sql}\n    {}", scans.join("\n    ")));
        }
    }
    drop(conn);
    pool.close().await;
    assert!(
        failures.is_empty(),
        "{} of {} statements on the request path scan a whole table ({backend:?}):\n{}",
        failures.len(),
        ran.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_query_on_the_request_path_scans_a_whole_table_sqlite() {
    no_full_scan_on_the_request_path(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_query_on_the_request_path_scans_a_whole_table_postgres() {
    no_full_scan_on_the_request_path(Backend::Postgres).await;
}

/// The README's "round trips to the database per page" table, as a test: once her pages have
/// been seen (caches warm), the logged-in home, paper page, /progress and quiz page run no
/// statement on SQLite and one on PostgreSQL (the session with her `data_version`). A page
/// that reads something of hers outside her cached data fails it (the home page's count of
/// unused recovery codes did, until 2026-12-07). An answer's statements are counted too.
async fn round_trips_per_page(backend: Backend) {
    let _one = ONE_AT_A_TIME.lock().await;
    record();
    let app = spawn_app_on(backend, |_| {}).await;
    app.learner("counter", &["qlora", "chinchilla"]).await;
    let pages = ["/", "/papers/qlora", "/progress", "/quiz", "/papers"];
    for path in pages {
        assert_eq!(app.get(path).await.status, 200, "{path}");
    }
    let want = match backend {
        Backend::Sqlite => 0,
        Backend::Postgres => 1,
    };
    for path in pages {
        take();
        assert_eq!(app.get(path).await.status, 200, "{path}");
        let ran = take();
        assert_eq!(
            ran.len(),
            want,
            "{path} ran {} statements on {backend:?} with her caches warm, the README says \
             {want}: {ran:#?}",
            ran.len()
        );
    }
    // An answer: its transaction's statements (sqlx logs neither backend's `BEGIN`, and
    // PostgreSQL's `COMMIT` only); on PostgreSQL the session before them. Seven there before
    // the answer's writes shared statements.
    let fields = app.some_answer().await;
    take();
    let res = app.post_answer(&fields).await;
    assert!(res.feedback_id().is_some(), "not recorded: {}", res.body);
    let ran = take();
    let want = match backend {
        Backend::Sqlite => 5,
        Backend::Postgres => 5,
    };
    assert_eq!(
        ran.len(),
        want,
        "an answer ran {} statements on {backend:?}, the README says {want}: {ran:#?}",
        ran.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trips_per_page_are_as_the_readme_says_sqlite() {
    round_trips_per_page(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trips_per_page_are_as_the_readme_says_postgres() {
    round_trips_per_page(Backend::Postgres).await;
}

#[test]
fn the_scan_readers_tell_a_scan_from_a_search() {
    let lines = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        sqlite_scans(
            &lines(&[
                "SCAN reviews",
                "SEARCH learners USING INTEGER PRIMARY KEY (rowid=?)"
            ]),
            ""
        )
        .len(),
        1
    );
    assert!(sqlite_scans(&lines(&["SCAN cards", "SCAN CONSTANT ROW"]), "").is_empty());
    // An alias is read as its table: a scan of the content's cards passes, of reviews fails.
    let sql = "SELECT 1 FROM cards c JOIN reviews AS r ON r.card_id = c.id";
    assert!(sqlite_scans(&lines(&["SCAN c"]), sql).is_empty());
    assert_eq!(sqlite_scans(&lines(&["SCAN r"]), sql).len(), 1);
    assert!(sqlite_scans(
        &lines(&["SEARCH reviews USING INDEX reviews_learner_time (learner_id=?)"]),
        ""
    )
    .is_empty());
    let pg = lines(&[
        "Nested Loop  (cost=0.29..16.34 rows=1 width=8)",
        "  ->  Index Scan using learners_pkey on learners l  (cost=0.15..8.17 rows=1 width=8)",
        "        Index Cond: (id = $1)",
        "  ->  Seq Scan on login_sessions s  (cost=10000000000.00..10000000001.00 rows=1 width=8)",
        "        Filter: (id = $2)",
    ]);
    assert_eq!(postgres_scans(&pg).len(), 1);
    assert!(postgres_scans(&pg)[0].starts_with("login_sessions"));
    let whole_index =
        lines(&["Index Only Scan using reviews_pkey on reviews  (cost=0.15..8.17 rows=1 width=8)"]);
    assert_eq!(postgres_scans(&whole_index).len(), 1);
}
