//! Durability under SIGKILL, against the release binary.
//!
//! `an_acknowledged_answer_survives_sigkill`: learners answer questions from concurrent clients
//! while the server is killed with SIGKILL at random moments and restarted on the same database.
//! Every answer the server acknowledged (a 303 to its feedback page) must be in `reviews`, for
//! the right learner, exactly once; the only extra rows allowed are answers whose response was
//! lost in a kill; and the database must pass `PRAGMA integrity_check`.
//!
//! `a_start_killed_at_any_moment_recovers`: the server is killed while it is starting (creating
//! the database, migrating, syncing cards, writing its key file) and must then start normally
//! with the same cards as a clean start.
//!
//! Both tests print a summary line; run with `--nocapture` to see it. The random choices (when
//! to kill, for how long) come from one seed, printed first: `PAPERDECK_CRASH_SEED=N` replays
//! a run's choices (the server's own timing still varies).

mod common;
/// The backend `common::app` starts apps on (tests/api_postgres.rs runs this suite on the other).
const BACKEND: common::app::Backend = common::app::Backend::Sqlite;

use common::page::Page;
use common::quiz::{Question, ANSWER};
use common::release::{release_binary, ReleaseServer as Server};
use common::PW;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::redirect::Policy;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LEARNERS: usize = 8;
const MIN_ACKED: usize = 1000;
const MIN_KILLS: usize = 10;
const MAX_KILLS: usize = 40;
/// A hang guard, not a speed goal: the load goes on until the goals are met, and only a run
/// that has not met them after this long (some 10× a normal run) fails.
const HANG_GUARD: Duration = Duration::from_secs(900);

/// The seed of this run's random choices: `PAPERDECK_CRASH_SEED` when set (to replay a run),
/// else a fresh one. Printed before anything happens, so a run that hangs or panics shows it.
fn seed(test: &str) -> StdRng {
    let seed = match std::env::var("PAPERDECK_CRASH_SEED") {
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("PAPERDECK_CRASH_SEED={s:?} is not a u64")),
        Err(_) => rand::rng().random(),
    };
    println!("{test}: seed {seed} (replay with PAPERDECK_CRASH_SEED={seed})");
    StdRng::seed_from_u64(seed)
}

// ---------------------------------------------------------------------------------------------
// The binary and its process

fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

async fn open_db(path: &Path) -> sqlx::SqlitePool {
    // read-write, so that SQLite can recover the WAL left by a kill
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false);
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .expect("open the database")
}

async fn integrity(pool: &sqlx::SqlitePool) -> Vec<String> {
    sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(pool)
        .await
        .expect("integrity_check")
}

// ---------------------------------------------------------------------------------------------
// Learners and the question form

/// The question form on `page` with some valid answer, or `None` when there is no question.
fn answer_fields(page: &Page) -> Option<Vec<(String, String)>> {
    Question::parse(&page.body).map(|q| q.some_answer())
}

struct Learner {
    name: String,
    client: reqwest::Client,
    /// The concepts she unlocked, for `/quiz?concept=` when the daily quiz and practice are done.
    concepts: Vec<String>,
}

impl Learner {
    fn new(name: String) -> Learner {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        Learner {
            name,
            client,
            concepts: Vec::new(),
        }
    }

    async fn get(&self, base: &str, path: &str) -> Result<Page, reqwest::Error> {
        let res = self.client.get(format!("{base}{path}")).send().await?;
        Page::read(res).await
    }

    async fn post(
        &self,
        base: &str,
        path: &str,
        form: &[(String, String)],
    ) -> Result<Page, reqwest::Error> {
        let res = self
            .client
            .post(format!("{base}{path}"))
            .form(form)
            .send()
            .await?;
        Page::read(res).await
    }

    async fn csrf(&self, base: &str, path: &str) -> String {
        self.get(base, path).await.expect("GET").csrf()
    }

    async fn sign_up_and_read(&mut self, base: &str, papers: &[&str]) {
        let csrf = self.csrf(base, "/signup").await;
        let form = [
            ("csrf", csrf.as_str()),
            ("username", &self.name),
            ("password", PW),
            ("password_confirm", PW),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let res = self.post(base, "/signup", &form).await.expect("signup");
        assert_eq!(res.status, 303, "signup {}: {}", self.name, res.body);
        let content = paperdeck::content::embedded().expect("content");
        for slug in papers {
            let csrf = self.csrf(base, &format!("/papers/{slug}")).await;
            let res = self
                .post(
                    base,
                    &format!("/papers/{slug}/read"),
                    &[("csrf".to_string(), csrf)],
                )
                .await
                .expect("mark read");
            assert_eq!(res.status, 303, "read {slug}");
            for c in &content.paper(slug).expect("paper").concepts {
                if !self.concepts.contains(c) {
                    self.concepts.push(c.clone());
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The load

#[derive(Default)]
struct Tally {
    /// POSTs of an answer sent.
    sent: AtomicU64,
    /// (learner index, review id) of every acknowledged answer.
    acked: Mutex<Vec<(usize, i64)>>,
    /// Per learner: answers sent whose response never came (the kill may or may not have let
    /// them commit).
    unknown: Mutex<Vec<u64>>,
    /// Status of every answer POST that got a response.
    statuses: Mutex<BTreeMap<u16, u64>>,
    /// Responses of 500 and above, to any request.
    server_errors: Mutex<Vec<String>>,
}

/// One learner answering as fast as the server lets her, until `stop`.
async fn answer_loop(
    idx: usize,
    learner: Arc<Learner>,
    base: String,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
    deadline: Instant,
) {
    // 0: the daily quiz; 1: extra practice; 2: practice of one concept, round robin
    let mut mode = 0usize;
    let mut next_concept = 0usize;
    let pause = Duration::from_millis(15);
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let path = match mode {
            0 => "/quiz".to_string(),
            1 => "/quiz?mode=practice".to_string(),
            _ => format!(
                "/quiz?concept={}",
                learner.concepts[next_concept % learner.concepts.len()]
            ),
        };
        let page = match learner.get(&base, &path).await {
            Ok(p) => p,
            Err(_) => {
                tokio::time::sleep(pause).await;
                continue;
            }
        };
        if page.status >= 500 {
            tally
                .server_errors
                .lock()
                .unwrap()
                .push(format!("GET {path} as {}: {}", learner.name, page.status));
            tokio::time::sleep(pause).await;
            continue;
        }
        let Some(fields) = (if page.status == 200 {
            answer_fields(&page)
        } else {
            None
        }) else {
            // the daily quiz is done, or this concept is not available: try the next source
            if mode < 2 {
                mode += 1;
            } else {
                next_concept += 1;
            }
            continue;
        };
        if mode == 2 {
            next_concept += 1;
        }
        tally.sent.fetch_add(1, Ordering::Relaxed);
        match learner.post(&base, ANSWER, &fields).await {
            Ok(res) => {
                *tally
                    .statuses
                    .lock()
                    .unwrap()
                    .entry(res.status)
                    .or_default() += 1;
                if res.status >= 500 {
                    tally.server_errors.lock().unwrap().push(format!(
                        "POST /quiz/answer as {}: {}",
                        learner.name, res.status
                    ));
                }
                if let Some(id) = res.feedback_id() {
                    tally.acked.lock().unwrap().push((idx, id));
                }
            }
            Err(_) => {
                tally.unknown.lock().unwrap()[idx] += 1;
                tokio::time::sleep(pause).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledged_answer_survives_sigkill() {
    let started = Instant::now();
    let mut rng = seed("crash");
    let bin = release_binary();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::new(&bin, dir.path());
    let http = plain_client();
    server.start(&http).await;
    let base = server.base();

    // Learners, each with a few papers read.
    let papers = [
        "instructgpt",
        "chinchilla",
        "palm",
        "chain-of-thought",
        "bloom",
        "alphacode",
        "gpt-4",
        "llama",
        "llama-2",
        "qlora",
    ];
    let mut learners = Vec::new();
    for i in 0..LEARNERS {
        let mut l = Learner::new(format!("crash{i}"));
        let read: Vec<&str> = (0..4).map(|k| papers[(i * 3 + k) % papers.len()]).collect();
        l.sign_up_and_read(&base, &read).await;
        learners.push(Arc::new(l));
    }

    let tally = Arc::new(Tally::default());
    *tally.unknown.lock().unwrap() = vec![0; LEARNERS];
    let stop = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + HANG_GUARD;
    let tasks: Vec<_> = learners
        .iter()
        .enumerate()
        .map(|(i, l)| {
            tokio::spawn(answer_loop(
                i,
                l.clone(),
                base.clone(),
                tally.clone(),
                stop.clone(),
                deadline,
            ))
        })
        .collect();

    // Kill at random moments under load; restart on the same database each time. The kills
    // stop at MAX_KILLS; the load goes on until MIN_ACKED answers were acknowledged.
    let mut kills = 0usize;
    let mut restart_times = Vec::new();
    let acked_now = || tally.acked.lock().unwrap().len();
    while kills < MAX_KILLS && !(kills >= MIN_KILLS && acked_now() >= MIN_ACKED) {
        assert!(
            Instant::now() < deadline,
            "hang guard: after {HANG_GUARD:?}, {kills} kills and {} answers acknowledged",
            acked_now()
        );
        let run = Duration::from_millis(rng.random_range(150..1200));
        tokio::time::sleep(run).await;
        server.kill();
        kills += 1;
        // down for a moment: clients see refused connections
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..100))).await;
        restart_times.push(server.start(&http).await);
    }
    while acked_now() < MIN_ACKED {
        assert!(
            Instant::now() < deadline,
            "hang guard: after {HANG_GUARD:?}, only {} answers acknowledged",
            acked_now()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A little more load after the last restart, then stop the clients.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.expect("client task");
    }

    // The server that came back serves the acknowledged answers to their learners.
    let acked: Vec<(usize, i64)> = tally.acked.lock().unwrap().clone();
    let mut served = 0;
    for (idx, id) in acked.iter().rev().take(40) {
        let page = learners[*idx]
            .get(&base, &format!("/quiz/feedback/{id}"))
            .await
            .expect("feedback");
        assert_eq!(page.status, 200, "feedback {id} for learner {idx}");
        served += 1;
    }
    // End with one more kill: the checks below read the database as the crash left it.
    server.kill();

    let pool = open_db(&server.db_path()).await;
    let integrity = integrity(&pool).await;
    let fk: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT \"table\", rowid FROM pragma_foreign_key_check")
            .fetch_all(&pool)
            .await
            .expect("foreign_key_check");
    let ids_by_name: HashMap<String, i64> = sqlx::query_as("SELECT username, id FROM learners")
        .fetch_all(&pool)
        .await
        .expect("learners")
        .into_iter()
        .collect();
    let rows: Vec<(i64, i64, String, i64)> =
        sqlx::query_as("SELECT id, learner_id, concept_slug, version_after FROM reviews")
            .fetch_all(&pool)
            .await
            .expect("reviews");
    let duplicates: Vec<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT learner_id, concept_slug, version_after, COUNT(*) FROM reviews
         GROUP BY learner_id, concept_slug, version_after HAVING COUNT(*) > 1",
    )
    .fetch_all(&pool)
    .await
    .expect("duplicates");
    // With no undo and no re-grading, a concept's version counts its reviews, and the reviews
    // carry versions 1..=version: the state update and the review row committed together.
    let torn: Vec<(i64, String, i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT s.learner_id, s.concept_slug, s.version, COUNT(r.id), MAX(r.version_after)
         FROM concept_states s LEFT JOIN reviews r
           ON r.learner_id = s.learner_id AND r.concept_slug = s.concept_slug
         GROUP BY s.learner_id, s.concept_slug
         HAVING s.version != COUNT(r.id) OR s.version != COALESCE(MAX(r.version_after), 0)",
    )
    .fetch_all(&pool)
    .await
    .expect("states");
    pool.close().await;

    let by_id: HashMap<i64, i64> = rows.iter().map(|r| (r.0, r.1)).collect();
    let mut problems = Vec::new();
    let mut found = 0usize;
    let mut distinct = HashSet::new();
    for (idx, id) in &acked {
        if !distinct.insert(*id) {
            problems.push(format!("review id {id} was acknowledged twice"));
        }
        let learner_id = ids_by_name.get(&learners[*idx].name).copied();
        match by_id.get(id) {
            None => problems.push(format!(
                "acknowledged review {id} of {} is missing",
                learners[*idx].name
            )),
            Some(owner) if Some(*owner) != learner_id => problems.push(format!(
                "review {id} was acknowledged to {} but belongs to learner {owner}",
                learners[*idx].name
            )),
            Some(_) => found += 1,
        }
    }
    let unknown = tally.unknown.lock().unwrap().clone();
    let mut extra_rows = 0usize;
    for (idx, l) in learners.iter().enumerate() {
        let Some(lid) = ids_by_name.get(&l.name) else {
            problems.push(format!("learner {} is missing", l.name));
            continue;
        };
        let in_db = rows.iter().filter(|r| r.1 == *lid).count();
        let acked_here = acked.iter().filter(|a| a.0 == idx).count();
        let extra = in_db.saturating_sub(acked_here);
        extra_rows += extra;
        if extra as u64 > unknown[idx] {
            problems.push(format!(
                "{}: {in_db} reviews stored, {acked_here} acknowledged, but only {} answers \
                 were lost in a kill",
                l.name, unknown[idx]
            ));
        }
    }
    if !duplicates.is_empty() {
        problems.push(format!("duplicate reviews: {duplicates:?}"));
    }
    if !torn.is_empty() {
        problems.push(format!(
            "concept states out of line with their reviews (learner, concept, version, reviews, max version_after): {torn:?}"
        ));
    }
    if integrity != ["ok"] {
        problems.push(format!("integrity_check: {integrity:?}"));
    }
    if !fk.is_empty() {
        problems.push(format!("foreign_key_check: {fk:?}"));
    }
    let server_errors = tally.server_errors.lock().unwrap().clone();
    if !server_errors.is_empty() {
        problems.push(format!("server errors: {server_errors:?}"));
    }

    let sent = tally.sent.load(Ordering::Relaxed);
    let lost: u64 = unknown.iter().sum();
    let statuses = tally.statuses.lock().unwrap().clone();
    let slowest_restart = restart_times.iter().max().copied().unwrap_or_default();
    println!(
        "crash: {sent} answers sent, {} acknowledged, {found} found in the database \
         ({} rows; {extra_rows} extra from {lost} answers whose response was lost in a kill), \
         {kills} SIGKILLs under load, {} starts (slowest restart {} ms), answer statuses {statuses:?}, \
         {served} feedback pages re-read after restart, {:.1} s",
        acked.len(),
        rows.len(),
        server.starts,
        slowest_restart.as_millis(),
        started.elapsed().as_secs_f64()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(kills >= MIN_KILLS, "only {kills} kills");
}

// ---------------------------------------------------------------------------------------------
// Kills during start-up

async fn cards_and_integrity(db: &Path) -> (i64, Vec<String>) {
    let pool = open_db(db).await;
    let cards: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cards")
        .fetch_one(&pool)
        .await
        .expect("cards");
    let ok = integrity(&pool).await;
    pool.close().await;
    (cards, ok)
}

/// Starts `s` normally and stops it again; what is wrong with its database then, compared with
/// a clean start's `clean_cards`, if anything.
async fn recovered(s: &mut Server, http: &reqwest::Client, clean_cards: i64) -> Option<String> {
    s.start(http).await;
    s.kill();
    let (cards, ok) = cards_and_integrity(&s.db_path()).await;
    (cards != clean_cards || ok != ["ok"])
        .then(|| format!("{cards} cards (clean start: {clean_cards}), integrity {ok:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_killed_at_any_moment_recovers() {
    let started = Instant::now();
    let mut rng = seed("startup");
    let bin = release_binary();
    let http = plain_client();
    // A clean start takes some 25 ms in release: every millisecond of it, then later moments.
    let delays_ms: Vec<u64> = (0..=30).chain([40, 50, 75, 100, 150, 200]).collect();

    // A clean start gives the reference number of cards.
    let clean_dir = tempfile::tempdir().expect("tempdir");
    let mut clean = Server::new(&bin, clean_dir.path());
    let clean_start = clean.start(&http).await;
    clean.kill();
    let (clean_cards, ok) = cards_and_integrity(&clean.db_path()).await;
    assert_eq!(ok, ["ok"]);
    assert!(clean_cards > 0, "a clean start stores the cards");

    let mut kills = 0;
    let mut problems = Vec::new();

    // (1) One fresh database per delay: killed once while starting, then started normally.
    for &d in &delays_ms {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = Server::new(&bin, dir.path());
        s.spawn();
        tokio::time::sleep(Duration::from_millis(d)).await;
        s.kill();
        kills += 1;
        if let Some(wrong) = recovered(&mut s, &http, clean_cards).await {
            problems.push(format!("killed {d} ms into a first start: then {wrong}"));
        }
    }

    // (2) One database killed again and again while starting, at every delay (with jitter),
    //     then started normally.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Server::new(&bin, dir.path());
    for &d in delays_ms.iter().chain(delays_ms.iter().rev()) {
        s.spawn();
        let jitter = rng.random_range(0..=d / 4 + 1);
        tokio::time::sleep(Duration::from_millis(d + jitter)).await;
        s.kill();
        kills += 1;
    }
    if let Some(wrong) = recovered(&mut s, &http, clean_cards).await {
        let kills = delays_ms.len() * 2;
        problems.push(format!("after {kills} kills while starting: {wrong}"));
    }

    println!(
        "startup: {kills} SIGKILLs during start-up (0–200 ms), every restart healthy, \
         {clean_cards} cards as after a clean start ({} ms), {:.1} s",
        clean_start.as_millis(),
        started.elapsed().as_secs_f64()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
