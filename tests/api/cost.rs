//! Every request's cost is bounded (security review 2026-11-29): imports in short batches with a
//! per-learner cap, downloads written a page at a time, and the quiz-integrity findings that
//! share the answer path (practice, review ids, answer times, the CSRF mask). Load-shaped tests
//! use a handful of requests and assert outcomes, never times.

use crate::export::import;
use crate::helpers::{new_learner, TestApp};
use crate::quiz::{answer_fields, as_pairs};
use serde_json::{json, Value};

const PW: &str = "a good long passphrase";
const T0: i64 = 1_767_225_600;

async fn live_cards(app: &TestApp) -> Vec<(String, String)> {
    sqlx::query_as("SELECT id, concept_slug FROM cards WHERE retired = 0 ORDER BY id")
        .fetch_all(&app.db().await)
        .await
        .expect("cards")
}

/// A valid export file with `n` reviews spread over every concept, `offset` seconds after T0.
async fn big_file(app: &TestApp, n: i64, offset: i64) -> Vec<u8> {
    let cards = live_cards(app).await;
    let mut concepts: Vec<&str> = cards.iter().map(|(_, c)| c.as_str()).collect();
    concepts.sort();
    concepts.dedup();
    let last = T0 + offset + n * 600;
    let states: Vec<Value> = concepts
        .iter()
        .map(|c| {
            json!({"concept_slug": c, "unlocked_at": T0, "stability": 3.0, "difficulty": 5.0,
                   "due_at": last + 86_400, "last_review_at": last, "reps": 1, "lapses": 0,
                   "last_card_id": null, "version": 1})
        })
        .collect();
    let reviews: Vec<Value> = (0..n)
        .map(|i| {
            let (card, concept) = &cards[i as usize % cards.len()];
            let t = T0 + offset + i * 600;
            json!({"card_id": card, "concept_slug": concept, "reviewed_at": t,
                   "answer": "an ordinary answer", "correct": true, "rating": 3,
                   "duration_ms": 5000, "review_kind": "review", "stability_before": null,
                   "difficulty_before": null, "due_before_at": null,
                   "last_review_before_at": null, "reps_before": 0, "lapses_before": 0,
                   "stability_after": 3.0, "difficulty_after": 5.0, "due_after_at": t + 86_400,
                   "elapsed_days": 1, "scheduled_days": 1, "version_after": 1})
        })
        .collect();
    serde_json::to_vec(&json!({
        "format": "paperdeck-export", "version": 1, "exported_at": last,
        "account": {"username": "x", "created_at": T0, "desired_retention": 0.9,
                    "new_per_day": 5, "max_reviews_per_day": 50, "timezone": "Asia/Shanghai",
                    "rollover_hour": 4, "fsrs_params": null},
        "papers_read": [], "concept_states": states, "reviews": reviews,
    }))
    .expect("json")
}

/// M3: a large import used to hold the one write connection for its whole transaction while
/// every other learner's answer waited behind it. Now it writes in short batches, so another
/// learner answering throughout the import has answers recorded between its batches: some of
/// the import's reviews were written before one of hers and some after (review ids only grow).
/// Under the old single transaction that could not happen, however long anything took.
#[tokio::test]
async fn m3_others_answers_are_recorded_during_a_large_import() {
    let app = new_learner("hog").await;
    let file = big_file(&app, 12_000, 0).await;
    let bob = app.other_browser();
    assert_eq!(bob.signup("bob", PW).await.status, 303);
    assert_eq!(bob.mark_read("chinchilla").await.status, 303);

    let done = std::sync::atomic::AtomicBool::new(false);
    let importing = async {
        let res = import(&app, &file).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        res
    };
    let answering = async {
        let mut recorded = 0;
        // Answers until the import has finished (bounded, should it hang).
        while !done.load(std::sync::atomic::Ordering::SeqCst) && recorded < 2_000 {
            let mut q = bob.get("/quiz").await;
            if q.input("token").is_none() {
                q = bob.get("/quiz?mode=practice").await;
            }
            let res = bob.post_answer(&answer_fields(&q)).await;
            assert_eq!(res.status, 303, "{}", res.body);
            recorded += 1;
        }
        recorded
    };
    let (imported, answered) = tokio::join!(importing, answering);
    assert_eq!(imported.status, 200, "{}", imported.body);
    let count = |sql: &'static str| app.count(sql);
    assert_eq!(
        count("SELECT COUNT(*) FROM reviews WHERE learner_id = 1").await,
        12_000
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM reviews WHERE learner_id = 2").await,
        answered
    );
    let between = count(
        "SELECT COUNT(*) FROM reviews b WHERE b.learner_id = 2
           AND b.id > (SELECT MIN(id) FROM reviews WHERE learner_id = 1)
           AND b.id < (SELECT MAX(id) FROM reviews WHERE learner_id = 1)",
    )
    .await;
    eprintln!("m3: {answered} answers during the import, {between} between its batches");
    assert!(
        between > 0,
        "no answer was written while the import was writing"
    );
}

/// M3: files could be imported again and again, each growing the account (240,000 reviews were
/// reached). An import that would take the account over the per-learner cap is refused whole.
#[tokio::test]
async fn m3_reviews_per_learner_are_capped_on_import() {
    let app = new_learner("hoarder").await;
    let cap = paperdeck::export::MAX_REVIEWS_PER_LEARNER as i64;
    app.plant_reviews(cap - 5, T0, 60).await;
    let file = big_file(&app, 10, 10_000_000).await;
    let refused = import(&app, &file).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("上限"), "{}", refused.body);
    app.assert_count("SELECT COUNT(*) FROM reviews", cap - 5)
        .await;
    let fits = big_file(&app, 5, 20_000_000).await;
    assert_eq!(import(&app, &fits).await.status, 200);
    app.assert_count("SELECT COUNT(*) FROM reviews", cap).await;
}

/// M4: the JSON export of a large account was built whole in memory (+760 MB for 240,000
/// reviews). It is now written a page at a time as a chunked body, and is still exactly the
/// export the command line builds.
#[tokio::test]
async fn m4_export_is_streamed_in_pages_and_equals_the_whole_export() {
    let app = new_learner("big").await;
    let n = paperdeck::store::transfer::PAGE_ROWS * 2 + 37;
    app.plant_reviews(n, T0, 60).await;

    let res = app.get("/export/paperdeck.json").await;
    assert_eq!(res.status, 200);
    assert!(
        res.headers.get("content-length").is_none(),
        "a streamed body has no length up front: {:?}",
        res.headers
    );
    let mut streamed: Value = serde_json::from_str(&res.body).expect("JSON");
    let db = paperdeck::store::Db::open(&app.database_url)
        .await
        .expect("db");
    let mut whole = serde_json::to_value(paperdeck::export::export(&db, 1).await.expect("export"))
        .expect("value");
    db.close().await;
    streamed["exported_at"] = json!(0);
    whole["exported_at"] = json!(0);
    assert_eq!(
        streamed["reviews"].as_array().map(Vec::len),
        Some(n as usize)
    );
    assert_eq!(streamed, whole);

    let csv = app.get("/export/revlog.csv").await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.body.lines().count(), n as usize + 1);
    assert!(csv
        .body
        .starts_with("card_id,review_rating,review_time,review_duration\n"));
}

/// L3: an undone review's id went to the next answer, so undo and feedback URLs depended on
/// other learners' activity. Ids now only ever grow.
#[tokio::test]
async fn l3_review_ids_are_never_reused_after_an_undo() {
    let app = new_learner("undoer").await;
    assert_eq!(app.mark_read("chinchilla").await.status, 303);
    let answer = || async {
        let q = app.get("/quiz").await;
        let res = app.post_answer(&answer_fields(&q)).await;
        assert_eq!(res.status, 303, "{}", res.body);
        let id: i64 = res.review_id().parse().expect("id");
        (res.location.expect("feedback location"), id)
    };
    let (first_url, first) = answer().await;
    let csrf = app.get(&first_url).await.csrf();
    let undo = app
        .post(
            "/quiz/undo",
            &[("csrf", &csrf), ("review", &first.to_string())],
        )
        .await;
    assert_eq!(undo.status, 303);
    let (_, second) = answer().await;
    assert!(second > first, "id {second} after undone {first}");
    assert_eq!(app.get(&first_url).await.status, 404);
}

/// L4: `shown_at` was outside the answer token, so any duration up to 30 minutes could be
/// recorded. It carries a signature now (beside the token, so a reload keeps its token): a
/// changed value is refused and records nothing.
#[tokio::test]
async fn l4_a_forged_shown_at_is_refused() {
    let app = new_learner("timer").await;
    assert_eq!(app.mark_read("chinchilla").await.status, 303);
    let q = app.get("/quiz").await;
    let shown = q.input("shown_at").expect("shown_at");
    // Milliseconds, then the signature (an unsigned build sends the milliseconds alone).
    let (ms, sig) = shown.split_once('.').unwrap_or((shown.as_str(), ""));
    let ms: i64 = ms.parse().expect("milliseconds first");
    for forged in [
        (ms - 1_000_000_000_000).to_string(),
        format!("{}.{sig}", ms - 600_000),
        "-1".to_string(),
    ] {
        let mut f: Vec<(String, String)> = answer_fields(&q)
            .into_iter()
            .filter(|(k, _)| k != "shown_at")
            .collect();
        f.push(("shown_at".into(), forged.clone()));
        let res = app.post_answer(&f).await;
        assert_eq!(res.status, 400, "shown_at {forged}: {}", res.body);
    }
    app.assert_count("SELECT COUNT(*) FROM reviews", 0).await;

    let res = app.post_answer(&answer_fields(&q)).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let ms = app.count("SELECT duration_ms FROM reviews").await;
    assert!((0..=30 * 60 * 1000).contains(&ms), "{ms}");
}

fn settings_form(csrf: &str, new_per_day: &str) -> Vec<(String, String)> {
    [
        ("csrf", csrf),
        ("desired_retention", "90"),
        ("new_per_day", new_per_day),
        ("max_reviews_per_day", "50"),
        ("timezone", "Asia/Shanghai"),
        ("rollover_hour", "4"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Saves the settings form with `new_per_day` as given.
pub(crate) async fn save_new_per_day(app: &TestApp, csrf: &str, new_per_day: &str) {
    let saved = app
        .post("/settings", &as_pairs(&settings_form(csrf, new_per_day)))
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
}

/// A learner who has read QLoRA with `new_per_day = 0`: every concept of it waits; and the
/// settings form's token.
pub(crate) async fn reader_past_the_new_limit(name: &str) -> (TestApp, String) {
    let app = new_learner(name).await;
    assert_eq!(app.mark_read("qlora").await.status, 303);
    let csrf = app.get("/settings").await.csrf();
    save_new_per_day(&app, &csrf, "0").await;
    (app, csrf)
}

/// L2: with `new_per_day = 0` the practice links still taught new concepts. A concept never
/// studied is now a new one, within the day's new limit, and counts against it.
#[tokio::test]
async fn l2_concept_link_respects_the_daily_new_limit() {
    let (app, csrf) = reader_past_the_new_limit("eager").await;
    let refused = app.get("/quiz?concept=lora").await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("新概念"));

    save_new_per_day(&app, &csrf, "1").await;
    let q = app.get("/quiz?concept=lora").await;
    assert_eq!(q.status, 200, "{}", q.body);
    assert_eq!(q.input("mode").as_deref(), Some("normal"));
    let res = app.post_answer(&answer_fields(&q)).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let kind: String = sqlx::query_scalar("SELECT review_kind FROM reviews")
        .fetch_one(&app.db().await)
        .await
        .expect("review");
    assert_eq!(kind, "learn");
    // The day's one new concept is used up: another new one is refused.
    let other: String = sqlx::query_scalar(
        "SELECT concept_slug FROM concept_states WHERE reps = 0 ORDER BY concept_slug LIMIT 1",
    )
    .fetch_one(&app.db().await)
    .await
    .expect("another new concept");
    assert_eq!(app.get(&format!("/quiz?concept={other}")).await.status, 409);
}

/// L6: the CSRF token was the same bytes in every response, next to a reflected `next`, under
/// gzip. Each response now carries it under a fresh mask, and every mask verifies.
#[tokio::test]
async fn l6_csrf_token_differs_per_response_and_each_verifies() {
    let app = new_learner("masked").await;
    let a = app.get("/login?next=/csrf%3Dab12").await.csrf();
    let b = app.get("/login?next=/csrf%3Dab12").await.csrf();
    assert_ne!(a, b);
    for token in [&a, &b] {
        let res = app.post("/settings/reset-params", &[("csrf", token)]).await;
        assert_eq!(res.status, 303, "{}", res.body);
    }
    let forged = app.post("/settings/reset-params", &[("csrf", "00")]).await;
    assert_eq!(forged.status, 403);
}
