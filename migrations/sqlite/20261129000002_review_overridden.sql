-- "我答对了，算我对": a wrong typed answer that the learner turned into a right one. The row then
-- has correct = 1 and the state after it recomputed as a right answer; overridden = 1 keeps the
-- fact that the grader disagreed, so `paperdeck report grading` can show which cards' grading
-- learners dispute most.
ALTER TABLE reviews ADD COLUMN overridden SMALLINT NOT NULL DEFAULT 0;
