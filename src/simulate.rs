//! Simulated learners, for generating realistic review logs (benchmarks, `paperdeck evaluate`,
//! load tests). [`simulate`] is pure (seeded RNG, explicit clock); [`store_learners`] writes its
//! result to a database through the import.
//!
//! Each simulated learner has her own "true" memory, an FSRS model whose parameters are the
//! defaults perturbed at random, so that no scheduler knows them. paperdeck's scheduler (with
//! default parameters) decides what she reviews; whether she remembers is drawn from her true
//! recall probability.

use crate::scheduler::{self, ConceptState, Prefs, Rating, ReviewKind, TodayReview};
use fsrs::{MemoryState, DEFAULT_PARAMETERS, FSRS};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, Clone)]
pub struct Review {
    pub learner: usize,
    pub concept: String,
    pub rating: Rating,
    pub kind: ReviewKind,
    pub time: i64,
    pub state_after: ConceptState,
}

/// Simulates `learners` learners for `days` days from `start`, unlocking `concepts` a few at a
/// time, and calls `sink` with every review in time order per learner.
pub fn simulate(
    learners: usize,
    days: i64,
    start: i64,
    concepts: &[String],
    seed: u64,
    mut sink: impl FnMut(&Review),
) {
    let prefs = Prefs::default();
    for l in 0..learners {
        let mut rng = StdRng::seed_from_u64(seed.wrapping_add(l as u64 * 7919));
        let mut truth_params = DEFAULT_PARAMETERS.to_vec();
        for w in truth_params.iter_mut().take(4) {
            *w *= rng.random_range(0.5..1.8);
        }
        truth_params[20] *= rng.random_range(0.7..1.4);
        let truth = FSRS::new(&truth_params).unwrap_or_default();
        let decay = truth_params[20];
        let mut true_mem: Vec<Option<(MemoryState, i64)>> = vec![None; concepts.len()];
        let mut states: Vec<ConceptState> = Vec::new();
        let mut log: Vec<(i64, String, u8, ReviewKind)> = Vec::new();
        let diligence: f64 = rng.random_range(0.6..0.98);
        for day in 0..days {
            // a paper's worth of concepts every few days until all are unlocked
            if day % 3 == 0 && states.len() < concepts.len() {
                let n = rng.random_range(1..=3).min(concepts.len() - states.len());
                for c in concepts.iter().skip(states.len()).take(n) {
                    states.push(ConceptState::new(c, start + day * 86_400));
                }
            }
            if !rng.random_bool(diligence) {
                continue;
            }
            let mut now = start + day * 86_400 + rng.random_range(8..22) * 3600;
            for _ in 0..200 {
                let today_idx = prefs.day_index(now);
                let today: Vec<TodayReview> = log
                    .iter()
                    .filter(|(t, ..)| prefs.day_index(*t) == today_idx)
                    .map(|(_, c, r, k)| TodayReview {
                        concept: c.clone(),
                        rating: *r,
                        kind: *k,
                    })
                    .collect();
                let pick = scheduler::pick_next(&states, &today, now, &prefs);
                let Some(concept) = pick.concept().map(str::to_string) else {
                    break;
                };
                let ci = concepts.iter().position(|c| *c == concept).unwrap_or(0);
                let recalled = match true_mem[ci] {
                    None => rng.random_bool(0.75),
                    Some((m, last)) => {
                        let days = ((now - last).max(0) as f32) / 86_400.0;
                        let r = fsrs::current_retrievability(m, days, decay);
                        rng.random_bool(f64::from(r.clamp(0.01, 0.99)))
                    }
                };
                let rating = if !recalled {
                    Rating::Again
                } else {
                    match rng.random_range(0..10) {
                        0 => Rating::Hard,
                        1 => Rating::Easy,
                        _ => Rating::Good,
                    }
                };
                // the truth moves on with the same rating
                let elapsed = true_mem[ci]
                    .map(|(_, last)| (prefs.day_index(now) - prefs.day_index(last)).max(0) as u32)
                    .unwrap_or(0);
                if let Ok(next) = truth.next_states(true_mem[ci].map(|(m, _)| m), 0.9, elapsed) {
                    let m = match rating {
                        Rating::Again => next.again.memory,
                        Rating::Hard => next.hard.memory,
                        Rating::Good => next.good.memory,
                        Rating::Easy => next.easy.memory,
                    };
                    true_mem[ci] = Some((m, now));
                }
                let Some(si) = states.iter().position(|s| s.concept == concept) else {
                    break;
                };
                let Ok(out) = scheduler::apply(&states[si], rating, now, &prefs, &mut rng) else {
                    break;
                };
                let s = &mut states[si];
                s.stability = Some(out.stability);
                s.difficulty = Some(out.difficulty);
                s.due_at = Some(out.due_at);
                s.last_review_at = Some(now);
                s.reps = out.reps;
                s.lapses = out.lapses;
                s.version += 1;
                let kind = pick.review_kind();
                log.push((now, concept.clone(), rating as u8, kind));
                sink(&Review {
                    learner: l,
                    concept,
                    rating,
                    kind,
                    time: now,
                    state_after: s.clone(),
                });
                now += rng.random_range(10..60);
            }
        }
    }
}

/// The password of every simulated learner, for load tests.
pub const SIM_PASSWORD: &str = "load-test-password";

/// Creates learners `sim0001`… in the database at `url` and imports their simulated history
/// through the same code as a JSON import. Returns how many learners were created.
pub async fn store_learners(
    url: &str,
    content: &crate::content::Content,
    reviews: &[Review],
    learners: usize,
) -> anyhow::Result<usize> {
    use crate::export::{Account, Export, PaperRead, State};
    use std::collections::HashMap;
    let db = crate::store::Db::open(url).await?;
    let cards = crate::startup::generate_cards(content)?;
    crate::store::cards::sync(&db, &cards, crate::store::now_ts()).await?;
    let index = crate::cards::CardIndex::new(cards);
    let hash =
        crate::auth::hash_password(SIM_PASSWORD).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    let now = crate::store::now_ts();
    let prefs = Prefs::default();
    let mut created = 0;
    for l in 0..learners {
        let name = format!("sim{:04}", l + 1);
        let Some(id) = crate::store::learners::create(&db, &name, &name, &hash, now).await? else {
            continue;
        };
        let mine: Vec<&Review> = reviews.iter().filter(|r| r.learner == l).collect();
        let mut last: HashMap<&str, ConceptState> = HashMap::new();
        let mut rows = Vec::with_capacity(mine.len());
        for r in &mine {
            let cards = index.for_concept(&r.concept);
            let Some(card) = cards.get(r.state_after.reps as usize % cards.len().max(1)) else {
                continue;
            };
            let before = last
                .get(r.concept.as_str())
                .cloned()
                .unwrap_or_else(|| ConceptState::new(&r.concept, r.state_after.unlocked_at));
            let answer = crate::store::quiz::Answer {
                learner: id,
                card_id: card.id.clone(),
                answer: "（模拟）".into(),
                correct: r.rating != Rating::Again,
                rating: r.rating,
                kind: r.kind,
                now: r.time,
                duration_ms: 8000,
                elapsed_days: before
                    .last_review_at
                    .map(|t| (prefs.day_index(r.time) - prefs.day_index(t)).max(0))
                    .unwrap_or(0),
                scheduled_days: r
                    .state_after
                    .due_at
                    .map(|d| ((d - r.time) / 86_400).max(0))
                    .unwrap_or(0),
                before,
                after: r.state_after.clone(),
            };
            rows.push(answer.row());
            last.insert(r.concept.as_str(), r.state_after.clone());
        }
        let states: Vec<State> = last.values().cloned().map(State::from).collect();
        let papers_read = content
            .papers
            .iter()
            .filter(|p| p.concepts.iter().all(|c| last.contains_key(c.as_str())))
            .map(|p| PaperRead {
                paper_slug: p.slug.clone(),
                read_at: p
                    .concepts
                    .iter()
                    .filter_map(|c| last.get(c.as_str()).map(|s| s.unlocked_at))
                    .min()
                    .unwrap_or(now),
            })
            .collect();
        let file = Export {
            format: crate::export::FORMAT.into(),
            version: crate::export::VERSION,
            exported_at: now,
            account: Account::with_defaults(name, now),
            papers_read,
            concept_states: states,
            reviews: rows,
        };
        crate::export::import(&db, content, id, &file)
            .await
            .map_err(|e| anyhow::anyhow!("importing {}: {e}", file.account.username))?;
        created += 1;
    }
    db.close().await;
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulation_is_deterministic_and_produces_reviews() {
        let concepts: Vec<String> = (0..6).map(|i| format!("c{i}")).collect();
        let mut a = Vec::new();
        simulate(2, 30, 1_767_225_600, &concepts, 42, |r| {
            a.push((r.learner, r.concept.clone(), r.rating, r.time))
        });
        let mut b = Vec::new();
        simulate(2, 30, 1_767_225_600, &concepts, 42, |r| {
            b.push((r.learner, r.concept.clone(), r.rating, r.time))
        });
        assert_eq!(a, b);
        assert!(a.len() > 50, "{}", a.len());
        assert!(a.iter().any(|r| r.2 == Rating::Again));
    }
}
