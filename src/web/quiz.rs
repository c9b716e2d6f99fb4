//! The daily quiz: marking papers read, choosing and showing a question, grading it, feedback,
//! undo and re-grading.
//!
//! `GET /quiz` writes nothing. Each question carries a one-time token: an HMAC over (learner,
//! concept, concept version, card, mode). The answer's transaction updates the concept only if
//! its version is unchanged and bumps it, so a double click, a reload or the back button cannot
//! record a second review.

use super::session::{sign, tokens_equal};
use super::{render, see_other, Nav, Visitor};
use crate::cards::{Card, CardData, CardKind};
use crate::web::error::AppError;
use crate::scheduler::{self, ConceptState, Pick, Plan, Prefs, Rating, ReviewKind};
use crate::startup::AppState;
use crate::store;
use crate::store::quiz::ReviewRow;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/papers/{slug}/read", web::post().to(mark_read))
        .route("/quiz", super::get().to(question))
        .route("/quiz/answer", web::post().to(answer))
        .route("/quiz/feedback/{id}", super::get().to(feedback))
        .route("/quiz/undo", web::post().to(undo))
        .route("/quiz/regrade", web::post().to(regrade))
        .route("/quiz/override", web::post().to(override_answer));
}

/// The stored answer of a fill-in card given up on with 不知道: there is nothing typed to judge,
/// so it can be neither overridden nor reported as a disputed grading.
pub const GAVE_UP: &str = "（不知道）";

/// Longest typed answer kept; anything longer is refused with a clear message.
const MAX_ANSWER_CHARS: usize = 2000;

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn mark_read(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    let learner = visitor.require(&req)?;
    visitor.verify_csrf(&form.csrf)?;
    let paper = state.content.paper(&slug).ok_or(AppError::NotFound)?;
    store::quiz::mark_read(
        &state.db,
        learner.id,
        &paper.slug,
        &paper.concepts,
        store::now_ts(),
    )
    .await?;
    state.cache.forget(learner.id);
    Ok(see_other(&format!("/papers/{}?read=1#read", paper.slug)))
}

#[derive(Deserialize)]
pub struct QuizQuery {
    concept: Option<String>,
    mode: Option<String>,
    undone: Option<u8>,
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
    shown_at: i64,
    plan: Plan,
    flash: Option<&'static str>,
}

impl QuestionPage<'_> {
    fn position(&self) -> usize {
        self.plan.done_today + 1
    }
    fn total(&self) -> usize {
        self.plan.done_today + self.plan.remaining().max(1)
    }
}

#[derive(Template)]
#[template(path = "quiz/done.html")]
struct DonePage {
    nav: Nav,
    plan: Plan,
    next_due: Option<String>,
    can_practice: bool,
    nothing_unlocked: bool,
    flash: Option<&'static str>,
}

/// What the quiz needs to know about a learner right now.
pub(crate) struct Snapshot {
    pub prefs: Prefs,
    pub states: Vec<ConceptState>,
    pub today: Vec<scheduler::TodayReview>,
    pub now: i64,
    /// The cached entry the snapshot came from (papers read, when she last saw each card).
    data: std::sync::Arc<store::cache::LearnerData>,
}

pub(crate) async fn snapshot(state: &AppState, learner: i64) -> Result<Snapshot, AppError> {
    let now = store::now_ts();
    let data = state
        .cache
        .learner(&state.db, learner, now)
        .await?
        .ok_or_else(|| anyhow::anyhow!("learner {learner} has a session but no row"))?;
    Ok(Snapshot {
        prefs: data.prefs.clone(),
        // Only concepts that still have cards: content may have changed since they were
        // unlocked.
        states: data
            .states
            .iter()
            .filter(|s| state.cards.has_concept(&s.concept))
            .cloned()
            .collect(),
        today: data.today.clone(),
        now,
        data,
    })
}

fn concept_name(state: &AppState, slug: &str) -> String {
    state
        .content
        .concept(slug)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| slug.to_string())
}

fn question_token(
    state: &AppState,
    learner: i64,
    concept: &str,
    version: i64,
    card: &str,
    mode: &str,
) -> String {
    sign(
        state,
        "paperdeck-answer",
        &[
            &learner.to_string(),
            concept,
            &version.to_string(),
            card,
            mode,
        ],
    )
}

/// A seed that is the same on every reload of the same question, so a reload shows the same
/// card with its options in the same order.
fn question_seed(learner: i64, concept: &str, version: i64) -> u64 {
    let h = Sha256::digest(format!("{learner}/{concept}/{version}").as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    u64::from_le_bytes(b)
}

async fn question(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    q: web::Query<QuizQuery>,
) -> Result<HttpResponse, AppError> {
    let learner = visitor.require(&req)?.clone();
    let snap = snapshot(&state, learner.id).await?;
    let plan = scheduler::plan(&snap.states, &snap.today, snap.now, &snap.prefs);
    let flash = (q.undone == Some(1)).then_some("已撤销上一题的答案，可以重新作答。");

    let (concept, reason, mode) = if let Some(slug) = &q.concept {
        let Some(s) = snap.states.iter().find(|s| &s.concept == slug) else {
            return Err(if state.content.concept(slug).is_some() {
                AppError::bad_request(
                    "这个概念还没有解锁：先读一篇讲到它的论文，点“我读完了”，再来练习。",
                )
            } else {
                AppError::NotFound
            });
        };
        (s.concept.clone(), "专项练习", "practice")
    } else if q.mode.as_deref() == Some("practice") {
        match scheduler::practice_order(&snap.states, snap.now, &snap.prefs)
            .into_iter()
            .next()
        {
            Some(c) => (c, "额外练习：记忆最弱的概念", "practice"),
            None => return done_page(&visitor, &snap, plan, flash),
        }
    } else {
        match scheduler::pick_next(&snap.states, &snap.today, snap.now, &snap.prefs) {
            Pick::Relearn(c) => (c, "刚才答错了，再来一次", "normal"),
            Pick::Due(c) => (c, "到期复习", "normal"),
            Pick::New(c) => (c, "新概念", "normal"),
            Pick::Done { .. } => return done_page(&visitor, &snap, plan, flash),
        }
    };

    let Some(cs) = snap.states.iter().find(|s| s.concept == concept) else {
        return Err(anyhow::anyhow!("picked concept {concept} has no state").into());
    };
    // Questions come from the papers she has read: a concept such as 基准测试 appears in six
    // papers, and a question about one she has not opened yet is not a fair test of her reading.
    let all_cards = state.cards.for_concept(&concept);
    let read: Vec<&Card> = all_cards
        .iter()
        .copied()
        .filter(|c| snap.data.papers_read.contains(&c.paper))
        .collect();
    let cards = if read.is_empty() { all_cards } else { read };
    let last_seen = &snap.data.last_seen(&state.db, learner.id, &concept).await?;
    let choices: Vec<scheduler::CardChoice> = cards
        .iter()
        .map(|c| scheduler::CardChoice {
            id: &c.id,
            kind: c.kind.as_str(),
        })
        .collect();
    let mut rng = StdRng::seed_from_u64(question_seed(learner.id, &concept, cs.version));
    let picked = scheduler::pick_card(&choices, last_seen, cs.last_card_id.as_deref(), &mut rng)
        .ok_or_else(|| anyhow::anyhow!("concept {concept} has no cards"))?;
    let card = cards
        .iter()
        .find(|c| c.id == picked.id)
        .copied()
        .ok_or_else(|| anyhow::anyhow!("picked card vanished"))?;

    let options = options_for(&state, card, &mut rng);
    let token = question_token(&state, learner.id, &concept, cs.version, &card.id, mode);
    render(&QuestionPage {
        nav: visitor.nav("quiz"),
        card,
        kind_label: card.kind.label(),
        concept_name: concept_name(&state, &concept),
        reason,
        options,
        version: cs.version,
        token,
        mode,
        shown_at: chrono::Utc::now().timestamp_millis(),
        plan,
        flash,
    })
}

fn options_for(state: &AppState, card: &Card, rng: &mut StdRng) -> Vec<Opt> {
    let mut values: Vec<(String, String)> = match &card.data {
        CardData::Choice {
            answer,
            distractors,
        } => std::iter::once(answer)
            .chain(distractors)
            .map(|v| (v.clone(), v.clone()))
            .collect(),
        CardData::WhichPaper {
            answer,
            distractors,
        } => std::iter::once(answer)
            .chain(distractors)
            .map(|slug| {
                let text = state
                    .content
                    .paper(slug)
                    .map(|p| format!("{}（{}）", p.short, p.title_zh))
                    .unwrap_or_else(|| slug.clone());
                (slug.clone(), text)
            })
            .collect(),
        _ => return Vec::new(),
    };
    values.shuffle(rng);
    values
        .into_iter()
        .enumerate()
        .map(|(i, (value, text))| Opt {
            value,
            text,
            key: i + 1,
        })
        .collect()
}

fn done_page(
    visitor: &Visitor,
    snap: &Snapshot,
    plan: Plan,
    flash: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let next_due = match scheduler::pick_next(&snap.states, &snap.today, snap.now, &snap.prefs) {
        Pick::Done { next_due } => next_due,
        _ => None,
    };
    render(&DonePage {
        nav: visitor.nav("quiz"),
        plan,
        next_due: next_due.map(|t| describe_when(t, snap.now, &snap.prefs)),
        can_practice: snap.states.iter().any(|s| !s.is_new()),
        nothing_unlocked: snap.states.is_empty(),
        flash,
    })
}

/// "今天稍后", "明天（12月1日）", "5 天后（12月5日）" in the learner's time zone and days.
pub fn describe_when(ts: i64, now: i64, prefs: &Prefs) -> String {
    let days = prefs.day_index(ts) - prefs.day_index(now);
    let local = chrono::DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .with_timezone(&prefs.tz);
    let date = local.format("%-m月%-d日").to_string();
    match days {
        d if d <= 0 => {
            let mins = ((ts - now).max(0) + 59) / 60;
            if mins < 60 {
                format!("今天稍后（约 {mins} 分钟后）")
            } else {
                format!("今天稍后（约 {} 小时后）", (mins + 30) / 60)
            }
        }
        1 => format!("明天（{date}）"),
        d => format!("{d} 天后（{date}）"),
    }
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    concept: String,
    card: String,
    version: i64,
    token: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    shown_at: i64,
    #[serde(default)]
    answer: Option<String>,
    #[serde(default)]
    grade: Option<u8>,
    #[serde(default)]
    give_up: Option<String>,
}

/// Grades an answer: whether it is right and the FSRS rating it earns. `names` holds the known
/// names of every term, so a typed name is right in any of its spellings.
pub fn grade(
    card: &Card,
    answer: &str,
    self_grade: Option<u8>,
    gave_up: bool,
    names: &crate::cards::grading::NameIndex,
) -> Result<(bool, Rating), String> {
    let a = answer.trim();
    let right = match &card.data {
        CardData::Choice {
            answer,
            distractors,
        }
        | CardData::WhichPaper {
            answer,
            distractors,
        } => {
            if a.is_empty() {
                return Err("请先选一个选项。".into());
            }
            if a != answer && !distractors.iter().any(|d| d == a) {
                return Err("提交的选项不在这道题里，请回到题目重新选择。".into());
            }
            a == answer
        }
        CardData::Fill {
            answer,
            accept,
            number,
        } => {
            if gave_up {
                false
            } else if a.is_empty() {
                return Err("请先填写答案；不知道的话，点“不知道，看答案”。".into());
            } else {
                use crate::cards::grading;
                let percent = number.is_some() && grading::is_percent_answer(answer);
                grading::check(a, answer, accept, *number, percent, names)
            }
        }
        CardData::TrueFalse { truth, .. } => match a {
            "true" => *truth,
            "false" => !*truth,
            _ => return Err("请选择“正确”或“错误”。".into()),
        },
        CardData::Recall { .. } => {
            let g = self_grade
                .and_then(Rating::from_u8)
                .ok_or("请在看过参考答案后，选择 1–4 中的一个自评等级。")?;
            return Ok((g != Rating::Again, g));
        }
    };
    Ok((right, if right { Rating::Good } else { Rating::Again }))
}

async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let learner = visitor.require(&req)?.clone();
    visitor.verify_csrf(&form.csrf)?;
    let mode = match form.mode.as_str() {
        "practice" => "practice",
        _ => "normal",
    };
    let expected = question_token(
        &state,
        learner.id,
        &form.concept,
        form.version,
        &form.card,
        mode,
    );
    if !tokens_equal(&expected, &form.token) {
        return Err(AppError::forbidden(
            "这道题的凭证无效（可能来自别的账户，或已被改动），所以没有记录。请回到测验重新开始。",
        ));
    }
    let answer_text = form.answer.clone().unwrap_or_default();
    if answer_text.chars().count() > MAX_ANSWER_CHARS {
        return Err(AppError::bad_request(format!(
            "答案太长了：最多 {MAX_ANSWER_CHARS} 个字。"
        )));
    }
    let Some(card) = state.cards.get(&form.card) else {
        return Err(AppError::Conflict(
            "这道题在内容更新后已经下线，没有记录。请回到测验，换一道题。".into(),
        ));
    };
    if card.concept != form.concept {
        return Err(AppError::bad_request("题目和概念对不上，没有记录。"));
    }
    let (correct, rating) = grade(
        card,
        &answer_text,
        form.grade,
        form.give_up.is_some(),
        &state.names,
    )
    .map_err(AppError::BadRequest)?;

    let data = state
        .cache
        .learner(&state.db, learner.id, store::now_ts())
        .await?
        .ok_or_else(|| anyhow::anyhow!("learner row missing"))?;
    let prefs = data.prefs.clone();
    // The cached state is safe to build on: the write below only applies if the database's
    // version of the concept still equals the one this answer was computed from.
    let before = match data.states.iter().find(|s| s.concept == form.concept) {
        Some(s) => s.clone(),
        None => match store::quiz::state(&state.db, learner.id, &form.concept).await? {
            Some(s) => s,
            None => return Err(AppError::bad_request("这个概念还没有解锁，没有记录。")),
        },
    };
    if before.version != form.version {
        return Err(stale());
    }
    let now = store::now_ts();
    let kind = if mode == "practice" {
        ReviewKind::Practice
    } else if before.is_new() {
        ReviewKind::Learn
    } else {
        ReviewKind::Review
    };
    let mut rng = StdRng::from_os_rng();
    let out = scheduler::apply(&before, rating, now, &prefs, &mut rng)
        .map_err(|e| anyhow::anyhow!("fsrs: {e:?}"))?;
    // shown_at comes from the form: saturating, so a forged extreme value cannot overflow.
    let duration_ms = chrono::Utc::now()
        .timestamp_millis()
        .saturating_sub(form.shown_at)
        .clamp(0, 30 * 60 * 1000);
    // Text typed before pressing 不知道 is not her answer: she said she did not know.
    let stored_answer = if form.give_up.is_some() {
        GAVE_UP.to_string()
    } else {
        answer_text
    };
    let answer = store::writer::Answer {
        learner: learner.id,
        before: before.clone(),
        card_id: card.id.clone(),
        concept: card.concept.clone(),
        answer: stored_answer,
        correct,
        rating: rating as u8,
        duration_ms,
        kind,
        now,
        out: out.clone(),
    };
    let recorded = state.answers.record(answer).await;
    match recorded {
        Ok(Some(id)) => {
            let after = ConceptState {
                stability: Some(out.stability),
                difficulty: Some(out.difficulty),
                due_at: Some(out.due_at),
                last_review_at: Some(now),
                reps: out.reps,
                lapses: out.lapses,
                last_card_id: Some(card.id.clone()),
                version: before.version + 1,
                ..before.clone()
            };
            let today = scheduler::TodayReview {
                concept: card.concept.clone(),
                rating: rating as u8,
                kind,
            };
            state
                .cache
                .answered(learner.id, after, today, &card.id, now);
            Ok(see_other(&format!("/quiz/feedback/{id}")))
        }
        Ok(None) => {
            // Stale, possibly because the cache was: read afresh next time.
            state.cache.forget(learner.id);
            Err(stale())
        }
        Err(e) => {
            state.cache.forget(learner.id);
            Err(e.into())
        }
    }
}

fn stale() -> AppError {
    AppError::Conflict(
        "这道题已经提交过了（可能是点了两次、刷新或后退），不会重复记录。点“继续测验”接着做下一题。"
            .into(),
    )
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
    /// The "我答对了，算我对" form's token, when the review can still be overridden.
    override_token: Option<String>,
    rating_label: &'static str,
    plan: Plan,
}

async fn load_card(state: &AppState, id: &str) -> Result<Option<Card>, AppError> {
    if let Some(c) = state.cards.get(id) {
        return Ok(Some(c.clone()));
    }
    // Retired since: the stored copy still explains the old answer.
    Ok(store::cards::by_id(&state.db, id).await?.map(|s| Card {
        id: s.id,
        paper: s.paper,
        fact_key: String::new(),
        kind: s.kind,
        concept: s.concept,
        prompt: s.prompt,
        data: s.data,
        explanation: s.explanation,
        section: s.section,
    }))
}

async fn feedback(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let learner = visitor.require(&req)?.clone();
    let review = store::quiz::review(&state.db, learner.id, *id)
        .await?
        .ok_or(AppError::NotFound)?;
    let card = load_card(&state, &review.card_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let snap = snapshot(&state, learner.id).await?;
    let current = store::quiz::is_current(&state.db, learner.id, &review).await?;
    let correct_answer = match &card.data {
        CardData::Choice { answer, .. } => answer.clone(),
        CardData::Fill { answer, .. } => answer.clone(),
        CardData::TrueFalse { truth, correct } => {
            if *truth {
                "正确".into()
            } else {
                format!("错误。正确的说法是：{correct}")
            }
        }
        CardData::WhichPaper { answer, .. } => state
            .content
            .paper(answer)
            .map(|p| format!("{}（{}）", p.short, p.title_zh))
            .unwrap_or_else(|| answer.clone()),
        CardData::Recall { model_answer } => model_answer.clone(),
    };
    let your_answer = match (&card.data, review.answer.as_str()) {
        (CardData::TrueFalse { .. }, "true") => "正确".to_string(),
        (CardData::TrueFalse { .. }, "false") => "错误".to_string(),
        (CardData::WhichPaper { .. }, slug) => state
            .content
            .paper(slug)
            .map(|p| p.short.clone())
            .unwrap_or_else(|| slug.to_string()),
        (_, a) => a.to_string(),
    };
    let plan = scheduler::plan(&snap.states, &snap.today, snap.now, &snap.prefs);
    // The cached version may lag by a moment; the override checks it again in its transaction.
    let latest_of_concept = snap
        .states
        .iter()
        .any(|s| s.concept == review.concept && s.version == review.version_after);
    let override_token = (latest_of_concept && overridable(&review, &card).is_ok())
        .then(|| override_token(&state, learner.id, review.id, review.version_after));
    render(&FeedbackPage {
        nav: visitor.nav("quiz"),
        concept_name: concept_name(&state, &card.concept),
        paper_short: state
            .content
            .paper(&card.paper)
            .map(|p| p.short.clone())
            .unwrap_or_default(),
        section_title: crate::content::Content::section_title(&card.section),
        correct_answer,
        your_answer,
        returns: describe_when(review.due_after_at, snap.now, &snap.prefs),
        can_undo: current,
        can_regrade: current
            && review.correct
            && !review.overridden
            && review.rating == Rating::Good as u8
            && card.kind != CardKind::Recall,
        override_token,
        rating_label: Rating::from_u8(review.rating)
            .map(Rating::label)
            .unwrap_or(""),
        review: &review,
        card: &card,
        plan,
    })
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    csrf: String,
    review: i64,
    #[serde(default)]
    rating: Option<u8>,
}

async fn undo(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<ReviewForm>,
) -> Result<HttpResponse, AppError> {
    let learner = visitor.require(&req)?.clone();
    visitor.verify_csrf(&form.csrf)?;
    let review = store::quiz::review(&state.db, learner.id, form.review)
        .await?
        .ok_or(AppError::NotFound)?;
    let undone = store::quiz::undo(&state.db, learner.id, &review).await;
    state.cache.forget(learner.id);
    if !undone? {
        return Err(AppError::Conflict(
            "只能撤销刚刚提交的那一题，而且只能撤销一次；这次没有做任何修改。".into(),
        ));
    }
    Ok(see_other("/quiz?undone=1"))
}

async fn regrade(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<ReviewForm>,
) -> Result<HttpResponse, AppError> {
    let learner = visitor.require(&req)?.clone();
    visitor.verify_csrf(&form.csrf)?;
    let rating = match form.rating.and_then(Rating::from_u8) {
        Some(r @ (Rating::Hard | Rating::Easy)) => r,
        _ => return Err(AppError::bad_request("只能改成“有点犹豫”或“太简单”。")),
    };
    let review = store::quiz::review(&state.db, learner.id, form.review)
        .await?
        .ok_or(AppError::NotFound)?;
    let card_is_recall = state
        .cards
        .get(&review.card_id)
        .is_some_and(|c| c.kind == CardKind::Recall);
    if !review.correct || review.rating != Rating::Good as u8 || card_is_recall {
        return Err(AppError::Conflict(
            "只有答对的题才能改成“太简单”或“有点犹豫”，而且只能改一次。".into(),
        ));
    }
    let prefs = store::quiz::prefs(&state.db, learner.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("learner row missing"))?;
    let mut rng = StdRng::from_os_rng();
    let out = scheduler::apply(&review.before, rating, review.reviewed_at, &prefs, &mut rng)
        .map_err(|e| anyhow::anyhow!("fsrs: {e:?}"))?;
    let current = store::quiz::is_current(&state.db, learner.id, &review).await?;
    let regraded = current
        && store::quiz::regrade(
            &state.db,
            learner.id,
            &review,
            rating as u8,
            &out,
            store::quiz::Regrade::Rating,
        )
        .await?;
    state.cache.forget(learner.id);
    if !regraded {
        return Err(AppError::Conflict(
            "这一题之后已经有了新的答题记录，不能再修改评分。".into(),
        ));
    }
    Ok(see_other(&format!("/quiz/feedback/{}", review.id)))
}

/// The one-time token of the override form: an HMAC over the review and the concept version it
/// left. The override bumps that version, so the same form cannot apply twice, and a token for
/// one review (or another learner's) is useless for any other.
fn override_token(state: &AppState, learner: i64, review: i64, version: i64) -> String {
    sign(
        state,
        "paperdeck-override",
        &[
            &learner.to_string(),
            &review.to_string(),
            &version.to_string(),
        ],
    )
}

/// Whether a review is of the kind that can be overridden: a typed answer (fill-in card),
/// marked wrong, and not given up on. Self-graded recall cards have nothing to dispute, and
/// options of a choice card are either the answer or not.
fn overridable(review: &ReviewRow, card: &Card) -> Result<(), &'static str> {
    if review.overridden {
        Err("这一题已经算作答对了，不会重复修改。")
    } else if review.correct {
        Err("这一题本来就答对了，不需要“算我对”。")
    } else if card.kind != CardKind::Fill {
        Err("只有自己填写答案的题（填空题）才能改成“算我对”。")
    } else if review.answer == GAVE_UP {
        Err("这一题点了“不知道”，没有可以改判的答案。")
    } else {
        Ok(())
    }
}

#[derive(Deserialize)]
pub struct OverrideForm {
    #[serde(default)]
    csrf: String,
    review: i64,
    version: i64,
    #[serde(default)]
    token: String,
}

/// "我答对了，算我对": turns a wrong typed answer into a right one. The state after it is
/// recomputed from the state before it, at the time it was given, with the rating a right
/// answer earns (Good), exactly as `answer` would have; the row keeps `overridden = 1`.
async fn override_answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<OverrideForm>,
) -> Result<HttpResponse, AppError> {
    let learner = visitor.require(&req)?.clone();
    visitor.verify_csrf(&form.csrf)?;
    let review = store::quiz::review(&state.db, learner.id, form.review)
        .await?
        .ok_or(AppError::NotFound)?;
    let card = load_card(&state, &review.card_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Checked before the token: a repeated press after the override is the common case, and
    // it deserves "already done", not "invalid token".
    overridable(&review, &card).map_err(|m| AppError::Conflict(m.into()))?;
    let expected = override_token(&state, learner.id, review.id, form.version);
    if !tokens_equal(&expected, &form.token) {
        return Err(AppError::forbidden(
            "“算我对”的凭证无效（可能来自别的账户，或已被改动），没有做任何修改。",
        ));
    }
    let moved_on = || {
        AppError::Conflict(
            "这个概念在这一题之后又答过了（或撤销过），不能再改判这一题；没有做任何修改。".into(),
        )
    };
    if form.version != review.version_after {
        return Err(moved_on());
    }
    let prefs = store::quiz::prefs(&state.db, learner.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("learner row missing"))?;
    let mut rng = StdRng::from_os_rng();
    let out = scheduler::apply(
        &review.before,
        Rating::Good,
        review.reviewed_at,
        &prefs,
        &mut rng,
    )
    .map_err(|e| anyhow::anyhow!("fsrs: {e:?}"))?;
    let done = store::quiz::regrade(
        &state.db,
        learner.id,
        &review,
        Rating::Good as u8,
        &out,
        store::quiz::Regrade::Override,
    )
    .await;
    // Whatever happened, the cached state and today's ratings (a wrong answer brings the
    // concept back today) may now be out of date.
    state.cache.forget(learner.id);
    if !done? {
        return Err(moved_on());
    }
    Ok(see_other(&format!("/quiz/feedback/{}", review.id)))
}
