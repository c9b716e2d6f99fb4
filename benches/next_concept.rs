//! Choosing the next concept for a learner with 1,000 unlocked concepts and 100,000 review-log
//! rows, timed over many runs: cold (the learner's data loaded from the database, as on a cache
//! miss: preferences, states, today's answers, when each card was last seen) and warm (from the
//! per-process cache), each followed by the pure choice and the card choice.
//! Prints each query's `EXPLAIN QUERY PLAN` to show that it uses an index.
//!
//! Run with `cargo bench --bench next_concept`.

use paperdeck::scheduler::{self, card_pick, Prefs};
use paperdeck::store::{self, Db};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;

const CONCEPTS: usize = 1_000;
const REVIEWS: usize = 100_000;
const RUNS: usize = 300;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::open(&url).await?;
    let now = store::now_ts();
    let mut rng = StdRng::seed_from_u64(1);

    let t = Instant::now();
    let mut tx = db.write.begin().await?;
    sqlx::query("INSERT INTO learners (id, username, username_key, password_hash, created_at) VALUES (1, 'bench', 'bench', 'x', $1)")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    for c in 0..CONCEPTS {
        for k in 0..3 {
            sqlx::query("INSERT INTO cards (id, paper_slug, fact_key, kind, concept_slug, prompt, data_json, explanation, section, content_hash, updated_at) VALUES ($1, 'p', 'k', 'choice', $2, 'q', '{}', 'e', 'core', 'h', $3)")
                .bind(format!("card-{c}-{k}"))
                .bind(format!("concept-{c}"))
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        let stability: f64 = rng.random_range(0.5..200.0);
        sqlx::query("INSERT INTO concept_states (learner_id, concept_slug, unlocked_at, stability, difficulty, due_at, last_review_at, reps, lapses, version) VALUES (1, $1, $2, $3, 5.0, $4, $5, 100, 3, 100)")
            .bind(format!("concept-{c}"))
            .bind(now - 400 * 86_400)
            .bind(stability)
            .bind(now + rng.random_range(-5 * 86_400..60 * 86_400))
            .bind(now - rng.random_range(0..30 * 86_400))
            .execute(&mut *tx)
            .await?;
    }
    for i in 0..REVIEWS {
        let c = rng.random_range(0..CONCEPTS);
        sqlx::query("INSERT INTO reviews (learner_id, card_id, concept_slug, reviewed_at, answer, correct, rating, duration_ms, review_kind, reps_before, lapses_before, stability_after, difficulty_after, due_after_at, elapsed_days, scheduled_days, version_after) VALUES (1, $1, $2, $3, 'a', 1, 3, 5000, 'review', 0, 0, 1.0, 5.0, $3, 1, 1, 1)")
            .bind(format!("card-{c}-{}", rng.random_range(0..3)))
            .bind(format!("concept-{c}"))
            .bind(now - 365 * 86_400 + (i as i64) * (365 * 86_400 / REVIEWS as i64))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    store::card_memory::rebuild(&db, 1).await?;
    sqlx::query("ANALYZE").execute(&db.write).await?;
    println!(
        "setup: {CONCEPTS} concepts, {} cards, {REVIEWS} reviews in {:.1} s",
        CONCEPTS * 3,
        t.elapsed().as_secs_f64()
    );

    let prefs = Prefs::default();
    let since = prefs.day_start(prefs.day_index(now));
    for (name, sql, binds) in [
        ("concept states", store::quiz::STATES_SQL, 1),
        ("today's reviews", store::quiz::REVIEWS_SINCE_SQL, 2),
        ("card memory", store::card_memory::CARD_MEMORY_SQL, 1),
    ] {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(&explain).bind(1i64);
        if binds == 2 {
            q = if name == "today's reviews" {
                q.bind(since)
            } else {
                q.bind("concept-7")
            };
        }
        let plan = q.fetch_all(&db.read).await?;
        println!("plan for {name}:");
        for (_, _, _, detail) in plan {
            println!("    {detail}");
        }
    }

    async fn choose(
        db: &Db,
        data: &store::cache::LearnerData,
        now: i64,
        prefs: &Prefs,
    ) -> anyhow::Result<()> {
        let pick = scheduler::pick_next(&data.states, &data.today, now, prefs);
        if let Some(c) = pick.concept() {
            let memory = data.card_memory(db, 1).await?;
            let ids: Vec<String> = (0..3).map(|k| format!("card-{}-{k}", &c[8..])).collect();
            let cards: Vec<card_pick::Candidate> = ids
                .iter()
                .map(|id| card_pick::Candidate {
                    id,
                    fact: id,
                    kind: "choice",
                    memory: memory.get(id),
                })
                .collect();
            let mut rng = StdRng::seed_from_u64(7);
            let decay = prefs.decay();
            std::hint::black_box(card_pick::choose_card(&cards, now, decay, &mut rng));
        }
        Ok(())
    }
    let cold_cache = store::cache::Cache::new(std::time::Duration::ZERO, false);
    let mut cold = Vec::with_capacity(RUNS);
    for _ in 0..RUNS / 3 {
        let t = Instant::now();
        let data = cold_cache
            .learner(&db, 1, now, None)
            .await?
            .expect("learner");
        choose(&db, &data, now, &prefs).await?;
        cold.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let warm_cache = store::cache::Cache::default();
    warm_cache.learner(&db, 1, now, None).await?;
    let mut warm = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let data = warm_cache
            .learner(&db, 1, now, None)
            .await?
            .expect("learner");
        choose(&db, &data, now, &prefs).await?;
        warm.push(t.elapsed().as_secs_f64() * 1e3);
    }
    report("next concept, cold (4 queries + choice)", &mut cold);
    report("next concept, warm (cache + choice)", &mut warm);
    db.close().await;
    Ok(())
}

fn report(name: &str, ms: &mut [f64]) {
    ms.sort_by(|a, b| a.total_cmp(b));
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    let pct = |p: f64| ms[((ms.len() as f64 - 1.0) * p) as usize];
    println!(
        "{name}: mean {mean:.3} ms, p50 {:.3} ms, p99 {:.3} ms over {} runs",
        pct(0.5),
        pct(0.99),
        ms.len()
    );
}
