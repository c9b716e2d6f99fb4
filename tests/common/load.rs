//! Learners answering as fast as a server lets them, and the tally of what it acknowledged: the
//! load of the tests that kill the server (tests/api/crash.rs) or restart its database
//! (tests/api/pg_restart.rs) while it serves.

use super::page::Page;
use super::quiz::{Question, ANSWER};
use super::PW;
use reqwest::redirect::Policy;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A client without cookies or redirects, for `/healthz` and the like.
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

/// The question form on `page` with some valid answer, or `None` when there is no question.
fn answer_fields(page: &Page) -> Option<Vec<(String, String)>> {
    Question::parse(&page.body).map(|q| q.some_answer())
}

pub struct Learner {
    pub name: String,
    client: reqwest::Client,
    /// The concepts she unlocked, for `/quiz?concept=` when the daily quiz and practice are done.
    concepts: Vec<String>,
}

impl Learner {
    pub fn new(name: String) -> Learner {
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

    pub async fn get(&self, base: &str, path: &str) -> Result<Page, reqwest::Error> {
        let res = self.client.get(format!("{base}{path}")).send().await?;
        Page::read(res).await
    }

    pub async fn post(
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

    pub async fn sign_up_and_read(&mut self, base: &str, papers: &[&str]) {
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

#[derive(Default)]
pub struct Tally {
    /// POSTs of an answer sent.
    pub sent: AtomicU64,
    /// (learner index, review id) of every acknowledged answer.
    pub acked: Mutex<Vec<(usize, i64)>>,
    /// Per learner: answers sent whose response never came (the kill may or may not have let
    /// them commit).
    pub unknown: Mutex<Vec<u64>>,
    /// Status of every answer POST that got a response.
    pub statuses: Mutex<BTreeMap<u16, u64>>,
    /// Responses of 500 and above, to any request: (status, what was asked).
    pub server_errors: Mutex<Vec<(u16, String)>>,
}

impl Tally {
    pub fn new(learners: usize) -> Tally {
        let t = Tally::default();
        *t.unknown.lock().unwrap() = vec![0; learners];
        t
    }

    pub fn acked(&self) -> Vec<(usize, i64)> {
        self.acked.lock().unwrap().clone()
    }

    fn server_error(&self, status: u16, what: String) {
        self.server_errors.lock().unwrap().push((status, what));
    }
}

/// One learner answering as fast as the servers let her, until `stop`. With several `bases`
/// (instances on one database) each question is fetched from one and answered on the next.
pub async fn answer_loop(
    idx: usize,
    learner: Arc<Learner>,
    bases: Vec<String>,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
    deadline: Instant,
) {
    // 0: the daily quiz; 1: extra practice; 2: practice of one concept, round robin
    let mut mode = 0usize;
    let mut next_concept = 0usize;
    let mut turn = 0usize;
    let pause = Duration::from_millis(15);
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        let base = &bases[turn % bases.len()];
        turn += 1;
        let path = match mode {
            0 => "/quiz".to_string(),
            1 => "/quiz?mode=practice".to_string(),
            _ => format!(
                "/quiz?concept={}",
                learner.concepts[next_concept % learner.concepts.len()]
            ),
        };
        let page = match learner.get(base, &path).await {
            Ok(p) => p,
            Err(_) => {
                tokio::time::sleep(pause).await;
                continue;
            }
        };
        if page.status >= 500 {
            tally.server_error(page.status, format!("GET {path} as {}", learner.name));
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
        let base = &bases[turn % bases.len()];
        match learner.post(base, ANSWER, &fields).await {
            Ok(res) => {
                *tally
                    .statuses
                    .lock()
                    .unwrap()
                    .entry(res.status)
                    .or_default() += 1;
                if res.status >= 500 {
                    tally.server_error(res.status, format!("POST {ANSWER} as {}", learner.name));
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

/// Starts one [`answer_loop`] per learner; they run until `stop` is set or `deadline` passes.
pub fn start_load(
    learners: &[Arc<Learner>],
    bases: &[String],
    tally: &Arc<Tally>,
    stop: &Arc<AtomicBool>,
    deadline: Instant,
) -> Vec<tokio::task::JoinHandle<()>> {
    learners
        .iter()
        .enumerate()
        .map(|(i, l)| {
            tokio::spawn(answer_loop(
                i,
                l.clone(),
                bases.to_vec(),
                tally.clone(),
                stop.clone(),
                deadline,
            ))
        })
        .collect()
}
