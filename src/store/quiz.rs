//! Reading records, concept states and the review log: everything the quiz reads and writes.
//! Every query here is scoped by the learner's id.

use super::rows::{bind_schedule, flag, kind, state_from_row};
use super::{Conn, Db};
use crate::scheduler::card_pick::CardMemory;
use crate::scheduler::{ConceptState, Outcome, Prefs, Rating, ReviewKind, TodayReview};
use sqlx::Row;

/// Marks a paper read and unlocks its concepts, in one transaction. Reading twice changes
/// nothing.
pub async fn mark_read(
    db: &Db,
    learner: i64,
    paper: &str,
    concepts: &[String],
    now: i64,
) -> sqlx::Result<()> {
    let mut tx = db.write.begin().await?;
    super::bump(&mut tx, learner).await?;
    add_once(&mut tx, READ_SQL, learner, paper, now).await?;
    for c in concepts {
        unlock_in(&mut tx, learner, c, now).await?;
    }
    super::commit_for(db, tx, learner).await
}

/// Unlocks a concept inside `conn`'s transaction, as new; unlocking twice changes nothing.
/// Returns whether a row was added.
pub(super) async fn unlock_in(
    conn: &mut super::Conn,
    learner: i64,
    concept: &str,
    now: i64,
) -> sqlx::Result<bool> {
    add_once(conn, UNLOCK_SQL, learner, concept, now).await
}

const READ_SQL: &str = "INSERT INTO papers_read (learner_id, paper_slug, read_at) \
     VALUES ($1, $2, $3) ON CONFLICT (learner_id, paper_slug) DO NOTHING";
const UNLOCK_SQL: &str = "INSERT INTO concept_states (learner_id, concept_slug, unlocked_at) \
     VALUES ($1, $2, $3) ON CONFLICT (learner_id, concept_slug) DO NOTHING";

/// Runs `sql`, an insert of (learner, slug, time) that does nothing when the row is there, and
/// says whether it added one: reading or unlocking twice is harmless.
async fn add_once(
    conn: &mut super::Conn,
    sql: &'static str,
    learner: i64,
    slug: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let done = bound!(sql, learner, slug, now).execute(&mut *conn).await?;
    Ok(done.rows_affected() > 0)
}

pub async fn papers_read(db: &Db, learner: i64) -> sqlx::Result<Vec<(String, i64)>> {
    let q = bound!(
        "SELECT paper_slug, read_at FROM papers_read WHERE learner_id = $1 ORDER BY read_at",
        learner
    );
    super::all_of(q, &db.read).await
}

pub async fn has_read(db: &Db, learner: i64, paper: &str) -> sqlx::Result<bool> {
    let q = bound!(
        "SELECT 1 FROM papers_read WHERE learner_id = $1 AND paper_slug = $2",
        learner,
        paper
    );
    let row = super::first_row(q, &db.read).await?;
    Ok(row.is_some())
}

/// The queries behind choosing the next question, public so the benchmark can show their plans.
pub const STATES_SQL: &str = "SELECT concept_slug, unlocked_at, stability, difficulty, due_at, \
     last_review_at, reps, lapses, last_card_id, version FROM concept_states \
     WHERE learner_id = $1 ORDER BY unlocked_at, concept_slug";
pub const REVIEWS_SINCE_SQL: &str =
    "SELECT concept_slug, rating, review_kind, card_id FROM reviews \
     WHERE learner_id = $1 AND reviewed_at >= $2 ORDER BY id";

pub async fn states(db: &Db, learner: i64) -> sqlx::Result<Vec<ConceptState>> {
    super::all_as(bound!(STATES_SQL, learner), &db.read, state_from_row).await
}

/// One concept's state, read fresh: the answer handler computes the new state from it.
pub async fn state(db: &Db, learner: i64, concept: &str) -> sqlx::Result<Option<ConceptState>> {
    let q = bound!(
        "SELECT concept_slug, unlocked_at, stability, difficulty, due_at, last_review_at, reps,
                lapses, last_card_id, version
         FROM concept_states WHERE learner_id = $1 AND concept_slug = $2",
        learner,
        concept
    );
    super::first_as(q, &db.read, state_from_row).await
}

/// The learner's answers since `since`, oldest first.
pub async fn reviews_since(db: &Db, learner: i64, since: i64) -> sqlx::Result<Vec<TodayReview>> {
    let q = bound!(REVIEWS_SINCE_SQL, learner, since);
    super::all_as(q, &db.read, |r| {
        Ok(TodayReview {
            concept: r.try_get(0)?,
            card: r.try_get(3)?,
            rating: r.try_get::<i64, _>(1)? as u8,
            kind: kind(r, 2)?,
        })
    })
    .await
}

/// Her scheduling preferences. Stored values are forced into the settings' bounds, and stored
/// parameters that are not 21 finite numbers are ignored (the defaults apply).
pub async fn prefs(db: &Db, learner: i64) -> sqlx::Result<Option<Prefs>> {
    let q = bound!(
        "SELECT desired_retention, new_per_day, max_reviews_per_day, timezone, rollover_hour, fsrs_params,
                extra_new_day, extra_new
         FROM learners WHERE id = $1",
        learner
    );
    super::first_as(q, &db.read, |r| {
        let params: Option<String> = r.try_get(5)?;
        let params = params
            .and_then(|p| serde_json::from_str::<Vec<f32>>(&p).ok())
            .filter(|p| p.len() == 21 && p.iter().all(|v| v.is_finite()))
            .unwrap_or_default();
        Ok(crate::settings::LearnerSettings::clamped(
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
        )
        .prefs(params)
        .with_extra_new(r.try_get(6)?, r.try_get::<i64, _>(7)?))
    })
    .await
}

/// "今天再学 N 个": raises today's new-concept limit by `n` (on top of a raise already made
/// today), for learner day `day` only.
pub async fn raise_new_today(db: &Db, learner: i64, day: i64, n: i64) -> sqlx::Result<()> {
    let mut tx = db.write.begin().await?;
    super::bump(&mut tx, learner).await?;
    bound!(
        "UPDATE learners SET
            extra_new = CASE WHEN extra_new_day = $1 THEN extra_new + $2 ELSE $2 END,
            extra_new_day = $1
         WHERE id = $3",
        day,
        n,
        learner
    )
    .execute(&mut *tx)
    .await?;
    super::commit_for(db, tx, learner).await
}

/// An answer to record: the states around it are computed once, by the quiz service, and
/// everything else (the SQL update, the review row, the cache) is read from them.
#[derive(Debug, Clone)]
pub struct Answer {
    pub learner: i64,
    pub before: ConceptState,
    /// [`ConceptState::after`] of `before`.
    pub after: ConceptState,
    pub card_id: String,
    /// What is stored as her answer.
    pub answer: String,
    pub correct: bool,
    pub rating: Rating,
    pub kind: ReviewKind,
    pub now: i64,
    pub duration_ms: i64,
    pub elapsed_days: i64,
    pub scheduled_days: i64,
    /// Her preferences when she answered: the card's memory is stepped with them.
    pub prefs: Prefs,
}

impl Answer {
    /// The answer as one of today's, for the scheduler's daily counts.
    pub fn today(&self) -> TodayReview {
        TodayReview {
            concept: self.before.concept.clone(),
            card: self.card_id.clone(),
            rating: self.rating as u8,
            kind: self.kind,
        }
    }

    /// The review row it adds to the log.
    pub fn row(&self) -> super::transfer::Review {
        let (b, a) = (&self.before, &self.after);
        super::transfer::Review {
            card_id: self.card_id.clone(),
            concept_slug: b.concept.clone(),
            reviewed_at: self.now,
            answer: self.answer.clone(),
            correct: self.correct,
            rating: self.rating as i64,
            duration_ms: self.duration_ms,
            review_kind: self.kind.as_str().to_string(),
            stability_before: b.stability,
            difficulty_before: b.difficulty,
            due_before_at: b.due_at,
            last_review_before_at: b.last_review_at,
            reps_before: b.reps,
            lapses_before: b.lapses,
            stability_after: a.stability.unwrap_or(0.0),
            difficulty_after: a.difficulty.unwrap_or(0.0),
            due_after_at: a.due_at.unwrap_or(self.now),
            elapsed_days: self.elapsed_days,
            scheduled_days: self.scheduled_days,
            version_after: a.version,
            overridden: false,
        }
    }
}

#[cfg(test)]
impl Answer {
    /// A right answer on card "card" at `now`, for tests.
    pub(crate) fn right(learner: i64, before: ConceptState, after: ConceptState, now: i64) -> Self {
        Answer {
            learner,
            before,
            after,
            card_id: "card".into(),
            answer: "x".into(),
            correct: true,
            rating: Rating::Good,
            kind: ReviewKind::Learn,
            now,
            duration_ms: 1000,
            elapsed_days: 0,
            scheduled_days: 0,
            prefs: Prefs::default(),
        }
    }
}

/// Writes a concept's state `s` (its version included) if the stored version is still
/// `expected`; `false` when the concept moved on and nothing was written. A state without a
/// last card keeps the stored one.
async fn write_state(
    tx: &mut crate::store::Conn,
    learner: i64,
    s: &ConceptState,
    expected: i64,
) -> sqlx::Result<bool> {
    let updated = bind_state(sqlx::query(UPDATE_STATE), learner, s, expected)
        .execute(&mut *tx)
        .await?;
    Ok(updated.rows_affected() == 1)
}

/// Writes a concept's state if its version is still `$11`. Binds: [`bind_state`]'s.
const UPDATE_STATE: &str =
    "UPDATE concept_states SET stability = $1, difficulty = $2, due_at = $3, last_review_at = $4,
            reps = $5, lapses = $6, last_card_id = COALESCE($7, last_card_id), version = $8
     WHERE learner_id = $9 AND concept_slug = $10 AND version = $11";

fn bind_state<'q>(
    q: super::Query<'q>,
    learner: i64,
    s: &'q ConceptState,
    expected: i64,
) -> super::Query<'q> {
    bind_schedule(q, s)
        .bind(learner)
        .bind(&s.concept)
        .bind(expected)
}

/// [`UPDATE_STATE`] and the read of the card's memory (`$12`) in one statement: how many
/// states it updated (0 or 1), then the card's memory columns (NULL when it has none). The
/// read sees what her other answers committed: this runs after [`super::bump`] took her row.
static STATE_AND_PRIOR: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "WITH up AS ({UPDATE_STATE} RETURNING 1),
              prior AS (SELECT stability, difficulty, last_review_at, last_right, reviews
                        FROM card_memory WHERE learner_id = $9 AND card_id = $12)
         SELECT (SELECT COUNT(*) FROM up), prior.stability, prior.difficulty,
                prior.last_review_at, prior.last_right, prior.reviews
         FROM (SELECT 1) AS one LEFT JOIN prior ON TRUE"
    )
});

/// The review row and the card's new memory in one statement; returns the review's id.
static REVIEW_AND_MEMORY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "WITH r AS ({}), m AS ({}) SELECT id FROM r",
        super::transfer::INSERT_REVIEW,
        super::card_memory::PUT_AFTER_REVIEW
    )
});

/// Records one answer inside `tx` if the concept's version is still the one it was computed
/// from: the state update, the review row and the card's memory go together. Returns the
/// review's id, her new data version and the card's new memory; `Ok(None)` means the version
/// check failed (already answered, or answered elsewhere) and nothing was written for it.
pub async fn record_in(
    tx: &mut crate::store::Conn,
    backend: super::Backend,
    a: &Answer,
) -> sqlx::Result<Option<(i64, i64, CardMemory)>> {
    // First, so that on PostgreSQL the learner's row lock orders this write after any other
    // of hers in flight on another instance, and the reads below see what that one wrote.
    let version = super::bump(&mut *tx, a.learner).await?;
    let step = (a.rating, a.kind, a.now);
    if !backend.combines_writes() {
        if !write_state(&mut *tx, a.learner, &a.after, a.before.version).await? {
            return Ok(None);
        }
        let id = super::transfer::insert_review(&mut *tx, a.learner, &a.row()).await?;
        let memory = super::card_memory::step_in(tx, a.learner, &a.card_id, step, &a.prefs).await?;
        return Ok(Some((id, version, memory)));
    }
    // Two round trips instead of four: over a network each costs more than the work.
    let q = bind_state(
        sqlx::query(&STATE_AND_PRIOR),
        a.learner,
        &a.after,
        a.before.version,
    );
    let rows = q.bind(&a.card_id).fetch_all(&mut *tx).await?;
    let row = rows.first().ok_or(sqlx::Error::RowNotFound)?;
    if row.try_get::<i64, _>(0)? != 1 {
        return Ok(None);
    }
    let prior = super::card_memory::memory_at(row, 1)?;
    let memory = super::card_memory::stepped(prior.as_ref(), step, &a.prefs)?;
    let review = a.row();
    let q = super::transfer::bind_review(sqlx::query(&REVIEW_AND_MEMORY), a.learner, &review);
    let id = super::transfer::returned_id(tx, super::card_memory::bind_put(q, &memory)).await?;
    Ok(Some((id, version, memory)))
}

/// A stored review, as the feedback page and undo need it.
#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub id: i64,
    pub card_id: String,
    pub concept: String,
    pub reviewed_at: i64,
    pub answer: String,
    pub correct: bool,
    pub rating: u8,
    pub kind: ReviewKind,
    pub before: ConceptState,
    pub due_after_at: i64,
    pub elapsed_days: i64,
    pub version_after: i64,
    /// Wrong as typed, turned right by the learner ("我答对了，算我对").
    pub overridden: bool,
}

pub async fn review(db: &Db, learner: i64, id: i64) -> sqlx::Result<Option<ReviewRow>> {
    // Columns 0-9 are the state before the answer as a `concept_states` row (the card shown
    // before it is not recorded); the review's own columns follow.
    let q = bound!(
        "SELECT r.concept_slug, s.unlocked_at, r.stability_before, r.difficulty_before,
                r.due_before_at, r.last_review_before_at, r.reps_before, r.lapses_before,
                CAST(NULL AS TEXT), r.version_after - 1,
                r.id, r.card_id, r.reviewed_at, r.answer, r.correct, r.rating, r.review_kind,
                r.due_after_at, r.elapsed_days, r.version_after, r.overridden
         FROM reviews r JOIN concept_states s
           ON s.learner_id = r.learner_id AND s.concept_slug = r.concept_slug
         WHERE r.learner_id = $1 AND r.id = $2",
        learner,
        id
    );
    super::first_as(q, &db.read, |r| {
        let before = state_from_row(r)?;
        Ok(ReviewRow {
            id: r.try_get(10)?,
            card_id: r.try_get(11)?,
            concept: before.concept.clone(),
            reviewed_at: r.try_get(12)?,
            answer: r.try_get(13)?,
            correct: flag(r, 14)?,
            rating: r.try_get::<i64, _>(15)? as u8,
            kind: kind(r, 16)?,
            before,
            due_after_at: r.try_get(17)?,
            elapsed_days: r.try_get(18)?,
            version_after: r.try_get(19)?,
            overridden: flag(r, 20)?,
        })
    })
    .await
}

/// A question as it was shown: its concept, the concept's version then, and when (seconds).
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub concept: &'a str,
    pub version: i64,
    pub shown: i64,
}

/// The review that answered a question she was shown, with its card: her first review of the
/// concept since it was shown that left the concept above the version it was shown at. Every
/// change to a concept raises its version, so the answer to that question, when there was one,
/// is that review; a later re-grade raises only its own `version_after`, which keeps it first,
/// and reviews imported from elsewhere are older than the question.
pub async fn answered_at(
    db: &Db,
    learner: i64,
    q: Asked<'_>,
) -> sqlx::Result<Option<(i64, String)>> {
    let found = bound!(
        "SELECT id, card_id FROM reviews
         WHERE learner_id = $1 AND concept_slug = $2 AND version_after > $3 AND reviewed_at >= $4
         ORDER BY id LIMIT 1",
        learner,
        q.concept,
        q.version,
        q.shown
    );
    super::first_of(found, &db.read).await
}

/// Whether `review` can still be undone or re-graded: it is the learner's latest answer, above
/// her undo floor, and nothing changed its concept since.
pub async fn is_current(db: &Db, learner: i64, review: &ReviewRow) -> sqlx::Result<bool> {
    let q = bound!(
        "SELECT (SELECT MAX(id) FROM reviews WHERE learner_id = $1),
                (SELECT undo_floor FROM learners WHERE id = $1),
                (SELECT version FROM concept_states WHERE learner_id = $1 AND concept_slug = $2)",
        learner,
        &review.concept
    );
    let (latest, floor, version): (Option<i64>, Option<i64>, Option<i64>) =
        super::first_of(q, &db.read)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
    Ok(latest == Some(review.id)
        && review.id > floor.unwrap_or(0)
        && version == Some(review.version_after))
}

/// Undoes an answer: restores the state before it, deletes the row, and raises the undo floor
/// so that undo works once. `Ok(false)` when the review is no longer current.
pub async fn undo(db: &Db, learner: i64, review: &ReviewRow) -> sqlx::Result<bool> {
    let prefs = prefs(db, learner).await?.unwrap_or_default();
    let mut tx = db.write.begin().await?;
    super::bump(&mut tx, learner).await?;
    // The card just undone stays the last one shown (`before` has none): she gets another.
    let restored = ConceptState {
        version: review.version_after + 1,
        ..review.before.clone()
    };
    let updated = write_state(&mut tx, learner, &restored, review.version_after).await?;
    let deleted = bound!(
        "DELETE FROM reviews WHERE learner_id = $1 AND id = $2
           AND id = (SELECT MAX(id) FROM reviews WHERE learner_id = $1)
           AND id > (SELECT undo_floor FROM learners WHERE id = $1)",
        learner,
        review.id
    )
    .execute(&mut *tx)
    .await?;
    if !updated || deleted.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    super::transfer::raise_undo_floor(&mut tx, learner, review.id).await?;
    // The card's memory without the answer undone: replayed, as if it had never been given.
    let (concept, card) = (&review.concept, &review.card_id);
    super::card_memory::replay_card_in(&mut tx, learner, concept, card, &prefs).await?;
    super::commit_for(db, tx, learner).await?;
    Ok(true)
}

/// What a re-grade does to the review row besides recomputing the state after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regrade {
    /// A right answer's rating changes (Good → Hard or Easy).
    Rating,
    /// A wrong typed answer becomes a right one ("我答对了，算我对"): the row is marked correct and
    /// overridden, and only a row still marked wrong can be.
    Override,
}

/// A new verdict on one answer.
#[derive(Debug, Clone, Copy)]
pub struct Regrading<'a> {
    pub review: &'a ReviewRow,
    pub rating: u8,
    /// The state recomputed for `rating`, by the caller, from `review.before` at
    /// `review.reviewed_at`.
    pub out: &'a Outcome,
    pub how: Regrade,
    /// Her preferences, to replay the card's memory with the new rating.
    pub prefs: &'a Prefs,
}

/// Replaces the rating of an answer with the state recomputed from the state before it. Every check is inside
/// the write transaction, as a compare-and-set, so an answer, undo or re-grade that got there
/// first wins:
/// - the concept's version must still be the one this review left;
/// - a rating change also needs the review to be her latest answer of all, above her undo
///   floor (an override only needs the first: it corrects a verdict, not the last step).
///
/// `Ok(false)` when it no longer applies; nothing is written then.
pub async fn regrade(db: &Db, learner: i64, change: Regrading<'_>) -> sqlx::Result<bool> {
    let mut tx = db.write.begin().await?;
    super::bump(&mut tx, learner).await?;
    // The review row is touched only when the state's compare-and-set held.
    let done =
        set_state(&mut tx, learner, change).await? && set_review(&mut tx, learner, change).await?;
    if done {
        let (r, prefs) = (change.review, change.prefs);
        super::card_memory::replay_card_in(&mut tx, learner, &r.concept, &r.card_id, prefs).await?;
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    // Whatever happened, the cached state may be what the caller computed from.
    db.cache.forget(learner);
    Ok(done)
}

/// The concept's half of [`regrade`]: its state, if it is still the one `review` left.
async fn set_state(tx: &mut Conn, learner: i64, change: Regrading<'_>) -> sqlx::Result<bool> {
    let Regrading {
        review, out, how, ..
    } = change;
    let latest_sql = match how {
        Regrade::Rating => {
            " AND $9 = (SELECT MAX(id) FROM reviews WHERE learner_id = $6)
              AND $9 > (SELECT undo_floor FROM learners WHERE id = $6)"
        }
        Regrade::Override => "",
    };
    let sql = format!(
        "UPDATE concept_states SET stability = $1, difficulty = $2, due_at = $3, reps = $4,
                lapses = $5, version = version + 1
         WHERE learner_id = $6 AND concept_slug = $7 AND version = $8{latest_sql}"
    );
    let mut q = bound!(
        &sql,
        f64::from(out.stability),
        f64::from(out.difficulty),
        out.due_at,
        out.reps,
        out.lapses,
        learner,
        &review.concept,
        review.version_after
    );
    if how == Regrade::Rating {
        q = q.bind(review.id);
    }
    Ok(q.execute(&mut *tx).await?.rows_affected() == 1)
}

/// The review's half of [`regrade`]: its rating and the state it left.
async fn set_review(tx: &mut Conn, learner: i64, change: Regrading<'_>) -> sqlx::Result<bool> {
    let Regrading {
        review,
        rating,
        out,
        how,
        ..
    } = change;
    // The same columns either way; an override also flips the verdict, guarded by the row's
    // own version and verdict so that it can happen once.
    let (correct_sql, guard_sql) = match how {
        Regrade::Rating => ("", ""),
        Regrade::Override => (
            ", correct = 1, overridden = 1",
            " AND correct = 0 AND version_after = $9",
        ),
    };
    let sql = format!(
        "UPDATE reviews SET rating = $1, stability_after = $2, difficulty_after = $3,
                due_after_at = $4, scheduled_days = $5, version_after = $6{correct_sql}
         WHERE learner_id = $7 AND id = $8{guard_sql}"
    );
    let mut q = bound!(
        &sql,
        i64::from(rating),
        f64::from(out.stability),
        f64::from(out.difficulty),
        out.due_at,
        out.scheduled_days,
        review.version_after + 1,
        learner,
        review.id
    );
    if how == Regrade::Override {
        q = q.bind(review.version_after);
    }
    Ok(q.execute(&mut *tx).await?.rows_affected() == 1)
}

/// Every typed answer to a fill-in card, of every learner, except "不知道": the grader only
/// judged what she typed. Retired cards are included; their grading may still be in question.
pub async fn typed_answers(db: &Db, gave_up: &str) -> sqlx::Result<Vec<crate::stats::TypedAnswer>> {
    let q = bound!(
        "SELECT r.card_id, c.paper_slug, c.prompt, c.data_json, r.answer, r.correct, r.overridden
         FROM reviews r JOIN cards c ON c.id = r.card_id
         WHERE c.kind = $1 AND r.answer <> $2
         ORDER BY r.id",
        crate::cards::CardKind::Fill.as_str(),
        gave_up
    );
    super::all_as(q, &db.read, |r| {
        let data: String = r.try_get(3)?;
        let expected = match serde_json::from_str(&data) {
            Ok(crate::cards::CardData::Fill { answer, .. }) => answer,
            _ => String::new(),
        };
        Ok(crate::stats::TypedAnswer {
            card_id: r.try_get(0)?,
            paper: r.try_get(1)?,
            prompt: r.try_get(2)?,
            expected,
            answer: r.try_get(4)?,
            correct: flag(r, 5)?,
            overridden: flag(r, 6)?,
        })
    })
    .await
}

/// How many answers the learner has stored: counted in the database, so that pages showing the
/// number do not load the log.
pub async fn review_count(db: &Db, learner: i64) -> sqlx::Result<usize> {
    let q = bound!(
        "SELECT COUNT(*) FROM reviews WHERE learner_id = $1",
        learner
    );
    let n: Option<i64> = super::first_as(q, &db.read, |r| r.try_get(0)).await?;
    Ok(usize::try_from(n.unwrap_or(0)).unwrap_or(0))
}

/// The learner's review log as (concept, rating, time), oldest first: the training data for her
/// personal parameters.
pub async fn revlog_by_concept(db: &Db, learner: i64) -> sqlx::Result<Vec<crate::revlog::Entry>> {
    let q = bound!(
        "SELECT concept_slug, rating, reviewed_at FROM reviews WHERE learner_id = $1 ORDER BY id",
        learner
    );
    super::all_as(q, &db.read, |r| {
        Ok(crate::revlog::Entry {
            item: r.try_get(0)?,
            rating: r.try_get::<i64, _>(1)? as u8,
            time: r.try_get(2)?,
        })
    })
    .await
}

/// Every answer of the learner, oldest first, as (time, card, concept, rating): what her
/// transfer ρ is estimated from ([`crate::scheduler::card_pick::estimate_rho`]).
pub async fn answer_log(db: &Db, learner: i64) -> sqlx::Result<Vec<(i64, String, String, u8)>> {
    let q = bound!(
        "SELECT reviewed_at, card_id, concept_slug, rating FROM reviews WHERE learner_id = $1 ORDER BY id",
        learner
    );
    super::all_as(q, &db.read, |r| {
        Ok((
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get::<i64, _>(3)? as u8,
        ))
    })
    .await
}

/// Every answer of the learner, oldest first, as statistics need them.
pub async fn review_facts(db: &Db, learner: i64) -> sqlx::Result<Vec<crate::stats::ReviewFact>> {
    let q = bound!(
        "SELECT reviewed_at, concept_slug, correct, duration_ms, elapsed_days, review_kind
         FROM reviews WHERE learner_id = $1 ORDER BY id",
        learner
    );
    super::all_as(q, &db.read, |r| {
        Ok(crate::stats::ReviewFact {
            time: r.try_get(0)?,
            concept: r.try_get(1)?,
            correct: flag(r, 2)?,
            duration_ms: r.try_get(3)?,
            elapsed_days: r.try_get(4)?,
            kind: kind(r, 5)?,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::Prefs;

    fn schedule(before: &ConceptState, rating: Rating, at: i64) -> Outcome {
        let mut rng = rand::rng();
        crate::scheduler::apply(before, rating, at, &Prefs::default(), &mut rng).unwrap()
    }

    async fn answer(db: &Db, learner: i64, concept: &str, now: i64) -> i64 {
        let before = state(db, learner, concept).await.unwrap().unwrap();
        let after = before.after(&schedule(&before, Rating::Good, now), now, "card");
        let a = Answer::right(learner, before, after, now);
        let mut tx = db.write.begin().await.unwrap();
        let (id, ..) = record_in(&mut tx, db.backend, &a).await.unwrap().unwrap();
        tx.commit().await.unwrap();
        id
    }

    /// The currency check is inside the write: a regrade of an answer that is no longer her
    /// latest is refused by `regrade` itself, whatever a check before it said.
    #[tokio::test]
    async fn a_regrade_applies_only_to_her_latest_answer_checked_in_its_transaction() {
        let (_dir, db) = Db::temporary().await;
        let now = 1_767_225_600;
        let learner = super::super::learners::create(&db, "ann", "ann", "h", now)
            .await
            .unwrap()
            .unwrap();
        let concepts = ["a".to_string(), "b".to_string()];
        mark_read(&db, learner, "p", &concepts, now).await.unwrap();
        sqlx::query(
            "INSERT INTO cards (id, paper_slug, fact_key, kind, concept_slug, prompt, data_json,
                                explanation, section, content_hash, updated_at)
             VALUES ('card', 'p', 'f', 'recall', 'a', '?', '{}', '', '', '', 0)",
        )
        .execute(&db.write)
        .await
        .unwrap();
        let first = answer(&db, learner, "a", now).await;
        let first_row = review(&db, learner, first).await.unwrap().unwrap();
        // Current when the feedback page was shown ...
        assert!(is_current(&db, learner, &first_row).await.unwrap());
        // ... then an answer on another concept lands before the regrade.
        let second = answer(&db, learner, "b", now + 60).await;
        let out = schedule(&first_row.before, Rating::Easy, now);
        let prefs = Prefs::default();
        let to_easy = |review| Regrading {
            review,
            rating: 4,
            out: &out,
            how: Regrade::Rating,
            prefs: &prefs,
        };
        let applied = regrade(&db, learner, to_easy(&first_row)).await;
        assert!(
            !applied.unwrap(),
            "a review that is no longer latest was re-graded"
        );
        let rating: i64 = sqlx::query_scalar("SELECT rating FROM reviews WHERE id = $1")
            .bind(first)
            .fetch_one(&db.read)
            .await
            .unwrap();
        assert_eq!(rating, 3);

        let second_row = review(&db, learner, second).await.unwrap().unwrap();
        let applied = regrade(&db, learner, to_easy(&second_row)).await;
        assert!(applied.unwrap(), "her latest answer can be re-graded");
    }
}
