-- Reading progress: the sections of a paper page a learner has reached, by answering a question
-- placed after the section or by pressing 读完这一节. Portable SQL (see the first migration):
-- BIGINT ids and seconds, TEXT slugs, a composite key so that ON CONFLICT upserts need no
-- surrogate id. Deleting the learner deletes her rows.
CREATE TABLE reading_progress (
    learner_id BIGINT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    paper_slug TEXT   NOT NULL,
    section    TEXT   NOT NULL,
    reached_at BIGINT NOT NULL,
    PRIMARY KEY (learner_id, paper_slug, section)
);
-- "继续读" reads her most recent rows.
CREATE INDEX reading_progress_recent ON reading_progress (learner_id, reached_at);
