//! Spaced-repetition scheduling by concept, on the `fsrs` crate. Pure: the clock (`now`, Unix
//! seconds) and the RNG are passed in, so a whole simulated learner can run in a unit test.
//!
//! The unit of scheduling is the (learner, concept) pair: one FSRS memory state per concept; the
//! question shown is one of that concept's cards.
//!
//! Days are the learner's days: they start at her rollover hour in her time zone, as in Anki.

use chrono::{Duration, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use fsrs::{MemoryState, DEFAULT_PARAMETERS, FSRS};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub mod card_pick;

/// How many other questions must pass before a concept answered wrong comes back in a session.
pub const RELEARN_GAP: usize = 3;
pub const DEFAULT_MAX_INTERVAL_DAYS: u32 = 365;
/// Most new concepts a one-day raise can add, in all.
pub const MAX_EXTRA_NEW: u32 = 50;

/// FSRS rating: 1 Again, 2 Hard, 3 Good, 4 Easy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rating {
    Again = 1,
    Hard = 2,
    Good = 3,
    Easy = 4,
}

impl Rating {
    pub fn from_u8(n: u8) -> Option<Rating> {
        Some(match n {
            1 => Rating::Again,
            2 => Rating::Hard,
            3 => Rating::Good,
            4 => Rating::Easy,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Rating::Again => "忘了",
            Rating::Hard => "困难",
            Rating::Good => "良好",
            Rating::Easy => "简单",
        }
    }
}

/// A learner's scheduling preferences.
#[derive(Debug, Clone)]
pub struct Prefs {
    pub desired_retention: f32,
    pub new_per_day: u32,
    pub max_reviews_per_day: u32,
    pub tz: Tz,
    pub rollover_hour: u32,
    pub max_interval_days: u32,
    /// Personal FSRS parameters; empty means the crate's defaults.
    pub params: Vec<f32>,
    /// A one-day raise of the new-concept limit ("今天再学 N 个", like Anki's custom study):
    /// (learner day, extra concepts). It counts only on that day.
    pub extra_new: (i64, u32),
}

impl Default for Prefs {
    fn default() -> Prefs {
        Prefs {
            desired_retention: 0.9,
            new_per_day: 5,
            max_reviews_per_day: 50,
            tz: chrono_tz::Asia::Shanghai,
            rollover_hour: 4,
            max_interval_days: DEFAULT_MAX_INTERVAL_DAYS,
            params: Vec::new(),
            extra_new: (0, 0),
        }
    }
}

impl Prefs {
    pub fn fsrs(&self) -> FSRS {
        FSRS::new(&self.params).unwrap_or_default()
    }

    /// With a stored one-day raise; stored values are forced into bounds (a read must not fail
    /// on what the database holds).
    pub fn with_extra_new(self, day: i64, extra: i64) -> Prefs {
        Prefs {
            extra_new: (day, extra.clamp(0, i64::from(MAX_EXTRA_NEW)) as u32),
            ..self
        }
    }

    /// Today's new-concept limit: the setting, plus today's one-day raise.
    pub fn new_limit(&self, now: i64) -> u32 {
        let (day, extra) = self.extra_new;
        let raise = if day == self.day_index(now) { extra } else { 0 };
        self.new_per_day.saturating_add(raise)
    }

    /// Her preferences for scheduling one concept with `cards` cards, in content whose concepts
    /// have `mean_cards` cards on average: the desired retention moves with the concept's size
    /// ([`concept_retention`]). Everything else is hers unchanged.
    pub fn for_concept(&self, cards: usize, mean_cards: f32) -> Prefs {
        Prefs {
            desired_retention: concept_retention(self.desired_retention, cards, mean_cards),
            ..self.clone()
        }
    }

    /// The forgetting curve's decay for these parameters.
    pub fn decay(&self) -> f32 {
        self.params
            .get(20)
            .copied()
            .unwrap_or(DEFAULT_PARAMETERS[20])
    }

    /// The learner's day number of a timestamp: days since 1970-01-01 counted from her
    /// rollover hour in her time zone.
    pub fn day_index(&self, ts: i64) -> i64 {
        if self.tz == chrono_tz::UTC && chrono::DateTime::from_timestamp(ts, 0).is_some() {
            // No offset to look up: the same day by arithmetic (the lab's learners, every
            // simulated answer).
            return (ts - i64::from(self.rollover_hour) * 3600).div_euclid(86_400);
        }
        let utc = chrono::DateTime::from_timestamp(ts, 0).unwrap_or_default();
        let local = utc.with_timezone(&self.tz).naive_local()
            - Duration::hours(i64::from(self.rollover_hour));
        (local.date() - NaiveDate::default()).num_days()
    }

    /// The timestamp at which learner day `day` begins.
    pub fn day_start(&self, day: i64) -> i64 {
        let date = NaiveDate::default() + Duration::days(day);
        let time = NaiveTime::from_hms_opt(self.rollover_hour.min(23), 0, 0).unwrap_or_default();
        let naive = date.and_time(time);
        // A rollover hour that falls in a DST gap or fold: take the earliest valid instant.
        match self.tz.from_local_datetime(&naive) {
            chrono::LocalResult::Single(t) => t.timestamp(),
            chrono::LocalResult::Ambiguous(a, _) => a.timestamp(),
            chrono::LocalResult::None => self
                .tz
                .from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
                .map(|t| t.timestamp())
                .unwrap_or_else(|| naive.and_utc().timestamp()),
        }
    }
}

/// The stored scheduling state of one concept for one learner: a row of `concept_states`
/// without `learner_id`, and as such an entry of an export file's `concept_states`.
///
/// Stability and difficulty are `f32` although the columns are REAL: they are computed as `f32`
/// and every write stores an `f32` widened to `f64`. Written as `f32`, each value has at most
/// nine digits, which serde_json reads back exactly; the 17-digit `f64` spelling may come back
/// one bit off, and an export's round trip must be exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConceptState {
    /// The file calls it by its column's name.
    #[serde(rename = "concept_slug")]
    pub concept: String,
    pub unlocked_at: i64,
    pub stability: Option<f32>,
    pub difficulty: Option<f32>,
    pub due_at: Option<i64>,
    pub last_review_at: Option<i64>,
    pub reps: i64,
    pub lapses: i64,
    pub last_card_id: Option<String>,
    pub version: i64,
}

impl ConceptState {
    pub fn new(concept: &str, unlocked_at: i64) -> ConceptState {
        ConceptState {
            concept: concept.to_string(),
            unlocked_at,
            stability: None,
            difficulty: None,
            due_at: None,
            last_review_at: None,
            reps: 0,
            lapses: 0,
            last_card_id: None,
            version: 0,
        }
    }

    pub fn memory(&self) -> Option<MemoryState> {
        match (self.stability, self.difficulty) {
            (Some(stability), Some(difficulty)) if self.reps > 0 => Some(MemoryState {
                stability,
                difficulty,
            }),
            _ => None,
        }
    }

    pub fn is_new(&self) -> bool {
        self.memory().is_none()
    }

    /// The state after an answer on `card` at `now` that FSRS scheduled as `out`: the one
    /// definition the answer's SQL, the cache and the simulation read.
    pub fn after(&self, out: &Outcome, now: i64, card: &str) -> ConceptState {
        ConceptState {
            stability: Some(out.stability),
            difficulty: Some(out.difficulty),
            due_at: Some(out.due_at),
            last_review_at: Some(now),
            reps: out.reps,
            lapses: out.lapses,
            last_card_id: Some(card.to_string()),
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// Predicted probability of recall at `now`; `None` before the first review.
    pub fn recall(&self, now: i64, decay: f32) -> Option<f32> {
        let m = self.memory()?;
        let last = self.last_review_at?;
        let days = ((now - last).max(0) as f32) / 86_400.0;
        Some(fsrs::current_retrievability(m, days, decay).clamp(0.0, 1.0))
    }
}

/// What kind of review an answer is, stored with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewKind {
    Learn,
    Review,
    Practice,
}

impl ReviewKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewKind::Learn => "learn",
            ReviewKind::Review => "review",
            ReviewKind::Practice => "practice",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewKind> {
        match s {
            "learn" => Some(ReviewKind::Learn),
            "review" => Some(ReviewKind::Review),
            "practice" => Some(ReviewKind::Practice),
            _ => None,
        }
    }
}

/// One of today's answers, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct TodayReview {
    pub concept: String,
    /// The card answered: the same-day retry asks another card than the one missed. Empty where a
    /// simulation does not track cards (`simulate`, the scheduler's own tests).
    pub card: String,
    pub rating: u8,
    pub kind: ReviewKind,
}

/// Why a concept was chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Pick {
    /// Answered wrong earlier today; back after a few other questions.
    Relearn(String),
    /// Due for review.
    Due(String),
    /// Unlocked by reading, not yet learned.
    New(String),
    /// Nothing left today.
    Done { next_due: Option<i64> },
}

impl Pick {
    pub fn concept(&self) -> Option<&str> {
        match self {
            Pick::Relearn(c) | Pick::Due(c) | Pick::New(c) => Some(c),
            Pick::Done { .. } => None,
        }
    }

    pub fn review_kind(&self) -> ReviewKind {
        match self {
            Pick::New(_) => ReviewKind::Learn,
            _ => ReviewKind::Review,
        }
    }
}

/// Today's plan in numbers, for the progress line and the home page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Plan {
    pub done_today: usize,
    pub due_now: usize,
    pub new_available: usize,
    pub relearn_pending: usize,
    /// New concepts learned today (first answers, in the quiz or on a paper page).
    pub learned_today: usize,
    /// Scheduled reviews answered today (quiz only: answers on a paper page are never these).
    pub reviews_today: usize,
    /// Extra-practice answers today.
    pub practice_today: usize,
    /// Today's new-concept limit, with a one-day raise.
    pub new_limit: usize,
    /// Unlocked concepts not learned yet, within the limit or not.
    pub new_waiting: usize,
}

impl Plan {
    pub fn remaining(&self) -> usize {
        self.due_now + self.new_available + self.relearn_pending
    }

    /// Where a quiz question stands in today's plan, counted apart for each queue: "复习 2/5",
    /// "新概念 1/5", "额外练习 · 第 4 题". Answers inside paper pages are not quiz questions and
    /// never move the review count (they may learn a new concept, which the limit counts).
    pub fn counter(&self, practice: bool, new: bool) -> String {
        if practice {
            format!("额外练习 · 第 {} 题", self.practice_today + 1)
        } else if new {
            let total = self.learned_today + self.new_available.max(1);
            format!("新概念 {}/{}", self.learned_today + 1, total)
        } else {
            let total = self.reviews_today + (self.due_now + self.relearn_pending).max(1);
            format!("复习 {}/{}", self.reviews_today + 1, total)
        }
    }

    /// How many more new concepts may be learned today.
    pub fn new_room(&self) -> usize {
        self.new_limit.saturating_sub(self.learned_today)
    }

    /// New concepts wait for tomorrow because today's limit is used up.
    pub fn new_held_back(&self) -> usize {
        if self.new_room() == 0 {
            self.new_waiting
        } else {
            0
        }
    }
}

/// How strongly a concept's size moves its desired retention ([`concept_retention`]), chosen
/// in the lab (issue 19; seed 1, both memory models, every ρ): 0.5 and 0.75 both lowered
/// paperdeck's reviews at Orbit's retention in every cell the trial could read, 0.75 by a
/// little more; 1.5 gave back most of the gain.
pub const SIZE_WEIGHT: f32 = 0.75;
/// Bounds of a concept's desired retention after weighting by size.
pub const CONCEPT_RETENTION: (f32, f32) = (0.7, 0.985);

/// The desired retention of a concept with `cards` cards when her target is `target` and
/// concepts have `mean_cards` cards on average: `1 − (1 − target) · (mean_cards / cards)^w`
/// with `w` = [`SIZE_WEIGHT`], within [`CONCEPT_RETENTION`].
///
/// Why: what she keeps is measured over cards, and a concept review refreshes what all of the
/// concept's cards share, so a review of the 48-card pretraining concept is worth more than one
/// of an 8-card concept. A concept of average size keeps her target; a larger one is reviewed
/// before its recall falls as far (48 cards at a 90% target: 95.4%), a smaller one later
/// (8 cards: 82.6%). Weighted by cards, the content's targets average about hers. An empty or
/// unknown size keeps her target.
pub fn concept_retention(target: f32, cards: usize, mean_cards: f32) -> f32 {
    if cards == 0 || !(mean_cards.is_finite() && mean_cards > 0.0) {
        return target;
    }
    let scale = (mean_cards / cards as f32).powf(SIZE_WEIGHT);
    let (lo, hi) = CONCEPT_RETENTION;
    (1.0 - (1.0 - target) * scale).clamp(lo, hi)
}

/// The mean size of the concepts that have cards, from each concept's card count: the size at
/// which [`concept_retention`] keeps her own target. 0 when no concept has a card.
pub fn mean_concept_size(sizes: impl IntoIterator<Item = usize>) -> f32 {
    let (cards, concepts) = sizes
        .into_iter()
        .filter(|n| *n > 0)
        .fold((0usize, 0usize), |(c, k), n| (c + n, k + 1));
    if concepts == 0 {
        return 0.0;
    }
    cards as f32 / concepts as f32
}

/// Counts what is left for today, with the daily limits applied.
pub fn plan(states: &[ConceptState], today: &[TodayReview], now: i64, prefs: &Prefs) -> Plan {
    let reviews_today = today
        .iter()
        .filter(|r| r.kind == ReviewKind::Review)
        .count();
    let learned_today = today.iter().filter(|r| r.kind == ReviewKind::Learn).count();
    let relearn = relearn_candidates(today);
    let due = states
        .iter()
        .filter(|s| !s.is_new() && s.due_at.is_some_and(|d| d <= now))
        .filter(|s| !relearn.contains(&s.concept.as_str()))
        .count();
    let due_cap = (prefs.max_reviews_per_day as usize).saturating_sub(reviews_today);
    let new = states.iter().filter(|s| s.is_new()).count();
    let new_limit = prefs.new_limit(now) as usize;
    let new_cap = new_limit.saturating_sub(learned_today);
    Plan {
        done_today: today.len(),
        due_now: due.min(due_cap),
        new_available: new.min(new_cap),
        relearn_pending: relearn.len(),
        learned_today,
        reviews_today,
        practice_today: today
            .iter()
            .filter(|r| r.kind == ReviewKind::Practice)
            .count(),
        new_limit,
        new_waiting: new,
    }
}

/// Whether `concept` waits for its same-day retry: its latest answer today was wrong.
pub fn retry_pending(today: &[TodayReview], concept: &str) -> bool {
    relearn_candidates(today).contains(&concept)
}

/// Concepts whose latest answer today was wrong, oldest first (by that latest answer).
// Called several times per pick (and per simulated answer in the lab): a backward scan over a
// day's answers with a short list of concepts met beats hashing every answer's slug.
fn relearn_candidates(today: &[TodayReview]) -> Vec<&str> {
    let mut met: Vec<&str> = Vec::new();
    let mut out: Vec<&str> = Vec::new();
    for r in today.iter().rev() {
        let c = r.concept.as_str();
        if met.contains(&c) {
            continue;
        }
        met.push(c);
        if r.rating == Rating::Again as u8 {
            out.push(c);
        }
    }
    out.reverse();
    out
}

/// A concept answered wrong earlier today whose retry is ready: [`RELEARN_GAP`] other answers
/// have passed since. It comes before anything else, so "做完另外 3 题后再考你一次" holds.
pub fn relearn_ready(today: &[TodayReview]) -> Option<&str> {
    relearn_candidates(today).into_iter().find(|c| {
        let pos = today.iter().rposition(|r| r.concept == *c).unwrap_or(0);
        today.len() - 1 - pos >= RELEARN_GAP
    })
}

/// Chooses the next concept. `states` are the learner's unlocked concepts in glossary order.
///
/// Order: (1) a concept answered wrong earlier today once [`RELEARN_GAP`] other answers have
/// passed; (2) due concepts, lowest predicted recall first, within the daily review limit;
/// (3) new concepts within the daily new limit; (1′) a wrong one before its gap, rather than
/// stopping; else done, with the next due time.
pub fn pick_next(states: &[ConceptState], today: &[TodayReview], now: i64, prefs: &Prefs) -> Pick {
    let decay = prefs.decay();
    let last_concept = today.last().map(|r| r.concept.as_str());
    if let Some(c) = relearn_ready(today) {
        return Pick::Relearn(c.to_string());
    }
    let candidates = relearn_candidates(today);
    let waiting_relearn = candidates
        .iter()
        .find(|c| Some(**c) != last_concept)
        .or(candidates.first())
        .copied();
    let p = plan(states, today, now, prefs);
    if p.due_now > 0 {
        let relearn = relearn_candidates(today);
        let due = states
            .iter()
            .filter(|s| !s.is_new() && s.due_at.is_some_and(|d| d <= now))
            .filter(|s| !relearn.contains(&s.concept.as_str()))
            .min_by(|a, b| {
                let ra = a.recall(now, decay).unwrap_or(0.0);
                let rb = b.recall(now, decay).unwrap_or(0.0);
                ra.total_cmp(&rb).then_with(|| a.concept.cmp(&b.concept))
            });
        if let Some(s) = due {
            return Pick::Due(s.concept.clone());
        }
    }
    if p.new_available > 0 {
        if let Some(s) = states
            .iter()
            .filter(|s| s.is_new())
            .min_by_key(|s| s.unlocked_at)
        {
            return Pick::New(s.concept.clone());
        }
    }
    if let Some(c) = waiting_relearn {
        return Pick::Relearn(c.to_string());
    }
    let next_due = states
        .iter()
        .filter(|s| !s.is_new())
        .filter_map(|s| s.due_at)
        .filter(|d| *d > now)
        .min()
        .or_else(|| {
            // Due now but over today's review limit: tomorrow.
            (states
                .iter()
                .any(|s| !s.is_new() && s.due_at.is_some_and(|d| d <= now)))
            .then(|| prefs.day_start(prefs.day_index(now) + 1))
        });
    Pick::Done { next_due }
}

/// The next concept of extra practice, and whether it is a same-day retry: a concept missed
/// today comes back once [`RELEARN_GAP`] other answers have passed (so "做完另外 3 题后再考你一次"
/// holds in practice too), and not before, while there is anything else to practise.
pub fn practice_next(
    states: &[ConceptState],
    today: &[TodayReview],
    now: i64,
    prefs: &Prefs,
) -> Option<(String, bool)> {
    let waiting = relearn_candidates(today);
    for c in &waiting {
        let pos = today.iter().rposition(|r| r.concept == *c).unwrap_or(0);
        if today.len() - 1 - pos >= RELEARN_GAP {
            return Some((c.to_string(), true));
        }
    }
    let order = practice_order(states, now, prefs);
    let first = order.first().cloned();
    order
        .into_iter()
        .find(|c| !waiting.contains(&c.as_str()))
        .map(|c| (c, false))
        .or_else(|| first.map(|c| (c, true)))
}

/// Extra practice once today's work is done: the learned concepts with the lowest recall,
/// weakest first.
pub fn practice_order(states: &[ConceptState], now: i64, prefs: &Prefs) -> Vec<String> {
    let decay = prefs.decay();
    let mut learned: Vec<(&ConceptState, f32)> = states
        .iter()
        .filter_map(|s| s.recall(now, decay).map(|r| (s, r)))
        .collect();
    learned.sort_by(|a, b| {
        a.1.total_cmp(&b.1)
            .then_with(|| a.0.concept.cmp(&b.0.concept))
    });
    learned
        .into_iter()
        .map(|(s, _)| s.concept.clone())
        .collect()
}

/// The state after an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub stability: f32,
    pub difficulty: f32,
    pub due_at: i64,
    pub elapsed_days: i64,
    pub scheduled_days: i64,
    pub reps: i64,
    pub lapses: i64,
}

/// Applies a rating to a concept state at `now`. Intervals of a day or more are rounded to whole
/// days, fuzzed by up to ±5% (at least ±1 day from 3 days on) so concepts learned together spread
/// out, capped at the maximum interval, and fall due at the start of that learner day. Shorter
/// intervals (a lapse, the first step of a new concept) are kept to the minute.
pub fn apply<R: Rng>(
    state: &ConceptState,
    rating: Rating,
    now: i64,
    prefs: &Prefs,
    rng: &mut R,
) -> Result<Outcome, fsrs::FSRSError> {
    let fsrs = prefs.fsrs();
    let today = prefs.day_index(now);
    let elapsed_days = state
        .last_review_at
        .map(|t| (today - prefs.day_index(t)).max(0))
        .unwrap_or(0);
    let next = fsrs.next_states(state.memory(), prefs.desired_retention, elapsed_days as u32)?;
    let chosen = match rating {
        Rating::Again => next.again,
        Rating::Hard => next.hard,
        Rating::Good => next.good,
        Rating::Easy => next.easy,
    };
    let max = prefs.max_interval_days.max(1) as f32;
    let interval = chosen.interval.clamp(0.0, max);
    let (due_at, scheduled_days) = if interval < 1.0 {
        (now + (interval * 86_400.0).round().max(60.0) as i64, 0)
    } else {
        let days = interval.round().max(1.0) as i64;
        let days = fuzz(days, rng).min(prefs.max_interval_days.max(1) as i64);
        (prefs.day_start(today + days), days)
    };
    let lapse = is_lapse(state, rating, elapsed_days);
    Ok(Outcome {
        stability: chosen.memory.stability,
        difficulty: chosen.memory.difficulty,
        due_at,
        elapsed_days,
        scheduled_days,
        reps: state.reps + 1,
        lapses: state.lapses + i64::from(lapse),
    })
}

/// Whether a rating is a lapse ("忘过"): a failure on a later day than the answer before it, of a
/// concept already learned. A miss minutes after first reading, or again within the same day, is
/// still learning, as Anki tells learning steps from lapses; a practice miss is not one either
/// (see [`for_kind`]).
pub fn is_lapse(state: &ConceptState, rating: Rating, elapsed_days: i64) -> bool {
    rating == Rating::Again && !state.is_new() && elapsed_days >= 1
}

/// The outcome an answer of `kind` may have. Extra practice comes before the concept is due,
/// and is unlimited: if it counted as spaced evidence, answering (or re-grading to 太简单) again
/// and again in one sitting would grow stability to years (security review 2026-11-29, L2). So a
/// practice answer can lower the memory (a wrong answer is real evidence of forgetting) but
/// never raise it: stability and due time no later, difficulty no lower than before.
pub fn for_kind(before: &ConceptState, kind: ReviewKind, out: Outcome) -> Outcome {
    let (Some(memory), Some(due_before)) = (before.memory(), before.due_at) else {
        return out;
    };
    if kind != ReviewKind::Practice {
        return out;
    }
    let due_at = out.due_at.min(due_before);
    // Practice is not a spaced test: a miss in it is not a lapse.
    let lapses = before.lapses;
    // The days the interval lost when the due time was held back.
    let held_back = (out.due_at - due_at) / 86_400;
    Outcome {
        stability: out.stability.min(memory.stability),
        difficulty: out.difficulty.max(memory.difficulty),
        due_at,
        scheduled_days: (out.scheduled_days - held_back).max(0),
        lapses,
        ..out
    }
}

/// Whether a review may be re-graded to 太简单: a first answer, or a scheduled review at least a
/// day after the one before. A same-day answer says little about long-term memory, and letting
/// it count as "easy" multiplies stability without any spacing (L2).
pub fn spaced(kind: ReviewKind, elapsed_days: i64) -> bool {
    match kind {
        ReviewKind::Learn => true,
        ReviewKind::Review => elapsed_days >= 1,
        ReviewKind::Practice => false,
    }
}

fn fuzz<R: Rng>(days: i64, rng: &mut R) -> i64 {
    if days < 3 {
        return days;
    }
    let spread = ((days as f64) * 0.05).round().max(1.0) as i64;
    (days + rng.random_range(-spread..=spread)).max(1)
}

/// A card as the chooser sees it.
#[derive(Debug, Clone, Copy)]
pub struct CardChoice<'a> {
    pub id: &'a str,
    pub kind: &'a str,
}

/// Chooses the card for a concept: the one seen least recently (never seen first), preferring a
/// kind different from the last card on this concept; ties broken by `rng`. Never the last card
/// again when there is another.
pub fn pick_card<'a, R: Rng>(
    cards: &[CardChoice<'a>],
    last_seen: &HashMap<String, i64>,
    last_card: Option<&str>,
    rng: &mut R,
) -> Option<CardChoice<'a>> {
    let last_kind = last_card.and_then(|id| cards.iter().find(|c| c.id == id).map(|c| c.kind));
    let pool: Vec<&CardChoice<'a>> = if cards.len() > 1 {
        cards.iter().filter(|c| Some(c.id) != last_card).collect()
    } else {
        cards.iter().collect()
    };
    let key = |c: &CardChoice| {
        (
            last_seen.get(c.id).copied().unwrap_or(i64::MIN),
            Some(c.kind) == last_kind,
        )
    };
    let best = pool.iter().map(|c| key(c)).min()?;
    let ties: Vec<&&CardChoice<'a>> = pool.iter().filter(|c| key(c) == best).collect();
    let i = rng.random_range(0..ties.len());
    Some(**ties[i])
}

#[cfg(test)]
mod tests;
