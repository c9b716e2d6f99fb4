//! Measures what the expensive requests cost, for the figures in the README's limits section.
//! Not a test: it prints numbers, it asserts nothing about time.
//!
//! ```sh
//! cargo run --release --example cost -- optimise 20000   # the optimiser on one concept's log
//! cargo run --release --example cost -- optimise-spread 20000   # the same over 18 concepts
//! cargo run --release --example cost -- export 100000    # GET /export/paperdeck.json and revlog.csv
//! cargo run --release --example cost -- workload 18     # the /settings workload chart, 18 concepts
//! ```
//!
//! Memory is the process's peak resident set (`VmHWM`), reset before each step through
//! `/proc/self/clear_refs`, so each figure is the peak during that step alone. Linux only.

use paperdeck::config::Settings;
use paperdeck::revlog::Entry;
use paperdeck::scheduler::Prefs;
use paperdeck::startup::Application;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Starts a new peak: the kernel resets VmHWM to the current RSS.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// The optimiser on `n` reviews spread over `concepts` concepts.
fn optimise(n: i64, concepts: i64) {
    // Like the review's gen_one.py, with varied ratings and gaps (seeded) so that the fit has
    // something to learn: identical histories would let it stop at once.
    let mut rng = StdRng::seed_from_u64(42);
    let mut time = 1_700_000_000;
    let log: Vec<Entry> = (0..n)
        .map(|i| {
            time += rng.random_range(0..=4 * 86_400);
            let rating = match rng.random_range(0..100) {
                0..15 => 1,
                15..25 => 2,
                25..35 => 4,
                _ => 3,
            };
            Entry {
                item: format!("concept-{}", i % concepts),
                rating,
                time,
            }
        })
        .collect();
    reset_peak();
    let base = status_kb("VmRSS:");
    let t = Instant::now();
    let result = paperdeck::web::settings::fit_for_measurement(&log, &Prefs::default());
    let secs = t.elapsed().as_secs_f64();
    let peak = status_kb("VmHWM:");
    println!(
        "optimise {n} reviews of {concepts} concept(s): {:.1} s, RSS before {:.0} MB, peak {:.0} MB (+{:.0} MB); result {:?}",
        secs,
        mb(base),
        mb(peak),
        mb(peak.saturating_sub(base)),
        result
    );
}

async fn export(n: i64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("cost.db");
    let url = format!("sqlite://{}", path.display());
    let app = Application::build(Settings::for_tests(url.clone())).await?;
    let base_url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = client
        .get(format!("{base_url}/signup"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = field(&page, "csrf").ok_or_else(|| anyhow::anyhow!("no csrf"))?;
    let pw = "a good long passphrase for cost";
    client
        .post(format!("{base_url}/signup"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", "hog"),
            ("password", pw),
            ("password_confirm", pw),
        ])
        .send()
        .await?;

    // The log is written straight into the database: the import would take longer than the
    // measurement and is measured on its own by the tests.
    let pool = sqlx::SqlitePool::connect(&url).await?;
    let (card, concept): (String, String) =
        sqlx::query_as("SELECT id, concept_slug FROM cards WHERE retired = 0 LIMIT 1")
            .fetch_one(&pool)
            .await?;
    sqlx::query("INSERT INTO concept_states (learner_id, concept_slug, unlocked_at) SELECT id, $1, 1700000000 FROM learners")
        .bind(&concept)
        .execute(&pool)
        .await?;
    let mut tx = pool.begin().await?;
    for i in 0..n {
        sqlx::query(
            "INSERT INTO reviews (learner_id, card_id, concept_slug, reviewed_at, answer, correct,
                 rating, duration_ms, review_kind, reps_before, lapses_before, stability_after,
                 difficulty_after, due_after_at, elapsed_days, scheduled_days, version_after)
             SELECT id, $1, $2, $3, 'an answer of ordinary length', 1, 3, 8000, 'review', $4, 0,
                    12.5, 5.25, $3 + 86400, 1, 1, $4 + 1 FROM learners",
        )
        .bind(&card)
        .bind(&concept)
        .bind(1_700_000_000 + i * 600)
        .bind(i)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    pool.close().await;

    for path in ["/export/paperdeck.json", "/export/revlog.csv"] {
        reset_peak();
        let base = status_kb("VmRSS:");
        let t = Instant::now();
        let mut res = client.get(format!("{base_url}{path}")).send().await?;
        let status = res.status();
        let mut bytes = 0usize;
        // Read and drop each chunk, so the client holds no more than one.
        while let Some(chunk) = res.chunk().await? {
            bytes += chunk.len();
        }
        let peak = status_kb("VmHWM:");
        println!(
            "GET {path} with {n} reviews: {status}, {:.1} MB in {:.1} s, RSS before {:.0} MB, peak {:.0} MB (+{:.0} MB)",
            bytes as f64 / 1_048_576.0,
            t.elapsed().as_secs_f64(),
            mb(base),
            mb(peak),
            mb(peak.saturating_sub(base)),
        );
    }
    Ok(())
}

fn field(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// The /settings workload chart's simulation for `n` learned concepts (the content has 18).
fn workload(n: i64) {
    use paperdeck::scheduler::ConceptState;
    let now = 1_767_225_600 + 200 * 86_400;
    let states: Vec<ConceptState> = (0..n)
        .map(|i| ConceptState {
            stability: Some(5.0 + i as f32 * 3.0),
            difficulty: Some(5.0),
            reps: 5,
            last_review_at: Some(now - (i % 9) * 86_400),
            due_at: Some(now + (i % 13) * 86_400),
            ..ConceptState::new(&format!("c{i}"), now - 100 * 86_400)
        })
        .collect();
    let prefs = Prefs::default();
    let runs = 20;
    let started = Instant::now();
    for _ in 0..runs {
        let _ = paperdeck::lab::workload::minutes_by_retention(&states, 18, &prefs, now);
    }
    println!(
        "workload chart for {n} concepts: {:.1} ms per page view (mean of {runs})",
        started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let what = args.first().map(String::as_str).unwrap_or("optimise");
    let n: i64 = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(20_000);
    match what {
        "optimise" => optimise(n, 1),
        // Every concept's first reviews make training items, so this is the most training work.
        "optimise-spread" => optimise(n, 18),
        "export" => export(n).await?,
        "workload" => workload(n),
        other => anyhow::bail!("unknown measurement {other}: optimise, export or workload"),
    }
    Ok(())
}
