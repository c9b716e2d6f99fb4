-- Recovery codes (issue 20 §5): the way back into an account whose password is forgotten, as
-- there is no e-mail. Only a hash of each code is stored (SHA-256 of the code salted with the
-- learner's id: the codes are random, see src/auth/recovery.rs); `used_at` is set once, when a
-- code resets the password, and a code with it set never works again. Making new codes deletes
-- the old rows. Copied by copy-data; never exported (an export file is kept in cloud folders
-- and mailed around, and would carry the way into the account).
CREATE TABLE recovery_codes (
    learner_id BIGINT  NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
    code_hash  TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    used_at    BIGINT  NULL,
    PRIMARY KEY (learner_id, code_hash)
);

-- The monthly backup reminder on /progress: when she last downloaded her whole export
-- (paperdeck.json) and when she last dismissed the reminder. One row per learner, made by the
-- first of the two.
CREATE TABLE backup_reminders (
    learner_id     BIGINT  PRIMARY KEY REFERENCES learners(id) ON DELETE CASCADE,
    last_export_at BIGINT  NULL,
    dismissed_at   BIGINT  NULL
);
