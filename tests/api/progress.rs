use crate::helpers::{new_learner, spawn_app};
use crate::quiz::answer_fields;

#[tokio::test]
async fn progress_for_a_new_learner_explains_the_empty_charts() {
    let app = new_learner("newbie").await;
    let page = app.get("/progress").await;
    assert_eq!(page.status, 200);
    page.assert_has_all(&["0 / 10", "从这里开始", "先读一篇论文"]);
    for id in ["heatmap", "forecast", "accuracy", "retention"] {
        page.assert_has(format!("id=\"{id}\""));
    }
    assert!(!page.body.contains("NaN") && !page.body.contains("inf%"));
}

#[tokio::test]
async fn progress_for_a_busy_learner_shows_her_history() {
    let app = new_learner("busy").await;
    for slug in ["chinchilla", "palm", "qlora"] {
        app.mark_read(slug).await;
    }
    let mut answered = 0;
    for _ in 0..40 {
        let q = app.get("/quiz").await;
        if !q.body.contains("name=\"concept\"") {
            break;
        }
        let res = app.post_answer(&answer_fields(&q)).await;
        assert_eq!(res.status, 303);
        answered += 1;
    }
    assert!(answered >= 10, "{answered}");
    let page = app.get("/progress").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("3 / 10"));
    assert!(!page.body.contains("从这里开始"));
    // today's cell of the calendar shows the answers
    assert!(
        page.body.contains(&format!("{answered} 题")),
        "heatmap counts {answered}"
    );
    // "1 天" exactly: a bare `contains("1 天")` would also accept 11 or 21 days.
    let streak = page.texts("li");
    let streak = streak
        .iter()
        .find(|t| t.contains("连续学习"))
        .expect("the streak line");
    assert!(streak.starts_with("1 天 连续学习"), "{streak}");
    // concepts table with practice links
    assert!(page.body.contains("href=\"/quiz?concept="));
    assert!(!page.body.contains("NaN"));
    // A concept she has studied: one never studied is a new concept, within the daily limit.
    let studied: String = sqlx::query_scalar(
        "SELECT concept_slug FROM concept_states WHERE reps > 0 ORDER BY concept_slug LIMIT 1",
    )
    .fetch_one(&app.db().await)
    .await
    .unwrap();
    let practice = app.get(&format!("/quiz?concept={studied}")).await;
    assert_eq!(practice.status, 200);
    assert!(practice.body.contains("专项练习"));
}

#[tokio::test]
async fn progress_needs_an_account() {
    let app = spawn_app().await;
    assert_eq!(app.get("/progress").await.status, 303);
}

#[tokio::test]
async fn progress_after_one_wrong_answer_shows_no_mastery_anywhere() {
    let app = new_learner("honest").await;
    app.mark_read("chinchilla").await;
    let q = app.get("/quiz").await;
    let f = app.graded_fields(&q, false).await;
    let res = app.post_answer(&f).await;
    assert_eq!(res.status, 303, "{}", res.body);
    app.assert_count("SELECT COUNT(*) FROM reviews WHERE correct = 0", 1)
        .await;

    let page = app.get("/progress").await;
    assert_eq!(page.status, 200);
    let body = &page.body;
    // The four levels, each explained in a sentence, with her counts.
    for l in paperdeck::stats::Level::ALL {
        assert!(body.contains(l.explain()), "{} explained", l.name());
    }
    assert!(body.contains("掌握（0 个）") && body.contains("熟悉（0 个）"));
    assert!(
        body.contains("初学（1 个）"),
        "the one answered concept is 初学"
    );
    // No concept row says 掌握 or 熟悉.
    let table = &body[body.find("class=\"concept-table\"").unwrap()..];
    let table = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    assert!(
        !table.contains("掌握") && !table.contains("熟悉"),
        "{table}"
    );
    assert_eq!(table.matches("data-level=\"初学\"").count(), 1);
    // Right after an answer, the near-100% recall is labelled as such.
    assert!(table.contains("刚答过，自然接近 100%"));
    // The read paper shows 0 mastered; the nine unread papers show no mastery at all.
    let papers = &body[body.find("<ul class=\"mastery\">").unwrap()..];
    let papers = &papers[..papers.find("</ul>").unwrap()];
    assert_eq!(papers.matches("还没读").count(), 9, "{papers}");
    assert_eq!(
        papers.matches("class=\"fill w").count(),
        1,
        "one meter: the read paper"
    );
    assert!(papers.contains("class=\"fill w0\""));
    // No bare jargon, no fractional count of concepts.
    assert!(!body.contains("稳定性"));
    assert!(
        body.contains("约 1 个") || body.contains("约 0 个"),
        "a whole number of concepts"
    );
    assert!(
        body.contains("九成以下"),
        "how long the memory lasts is explained"
    );
}

/// What /progress computes from her review log is kept per data version (issue 23 §3): every
/// answer, and an undo, must still show at once.
#[tokio::test]
async fn progress_kept_per_version_still_shows_every_answer_and_undo_at_once() {
    let app = new_learner("kept").await;
    app.mark_read("chinchilla").await;
    let week = |page: &crate::helpers::Page| {
        page.texts("li")
            .into_iter()
            .find(|t| t.contains("题近 7 天"))
            .unwrap_or_default()
    };
    assert!(week(&app.get("/progress").await).starts_with("0 题"));
    let mut last = None;
    for n in 1..=3 {
        let (_, feedback) = app.submit(&app.some_answer().await).await;
        last = Some(feedback);
        // Twice: the second read is the kept one.
        for _ in 0..2 {
            let shown = week(&app.get("/progress").await);
            assert!(shown.starts_with(&format!("{n} 题")), "after {n}: {shown}");
        }
    }
    let undo = last
        .and_then(|f| f.form("/quiz/undo"))
        .expect("an undo form");
    let res = app.post("/quiz/undo", &crate::quiz::as_pairs(&undo)).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let shown = week(&app.get("/progress").await);
    assert!(shown.starts_with("2 题"), "after the undo: {shown}");
}
