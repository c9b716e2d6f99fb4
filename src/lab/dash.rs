//! The second hidden memory model (`paperdeck lab --memory dash`), unlike FSRS in form, so that a
//! scheduler cannot win the lab merely by sharing the simulator's own forgetting curve. Pure;
//! the RNG is passed in.
//!
//! Model: DASH's additive logistic form (Lindsey, Shroyer, Pashler & Mozer 2014) with ACT-R
//! memory traces (Pavlik & Anderson 2005). Each card and each concept (knowledge component)
//! keeps a trace of its study events; its strength at time `t` (in days) is
//!
//! ```text
//! h(t) = ln(PRIOR + Σ_j w_j · max(age_j in minutes, 1)^(−d_j))
//! d_j  = c · exp(h(t_j)) + α        (the trace's strength just before event j)
//! ```
//!
//! Ages count in minutes from one, so each event adds at most its weight to `exp(h)`; in
//! days, a fast-decaying event less than a day old would grow without bound.
//!
//! so every event fades by a power law from the minute it happened (forgetting within a day),
//! and an event made while the trace is still strong decays fast (the spacing effect: massed
//! study is worth less than spaced study). She answers card `c` of concept `k` right with
//!
//! ```text
//! P = σ(base − (1 − ρ)·δ_c − ρ·δ_k + (1 − ρ)·h_c(t) + ρ·h_k(t))
//! ```
//!
//! where `δ` are hidden difficulty offsets: item and concept strengths add in log-odds, where
//! the FSRS model mixes two probabilities. Every answer, right or wrong (she sees the answer
//! either way), is a study event of both the card's and the concept's trace.

use rand::Rng;

use crate::scheduler::Rating;

/// The strength floor of a trace: a never-studied fact has `h = ln(PRIOR)` ≈ −6.2, so she
/// guesses it right now and then rather than never.
pub const PRIOR: f64 = 0.002;
/// An event is at least a minute old.
pub const MIN_AGE_DAYS: f64 = 1.0 / 1440.0;
/// Events kept per trace; beyond that the two closest in time (relative to their age) merge
/// into one weighted event, which keeps an answer's cost bounded on a year of daily reviews.
pub const MAX_EVENTS: usize = 24;

/// A learner's hidden parameters under this model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Log-odds of a right answer at strength 0 (exp(h) = 1: an event a minute old), her
    /// ability included.
    pub base: f64,
    /// How much a strong trace speeds the decay of a new event (ACT-R's `c`).
    pub c: f64,
    /// The decay of an event made on a trace at its floor (ACT-R's `α`).
    pub alpha: f64,
}

/// The population's centre: `base`, `c` and `α`.
/// With these, one study is recalled with 74% a day later, 51% a month later and 39% half a
/// year later; a fact never studied with 4.7%.
pub const DEFAULT: Params = Params {
    base: 3.2,
    c: 0.25,
    alpha: 0.3,
};

/// A learner's parameters: ability ±0.6 log-odds around the default, decay × 0.8–1.25.
pub fn learner_params<R: Rng>(rng: &mut R) -> Params {
    Params {
        base: DEFAULT.base + rng.random_range(-0.6..0.6),
        c: DEFAULT.c,
        alpha: DEFAULT.alpha * rng.random_range(0.8..1.25),
    }
}

/// One study event (or several merged): when, how many, and its decay.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Event {
    t: f64,
    w: f64,
    d: f64,
}

/// One memory trace: its study events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    events: Vec<Event>,
}

impl Trace {
    /// Strength `h(t)` (see the module's formula).
    pub fn strength(&self, p: &Params, t: f64) -> f64 {
        self.activation(p, t).ln()
    }

    /// `exp(h(t))`: the floor plus every event's power-law remainder.
    fn activation(&self, _p: &Params, t: f64) -> f64 {
        PRIOR
            + self
                .events
                .iter()
                .map(|e| e.w * ((t - e.t) * 1440.0).max(1.0).powf(-e.d))
                .sum::<f64>()
    }

    /// Adds a study event at `t`; its decay depends on the strength just before it.
    pub fn study(&mut self, p: &Params, t: f64) {
        let activation = self.activation(p, t);
        self.study_at(p, t, activation);
    }

    /// [`Trace::study`] with `exp(h(t))` already known.
    fn study_at(&mut self, p: &Params, t: f64, activation: f64) {
        let d = p.c * activation + p.alpha;
        self.events.push(Event { t, w: 1.0, d });
        if self.events.len() > MAX_EVENTS {
            self.merge_closest(t);
        }
    }

    /// Merges the two adjacent events closest in time relative to their age at `now`.
    fn merge_closest(&mut self, now: f64) {
        let gap = |i: usize| {
            let (a, b) = (self.events[i], self.events[i + 1]);
            (b.t - a.t) / (now - b.t).max(MIN_AGE_DAYS)
        };
        let Some(i) =
            (0..self.events.len().saturating_sub(2)).min_by(|x, y| gap(*x).total_cmp(&gap(*y)))
        else {
            return;
        };
        let (a, b) = (self.events[i], self.events[i + 1]);
        let w = a.w + b.w;
        self.events[i] = Event {
            t: (a.w * a.t + b.w * b.t) / w,
            w,
            d: (a.w * a.d + b.w * b.d) / w,
        };
        self.events.remove(i + 1);
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A learner's hidden parameters and difficulty offsets.
#[derive(Debug, Clone)]
pub struct Truth {
    pub params: Params,
    card_offset: Vec<f64>,
    concept_offset: Vec<f64>,
}

/// Spread of the hidden difficulty offsets, in log-odds.
pub const DIFFICULTY_SPREAD: f64 = 0.8;

impl Truth {
    pub fn new<R: Rng>(params: Params, cards: usize, concepts: usize, rng: &mut R) -> Truth {
        let mut draw = |n: usize| -> Vec<f64> {
            (0..n)
                .map(|_| rng.random_range(-DIFFICULTY_SPREAD..=DIFFICULTY_SPREAD))
                .collect()
        };
        let card_offset = draw(cards);
        let concept_offset = draw(concepts);
        Truth {
            params,
            card_offset,
            concept_offset,
        }
    }
}

/// One learner's memory under one ρ.
#[derive(Debug, Clone)]
pub struct Memory {
    pub rho: f64,
    pub cards: Vec<Trace>,
    pub concepts: Vec<Trace>,
}

impl Memory {
    pub fn new(rho: f64, cards: usize, concepts: usize) -> Memory {
        Memory {
            rho: rho.clamp(0.0, 1.0),
            cards: vec![Trace::default(); cards],
            concepts: vec![Trace::default(); concepts],
        }
    }

    /// The probability that she answers card `card` (of concept `concept`) right at `t` days.
    pub fn p_recall(&self, truth: &Truth, card: usize, concept: usize, t: f64) -> f64 {
        let p = &truth.params;
        let strength = |traces: &[Trace], i: usize| {
            traces
                .get(i)
                .map_or(PRIOR.ln(), |tr: &Trace| tr.strength(p, t))
        };
        let (h_card, h_concept) = (
            strength(&self.cards, card),
            strength(&self.concepts, concept),
        );
        self.p_from(truth, card, concept, h_card, h_concept)
    }

    /// The recall probability from the card's and the concept's strengths.
    fn p_from(
        &self,
        truth: &Truth,
        card: usize,
        concept: usize,
        h_card: f64,
        h_concept: f64,
    ) -> f64 {
        let rho = self.rho;
        let offset = |v: &[f64], i: usize| v.get(i).copied().unwrap_or(0.0);
        let logit = truth.params.base
            - (1.0 - rho) * offset(&truth.card_offset, card)
            - rho * offset(&truth.concept_offset, concept)
            + (1.0 - rho) * h_card
            + rho * h_concept;
        sigmoid(logit)
    }

    /// Asks card `card` at `t`: draws her answer, grades it, and records the study event.
    pub fn answer<R: Rng>(
        &mut self,
        truth: &Truth,
        card: usize,
        concept: usize,
        t: f64,
        rng: &mut R,
    ) -> Rating {
        // Each activation is computed once, for the answer and for the study event's decay.
        let p = &truth.params;
        let a_card = self.cards.get(card).map(|tr| tr.activation(p, t));
        let a_concept = self.concepts.get(concept).map(|tr| tr.activation(p, t));
        let h = |a: Option<f64>| a.map_or(PRIOR.ln(), f64::ln);
        let recall = self.p_from(truth, card, concept, h(a_card), h(a_concept));
        let rating = super::memory::draw_rating(rng, recall);
        if let (Some(tr), Some(a)) = (self.cards.get_mut(card), a_card) {
            tr.study_at(p, t, a);
        }
        if let (Some(tr), Some(a)) = (self.concepts.get_mut(concept), a_concept) {
            tr.study_at(p, t, a);
        }
        rating
    }

    /// Records a study event of `card` and its concept at `t`.
    pub fn study(&mut self, truth: &Truth, card: usize, concept: usize, t: f64) {
        if let Some(tr) = self.cards.get_mut(card) {
            tr.study(&truth.params, t);
        }
        if let Some(tr) = self.concepts.get_mut(concept) {
            tr.study(&truth.params, t);
        }
    }

    /// Measured retention at `t`: the mean recall probability over all cards.
    pub fn retention(&self, truth: &Truth, concept_of: &[usize], t: f64) -> f64 {
        // A concept's strength is the same for all its cards: computed once per concept, not
        // once per card (the power laws are most of the lab's run time).
        let p = &truth.params;
        let concept_strength: Vec<f64> = self.concepts.iter().map(|tr| tr.strength(p, t)).collect();
        super::memory::mean_over_cards(concept_of, |c, k| {
            let card = self.cards.get(c).map_or(PRIOR.ln(), |tr| tr.strength(p, t));
            let concept = concept_strength.get(k).copied().unwrap_or(PRIOR.ln());
            self.p_from(truth, c, k, card, concept)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Params = DEFAULT;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn one_study_decays_by_its_power_law() {
        // Study at t = 0 on a floor trace: d = 0.25 × 0.002 + 0.3 = 0.3005.
        let mut tr = Trace::default();
        assert!(close(tr.strength(&P, 5.0), PRIOR.ln()));
        tr.study(&P, 0.0);
        // Four days on (5,760 minutes): ln(0.002 + 5760^−0.3005) = −2.575315…
        assert!((tr.strength(&P, 4.0) - (-2.575_315_018_0)).abs() < 1e-9);
        // One day on: ln(0.002 + 1440^−0.3005).
        let day = (0.002 + 1440f64.powf(-0.3005)).ln();
        assert!(close(tr.strength(&P, 1.0), day));
        // Hence 74% a day later with the default ability: σ(3.2 + h).
        let p = 1.0 / (1.0 + (-(3.2 + day)).exp());
        assert!((p - 0.737_356_822_3).abs() < 1e-9);
    }

    #[test]
    fn a_second_study_decays_by_the_strength_it_met() {
        let mut tr = Trace::default();
        tr.study(&P, 0.0);
        tr.study(&P, 4.0);
        // d₂ = 0.25 × (0.002 + 5760^−0.3005) + 0.3 = 0.319032…; on day 10:
        // ln(0.002 + 14400^−0.3005 + 8640^−0.319032) = −2.173612…
        assert!((tr.strength(&P, 10.0) - (-2.173_611_860_8)).abs() < 1e-9);
    }

    #[test]
    fn item_and_concept_strengths_add_in_log_odds() {
        let truth = Truth {
            params: P,
            card_offset: vec![0.0, 0.0],
            concept_offset: vec![0.0],
        };
        let mut m = Memory::new(0.5, 2, 1);
        m.study(&truth, 0, 0, 0.0);
        m.study(&truth, 0, 0, 4.0);
        // Card 1 was never studied (h = ln 0.002) but its concept has the two events above:
        // σ(3.2 + 0.5 × −2.173612 + 0.5 × ln 0.002) = 0.270101…
        assert!((m.p_recall(&truth, 1, 0, 10.0) - 0.270_101_044_5).abs() < 1e-9);
        // The studied card is stronger than its unstudied sibling.
        assert!(m.p_recall(&truth, 0, 0, 10.0) > m.p_recall(&truth, 1, 0, 10.0));
    }

    #[test]
    fn she_forgets_within_a_day() {
        let mut tr = Trace::default();
        tr.study(&P, 0.0);
        let ten_minutes = tr.strength(&P, 10.0 / 1440.0);
        let evening = tr.strength(&P, 0.4);
        assert!(ten_minutes > evening && evening > tr.strength(&P, 1.0));
    }

    #[test]
    fn spaced_study_outlasts_massed_study() {
        let (mut massed, mut spaced) = (Trace::default(), Trace::default());
        massed.study(&P, 0.0);
        massed.study(&P, 10.0 / 1440.0);
        spaced.study(&P, 0.0);
        spaced.study(&P, 3.0);
        assert!(spaced.strength(&P, 60.0) > massed.strength(&P, 60.0) + 0.1);
    }

    #[test]
    fn merging_keeps_a_trace_bounded_and_close() {
        let (mut merged, mut exact) = (Trace::default(), Trace::default());
        for i in 0..200 {
            let t = f64::from(i) * 1.5;
            merged.study(&P, t);
            exact.events.push(Event {
                t,
                w: 1.0,
                d: P.c * exact.activation(&P, t) + P.alpha,
            });
        }
        assert_eq!(merged.events.len(), MAX_EVENTS);
        assert!((merged.strength(&P, 320.0) - exact.strength(&P, 320.0)).abs() < 0.05);
    }
}
