//! Simulated learners, for generating realistic review logs (benchmarks, `paperdeck evaluate`,
//! load tests). [`simulate`] is pure (seeded RNG, explicit clock); [`store_learners`] writes its
//! result to a database through the import.
//!
//! Each simulated learner has her own "true" memory, an FSRS model whose parameters are the
//! defaults perturbed at random, so that no scheduler knows them. paperdeck's scheduler (with
//! default parameters) decides what she reviews; whether she remembers is drawn from her true
//! recall probability.

use crate::scheduler::{self, ConceptState, Prefs, Rating, ReviewKind, TodayReview};
use fsrs::{MemoryState, FSRS};
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
    sink: impl FnMut(&Review),
) {
    simulate_scaled(learners, days, start, concepts, seed, 1.0, sink);
}

/// [`simulate`] with every learner's true initial stabilities (FSRS w0–w3) and the growth of her
/// stability after each successful review (e^w8) multiplied by `stability_scale`: below 1,
/// learners who forget faster than FSRS's defaults assume, so that parameters fitted to their
/// log should predict it better than the defaults.
/// A scale of 1 is [`simulate`], review for review.
pub fn simulate_scaled(
    learners: usize,
    days: i64,
    start: i64,
    concepts: &[String],
    seed: u64,
    stability_scale: f32,
    mut sink: impl FnMut(&Review),
) {
    for l in 0..learners {
        let mut sim = SimLearner::new(l, seed, concepts.len(), stability_scale);
        for day in 0..days {
            sim.day(day, start, concepts, &mut sink);
        }
    }
}

/// One simulated learner: her hidden true memory and what the scheduler knows of her.
struct SimLearner {
    id: usize,
    rng: StdRng,
    prefs: Prefs,
    truth: FSRS,
    decay: f32,
    /// Per concept (by index): her true memory and when it last moved.
    true_mem: Vec<Option<(MemoryState, i64)>>,
    states: Vec<ConceptState>,
    log: Vec<(i64, String, u8, ReviewKind)>,
    diligence: f64,
}

impl SimLearner {
    fn new(id: usize, seed: u64, concepts: usize, stability_scale: f32) -> SimLearner {
        let mut rng = StdRng::seed_from_u64(seed.wrapping_add(id as u64 * 7919));
        let mut truth_params = crate::lab::memory::learner_params(&mut rng);
        for w in truth_params.iter_mut().take(4) {
            *w *= stability_scale;
        }
        // The growth of stability after a success is 1 + e^w8 · …: scaled by the same factor.
        truth_params[8] += stability_scale.ln();
        let diligence = rng.random_range(0.6..0.98);
        SimLearner {
            id,
            prefs: Prefs::default(),
            truth: FSRS::new(&truth_params).unwrap_or_default(),
            decay: truth_params[20],
            true_mem: vec![None; concepts],
            states: Vec::new(),
            log: Vec::new(),
            diligence,
            rng,
        }
    }

    fn day(&mut self, day: i64, start: i64, concepts: &[String], sink: &mut impl FnMut(&Review)) {
        // a paper's worth of concepts every few days until all are unlocked
        if day % 3 == 0 && self.states.len() < concepts.len() {
            let n = self
                .rng
                .random_range(1..=3)
                .min(concepts.len() - self.states.len());
            for c in concepts.iter().skip(self.states.len()).take(n) {
                self.states.push(ConceptState::new(c, start + day * 86_400));
            }
        }
        if !self.rng.random_bool(self.diligence) {
            return;
        }
        let mut now = start + day * 86_400 + self.rng.random_range(8..22) * 3600;
        for _ in 0..200 {
            if !self.answer_next(now, concepts, sink) {
                break;
            }
            now += self.rng.random_range(10..60);
        }
    }

    /// Answers the scheduler's next question at `now`; `false` when there is none.
    fn answer_next(
        &mut self,
        now: i64,
        concepts: &[String],
        sink: &mut impl FnMut(&Review),
    ) -> bool {
        let prefs = &self.prefs;
        let today_idx = prefs.day_index(now);
        let today: Vec<TodayReview> = self
            .log
            .iter()
            .filter(|(t, ..)| prefs.day_index(*t) == today_idx)
            .map(|(_, c, r, k)| TodayReview {
                concept: c.clone(),
                card: String::new(),
                rating: *r,
                kind: *k,
            })
            .collect();
        let pick = scheduler::pick_next(&self.states, &today, now, prefs);
        let Some(concept) = pick.concept().map(str::to_string) else {
            return false;
        };
        let ci = concepts.iter().position(|c| *c == concept).unwrap_or(0);
        let rating = self.recall(ci, now);
        let Some(si) = self.states.iter().position(|s| s.concept == concept) else {
            return false;
        };
        let Ok(out) = scheduler::apply(&self.states[si], rating, now, &self.prefs, &mut self.rng)
        else {
            return false;
        };
        // A simulated answer is on no particular card.
        let after = self.states[si].after(&out, now, "");
        self.states[si] = ConceptState {
            last_card_id: None,
            ..after
        };
        let kind = pick.review_kind();
        self.log.push((now, concept.clone(), rating as u8, kind));
        sink(&Review {
            learner: self.id,
            concept,
            rating,
            kind,
            time: now,
            state_after: self.states[si].clone(),
        });
        true
    }

    /// Whether she recalls concept `ci` at `now` by her true memory, as a rating; her true
    /// memory then moves on with that rating.
    fn recall(&mut self, ci: usize, now: i64) -> Rating {
        let recalled = match self.true_mem[ci] {
            None => self.rng.random_bool(0.75),
            Some((m, last)) => {
                let days = ((now - last).max(0) as f32) / 86_400.0;
                let r = fsrs::current_retrievability(m, days, self.decay);
                self.rng.random_bool(f64::from(r.clamp(0.01, 0.99)))
            }
        };
        let rating = if !recalled {
            Rating::Again
        } else {
            match self.rng.random_range(0..10) {
                0 => Rating::Hard,
                1 => Rating::Easy,
                _ => Rating::Good,
            }
        };
        let prefs = &self.prefs;
        let elapsed = self.true_mem[ci]
            .map(|(_, last)| (prefs.day_index(now) - prefs.day_index(last)).max(0) as u32)
            .unwrap_or(0);
        let memory = self.true_mem[ci].map(|(m, _)| m);
        if let Ok(next) = self.truth.next_states(memory, 0.9, elapsed) {
            let m = match rating {
                Rating::Again => next.again.memory,
                Rating::Hard => next.hard.memory,
                Rating::Good => next.good.memory,
                Rating::Easy => next.easy.memory,
            };
            self.true_mem[ci] = Some((m, now));
        }
        rating
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
    let db = crate::store::Db::open(url).await?;
    let cards = crate::startup::generate_cards(content)?;
    crate::store::cards::sync(&db, &cards, crate::store::now_ts()).await?;
    let index = crate::cards::CardIndex::new(cards);
    let hash =
        crate::auth::hash_password(SIM_PASSWORD).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    let now = crate::store::now_ts();
    // Grouped once: filtering the whole log for each learner made 10,000 learners quadratic.
    let mut by_learner: Vec<Vec<&Review>> = vec![Vec::new(); learners];
    for r in reviews {
        if let Some(mine) = by_learner.get_mut(r.learner) {
            mine.push(r);
        }
    }
    let mut created = 0;
    for (l, mine) in by_learner.into_iter().enumerate() {
        let name = format!("sim{:04}", l + 1);
        let Some(id) = crate::store::learners::create(&db, &name, &name, &hash, now).await? else {
            continue;
        };
        let file = export_of(content, &index, id, name, &mine, now);
        // Simulated reading may run ahead of today: its own log, not a hostile file.
        crate::export::import(&db, content, id, &file, i64::MAX)
            .await
            .map_err(|e| anyhow::anyhow!("importing {}: {e}", file.account.username))?;
        created += 1;
    }
    db.close().await;
    Ok(created)
}

/// A simulated learner's history as an export file, each review on one of its concept's cards.
fn export_of(
    content: &crate::content::Content,
    index: &crate::cards::CardIndex,
    learner: i64,
    name: String,
    reviews: &[&Review],
    now: i64,
) -> crate::export::Export {
    use crate::export::{Account, Export, PaperRead};
    let mut last: std::collections::HashMap<&str, ConceptState> = Default::default();
    let mut rows = Vec::with_capacity(reviews.len());
    for r in reviews {
        let cards = index.for_concept(&r.concept);
        let Some(card) = cards.get(r.state_after.reps as usize % cards.len().max(1)) else {
            continue;
        };
        let before = last
            .get(r.concept.as_str())
            .cloned()
            .unwrap_or_else(|| ConceptState::new(&r.concept, r.state_after.unlocked_at));
        rows.push(simulated_answer(learner, r, &card.id, before).row());
        last.insert(r.concept.as_str(), r.state_after.clone());
    }
    let first_unlock = |concepts: &[String]| {
        let unlocked = concepts
            .iter()
            .map(|c| last.get(c.as_str()).map(|s| s.unlocked_at));
        unlocked.collect::<Option<Vec<i64>>>()?.into_iter().min()
    };
    let papers_read = content
        .papers
        .iter()
        .filter_map(|p| {
            first_unlock(&p.concepts).map(|read_at| PaperRead {
                paper_slug: p.slug.clone(),
                read_at,
            })
        })
        .collect();
    Export {
        format: crate::export::FORMAT.into(),
        version: crate::export::VERSION,
        exported_at: now,
        account: Account::with_defaults(name, now),
        papers_read,
        concept_states: last.values().cloned().collect(),
        reading_progress: Vec::new(),
        // The import rebuilds it from the reviews.
        card_memory: Vec::new(),
        reviews: rows,
    }
}

fn simulated_answer(
    learner: i64,
    r: &Review,
    card: &str,
    before: ConceptState,
) -> crate::store::quiz::Answer {
    let prefs = Prefs::default();
    crate::store::quiz::Answer {
        learner,
        card_id: card.to_string(),
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
        prefs,
    }
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
