//! The scheduler lab (`paperdeck lab`): the same simulated learners study the ten papers' real
//! cards under five schedulers, and what they would remember is read from their hidden memory
//! ([`memory`]), not from any scheduler's prediction. Pure: content in, figures out; the RNG is
//! seeded, so a run is reproducible. The runner spreads learners over threads.
//!
//! The schedulers:
//! - **paperdeck**: this app's own code ([`crate::scheduler::pick_next`], [`crate::scheduler::apply`],
//!   [`crate::scheduler::pick_card`]): FSRS per concept, a different card each time, 5 new
//!   concepts and 50 reviews a day at most, wrong answers back after three others;
//! - **FSRS by card**: every card its own FSRS item through the same [`crate::scheduler::apply`]
//!   (same desired retention, parameters, rounding and fuzz);
//! - **Orbit**, **SM-2** (Anki's) and **Leitner**: the rules in [`baselines`].
//!
//! Reading: paper `p` (in reading order) is read on day `3p`, the same for every scheduler. The
//! card-level schedulers meet every card of a paper the day it is read (as Orbit asks its
//! prompts inside the essay); paperdeck unlocks the paper's concepts and teaches them within its
//! daily limits. She always studies on a reading day, and on other days with her own
//! probability (0.6–0.98, drawn once, the same days under every scheduler).

pub mod baselines;
pub mod dash;
pub mod equal;
pub mod memory;
pub mod workload;

use crate::scheduler::{
    self, card_pick, CardChoice, ConceptState, Pick, Prefs, Rating, ReviewKind, TodayReview,
};
use baselines::{leitner, orbit, sm2, Next};
use memory::{Hidden, Memory, Model, Truth};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Days between two papers.
pub const READ_EVERY_DAYS: i64 = 3;
/// The days on which measured retention is reported.
pub const CHECKPOINTS: [i64; 4] = [30, 90, 180, 365];
/// Anki's default limit of reviews a day, for the card-level schedulers.
pub const CARD_REVIEWS_PER_DAY: usize = 200;
/// Same-day repeats of one card (retries, learning steps) at most, so a session ends.
pub const MAX_REPEATS: usize = 4;
/// Answers in one paperdeck session at most (its relearning has no limit of its own).
pub const MAX_SESSION: usize = 300;
/// Spread of the hidden per-card (and per-concept) difficulty offset, in FSRS difficulty points.
pub const DIFFICULTY_SPREAD: f32 = 1.5;
/// Seconds an answer takes, by phase (first sight, review, same-day retry) and grade (Again,
/// Hard, Good, Easy): the `fsrs` crate's simulator defaults, medians from Anki users' logs.
pub const COSTS: [[f64; 4]; 3] = [
    [19.58, 18.79, 13.78, 10.71],
    [19.38, 17.59, 12.38, 8.94],
    [16.44, 15.25, 12.32, 8.03],
];
/// The first day of a simulation, as a timestamp (2026-01-01 00:00 UTC); days are UTC days.
const START: i64 = 1_767_225_600;
/// Sessions start at noon; answers are half a minute apart.
const SESSION_START: i64 = 12 * 3600;
const ANSWER_SECS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
pub enum Kind {
    Paperdeck,
    PaperdeckCards,
    FsrsCard,
    Orbit,
    Sm2,
    Leitner,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Paperdeck,
        Kind::PaperdeckCards,
        Kind::FsrsCard,
        Kind::Orbit,
        Kind::Sm2,
        Kind::Leitner,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Paperdeck => "paperdeck (FSRS by concept)",
            Kind::PaperdeckCards => "paperdeck + card memory",
            Kind::FsrsCard => "FSRS by card",
            Kind::Orbit => "Orbit (5 d, ×2.3)",
            Kind::Sm2 => "SM-2 (Anki)",
            Kind::Leitner => "Leitner (5 boxes)",
        }
    }

    /// A short name for tables and the chart legend.
    pub fn short(self) -> &'static str {
        match self {
            Kind::Paperdeck => "paperdeck",
            Kind::PaperdeckCards => "paperdeck-cards",
            Kind::FsrsCard => "fsrs-card",
            Kind::Orbit => "orbit",
            Kind::Sm2 => "sm2",
            Kind::Leitner => "leitner",
        }
    }
}

/// One card of the deck: its concept and paper as indices.
#[derive(Debug, Clone)]
pub struct DeckCard {
    pub id: String,
    /// The fact it tests (cards of one fact in different kinds share it).
    pub fact: String,
    pub kind: String,
    pub concept: usize,
    pub paper: usize,
}

/// The cards and concepts studied, papers in reading order.
#[derive(Debug, Clone)]
pub struct Deck {
    pub cards: Vec<DeckCard>,
    pub concepts: Vec<String>,
    /// Per paper, the concepts it unlocks.
    pub paper_concepts: Vec<Vec<usize>>,
    /// Per paper, its in-page questions (card indices) in page order, answered as she reads.
    pub in_page: Vec<Vec<usize>>,
}

impl Deck {
    /// The deck of the real content: every generated card, concepts in glossary order.
    pub fn new(content: &crate::content::Content, cards: &[crate::cards::Card]) -> Deck {
        let concepts: Vec<String> = content.concepts.iter().map(|c| c.slug.clone()).collect();
        let concept_ix = |slug: &str| concepts.iter().position(|c| c == slug);
        let paper_ix = |slug: &str| content.papers.iter().position(|p| p.slug == slug);
        let deck_cards: Vec<DeckCard> = cards
            .iter()
            .filter_map(|c| {
                Some(DeckCard {
                    id: c.id.clone(),
                    fact: c.fact_key.clone(),
                    kind: c.kind.as_str().to_string(),
                    concept: concept_ix(&c.concept)?,
                    paper: paper_ix(&c.paper)?,
                })
            })
            .collect();
        let paper_concepts = content
            .papers
            .iter()
            .map(|p| p.concepts.iter().filter_map(|c| concept_ix(c)).collect())
            .collect();
        let questions = crate::reading::PageQuestions::new(&content.papers, cards);
        let deck_cards: Vec<DeckCard> = deck_cards;
        let in_page = content
            .papers
            .iter()
            .map(|p| {
                questions
                    .of(&p.slug)
                    .iter()
                    .flat_map(|(_, ids)| ids)
                    .filter_map(|id| deck_cards.iter().position(|c| &c.id == id))
                    .collect()
            })
            .collect();
        Deck {
            cards: deck_cards,
            concepts,
            paper_concepts,
            in_page,
        }
    }

    /// A made-up deck for tests: `papers` papers, each with `concepts_per_paper` concepts of
    /// its own and `cards_per_concept` cards per concept.
    pub fn synthetic(papers: usize, concepts_per_paper: usize, cards_per_concept: usize) -> Deck {
        let mut cards = Vec::new();
        let mut concepts = Vec::new();
        let mut paper_concepts = Vec::new();
        for p in 0..papers {
            let mut mine = Vec::new();
            for _ in 0..concepts_per_paper {
                let k = concepts.len();
                concepts.push(format!("c{k}"));
                mine.push(k);
                for i in 0..cards_per_concept {
                    cards.push(DeckCard {
                        id: format!("c{k}-{i}"),
                        // Two kinds of each fact, as the real deck has.
                        fact: format!("c{k}-f{}", i / 2),
                        kind: if i % 2 == 0 { "choice" } else { "fill" }.into(),
                        concept: k,
                        paper: p,
                    });
                }
            }
            paper_concepts.push(mine);
        }
        let in_page = vec![Vec::new(); paper_concepts.len()];
        Deck {
            cards,
            concepts,
            paper_concepts,
            in_page,
        }
    }

    /// The deck's card indices in `groups` groups, by `key` of each card, in deck order.
    fn cards_by(&self, groups: usize, key: impl Fn(&DeckCard) -> usize) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); groups];
        for (i, c) in self.cards.iter().enumerate() {
            if let Some(g) = out.get_mut(key(c)) {
                g.push(i);
            }
        }
        out
    }

    fn concept_of(&self) -> Vec<usize> {
        self.cards.iter().map(|c| c.concept).collect()
    }

    pub fn read_day(paper: usize) -> i64 {
        paper as i64 * READ_EVERY_DAYS
    }
}

/// What to run. `paperdeck lab` takes its options straight from this struct, so the command
/// line and the library share one set of defaults.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Number of simulated learners.
    #[arg(long, default_value_t = 200, value_parser = at_least_one)]
    pub learners: usize,
    /// Days of study.
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(i64).range(1..=3650))]
    pub days: i64,
    /// How much answering one card of a concept teaches its other cards (0 = nothing, 1 = they
    /// are one memory); repeat the flag for several values.
    #[arg(long = "transfer", value_name = "RHO", default_values_t = [0.0, 0.5, 1.0], value_parser = share)]
    pub rhos: Vec<f64>,
    /// The hidden memory model of the learners; repeat the flag for both (the default).
    #[arg(long = "memory", value_name = "MODEL", default_values_t = [Model::Fsrs, Model::Dash])]
    pub memory: Vec<Model>,
    /// Desired retention of paperdeck's scheduler; repeat the flag to sweep.
    #[arg(long = "paperdeck-retention", value_name = "R", default_values_t = [0.9], value_parser = target)]
    pub paperdeck_retention: Vec<f64>,
    /// Desired retention of FSRS by card, swept separately; Orbit, SM-2 and Leitner keep their
    /// own rules.
    #[arg(long = "fsrs-retention", value_name = "R", default_values_t = [0.9], value_parser = target)]
    pub fsrs_retention: Vec<f64>,
    /// Report, for every other scheduler, the reviews per learner interpolated over its
    /// targets at this scheduler's day-180 retention and at its mean retention (days 30–365);
    /// repeat the flag to match to several (Orbit, SM-2 and Leitner each sit at one retention).
    #[arg(long = "equal-retention", value_name = "SCHEDULER")]
    pub equal_to: Vec<Kind>,
    /// The schedulers compared: all of them, unless a test picks fewer.
    #[arg(skip = Kind::ALL.to_vec())]
    pub kinds: Vec<Kind>,
    /// Seed for the random choices.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads: one per core.
    #[arg(skip = std::thread::available_parallelism().map_or(1, |n| n.get()))]
    pub threads: usize,
}

impl Default for Config {
    fn default() -> Config {
        crate::config::clap_defaults()
    }
}

fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("must be a whole number of at least 1".into()),
    }
}

/// A transfer value ρ: a share between 0 and 1.
fn share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err("must be a number between 0 and 1".into()),
    }
}

/// A desired retention: strictly between 0.5 and 1.
fn target(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v > 0.5 && v < 1.0 => Ok(v),
        _ => Err("must be a number above 0.5 and below 1".into()),
    }
}

impl Config {
    /// The desired retentions `kind` runs at: its sweep, or `None` for a rule-based scheduler.
    pub fn targets(&self, kind: Kind) -> Vec<Option<f64>> {
        let sweep = |v: &[f64]| v.iter().map(|t| Some(*t)).collect();
        match kind {
            Kind::Paperdeck | Kind::PaperdeckCards => sweep(&self.paperdeck_retention),
            Kind::FsrsCard => sweep(&self.fsrs_retention),
            _ => vec![None],
        }
    }

    /// Every simulated combination: (memory model, ρ, scheduler, target).
    pub fn combos(&self) -> Vec<Combo> {
        let mut out = Vec::new();
        for model in &self.memory {
            for rho in &self.rhos {
                for kind in &self.kinds {
                    for target in self.targets(*kind) {
                        out.push(Combo {
                            model: *model,
                            rho: *rho,
                            kind: *kind,
                            target,
                        });
                    }
                }
            }
        }
        out
    }
}

/// One simulated combination.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Combo {
    pub model: Model,
    pub rho: f64,
    pub kind: Kind,
    /// The desired retention, for the FSRS-based schedulers.
    pub target: Option<f64>,
}

/// The figures of one (memory model, ρ, scheduler, target), averaged over learners.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub memory: Model,
    pub rho: f64,
    pub scheduler: &'static str,
    /// Desired retention; `null` for Orbit, SM-2 and Leitner, which have none.
    pub target: Option<f64>,
    pub name: &'static str,
    pub learners: usize,
    pub days: i64,
    /// Answers per learner over the whole run (retries and learning steps included).
    pub reviews_per_learner: f64,
    /// Study time per calendar day, from [`COSTS`].
    pub minutes_per_day: f64,
    pub hours_per_learner: f64,
    /// Measured retention (share of all cards she would answer right) on the checkpoint days.
    pub retention: BTreeMap<i64, f64>,
    /// Mean measured retention over days 30–365 (the weekly samples and checkpoints in that
    /// span), the whole year after the last paper is read.
    pub mean_retention: f64,
    /// (day, measured retention), weekly and on the checkpoints.
    pub retention_curve: Vec<(i64, f64)>,
    /// Mean answers per day, per week of the run.
    pub reviews_per_day_by_week: Vec<f64>,
}

/// Sums over learners of one (scheduler, ρ).
#[derive(Debug, Clone, Default)]
struct Acc {
    reviews: f64,
    seconds: f64,
    per_day: Vec<f64>,
    retention: Vec<f64>,
}

impl Acc {
    fn add(&mut self, r: &Run) {
        self.reviews += r.reviews as f64;
        self.seconds += r.seconds;
        add_into(&mut self.per_day, r.per_day.iter().map(|n| f64::from(*n)));
        add_into(&mut self.retention, r.retention.iter().copied());
    }
}

fn add_into(into: &mut Vec<f64>, from: impl Iterator<Item = f64>) {
    for (i, v) in from.enumerate() {
        if i >= into.len() {
            into.push(0.0);
        }
        into[i] += v;
    }
}

/// One learner under one scheduler at one ρ.
#[derive(Debug, Clone, Default)]
pub struct Run {
    pub reviews: u64,
    pub seconds: f64,
    pub per_day: Vec<u32>,
    /// Measured retention on each of [`sample_days`].
    pub retention: Vec<f64>,
}

/// The days retention is measured on: weekly, plus the checkpoints, up to `days`.
pub fn sample_days(days: i64) -> Vec<i64> {
    let mut d: Vec<i64> = (0..=days).step_by(7).collect();
    d.extend(CHECKPOINTS.iter().filter(|c| **c <= days));
    d.push(days);
    d.sort_unstable();
    d.dedup();
    d
}

/// A simulated learner: her hidden memory and the days she studies.
pub struct Learner {
    pub truth: Truth,
    /// Her memory's parameters under the DASH model, drawn from their own stream so that the
    /// FSRS model's learners are the same whether or not DASH runs.
    pub dash: dash::Truth,
    pub attend: Vec<bool>,
    pub seed: u64,
}

impl Learner {
    pub fn new(deck: &Deck, days: i64, seed: u64, index: usize) -> Learner {
        let seed = seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(index as u64 * 7919);
        let mut rng = StdRng::seed_from_u64(seed);
        let w = memory::learner_params(&mut rng);
        let truth = Truth::new(
            &w,
            deck.cards.len(),
            deck.concepts.len(),
            DIFFICULTY_SPREAD,
            &mut rng,
        );
        let diligence = rng.random_range(0.6..0.98);
        let reading: Vec<i64> = (0..deck.paper_concepts.len()).map(Deck::read_day).collect();
        let attend = (0..days.max(0))
            .map(|d| rng.random_bool(diligence) || reading.contains(&d))
            .collect();
        let mut dash_rng = StdRng::seed_from_u64(seed ^ 0xDA5B_0000_DA5B);
        let dash = dash::Truth::new(
            dash::learner_params(&mut dash_rng),
            deck.cards.len(),
            deck.concepts.len(),
            &mut dash_rng,
        );
        Learner {
            truth,
            dash,
            attend,
            seed,
        }
    }

    /// Studies for `days` days under `combo`.
    pub fn run(&self, deck: &Deck, combo: Combo, days: i64) -> Run {
        let (cards, concepts) = (deck.cards.len(), deck.concepts.len());
        let hidden = match combo.model {
            Model::Fsrs => {
                Hidden::Fsrs(&self.truth, Memory::new(combo.rho as f32, cards, concepts))
            }
            Model::Dash => Hidden::Dash(&self.dash, dash::Memory::new(combo.rho, cards, concepts)),
        };
        let mut prefs = lab_prefs();
        if let Some(t) = combo.target {
            prefs.desired_retention = t as f32;
        }
        let sim = Sim {
            deck,
            hidden,
            rng: StdRng::seed_from_u64(self.seed ^ 0xA5A5_5A5A),
            prefs,
            rec: Recorder::new(deck, days),
        };
        match combo.kind {
            Kind::Paperdeck => sim.study(
                &self.attend,
                days,
                &mut ByConcept::new(deck, CardPolicy::Rotation),
            ),
            Kind::PaperdeckCards => sim.study(
                &self.attend,
                days,
                &mut ByConcept::new(deck, CardPolicy::CardMemory),
            ),
            _ => sim.study(&self.attend, days, &mut ByCard::new(deck, combo.kind)),
        }
    }
}

fn ts_of(day: i64) -> i64 {
    START + day * 86_400 + SESSION_START
}

/// A timestamp as days since the start, with the fraction of the day.
fn days_at(ts: i64) -> f64 {
    (ts - START) as f64 / 86_400.0
}

fn lab_prefs() -> Prefs {
    Prefs {
        tz: chrono_tz::UTC,
        rollover_hour: 0,
        ..Prefs::default()
    }
}

fn cost(phase: usize, rating: Rating) -> f64 {
    COSTS[phase][rating as usize - 1]
}

/// What a run records: answers and their time, and measured retention on the sample days.
struct Recorder {
    concept_of: Vec<usize>,
    samples: Vec<i64>,
    run: Run,
}

impl Recorder {
    fn new(deck: &Deck, days: i64) -> Recorder {
        Recorder {
            concept_of: deck.concept_of(),
            samples: sample_days(days),
            run: Run {
                per_day: vec![0; days.max(0) as usize],
                ..Run::default()
            },
        }
    }

    /// Measures retention on `day` just before its session, if it is a sample day.
    fn measure(&mut self, hidden: &Hidden<'_>, day: i64) {
        if self.samples.contains(&day) {
            let r = hidden.retention(&self.concept_of, days_at(ts_of(day)));
            self.run.retention.push(r);
        }
    }

    /// Counts an answer on `day` in `phase` (0 first sight, 1 review, 2 same-day retry).
    fn answered(&mut self, day: i64, phase: usize, rating: Rating) {
        self.run.seconds += cost(phase, rating);
        self.run.reviews += 1;
        if let Some(n) = self.run.per_day.get_mut(day as usize) {
            *n += 1;
        }
    }
}

/// One learner's run under one scheduler: what every session works with.
struct Sim<'a> {
    deck: &'a Deck,
    hidden: Hidden<'a>,
    rng: StdRng,
    prefs: Prefs,
    rec: Recorder,
}

/// What a scheduler brings to the day loop of [`Sim::study`].
trait Schedule {
    /// Paper `paper` is read on `day`, before that day's session.
    fn read(&mut self, sim: &mut Sim<'_>, paper: usize, day: i64);
    /// One session on `day`, a day she studies.
    fn session(&mut self, sim: &mut Sim<'_>, day: i64);
}

impl Sim<'_> {
    /// Day by day: retention is measured at the start of the day, the day's paper is read, and
    /// on the days she studies `schedule` holds a session.
    fn study(mut self, attend: &[bool], days: i64, schedule: &mut impl Schedule) -> Run {
        for day in 0..=days {
            self.rec.measure(&self.hidden, day);
            if day == days {
                break;
            }
            for p in 0..self.deck.paper_concepts.len() {
                if Deck::read_day(p) == day {
                    schedule.read(&mut self, p, day);
                }
            }
            if attend[day as usize] {
                schedule.session(&mut self, day);
            }
        }
        self.rec.run
    }

    /// Her answer to card `card` (of concept `concept`) at `ts`, from her hidden memory.
    fn answer(&mut self, card: usize, concept: usize, ts: i64) -> Rating {
        self.hidden
            .answer(card, concept, days_at(ts), &mut self.rng)
    }
}

/// How paperdeck's scheduler picks the card of a concept review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CardPolicy {
    /// As shipped before issue 19: the least recently seen card, never the last one.
    Rotation,
    /// Issue 19's "concept decides when, card memory decides which"
    /// ([`crate::scheduler::card_pick`]): never-seen cards first, then the lowest recall by the
    /// card's own FSRS memory; the same-day retry asks another of the concept's cards
    /// ([`card_pick::Retry::OtherCard`]); a concept whose
    /// weakest card is far below target takes up to [`card_pick::EXTRA_CARDS`] more cards, for a learner
    /// whose estimated transfer is under [`card_pick::EXTRA_BELOW_RHO`]; and the paper's cards not asked
    /// on its page are met right after reading it.
    CardMemory,
}

/// paperdeck's own scheduler, session by session, as the quiz service drives it.
struct ByConcept {
    policy: CardPolicy,
    states: Vec<ConceptState>,
    /// The concept (deck index) of each of `states`.
    state_concept: Vec<usize>,
    last_seen: HashMap<String, i64>,
    /// Per paper, whether it has been read: only its cards are asked.
    read: Vec<bool>,
    /// Papers in the order read, with the day each was read.
    read_on: Vec<(usize, i64)>,
    /// Per paper, its cards in the deck's (reading) order.
    paper_cards: Vec<Vec<usize>>,
    /// Per concept, its cards in the deck's order.
    concept_cards: Vec<Vec<usize>>,
    /// [`scheduler::mean_concept_size`] of the deck, for the concepts' weighted targets.
    mean_concept_size: f32,
    /// Per card, its own memory (under [`CardPolicy::CardMemory`]).
    memory: Vec<Option<card_pick::CardMemory>>,
    /// The day of `today`.
    day: i64,
    /// That day's answers so far, in-page ones included, as the quiz's cache holds them.
    today: Vec<TodayReview>,
    /// Per concept (deck index), the card she last got wrong that day.
    missed: HashMap<usize, usize>,
    /// Her transfer ρ as estimated from her answers so far (under [`CardPolicy::CardMemory`]).
    rho: card_pick::RhoEstimator,
    /// The cards whose latest answer was wrong, for [`card_pick::comeback`].
    wrong: Vec<usize>,
}

impl ByConcept {
    /// The index in `states` of concept `k`, unlocked at `ts` if it was not yet.
    fn state_of(&mut self, deck: &Deck, k: usize, ts: i64) -> usize {
        if let Some(si) = self.state_concept.iter().position(|x| *x == k) {
            return si;
        }
        self.states.push(ConceptState::new(&deck.concepts[k], ts));
        self.state_concept.push(k);
        self.states.len() - 1
    }

    fn new(deck: &Deck, policy: CardPolicy) -> ByConcept {
        let concept_cards = deck.cards_by(deck.concepts.len(), |c| c.concept);
        ByConcept {
            policy,
            states: Vec::new(),
            state_concept: Vec::new(),
            last_seen: HashMap::new(),
            read: vec![false; deck.paper_concepts.len()],
            read_on: Vec::new(),
            paper_cards: deck.cards_by(deck.paper_concepts.len(), |c| c.paper),
            mean_concept_size: scheduler::mean_concept_size(concept_cards.iter().map(Vec::len)),
            concept_cards,
            memory: vec![None; deck.cards.len()],
            day: -1,
            today: Vec::new(),
            missed: HashMap::new(),
            rho: card_pick::RhoEstimator::new(&lab_prefs()),
            wrong: Vec::new(),
        }
    }

    /// The cards of concept `k` among the papers read.
    fn pool(&self, deck: &Deck, k: usize) -> Vec<usize> {
        self.concept_cards[k]
            .iter()
            .copied()
            .filter(|c| self.read[deck.cards[*c].paper])
            .collect()
    }

    /// The card to ask for `states[si]` (concept `k`) as the quiz chooses it; `missed` is the
    /// card of this concept she got wrong today, for a relearn.
    // The quiz's inputs, one by one: bundling them would only rename them.
    #[allow(clippy::too_many_arguments)]
    fn pick_card(
        &self,
        deck: &Deck,
        si: usize,
        k: usize,
        missed: Option<usize>,
        ts: i64,
        sim_rng: &mut StdRng,
        decay: f32,
    ) -> Option<usize> {
        let pool = self.pool(deck, k);
        let found = |id: &str| pool.iter().copied().find(|c| deck.cards[*c].id == id);
        if self.policy == CardPolicy::CardMemory {
            let cands = self.candidates(deck, &pool);
            let chosen = missed
                .and_then(|m| {
                    card_pick::retry_card(
                        &cands,
                        &deck.cards[m].id,
                        card_pick::Retry::OtherCard,
                        ts,
                        decay,
                        sim_rng,
                    )
                })
                .or_else(|| card_pick::choose_card(&cands, ts, decay, sim_rng))?;
            return found(chosen.id);
        }
        let choices: Vec<CardChoice> = pool
            .iter()
            .map(|c| CardChoice {
                id: &deck.cards[*c].id,
                kind: &deck.cards[*c].kind,
            })
            .collect();
        let choice = scheduler::pick_card(
            &choices,
            &self.last_seen,
            self.states[si].last_card_id.as_deref(),
            sim_rng,
        )?;
        found(choice.id)
    }

    fn candidates<'a>(&'a self, deck: &'a Deck, pool: &[usize]) -> Vec<card_pick::Candidate<'a>> {
        pool.iter()
            .map(|c| card_pick::Candidate {
                id: &deck.cards[*c].id,
                fact: &deck.cards[*c].fact,
                kind: &deck.cards[*c].kind,
                memory: self.memory[*c].as_ref(),
            })
            .collect()
    }

    /// Whether concept `k` still has a card far below target after today's answers
    /// ([`card_pick::needs_extra`], as the quiz decides it).
    fn needs_extra(&self, deck: &Deck, k: usize, ts: i64, prefs: &Prefs) -> bool {
        let pool = self.pool(deck, k);
        let cands = self.candidates(deck, &pool);
        card_pick::needs_extra(&cands, ts, prefs.desired_retention, prefs.decay())
    }

    /// She answers card `card` of `states[si]` at `ts` as a `kind` answer: her answer from the
    /// hidden memory, the concept's state and the card's own memory updated as the quiz does.
    fn ask(
        &mut self,
        sim: &mut Sim<'_>,
        si: usize,
        card: usize,
        ts: i64,
        kind: ReviewKind,
    ) -> Option<Rating> {
        let deck = sim.deck;
        let rating = sim.answer(card, deck.cards[card].concept, ts);
        let before = &self.states[si];
        // A first answer is learning whatever the question's mode, as `Mode::review_kind` has it.
        let kind = if before.is_new() {
            ReviewKind::Learn
        } else {
            kind
        };
        // As the quiz schedules a concept: its target weighted by its size (`CardIndex::prefs_for`).
        // The retired rotation keeps one target for every concept, as it shipped.
        let k = deck.cards[card].concept;
        let prefs = match self.policy {
            CardPolicy::CardMemory => sim
                .prefs
                .for_concept(self.concept_cards[k].len(), self.mean_concept_size),
            CardPolicy::Rotation => sim.prefs.clone(),
        };
        let out = scheduler::apply(before, rating, ts, &prefs, &mut sim.rng).ok()?;
        let out = scheduler::for_kind(before, kind, out);
        self.states[si] = before.after(&out, ts, &deck.cards[card].id);
        if self.policy == CardPolicy::Rotation {
            match self.last_seen.get_mut(&deck.cards[card].id) {
                Some(t) => *t = ts,
                None => {
                    self.last_seen.insert(deck.cards[card].id.clone(), ts);
                }
            }
        } else {
            self.rho.observe(&card_pick::LoggedAnswer {
                at: ts,
                card: &deck.cards[card].id,
                concept: &deck.concepts[deck.cards[card].concept],
                rating,
            });
            let prev = self.memory[card].as_ref();
            if let Ok(m) = card_pick::CardMemory::update(prev, rating, kind, ts, &sim.prefs) {
                self.memory[card] = Some(m);
            }
            self.wrong.retain(|c| *c != card);
            if rating == Rating::Again {
                self.wrong.push(card);
            }
        }
        let day = sim.prefs.day_index(ts);
        if day != self.day {
            self.day = day;
            self.today.clear();
            self.missed.clear();
        }
        self.today.push(TodayReview {
            concept: deck.concepts[deck.cards[card].concept].clone(),
            card: deck.cards[card].id.clone(),
            rating: rating as u8,
            kind,
        });
        if rating == Rating::Again {
            self.missed.insert(deck.cards[card].concept, card);
        }
        Some(rating)
    }

    /// A card the daily quiz adds before its next planned question, as `quiz::service` decides
    /// it (under [`CardPolicy::CardMemory`]), with its recorder phase: a further card of the
    /// concept just reviewed right, for a learner whose estimated ρ is low, while one of its
    /// cards lags far behind; else the first unmet card of a paper read in the last
    /// [`card_pick::INTRO_DAYS`] days, of a learned concept with no retry pending.
    fn added(
        &self,
        deck: &Deck,
        ts: i64,
        prefs: &Prefs,
        rng: &mut StdRng,
    ) -> Option<(usize, usize, ReviewKind)> {
        if let Some(si) = card_pick::extra_candidate(&self.today)
            .and_then(|slug| self.states.iter().position(|s| s.concept == slug))
        {
            let k = self.state_concept[si];
            if card_pick::takes_extra(self.rho.estimate()) && self.needs_extra(deck, k, ts, prefs) {
                if let Some(c) = self.pick_card(deck, si, k, None, ts, rng, prefs.decay()) {
                    return Some((c, 1, ReviewKind::Practice));
                }
            }
        }
        let day = prefs.day_index(ts);
        let recent = self
            .read_on
            .iter()
            .filter(|(_, d)| *d > day - card_pick::INTRO_DAYS);
        for (paper, _) in recent {
            for &c in &self.paper_cards[*paper] {
                if self.memory[c].is_some() {
                    continue;
                }
                let k = deck.cards[c].concept;
                let learned = self
                    .state_concept
                    .iter()
                    .position(|x| *x == k)
                    .is_some_and(|si| !self.states[si].is_new());
                if learned && !scheduler::retry_pending(&self.today, &deck.concepts[k]) {
                    return Some((c, 0, ReviewKind::Practice));
                }
            }
        }
        self.comeback(deck, ts, prefs)
            .map(|c| (c, 1, ReviewKind::Review))
    }

    /// A card of a paper read in the last [`card_pick::COMEBACK_DAYS`] days that she got wrong
    /// and that comes back now as a review of its concept ([`card_pick::comeback`], as the quiz
    /// decides it).
    fn comeback(&self, deck: &Deck, ts: i64, prefs: &Prefs) -> Option<usize> {
        let day = prefs.day_index(ts);
        let lately = |paper: usize| {
            self.read_on
                .iter()
                .any(|(p, d)| *p == paper && *d > day - card_pick::COMEBACK_DAYS)
        };
        // Only the cards that can come back: the rest of `wrong` (older cards, most of it
        // after a few months) is skipped before any concept memory is looked up.
        let young: Vec<(usize, &card_pick::CardMemory)> = self
            .wrong
            .iter()
            .filter_map(|c| Some((*c, self.memory[*c].as_ref()?)))
            .filter(|(c, m)| {
                m.reviews <= card_pick::COMEBACK_MAX_REVIEWS && lately(deck.cards[*c].paper)
            })
            .filter(|(c, _)| {
                !scheduler::retry_pending(&self.today, &deck.concepts[deck.cards[*c].concept])
            })
            .collect();
        if young.is_empty() {
            return None;
        }
        let prior = |k: usize| {
            let si = self.state_concept.iter().position(|x| *x == k)?;
            card_pick::CardMemory::prior(&self.states[si])
        };
        let missed: Vec<card_pick::Missed> = young
            .iter()
            .map(|(c, m)| card_pick::Missed {
                id: &deck.cards[*c].id,
                memory: m,
                concept: prior(deck.cards[*c].concept),
            })
            .collect();
        let id = card_pick::comeback(
            &missed,
            ts,
            prefs.desired_retention,
            prefs.decay(),
            self.rho.estimate(),
        )?;
        young
            .iter()
            .map(|(c, _)| *c)
            .find(|c| deck.cards[*c].id == id)
    }
}

impl Schedule for ByConcept {
    fn read(&mut self, sim: &mut Sim<'_>, paper: usize, day: i64) {
        let deck = sim.deck;
        self.read[paper] = true;
        self.read_on.push((paper, sim.prefs.day_index(ts_of(day))));
        // She reads in the morning, before the noon session.
        let mut ts = ts_of(day) - 2 * 3600;
        for k in &deck.paper_concepts[paper] {
            self.state_of(deck, *k, ts - 60);
        }
        // The in-page questions, as `answer_in_page` records them: the concept is unlocked,
        // and the answer is a practice answer (a Learn on a concept she has no memory of,
        // otherwise one that may lower its memory but never raise it).
        for &c in &deck.in_page[paper] {
            let si = self.state_of(deck, deck.cards[c].concept, ts - 60);
            if let Some(rating) = self.ask(sim, si, c, ts, ReviewKind::Practice) {
                sim.rec.answered(day, 0, rating);
            }
            ts += ANSWER_SECS;
        }
    }

    fn session(&mut self, sim: &mut Sim<'_>, day: i64) {
        let deck = sim.deck;
        let mut ts = ts_of(day);
        let decay = sim.prefs.decay();
        if sim.prefs.day_index(ts) != self.day {
            self.day = sim.prefs.day_index(ts);
            self.today.clear();
            self.missed.clear();
        }
        let mut answers = 0;
        while answers < MAX_SESSION {
            // The quiz's order: a retry whose turn has come, then the cards it adds, then the
            // plan.
            let added = (self.policy == CardPolicy::CardMemory
                && scheduler::relearn_ready(&self.today).is_none())
            .then(|| self.added(deck, ts, &sim.prefs, &mut sim.rng))
            .flatten();
            let (si, card, kind, phase) = if let Some((card, phase, kind)) = added {
                let si = self.state_of(deck, deck.cards[card].concept, ts - 60);
                (si, card, kind, phase)
            } else {
                let pick = scheduler::pick_next(&self.states, &self.today, ts, &sim.prefs);
                let Some(slug) = pick.concept() else { break };
                let Some(si) = self.states.iter().position(|s| s.concept == slug) else {
                    break;
                };
                let k = self.state_concept[si];
                let retry = matches!(pick, Pick::Relearn(_))
                    .then(|| self.missed.get(&k).copied())
                    .flatten();
                let Some(card) = self.pick_card(deck, si, k, retry, ts, &mut sim.rng, decay) else {
                    break;
                };
                let phase = match pick {
                    Pick::New(_) => 0,
                    Pick::Relearn(_) => 2,
                    _ => 1,
                };
                (si, card, pick.review_kind(), phase)
            };
            let Some(rating) = self.ask(sim, si, card, ts, kind) else {
                break;
            };
            sim.rec.answered(day, phase, rating);
            answers += 1;
            ts += ANSWER_SECS;
        }
    }
}

/// Where an FSRS-by-card card is in Anki's steps: learning steps 1 m and 10 m for a new card,
/// one 10-minute relearning step after a lapse (Anki's defaults, which it keeps with FSRS);
/// only a graduating answer takes FSRS's interval. FSRS's memory moves on every answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Learning(u8),
    Review,
    Relearning,
}

impl Step {
    /// The step after an answer graded `rating`, and whether the card graduates (takes FSRS's
    /// interval) rather than coming back in the session.
    pub fn after(self, rating: Rating) -> (Step, bool) {
        match (self, rating) {
            (Step::Learning(_), Rating::Again) => (Step::Learning(0), false),
            (Step::Learning(s), Rating::Hard) => (Step::Learning(s), false),
            (Step::Learning(s), Rating::Good) if s + 1 < sm2::LEARNING_STEPS => {
                (Step::Learning(s + 1), false)
            }
            (Step::Review, Rating::Again) => (Step::Relearning, false),
            (Step::Relearning, Rating::Again | Rating::Hard) => (Step::Relearning, false),
            _ => (Step::Review, true),
        }
    }
}

/// A card-level scheduler's state of one card.
#[derive(Debug, Clone)]
enum CardState {
    Fsrs(ConceptState, Step),
    Orbit(orbit::State),
    Sm2(sm2::State),
    Leitner(Option<usize>),
}

impl CardState {
    fn new(kind: Kind, id: &str, day: i64) -> CardState {
        match kind {
            Kind::Orbit => CardState::Orbit(orbit::new(day as f64 + 0.5)),
            Kind::Sm2 => CardState::Sm2(sm2::new()),
            Kind::Leitner => CardState::Leitner(None),
            _ => CardState::Fsrs(ConceptState::new(id, ts_of(day) - 60), Step::Learning(0)),
        }
    }

    /// The state after an answer graded `rating` at `ts` on `day`, and when the card is next due.
    fn answer(
        &self,
        rating: Rating,
        day: i64,
        ts: i64,
        id: &str,
        prefs: &Prefs,
        rng: &mut StdRng,
    ) -> (CardState, Next) {
        match self {
            CardState::Fsrs(s, step) => match scheduler::apply(s, rating, ts, prefs, rng) {
                Ok(out) => {
                    let due_in = prefs.day_index(out.due_at) - prefs.day_index(ts);
                    let (step, graduates) = step.after(rating);
                    let next = if graduates {
                        Next::InDays(due_in.max(1))
                    } else {
                        Next::Today
                    };
                    (CardState::Fsrs(s.after(&out, ts, id), step), next)
                }
                Err(_) => (self.clone(), Next::InDays(1)),
            },
            CardState::Orbit(s) => {
                let now = (ts - START) as f64 / 86_400.0;
                let (s, next) = orbit::answer(*s, now, baselines::remembered(rating));
                (CardState::Orbit(s), next)
            }
            CardState::Sm2(s) => {
                let (s, next) = sm2::answer(*s, day, rating);
                (CardState::Sm2(s), next)
            }
            CardState::Leitner(b) => {
                let (b, next) = leitner::answer(*b, baselines::remembered(rating));
                (CardState::Leitner(Some(b)), next)
            }
        }
    }
}

/// A card-level scheduler: each card its own item.
struct ByCard {
    kind: Kind,
    state: Vec<Option<CardState>>,
    due: Vec<Option<i64>>,
    seen: Vec<bool>,
}

impl ByCard {
    fn new(deck: &Deck, kind: Kind) -> ByCard {
        let n = deck.cards.len();
        ByCard {
            kind,
            state: vec![None; n],
            due: vec![None; n],
            seen: vec![false; n],
        }
    }

    /// The cards of `day`'s session, each at its first repeat: reviews first, most overdue
    /// first, within the daily limit; then the new cards met so far.
    fn queue(&self, day: i64) -> VecDeque<(usize, usize)> {
        let n = self.state.len();
        let due_today = |c: &usize| self.due[*c].is_some_and(|d| d <= day);
        let mut reviews: Vec<(i64, usize)> = (0..n)
            .filter(|c| self.seen[*c] && due_today(c))
            .map(|c| (self.due[c].unwrap_or(day), c))
            .collect();
        reviews.sort_unstable();
        reviews.truncate(CARD_REVIEWS_PER_DAY);
        let new = (0..n).filter(|c| !self.seen[*c] && due_today(c));
        reviews
            .into_iter()
            .map(|(_, c)| (c, 0))
            .chain(new.map(|c| (c, 0)))
            .collect()
    }
}

impl Schedule for ByCard {
    fn read(&mut self, sim: &mut Sim<'_>, paper: usize, day: i64) {
        let deck = sim.deck;
        for (c, card) in deck.cards.iter().enumerate() {
            if card.paper == paper && self.state[c].is_none() {
                self.state[c] = Some(CardState::new(self.kind, &card.id, day));
                self.due[c] = Some(day);
            }
        }
    }

    fn session(&mut self, sim: &mut Sim<'_>, day: i64) {
        let mut queue = self.queue(day);
        let mut ts = ts_of(day);
        while let Some((c, repeat)) = queue.pop_front() {
            let Some(s) = self.state[c].clone() else {
                continue;
            };
            let card = &sim.deck.cards[c];
            let rating = sim.answer(c, card.concept, ts);
            let phase = if !self.seen[c] {
                0
            } else if repeat > 0 {
                2
            } else {
                1
            };
            self.seen[c] = true;
            sim.rec.answered(day, phase, rating);
            let (s, next) = s.answer(rating, day, ts, &card.id, &sim.prefs, &mut sim.rng);
            self.state[c] = Some(s);
            match next {
                Next::Today if repeat < MAX_REPEATS => {
                    self.due[c] = Some(day);
                    queue.push_back((c, repeat + 1));
                }
                Next::Today => self.due[c] = Some(day + 1),
                Next::InDays(d) => self.due[c] = Some(day + d.max(1)),
            }
            ts += ANSWER_SECS;
        }
    }
}

/// Runs every combination of [`Config::combos`] for every learner on `config.threads`
/// threads; `tick` is called once per learner finished.
pub fn run(deck: &Deck, config: &Config, tick: &(dyn Fn() + Sync)) -> Vec<Row> {
    let combos = config.combos();
    let next = AtomicUsize::new(0);
    let threads = config.threads.clamp(1, 64);
    // Each thread returns its learners' runs; they are summed afterwards in learner order, so
    // the float sums (and the report) do not depend on which thread ran which learner.
    let mut runs: Vec<(usize, Vec<Run>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let l = next.fetch_add(1, Ordering::Relaxed);
                        if l >= config.learners {
                            break;
                        }
                        let learner = Learner::new(deck, config.days, config.seed, l);
                        let per_combo = combos
                            .iter()
                            .map(|combo| learner.run(deck, *combo, config.days))
                            .collect();
                        mine.push((l, per_combo));
                        tick();
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .flatten()
            .collect()
    });
    runs.sort_by_key(|(l, _)| *l);
    let mut total = vec![Acc::default(); combos.len()];
    for (_, per_combo) in &runs {
        for (t, r) in total.iter_mut().zip(per_combo) {
            t.add(r);
        }
    }
    combos
        .iter()
        .zip(total)
        .map(|(combo, acc)| row(combo, config, &acc))
        .collect()
}

/// The first and last day of the span `mean_retention` averages over.
pub const MEAN_SPAN: (i64, i64) = (30, 365);

fn row(combo: &Combo, config: &Config, acc: &Acc) -> Row {
    let kind = combo.kind;
    let n = config.learners.max(1) as f64;
    let days = config.days.max(1);
    let samples = sample_days(config.days);
    let curve: Vec<(i64, f64)> = samples
        .iter()
        .zip(acc.retention.iter())
        .map(|(d, r)| (*d, r / n))
        .collect();
    let retention: BTreeMap<i64, f64> = curve
        .iter()
        .filter(|(d, _)| CHECKPOINTS.contains(d))
        .copied()
        .collect();
    let span: Vec<f64> = curve
        .iter()
        .filter(|(d, _)| (MEAN_SPAN.0..=MEAN_SPAN.1).contains(d))
        .map(|(_, r)| *r)
        .collect();
    let mean_retention = if span.is_empty() {
        0.0
    } else {
        span.iter().sum::<f64>() / span.len() as f64
    };
    let hours = acc.seconds / n / 3600.0;
    let weeks = acc
        .per_day
        .chunks(7)
        .map(|w| w.iter().sum::<f64>() / n / w.len() as f64)
        .collect();
    Row {
        memory: combo.model,
        rho: combo.rho,
        scheduler: kind.short(),
        target: combo.target,
        name: kind.name(),
        learners: config.learners,
        days: config.days,
        reviews_per_learner: acc.reviews / n,
        minutes_per_day: acc.seconds / n / 60.0 / days as f64,
        hours_per_learner: hours,
        retention,
        mean_retention,
        retention_curve: curve,
        reviews_per_day_by_week: weeks,
    }
}

/// The (memory model, ρ) pairs in `rows`, in the order first met.
fn distinct_groups(rows: &[Row]) -> Vec<(Model, f64)> {
    let mut groups: Vec<(Model, f64)> = Vec::new();
    for r in rows {
        if !groups.contains(&(r.memory, r.rho)) {
            groups.push((r.memory, r.rho));
        }
    }
    groups
}

/// A desired retention for tables: the value, or "-" for a rule-based scheduler.
fn target_text(target: Option<f64>) -> String {
    target.map_or_else(|| "-".into(), |t| format!("{t}"))
}

/// The results as a text table, one block per (memory model, ρ).
pub fn table(rows: &[Row]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (model, rho) in distinct_groups(rows) {
        let _ = writeln!(out, "\nmemory {}, transfer ρ = {rho}", model.short());
        let _ = writeln!(
            out,
            "{:<28} {:>6} {:>9} {:>8} {:>7} {:>7} {:>7} {:>7} {:>9}",
            "scheduler", "target", "reviews", "min/day", "d30", "d90", "d180", "d365", "mean30-365"
        );
        for r in rows.iter().filter(|r| r.rho == rho && r.memory == model) {
            let at = |d: i64| {
                r.retention
                    .get(&d)
                    .map(|v| format!("{:.1}%", v * 100.0))
                    .unwrap_or_else(|| "-".into())
            };
            let _ = writeln!(
                out,
                "{:<28} {:>6} {:>9.0} {:>8.1} {:>7} {:>7} {:>7} {:>7} {:>9.1}%",
                r.name,
                target_text(r.target),
                r.reviews_per_learner,
                r.minutes_per_day,
                at(30),
                at(90),
                at(180),
                at(365),
                r.mean_retention * 100.0
            );
        }
    }
    out
}

/// Per (memory model, ρ): the chart id, its label, the retention lines and the answers-per-day
/// lines, one line per scheduler (and target).
type PlotGroup = (
    String,
    String,
    Vec<crate::charts::Line>,
    Vec<crate::charts::Line>,
);

fn plot_lines(rows: &[Row]) -> Vec<PlotGroup> {
    use crate::charts::Line;
    let groups = distinct_groups(rows);
    let mut data: Vec<PlotGroup> = Vec::new();
    for (i, (model, rho)) in groups.iter().enumerate() {
        // One line per scheduler at this ρ, its points read from the row by `points`.
        let lines = |points: fn(&Row) -> Vec<(f64, f64)>| -> Vec<Line> {
            rows.iter()
                .filter(|r| r.rho == *rho && r.memory == *model)
                .map(|r| Line {
                    name: match r.target {
                        Some(t) => format!("{} {t}", r.scheduler),
                        None => r.scheduler.to_string(),
                    },
                    points: points(r),
                })
                .collect()
        };
        let retention = lines(|r| {
            r.retention_curve
                .iter()
                .map(|(d, v)| (*d as f64, *v))
                .collect()
        });
        let per_day = lines(|r| {
            r.reviews_per_day_by_week
                .iter()
                .enumerate()
                .map(|(w, v)| ((w * 7) as f64, *v))
                .collect()
        });
        data.push((
            format!("lab-{i}"),
            format!("{} memory, ρ = {rho}", model.short()),
            retention,
            per_day,
        ));
    }
    data
}

/// The chart file for `--plot`: per (memory model, ρ), measured retention over time and answers
/// per day, one line per scheduler and target, drawn by the same chart code as /progress
/// ([`crate::charts`]).
pub fn plot(rows: &[Row]) -> String {
    use crate::charts::{standalone, LineChart};
    let data = plot_lines(rows);
    let titles: Vec<(String, String)> = data
        .iter()
        .map(|(_, rho, _, _)| {
            (
                format!("Measured retention by day, {rho}"),
                format!("Answers per day (weekly mean), {rho}"),
            )
        })
        .collect();
    let ids: Vec<(String, String)> = data
        .iter()
        .map(|(id, _, _, _)| (format!("{id}-retention"), format!("{id}-answers")))
        .collect();
    let mut charts = Vec::new();
    for (((_, _, retention, per_day), (t1, t2)), (id1, id2)) in data.iter().zip(&titles).zip(&ids) {
        charts.push(LineChart {
            id: id1,
            title: t1,
            desc: "Share of all cards the simulated learners would answer right, by day.",
            lines: retention,
            y_max: Some(1.0),
            percent: true,
            y_unit: None,
            x_fmt: |x| format!("d{x:.0}"),
            y_fmt: |y| format!("{:.1}%", y * 100.0),
            marker: None,
            table: None,
        });
        charts.push(LineChart {
            id: id2,
            title: t2,
            desc: "Mean answers per learner per day, by week, retries included.",
            lines: per_day,
            y_max: None,
            percent: false,
            y_unit: None,
            x_fmt: |x| format!("d{x:.0}"),
            y_fmt: |y| format!("{y:.1}"),
            marker: None,
            table: None,
        });
    }
    standalone(&charts)
}

#[cfg(test)]
mod tests;
