//! The real app in-process on port 0 with a fresh database, and browsers (cookie jars) that talk
//! to it over HTTP.
//!
//! The database is a new SQLite file, or, in a test binary whose root sets
//! `BACKEND = Backend::Postgres` (tests/api_postgres.rs), a new PostgreSQL database with a name
//! of its own, dropped when the test's last browser is. So one suite runs on both backends.
//!
//! With `PAPERDECK_TARGET_BIN=path/to/paperdeck` set, every app is that binary instead, run as
//! a separate process on a free port with its own temporary database: the same HTTP tests then
//! show what they catch in another build (an older commit's release binary, say). Settings are
//! passed as the `PAPERDECK_*` variables `paperdeck serve` reads; a build that does not know
//! one ignores it, and the clock is the system's.

use super::page::Page;
use super::process::ServerProcess;
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
        let pg = PgDatabase::named();
        admin(&format!("CREATE DATABASE {}", pg.name)).await;
        pg
    }

    /// A new database name on the server, not created (the app creates a missing database);
    /// dropped like the others if it came to exist.
    pub fn named() -> PgDatabase {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "pd_test_{}_{}_{:08x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst),
            rand::random::<u32>()
        );
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
    /// The separate server process under `PAPERDECK_TARGET_BIN`; killed with the last browser.
    _server: Option<Arc<ServerProcess>>,
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
            _server: None,
            pg: Some(pg.clone()),
        }
    })
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
    if let Some(bin) = std::env::var_os("PAPERDECK_TARGET_BIN") {
        return spawn_binary(PathBuf::from(bin), dir, &settings).await;
    }
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
        _server: None,
        pg,
    }
}

/// `bin` serving a database in `dir`, started with `settings` as far as the command line
/// reaches them.
async fn spawn_binary(bin: PathBuf, dir: tempfile::TempDir, settings: &Settings) -> TestApp {
    let mut server = ServerProcess::new(&bin, dir.path());
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
        (
            "PAPERDECK_CONNECTIONS_PER_ADDR",
            settings.connections_per_addr.to_string(),
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
    pub fn on_server(server: ServerProcess, dir: tempfile::TempDir) -> TestApp {
        let jar = Arc::new(Jar::default());
        TestApp {
            address: server.base(),
            port: server.port,
            client: client_with(jar.clone()),
            jar,
            database_url: format!("sqlite://{}", server.db_path().display()),
            db_path: server.db_path(),
            _server: Some(Arc::new(server)),
            _dir: Arc::new(dir),
            pg: None,
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

    /// GETs each of `paths` in turn, asserting that each answers `want`; the pages, with their
    /// paths, for the checks that follow.
    pub async fn get_each<'p>(&self, paths: &[&'p str], want: u16) -> Vec<(&'p str, Page)> {
        let mut pages = Vec::new();
        for &path in paths {
            let page = self.get(path).await;
            assert_eq!(page.status, want, "GET {path}: {}", page.body);
            pages.push((path, page));
        }
        pages
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let res = self.client.post(self.url(path)).form(form).send().await;
        Page::read(res.unwrap_or_else(|e| panic!("POST {path}: {e}")))
            .await
            .unwrap_or_else(|e| panic!("POST {path}: body: {e}"))
    }

    /// Undoes review `review` with the token of the feedback page `fb`.
    pub async fn undo(&self, fb: &Page, review: i64) -> Page {
        let review = review.to_string();
        self.post("/quiz/undo", &[("csrf", &fb.csrf()), ("review", &review)])
            .await
    }

    /// Posts `form` to `path`, asserting that it answers `want` (the body shown when not).
    pub async fn post_expect(&self, path: &str, form: &[(&str, &str)], want: u16) -> Page {
        let page = self.post(path, form).await;
        assert_eq!(page.status, want, "POST {path}: {}", page.body);
        page
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
            _server: instance._server.clone(),
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
            _server: self._server.clone(),
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

    /// Starts downloading her `paperdeck.json` on a raw connection with a small receive buffer
    /// and reads only the status line (asserted to be 200): a client that stops reading. The
    /// download stays in progress while the connection is open, as long as the file is larger
    /// than the socket buffers.
    pub async fn stalled_download(&self) -> tokio::net::TcpStream {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("buffer size");
        let mut held = socket
            .connect(([127, 0, 0, 1], self.port).into())
            .await
            .expect("connect");
        let head = format!(
            "GET /export/paperdeck.json HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n\r\n",
            self.cookie_header()
        );
        held.write_all(head.as_bytes()).await.expect("send");
        let mut first = [0u8; 64];
        let n = held.read(&mut first).await.expect("the download starts");
        let start = String::from_utf8_lossy(&first[..n]).to_string();
        assert!(start.starts_with("HTTP/1.1 200"), "{start}");
        held
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

    /// Signs up `username` and reads her recovery codes from the page sign-up leads to, where
    /// they are shown once; asserts each step.
    pub async fn signup_with_codes(&self, username: &str, password: &str) -> Vec<String> {
        let res = self.signup(username, password).await;
        assert_eq!(res.status, 303, "sign-up of {username}: {}", res.body);
        let to = res.location.expect("sign-up leads on");
        let page = self.get(&to).await;
        assert_eq!(page.status, 200, "GET {to}: {}", page.body);
        let codes = page.texts(".recovery-codes code");
        assert_eq!(codes.len(), 8, "codes on {to}: {}", page.body);
        codes
    }

    /// Sends the 忘记密码 form: name, one recovery code and a new password (twice).
    pub async fn recover(&self, username: &str, code: &str, new_password: &str) -> Page {
        let csrf = self.get("/recover").await.csrf();
        self.post(
            "/recover",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("code", code),
                ("new_password", new_password),
                ("new_password_confirm", new_password),
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

    /// The form of the quiz's current question with some valid answer
    /// ([`super::quiz::answer_fields`]); panics, showing the page, when it has no question.
    pub async fn some_answer(&self) -> Vec<(String, String)> {
        super::quiz::answer_fields(&self.get("/quiz").await)
    }

    /// Posts an answer form as it is, whatever becomes of it.
    pub async fn post_answer(&self, fields: &[(String, String)]) -> Page {
        self.post(super::quiz::ANSWER, &super::quiz::as_pairs(fields))
            .await
    }

    /// Posts an answer form; asserts it was recorded (303) and returns the review id and the
    /// feedback page it leads to.
    pub async fn submit(&self, fields: &[(String, String)]) -> (i64, Page) {
        let res = self.post_answer(fields).await;
        let id = res
            .feedback_id()
            .unwrap_or_else(|| panic!("answer not recorded ({}): {}", res.status, res.body));
        let to = res.location.as_deref().unwrap_or_default();
        (id, self.get(to).await)
    }

    /// A right or a wrong answer to card `id`, as the field its form sends: `answer` (an
    /// option, `true`/`false`, typed text) or, for a recall card, a self-grade `grade`. The
    /// right answer is read from the card's data in the database.
    pub async fn answer_to(&self, card: &str, right: bool) -> (String, String) {
        let data = self.card_data(card).await;
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        let (field, value) = match (data["t"].as_str().unwrap_or_default(), right) {
            ("recall", true) => ("grade", "3".to_string()),
            ("recall", false) => ("grade", "1".to_string()),
            ("true_false", r) => (
                "answer",
                (data["truth"].as_bool().unwrap_or(false) == r).to_string(),
            ),
            ("choice" | "which_paper", false) => ("answer", text(&data["distractors"][0])),
            (_, true) => ("answer", text(&data["answer"])),
            (_, false) => ("answer", "我不知道".to_string()),
        };
        (field.to_string(), value)
    }

    /// The question form on `q` (the quiz's) answered right or wrong, see [`TestApp::answer_to`].
    pub async fn graded_fields(&self, q: &Page, right: bool) -> Vec<(String, String)> {
        let question = super::quiz::question(q);
        let (k, v) = self.answer_to(&question.field("card"), right).await;
        super::quiz::set(&question.fields, &k, &v)
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

    /// Runs one statement on the app's database behind its back (a test planting a state).
    pub async fn execute(&self, sql: &str) {
        let pool = self.writable_db().await;
        sqlx::query(sql).execute(&pool).await.expect(sql);
        pool.close().await;
    }

    /// Writes `n` reviews of one card for learner 1 straight into the database (far faster than
    /// answering or importing), the first at `start` and then every `spacing` seconds, every
    /// seventh one a lapse, with the state of its concept.
    pub async fn plant_reviews(&self, n: i64, start: i64, spacing: i64) {
        let pool = self.writable_db().await;
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
             SELECT 1, $1, $2, $4 + i * $5, 'x', CASE i % 7 WHEN 0 THEN 0 ELSE 1 END,
                    CASE i % 7 WHEN 0 THEN 1 ELSE 3 END,
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
