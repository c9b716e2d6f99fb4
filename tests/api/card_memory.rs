//! Per-card memory through HTTP (issue 19): which card a concept review shows, the same-day
//! retry, undo, and export/import.

use crate::export::{export_json, import, learner_with_history};
use crate::helpers::{new_learner, spawn_app, TestApp};
use crate::quiz::answer_fields;
use serde_json::Value;

const PW: &str = "a good long passphrase";

/// (paper, fact key) of a card: the fact it tests.
async fn fact_of(app: &TestApp, card: &str) -> (String, String) {
    sqlx::query_as("SELECT paper_slug, fact_key FROM cards WHERE id = $1")
        .bind(card)
        .fetch_one(&app.db().await)
        .await
        .unwrap()
}

/// How many live cards of `concept`, from papers she has read, she has never answered.
async fn unseen_cards(app: &TestApp, concept: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM cards c
         WHERE c.concept_slug = $1 AND c.retired = 0
           AND c.paper_slug IN (SELECT paper_slug FROM papers_read WHERE learner_id = 1)
           AND c.id NOT IN (SELECT card_id FROM card_memory WHERE learner_id = 1)",
    )
    .bind(concept)
    .fetch_one(&app.db().await)
    .await
    .unwrap()
}

async fn seen(app: &TestApp, card: &str) -> bool {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM card_memory WHERE learner_id = 1 AND card_id = $1",
    )
    .bind(card)
    .fetch_one(&app.db().await)
    .await
    .unwrap();
    n == 1
}

/// The question's form with the right answer.
async fn right_fields(
    app: &TestApp,
    page: &crate::helpers::Page,
    card: &str,
) -> Vec<(String, String)> {
    use crate::common::quiz::{question, set, without, QuestionKind};
    let q = question(page);
    if q.kind == QuestionKind::Recall {
        return q.some_answer();
    }
    let data = app.card_data(card).await;
    let right = match data["t"].as_str() {
        Some("true_false") => data["truth"].as_bool().unwrap_or(false).to_string(),
        _ => data["answer"].as_str().unwrap_or_default().to_string(),
    };
    set(&without(&q.fields, "give_up"), "answer", &right)
}

/// Answers the question on `page` as `answer_fields` does; returns whether it was right.
async fn answer(app: &TestApp, page: &crate::helpers::Page) -> (bool, String) {
    let (id, fb) = app.submit(&answer_fields(page)).await;
    let right: i64 = sqlx::query_scalar("SELECT correct FROM reviews WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    (right == 1, fb.body)
}

/// Learner friction 5: she missed "Llama 2 用了多少 token" and the retry was another fact. Every
/// same-day retry must now ask the fact of the concept's answer she got wrong, and the feedback
/// of a wrong answer says it will.
#[tokio::test]
async fn the_same_day_retry_re_asks_the_missed_fact() {
    let app = new_learner("retry").await;
    assert_eq!(app.mark_read("palm").await.status, 303);
    let mut last_on: std::collections::HashMap<String, (String, String)> = Default::default();
    let mut retries = 0;
    for _ in 0..30 {
        let q = app.get("/quiz").await;
        let (Some(concept), Some(card)) = (q.input("concept"), q.input("card")) else {
            break;
        };
        let fact = fact_of(&app, &card).await;
        if q.body.contains("刚才答错了") {
            assert_eq!(Some(&fact), last_on.get(&concept), "retry of {concept}");
            retries += 1;
        }
        let (right, feedback) = answer(&app, &q).await;
        assert_eq!(
            !right,
            feedback.contains("今天稍后会再问你这个知识点"),
            "the promise is made for a wrong answer only"
        );
        assert!(
            seen(&app, &card).await,
            "the card's memory is written with it"
        );
        last_on.insert(concept, fact);
    }
    assert!(retries > 0, "no wrong answer came back in 30 questions");
}

#[tokio::test]
async fn a_card_she_has_not_met_comes_before_one_she_has() {
    let app = new_learner("fresh").await;
    for slug in ["chinchilla", "qlora"] {
        assert_eq!(app.mark_read(slug).await.status, 303);
    }
    let mut checked = 0;
    for _ in 0..20 {
        // Once the day's new concepts are met, extra practice reviews concepts she knows.
        let mut q = app.get("/quiz").await;
        if q.input("token").is_none() {
            q = app.get("/quiz?mode=practice").await;
        }
        let (Some(concept), Some(card)) = (q.input("concept"), q.input("card")) else {
            break;
        };
        if unseen_cards(&app, &concept).await > 0 {
            assert!(
                !seen(&app, &card).await,
                "{concept}: a seen card while unseen ones wait"
            );
            checked += 1;
        }
        // Right, so that no same-day retry (which re-asks a seen card on purpose) comes up.
        let (id, _) = app.submit(&right_fields(&app, &q, &card).await).await;
        app.assert_count(&format!("SELECT correct FROM reviews WHERE id = {id}"), 1)
            .await;
    }
    assert!(checked >= 10, "only {checked} questions checked");
}

#[tokio::test]
async fn an_undone_answer_leaves_the_card_as_before() {
    let app = new_learner("undo").await;
    assert_eq!(app.mark_read("chinchilla").await.status, 303);
    let q = app.get("/quiz").await;
    let card = q.input("card").unwrap();
    let (id, fb) = app.submit(&answer_fields(&q)).await;
    assert!(seen(&app, &card).await);
    let undo = app.undo(&fb, id).await;
    assert_eq!(undo.status, 303);
    assert!(
        !seen(&app, &card).await,
        "undo rolls the card's memory back"
    );
}

/// Card memory as the export shows it.
fn card_memory(v: &Value) -> Value {
    v["card_memory"].clone()
}

/// What replaying an export's reviews gives, in the export's spelling: her settings are the
/// defaults.
fn replayed(v: &Value) -> Value {
    use paperdeck::scheduler::{card_pick, Prefs, Rating, ReviewKind};
    let mut by_card: std::collections::BTreeMap<&str, Vec<_>> = Default::default();
    for r in v["reviews"].as_array().unwrap() {
        let rating = Rating::from_u8(r["rating"].as_u64().unwrap() as u8).unwrap();
        let kind = ReviewKind::parse(r["review_kind"].as_str().unwrap()).unwrap();
        let answer = (r["reviewed_at"].as_i64().unwrap(), rating, kind);
        by_card
            .entry(r["card_id"].as_str().unwrap())
            .or_default()
            .push(answer);
    }
    let rows: Vec<paperdeck::export::CardRow> = by_card
        .into_iter()
        .map(|(card, answers)| {
            let m = card_pick::replay(answers, &Prefs::default())
                .unwrap()
                .unwrap();
            paperdeck::export::CardRow {
                card_id: card.to_string(),
                stability: m.memory.stability,
                difficulty: m.memory.difficulty,
                last_review_at: m.last_review_at,
                last_right: m.last_right,
                reviews: m.reviews,
            }
        })
        .collect();
    // Through the text, as the export's numbers are: f32 written shortest.
    serde_json::from_str(&serde_json::to_string(&rows).unwrap()).unwrap()
}

#[tokio::test]
async fn export_then_import_keeps_card_memory_and_an_old_file_rebuilds_it() {
    let app = learner_with_history("mei").await;
    let file = export_json(&app).await;
    let memory = card_memory(&file);
    let rows = memory.as_array().expect("card_memory in the export");
    assert!(!rows.is_empty());
    assert_eq!(
        rows.len() as i64,
        app.count("SELECT COUNT(*) FROM card_memory").await
    );
    // What the answers wrote one by one is what replaying her log gives.
    assert_eq!(memory, replayed(&file));

    let mut old = file.clone();
    old.as_object_mut().unwrap().remove("card_memory");
    for (name, f) in [("new", &file), ("old", &old)] {
        let other = spawn_app().await;
        assert_eq!(other.signup(name, PW).await.status, 303);
        let res = import(&other, &serde_json::to_vec(f).unwrap()).await;
        assert!(res.status < 400, "{name}: {}", res.body);
        let back = export_json(&other).await;
        assert_eq!(card_memory(&back), memory, "{name} file");
        other
            .assert_count("SELECT COUNT(*) FROM card_memory_rebuild", 0)
            .await;
    }
}

#[tokio::test]
async fn progress_shows_each_concepts_unmet_cards_and_weakest_fact() {
    let app = new_learner("progress").await;
    assert_eq!(app.mark_read("chinchilla").await.status, 303);
    let q = app.get("/quiz").await;
    let (concept, card) = (q.input("concept").unwrap(), q.input("card").unwrap());
    app.submit(&answer_fields(&q)).await;
    let unmet = unseen_cards(&app, &concept).await;
    let prompt: String = sqlx::query_scalar("SELECT prompt FROM cards WHERE id = $1")
        .bind(&card)
        .fetch_one(&app.db().await)
        .await
        .unwrap();

    let page = app.get("/progress").await;
    // Its row in the concept table (the concept is linked elsewhere on the page too).
    let table = &page.body[page
        .body
        .find("class=\"concept-table\"")
        .expect("the table")..];
    let row_start = table
        .find(&format!("<a href=\"/concepts/{concept}\">"))
        .expect("the concept's row");
    let row = &table[row_start..];
    let row = &row[..row.find("</th>").expect("its first cell")];
    assert!(row.contains(&format!("还有 {unmet} 题没见过")), "{row}");
    // The one card she answered is its weakest, linked to where the paper explains it.
    assert!(
        row.contains("最弱的一题：<a href=\"/papers/chinchilla"),
        "{row}"
    );
    let start: String = prompt.chars().take(8).collect();
    assert!(row.contains(&start), "{row}");
}
