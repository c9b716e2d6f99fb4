//! Row mappings, and the binds that mirror them, shared by several query modules. They sit
//! apart so that the modules that use them do not import each other (`quiz` and `transfer`
//! used to, both ways).

use crate::scheduler::{ConceptState, ReviewKind};
use crate::store::{DbRow, NullableF64, Query};
use sqlx::Row;

/// A SMALLINT 0/1 column as a boolean.
pub(super) fn flag(r: &DbRow, i: usize) -> sqlx::Result<bool> {
    Ok(r.try_get::<i64, _>(i)? != 0)
}

/// A nullable float column as the `f32` the scheduler computes with (stored widened to f64).
pub(super) fn opt_f32(r: &DbRow, i: usize) -> sqlx::Result<Option<f32>> {
    Ok(r.try_get::<Option<f64>, _>(i)?.map(|v| v as f32))
}

/// A `review_kind` column; an unknown kind reads as a scheduled review.
pub(super) fn kind(r: &DbRow, i: usize) -> sqlx::Result<ReviewKind> {
    Ok(ReviewKind::parse(r.try_get::<&str, _>(i)?).unwrap_or(ReviewKind::Review))
}

/// A `concept_states` row selected as `concept_slug, unlocked_at, stability, difficulty,
/// due_at, last_review_at, reps, lapses, last_card_id, version`.
pub(super) fn state_from_row(r: &DbRow) -> sqlx::Result<ConceptState> {
    Ok(ConceptState {
        concept: r.try_get(0)?,
        unlocked_at: r.try_get(1)?,
        stability: opt_f32(r, 2)?,
        difficulty: opt_f32(r, 3)?,
        due_at: r.try_get(4)?,
        last_review_at: r.try_get(5)?,
        reps: r.try_get(6)?,
        lapses: r.try_get(7)?,
        last_card_id: r.try_get(8)?,
        version: r.try_get(9)?,
    })
}

/// Binds what an answer changes in a `concept_states` row, in column order: `stability,
/// difficulty, due_at, last_review_at, reps, lapses, last_card_id, version`.
pub(super) fn bind_schedule<'q>(q: Query<'q>, s: &'q ConceptState) -> Query<'q> {
    q.bind(NullableF64::from_f32(s.stability))
        .bind(NullableF64::from_f32(s.difficulty))
        .bind(s.due_at)
        .bind(s.last_review_at)
        .bind(s.reps)
        .bind(s.lapses)
        .bind(&s.last_card_id)
        .bind(s.version)
}
