//! A simulated learner, days at a time, with an injected clock and seeded RNG.

use super::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

const CONCEPTS: [&str; 18] = [
    "pretraining",
    "benchmarks",
    "scaling-laws",
    "compute-optimal",
    "few-shot",
    "emergence",
    "chain-of-thought",
    "multilingual",
    "code-generation",
    "sft",
    "reward-model",
    "rlhf",
    "alignment",
    "chat-models",
    "multimodality",
    "open-models",
    "quantization",
    "lora",
];

/// 2026-01-01 00:00 UTC = 08:00 in Shanghai.
const T0: i64 = 1_767_225_600;

fn prefs() -> Prefs {
    Prefs::default()
}

struct Sim {
    states: Vec<ConceptState>,
    log: Vec<(i64, String, Rating, ReviewKind)>,
    prefs: Prefs,
    rng: StdRng,
}

impl Sim {
    fn new(prefs: Prefs, n: usize) -> Sim {
        Sim {
            states: CONCEPTS[..n]
                .iter()
                .map(|c| ConceptState::new(c, T0))
                .collect(),
            log: Vec::new(),
            prefs,
            rng: StdRng::seed_from_u64(7),
        }
    }

    fn today(&self, now: i64) -> Vec<TodayReview> {
        let day = self.prefs.day_index(now);
        self.log
            .iter()
            .filter(|(t, ..)| self.prefs.day_index(*t) == day)
            .map(|(_, c, r, k)| TodayReview {
                concept: c.clone(),
                card: String::new(),
                rating: *r as u8,
                kind: *k,
            })
            .collect()
    }

    fn answer(&mut self, concept: &str, rating: Rating, kind: ReviewKind, now: i64) -> Outcome {
        let i = self
            .states
            .iter()
            .position(|s| s.concept == concept)
            .unwrap();
        let out = apply(&self.states[i], rating, now, &self.prefs, &mut self.rng).unwrap();
        let s = &mut self.states[i];
        s.stability = Some(out.stability);
        s.difficulty = Some(out.difficulty);
        s.due_at = Some(out.due_at);
        s.last_review_at = Some(now);
        s.reps = out.reps;
        s.lapses = out.lapses;
        s.version += 1;
        self.log.push((now, concept.to_string(), rating, kind));
        out
    }

    /// One study session starting at `start`; `grade` decides each answer. Returns the picks.
    fn session(
        &mut self,
        start: i64,
        mut grade: impl FnMut(&str, &mut StdRng) -> Rating,
    ) -> Vec<Pick> {
        let mut picks = Vec::new();
        let mut now = start;
        for _ in 0..500 {
            let today = self.today(now);
            let pick = pick_next(&self.states, &today, now, &self.prefs);
            picks.push(pick.clone());
            let Some(c) = pick.concept().map(str::to_string) else {
                break;
            };
            let mut rng = StdRng::seed_from_u64(now as u64);
            let r = grade(&c, &mut rng);
            self.answer(&c, r, pick.review_kind(), now);
            now += 30;
        }
        picks
    }
}

fn day_at(day: i64, hour: i64) -> i64 {
    // Shanghai is UTC+8 with no DST: local hour h on day d.
    T0 - 8 * 3600 + day * 86_400 + hour * 3600
}

#[test]
fn intervals_grow_for_a_concept_answered_right() {
    let mut sim = Sim::new(prefs(), 1);
    let mut now = day_at(0, 20);
    let mut intervals = Vec::new();
    for _ in 0..8 {
        let out = sim.answer("pretraining", Rating::Good, ReviewKind::Review, now);
        intervals.push(out.scheduled_days);
        now = out.due_at + 3600;
    }
    // They grow until the cap, then stay near it (fuzz may take a few days off).
    let cap = i64::from(DEFAULT_MAX_INTERVAL_DAYS);
    for w in intervals.windows(2) {
        assert!(w[1] > w[0] || w[0] >= cap * 95 / 100, "{intervals:?}");
    }
    assert!(intervals.iter().all(|d| *d <= cap), "{intervals:?}");
    assert!(intervals[7] >= cap * 95 / 100, "{intervals:?}");
}

#[test]
fn a_lapse_shortens_the_interval_and_returns_in_the_same_session() {
    let mut sim = Sim::new(prefs(), 6);
    let mut now = day_at(0, 20);
    let mut last = 0;
    for _ in 0..5 {
        let out = sim.answer("pretraining", Rating::Good, ReviewKind::Review, now);
        last = out.scheduled_days;
        now = out.due_at + 3600;
    }
    let lapse = sim.answer("pretraining", Rating::Again, ReviewKind::Review, now);
    assert!(
        lapse.scheduled_days < last,
        "{} !< {last}",
        lapse.scheduled_days
    );
    assert_eq!(sim.states[0].lapses, 1);
    // Three other answers later it is picked again, before anything else.
    let mut t = now + 30;
    for k in 0..RELEARN_GAP {
        let today = sim.today(t);
        let pick = pick_next(&sim.states, &today, t, &sim.prefs);
        assert_ne!(
            pick,
            Pick::Relearn("pretraining".into()),
            "too early at {k}"
        );
        let c = pick.concept().unwrap().to_string();
        sim.answer(&c, Rating::Good, pick.review_kind(), t);
        t += 30;
    }
    let today = sim.today(t);
    assert_eq!(
        pick_next(&sim.states, &today, t, &sim.prefs),
        Pick::Relearn("pretraining".into())
    );
}

#[test]
fn daily_limits_are_respected() {
    let mut p = prefs();
    p.new_per_day = 5;
    p.max_reviews_per_day = 8;
    let mut sim = Sim::new(p, 18);
    for day in 0..30 {
        let picks = sim.session(day_at(day, 20), |_, _| Rating::Good);
        let new = picks.iter().filter(|p| matches!(p, Pick::New(_))).count();
        let due = picks.iter().filter(|p| matches!(p, Pick::Due(_))).count();
        assert!(new <= 5, "day {day}: {new} new");
        assert!(due <= 8, "day {day}: {due} reviews");
        assert!(matches!(picks.last(), Some(Pick::Done { .. })));
    }
    // 18 concepts at 5 a day: all learned by the fourth day.
    assert!(sim.states.iter().all(|s| !s.is_new()));
}

#[test]
fn over_ninety_days_no_unlocked_concept_starves() {
    let mut sim = Sim::new(prefs(), 18);
    for day in 0..90 {
        sim.session(day_at(day, 21), |_, rng| {
            if rng.random_bool(0.85) {
                Rating::Good
            } else {
                Rating::Again
            }
        });
        // When the session ends, nothing that was due has been left behind.
        let end = sim.log.last().map(|(t, ..)| *t + 30).unwrap_or(0);
        for s in &sim.states {
            if let Some(d) = s.due_at {
                assert!(
                    d > end || s.is_new(),
                    "day {day}: {} left due: {s:?}",
                    s.concept
                );
            }
        }
    }
    for s in &sim.states {
        assert!(s.reps >= 4, "{} reviewed only {} times", s.concept, s.reps);
        let last = s.last_review_at.unwrap();
        // Reviewed in the last 60 of the 90 days: one reviewed only in the first month starved.
        // (Over days 0–89 a bound of 120 days could not fail. Today's longest gap is 37 days.)
        let days_since = (day_at(90, 0) - last) / 86_400;
        assert!(
            days_since < 60,
            "{} last reviewed {days_since} days ago",
            s.concept
        );
    }
}

#[test]
fn the_day_rolls_over_at_the_learners_hour_in_her_time_zone() {
    let mut p = prefs();
    p.tz = chrono_tz::America::New_York;
    p.rollover_hour = 4;
    // 2026-03-10 03:59 and 04:00 in New York (EDT, UTC-4) are 07:59 and 08:00 UTC.
    let before = 1_773_129_540;
    let after = before + 60;
    assert_eq!(p.day_index(after) - p.day_index(before), 1);
    assert_eq!(p.day_start(p.day_index(after)), after);
    // In Shanghai the same instants are 15:59 and 16:00: the same day.
    let sh = prefs();
    assert_eq!(sh.day_index(after), sh.day_index(before));
}

#[test]
fn long_intervals_land_on_day_starts_and_respect_the_cap() {
    let mut p = prefs();
    p.max_interval_days = 20;
    let mut sim = Sim::new(p, 1);
    let mut now = day_at(0, 20);
    for _ in 0..10 {
        let out = sim.answer("pretraining", Rating::Easy, ReviewKind::Review, now);
        assert!(out.scheduled_days <= 20);
        if out.scheduled_days > 0 {
            let d = sim.prefs.day_index(out.due_at);
            assert_eq!(sim.prefs.day_start(d), out.due_at);
        }
        now = out.due_at + 60;
    }
}

#[test]
fn the_card_chooser_prefers_unseen_and_another_kind_and_never_repeats() {
    let cards = [
        CardChoice {
            id: "a",
            kind: "choice",
        },
        CardChoice {
            id: "b",
            kind: "choice",
        },
        CardChoice {
            id: "c",
            kind: "fill",
        },
    ];
    let mut seen = HashMap::new();
    seen.insert("a".to_string(), 100);
    let mut rng = StdRng::seed_from_u64(1);
    // a was the last card: b and c are unseen; c has another kind.
    let pick = pick_card(&cards, &seen, Some("a"), &mut rng).unwrap();
    assert_eq!(pick.id, "c");
    // everything seen: the least recent wins, never the last card
    seen.insert("b".into(), 50);
    seen.insert("c".into(), 200);
    for seed in 0..20 {
        let mut rng = StdRng::seed_from_u64(seed);
        let p = pick_card(&cards, &seen, Some("b"), &mut rng).unwrap();
        assert_ne!(p.id, "b");
        assert_eq!(p.id, "a");
    }
    // a single card is shown even if it was the last one
    let one = [CardChoice {
        id: "x",
        kind: "recall",
    }];
    assert_eq!(pick_card(&one, &seen, Some("x"), &mut rng).unwrap().id, "x");
}

/// L2 (security review 2026-11-29): sixty practice answers in one sitting, each "太简单", took
/// stability from 0 to thousands of days. Practice can now lower the memory but not raise it,
/// and only a first answer or a spaced review may be re-graded to 太简单.
#[test]
fn l2_practice_answers_cannot_inflate_stability_without_spacing() {
    let p = prefs();
    let mut rng = StdRng::seed_from_u64(3);
    let now = day_at(0, 20);
    let mut s = ConceptState::new("lora", T0);
    let learned = apply(&s, Rating::Good, now, &p, &mut rng).unwrap();
    s.stability = Some(learned.stability);
    s.difficulty = Some(learned.difficulty);
    s.due_at = Some(learned.due_at);
    s.last_review_at = Some(now);
    s.reps = 1;
    for i in 1..=60 {
        let t = now + i * 30;
        let out = apply(&s, Rating::Easy, t, &p, &mut rng).unwrap();
        let out = for_kind(&s, ReviewKind::Practice, out);
        s.stability = Some(out.stability);
        s.difficulty = Some(out.difficulty);
        s.due_at = Some(out.due_at);
        s.last_review_at = Some(t);
        s.reps = out.reps;
    }
    assert!(s.stability.unwrap() <= learned.stability, "{s:?}");
    assert!(s.due_at.unwrap() <= learned.due_at);
    assert!(s.difficulty.unwrap() >= learned.difficulty);

    // A wrong practice answer still counts: it is evidence of forgetting.
    let wrong = apply(&s, Rating::Again, now + 3_600, &p, &mut rng).unwrap();
    let wrong = for_kind(&s, ReviewKind::Practice, wrong);
    assert!(wrong.stability < s.stability.unwrap());
    assert!(wrong.due_at < s.due_at.unwrap());

    // Scheduled answers are untouched.
    let due = apply(&s, Rating::Easy, learned.due_at + 3_600, &p, &mut rng).unwrap();
    assert_eq!(for_kind(&s, ReviewKind::Review, due.clone()), due);

    assert!(spaced(ReviewKind::Learn, 0));
    assert!(spaced(ReviewKind::Review, 1));
    assert!(
        !spaced(ReviewKind::Review, 0),
        "a same-day relearn is not spaced"
    );
    assert!(!spaced(ReviewKind::Practice, 5));
}

/// 忘过 means forgotten: a miss minutes after first learning, a second miss the same day and a
/// practice miss are all still learning; only a failure on a later day counts as a lapse.
#[test]
fn a_lapse_is_only_a_failure_on_a_later_day() {
    let mut sim = Sim::new(prefs(), 1);
    let now = day_at(0, 20);
    sim.answer("pretraining", Rating::Good, ReviewKind::Learn, now);
    let same_day = sim.answer("pretraining", Rating::Again, ReviewKind::Review, now + 600);
    assert_eq!(same_day.lapses, 0, "a miss minutes after learning");
    sim.answer("pretraining", Rating::Again, ReviewKind::Review, now + 1200);
    assert_eq!(sim.states[0].lapses, 0);
    let later = day_at(3, 20);
    let before = sim.states[0].clone();
    let practice = apply(&before, Rating::Again, later, &sim.prefs, &mut sim.rng).unwrap();
    assert_eq!(practice.lapses, 1, "FSRS alone would count it");
    let practice = for_kind(&before, ReviewKind::Practice, practice);
    assert_eq!(practice.lapses, 0, "not in extra practice");
    let real = sim.answer("pretraining", Rating::Again, ReviewKind::Review, later);
    assert_eq!(real.lapses, 1, "a failure days later is one");
    assert!(is_lapse(&before, Rating::Again, 1));
    assert!(!is_lapse(&before, Rating::Hard, 1));
    assert!(!is_lapse(&ConceptState::new("x", 0), Rating::Again, 5));
}

/// B6: "做完另外 3 题后再考你一次" holds in extra practice too: a missed concept is not the very
/// next practice question, and comes back once three other answers have passed.
#[test]
fn b6_a_practice_miss_returns_after_three_other_answers() {
    let mut sim = Sim::new(prefs(), 6);
    let mut now = day_at(0, 20);
    for c in CONCEPTS.iter().take(6) {
        sim.answer(c, Rating::Good, ReviewKind::Learn, now);
        now += 30;
    }
    let first = practice_next(&sim.states, &sim.today(now), now, &sim.prefs)
        .unwrap()
        .0;
    sim.answer(&first, Rating::Again, ReviewKind::Practice, now);
    let mut picks = Vec::new();
    for _ in 0..RELEARN_GAP + 1 {
        now += 30;
        let (c, retry) = practice_next(&sim.states, &sim.today(now), now, &sim.prefs).unwrap();
        picks.push((c.clone(), retry));
        sim.answer(&c, Rating::Good, ReviewKind::Practice, now);
    }
    assert!(
        picks[..RELEARN_GAP].iter().all(|(c, _)| *c != first),
        "{picks:?}"
    );
    assert_eq!(picks[RELEARN_GAP], (first, true), "{picks:?}");
}

/// Counters add up: the quiz's review count ignores practice and in-page learning; practice
/// has its own count.
#[test]
fn the_plan_counts_each_queue_apart() {
    let plan = Plan {
        done_today: 17,
        due_now: 2,
        relearn_pending: 1,
        reviews_today: 0,
        practice_today: 9,
        learned_today: 8,
        new_limit: 5,
        ..Plan::default()
    };
    assert_eq!(plan.counter(false, false), "复习 1/3");
    assert_eq!(plan.counter(true, false), "额外练习 · 第 10 题");
    assert_eq!(plan.new_room(), 0);
    let raised = Prefs {
        extra_new: (prefs().day_index(T0), 4),
        ..prefs()
    };
    assert_eq!(raised.new_limit(T0), 9);
    assert_eq!(raised.new_limit(T0 + 86_400), 5, "the raise is for one day");
}

#[test]
fn utc_day_index_by_arithmetic_agrees_with_the_calendar() {
    // `chrono_tz::UTC` takes the arithmetic path, `Etc/UTC` (the same zone, another name) the
    // calendar one: they must agree at every rollover hour, around midnight and far from 1970.
    for rollover_hour in [0, 3, 4, 23] {
        let fast = Prefs {
            tz: chrono_tz::UTC,
            rollover_hour,
            ..Prefs::default()
        };
        let calendar = Prefs {
            tz: chrono_tz::Etc::UTC,
            ..fast.clone()
        };
        assert_ne!(fast.tz, calendar.tz);
        for base in [T0, 0, -86_400 * 400, 4_102_444_800] {
            for ts in (base - 2 * 86_400..base + 2 * 86_400).step_by(1_799) {
                assert_eq!(
                    fast.day_index(ts),
                    calendar.day_index(ts),
                    "ts {ts}, rollover {rollover_hour}"
                );
            }
        }
        assert_eq!(fast.day_index(i64::MAX), calendar.day_index(i64::MAX));
    }
}

#[test]
fn a_concept_with_more_cards_is_kept_at_a_higher_target() {
    let mean = 302.0 / 18.0;
    // Hand-worked: 1 − 0.1 · (16.78 / 48)^0.75 = 0.9546; 1 − 0.1 · (16.78 / 8)^0.75 = 0.8257.
    let big = concept_retention(0.9, 48, mean);
    let small = concept_retention(0.9, 8, mean);
    assert!((big - 0.9546).abs() < 5e-4, "{big}");
    assert!((small - 0.8257).abs() < 5e-4, "{small}");
    // A concept of the mean size keeps her target; no size, or no mean, changes nothing.
    assert!((concept_retention(0.9, 10, 10.0) - 0.9).abs() < 1e-6);
    assert_eq!(concept_retention(0.9, 0, mean), 0.9);
    assert_eq!(concept_retention(0.9, 12, 0.0), 0.9);
    // Bounded both ways, whatever the sizes.
    assert_eq!(concept_retention(0.97, 10_000, mean), CONCEPT_RETENTION.1);
    assert_eq!(concept_retention(0.8, 1, 1_000.0), CONCEPT_RETENTION.0);
}

#[test]
fn the_bigger_concept_comes_back_sooner_after_the_same_answer() {
    let p = prefs();
    let mean = 302.0 / 18.0;
    let start = day_at(0, 12);
    let state = ConceptState::new("c", start);
    let mut rng = StdRng::seed_from_u64(7);
    let first = apply(&state, Rating::Good, start, &p, &mut rng).expect("first");
    let learned = state.after(&first, start, "card");
    let later = day_at(10, 12);
    let due = |cards: usize| {
        let mut rng = StdRng::seed_from_u64(7);
        apply(
            &learned,
            Rating::Good,
            later,
            &p.for_concept(cards, mean),
            &mut rng,
        )
        .expect("review")
        .scheduled_days
    };
    assert!(
        due(48) < due(17),
        "48 cards: {} days, 17: {}",
        due(48),
        due(17)
    );
    assert!(
        due(17) < due(8),
        "17 cards: {} days, 8: {}",
        due(17),
        due(8)
    );
}
