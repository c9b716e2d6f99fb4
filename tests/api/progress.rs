use crate::helpers::spawn_app;
use crate::quiz::{answer_fields, as_pairs};

const PW: &str = "a good long passphrase";

#[tokio::test]
async fn progress_for_a_new_learner_explains_the_empty_charts() {
    let app = spawn_app().await;
    app.signup("newbie", PW).await;
    let page = app.get("/progress").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("0 / 10"));
    assert!(page.body.contains("从这里开始"));
    assert!(page.body.contains("先读一篇论文"));
    for id in ["heatmap", "forecast", "accuracy", "retention"] {
        assert!(page.body.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(!page.body.contains("NaN") && !page.body.contains("inf%"));
}

#[tokio::test]
async fn progress_for_a_busy_learner_shows_her_history() {
    let app = spawn_app().await;
    app.signup("busy", PW).await;
    for slug in ["chinchilla", "palm", "qlora"] {
        app.mark_read(slug).await;
    }
    let mut answered = 0;
    for _ in 0..40 {
        let q = app.get("/quiz").await;
        if !q.body.contains("name=\"concept\"") {
            break;
        }
        let res = app
            .post("/quiz/answer", &as_pairs(&answer_fields(&q)))
            .await;
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
    assert!(page.body.contains("1 天</span> 连续学习") || page.body.contains("1 天"));
    // concepts table with practice links
    assert!(page.body.contains("href=\"/quiz?concept="));
    assert!(!page.body.contains("NaN"));
    let practice = app.get("/quiz?concept=quantization").await;
    assert_eq!(practice.status, 200);
    assert!(practice.body.contains("专项练习"));
}

#[tokio::test]
async fn progress_needs_an_account() {
    let app = spawn_app().await;
    assert_eq!(app.get("/progress").await.status, 303);
}
