//! Reading progress and what in-page questions need from the database: the sections of each
//! paper a learner has reached, unlocking one concept, and which of a paper's cards she has
//! answered. Every query is scoped by the learner's id; `$N` placeholders and `ON CONFLICT`
//! upserts, like the rest of the store.

use super::Db;
use crate::reading::Reached;
use sqlx::Row;

/// Records that she reached `section` of `paper`. Reaching it again moves its time forward, so
/// "继续读" follows what she read last. Part of her cached data (see [`super::cache`]): the
/// version bump tells every instance.
pub async fn reach(
    db: &Db,
    learner: i64,
    paper: &str,
    section: &str,
    now: i64,
) -> sqlx::Result<()> {
    let q = bound!(
        "INSERT INTO reading_progress (learner_id, paper_slug, section, reached_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (learner_id, paper_slug, section) DO UPDATE SET reached_at = $4",
        learner,
        paper,
        section,
        now
    );
    let mut tx = db.write.begin().await?;
    super::bump(&mut tx, learner).await?;
    q.execute(&mut *tx).await?;
    super::commit_for(db, tx, learner).await
}

/// Every section she has reached, oldest first.
pub async fn reached(db: &Db, learner: i64) -> sqlx::Result<Vec<Reached>> {
    let q = bound!(
        "SELECT paper_slug, section, reached_at FROM reading_progress
         WHERE learner_id = $1 ORDER BY reached_at, paper_slug, section",
        learner
    );
    let rows: Vec<(String, String, i64)> = super::all_of(q, &db.read).await?;
    let reached = rows
        .into_iter()
        .map(|(paper, section, at)| Reached { paper, section, at });
    Ok(reached.collect())
}

/// Unlocks one concept (an in-page answer is its first review); unlocking twice changes
/// nothing. Returns whether a row was added.
pub async fn unlock(db: &Db, learner: i64, concept: &str, now: i64) -> sqlx::Result<bool> {
    // Her quiz data changes: the version bump tells every instance's cache (see `store::bump`).
    let mut tx = db.write.begin().await?;
    super::bump(&mut tx, learner).await?;
    let added = super::quiz::unlock_in(&mut tx, learner, concept, now).await?;
    tx.commit().await?;
    if added {
        db.cache.forget(learner);
    }
    Ok(added)
}

/// Her latest answer to a card: what the page shows in place of an answered question.
#[derive(Debug, Clone)]
pub struct LastAnswer {
    pub card_id: String,
    pub review: i64,
    pub answer: String,
    pub correct: bool,
}

/// Her latest answer to each card of `paper` she has answered. Driven from the paper's cards,
/// each one's latest review found in the (learner, card, id) index: the cost is the paper's
/// card count, not her history (scanning her reviews made a logged-in paper page cost a
/// millisecond of database time per hundred reviews).
pub async fn answered_cards(db: &Db, learner: i64, paper: &str) -> sqlx::Result<Vec<LastAnswer>> {
    let q = bound!(
        "SELECT r.card_id, r.id, r.answer, r.correct FROM cards c
         JOIN reviews r ON r.id = (SELECT MAX(r2.id) FROM reviews r2
                                   WHERE r2.learner_id = $1 AND r2.card_id = c.id)
         WHERE c.paper_slug = $2",
        learner,
        paper
    );
    super::all_as(q, &db.read, |r| {
        Ok(LastAnswer {
            card_id: r.try_get(0)?,
            review: r.try_get(1)?,
            answer: r.try_get(2)?,
            correct: super::rows::flag(r, 3)?,
        })
    })
    .await
}
