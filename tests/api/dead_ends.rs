//! No dead ends (issue 20 §1): for a learner at each of her edges (today's new concepts used
//! up, nothing due, a lapse pending, logged out mid-quiz, an expired session) every link of
//! every page is followed and every form of every page kind is sent as a browser would send it
//! (required fields filled, the first submit button pressed), and none may end on a 4xx or 5xx.
//! The only pages that may fail are those asked for by name, and a crawl never asks for one.

use crate::common::page::Page;
use crate::helpers::{spawn_app_with, TestApp};
use paperdeck::clock::Clock;
use scraper::{ElementRef, Html, Selector};
use std::collections::{BTreeSet, VecDeque};

const PW: &str = crate::common::PW;
const NEW_PW: &str = "another good long passphrase";
const USER: &str = "xiaowen";

/// Forms that end or change what the crawl stands on: sent last, in this order, each once.
const LAST: [&str; 6] = [
    "/account/password",
    "/account/logout-everywhere",
    "/logout",
    "/login",
    "/signup",
    "/account/delete",
];

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e:?}"))
}

/// The kind of page or form a path is: its route with the paper, concept or review named by a
/// placeholder, and without its query (a form is sent once per kind, not once per paper).
fn kind(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let segs: Vec<&str> = path.split('/').collect();
    let named = |i: usize| match segs.get(i.wrapping_sub(1)) {
        Some(&"papers" | &"concepts" | &"feedback") => Some("{}"),
        _ => None,
    };
    segs.iter()
        .enumerate()
        .map(|(i, s)| named(i).unwrap_or(s))
        .collect::<Vec<_>>()
        .join("/")
}

/// A form as a browser sends it: its action, its successful controls with every required
/// field filled in, and the first submit button's name and value.
struct Form {
    action: String,
    fields: Vec<(String, String)>,
    upload: bool,
}

impl Form {
    fn all(body: &str, password: &str) -> Vec<Form> {
        let doc = Html::parse_document(body);
        let forms: Vec<Form> = doc
            .select(&sel("form[method=post]"))
            .map(|f| Form::read(f, password))
            .collect();
        forms
    }

    fn read(form: ElementRef, password: &str) -> Form {
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut radios: Vec<String> = Vec::new();
        for e in form.select(&sel("input[name], textarea[name], select[name]")) {
            let el = e.value();
            let name = el.attr("name").unwrap_or_default().to_string();
            let value = el.attr("value").unwrap_or_default().to_string();
            let required = el.attr("required").is_some();
            match (el.name(), el.attr("type").unwrap_or("text")) {
                ("textarea", _) => fields.push((name, e.text().collect())),
                ("select", _) => {
                    let opt = e.select(&sel("option")).next();
                    let v = opt
                        .and_then(|o| o.value().attr("value"))
                        .unwrap_or_default();
                    fields.push((name, v.to_string()));
                }
                (_, "radio") if el.attr("checked").is_some() => fields.push((name, value)),
                (_, "radio") if required && !radios.contains(&name) => {
                    radios.push(name.clone());
                    fields.push((name, value));
                }
                (_, "radio" | "checkbox" | "submit" | "button" | "file") => {}
                (_, "password") if name.starts_with("new_password") => {
                    fields.push((name, NEW_PW.into()))
                }
                (_, "password") => fields.push((name, password.into())),
                (_, "number") if value.is_empty() => {
                    fields.push((name, el.attr("min").unwrap_or("1").into()))
                }
                _ if name == "username" => fields.push((name, USER.into())),
                _ if required && value.is_empty() => fields.push((name, "x".into())),
                _ => fields.push((name, value)),
            }
        }
        let button = form
            .select(&sel("button:not([type=button]), input[type=submit]"))
            .next();
        if let Some((n, v)) = button.and_then(|b| {
            let b = b.value();
            Some((b.attr("name")?, b.attr("value").unwrap_or_default()))
        }) {
            fields.push((n.into(), v.into()));
        }
        let action = form.value().attr("action").unwrap_or_default().to_string();
        if action == "/signup" {
            // Someone new: her own name is taken.
            fields = crate::common::quiz::set(&fields, "username", "newcomer");
        }
        Form {
            action,
            upload: form.select(&sel("input[type=file]")).next().is_some(),
            fields,
        }
    }
}

struct Crawl<'a> {
    app: &'a TestApp,
    password: String,
    queue: VecDeque<String>,
    seen: BTreeSet<String>,
    /// Form kinds sent: (page kind, action kind); the page is "" for the [`LAST`] forms.
    sent: BTreeSet<(String, String)>,
    /// (page, form action) to send, in the order met; the [`LAST`] ones wait for the end.
    forms: VecDeque<(String, String)>,
    last: Vec<(String, String)>,
    failures: Vec<String>,
    /// One page of each kind, as it was fetched (a stale copy for the logged-out edges).
    pages: Vec<(String, String)>,
    /// She is logged in for this crawl: a form that logs her out is followed by a log-in.
    logged_in: bool,
    /// Her recovery codes not used yet: the 忘记密码 form is sent with one, as she would.
    codes: Vec<String>,
    /// A code of hers reset her password on the way.
    recovered: bool,
}

impl<'a> Crawl<'a> {
    fn new(app: &'a TestApp, codes: &[String]) -> Crawl<'a> {
        Crawl {
            codes: codes.to_vec(),
            recovered: false,
            app,
            password: PW.into(),
            queue: VecDeque::new(),
            seen: BTreeSet::new(),
            sent: BTreeSet::new(),
            forms: VecDeque::new(),
            last: Vec::new(),
            failures: Vec::new(),
            pages: Vec::new(),
            logged_in: true,
        }
    }

    /// Follows every link from `start`, then sends every form kind met, following where each
    /// leads, then the [`LAST`] forms.
    async fn run(&mut self, start: &[&str]) {
        for s in start {
            self.enqueue(s);
        }
        self.drain().await;
        while let Some((page, action)) = self.forms.pop_front() {
            self.send_from(&page, &action).await;
            self.drain().await;
        }
        let last = std::mem::take(&mut self.last);
        for name in LAST {
            for (page, action) in last.iter().filter(|(_, a)| a == name) {
                self.send_from(page, action).await;
                self.drain().await;
            }
        }
    }

    fn enqueue(&mut self, href: &str) {
        let url = href.split('#').next().unwrap_or_default().to_string();
        if url.is_empty() || !url.starts_with('/') || url.starts_with("//") {
            return;
        }
        if !url.starts_with("/static/") && self.seen.insert(url.clone()) {
            self.queue.push_back(url);
        }
    }

    async fn drain(&mut self) {
        while let Some(url) = self.queue.pop_front() {
            let page = self.app.get(&url).await;
            self.check(&format!("GET {url}"), &page);
            self.read_page(&url, &page);
        }
    }

    fn check(&mut self, what: &str, page: &Page) {
        if page.status >= 400 {
            let headline = page.texts(".error-page h1 + p").join(" ");
            self.failures
                .push(format!("{what}: {} {headline}", page.status));
        }
    }

    /// Queues the links, the redirect and the forms of a page just fetched.
    fn read_page(&mut self, url: &str, page: &Page) {
        if let Some(to) = page.location.clone() {
            self.enqueue(&to);
        }
        if !page.header("content-type").starts_with("text/html") {
            return;
        }
        if !self.pages.iter().any(|(u, _)| kind(u) == kind(url)) {
            self.pages.push((url.to_string(), page.body.clone()));
        }
        let doc = Html::parse_document(&page.body);
        let hrefs: Vec<String> = doc
            .select(&sel("a[href]"))
            .filter_map(|a| a.value().attr("href").map(str::to_string))
            .collect();
        for href in hrefs {
            self.enqueue(&href);
        }
        for form in Form::all(&page.body, &self.password) {
            // The header's log-out is the same form on every page: one of each [`LAST`] form.
            let last = LAST.contains(&form.action.as_str());
            let on = if last { String::new() } else { kind(url) };
            if self.sent.insert((on, kind(&form.action))) {
                let item = (url.to_string(), form.action.clone());
                match last {
                    true => self.last.push(item),
                    false => self.forms.push_back(item),
                }
            }
        }
    }

    /// Sends the form posting to `action` from a fresh copy of `page` (its tokens current);
    /// nothing when the page no longer has it (an answer moved the quiz on).
    async fn send_from(&mut self, page: &str, action: &str) {
        let fresh = self.app.get(page).await;
        let body = fresh.body.clone();
        let form = Form::all(&body, &self.password)
            .into_iter()
            .find(|f| f.action == action);
        if let Some(form) = form {
            self.send(page, &form).await;
        }
    }

    async fn send(&mut self, page: &str, form: &Form) {
        let res = if form.upload {
            let json = self.app.get("/export/paperdeck.json").await;
            let csrf = crate::common::quiz::field(&form.fields, "csrf");
            crate::export::upload(self.app, Some(&csrf), json.body.as_bytes()).await
        } else {
            let mut fields = form.fields.clone();
            if form.action == "/recover" {
                let code = self.codes.pop().unwrap_or_default();
                fields = crate::common::quiz::set(&fields, "code", &code);
            }
            let pairs = crate::common::quiz::as_pairs(&fields);
            self.app.post(&form.action, &pairs).await
        };
        self.check(&format!("POST {} (from {page})", form.action), &res);
        let new_password = ["/account/password", "/recover"];
        if new_password.contains(&form.action.as_str()) && res.status < 400 {
            self.password = NEW_PW.into();
            self.recovered |= form.action == "/recover";
        }
        if let Some(to) = res.location.clone() {
            // Where a form leads is visited even when seen before: the state changed.
            self.seen.remove(to.split('#').next().unwrap_or_default());
        }
        self.read_page(page, &res);
        // A form that ended her session: log in again, so the next one is hers.
        let ended = ["/logout", "/account/logout-everywhere", "/account/password"];
        if self.logged_in && ended.contains(&form.action.as_str()) {
            let home = self.app.get("/").await;
            if !home.body.contains("退出") {
                let back = self.app.login(USER, &self.password).await;
                self.check("log in again", &back);
            }
        }
    }

    fn assert_clean(&self, edge: &str) {
        eprintln!(
            "{edge}: {} pages, forms sent: {:?}",
            self.seen.len(),
            self.sent
        );
        assert!(
            self.failures.is_empty(),
            "{edge}: {} dead ends after {} pages:\n{}",
            self.failures.len(),
            self.seen.len(),
            self.failures.join("\n")
        );
        assert!(
            self.seen.len() > 30,
            "{edge}: only {} pages",
            self.seen.len()
        );
    }
}

/// An app on a clock the test moves, with her signed up (her recovery codes kept) and `papers`
/// read.
async fn learner_with(papers: &[&str]) -> (TestApp, Clock, Vec<String>) {
    let clock = Clock::midday_shanghai();
    let app = spawn_app_with(|s| s.clock = clock.clone()).await;
    let codes = app.signup_with_codes(USER, PW).await;
    for slug in papers {
        let page = app.mark_read(slug).await;
        assert_eq!(page.status, 303, "{USER} reads {slug}: {}", page.body);
    }
    (app, clock, codes)
}

/// Answers the quiz right until it has nothing left for today; at most `n` questions.
async fn answer_all_right(app: &TestApp, n: usize) {
    for _ in 0..n {
        let q = app.get("/quiz").await;
        if q.form(crate::common::quiz::ANSWER).is_none() {
            return;
        }
        app.submit(&app.graded_fields(&q, true).await).await;
    }
    panic!("the quiz did not end after {n} right answers");
}

async fn crawl_as_learner(app: &TestApp, codes: &[String], edge: &str) {
    let mut crawl = Crawl::new(app, codes);
    crawl.run(&["/", "/quiz", "/quiz?mode=practice"]).await;
    crawl.assert_clean(edge);
}

#[tokio::test]
async fn no_dead_ends_with_todays_new_concepts_used_up() {
    // PaLM has 8 concepts, over the 5 new a day.
    let (app, _, codes) = learner_with(&["palm"]).await;
    answer_all_right(&app, 40).await;
    assert!(app.get("/quiz").await.body.contains("今天的任务完成了"));
    crawl_as_learner(&app, &codes, "new concepts used up").await;
}

#[tokio::test]
async fn no_dead_ends_with_nothing_due() {
    let (app, _, codes) = learner_with(&["chinchilla"]).await;
    answer_all_right(&app, 40).await;
    crawl_as_learner(&app, &codes, "nothing due").await;
}

#[tokio::test]
async fn no_dead_ends_with_a_lapse_pending() {
    let (app, clock, codes) = learner_with(&["chinchilla"]).await;
    answer_all_right(&app, 40).await;
    // Three weeks later (her session lasts 30 idle days) everything is due; the first one is
    // forgotten.
    clock.advance(21 * 86_400);
    let q = app.get("/quiz").await;
    app.submit(&app.graded_fields(&q, false).await).await;
    let lapses = "SELECT COUNT(*) FROM reviews WHERE correct = 0 AND review_kind = 'review'";
    assert_eq!(app.count(lapses).await, 1);
    crawl_as_learner(&app, &codes, "a lapse pending").await;
}

/// Mid-quiz (one answer given, its feedback seen), every page kind is fetched; then `end`
/// ends her session. Every form of those pages, sent now, and every link, followed now, must
/// still lead somewhere useful (the log-in page, which brings her back).
async fn crawl_after_the_session_ends(edge: &str, end: impl AsyncFnOnce(&TestApp, &Clock)) {
    let (app, clock, codes) = learner_with(&["qlora"]).await;
    app.submit(&app.some_answer().await).await;
    let mut before = Crawl::new(&app, &codes);
    before.run_links_only(&["/", "/quiz"]).await;
    end(&app, &clock).await;
    let mut after = Crawl::new(&app, &codes);
    after.logged_in = false;
    for (url, body) in &before.pages {
        for form in Form::all(body, PW) {
            if !LAST.contains(&form.action.as_str()) || form.action == "/logout" {
                after.send(url, &form).await;
            }
        }
    }
    after.run(&["/", "/quiz"]).await;
    after.failures.extend(before.failures);
    after.assert_clean(edge);
    assert!(
        after.seen.iter().any(|u| u.starts_with("/login")),
        "{edge}: she was sent to log in"
    );
    assert!(after.recovered, "{edge}: 忘记密码 was reached and used");
}

impl Crawl<'_> {
    /// Follows links only: the page of each kind is kept in `pages`, nothing is sent.
    async fn run_links_only(&mut self, start: &[&str]) {
        for s in start {
            self.enqueue(s);
        }
        self.drain().await;
    }
}

#[tokio::test]
async fn no_dead_ends_when_logged_out_mid_quiz() {
    crawl_after_the_session_ends("logged out mid-quiz", async |app: &TestApp, _: &Clock| {
        // Another tab logs out: this one still shows her pages, their tokens now stale.
        let other_tab = app.get("/").await;
        let out = app.post("/logout", &[("csrf", &other_tab.csrf())]).await;
        assert_eq!(out.status, 303);
    })
    .await;
}

#[tokio::test]
async fn no_dead_ends_after_the_session_expired() {
    crawl_after_the_session_ends("expired session", async |_: &TestApp, clock: &Clock| {
        // Longer than the 30 idle days a session lasts.
        clock.advance(31 * 86_400);
    })
    .await;
}
