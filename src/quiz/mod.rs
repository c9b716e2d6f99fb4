//! The quiz between the web and the store: what an answer is, how it is graded, and what
//! answering, undoing and re-grading do.
//!
//! The web layer parses a form into a [`Submission`] (checking what only it can check: the
//! session, the CSRF token, the question token), calls one function of [`service`], and renders
//! the result. Everything a review means is decided here, once: the verdict and rating
//! ([`grade`]), the kind of review ([`Mode::review_kind`]) and the state after it
//! ([`crate::scheduler::ConceptState::after`]); the store writes what it is given and keeps its
//! cache current itself.

pub mod service;

pub use service::{Ctx, Snapshot};

use crate::cards::grading::{self, NameIndex};
use crate::cards::{Card, CardData};
use crate::scheduler::{ConceptState, Rating, ReviewKind};

/// The stored answer of a fill-in card given up on with 不知道: there is nothing typed to judge,
/// so it can be neither overridden nor reported as a disputed grading.
pub const GAVE_UP: &str = "（不知道）";

/// Longest typed answer kept; anything longer is refused with a clear message.
pub const MAX_ANSWER_CHARS: usize = 2000;

/// Longest time counted for one answer: a question left open over lunch is not 2 hours of study.
pub const MAX_ANSWER_MS: i64 = 30 * 60 * 1000;

/// Why a quiz action did not happen. The web layer maps each to a status and a message.
#[derive(Debug, thiserror::Error)]
pub enum QuizError {
    /// The answer cannot be graded as sent (no option chosen, an option not in the card ...).
    #[error("bad answer: {0}")]
    BadAnswer(&'static str),
    #[error("answer too long")]
    TooLong,
    /// The card was retired by a content update after the question was shown.
    #[error("card retired")]
    Retired,
    #[error("card and concept do not match")]
    Mismatch,
    /// A concept of the content she has not unlocked yet.
    #[error("concept locked")]
    Locked,
    #[error("not found")]
    NotFound,
    /// The question was already answered (double click, reload, back button).
    #[error("stale question")]
    Stale,
    /// An undo, re-grade or override that no longer applies; the message says why.
    #[error("no longer applies: {0}")]
    NotCurrent(&'static str),
    /// A re-grade to a rating other than Hard or Easy.
    #[error("rating not allowed")]
    RatingNotAllowed,
    #[error("token invalid")]
    BadToken,
    /// A concept never studied, asked for by link when today's new concepts are used up.
    #[error("daily new limit reached")]
    NewLimit,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Writer(#[from] crate::store::writer::WriteError),
    #[error("internal: {0}")]
    Internal(String),
}

/// Which queue a question comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The day's plan: relearning, due reviews, new concepts.
    Normal,
    /// Extra practice beyond the plan; it does not count as a scheduled review.
    Practice,
    /// A card the daily quiz adds to the plan (issue 19 §2): a card of a paper just read that
    /// she has not met, or a further card of a concept just reviewed whose cards lag far behind.
    /// Recorded as practice, and 继续 returns to the daily quiz.
    Extra,
}

impl Mode {
    /// Anything but "practice" or "extra" is the normal queue, as the form has always sent.
    pub fn parse(s: Option<&str>) -> Mode {
        match s {
            Some("practice") => Mode::Practice,
            Some("extra") => Mode::Extra,
            _ => Mode::Normal,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::Practice => "practice",
            Mode::Extra => "extra",
        }
    }

    /// The kind of review an answer in this mode is, given the concept's state before it.
    pub fn review_kind(self, before: &ConceptState) -> ReviewKind {
        // A first answer is learning whatever the mode, so it counts against the new limit (L2).
        match self {
            _ if before.is_new() => ReviewKind::Learn,
            Mode::Practice | Mode::Extra => ReviewKind::Practice,
            Mode::Normal => ReviewKind::Review,
        }
    }
}

/// What she sent for a question.
#[derive(Debug, Clone, Default)]
pub struct Submitted {
    /// The option chosen or the text typed.
    pub text: String,
    /// Her own rating of a recall card, 1–4.
    pub self_grade: Option<u8>,
    /// She pressed 不知道.
    pub gave_up: bool,
}

impl Submitted {
    /// What is stored as her answer: text typed before pressing 不知道 is not her answer.
    pub fn stored(&self) -> String {
        if self.gave_up {
            GAVE_UP.to_string()
        } else {
            self.text.clone()
        }
    }
}

/// One answer, as parsed at the edge: the question it answers and what she sent.
#[derive(Debug, Clone)]
pub struct Submission {
    pub concept: String,
    pub card: String,
    /// The concept's version when the question was shown.
    pub version: i64,
    pub mode: Mode,
    /// How long she took, from the form's signed `shown_at` (checked at the edge, L4).
    pub duration_ms: i64,
    /// When the question was shown (milliseconds, the same signed field): an answer recorded
    /// for it cannot be older.
    pub shown_at_ms: i64,
    pub answer: Submitted,
}

/// Grades an answer: whether it is right and the FSRS rating it earns. `names` holds the known
/// names of every term, so a typed name is right in any of its spellings.
pub fn grade(
    card: &Card,
    sent: &Submitted,
    names: &NameIndex,
) -> Result<(bool, Rating), &'static str> {
    let a = sent.text.trim();
    if let Some((answer, distractors)) = card.data.options() {
        if a.is_empty() {
            return Err("请先选一个选项。");
        }
        if a != answer && !distractors.iter().any(|d| d == a) {
            return Err("提交的选项不在这道题里，请回到题目重新选择。");
        }
        return Ok(verdict(a == answer));
    }
    let right = match &card.data {
        // Cards with options were graded above.
        CardData::Choice { .. } | CardData::WhichPaper { .. } => false,
        CardData::Fill {
            answer,
            accept,
            number,
        } => {
            if sent.gave_up {
                false
            } else if a.is_empty() {
                return Err("请先填写答案；不知道的话，回到题目，选不知道、看答案。");
            } else {
                let percent = number.is_some() && grading::is_percent_answer(answer);
                grading::check(a, answer, accept, *number, percent, names)
            }
        }
        CardData::TrueFalse { truth, .. } => match a {
            "true" => *truth,
            "false" => !*truth,
            _ => return Err("请选择“正确”或“错误”。"),
        },
        CardData::Recall { .. } => {
            let g = sent
                .self_grade
                .and_then(Rating::from_u8)
                .ok_or("请在看过参考答案后，选择 1–4 中的一个自评等级。")?;
            return Ok((g != Rating::Again, g));
        }
    };
    Ok(verdict(right))
}

/// The rating a right or wrong answer earns on a card she does not grade herself.
fn verdict(right: bool) -> (bool, Rating) {
    (right, if right { Rating::Good } else { Rating::Again })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cards::CardKind;

    fn card(data: CardData) -> Card {
        Card {
            id: "id".into(),
            paper: "p".into(),
            fact_key: "f".into(),
            kind: CardKind::Choice,
            concept: "c".into(),
            prompt: "?".into(),
            data,
            explanation: String::new(),
            section: String::new(),
            prompt_html: Default::default(),
        }
    }

    fn sent(text: &str) -> Submitted {
        Submitted {
            text: text.into(),
            ..Submitted::default()
        }
    }

    #[test]
    fn a_choice_is_right_wrong_or_refused() {
        let c = card(CardData::Choice {
            answer: "A".into(),
            distractors: vec!["B".into()],
        });
        let names = NameIndex::default();
        assert_eq!(grade(&c, &sent("A"), &names), Ok((true, Rating::Good)));
        assert_eq!(grade(&c, &sent("B"), &names), Ok((false, Rating::Again)));
        assert!(grade(&c, &sent("Z"), &names).is_err());
        assert!(grade(&c, &sent(""), &names).is_err());
    }

    #[test]
    fn giving_up_is_wrong_and_stored_as_such() {
        let c = card(CardData::Fill {
            answer: "Chinchilla".into(),
            accept: vec![],
            number: None,
        });
        let s = Submitted {
            text: "Chinchilla".into(),
            self_grade: None,
            gave_up: true,
        };
        assert_eq!(
            grade(&c, &s, &NameIndex::default()),
            Ok((false, Rating::Again))
        );
        assert_eq!(s.stored(), GAVE_UP);
    }

    #[test]
    fn a_recall_card_takes_her_own_rating() {
        let c = card(CardData::Recall {
            model_answer: "…".into(),
        });
        let mut s = sent("");
        s.self_grade = Some(2);
        let names = NameIndex::default();
        assert_eq!(grade(&c, &s, &names), Ok((true, Rating::Hard)));
        s.self_grade = Some(9);
        assert!(grade(&c, &s, &names).is_err());
    }

    #[test]
    fn the_mode_decides_the_review_kind() {
        let new = ConceptState::new("c", 0);
        let mut seen = new.clone();
        seen.stability = Some(1.0);
        seen.difficulty = Some(5.0);
        seen.reps = 1;
        assert_eq!(Mode::Normal.review_kind(&new), ReviewKind::Learn);
        assert_eq!(Mode::Normal.review_kind(&seen), ReviewKind::Review);
        // A first answer is learning in any mode, so practice cannot bypass the new limit (L2).
        assert_eq!(Mode::Practice.review_kind(&new), ReviewKind::Learn);
        assert_eq!(Mode::Practice.review_kind(&seen), ReviewKind::Practice);
        assert_eq!(Mode::parse(Some("practice")), Mode::Practice);
        assert_eq!(Mode::parse(Some("anything")), Mode::Normal);
    }
}
