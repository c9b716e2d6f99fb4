//! Reading that teaches, through HTTP: questions answered inside a paper page (logged out:
//! graded, nothing written; logged in: exactly one review that unlocks the concept), reading
//! progress and "继续读" across sessions, notes on terms, and the passage to re-read.

use crate::helpers::{spawn_app, spawn_app_with, Page, TestApp};
use scraper::{Html, Selector};
use std::time::Duration;

const PW: &str = crate::common::PW;

/// One question of a paper page: its block id and the fields its form sends.
pub(crate) struct InPage {
    pub(crate) card: String,
    pub(crate) section: String,
    pub(crate) fields: Vec<(String, String)>,
}

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e:?}"))
}

/// Every in-page question, in page order, with its section.
pub(crate) fn questions(page: &Page) -> Vec<InPage> {
    let doc = Html::parse_document(&page.body);
    let mut out = Vec::new();
    for checks in doc.select(&sel("section.checks")) {
        let section = checks
            .value()
            .id()
            .and_then(|id| id.strip_suffix("-check"))
            .unwrap_or_default()
            .to_string();
        for q in checks.select(&sel(".check")) {
            let card = q
                .value()
                .id()
                .unwrap_or_default()
                .trim_start_matches("q-")
                .to_string();
            let fields = q
                .select(&sel("form.check-form input[type=hidden]"))
                .filter_map(|i| {
                    Some((
                        i.value().attr("name")?.to_string(),
                        i.value().attr("value").unwrap_or_default().to_string(),
                    ))
                })
                .collect();
            out.push(InPage {
                card,
                section: section.clone(),
                fields,
            });
        }
    }
    out
}

/// The right answer to a card, as its form sends it.
pub(crate) async fn right_answer(app: &TestApp, card: &str) -> String {
    let data = app.card_data(card).await;
    match data["t"].as_str() {
        Some("true_false") => data["truth"].as_bool().unwrap_or(false).to_string(),
        _ => data["answer"].as_str().unwrap_or_default().to_string(),
    }
}

pub(crate) async fn answer(app: &TestApp, slug: &str, q: &InPage, text: &str) -> Page {
    let mut form: Vec<(&str, &str)> = q
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form.push(("answer", text));
    app.post(&format!("/papers/{slug}/check"), &form).await
}

#[tokio::test]
async fn every_paper_page_has_questions_after_its_three_sections_and_notes_on_terms() {
    let app = spawn_app().await;
    let content = paperdeck::content::embedded().expect("content");
    for p in &content.papers {
        let page = app.get(&format!("/papers/{}", p.slug)).await;
        assert_eq!(page.status, 200, "{}", p.slug);
        let qs = questions(&page);
        for s in ["core", "explain", "figures"] {
            let n = qs.iter().filter(|q| q.section == s).count();
            let most = if s == "explain" { 6 } else { 3 };
            assert!((2..=most).contains(&n), "{} {s}: {n} questions", p.slug);
        }
        let notes = page.texts("details.note summary");
        assert!(!notes.is_empty(), "{}: no note on a term", p.slug);
        // A note explains a term once per page.
        let mut seen = notes.clone();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), notes.len(), "{}: {notes:?}", p.slug);
    }
}

#[tokio::test]
async fn logged_out_an_in_page_answer_is_graded_and_nothing_is_written() {
    let app = spawn_app().await;
    let page = app.get("/papers/qlora").await;
    let q = questions(&page).into_iter().next().expect("a question");
    let right = right_answer(&app, &q.card).await;
    let res = answer(&app, "qlora", &q, &right).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let to = res.location.clone().unwrap_or_default();
    assert!(to.starts_with("/papers/qlora?"), "{to}");
    assert!(to.ends_with(&format!("#q-{}", q.card)), "{to}");
    let back = app.get(&to).await;
    let result = back
        .texts(&format!("#q-{} .check-result", q.card))
        .join(" ");
    assert!(result.contains("答对了"), "{result}");
    assert!(result.contains("没有保存"), "{result}");
    // A wrong answer is graded as wrong.
    let wrong = answer(&app, "qlora", &q, "完全不对的答案").await;
    if wrong.status == 303 {
        let back = app.get(wrong.location.as_deref().unwrap_or("/")).await;
        let result = back
            .texts(&format!("#q-{} .check-result", q.card))
            .join(" ");
        assert!(result.contains("不对"), "{result}");
    } else {
        // An option that is not in a choice card is refused, not graded.
        assert_eq!(wrong.status, 400, "{}", wrong.body);
    }
    for table in [
        "reviews",
        "concept_states",
        "reading_progress",
        "papers_read",
    ] {
        let n = app.count(&format!("SELECT COUNT(*) FROM {table}")).await;
        assert_eq!(n, 0, "{table}");
    }
}

#[tokio::test]
async fn logged_in_an_in_page_answer_is_exactly_one_first_review_that_unlocks_its_concept() {
    let app = spawn_app_with(|s| s.cache_ttl = Duration::ZERO).await;
    assert_eq!(app.signup("reader", PW).await.status, 303);
    let page = app.get("/papers/chinchilla").await;
    assert!(page.body.contains("我读完了"), "the read button stays");
    let q = questions(&page).into_iter().next().expect("a question");
    let concept = q
        .fields
        .iter()
        .find(|(k, _)| k == "concept")
        .map(|(_, v)| v.clone())
        .expect("concept field");
    let right = right_answer(&app, &q.card).await;
    let first = answer(&app, "chinchilla", &q, &right).await;
    assert_eq!(first.status, 303, "{}", first.body);
    let to = first.location.clone().unwrap_or_default();
    assert!(to.contains("&r="), "{to}");
    // The same form again (a double click, the back button): one review all the same.
    let again = answer(&app, "chinchilla", &q, &right).await;
    assert_eq!(again.status, 303, "{}", again.body);
    assert!(again.location.as_deref().unwrap_or("").contains("dup=1"));
    assert_eq!(app.count("SELECT COUNT(*) FROM reviews").await, 1);
    let kind: i64 = app
        .count("SELECT COUNT(*) FROM reviews WHERE review_kind = 'learn' AND correct = 1")
        .await;
    assert_eq!(kind, 1, "a first review, graded right");
    // The concept joined her schedule with a memory state, and only that one concept.
    let sql = format!(
        "SELECT COUNT(*) FROM concept_states WHERE concept_slug = '{concept}'
         AND stability IS NOT NULL AND due_at IS NOT NULL AND reps = 1"
    );
    assert_eq!(app.count(&sql).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM concept_states").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM papers_read").await, 0);
    // Answering reached the question's section.
    let sql = format!(
        "SELECT COUNT(*) FROM reading_progress WHERE paper_slug = 'chinchilla' AND section = '{}'",
        q.section
    );
    assert_eq!(app.count(&sql).await, 1);
    let back = app.get(&to).await;
    let result = back
        .texts(&format!("#q-{} .check-result", q.card))
        .join(" ");
    assert!(result.contains("已记入你的复习"), "{result}");
    assert!(
        back.texts("p.answered")
            .join("")
            .contains("你已经答了 1 道"),
        "{:?}",
        back.texts("p.answered")
    );
    let progress = app.get("/progress").await;
    assert!(progress.body.contains(&format!("/concepts/{concept}")));
}

#[tokio::test]
async fn a_forged_token_or_a_question_of_another_page_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    assert_eq!(app.signup("forger", PW).await.status, 303);
    let page = app.get("/papers/palm").await;
    let mut q = questions(&page).into_iter().next().expect("a question");
    for (k, v) in q.fields.iter_mut() {
        if k == "version" {
            *v = "7".into();
        }
    }
    let right = right_answer(&app, &q.card).await;
    let res = answer(&app, "palm", &q, &right).await;
    assert_eq!(res.status, 403, "{}", res.body);
    // A question of another page is not answered on this one.
    let res = answer(&app, "qlora", &q, &right).await;
    assert_eq!(res.status, 400, "{}", res.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM reviews").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM concept_states").await, 0);
}

#[tokio::test]
async fn reading_progress_and_continue_reading_survive_logging_out_and_in() {
    let app = spawn_app().await;
    assert_eq!(app.signup("progress", PW).await.status, 303);
    let home = app.get("/").await;
    assert!(!home.body.contains("继续读"), "nothing read yet");
    // 核心贡献 by answering one of its questions, 入门解读 with its button.
    let page = app.get("/papers/qlora").await;
    let q = questions(&page)
        .into_iter()
        .find(|q| q.section == "core")
        .expect("a core question");
    let right = right_answer(&app, &q.card).await;
    assert_eq!(answer(&app, "qlora", &q, &right).await.status, 303);
    let page = app.get("/papers/qlora").await;
    let csrf = page.csrf();
    let reached = |section| [("csrf", csrf.as_str()), ("section", section)];
    let res = app
        .post_expect("/papers/qlora/reached", &reached("explain"), 303)
        .await;
    // Friction 8: forward to the next section (关键数字), with a small confirmation there.
    let to = res.location.clone().unwrap_or_default();
    assert_eq!(to, "/papers/qlora?reached=explain#figures");
    app.get(&to)
        .await
        .assert_has("✓ 已记下：“入门解读”这一节读完了");
    app.post_expect("/papers/qlora/reached", &reached("nope"), 400)
        .await;

    let page = app.get("/papers/qlora").await;
    assert_eq!(
        page.texts(".reached").len(),
        3,
        "one status or button per section"
    );
    assert_eq!(
        page.texts("p.reached").len(),
        2,
        "two sections show ✓: {:?}",
        page.texts(".reached")
    );
    let home = app.get("/").await;
    let go = home.texts(".continue a").join("");
    assert_eq!(go, "继续读：QLoRA · 关键数字");
    assert!(home.body.contains("href=\"/papers/qlora#figures\""));
    let list = app.get("/papers").await;
    assert!(
        list.body.contains("已读到 2 / 3 节"),
        "the paper list shows it"
    );

    // Another session of the same learner: log out, log in.
    let csrf = app.get("/").await.csrf();
    assert_eq!(app.post("/logout", &[("csrf", &csrf)]).await.status, 303);
    assert!(!app.get("/").await.body.contains("继续读"));
    assert_eq!(app.login("progress", PW).await.status, 303);
    let home = app.get("/").await;
    assert_eq!(
        home.texts(".continue a").join(""),
        "继续读：QLoRA · 关键数字"
    );

    // Deleting the account deletes her reading progress.
    let csrf = app.get("/account").await.csrf();
    let res = app
        .post("/account/delete", &[("csrf", &csrf), ("password", PW)])
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM reading_progress").await, 0);
}

#[tokio::test]
async fn back_to_the_source_points_at_the_words_that_explain_the_concept() {
    let app = spawn_app_with(|s| s.cache_ttl = Duration::ZERO).await;
    assert_eq!(app.signup("again", PW).await.status, 303);
    assert_eq!(app.mark_read("qlora").await.status, 303);
    let fields = app.some_answer().await;
    let (id, fb) = app.submit(&fields).await;
    assert!(id > 0);
    let doc = Html::parse_document(&fb.body);
    let href = doc
        .select(&sel("a"))
        .filter_map(|a| a.value().attr("href"))
        .find(|h| h.starts_with("/papers/qlora#"))
        .expect("回到原文 link")
        .to_string();
    let anchor = href.trim_start_matches("/papers/qlora#");
    let paper = app.get("/papers/qlora").await;
    assert!(
        paper.body.contains(&format!("id=\"{anchor}\"")),
        "{anchor} is on the page"
    );

    // Two lapses: the feedback urges a re-read and /progress lists the passage.
    let concept = crate::common::quiz::field(&fields, "concept");
    let db = app.writable_db().await;
    sqlx::query("UPDATE concept_states SET lapses = 2 WHERE concept_slug = $1")
        .bind(&concept)
        .execute(&db)
        .await
        .expect("two lapses");
    db.close().await;
    let fb = app.get(&format!("/quiz/feedback/{id}")).await;
    assert!(
        fb.texts(".reread").join("").contains("忘过 2 次"),
        "{}",
        fb.body
    );
    let progress = app.get("/progress").await;
    let items = progress.texts("#reread li");
    assert!(!items.is_empty(), "值得重读的段落 lists it");
    assert!(progress.body.contains("值得重读的段落"));
    assert!(
        progress.body.contains(&format!("-{concept}\"")),
        "links to the words"
    );
}

/// Reading progress is part of her data: the export carries it, and importing the file into
/// another account gives that account the same sections and the same "继续读".
#[tokio::test]
async fn reading_progress_travels_with_the_export() {
    let app = spawn_app().await;
    assert_eq!(app.signup("reader", PW).await.status, 303);
    let csrf = app.get("/papers/llama").await.csrf();
    for section in ["core", "explain"] {
        app.post_expect(
            "/papers/llama/reached",
            &[("csrf", csrf.as_str()), ("section", section)],
            303,
        )
        .await;
    }
    let original = crate::export::export_json(&app).await;
    let sections: Vec<(String, String)> = original["reading_progress"]
        .as_array()
        .expect("reading_progress in the export")
        .iter()
        .map(|r| {
            (
                r["paper_slug"].as_str().unwrap_or("").to_string(),
                r["section"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        sections,
        [
            ("llama".into(), "core".into()),
            ("llama".into(), "explain".into())
        ]
    );
    let go = app.get("/").await.texts(".continue a").join("");
    assert_eq!(go, "继续读：LLaMA · 关键数字");

    let other = app.other_browser();
    assert_eq!(other.signup("carried", PW).await.status, 303);
    assert!(!other.get("/").await.body.contains("继续读"));
    let file = serde_json::to_vec(&original).unwrap();
    let res = crate::export::import(&other, &file).await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.assert_has("阅读进度：新增 2 节");
    assert_eq!(other.get("/").await.texts(".continue a").join(""), go);
    let copy = crate::export::export_json(&other).await;
    assert_eq!(copy["reading_progress"], original["reading_progress"]);

    // The same file again adds nothing.
    let again = crate::export::import(&other, &file).await;
    again.assert_has("阅读进度：新增 0 节");
}
