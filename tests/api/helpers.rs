//! Starts the real app on port 0 with a fresh SQLite file and talks to it over HTTP.

use paperdeck::config::Settings;
use paperdeck::startup::Application;
use reqwest::redirect::Policy;
use std::path::PathBuf;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db_path: PathBuf,
    /// Keeps the temporary directory (and the database in it) alive as long as the app.
    pub _dir: tempfile::TempDir,
}

pub struct Page {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    /// The value of the first `<input name="{name}" value="…">` on the page.
    pub fn input(&self, name: &str) -> Option<String> {
        input_value(&self.body, name)
    }

    pub fn csrf(&self) -> String {
        self.input("csrf").expect("page has a csrf field")
    }
}

pub fn input_value(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('"')?;
    Some(html_unescape(&html[start..start + end]))
}

pub fn html_unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
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
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: client(),
        db_path,
        _dir: dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Page {
        to_page(self.client.get(self.url(path)).send().await.expect("GET")).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        to_page(
            self.client
                .post(self.url(path))
                .form(form)
                .send()
                .await
                .expect("POST"),
        )
        .await
    }

    /// A second browser: its own cookie jar, same server.
    pub fn other_browser(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            client: client(),
            db_path: self.db_path.clone(),
            _dir: tempfile::tempdir().expect("tempdir"),
        }
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

async fn to_page(res: reqwest::Response) -> Page {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = res.text().await.unwrap_or_default();
    Page {
        status,
        body,
        location,
        headers,
    }
}
