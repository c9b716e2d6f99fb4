//! Statistics for the progress page: pure functions over the review log and concept states.
//! Days are the learner's days (her time zone and rollover hour), as in the scheduler.

use crate::scheduler::{ConceptState, Prefs, ReviewKind};
use std::collections::{BTreeMap, BTreeSet};

/// One answer, as statistics need it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewFact {
    pub time: i64,
    pub concept: String,
    pub correct: bool,
    pub duration_ms: i64,
    /// Learner days since the previous review of the concept (0 for the first).
    pub elapsed_days: i64,
    pub kind: ReviewKind,
}

/// Current and longest streak of days with at least one review. The current streak counts
/// today if she has reviewed today, else it runs up to yesterday (today is not over yet).
pub fn streaks(reviews: &[ReviewFact], prefs: &Prefs, now: i64) -> (u32, u32) {
    let days: BTreeSet<i64> = reviews.iter().map(|r| prefs.day_index(r.time)).collect();
    let mut longest = 0u32;
    let mut run = 0u32;
    let mut prev: Option<i64> = None;
    for d in &days {
        run = if prev == Some(d - 1) { run + 1 } else { 1 };
        longest = longest.max(run);
        prev = Some(*d);
    }
    let today = prefs.day_index(now);
    let mut day = if days.contains(&today) {
        today
    } else {
        today - 1
    };
    let mut current = 0;
    while days.contains(&day) {
        current += 1;
        day -= 1;
    }
    (current, longest)
}

/// Reviews and study time over the last seven days, today included.
pub fn last_week(reviews: &[ReviewFact], prefs: &Prefs, now: i64) -> (usize, i64) {
    let today = prefs.day_index(now);
    let recent: Vec<&ReviewFact> = reviews
        .iter()
        .filter(|r| today - prefs.day_index(r.time) < 7)
        .collect();
    (recent.len(), recent.iter().map(|r| r.duration_ms).sum())
}

/// Reviews per day for the last `days` days, oldest first; the last entry is today.
pub fn heatmap(reviews: &[ReviewFact], prefs: &Prefs, now: i64, days: usize) -> Vec<(i64, usize)> {
    let today = prefs.day_index(now);
    let first = today - days as i64 + 1;
    let mut counts: BTreeMap<i64, usize> = (first..=today).map(|d| (d, 0)).collect();
    for r in reviews {
        if let Some(c) = counts.get_mut(&prefs.day_index(r.time)) {
            *c += 1;
        }
    }
    counts.into_iter().collect()
}

/// Learned concepts falling due on each of the next `days` days; overdue ones count today.
pub fn forecast(states: &[ConceptState], prefs: &Prefs, now: i64, days: usize) -> Vec<usize> {
    let today = prefs.day_index(now);
    let mut out = vec![0; days];
    for s in states.iter().filter(|s| !s.is_new()) {
        if let Some(due) = s.due_at {
            let offset = (prefs.day_index(due) - today).max(0) as usize;
            if offset < days {
                out[offset] += 1;
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub total: usize,
    pub correct: usize,
}

impl Tally {
    /// Share answered right, `None` when there is nothing to divide.
    pub fn rate(&self) -> Option<f64> {
        (self.total > 0).then(|| self.correct as f64 / self.total as f64)
    }
}

/// Accuracy per week for the last `weeks` weeks, oldest first. Week 0 (the last) is the seven
/// days ending today; each entry carries the day index its week starts on.
pub fn weekly_accuracy(
    reviews: &[ReviewFact],
    prefs: &Prefs,
    now: i64,
    weeks: usize,
) -> Vec<(i64, Tally)> {
    let today = prefs.day_index(now);
    let mut out: Vec<(i64, Tally)> = (0..weeks)
        .rev()
        .map(|k| {
            (
                today - 7 * k as i64 - 6,
                Tally {
                    total: 0,
                    correct: 0,
                },
            )
        })
        .collect();
    for r in reviews {
        let back = today - prefs.day_index(r.time);
        if back < 0 {
            continue;
        }
        let k = (back / 7) as usize;
        if k < weeks {
            let t = &mut out[weeks - 1 - k].1;
            t.total += 1;
            t.correct += usize::from(r.correct);
        }
    }
    out
}

pub const INTERVAL_BUCKETS: [&str; 4] = ["< 1 天", "1–7 天", "7–21 天", "≥ 21 天"];

/// True retention: the share answered right, by how long it had been since the concept's
/// previous review. First encounters (learning) have no interval and are left out.
pub fn retention_by_interval(reviews: &[ReviewFact]) -> [Tally; 4] {
    let mut out = [Tally {
        total: 0,
        correct: 0,
    }; 4];
    for r in reviews.iter().filter(|r| r.kind != ReviewKind::Learn) {
        let b = match r.elapsed_days {
            d if d < 1 => 0,
            d if d < 7 => 1,
            d if d < 21 => 2,
            _ => 3,
        };
        out[b].total += 1;
        out[b].correct += usize::from(r.correct);
    }
    out
}

/// The sum of predicted recall over learned concepts: "how many concepts she would get right if
/// asked all of them now".
pub fn knowledge(states: &[ConceptState], prefs: &Prefs, now: i64) -> f64 {
    let decay = prefs.decay();
    states
        .iter()
        .filter_map(|s| s.recall(now, decay))
        .map(f64::from)
        .sum()
}

/// A concept's share of recall at or above this counts as mastered.
pub const MASTERED: f32 = 0.9;

/// Share of `concepts` whose predicted recall now is at least [`MASTERED`]; concepts never
/// reviewed count as not mastered.
pub fn mastery(concepts: &[String], states: &[ConceptState], prefs: &Prefs, now: i64) -> f64 {
    if concepts.is_empty() {
        return 0.0;
    }
    let decay = prefs.decay();
    let n = concepts
        .iter()
        .filter(|c| {
            states
                .iter()
                .find(|s| &s.concept == *c)
                .and_then(|s| s.recall(now, decay))
                .is_some_and(|r| r >= MASTERED)
        })
        .count();
    n as f64 / concepts.len() as f64
}

#[cfg(test)]
mod tests;
