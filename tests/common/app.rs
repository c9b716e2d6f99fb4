//! The real app in-process on port 0 with a fresh SQLite file, and browsers (cookie jars) that
//! talk to it over HTTP.

use super::page::Page;
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

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_path = dir.path().join("test.db");
    let mut settings = Settings::for_tests(format!("sqlite://{}", db_path.display()));
    // A fixed key: the quiz's card and option order is keyed with it, so every run of a test
    // sees the same questions (a generated key would make answer counts vary between runs).
    settings.secret_key = Some("paperdeck test key, fixed so quiz order is repeatable".into());
    configure(&mut settings);
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
    }
}

impl TestApp {
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
        let csrf = self.get("/login").await.csrf();
        self.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
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

    pub async fn count(&self, sql: &str) -> i64 {
        let pool = self.db().await;
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.expect(sql);
        pool.close().await;
        n
    }
}
