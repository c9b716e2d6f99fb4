use super::*;
use crate::scheduler::ConceptState;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// 2026-01-01 00:00 UTC = 08:00 in Shanghai.
const T0: i64 = 1_767_225_600;
const DAY: i64 = 86_400;

fn learned(at: i64, ratings: &[Rating], gap_days: i64) -> CardMemory {
    let p = Prefs::default();
    let answers = ratings
        .iter()
        .enumerate()
        .map(|(i, r)| (at + i as i64 * gap_days * DAY, *r, ReviewKind::Review));
    replay(answers, &p).unwrap().unwrap()
}

fn candidate<'a>(
    id: &'a str,
    fact: &'a str,
    kind: &'a str,
    m: Option<&'a CardMemory>,
) -> Candidate<'a> {
    Candidate {
        id,
        fact,
        kind,
        memory: m,
    }
}

#[test]
fn the_chooser_prefers_an_unseen_card_then_the_weakest() {
    let p = Prefs::default();
    let decay = p.decay();
    let now = T0 + 30 * DAY;
    // strong: right three times, spaced; weak: missed on its last answer, long ago.
    let strong = learned(T0, &[Rating::Good, Rating::Good, Rating::Good], 5);
    let weak = learned(T0, &[Rating::Good, Rating::Again], 2);
    assert!(weak.recall(now, decay) < strong.recall(now, decay));
    let prior = CardMemory {
        reviews: 0,
        ..strong
    };
    let mut cards = vec![
        candidate("strong", "f1", "choice", Some(&strong)),
        candidate("weak", "f2", "choice", Some(&weak)),
        candidate("never", "f3", "fill", None),
        // A prior is not her own memory: the card is still unseen.
        candidate("prior", "f4", "fill", Some(&prior)),
    ];
    for seed in 0..20 {
        let mut rng = StdRng::seed_from_u64(seed);
        let c = choose_card(&cards, now, decay, &mut rng).unwrap();
        assert!(c.id == "never" || c.id == "prior", "{}", c.id);
    }
    cards.retain(|c| c.memory.is_some_and(CardMemory::seen));
    for seed in 0..20 {
        let mut rng = StdRng::seed_from_u64(seed);
        assert_eq!(
            choose_card(&cards, now, decay, &mut rng).unwrap().id,
            "weak"
        );
    }
    let mut rng = StdRng::seed_from_u64(0);
    assert!(choose_card(&[], now, decay, &mut rng).is_none());
}

#[test]
fn ties_are_broken_by_the_seed_and_only_by_it() {
    let p = Prefs::default();
    let cards: Vec<Candidate> = ["a", "b", "c", "d"]
        .iter()
        .map(|id| candidate(id, id, "choice", None))
        .collect();
    let run = |seed| {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..8)
            .map(|_| choose_card(&cards, T0, p.decay(), &mut rng).unwrap().id)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(5), run(5));
    let all: HashSet<&str> = (0..10).flat_map(run).collect();
    assert_eq!(all.len(), 4, "every tied card can be drawn");
}

#[test]
fn the_retry_re_asks_the_missed_fact() {
    let p = Prefs::default();
    let decay = p.decay();
    let now = T0 + DAY;
    let missed = learned(T0, &[Rating::Good, Rating::Again], 1);
    let other = learned(T0, &[Rating::Again], 1);
    let cards = [
        candidate("q-choice", "llama2-tokens", "choice", Some(&missed)),
        candidate("q-fill", "llama2-tokens", "fill", None),
        candidate("cot", "cot-finetune", "truefalse", Some(&other)),
    ];
    let mut rng = StdRng::seed_from_u64(1);
    let same = retry_card(&cards, "q-choice", Retry::SameCard, now, decay, &mut rng);
    assert_eq!(same.unwrap().id, "q-choice");
    let fact = retry_card(&cards, "q-choice", Retry::SameFact, now, decay, &mut rng);
    assert_eq!(fact.unwrap().id, "q-fill", "the same fact in another kind");
    // No other kind of that fact: the missed card itself, never another fact.
    let fact = retry_card(&cards, "cot", Retry::SameFact, now, decay, &mut rng);
    assert_eq!(fact.unwrap().id, "cot");
    assert!(retry_card(&cards, "gone", Retry::SameFact, now, decay, &mut rng).is_none());
}

#[test]
fn the_quizs_retry_asks_another_card_unseen_first_then_the_weakest() {
    let p = Prefs::default();
    let decay = p.decay();
    let now = T0 + 10 * DAY;
    let missed = learned(T0, &[Rating::Good, Rating::Again], 1);
    let weak = learned(T0, &[Rating::Again], 1);
    let strong = learned(T0, &[Rating::Good, Rating::Good, Rating::Easy], 3);
    let mut cards = vec![
        candidate("q-choice", "llama2-tokens", "choice", Some(&missed)),
        candidate("q-fill", "llama2-tokens", "fill", Some(&strong)),
        candidate("weak", "cot-finetune", "truefalse", Some(&weak)),
        candidate("unseen", "ghost-attention", "choice", None),
    ];
    for seed in 0..20 {
        let mut rng = StdRng::seed_from_u64(seed);
        let c = retry_card(&cards, "q-choice", Retry::OtherCard, now, decay, &mut rng);
        assert_eq!(c.unwrap().id, "unseen", "an unseen card first");
    }
    cards.pop();
    for seed in 0..20 {
        let mut rng = StdRng::seed_from_u64(seed);
        let c = retry_card(&cards, "q-choice", Retry::OtherCard, now, decay, &mut rng);
        assert_eq!(
            c.unwrap().id,
            "weak",
            "then the weakest other card, never the missed one"
        );
    }
    // Alone in its concept, the missed card is asked again; a card retired since, nothing.
    let mut rng = StdRng::seed_from_u64(1);
    let alone = retry_card(
        &cards[..1],
        "q-choice",
        Retry::OtherCard,
        now,
        decay,
        &mut rng,
    );
    assert_eq!(alone.unwrap().id, "q-choice");
    assert!(retry_card(&cards, "gone", Retry::OtherCard, now, decay, &mut rng).is_none());
}

#[test]
fn a_card_memory_follows_the_concept_rules() {
    let p = Prefs::default();
    let first = CardMemory::update(None, Rating::Good, ReviewKind::Learn, T0, &p).unwrap();
    assert_eq!((first.reviews, first.last_right), (1, true));
    // The same FSRS step as the concept state's.
    let out = crate::scheduler::apply(
        &ConceptState::new("x", T0),
        Rating::Good,
        T0,
        &p,
        &mut StdRng::seed_from_u64(0),
    )
    .unwrap();
    assert_eq!(first.memory.stability, out.stability);
    assert_eq!(first.memory.difficulty, out.difficulty);

    let wrong = CardMemory::update(
        Some(&first),
        Rating::Again,
        ReviewKind::Review,
        T0 + 3 * DAY,
        &p,
    )
    .unwrap();
    assert_eq!((wrong.reviews, wrong.last_right), (2, false));
    assert!(wrong.memory.stability < first.memory.stability);

    // Practice cannot raise it, but a wrong practice answer lowers it.
    let easy = CardMemory::update(
        Some(&first),
        Rating::Easy,
        ReviewKind::Practice,
        T0 + 600,
        &p,
    )
    .unwrap();
    assert!(easy.memory.stability <= first.memory.stability);
    assert!(easy.memory.difficulty >= first.memory.difficulty);

    // Replay is the same as answering one by one.
    let replayed = replay(
        [
            (T0, Rating::Good, ReviewKind::Learn),
            (T0 + 3 * DAY, Rating::Again, ReviewKind::Review),
        ],
        &p,
    )
    .unwrap();
    assert_eq!(replayed, Some(wrong));
    assert_eq!(replay([], &p).unwrap(), None);
}

#[test]
fn an_unseen_card_is_predicted_from_the_concept_by_rho() {
    let p = Prefs::default();
    let decay = p.decay();
    let mut concept = ConceptState::new("x", T0);
    assert!(CardMemory::prior(&concept).is_none());
    concept.stability = Some(10.0);
    concept.difficulty = Some(5.0);
    concept.last_review_at = Some(T0);
    concept.reps = 1;
    let prior = CardMemory::prior(&concept).unwrap();
    assert!(!prior.seen());
    let now = T0 + 10 * DAY;
    let rk = prior.recall(now, decay);
    assert!((rk - 0.9).abs() < 1e-3, "FSRS: R = 0.9 at t = S, got {rk}");
    let unseen = predicted_recall(None, Some(&prior), 0.5, now, decay);
    assert!((unseen - 0.45).abs() < 1e-3);
    // A prior passed as the card's own memory is still no evidence of the card.
    assert_eq!(
        predicted_recall(Some(&prior), Some(&prior), 0.5, now, decay),
        unseen
    );
    let card = learned(now - DAY, &[Rating::Good], 1);
    let seen = predicted_recall(Some(&card), Some(&prior), 0.5, now, decay);
    assert!((seen - (0.5 * rk + 0.5 * card.recall(now, decay))).abs() < 1e-6);
    assert_eq!(
        predicted_recall(Some(&card), Some(&prior), 1.0, now, decay),
        rk
    );
}

/// A learner under the lab's hidden model, `P = ρ·R_concept + (1 − ρ)·R_card`: 40 concepts of
/// 10 cards, the first card of each learned on day 0, then each day a random card of a third
/// of the concepts, for 120 days.
fn simulated_log(rho: f32, seed: u64) -> Vec<(i64, String, String, Rating)> {
    let p = Prefs::default();
    let decay = p.decay();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut concepts: Vec<Option<CardMemory>> = vec![None; 40];
    let mut cards: Vec<Option<CardMemory>> = vec![None; 400];
    let mut log = Vec::new();
    let mut answer = |k: usize, c: usize, at: i64, rating: Option<Rating>, rng: &mut StdRng| {
        let rating = rating.unwrap_or_else(|| {
            let rk = concepts[k].map_or(0.0, |m| m.recall(at, decay));
            let rc = cards[c].map_or(0.0, |m| m.recall(at, decay));
            if rng.random::<f32>() < rho * rk + (1.0 - rho) * rc {
                Rating::Good
            } else {
                Rating::Again
            }
        });
        for slot in [&mut concepts[k], &mut cards[c]] {
            *slot = CardMemory::update(slot.as_ref(), rating, ReviewKind::Review, at, &p).ok();
        }
        log.push((at, format!("k{k}"), format!("c{c}"), rating));
    };
    for k in 0..40 {
        answer(k, k * 10, T0 + k as i64 * 60, Some(Rating::Good), &mut rng);
    }
    for day in 1..120 {
        for k in 0..40 {
            if rng.random::<f32>() < 0.33 {
                let c = k * 10 + rng.random_range(0..10);
                answer(k, c, T0 + day * DAY + k as i64 * 60, None, &mut rng);
            }
        }
    }
    log
}

fn logged(log: &[(i64, String, String, Rating)]) -> Vec<LoggedAnswer<'_>> {
    log.iter()
        .map(|(at, k, c, r)| LoggedAnswer {
            at: *at,
            card: c,
            concept: k,
            rating: *r,
        })
        .collect()
}

#[test]
fn rho_is_recovered_from_a_simulated_log() {
    let p = Prefs::default();
    for (rho, seed) in [(0.25, 1), (0.5, 2), (0.75, 3), (1.0, 4)] {
        let log = simulated_log(rho, seed);
        let est = estimate_rho(&logged(&log), &p).unwrap();
        assert!((est - rho).abs() <= 0.1, "planted {rho}, estimated {est}");
    }
    // Too few first sights: no estimate.
    let short = simulated_log(0.5, 9);
    assert_eq!(estimate_rho(&logged(&short[..45]), &p), None);
}

fn today(answers: &[(&str, Rating, ReviewKind)]) -> Vec<crate::scheduler::TodayReview> {
    answers
        .iter()
        .map(|(c, r, k)| crate::scheduler::TodayReview {
            concept: c.to_string(),
            card: String::new(),
            rating: *r as u8,
            kind: *k,
        })
        .collect()
}

#[test]
fn a_concept_reviewed_right_may_take_extra_cards_right_after() {
    use Rating::{Again, Good};
    use ReviewKind::{Learn, Practice, Review};
    assert_eq!(extra_candidate(&today(&[])), None);
    // A scheduled review answered right: its concept, for up to EXTRA_CARDS practice answers.
    let mut log = vec![("rlhf", Good, Review)];
    assert_eq!(extra_candidate(&today(&log)), Some("rlhf"));
    log.push(("rlhf", Again, Practice));
    assert_eq!(extra_candidate(&today(&log)), Some("rlhf"));
    log.push(("rlhf", Good, Practice));
    assert_eq!(
        extra_candidate(&today(&log)),
        None,
        "two extra cards at most"
    );
    // A first answer of a new concept counts as a scheduled one.
    assert_eq!(
        extra_candidate(&today(&[("qlora", Good, Learn)])),
        Some("qlora")
    );
    // Not after a miss, nor after the same-day retry of one.
    assert_eq!(extra_candidate(&today(&[("rlhf", Again, Review)])), None);
    let retry = [
        ("rlhf", Again, Review),
        ("cot", Good, Review),
        ("rlhf", Good, Review),
    ];
    assert_eq!(extra_candidate(&today(&retry)), None);
    // A miss of another concept earlier does not make it a retry.
    let other = [("cot", Again, Review), ("rlhf", Good, Review)];
    assert_eq!(extra_candidate(&today(&other)), Some("rlhf"));
    // Practice on another concept since (extra practice, a paper's cards) ends the chance.
    let moved = [("rlhf", Good, Review), ("cot", Good, Practice)];
    assert_eq!(extra_candidate(&today(&moved)), None);
    // Practice only (no scheduled review today): nothing.
    assert_eq!(extra_candidate(&today(&[("rlhf", Good, Practice)])), None);
}

#[test]
fn extra_cards_need_a_lagging_card_and_a_low_transfer() {
    let p = Prefs::default();
    let (decay, target) = (p.decay(), p.desired_retention);
    let now = T0 + 3 * DAY;
    let fresh = learned(now - 60, &[Rating::Good], 1);
    let faded = learned(T0 - 200 * DAY, &[Rating::Good, Rating::Again], 3);
    assert!(faded.recall(now, decay) < target - EXTRA_MARGIN);
    assert!(fresh.recall(now, decay) >= target - EXTRA_MARGIN);
    let all_fresh = [candidate("a", "f1", "choice", Some(&fresh))];
    assert!(!needs_extra(&all_fresh, now, target, decay));
    let one_faded = [
        candidate("a", "f1", "choice", Some(&fresh)),
        candidate("b", "f2", "fill", Some(&faded)),
    ];
    assert!(needs_extra(&one_faded, now, target, decay));
    let prior = CardMemory {
        reviews: 0,
        ..fresh
    };
    let one_unseen = [
        candidate("a", "f1", "choice", Some(&fresh)),
        candidate("c", "f3", "fill", Some(&prior)),
    ];
    assert!(
        needs_extra(&one_unseen, now, target, decay),
        "a prior is not a sight"
    );
    assert!(!takes_extra(None), "no estimate yet: the plain schedule");
    assert!(takes_extra(Some(EXTRA_BELOW_RHO - 0.01)));
    assert!(!takes_extra(Some(EXTRA_BELOW_RHO)));
}

/// The fact she missed comes back by [`comeback`]: a card whose latest answer was wrong, at
/// most three answers old, not before the next session, while its predicted recall is under
/// her target; the lowest of those first.
#[test]
fn a_missed_young_card_comes_back_the_next_day_lowest_first() {
    let p = Prefs::default();
    let decay = p.decay();
    let target = p.desired_retention;
    // The concept: learned six days ago, a little under her target now.
    let concept = learned(T0, &[Rating::Good], 0);
    let missed_once = learned(T0 + 5 * DAY, &[Rating::Again], 0);
    let missed_after_two = learned(T0 + 5 * DAY, &[Rating::Hard, Rating::Again], 0);
    let right = learned(T0 + 5 * DAY, &[Rating::Good], 0);
    let old = learned(
        T0,
        &[Rating::Good, Rating::Good, Rating::Good, Rating::Again],
        1,
    );
    let card = |id, m| Missed {
        id,
        memory: m,
        concept: Some(concept),
    };
    let cards = [
        card("once", &missed_once),
        card("two", &missed_after_two),
        card("right", &right),
        card("old", &old),
    ];
    // Within the same session as the miss: nothing yet.
    let soon = T0 + 5 * DAY + COMEBACK_AFTER_SECS - 60;
    assert_eq!(comeback(&cards, soon, target, decay, None), None);
    // The next day: the lowest predicted recall of the young missed cards.
    let next = T0 + 6 * DAY;
    let predicted =
        |m: &CardMemory| predicted_recall(Some(m), Some(&concept), DEFAULT_RHO, next, decay);
    assert!(
        predicted(&missed_once) < target && predicted(&missed_after_two) < target,
        "{} {} {}",
        predicted(&missed_once),
        predicted(&missed_after_two),
        concept.recall(next, decay)
    );
    let lowest = if predicted(&missed_once) <= predicted(&missed_after_two) {
        "once"
    } else {
        "two"
    };
    assert_eq!(comeback(&cards, next, target, decay, None), Some(lowest));
    // Once that one is answered, the other; never the right one, nor one answered four times.
    let rest: Vec<Missed> = cards.iter().copied().filter(|c| c.id != lowest).collect();
    let other = if lowest == "once" { "two" } else { "once" };
    assert_eq!(comeback(&rest, next, target, decay, None), Some(other));
    let neither: Vec<Missed> = rest.iter().copied().filter(|c| c.id != other).collect();
    assert_eq!(comeback(&neither, next, target, decay, None), None);
    // A learner whose transfer is 1 recalls the card as well as its concept: while the concept
    // is above her target, nothing comes back.
    let fresh = learned(next - DAY, &[Rating::Good], 0);
    let by_concept = [Missed {
        id: "once",
        memory: &missed_once,
        concept: Some(fresh),
    }];
    assert!(fresh.recall(next, decay) > target);
    assert_eq!(comeback(&by_concept, next, target, decay, Some(1.0)), None);
    assert_eq!(
        comeback(&by_concept, next, target, decay, Some(0.0)),
        Some("once")
    );
}
