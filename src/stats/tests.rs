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
fn knowledge_forecast_and_mastery() {
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
    let concepts: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
    // a (1.0) is mastered; b (0.9, at the threshold) too; c is new; d has no state: 2 / 4.
    assert_eq!(super::mastery(&concepts, &states, &p, n), 0.5);
    assert_eq!(super::mastery(&[], &states, &p, n), 0.0);
}
