//! The everyday loop's limits and words (issue 20 §2–§4), through HTTP: today's new-concept limit
//! said the same way everywhere, with its one-day raise; no link that can only refuse; promises
//! of when a concept returns that hold; an answered in-page question that stays answered; hints
//! that fit the question.

use crate::common::quiz::{answer_fields, question, QuestionKind};
use crate::cost::{reader_past_the_new_limit, save_new_per_day};
use crate::helpers::{new_learner, spawn_app_with, TestApp};
use crate::reading::{answer, questions, right_answer};
use paperdeck::clock::Clock;

/// A learner at noon (no learner-day rollover during the test) who has read nothing yet, with
/// `new_per_day` new concepts a day; and the settings form's token.
async fn learner_at_noon(name: &str, new_per_day: &str) -> (TestApp, String) {
    let clock = Clock::midday_shanghai();
    let app = spawn_app_with(|s| s.clock = clock.clone()).await;
    let page = app.signup(name, crate::common::PW).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let csrf = app.get("/settings").await.csrf();
    save_new_per_day(&app, &csrf, new_per_day).await;
    (app, csrf)
}

/// `/quiz/more-new` with the offer a page shows: its form's fields.
async fn take_offer(app: &TestApp, page: &crate::helpers::Page) -> crate::helpers::Page {
    let form = page
        .form("/quiz/more-new")
        .unwrap_or_else(|| panic!("no 今天再学 offer:\n{}", page.body));
    let res = app
        .post("/quiz/more-new", &crate::common::quiz::as_pairs(&form))
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    res
}

/// B3: with today's new concepts used up, /progress offered 练习 on every concept never
/// studied, and each led to a refusal. Every quiz link it shows now works.
#[tokio::test]
async fn b3_progress_shows_no_practice_link_that_refuses() {
    let (app, _) = reader_past_the_new_limit("linkfollower").await;
    let progress = app.get("/progress").await;
    assert_eq!(progress.status, 200);
    progress.assert_has("明天开始");
    let links: Vec<&str> = progress
        .body
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.starts_with("/quiz"))
        .collect();
    for link in links {
        let page = app.get(&link.replace("&amp;", "&")).await;
        assert_eq!(page.status, 200, "{link}: {}", page.body);
    }
}

/// §2: after 我读完了 past the limit the page says when the paper's concepts start and why, and
/// 今天再学 N 个 lets them in today.
#[tokio::test]
async fn reading_past_the_limit_says_when_its_concepts_start_and_offers_more() {
    let (app, csrf) = learner_at_noon("limitreader", "0").await;
    assert_eq!(app.mark_read("qlora").await.status, 303);
    let page = app.get("/papers/qlora?read=1").await;
    page.assert_has_all(&["明天开始出现", "今天的新概念已学 0 个，上限 0", "今天再学"]);
    assert!(!page.body.contains("它的概念已经加入你的测验"));
    // The quiz says the same, and offers the same.
    let done = app.get("/quiz").await;
    done.assert_has_all(&["明天开始出现", "今天再学"]);
    let res = take_offer(&app, &page).await;
    assert_eq!(res.location.as_deref(), Some("/quiz"));
    let q = app.get("/quiz").await;
    assert_eq!(question(&q).field("mode"), "normal");
    q.assert_has("新概念 1/");
    // The raise is for today only and within bounds.
    let bad = app
        .post("/quiz/more-new", &[("csrf", &csrf), ("n", "51")])
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
}

/// §2: an answer inside a paper page obeys the same rule: past the limit it is graded and shown,
/// nothing is unlocked or recorded, and the page says when the concept starts, with the offer.
#[tokio::test]
async fn in_page_answers_past_the_new_limit_are_graded_not_recorded() {
    let (app, _) = learner_at_noon("pagelimit", "0").await;
    let page = app.get("/papers/qlora").await;
    let q = questions(&page).into_iter().next().expect("a question");
    let right = right_answer(&app, &q.card).await;
    let res = answer(&app, "qlora", &q, &right).await;
    assert_eq!(res.status, 303, "{}", res.body);
    app.assert_count("SELECT COUNT(*) FROM reviews", 0).await;
    app.assert_count("SELECT COUNT(*) FROM concept_states", 0)
        .await;
    let back = app.get(res.location.as_deref().unwrap_or("/")).await;
    let result = back
        .texts(&format!("#q-{} .check-result", q.card))
        .join(" ");
    assert!(result.contains("答对了"), "{result}");
    assert!(result.contains("明天开始出现"), "{result}");
    // 今天再学 1 个, back to the question; now the answer counts.
    let res = take_offer(&app, &back).await;
    let to = res.location.clone().unwrap_or_default();
    assert_eq!(to, format!("/papers/qlora#q-{}", q.card));
    let page = app.get("/papers/qlora").await;
    let q = questions(&page)
        .into_iter()
        .find(|x| x.card == q.card)
        .expect("the question");
    assert_eq!(answer(&app, "qlora", &q, &right).await.status, 303);
    app.assert_count("SELECT COUNT(*) FROM reviews", 1).await;
}

/// B6: a missed concept comes back in this session; the feedback said "约 5 小时后". It now says
/// when it really returns, and the later due time apart.
#[tokio::test]
async fn b6_a_wrong_answer_says_it_returns_after_three_other_questions() {
    let (app, _) = learner_at_noon("promises", "5").await;
    assert_eq!(app.mark_read("qlora").await.status, 303);
    let q = question(&app.get("/quiz").await);
    let mut wrong = answer_fields(&app.get("/quiz").await);
    if q.kind == QuestionKind::Recall {
        wrong = crate::common::quiz::set(&wrong, "grade", "1");
    } else if q.kind != QuestionKind::Fill {
        let card = q.field("card");
        let right = right_answer(&app, &card).await;
        let other = q
            .options
            .iter()
            .find(|o| **o != right)
            .expect("a wrong option");
        wrong = crate::common::quiz::set(&wrong, "answer", other);
    }
    let (_, feedback) = app.submit(&wrong).await;
    feedback.assert_has("做完另外 3 题后再考你一次");
    feedback.assert_has("之后按记忆安排的下一次");
    assert!(
        !feedback.body.contains("忘过"),
        "a miss minutes after first reading is not forgetting"
    );
}

/// B9: an answered in-page question came back reshuffled and answerable, "✓ 你答过这道题" beside
/// a ✗. It now stays answered: her choice marked, the right option shown, no form, 再试一次.
#[tokio::test]
async fn b9_an_answered_in_page_question_stays_answered() {
    let (app, _) = learner_at_noon("stays", "5").await;
    let page = app.get("/papers/qlora").await;
    let mut q = None;
    for x in questions(&page) {
        if app.card_data(&x.card).await["t"] != "fill" {
            q = Some(x);
            break;
        }
    }
    let q = q.expect("a choice or true/false question");
    let right = right_answer(&app, &q.card).await;
    let res = answer(&app, "qlora", &q, &right).await;
    assert_eq!(res.status, 303);
    app.assert_count("SELECT COUNT(*) FROM reviews", 1).await;
    for page in [
        app.get("/papers/qlora").await,
        app.get(&format!("/papers/qlora?checked={}", q.card)).await,
    ] {
        let block = page.texts(&format!("#q-{}", q.card)).join(" ");
        assert!(block.contains("✓"), "{block}");
        assert!(block.contains("（正确答案）"), "{block}");
        assert!(block.contains("再试一次"), "{block}");
        assert!(!block.contains("你答过这道题"), "{block}");
        assert!(
            !questions(&page)
                .iter()
                .any(|x| x.card == q.card && !x.fields.is_empty()),
            "the answered question has no active form"
        );
    }
    // 再试一次 shows the form again.
    let retry = app.get(&format!("/papers/qlora?retry={}", q.card)).await;
    assert!(questions(&retry)
        .iter()
        .any(|x| x.card == q.card && !x.fields.is_empty()));
}

/// B5: the number-spelling hint sat under every fill-in question, names included. It is shown
/// only when the answer is a number; every fill-in says to type only the answer.
#[tokio::test]
async fn b5_number_hint_only_on_number_answers() {
    let (app, _) = learner_at_noon("hints", "50").await;
    for p in ["qlora", "chain-of-thought", "llama-2", "chinchilla"] {
        assert_eq!(app.mark_read(p).await.status, 303, "{p}");
    }
    let (mut named, mut numbered) = (0, 0);
    for _ in 0..60 {
        let page = app.get("/quiz").await;
        let Some(q) = crate::common::quiz::Question::parse(&page.body) else {
            break;
        };
        if q.kind == QuestionKind::Fill {
            let data = app.card_data(&q.field("card")).await;
            let numeric = !data["number"].is_null();
            page.assert_has("只写答案本身");
            assert_eq!(
                page.body.contains("数字可以写成"),
                numeric,
                "{data}:\n{}",
                page.body
            );
            if numeric {
                numbered += 1;
            } else {
                named += 1;
            }
        }
        app.submit(&q.some_answer()).await;
        if named > 0 && numbered > 0 {
            break;
        }
    }
    assert!(named > 0, "no fill-in with a name for an answer was asked");
}

/// B12: the sign-up hint said "没有其他规则" above a refusal of common passwords.
#[tokio::test]
async fn b12_the_signup_hint_states_the_real_rules() {
    let app = spawn_app_with(|_| {}).await;
    let page = app.get("/signup").await;
    assert!(!page.body.contains("没有其他规则"));
    page.assert_has("不能是常见密码");
}

/// B10: on a phone the /progress concept table was a side-scroll cut mid-column. Each row is
/// now a card whose values carry their column's label (style.css stacks them under 40rem).
#[tokio::test]
async fn b10_progress_concepts_are_labelled_cards_on_a_phone() {
    let app = new_learner("phone").await;
    assert_eq!(app.mark_read("qlora").await.status, 303);
    let page = app.get("/progress").await;
    for label in [
        "程度",
        "现在答对的可能",
        "记忆能保持",
        "下次复习",
        "答过 / 忘过",
    ] {
        page.assert_has(format!("data-label=\"{label}\""));
    }
    let css = app.get("/static/style.css").await;
    assert!(
        css.body
            .contains("table.concept-table td[data-label]::before"),
        "the phone layout shows each label"
    );
}

/// Friction 16: notes on terms help, never crowd: none for an organisation, titles she would
/// ask ("什么是 LoRA？"), and a way to hide them all.
#[tokio::test]
async fn notes_on_terms_skip_organisations_and_can_all_be_hidden() {
    let app = spawn_app_with(|_| {}).await;
    for slug in ["chain-of-thought", "qlora"] {
        let page = app.get(&format!("/papers/{slug}")).await;
        let titles = page.texts("details.note summary");
        assert!(!titles.is_empty(), "{slug}");
        assert!(titles.iter().all(|t| t.starts_with("什么是")), "{titles:?}");
        assert!(!titles.iter().any(|t| t.contains("Google")), "{titles:?}");
        page.assert_has("隐藏所有术语注释");
    }
}
