//! The app's edges: every POST route checks its CSRF token, an expired session on a form comes
//! back to a page that answers GET, and `/healthz` reports the answer writer.

use crate::helpers::{new_learner, spawn_app, spawn_app_with, TestApp};
use paperdeck::clock::Clock;

const PW: &str = "a good long passphrase";

/// A concrete path for a route pattern: a real paper for `{slug}`, review 1 for `{id}`.
fn concrete(pattern: &str) -> String {
    pattern.replace("{slug}", "chinchilla").replace("{id}", "1")
}

async fn learner() -> TestApp {
    let app = new_learner("edges").await;
    app
}

#[tokio::test]
async fn every_post_route_refuses_a_missing_or_wrong_csrf_token() {
    let app = learner().await;
    let posts: Vec<&str> = paperdeck::web::route_table()
        .into_iter()
        .filter(|(m, _)| m == actix_web::http::Method::POST)
        .map(|(_, p)| p)
        .collect();
    // The table is the app's own: the quiz, settings, import and log-out are all in it.
    for expected in [
        "/quiz/answer",
        "/settings",
        "/import",
        "/logout",
        "/quiz/override",
    ] {
        assert!(
            posts.contains(&expected),
            "{expected} missing from {posts:?}"
        );
    }
    let wrong = "0".repeat(40);
    let mut failures = Vec::new();
    for path in &posts {
        let path = concrete(path);
        for (what, form) in [
            ("missing", vec![]),
            ("wrong", vec![("csrf", wrong.as_str())]),
        ] {
            let page = app.post(&path, &form).await;
            if page.status != 403 {
                failures.push(format!("{path} with a {what} token: {}", page.status));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Still logged in and nothing written: the refusals changed nothing.
    app.assert_count("SELECT COUNT(*) FROM papers_read", 0)
        .await;
    app.assert_count("SELECT COUNT(*) FROM login_sessions", 1)
        .await;
}

#[tokio::test]
async fn an_expired_session_on_a_form_returns_after_log_in_to_the_page_the_form_was_on() {
    let clock = Clock::midday_shanghai();
    let app = spawn_app_with(|s| s.clock = clock.clone()).await;
    assert_eq!(app.signup("sleeper", PW).await.status, 303);
    assert_eq!(app.mark_read("chinchilla").await.status, 303);
    let question = app.get("/quiz").await;
    let csrf = question.csrf();
    // A month without a request ends the session (30 idle days by default).
    clock.advance(31 * 86_400);

    let from_quiz = app
        .client
        .post(app.url("/quiz/answer"))
        .header("Referer", app.url("/quiz?mode=practice"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(from_quiz.status().as_u16(), 303);
    let location = from_quiz.headers()["location"].to_str().expect("ascii");
    assert_eq!(location, "/login?next=/quiz%3Fmode%3Dpractice");

    // Without a Referer (or with another site's) she goes to the quiz, never to /quiz/answer.
    let page = app.post("/quiz/answer", &[("csrf", &csrf)]).await;
    assert_eq!(page.location.as_deref(), Some("/login?next=/quiz"));
    let foreign = app
        .client
        .post(app.url("/papers/chinchilla/read"))
        .header("Referer", "https://elsewhere.example/papers/chinchilla")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(foreign.headers()["location"], "/login?next=/quiz");

    // Logging in lands on a page that answers GET.
    let login = app.get("/login?next=/quiz").await;
    let back = app
        .post(
            "/login",
            &[
                ("csrf", &login.csrf()),
                ("username", "sleeper"),
                ("password", PW),
                ("next", "/quiz"),
            ],
        )
        .await;
    assert_eq!(back.location.as_deref(), Some("/quiz"));
    assert_eq!(app.get("/quiz").await.status, 200);
}

#[tokio::test]
async fn health_reports_the_database_and_the_answer_writer() {
    let app = spawn_app().await;
    let page = app.get("/healthz").await;
    assert_eq!(page.status, 200);
    let body: serde_json::Value = serde_json::from_str(&page.body).expect("JSON");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["writer"], "ok");
    assert_eq!(body["writer_restarts"], 0);
}
