//! Reading that teaches: the questions after 核心贡献, 入门解读 and 关键数字 on a paper page,
//! answered in place, and the sections a learner has reached.
//!
//! An in-page answer is a plain form that posts and redirects back to the question (no
//! JavaScript needed); `static/app.js` sends the same form with `fetch` and puts the returned
//! feedback in place. Logged out, the answer is graded and nothing is written; logged in, it
//! is a review through [`service::answer_in_page`], with the quiz's token and version check, so
//! a double submit records one review.

use super::error::AppError;
use super::quiz::{
    concept_name, correct_answer, options_for, question_parts, shown_at_field, your_answer,
    AnswerForm, Opt, ANSWER_TOKEN,
};
use super::{
    describe_when, encode_query, see_other, LearnerForm, PaperPath, Routes, SessionForm, Visitor,
};
use crate::cards::Card;
use crate::content::Paper;
use crate::quiz::service::{self, Recorded};
use crate::quiz::{Mode, QuizError, Submitted};
use crate::reading as pure;
use crate::startup::AppState;
use crate::web::Page;
use actix_web::web;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Deserialize;

pub fn routes(r: &mut Routes) {
    r.post("/papers/{slug}/check", check)
        .post("/papers/{slug}/reached", reached);
}

/// A paper page's query: "我读完了" just pressed, or an in-page answer to show.
#[derive(Debug, Default, Deserialize)]
pub struct PaperQuery {
    pub read: Option<u8>,
    /// The card just answered.
    pub checked: Option<String>,
    /// The answer sent, for grading it again when nothing was stored.
    pub a: Option<String>,
    /// 不知道 was pressed.
    pub gu: Option<u8>,
    /// The review recorded, when logged in.
    pub r: Option<i64>,
    /// The answer was a repeat: `r` is the one recorded before.
    pub dup: Option<u8>,
    /// Not recorded: a new concept, and today's new concepts are used up.
    pub limit: Option<u8>,
    /// "读完这一节" was just pressed for this section.
    pub reached: Option<String>,
    /// "再试一次": the card whose answered question is shown as a form again.
    pub retry: Option<String>,
    /// The question had been replaced before the answer came: nothing was recorded.
    pub moved: Option<u8>,
}

/// What happened to an answer, as the feedback says it.
pub enum Saved {
    /// Logged out: graded, not kept.
    Nothing,
    /// A review; she sees the concept again `when`. `again`: she had answered this question
    /// already, and this is the answer recorded then.
    Recorded { when: String, again: bool },
    /// Answered on an earlier visit: shown as it was.
    Earlier,
    /// The question was replaced (its concept answered elsewhere, or undone) before the
    /// answer came: graded, not kept.
    Moved,
    /// Graded, not kept: its concept is new and today's new concepts are used up.
    Limit(super::quiz::HeldBack),
}

pub struct CheckFeedback {
    pub correct: bool,
    pub right: String,
    pub yours: String,
    pub saved: Saved,
}

/// One question inside the page, ready to show.
pub struct Check<'a> {
    pub card: &'a Card,
    pub concept_name: String,
    pub options: Vec<Opt>,
    pub version: i64,
    pub token: String,
    pub shown_at: String,
    /// Answered and not being tried again: her answer is shown in place of the form, with the
    /// options (none for a fill-in) marked.
    pub locked: Option<Vec<Mark>>,
    pub feedback: Option<CheckFeedback>,
}

/// One option of an answered question: her choice marked ✓ or ✗, the right option shown.
pub struct Mark {
    pub text: String,
    pub yours: bool,
    pub right: bool,
}

/// The options of an answered choice or true/false card, marked with `answer` (as sent).
fn marks(card: &Card, options: &[Opt], answer: &str) -> Vec<Mark> {
    let mark = |value: &str, text: &str, right: bool| Mark {
        text: text.to_string(),
        yours: value == answer,
        right,
    };
    match (&card.data, card.data.options()) {
        (crate::cards::CardData::TrueFalse { truth, .. }, _) => {
            vec![mark("true", "正确", *truth), mark("false", "错误", !*truth)]
        }
        (_, Some((right, _))) => options
            .iter()
            .map(|o| mark(&o.value, &o.text, o.value == *right))
            .collect(),
        _ => Vec::new(),
    }
}

pub struct SectionChecks<'a> {
    pub id: &'static str,
    pub title: &'static str,
    pub checks: Vec<Check<'a>>,
    /// `None` when logged out.
    pub reached: Option<bool>,
}

/// Everything the paper page shows about reading.
pub struct PageReading<'a> {
    pub sections: Vec<SectionChecks<'a>>,
    pub total: usize,
    /// `None` when logged out.
    pub answered: Option<usize>,
}

impl<'a> PageReading<'a> {
    pub fn section(&self, id: &str) -> Option<&SectionChecks<'a>> {
        self.sections.iter().find(|s| s.id == id)
    }
}

/// The questions of `paper`'s check sections.
pub fn page_questions<'a>(
    state: &'a AppState,
    paper: &Paper,
) -> Vec<(&'static str, Vec<&'a Card>)> {
    state
        .questions
        .of(&paper.slug)
        .iter()
        .map(|(id, cards)| {
            let cards = cards.iter().filter_map(|c| state.cards.get(c)).collect();
            (*id, cards)
        })
        .collect()
}

/// Builds the questions of a paper page for this visitor, with the feedback of an answer just
/// sent when the query names one.
/// `snap` is her snapshot, taken once for the page (`None` logged out).
pub async fn page_reading<'a>(
    state: &'a AppState,
    visitor: &Visitor,
    snap: Option<&service::Snapshot>,
    paper: &'a Paper,
    q: &PaperQuery,
) -> Result<PageReading<'a>, AppError> {
    let learner = visitor.learner.as_ref().map(|l| l.id);
    // From her cached data: a paper page she reloads or comes back to costs no query.
    let answered = match (learner, snap) {
        (Some(id), Some(snap)) => snap.data.answered_on(&state.db, id, &paper.slug).await?,
        _ => Default::default(),
    };
    let reached = snap.map_or(&[][..], |s| &s.data.reached[..]);
    let mut sections = Vec::new();
    let (mut total, mut answered_n) = (0, 0);
    for (id, cards) in page_questions(state, paper) {
        let mut checks = Vec::new();
        for card in cards {
            let last = answered.iter().find(|a| a.card_id == card.id);
            total += 1;
            answered_n += usize::from(last.is_some());
            checks.push(page_check(state, visitor, card, q, snap, last).await?);
        }
        if !checks.is_empty() {
            sections.push(SectionChecks {
                id,
                title: pure::section_title(id),
                checks,
                reached: learner.map(|_| {
                    reached
                        .iter()
                        .any(|r| r.paper == paper.slug && r.section == id)
                }),
            });
        }
    }
    Ok(PageReading {
        sections,
        total,
        answered: learner.map(|_| answered_n),
    })
}

/// One question of a paper page, as this visitor sees it.
async fn page_check<'a>(
    state: &AppState,
    visitor: &Visitor,
    card: &'a Card,
    q: &PaperQuery,
    snap: Option<&crate::quiz::Snapshot>,
    last: Option<&crate::store::reading::LastAnswer>,
) -> Result<Check<'a>, AppError> {
    let learner = visitor.learner.as_ref().map(|l| l.id);
    let version = snap
        .and_then(|s| s.states.iter().find(|s| s.concept == card.concept))
        .map_or(0, |s| s.version);
    let who = learner.unwrap_or(0);
    // Keyed with the server secret like the quiz's own seed: the option order must not
    // be computable from public inputs (security review L1).
    let mac = state.signer.sign(
        "paperdeck-inpage-seed",
        &[&who.to_string(), &card.id, &version.to_string()],
    );
    let seed = u64::from_str_radix(mac.get(..16).unwrap_or("0"), 16).unwrap_or(0);
    let retrying = q.retry.as_deref() == Some(card.id.as_str());
    let just_sent = match q.checked.as_deref() {
        Some(c) if c == card.id => feedback(state, visitor, card, q, snap).await?,
        _ => None,
    };
    let feedback = just_sent.or_else(|| {
        last.filter(|_| !retrying).map(|last| CheckFeedback {
            correct: last.correct,
            right: correct_answer(state, card),
            yours: your_answer(state, card, &last.answer),
            saved: Saved::Earlier,
        })
    });
    // What she answered, to mark on the options: the stored answer, else the one just sent
    // (logged out, nothing is stored).
    let answer = last.map(|l| l.answer.clone()).or_else(|| {
        q.a.clone()
            .filter(|_| q.checked.as_deref() == Some(&card.id))
    });
    let options = options_for(state, card, &mut StdRng::seed_from_u64(seed));
    let locked = (feedback.is_some() && !retrying).then(|| match &answer {
        Some(a) => marks(card, &options, a),
        None => Vec::new(),
    });
    // Only a question shown as a form carries a token and the time it was shown: one she has
    // answered shows her answer instead, so it is spared two of its three signatures.
    let (token, shown_at) = match learner.filter(|_| locked.is_none()) {
        Some(l) => {
            let parts = question_parts(l, (&card.concept, &card.id), version, Mode::Practice);
            let token = state
                .signer
                .sign(ANSWER_TOKEN, &parts.each_ref().map(String::as_str));
            let shown = shown_at_field(state, l, &token, state.clock.now_ms());
            (token, shown)
        }
        None => (String::new(), String::new()),
    };
    Ok(Check {
        card,
        concept_name: concept_name(state, &card.concept),
        options,
        version,
        token,
        shown_at,
        locked,
        feedback,
    })
}

/// The feedback on the answer named by the query: her stored review when there is one, else
/// the answer in the query graded again (grading is pure, and nothing is written).
async fn feedback(
    state: &AppState,
    visitor: &Visitor,
    card: &Card,
    q: &PaperQuery,
    snap: Option<&crate::quiz::Snapshot>,
) -> Result<Option<CheckFeedback>, AppError> {
    let right = correct_answer(state, card);
    if let (Some(l), Some(snap), Some(r)) = (&visitor.learner, snap, q.r) {
        let review = crate::store::quiz::review(&state.db, l.id, r).await?;
        if let Some(review) = review.filter(|r| r.card_id == card.id) {
            return Ok(Some(CheckFeedback {
                correct: review.correct,
                yours: your_answer(state, card, &review.answer),
                right,
                saved: Saved::Recorded {
                    when: describe_when(review.due_after_at, snap.now, &snap.prefs),
                    again: q.dup == Some(1),
                },
            }));
        }
    }
    let sent = Submitted {
        text: q.a.clone().unwrap_or_default(),
        self_grade: None,
        gave_up: q.gu == Some(1),
    };
    let Ok((correct, _)) = crate::quiz::grade(card, &sent, &state.names) else {
        return Ok(None);
    };
    Ok(Some(CheckFeedback {
        correct,
        yours: your_answer(state, card, &sent.stored()),
        right,
        saved: match (q.moved, q.limit.and(snap)) {
            (Some(1), _) => Saved::Moved,
            (_, Some(snap)) => super::quiz::HeldBack::of(&snap.plan(), "这个概念".into(), 1)
                .map_or(Saved::Nothing, Saved::Limit),
            _ => Saved::Nothing,
        },
    }))
}

/// Answers a question inside a paper page, then back to it (post, redirect, get).
/// A [`SessionForm`]: logged out (also after her session ended with the page open) the answer
/// is graded and nothing is written, so there is nothing for a token to protect.
async fn check(state: web::Data<AppState>, paper: PaperPath, f: SessionForm<AnswerForm>) -> Page {
    let on_page = page_questions(&state, &paper)
        .into_iter()
        .flat_map(|(_, cards)| cards)
        .find(|c| c.id == f.form.card);
    let card = on_page.ok_or_else(|| {
        AppError::bad_request(
            "这道题不在这篇论文的页面上（可能内容已经更新），没有记录。请刷新页面再试。",
        )
    })?;
    let sent = Submitted {
        text: f.form.answer.clone().unwrap_or_default(),
        self_grade: None,
        gave_up: f.form.give_up.is_some(),
    };
    if sent.text.chars().count() > crate::quiz::MAX_ANSWER_CHARS {
        return Err(QuizError::TooLong.into());
    }
    let mut to = format!(
        "/papers/{}?checked={}&a={}",
        paper.slug,
        card.id,
        encode_query(&sent.text)
    );
    if sent.gave_up {
        to.push_str("&gu=1");
    }
    match &f.visitor.learner {
        Some(l) => {
            let sub = f.form.parse(&state, l.id)?;
            match service::answer_in_page(&state.quiz_as(l), l.id, sub).await {
                Ok(Recorded::New(id)) => to.push_str(&format!("&r={id}")),
                // A double submit, a reload of the POST, or a page open in two tabs: the first
                // answer counts, and its feedback is shown, saying so.
                Ok(Recorded::Again(id)) => to.push_str(&format!("&r={id}&dup=1")),
                Err(QuizError::Stale) => to.push_str("&moved=1"),
                // Past today's new-concept limit: graded and shown, nothing written.
                Err(QuizError::NewLimit) => to.push_str("&limit=1"),
                Err(e) => return Err(e.into()),
            }
        }
        None => {
            crate::quiz::grade(card, &sent, &state.names).map_err(AppError::bad_request)?;
        }
    }
    to.push_str(&format!("#q-{}", card.id));
    Ok(see_other(&to))
}

#[derive(Deserialize)]
pub struct SectionForm {
    section: String,
}

/// "读完这一节".
async fn reached(
    state: web::Data<AppState>,
    paper: PaperPath,
    f: LearnerForm<SectionForm>,
) -> Page {
    if !pure::is_check_section(&f.form.section) {
        return Err(AppError::bad_request("没有这一节。"));
    }
    let now = state.clock.now();
    crate::store::reading::reach(&state.db, f.learner.id, &paper.slug, &f.form.section, now)
        .await?;
    // Forward to the next section, with a small confirmation there.
    Ok(see_other(&format!(
        "/papers/{}?reached={}#{}",
        paper.slug,
        f.form.section,
        pure::section_after(&f.form.section)
    )))
}
