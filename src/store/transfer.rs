//! The rows a learner's data is made of, as export files carry them, and the queries that read
//! and write them in bulk for `/export`, `/import` and the command line.

use serde::{Deserialize, Serialize};

/// Account settings. Never the password hash nor the recovery codes: an export may be mailed
/// around or kept in a cloud folder, and the hash would let anyone try passwords offline, the
/// codes' hashes too (see `crate::export`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub username: String,
    pub created_at: i64,
    pub desired_retention: f64,
    pub new_per_day: i64,
    pub max_reviews_per_day: i64,
    pub timezone: String,
    pub rollover_hour: i64,
    /// Personal FSRS parameters; `null` means the defaults.
    pub fsrs_params: Option<Vec<f32>>,
}

impl Account {
    /// A new account with the settings a sign-up gets (the migration's column defaults).
    pub fn with_defaults(username: String, created_at: i64) -> Account {
        Account {
            username,
            created_at,
            desired_retention: 0.9,
            new_per_day: 5,
            max_reviews_per_day: 50,
            timezone: "Asia/Shanghai".into(),
            rollover_hour: 4,
            fsrs_params: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaperRead {
    pub paper_slug: String,
    pub read_at: i64,
}

/// One row of `reading_progress` without `learner_id`: a section of a paper page she reached,
/// and when she last did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionReached {
    pub paper_slug: String,
    pub section: String,
    pub reached_at: i64,
}

/// One row of `concept_states` without `learner_id`: the scheduler's own state, which carries
/// its export spelling (`concept_slug`) and the reason its floats are `f32`.
pub type State = crate::scheduler::ConceptState;

/// One row of `reviews` without `id` and `learner_id` (floats as `f32`, see [`State`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub card_id: String,
    pub concept_slug: String,
    pub reviewed_at: i64,
    pub answer: String,
    pub correct: bool,
    pub rating: i64,
    pub duration_ms: i64,
    pub review_kind: String,
    pub stability_before: Option<f32>,
    pub difficulty_before: Option<f32>,
    pub due_before_at: Option<i64>,
    pub last_review_before_at: Option<i64>,
    pub reps_before: i64,
    pub lapses_before: i64,
    pub stability_after: f32,
    pub difficulty_after: f32,
    pub due_after_at: i64,
    pub elapsed_days: i64,
    pub scheduled_days: i64,
    pub version_after: i64,
    /// A wrong typed answer the learner turned into a right one ("我答对了，算我对"); `correct`
    /// is then true. Absent from exports made before the override existed, hence the default.
    #[serde(default)]
    pub overridden: bool,
}

use super::rows::{bind_schedule, flag, opt_f32};
use crate::settings::LearnerSettings;
use crate::store::Conn;
use crate::store::Db;
use crate::store::DbRow;
use sqlx::Row;
use std::collections::{HashMap, HashSet};

pub async fn account(db: &Db, learner: i64) -> sqlx::Result<Option<Account>> {
    let q = sqlx::query(
        "SELECT username, created_at, desired_retention, new_per_day, max_reviews_per_day,
                timezone, rollover_hour, fsrs_params
         FROM learners WHERE id = $1",
    )
    .bind(learner);
    super::first_as(q, &db.read, |r| {
        let params: Option<String> = r.try_get(7)?;
        Ok(Account {
            username: r.try_get(0)?,
            created_at: r.try_get(1)?,
            desired_retention: r.try_get(2)?,
            new_per_day: r.try_get(3)?,
            max_reviews_per_day: r.try_get(4)?,
            timezone: r.try_get(5)?,
            rollover_hour: r.try_get(6)?,
            // Unreadable stored parameters are ignored by the scheduler too (it falls back
            // to the defaults), so the export says what is actually in use.
            fsrs_params: params.and_then(|p| serde_json::from_str(&p).ok()),
        })
    })
    .await
}

fn review_from_row(r: &DbRow) -> sqlx::Result<Review> {
    let f = |i: usize| r.try_get::<f64, _>(i).map(|v| v as f32);
    Ok(Review {
        card_id: r.try_get(0)?,
        concept_slug: r.try_get(1)?,
        reviewed_at: r.try_get(2)?,
        answer: r.try_get(3)?,
        correct: flag(r, 4)?,
        rating: r.try_get(5)?,
        duration_ms: r.try_get(6)?,
        review_kind: r.try_get(7)?,
        stability_before: opt_f32(r, 8)?,
        difficulty_before: opt_f32(r, 9)?,
        due_before_at: r.try_get(10)?,
        last_review_before_at: r.try_get(11)?,
        reps_before: r.try_get(12)?,
        lapses_before: r.try_get(13)?,
        stability_after: f(14)?,
        difficulty_after: f(15)?,
        due_after_at: r.try_get(16)?,
        elapsed_days: r.try_get(17)?,
        scheduled_days: r.try_get(18)?,
        version_after: r.try_get(19)?,
        overridden: flag(r, 20)?,
    })
}

/// Her whole review log, oldest first. Holds every row in memory: for small logs and tests;
/// downloads read the log in pages ([`reviews_page`]).
pub async fn reviews(db: &Db, learner: i64) -> sqlx::Result<Vec<Review>> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let page = reviews_page(db, learner, after, PAGE_ROWS).await?;
        let full = page.len() as i64 == PAGE_ROWS;
        after = page.last().map(|(key, _)| *key);
        all.extend(page.into_iter().map(|(_, r)| r));
        if !full {
            return Ok(all);
        }
    }
}

/// Rows per page when the review log is read in pages.
pub const PAGE_ROWS: i64 = 500;

/// Where a page of the review log ends: (reviewed_at, id) of its last row.
pub type PageKey = (i64, i64);

/// Up to `limit` of her reviews in export order (time, then id) after `after`. Paging by key
/// keeps the memory of a download to one page, and holds no read connection between pages, so a
/// slow client cannot tie one up. The row-value comparison is written out so that it is
/// portable SQL and uses the (learner_id, reviewed_at) index.
pub async fn reviews_page(
    db: &Db,
    learner: i64,
    after: Option<PageKey>,
    limit: i64,
) -> sqlx::Result<Vec<(PageKey, Review)>> {
    let (at, id) = after.unwrap_or((i64::MIN, i64::MIN));
    let rows = sqlx::query(
        "SELECT card_id, concept_slug, reviewed_at, answer, correct, rating, duration_ms,
                review_kind, stability_before, difficulty_before, due_before_at,
                last_review_before_at, reps_before, lapses_before, stability_after,
                difficulty_after, due_after_at, elapsed_days, scheduled_days, version_after,
                overridden, id
         FROM reviews
         WHERE learner_id = $1 AND (reviewed_at > $2 OR (reviewed_at = $2 AND id > $3))
         ORDER BY reviewed_at, id
         LIMIT $4",
    )
    .bind(learner)
    .bind(at)
    .bind(id)
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            let review = review_from_row(r)?;
            Ok(((review.reviewed_at, r.try_get::<i64, _>(21)?), review))
        })
        .collect()
}

/// Every card id, retired ones included: old reviews of a retired card are still valid.
pub async fn card_ids(conn: &mut Conn) -> sqlx::Result<HashSet<String>> {
    let rows = sqlx::query("SELECT id FROM cards")
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter().map(|r| r.try_get(0)).collect()
}

pub async fn papers_of(conn: &mut Conn, learner: i64) -> sqlx::Result<HashMap<String, i64>> {
    let rows = sqlx::query("SELECT paper_slug, read_at FROM papers_read WHERE learner_id = $1")
        .bind(learner)
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

pub async fn states_of(conn: &mut Conn, learner: i64) -> sqlx::Result<HashMap<String, State>> {
    let rows = sqlx::query(
        "SELECT concept_slug, unlocked_at, stability, difficulty, due_at, last_review_at,
                reps, lapses, last_card_id, version
         FROM concept_states WHERE learner_id = $1",
    )
    .bind(learner)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let s = super::rows::state_from_row(r)?;
            Ok((s.concept.clone(), s))
        })
        .collect()
}

/// How many of her reviews there are of each (card, concept, time): an import skips as many
/// of a file's as she already has. A count, not a set: the same-day retry can ask a card twice
/// within one second, and both answers are hers.
pub type ReviewKeys = HashMap<(String, String, i64), usize>;

/// The identity of each of her reviews, to skip duplicates.
pub async fn review_keys(conn: &mut Conn, learner: i64) -> sqlx::Result<ReviewKeys> {
    let rows =
        sqlx::query("SELECT card_id, concept_slug, reviewed_at FROM reviews WHERE learner_id = $1")
            .bind(learner)
            .fetch_all(&mut *conn)
            .await?;
    let mut keys = ReviewKeys::new();
    for r in rows {
        *keys
            .entry((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
            .or_default() += 1;
    }
    Ok(keys)
}

/// Takes the account's settings and parameters as they are (the import validated them).
pub async fn set_settings(conn: &mut Conn, learner: i64, a: &Account) -> sqlx::Result<()> {
    let params = match &a.fsrs_params {
        Some(p) => Some(serde_json::to_string(p).map_err(|e| sqlx::Error::Encode(e.into()))?),
        None => None,
    };
    let settings = LearnerSettings {
        desired_retention: a.desired_retention,
        new_per_day: a.new_per_day,
        max_reviews_per_day: a.max_reviews_per_day,
        timezone: a.timezone.clone(),
        rollover_hour: a.rollover_hour,
        has_personal_params: params.is_some(),
    };
    super::learners::write_settings(conn, learner, &settings).await?;
    super::learners::write_params(conn, learner, params.as_deref()).await
}

pub async fn put_paper(
    conn: &mut Conn,
    learner: i64,
    paper: &str,
    read_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO papers_read (learner_id, paper_slug, read_at) VALUES ($1, $2, $3)
         ON CONFLICT (learner_id, paper_slug) DO UPDATE SET read_at = excluded.read_at",
    )
    .bind(learner)
    .bind(paper)
    .bind(read_at)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// The sections she has reached, by (paper, section), with when.
pub async fn sections_of(
    conn: &mut Conn,
    learner: i64,
) -> sqlx::Result<HashMap<(String, String), i64>> {
    let rows = sqlx::query(
        "SELECT paper_slug, section, reached_at FROM reading_progress WHERE learner_id = $1",
    )
    .bind(learner)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| Ok(((r.try_get(0)?, r.try_get(1)?), r.try_get(2)?)))
        .collect()
}

pub async fn put_section(conn: &mut Conn, learner: i64, s: &SectionReached) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO reading_progress (learner_id, paper_slug, section, reached_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (learner_id, paper_slug, section) DO UPDATE SET reached_at = excluded.reached_at",
    )
    .bind(learner)
    .bind(&s.paper_slug)
    .bind(&s.section)
    .bind(s.reached_at)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

pub async fn put_state(conn: &mut Conn, learner: i64, s: &State) -> sqlx::Result<()> {
    let q = sqlx::query(
        "INSERT INTO concept_states (learner_id, concept_slug, unlocked_at, stability, difficulty,
             due_at, last_review_at, reps, lapses, last_card_id, version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (learner_id, concept_slug) DO UPDATE SET
            unlocked_at = excluded.unlocked_at, stability = excluded.stability,
            difficulty = excluded.difficulty, due_at = excluded.due_at,
            last_review_at = excluded.last_review_at, reps = excluded.reps,
            lapses = excluded.lapses, last_card_id = excluded.last_card_id,
            version = excluded.version",
    )
    .bind(learner)
    .bind(&s.concept)
    .bind(s.unlocked_at);
    bind_schedule(q, s).execute(&mut *conn).await.map(|_| ())
}

/// Adds one review row, returning its id; its binds are [`bind_review`]'s, `$1`–`$22`.
pub(super) const INSERT_REVIEW: &str =
    "INSERT INTO reviews (learner_id, card_id, concept_slug, reviewed_at, answer, correct, rating,
         duration_ms, review_kind, stability_before, difficulty_before, due_before_at,
         last_review_before_at, reps_before, lapses_before, stability_after, difficulty_after,
         due_after_at, elapsed_days, scheduled_days, version_after, overridden)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
             $22)
     RETURNING id";

/// Binds a review row for [`INSERT_REVIEW`]: `$1` is the learner, `$2` the card.
pub(super) fn bind_review<'q>(
    q: super::Query<'q>,
    learner: i64,
    r: &'q Review,
) -> super::Query<'q> {
    q.bind(learner)
        .bind(&r.card_id)
        .bind(&r.concept_slug)
        .bind(r.reviewed_at)
        .bind(&r.answer)
        .bind(i64::from(r.correct))
        .bind(r.rating)
        .bind(r.duration_ms)
        .bind(&r.review_kind)
        .bind(super::NullableF64::from_f32(r.stability_before))
        .bind(super::NullableF64::from_f32(r.difficulty_before))
        .bind(r.due_before_at)
        .bind(r.last_review_before_at)
        .bind(r.reps_before)
        .bind(r.lapses_before)
        .bind(f64::from(r.stability_after))
        .bind(f64::from(r.difficulty_after))
        .bind(r.due_after_at)
        .bind(r.elapsed_days)
        .bind(r.scheduled_days)
        .bind(r.version_after)
        .bind(i64::from(r.overridden))
}

/// The id a statement that inserted one row returned as its first column.
pub(super) async fn returned_id(conn: &mut Conn, q: super::Query<'_>) -> sqlx::Result<i64> {
    let rows = q.fetch_all(&mut *conn).await?;
    rows.first().ok_or(sqlx::Error::RowNotFound)?.try_get(0)
}

pub async fn insert_review(conn: &mut Conn, learner: i64, r: &Review) -> sqlx::Result<i64> {
    returned_id(conn, bind_review(sqlx::query(INSERT_REVIEW), learner, r)).await
}

/// Raises the undo floor to `id` (never lowers it).
pub async fn raise_undo_floor(conn: &mut Conn, learner: i64, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE learners SET undo_floor = $1 WHERE id = $2 AND undo_floor < $1")
        .bind(id)
        .bind(learner)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}
