//! The baseline schedulers, each as its published rule on one card. Pure: state and answer in,
//! state and next review out. Intervals are in days; a session happens once a day at the same
//! hour, so a due time a fraction of a day away is first reached at the next whole day.

use crate::scheduler::Rating;

/// When a card comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Later in the same session (a retry or a learning step).
    Today,
    /// In this many days.
    InDays(i64),
}

/// Orbit's (and Quantum Country's) schedule, from `createSpacedRepetitionScheduler` in
/// andymatuschak/orbit, `packages/core/src/schedulers/spacedRepetitionScheduler.ts`: the first
/// review is five days after the prompt is met, and each interval is the time that actually
/// elapsed since the last repetition × 2.3.
///
/// Lapse rule (same file): on Forgotten the stored interval is divided by 2.3 but never below
/// five days (and an interval still under five days is kept), and the prompt is retried about
/// ten minutes later. The retry, answered right, comes before the stored interval has elapsed,
/// so it keeps that (reduced) interval: the card returns `max(5, interval / 2.3)` days later.
pub mod orbit {
    use super::Next;

    pub const INITIAL_DAYS: f64 = 5.0;
    pub const GROWTH: f64 = 2.3;
    /// Orbit retries a forgotten prompt in about ten minutes.
    pub const RETRY_DAYS: f64 = 10.0 / 1440.0;

    #[derive(Debug, Clone, Copy, PartialEq, Default)]
    pub struct State {
        /// The stored interval, in days (0 for a new prompt).
        pub interval: f64,
        /// When the prompt was last repeated, in days; `None` before the first repetition.
        pub last: Option<f64>,
        /// When the prompt was created (read in the essay), in days.
        pub created: f64,
    }

    pub fn new(created: f64) -> State {
        State {
            interval: 0.0,
            last: None,
            created,
        }
    }

    /// The state after a repetition at `now` (days) and when the prompt comes back.
    pub fn answer(s: State, now: f64, remembered: bool) -> (State, Next) {
        let elapsed = (now - s.last.unwrap_or(s.created)).max(0.0);
        let interval = if remembered {
            let grown = elapsed * GROWTH;
            if elapsed < s.interval {
                s.interval.max(INITIAL_DAYS).max(grown)
            } else {
                INITIAL_DAYS.max(grown)
            }
        } else if s.interval < INITIAL_DAYS {
            s.interval
        } else {
            INITIAL_DAYS.max(s.interval / GROWTH)
        };
        let state = State {
            interval,
            last: Some(now),
            created: s.created,
        };
        let next = if remembered {
            // Sessions are a whole number of days apart: the first one at or after the due time.
            Next::InDays((interval - 1e-9).ceil().max(1.0) as i64)
        } else {
            Next::Today
        };
        (state, next)
    }
}

/// SM-2 as Anki runs it with its default deck options (the "SM-2" scheduler before FSRS):
/// learning steps 1 and 10 minutes, graduating interval 1 day, easy interval 4 days, starting
/// ease 250%, easy bonus 1.3, hard interval 1.2, lapse: ease −20% (not below 130%) and a
/// 10-minute relearning step, then an interval of max(1, 0 × old) = 1 day. Review intervals
/// follow `passing_nonearly_review_intervals` in ankitects/anki,
/// `rslib/src/scheduler/states/review.rs`: hard = max(ivl × 1.2, ivl + 1), good = max((ivl +
/// late/2) × ease, hard + 1), easy = max((ivl + late) × ease × 1.3, good + 1), each rounded;
/// Hard lowers the ease by 15%, Easy raises it by 15%. Fuzz is left out.
pub mod sm2 {
    use super::Next;
    use crate::scheduler::Rating;

    pub const START_EASE: f64 = 2.5;
    pub const MIN_EASE: f64 = 1.3;
    pub const EASY_BONUS: f64 = 1.3;
    pub const HARD_FACTOR: f64 = 1.2;
    pub const LEARNING_STEPS: u8 = 2;
    pub const GRADUATING_DAYS: i64 = 1;
    pub const EASY_DAYS: i64 = 4;
    pub const MAX_DAYS: i64 = 36_500;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Phase {
        /// A new card in its learning steps (0 = the first).
        Learning(u8),
        Review,
        /// After a lapse, in its relearning step.
        Relearning,
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    pub struct State {
        pub phase: Phase,
        pub ease: f64,
        /// The scheduled interval in days.
        pub interval: i64,
        /// The day the card was due.
        pub due: i64,
    }

    pub fn new() -> State {
        State {
            phase: Phase::Learning(0),
            ease: START_EASE,
            interval: 0,
            due: 0,
        }
    }

    fn graduate(s: State, day: i64, interval: i64) -> (State, Next) {
        let interval = interval.clamp(1, MAX_DAYS);
        (
            State {
                phase: Phase::Review,
                interval,
                due: day + interval,
                ..s
            },
            Next::InDays(interval),
        )
    }

    /// The state after an answer on `day` and when the card comes back.
    pub fn answer(s: State, day: i64, rating: Rating) -> (State, Next) {
        match s.phase {
            Phase::Learning(step) => match rating {
                Rating::Again => (
                    State {
                        phase: Phase::Learning(0),
                        ..s
                    },
                    Next::Today,
                ),
                Rating::Hard => (s, Next::Today),
                Rating::Good if step + 1 >= LEARNING_STEPS => graduate(s, day, GRADUATING_DAYS),
                Rating::Good => (
                    State {
                        phase: Phase::Learning(step + 1),
                        ..s
                    },
                    Next::Today,
                ),
                Rating::Easy => graduate(s, day, EASY_DAYS),
            },
            Phase::Relearning => match rating {
                Rating::Again | Rating::Hard => (s, Next::Today),
                Rating::Good | Rating::Easy => graduate(s, day, s.interval),
            },
            Phase::Review => {
                let ivl = s.interval.max(1) as f64;
                let late = (day - s.due).max(0) as f64;
                let hard = (ivl * HARD_FACTOR).round().max(ivl + 1.0);
                let good = ((ivl + late / 2.0) * s.ease).round().max(hard + 1.0);
                let easy = ((ivl + late) * s.ease * EASY_BONUS).round().max(good + 1.0);
                match rating {
                    Rating::Again => (
                        State {
                            phase: Phase::Relearning,
                            ease: (s.ease - 0.2).max(MIN_EASE),
                            // New interval after a lapse: 0% of the old one, at least 1 day.
                            interval: 1,
                            ..s
                        },
                        Next::Today,
                    ),
                    Rating::Hard => graduate(
                        State {
                            ease: (s.ease - 0.15).max(MIN_EASE),
                            ..s
                        },
                        day,
                        hard as i64,
                    ),
                    Rating::Good => graduate(s, day, good as i64),
                    Rating::Easy => graduate(
                        State {
                            ease: s.ease + 0.15,
                            ..s
                        },
                        day,
                        easy as i64,
                    ),
                }
            }
        }
    }
}

/// A Leitner box system, the paper-flashcard method (Sebastian Leitner, *So lernt man lernen*,
/// 1972), in its common five-box form: box k is reviewed every 2^(k−1) days (1, 2, 4, 8 and 16
/// days); a card answered right moves up a box (the top box keeps it), a card answered wrong
/// goes back to box 1. New cards start in box 1. There is no same-day retry: a missed card is
/// simply back in tomorrow's box.
pub mod leitner {
    use super::Next;

    pub const BOX_DAYS: [i64; 5] = [1, 2, 4, 8, 16];

    /// The box (0-based) after an answer, from `current` (`None` for a new card, which is in
    /// box 1), and when the card comes back.
    pub fn answer(current: Option<usize>, remembered: bool) -> (usize, Next) {
        let b = current.unwrap_or(0).min(BOX_DAYS.len() - 1);
        let next = if remembered {
            (b + 1).min(BOX_DAYS.len() - 1)
        } else {
            0
        };
        (next, Next::InDays(BOX_DAYS[next]))
    }
}

/// Whether an answer counts as remembered for the pass/fail baselines.
pub fn remembered(rating: Rating) -> bool {
    rating != Rating::Again
}
