//! A per-process cache of what every quiz page reads: the learner's preferences, concept
//! states, today's answers, when she last saw each card, and log-in sessions.
//!
//! Why: with SQLite each query is a round trip to a connection's worker thread, and on a busy
//! server those hand-offs, not the queries, dominate the cost of a page. The app writes this
//! data only through its own handlers, and each of them calls [`Cache::forget`] for the learner
//! it changed, so a page never shows what the database no longer holds. Writes from outside the
//! process (`paperdeck import` while the server runs) are picked up when an entry expires
//! (after `ttl`, [`TTL`] by default). Correctness never rests on the cache: answers are checked against the database's
//! version of the concept inside the write transaction.

use super::learners::SessionRow;
use super::Db;
use crate::scheduler::{ConceptState, Prefs, TodayReview};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an entry is trusted without a write from this process, by default.
pub const TTL: Duration = Duration::from_secs(30);
/// Entries kept at most; past this the cache starts afresh (a bound, not a policy).
const MAX_ENTRIES: usize = 20_000;

#[derive(Debug)]
pub struct LearnerData {
    loaded: Instant,
    pub prefs: Prefs,
    pub states: Vec<ConceptState>,
    /// The learner day `today` belongs to.
    pub day: i64,
    pub today: Vec<TodayReview>,
    /// Slugs of the papers she has marked read.
    pub papers_read: Vec<String>,
    /// Concept → (card id → the last time she answered it), filled per concept as questions on
    /// it are shown: loading every card's history up front costs a scan of her whole log.
    last_seen: Mutex<HashMap<String, HashMap<String, i64>>>,
}

impl LearnerData {
    /// When she last saw each card of `concept`, from the cache or the database.
    pub async fn last_seen(
        &self,
        db: &Db,
        learner: i64,
        concept: &str,
    ) -> Result<HashMap<String, i64>, sqlx::Error> {
        if let Some(m) = self
            .last_seen
            .lock()
            .ok()
            .and_then(|m| m.get(concept).cloned())
        {
            return Ok(m);
        }
        let m = super::quiz::card_last_seen(db, learner, concept).await?;
        if let Ok(mut all) = self.last_seen.lock() {
            all.insert(concept.to_string(), m.clone());
        }
        Ok(m)
    }
}

#[derive(Debug, Clone)]
struct SessionEntry {
    row: SessionRow,
    loaded: Instant,
}

#[derive(Debug)]
pub struct Cache {
    ttl: Duration,
    learners: Mutex<HashMap<i64, Arc<LearnerData>>>,
    sessions: Mutex<HashMap<String, SessionEntry>>,
}

impl Default for Cache {
    fn default() -> Cache {
        Cache::new(TTL)
    }
}

impl Cache {
    /// A cache whose entries live `ttl`; zero turns caching off.
    pub fn new(ttl: Duration) -> Cache {
        Cache {
            ttl,
            learners: Mutex::default(),
            sessions: Mutex::default(),
        }
    }

    /// The learner's scheduling data at `now`, from the cache or freshly loaded.
    /// `Ok(None)` when there is no such learner.
    pub async fn learner(
        &self,
        db: &Db,
        id: i64,
        now: i64,
    ) -> Result<Option<Arc<LearnerData>>, sqlx::Error> {
        if let Some(d) = self.learners.lock().ok().and_then(|m| m.get(&id).cloned()) {
            if d.loaded.elapsed() < self.ttl && d.prefs.day_index(now) == d.day {
                return Ok(Some(d));
            }
        }
        let Some(prefs) = super::quiz::prefs(db, id).await? else {
            return Ok(None);
        };
        let day = prefs.day_index(now);
        let states = super::quiz::states(db, id).await?;
        let today = super::quiz::reviews_since(db, id, prefs.day_start(day)).await?;
        let papers_read = super::quiz::papers_read(db, id)
            .await?
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        let data = Arc::new(LearnerData {
            loaded: Instant::now(),
            prefs,
            states,
            day,
            today,
            papers_read,
            last_seen: Mutex::default(),
        });
        if let Ok(mut m) = self.learners.lock() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert(id, data.clone());
        }
        Ok(Some(data))
    }

    /// Brings a cached entry up to date after an answer this process has just committed, so the
    /// next question needs no database read. Without an entry there is nothing to do.
    pub fn answered(&self, id: i64, state: ConceptState, review: TodayReview, card: &str, at: i64) {
        let Ok(mut m) = self.learners.lock() else {
            return;
        };
        let Some(old) = m.get(&id) else {
            return;
        };
        let concept = state.concept.clone();
        let mut states = old.states.clone();
        match states.iter_mut().find(|s| s.concept == state.concept) {
            Some(s) => *s = state,
            None => states.push(state),
        }
        let mut today = old.today.clone();
        if old.prefs.day_index(at) == old.day {
            today.push(review);
        }
        let mut last_seen = old.last_seen.lock().map(|m| m.clone()).unwrap_or_default();
        // Only a concept already loaded is updated; another loads whole when first needed.
        if let Some(cards) = last_seen.get_mut(&concept) {
            cards.insert(card.to_string(), at);
        }
        let data = Arc::new(LearnerData {
            loaded: old.loaded,
            prefs: old.prefs.clone(),
            states,
            day: old.day,
            today,
            papers_read: old.papers_read.clone(),
            last_seen: Mutex::new(last_seen),
        });
        m.insert(id, data);
    }

    /// Drops what is cached for a learner: call after every write that concerns her.
    pub fn forget(&self, id: i64) {
        if let Ok(mut m) = self.learners.lock() {
            m.remove(&id);
        }
    }

    pub fn session(&self, sid: &str) -> Option<SessionRow> {
        let m = self.sessions.lock().ok()?;
        m.get(sid)
            .filter(|e| e.loaded.elapsed() < self.ttl)
            .map(|e| e.row.clone())
    }

    pub fn put_session(&self, sid: &str, row: SessionRow) {
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
