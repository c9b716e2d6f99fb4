//! Cards follow the content: stable ids, edits in place, removals retired, history kept.

use crate::helpers::{spawn_app_with, TestApp};
use crate::quiz::answer_fields;
use paperdeck::config::Settings;
use paperdeck::startup::Application;
use std::path::Path;

fn copy_content(to: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    std::fs::create_dir_all(to.join("papers")).unwrap();
    std::fs::copy(src.join("concepts.toml"), to.join("concepts.toml")).unwrap();
    for e in std::fs::read_dir(src.join("papers")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join("papers").join(e.file_name())).unwrap();
    }
}

type CardRow = (String, String, String, String, i64, i64);

async fn cards(app: &TestApp) -> Vec<CardRow> {
    let pool = app.db().await;
    let rows = sqlx::query_as(
        "SELECT id, fact_key, kind, prompt, retired, updated_at FROM cards ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows
}

async fn restart(app: &TestApp, content: &Path) {
    let mut s = Settings::for_tests(app.database_url.clone());
    s.content_dir = Some(content.to_path_buf());
    s.secret_key = Some(crate::common::app::TEST_KEY.into());
    let again = Application::build(s).await.expect("restart");
    drop(again);
}

#[tokio::test]
async fn cards_keep_their_ids_through_edits_and_retire_when_removed() {
    let content = tempfile::tempdir().unwrap();
    copy_content(content.path());
    let dir = content.path().to_path_buf();
    let app = spawn_app_with(|s| s.content_dir = Some(dir)).await;
    let before = cards(&app).await;
    assert!(before.len() >= 150);

    // Some history: a learner answers a few questions on QLoRA.
    app.signup("keeper", "a good long passphrase").await;
    app.mark_read("qlora").await;
    for _ in 0..5 {
        let q = app.get("/quiz").await;
        app.post_answer(&answer_fields(&q)).await;
    }
    let reviews_before: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, card_id FROM reviews ORDER BY id")
            .fetch_all(&app.db().await)
            .await
            .unwrap();
    assert_eq!(reviews_before.len(), 5);

    // Starting again with the same content changes nothing at all.
    restart(&app, content.path()).await;
    assert_eq!(cards(&app).await, before);

    // Edit one fact's question, remove another fact entirely.
    let path = content.path().join("papers/qlora.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited_key = "nf4";
    let removed_key = "double-quantization";
    for key in [edited_key, removed_key] {
        assert!(
            text.contains(&format!("key = \"{key}\"")),
            "fact {key} exists"
        );
    }
    let mut out = String::new();
    let mut skipping = false;
    let mut in_edited = false;
    for block in text.split_inclusive('\n') {
        if block.starts_with("[[facts]]") || block.starts_with("+++") || block.starts_with("[[") {
            skipping = false;
            in_edited = false;
        }
        if block.trim() == format!("key = \"{removed_key}\"") {
            // drop the "[[facts]]" line already written, and the rest of this fact
            let cut = out.rfind("[[facts]]").unwrap();
            out.truncate(cut);
            skipping = true;
            continue;
        }
        if block.trim() == format!("key = \"{edited_key}\"") {
            in_edited = true;
        }
        if skipping {
            continue;
        }
        if in_edited && block.starts_with("question = ") {
            out.push_str("question = \"（改写后的问题）QLoRA 为正态分布的权重设计的 4 位数据类型叫什么？\"\n");
            continue;
        }
        out.push_str(block);
    }
    std::fs::write(&path, out).unwrap();
    paperdeck::content::load_dir(content.path()).expect("edited content is valid");
    restart(&app, content.path()).await;
    let after = cards(&app).await;

    // Same ids as before: nothing added, nothing deleted.
    let ids = |rows: &[CardRow]| rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&after), ids(&before));
    for (b, a) in before.iter().zip(&after) {
        match b.1.as_str() {
            k if k == edited_key && b.2 != "true_false" => {
                assert!(a.3.contains("改写后的问题"), "{} updated in place", a.0);
                assert_eq!(a.4, 0);
            }
            k if k == removed_key => assert_eq!(a.4, 1, "{} retired", a.0),
            // Other cards keep everything but, for choice cards drawing wrong options from the
            // removed fact's group, their distractors (so `updated_at` may move).
            _ => assert_eq!(
                (&a.0, &a.1, &a.2, &a.3, a.4),
                (&b.0, &b.1, &b.2, &b.3, b.4),
                "{} keeps its id, prompt and status",
                a.0
            ),
        }
    }
    let reviews_after: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, card_id FROM reviews ORDER BY id")
            .fetch_all(&app.db().await)
            .await
            .unwrap();
    assert_eq!(reviews_after, reviews_before, "review rows intact");
}
