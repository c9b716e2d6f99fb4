//! The daily quiz through HTTP: the loop, one-time tokens, undo, re-grading.

use crate::helpers::{input_value, spawn_app, Page, TestApp};

const PW: &str = "a good long passphrase";

/// The fields of the question form on `page`, with some valid answer filled in.
pub fn answer_fields(page: &Page) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        "csrf", "concept", "card", "version", "token", "mode", "shown_at",
    ]
    .iter()
    .map(|k| {
        (
            k.to_string(),
            input_value(&page.body, k).unwrap_or_else(|| panic!("no {k} in {}", page.body)),
        )
    })
    .collect();
    if let Some(v) = input_value(&page.body, "answer") {
        f.push(("answer".into(), v));
    } else if page.body.contains("name=\"grade\"") {
        f.push(("answer".into(), "我的回答".into()));
        f.push(("grade".into(), "3".into()));
    } else {
        f.push(("answer".into(), String::new()));
        f.push(("give_up".into(), "1".into()));
    }
    f
}

pub fn as_pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn set(f: &mut Vec<(String, String)>, k: &str, v: &str) {
    f.retain(|(key, _)| key != k);
    f.push((k.to_string(), v.to_string()));
}

async fn learner_with_paper(slug: &str) -> TestApp {
    let app = spawn_app().await;
    assert_eq!(app.signup("quizzer", PW).await.status, 303);
    assert_eq!(app.mark_read(slug).await.status, 303);
    app
}

#[tokio::test]
async fn reading_unlocks_the_papers_concepts() {
    let app = learner_with_paper("qlora").await;
    let page = app.get("/papers/qlora").await;
    assert!(page.body.contains("你已经读过这篇论文"));
    let n = app
        .count("SELECT COUNT(*) FROM concept_states WHERE learner_id = 1")
        .await;
    let concepts = paperdeck::content::embedded()
        .unwrap()
        .paper("qlora")
        .unwrap()
        .concepts
        .len();
    assert_eq!(n as usize, concepts);
    // reading twice changes nothing
    app.mark_read("qlora").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM papers_read").await, 1);
}

#[tokio::test]
async fn the_whole_loop_question_answer_feedback_next() {
    let app = learner_with_paper("chinchilla").await;
    let home = app.get("/").await;
    assert!(home.body.contains("今天"), "home shows today's plan");
    let q = app.get("/quiz").await;
    assert_eq!(q.status, 200);
    assert!(q.body.contains("今天第 1 题"));
    assert!(q.body.contains("概念："));
    let fields = answer_fields(&q);
    let res = app.post("/quiz/answer", &as_pairs(&fields)).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let fb = app.get(res.location.as_deref().unwrap()).await;
    assert_eq!(fb.status, 200);
    assert!(fb.body.contains("为什么"));
    assert!(fb.body.contains("下次出现"));
    assert!(
        fb.body.contains("href=\"/papers/chinchilla#"),
        "links to the paper section"
    );
    let next = app.get("/quiz").await;
    assert!(next.body.contains("今天第 2 题"));
    assert_eq!(app.count("SELECT COUNT(*) FROM reviews").await, 1);
    let row: (i64, i64, String) =
        sqlx::query_as("SELECT reps, version, concept_slug FROM concept_states WHERE reps > 0")
            .fetch_one(&app.db().await)
            .await
            .unwrap();
    assert_eq!((row.0, row.1), (1, 1));
}

#[tokio::test]
async fn get_quiz_writes_nothing_and_shows_the_same_question_on_reload() {
    let app = learner_with_paper("palm").await;
    let a = app.get("/quiz").await;
    let b = app.get("/quiz").await;
    assert_eq!(a.input("card"), b.input("card"));
    assert_eq!(a.input("token"), b.input("token"));
    assert_eq!(app.count("SELECT COUNT(*) FROM reviews").await, 0);
    assert_eq!(
        app.count("SELECT SUM(version) FROM concept_states").await,
        0
    );
}

#[tokio::test]
async fn a_double_submit_or_back_button_records_one_review() {
    let app = learner_with_paper("gpt-4").await;
    let q = app.get("/quiz").await;
    let fields = answer_fields(&q);
    let first = app.post("/quiz/answer", &as_pairs(&fields)).await;
    assert_eq!(first.status, 303);
    let again = app.post("/quiz/answer", &as_pairs(&fields)).await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("已经提交过了"));
    assert_eq!(app.count("SELECT COUNT(*) FROM reviews").await, 1);
}

#[tokio::test]
async fn forged_or_tampered_tokens_are_refused() {
    let app = learner_with_paper("bloom").await;
    let q = app.get("/quiz").await;
    let mut fields = answer_fields(&q);
    set(&mut fields, "token", "deadbeef");
    assert_eq!(
        app.post("/quiz/answer", &as_pairs(&fields)).await.status,
        403
    );
    let mut fields = answer_fields(&q);
    set(&mut fields, "version", "7");
    assert_eq!(
        app.post("/quiz/answer", &as_pairs(&fields)).await.status,
        403
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM reviews").await, 0);
}

#[tokio::test]
async fn an_answer_that_is_not_an_option_is_a_clear_400() {
    let app = learner_with_paper("alphacode").await;
    for _ in 0..30 {
        let q = app.get("/quiz").await;
        if q.body.contains("type=\"radio\"") {
            let mut fields = answer_fields(&q);
            set(&mut fields, "answer", "not one of the options");
            let page = app.post("/quiz/answer", &as_pairs(&fields)).await;
            assert_eq!(page.status, 400);
            assert!(page.body.contains("不在"));
            return;
        }
        let fields = answer_fields(&q);
        app.post("/quiz/answer", &as_pairs(&fields)).await;
    }
    panic!("no choice card met");
}

#[tokio::test]
async fn undo_restores_the_state_once() {
    let app = learner_with_paper("llama").await;
    let q = app.get("/quiz").await;
    let fields = answer_fields(&q);
    let res = app.post("/quiz/answer", &as_pairs(&fields)).await;
    let fb = app.get(res.location.as_deref().unwrap()).await;
    let id = res
        .location
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    assert!(fb.body.contains("撤销这次作答"));
    let csrf = fb.csrf();
    let undo = app
        .post("/quiz/undo", &[("csrf", &csrf), ("review", &id)])
        .await;
    assert_eq!(undo.status, 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM reviews").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM concept_states WHERE reps > 0 OR stability IS NOT NULL")
            .await,
        0
    );
    let again = app
        .post("/quiz/undo", &[("csrf", &csrf), ("review", &id)])
        .await;
    assert_eq!(again.status, 404);

    // answer twice, undo the second, then the first can no longer be undone
    let q = app.get(undo.location.as_deref().unwrap()).await;
    assert!(q.body.contains("已撤销"));
    let r1 = app
        .post("/quiz/answer", &as_pairs(&answer_fields(&q)))
        .await;
    let id1 = r1.location.unwrap().rsplit('/').next().unwrap().to_string();
    let q = app.get("/quiz").await;
    let r2 = app
        .post("/quiz/answer", &as_pairs(&answer_fields(&q)))
        .await;
    let id2 = r2.location.unwrap().rsplit('/').next().unwrap().to_string();
    assert_eq!(
        app.post("/quiz/undo", &[("csrf", &csrf), ("review", &id2)])
            .await
            .status,
        303
    );
    let refused = app
        .post("/quiz/undo", &[("csrf", &csrf), ("review", &id1)])
        .await;
    assert_eq!(refused.status, 409);
    assert_eq!(app.count("SELECT COUNT(*) FROM reviews").await, 1);
}

#[tokio::test]
async fn a_stale_question_after_the_concept_moved_on_is_refused() {
    let app = learner_with_paper("qlora").await;
    let q = app.get("/quiz").await;
    let old = answer_fields(&q);
    app.post("/quiz/answer", &as_pairs(&old)).await;
    // the same concept's state has a new version: the old token is stale
    let page = app.post("/quiz/answer", &as_pairs(&old)).await;
    assert_eq!(page.status, 409);
    assert_eq!(app.count("SELECT COUNT(*) FROM reviews").await, 1);
}

#[tokio::test]
async fn a_wrong_answer_comes_back_in_the_same_session() {
    let app = learner_with_paper("palm").await;
    let mut wrong_concept = None;
    let mut seen_after = 0;
    for _ in 0..20 {
        let q = app.get("/quiz").await;
        if !q.body.contains("name=\"concept\"") {
            break;
        }
        let mut f = answer_fields(&q);
        let concept = q.input("concept").unwrap();
        if wrong_concept.is_none() && q.body.contains("name=\"give_up\"") {
            // a fill-in question given up on: wrong
            wrong_concept = Some(concept);
            let res = app.post("/quiz/answer", &as_pairs(&f)).await;
            assert_eq!(res.status, 303);
            continue;
        }
        if Some(&concept) == wrong_concept.as_ref() && seen_after >= 3 {
            assert!(q.body.contains("刚才答错了"));
            return;
        }
        if wrong_concept.is_some() {
            seen_after += 1;
        }
        if f.iter().any(|(k, _)| k == "give_up") {
            f.retain(|(k, _)| k != "give_up");
            set(&mut f, "answer", "x");
        }
        app.post("/quiz/answer", &as_pairs(&f)).await;
    }
    assert!(wrong_concept.is_none(), "the wrong concept never came back");
}

#[tokio::test]
async fn a_right_answer_can_be_marked_easy_once() {
    let app = learner_with_paper("chinchilla").await;
    // answer until a true/false card, which we can answer right by trying "true" and reading back
    for _ in 0..40 {
        let q = app.get("/quiz").await;
        let f = answer_fields(&q);
        let res = app.post("/quiz/answer", &as_pairs(&f)).await;
        let fb = app.get(res.location.as_deref().unwrap()).await;
        if fb.body.contains("太简单") {
            let id = res
                .location
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string();
            let before: i64 = app
                .count(&format!("SELECT due_after_at FROM reviews WHERE id = {id}"))
                .await;
            let page = app
                .post(
                    "/quiz/regrade",
                    &[("csrf", &fb.csrf()), ("review", &id), ("rating", "4")],
                )
                .await;
            assert_eq!(page.status, 303);
            let rating = app
                .count(&format!("SELECT rating FROM reviews WHERE id = {id}"))
                .await;
            assert_eq!(rating, 4);
            let after: i64 = app
                .count(&format!("SELECT due_after_at FROM reviews WHERE id = {id}"))
                .await;
            assert!(after >= before);
            let again = app
                .post(
                    "/quiz/regrade",
                    &[("csrf", &fb.csrf()), ("review", &id), ("rating", "2")],
                )
                .await;
            assert_eq!(again.status, 409);
            return;
        }
        if !app.get("/quiz").await.body.contains("name=\"concept\"") {
            break;
        }
    }
    panic!("never answered a card right");
}

#[tokio::test]
async fn practice_on_a_locked_concept_explains_what_to_do() {
    let app = learner_with_paper("qlora").await;
    let page = app.get("/quiz?concept=rlhf").await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("还没有解锁"));
    assert_eq!(app.get("/quiz?concept=no-such").await.status, 404);
    assert_eq!(app.get("/quiz?concept=lora").await.status, 200);
}

#[tokio::test]
async fn reading_a_paper_unlocks_its_concepts_at_once_even_after_the_home_page() {
    // The home page loads the learner's plan (and caches it); reading must not be hidden by that.
    let app = spawn_app().await;
    app.signup("reader", PW).await;
    assert!(app.get("/").await.body.contains("今天的学习"));
    assert!(app.get("/quiz").await.body.contains("先读一篇论文"));
    app.mark_read("qlora").await;
    assert!(app.get("/quiz").await.body.contains("今天第 1 题"));
}

#[tokio::test]
async fn questions_come_from_the_papers_she_has_read() {
    // 基准测试 (benchmarks) is taught by six papers; having read only QLoRA, she is asked about
    // QLoRA's figures, not GPT-4's.
    let app = learner_with_paper("qlora").await;
    for _ in 0..30 {
        let q = app.get("/quiz").await;
        if !q.body.contains("name=\"concept\"") {
            break;
        }
        app.post("/quiz/answer", &as_pairs(&answer_fields(&q)))
            .await;
    }
    let total = app.count("SELECT COUNT(*) FROM reviews").await;
    assert!(total >= 5, "{total}");
    let elsewhere = app
        .count(
            "SELECT COUNT(*) FROM reviews r JOIN cards c ON c.id = r.card_id WHERE c.paper_slug <> 'qlora'",
        )
        .await;
    assert_eq!(
        elsewhere, 0,
        "{elsewhere} of {total} questions came from unread papers"
    );
}
