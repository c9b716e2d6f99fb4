-- Several instances (PostgreSQL, issue 13); the SQLite schema keeps the same columns so that the
-- queries are one text for both.
--
-- data_version: bumped by every transaction that changes what the quiz caches for the learner
-- (states, answers, papers read, settings); a cached entry is used only while it still matches
-- (src/store/cache.rs).
ALTER TABLE learners ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;

-- Failed log-ins, so that the limit counts them across every instance, not per process. Rows
-- older than the limiter's window are deleted as new ones come in.
CREATE TABLE login_failures (
    name_key  TEXT   NOT NULL,
    addr      TEXT   NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_name ON login_failures (name_key, failed_at);
CREATE INDEX login_failures_at ON login_failures (failed_at);
