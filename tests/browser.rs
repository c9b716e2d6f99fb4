//! End-to-end in a real browser: Debian's headless Chromium driven through chromedriver, against
//! the release binary on a loopback port. A learner signs up, reads a paper, answers questions of
//! several kinds (one wrong, one by keyboard only), undoes an answer, looks at her progress,
//! exports, and logs out — once at desktop size and once at phone size (390 × 844), where no page
//! may overflow horizontally and every button must be reachable.
//!
//! `.ci/run` installs chromium and chromium-driver. Without chromedriver the test fails under CI
//! (`CI` set) and is skipped with a message elsewhere.

use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn release_binary() -> PathBuf {
    // Always ask cargo: a no-op when the release binary is fresh, a rebuild when the sources
    // changed since, so the test never runs an old binary.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "paperdeck"])
        .current_dir(root)
        .status()
        .expect("run cargo build --release");
    assert!(status.success(), "cargo build --release failed");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = target.join("release/paperdeck");
    assert!(bin.exists(), "no release binary at {}", bin.display());
    bin
}

async fn wait_http(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if reqwest::get(url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} did not come up");
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.exists())
    })
}

/// The learner's session, with screenshots of every page when a step fails.
struct Session {
    c: Client,
    base: String,
    shots: PathBuf,
    label: &'static str,
    step: usize,
    phone: bool,
}

impl Session {
    async fn shot(&mut self, name: &str) {
        self.step += 1;
        if let Ok(png) = self.c.screenshot().await {
            let _ = std::fs::write(
                self.shots
                    .join(format!("{}-{:02}-{name}.png", self.label, self.step)),
                png,
            );
        }
    }

    async fn go(&mut self, path: &str) {
        self.c
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("goto");
        self.check_layout(path).await;
    }

    /// The visible text of the page; empty while a navigation replaces the document.
    async fn text(&self) -> String {
        match self.c.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits (up to 5 s) until the page shows one of `any`, and returns its text.
    async fn wait_for_any(&self, any: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = self.text().await;
            if any.iter().any(|a| text.contains(a)) || Instant::now() > deadline {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 5 s) for the page to show `what`: a click may still be navigating.
    async fn expect_text(&mut self, what: &str, step: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut text = self.text().await;
        while !text.contains(what) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            text = self.text().await;
        }
        if !text.contains(what) {
            self.shot(step).await;
            panic!(
                "[{}] step {step}: page does not show {what:?}; screenshots in {}\n---\n{text}",
                self.label,
                self.shots.display()
            );
        }
    }

    async fn click(&mut self, css: &str) {
        let el = match self.c.find(Locator::Css(css)).await {
            Ok(el) => el,
            Err(e) => {
                self.shot("missing-element").await;
                panic!(
                    "[{}] no element {css}: {e}; screenshots in {}",
                    self.label,
                    self.shots.display()
                );
            }
        };
        el.click().await.expect("click");
        let path = self
            .c
            .current_url()
            .await
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        self.check_layout(&path).await;
    }

    async fn fill(&mut self, css: &str, value: &str) {
        let el = self.c.find(Locator::Css(css)).await.expect(css);
        el.clear().await.expect("clear");
        el.send_keys(value).await.expect("type");
    }

    /// At phone size: the page must not scroll sideways, and every button must lie within the
    /// viewport's width.
    async fn check_layout(&mut self, path: &str) {
        if !self.phone {
            return;
        }
        let v = self
            .c
            .execute(
                r#"const w = window.innerWidth;
                   const over = document.documentElement.scrollWidth - w;
                   const bad = [...document.querySelectorAll('button, a.button, input[type=submit]')]
                     .filter(b => b.offsetParent !== null && !b.closest('details:not([open])'))
                     .filter(b => { const r = b.getBoundingClientRect(); return r.left < -1 || r.right > w + 1; })
                     .map(b => b.textContent.trim());
                   return [over, bad];"#,
                vec![],
            )
            .await
            .expect("layout script");
        let over = v[0].as_i64().unwrap_or(0);
        let bad = v[1].as_array().cloned().unwrap_or_default();
        if over > 0 || !bad.is_empty() {
            self.shot("overflow").await;
            panic!(
                "[{}] {path}: overflows by {over}px, buttons out of reach {bad:?}; screenshots in {}",
                self.label,
                self.shots.display()
            );
        }
    }
}

async fn browser(driver_port: u16, width: u32, height: u32, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.display()),
                format!("--window-size={width},{height}"),
            ]
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let c = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("chromedriver session");
    c.set_window_size(width, height).await.expect("window size");
    c
}

async fn learner_journey(s: &mut Session, username: &str) {
    const PW: &str = "correct horse battery";
    // Sign up.
    s.go("/signup").await;
    s.fill("#username", username).await;
    s.fill("#password", PW).await;
    s.fill("#password_confirm", PW).await;
    s.click("form.stack button[type=submit]").await;
    s.expect_text(username, "signed-up").await;
    s.expect_text("今天的学习", "home-plan").await;

    // Open a paper from the list and mark it read.
    s.go("/papers").await;
    s.click("a[href='/papers/chinchilla']").await;
    s.expect_text("训练计算最优", "paper").await;
    s.expect_text("关键数字", "paper-figures").await;
    s.click("#read button[type=submit]").await;
    s.expect_text("你已经读过这篇论文", "marked-read").await;

    // Answer questions: at least five, of at least two kinds, one wrong, one by keyboard only.
    let mut kinds = std::collections::BTreeSet::new();
    let (mut answered, mut wrong, mut keyboard) = (0, false, false);
    for _ in 0..25 {
        if answered >= 5 && kinds.len() >= 2 && wrong && keyboard {
            break;
        }
        s.go("/quiz").await;
        let page = s
            .wait_for_any(&[
                "今天第",
                "今天的任务完成了",
                "今天没有要复习的概念",
                "先读一篇论文",
            ])
            .await;
        if !page.contains("今天第") {
            if answered < 5 {
                s.shot("no-question").await;
                panic!(
                    "[{}] no question after {answered} answers; screenshots in {}\n---\n{page}",
                    s.label,
                    s.shots.display()
                );
            }
            break;
        }
        let kind = ["单选题", "填空题", "判断题", "哪篇论文", "自由回忆"]
            .into_iter()
            .find(|k| page.contains(k))
            .unwrap_or("?");
        match kind {
            "填空题" if !wrong => {
                s.fill("#answer", "一个肯定不对的答案").await;
                s.click("form.question button[type=submit]:not([name])")
                    .await;
                s.expect_text("这次没答对", "wrong-answer").await;
                wrong = true;
            }
            "填空题" => {
                s.click("button[name=give_up]").await;
                s.expect_text("正确答案", "gave-up").await;
                wrong = true;
            }
            "单选题" | "哪篇论文" | "判断题" if !keyboard => {
                // Keyboard only: "1" picks the first option (or answers "正确"), Enter submits.
                let body = s.c.find(Locator::Css("body")).await.expect("body");
                body.send_keys("1").await.expect("key 1");
                if kind != "判断题" {
                    body.send_keys("\u{E007}").await.expect("enter");
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
                s.expect_text("为什么", "keyboard-answer").await;
                keyboard = true;
            }
            "单选题" | "哪篇论文" => {
                s.click("label.option").await;
                s.click("button[data-enter]").await;
                s.expect_text("为什么", "choice-answer").await;
            }
            "判断题" => {
                s.click("button[value=false]").await;
                s.expect_text("为什么", "tf-answer").await;
            }
            "自由回忆" => {
                s.click("details.reveal summary").await;
                s.click("button[name=grade][value='3']").await;
                s.expect_text("参考答案", "recall-answer").await;
            }
            other => panic!("unknown question kind {other}: {page}"),
        }
        if s.text().await.contains("这次没答对") {
            wrong = true;
        }
        kinds.insert(kind);
        answered += 1;
    }
    assert!(answered >= 5, "[{}] answered only {answered}", s.label);
    assert!(kinds.len() >= 2, "[{}] kinds {kinds:?}", s.label);
    assert!(
        wrong && keyboard,
        "[{}] wrong {wrong} keyboard {keyboard}",
        s.label
    );

    // Undo the last answer, right after answering.
    s.click("form[action='/quiz/undo'] button").await;
    s.expect_text("已撤销上一题", "undone").await;

    // Progress.
    s.go("/progress").await;
    s.expect_text("我的进度", "progress").await;
    s.expect_text("1 / 10", "progress-papers").await;
    let charts =
        s.c.find_all(Locator::Css("svg.chart"))
            .await
            .expect("charts");
    assert_eq!(charts.len(), 4, "[{}] charts on /progress", s.label);

    // Export: the page, then the JSON file fetched with the browser's own session cookie.
    s.go("/export").await;
    s.expect_text("导出", "export").await;
    let cookies = s.c.get_all_cookies().await.expect("cookies");
    let header = cookies
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ");
    let json = reqwest::Client::new()
        .get(format!("{}/export/paperdeck.json", s.base))
        .header("cookie", header)
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("export body");
    assert!(
        json.contains("paperdeck-export"),
        "[{}] export: {json:.200}",
        s.label
    );
    assert!(json.contains(username));

    // Log out.
    s.go("/").await;
    s.click("form[action='/logout'] button").await;
    s.expect_text("登录", "logged-out").await;
    assert!(
        !s.text().await.contains(username),
        "[{}] still logged in",
        s.label
    );
}

#[tokio::test]
async fn a_learner_goes_through_paperdeck_in_a_real_browser() {
    let Some(driver) = which("chromedriver") else {
        if std::env::var_os("CI").is_some() {
            panic!("chromedriver is not installed: .ci/run must install chromium-driver");
        }
        eprintln!("SKIPPED: chromedriver not installed (apt-get install chromium chromium-driver)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let shots = dir.path().join("screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let keep = std::env::temp_dir().join("paperdeck-browser-screenshots");
    println!("screenshots of failing steps go to {}", keep.display());

    let port = free_port();
    let db = dir.path().join("e2e.db");
    let _server = Killed(
        Command::new(release_binary())
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--database",
                &format!("sqlite://{}", db.display()),
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start paperdeck"),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_http(&format!("{base}/healthz")).await;

    let driver_port = free_port();
    let _driver = Killed(
        Command::new(driver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    wait_http(&format!("http://127.0.0.1:{driver_port}/status")).await;

    for (label, w, h, phone, user) in [
        ("desktop", 1280, 900, false, "e2e_desktop"),
        ("phone", 390, 844, true, "e2e_phone"),
    ] {
        let profile = dir.path().join(format!("profile-{label}"));
        let c = browser(driver_port, w, h, &profile).await;
        let mut s = Session {
            c,
            base: base.clone(),
            shots: shots.clone(),
            label,
            step: 0,
            phone,
        };
        let journey = tokio::spawn(async move {
            learner_journey(&mut s, user).await;
            s
        })
        .await;
        match journey {
            Ok(s) => {
                let _ = s.c.close().await;
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&keep);
                let _ = copy_dir(&shots, &keep);
                panic!(
                    "{label} pass failed (screenshots in {}): {e}",
                    keep.display()
                );
            }
        }
        println!("browser pass at {label} size ({w}×{h}): ok");
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        std::fs::copy(e.path(), to.join(e.file_name()))?;
    }
    Ok(())
}
