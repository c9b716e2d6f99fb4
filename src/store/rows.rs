//! Row mappings shared by several query modules. They sit apart so that the modules that use
//! them do not import each other (`quiz` and `transfer` used to, both ways).

use crate::scheduler::ConceptState;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

/// A `concept_states` row selected as `concept_slug, unlocked_at, stability, difficulty,
/// due_at, last_review_at, reps, lapses, last_card_id, version`.
pub(super) fn state_from_row(r: &SqliteRow) -> ConceptState {
    ConceptState {
        concept: r.get(0),
        unlocked_at: r.get(1),
        stability: r.get::<Option<f64>, _>(2).map(|v| v as f32),
        difficulty: r.get::<Option<f64>, _>(3).map(|v| v as f32),
        due_at: r.get(4),
        last_review_at: r.get(5),
        reps: r.get(6),
        lapses: r.get(7),
        last_card_id: r.get(8),
        version: r.get(9),
    }
}
