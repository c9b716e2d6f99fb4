-- Sign-ups per client address within the last hour, so that the sign-up budgets hold for every
-- instance on a shared database, not per process (security re-test 2026-12-06, N6). Rows older
-- than the hour are deleted as new ones come in.
CREATE TABLE signup_events (
    addr TEXT   NOT NULL,
    at   BIGINT NOT NULL
);
CREATE INDEX signup_events_addr ON signup_events (addr, at);
CREATE INDEX signup_events_at ON signup_events (at);
