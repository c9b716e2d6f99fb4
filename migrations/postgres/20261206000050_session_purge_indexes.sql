-- The purge of ended sessions (src/store/learners.rs, every few minutes on every instance)
-- finds them by idle time or by age; without these it read every session of every learner
-- (tests/plans.rs fails on such a scan).
CREATE INDEX login_sessions_last_seen ON login_sessions (last_seen_at);
CREATE INDEX login_sessions_created ON login_sessions (created_at);
