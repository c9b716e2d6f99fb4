//! The server binary inside the limits of a small container.
//!
//! `h1_the_optimiser_on_a_20000_review_concept_fits_a_small_memory_limit` (security review
//! 2026-11-29, H1): the optimiser used to copy a concept's whole history for every review, so
//! memory grew with the square of the history: 20,000 reviews of one concept took 3.1 GB, and a
//! server under a 3 GB limit aborted, taking every learner's session with it. Here the server
//! runs under a 1 GiB address-space limit (`ulimit -v`), one learner has 20,000 reviews of one
//! concept, and she asks for an optimisation: the answer must be a redirect to the settings page
//! and the server must still be up. `PAPERDECK_BIN` runs it against another build.

use crate::common;

use common::app::TestApp;
use common::process::{server_binary, ServerProcess};
use common::PW;

/// The address-space limit. An idle server reserves a few hundred MiB of it (thread stacks,
/// allocator arenas); the quadratic optimiser needed gigabytes.
const LIMIT_KIB: u64 = 1024 * 1024;

#[tokio::test]
async fn h1_the_optimiser_on_a_20000_review_concept_fits_a_small_memory_limit() {
    let _turn = common::process::ONE_SERVER_KILLING_TEST_AT_A_TIME
        .lock()
        .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = ServerProcess::new(&server_binary(), dir.path());
    server.memory_limit_kib = Some(LIMIT_KIB);
    server.start(&reqwest::Client::new()).await;
    let log = dir.path().join("server.log");
    let log_tail = move || {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n")
    };
    let app = TestApp::on_server(server, dir);
    assert_eq!(app.signup("longlearner", PW).await.status, 303);
    // 20,000 reviews of one concept, 12 hours apart, from 2001 on.
    app.plant_reviews(20_000, 1_000_000_000, 43_200).await;

    let csrf = app.get("/settings").await.csrf();
    let res = app
        .client
        .post(app.url("/settings/optimise"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await;
    let res = res.unwrap_or_else(|e| {
        panic!(
            "the optimiser request got no answer: {e}; the server's log ends:\n{}",
            log_tail()
        )
    });
    assert_eq!(res.status().as_u16(), 303, "{:?}", res.text().await);
    let health = app.client.get(app.url("/healthz")).send().await;
    assert!(
        health.is_ok_and(|r| r.status() == 200),
        "the server did not survive the optimisation"
    );
}
