//! The real app in-process on port 0 with a fresh database, and browsers (cookie jars) that talk
//! to it over HTTP.
//!
//! The database is a new SQLite file, or, in a test binary whose root sets
//! `BACKEND = Backend::Postgres` (tests/api_postgres.rs), a new PostgreSQL database with a name
//! of its own, dropped when the test's last browser is. So one suite runs on both backends.

use super::page::Page;
use paperdeck::config::Settings;
use paperdeck::startup::Application;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use std::path::PathBuf;
use std::sync::Arc;

/// Which database the test binary runs its apps on: its crate root says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    crate::BACKEND
}

/// Whether this binary runs on PostgreSQL; a test that only makes sense on SQLite (its file,
/// WAL, the key file beside it) returns early, and says so, when it does.
pub fn skip_on_postgres(why: &str) -> bool {
    let skip = backend() == Backend::Postgres;
    if skip {
        eprintln!("skipped on PostgreSQL: {why}");
    }
    skip
}

/// The server every PostgreSQL test uses (trust authentication, as on every machine of the
/// project); `PAPERDECK_TEST_POSTGRES` overrides it.
pub fn postgres_server() -> String {
    std::env::var("PAPERDECK_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

/// A PostgreSQL database of one test: created empty, dropped (with any connection still open
/// to it) when the last handle goes.
#[derive(Debug)]
pub struct PgDatabase {
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create() -> PgDatabase {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "pd_test_{}_{}_{:08x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst),
            rand::random::<u32>()
        );
        admin(&format!("CREATE DATABASE {name}")).await;
        PgDatabase {
            url: format!("{}/{name}", postgres_server()),
            name,
        }
    }
}

/// Runs one statement on the server's `postgres` database.
async fn admin(sql: &str) {
    use sqlx::Connection;
    let url = format!("{}/postgres", postgres_server());
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {url}: {e} (is it running?)"));
    sqlx::raw_sql(sql)
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on; a thread with its
        // own runtime does the work and is waited for, so no database is left behind.
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let done = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(admin(&sql));
            }
        })
        .join();
        if done.is_err() {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

/// The cookie key of test apps. Fixed: the quiz's card and option order is keyed with it, so
/// every run of a test sees the same questions; and several instances of one test share it.
pub const TEST_KEY: &str = "paperdeck test key, fixed so quiz order is repeatable";

/// One browser on a running app. [`TestApp::other_browser`] gives another one (its own cookies)
/// on the same app and database.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    /// The cookie jar of `client`, readable so that raw requests can send the same cookies.
    pub jar: Arc<Jar>,
    /// The SQLite file (on PostgreSQL a path in the temporary directory that nothing uses).
    pub db_path: PathBuf,
    /// The URL the app was started with: `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Keeps the temporary directory (and the database in it) alive as long as any browser.
    _dir: Arc<tempfile::TempDir>,
    /// The PostgreSQL database, dropped with the last browser.
    pub pg: Option<Arc<PgDatabase>>,
}

/// A client that keeps cookies in `jar` and never follows redirects (the tests look at them).
pub fn client_with(jar: Arc<Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// Three instances of the app on one PostgreSQL database, built at the same moment (so they
/// migrate and sync cards concurrently), reaching it through `url` (the database's own URL, or
/// a proxy in front of it). One browser on the first; [`TestApp::on`] moves it.
pub async fn spawn_three(pg: &Arc<PgDatabase>, url: &str) -> [TestApp; 3] {
    let build = || {
        let mut settings = Settings::for_tests(url.to_string());
        settings.secret_key = Some(TEST_KEY.into());
        Application::build(settings)
    };
    let (a, b, c) = tokio::join!(build(), build(), build());
    let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
    let jar = Arc::new(Jar::default());
    [a, b, c].map(|app| {
        let app = app.expect("every instance starts");
        let port = app.port();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            client: client_with(jar.clone()),
            jar: jar.clone(),
            db_path: dir.path().join("unused.db"),
            database_url: pg.url.clone(),
            _dir: dir.clone(),
            pg: Some(pg.clone()),
        }
    })
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_on(backend(), configure).await
}

/// An app on the given backend, whatever this binary's is (copy-data's test needs both).
pub async fn spawn_app_on(backend: Backend, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_path = dir.path().join("test.db");
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(Arc::new(PgDatabase::create().await)),
    };
    let url = match &pg {
        Some(pg) => pg.url.clone(),
        None => format!("sqlite://{}", db_path.display()),
    };
    let mut settings = Settings::for_tests(url);
    // A fixed key: the quiz's card and option order is keyed with it, so every run of a test
    // sees the same questions (a generated key would make answer counts vary between runs).
    settings.secret_key = Some(TEST_KEY.into());
    configure(&mut settings);
    let database_url = settings.database_url.clone();
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
        database_url,
        _dir: Arc::new(dir),
        pg,
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

    /// This browser (same cookies) talking to another instance: cookies are per host, not per
    /// port, as behind one load balancer.
    pub fn on(&self, instance: &TestApp) -> TestApp {
        TestApp {
            address: instance.address.clone(),
            port: instance.port,
            client: self.client.clone(),
            jar: self.jar.clone(),
            db_path: self.db_path.clone(),
            database_url: self.database_url.clone(),
            _dir: self._dir.clone(),
            pg: self.pg.clone(),
        }
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
            database_url: self.database_url.clone(),
            _dir: self._dir.clone(),
            pg: self.pg.clone(),
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

    /// Opens the app's database beside it (SQLite read-only), on either backend.
    pub async fn db(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        let url = if self.database_url.starts_with("sqlite:") {
            format!("{}?mode=ro", self.database_url)
        } else {
            self.database_url.clone()
        };
        sqlx::AnyPool::connect(&url).await.expect("db")
    }

    /// Opens the app's database for writing, for tests that put rows in place by hand.
    pub async fn writable_db(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&self.database_url)
            .await
            .expect("db")
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let pool = self.db().await;
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.expect(sql);
        pool.close().await;
        n
    }
}
