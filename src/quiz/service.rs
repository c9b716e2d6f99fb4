//! The quiz's actions: each takes what the web layer parsed and does one thing, reading "now"
//! from the application clock. None of them touches HTTP, and none needs to know about the
//! cache beyond reading through it: the store keeps it current.

use super::{grade, Mode, QuizError, Submission, MAX_ANSWER_CHARS, MAX_ANSWER_MS};
use crate::cards::grading::NameIndex;
use crate::cards::{Card, CardIndex, CardKind};
use crate::clock::Clock;
use crate::content::Content;
use crate::scheduler::card_pick::{self, Candidate, CardMemory, Retry};
use crate::scheduler::{self, ConceptState, Outcome, Pick, Prefs, Rating, ReviewKind};
use crate::store::quiz::{Answer, Regrade, ReviewRow};
use crate::store::writer::AnswerWriter;
use crate::store::{self, cache::CardMemories, cache::LearnerData, Db};
use rand::rngs::StdRng;
use rand::SeedableRng;

use std::sync::Arc;

/// What the quiz works with, borrowed from the application state.
pub struct Ctx<'a> {
    pub db: &'a Db,
    pub writer: &'a AnswerWriter,
    pub content: &'a Content,
    pub cards: &'a CardIndex,
    pub names: &'a NameIndex,
    pub clock: &'a Clock,
    /// Keys the question seed, so the option order cannot be computed from public inputs.
    pub signer: &'a crate::signing::Signer,
    /// Her data version read with this request's session, when it was.
    pub seen: Option<store::cache::Seen>,
}

/// What the quiz needs to know about a learner right now.
pub struct Snapshot {
    pub prefs: Prefs,
    /// Only concepts that still have cards: content may have changed since they were unlocked.
    pub states: Arc<[ConceptState]>,
    pub today: Arc<[scheduler::TodayReview]>,
    pub now: i64,
    /// The cached entry the snapshot came from (papers read, when she last saw each card).
    pub data: Arc<LearnerData>,
}

impl Snapshot {
    pub fn plan(&self) -> scheduler::Plan {
        scheduler::plan(&self.states, &self.today, self.now, &self.prefs)
    }

    /// When the next review falls due, once nothing is left for today.
    pub fn next_due(&self) -> Option<i64> {
        match scheduler::pick_next(&self.states, &self.today, self.now, &self.prefs) {
            Pick::Done { next_due } => next_due,
            _ => None,
        }
    }
}

fn internal(what: impl std::fmt::Display) -> QuizError {
    QuizError::Internal(what.to_string())
}

async fn learner_data(
    ctx: &Ctx<'_>,
    learner: i64,
    now: i64,
) -> Result<Arc<LearnerData>, QuizError> {
    ctx.db
        .cache
        .learner(ctx.db, learner, now, ctx.seen)
        .await?
        .ok_or_else(|| internal(format!("learner {learner} has a session but no row")))
}

pub async fn snapshot(ctx: &Ctx<'_>, learner: i64) -> Result<Snapshot, QuizError> {
    let now = ctx.clock.now();
    let data = learner_data(ctx, learner, now).await?;
    let has_cards = |s: &ConceptState| ctx.cards.has_concept(&s.concept);
    let states = match data.states.iter().all(has_cards) {
        true => data.states.clone(),
        false => data
            .states
            .iter()
            .filter(|s| has_cards(s))
            .cloned()
            .collect(),
    };
    Ok(Snapshot {
        prefs: data.prefs.clone(),
        states,
        today: data.today.clone(),
        now,
        data,
    })
}

/// Marks a paper read, unlocking its concepts. Returns the paper's slug.
pub async fn mark_read(ctx: &Ctx<'_>, learner: i64, slug: &str) -> Result<String, QuizError> {
    let paper = ctx.content.paper(slug).ok_or(QuizError::NotFound)?;
    let now = ctx.clock.now();
    store::quiz::mark_read(ctx.db, learner, &paper.slug, &paper.concepts, now).await?;
    Ok(paper.slug.clone())
}

/// "今天再学 N 个": raises today's new-concept limit by `n` (1 to [`scheduler::MAX_EXTRA_NEW`]).
pub async fn raise_new_today(ctx: &Ctx<'_>, learner: i64, n: i64) -> Result<(), QuizError> {
    if !(1..=i64::from(scheduler::MAX_EXTRA_NEW)).contains(&n) {
        return Err(QuizError::BadAnswer("每次最多多学 50 个新概念。"));
    }
    let snap = snapshot(ctx, learner).await?;
    let day = snap.prefs.day_index(snap.now);
    store::quiz::raise_new_today(ctx.db, learner, day, n).await?;
    Ok(())
}

/// The question to show, or nothing left.
pub enum Next<'a> {
    /// Boxed: a question carries its RNG, and `Done` nothing.
    Ask(Box<Question<'a>>),
    Done,
}

pub struct Question<'a> {
    pub card: &'a Card,
    pub reason: &'static str,
    pub mode: Mode,
    pub version: i64,
    /// Seeded by (learner, concept, version): a reload shows the same card, with its options
    /// in the same order when they are shuffled with it.
    pub rng: StdRng,
    /// What a card the daily quiz adds to the plan ([`Mode::Extra`]) is.
    pub added: Option<Added>,
}

/// A card the daily quiz adds to the plan (issue 19 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// A card of a paper she read lately that she has not met: `left` of them, this one
    /// included.
    Intro { left: usize },
    /// A further card of the concept she just reviewed, whose cards lag far behind it.
    FollowUp,
    /// A card of a paper she read lately that she got wrong on an earlier day
    /// ([`card_pick::comeback`]), asked as a review of its concept.
    Comeback,
}

/// Chooses the next question: a concept she asked for, extra practice, or the day's plan.
pub async fn next_question<'a>(
    ctx: &Ctx<'a>,
    learner: i64,
    snap: &Snapshot,
    concept: Option<&str>,
    mode: Mode,
) -> Result<Next<'a>, QuizError> {
    // A retry whose turn has come keeps its promise first.
    let retry_ready = scheduler::relearn_ready(&snap.today).is_some();
    if concept.is_none() && mode == Mode::Normal && !retry_ready {
        if let Some(q) = added_question(ctx, learner, snap).await? {
            return Ok(Next::Ask(Box::new(q)));
        }
    }
    let Some((concept, reason, mode)) = pick_concept(ctx, snap, concept, mode)? else {
        return Ok(Next::Done);
    };
    let retry = reason == RETRY_REASON;
    let cs = snap
        .states
        .iter()
        .find(|s| s.concept == concept)
        .ok_or_else(|| internal(format!("picked concept {concept} has no state")))?;
    let mut rng = StdRng::seed_from_u64(question_seed(ctx.signer, learner, &concept, cs.version));
    let card = pick_card(ctx, snap, learner, cs, retry, &mut rng).await?;
    Ok(Next::Ask(Box::new(Question {
        card,
        reason,
        mode,
        version: cs.version,
        rng,
        added: None,
    })))
}

fn pick_concept(
    ctx: &Ctx<'_>,
    snap: &Snapshot,
    concept: Option<&str>,
    mode: Mode,
) -> Result<Option<(String, &'static str, Mode)>, QuizError> {
    if let Some(slug) = concept {
        return match snap.states.iter().find(|s| s.concept == slug) {
            // A concept never studied is a new one, within the day's new limit (security
            // review 2026-11-29, L2): a practice link must not bypass it.
            Some(s) if s.is_new() && snap.plan().new_available == 0 => Err(QuizError::NewLimit),
            Some(s) if s.is_new() => Ok(Some((s.concept.clone(), "新概念", Mode::Normal))),
            Some(s) => Ok(Some((s.concept.clone(), "专项练习", Mode::Practice))),
            None if ctx.content.concept(slug).is_some() => Err(QuizError::Locked),
            None => Err(QuizError::NotFound),
        };
    }
    let (states, today, now, prefs) = (&snap.states, &snap.today, snap.now, &snap.prefs);
    if mode == Mode::Practice {
        let next = scheduler::practice_next(states, today, now, prefs);
        return Ok(next.map(|(c, retry)| {
            let why = if retry {
                "刚才答错了，换一道题再考这个概念"
            } else {
                "记忆最弱的概念"
            };
            (c, why, Mode::Practice)
        }));
    }
    Ok(match scheduler::pick_next(states, today, now, prefs) {
        Pick::Relearn(c) => Some((c, RETRY_REASON, Mode::Normal)),
        Pick::Due(c) => Some((c, "到期复习", Mode::Normal)),
        Pick::New(c) => Some((c, "新概念", Mode::Normal)),
        Pick::Done { .. } => None,
    })
}

/// Why a concept answered wrong today comes back: another of its questions, minutes later.
const RETRY_REASON: &str = "刚才答错了，换一道题再考这个概念";

/// The card she most needs of the concept (issue 19): a card she has never met, else the one
/// her own memory of it predicts weakest ([`card_pick`]); for the same-day retry, such a card
/// other than the one she missed ([`Retry::OtherCard`]: the lab measured re-asking the missed
/// fact minutes later as the dearer choice under both memory models).
async fn pick_card<'a>(
    ctx: &Ctx<'a>,
    snap: &Snapshot,
    learner: i64,
    cs: &ConceptState,
    retry: bool,
    rng: &mut StdRng,
) -> Result<&'a Card, QuizError> {
    let memory = snap.data.card_memory(ctx.db, learner).await?;
    let pool = Pool::of(ctx, &cs.concept);
    let candidates = pool.candidates(&memory, |_| true);
    let (now, decay) = (snap.now, snap.prefs.decay());
    // The missed card is her latest answer on the concept today, wherever she met it (an
    // in-page question of a paper she has not marked read included).
    let missed = retry
        .then(|| snap.today.iter().rev().find(|r| r.concept == cs.concept))
        .flatten()
        .filter(|r| r.rating == Rating::Again as u8)
        .and_then(|r| candidates.iter().find(|c| c.id == r.card));
    let read = pool.read(snap, &memory);
    let picked = missed
        .and_then(|m| card_pick::retry_card(&read, m.id, Retry::OtherCard, now, decay, rng))
        .or_else(|| card_pick::choose_card(&read, now, decay, rng))
        .ok_or_else(|| internal(format!("concept {} has no cards", cs.concept)))?;
    pool.card(picked.id)
}

/// A concept's cards, and the fact each tests.
struct Pool<'a> {
    all: Vec<&'a Card>,
    /// "paper/fact key" of each of `all`: cards of one fact in different kinds share it.
    facts: Vec<String>,
}

impl<'a> Pool<'a> {
    fn of(ctx: &Ctx<'a>, concept: &str) -> Pool<'a> {
        let all = ctx.cards.for_concept(concept);
        let facts = all
            .iter()
            .map(|c| format!("{}/{}", c.paper, c.fact_key))
            .collect();
        Pool { all, facts }
    }

    /// The cards `keep` keeps, as the card chooser sees them, with her memory of each.
    fn candidates<'m>(
        &'m self,
        memory: &'m CardMemories,
        keep: impl Fn(&Card) -> bool,
    ) -> Vec<Candidate<'m>> {
        self.all
            .iter()
            .zip(&self.facts)
            .filter(|(c, _)| keep(c))
            .map(|(c, fact)| Candidate {
                id: &c.id,
                fact,
                kind: c.kind.as_str(),
                memory: memory.get(&c.id),
            })
            .collect()
    }

    /// Those of the papers she has read, to choose from: a concept such as 基准测试 appears in
    /// six papers, and a question about one she has not opened yet is not a fair test of her
    /// reading. All of them when she has read none of its papers.
    fn read<'m>(&'m self, snap: &Snapshot, memory: &'m CardMemories) -> Vec<Candidate<'m>> {
        let read = self.candidates(memory, |c| snap.data.papers_read.contains(&c.paper));
        if read.is_empty() {
            self.candidates(memory, |_| true)
        } else {
            read
        }
    }

    fn card(&self, id: &str) -> Result<&'a Card, QuizError> {
        self.all
            .iter()
            .find(|c| c.id == id)
            .copied()
            .ok_or_else(|| internal("picked card vanished"))
    }
}

/// A card the daily quiz adds before its next planned question (issue 19 §2), if one is due:
/// first a further card of the concept just reviewed, then a card of a paper read lately that
/// she has not met.
async fn added_question<'a>(
    ctx: &Ctx<'a>,
    learner: i64,
    snap: &Snapshot,
) -> Result<Option<Question<'a>>, QuizError> {
    let memory = snap.data.card_memory(ctx.db, learner).await?;
    if let Some(q) = follow_up(ctx, learner, snap, &memory).await? {
        return Ok(Some(q));
    }
    if let Some(q) = intro(ctx, learner, snap, &memory) {
        return Ok(Some(q));
    }
    let wrong = missed_lately(ctx, snap, &memory);
    if wrong.is_empty() {
        return Ok(None);
    }
    let rho = rho(ctx, snap, learner).await?;
    Ok(comeback(ctx.signer, snap, &wrong, rho, learner))
}

/// The cards of papers she marked read in the last [`card_pick::COMEBACK_DAYS`] days whose
/// last answer was wrong, with her memory of each and its concept's state; not those of a
/// concept missed today, which waits for its retry.
fn missed_lately<'a, 'm>(
    ctx: &Ctx<'a>,
    snap: &'m Snapshot,
    memory: &'m CardMemories,
) -> Vec<(&'a Card, &'m CardMemory, &'m ConceptState)> {
    let lately = &snap.data.read_lately;
    if lately.is_empty() {
        return Vec::new();
    }
    let state = |c: &Card| snap.states.iter().find(|s| s.concept == c.concept);
    // From her memory, not from every card: on most quiz pages few of her cards are wrong.
    let mut wrong: Vec<_> = memory
        .iter()
        .filter(|(_, m)| !m.last_right)
        .filter_map(|(id, m)| Some((ctx.cards.get(id)?, m)))
        .filter(|(c, _)| lately.contains(&c.paper))
        .filter(|(c, _)| !scheduler::retry_pending(&snap.today, &c.concept))
        .filter_map(|(c, m)| Some((c, m, state(c)?)))
        .collect();
    // A map's order differs between processes; the choice among equals must not.
    wrong.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    wrong
}

/// Of [`missed_lately`], the card that comes back now ([`card_pick::comeback`]: answered at
/// most [`card_pick::COMEBACK_MAX_REVIEWS`] times, the miss at least a session ago, its
/// predicted recall under her target): the fact she missed comes back the next day, asked as
/// a review of its concept ([`Mode::Normal`]), as the lab measured it.
fn comeback<'a>(
    signer: &crate::signing::Signer,
    snap: &Snapshot,
    wrong: &[(&'a Card, &CardMemory, &ConceptState)],
    rho: Option<f32>,
    learner: i64,
) -> Option<Question<'a>> {
    let missed: Vec<card_pick::Missed> = wrong
        .iter()
        .map(|(c, m, s)| card_pick::Missed {
            id: &c.id,
            memory: m,
            concept: CardMemory::prior(s),
        })
        .collect();
    let (now, decay) = (snap.now, snap.prefs.decay());
    let target = snap.prefs.desired_retention;
    let id = card_pick::comeback(&missed, now, target, decay, rho)?;
    let &(card, _, cs) = wrong.iter().find(|(c, _, _)| c.id == id)?;
    let seed = question_seed(signer, learner, &cs.concept, cs.version);
    Some(Question {
        card,
        reason: "前几天答错的题，今天再考你一次",
        mode: Mode::Normal,
        version: cs.version,
        rng: StdRng::seed_from_u64(seed),
        added: Some(Added::Comeback),
    })
}

/// A further card of the concept whose scheduled review she just answered right, while the
/// concept has a card far below target and her own answers say one card does not stand for
/// the rest ([`card_pick::takes_extra`]); at most [`card_pick::EXTRA_CARDS`] of them.
async fn follow_up<'a>(
    ctx: &Ctx<'a>,
    learner: i64,
    snap: &Snapshot,
    memory: &CardMemories,
) -> Result<Option<Question<'a>>, QuizError> {
    let Some(cs) = card_pick::extra_candidate(&snap.today)
        .and_then(|k| snap.states.iter().find(|s| s.concept == k))
    else {
        return Ok(None);
    };
    let (now, decay) = (snap.now, snap.prefs.decay());
    let pool = Pool::of(ctx, &cs.concept);
    let read = pool.read(snap, memory);
    let target = snap.prefs.desired_retention;
    if !card_pick::needs_extra(&read, now, target, decay)
        || !card_pick::takes_extra(rho(ctx, snap, learner).await?)
    {
        return Ok(None);
    }
    let mut rng =
        StdRng::seed_from_u64(question_seed(ctx.signer, learner, &cs.concept, cs.version));
    let Some(picked) = card_pick::choose_card(&read, now, decay, &mut rng) else {
        return Ok(None);
    };
    Ok(Some(Question {
        card: pool.card(picked.id)?,
        reason: "再巩固一题：这个概念还有你没见过或快要忘的题",
        mode: Mode::Extra,
        version: cs.version,
        rng,
        added: Some(Added::FollowUp),
    }))
}

/// The first card, in reading order, of the papers she marked read in the last
/// [`card_pick::INTRO_DAYS`] days that she has not met yet, of a concept she has learned:
/// every card is met once near its reading (the page's own questions count). A concept still
/// new waits for its first planned question, within the daily new-concept limit.
/// A concept missed today waits until its retry has been answered.
fn intro<'a>(
    ctx: &Ctx<'a>,
    learner: i64,
    snap: &Snapshot,
    memory: &CardMemories,
) -> Option<Question<'a>> {
    let learned = |c: &Card| {
        snap.states
            .iter()
            .find(|s| s.concept == c.concept && !s.is_new())
    };
    let unmet: Vec<(&'a Card, &ConceptState)> = snap
        .data
        .read_recently
        .iter()
        .flat_map(|p| ctx.cards.cards.iter().filter(move |c| &c.paper == p))
        .filter(|c| !memory.get(&c.id).is_some_and(|m| m.seen()))
        // A concept missed today waits for its retry: another of its cards answered first
        // would stand in for the fact she missed.
        .filter(|c| !scheduler::retry_pending(&snap.today, &c.concept))
        .filter_map(|c| Some((c, learned(c)?)))
        .collect();
    let (card, cs) = *unmet.first()?;
    let seed = question_seed(ctx.signer, learner, &cs.concept, cs.version);
    Some(Question {
        card,
        reason: "刚读完的论文里你还没见过的题",
        mode: Mode::Extra,
        version: cs.version,
        rng: StdRng::seed_from_u64(seed),
        added: Some(Added::Intro { left: unmet.len() }),
    })
}

/// Her transfer ρ, estimated from her whole log ([`card_pick::estimate_rho`]) once per learner
/// day and process ([`store::cache::Cache::rho`]).
async fn rho(ctx: &Ctx<'_>, snap: &Snapshot, learner: i64) -> Result<Option<f32>, QuizError> {
    let day = snap.prefs.day_index(snap.now);
    if let Some(rho) = ctx.db.cache.rho.get(learner, 0, day) {
        return Ok(*rho);
    }
    let log = store::quiz::answer_log(ctx.db, learner).await?;
    let answers: Vec<card_pick::LoggedAnswer> = log
        .iter()
        .filter_map(|(at, card, concept, rating)| {
            Some(card_pick::LoggedAnswer {
                at: *at,
                card,
                concept,
                rating: Rating::from_u8(*rating)?,
            })
        })
        .collect();
    let rho = card_pick::estimate_rho(&answers, &snap.prefs);
    ctx.db.cache.rho.put(learner, 0, day, Arc::new(rho));
    Ok(rho)
}

/// A seed that is the same on every reload of the same question, so a reload shows the same
/// card with its options in the same order. Keyed with the server secret (an HMAC): from public
/// inputs alone the option order could be predicted and the right option picked blind (L1).
fn question_seed(
    signer: &crate::signing::Signer,
    learner: i64,
    concept: &str,
    version: i64,
) -> u64 {
    let mac = signer.sign(
        "paperdeck-question-seed",
        &[&learner.to_string(), concept, &version.to_string()],
    );
    // 40 hex digits; the first 16 are a u64.
    u64::from_str_radix(mac.get(..16).unwrap_or("0"), 16).unwrap_or(0)
}

/// What became of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Recorded now, as this review.
    New(i64),
    /// The question had been answered already (a double click, Back and resubmit, a second
    /// tab, a POST sent again): this is the review recorded then, and nothing was written.
    Again(i64),
}

impl Recorded {
    pub fn id(self) -> i64 {
        match self {
            Recorded::New(id) | Recorded::Again(id) => id,
        }
    }
}

/// Grades and records an answer. A question already answered is not an error: the answer
/// recorded for it stands, whatever this one says, and is returned as [`Recorded::Again`].
/// [`QuizError::Stale`] only when the concept moved on without an answer to this question
/// (it was undone, or another question of the concept was answered meanwhile).
pub async fn record_answer(
    ctx: &Ctx<'_>,
    learner: i64,
    sub: Submission,
) -> Result<Recorded, QuizError> {
    let (concept, card, version) = (sub.concept.clone(), sub.card.clone(), sub.version);
    let shown = sub.shown_at_ms.div_euclid(1000);
    match record_new(ctx, learner, sub).await {
        Err(QuizError::Stale) => {
            let asked = store::quiz::Asked {
                concept: &concept,
                version,
                shown,
            };
            let first = store::quiz::answered_at(ctx.db, learner, asked).await?;
            match first {
                Some((id, answered)) if answered == card => Ok(Recorded::Again(id)),
                _ => Err(QuizError::Stale),
            }
        }
        other => other.map(Recorded::New),
    }
}

/// [`record_answer`] for a question not answered yet: the new review's id, or
/// [`QuizError::Stale`] when the concept's version is no longer the question's.
async fn record_new(ctx: &Ctx<'_>, learner: i64, sub: Submission) -> Result<i64, QuizError> {
    if sub.answer.text.chars().count() > MAX_ANSWER_CHARS {
        return Err(QuizError::TooLong);
    }
    let card = ctx.cards.get(&sub.card).ok_or(QuizError::Retired)?;
    if card.concept != sub.concept {
        return Err(QuizError::Mismatch);
    }
    let (correct, rating) = grade(card, &sub.answer, ctx.names).map_err(QuizError::BadAnswer)?;
    let now_ms = ctx.clock.now_ms();
    let now = now_ms.div_euclid(1000);
    let (prefs, before) = state_before(ctx, learner, &sub.concept, now).await?;
    if before.version != sub.version {
        return Err(QuizError::Stale);
    }
    let kind = sub.mode.review_kind(&before);
    let out = apply(ctx.cards, &before, rating, now, &prefs, kind)?;
    let answer = Answer {
        learner,
        after: before.after(&out, now, &card.id),
        kind,
        before,
        card_id: card.id.clone(),
        answer: sub.answer.stored(),
        correct,
        rating,
        now,
        duration_ms: sub.duration_ms.clamp(0, MAX_ANSWER_MS),
        elapsed_days: out.elapsed_days,
        scheduled_days: out.scheduled_days,
        prefs,
    };
    ctx.writer.record(answer).await?.ok_or(QuizError::Stale)
}

/// An answer to a question inside a paper page. It goes through [`record_answer`] like any
/// other, so grading, the token and the version check are the quiz's; before that its concept is
/// unlocked (unlocked concepts are what she is quizzed on, and this answer is its first review
/// when she has not studied it yet), and after it the card's section counts as reached.
/// An answer that cannot be graded is refused before anything is written.
pub async fn answer_in_page(
    ctx: &Ctx<'_>,
    learner: i64,
    sub: Submission,
) -> Result<Recorded, QuizError> {
    if sub.answer.text.chars().count() > MAX_ANSWER_CHARS {
        return Err(QuizError::TooLong);
    }
    let card = ctx.cards.get(&sub.card).ok_or(QuizError::Retired)?;
    if card.concept != sub.concept {
        return Err(QuizError::Mismatch);
    }
    grade(card, &sub.answer, ctx.names).map_err(QuizError::BadAnswer)?;
    // The quiz's daily new-concept rule holds here too: a first answer is learning a concept, so
    // past today's limit the answer is graded and shown (by the caller) and nothing is written.
    let snap = snapshot(ctx, learner).await?;
    let known = snap
        .states
        .iter()
        .any(|s| s.concept == card.concept && !s.is_new());
    if !known && snap.plan().new_room() == 0 {
        return Err(QuizError::NewLimit);
    }
    let now = snap.now;
    store::reading::unlock(ctx.db, learner, &card.concept, now).await?;
    let recorded = record_answer(ctx, learner, sub).await?;
    store::reading::reach(ctx.db, learner, &card.paper, &card.section, now).await?;
    Ok(recorded)
}

/// Her preferences and the concept's state to build an answer on. The cached state is safe to
/// build on: the write applies only if the database's version still equals this one.
async fn state_before(
    ctx: &Ctx<'_>,
    learner: i64,
    concept: &str,
    now: i64,
) -> Result<(Prefs, ConceptState), QuizError> {
    let data = learner_data(ctx, learner, now).await?;
    let before = match data.states.iter().find(|s| s.concept == concept) {
        Some(s) => s.clone(),
        None => store::quiz::state(ctx.db, learner, concept)
            .await?
            .ok_or(QuizError::Locked)?,
    };
    Ok((data.prefs.clone(), before))
}

/// The outcome of an answer of `kind`: FSRS's at the concept's size-weighted target
/// ([`CardIndex::prefs_for`]), held back for extra practice (which must not raise memory
/// without spacing, L2). Answers and re-grades both come through here, so both schedule the
/// concept alike.
fn apply(
    cards: &CardIndex,
    before: &ConceptState,
    rating: Rating,
    at: i64,
    prefs: &Prefs,
    kind: ReviewKind,
) -> Result<Outcome, QuizError> {
    let prefs = cards.prefs_for(prefs, &before.concept);
    let out = scheduler::apply(before, rating, at, &prefs, &mut StdRng::from_os_rng())
        .map_err(|e| internal(format!("fsrs: {e:?}")))?;
    Ok(scheduler::for_kind(before, kind, out))
}

/// A card by id: live, or retired since (the stored copy still explains the old answer).
pub async fn card(ctx: &Ctx<'_>, id: &str) -> Result<Card, QuizError> {
    if let Some(c) = ctx.cards.get(id) {
        return Ok(c.clone());
    }
    store::cards::by_id(ctx.db, id)
        .await?
        .ok_or(QuizError::NotFound)
}

/// What the feedback page shows about one of her reviews.
pub struct Feedback {
    pub review: ReviewRow,
    pub card: Card,
    pub snap: Snapshot,
    /// Her latest answer, and nothing changed its concept since: it can be undone.
    pub current: bool,
}

impl Feedback {
    /// A right answer rated Good on a card she did not grade herself can become Hard or Easy.
    pub fn can_regrade(&self) -> bool {
        self.current && regradable(&self.review, &self.card)
    }

    /// 太简单 is offered only for a first answer or a spaced review (L2).
    pub fn can_easy(&self) -> bool {
        scheduler::spaced(self.review.kind, self.review.elapsed_days)
    }

    /// Whether the "我答对了，算我对" form is offered. The cached version may lag by a moment;
    /// the override checks it again in its transaction.
    pub fn can_override(&self) -> bool {
        let latest_of_concept =
            self.snap.states.iter().any(|s| {
                s.concept == self.review.concept && s.version == self.review.version_after
            });
        latest_of_concept && overridable(&self.review, &self.card).is_ok()
    }
}

pub async fn feedback(ctx: &Ctx<'_>, learner: i64, id: i64) -> Result<Feedback, QuizError> {
    let review = review(ctx, learner, id).await?;
    let card = card(ctx, &review.card_id).await?;
    let snap = snapshot(ctx, learner).await?;
    let current = store::quiz::is_current(ctx.db, learner, &review).await?;
    Ok(Feedback {
        review,
        card,
        snap,
        current,
    })
}

async fn review(ctx: &Ctx<'_>, learner: i64, id: i64) -> Result<ReviewRow, QuizError> {
    store::quiz::review(ctx.db, learner, id)
        .await?
        .ok_or(QuizError::NotFound)
}

fn regradable(review: &ReviewRow, card: &Card) -> bool {
    review.correct
        && !review.overridden
        && review.rating == Rating::Good as u8
        && card.kind != CardKind::Recall
}

/// Undoes her latest answer; returns the review undone.
pub async fn undo(ctx: &Ctx<'_>, learner: i64, id: i64) -> Result<ReviewRow, QuizError> {
    let review = review(ctx, learner, id).await?;
    if !store::quiz::undo(ctx.db, learner, &review).await? {
        return Err(QuizError::NotCurrent(
            "只能撤销刚刚提交的那一题，而且只能撤销一次；这次没有做任何修改。",
        ));
    }
    Ok(review)
}

/// Changes the rating of a right answer to Hard or Easy, while it is her latest answer.
pub async fn regrade(
    ctx: &Ctx<'_>,
    learner: i64,
    id: i64,
    rating: Rating,
) -> Result<i64, QuizError> {
    if !matches!(rating, Rating::Hard | Rating::Easy) {
        return Err(QuizError::RatingNotAllowed);
    }
    let review = review(ctx, learner, id).await?;
    let card = card(ctx, &review.card_id).await?;
    if !regradable(&review, &card) {
        return Err(QuizError::NotCurrent(
            "只有答对的题才能改成“太简单”或“有点犹豫”，而且只能改一次。",
        ));
    }
    if rating == Rating::Easy && !scheduler::spaced(review.kind, review.elapsed_days) {
        return Err(QuizError::NotCurrent(
            "只有第一次学习或隔了至少一天的复习才能改成“太简单”：同一天里再答对，说明不了记得牢。",
        ));
    }
    let done = recompute(ctx, learner, &review, rating, Regrade::Rating).await?;
    if !done {
        return Err(QuizError::NotCurrent(
            "这一题之后已经有了新的答题记录，不能再修改评分。",
        ));
    }
    Ok(review.id)
}

/// Recomputes the state after `review` from the state before it, at the time it was given,
/// with `rating`, exactly as answering would have; `false` when it no longer applies.
async fn recompute(
    ctx: &Ctx<'_>,
    learner: i64,
    review: &ReviewRow,
    rating: Rating,
    how: Regrade,
) -> Result<bool, QuizError> {
    let prefs = store::quiz::prefs(ctx.db, learner)
        .await?
        .ok_or_else(|| internal("learner row missing"))?;
    let out = apply(
        ctx.cards,
        &review.before,
        rating,
        review.reviewed_at,
        &prefs,
        review.kind,
    )?;
    let change = store::quiz::Regrading {
        review,
        rating: rating as u8,
        out: &out,
        how,
        prefs: &prefs,
    };
    Ok(store::quiz::regrade(ctx.db, learner, change).await?)
}

/// Whether a review is of the kind that can be overridden: a typed answer (fill-in card),
/// marked wrong, and not given up on. Self-graded recall cards have nothing to dispute, and
/// options of a choice card are either the answer or not.
pub fn overridable(review: &ReviewRow, card: &Card) -> Result<(), &'static str> {
    if review.overridden {
        Err("这一题已经算作答对了，不会重复修改。")
    } else if review.correct {
        Err("这一题本来就答对了，不需要“算我对”。")
    } else if card.kind != CardKind::Fill {
        Err("只有自己填写答案的题（填空题）才能改成“算我对”。")
    } else if review.answer == super::GAVE_UP {
        Err("这一题点了“不知道”，没有可以改判的答案。")
    } else {
        Ok(())
    }
}

/// "我答对了，算我对": turns a wrong typed answer into a right one (rated Good); the row keeps
/// `overridden = 1`. `version` is the concept version the form was shown for, and `token_ok`
/// whether the form's token (checked at the edge) matched it. Returns the review's id.
pub async fn override_answer(
    ctx: &Ctx<'_>,
    learner: i64,
    id: i64,
    version: i64,
    token_ok: bool,
) -> Result<i64, QuizError> {
    let review = review(ctx, learner, id).await?;
    let card = card(ctx, &review.card_id).await?;
    // Checked before the token: a repeated press after the override is the common case, and
    // it deserves "already done", not "invalid token".
    overridable(&review, &card).map_err(QuizError::NotCurrent)?;
    if !token_ok {
        return Err(QuizError::BadToken);
    }
    let moved_on = QuizError::NotCurrent(
        "这个概念在这一题之后又答过了（或撤销过），不能再改判这一题；没有做任何修改。",
    );
    if version != review.version_after
        || !recompute(ctx, learner, &review, Rating::Good, Regrade::Override).await?
    {
        return Err(moved_on);
    }
    Ok(review.id)
}

#[cfg(test)]
mod seed_tests {
    use super::question_seed;
    use crate::signing::Signer;

    /// L1: the same learner, concept and version give the same seed under one key (a reload
    /// shows the same question), and unrelated seeds under another key: without the key the
    /// option order cannot be computed.
    #[test]
    fn l1_option_order_is_keyed_with_the_server_secret() {
        let (a, b) = (
            Signer::new(&[1u8; 64]).unwrap(),
            Signer::new(&[2u8; 64]).unwrap(),
        );
        assert_eq!(
            question_seed(&a, 929, "rlhf", 3),
            question_seed(&a, 929, "rlhf", 3)
        );
        assert_ne!(
            question_seed(&a, 929, "rlhf", 3),
            question_seed(&b, 929, "rlhf", 3)
        );
        assert_ne!(
            question_seed(&a, 929, "rlhf", 3),
            question_seed(&a, 929, "rlhf", 4)
        );
    }
}
