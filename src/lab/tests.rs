use super::baselines::{leitner, orbit, sm2, Next};
use super::memory::{Memory, Model, Truth};
use super::*;
use crate::scheduler::Rating;

#[test]
fn orbit_follows_its_published_schedule() {
    // Met in the essay at day 0.5 and answered right there: first review five days later.
    let s = orbit::new(0.5);
    let (s, next) = orbit::answer(s, 0.5, true);
    assert_eq!((s.interval, next), (5.0, Next::InDays(5)));
    // Five days elapsed: 5 × 2.3 = 11.5 days, first reached at the session 12 days on.
    let (s, next) = orbit::answer(s, 5.5, true);
    assert!((s.interval - 11.5).abs() < 1e-9);
    assert_eq!(next, Next::InDays(12));
    // The interval grows from the time that actually elapsed (12 days): 27.6.
    let (s, next) = orbit::answer(s, 17.5, true);
    assert!((s.interval - 27.6).abs() < 1e-9);
    assert_eq!(next, Next::InDays(28));
    // Forgotten: 27.6 / 2.3 = 12 days, retried ten minutes later in the session...
    let (s, next) = orbit::answer(s, 45.5, false);
    assert!((s.interval - 12.0).abs() < 1e-9);
    assert_eq!(next, Next::Today);
    // ...where the right retry keeps the reduced interval.
    let (s, next) = orbit::answer(s, 45.5 + orbit::RETRY_DAYS, true);
    assert!((s.interval - 12.0).abs() < 1e-9);
    assert_eq!(next, Next::InDays(12));
    // A lapse never brings the interval under five days.
    let six = orbit::State {
        interval: 6.0,
        last: Some(0.0),
        created: 0.0,
    };
    assert_eq!(orbit::answer(six, 6.0, false).0.interval, 5.0);
    // A prompt forgotten on first sight stays new, and its retry schedules the first five days.
    let (s, next) = orbit::answer(orbit::new(0.0), 0.0, false);
    assert_eq!((s.interval, next), (0.0, Next::Today));
    assert_eq!(orbit::answer(s, orbit::RETRY_DAYS, true).1, Next::InDays(5));
}

#[test]
fn sm2_follows_ankis_rules() {
    // Learning steps 1 m and 10 m, then the graduating interval of 1 day.
    let s = sm2::new();
    let (s, next) = sm2::answer(s, 0, Rating::Good);
    assert_eq!((s.phase, next), (sm2::Phase::Learning(1), Next::Today));
    let (s, next) = sm2::answer(s, 0, Rating::Good);
    assert_eq!((s.phase, next), (sm2::Phase::Review, Next::InDays(1)));
    // Easy on a new card: the easy interval, 4 days.
    assert_eq!(sm2::answer(sm2::new(), 0, Rating::Easy).1, Next::InDays(4));
    // Good on time: hard = max(1 × 1.2, 1 + 1) = 2, good = max(1 × 2.5 → 3, 2 + 1) = 3.
    let (s, next) = sm2::answer(s, 1, Rating::Good);
    assert_eq!(next, Next::InDays(3));
    // Good on time again: hard = max(3.6 → 4, 4) = 4, good = 3 × 2.5 = 7.5 → 8.
    let (s, next) = sm2::answer(s, 4, Rating::Good);
    assert_eq!(next, Next::InDays(8));
    assert_eq!(s.due, 12);
    // Easy two days late: (8 + 2) × 2.5 × 1.3 = 32.5 → 33; ease 2.5 + 0.15.
    let (e, next) = sm2::answer(s, 14, Rating::Easy);
    assert_eq!(next, Next::InDays(33));
    assert!((e.ease - 2.65).abs() < 1e-9);
    // Good two days late: (8 + 1) × 2.5 = 22.5 → 23.
    assert_eq!(sm2::answer(s, 14, Rating::Good).1, Next::InDays(23));
    // Hard: max(8 × 1.2 = 9.6 → 10, 9) = 10; ease −0.15.
    let (h, next) = sm2::answer(s, 12, Rating::Hard);
    assert_eq!(next, Next::InDays(10));
    assert!((h.ease - 2.35).abs() < 1e-9);
    // A lapse: ease −0.2, a relearning step today, then one day.
    let (l, next) = sm2::answer(s, 12, Rating::Again);
    assert_eq!((l.phase, next), (sm2::Phase::Relearning, Next::Today));
    assert!((l.ease - 2.3).abs() < 1e-9);
    assert_eq!(sm2::answer(l, 12, Rating::Good).1, Next::InDays(1));
    // The ease never falls under 130%.
    let low = sm2::State { ease: 1.35, ..s };
    assert!((sm2::answer(low, 12, Rating::Again).0.ease - 1.3).abs() < 1e-9);
}

#[test]
fn leitner_moves_cards_between_five_boxes() {
    let (b, next) = leitner::answer(None, true);
    assert_eq!((b, next), (1, Next::InDays(2)));
    let (b, next) = leitner::answer(Some(b), true);
    assert_eq!((b, next), (2, Next::InDays(4)));
    let (b, _) = leitner::answer(Some(b), true);
    let (b, next) = leitner::answer(Some(b), true);
    assert_eq!((b, next), (4, Next::InDays(16)));
    assert_eq!(leitner::answer(Some(b), true), (4, Next::InDays(16)));
    assert_eq!(leitner::answer(Some(b), false), (0, Next::InDays(1)));
    assert_eq!(leitner::answer(None, false), (0, Next::InDays(1)));
}

/// FSRS-6's forgetting curve written out by hand: R(t) = (1 + f·t/S)^(−d), f = 0.9^(−1/d) − 1.
fn curve(t: f64, s: f64, decay: f64) -> f64 {
    let f = 0.9f64.powf(-1.0 / decay) - 1.0;
    (1.0 + f * t / s).powf(-decay)
}

#[test]
fn a_learner_who_never_reviews_decays_along_the_forgetting_curve() {
    let w = fsrs::DEFAULT_PARAMETERS.to_vec();
    let mut rng = StdRng::seed_from_u64(3);
    let truth = Truth::new(&w, 2, 1, 0.0, &mut rng);
    let mut m = Memory::new(0.0, 2, 1);
    // Nothing studied: nothing known.
    assert_eq!(m.retention(&truth, &[0, 0], 10), 0.0);
    m.apply(&truth, 0, 0, 0, Rating::Good);
    let s = f64::from(w[2]);
    let decay = f64::from(w[20]);
    // At t = S recall is 90% by definition of stability; then the power curve.
    for t in [0i64, 1, 3, 10, 30, 90, 180, 365] {
        let p = f64::from(m.p_recall(&truth, 0, 0, t));
        assert!((p - curve(t as f64, s, decay)).abs() < 1e-5, "day {t}: {p}");
    }
    assert!((curve(s, s, decay) - 0.9).abs() < 1e-9);
    // Hand-worked: S = 2.3065, d = 0.1542, f = 0.9^(−1/0.1542) − 1 ≈ 0.98035, so
    // R(10) = (1 + 0.98035 · 10 / 2.3065)^(−0.1542) ≈ 0.77437.
    assert!((f64::from(m.p_recall(&truth, 0, 0, 10)) - 0.77437).abs() < 1e-4);
    // The deck's measured retention: one card of two is known.
    let r = m.retention(&truth, &[0, 0], 30);
    assert!((r - curve(30.0, s, decay) / 2.0).abs() < 1e-5);
    let later = m.retention(&truth, &[0, 0], 300);
    assert!(later < r && later > 0.0);
}

#[test]
fn full_transfer_makes_cards_one_memory_per_concept() {
    let mut rng = StdRng::seed_from_u64(9);
    let w = memory::learner_params(&mut rng);
    let truth = Truth::new(&w, 3, 2, DIFFICULTY_SPREAD, &mut rng);
    let grades = [
        (0, Rating::Good),
        (2, Rating::Again),
        (2, Rating::Good),
        (9, Rating::Hard),
        (30, Rating::Easy),
    ];
    // One learner always answers card 0; the other takes turns between cards 0 and 1.
    let mut same = Memory::new(1.0, 3, 2);
    let mut rotating = Memory::new(1.0, 3, 2);
    for (i, (day, g)) in grades.iter().enumerate() {
        same.apply(&truth, 0, 0, *day, *g);
        rotating.apply(&truth, i % 2, 0, *day, *g);
    }
    for day in [30, 31, 60, 200] {
        let p = same.p_recall(&truth, 0, 0, day);
        for card in 0..2 {
            assert_eq!(same.p_recall(&truth, card, 0, day), p);
            assert_eq!(rotating.p_recall(&truth, card, 0, day), p);
        }
        // Card 2 belongs to the other concept, which was never studied.
        assert_eq!(same.p_recall(&truth, 2, 1, day), 0.0);
    }
    // With no transfer, the card never asked is unknown.
    let mut alone = Memory::new(0.0, 3, 2);
    alone.apply(&truth, 0, 0, 0, Rating::Good);
    assert_eq!(alone.p_recall(&truth, 1, 0, 1), 0.0);
    assert!(alone.p_recall(&truth, 0, 0, 1) > 0.5);
}

#[test]
fn costs_are_the_fsrs_simulator_defaults() {
    let d = fsrs::SimulatorConfig::default().state_rating_costs;
    for (row, drow) in COSTS.iter().zip(d.iter()) {
        for (c, dc) in row.iter().zip(drow.iter()) {
            assert!((c - f64::from(*dc)).abs() < 1e-4);
        }
    }
}

/// A lab run small enough for a unit test, on two threads.
fn small(learners: usize, days: i64) -> Config {
    Config {
        learners,
        days,
        threads: 2,
        ..Config::default()
    }
}

#[test]
fn a_small_lab_run_is_reproducible_and_measures_every_scheduler() {
    let deck = Deck::synthetic(3, 2, 4);
    let config = small(3, 40);
    let a = run(&deck, &config, &|| {});
    let b = run(&deck, &config, &|| {});
    // Two memory models × three values of ρ × six schedulers, one target each.
    assert_eq!(a.len(), 2 * 3 * 6);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.reviews_per_learner, y.reviews_per_learner);
        assert_eq!(x.retention, y.retention);
        assert!(x.reviews_per_learner > 0.0, "{}", x.name);
        let r30 = x.retention[&30];
        assert!((0.0..=1.0).contains(&r30) && r30 > 0.1, "{} {r30}", x.name);
    }
    let text = table(&a);
    assert!(text.contains("transfer ρ = 0.5") && text.contains("Leitner"));
    let svg = plot(&a);
    assert!(svg.starts_with("<?xml") && svg.contains("<polyline"));
    assert!(!svg.contains("NaN"));
}

#[test]
fn the_report_does_not_depend_on_the_number_of_threads() {
    let deck = Deck::synthetic(3, 2, 4);
    let with = |threads| {
        let config = Config {
            learners: 7,
            days: 60,
            threads,
            ..Config::default()
        };
        serde_json::to_string(&run(&deck, &config, &|| {})).expect("json")
    };
    let one = with(1);
    assert_eq!(one, with(3));
    assert_eq!(one, with(7));
}

#[test]
fn the_lab_defaults_are_the_command_line_defaults() {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Lab {
        #[command(flatten)]
        config: Config,
    }
    let d = Config::default();
    assert_eq!((d.learners, d.days, d.seed), (200, 365, 1));
    assert_eq!(d.rhos, [0.0, 0.5, 1.0]);
    assert_eq!(d.kinds, Kind::ALL);
    assert!(d.threads >= 1);
    assert_eq!(d.memory, [Model::Fsrs, Model::Dash]);
    assert_eq!(
        (d.paperdeck_retention, d.fsrs_retention),
        (vec![0.9], vec![0.9])
    );
    assert!(d.equal_to.is_empty());
    let c = Lab::try_parse_from([
        "lab",
        "--transfer",
        "0.25",
        "--transfer",
        "1",
        "--learners",
        "3",
    ])
    .expect("valid")
    .config;
    assert_eq!((c.learners, c.rhos), (3, vec![0.25, 1.0]));
    let c = Lab::try_parse_from([
        "lab",
        "--paperdeck-retention",
        "0.93",
        "--paperdeck-retention",
        "0.96",
        "--fsrs-retention",
        "0.8",
        "--equal-retention",
        "orbit",
        "--equal-retention",
        "sm2",
        "--memory",
        "dash",
    ])
    .expect("valid")
    .config;
    assert_eq!(c.paperdeck_retention, [0.93, 0.96]);
    assert_eq!(c.fsrs_retention, [0.8]);
    assert_eq!(
        (c.equal_to.clone(), c.memory.clone()),
        (vec![Kind::Orbit, Kind::Sm2], vec![Model::Dash])
    );
    // Two targets for each paperdeck, one FSRS-by-card target and three rule-based schedulers.
    assert_eq!(c.combos().len(), 3 * (2 + 2 + 1 + 3));
    for bad in [
        ["--transfer", "1.5"],
        ["--transfer", "-0.1"],
        ["--learners", "0"],
        ["--days", "0"],
        ["--paperdeck-retention", "1"],
        ["--fsrs-retention", "0.4"],
        ["--equal-retention", "anki"],
        ["--memory", "act-r"],
    ] {
        assert!(
            Lab::try_parse_from(["lab", bad[0], bad[1]]).is_err(),
            "{bad:?}"
        );
    }
}

/// The README describes the lab's deck with the size the embedded content gives it; a content
/// change that adds cards must update the text (and re-run the lab for its table).
#[test]
fn the_readme_states_the_decks_real_size() {
    let content = crate::content::embedded().expect("content");
    let cards = crate::startup::generate_cards(&content).expect("cards");
    let deck = Deck::new(&content, &cards);
    let readme = include_str!("../../README.md");
    let said = format!("the {} cards of the ten papers", deck.cards.len());
    assert!(readme.contains(&said), "README.md should say \"{said}\"");
    let mean = format!("the mean over all {} cards", deck.cards.len());
    assert!(readme.contains(&mean), "README.md should say \"{mean}\"");
}

#[test]
fn fsrs_by_card_takes_ankis_learning_and_relearning_steps() {
    // A new card: Good, Good graduates (steps 1 m and 10 m); Again starts the steps over.
    let (s, out) = Step::Learning(0).after(Rating::Good);
    assert_eq!((s, out), (Step::Learning(1), false));
    assert_eq!(s.after(Rating::Again), (Step::Learning(0), false));
    assert_eq!(s.after(Rating::Good), (Step::Review, true));
    assert_eq!(Step::Learning(0).after(Rating::Easy), (Step::Review, true));
    // A lapse: one relearning step, then FSRS's interval.
    assert_eq!(Step::Review.after(Rating::Again), (Step::Relearning, false));
    assert_eq!(Step::Review.after(Rating::Hard), (Step::Review, true));
    assert_eq!(Step::Relearning.after(Rating::Good), (Step::Review, true));
}

#[test]
fn paperdecks_in_page_questions_are_answered_on_the_reading_day() {
    let mut deck = Deck::synthetic(2, 2, 4);
    // Paper 0's page asks three questions, one of them of its second concept.
    deck.in_page[0] = vec![0, 1, 4];
    let learner = Learner::new(&deck, 30, 1, 0);
    let mut sim = sim_for(&deck, &learner);
    let mut paperdeck = ByConcept::new(&deck, CardPolicy::Rotation);
    paperdeck.read(&mut sim, 0, 0);
    assert_eq!(sim.rec.run.reviews, 3);
    // Both concepts are unlocked and learnt from the page; paper 1's are not yet.
    assert_eq!(paperdeck.state_concept, [0, 1]);
    assert!(paperdeck.states.iter().all(|s| s.memory().is_some()));
    for id in ["c0-0", "c0-1", "c1-0"] {
        assert!(paperdeck.last_seen.contains_key(id), "{id}");
    }
    // Reading paper 1, which asks nothing, only unlocks its concepts.
    paperdeck.read(&mut sim, 1, 3);
    assert_eq!(sim.rec.run.reviews, 3);
    assert_eq!(paperdeck.states.len(), 4);
    assert!(paperdeck.states[2].memory().is_none());
}

#[test]
fn equal_retention_reads_each_schedulers_own_frontier() {
    let deck = Deck::synthetic(3, 2, 4);
    let config = Config {
        rhos: vec![0.5],
        memory: vec![Model::Fsrs],
        kinds: vec![Kind::Paperdeck, Kind::FsrsCard, Kind::Orbit],
        paperdeck_retention: vec![0.8, 0.97],
        fsrs_retention: vec![0.7, 0.95],
        ..small(4, 200)
    };
    let rows = run(&deck, &config, &|| {});
    let matched = equal::compare(&rows, Kind::Orbit);
    assert_eq!(matched.len(), 2);
    let orbit = rows.iter().find(|r| r.scheduler == "orbit").expect("orbit");
    for m in &matched {
        assert_eq!(m.matched_to.retention_day180, orbit.retention[&180]);
        let mine: Vec<&Row> = rows.iter().filter(|r| r.scheduler == m.scheduler).collect();
        let points: Vec<(f64, f64)> = mine
            .iter()
            .map(|r| (r.retention[&180], r.reviews_per_learner))
            .collect();
        assert_eq!(
            m.reviews_at_day180,
            equal::interpolate(&points, orbit.retention[&180])
        );
    }
    // The JSON objects carry the issue's fields.
    let has_keys = |value: serde_json::Value, keys: &[&str]| {
        for key in keys {
            assert!(value.get(key).is_some(), "{key}");
        }
    };
    let matched_keys = [
        "memory",
        "rho",
        "scheduler",
        "matched_to",
        "reviews_at_day180",
        "reviews_at_mean",
    ];
    has_keys(
        serde_json::to_value(&matched[0]).expect("json"),
        &matched_keys,
    );
    let row_keys = [
        "memory",
        "rho",
        "scheduler",
        "target",
        "reviews_per_learner",
        "retention",
        "mean_retention",
    ];
    let row = serde_json::to_value(&rows[0]).expect("json");
    // Retention per hour is retired: a scheduler that never reviews would score best on it.
    assert!(row.get("retention_per_hour").is_none());
    has_keys(row, &row_keys);
}

/// A run's simulator for learner 0 of `deck` under the FSRS memory model at ρ = 0.5.
fn sim_for<'a>(deck: &'a Deck, learner: &'a Learner) -> Sim<'a> {
    Sim {
        deck,
        hidden: Hidden::Fsrs(
            &learner.truth,
            Memory::new(0.5, deck.cards.len(), deck.concepts.len()),
        ),
        rng: StdRng::seed_from_u64(1),
        prefs: lab_prefs(),
        rec: Recorder::new(deck, 30),
    }
}

#[test]
fn with_card_memory_every_card_is_met_after_reading_and_the_missed_fact_comes_back() {
    let deck = Deck::synthetic(2, 2, 4);
    let learner = Learner::new(&deck, 30, 1, 0);
    let mut sim = sim_for(&deck, &learner);
    let mut paperdeck = ByConcept::new(&deck, CardPolicy::CardMemory);
    paperdeck.read(&mut sim, 0, 0);
    paperdeck.session(&mut sim, 0);
    // Paper 0's eight cards all have a memory of their own; paper 1's none.
    assert!((0..8).all(|c| paperdeck.memory[c].is_some_and(|m| m.seen())));
    assert!((8..16).all(|c| paperdeck.memory[c].is_none()));
    // A relearn after a miss asks the missed fact: card 0's fact is c0-f0, also card 1.
    let ts = ts_of(5);
    let decay = sim.prefs.decay();
    for _ in 0..20 {
        let c = paperdeck.pick_card(&deck, 0, 0, Some(0), ts, &mut sim.rng, decay);
        assert!(matches!(c, Some(0 | 1)), "{c:?}");
    }
    // Without a miss it picks the weakest card by its own memory.
    let weakest = (0..4)
        .min_by(|a, b| {
            let r = |c: usize| paperdeck.memory[c].map_or(0.0, |m| m.recall(ts, decay));
            r(*a).total_cmp(&r(*b))
        })
        .unwrap_or(0);
    assert_eq!(
        paperdeck.pick_card(&deck, 0, 0, None, ts, &mut sim.rng, decay),
        Some(weakest)
    );
}

#[test]
fn hidden_fsrs_step_is_the_crates() {
    // The lab's learners (their parameters as drawn), every grade, first answers and states
    // from young to old, same-day and long gaps: the hidden model's one-grade step must give
    // exactly what the crate's `next_states` gives for that grade.
    let mut rng = StdRng::seed_from_u64(19);
    let mut compared = 0;
    for learner in 0..60 {
        let w = if learner == 0 {
            fsrs::DEFAULT_PARAMETERS.to_vec()
        } else {
            super::memory::learner_params(&mut rng)
        };
        let all: [f32; 21] = w.clone().try_into().expect("21 parameters");
        let crate_fsrs = fsrs::FSRS::new(&w).expect("valid parameters");
        for _ in 0..40 {
            let state = (rng.random::<f32>() < 0.9).then(|| fsrs::MemoryState {
                stability: 10f32.powf(rng.random_range(-2.5..4.0)),
                difficulty: rng.random_range(1.0..10.0),
            });
            let elapsed = [0, 1, 3, rng.random_range(0..2000)][rng.random_range(0..4)];
            let next = crate_fsrs
                .next_states(state, 0.9, elapsed)
                .expect("the crate steps it");
            for (rating, want) in [
                (Rating::Again, next.again.memory),
                (Rating::Hard, next.hard.memory),
                (Rating::Good, next.good.memory),
                (Rating::Easy, next.easy.memory),
            ] {
                let got = super::memory::fsrs6_step(&all, state, elapsed, rating);
                assert_eq!(
                    got,
                    Some(want),
                    "{state:?} after {elapsed} days, {rating:?}"
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 60 * 40 * 4);
}
