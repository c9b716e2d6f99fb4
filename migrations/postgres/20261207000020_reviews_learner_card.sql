-- A learner's latest answer to one card (the answered in-page questions of a paper page) is
-- found by index, whatever the size of her history.
CREATE INDEX reviews_learner_card ON reviews (learner_id, card_id, id);
