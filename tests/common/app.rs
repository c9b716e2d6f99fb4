//! The real app in-process on port 0 with a fresh SQLite file, and browsers (cookie jars) that
//! talk to it over HTTP.
//!
//! With `PAPERDECK_TARGET_BIN=path/to/paperdeck` set, every app is that binary instead, run as
//! a separate process on a free port with its own temporary database: the same HTTP tests then
//! show what they catch in another build (an older commit's release binary, say). Settings are
//! passed as the `PAPERDECK_*` variables `paperdeck serve` reads; a build that does not know
//! one ignores it, and the clock is the system's.

use super::page::Page;
use super::release::ReleaseServer;
use paperdeck::config::Settings;
use paperdeck::startup::Application;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use std::path::PathBuf;
use std::sync::Arc;

/// One browser on a running app. [`TestApp::other_browser`] gives another one (its own cookies)
/// on the same app and database.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    /// The cookie jar of `client`, readable so that raw requests can send the same cookies.
    pub jar: Arc<Jar>,
    pub db_path: PathBuf,
    /// The separate server process under `PAPERDECK_TARGET_BIN`; killed with the last browser.
    _server: Option<Arc<ReleaseServer>>,
    /// Keeps the temporary directory (and the database in it) alive as long as any browser.
    _dir: Arc<tempfile::TempDir>,
}

/// A client that keeps cookies in `jar` and never follows redirects (the tests look at them).
pub fn client_with(jar: Arc<Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// An app with one learner, `username` (password [`super::PW`]), signed up in this browser.
pub async fn new_learner(username: &str) -> TestApp {
    let app = spawn_app().await;
    let page = app.signup(username, super::PW).await;
    assert_eq!(page.status, 303, "sign-up of {username}: {}", page.body);
    app
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_path = dir.path().join("test.db");
    let mut settings = Settings::for_tests(format!("sqlite://{}", db_path.display()));
    // A fixed key: the quiz's card and option order is keyed with it, so every run of a test
    // sees the same questions (a generated key would make answer counts vary between runs).
    settings.secret_key = Some("paperdeck test key, fixed so quiz order is repeatable".into());
    configure(&mut settings);
    if let Some(bin) = std::env::var_os("PAPERDECK_TARGET_BIN") {
        return spawn_binary(PathBuf::from(bin), dir, &settings).await;
    }
    let app = Application::build(settings).await.expect("app builds");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let jar = Arc::new(Jar::default());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        client: client_with(jar.clone()),
        jar,
        db_path,
        _dir: Arc::new(dir),
        _server: None,
    }
}

/// `bin` serving a database in `dir`, started with `settings` as far as the command line
/// reaches them.
async fn spawn_binary(bin: PathBuf, dir: tempfile::TempDir, settings: &Settings) -> TestApp {
    let mut server = ReleaseServer::new(&bin, dir.path());
    let proxies: Vec<String> = settings
        .trusted_proxies
        .iter()
        .map(|a| a.to_string())
        .collect();
    let vars = [
        (
            "PAPERDECK_SECRET_KEY",
            settings.secret_key.clone().unwrap_or_default(),
        ),
        (
            "PAPERDECK_CACHE_TTL_SECS",
            settings.cache_ttl.as_secs().to_string(),
        ),
        ("PAPERDECK_TRUSTED_PROXIES", proxies.join(",")),
        (
            "PAPERDECK_BODY_IDLE_SECS",
            settings.body_idle_timeout.as_secs().to_string(),
        ),
        (
            "PAPERDECK_SIGNUPS_PER_ADDR_PER_HOUR",
            settings.signups_per_addr_per_hour.to_string(),
        ),
        (
            "PAPERDECK_SIGNUPS_PER_HOUR",
            settings.signups_per_hour.to_string(),
        ),
    ];
    // An empty list is "unset": clap would read an empty variable as one empty address.
    server.env = vars
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    server.start(&reqwest::Client::new()).await;
    TestApp::on_server(server, dir)
}

impl TestApp {
    /// A browser on a started `server` whose database is in `dir`; both live as long as the
    /// last browser on them.
    pub fn on_server(server: ReleaseServer, dir: tempfile::TempDir) -> TestApp {
        let jar = Arc::new(Jar::default());
        TestApp {
            address: server.base(),
            port: server.port,
            client: client_with(jar.clone()),
            jar,
            db_path: server.db_path(),
            _server: Some(Arc::new(server)),
            _dir: Arc::new(dir),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Page {
        let res = self.client.get(self.url(path)).send().await;
        Page::read(res.unwrap_or_else(|e| panic!("GET {path}: {e}")))
            .await
            .unwrap_or_else(|e| panic!("GET {path}: body: {e}"))
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let res = self.client.post(self.url(path)).form(form).send().await;
        Page::read(res.unwrap_or_else(|e| panic!("POST {path}: {e}")))
            .await
            .unwrap_or_else(|e| panic!("POST {path}: body: {e}"))
    }

    /// Posts `body` as it is, with the content type given (bodies a form cannot produce).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Page {
        let req = self
            .client
            .post(self.url(path))
            .header("content-type", content_type);
        self.send(req.body(body)).await
    }

    /// Sends a request built on this browser's client (for bodies `post` cannot send, such as
    /// a multipart upload).
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Page {
        let res = req.send().await.expect("request");
        Page::read(res).await.expect("response body")
    }

    /// A second browser: its own cookie jar, same server.
    pub fn other_browser(&self) -> TestApp {
        let jar = Arc::new(Jar::default());
        TestApp {
            address: self.address.clone(),
            port: self.port,
            client: client_with(jar.clone()),
            jar,
            db_path: self.db_path.clone(),
            _dir: self._dir.clone(),
            _server: self._server.clone(),
        }
    }

    /// Another browser whose connections come from `ip` (any 127.x.y.z works on Linux
    /// loopback), for the limits the app keeps per client address.
    pub fn browser_from(&self, ip: std::net::IpAddr) -> TestApp {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            .local_address(ip)
            .build()
            .expect("client");
        TestApp {
            client,
            jar,
            ..self.other_browser()
        }
    }

    /// The `Cookie:` header value this browser would send.
    pub fn cookie_header(&self) -> String {
        let url: reqwest::Url = self.address.parse().expect("url");
        self.jar
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(str::to_string))
            .unwrap_or_default()
    }

    pub async fn signup(&self, username: &str, password: &str) -> Page {
        let csrf = self.get("/signup").await.csrf();
        self.post(
            "/signup",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
                ("password_confirm", password),
            ],
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Page {
        self.login_then(username, password, None).await
    }

    /// Logs in from the form of `/login?next=…`, sending `next` (the page to go on to) back.
    pub async fn login_then(&self, username: &str, password: &str, next: Option<&str>) -> Page {
        let query = next.map(|n| format!("?next={n}")).unwrap_or_default();
        let csrf = self.get(&format!("/login{query}")).await.csrf();
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("username", username),
            ("password", password),
        ];
        form.extend(next.map(|n| ("next", n)));
        self.post("/login", &form).await
    }

    pub async fn mark_read(&self, slug: &str) -> Page {
        let csrf = self.get(&format!("/papers/{slug}")).await.csrf();
        self.post(&format!("/papers/{slug}/read"), &[("csrf", &csrf)])
            .await
    }

    /// Signs up `username` (password [`super::PW`]) and marks `papers` read, asserting each step.
    pub async fn learner(&self, username: &str, papers: &[&str]) {
        let page = self.signup(username, super::PW).await;
        assert_eq!(page.status, 303, "sign-up of {username}: {}", page.body);
        for slug in papers {
            let page = self.mark_read(slug).await;
            assert_eq!(page.status, 303, "{username} reads {slug}: {}", page.body);
        }
    }

    /// Posts an answer form; asserts it was recorded (303) and returns the review id and the
    /// feedback page it leads to.
    pub async fn submit(&self, fields: &[(String, String)]) -> (i64, Page) {
        let res = self
            .post("/quiz/answer", &super::quiz::as_pairs(fields))
            .await;
        let id = res
            .feedback_id()
            .unwrap_or_else(|| panic!("answer not recorded ({}): {}", res.status, res.body));
        (id, self.get(&format!("/quiz/feedback/{id}")).await)
    }

    /// The generated data of card `id` (its `data_json`): the right answer, options, …
    pub async fn card_data(&self, id: &str) -> serde_json::Value {
        let pool = self.db().await;
        let data: String = sqlx::query_scalar("SELECT data_json FROM cards WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap_or_else(|e| panic!("card {id}: {e}"));
        pool.close().await;
        serde_json::from_str(&data).expect("card data is JSON")
    }

    /// Opens the database read-only beside the running app.
    pub async fn db(&self) -> sqlx::SqlitePool {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&self.db_path)
            .read_only(true);
        sqlx::SqlitePool::connect_with(opts).await.expect("db")
    }

    /// Writes `n` reviews of one card for learner 1 straight into the database (far faster than
    /// answering or importing), the first at `start` and then every `spacing` seconds, every
    /// seventh one a lapse, with the state of its concept.
    pub async fn plant_reviews(&self, n: i64, start: i64, spacing: i64) {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", self.db_path.display()))
            .await
            .expect("db");
        let (card, concept): (String, String) = sqlx::query_as(
            "SELECT id, concept_slug FROM cards WHERE retired = 0 ORDER BY id LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .expect("a card");
        let last = start + n * spacing;
        sqlx::query(
            "INSERT INTO concept_states (learner_id, concept_slug, unlocked_at, stability,
                 difficulty, due_at, last_review_at, reps, version)
             VALUES (1, $1, $2, 3.0, 5.0, $3 + 86400, $3, 1, 1)",
        )
        .bind(&concept)
        .bind(start)
        .bind(last)
        .execute(&pool)
        .await
        .expect("state");
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $3)
             INSERT INTO reviews (learner_id, card_id, concept_slug, reviewed_at, answer, correct,
                 rating, duration_ms, review_kind, reps_before, lapses_before, stability_after,
                 difficulty_after, due_after_at, elapsed_days, scheduled_days, version_after)
             SELECT 1, $1, $2, $4 + i * $5, 'x', i % 7 <> 0, CASE i % 7 WHEN 0 THEN 1 ELSE 3 END,
                    1000, 'review', 0, 0, 1.5, 5.25, $4 + i * $5 + 86400, 1, 1, 1 FROM n",
        )
        .bind(&card)
        .bind(&concept)
        .bind(n)
        .bind(start)
        .bind(spacing)
        .execute(&pool)
        .await
        .expect("reviews");
        pool.close().await;
    }

    /// Asserts that the count `sql` selects is `want`.
    pub async fn assert_count(&self, sql: &str, want: i64) {
        assert_eq!(self.count(sql).await, want, "{sql}");
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let pool = self.db().await;
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.expect(sql);
        pool.close().await;
        n
    }
}
