//! A per-process cache of what every quiz page reads: the learner's preferences, concept
//! states, today's answers, when she last saw each card, the sections she has reached and her
//! latest answers on each paper page, her backup-reminder times, and log-in sessions.
//!
//! Why: with SQLite each query is a round trip to a connection's worker thread, and on a busy
//! server those hand-offs, not the queries, dominate the cost of a page. The app writes this
//! data only through the store, and every store function that writes a learner's data calls
//! [`Cache::forget`] for her (or, for an answer, [`Cache::answered`]), so a page never shows what
//! the database no longer holds. Each of those writes bumps the learner's generation, and a load
//! keeps its result only if the generation did not move while it read: without that, a load
//! that read just before a write could put the old data back for a whole TTL. Writes from outside the
//! process (`paperdeck import` while the server runs) are picked up when an entry expires
//! (after `ttl`, [`TTL`] by default; on a shared database at once, and entries do not expire
//! there: see [`Cache::fresh`]). Correctness never rests on the cache: answers are checked against the database's
//! version of the concept inside the write transaction.
//!
//! Several instances on one PostgreSQL database ([`super::Backend::shared`]) cannot see each
//! other's writes in memory, so there the cache is checked against the database on every use,
//! and it is strictly correct, not just eventually:
//! - every transaction that changes what [`LearnerData`] holds bumps `learners.data_version` for
//!   her ([`super::bump`]) and commits the change and the bump together;
//! - a load reads her `data_version` *before* the data, and the entry keeps that version; the
//!   data it read is at least that new (it may be newer, which only makes the entry look old);
//! - each use reads her current `data_version` (one primary-key read, or the one read with her
//!   session earlier in the request: [`Seen`]) and uses the entry only if the two are equal: then
//!   no write of hers committed between the entry's load and that read, so the entry is exactly
//!   what the database held for her then;
//! - an answer this process commits updates the entry in place only if the version the commit
//!   returned is the entry's plus one (no other instance wrote between); otherwise it drops it.
//!
//! So a page never shows a question another instance has already taken an answer for, without
//! relying on notifications that could arrive late or be lost. Sessions are not cached there at
//! all: a log-out on one instance must end the session on every instance at once.

use super::learners::SessionRow;
use super::reading::LastAnswer;
use super::Db;
use crate::reading::Reached;
use crate::scheduler::card_pick::{self, CardMemory};
use crate::scheduler::{ConceptState, Prefs, TodayReview};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A learner's `data_version` read earlier in this request, together with her session: on a
/// shared database it stands in for the version check a cached entry needs, so a quiz page
/// costs one round trip instead of two. The page then shows the database as it was when the
/// request's session was read, as the separate check showed it as it was a moment later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub learner: i64,
    pub data_version: i64,
}

/// How long an entry is trusted without a write from this process, by default.
pub const TTL: Duration = Duration::from_secs(30);
/// Entries kept at most; past this the cache starts afresh (a bound, not a policy).
const MAX_ENTRIES: usize = 20_000;
/// [`PerVersion`] values kept at most: they are larger (a page's charts), and only learners
/// looking at their progress now need one.
const MAX_DERIVED: usize = 1_000;

#[derive(Debug)]
pub struct LearnerData {
    loaded: Instant,
    /// Her `data_version` read before this entry's data (see the module doc).
    version: i64,
    pub prefs: Prefs,
    /// Shared with every page's snapshot of this entry, which copied them before (a tenth of
    /// a logged-in paper page's time).
    pub states: Arc<[ConceptState]>,
    /// The learner day `today` belongs to.
    pub day: i64,
    pub today: Arc<[TodayReview]>,
    /// Slugs of the papers she has marked read.
    pub papers_read: Vec<String>,
    /// Those she marked read in the last [`card_pick::INTRO_DAYS`] learner days, oldest first:
    /// their cards she has not met come into the daily quiz.
    pub read_recently: Vec<String>,
    /// Those she marked read in the last [`card_pick::COMEBACK_DAYS`] learner days: a card of
    /// theirs she got wrong comes back the next day ([`card_pick::comeback`]).
    pub read_lately: Vec<String>,
    /// Every section she has reached, oldest first ("继续读", the reading marks on paper pages).
    pub reached: Vec<Reached>,
    /// When she last exported and dismissed the backup reminder (/progress).
    pub backups: super::learners::Backups,
    /// How many of her recovery codes are unused (the home page's quiet line when none is).
    pub codes_unused: i64,
    /// Card id → her memory of it, loaded when a question is first chosen: pages that choose
    /// no card (home, progress) never read it.
    cards: Mutex<Option<Arc<CardMemories>>>,
    /// Paper → her latest answer to each of its cards, loaded when its page is first shown. Any
    /// answer may change it (a quiz answer is her latest answer too), so an entry made by
    /// [`LearnerData::with_answer`] starts without it.
    answered: Mutex<HashMap<String, Arc<Vec<LastAnswer>>>>,
}

/// A learner's card memory by card id.
pub type CardMemories = HashMap<String, CardMemory>;

impl LearnerData {
    /// Her `data_version` that this entry's data is at least as new as (see the module doc).
    pub fn version(&self) -> i64 {
        self.version
    }

    /// Her card memory, from the cache or the database.
    pub async fn card_memory(&self, db: &Db, learner: i64) -> sqlx::Result<Arc<CardMemories>> {
        if let Some(m) = self.cards.lock().ok().and_then(|m| m.clone()) {
            return Ok(m);
        }
        let m = Arc::new(super::card_memory::of_learner(db, learner).await?);
        if let Ok(mut slot) = self.cards.lock() {
            *slot = Some(m.clone());
        }
        Ok(m)
    }

    /// Her latest answer to each card of `paper` she has answered, from the cache or the
    /// database: a paper page she reloads, or comes back to, costs no query.
    pub async fn answered_on(
        &self,
        db: &Db,
        learner: i64,
        paper: &str,
    ) -> sqlx::Result<Arc<Vec<LastAnswer>>> {
        if let Some(a) = self
            .answered
            .lock()
            .ok()
            .and_then(|m| m.get(paper).cloned())
        {
            return Ok(a);
        }
        let a = Arc::new(super::reading::answered_cards(db, learner, paper).await?);
        if let Ok(mut m) = self.answered.lock() {
            m.insert(paper.to_string(), a.clone());
        }
        Ok(a)
    }
}

impl LearnerData {
    /// This entry after an answer committed at `at`.
    fn with_answer(
        &self,
        state: ConceptState,
        review: TodayReview,
        (card, memory): (&str, CardMemory),
        at: i64,
    ) -> Self {
        let mut states = self.states.to_vec();
        match states.iter_mut().find(|s| s.concept == state.concept) {
            Some(s) => *s = state,
            None => states.push(state),
        }
        let mut today = self.today.to_vec();
        if self.prefs.day_index(at) == self.day {
            today.push(review);
        }
        // Only a map already loaded is updated; else it loads whole when first needed.
        let cards = self.cards.lock().ok().and_then(|m| m.clone()).map(|m| {
            let mut m = CardMemories::clone(&m);
            m.insert(card.to_string(), memory);
            Arc::new(m)
        });
        LearnerData {
            loaded: self.loaded,
            version: self.version + 1,
            prefs: self.prefs.clone(),
            states: states.into(),
            day: self.day,
            today: today.into(),
            papers_read: self.papers_read.clone(),
            read_recently: self.read_recently.clone(),
            read_lately: self.read_lately.clone(),
            reached: self.reached.clone(),
            backups: self.backups,
            codes_unused: self.codes_unused,
            cards: Mutex::new(cards),
            answered: Mutex::default(),
        }
    }
}

/// Reads a learner's entry from the database; `None` when there is no such learner.
async fn load(db: &Db, id: i64, now: i64) -> sqlx::Result<Option<LearnerData>> {
    // Before the data, never after: see the module doc.
    let Some(version) = data_version(db, id).await? else {
        return Ok(None);
    };
    let Some(prefs) = super::quiz::prefs(db, id).await? else {
        return Ok(None);
    };
    let day = prefs.day_index(now);
    let states = super::quiz::states(db, id).await?;
    let today = super::quiz::reviews_since(db, id, prefs.day_start(day)).await?;
    let read = super::quiz::papers_read(db, id).await?;
    let read_within = |days: i64| -> Vec<String> {
        read.iter()
            .filter(|(_, at)| prefs.day_index(*at) > day - days)
            .map(|(p, _)| p.clone())
            .collect()
    };
    let read_recently = read_within(card_pick::INTRO_DAYS);
    let read_lately = read_within(card_pick::COMEBACK_DAYS);
    let papers_read = read.into_iter().map(|(p, _)| p).collect();
    let reached = super::reading::reached(db, id).await?;
    let backups = super::learners::backups(db, id).await?;
    let codes_unused = super::recovery::unused(db, id).await?;
    Ok(Some(LearnerData {
        loaded: Instant::now(),
        version,
        prefs,
        states: states.into(),
        day,
        today: today.into(),
        papers_read,
        read_recently,
        read_lately,
        reached,
        backups,
        codes_unused,
        cards: Mutex::default(),
        answered: Mutex::default(),
    }))
}

/// Her `data_version` as this request knows it: read with her session, else read now.
async fn version_now(db: &Db, id: i64, seen: Option<Seen>) -> sqlx::Result<Option<i64>> {
    match seen {
        Some(s) if s.learner == id => Ok(Some(s.data_version)),
        _ => data_version(db, id).await,
    }
}

/// Her `data_version` as committed now; `None` when there is no such learner.
async fn data_version(db: &Db, id: i64) -> sqlx::Result<Option<i64>> {
    let q = bound!("SELECT data_version FROM learners WHERE id = $1", id);
    super::first_as(q, &db.read, |r| sqlx::Row::try_get(r, 0)).await
}

#[derive(Debug, Clone)]
struct SessionEntry {
    row: SessionRow,
    loaded: Instant,
}

/// The learner entries and, per learner, the generation of her data: bumped by every write
/// that concerns her, so a load that began before the write can tell it is out of date.
#[derive(Debug, Default)]
struct Learners {
    entries: HashMap<i64, Arc<LearnerData>>,
    generations: HashMap<i64, u64>,
    /// Bumped when the maps are cleared, which forgets every generation: a load that began
    /// before then may not insert.
    epoch: u64,
}

impl Learners {
    fn generation(&self, id: i64) -> (u64, u64) {
        (self.epoch, self.generations.get(&id).copied().unwrap_or(0))
    }

    fn bump(&mut self, id: i64) {
        if self.generations.len() >= MAX_ENTRIES {
            self.entries.clear();
            self.generations.clear();
            self.epoch += 1;
        }
        *self.generations.entry(id).or_default() += 1;
    }
}

/// Taken before a load reads the database; the load's result is kept only if no write
/// concerning the learner happened since (see [`Cache::finish_load`]).
#[derive(Debug, Clone, Copy)]
struct LoadTicket {
    id: i64,
    generation: (u64, u64),
}

#[derive(Debug)]
pub struct Cache {
    ttl: Duration,
    /// Other processes write the same database: check entries against it (module doc).
    shared: bool,
    learners: Mutex<Learners>,
    sessions: Mutex<HashMap<String, SessionEntry>>,
    /// Her transfer ρ ([`card_pick::estimate_rho`]) by learner day, not by version: it moves
    /// slowly, and a 40,000-answer log should not be read again at every answer. Kept under
    /// version 0.
    pub rho: PerVersion<Option<f32>>,
}

impl Default for Cache {
    fn default() -> Cache {
        Cache::new(TTL, false)
    }
}

impl Cache {
    /// A cache whose entries live `ttl`; zero turns caching off. `shared`: other processes
    /// write the same database (see the module doc).
    pub fn new(ttl: Duration, shared: bool) -> Cache {
        Cache {
            ttl,
            shared,
            learners: Mutex::default(),
            sessions: Mutex::default(),
            rho: PerVersion::default(),
        }
    }

    /// The learner's scheduling data at `now`, from the cache or freshly loaded.
    /// `Ok(None)` when there is no such learner. `seen`: her version read with this request's
    /// session, if it was.
    pub async fn learner(
        &self,
        db: &Db,
        id: i64,
        now: i64,
        seen: Option<Seen>,
    ) -> sqlx::Result<Option<Arc<LearnerData>>> {
        if let Some(d) = self.fresh(id, now) {
            if !self.shared || version_now(db, id, seen).await? == Some(d.version) {
                return Ok(Some(d));
            }
        }
        let ticket = self.begin_load(id);
        let Some(data) = load(db, id, now).await? else {
            return Ok(None);
        };
        let data = Arc::new(data);
        self.finish_load(ticket, data.clone());
        Ok(Some(data))
    }

    /// Her entry, if it may be used today. On a shared database every use checks it against her
    /// data version, which every write of hers moves, so its age adds nothing there: expiring it
    /// made every active learner reload at once each `ttl` (the PostgreSQL quiz page's p99 40–50
    /// ms every 30 s, 12–15 ms with no expiry; `bench/RESULTS.md`). A zero `ttl` still turns
    /// the cache off.
    fn fresh(&self, id: i64, now: i64) -> Option<Arc<LearnerData>> {
        let d = self.learners.lock().ok()?.entries.get(&id).cloned()?;
        let live = !self.ttl.is_zero() && (self.shared || d.loaded.elapsed() < self.ttl);
        (live && d.prefs.day_index(now) == d.day).then_some(d)
    }

    fn begin_load(&self, id: i64) -> LoadTicket {
        let generation = self
            .learners
            .lock()
            .map(|l| l.generation(id))
            .unwrap_or((u64::MAX, u64::MAX));
        LoadTicket { id, generation }
    }

    /// Keeps a loaded entry unless a write concerning the learner came after the ticket was
    /// taken: that write's data may be missing from what was read, and the entry would show it
    /// for up to the TTL. Returns whether the entry was kept.
    fn finish_load(&self, ticket: LoadTicket, data: Arc<LearnerData>) -> bool {
        let Ok(mut l) = self.learners.lock() else {
            return false;
        };
        if l.generation(ticket.id) != ticket.generation {
            return false;
        }
        if l.entries.len() >= MAX_ENTRIES {
            l.entries.clear();
        }
        l.entries.insert(ticket.id, data);
        true
    }

    /// Brings a cached entry up to date after an answer this process has just committed, so the
    /// next question needs no database read. Without an entry there is nothing to do.
    pub(super) fn answered(
        &self,
        id: i64,
        state: ConceptState,
        review: TodayReview,
        card: (&str, CardMemory),
        at: i64,
        version: i64,
    ) {
        let Ok(mut l) = self.learners.lock() else {
            return;
        };
        // A load in flight read the database before this answer: it must not insert.
        l.bump(id);
        let Some(old) = l.entries.get(&id) else {
            return;
        };
        if old.version + 1 != version {
            // Another process wrote her data since the entry was loaded.
            l.entries.remove(&id);
            return;
        }
        let data = Arc::new(old.with_answer(state, review, card, at));
        l.entries.insert(id, data);
    }

    /// Drops what is cached for a learner. The store calls it after every write that concerns
    /// her; a load that began before it will not put its (older) result back.
    pub fn forget(&self, id: i64) {
        if let Ok(mut l) = self.learners.lock() {
            l.bump(id);
            l.entries.remove(&id);
        }
    }

    pub fn session(&self, sid: &str) -> Option<SessionRow> {
        if self.shared {
            return None;
        }
        let m = self.sessions.lock().ok()?;
        m.get(sid)
            .filter(|e| e.loaded.elapsed() < self.ttl)
            .map(|e| e.row.clone())
    }

    pub fn put_session(&self, sid: &str, row: SessionRow) {
        if self.shared {
            return;
        }
        if let Ok(mut m) = self.sessions.lock() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert(
                sid.to_string(),
                SessionEntry {
                    row,
                    loaded: Instant::now(),
                },
            );
        }
    }

    /// Drops every cached session of a learner (after "log out everywhere" or a password
    /// change), so none of them stays valid for the cache's lifetime.
    pub fn forget_sessions_of(&self, learner_id: i64) {
        if let Ok(mut m) = self.sessions.lock() {
            m.retain(|_, e| e.row.learner_id != learner_id);
        }
    }

    pub fn forget_session(&self, sid: &str) {
        if let Ok(mut m) = self.sessions.lock() {
            m.remove(sid);
        }
    }
}

/// Values computed from a learner's data that stay right while her `data_version` and her day
/// do: every write to what they are computed from bumps the version in its transaction
/// ([`super::bump`]), on every backend and from every instance, so an entry is used only for the
/// version (and day) it was computed at and needs no dropping. What /progress computes from her
/// whole review log lives here: a 40,000-review log costs a read and a pass per version, not
/// per page.
#[derive(Debug)]
pub struct PerVersion<T> {
    /// Learner → (version, day, value).
    entries: Mutex<HashMap<i64, Versioned<T>>>,
    /// One computation at a time per stripe of learners ([`PerVersion::get_or_compute`]).
    computing: [tokio::sync::Mutex<()>; COMPUTE_STRIPES],
}

type Versioned<T> = (i64, i64, Arc<T>);

/// Learners whose values may be computed at the same time, at most (by learner id modulo this).
const COMPUTE_STRIPES: usize = 16;

impl<T> Default for PerVersion<T> {
    fn default() -> Self {
        PerVersion {
            entries: Mutex::default(),
            computing: std::array::from_fn(|_| tokio::sync::Mutex::new(())),
        }
    }
}

impl<T> PerVersion<T> {
    /// The value for `learner` at `version` on `day`, computed by `compute` when it is not kept.
    /// Requests that miss together wait for the first one's result: 32 requests of the
    /// 40,000-answer learner each read her whole log at once, held the read connections for
    /// seconds, and every other learner's pages waited for them (scale bench, 2026-12-07).
    pub async fn get_or_compute<E, F>(
        &self,
        learner: i64,
        version: i64,
        day: i64,
        compute: impl FnOnce() -> F,
    ) -> Result<Arc<T>, E>
    where
        F: std::future::Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.get(learner, version, day) {
            return Ok(value);
        }
        let stripe = learner.rem_euclid(COMPUTE_STRIPES as i64) as usize;
        let _turn = self.computing[stripe].lock().await;
        if let Some(value) = self.get(learner, version, day) {
            return Ok(value);
        }
        let value = Arc::new(compute().await?);
        self.put(learner, version, day, value.clone());
        Ok(value)
    }

    /// The value computed for `learner` at `version` on `day`, if it is the one kept.
    pub fn get(&self, learner: i64, version: i64, day: i64) -> Option<Arc<T>> {
        let m = self.entries.lock().ok()?;
        let (v, d, value) = m.get(&learner)?;
        (*v == version && *d == day).then(|| value.clone())
    }

    /// Keeps `value` as computed for `learner` at `version` on `day`, in place of an older one.
    pub fn put(&self, learner: i64, version: i64, day: i64, value: Arc<T>) {
        if let Ok(mut m) = self.entries.lock() {
            if m.len() >= MAX_DERIVED && !m.contains_key(&learner) {
                m.clear();
            }
            // Two requests may compute at once: the newer version stays.
            if m.get(&learner).is_some_and(|(v, _, _)| *v > version) {
                return;
            }
            m.insert(learner, (version, day, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(states: usize) -> Arc<LearnerData> {
        let prefs = Prefs::default();
        Arc::new(LearnerData {
            loaded: Instant::now(),
            version: 0,
            day: prefs.day_index(0),
            prefs,
            states: (0..states)
                .map(|i| ConceptState::new(&format!("c{i}"), 0))
                .collect(),
            today: Arc::from([]),
            papers_read: Vec::new(),
            read_recently: Vec::new(),
            read_lately: Vec::new(),
            reached: Vec::new(),
            backups: Default::default(),
            codes_unused: 0,
            cards: Mutex::default(),
            answered: Mutex::default(),
        })
    }

    fn cached(cache: &Cache, id: i64) -> Option<Arc<LearnerData>> {
        cache.fresh(id, 0)
    }

    #[test]
    fn a_load_that_began_before_a_forget_is_not_kept() {
        let cache = Cache::new(TTL, false);
        let ticket = cache.begin_load(7);
        // A write (mark a paper read) lands while the load is reading the database ...
        cache.forget(7);
        // ... so what the load read is older than the database and must not be cached.
        assert!(!cache.finish_load(ticket, entry(1)));
        assert!(cached(&cache, 7).is_none());
        // A load that begins after the write is kept.
        let ticket = cache.begin_load(7);
        assert!(cache.finish_load(ticket, entry(2)));
        assert_eq!(cached(&cache, 7).map(|d| d.states.len()), Some(2));
    }

    #[test]
    fn an_entry_expires_after_the_ttl_only_where_nothing_checks_its_version() {
        let short = Duration::from_millis(20);
        for (shared, kept) in [(false, false), (true, true)] {
            let cache = Cache::new(short, shared);
            let t = cache.begin_load(3);
            assert!(cache.finish_load(t, entry(1)));
            assert!(cached(&cache, 3).is_some(), "shared {shared}: at once");
            std::thread::sleep(short * 2);
            assert_eq!(
                cached(&cache, 3).is_some(),
                kept,
                "shared {shared}: after the TTL"
            );
        }
        // A zero TTL is no cache, on either kind of database.
        for shared in [false, true] {
            let cache = Cache::new(Duration::ZERO, shared);
            let t = cache.begin_load(3);
            cache.finish_load(t, entry(1));
            assert!(cached(&cache, 3).is_none(), "shared {shared}");
        }
    }

    #[test]
    fn a_load_that_began_before_an_answer_does_not_overwrite_it() {
        let cache = Cache::new(TTL, false);
        let t = cache.begin_load(1);
        assert!(cache.finish_load(t, entry(1)));
        let slow = cache.begin_load(1);
        let mut after = ConceptState::new("c0", 0);
        after.version = 1;
        let review = TodayReview {
            concept: "c0".into(),
            card: "card".into(),
            rating: 3,
            kind: crate::scheduler::ReviewKind::Learn,
        };
        let prefs = crate::scheduler::Prefs::default();
        let learn = crate::scheduler::ReviewKind::Learn;
        let memory = CardMemory::update(None, crate::scheduler::Rating::Good, learn, 0, &prefs);
        cache.answered(1, after, review, ("card", memory.unwrap()), 0, 1);
        assert!(!cache.finish_load(slow, entry(1)));
        let d = cached(&cache, 1).expect("the answered entry stays");
        assert_eq!(d.states[0].version, 1);
        assert_eq!(d.today.len(), 1);
    }

    #[test]
    fn a_per_version_value_is_used_only_at_its_version_and_day() {
        let memo: PerVersion<&str> = PerVersion::default();
        assert!(memo.get(1, 5, 100).is_none());
        memo.put(1, 5, 100, Arc::new("v5"));
        assert_eq!(memo.get(1, 5, 100).as_deref(), Some(&"v5"));
        assert!(
            memo.get(1, 6, 100).is_none(),
            "a write moved her version on"
        );
        assert!(memo.get(1, 5, 101).is_none(), "the day turned");
        assert!(memo.get(2, 5, 100).is_none(), "another learner");
        memo.put(1, 7, 100, Arc::new("v7"));
        memo.put(1, 6, 100, Arc::new("v6 computed late"));
        assert_eq!(memo.get(1, 7, 100).as_deref(), Some(&"v7"));
    }

    /// Requests that miss together compute once: the others wait and get the first one's value.
    #[tokio::test]
    async fn requests_that_miss_together_compute_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let memo: PerVersion<usize> = PerVersion::default();
        let runs = AtomicUsize::new(0);
        let runs = &runs;
        let compute = move || async move {
            let n = runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok::<_, ()>(n + 100)
        };
        let ask = || memo.get_or_compute(1, 5, 100, compute);
        let got = tokio::join!(ask(), ask(), ask(), ask());
        assert_eq!(runs.load(Ordering::SeqCst), 1, "computed more than once");
        for v in [got.0, got.1, got.2, got.3] {
            assert_eq!(v.as_deref(), Ok(&100));
        }
        // Another version (a write of hers) computes again; an error is passed on, not kept.
        let again = memo.get_or_compute(1, 6, 100, compute).await;
        assert_eq!(again.as_deref(), Ok(&101));
        let failed = memo
            .get_or_compute(1, 7, 100, || async { Err::<usize, _>("database") })
            .await;
        assert_eq!(failed, Err("database"));
        assert!(memo.get(1, 7, 100).is_none());
    }

    #[test]
    fn a_forget_for_one_learner_leaves_others_loads_alone() {
        let cache = Cache::new(TTL, false);
        let mine = cache.begin_load(1);
        cache.forget(2);
        assert!(cache.finish_load(mine, entry(1)));
    }

    /// On a shared database the version read with the session replaces the check, and only
    /// for its own learner: another instance's write after that read is seen on the next
    /// request, whose session read carries the new version.
    #[tokio::test]
    async fn a_version_read_with_the_session_stands_in_for_the_check() {
        let (_dir, db) = Db::temporary().await;
        let now = 1_767_225_600;
        let id = super::super::learners::create(&db, "ann", "ann", "h", now)
            .await
            .expect("create")
            .expect("new");
        let cache = Cache::new(TTL, true);
        let with = |learner, data_version| {
            Some(Seen {
                learner,
                data_version,
            })
        };
        let (cache, db) = (&cache, &db);
        let get = |seen| async move {
            let got = cache.learner(db, id, now, seen).await.expect("read");
            got.expect("her")
        };
        let first = get(None).await;
        // Another instance writes: the database's version moves on, this cache does not know.
        sqlx::query("UPDATE learners SET data_version = data_version + 1 WHERE id = $1")
            .bind(id)
            .execute(&db.write)
            .await
            .expect("bump");
        let same = get(with(id, first.version)).await;
        assert!(
            Arc::ptr_eq(&first, &same),
            "the session's version was not used"
        );
        let checked = get(with(id + 1, first.version)).await;
        assert!(
            !Arc::ptr_eq(&first, &checked),
            "another learner's version was used"
        );
        assert_eq!(checked.version, first.version + 1);
        let kept = get(with(id, checked.version)).await;
        assert!(
            Arc::ptr_eq(&checked, &kept),
            "a current version was not trusted"
        );
    }
}
