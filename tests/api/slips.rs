//! Slips that must not end on an error page (issue 20 §1; learner review 2026-12-06, B1 and B2):
//! an answer sent again (a double click, Back and resubmit, a second tab, an in-page question
//! sent twice) lands on the answer recorded for that question, and error pages keep her header,
//! speak in words and offer only ways on that exist.

use crate::common::page::Page;
use crate::common::quiz::{answer_fields, question, set, QuestionKind};
use crate::helpers::{new_learner, TestApp};
use scraper::{Html, Selector};

const AGAIN: &str = "这道题你刚才已经答过了，这是当时的结果";

async fn reader_of(paper: &str) -> TestApp {
    let app = new_learner("xiaowen").await;
    assert_eq!(app.mark_read(paper).await.status, 303);
    app
}

async fn reviews(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM reviews").await
}

/// Sends `fields` again after review `first` answered their question: she must land on that
/// review's feedback, told so, and nothing is written.
async fn assert_lands_on_recorded(app: &TestApp, fields: &[(String, String)], first: i64) -> Page {
    let before = reviews(app).await;
    let again = app.post_answer(fields).await;
    assert_eq!(again.status, 303, "{}", again.body);
    let to = format!("/quiz/feedback/{first}?again=1");
    assert_eq!(again.location.as_deref(), Some(to.as_str()));
    let page = app.get(&to).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_has(AGAIN);
    assert_eq!(reviews(app).await, before, "nothing new recorded");
    page
}

#[tokio::test]
async fn b1_a_double_submit_lands_on_the_recorded_feedback_with_undo() {
    let app = reader_of("gpt-4").await;
    let fields = app.some_answer().await;
    let (first, _) = app.submit(&fields).await;
    let page = assert_lands_on_recorded(&app, &fields, first).await;
    // Still her latest answer: undo is offered, as on the first feedback.
    page.assert_has("撤销这次作答");
    assert_eq!(reviews(&app).await, 1);
}

#[tokio::test]
async fn b1_back_and_resubmit_with_another_answer_shows_the_first_answer() {
    let app = reader_of("chinchilla").await;
    // A question with options to change her mind between.
    let mut q = app.get("/quiz").await;
    for _ in 0..20 {
        if matches!(
            question(&q).kind,
            QuestionKind::Choice | QuestionKind::TrueFalse
        ) {
            break;
        }
        app.submit(&answer_fields(&q)).await;
        q = app.get("/quiz").await;
    }
    assert!(
        matches!(
            question(&q).kind,
            QuestionKind::Choice | QuestionKind::TrueFalse
        ),
        "no question with options met"
    );
    let right = app.graded_fields(&q, true).await;
    let wrong = app.graded_fields(&q, false).await;
    let (first, fb) = app.submit(&right).await;
    fb.assert_has("✓ 答对了");
    let page = assert_lands_on_recorded(&app, &wrong, first).await;
    page.assert_has("✓ 答对了");
    let sql = format!("SELECT COUNT(*) FROM reviews WHERE id = {first} AND correct = 1");
    assert_eq!(app.count(&sql).await, 1, "the first answer stands");
}

#[tokio::test]
async fn b1_the_same_question_answered_in_a_second_tab() {
    let app = reader_of("qlora").await;
    let tab_a = app.get("/quiz").await;
    let tab_b = app.get("/quiz").await;
    let (first, _) = app.submit(&answer_fields(&tab_a)).await;
    assert_lands_on_recorded(&app, &answer_fields(&tab_b), first).await;
    assert_eq!(reviews(&app).await, 1);
}

#[tokio::test]
async fn b1_an_answer_to_a_question_replaced_since_goes_on_with_the_quiz() {
    // Answered, undone, then the old form sent again (Back twice): that question is gone, so
    // nothing is recorded, and she is on the quiz's current question, told why.
    let app = reader_of("llama").await;
    let fields = app.some_answer().await;
    let (first, fb) = app.submit(&fields).await;
    let undo = app.undo(&fb, first).await;
    assert_eq!(undo.status, 303);
    let again = app.post_answer(&fields).await;
    assert_eq!(again.status, 303, "{}", again.body);
    assert_eq!(again.location.as_deref(), Some("/quiz?moved=1"));
    let page = app.get("/quiz?moved=1").await;
    assert_eq!(page.status, 200);
    page.assert_has("那次回答没有记录");
    assert!(
        question(&page).field("card").len() > 1,
        "a question to answer"
    );
    assert_eq!(reviews(&app).await, 0);
}

#[tokio::test]
async fn b1_an_in_page_question_sent_twice_shows_the_recorded_answer() {
    let app = new_learner("xiaowen").await;
    let page = app.get("/papers/chinchilla").await;
    let form = page
        .form("/papers/chinchilla/check")
        .expect("a question on the page");
    let card = crate::common::quiz::field(&form, "card");
    let (k, right) = app.answer_to(&card, true).await;
    let (_, wrong) = app.answer_to(&card, false).await;
    let send = |v: String| {
        let f = set(&form, &k, &v);
        let app = &app;
        async move {
            let pairs = crate::common::quiz::as_pairs(&f);
            app.post("/papers/chinchilla/check", &pairs).await
        }
    };
    let first = send(right).await;
    assert_eq!(first.status, 303, "{}", first.body);
    let review = app.count("SELECT MAX(id) FROM reviews").await;
    let again = send(wrong).await;
    assert_eq!(again.status, 303, "{}", again.body);
    let to = again.location.clone().unwrap_or_default();
    assert!(to.contains(&format!("&r={review}&dup=1")), "{to}");
    let back = app.get(&to).await;
    assert_eq!(back.status, 200);
    let result = back.texts(&format!("#q-{card} .check-result")).join(" ");
    assert!(result.contains(AGAIN), "{result}");
    assert!(
        result.contains("✓ 答对了"),
        "the first answer stands: {result}"
    );
    assert_eq!(reviews(&app).await, 1);
}

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e:?}"))
}

/// An error page as B1 and B2 want it: her name and 退出 in the header, a headline in words
/// (no bare status code), every “named” control of its message on the page, and every way on
/// it offers answering.
async fn assert_error_page_keeps_her(app: &TestApp, page: &Page, want: u16, who: &str) {
    assert_eq!(page.status, want, "{}", page.body);
    let doc = Html::parse_document(&page.body);
    let header: String = doc
        .select(&sel("header.site"))
        .flat_map(|h| h.text())
        .collect();
    assert!(header.contains(who) && header.contains("退出"), "{header}");
    let headline: String = doc
        .select(&sel(".error-page h1"))
        .flat_map(|h| h.text())
        .collect();
    assert!(
        !headline.trim().is_empty() && !headline.chars().any(|c| c.is_ascii_digit()),
        "headline {headline:?}"
    );
    for big in doc.select(&sel(".error-page > *:first-child")) {
        let text: String = big.text().collect();
        assert_ne!(
            text.trim(),
            want.to_string(),
            "the status is not the headline"
        );
    }
    // “继续测验” in the message must be a link or button of the page (B1).
    let message: String = doc
        .select(&sel(".error-page h1 + p"))
        .flat_map(|p| p.text())
        .collect();
    let controls: Vec<String> = doc
        .select(&sel("a, button"))
        .map(|e| e.text().collect::<String>())
        .collect();
    for named in message
        .split('“')
        .skip(1)
        .filter_map(|s| s.split('”').next())
    {
        assert!(
            controls.iter().any(|c| c.contains(named)),
            "the message names “{named}”, which the page does not offer:\n{}",
            page.body
        );
    }
    for a in doc.select(&sel(".error-page a[href]")) {
        let href = a.value().attr("href").unwrap_or_default();
        let mut res = app.get(href).await;
        if res.status == 303 {
            res = app.get(res.location.as_deref().unwrap_or("/")).await;
        }
        assert_eq!(res.status, 200, "the way on {href}");
    }
}

#[tokio::test]
async fn b2_error_pages_keep_her_header_speak_in_words_and_offer_only_real_ways_on() {
    let app = reader_of("bloom").await;
    for (path, want) in [
        ("/papers/no-such-paper", 404),
        ("/quiz/feedback/999999", 404),
        ("/no/such/page", 404),
        ("/quiz/feedback/not-a-number", 404),
        // A concept of no paper she has read: locked.
        ("/quiz?concept=lora", 400),
    ] {
        let page = app.get(path).await;
        assert_error_page_keeps_her(&app, &page, want, "xiaowen").await;
    }
    // A conflict: undoing an answer that is no longer her latest.
    let (first, fb) = app.submit(&app.some_answer().await).await;
    app.submit(&app.some_answer().await).await;
    let page = app.undo(&fb, first).await;
    assert_error_page_keeps_her(&app, &page, 409, "xiaowen").await;
    // A form from another session (a stale token): refused, and she still looks logged in.
    let page = app
        .post("/papers/bloom/read", &[("csrf", &"0".repeat(40))])
        .await;
    assert_error_page_keeps_her(&app, &page, 403, "xiaowen").await;
}
