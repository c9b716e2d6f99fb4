//! Simulated learners, for generating realistic review logs (benchmarks, `paperdeck evaluate`,
//! load tests). Pure: seeded RNG, explicit clock.
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
