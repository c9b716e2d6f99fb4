-- "今天再学 N 个" (issue 20): a raise of the new-concept limit for one learner day, like Anki's
-- custom study. extra_new counts only while extra_new_day is her current day (day 0, 1970, is
-- never current, so the defaults mean no raise).
ALTER TABLE learners ADD COLUMN extra_new_day BIGINT NOT NULL DEFAULT 0;
ALTER TABLE learners ADD COLUMN extra_new BIGINT NOT NULL DEFAULT 0;
