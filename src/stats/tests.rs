//! Golden tests on a 120-day history built by a fixed rule, so every expected number below can
//! be worked out by hand (the working is in the comments).

use super::*;

/// 2026-01-01 04:00 in Shanghai (the rollover): learner day 0 starts here.
const DAY0: i64 = 1_767_211_200;
const TODAY: i64 = 119;

fn at(day: i64, hour: i64) -> i64 {
    DAY0 + day * 86_400 + hour * 3600
}

/// Days 0..=119. No reviews on days ≡ 4 (mod 10): 4, 14, …, 114 (12 days, all even).
/// Even days have two reviews, odd days one. The first review of a day is right and its
/// interval is [0, 3, 10, 30][day mod 4] days; the second is wrong, interval 0. 10 s each.
fn history() -> Vec<ReviewFact> {
    let mut out = Vec::new();
    for d in 0..=TODAY {
        if d % 10 == 4 {
            continue;
        }
        out.push(ReviewFact {
            time: at(d, 8),
            concept: format!("c{}", d % 3),
            correct: true,
            duration_ms: 10_000,
            elapsed_days: [0, 3, 10, 30][(d % 4) as usize],
            kind: ReviewKind::Review,
        });
        if d % 2 == 0 {
            out.push(ReviewFact {
                time: at(d, 9),
                concept: format!("c{}", d % 3),
                correct: false,
                duration_ms: 10_000,
                elapsed_days: 0,
                kind: ReviewKind::Review,
            });
        }
    }
    out
}

/// The learner-day index of day `d` of the history.
fn di(d: i64) -> i64 {
    Prefs::default().day_index(at(d, 12))
}

fn now() -> i64 {
    at(TODAY, 20)
}

#[test]
fn the_history_has_the_expected_size() {
    // 108 review days; 48 of them even (60 even days minus the 12 gaps): 108 + 48 = 156.
    assert_eq!(history().len(), 156);
}

#[test]
fn streaks() {
    // Runs between gaps: 0–3 (4 days), 5–13, …, 105–113 (9 days each), 115–119 (5 days).
    assert_eq!(super::streaks(&history(), &Prefs::default(), now()), (5, 9));
    // Tomorrow before any review: the streak still stands (today is not over).
    assert_eq!(
        super::streaks(&history(), &Prefs::default(), at(TODAY + 1, 10)).0,
        5
    );
    // The day after: broken.
    assert_eq!(
        super::streaks(&history(), &Prefs::default(), at(TODAY + 2, 10)).0,
        0
    );
    assert_eq!(super::streaks(&[], &Prefs::default(), now()), (0, 0));
}

#[test]
fn last_week() {
    // Days 113–119: 113 (1), 114 (gap), 115 (1), 116 (2), 117 (1), 118 (2), 119 (1) = 8
    // reviews of 10 s.
    assert_eq!(
        super::last_week(&history(), &Prefs::default(), now()),
        (8, 80_000)
    );
}

#[test]
fn heatmap() {
    let h = super::heatmap(&history(), &Prefs::default(), now(), 365);
    assert_eq!(h.len(), 365);
    assert_eq!(h.last(), Some(&(di(TODAY), 1)));
    assert_eq!(h[h.len() - 2], (di(118), 2));
    assert_eq!(h[h.len() - 6], (di(114), 0));
    assert_eq!(h.iter().map(|(_, n)| n).sum::<usize>(), 156);
    // 365 days back from day 119 reaches before day 0: those days are empty.
    assert_eq!(h[0].0, di(TODAY) - 364);
    assert_eq!(h[0].1, 0);
}

#[test]
fn weekly_accuracy() {
    let w = super::weekly_accuracy(&history(), &Prefs::default(), now(), 12);
    assert_eq!(w.len(), 12);
    // Last week (113–119): 8 reviews, the 2 second reviews (116, 118) wrong: 6 right.
    assert_eq!(
        w[11],
        (
            di(113),
            Tally {
                total: 8,
                correct: 6
            }
        )
    );
    // The week before (106–112): 106 (2), 107 (1), 108 (2), 109 (1), 110 (2), 111 (1),
    // 112 (2) = 11, of which 4 wrong.
    assert_eq!(
        w[10],
        (
            di(106),
            Tally {
                total: 11,
                correct: 7
            }
        )
    );
    assert_eq!(w[11].1.rate(), Some(0.75));
    assert_eq!(
        Tally {
            total: 0,
            correct: 0
        }
        .rate(),
        None
    );
}

#[test]
fn retention_by_interval() {
    // Interval 0: first reviews on days ≡ 0 (mod 4): 30 such days, 6 of them gaps (4, 24, 44,
    // 64, 84, 104) → 24 right; plus all 48 second reviews, wrong → 24 / 72.
    // 3 days: days ≡ 1 (mod 4), 30, no gaps (gaps are even) → 30 / 30.
    // 10 days: days ≡ 2 (mod 4), 30 minus 6 gaps (14, 34, …, 114) → 24 / 24.
    // 30 days: days ≡ 3 (mod 4) → 30 / 30.
    let r = super::retention_by_interval(&history());
    assert_eq!(
        r,
        [
            Tally {
                total: 72,
                correct: 24
            },
            Tally {
                total: 30,
                correct: 30
            },
            Tally {
                total: 24,
                correct: 24
            },
            Tally {
                total: 30,
                correct: 30
            },
        ]
    );
    // Learning answers have no interval and are not counted.
    let mut h = history();
    h[0].kind = ReviewKind::Learn;
    assert_eq!(super::retention_by_interval(&h)[0].total, 71);
}

fn state(concept: &str, stability: f32, last: i64, due: i64) -> ConceptState {
    ConceptState {
        stability: Some(stability),
        difficulty: Some(5.0),
        due_at: Some(due),
        last_review_at: Some(last),
        reps: 3,
        ..ConceptState::new(concept, 0)
    }
}

#[test]
fn knowledge_and_forecast() {
    let p = Prefs::default();
    let n = now();
    // Reviewed just now: recall 1. Reviewed exactly `stability` days ago: recall 0.9 (that is
    // what FSRS's stability means). A new concept adds nothing.
    let states = vec![
        state("a", 10.0, n, at(TODAY + 5, 0)),
        state("b", 4.0, n - 4 * 86_400, at(TODAY - 1, 0)),
        ConceptState::new("c", 0),
    ];
    let k = super::knowledge(&states, &p, n);
    assert!((k - 1.9).abs() < 1e-4, "{k}");
    let f = super::forecast(&states, &p, n, 30);
    assert_eq!(f.len(), 30);
    // b is overdue: today; a in 5 days.
    assert_eq!((f[0], f[5], f.iter().sum::<usize>()), (1, 1, 2));
}

/// Plays a learner's answers through the real scheduler: each answer is given at 09:00 on the
/// learner day given (the clock is the test's), with a seeded rng for the interval fuzz.
/// Returns the concept's state and its review log.
fn play(concept: &str, answers: &[(i64, bool)]) -> (ConceptState, Vec<ReviewFact>) {
    use crate::scheduler::{apply, Rating};
    use rand::SeedableRng;
    let prefs = Prefs::default();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut s = ConceptState::new(concept, at(0, 0));
    let mut log = Vec::new();
    for &(day, right) in answers {
        let t = at(day, 5);
        let rating = if right { Rating::Good } else { Rating::Again };
        let out = apply(&s, rating, t, &prefs, &mut rng).unwrap();
        log.push(ReviewFact {
            time: t,
            concept: concept.to_string(),
            correct: right,
            duration_ms: 10_000,
            elapsed_days: out.elapsed_days,
            kind: if s.is_new() {
                ReviewKind::Learn
            } else {
                ReviewKind::Review
            },
        });
        s = ConceptState {
            stability: Some(out.stability),
            difficulty: Some(out.difficulty),
            due_at: Some(out.due_at),
            last_review_at: Some(t),
            reps: out.reps,
            lapses: out.lapses,
            version: s.version + 1,
            ..s
        };
    }
    (s, log)
}

/// Right answers on the day each review falls due, as a diligent learner gives them.
fn diligent(concept: &str, first_day: i64, n: usize) -> Vec<(i64, bool)> {
    let mut answers = vec![(first_day, true)];
    for _ in 1..n {
        let (s, _) = play(concept, &answers);
        answers.push((Prefs::default().day_index(s.due_at.unwrap()) - di(0), true));
    }
    answers
}

fn level_of(state: &ConceptState, log: &[ReviewFact]) -> Level {
    super::levels(std::slice::from_ref(state), log, &Prefs::default())[&state.concept]
}

#[test]
fn a_learner_whose_only_answer_is_wrong_has_mastered_nothing() {
    let (s, log) = play("rlhf", &[(0, false)]);
    // Right after the answer the predicted recall is ~100%: that is not mastery.
    assert!(s.recall(at(0, 6), Prefs::default().decay()).unwrap() > 0.9);
    assert_eq!(level_of(&s, &log), Level::Learning);
    let states = vec![s, ConceptState::new("scaling-laws", at(0, 0))];
    let levels = super::levels(&states, &log, &Prefs::default());
    assert_eq!(levels["scaling-laws"], Level::New);
    let concepts = vec!["rlhf".to_string(), "scaling-laws".to_string()];
    assert_eq!(
        super::paper_mastery(&concepts, true, &levels),
        Some(PaperMastery {
            total: 2,
            mastered: 0,
            familiar: 0
        })
    );
    // An unread paper that shares the concept shows no mastery at all.
    assert_eq!(super::paper_mastery(&concepts, false, &levels), None);
}

#[test]
fn a_long_good_history_is_mastered() {
    let answers = diligent("rlhf", 0, 4);
    let (s, log) = play("rlhf", &answers);
    // FSRS-6 default parameters, each answer on its due day: days 0, 2, 12 and 55 (the rng
    // is seeded, so the fuzz is fixed), leaving a memory of about 154 days.
    let days: Vec<i64> = answers.iter().map(|a| a.0).collect();
    assert_eq!(days, [0, 2, 12, 55]);
    assert!(s.stability.unwrap() >= MASTERED_DAYS, "{s:?}");
    assert_eq!(level_of(&s, &log), Level::Mastered);
    // After two right answers (days 0 and 2) the memory lasts about 11 days: 熟悉.
    let (s2, log2) = play("rlhf", &answers[..2]);
    assert!(s2.stability.unwrap() >= FAMILIAR_DAYS && s2.stability.unwrap() < MASTERED_DAYS);
    assert_eq!(level_of(&s2, &log2), Level::Familiar);
    let levels = super::levels(&[s], &log, &Prefs::default());
    let pm = super::paper_mastery(&["rlhf".to_string()], true, &levels).unwrap();
    assert_eq!((pm.mastered, pm.percent()), (1, 100));
}

#[test]
fn a_lapse_drops_a_mastered_concept_and_it_has_to_be_shown_again() {
    let mut answers = diligent("rlhf", 0, 4);
    let (s, log) = play("rlhf", &answers);
    assert_eq!(level_of(&s, &log), Level::Mastered);
    let due = Prefs::default().day_index(s.due_at.unwrap()) - di(0);
    // Forgotten when it fell due: the last answer is wrong.
    answers.push((due, false));
    let (s, log) = play("rlhf", &answers);
    assert_eq!(level_of(&s, &log), Level::Learning);
    assert_eq!(s.lapses, 1);
    // Right again the next day. FSRS has cut the memory to under a week (about 6.6 days), so
    // the concept is still 初学.
    answers.push((due + 1, true));
    let (s, log) = play("rlhf", &answers);
    assert!(s.stability.unwrap() < FAMILIAR_DAYS, "{s:?}");
    assert_eq!(level_of(&s, &log), Level::Learning);
    // Even with a long memory, one right day since the lapse is not 掌握.
    let long = ConceptState {
        stability: Some(60.0),
        ..s
    };
    assert_eq!(level_of(&long, &log), Level::Familiar);
}

#[test]
fn a_wrong_last_answer_is_never_familiar_or_mastered_whatever_the_stability() {
    let p = Prefs::default();
    let s = state("a", 200.0, at(30, 5), at(200, 0));
    let mut log: Vec<ReviewFact> = [0, 10, 20, 30]
        .iter()
        .map(|&d| ReviewFact {
            time: at(d, 5),
            concept: "a".into(),
            correct: true,
            duration_ms: 1000,
            elapsed_days: 10,
            kind: ReviewKind::Review,
        })
        .collect();
    assert_eq!(
        super::level(&s, &log.iter().collect::<Vec<_>>(), &p),
        Level::Mastered
    );
    log.last_mut().unwrap().correct = false;
    assert_eq!(
        super::level(&s, &log.iter().collect::<Vec<_>>(), &p),
        Level::Learning
    );
    // Many right answers crammed into one day count as one day.
    for r in &mut log {
        r.time = at(30, 5);
        r.correct = true;
    }
    assert_eq!(
        super::level(&s, &log.iter().collect::<Vec<_>>(), &p),
        Level::Familiar
    );
    // A memory state without any answer in the log (skipped on import): 初学 at most.
    assert_eq!(super::level(&s, &[], &p), Level::Learning);
    // Short memory, last answer right: 初学.
    let short = state("a", 3.0, at(30, 5), at(33, 0));
    assert_eq!(
        super::level(&short, &log.iter().collect::<Vec<_>>(), &p),
        Level::Learning
    );
}

fn typed(card: &str, answer: &str, correct: bool, overridden: bool) -> TypedAnswer {
    TypedAnswer {
        card_id: card.into(),
        paper: "chinchilla".into(),
        prompt: format!("prompt {card}"),
        expected: "54.3%".into(),
        answer: answer.into(),
        correct,
        overridden,
    }
}

#[test]
fn the_grading_report_lists_overridden_cards_with_their_typed_answers() {
    let answers = vec![
        typed("a", "54.3%", true, false),
        typed("a", " 百分之五十四点三", true, true),
        typed("a", "百分之五十四点三", true, true),
        typed("a", "0.543", true, true),
        typed("a", "50%", false, false),
        typed("b", "七十亿", true, true),
        typed("b", "7B", false, false),
        typed("b", "7B", false, false),
        typed("c", "x", false, false),
    ];
    let r = super::grading_report(&answers);
    // c has no override and is not listed; a (3 overrides) before b (1).
    assert_eq!(
        r.iter().map(|c| c.card_id.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!((r[0].typed, r[0].marked_wrong, r[0].overridden), (5, 4, 3));
    assert_eq!(
        r[0].overridden_answers,
        vec![
            ("百分之五十四点三".to_string(), 2),
            ("0.543".to_string(), 1)
        ]
    );
    assert_eq!(r[0].wrong_answers, vec![("50%".to_string(), 1)]);
    assert_eq!(r[1].wrong_answers, vec![("7B".to_string(), 2)]);
    assert_eq!(r[0].prompt, "prompt a");
    assert!(super::grading_report(&[]).is_empty());
}
