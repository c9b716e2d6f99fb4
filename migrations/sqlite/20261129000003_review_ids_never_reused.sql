-- Review ids are never reused (security review 2026-11-29, L3). With a plain INTEGER PRIMARY KEY,
-- SQLite hands out max(id) + 1, so after an undo deleted the newest row its id went to the next
-- answer (hers or another learner's): a feedback URL could then point at another row, and undo's
-- floor was compared with an id that meant something else. AUTOINCREMENT never hands out an id
-- twice. SQLite cannot change a key in place, so the table is rebuilt with the same columns and
-- rows; the PostgreSQL schema gets the same guarantee from an identity column.
CREATE TABLE reviews_new (
    id                  INTEGER  PRIMARY KEY AUTOINCREMENT,
    learner_id          INTEGER  NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    card_id             TEXT     NOT NULL REFERENCES cards(id),
    concept_slug        TEXT     NOT NULL,
    reviewed_at         BIGINT   NOT NULL,
    answer              TEXT     NOT NULL,
    correct             SMALLINT NOT NULL,
    rating              SMALLINT NOT NULL,
    duration_ms         BIGINT   NOT NULL,
    review_kind         TEXT     NOT NULL,
    stability_before    REAL     NULL,
    difficulty_before   REAL     NULL,
    due_before_at       BIGINT   NULL,
    last_review_before_at BIGINT NULL,
    reps_before         INTEGER  NOT NULL,
    lapses_before       INTEGER  NOT NULL,
    stability_after     REAL     NOT NULL,
    difficulty_after    REAL     NOT NULL,
    due_after_at        BIGINT   NOT NULL,
    elapsed_days        INTEGER  NOT NULL,
    scheduled_days      INTEGER  NOT NULL,
    version_after       INTEGER  NOT NULL,
    overridden          SMALLINT NOT NULL DEFAULT 0
);
INSERT INTO reviews_new (id, learner_id, card_id, concept_slug, reviewed_at, answer, correct,
        rating, duration_ms, review_kind, stability_before, difficulty_before, due_before_at,
        last_review_before_at, reps_before, lapses_before, stability_after, difficulty_after,
        due_after_at, elapsed_days, scheduled_days, version_after, overridden)
    SELECT id, learner_id, card_id, concept_slug, reviewed_at, answer, correct,
        rating, duration_ms, review_kind, stability_before, difficulty_before, due_before_at,
        last_review_before_at, reps_before, lapses_before, stability_after, difficulty_after,
        due_after_at, elapsed_days, scheduled_days, version_after, overridden
    FROM reviews;
DROP TABLE reviews;
ALTER TABLE reviews_new RENAME TO reviews;
CREATE INDEX reviews_learner_time ON reviews (learner_id, reviewed_at);
CREATE INDEX reviews_learner_concept ON reviews (learner_id, concept_slug, card_id, reviewed_at);
