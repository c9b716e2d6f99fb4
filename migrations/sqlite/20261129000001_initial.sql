-- paperdeck schema.
--
-- Conventions, kept portable to PostgreSQL:
--   * every timestamp column is named *_at and holds BIGINT Unix epoch seconds, UTC;
--     durations are BIGINT milliseconds (*_ms);
--   * booleans are SMALLINT 0/1;
--   * no SQLite-only functions in queries; upserts use ON CONFLICT.
-- Every per-learner table carries learner_id and is queried by it.

CREATE TABLE learners (
    id                  INTEGER PRIMARY KEY,
    username            TEXT    NOT NULL,
    -- lower-cased username: makes "Alice" and "alice" the same account name
    username_key        TEXT    NOT NULL UNIQUE,
    password_hash       TEXT    NOT NULL,
    created_at          BIGINT  NOT NULL,
    desired_retention   REAL    NOT NULL DEFAULT 0.9,
    new_per_day         INTEGER NOT NULL DEFAULT 5,
    max_reviews_per_day INTEGER NOT NULL DEFAULT 50,
    timezone            TEXT    NOT NULL DEFAULT 'Asia/Shanghai',
    rollover_hour       INTEGER NOT NULL DEFAULT 4,
    -- personal FSRS parameters as a JSON array; NULL means the crate's defaults
    fsrs_params         TEXT    NULL,
    -- undo works once: only reviews with a larger id than this can be undone
    undo_floor          INTEGER NOT NULL DEFAULT 0
);

-- Log-in sessions. The cookie holds only the id (encrypted); deleting the row logs out.
CREATE TABLE login_sessions (
    id           TEXT    PRIMARY KEY,
    learner_id   INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL
);
CREATE INDEX login_sessions_learner ON login_sessions (learner_id);

-- Quiz cards generated from content. The id is derived from (paper, fact key, kind), so it
-- survives edits; retired cards are kept for the review log but no longer shown.
CREATE TABLE cards (
    id           TEXT     PRIMARY KEY,
    paper_slug   TEXT     NOT NULL,
    fact_key     TEXT     NOT NULL,
    kind         TEXT     NOT NULL,
    concept_slug TEXT     NOT NULL,
    prompt       TEXT     NOT NULL,
    data_json    TEXT     NOT NULL,
    explanation  TEXT     NOT NULL,
    section      TEXT     NOT NULL,
    content_hash TEXT     NOT NULL,
    retired      SMALLINT NOT NULL DEFAULT 0,
    updated_at   BIGINT   NOT NULL
);
CREATE INDEX cards_concept ON cards (concept_slug, retired);

CREATE TABLE papers_read (
    learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    paper_slug TEXT    NOT NULL,
    read_at    BIGINT  NOT NULL,
    PRIMARY KEY (learner_id, paper_slug)
);

-- FSRS memory state per (learner, concept): the unit of scheduling.
-- stability/difficulty are NULL until the first review. version counts changes and is the
-- basis of the one-time answer token.
CREATE TABLE concept_states (
    learner_id     INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    concept_slug   TEXT    NOT NULL,
    unlocked_at    BIGINT  NOT NULL,
    stability      REAL    NULL,
    difficulty     REAL    NULL,
    due_at         BIGINT  NULL,
    last_review_at BIGINT  NULL,
    reps           INTEGER NOT NULL DEFAULT 0,
    lapses         INTEGER NOT NULL DEFAULT 0,
    last_card_id   TEXT    NULL,
    version        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (learner_id, concept_slug)
);
CREATE INDEX concept_states_due ON concept_states (learner_id, due_at);

-- The review log: one row per graded answer, with the state before and after so that an
-- undo can restore it exactly and statistics can be recomputed.
CREATE TABLE reviews (
    id                  INTEGER  PRIMARY KEY,
    learner_id          INTEGER  NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    card_id             TEXT     NOT NULL REFERENCES cards(id),
    concept_slug        TEXT     NOT NULL,
    reviewed_at         BIGINT   NOT NULL,
    answer              TEXT     NOT NULL,
    correct             SMALLINT NOT NULL,
    rating              SMALLINT NOT NULL,
    duration_ms         BIGINT   NOT NULL,
    -- 'learn' (first time), 'review' (scheduled), 'practice' (extra, before due)
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
    -- concept_states.version right after this answer: undo and re-grading need it unchanged
    version_after       INTEGER  NOT NULL
);
CREATE INDEX reviews_learner_time ON reviews (learner_id, reviewed_at);
-- covers "when did she last see each card of this concept" without touching the table
CREATE INDEX reviews_learner_concept ON reviews (learner_id, concept_slug, card_id, reviewed_at);
