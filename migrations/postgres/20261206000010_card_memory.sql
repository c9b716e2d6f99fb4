-- Per-card memory (issue 19): an FSRS state per (learner, card) from that card's own answers,
-- which decides which card of a concept she is asked. Derived data: replaying her reviews in
-- id order rebuilds it (src/store/card_memory.rs). Written in the answer's own transaction.
CREATE TABLE card_memory (
    learner_id     BIGINT   NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    card_id        TEXT     NOT NULL,
    stability      DOUBLE PRECISION NOT NULL,
    difficulty     DOUBLE PRECISION NOT NULL,
    last_review_at BIGINT   NOT NULL,
    last_right     SMALLINT NOT NULL,
    reviews        BIGINT   NOT NULL,
    PRIMARY KEY (learner_id, card_id)
);

-- Learners whose card memory is still to be built by replaying their reviews: everyone who has
-- answered when this migration runs (a migration cannot run FSRS). Start-up drains it a learner
-- per transaction, and an import adds its learner until it has rebuilt hers.
CREATE TABLE card_memory_rebuild (
    learner_id BIGINT NOT NULL PRIMARY KEY REFERENCES learners(id) ON DELETE CASCADE
);
INSERT INTO card_memory_rebuild (learner_id) SELECT DISTINCT learner_id FROM reviews;
