//! Expected study time against desired retention for one learner: the chart on /settings
//! (what Anki calls "compute minimum recommended retention"). Pure: her concept states,
//! parameters and limits in, minutes per day out.
//!
//! Each point runs the `fsrs` crate's own simulator ([`fsrs::simulate`]) over her concepts
//! (those she has learned start from their current memory, the unlocked rest are new) for a
//! year, a few seeds averaged. The cost is bounded by the content: at most one simulated item
//! per concept (18 today), [`HORIZON_DAYS`] days, [`SEEDS`] seeds and 18 retention values
//! (measured with `examples/cost.rs` on the two shared cores under load: 58 ms for 18 learned
//! concepts, 290 ms for 18 new ones); nothing grows with her history. The page caches results
//! under [`fingerprint`] and runs at most the heavy-request limit of them at once.

use crate::scheduler::{ConceptState, Prefs};
use std::sync::Arc;

/// Desired retention values on the chart, in percent.
pub const RETENTIONS: std::ops::RangeInclusive<u32> = 80..=97;
/// Days simulated ahead.
pub const HORIZON_DAYS: usize = 365;
/// Simulation seeds averaged per point: with a deck of a few concepts one run is noisy.
pub const SEEDS: u64 = 8;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Desired retention, 0.80–0.97.
    pub retention: f64,
    /// Expected minutes of study a day, averaged over the year ahead.
    pub minutes: f64,
}

/// What the chart is computed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Her unlocked concepts (this many).
    Unlocked(usize),
    /// She has unlocked none yet: all the content's concepts, as if she read every paper.
    AllConcepts(usize),
}

/// Minutes per day at each desired retention in [`RETENTIONS`]. `states` are her unlocked
/// concepts; with none, `all_concepts` new concepts are assumed. `None` if her parameters are
/// unusable (the page then shows no chart).
pub fn minutes_by_retention(
    states: &[ConceptState],
    all_concepts: usize,
    prefs: &Prefs,
    now: i64,
) -> Option<(Basis, Vec<Point>)> {
    let w = Arc::new(fsrs::check_and_fill_parameters(&prefs.params).ok()?);
    let (basis, deck) = if states.is_empty() {
        (Basis::AllConcepts(all_concepts), all_concepts)
    } else {
        (Basis::Unlocked(states.len()), states.len())
    };
    if deck == 0 {
        return None;
    }
    let points = RETENTIONS
        .map(|pct| {
            let r = pct as f32 / 100.0;
            let existing = existing_cards(states, &w, r, prefs, now);
            let mut seconds = 0.0;
            let mut runs = 0;
            for seed in 0..SEEDS {
                let config = fsrs::SimulatorConfig {
                    deck_size: deck,
                    learn_span: HORIZON_DAYS,
                    learn_limit: prefs.new_per_day as usize,
                    review_limit: prefs.max_reviews_per_day.max(1) as usize,
                    max_ivl: prefs.max_interval_days.max(1) as f32,
                    ..Default::default()
                };
                if let Ok(out) = fsrs::simulate(&config, &w, r, Some(seed), Some(existing.clone()))
                {
                    seconds += out.cost_per_day.iter().map(|c| f64::from(*c)).sum::<f64>();
                    runs += 1;
                }
            }
            (runs > 0).then(|| Point {
                retention: f64::from(pct) / 100.0,
                minutes: seconds / f64::from(runs) / HORIZON_DAYS as f64 / 60.0,
            })
        })
        .collect::<Option<Vec<Point>>>()?;
    Some((basis, monotone(points)))
}

/// The points with simulation noise taken out the cheap way: expected study time cannot fall as
/// the target rises, so where a run says it does (91% 0.2 minutes, 92% 0.1) the neighbours that
/// disagree are replaced by their mean (pool-adjacent-violators, isotonic regression). A chart
/// that showed more retention as cheaper would teach her something false.
pub fn monotone(points: Vec<Point>) -> Vec<Point> {
    // Blocks of (sum, count); each block's mean is not below the one before.
    let mut blocks: Vec<(f64, usize)> = Vec::new();
    for p in &points {
        blocks.push((p.minutes, 1));
        while let [.., (s0, n0), (s1, n1)] = blocks[..] {
            if s0 / n0 as f64 <= s1 / n1 as f64 {
                break;
            }
            blocks.pop();
            blocks.pop();
            blocks.push((s0 + s1, n0 + n1));
        }
    }
    let means = blocks
        .iter()
        .flat_map(|(s, n)| std::iter::repeat_n(s / *n as f64, *n));
    points
        .iter()
        .zip(means)
        .map(|(p, minutes)| Point { minutes, ..*p })
        .collect()
}

/// Her learned concepts as the simulator's cards, dated relative to today (day 0).
fn existing_cards(
    states: &[ConceptState],
    w: &Arc<Vec<f32>>,
    retention: f32,
    prefs: &Prefs,
    now: i64,
) -> Vec<fsrs::Card> {
    let today = prefs.day_index(now);
    states
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let m = s.memory()?;
            let last = s.last_review_at.map(|t| prefs.day_index(t))?;
            let due = s.due_at.map(|t| prefs.day_index(t)).unwrap_or(today);
            Some(fsrs::Card {
                id: i as i64 + 1,
                difficulty: m.difficulty,
                stability: m.stability,
                last_date: (last - today) as f32,
                due: (due - today).max(0) as f32,
                interval: (due - last).max(1) as f32,
                lapses: s.lapses.max(0) as u32,
                desired_retention: retention,
                parameters: w.clone(),
            })
        })
        .collect()
}

/// A fingerprint of everything [`minutes_by_retention`] reads, for caching its result: the
/// same fingerprint gives the same points.
pub fn fingerprint(states: &[ConceptState], all_concepts: usize, prefs: &Prefs, now: i64) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    all_concepts.hash(&mut h);
    prefs.day_index(now).hash(&mut h);
    (
        prefs.new_per_day,
        prefs.max_reviews_per_day,
        prefs.max_interval_days,
    )
        .hash(&mut h);
    for w in &prefs.params {
        w.to_bits().hash(&mut h);
    }
    for s in states {
        s.concept.hash(&mut h);
        (
            s.stability.map(f32::to_bits),
            s.difficulty.map(f32::to_bits),
        )
            .hash(&mut h);
        (s.due_at, s.last_review_at, s.reps, s.lapses).hash(&mut h);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_higher_target_costs_more_time() {
        let prefs = Prefs::default();
        let (basis, points) = minutes_by_retention(&[], 18, &prefs, 1_767_225_600).unwrap();
        assert_eq!(basis, Basis::AllConcepts(18));
        assert_eq!(points.len(), 18);
        assert!(points
            .iter()
            .all(|p| p.minutes.is_finite() && p.minutes > 0.0));
        let first = points.first().unwrap().minutes;
        let last = points.last().unwrap().minutes;
        assert!(last > first * 1.5, "80%: {first}, 97%: {last}");
    }

    #[test]
    fn learned_concepts_start_from_their_memory() {
        let prefs = Prefs::default();
        let now = 1_767_225_600 + 40 * 86_400;
        let mut learned = ConceptState::new("a", now - 30 * 86_400);
        learned.stability = Some(20.0);
        learned.difficulty = Some(5.0);
        learned.reps = 4;
        learned.last_review_at = Some(now - 10 * 86_400);
        learned.due_at = Some(now + 5 * 86_400);
        let states = vec![learned, ConceptState::new("b", now - 86_400)];
        let (basis, points) = minutes_by_retention(&states, 18, &prefs, now).unwrap();
        assert_eq!(basis, Basis::Unlocked(2));
        assert!(points.iter().all(|p| p.minutes > 0.0));
        // Two concepts cost less than eighteen.
        let (_, all) = minutes_by_retention(&[], 18, &prefs, now).unwrap();
        assert!(points[10].minutes < all[10].minutes);
    }

    #[test]
    fn the_fingerprint_changes_with_what_the_estimate_reads() {
        let prefs = Prefs::default();
        let now = 1_767_225_600;
        let a = vec![ConceptState::new("a", now)];
        let base = fingerprint(&a, 18, &prefs, now);
        assert_eq!(base, fingerprint(&a, 18, &prefs, now + 60));
        let mut learned = a.clone();
        learned[0].reps = 1;
        learned[0].stability = Some(2.0);
        assert_ne!(base, fingerprint(&learned, 18, &prefs, now));
        assert_ne!(base, fingerprint(&a, 18, &prefs, now + 86_400));
        let fewer_new = Prefs {
            new_per_day: 2,
            ..Prefs::default()
        };
        assert_ne!(base, fingerprint(&a, 18, &fewer_new, now));
    }

    /// B4's noise: 91% at 0.2 minutes and 92% at 0.1 read as "more retention is cheaper".
    #[test]
    fn b4_more_retention_never_looks_cheaper() {
        let raw = [0.10, 0.20, 0.10, 0.30, 0.25, 0.40];
        let points: Vec<Point> = raw
            .iter()
            .enumerate()
            .map(|(i, m)| Point {
                retention: 0.80 + i as f64 / 100.0,
                minutes: *m,
            })
            .collect();
        let out = monotone(points.clone());
        let m: Vec<f64> = out.iter().map(|p| p.minutes).collect();
        assert!(m.windows(2).all(|w| w[0] <= w[1] + 1e-12), "{m:?}");
        let (a, b) = (raw.iter().sum::<f64>(), m.iter().sum::<f64>());
        assert!((a - b).abs() < 1e-9, "the total is kept");
        assert_eq!(out[0].minutes, 0.10);
        assert!((out[1].minutes - 0.15).abs() < 1e-9);
        assert!(out
            .iter()
            .zip(&points)
            .all(|(o, p)| o.retention == p.retention));
        assert_eq!(monotone(Vec::new()), Vec::new());
    }

    #[test]
    fn unusable_parameters_give_no_chart() {
        let prefs = Prefs {
            params: vec![1.0; 5],
            ..Prefs::default()
        };
        assert!(minutes_by_retention(&[], 18, &prefs, 0).is_none());
    }
}
