//! Per-card memory (`card_memory`): the FSRS state of each card she has answered, which picks
//! the card of a concept review ([`crate::scheduler::card_pick`]).
//!
//! It is derived data: replaying her reviews in id order gives it. An answer steps its card's
//! row in the answer's own transaction ([`step_in`]), so the two commit or fail together; undo
//! and re-grading replay the card ([`replay_card_in`]); learners who answered before the table
//! existed, and imports, rebuild the whole learner ([`rebuild`]) from the
//! `card_memory_rebuild` queue, one learner per transaction.

use super::{Conn, Db};
use crate::scheduler::card_pick::{self, CardMemory};
use crate::scheduler::{Prefs, Rating, ReviewKind};
use fsrs::MemoryState;
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use std::collections::{BTreeMap, HashMap};

/// Learners rebuilt per page of the queue at start-up.
const REBUILD_PAGE: i64 = 100;

/// One row of `card_memory` without `learner_id`, as an export file carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardRow {
    pub card_id: String,
    pub stability: f32,
    pub difficulty: f32,
    pub last_review_at: i64,
    pub last_right: bool,
    pub reviews: i64,
}

impl CardRow {
    pub fn memory(&self) -> CardMemory {
        CardMemory {
            memory: MemoryState {
                stability: self.stability,
                difficulty: self.difficulty,
            },
            last_review_at: self.last_review_at,
            last_right: self.last_right,
            reviews: self.reviews,
        }
    }
}

/// A learner's card memory rows, columns in [`from_row`]'s order.
const SELECT_BY_LEARNER: &str = "SELECT card_id, stability, difficulty, last_review_at, \
     last_right, reviews FROM card_memory WHERE learner_id = $1";
/// All of a learner's card memory, read once per cached entry when a question is chosen;
/// public so that the benchmark can show its plan.
pub const CARD_MEMORY_SQL: &str = "SELECT card_id, stability, difficulty, last_review_at, \
     last_right, reviews FROM card_memory WHERE learner_id = $1 ORDER BY card_id";

fn from_row(r: &super::DbRow) -> sqlx::Result<CardRow> {
    Ok(CardRow {
        card_id: r.try_get(0)?,
        stability: r.try_get::<f64, _>(1)? as f32,
        difficulty: r.try_get::<f64, _>(2)? as f32,
        last_review_at: r.try_get(3)?,
        last_right: super::rows::flag(r, 4)?,
        reviews: r.try_get(5)?,
    })
}

/// Her card memory, by card id order (an export's order).
pub async fn rows(db: &Db, learner: i64) -> sqlx::Result<Vec<CardRow>> {
    super::all_as(bound!(CARD_MEMORY_SQL, learner), &db.read, from_row).await
}

/// Her card memory by card id.
pub async fn of_learner(db: &Db, learner: i64) -> sqlx::Result<HashMap<String, CardMemory>> {
    Ok(rows(db, learner)
        .await?
        .into_iter()
        .map(|r| (r.card_id.clone(), r.memory()))
        .collect())
}

fn fsrs_error(e: fsrs::FSRSError) -> sqlx::Error {
    sqlx::Error::Protocol(format!("fsrs: {e:?}"))
}

/// Runs one statement inside `conn`'s transaction.
async fn run(conn: &mut Conn, q: super::Query<'_>) -> sqlx::Result<()> {
    q.execute(&mut *conn).await?;
    Ok(())
}

/// The card memory upsert with its placeholders filled in (learner, card, then the five values),
/// so that [`put`] and [`PUT_AFTER_REVIEW`] share one text.
macro_rules! upsert_memory {
    ($learner:literal, $card:literal, $first:literal) => {
        concat!(
            "INSERT INTO card_memory (learner_id, card_id, stability, difficulty, last_review_at,
                                      last_right, reviews)
             VALUES (",
            $learner,
            ", ",
            $card,
            ", ",
            $first,
            ")
             ON CONFLICT (learner_id, card_id) DO UPDATE SET stability = excluded.stability,
                difficulty = excluded.difficulty, last_review_at = excluded.last_review_at,
                last_right = excluded.last_right, reviews = excluded.reviews"
        )
    };
}

/// A card's memory after one answer, in one statement with the answer's review row
/// ([`super::transfer::INSERT_REVIEW`], whose `$1` and `$2` are the learner and the card); its
/// own binds, `$23`–`$27`, are [`bind_put`]'s.
pub(super) const PUT_AFTER_REVIEW: &str = upsert_memory!("$1", "$2", "$23, $24, $25, $26, $27");

/// Binds a memory's five columns, in the table's order after `card_id`.
pub(super) fn bind_put<'q>(q: super::Query<'q>, m: &CardMemory) -> super::Query<'q> {
    q.bind(f64::from(m.memory.stability))
        .bind(f64::from(m.memory.difficulty))
        .bind(m.last_review_at)
        .bind(i64::from(m.last_right))
        .bind(m.reviews)
}

async fn put(conn: &mut Conn, learner: i64, card: &str, m: &CardMemory) -> sqlx::Result<()> {
    let sql = upsert_memory!("$1", "$2", "$3, $4, $5, $6, $7");
    run(conn, bind_put(bound!(sql, learner, card), m)).await
}

/// A memory read at columns `i`…`i + 4` (stability first), `None` when they are NULL (no row).
pub(super) fn memory_at(r: &super::DbRow, i: usize) -> sqlx::Result<Option<CardMemory>> {
    let Some(stability) = r.try_get::<Option<f64>, _>(i)? else {
        return Ok(None);
    };
    Ok(Some(CardMemory {
        memory: MemoryState {
            stability: stability as f32,
            difficulty: r.try_get::<f64, _>(i + 1)? as f32,
        },
        last_review_at: r.try_get(i + 2)?,
        last_right: super::rows::flag(r, i + 3)?,
        reviews: r.try_get(i + 4)?,
    }))
}

/// The card's memory after one answer (rating, kind, time).
pub(super) fn stepped(
    prior: Option<&CardMemory>,
    (rating, kind, at): (Rating, ReviewKind, i64),
    prefs: &Prefs,
) -> sqlx::Result<CardMemory> {
    CardMemory::update(prior, rating, kind, at, prefs).map_err(fsrs_error)
}

/// Steps a card's memory by one answer inside the answer's transaction, reading the row there
/// (after the answer took her row lock), so concurrent answers cannot step from the same row.
/// Returns the new memory.
pub(super) async fn step_in(
    conn: &mut Conn,
    learner: i64,
    card: &str,
    answer: (Rating, ReviewKind, i64),
    prefs: &Prefs,
) -> sqlx::Result<CardMemory> {
    let sql = format!("{SELECT_BY_LEARNER} AND card_id = $2");
    let rows = bound!(&sql, learner, card).fetch_all(&mut *conn).await?;
    let prior = rows.first().map(|r| memory_at(r, 1)).transpose()?.flatten();
    let next = stepped(prior.as_ref(), answer, prefs)?;
    put(conn, learner, card, &next).await?;
    Ok(next)
}

/// (card, (time, rating, kind)) of her reviews, oldest first.
type Answers = Vec<(String, (i64, Rating, ReviewKind))>;

fn answers_from(rows: Vec<super::DbRow>) -> sqlx::Result<Answers> {
    rows.iter()
        .map(|r| {
            let rating = Rating::from_u8(r.try_get::<i64, _>(2)? as u8).unwrap_or(Rating::Good);
            Ok((
                r.try_get(0)?,
                (r.try_get(1)?, rating, super::rows::kind(r, 3)?),
            ))
        })
        .collect()
}

/// Rebuilds one card's memory from its reviews inside `conn`'s transaction: after an undo
/// deleted one of them or a re-grade changed one. No reviews left: no row.
pub(super) async fn replay_card_in(
    conn: &mut Conn,
    learner: i64,
    concept: &str,
    card: &str,
    prefs: &Prefs,
) -> sqlx::Result<()> {
    // The concept narrows the scan to the (learner, concept, card) index.
    let rows = bound!(
        "SELECT card_id, reviewed_at, rating, review_kind FROM reviews
         WHERE learner_id = $1 AND concept_slug = $2 AND card_id = $3 ORDER BY id",
        learner,
        concept,
        card
    )
    .fetch_all(&mut *conn)
    .await?;
    let answers = answers_from(rows)?.into_iter().map(|(_, a)| a);
    match card_pick::replay(answers, prefs).map_err(fsrs_error)? {
        Some(m) => put(conn, learner, card, &m).await,
        None => {
            let sql = "DELETE FROM card_memory WHERE learner_id = $1 AND card_id = $2";
            run(conn, bound!(sql, learner, card)).await
        }
    }
}

/// Puts a learner on the rebuild queue inside `conn`'s transaction (an import that is adding
/// reviews); [`rebuild`] takes her off.
pub(crate) async fn enqueue_in(conn: &mut Conn, learner: i64) -> sqlx::Result<()> {
    let sql = "INSERT INTO card_memory_rebuild (learner_id) VALUES ($1)
         ON CONFLICT (learner_id) DO NOTHING";
    run(conn, bound!(sql, learner)).await
}

/// Rebuilds a learner's whole card memory by replaying her reviews, in one transaction that
/// also takes her off the rebuild queue. Doing it twice gives the same rows.
pub async fn rebuild(db: &Db, learner: i64) -> sqlx::Result<()> {
    // No learner (deleted meanwhile; the queue row went with her): nothing to rebuild.
    let Some(prefs) = super::quiz::prefs(db, learner).await? else {
        return Ok(());
    };
    let mut tx = db.write.begin().await?;
    // First: her row lock orders this after any answer of hers in flight elsewhere, so the
    // log read below is complete.
    super::bump(&mut tx, learner).await?;
    let rows = bound!(
        "SELECT card_id, reviewed_at, rating, review_kind FROM reviews
         WHERE learner_id = $1 ORDER BY id",
        learner
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut by_card: BTreeMap<String, Vec<(i64, Rating, ReviewKind)>> = BTreeMap::new();
    for (card, a) in answers_from(rows)? {
        by_card.entry(card).or_default().push(a);
    }
    run(
        &mut tx,
        bound!("DELETE FROM card_memory WHERE learner_id = $1", learner),
    )
    .await?;
    for (card, answers) in by_card {
        if let Some(m) = card_pick::replay(answers, &prefs).map_err(fsrs_error)? {
            put(&mut tx, learner, &card, &m).await?;
        }
    }
    let dequeue = "DELETE FROM card_memory_rebuild WHERE learner_id = $1";
    run(&mut tx, bound!(dequeue, learner)).await?;
    super::commit_for(db, tx, learner).await
}

/// Drains the rebuild queue a page of learners at a time, each learner in her own transaction,
/// so a large database never holds one long write. Returns how many were rebuilt. Run at
/// start-up; a crash half-way leaves the rest queued for the next start.
pub async fn rebuild_queued(db: &Db) -> sqlx::Result<usize> {
    let mut done = 0;
    loop {
        let ids: Vec<(i64,)> = super::all_of(
            bound!(
                "SELECT learner_id FROM card_memory_rebuild ORDER BY learner_id LIMIT $1",
                REBUILD_PAGE
            ),
            &db.write,
        )
        .await?;
        if ids.is_empty() {
            return Ok(done);
        }
        for (id,) in ids {
            rebuild(db, id).await?;
            done += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::quiz::{self, Answer};

    /// Answers on "card" and "other" (concept "a"), written as the quiz writes them.
    async fn answer(db: &Db, learner: i64, card: &str, rating: Rating, now: i64) {
        let before = quiz::state(db, learner, "a").await.unwrap().unwrap();
        let mut rng = rand::rng();
        let out = crate::scheduler::apply(&before, rating, now, &Prefs::default(), &mut rng);
        let after = before.after(&out.unwrap(), now, card);
        let a = Answer {
            card_id: card.into(),
            rating,
            correct: rating != Rating::Again,
            kind: ReviewKind::Review,
            ..Answer::right(learner, before, after, now)
        };
        let mut tx = db.write.begin().await.unwrap();
        quiz::record_in(&mut tx, db.backend, &a)
            .await
            .unwrap()
            .unwrap();
        tx.commit().await.unwrap();
    }

    /// A database from before card memory (its reviews, no rows, the learner queued as the
    /// migration queues her) gets the same rows at start-up as answering wrote one by one.
    #[tokio::test]
    async fn start_up_rebuilds_queued_learners_as_answering_built_them() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("m.db").display());
        let db = Db::open(&url).await.unwrap();
        let now = 1_767_225_600;
        let learner = super::super::learners::create(&db, "ann", "ann", "h", now)
            .await
            .unwrap()
            .unwrap();
        quiz::mark_read(&db, learner, "p", &["a".to_string()], now)
            .await
            .unwrap();
        for card in ["card", "other"] {
            sqlx::query(
                "INSERT INTO cards (id, paper_slug, fact_key, kind, concept_slug, prompt,
                                    data_json, explanation, section, content_hash, updated_at)
                 VALUES ($1, 'p', 'f', 'recall', 'a', '?', '{}', '', '', '', 0)",
            )
            .bind(card)
            .execute(&db.write)
            .await
            .unwrap();
        }
        let day = 86_400;
        answer(&db, learner, "card", Rating::Good, now).await;
        answer(&db, learner, "other", Rating::Again, now + 60).await;
        answer(&db, learner, "card", Rating::Again, now + 3 * day).await;
        answer(&db, learner, "card", Rating::Hard, now + 3 * day + 600).await;
        let built = rows(&db, learner).await.unwrap();
        assert_eq!(built.len(), 2);
        assert_eq!((built[0].reviews, built[0].last_right), (3, true));

        sqlx::query("DELETE FROM card_memory")
            .execute(&db.write)
            .await
            .unwrap();
        enqueue_in(&mut db.write.acquire().await.unwrap(), learner)
            .await
            .unwrap();
        db.close().await;
        let reopened = Db::open(&url).await.unwrap();
        assert_eq!(rows(&reopened, learner).await.unwrap(), built);
        let queued: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM card_memory_rebuild")
            .fetch_one(&reopened.read)
            .await
            .unwrap();
        assert_eq!(queued, 0);
    }
}
