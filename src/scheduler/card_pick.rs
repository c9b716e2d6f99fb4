//! Which card of a concept to show: the concept's state decides *when* a concept is reviewed,
//! each card's own memory decides *which* of its cards comes (issue 19 §2).
//!
//! Pure: no I/O, the clock (`now`, Unix seconds) and the RNG are passed in. Shared by the quiz
//! and the lab simulator, so nothing here knows about stores or web types: cards are plain
//! string ids with the fact they test and their kind.
//!
//! Why per card: a concept review used to show the card seen least recently, so a missed card
//! waited for its turn to come round and a 48-card concept met each card a few times a year
//! (audit 2026-12-06, §3). A card's memory is an FSRS state computed from that card's own
//! reviews, with the learner's parameters and the same rules as the concept's state.

use super::{Prefs, Rating, ReviewKind};
use fsrs::{MemoryState, FSRS};
use rand::Rng;
use std::collections::{HashMap, HashSet};

/// Fewer first sights than this and [`estimate_rho`] says nothing: with ten answers its
/// standard error is about 0.15, too wide to move a schedule.
pub const MIN_FIRST_SIGHTS: usize = 10;

/// One card's memory for one learner.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CardMemory {
    /// FSRS stability and difficulty after the card's latest review.
    pub memory: MemoryState,
    /// When the card was last answered.
    pub last_review_at: i64,
    /// Whether that answer was right (any rating but 忘了).
    pub last_right: bool,
    /// How many times the card has been answered; 0 only for a [`CardMemory::prior`].
    pub reviews: i64,
}

impl CardMemory {
    /// The memory after one answer on this card, `prev` being its memory before (`None` for a
    /// card never answered). The same FSRS step as [`super::apply`]: elapsed time in the
    /// learner's days, her parameters; and the same guard as [`super::for_kind`]: an extra
    /// practice answer can lower the memory but never raise it.
    ///
    /// A first answer starts from FSRS's initial state, not from the concept's: the card's
    /// memory is built from its own evidence only, and the concept's state enters through
    /// [`predicted_recall`] instead.
    pub fn update(
        prev: Option<&CardMemory>,
        rating: Rating,
        kind: ReviewKind,
        now: i64,
        prefs: &Prefs,
    ) -> Result<CardMemory, fsrs::FSRSError> {
        step(&prefs.fsrs(), prev, (now, rating, kind), prefs)
    }

    /// The memory assumed for a card she has never answered: the concept's memory at the
    /// concept's last review. `None` while the concept itself is new. Its `reviews` is 0.
    pub fn prior(concept: &super::ConceptState) -> Option<CardMemory> {
        Some(CardMemory {
            memory: concept.memory()?,
            last_review_at: concept.last_review_at?,
            last_right: true,
            reviews: 0,
        })
    }

    /// Whether this is a real memory from the card's own answers, not a prior.
    pub fn seen(&self) -> bool {
        self.reviews > 0
    }

    /// The probability of recall at `now` by this memory alone.
    pub fn recall(&self, now: i64, decay: f32) -> f32 {
        let days = ((now - self.last_review_at).max(0) as f32) / 86_400.0;
        fsrs::current_retrievability(self.memory, days, decay).clamp(0.0, 1.0)
    }
}

/// The predicted probability that she answers a card right at `now`, blending what transfers
/// from the concept with the card's own memory: `rho · R_concept + (1 − rho) · R_card`, where
/// an unseen card's own recall is 0 (the lab's hidden model has the same form). `rho` is the
/// transfer between cards of a concept, from [`estimate_rho`] or a default.
pub fn predicted_recall(
    card: Option<&CardMemory>,
    concept: Option<&CardMemory>,
    rho: f32,
    now: i64,
    decay: f32,
) -> f32 {
    let rho = rho.clamp(0.0, 1.0);
    let k = concept.map_or(0.0, |m| m.recall(now, decay));
    let c = card
        .filter(|m| m.seen())
        .map_or(0.0, |m| m.recall(now, decay));
    rho * k + (1.0 - rho) * c
}

/// Replays one card's answers, oldest first, into its memory: how the stored memory is built,
/// rebuilt after an undo, and checked. `None` when there are no answers.
pub fn replay(
    answers: impl IntoIterator<Item = (i64, Rating, ReviewKind)>,
    prefs: &Prefs,
) -> Result<Option<CardMemory>, fsrs::FSRSError> {
    let fsrs = prefs.fsrs();
    let mut memory = None;
    for answer in answers {
        memory = Some(step(&fsrs, memory.as_ref(), answer, prefs)?);
    }
    Ok(memory)
}

/// One FSRS step of `prev` by an answer (time, rating, kind).
fn step(
    fsrs: &FSRS,
    prev: Option<&CardMemory>,
    (now, rating, kind): (i64, Rating, ReviewKind),
    prefs: &Prefs,
) -> Result<CardMemory, fsrs::FSRSError> {
    let elapsed = prev
        .map(|p| (prefs.day_index(now) - prefs.day_index(p.last_review_at)).max(0))
        .unwrap_or(0);
    let next = fsrs.next_states(
        prev.map(|p| p.memory),
        prefs.desired_retention,
        u32::try_from(elapsed).unwrap_or(u32::MAX),
    )?;
    let mut memory = match rating {
        Rating::Again => next.again.memory,
        Rating::Hard => next.hard.memory,
        Rating::Good => next.good.memory,
        Rating::Easy => next.easy.memory,
    };
    if let (ReviewKind::Practice, Some(p)) = (kind, prev) {
        memory.stability = memory.stability.min(p.memory.stability);
        memory.difficulty = memory.difficulty.max(p.memory.difficulty);
    }
    Ok(CardMemory {
        memory,
        last_review_at: now,
        last_right: rating != Rating::Again,
        reviews: prev.map_or(0, |p| p.reviews) + 1,
    })
}

/// A card as the chooser sees it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub id: &'a str,
    /// The fact it tests; cards of one fact in different kinds share it.
    pub fact: &'a str,
    pub kind: &'a str,
    /// Its own memory; `None` (or a prior) if she has never answered it.
    pub memory: Option<&'a CardMemory>,
}

impl Candidate<'_> {
    fn seen(&self) -> bool {
        self.memory.is_some_and(CardMemory::seen)
    }
}

/// The card of a concept she most needs at `now`: a card she has never answered first, else
/// the lowest recall by its own memory. Within one concept the concept's share of
/// [`predicted_recall`] is the same for every card, so the card's own recall orders them.
/// Exact ties go to `rng`, so the order is deterministic for a seed. `None` only when `cards`
/// is empty.
pub fn choose_card<'a, R: Rng>(
    cards: &[Candidate<'a>],
    now: i64,
    decay: f32,
    rng: &mut R,
) -> Option<Candidate<'a>> {
    let unseen: Vec<&Candidate<'a>> = cards.iter().filter(|c| !c.seen()).collect();
    if !unseen.is_empty() {
        return Some(*unseen[rng.random_range(0..unseen.len())]);
    }
    lowest(cards.iter(), now, decay, rng)
}

fn lowest<'a, 'b, R: Rng>(
    cards: impl Iterator<Item = &'b Candidate<'a>>,
    now: i64,
    decay: f32,
    rng: &mut R,
) -> Option<Candidate<'a>>
where
    'a: 'b,
{
    let scored: Vec<(&Candidate<'a>, f32)> = cards
        .map(|c| (c, c.memory.map_or(0.0, |m| m.recall(now, decay))))
        .collect();
    let min = scored.iter().map(|(_, r)| *r).min_by(f32::total_cmp)?;
    let ties: Vec<&Candidate<'a>> = scored
        .iter()
        .filter(|(_, r)| *r == min)
        .map(|(c, _)| *c)
        .collect();
    Some(*ties[rng.random_range(0..ties.len())])
}

/// What the same-day retry after a miss asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The missed card itself.
    SameCard,
    /// The same fact in another kind when there is one (the weakest such card, an unseen one
    /// first), else the missed card: it tests the fact, not the options she has just been shown.
    SameFact,
    /// Another card of the concept, as [`choose_card`] picks among the rest (unseen first, then
    /// the weakest), else the missed card. What the quiz asks: measured in the lab
    /// (2026-12-07, `bench/lab-2026-12-07c/`), re-asking the missed fact minutes later is massed
    /// study under both memory models, and asking another card saved 3–18 points of reviews
    /// against Orbit at equal retention at every ρ below 1. The missed card keeps its own low
    /// memory, so it comes back by that memory, weakest first, at the concept's next reviews.
    OtherCard,
}

/// The card for the same-day retry of the concept whose card `missed` she answered wrong.
/// `None` when `missed` is not among `cards` (a card retired since), and the caller falls back
/// to [`choose_card`].
pub fn retry_card<'a, R: Rng>(
    cards: &[Candidate<'a>],
    missed: &str,
    mode: Retry,
    now: i64,
    decay: f32,
    rng: &mut R,
) -> Option<Candidate<'a>> {
    let missed_card = *cards.iter().find(|c| c.id == missed)?;
    match mode {
        Retry::SameCard => return Some(missed_card),
        Retry::OtherCard => {
            let others: Vec<Candidate<'a>> =
                cards.iter().filter(|c| c.id != missed).copied().collect();
            return choose_card(&others, now, decay, rng).or(Some(missed_card));
        }
        Retry::SameFact => {}
    }
    let siblings: Vec<Candidate<'a>> = cards
        .iter()
        .filter(|c| c.fact == missed_card.fact && c.id != missed && c.kind != missed_card.kind)
        .copied()
        .collect();
    choose_card(&siblings, now, decay, rng).or(Some(missed_card))
}

/// Extra cards a concept review may take (issue 19 §2, decided by the lab's sweep).
pub const EXTRA_CARDS: usize = 2;
/// Extra cards only for a learner whose estimated ρ ([`RhoEstimator`]) is below this.
/// Measured (lab, seed 1, 2026-12-07): extra cards saved reviews at equal retention for
/// ρ ≤ 0.25 under both memory models and cost them for ρ ≥ 0.5 under DASH and at ρ = 1 under
/// FSRS: where one card stands for the concept, a second one the same day is massed study.
pub const EXTRA_BELOW_RHO: f32 = 0.4;
/// A seen card counts as far below target when its own recall is this far under the desired
/// retention.
pub const EXTRA_MARGIN: f32 = 0.2;
/// A paper's cards she has not met are asked in the daily quiz for this many learner days
/// after she marks it read (its day included): "near its reading". Later, an unmet card still
/// comes first at its concept's reviews ([`choose_card`]).
pub const INTRO_DAYS: i64 = 3;

/// Whether a learner whose transfer is estimated at `rho` takes extra cards: only while the
/// estimate says one card does not stand for the concept. No estimate yet (fewer than
/// [`MIN_FIRST_SIGHTS`] first sights), no extra cards: the default is the plain schedule.
pub fn takes_extra(rho: Option<f32>) -> bool {
    rho.is_some_and(|r| r < EXTRA_BELOW_RHO)
}

/// Whether a concept (its cards among the papers read) still has a card far below target at
/// `now`: one never answered, or one whose own recall is [`EXTRA_MARGIN`] under `target`.
pub fn needs_extra(cards: &[Candidate], now: i64, target: f32, decay: f32) -> bool {
    let floor = target - EXTRA_MARGIN;
    cards.iter().any(|c| match c.memory.filter(|m| m.seen()) {
        None => true,
        Some(m) => m.recall(now, decay) < floor,
    })
}

/// The concept that may take an extra card now, from today's answers oldest first: the latest
/// answer that is not practice was right and was not the same-day retry of a miss, and fewer
/// than [`EXTRA_CARDS`] answers came after it, all practice answers on the same concept.
pub fn extra_candidate(today: &[super::TodayReview]) -> Option<&str> {
    let again = Rating::Again as u8;
    let i = today.iter().rposition(|r| r.kind != ReviewKind::Practice)?;
    let review = &today[i];
    let after = &today[i + 1..];
    let retry = today[..i]
        .iter()
        .rev()
        .find(|r| r.concept == review.concept)
        .is_some_and(|r| r.rating == again);
    let room = after.len() < EXTRA_CARDS && after.iter().all(|r| r.concept == review.concept);
    (review.rating != again && !retry && room).then_some(review.concept.as_str())
}

/// A card she got wrong comes back as its own question no sooner than this after the miss: the
/// next day's session, not the same one (the same-day retry asks another card, [`Retry`]).
pub const COMEBACK_AFTER_SECS: i64 = 6 * 3600;
/// Only the cards of papers she marked read in this many learner days come back by
/// [`comeback`] (its caller's filter), and only while she has answered them at most
/// [`COMEBACK_MAX_REVIEWS`] times: a fact she has just met and missed. An older card she gets
/// wrong comes back by its own low memory at its concept's reviews ([`choose_card`]). Measured
/// in the lab: bringing back every missed card instead cost reviews under both memory models.
pub const COMEBACK_DAYS: i64 = 14;
/// See [`COMEBACK_DAYS`].
pub const COMEBACK_MAX_REVIEWS: i64 = 3;
/// The transfer assumed by [`comeback`] while her own estimate is missing: the middle of the
/// range, so a missed card's own low memory counts for half its predicted recall.
pub const DEFAULT_RHO: f32 = 0.5;

/// A card as [`comeback`] sees it: its own memory and its concept's memory
/// ([`CardMemory::prior`] of the concept's state, by value: callers make it on the spot).
#[derive(Debug, Clone, Copy)]
pub struct Missed<'a> {
    pub id: &'a str,
    pub memory: &'a CardMemory,
    pub concept: Option<CardMemory>,
}

/// The card she got wrong the last time she answered it that should come back now as a review
/// of its concept (issue 19 §2; the learner walk of 2026-12-06, item 5: the fact she got wrong
/// was not what got re-asked): one answered at most [`COMEBACK_MAX_REVIEWS`] times, whose latest answer
/// was wrong at least [`COMEBACK_AFTER_SECS`] ago and whose [`predicted_recall`] is now under
/// `target`; of those, the lowest (the first of equals). `rho` is her
/// estimated transfer ([`RhoEstimator`]), [`DEFAULT_RHO`] without one. Measured in the lab
/// (2026-12-07, `bench/lab-2026-12-07f/`) before it was taken.
pub fn comeback<'a>(
    cards: &[Missed<'a>],
    now: i64,
    target: f32,
    decay: f32,
    rho: Option<f32>,
) -> Option<&'a str> {
    let rho = rho.unwrap_or(DEFAULT_RHO);
    cards
        .iter()
        .filter(|c| c.memory.seen() && !c.memory.last_right)
        .filter(|c| c.memory.reviews <= COMEBACK_MAX_REVIEWS)
        .filter(|c| c.memory.last_review_at <= now - COMEBACK_AFTER_SECS)
        .map(|c| {
            let p = predicted_recall(Some(c.memory), c.concept.as_ref(), rho, now, decay);
            (c.id, p)
        })
        .filter(|(_, p)| *p < target)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, _)| id)
}

/// One answer of a learner's log, as [`estimate_rho`] reads it.
#[derive(Debug, Clone, Copy)]
pub struct LoggedAnswer<'a> {
    pub at: i64,
    pub card: &'a str,
    pub concept: &'a str,
    pub rating: Rating,
}

/// Estimates the transfer ρ between the cards of a concept from one learner's log (oldest
/// first): the first answers on cards she had never seen, of concepts already reviewed on an
/// earlier day, right / the concept recall predicted at those answers. Under
/// `P = ρ·R_concept + (1 − ρ)·R_card` an unseen card has `R_card = 0`, so the expected number
/// right is `ρ·ΣR_concept` (audit 2026-12-06, §5.4). The concept's memory is replayed with
/// every answer, as the concept state is. Clamped to [0, 1]; `None` below
/// [`MIN_FIRST_SIGHTS`] such answers.
pub fn estimate_rho(log: &[LoggedAnswer], prefs: &Prefs) -> Option<f32> {
    let mut estimator = RhoEstimator::new(prefs);
    for a in log {
        estimator.observe(a);
    }
    estimator.estimate()
}

/// [`estimate_rho`] one answer at a time, for a scheduler that keeps its estimate current
/// (the lab's learners, session by session) instead of replaying the whole log.
pub struct RhoEstimator {
    fsrs: FSRS,
    prefs: Prefs,
    concepts: HashMap<String, CardMemory>,
    seen: HashSet<String>,
    right: f64,
    expected: f64,
    n: usize,
}

impl RhoEstimator {
    pub fn new(prefs: &Prefs) -> RhoEstimator {
        RhoEstimator {
            fsrs: prefs.fsrs(),
            prefs: prefs.clone(),
            concepts: HashMap::new(),
            seen: HashSet::new(),
            right: 0.0,
            expected: 0.0,
            n: 0,
        }
    }

    /// Takes the next answer of the log.
    pub fn observe(&mut self, a: &LoggedAnswer) {
        let prefs = &self.prefs;
        let concept = self.concepts.get(a.concept).copied();
        if let Some(k) = concept {
            let known = prefs.day_index(k.last_review_at) < prefs.day_index(a.at);
            if known && !self.seen.contains(a.card) {
                self.n += 1;
                self.expected += f64::from(k.recall(a.at, prefs.decay()));
                self.right += f64::from(u8::from(a.rating != Rating::Again));
            }
        }
        if !self.seen.contains(a.card) {
            self.seen.insert(a.card.to_string());
        }
        // A log the crate cannot step leaves the concept as it was: one bad row should not
        // discard the estimate.
        let answer = (a.at, a.rating, ReviewKind::Review);
        if let Ok(next) = step(&self.fsrs, concept.as_ref(), answer, prefs) {
            match self.concepts.get_mut(a.concept) {
                Some(slot) => *slot = next,
                None => {
                    self.concepts.insert(a.concept.to_string(), next);
                }
            }
        }
    }

    /// The estimate so far; `None` below [`MIN_FIRST_SIGHTS`] first sights.
    pub fn estimate(&self) -> Option<f32> {
        if self.n < MIN_FIRST_SIGHTS || self.expected <= 0.0 {
            return None;
        }
        Some(((self.right / self.expected) as f32).clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests;
