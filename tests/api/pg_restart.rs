//! PostgreSQL restarted while two instances serve, against the server binary (the one `cargo test` builds).
//!
//! A server of the test's own (`common::pg_cluster`, in a temporary directory) is stopped the way
//! an operator's restart stops it, kept down for a moment, and started again, while learners
//! answer on both instances. While it is down, every page is the clear 503 page (never a 500),
//! `/healthz` says the database is unavailable and `/livez` stays up; afterwards every instance
//! serves again by itself, without a restart, and no acknowledged answer is missing.
//!
//! Prints a summary line (`--nocapture`) with how long each instance took to recover.

use crate::common;

use common::load::{plain_client, start_load, Learner, Tally};
use common::pg_cluster::PgCluster;
use common::process::{server_binary, ServerProcess as Server};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A hang guard, not a speed goal: an instance that has not recovered after this long fails.
const RECOVERY_GUARD: Duration = Duration::from_secs(60);
/// How long the database stays down.
const DOWN: Duration = Duration::from_millis(1500);

/// A request's status and body; `None` when no response came within 10 s (longer than any wait
/// of the server's own, so a `None` means the server did not answer at all).
async fn status(http: &reqwest::Client, url: String) -> Option<(u16, String)> {
    let res = http
        .get(url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()?;
    let status = res.status().as_u16();
    Some((status, res.text().await.unwrap_or_default()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_ride_out_a_postgresql_restart() {
    let _turn = common::process::ONE_SERVER_KILLING_TEST_AT_A_TIME
        .lock()
        .await;
    let cluster = PgCluster::init();
    cluster.start();
    let db_url = cluster.url("paperdeck_restart");
    let bin = server_binary();
    let http = plain_client();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut servers: Vec<Server> = dirs
        .iter()
        .map(|d| {
            let mut s = Server::new(&bin, d.path()).on_database(&db_url);
            s.env.push(("PAPERDECK_SECRET_KEY".into(), "r".repeat(44)));
            s
        })
        .collect();
    for s in &mut servers {
        s.start(&http).await;
    }
    let bases: Vec<String> = servers.iter().map(Server::base).collect();

    let mut learners = Vec::new();
    for (i, papers) in [["chinchilla", "qlora"], ["llama", "palm"]]
        .iter()
        .enumerate()
    {
        let mut l = Learner::new(format!("restart{i}"));
        l.sign_up_and_read(&bases[i], papers).await;
        learners.push(Arc::new(l));
    }
    let tally = Arc::new(Tally::new(learners.len()));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = start_load(
        &learners,
        &bases,
        &tally,
        &stop,
        Instant::now() + RECOVERY_GUARD * 2,
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let acked_before = tally.acked().len();

    // Down: every instance says so, clearly, and stays alive.
    cluster.stop();
    let down_at = Instant::now();
    let mut seen_down = Vec::new();
    for (i, base) in bases.iter().enumerate() {
        let guard = Instant::now() + RECOVERY_GUARD;
        loop {
            let health = status(&http, format!("{base}/healthz")).await;
            if let Some((503, body)) = &health {
                assert!(body.contains("\"database\":\"unavailable\""), "{body}");
                break;
            }
            assert!(
                Instant::now() < guard,
                "{base}/healthz while down: {health:?}; log:\n{}",
                servers[i].log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let live = status(&http, format!("{base}/livez")).await;
        assert_eq!(live.map(|l| l.0), Some(200), "{base}/livez while down");
        let page = learners[0].get(base, "/quiz").await.expect("GET /quiz");
        assert_eq!(page.status, 503, "{base}/quiz while down: {}", page.body);
        assert!(page.body.contains("数据库暂时连不上"), "{}", page.body);
        seen_down.push(down_at.elapsed());
    }
    tokio::time::sleep(DOWN.saturating_sub(down_at.elapsed())).await;

    // Up again: each instance recovers by itself.
    cluster.start();
    let up_at = Instant::now();
    let mut recovered = Vec::new();
    for (i, base) in bases.iter().enumerate() {
        loop {
            let page = learners[i].get(base, "/quiz").await.ok();
            let health = status(&http, format!("{base}/healthz")).await;
            if page.as_ref().is_some_and(|p| p.status == 200) && health.is_some_and(|h| h.0 == 200)
            {
                break;
            }
            if let Some(p) = &page {
                assert_eq!(p.status, 503, "{base}/quiz while recovering: {}", p.body);
            }
            assert!(
                Instant::now() < up_at + RECOVERY_GUARD,
                "{base} did not recover; log:\n{}",
                servers[i].log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        recovered.push(up_at.elapsed());
    }
    // Answers are acknowledged again after the restart.
    let guard = Instant::now() + RECOVERY_GUARD;
    let acked_at_recovery = tally.acked().len();
    while tally.acked().len() < acked_at_recovery + 20 {
        assert!(
            Instant::now() < guard,
            "no answers acknowledged after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("client task");
    }

    // Nothing acknowledged is missing, and nothing but 503 was ever answered with a 5xx.
    let acked = tally.acked();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db_url).await.expect("database");
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM reviews")
        .fetch_all(&pool)
        .await
        .expect("reviews");
    pool.close().await;
    let missing: Vec<i64> = acked
        .iter()
        .map(|a| a.1)
        .filter(|id| !ids.contains(id))
        .collect();
    let errors = tally.server_errors.lock().unwrap().clone();
    let not_503: Vec<_> = errors.iter().filter(|e| e.0 != 503).collect();
    let statuses = tally.statuses.lock().unwrap().clone();
    println!(
        "pg-restart: down for {} ms; both instances reported it within {:?}; recovered {:?} \
         after the start; {} answers acknowledged ({acked_before} before the stop), {} stored; \
         {} responses were 503 and {} other 5xx; answer statuses {statuses:?}",
        DOWN.as_millis(),
        seen_down,
        recovered,
        acked.len(),
        ids.len(),
        errors.len() - not_503.len(),
        not_503.len(),
    );
    assert!(missing.is_empty(), "acknowledged but missing: {missing:?}");
    assert!(
        not_503.is_empty(),
        "server errors other than 503: {not_503:?}"
    );
}
