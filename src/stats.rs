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

/// How well a concept is learned, from weakest to strongest.
///
/// Predicted recall right after a review is always near 100%, so it says nothing about whether
/// she will still know the concept next month. The levels instead follow how long the memory
/// lasts (FSRS stability: the number of days after which the chance of recalling drops to 90%)
/// and what her answers were, in the spirit of Khan Academy's skill levels and Anki's "mature"
/// cards:
///
/// * 未学 (`New`): never answered.
/// * 初学 (`Learning`): answered, but the memory lasts less than a week, or the last answer
///   was wrong. A wrong last answer always means 初学 whatever the stability: she did not know
///   it the last time she was asked.
/// * 熟悉 (`Familiar`): last answer right and the memory lasts at least [`FAMILIAR_DAYS`].
/// * 掌握 (`Mastered`): last answer right, the memory lasts at least [`MASTERED_DAYS`] (Anki's
///   threshold for a "mature" card: by then the schedule has proved itself over weeks), and
///   at least [`MASTERED_RIGHT_DAYS`] right answers on different days since the last wrong one.
///   The day count keeps one lucky long interval, or several right answers crammed into one
///   day, from counting as mastery; counting only since the last wrong answer means a lapse
///   drops the concept out of 掌握 until she has shown it again on three days.
///
/// A concept with a memory state but no answers in the log (its answers were skipped by an
/// import because their cards no longer exist) is 初学 at most: nothing shows its last answer
/// was right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    New,
    Learning,
    Familiar,
    Mastered,
}

/// Stability (days) from which a concept whose last answer was right is 熟悉.
pub const FAMILIAR_DAYS: f32 = 7.0;
/// Stability (days) from which it can be 掌握: Anki's "mature" interval.
pub const MASTERED_DAYS: f32 = 21.0;
/// Right answers on different days since the last wrong one, needed for 掌握.
pub const MASTERED_RIGHT_DAYS: usize = 3;

impl Level {
    pub const ALL: [Level; 4] = [
        Level::New,
        Level::Learning,
        Level::Familiar,
        Level::Mastered,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Level::New => "未学",
            Level::Learning => "初学",
            Level::Familiar => "熟悉",
            Level::Mastered => "掌握",
        }
    }

    /// One plain sentence for the progress page.
    pub fn explain(self) -> &'static str {
        match self {
            Level::New => "还没有答过这个概念的题。",
            Level::Learning => "答过，但记忆还不牢：大约一周之内就可能忘，或者最近一次答错了。",
            Level::Familiar => "最近一次答对了，而且记忆能保持一周以上才会开始淡忘。",
            Level::Mastered => {
                "最近一次答对了，记忆能保持三周以上，而且在至少三个不同的日子里答对过（自上次答错以来）。"
            }
        }
    }
}

/// The level of one concept from its state and its answers, oldest first (see [`Level`]).
pub fn level(state: &ConceptState, answers: &[&ReviewFact], prefs: &Prefs) -> Level {
    let Some(memory) = state.memory() else {
        return Level::New;
    };
    let Some(last) = answers.last() else {
        return Level::Learning;
    };
    if !last.correct || memory.stability < FAMILIAR_DAYS {
        return Level::Learning;
    }
    let since_wrong = answers
        .iter()
        .rposition(|r| !r.correct)
        .map_or(0, |i| i + 1);
    let right_days: BTreeSet<i64> = answers[since_wrong..]
        .iter()
        .map(|r| prefs.day_index(r.time))
        .collect();
    if memory.stability >= MASTERED_DAYS && right_days.len() >= MASTERED_RIGHT_DAYS {
        Level::Mastered
    } else {
        Level::Familiar
    }
}

/// The level of every concept that has a state, from the whole review log (oldest first).
pub fn levels(
    states: &[ConceptState],
    reviews: &[ReviewFact],
    prefs: &Prefs,
) -> BTreeMap<String, Level> {
    let mut by_concept: BTreeMap<&str, Vec<&ReviewFact>> = BTreeMap::new();
    for r in reviews {
        by_concept.entry(r.concept.as_str()).or_default().push(r);
    }
    states
        .iter()
        .map(|s| {
            let answers = by_concept
                .get(s.concept.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            (s.concept.clone(), level(s, answers, prefs))
        })
        .collect()
}

/// How many of a paper's concepts reached each level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaperMastery {
    pub total: usize,
    pub mastered: usize,
    pub familiar: usize,
}

impl PaperMastery {
    /// Share of the paper's concepts at 掌握, in whole percent.
    pub fn percent(&self) -> u32 {
        if self.total == 0 {
            0
        } else {
            (self.mastered as f64 * 100.0 / self.total as f64).round() as u32
        }
    }
}

/// A paper's mastery: its concepts at 掌握 and at 熟悉. `None` for a paper she has not read: a
/// concept it shares with a paper she has read was learned from that one, and showing a score
/// on a paper she never opened would tell her she knows it.
pub fn paper_mastery(
    concepts: &[String],
    read: bool,
    levels: &BTreeMap<String, Level>,
) -> Option<PaperMastery> {
    if !read {
        return None;
    }
    let at = |l: Level| {
        concepts
            .iter()
            .filter(|c| levels.get(c.as_str()) == Some(&l))
            .count()
    };
    Some(PaperMastery {
        total: concepts.len(),
        mastered: at(Level::Mastered),
        familiar: at(Level::Familiar),
    })
}

/// One typed answer to a fill-in card, for `paperdeck report grading`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedAnswer {
    pub card_id: String,
    pub paper: String,
    pub prompt: String,
    /// The card's expected answer.
    pub expected: String,
    pub answer: String,
    /// As graded (true for an overridden one).
    pub correct: bool,
    pub overridden: bool,
}

/// A card whose grading learners disputed.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputedCard {
    pub card_id: String,
    pub paper: String,
    pub prompt: String,
    pub expected: String,
    /// Typed answers to the card (given-up ones are not typed answers).
    pub typed: usize,
    /// Of those, the ones the grader marked wrong, overridden or not.
    pub marked_wrong: usize,
    pub overridden: usize,
    /// The overridden answers with how often each was typed, most frequent first.
    pub overridden_answers: Vec<(String, usize)>,
    /// The answers marked wrong and left so, most frequent first: other spellings may hide
    /// among them.
    pub wrong_answers: Vec<(String, usize)>,
}

/// The cards whose wrong verdicts learners override most, most overridden first (ties: the
/// larger share of wrong verdicts overridden, then the card id). Only cards with at least one
/// override are listed; answers are compared after trimming.
pub fn grading_report(answers: &[TypedAnswer]) -> Vec<DisputedCard> {
    let mut cards: BTreeMap<&str, DisputedCard> = BTreeMap::new();
    let mut counts: BTreeMap<(&str, bool, &str), usize> = BTreeMap::new();
    for a in answers {
        let card = cards.entry(&a.card_id).or_insert_with(|| DisputedCard {
            card_id: a.card_id.clone(),
            paper: a.paper.clone(),
            prompt: a.prompt.clone(),
            expected: a.expected.clone(),
            typed: 0,
            marked_wrong: 0,
            overridden: 0,
            overridden_answers: Vec::new(),
            wrong_answers: Vec::new(),
        });
        card.typed += 1;
        if a.overridden || !a.correct {
            card.marked_wrong += 1;
            *counts
                .entry((a.card_id.as_str(), a.overridden, a.answer.trim()))
                .or_default() += 1;
        }
        card.overridden += usize::from(a.overridden);
    }
    for ((card, overridden, answer), n) in counts {
        if let Some(c) = cards.get_mut(card) {
            let list = if overridden {
                &mut c.overridden_answers
            } else {
                &mut c.wrong_answers
            };
            list.push((answer.to_string(), n));
        }
    }
    let mut out: Vec<DisputedCard> = cards.into_values().filter(|c| c.overridden > 0).collect();
    for c in &mut out {
        // Most frequent first; the sort is stable, so equal counts keep their text order.
        c.overridden_answers.sort_by_key(|a| std::cmp::Reverse(a.1));
        c.wrong_answers.sort_by_key(|a| std::cmp::Reverse(a.1));
    }
    out.sort_by(|a, b| {
        // overridden / marked_wrong compared without division: a.o * b.w vs b.o * a.w.
        b.overridden
            .cmp(&a.overridden)
            .then((b.overridden * a.marked_wrong).cmp(&(a.overridden * b.marked_wrong)))
            .then(a.card_id.cmp(&b.card_id))
    });
    out
}

#[cfg(test)]
mod tests;
