//! The hidden memory of a simulated learner: what she would really answer, which no scheduler
//! sees. Pure; the RNG is passed in.
//!
//! Model. A learner has her own FSRS-6 parameters (the defaults perturbed, [`learner_params`]).
//! Every card has its own memory trace, and every concept has a shared trace; both follow
//! FSRS-6 with her parameters, and each card (and concept) has a hidden difficulty offset drawn
//! once. The probability that she answers card `c` of concept `k` right on day `t` is
//!
//! ```text
//! P(c, t) = ρ · R_k(t) + (1 − ρ) · R_c(t)
//! ```
//!
//! where `R` is FSRS's power forgetting curve and a trace that was never studied has `R = 0`.
//! Any answer on a card moves both its own trace and its concept's trace. So `ρ = 0` makes the
//! cards of a concept independent, and `ρ = 1` makes them one memory: what she knows of a card
//! is then exactly what she knows of its concept, whichever card was asked.

use fsrs::{MemoryState, DEFAULT_PARAMETERS};
use rand::Rng;

use crate::scheduler::Rating;
use serde::Serialize;

/// How a right answer is graded, from the `fsrs` crate's simulator defaults (the shares of
/// Hard, Good and Easy among passing reviews in Anki users' logs).
pub const PASS_GRADES: [f64; 3] = [0.224, 0.631, 0.145];

/// A learner's hidden FSRS-6 parameters: the defaults with the initial stabilities scaled by
/// 0.5–1.8 and the forgetting curve's decay by 0.7–1.4, so some learners forget faster than
/// the defaults assume and some slower. The same spread `paperdeck simulate` has always used.
pub fn learner_params<R: Rng>(rng: &mut R) -> Vec<f32> {
    let mut w = DEFAULT_PARAMETERS.to_vec();
    for x in w.iter_mut().take(4) {
        *x *= rng.random_range(0.5..1.8);
    }
    w[20] *= rng.random_range(0.7..1.4);
    w
}

/// Draws an answer that is right with probability `p`, and its grade among [`PASS_GRADES`].
pub fn draw_rating<R: Rng>(rng: &mut R, p: f64) -> Rating {
    if f64::from(rng.random::<f32>()) < p {
        let x: f64 = rng.random();
        if x < PASS_GRADES[0] {
            Rating::Hard
        } else if x < PASS_GRADES[0] + PASS_GRADES[1] {
            Rating::Good
        } else {
            Rating::Easy
        }
    } else {
        Rating::Again
    }
}

/// One memory trace: its FSRS state and the day it last moved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trace {
    pub state: MemoryState,
    pub day: i64,
}

/// A learner's true memory model: her parameters and the hidden difficulty offsets.
#[derive(Debug, Clone)]
pub struct Truth {
    /// Her FSRS-6 parameters (all 21; the defaults where `w` had fewer).
    w: [f32; 21],
    pub decay: f32,
    card_offset: Vec<f32>,
    concept_offset: Vec<f32>,
}

impl Truth {
    /// A learner with parameters `w` and, per card and per concept, a difficulty offset drawn
    /// uniformly from ±`spread` (FSRS difficulty runs from 1 to 10).
    pub fn new<R: Rng>(
        w: &[f32],
        cards: usize,
        concepts: usize,
        spread: f32,
        rng: &mut R,
    ) -> Truth {
        let mut draw = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    if spread > 0.0 {
                        rng.random_range(-spread..=spread)
                    } else {
                        0.0
                    }
                })
                .collect()
        };
        let card_offset = draw(cards);
        let concept_offset = draw(concepts);
        let mut all = DEFAULT_PARAMETERS;
        for (to, from) in all.iter_mut().zip(w) {
            *to = *from;
        }
        Truth {
            w: all,
            decay: all[20],
            card_offset,
            concept_offset,
        }
    }

    /// Recall probability of a trace on `day`; 0 for one never studied.
    pub fn recall(&self, trace: Option<Trace>, day: i64) -> f32 {
        match trace {
            None => 0.0,
            Some(t) => {
                fsrs::current_retrievability(t.state, (day - t.day).max(0) as f32, self.decay)
                    .clamp(0.0, 1.0)
            }
        }
    }

    /// The trace after an answer graded `rating` on `day`. A first answer starts the trace at
    /// FSRS's initial state for that grade, shifted by the item's hidden difficulty offset.
    fn step(&self, trace: Option<Trace>, day: i64, rating: Rating, offset: f32) -> Option<Trace> {
        let elapsed = trace.map(|t| (day - t.day).max(0) as u32).unwrap_or(0);
        let mut state = fsrs6_step(&self.w, trace.map(|t| t.state), elapsed, rating)?;
        if trace.is_none() {
            state.difficulty = (state.difficulty + offset).clamp(1.0, 10.0);
        }
        Some(Trace { state, day })
    }
}

/// FSRS-6's memory step for the one grade she gave, as the `fsrs` crate computes it inside
/// `FSRS::next_states` (its `model::step`, which the crate does not export): `next_states`
/// works out all four grades and their intervals, 30-odd powers and exponentials where this
/// needs five, and the hidden model runs twice per simulated answer. `None` where the crate
/// would refuse the state (not finite). `lab::tests::hidden_fsrs_step_is_the_crates`
/// checks it against `next_states`, bit for bit, for the lab's learners.
pub fn fsrs6_step(
    w: &[f32; 21],
    state: Option<MemoryState>,
    elapsed_days: u32,
    rating: Rating,
) -> Option<MemoryState> {
    const S_MIN: f32 = 0.001;
    const S_MAX: f32 = 36_500.0;
    const D_MIN: f32 = 1.0;
    const D_MAX: f32 = 10.0;
    let g = rating as u32 as f32;
    let init_d = |r: f32| w[4] - (w[5] * (r - 1.0)).exp() + 1.0;
    let (s, d) = match state {
        None => (w[rating as usize - 1], init_d(g).clamp(D_MIN, D_MAX)),
        Some(m) => {
            let last_s = m.stability.clamp(S_MIN, S_MAX);
            let last_d = m.difficulty.clamp(D_MIN, D_MAX);
            let t = elapsed_days as f32;
            let s = if t == 0.0 {
                let sinc = (w[17] * (g - 3.0 + w[18])).exp() * last_s.powf(-w[19]);
                last_s * if g >= 2.0 { sinc.max(1.0) } else { sinc }
            } else {
                let decay = -w[20];
                let factor = (0.9f32.ln() / decay).exp() - 1.0;
                let r = (t / last_s * factor + 1.0).powf(decay);
                if rating == Rating::Again {
                    let new_s = w[11]
                        * last_d.powf(-w[12])
                        * ((last_s + 1.0).powf(w[13]) - 1.0)
                        * ((1.0 - r) * w[14]).exp();
                    new_s.min(last_s / (w[17] * w[18]).exp())
                } else {
                    let hard = if g == 2.0 { w[15] } else { 1.0 };
                    let easy = if g == 4.0 { w[16] } else { 1.0 };
                    last_s
                        * (w[8].exp()
                            * (11.0 - last_d)
                            * last_s.powf(-w[9])
                            * (((1.0 - r) * w[10]).exp() - 1.0)
                            * hard
                            * easy
                            + 1.0)
                }
            };
            let delta_d = -w[6] * (g - 3.0);
            let next_d = last_d + (10.0 - last_d) * delta_d / 9.0;
            let d = (w[7] * (init_d(4.0) - next_d) + next_d).clamp(D_MIN, D_MAX);
            (s, d)
        }
    };
    let out = MemoryState {
        stability: s.clamp(S_MIN, S_MAX),
        difficulty: d,
    };
    (out.stability.is_finite() && out.difficulty.is_finite()).then_some(out)
}

/// The state of one learner's memory under one value of ρ.
#[derive(Debug, Clone)]
pub struct Memory {
    pub rho: f32,
    pub cards: Vec<Option<Trace>>,
    pub concepts: Vec<Option<Trace>>,
}

impl Memory {
    pub fn new(rho: f32, cards: usize, concepts: usize) -> Memory {
        Memory {
            rho: rho.clamp(0.0, 1.0),
            cards: vec![None; cards],
            concepts: vec![None; concepts],
        }
    }

    /// The probability that she answers card `card` (of concept `concept`) right on `day`.
    pub fn p_recall(&self, truth: &Truth, card: usize, concept: usize, day: i64) -> f32 {
        let rho = self.rho;
        let k = truth.recall(self.concepts.get(concept).copied().flatten(), day);
        let c = truth.recall(self.cards.get(card).copied().flatten(), day);
        rho * k + (1.0 - rho) * c
    }

    /// Asks card `card` on `day`: draws whether she recalls it, grades the answer, and moves
    /// the card's and the concept's traces.
    pub fn answer<R: Rng>(
        &mut self,
        truth: &Truth,
        card: usize,
        concept: usize,
        day: i64,
        rng: &mut R,
    ) -> Rating {
        let p = self.p_recall(truth, card, concept, day);
        let rating = draw_rating(rng, f64::from(p));
        self.apply(truth, card, concept, day, rating);
        rating
    }

    /// Moves the traces of `card` and its concept by an answer graded `rating`.
    pub fn apply(&mut self, truth: &Truth, card: usize, concept: usize, day: i64, rating: Rating) {
        if let Some(slot) = self.cards.get_mut(card) {
            let offset = truth.card_offset.get(card).copied().unwrap_or(0.0);
            *slot = truth.step(*slot, day, rating, offset).or(*slot);
        }
        if let Some(slot) = self.concepts.get_mut(concept) {
            let offset = truth.concept_offset.get(concept).copied().unwrap_or(0.0);
            *slot = truth.step(*slot, day, rating, offset).or(*slot);
        }
    }

    /// Measured retention on `day`: the mean recall probability over all cards, read from the
    /// hidden model. `concept_of[c]` is card `c`'s concept.
    pub fn retention(&self, truth: &Truth, concept_of: &[usize], day: i64) -> f64 {
        // A concept's recall is the same for all its cards: computed once per concept.
        let concept: Vec<f32> = self
            .concepts
            .iter()
            .map(|t| truth.recall(*t, day))
            .collect();
        let rho = self.rho;
        mean_over_cards(concept_of, |c, k| {
            let card = truth.recall(self.cards.get(c).copied().flatten(), day);
            let k = concept.get(k).copied().unwrap_or(0.0);
            f64::from(rho * k + (1.0 - rho) * card)
        })
    }
}

/// The mean of `p(card, concept)` over every card; 0 for no cards. Both hidden memory models
/// measure retention this way.
pub fn mean_over_cards(concept_of: &[usize], p: impl Fn(usize, usize) -> f64) -> f64 {
    if concept_of.is_empty() {
        return 0.0;
    }
    let sum: f64 = concept_of.iter().enumerate().map(|(c, k)| p(c, *k)).sum();
    sum / concept_of.len() as f64
}

/// Which hidden memory model the learners have (`--memory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    /// FSRS-6 traces per card and per concept, mixed by ρ (this module).
    Fsrs,
    /// ACT-R traces with DASH's additive log-odds ([`super::dash`]).
    Dash,
}

impl std::fmt::Display for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.short())
    }
}

impl Model {
    pub fn short(self) -> &'static str {
        match self {
            Model::Fsrs => "fsrs",
            Model::Dash => "dash",
        }
    }
}

/// One learner's hidden memory under either model. Times are in days since the start, with
/// the fraction of the day: the FSRS model reads whole days, the DASH model the fraction too.
#[derive(Debug, Clone)]
pub enum Hidden<'a> {
    Fsrs(&'a Truth, Memory),
    Dash(&'a super::dash::Truth, super::dash::Memory),
}

impl Hidden<'_> {
    /// Asks card `card` (of concept `concept`) at `t`: her answer, drawn from the model, which
    /// then moves her memory.
    pub fn answer<R: Rng>(&mut self, card: usize, concept: usize, t: f64, rng: &mut R) -> Rating {
        match self {
            Hidden::Fsrs(truth, m) => m.answer(truth, card, concept, t.floor() as i64, rng),
            Hidden::Dash(truth, m) => m.answer(truth, card, concept, t, rng),
        }
    }

    /// Measured retention at `t`: the mean recall probability over all cards.
    pub fn retention(&self, concept_of: &[usize], t: f64) -> f64 {
        match self {
            Hidden::Fsrs(truth, m) => m.retention(truth, concept_of, t.floor() as i64),
            Hidden::Dash(truth, m) => m.retention(truth, concept_of, t),
        }
    }
}
