//! Her slips in a real browser (issue 20 §1; learner review 2026-12-06, S1, B1 and B11), at
//! desktop size and at phone size (390 × 844), each time as a new learner who signed up and
//! marked two papers read:
//!
//! 1. a double click on an answer button;
//! 2. Back and the same answer sent again, then Back and another answer: the first one stands;
//! 3. one question open in two tabs, answered in both;
//! 4. the feedback page reloaded;
//! 5. logged out in another tab, then the question left open in this one answered;
//! 6. her session expired (its row set back past the 30 idle days), then an answer;
//! 7. B11 (its own test, at desktop size only): from a feedback page to 回到原文 and Back, then
//!    Enter: it continues the quiz, as the feedback page's shortcut says (回车继续), and does
//!    not follow 回到原文 again.
//!
//! After every step the page must be a useful one: a document that came with no error status,
//! not an error page, a headline, and her name in the header while she is logged in; and the
//! database must hold one review per question answered. The HTTP-level twins of these slips
//! are in `slips.rs`; this test adds what only a browser does (its Back, its tabs, its script).
//!
//! The server runs with its cache off (`PAPERDECK_CACHE_TTL_SECS=0`), so that a session set
//! back in the database is read as it is, as it would be after the days an expiry takes.

use crate::browser::{
    browser, keep_screenshots, mark_read, reviews, serve_and_drive_with, sign_up, text_of,
    wait_css, Session, PW,
};
use crate::common;
use fantoccini::actions::{
    InputSource, KeyAction, KeyActions, MouseActions, PointerAction, MOUSE_BUTTON_LEFT,
};
use fantoccini::Locator;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const AGAIN: &str = "这道题你刚才已经答过了，这是当时的结果";
const MOVED: &str = "那次回答没有记录";
const ENTER: char = '\u{E007}';

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Options to pick from (单选题, 哪篇论文), then 提交答案.
    Choice,
    TrueFalse,
    Fill,
    Recall,
}

/// One learner's pass through the slips.
struct Slips {
    s: Session,
    db: PathBuf,
    user: &'static str,
    /// The reviews the database must hold: those before her pass, and one per question she
    /// answered.
    reviews: i64,
}

/// What a feedback page shows: its path (`/quiz/feedback/{id}`), verdict and her answer.
#[derive(Debug, PartialEq)]
struct Feedback {
    path: String,
    verdict: String,
    answer: String,
}

impl Slips {
    /// A screenshot, then a panic that says where it was taken.
    async fn fail(&mut self, step: &str, why: String) {
        self.s.shot(step).await;
        let text: String = self.s.text().await.chars().take(600).collect();
        panic!(
            "[{}] step {step}: {why}; screenshots in {}\n---\n{text}",
            self.s.label,
            self.s.shots.display()
        );
    }

    /// The path and query of the page shown.
    async fn path(&self) -> String {
        match self.s.c.current_url().await {
            Ok(u) => match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_string(),
            },
            Err(_) => String::new(),
        }
    }

    /// Waits (up to 10 s) for a page whose path is not `from`; returns its path.
    async fn left(&self, from: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let path = self.path().await;
            if path != from || Instant::now() > deadline {
                return path;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// After each step: the page is a useful one and the database holds the reviews expected
    /// (see the module doc).
    async fn check(&mut self, step: &str, logged_in: bool) {
        let v = self
            .s
            .c
            .execute(
                r#"const nav = performance.getEntriesByType('navigation')[0];
                   const who = document.querySelector('header.site a.who');
                   const h1 = document.querySelector('h1');
                   return [nav ? (nav.responseStatus || 0) : 0,
                           document.querySelector('.error-page') !== null,
                           who ? who.textContent.trim() : null,
                           h1 ? h1.textContent.trim() : ''];"#,
                vec![],
            )
            .await
            .expect("page script");
        let status = v[0].as_i64().unwrap_or(0);
        let who = v[2].as_str();
        let text = self.s.text().await;
        let path = self.path().await;
        let mut problems = Vec::new();
        if status >= 400 {
            problems.push(format!("{path} came with HTTP status {status}"));
        }
        if v[1] == true {
            problems.push(format!("{path} is an error page"));
        }
        // Chromium's own pages for a failed load.
        if text.contains("HTTP ERROR") || text.contains("ERR_") {
            problems.push(format!("{path} is the browser's error page"));
        }
        if v[3].as_str().unwrap_or("").is_empty() {
            problems.push(format!("{path} has no headline"));
        }
        match (logged_in, who) {
            (true, Some(w)) if w == self.user => {}
            (false, None) => {}
            (true, _) => problems.push(format!("{path}: her name is not in the header ({who:?})")),
            (false, Some(w)) => problems.push(format!("{path}: still logged in as {w}")),
        }
        let stored = reviews(&self.db).await;
        if stored != self.reviews {
            problems.push(format!(
                "{stored} reviews stored, {} expected (one per question answered)",
                self.reviews
            ));
        }
        if !problems.is_empty() {
            self.fail(step, problems.join("; ")).await;
        }
        println!("[{}] {step}: {path} ok", self.s.label);
    }

    /// Opens today's next question (extra practice when today's are done): its kind and card.
    async fn open_question(&mut self, step: &str) -> (Kind, String) {
        for path in ["/quiz", "/quiz?mode=practice"] {
            self.s.go(path).await;
            if let Some(found) = self.question().await {
                return found;
            }
        }
        self.fail(step, "no question to answer".into()).await;
        unreachable!()
    }

    /// The kind and card of the question on the page, if there is one.
    async fn question(&self) -> Option<(Kind, String)> {
        let c = &self.s.c;
        let card = c
            .find(Locator::Css("form.question input[name=card]"))
            .await
            .ok()?
            .attr("value")
            .await
            .ok()
            .flatten()?;
        let has = |css: &'static str| async move { c.find(Locator::Css(css)).await.is_ok() };
        let kind = if has("form.question input[type=radio]").await {
            Kind::Choice
        } else if has("form.question button[name=answer]").await {
            Kind::TrueFalse
        } else if has("form.question details.reveal").await {
            Kind::Recall
        } else {
            Kind::Fill
        };
        Some((kind, card))
    }

    /// Answers the question on the page: `variant` 0 or 1 picks one of two different answers;
    /// `double` presses the button that sends it twice, as a real double click.
    async fn answer(&mut self, kind: Kind, variant: usize, double: bool) {
        let send = match kind {
            Kind::Choice => {
                let options = self
                    .s
                    .c
                    .find_all(Locator::Css("form.question label.option"))
                    .await
                    .expect("options");
                options[variant].click().await.expect("pick an option");
                "form.question button[data-enter]"
            }
            Kind::TrueFalse => [
                "form.question button[name=answer][value=true]",
                "form.question button[name=answer][value=false]",
            ][variant],
            Kind::Fill => {
                let typed = ["一个肯定不对的答案", "另一个答案"][variant];
                self.s.fill("#answer", typed).await;
                "form.question button[type=submit]:not([name])"
            }
            Kind::Recall => {
                if self
                    .s
                    .c
                    .find(Locator::Css("details.reveal:not([open])"))
                    .await
                    .is_ok()
                {
                    self.s.click("details.reveal summary").await;
                }
                [
                    "form.question button[name=grade][value='3']",
                    "form.question button[name=grade][value='1']",
                ][variant]
            }
        };
        let button = self.s.c.find(Locator::Css(send)).await.expect(send);
        if !double {
            button.click().await.expect("send the answer");
            return;
        }
        self.s
            .c
            .execute(
                "arguments[0].scrollIntoView({ block: 'center' })",
                vec![serde_json::to_value(&button).expect("element")],
            )
            .await
            .expect("scroll");
        let press = || {
            [
                PointerAction::Down {
                    button: MOUSE_BUTTON_LEFT,
                },
                PointerAction::Up {
                    button: MOUSE_BUTTON_LEFT,
                },
            ]
        };
        let mut mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
            element: button,
            duration: None,
            x: 0.0,
            y: 0.0,
        });
        for a in press().into_iter().chain(press()) {
            mouse = mouse.then(a);
        }
        self.s.c.perform_actions(mouse).await.expect("double click");
        let _ = self.s.c.release_actions().await;
    }

    /// Waits for a feedback page, `again` (the answer recorded before, told so) or not; checks
    /// it and returns what it shows.
    async fn feedback(&mut self, step: &str, again: bool) -> Feedback {
        if !wait_css(&self.s.c, "section.feedback h1.verdict").await {
            self.fail(step, "no feedback page".into()).await;
        }
        let text = self.s.text().await;
        if text.contains(AGAIN) != again {
            let why = if again {
                format!("the feedback page does not say {AGAIN:?}")
            } else {
                format!("a new answer's feedback says {AGAIN:?}")
            };
            self.fail(step, why).await;
        }
        self.check(step, true).await;
        let path = self.path().await;
        let of = |css: &'static str| text_of(&self.s.c, css);
        Feedback {
            path: path.split('?').next().unwrap_or_default().to_string(),
            verdict: of("section.feedback h1.verdict").await,
            answer: of("section.feedback dl.result dd").await,
        }
    }

    /// Back to the question page: the same question as answered, `card`, from the browser's
    /// history (a page fetched again would show the next question).
    async fn back_to_question(&mut self, step: &str, card: &str) {
        self.s.c.back().await.expect("back");
        if !wait_css(&self.s.c, "form.question").await {
            self.fail(step, "Back did not come to the question".into())
                .await;
        }
        match self.question().await {
            Some((_, shown)) if shown == card => {}
            other => {
                let why = format!("Back shows question {other:?}, not card {card}");
                self.fail(step, why).await;
            }
        }
    }

    /// Sent to log in (the answer she sent is not stored): logs in there and is back where she
    /// was, logged in.
    async fn sent_to_log_in(&mut self, step: &str) {
        if !wait_css(&self.s.c, "form[action='/login']").await {
            self.fail(step, "not sent to log in".into()).await;
        }
        self.check(step, false).await;
        self.s.fill("#username", self.user).await;
        self.s.fill("#password", PW).await;
        self.s
            .click("form[action='/login'] button[type=submit]")
            .await;
        if !wait_css(&self.s.c, "header.site a.who").await {
            self.fail(step, "logging in again failed".into()).await;
        }
        let path = self.path().await;
        if !path.starts_with("/quiz") {
            self.fail(
                step,
                format!("after logging in she is at {path}, not the quiz"),
            )
            .await;
        }
        self.check(&format!("{step}-logged-in-again"), true).await;
    }

    /// Sets her log-in sessions back past the 30 idle days (and the 90 of any session's life).
    async fn expire_her_sessions(&self) {
        let pool = sqlx::SqlitePool::connect_with(
            sqlx::sqlite::SqliteConnectOptions::new().filename(&self.db),
        )
        .await
        .expect("db");
        let back = 91 * 86_400;
        let done = sqlx::query(
            "UPDATE login_sessions SET last_seen_at = last_seen_at - ?1, created_at = created_at - ?1
             WHERE learner_id = (SELECT id FROM learners WHERE username = ?2)",
        )
        .bind(back)
        .bind(self.user)
        .execute(&pool)
        .await
        .expect("set her session back");
        pool.close().await;
        assert_eq!(done.rows_affected(), 1, "her one session");
    }
}

/// A new learner who signed up and marked two papers read, with questions waiting.
async fn set_up(x: &mut Slips) {
    sign_up(&mut x.s, x.user).await;
    mark_read(&mut x.s, "chinchilla").await;
    mark_read(&mut x.s, "palm").await;
    x.check("0-signed-up", true).await;
}

/// Slips 1–6.
async fn slips(x: &mut Slips) {
    // 1. A double click on the button that sends the answer: one answer, and its own feedback
    // (the script sends a form once, so the second press is not an answer sent again).
    let (kind, _) = x.open_question("1-question").await;
    x.answer(kind, 0, true).await;
    x.reviews += 1;
    x.feedback("1-double-click", false).await;

    // 2. Back and the same answer again; Back and another answer: the first one stands.
    let (kind, card) = x.open_question("2-question").await;
    x.answer(kind, 0, false).await;
    x.reviews += 1;
    let first = x.feedback("2-answered", false).await;
    println!("[{}] 2: a question of kind {kind:?}", x.s.label);
    x.back_to_question("2-back", &card).await;
    x.answer(kind, 0, false).await;
    let same = x.feedback("2-same-again", true).await;
    x.back_to_question("2-back-again", &card).await;
    x.answer(kind, 1, false).await;
    let other = x.feedback("2-other-answer", true).await;
    if same != first || other != first {
        let why = format!("the first answer {first:?} did not stand: {same:?}, then {other:?}");
        x.fail("2-other-answer", why).await;
    }

    // 3. The same question in two tabs, answered in both: the second lands on the answer
    // recorded, or on the quiz gone on without it.
    let (kind, card) = x.open_question("3-question").await;
    let here = x.path().await;
    let tab_a = x.s.c.window().await.expect("window");
    let tab_b = x.s.c.new_window(true).await.expect("new tab").handle;
    x.s.c.switch_to_window(tab_b.clone()).await.expect("tab b");
    x.s.go(&here).await;
    if x.question().await.map(|q| q.1) != Some(card.clone()) {
        x.fail(
            "3-tab-b",
            format!("the second tab does not show card {card}"),
        )
        .await;
    }
    x.s.c.switch_to_window(tab_a.clone()).await.expect("tab a");
    x.answer(kind, 0, false).await;
    x.reviews += 1;
    x.feedback("3-tab-a-answered", false).await;
    x.s.c.switch_to_window(tab_b.clone()).await.expect("tab b");
    x.answer(kind, 1, false).await;
    let page = x.s.wait_for_any(&[AGAIN, MOVED]).await;
    if page.contains(AGAIN) {
        x.feedback("3-tab-b-answered", true).await;
    } else if page.contains(MOVED) {
        x.check("3-tab-b-answered", true).await;
    } else {
        x.fail(
            "3-tab-b-answered",
            "neither the answer recorded nor the quiz gone on".into(),
        )
        .await;
    }

    // 4. The feedback page reloaded (Chromium is run with --disable-prompt-on-repost, so a
    // reloaded POST would be sent again without asking).
    x.s.c.switch_to_window(tab_a.clone()).await.expect("tab a");
    let shown = x.path().await;
    x.s.c.refresh().await.expect("reload");
    let reloaded = x.feedback("4-reloaded", false).await;
    if !shown.starts_with(&reloaded.path) {
        x.fail(
            "4-reloaded",
            format!("{shown} reloaded as {}", reloaded.path),
        )
        .await;
    }

    // 5. Logged out in the other tab mid-quiz, then the question open here answered.
    let (kind, _) = x.open_question("5-question").await;
    x.s.c.switch_to_window(tab_b.clone()).await.expect("tab b");
    x.s.go("/").await;
    x.s.click("form[action='/logout'] button").await;
    if !wait_css(&x.s.c, "header.site a[href='/login']").await {
        x.fail("5-logged-out", "logging out failed".into()).await;
    }
    x.check("5-logged-out", false).await;
    x.s.c.close_window().await.expect("close tab b");
    x.s.c.switch_to_window(tab_a).await.expect("tab a");
    x.answer(kind, 0, false).await;
    x.sent_to_log_in("5-answer-logged-out").await;

    // 6. Her session expired while a question was open.
    let (kind, _) = x.open_question("6-question").await;
    x.expire_her_sessions().await;
    x.answer(kind, 0, false).await;
    x.sent_to_log_in("6-answer-expired").await;
}

/// Slip 7, B11: 回到原文 from a feedback page, Back, then Enter. Its own test, so that it can
/// fail on an older build for its own reason (`bench/learner-bugs-c7985f2.md`), not at slip 1.
async fn b11(x: &mut Slips) {
    let (kind, _) = x.open_question("7-question").await;
    x.answer(kind, 0, false).await;
    x.reviews += 1;
    let fb = x.feedback("7-feedback", false).await;
    // A mark on the page's window survives only if Back restores this very page.
    x.s.c
        .execute("window.__leftFrom = 1", vec![])
        .await
        .expect("script runs");
    x.s.click("section.feedback a[href^='/papers/']").await;
    let source = x.left(&fb.path).await;
    if !source.starts_with("/papers/") {
        x.fail("7-source", format!("回到原文 went to {source}"))
            .await;
    }
    x.check("7-source", true).await;
    x.s.c.back().await.expect("back");
    if !wait_css(&x.s.c, "section.feedback").await {
        x.fail("7-back", "Back did not come to the feedback page".into())
            .await;
    }
    let v =
        x.s.c
            .execute(
                "const a = document.activeElement;
             return [window.__leftFrom === 1, a.tagName + ' ' + (a.getAttribute('href') || '')];",
                vec![],
            )
            .await
            .expect("script runs");
    println!(
        "[{}] B11: Back from 回到原文 {} the feedback page, focus on {}",
        x.s.label,
        if v[0] == true {
            "restored (back-forward cache)"
        } else {
            "loaded again"
        },
        v[1]
    );
    // Enter as the keyboard sends it, to whatever has the focus.
    let enter = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: ENTER })
        .then(KeyAction::Up { value: ENTER });
    x.s.c.perform_actions(enter).await.expect("enter");
    let to = x.left(&fb.path).await;
    if !to.starts_with("/quiz") || to.starts_with("/quiz/feedback") {
        let why = format!("Enter after Back went to {to}, not on with the quiz (focus on {v})");
        x.fail("7-enter", why).await;
    }
    x.check("7-enter", true).await;
}

/// Which slips a pass replays.
#[derive(Clone, Copy)]
enum Pass {
    Slips,
    B11,
}

/// Replays `pass` as a new learner at each size of `sizes` (label, width, height, phone, user).
async fn replay(pass: Pass, sizes: &[(&'static str, u32, u32, bool, &'static str)]) {
    let _turn = common::process::ONE_BROWSER_TEST_AT_A_TIME.lock().await;
    let env = [("PAPERDECK_CACHE_TTL_SECS", "0")];
    let Some((dir, shots, server, _driver, driver_port)) = serve_and_drive_with(&env).await else {
        return;
    };
    let keep = std::env::temp_dir().join("paperdeck-slips-screenshots");
    let started = Instant::now();
    for &(label, w, h, phone, user) in sizes {
        let profile = dir.path().join(format!("profile-{label}"));
        let c = browser(driver_port, w, h, &profile, true).await;
        let db = server.db_path();
        let mut x = Slips {
            s: Session {
                c,
                base: server.base(),
                shots: shots.clone(),
                label,
                step: 0,
                phone,
            },
            reviews: reviews(&db).await,
            db,
            user,
        };
        let run = tokio::spawn(async move {
            set_up(&mut x).await;
            match pass {
                Pass::Slips => slips(&mut x).await,
                Pass::B11 => b11(&mut x).await,
            }
            x
        })
        .await;
        match run {
            Ok(x) => {
                let _ = x.s.c.close().await;
            }
            Err(e) => {
                keep_screenshots(&shots, &keep);
                panic!(
                    "{label} pass failed (screenshots in {}): {e}\nserver log:\n{}",
                    keep.display(),
                    server.log_tail()
                );
            }
        }
        println!("{label} ({w}×{h}): ok");
    }
    println!("replayed in {:.0} s", started.elapsed().as_secs_f64());
}

#[tokio::test]
async fn her_slips_end_on_useful_pages_with_one_review_per_answer() {
    replay(
        Pass::Slips,
        &[
            ("slips-desktop", 1280, 900, false, "slips_desktop"),
            ("slips-phone", 390, 844, true, "slips_phone"),
        ],
    )
    .await;
}

/// B11 on the desktop, where Enter is a key she has.
#[tokio::test]
async fn b11_enter_after_back_from_the_source_goes_on_with_the_quiz() {
    replay(
        Pass::B11,
        &[("b11-desktop", 1280, 900, false, "b11_desktop")],
    )
    .await;
}
