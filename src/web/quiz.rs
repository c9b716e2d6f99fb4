//! The daily quiz pages: marking papers read, a question, its feedback, undo and re-grading.
//! Handlers parse the form into the quiz's types, call one function of [`crate::quiz::service`]
//! and render; what an answer means is decided there.
//!
//! `GET /quiz` writes nothing. Each question carries a one-time token: an HMAC over (learner,
//! concept, concept version, card, mode). The answer's transaction updates the concept only if
//! its version is unchanged and bumps it, so a double click, a reload or the back button cannot
//! record a second review.

use super::error::AppError;
use super::{describe_when, render, see_other, LearnerForm, LoggedIn, Nav, NoFields, Routes};
use crate::cards::{Card, CardData};
use crate::quiz::service::{self, Added, Feedback, Next, Question, Recorded};
use crate::quiz::{
    Mode, QuizError, Snapshot, Submission, Submitted, MAX_ANSWER_CHARS, MAX_ANSWER_MS,
};
use crate::scheduler::{Plan, Rating, ReviewKind};
use crate::startup::AppState;
use crate::store::quiz::ReviewRow;
use crate::web::Page;
use actix_web::web;
use askama::Template;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::Deserialize;

pub fn routes(r: &mut Routes) {
    r.post("/papers/{slug}/read", mark_read)
        .get("/quiz", question)
        .post("/quiz/answer", answer)
        .get("/quiz/feedback/{id}", feedback)
        .post("/quiz/undo", undo)
        .post("/quiz/regrade", regrade)
        .post("/quiz/override", override_answer)
        .post("/quiz/more-new", more_new);
}

/// New concepts held back by today's limit, as every page that meets the limit says it:
/// "明天开始出现（今天的新概念已学 9 个，上限 5）", with the offer 今天再学 N 个.
pub struct HeldBack {
    /// What waits: "这个概念", "Llama 2 的 5 个概念".
    pub what: String,
    pub learned: usize,
    pub limit: usize,
    /// How many more the offer adds for today.
    pub offer: usize,
}

impl HeldBack {
    /// `None` while new concepts may still be learned today; else the offer covers `waiting`.
    pub fn of(plan: &Plan, what: String, waiting: usize) -> Option<HeldBack> {
        (plan.new_room() == 0).then(|| HeldBack {
            what,
            learned: plan.learned_today,
            limit: plan.new_limit,
            offer: waiting.clamp(1, crate::scheduler::MAX_EXTRA_NEW as usize),
        })
    }
}

#[derive(Deserialize)]
pub struct MoreNewForm {
    n: i64,
    #[serde(default)]
    next: Option<String>,
}

/// "今天再学 N 个": a one-day raise of the new-concept limit, then on to where she was going.
async fn more_new(state: web::Data<AppState>, f: LearnerForm<MoreNewForm>) -> Page {
    service::raise_new_today(&state.quiz_as(&f.learner), f.learner.id, f.form.n).await?;
    let next = match f.form.next.as_deref() {
        Some(n) => crate::auth::safe_next(Some(n)),
        None => "/quiz".to_string(),
    };
    Ok(see_other(&next))
}

impl From<QuizError> for AppError {
    fn from(e: QuizError) -> AppError {
        use QuizError as Q;
        match e {
            Q::BadAnswer(m) => AppError::bad_request(m),
            Q::TooLong => {
                AppError::bad_request(format!("答案太长了：最多 {MAX_ANSWER_CHARS} 个字。"))
            }
            Q::Retired => AppError::Conflict(
                "这道题在内容更新后已经下线，没有记录。请回到测验，换一道题。".into(),
            ),
            Q::Mismatch => AppError::bad_request("题目和概念对不上，没有记录。"),
            Q::Locked => AppError::bad_request(
                "这个概念还没有解锁：先读一篇讲到它的论文，在论文页末尾确认读完，它就会加入你的测验。",
            ),
            Q::NotFound => AppError::NotFound,
            Q::Stale => AppError::Conflict(
                "这道题已经换掉了（这个概念刚在别处答过，或撤销过），这次的回答没有记录。回到测验就是现在的题目。"
                    .into(),
            ),
            Q::NotCurrent(m) => AppError::Conflict(m.into()),
            Q::RatingNotAllowed => AppError::bad_request("只能改成“有点犹豫”或“太简单”。"),
            Q::NewLimit => AppError::Conflict(
                "这个概念还没学过，今天的新概念已经学够了（见设置里的“每天新概念数”）。明天再来学它吧。"
                    .into(),
            ),
            Q::BadToken => AppError::forbidden(
                "“算我对”的凭证无效（可能来自别的账户，或已被改动），没有做任何修改。",
            ),
            Q::Database(e) => AppError::Database(e),
            Q::Writer(crate::store::writer::WriteError::Database(e)) => AppError::Database(e),
            Q::Writer(e) => AppError::Internal(e.into()),
            Q::Internal(m) => AppError::Internal(anyhow::anyhow!(m)),
        }
    }
}

async fn mark_read(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    f: LearnerForm<NoFields>,
) -> Page {
    let slug = service::mark_read(&state.quiz_as(&f.learner), f.learner.id, &slug).await?;
    Ok(see_other(&format!("/papers/{slug}?read=1#read")))
}

#[derive(Deserialize)]
pub struct QuizQuery {
    concept: Option<String>,
    mode: Option<String>,
    undone: Option<u8>,
    /// An answer came for a question that had been replaced (see [`answer`]).
    moved: Option<u8>,
}

async fn question(state: web::Data<AppState>, who: LoggedIn, q: web::Query<QuizQuery>) -> Page {
    let ctx = state.quiz_as(&who.learner);
    let snap = service::snapshot(&ctx, who.learner.id).await?;
    // Undo brings the concept back, but the quiz shows it with another card when it has one (she
    // has just seen this card's answer), so the message promises a new question, not a retry.
    let flash = if q.undone == Some(1) {
        Some("已撤销。这个概念会换一道题再考你一次。")
    } else if q.moved == Some(1) {
        Some("刚才那道题已经换掉了（在别的页面答过这个概念，或撤销过），那次回答没有记录。这是现在的题目。")
    } else {
        None
    };
    let mode = Mode::parse(q.mode.as_deref());
    let concept = q.concept.as_deref();
    match service::next_question(&ctx, who.learner.id, &snap, concept, mode).await? {
        Next::Ask(q) => render(&QuestionPage::new(&state, &who, snap, *q, flash)),
        Next::Done => render(&DonePage::new(who.visitor.nav("quiz"), &snap, flash)),
    }
}

/// One option of a choice or which-paper card: the value sent and the text shown.
pub struct Opt {
    pub value: String,
    pub text: String,
    pub key: usize,
}

#[derive(Template)]
#[template(path = "quiz/question.html")]
struct QuestionPage<'a> {
    nav: Nav,
    card: &'a Card,
    kind_label: &'static str,
    concept_name: String,
    reason: &'static str,
    options: Vec<Opt>,
    version: i64,
    token: String,
    mode: &'static str,
    /// Signed, see [`shown_at_field`].
    shown_at: String,
    /// "复习 2/5", "新概念 1/5" or "额外练习 · 第 4 题".
    counter: String,
    flash: Option<&'static str>,
}

impl<'a> QuestionPage<'a> {
    fn new(
        state: &AppState,
        who: &LoggedIn,
        snap: Snapshot,
        mut q: Question<'a>,
        flash: Option<&'static str>,
    ) -> QuestionPage<'a> {
        let card = q.card;
        let token = state.signer.sign(
            ANSWER_TOKEN,
            &question_parts(who.learner.id, (&card.concept, &card.id), q.version, q.mode)
                .each_ref()
                .map(String::as_str),
        );
        let shown_at = shown_at_field(state, who.learner.id, &token, state.clock.now_ms());
        let new = snap
            .states
            .iter()
            .any(|s| s.concept == card.concept && s.is_new());
        QuestionPage {
            counter: match q.added {
                Some(Added::Intro { left }) => format!("读后认识 · 还有 {left} 题"),
                Some(Added::FollowUp) => "同一概念 · 再巩固一题".to_string(),
                Some(Added::Comeback) => "答错过的题 · 再考一次".to_string(),
                None => snap.plan().counter(q.mode == Mode::Practice, new),
            },
            nav: who.visitor.nav("quiz"),
            card,
            kind_label: card.kind.label(),
            concept_name: concept_name(state, &card.concept),
            reason: q.reason,
            options: options_for(state, card, &mut q.rng),
            version: q.version,
            token,
            mode: q.mode.as_str(),
            shown_at,
            flash,
        }
    }
}

#[derive(Template)]
#[template(path = "quiz/done.html")]
struct DonePage {
    nav: Nav,
    plan: Plan,
    next_due: Option<String>,
    /// The next review falls due before today ends: she is not done for today.
    due_later_today: bool,
    held_back: Option<HeldBack>,
    can_practice: bool,
    nothing_unlocked: bool,
    flash: Option<&'static str>,
}

impl DonePage {
    fn new(nav: Nav, snap: &Snapshot, flash: Option<&'static str>) -> DonePage {
        let plan = snap.plan();
        let next_due = snap.next_due();
        let tomorrow = snap.prefs.day_start(snap.prefs.day_index(snap.now) + 1);
        DonePage {
            nav,
            plan,
            due_later_today: next_due.is_some_and(|t| t < tomorrow),
            held_back: HeldBack::of(
                &plan,
                format!("还有 {} 个新概念", plan.new_waiting),
                plan.new_waiting,
            )
            .filter(|_| plan.new_waiting > 0),
            next_due: next_due.map(|t| describe_when(t, snap.now, &snap.prefs)),
            can_practice: snap.states.iter().any(|s| !s.is_new()),
            nothing_unlocked: snap.states.is_empty(),
            flash,
        }
    }
}

pub(super) fn concept_name(state: &AppState, slug: &str) -> String {
    state
        .content
        .concept(slug)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| slug.to_string())
}

/// A paper as an option or an answer: "Chinchilla（训练计算最优的大语言模型）", and just the
/// title when it already starts with the short name ("QLoRA：量化…"), which read
/// "QLoRA（QLoRA：…）".
fn paper_label(state: &AppState, slug: &str) -> String {
    let Some(p) = state.content.paper(slug) else {
        return slug.to_string();
    };
    match super::pages::PaperTitles::title_rest(p) {
        rest if rest != p.title_zh => format!("{}（{rest}）", p.short),
        _ if p.title_zh.starts_with(p.short.as_str()) => p.title_zh.clone(),
        _ => format!("{}（{}）", p.short, p.title_zh),
    }
}

pub(super) const ANSWER_TOKEN: &str = "paperdeck-answer";

/// What a question's token signs: (learner, concept, concept version, card, mode).
pub(super) fn question_parts(
    learner: i64,
    (concept, card): (&str, &str),
    version: i64,
    mode: Mode,
) -> [String; 5] {
    let mode = mode.as_str().to_string();
    [
        learner.to_string(),
        concept.into(),
        version.to_string(),
        card.into(),
        mode,
    ]
}

pub(super) fn options_for(state: &AppState, card: &Card, rng: &mut StdRng) -> Vec<Opt> {
    let Some((answer, distractors)) = card.data.options() else {
        return Vec::new();
    };
    let which_paper = matches!(card.data, CardData::WhichPaper { .. });
    let mut values: Vec<(String, String)> = std::iter::once(answer)
        .chain(distractors)
        .map(|v| {
            let text = if which_paper {
                paper_label(state, v)
            } else {
                v.clone()
            };
            (v.clone(), text)
        })
        .collect();
    values.shuffle(rng);
    let numbered = values.into_iter().enumerate();
    numbered
        .map(|(i, (value, text))| Opt {
            value,
            text,
            key: i + 1,
        })
        .collect()
}

#[derive(Deserialize)]
pub struct AnswerForm {
    pub(super) concept: String,
    pub(super) card: String,
    pub(super) version: i64,
    pub(super) token: String,
    #[serde(default)]
    pub(super) mode: String,
    /// `<milliseconds>.<signature>`, see [`shown_at_field`].
    #[serde(default)]
    pub(super) shown_at: String,
    #[serde(default)]
    pub(super) answer: Option<String>,
    #[serde(default)]
    pub(super) grade: Option<u8>,
    #[serde(default)]
    pub(super) give_up: Option<String>,
}

impl AnswerForm {
    /// The answer as the quiz takes it, once the question token shows that this question was
    /// shown to this learner, in this mode.
    pub(super) fn parse(self, state: &AppState, learner: i64) -> Result<Submission, AppError> {
        let mode = Mode::parse(Some(&self.mode));
        let parts = question_parts(learner, (&self.concept, &self.card), self.version, mode);
        if !state.signer.verify(
            ANSWER_TOKEN,
            &parts.each_ref().map(String::as_str),
            &self.token,
        ) {
            return Err(AppError::forbidden(
                "这道题的凭证无效（可能来自别的账户，或已被改动），所以没有记录。请回到测验重新开始。",
            ));
        }
        let duration_ms = answer_duration_ms(&self.shown_at, state.clock.now_ms(), |ms| {
            shown_at_field(state, learner, &self.token, ms)
        })
        .ok_or_else(|| {
            AppError::bad_request(
                "这道题的表单被改动过（显示时间不对），所以没有记录。请回到测验重新作答。",
            )
        })?;
        let now_ms = state.clock.now_ms();
        Ok(Submission {
            concept: self.concept,
            card: self.card,
            version: self.version,
            mode,
            duration_ms,
            // Signed and checked just above; a clock step back recorded 0 there, and here too.
            shown_at_ms: now_ms - duration_ms,
            answer: Submitted {
                text: self.answer.unwrap_or_default(),
                self_grade: self.grade,
                gave_up: self.give_up.is_some(),
            },
        })
    }
}

/// The time a question was shown, as its form carries it: milliseconds, a dot, and a signature
/// over them and the question's token. Answer times feed the study statistics, and a bare number
/// could be set to anything (security review 2026-11-29, L4).
pub(super) fn shown_at_field(state: &AppState, learner: i64, token: &str, ms: i64) -> String {
    let sig = state.signer.sign(
        "paperdeck-shown-at",
        &[&learner.to_string(), token, &ms.to_string()],
    );
    format!("{ms}.{sig}")
}

/// How long she took to answer, from the form's `shown_at` and the time now. `signed(ms)` gives
/// the field the server would have written for `ms`. `None` when the field is not the server's
/// (changed or made up); a signed time in the future (the clock stepped back) records 0, and a
/// plausible one the time, at most [`MAX_ANSWER_MS`].
pub fn answer_duration_ms(field: &str, now_ms: i64, signed: impl Fn(i64) -> String) -> Option<i64> {
    let ms = field
        .split_once('.')
        .and_then(|(ms, _)| ms.parse::<i64>().ok())?;
    if signed(ms) != field {
        return None;
    }
    Some(match now_ms.checked_sub(ms) {
        Some(d) if d >= 0 => d.min(MAX_ANSWER_MS),
        _ => 0,
    })
}

async fn answer(state: web::Data<AppState>, f: LearnerForm<AnswerForm>) -> Page {
    let submission = f.form.parse(&state, f.learner.id)?;
    let mode = submission.mode;
    let ctx = state.quiz_as(&f.learner);
    Ok(see_other(
        &match service::record_answer(&ctx, f.learner.id, submission).await {
            Ok(Recorded::New(id)) if mode == Mode::Extra => feedback_url(id, Some(1)),
            Ok(Recorded::New(id)) => format!("/quiz/feedback/{id}"),
            // The answer recorded for this question stands; she sees it, told so.
            Ok(Recorded::Again(id)) if mode == Mode::Extra => {
                format!("/quiz/feedback/{id}?again=1&daily=1")
            }
            Ok(Recorded::Again(id)) => format!("/quiz/feedback/{id}?again=1"),
            // The question was replaced before this answer came (undone, or its concept
            // answered in another tab): nothing recorded, and the quiz goes on from here.
            Err(QuizError::Stale) => match mode {
                Mode::Practice => "/quiz?mode=practice&moved=1".to_string(),
                Mode::Normal | Mode::Extra => "/quiz?moved=1".to_string(),
            },
            Err(e) => return Err(e.into()),
        },
    ))
}

#[derive(Template)]
#[template(path = "quiz/feedback.html")]
struct FeedbackPage<'a> {
    nav: Nav,
    review: &'a ReviewRow,
    card: &'a Card,
    concept_name: String,
    paper_short: String,
    section_title: &'static str,
    correct_answer: String,
    your_answer: String,
    returns: String,
    can_undo: bool,
    can_regrade: bool,
    /// 太简单 is offered only for a spaced review or a first answer (L2).
    can_easy: bool,
    /// Where 继续 leads: extra practice stays in practice, where the plain quiz would say
    /// "today's work is done".
    continue_to: &'static str,
    /// The "我答对了，算我对" form's token, when the review can still be overridden.
    override_token: Option<String>,
    rating_label: &'static str,
    plan: Plan,
    /// "回到原文": the words of the paper that explain the concept, else the card's section.
    source_href: String,
    /// How often the concept has lapsed (forgotten on a later day after it was learned): once it
    /// has, the page offers a re-read (never for a miss while still learning).
    lapses: i64,
    /// A wrong answer whose concept comes back today, after a few other questions.
    retry_today: bool,
    /// Shown for a repeated answer: this is the one recorded before.
    again: bool,
    /// A wrong answer: the card comes back by its own memory (issue 19; the same-day retry of
    /// the concept asks another of its cards), and the page says so.
    card_returns: bool,
}

impl<'a> FeedbackPage<'a> {
    fn new(state: &AppState, who: &LoggedIn, fb: &'a Feedback) -> FeedbackPage<'a> {
        let (review, card) = (&fb.review, &fb.card);
        let override_token = fb.can_override().then(|| {
            let parts = override_parts(who.learner.id, review.id, review.version_after);
            state
                .signer
                .sign(OVERRIDE_TOKEN, &parts.each_ref().map(String::as_str))
        });
        let source_href = source_href(state, card);
        let lapses = fb
            .snap
            .states
            .iter()
            .find(|s| s.concept == card.concept)
            .map_or(0, |s| s.lapses);
        let retry_today =
            !review.correct && crate::scheduler::retry_pending(&fb.snap.today, &card.concept);
        FeedbackPage {
            source_href,
            lapses,
            retry_today,
            again: false,
            // Any miss, practice too, lowers the card's own memory (`card_pick::CardMemory`).
            card_returns: !review.correct,
            nav: who.visitor.nav("quiz"),
            concept_name: concept_name(state, &card.concept),
            paper_short: state
                .content
                .paper(&card.paper)
                .map(|p| p.short.clone())
                .unwrap_or_default(),
            section_title: crate::content::Content::section_title(&card.section),
            correct_answer: correct_answer(state, card),
            your_answer: your_answer(state, card, &review.answer),
            returns: describe_when(review.due_after_at, fb.snap.now, &fb.snap.prefs),
            can_undo: fb.current,
            can_regrade: fb.can_regrade(),
            can_easy: fb.can_easy(),
            continue_to: match review.kind {
                ReviewKind::Practice => "/quiz?mode=practice",
                ReviewKind::Learn | ReviewKind::Review => "/quiz",
            },
            override_token,
            rating_label: Rating::from_u8(review.rating)
                .map(Rating::label)
                .unwrap_or(""),
            review,
            card,
            plan: fb.snap.plan(),
        }
    }
}

/// Where the paper explains a card's fact: the words about its concept in the card's
/// section, else the section.
pub(super) fn source_href(state: &AppState, card: &Card) -> String {
    state
        .content
        .paper(&card.paper)
        .and_then(|p| crate::reading::passage(p, &card.section, &card.concept))
        .map(|p| p.href())
        .unwrap_or_else(|| format!("/papers/{}#{}", card.paper, card.section))
}

pub(super) fn correct_answer(state: &AppState, card: &Card) -> String {
    match &card.data {
        CardData::Choice { answer, .. } | CardData::Fill { answer, .. } => answer.clone(),
        CardData::TrueFalse { truth: true, .. } => "正确".into(),
        CardData::TrueFalse { correct, .. } => format!("错误。正确的说法是：{correct}"),
        CardData::WhichPaper { answer, .. } => paper_label(state, answer),
        CardData::Recall { model_answer } => model_answer.clone(),
    }
}

pub(super) fn your_answer(state: &AppState, card: &Card, answer: &str) -> String {
    match (&card.data, answer) {
        (CardData::TrueFalse { .. }, "true") => "正确".to_string(),
        (CardData::TrueFalse { .. }, "false") => "错误".to_string(),
        (CardData::WhichPaper { .. }, slug) => state
            .content
            .paper(slug)
            .map(|p| p.short.clone())
            .unwrap_or_else(|| slug.to_string()),
        (_, a) => a.to_string(),
    }
}

#[derive(Deserialize)]
pub struct FeedbackQuery {
    /// She answered this question again: the page says this is the answer recorded before.
    again: Option<u8>,
    /// A practice answer to a card the daily quiz added ([`Mode::Extra`]): 继续 returns to
    /// the daily quiz, not to extra practice.
    daily: Option<u8>,
}

async fn feedback(
    state: web::Data<AppState>,
    who: LoggedIn,
    id: web::Path<i64>,
    q: web::Query<FeedbackQuery>,
) -> Page {
    let fb = service::feedback(&state.quiz_as(&who.learner), who.learner.id, *id).await?;
    let mut page = FeedbackPage::new(&state, &who, &fb);
    page.again = q.again == Some(1);
    if q.daily == Some(1) {
        page.continue_to = "/quiz";
    }
    render(&page)
}

#[derive(Deserialize)]
pub struct ReviewForm {
    review: i64,
    /// The answer was to a card the daily quiz added ([`Mode::Extra`]): undo returns there.
    #[serde(default)]
    daily: Option<u8>,
    #[serde(default)]
    rating: Option<u8>,
}

async fn undo(state: web::Data<AppState>, f: LearnerForm<ReviewForm>) -> Page {
    let review = service::undo(&state.quiz_as(&f.learner), f.learner.id, f.form.review).await?;
    // Back to the same kind of quiz: a practice answer (extra or one-concept practice) returns
    // to practising that concept, where the plain /quiz would say "today's work is done".
    if f.form.daily == Some(1) {
        return Ok(see_other("/quiz?undone=1"));
    }
    Ok(see_other(&undo_target(&review)))
}

/// Where undo sends her: the daily quiz, or practice of the concept whose answer was undone.
fn undo_target(review: &ReviewRow) -> String {
    match review.kind {
        ReviewKind::Practice => format!(
            "/quiz?mode=practice&concept={}&undone=1",
            super::encode_query(&review.concept)
        ),
        ReviewKind::Learn | ReviewKind::Review => "/quiz?undone=1".to_string(),
    }
}

async fn regrade(state: web::Data<AppState>, f: LearnerForm<ReviewForm>) -> Page {
    let rating = f.form.rating.and_then(Rating::from_u8);
    let rating = rating.ok_or(QuizError::RatingNotAllowed)?;
    let id = service::regrade(
        &state.quiz_as(&f.learner),
        f.learner.id,
        f.form.review,
        rating,
    )
    .await?;
    Ok(see_other(&feedback_url(id, f.form.daily)))
}

/// A review's feedback page; `daily`: its question was one the daily quiz added, so 继续
/// returns to the daily quiz.
fn feedback_url(id: i64, daily: Option<u8>) -> String {
    match daily {
        Some(1) => format!("/quiz/feedback/{id}?daily=1"),
        _ => format!("/quiz/feedback/{id}"),
    }
}

/// What the override form's one-time token signs: the review and the concept version it left. The override bumps that version, so the same form cannot apply twice, and a token for
/// one review (or another learner's) is useless for any other.
fn override_parts(learner: i64, review: i64, version: i64) -> [String; 3] {
    [learner.to_string(), review.to_string(), version.to_string()]
}

const OVERRIDE_TOKEN: &str = "paperdeck-override";

#[derive(Deserialize)]
pub struct OverrideForm {
    review: i64,
    version: i64,
    #[serde(default)]
    token: String,
    #[serde(default)]
    daily: Option<u8>,
}

/// "我答对了，算我对": turns a wrong typed answer into a right one.
async fn override_answer(state: web::Data<AppState>, f: LearnerForm<OverrideForm>) -> Page {
    let OverrideForm {
        review,
        version,
        token,
        daily,
    } = f.form;
    let parts = override_parts(f.learner.id, review, version);
    let token_ok = state.signer.verify(
        OVERRIDE_TOKEN,
        &parts.each_ref().map(String::as_str),
        &token,
    );
    let ctx = state.quiz_as(&f.learner);
    let id = service::override_answer(&ctx, f.learner.id, review, version, token_ok).await?;
    Ok(see_other(&feedback_url(id, daily)))
}

#[cfg(test)]
mod tests {
    use super::answer_duration_ms;

    /// L4: only the server's own `shown_at` is accepted, and at most 30 minutes of it recorded.
    #[test]
    fn l4_answer_time_is_recorded_only_when_signed_and_plausible() {
        let signed = |ms: i64| format!("{ms}.sig{}", ms % 7);
        let now = 1_800_000_000_000;
        let d = |field: &str| answer_duration_ms(field, now, signed);
        assert_eq!(d(&signed(now - 8_000)), Some(8_000));
        assert_eq!(d(&signed(now - 3_600_000)), Some(1_800_000));
        assert_eq!(d(&signed(now + 5_000)), Some(0), "a clock step back");
        assert_eq!(d(&signed(i64::MIN)), Some(0));
        assert_eq!(d(&(now - 8_000).to_string()), None, "unsigned");
        assert_eq!(d(&format!("{}.forged", now - 8_000)), None);
        assert_eq!(d(""), None);
        assert_eq!(d("abc"), None);
    }
}
