//! Malformed and hostile requests against every route, from a generated corpus (methods × paths ×
//! bodies × who is asking) plus hand-written special cases sent as raw bytes over TCP.
//!
//! Every request must get an answer below 500 whose body never says "panicked"; malformed ones
//! must be refused with a 4xx (or, for a visitor who is not logged in, a redirect to the log-in
//! page); and the database must be exactly as it was before the attack.
//!
//! - `hostile_requests_are_refused_and_change_nothing`: the corpus above, from two learners with
//!   some history, anonymous visitors and forged cookies; tables dumped before and after.
//! - `extreme_shown_at_values_do_not_break_an_answer`: `shown_at` is outside the answer token, so
//!   any number can arrive there with an otherwise valid answer.
//! - `account_pages_survive_garbage`: `/settings`, `/export` and `/import`, which write for a
//!   learner with a valid token, get absurd values and bent export files: never a 500, pages
//!   keep working, the other learner's rows are untouched.
//!
//! The app runs in-process on port 0, like `tests/api/helpers.rs`. `HOSTILE_VERBOSE=1` prints
//! the status of every request; run with `--nocapture` to see the summary lines.

use paperdeck::config::Settings;
use paperdeck::startup::Application;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PW: &str = "a good long passphrase";

// ---------------------------------------------------------------------------------------------
// The app and browsers (the minimal part of tests/api/helpers.rs)

struct App {
    port: u16,
    address: String,
    db_path: PathBuf,
    _dir: tempfile::TempDir,
}

async fn spawn_app() -> App {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_path = dir.path().join("test.db");
    let settings = Settings::for_tests(format!("sqlite://{}", db_path.display()));
    let app = Application::build(settings).await.expect("app builds");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    App {
        port,
        address: format!("http://127.0.0.1:{port}"),
        db_path,
        _dir: dir,
    }
}

struct Page {
    status: u16,
    body: String,
    location: Option<String>,
}

impl Page {
    fn input(&self, name: &str) -> Option<String> {
        input_value(&self.body, name)
    }

    fn csrf(&self) -> String {
        self.input("csrf").expect("page has a csrf field")
    }
}

fn input_value(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html.find(&needle)? + needle.len();
    let end = html[start..].find('"')?;
    Some(html_unescape(&html[start..start + end]))
}

fn html_unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A browser: a cookie jar we can also read, to send the same cookies over raw TCP.
struct Browser {
    client: reqwest::Client,
    jar: Arc<Jar>,
    address: String,
}

impl Browser {
    fn new(app: &App) -> Browser {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            .build()
            .expect("client");
        Browser {
            client,
            jar,
            address: app.address.clone(),
        }
    }

    async fn get(&self, path: &str) -> Page {
        let res = self
            .client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("GET");
        to_page(res).await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let res = self
            .client
            .post(format!("{}{}", self.address, path))
            .form(form)
            .send()
            .await
            .expect("POST");
        to_page(res).await
    }

    /// The `Cookie:` header value this browser would send.
    fn cookie_header(&self) -> String {
        let url: reqwest::Url = self.address.parse().expect("url");
        self.jar
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(str::to_string))
            .unwrap_or_default()
    }

    async fn signup(&self, username: &str) -> Page {
        let csrf = self.get("/signup").await.csrf();
        self.post(
            "/signup",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", PW),
                ("password_confirm", PW),
            ],
        )
        .await
    }
}

async fn to_page(res: reqwest::Response) -> Page {
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = res.text().await.unwrap_or_default();
    Page {
        status,
        body,
        location,
    }
}

/// The fields of the question form on `page`, with some valid answer filled in.
fn answer_fields(page: &Page) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        "csrf", "concept", "card", "version", "token", "mode", "shown_at",
    ]
    .iter()
    .map(|k| {
        (
            k.to_string(),
            input_value(&page.body, k).unwrap_or_else(|| panic!("no {k} in {}", page.body)),
        )
    })
    .collect();
    if let Some(v) = input_value(&page.body, "answer") {
        f.push(("answer".into(), v));
    } else if page.body.contains("name=\"grade\"") {
        f.push(("answer".into(), "我的回答".into()));
        f.push(("grade".into(), "3".into()));
    } else {
        f.push(("answer".into(), String::new()));
        f.push(("give_up".into(), "1".into()));
    }
    f
}

fn as_pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn set(f: &[(String, String)], k: &str, v: &str) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = f.iter().filter(|(key, _)| key != k).cloned().collect();
    f.push((k.to_string(), v.to_string()));
    f
}

fn without(f: &[(String, String)], k: &str) -> Vec<(String, String)> {
    f.iter().filter(|(key, _)| key != k).cloned().collect()
}

/// What kind of question a page shows.
fn question_kind(body: &str) -> &'static str {
    if body.contains("type=\"radio\"") {
        "choice"
    } else if body.contains("name=\"give_up\"") {
        "fill"
    } else if body.contains("name=\"grade\"") {
        "recall"
    } else if body.contains("name=\"answer\" value=\"true\"") {
        "truefalse"
    } else {
        "unknown"
    }
}

/// Answer fields that are well formed but wrong for this kind of question: the app must refuse
/// them with a 400 and record nothing, even with a valid token.
fn invalid_answers(kind: &str, good: &[(String, String)]) -> Vec<(String, Vec<(String, String)>)> {
    let long = "答".repeat(2001);
    let mut out = vec![(
        "answer of 2001 chars".to_string(),
        set(good, "answer", &long),
    )];
    match kind {
        "choice" => {
            out.push((
                "answer not an option".into(),
                set(good, "answer", "' OR 1=1 --"),
            ));
            out.push(("empty choice".into(), set(good, "answer", "")));
            out.push(("missing choice".into(), without(good, "answer")));
            out.push((
                "choice with give_up".into(),
                set(&set(good, "answer", ""), "give_up", "1"),
            ));
            out.push((
                "script as choice".into(),
                set(good, "answer", "<script>alert(7)</script>"),
            ));
        }
        "truefalse" => {
            out.push(("true/false: maybe".into(), set(good, "answer", "maybe")));
            out.push(("true/false: TRUE".into(), set(good, "answer", "TRUE")));
            out.push(("true/false: 1".into(), set(good, "answer", "1")));
            out.push(("true/false: empty".into(), set(good, "answer", "")));
        }
        "fill" => {
            let no_give_up = without(good, "give_up");
            out.push(("fill: empty".into(), set(&no_give_up, "answer", "")));
            out.push(("fill: blanks".into(), set(&no_give_up, "answer", "   ")));
            out.push(("fill: missing".into(), without(&no_give_up, "answer")));
        }
        "recall" => {
            out.push(("recall: no grade".into(), without(good, "grade")));
            out.push(("recall: grade 0".into(), set(good, "grade", "0")));
            out.push(("recall: grade 5".into(), set(good, "grade", "5")));
            out.push(("recall: grade 300".into(), set(good, "grade", "300")));
            out.push(("recall: grade -1".into(), set(good, "grade", "-1")));
            out.push(("recall: grade abc".into(), set(good, "grade", "abc")));
        }
        _ => {}
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The database, dumped as sorted rows

async fn dump(db_path: &std::path::Path) -> BTreeMap<String, Vec<String>> {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db_path)
        .read_only(true);
    let pool = sqlx::SqlitePool::connect_with(opts).await.expect("db");
    let mut out = BTreeMap::new();
    let tables: &[(&str, Option<&[&str]>)] = &[
        ("learners", None),
        // last_seen_at is refreshed at most every 10 minutes: not within this test
        ("login_sessions", Some(&["id", "learner_id", "created_at"])),
        ("papers_read", None),
        ("concept_states", None),
        ("reviews", None),
        ("cards", None),
    ];
    for (table, cols) in tables {
        let cols: Vec<String> = match cols {
            Some(c) => c.iter().map(|s| s.to_string()).collect(),
            None => sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(&pool)
                .await
                .expect("columns"),
        };
        assert!(!cols.is_empty(), "table {table} has columns");
        let expr = cols
            .iter()
            .map(|c| format!("quote({c})"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let mut rows: Vec<String> = sqlx::query_scalar(&format!("SELECT {expr} FROM {table}"))
            .fetch_all(&pool)
            .await
            .expect("rows");
        rows.sort();
        out.insert(format!("{table} ({})", cols.join(", ")), rows);
    }
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_sessions")
        .fetch_one(&pool)
        .await
        .expect("count");
    out.insert("login_sessions count".into(), vec![sessions.to_string()]);
    pool.close().await;
    out
}

fn diff(before: &BTreeMap<String, Vec<String>>, after: &BTreeMap<String, Vec<String>>) -> String {
    let mut out = String::new();
    for (table, rows) in before {
        let empty = Vec::new();
        let now = after.get(table).unwrap_or(&empty);
        for r in rows.iter().filter(|r| !now.contains(r)) {
            out.push_str(&format!("  {table}: - {}\n", cut(r, 300)));
        }
        for r in now.iter().filter(|r| !rows.contains(r)) {
            out.push_str(&format!("  {table}: + {}\n", cut(r, 300)));
        }
    }
    out
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!(
            "{}… ({} chars)",
            s.chars().take(n).collect::<String>(),
            s.len()
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP over TCP: any bytes in the request line, headers and body

struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` (complete bytes) and reads the response. Writing and reading run together,
/// so a server that answers before reading a large body is fine; reading stops at the end of
/// the response (or when the server closes).
async fn send_raw(port: u16, request: Vec<u8>) -> Result<Raw, String> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let head_only = request.starts_with(b"HEAD ");
    let (mut rd, mut wr) = stream.into_split();
    // The writer hands the socket back, so it stays open until the response is read.
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(&request).await;
        let _ = wr.flush().await;
        wr
    });
    let mut buf = Vec::new();
    let read = async {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match rd.read(&mut chunk).await {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if complete(&buf, head_only) {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e),
            }
        }
    };
    let read = tokio::time::timeout(Duration::from_secs(30), read).await;
    writer.abort();
    match read {
        Err(_) => {
            return Err(format!(
                "no complete response within 30 s ({} bytes read)",
                buf.len()
            ))
        }
        Ok(Err(e)) if buf.is_empty() => return Err(format!("read: {e}")),
        _ => {}
    }
    parse_response(&buf)
}

/// The status, headers and body offset of the first final (non-1xx) response in `buf`.
type Head = (u16, Vec<(String, String)>, usize);

fn split_head(buf: &[u8]) -> Option<Head> {
    let mut offset = 0;
    loop {
        let b = &buf[offset..];
        let end = b.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&b[..end]).to_string();
        let mut lines = head.split("\r\n");
        let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        if (100..200).contains(&status) {
            offset += end + 4;
            continue;
        }
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        return Some((status, headers, offset + end + 4));
    }
}

fn is_chunked(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
    })
}

fn content_length(headers: &[(String, String)]) -> Option<usize> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
}

/// Whether `buf` holds a whole response.
fn complete(buf: &[u8], head_only: bool) -> bool {
    let Some((status, headers, body_at)) = split_head(buf) else {
        return false;
    };
    if head_only || status == 204 || status == 304 {
        return true;
    }
    let body = &buf[body_at..];
    if is_chunked(&headers) {
        return body.ends_with(b"0\r\n\r\n");
    }
    content_length(&headers).is_some_and(|n| body.len() >= n)
}

fn parse_response(buf: &[u8]) -> Result<Raw, String> {
    let (status, headers, body_at) = split_head(buf).ok_or_else(|| {
        format!(
            "no response head in {} bytes: {:?}",
            buf.len(),
            String::from_utf8_lossy(&buf[..buf.len().min(200)])
        )
    })?;
    let mut body = buf[body_at..].to_vec();
    if is_chunked(&headers) {
        body = dechunk(&body);
    }
    Ok(Raw {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&b[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        b = &b[eol + 2..];
        if size == 0 || size > b.len() {
            out.extend_from_slice(&b[..size.min(b.len())]);
            break;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[(size + 2).min(b.len())..];
    }
    out
}

/// `application/x-www-form-urlencoded` encoding.
fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn form(fields: &[(String, String)]) -> Vec<u8> {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

fn json(fields: &[(String, String)]) -> Vec<u8> {
    let map: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::Value::Object(map).to_string().into_bytes()
}

const BOUNDARY: &str = "----paperdeckHostileBoundary7MA4YWxk";

fn multipart(fields: &[(String, String)]) -> Vec<u8> {
    let mut out = String::new();
    for (k, v) in fields {
        out.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    out.push_str(&format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../evil.csv\"\r\n\
         Content-Type: text/csv\r\n\r\nid,answer\n1,' OR 1=1 --\r\n--{BOUNDARY}--\r\n"
    ));
    out.into_bytes()
}

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The corpus

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    /// No cookies at all.
    Nobody,
    /// An anonymous visitor with a `pd_anon` cookie and its CSRF token.
    Anon,
    Alice,
    Bob,
    /// Made-up cookies.
    Forged,
}

impl Who {
    fn logged_in(self) -> bool {
        matches!(self, Who::Alice | Who::Bob)
    }
}

const EVERYONE: [Who; 5] = [Who::Nobody, Who::Anon, Who::Alice, Who::Bob, Who::Forged];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expect {
    /// Only: an answer below 500.
    Any,
    /// A 4xx, or a redirect to the log-in page for someone not logged in.
    Reject,
}

struct Case {
    label: String,
    who: Who,
    /// The whole request, as sent.
    request: Vec<u8>,
    expect: Expect,
}

/// What the corpus needs to know about the two learners and the anonymous visitor.
struct Ctx {
    port: u16,
    cookies: BTreeMap<&'static str, String>,
    csrf_anon: String,
    csrf_alice: String,
    csrf_bob: String,
    alice_ids: Vec<i64>,
    bob_ids: Vec<i64>,
    /// Alice's current question, answered validly (not sent as such).
    alice_q: Vec<(String, String)>,
    alice_kind: &'static str,
    /// Alice's practice question for each of her concepts, with its kind.
    alice_practice: Vec<(&'static str, Vec<(String, String)>)>,
    /// A question Alice already answered: its token is used up.
    alice_old: Vec<(String, String)>,
    bob_q: Vec<(String, String)>,
    /// Alice's JSON export (empty if there is no export yet).
    alice_export: Vec<u8>,
}

impl Ctx {
    fn cookie(&self, who: Who) -> Option<String> {
        let c = match who {
            Who::Nobody => return None,
            Who::Anon => &self.cookies["anon"],
            Who::Alice => &self.cookies["alice"],
            Who::Bob => &self.cookies["bob"],
            Who::Forged => &self.cookies["forged"],
        };
        Some(c.clone())
    }

    /// The CSRF token valid for `who` (a made-up one for those who have none).
    fn csrf(&self, who: Who) -> String {
        match who {
            Who::Anon => self.csrf_anon.clone(),
            Who::Alice => self.csrf_alice.clone(),
            Who::Bob => self.csrf_bob.clone(),
            Who::Nobody | Who::Forged => "0123456789abcdef0123456789abcdef01234567".into(),
        }
    }

    /// Someone else's valid CSRF token.
    fn other_csrf(&self, who: Who) -> String {
        match who {
            Who::Alice => self.csrf_bob.clone(),
            _ => self.csrf_alice.clone(),
        }
    }

    fn request(
        &self,
        who: Who,
        method: &str,
        target: &[u8],
        content_type: Option<&str>,
        body: &[u8],
        extra: &[String],
    ) -> Vec<u8> {
        raw_request(
            self.port,
            self.cookie(who).as_deref(),
            method,
            target,
            content_type,
            body,
            extra,
        )
    }
}

/// The bytes of one HTTP/1.1 request that asks the server to close afterwards.
fn raw_request(
    port: u16,
    cookie: Option<&str>,
    method: &str,
    target: &[u8],
    content_type: Option<&str>,
    body: &[u8],
    extra: &[String],
) -> Vec<u8> {
    let mut r = Vec::with_capacity(body.len() + 512);
    r.extend_from_slice(method.as_bytes());
    r.push(b' ');
    r.extend_from_slice(target);
    r.extend_from_slice(b" HTTP/1.1\r\n");
    r.extend_from_slice(format!("Host: 127.0.0.1:{port}\r\n").as_bytes());
    r.extend_from_slice(b"Connection: close\r\nUser-Agent: paperdeck-hostile\r\n");
    if let Some(c) = cookie.filter(|c| !c.is_empty()) {
        r.extend_from_slice(format!("Cookie: {c}\r\n").as_bytes());
    }
    if let Some(ct) = content_type {
        r.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
    }
    for h in extra {
        r.extend_from_slice(h.as_bytes());
        r.extend_from_slice(b"\r\n");
    }
    if !(method == "GET" || method == "HEAD") || !body.is_empty() {
        r.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    r.extend_from_slice(b"\r\n");
    r.extend_from_slice(body);
    r
}

struct Corpus<'a> {
    ctx: &'a Ctx,
    cases: Vec<Case>,
}

const FORM: &str = "application/x-www-form-urlencoded";

impl Corpus<'_> {
    fn add(&mut self, label: impl Into<String>, who: Who, request: Vec<u8>, expect: Expect) {
        self.cases.push(Case {
            label: label.into(),
            who,
            request,
            expect,
        });
    }

    fn get(&mut self, label: &str, who: Who, target: &str, expect: Expect) {
        let req = self
            .ctx
            .request(who, "GET", target.as_bytes(), None, b"", &[]);
        self.add(
            format!("{label}: GET {}", cut(target, 80)),
            who,
            req,
            expect,
        );
    }

    fn post_form(
        &mut self,
        label: &str,
        who: Who,
        path: &str,
        fields: &[(String, String)],
        expect: Expect,
    ) {
        let req = self
            .ctx
            .request(who, "POST", path.as_bytes(), Some(FORM), &form(fields), &[]);
        self.add(format!("{label}: POST {path}"), who, req, expect);
    }

    fn post_body(
        &mut self,
        label: &str,
        who: Who,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
        expect: Expect,
    ) {
        let req = self
            .ctx
            .request(who, "POST", path.as_bytes(), content_type, body, &[]);
        self.add(format!("{label}: POST {path}"), who, req, expect);
    }
}

/// A route in the method matrix.
struct Route {
    path: String,
    get: bool,
    post: bool,
    login: bool,
    /// A GET finds nothing here (404).
    missing: bool,
    /// A page that may not exist yet: only "below 500" is required.
    unknown: bool,
    /// Only this learner may see it (someone else's review, a concept only she unlocked).
    owner: Option<Who>,
}

fn route(path: &str) -> Route {
    Route {
        path: path.to_string(),
        get: true,
        post: false,
        login: false,
        missing: false,
        unknown: false,
        owner: None,
    }
}

impl Route {
    fn post_only(mut self) -> Route {
        self.get = false;
        self.post = true;
        self
    }
    fn also_post(mut self) -> Route {
        self.post = true;
        self
    }
    fn login(mut self) -> Route {
        self.login = true;
        self
    }
    fn missing(mut self) -> Route {
        self.missing = true;
        self
    }
    fn unknown(mut self) -> Route {
        self.unknown = true;
        self
    }
    fn owner(mut self, who: Who) -> Route {
        self.owner = Some(who);
        self
    }

    fn expect(&self, method: &str, who: Who) -> Expect {
        if self.unknown {
            return Expect::Any;
        }
        let reading = method == "GET" || method == "HEAD";
        if reading && self.get {
            if self.missing
                || (self.login && !who.logged_in())
                || (who.logged_in() && self.owner.is_some_and(|o| o != who))
            {
                Expect::Reject
            } else {
                Expect::Any
            }
        } else {
            // wrong method, or a POST with an empty body (no CSRF token, missing fields)
            Expect::Reject
        }
    }
}

const SQLI: &[&str] = &[
    "' OR 1=1 --",
    "'; DROP TABLE reviews; --",
    "1; DELETE FROM learners",
    "\" OR \"\"=\"",
    "1 UNION SELECT password_hash FROM learners",
    "alice'--",
];

const HTML: &[&str] = &[
    "<script>alert(7)</script>",
    "\"><img src=x onerror=alert(7)>",
    "javascript:alert(7)",
    "{{7*7}}{% raw %}",
];

const NUMBERS: &[&str] = &[
    "abc",
    "99999999999999999999",
    "-99999999999999999999",
    "1e3",
    "1.5",
    "0x10",
    "",
    " 1",
    "１",
    "NaN",
];

fn build_corpus(ctx: &Ctx) -> Vec<Case> {
    let mut c = Corpus {
        ctx,
        cases: Vec::new(),
    };
    let a_last = *ctx.alice_ids.last().expect("alice answered");
    let a_first = ctx.alice_ids[0];
    let b_last = *ctx.bob_ids.last().expect("bob answered");

    // 1. The method matrix: every route × every method × everyone, with an empty body.
    let routes = vec![
        route("/"),
        route("/papers"),
        route("/papers/chinchilla"),
        route("/papers/no-such-paper").missing(),
        route("/papers/chinchilla/read").post_only().login(),
        route("/papers/no-such-paper/read").post_only().login(),
        route("/concepts"),
        route("/concepts/rlhf"),
        route("/concepts/no-such-concept").missing(),
        route("/signup").also_post(),
        route("/login").also_post(),
        route("/logout").post_only(),
        route("/quiz").login(),
        route("/quiz?mode=practice").login(),
        route("/quiz?concept=compute-optimal")
            .login()
            .owner(Who::Alice),
        route("/quiz?concept=lora").login().owner(Who::Bob),
        route("/quiz/answer").post_only().login(),
        route(&format!("/quiz/feedback/{a_last}"))
            .login()
            .owner(Who::Alice),
        route(&format!("/quiz/feedback/{b_last}"))
            .login()
            .owner(Who::Bob),
        route("/quiz/feedback/999999").login().missing(),
        route("/quiz/undo").post_only().login(),
        route("/quiz/regrade").post_only().login(),
        route("/static/style.css"),
        route("/static/no-such.css").missing(),
        route("/healthz"),
        route("/favicon.ico"),
        route("/settings").unknown(),
        route("/progress").unknown(),
        route("/export").unknown(),
        route("/import").unknown(),
    ];
    let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"];
    for r in &routes {
        for m in methods {
            for who in EVERYONE {
                let (ct, body): (Option<&str>, &[u8]) = if m == "GET" || m == "HEAD" {
                    (None, b"")
                } else {
                    (Some(FORM), b"")
                };
                let req = ctx.request(who, m, r.path.as_bytes(), ct, body, &[]);
                c.add(
                    format!("matrix {m} {} as {who:?}", r.path),
                    who,
                    req,
                    r.expect(m, who),
                );
            }
        }
        for m in ["OPTIONS", "TRACE", "CONNECT", "FOO"] {
            let req = ctx.request(Who::Alice, m, r.path.as_bytes(), None, b"", &[]);
            let expect = if r.unknown {
                Expect::Any
            } else {
                Expect::Reject
            };
            c.add(
                format!("matrix {m} {} as Alice", r.path),
                Who::Alice,
                req,
                expect,
            );
        }
    }

    // 2. Bodies for every POST route, from everyone: forged and foreign CSRF tokens, wrong
    //    content types, huge and broken bodies. `fields` are plausible fields without csrf.
    let post_routes: Vec<(&str, Vec<(String, String)>)> = vec![
        (
            "/signup",
            kv(&[
                ("username", "mallory"),
                ("password", PW),
                ("password_confirm", PW),
            ]),
        ),
        (
            "/login",
            kv(&[("username", "alice"), ("password", "not the password")]),
        ),
        ("/logout", Vec::new()),
        ("/papers/chinchilla/read", Vec::new()),
        ("/quiz/answer", without(&ctx.alice_q, "csrf")),
        ("/quiz/undo", kv(&[("review", &a_last.to_string())])),
        (
            "/quiz/regrade",
            kv(&[("review", &a_last.to_string()), ("rating", "4")]),
        ),
        ("/import", kv(&[("data", "id,answer\n1,x")])),
        ("/settings", kv(&[("new_per_day", "5")])),
    ];
    let big = "A".repeat(100 * 1024);
    let huge = "B".repeat(1024 * 1024);
    for (path, fields) in &post_routes {
        let unknown = matches!(*path, "/import" | "/settings");
        let reject = if unknown { Expect::Any } else { Expect::Reject };
        for who in EVERYONE {
            let with = |csrf: &str| {
                let mut f = kv(&[("csrf", csrf)]);
                f.extend(fields.iter().cloned());
                f
            };
            // forged, foreign, missing and absurd CSRF tokens
            let bad_tokens: Vec<(&str, String)> = vec![
                ("forged csrf", "deadbeef".repeat(5)),
                ("someone else's csrf", ctx.other_csrf(who)),
                ("empty csrf", String::new()),
                ("100 KB csrf", big.clone()),
                ("sql csrf", SQLI[1].to_string()),
                ("html csrf", HTML[0].to_string()),
                ("csrf with NUL", format!("{}\0", ctx.csrf(who))),
                ("csrf upper-cased", ctx.csrf(who).to_uppercase()),
                ("csrf truncated", ctx.csrf(who)[..20].to_string()),
            ];
            for (label, token) in bad_tokens {
                c.post_form(
                    &format!("{label} as {who:?}"),
                    who,
                    path,
                    &with(&token),
                    reject,
                );
            }
            c.post_form(
                &format!("no csrf as {who:?}"),
                who,
                path,
                &without(&with(""), "csrf"),
                reject,
            );
            // The body formats below carry the valid token, yet must be refused for their form;
            // logging out would end the session the rest of the corpus uses, so /logout gets
            // them only from visitors who are not logged in.
            if *path == "/logout" && who.logged_in() {
                continue;
            }
            // /import and /settings are real writes for a learner with a valid token: only
            // forged tokens are sent to them (see `account_pages_survive_garbage`).
            if unknown && who.logged_in() {
                continue;
            }
            let good = with(&ctx.csrf(who));
            c.post_body(
                &format!("JSON body as {who:?}"),
                who,
                path,
                Some("application/json"),
                &json(&good),
                reject,
            );
            c.post_body(
                &format!("multipart body as {who:?}"),
                who,
                path,
                Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
                &multipart(&good),
                reject,
            );
            c.post_body(
                &format!("text/plain body as {who:?}"),
                who,
                path,
                Some("text/plain"),
                &form(&good),
                reject,
            );
            c.post_body(
                &format!("no content type as {who:?}"),
                who,
                path,
                None,
                &form(&good),
                reject,
            );
            c.post_body(
                &format!("xml body as {who:?}"),
                who,
                path,
                Some("application/xml"),
                b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>",
                reject,
            );
            let mut one_mb = good.clone();
            one_mb.push(("padding".into(), huge.clone()));
            c.post_form(&format!("1 MB body as {who:?}"), who, path, &one_mb, reject);
            let mut field_100k = good.clone();
            field_100k.push(("extra".into(), big.clone()));
            c.post_form(
                &format!("100 KB extra field as {who:?}"),
                who,
                path,
                &field_100k,
                reject,
            );
            if !fields.is_empty() {
                // every field 100 KB long
                let all_big: Vec<(String, String)> = good
                    .iter()
                    .map(|(k, v)| (k.clone(), if k == "csrf" { v.clone() } else { big.clone() }))
                    .collect();
                c.post_form(
                    &format!("100 KB fields as {who:?}"),
                    who,
                    path,
                    &all_big,
                    reject,
                );
            }
            // Broken encodings in the csrf value: never a valid token.
            for (label, raw) in [
                ("broken percent %ZZ", b"csrf=%ZZ&x=%".to_vec()),
                ("percent %FF%FE", b"csrf=%FF%FE%00".to_vec()),
                (
                    "raw invalid UTF-8",
                    b"csrf=\xff\xfe\xfd&username=\xc3\x28".to_vec(),
                ),
                ("no equals signs", b"csrf&&&&==&=".to_vec()),
                ("semicolons", b"csrf=a;b;c;username=x".to_vec()),
            ] {
                let mut body = raw;
                for (k, v) in fields {
                    body.extend_from_slice(
                        format!("&{}={}", urlencode(k), urlencode(v)).as_bytes(),
                    );
                }
                c.post_body(
                    &format!("{label} as {who:?}"),
                    who,
                    path,
                    Some(FORM),
                    &body,
                    reject,
                );
            }
            // charset games with a forged token
            c.post_body(
                &format!("form with charset utf-16 as {who:?}"),
                who,
                path,
                Some("application/x-www-form-urlencoded; charset=utf-16"),
                &form(&with("deadbeef")),
                reject,
            );
        }
    }

    // 3. Route-specific attacks with valid CSRF tokens: everything else about the request is
    //    wrong, so nothing may be written.
    let alice = Who::Alice;
    let bob = Who::Bob;
    let q = &ctx.alice_q;

    // 3a. /quiz/answer: forged, tampered, foreign and used-up tokens, with an otherwise valid
    //     answer; and invalid answers with a valid token.
    let mut answer_cases: Vec<(String, Vec<(String, String)>)> = vec![
        ("forged token".into(), set(q, "token", &"0".repeat(40))),
        ("token deadbeef".into(), set(q, "token", "deadbeef")),
        ("empty token".into(), set(q, "token", "")),
        (
            "token upper-cased".into(),
            set(q, "token", &input(q, "token").to_uppercase()),
        ),
        (
            "token + 1 char".into(),
            set(q, "token", &format!("{}0", input(q, "token"))),
        ),
        (
            "token of Bob's question".into(),
            set(q, "token", &input(&ctx.bob_q, "token")),
        ),
        (
            "Bob's concept".into(),
            set(q, "concept", &input(&ctx.bob_q, "concept")),
        ),
        (
            "Bob's card".into(),
            set(q, "card", &input(&ctx.bob_q, "card")),
        ),
        (
            "version + 1".into(),
            set(
                q,
                "version",
                &(input(q, "version").parse::<i64>().unwrap() + 1).to_string(),
            ),
        ),
        ("version -1".into(), set(q, "version", "-1")),
        ("mode practice".into(), set(q, "mode", "practice")),
        (
            "used-up token".into(),
            set(&ctx.alice_old, "csrf", &ctx.csrf_alice),
        ),
        (
            "used-up token, version moved on".into(),
            set(
                &set(&ctx.alice_old, "csrf", &ctx.csrf_alice),
                "version",
                &input(q, "version"),
            ),
        ),
        ("duplicate token".into(), {
            let mut f = q.clone();
            f.push(("token".into(), input(q, "token")));
            f
        }),
        ("duplicate answer".into(), {
            let mut f = q.clone();
            f.push(("answer".into(), "x".into()));
            f
        }),
        ("missing concept".into(), without(q, "concept")),
        ("missing card".into(), without(q, "card")),
        ("missing version".into(), without(q, "version")),
        ("missing token".into(), without(q, "token")),
        ("100 KB answer".into(), set(q, "answer", &big)),
        ("shown_at letters".into(), set(q, "shown_at", "abc")),
        (
            "shown_at huge".into(),
            set(q, "shown_at", "99999999999999999999"),
        ),
        ("grade letters".into(), set(q, "grade", "abc")),
        ("grade 256".into(), set(q, "grade", "256")),
        ("give_up twice".into(), {
            let mut f = set(q, "give_up", "1");
            f.push(("give_up".into(), "1".into()));
            f
        }),
    ];
    for v in NUMBERS {
        answer_cases.push((format!("version {v:?}"), set(q, "version", v)));
    }
    for s in SQLI.iter().chain(HTML) {
        answer_cases.push((format!("concept {s:?}"), set(q, "concept", s)));
        answer_cases.push((format!("card {s:?}"), set(q, "card", s)));
        answer_cases.push((format!("token {s:?}"), set(q, "token", s)));
    }
    answer_cases.extend(invalid_answers(ctx.alice_kind, q));
    for (kind, f) in &ctx.alice_practice {
        for (label, bad) in invalid_answers(kind, f) {
            answer_cases.push((format!("practice {kind}: {label}"), bad));
        }
    }
    for (label, f) in &answer_cases {
        c.post_form(
            &format!("answer, {label}, as Alice"),
            alice,
            "/quiz/answer",
            f,
            Expect::Reject,
        );
    }
    // Alice's valid question sent by Bob (with his own csrf), and by anonymous visitors
    let as_bob = set(q, "csrf", &ctx.csrf_bob);
    c.post_form(
        "Alice's question as Bob",
        bob,
        "/quiz/answer",
        &as_bob,
        Expect::Reject,
    );
    let as_bob = set(&as_bob, "token", &input(&ctx.bob_q, "token"));
    c.post_form(
        "Alice's question with Bob's token as Bob",
        bob,
        "/quiz/answer",
        &as_bob,
        Expect::Reject,
    );
    for who in [Who::Anon, Who::Nobody, Who::Forged] {
        let f = set(q, "csrf", &ctx.csrf(who));
        c.post_form(
            &format!("Alice's question as {who:?}"),
            who,
            "/quiz/answer",
            &f,
            Expect::Reject,
        );
    }

    // 3b. Undo and re-grade: other learners' reviews, old reviews, absurd ids and ratings.
    let mut review_ids: Vec<(String, String)> = vec![
        ("Bob's latest review".into(), b_last.to_string()),
        ("Bob's first review".into(), ctx.bob_ids[0].to_string()),
        ("Alice's first review".into(), a_first.to_string()),
        ("review 0".into(), "0".into()),
        ("review -1".into(), "-1".into()),
        ("review i64::MAX".into(), i64::MAX.to_string()),
        ("review i64::MIN".into(), i64::MIN.to_string()),
    ];
    for v in NUMBERS {
        review_ids.push((format!("review {v:?}"), v.to_string()));
    }
    for s in SQLI {
        review_ids.push((format!("review {s:?}"), format!("{a_last} {s}")));
        review_ids.push((format!("review {s:?} alone"), s.to_string()));
    }
    for (label, id) in &review_ids {
        let undo = kv(&[("csrf", &ctx.csrf_alice), ("review", id)]);
        c.post_form(
            &format!("undo {label} as Alice"),
            alice,
            "/quiz/undo",
            &undo,
            Expect::Reject,
        );
        for rating in ["4", "2"] {
            let rg = kv(&[
                ("csrf", &ctx.csrf_alice),
                ("review", id),
                ("rating", rating),
            ]);
            c.post_form(
                &format!("regrade {label} to {rating} as Alice"),
                alice,
                "/quiz/regrade",
                &rg,
                Expect::Reject,
            );
        }
    }
    // Bob goes after Alice's latest review (which Alice herself could undo)
    for (path, extra) in [
        ("/quiz/undo", None),
        ("/quiz/regrade", Some("4")),
        ("/quiz/regrade", Some("2")),
    ] {
        let mut f = kv(&[("csrf", &ctx.csrf_bob), ("review", &a_last.to_string())]);
        if let Some(r) = extra {
            f.push(("rating".into(), r.into()));
        }
        c.post_form(
            "Alice's latest review as Bob",
            bob,
            path,
            &f,
            Expect::Reject,
        );
        let mut f = set(&f, "learner_id", "1");
        f.push(("learner".into(), "alice".into()));
        c.post_form(
            "Alice's latest review as Bob, learner_id=1",
            bob,
            path,
            &f,
            Expect::Reject,
        );
    }
    // Alice's own latest review with ratings that are not allowed
    for rating in [
        "1",
        "3",
        "5",
        "0",
        "-4",
        "abc",
        "256",
        "",
        "99999999999999999999",
    ] {
        let f = kv(&[
            ("csrf", &ctx.csrf_alice),
            ("review", &a_last.to_string()),
            ("rating", rating),
        ]);
        c.post_form(
            &format!("regrade own latest to {rating:?}"),
            alice,
            "/quiz/regrade",
            &f,
            Expect::Reject,
        );
    }
    let f = kv(&[("csrf", &ctx.csrf_alice), ("review", &a_last.to_string())]);
    c.post_form(
        "regrade own latest, no rating",
        alice,
        "/quiz/regrade",
        &f,
        Expect::Reject,
    );
    let f = kv(&[
        ("csrf", &ctx.csrf_alice),
        ("review", &a_last.to_string()),
        ("review", &a_last.to_string()),
    ]);
    c.post_form(
        "undo own latest, review twice",
        alice,
        "/quiz/undo",
        &f,
        Expect::Reject,
    );
    for who in [Who::Anon, Who::Nobody, Who::Forged] {
        let f = kv(&[("csrf", &ctx.csrf(who)), ("review", &a_last.to_string())]);
        c.post_form(
            &format!("undo Alice's latest as {who:?}"),
            who,
            "/quiz/undo",
            &f,
            Expect::Reject,
        );
        let f = set(&f, "rating", "4");
        c.post_form(
            &format!("regrade Alice's latest as {who:?}"),
            who,
            "/quiz/regrade",
            &f,
            Expect::Reject,
        );
    }

    // 3c. Marking papers read: papers that do not exist, in many spellings.
    let slugs = [
        "no-such-paper".to_string(),
        "QLORA".into(),
        "qlora%00".into(),
        "qlora%20".into(),
        "%2e%2e%2fqlora".into(),
        urlencode(SQLI[0]),
        urlencode(SQLI[1]),
        urlencode(HTML[0]),
        "x".repeat(10_000),
        "%F0%9F%92%A9".into(),
    ];
    for s in &slugs {
        let path = format!("/papers/{s}/read");
        for who in [alice, bob] {
            let f = kv(&[("csrf", &ctx.csrf(who))]);
            c.post_form(
                &format!("read {} as {who:?}", cut(s, 30)),
                who,
                &path,
                &f,
                Expect::Reject,
            );
        }
    }
    for who in [Who::Anon, Who::Nobody, Who::Forged] {
        let f = kv(&[("csrf", &ctx.csrf(who))]);
        c.post_form(
            &format!("read a real paper as {who:?}"),
            who,
            "/papers/qlora/read",
            &f,
            Expect::Reject,
        );
    }

    // 3d. Sign-up with a valid token and names the rules refuse.
    let mut names: Vec<String> = SQLI.iter().chain(HTML).map(|s| s.to_string()).collect();
    names.extend([
        String::new(),
        "ab".into(),
        "x".repeat(33),
        big.clone(),
        "alice".into(),
        "ALICE".into(),
        " Bob ".into(),
        "名\u{200b}字字".into(),
        "null\0byte".into(),
        "../../etc".into(),
        "a%00b".into(),
        "%FF%FE".into(),
    ]);
    for n in &names {
        for who in [Who::Anon, alice] {
            let f = kv(&[
                ("csrf", &ctx.csrf(who)),
                ("username", n),
                ("password", PW),
                ("password_confirm", PW),
            ]);
            c.post_form(
                &format!("signup {:?} as {who:?}", cut(n, 30)),
                who,
                "/signup",
                &f,
                Expect::Reject,
            );
        }
    }
    for (label, pw, confirm) in [
        ("short password", "short", "short"),
        ("password 129 chars", &*"p".repeat(129), &*"p".repeat(129)),
        ("confirm differs", PW, "another passphrase"),
        ("password 100 KB", &*big, &*big),
    ] {
        let f = kv(&[
            ("csrf", &ctx.csrf_anon),
            ("username", "valid_name"),
            ("password", pw),
            ("password_confirm", confirm),
        ]);
        c.post_form(
            &format!("signup, {label}"),
            Who::Anon,
            "/signup",
            &f,
            Expect::Reject,
        );
    }
    let f = kv(&[("csrf", &ctx.csrf_anon), ("username", "valid_name")]);
    c.post_form(
        "signup, no password",
        Who::Anon,
        "/signup",
        &f,
        Expect::Reject,
    );

    // 3e. Log-in with a valid token and wrong credentials (the first ones cost a password hash;
    //     the limiter then answers 429).
    for (user, pw) in [
        ("alice", "not the password"),
        (SQLI[0], SQLI[0]),
        ("alice'--", PW),
        ("alice", SQLI[0]),
        ("nobody-here", PW),
        (HTML[0], HTML[1]),
        ("ALICE ", "wrong wrong wrong"),
        ("alice", ""),
    ] {
        let f = kv(&[
            ("csrf", &ctx.csrf_anon),
            ("username", user),
            ("password", pw),
        ]);
        c.post_form(
            &format!("login {user:?}"),
            Who::Anon,
            "/login",
            &f,
            Expect::Reject,
        );
    }
    let f = kv(&[
        ("csrf", &ctx.csrf_anon),
        ("username", &big),
        ("password", PW),
    ]);
    c.post_form(
        "login, 100 KB name",
        Who::Anon,
        "/login",
        &f,
        Expect::Reject,
    );
    let f = kv(&[("csrf", &ctx.csrf_anon), ("username", "alice")]);
    c.post_form(
        "login, no password",
        Who::Anon,
        "/login",
        &f,
        Expect::Reject,
    );

    // 3f. Log-out with someone else's or no token, from a learner (must not log her out).
    for who in [alice, bob] {
        for (label, token) in [
            ("foreign", ctx.other_csrf(who)),
            ("anonymous", ctx.csrf_anon.clone()),
            ("forged", "f".repeat(40)),
        ] {
            let f = kv(&[("csrf", &token)]);
            c.post_form(
                &format!("logout with {label} csrf as {who:?}"),
                who,
                "/logout",
                &f,
                Expect::Reject,
            );
        }
    }

    // 4. Query strings on the pages that read them.
    let queries: Vec<(&str, Who, Expect)> = vec![
        ("/papers/chinchilla?read=abc", Who::Anon, Expect::Reject),
        (
            "/papers/chinchilla?read=99999999999999999999",
            alice,
            Expect::Reject,
        ),
        ("/papers/chinchilla?read=-1", alice, Expect::Reject),
        ("/papers/chinchilla?read=256", alice, Expect::Reject),
        ("/papers/chinchilla?read=1&read=1", alice, Expect::Reject),
        ("/papers/chinchilla?read=1", alice, Expect::Any),
        ("/quiz?undone=abc", alice, Expect::Reject),
        ("/quiz?undone=-1", alice, Expect::Reject),
        ("/quiz?undone=99999999999999999999", alice, Expect::Reject),
        ("/quiz?concept=", alice, Expect::Reject),
        ("/quiz?concept=no-such", alice, Expect::Reject),
        ("/quiz?concept=rlhf", alice, Expect::Reject),
        ("/quiz?concept=lora", alice, Expect::Reject),
        ("/quiz?concept=compute-optimal", bob, Expect::Reject),
        (
            "/quiz?concept=compute-optimal&concept=lora",
            alice,
            Expect::Reject,
        ),
        ("/quiz?concept=%ZZ", alice, Expect::Reject),
        ("/quiz?concept=%FF%FE", alice, Expect::Reject),
        ("/quiz?concept=compute-optimal%00", alice, Expect::Reject),
        ("/quiz?mode=practice&concept=no-such", alice, Expect::Reject),
        ("/quiz?mode=practice&concept=rlhf", alice, Expect::Reject),
        ("/quiz?mode=", alice, Expect::Any),
        ("/quiz?mode=%ZZ", alice, Expect::Any),
        ("/quiz?mode=%FF", alice, Expect::Any),
        ("/quiz?mode=practice&mode=normal", alice, Expect::Any),
        ("/quiz?concept=lora", Who::Anon, Expect::Reject),
        ("/quiz?mode=practice", Who::Forged, Expect::Reject),
        ("/signup?next=//evil.example/", Who::Anon, Expect::Any),
        ("/signup?next=%2F%2Fevil.example", Who::Anon, Expect::Any),
        ("/login?next=javascript:alert(7)", Who::Anon, Expect::Any),
        (
            "/login?next=%0d%0aSet-Cookie:%20x=1",
            Who::Anon,
            Expect::Any,
        ),
        ("/login?next=/%5Cevil.example", Who::Anon, Expect::Any),
        ("/login?next=%ZZ", Who::Anon, Expect::Any),
        ("/login?next=%FF", Who::Anon, Expect::Any),
        ("/papers?%FF=%FE", Who::Anon, Expect::Any),
        ("/?a=%ZZ&&&=&", Who::Nobody, Expect::Any),
        ("/static/style.css?v=%ZZ", Who::Nobody, Expect::Any),
        ("/healthz?x=%00", Who::Nobody, Expect::Any),
    ];
    for (target, who, expect) in queries {
        c.get("query", who, target, expect);
    }
    for s in SQLI.iter().chain(HTML) {
        let e = urlencode(s);
        c.get(
            "sql/html in query",
            alice,
            &format!("/quiz?concept={e}"),
            Expect::Reject,
        );
        c.get(
            "sql/html in query",
            alice,
            &format!("/quiz?mode={e}"),
            Expect::Any,
        );
        c.get(
            "sql/html in query",
            Who::Anon,
            &format!("/login?next={e}"),
            Expect::Any,
        );
        c.get(
            "sql/html in query",
            Who::Anon,
            &format!("/signup?next={e}"),
            Expect::Any,
        );
        c.get(
            "sql/html in path",
            Who::Anon,
            &format!("/papers/{e}"),
            Expect::Reject,
        );
        c.get(
            "sql/html in path",
            Who::Anon,
            &format!("/concepts/{e}"),
            Expect::Reject,
        );
        c.get(
            "sql/html in path",
            alice,
            &format!("/quiz/feedback/{e}"),
            Expect::Reject,
        );
        c.get(
            "sql/html in path",
            Who::Anon,
            &format!("/static/{e}"),
            Expect::Reject,
        );
    }
    c.get(
        "100 KB query",
        alice,
        &format!("/quiz?concept={big}"),
        Expect::Reject,
    );
    c.get(
        "100 KB query",
        Who::Anon,
        &format!("/login?next=/{big}"),
        Expect::Reject,
    );
    c.get(
        "10 KB query",
        Who::Anon,
        &format!("/login?next=/{}", "n".repeat(10_000)),
        Expect::Any,
    );

    // 5. Review ids in the feedback path: others', absurd, broken.
    for id in [
        b_last.to_string(),
        ctx.bob_ids[0].to_string(),
        "0".into(),
        "-1".into(),
        i64::MAX.to_string(),
        i64::MIN.to_string(),
        "99999999999999999999".into(),
        "abc".into(),
        "1.5".into(),
        "1e3".into(),
        "0x10".into(),
        "%ZZ".into(),
        "%FF".into(),
        "1%00".into(),
        format!("{a_last}%20OR%201=1"),
        format!("{a_last};DROP%20TABLE%20reviews"),
        format!("{a_last}/"),
        format!("{a_last}/../{b_last}"),
    ] {
        c.get(
            "feedback id",
            alice,
            &format!("/quiz/feedback/{id}"),
            Expect::Reject,
        );
    }
    c.get(
        "feedback of Alice's review",
        bob,
        &format!("/quiz/feedback/{a_last}"),
        Expect::Reject,
    );
    c.get(
        "feedback of Alice's review",
        Who::Forged,
        &format!("/quiz/feedback/{a_last}"),
        Expect::Reject,
    );
    c.get(
        "feedback of Alice's review",
        Who::Nobody,
        &format!("/quiz/feedback/{a_last}"),
        Expect::Reject,
    );

    // 6. Path traversal and odd names on /static, raw bytes, broken percent-encoding.
    let traversal: &[&[u8]] = &[
        b"/static/../Cargo.toml",
        b"/static/../../Cargo.toml",
        b"/static/%2e%2e%2fCargo.toml",
        b"/static/%2e%2e/Cargo.toml",
        b"/static/%2E%2E%2F%2E%2E%2FCargo.toml",
        b"/static/..%2fCargo.toml",
        b"/static/..%2f..%2fCargo.toml",
        b"/static/..%5cCargo.toml",
        b"/static/..\\Cargo.toml",
        b"/static/%2e%2e%5c%2e%2e%5cCargo.toml",
        b"/static/%252e%252e%252fCargo.toml",
        b"/static/%c0%ae%c0%ae%2fCargo.toml",
        b"/static/.%2e/.%2e/Cargo.toml",
        b"/static/....//....//Cargo.toml",
        b"/static/style.css/../../Cargo.toml",
        b"/static//etc/passwd",
        b"/static/%2fetc%2fpasswd",
        b"/static/%00",
        b"/static/style.css%00",
        b"/static/style.css%00.js",
        b"/static/..%00/Cargo.toml",
        b"/static/\x00",
        b"/static/",
        b"/static",
        b"/static/.",
        b"/static/..",
        b"/static/%2e",
        b"/static/../src/main.rs",
        b"/static/../../../../../../etc/passwd",
        b"/../Cargo.toml",
        b"/%2e%2e/Cargo.toml",
        b"/static/STYLE.CSS",
        b"/static/style.css.map",
        b"/static/%73tyle.css%3F",
    ];
    for t in traversal {
        for who in [Who::Nobody, alice] {
            let req = ctx.request(who, "GET", t, None, b"", &[]);
            c.add(
                format!("traversal {} as {who:?}", String::from_utf8_lossy(t)),
                who,
                req,
                Expect::Reject,
            );
        }
    }
    let odd_paths: &[&[u8]] = &[
        b"/papers/\xff\xfe",
        b"/papers/%ZZ",
        b"/papers/%",
        b"/papers/%F",
        b"/papers/%FF%FE",
        b"/papers/chinchilla%00",
        b"/papers/chinchilla/",
        b"/papers//chinchilla",
        b"/concepts/\xc3\x28",
        b"/concepts/%ZZ",
        b"/concepts/rlhf%2F..%2F..",
        b"/quiz/feedback/\xff",
        b"/quiz/feedback/%ZZ",
        b"/quiz/feedback/",
        b"/quiz/feedback",
        b"/quiz/undo/1",
        b"/quiz/answer/",
        b"/papers/chinchilla/read/",
        b"/\xff",
        b"/%ZZ",
        b"*",
        b"//papers",
        b"/papers?\xff=\xfe",
        b"/quiz?concept=\xff\xfe",
    ];
    for t in odd_paths {
        for (who, m) in [(alice, "GET"), (Who::Nobody, "GET"), (alice, "POST")] {
            let body = if m == "POST" {
                form(&kv(&[("csrf", &ctx.csrf_alice)]))
            } else {
                Vec::new()
            };
            let ct = (m == "POST").then_some(FORM);
            let req = ctx.request(who, m, t, ct, &body, &[]);
            c.add(
                format!("odd path {m} {} as {who:?}", String::from_utf8_lossy(t)),
                who,
                req,
                Expect::Reject,
            );
        }
    }

    // 7. Broken requests: headers, framing, cookies.
    let host = format!("Host: 127.0.0.1:{}\r\n", ctx.port);
    let raw_cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("garbage request line", b"HELLO\r\n\r\n".to_vec(), Expect::Reject),
        ("double space request line", format!("GET  / HTTP/1.1\r\n{host}Connection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("HTTP/9.9", format!("GET / HTTP/9.9\r\n{host}Connection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("lowercase method", format!("get / HTTP/1.1\r\n{host}Connection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("HTTP/1.0 without Host", b"GET / HTTP/1.0\r\n\r\n".to_vec(), Expect::Any),
        ("absolute-form target", format!("GET http://evil.example/papers HTTP/1.1\r\n{host}Connection: close\r\n\r\n").into_bytes(), Expect::Any),
        ("absolute-form traversal", format!("GET http://127.0.0.1/static/../Cargo.toml HTTP/1.1\r\n{host}Connection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("header without colon", format!("GET / HTTP/1.1\r\n{host}NoColonHere\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("NUL in header value", format!("GET / HTTP/1.1\r\n{host}X-Bad: a\0b\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("100 KB header", format!("GET / HTTP/1.1\r\n{host}X-Big: {big}\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Any),
        ("100 KB cookie", format!("GET /quiz HTTP/1.1\r\n{host}Cookie: pd_session={big}\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("500 headers", {
            let mut s = format!("GET / HTTP/1.1\r\n{host}");
            for i in 0..500 {
                s.push_str(&format!("X-H{i}: {i}\r\n"));
            }
            s.push_str("Connection: close\r\n\r\n");
            s.into_bytes()
        }, Expect::Reject),
        ("100 KB path", format!("GET /papers/{big} HTTP/1.1\r\n{host}Connection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("Content-Length and chunked", format!("POST /login HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n").into_bytes(), Expect::Reject),
        ("two Content-Lengths", format!("POST /login HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nContent-Length: 3\r\nContent-Length: 5\r\nConnection: close\r\n\r\nabcde").into_bytes(), Expect::Reject),
        ("negative Content-Length", format!("POST /login HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nContent-Length: -5\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("huge Content-Length", format!("POST /login HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nContent-Length: 99999999999999999999\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("Content-Length 1 GB, short body", format!("POST /quiz/answer HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nContent-Length: 1000000000\r\nConnection: close\r\n\r\ncsrf=x").into_bytes(), Expect::Reject),
        ("bad chunk size", format!("POST /login HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n").into_bytes(), Expect::Reject),
        ("chunked 1 MB body", {
            let mut s = format!("POST /quiz/answer HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").into_bytes();
            for _ in 0..16 {
                s.extend_from_slice(format!("{:x}\r\n", 64 * 1024).as_bytes());
                s.extend_from_slice(&[b'a'; 64 * 1024]);
                s.extend_from_slice(b"\r\n");
            }
            s.extend_from_slice(b"0\r\n\r\n");
            s
        }, Expect::Reject),
        ("gzip-encoded garbage body", format!("POST /login HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789").into_bytes(), Expect::Reject),
        ("unknown Content-Encoding", format!("POST /logout HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nContent-Encoding: br-x\r\nContent-Length: 6\r\nConnection: close\r\n\r\ncsrf=x").into_bytes(), Expect::Reject),
        ("Expect: 100-continue then nothing", format!("POST /login HTTP/1.1\r\n{host}Content-Type: {FORM}\r\nExpect: 100-continue\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("garbage cookies", format!("GET /quiz HTTP/1.1\r\n{host}Cookie: pd_session=%ZZ%FF; pd_anon=\"\\\"; ===; ;;\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Reject),
        ("invalid UTF-8 cookie", {
            let mut s = format!("GET /quiz HTTP/1.1\r\n{host}").into_bytes();
            s.extend_from_slice(b"Cookie: pd_session=\xff\xfe\xfd\r\nConnection: close\r\n\r\n");
            s
        }, Expect::Reject),
        ("Alice's session cookie tampered", {
            let cookie = ctx.cookies["alice"].replace("pd_session=", "pd_session=A");
            format!("GET /quiz HTTP/1.1\r\n{host}Cookie: {cookie}\r\nConnection: close\r\n\r\n").into_bytes()
        }, Expect::Reject),
        ("Alice's session cookie, Bob's anon", {
            let anon = ctx.cookies["bob"]
                .split("; ")
                .find(|c| c.starts_with("pd_anon="))
                .unwrap_or("pd_anon=x")
                .to_string();
            let session = ctx.cookies["alice"]
                .split("; ")
                .find(|c| c.starts_with("pd_session="))
                .unwrap_or("pd_session=x")
                .to_string();
            let body = form(&kv(&[("csrf", &ctx.csrf_bob), ("review", &a_last.to_string())]));
            let mut s = format!(
                "POST /quiz/undo HTTP/1.1\r\n{host}Cookie: {session}; {anon}\r\nContent-Type: {FORM}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            s.extend_from_slice(&body);
            s
        }, Expect::Reject),
        ("If-None-Match garbage", {
            let mut s = format!("GET /static/style.css HTTP/1.1\r\n{host}").into_bytes();
            s.extend_from_slice(b"If-None-Match: \"\xff\xfe\"\r\nConnection: close\r\n\r\n");
            s
        }, Expect::Any),
        ("Accept-Encoding garbage", format!("GET / HTTP/1.1\r\n{host}Accept-Encoding: gzip;q=NaN, *;q=-1, br;q=99999999999999999999\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Any),
        ("Range header", format!("GET /static/style.css HTTP/1.1\r\n{host}Range: bytes=99999999999999999999-\r\nConnection: close\r\n\r\n").into_bytes(), Expect::Any),
    ];
    for (label, req, expect) in raw_cases {
        c.add(format!("raw: {label}"), Who::Nobody, req, expect);
    }

    // 8. Alice's real export uploaded to /import with a forged, foreign or missing token, by
    //    everyone: nothing may be imported into anyone's account.
    if !ctx.alice_export.is_empty() {
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        for who in EVERYONE {
            for (label, token) in [
                ("forged", Some("deadbeef".repeat(5))),
                ("foreign", Some(ctx.other_csrf(who))),
                ("no", None),
            ] {
                let fields: Vec<(&str, &str)> = match &token {
                    Some(t) => vec![("csrf", t.as_str())],
                    None => Vec::new(),
                };
                let body = upload(&fields, "file", "paperdeck.json", &ctx.alice_export);
                let req = ctx.request(who, "POST", b"/import", Some(&ct), &body, &[]);
                c.add(
                    format!("import Alice's export with {label} csrf as {who:?}"),
                    who,
                    req,
                    Expect::Any,
                );
            }
        }
    }

    // Log-outs from the learners go last: if one wrongly succeeded, the cases before it still
    // ran with the session.
    c.cases
        .sort_by_key(|case| case.who.logged_in() && case.label.contains("/logout"));
    c.cases
}

fn input(f: &[(String, String)], k: &str) -> String {
    f.iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Setup: two learners with some history

async fn answer_some(b: &Browser, n: usize) -> (Vec<i64>, Vec<(String, String)>) {
    let mut ids = Vec::new();
    let mut last = Vec::new();
    for _ in 0..n {
        let q = b.get("/quiz").await;
        assert_eq!(q.status, 200);
        let f = answer_fields(&q);
        let res = b.post("/quiz/answer", &as_pairs(&f)).await;
        assert_eq!(res.status, 303, "{}", res.body);
        let loc = res.location.expect("location");
        ids.push(loc.rsplit('/').next().unwrap().parse().expect("review id"));
        last = f;
    }
    (ids, last)
}

async fn setup(app: &App) -> Ctx {
    let anon = Browser::new(app);
    let csrf_anon = anon.get("/signup").await.csrf();

    let alice = Browser::new(app);
    assert_eq!(alice.signup("alice").await.status, 303);
    let csrf = alice.get("/papers/chinchilla").await.csrf();
    let read = alice
        .post("/papers/chinchilla/read", &[("csrf", &csrf)])
        .await;
    assert_eq!(read.status, 303);
    let (alice_ids, alice_old) = answer_some(&alice, 3).await;
    let q = alice.get("/quiz").await;
    let alice_q = answer_fields(&q);
    let mut alice_practice = Vec::new();
    for concept in &paperdeck::content::embedded()
        .expect("content")
        .paper("chinchilla")
        .expect("paper")
        .concepts
    {
        let p = alice.get(&format!("/quiz?concept={concept}")).await;
        assert_eq!(p.status, 200, "practice {concept}");
        alice_practice.push((question_kind(&p.body), answer_fields(&p)));
    }
    let alice_kind = question_kind(&q.body);

    let bob = Browser::new(app);
    assert_eq!(bob.signup("bob").await.status, 303);
    let csrf = bob.get("/papers/qlora").await.csrf();
    let read = bob.post("/papers/qlora/read", &[("csrf", &csrf)]).await;
    assert_eq!(read.status, 303);
    let (bob_ids, _) = answer_some(&bob, 3).await;
    let bob_q = answer_fields(&bob.get("/quiz").await);
    let export = alice.get("/export/paperdeck.json").await;
    let alice_export = if export.status == 200 {
        export.body.into_bytes()
    } else {
        Vec::new()
    };

    let mut cookies = BTreeMap::new();
    cookies.insert("anon", anon.cookie_header());
    cookies.insert("alice", alice.cookie_header());
    cookies.insert("bob", bob.cookie_header());
    cookies.insert(
        "forged",
        "pd_session=Zm9yZ2VkLXNlc3Npb24tY29va2llLXZhbHVlLXRoYXQtaXMtbG9uZw==; pd_anon=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            .to_string(),
    );
    assert!(cookies["alice"].contains("pd_session="), "{cookies:?}");
    Ctx {
        port: app.port,
        cookies,
        csrf_anon,
        csrf_alice: input(&alice_q, "csrf"),
        csrf_bob: input(&bob_q, "csrf"),
        alice_ids,
        bob_ids,
        alice_q,
        alice_kind,
        alice_practice,
        alice_old,
        bob_q,
        alice_export,
    }
}

/// What the body of any response must never show.
const NEVER_IN_BODY: &[&str] = &[
    "panicked",
    "[package]",          // Cargo.toml
    "root:x:0:0",         // /etc/passwd
    "fn main()",          // source
    "<script>alert(7)",   // reflected script
    "<img src=x onerror", // reflected attribute
    "$argon2id$",         // password hashes
    "SQLITE_",            // raw database errors
    "sqlx::",
];

#[tokio::test]
async fn hostile_requests_are_refused_and_change_nothing() {
    let started = Instant::now();
    let app = spawn_app().await;
    let ctx = setup(&app).await;
    let cases = build_corpus(&ctx);
    let before = dump(&app.db_path).await;

    let mut histogram: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    // HOSTILE_VERBOSE=1 prints every request's status.
    let verbose = std::env::var_os("HOSTILE_VERBOSE").is_some();
    for case in &cases {
        let t = Instant::now();
        let res = send_raw(ctx.port, case.request.clone()).await;
        slowest.push((t.elapsed(), case.label.clone()));
        let r = match res {
            Ok(r) => r,
            Err(e) => {
                *histogram.entry("no response".into()).or_default() += 1;
                failures.push(format!("{}: no response: {e}", case.label));
                continue;
            }
        };
        *histogram.entry(r.status.to_string()).or_default() += 1;
        if verbose {
            println!("{} {}", r.status, case.label);
        }
        let body = String::from_utf8_lossy(&r.body);
        if r.status >= 500 {
            failures.push(format!(
                "{}: status {} (body: {})",
                case.label,
                r.status,
                cut(&body, 200)
            ));
            continue;
        }
        if let Some(bad) = NEVER_IN_BODY.iter().find(|s| body.contains(**s)) {
            failures.push(format!(
                "{}: status {}, body contains {bad:?}",
                case.label, r.status
            ));
        }
        if case.expect == Expect::Reject {
            let to_login = r.status == 303
                && r.header("location")
                    .is_some_and(|l| l.starts_with("/login"))
                && !case.who.logged_in();
            if !((400..500).contains(&r.status) || to_login) {
                failures.push(format!(
                    "{}: expected a refusal, got {} (location {:?})",
                    case.label,
                    r.status,
                    r.header("location")
                ));
            }
        }
    }

    // The server is still well, and the learners still logged in.
    let health = send_raw(
        ctx.port,
        ctx.request(Who::Nobody, "GET", b"/healthz", None, b"", &[]),
    )
    .await
    .expect("healthz answers");
    assert_eq!(health.status, 200);
    let quiz = send_raw(
        ctx.port,
        ctx.request(Who::Alice, "GET", b"/quiz", None, b"", &[]),
    )
    .await
    .expect("quiz answers");
    assert_eq!(quiz.status, 200, "Alice is still logged in");

    let after = dump(&app.db_path).await;
    let changes = diff(&before, &after);

    println!(
        "hostile: {} requests in {:.1} s; status histogram: {}",
        cases.len(),
        started.elapsed().as_secs_f64(),
        histogram
            .iter()
            .map(|(k, v)| format!("{k} → {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (d, label) in slowest.iter().take(8) {
        println!("  slow: {} ms {label}", d.as_millis());
    }
    assert!(cases.len() >= 300, "only {} requests", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} hostile requests were mishandled:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(
        changes.is_empty(),
        "the hostile requests changed the database:\n{changes}"
    );
}

/// `shown_at` is not covered by the answer token: a learner (or anyone replaying her form) can
/// put any number there. An extreme value must neither crash the request nor store an absurd
/// duration.
#[tokio::test]
async fn extreme_shown_at_values_do_not_break_an_answer() {
    let app = spawn_app().await;
    let b = Browser::new(&app);
    assert_eq!(b.signup("timer").await.status, 303);
    let csrf = b.get("/papers/palm").await.csrf();
    assert_eq!(
        b.post("/papers/palm/read", &[("csrf", &csrf)]).await.status,
        303
    );

    let now_ms = chrono_free_now_ms();
    let values = [
        i64::MIN.to_string(),
        (i64::MIN + 1).to_string(),
        (-now_ms).to_string(),
        "-1".to_string(),
        "0".to_string(),
        (now_ms + 3_600_000).to_string(),
        i64::MAX.to_string(),
    ];
    let mut failures = Vec::new();
    for v in &values {
        let q = b.get("/quiz").await;
        assert_eq!(q.status, 200);
        let f = set(&answer_fields(&q), "shown_at", v);
        let req = {
            let cookie = b.cookie_header();
            let body = form(&f);
            let mut r = format!(
                "POST /quiz/answer HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nCookie: {cookie}\r\nContent-Type: {FORM}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                app.port,
                body.len()
            )
            .into_bytes();
            r.extend_from_slice(&body);
            r
        };
        match send_raw(app.port, req).await {
            Err(e) => failures.push(format!(
                "POST /quiz/answer with a valid token and shown_at={v}: no response ({e}); \
                 expected a 303 (or a 400), the connection was dropped"
            )),
            Ok(r) if r.status >= 500 || String::from_utf8_lossy(&r.body).contains("panicked") => {
                failures.push(format!("shown_at={v}: status {}", r.status))
            }
            Ok(r) if r.status == 303 => {
                let id: i64 = r
                    .header("location")
                    .and_then(|l| l.rsplit('/').next())
                    .and_then(|s| s.parse().ok())
                    .expect("feedback location");
                let opts = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(&app.db_path)
                    .read_only(true);
                let pool = sqlx::SqlitePool::connect_with(opts).await.expect("db");
                let ms: i64 = sqlx::query_scalar("SELECT duration_ms FROM reviews WHERE id = $1")
                    .bind(id)
                    .fetch_one(&pool)
                    .await
                    .expect("review row");
                pool.close().await;
                if !(0..=30 * 60 * 1000).contains(&ms) {
                    failures.push(format!("shown_at={v}: stored duration_ms {ms}"));
                }
            }
            Ok(r) if (400..500).contains(&r.status) => {}
            Ok(r) => failures.push(format!("shown_at={v}: unexpected status {}", r.status)),
        }
    }
    let health = b.get("/healthz").await;
    assert_eq!(health.status, 200);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn chrono_free_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

// ---------------------------------------------------------------------------------------------
// Pages that write for a learner with a valid token: /settings, /import (and /export)

/// A multipart body with the given text fields and one file part.
fn upload(fields: &[(&str, &str)], file_field: &str, file_name: &str, file: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in fields {
        out.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    out.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{file_field}\"; \
             filename=\"{file_name}\"\r\nContent-Type: application/json\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(file);
    out.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// Rewrites every leaf of a JSON document.
fn mutate(
    v: &serde_json::Value,
    f: &dyn Fn(&serde_json::Value) -> Option<serde_json::Value>,
) -> serde_json::Value {
    use serde_json::Value;
    if let Some(new) = f(v) {
        return new;
    }
    match v {
        Value::Array(a) => Value::Array(a.iter().map(|x| mutate(x, f)).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, x)| (k.clone(), mutate(x, f))).collect())
        }
        other => other.clone(),
    }
}

type JsonMap = serde_json::Map<String, serde_json::Value>;
type LeafMutation = Box<dyn Fn(&serde_json::Value) -> Option<serde_json::Value>>;

/// Changes the shape of a JSON document: arrays and objects.
fn reshape(
    v: &serde_json::Value,
    arrays: &dyn Fn(&[serde_json::Value]) -> Vec<serde_json::Value>,
    objects: &dyn Fn(&JsonMap) -> JsonMap,
) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Array(a) => {
            let inner: Vec<Value> = a.iter().map(|x| reshape(x, arrays, objects)).collect();
            Value::Array(arrays(&inner))
        }
        Value::Object(o) => {
            let inner = o
                .iter()
                .map(|(k, x)| (k.clone(), reshape(x, arrays, objects)))
                .collect();
            Value::Object(objects(&inner))
        }
        other => other.clone(),
    }
}

/// Rows of one learner, to see that nothing done by another learner touched them.
async fn rows_of(db_path: &std::path::Path, learner: i64) -> Vec<String> {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db_path)
        .read_only(true);
    let pool = sqlx::SqlitePool::connect_with(opts).await.expect("db");
    let mut out = Vec::new();
    for (table, key) in [
        ("learners", "id"),
        ("papers_read", "learner_id"),
        ("concept_states", "learner_id"),
        ("reviews", "learner_id"),
    ] {
        let cols: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(table)
                .fetch_all(&pool)
                .await
                .expect("columns");
        let expr = cols
            .iter()
            .map(|c| format!("quote({c})"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let mut rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT {expr} FROM {table} WHERE {key} = $1"))
                .bind(learner)
                .fetch_all(&pool)
                .await
                .expect("rows");
        rows.sort();
        out.extend(rows.into_iter().map(|r| format!("{table}: {r}")));
    }
    pool.close().await;
    out
}

/// `/settings`, `/settings/*`, `/export/*` and `/import` with absurd values and files, sent by
/// the learner herself with a valid token. These may write (that is what they are for), so the
/// only demands are: never a 500 or a panic, the learner's pages keep working afterwards, the
/// other learner's rows are untouched, and the database stays sound.
#[tokio::test]
async fn account_pages_survive_garbage() {
    use serde_json::{json, Value};
    let started = Instant::now();
    let app = spawn_app().await;
    let alice = Browser::new(&app);
    assert_eq!(alice.signup("alice").await.status, 303);
    let csrf = alice.get("/papers/chinchilla").await.csrf();
    assert_eq!(
        alice
            .post("/papers/chinchilla/read", &[("csrf", &csrf)])
            .await
            .status,
        303
    );
    answer_some(&alice, 4).await;
    let bob = Browser::new(&app);
    assert_eq!(bob.signup("bob").await.status, 303);
    let csrf_bob = bob.get("/papers/qlora").await.csrf();
    assert_eq!(
        bob.post("/papers/qlora/read", &[("csrf", &csrf_bob)])
            .await
            .status,
        303
    );
    answer_some(&bob, 3).await;
    let bob_before = rows_of(&app.db_path, 2).await;

    let cookie = alice.cookie_header();
    let port = app.port;
    let mut histogram: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    let mut count = 0usize;
    let verbose = std::env::var_os("HOSTILE_VERBOSE").is_some();
    let mut send = async |label: String,
                          method: &str,
                          target: &str,
                          ct: Option<&str>,
                          body: Vec<u8>|
           -> Option<Raw> {
        count += 1;
        let req = raw_request(
            port,
            Some(&cookie),
            method,
            target.as_bytes(),
            ct,
            &body,
            &[],
        );
        match send_raw(port, req).await {
            Err(e) => {
                *histogram.entry("no response".into()).or_default() += 1;
                failures.push(format!("{label}: no response: {e}"));
                None
            }
            Ok(r) => {
                *histogram.entry(r.status.to_string()).or_default() += 1;
                if verbose {
                    println!("{} {label}", r.status);
                }
                let body = String::from_utf8_lossy(&r.body);
                if r.status >= 500 {
                    failures.push(format!(
                        "{label}: status {} ({})",
                        r.status,
                        cut(&body, 200)
                    ));
                } else {
                    // Downloads (JSON, CSV) carry her own strings verbatim; pages must not.
                    let html = r
                        .header("content-type")
                        .is_some_and(|c| c.starts_with("text/html"));
                    let bad = NEVER_IN_BODY
                        .iter()
                        .filter(|s| html || **s == "panicked" || s.starts_with("$argon2"))
                        .find(|s| body.contains(**s));
                    if let Some(bad) = bad {
                        failures.push(format!(
                            "{label}: status {}, body contains {bad:?}",
                            r.status
                        ));
                    }
                }
                Some(r)
            }
        }
    };
    let csrf = alice.get("/papers/chinchilla").await.csrf();

    // Pages a learner reads; checked again after every change that was accepted.
    let pages = [
        "/",
        "/quiz",
        "/quiz?mode=practice",
        "/progress",
        "/settings",
        "/export",
        "/export/paperdeck.json",
        "/export/revlog.csv",
        "/export/cards.csv",
        "/papers/chinchilla",
    ];

    // 1. Settings: every field in turn takes absurd values; the rest stay valid.
    let base = [
        ("desired_retention", "90"),
        ("new_per_day", "5"),
        ("max_reviews_per_day", "50"),
        ("timezone", "Asia/Shanghai"),
        ("rollover_hour", "4"),
    ];
    let big = "9".repeat(100 * 1024);
    let mut values: Vec<String> = [
        "",
        "   ",
        "abc",
        "NaN",
        "inf",
        "-inf",
        "1e309",
        "1e-400",
        "-0",
        "-1",
        "0",
        "1",
        "0.5",
        "0.8",
        "0.97",
        "97.4",
        "80",
        "96.5%",
        "%",
        "99999999999999999999",
        "-99999999999999999999",
        "9223372036854775807",
        "-9223372036854775808",
        "0x10",
        "１",
        "5\0",
        "Pacific/Kiritimati",
        "Etc/GMT+12",
        "Etc/GMT-14",
        "../../etc/passwd",
        "Mars/Olympus",
        "UTC\0",
        "+08:00",
        "posix/Asia/Shanghai",
        "asia/shanghai",
        "Factory",
        "EST5EDT",
        "23",
        "24",
        "1000",
        "1001",
        "50",
        "51",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    values.extend(SQLI.iter().chain(HTML).map(|s| s.to_string()));
    values.push(big.clone());
    values.push("x".repeat(60 * 1024));
    let mut accepted = 0;
    for (field, _) in base {
        for v in &values {
            let mut f = kv(&[("csrf", &csrf)]);
            f.extend(base.iter().map(|(k, d)| {
                (
                    k.to_string(),
                    if *k == field {
                        v.clone()
                    } else {
                        d.to_string()
                    },
                )
            }));
            let label = format!("settings {field}={:?}", cut(v, 30));
            let r = send(label.clone(), "POST", "/settings", Some(FORM), form(&f)).await;
            if r.is_some_and(|r| r.status == 303) {
                accepted += 1;
                for p in pages {
                    send(format!("{p} after {label}"), "GET", p, None, Vec::new()).await;
                }
            }
        }
    }
    // extreme but valid combinations, then the pages
    for (tz, hour, retention, new, max) in [
        ("Pacific/Kiritimati", "23", "97", "50", "1000"),
        ("Etc/GMT+12", "0", "80", "0", "1"),
        ("UTC", "23", "0.8", "0", "1000"),
    ] {
        let f = kv(&[
            ("csrf", &csrf),
            ("desired_retention", retention),
            ("new_per_day", new),
            ("max_reviews_per_day", max),
            ("timezone", tz),
            ("rollover_hour", hour),
        ]);
        send(
            format!("settings {tz} {hour}h"),
            "POST",
            "/settings",
            Some(FORM),
            form(&f),
        )
        .await;
        for p in pages {
            send(
                format!("{p} after settings {tz} {hour}h"),
                "GET",
                p,
                None,
                Vec::new(),
            )
            .await;
        }
    }
    for (label, body) in [
        ("missing fields", form(&kv(&[("csrf", &csrf)]))),
        ("duplicate fields", {
            let mut f = kv(&[("csrf", &csrf)]);
            f.extend(base.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            f.extend(base.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            form(&f)
        }),
        ("invalid UTF-8", {
            let mut b = form(&kv(&[("csrf", &csrf)]));
            b.extend_from_slice(b"&timezone=\xff\xfe&rollover_hour=\xc3\x28&new_per_day=%FF&max_reviews_per_day=%ZZ&desired_retention=%");
            b
        }),
    ] {
        send(
            format!("settings, {label}"),
            "POST",
            "/settings",
            Some(FORM),
            body,
        )
        .await;
    }
    for path in ["/settings/optimise", "/settings/reset-params"] {
        for body in [
            form(&kv(&[("csrf", &csrf)])),
            form(&kv(&[("csrf", "forged")])),
            form(&kv(&[("csrf", &csrf), ("params", "[1e309, NaN]")])),
            b"csrf=%ZZ\xff".to_vec(),
        ] {
            send(path.to_string(), "POST", path, Some(FORM), body).await;
        }
        send(
            format!("{path} as JSON"),
            "POST",
            path,
            Some("application/json"),
            b"{\"csrf\": 1}".to_vec(),
        )
        .await;
    }
    for q in [
        "/settings?saved=abc",
        "/settings?saved=99999999999999999999",
        "/export/paperdeck.json?x=%ZZ",
        "/export/revlog.csv?%FF",
        "/export/../Cargo.toml",
        "/export/%2e%2e%2fCargo.toml",
        "/export/paperdeck.json/",
        "/export/nope.json",
        "/progress?concept=%ZZ&days=-1&from=99999999999999999999",
    ] {
        send(format!("GET {q}"), "GET", q, None, Vec::new()).await;
    }

    // 2. Import: files that are not exports, exports bent out of shape, other learners' data.
    let own = alice.get("/export/paperdeck.json").await;
    let bob_export = bob.get("/export/paperdeck.json").await;
    let export: Value = serde_json::from_str(&own.body).unwrap_or_else(|_| json!({}));
    let bob_export: Value = serde_json::from_str(&bob_export.body).unwrap_or_else(|_| json!({}));
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("empty file".into(), Vec::new()),
        ("{}".into(), b"{}".to_vec()),
        ("[]".into(), b"[]".to_vec()),
        ("null".into(), b"null".to_vec()),
        ("a string".into(), b"\"export\"".to_vec()),
        (
            "truncated".into(),
            own.body.as_bytes()[..own.body.len() / 2].to_vec(),
        ),
        (
            "invalid UTF-8".into(),
            b"{\"version\": \"\xff\xfe\"}".to_vec(),
        ),
        (
            "binary".into(),
            (0..=255u8).cycle().take(64 * 1024).collect(),
        ),
        ("100 000 nested arrays".into(), {
            let mut b = vec![b'['; 100_000];
            b.extend(vec![b']'; 100_000]);
            b
        }),
        (
            "a 1 MB number".into(),
            format!("{{\"n\": {}}}", "9".repeat(1024 * 1024)).into_bytes(),
        ),
        ("a CSV".into(), b"id,answer\n1,' OR 1=1 --\n".to_vec()),
        (
            "own export, unchanged".into(),
            own.body.clone().into_bytes(),
        ),
        ("own export, twice".into(), own.body.clone().into_bytes()),
        (
            "Bob's export".into(),
            serde_json::to_vec(&bob_export).unwrap(),
        ),
        ("over 20 MB".into(), vec![b' '; 21 * 1024 * 1024]),
    ];
    let leaf_mutations: Vec<(&str, LeafMutation)> = vec![
        (
            "every integer -1",
            Box::new(|v: &Value| v.is_i64().then(|| json!(-1))),
        ),
        (
            "every integer i64::MAX",
            Box::new(|v: &Value| v.is_i64().then(|| json!(i64::MAX))),
        ),
        (
            "every integer i64::MIN",
            Box::new(|v: &Value| v.is_i64().then(|| json!(i64::MIN))),
        ),
        (
            "every number 1e300",
            Box::new(|v: &Value| v.is_number().then(|| json!(1e300))),
        ),
        (
            "every number -1.5",
            Box::new(|v: &Value| v.is_number().then(|| json!(-1.5))),
        ),
        (
            "every number 0",
            Box::new(|v: &Value| v.is_number().then(|| json!(0))),
        ),
        (
            "every number a string",
            Box::new(|v: &Value| v.is_number().then(|| json!(v.to_string()))),
        ),
        (
            "every string SQL",
            Box::new(|v: &Value| v.is_string().then(|| json!(SQLI[1]))),
        ),
        (
            "every string HTML",
            Box::new(|v: &Value| v.is_string().then(|| json!(HTML[1]))),
        ),
        (
            "every string empty",
            Box::new(|v: &Value| v.is_string().then(|| json!(""))),
        ),
        (
            "every string 100 KB",
            Box::new(|v: &Value| v.is_string().then(|| json!("字".repeat(35_000)))),
        ),
        (
            "every string a number",
            Box::new(|v: &Value| v.is_string().then(|| json!(7))),
        ),
        (
            "every null 99999",
            Box::new(|v: &Value| v.is_null().then(|| json!(99999))),
        ),
        (
            "every bool flipped",
            Box::new(|v: &Value| v.as_bool().map(|b| json!(!b))),
        ),
        (
            "every leaf null",
            Box::new(|v: &Value| (!v.is_array() && !v.is_object()).then_some(Value::Null)),
        ),
    ];
    for (label, f) in &leaf_mutations {
        files.push((
            format!("own export, {label}"),
            serde_json::to_vec(&mutate(&export, f.as_ref())).unwrap(),
        ));
    }
    let keep = |o: &serde_json::Map<String, Value>| o.clone();
    let same = |a: &[Value]| a.to_vec();
    let shapes: Vec<(&str, Value)> = vec![
        (
            "every array doubled",
            reshape(&export, &|a| a.iter().chain(a).cloned().collect(), &keep),
        ),
        (
            "every array empty",
            reshape(&export, &|_| Vec::new(), &keep),
        ),
        (
            "every array x200",
            reshape(
                &export,
                &|a| a.iter().cycle().take(a.len() * 200).cloned().collect(),
                &keep,
            ),
        ),
        (
            "every object without its first key",
            reshape(&export, &same, &|o| {
                o.iter()
                    .skip(1)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
        ),
        (
            "every object with learner_id 2 and id 1",
            reshape(&export, &same, &|o| {
                let mut o = o.clone();
                o.insert("learner_id".into(), json!(2));
                o.insert("id".into(), json!(1));
                o
            }),
        ),
        (
            "every object empty",
            reshape(&export, &same, &|_| serde_json::Map::new()),
        ),
        (
            "Bob's export, every integer -1",
            mutate(&bob_export, &|v: &Value| v.is_i64().then(|| json!(-1))),
        ),
    ];
    for (label, v) in shapes {
        files.push((
            format!("own export, {label}"),
            serde_json::to_vec(&v).unwrap(),
        ));
    }
    let mut imported = 0;
    for (label, file) in &files {
        let body = upload(&[("csrf", &csrf)], "file", "paperdeck.json", file);
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        let r = send(
            format!("import {label}"),
            "POST",
            "/import",
            Some(&ct),
            body,
        )
        .await;
        if r.is_some_and(|r| r.status < 400) {
            imported += 1;
            for p in pages {
                send(
                    format!("{p} after import {label}"),
                    "GET",
                    p,
                    None,
                    Vec::new(),
                )
                .await;
            }
        }
    }
    // broken uploads
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let own_bytes = own.body.as_bytes();
    for (label, body, content_type) in [
        (
            "no file part",
            upload(&[("csrf", &csrf)], "other", "x.json", b"{}"),
            ct.clone(),
        ),
        (
            "no csrf part",
            upload(&[], "file", "x.json", own_bytes),
            ct.clone(),
        ),
        (
            "file name traversal",
            upload(&[("csrf", &csrf)], "file", "../../../etc/passwd", b"{}"),
            ct.clone(),
        ),
        (
            "two file parts",
            {
                let mut b = upload(&[("csrf", &csrf)], "file", "a.json", b"{}");
                b.extend(upload(&[], "file", "b.json", b"[]"));
                b
            },
            ct.clone(),
        ),
        (
            "two csrf parts",
            upload(&[("csrf", &csrf), ("csrf", &csrf)], "file", "a.json", b"{}"),
            ct.clone(),
        ),
        (
            "wrong boundary",
            upload(&[("csrf", &csrf)], "file", "a.json", b"{}"),
            "multipart/form-data; boundary=nope".to_string(),
        ),
        (
            "no boundary",
            upload(&[("csrf", &csrf)], "file", "a.json", b"{}"),
            "multipart/form-data".to_string(),
        ),
        (
            "unterminated",
            upload(&[("csrf", &csrf)], "file", "a.json", b"{}")[..60].to_vec(),
            ct.clone(),
        ),
        ("garbage", b"--\r\n\r\n--\xff\xfe".to_vec(), ct.clone()),
        (
            "part without a name",
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--{BOUNDARY}--\r\n"
            )
            .into_bytes(),
            ct.clone(),
        ),
        (
            "10 000 parts",
            {
                let mut b = Vec::new();
                for i in 0..10_000 {
                    b.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nx\r\n").as_bytes());
                }
                b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
                b
            },
            ct.clone(),
        ),
    ] {
        send(
            format!("import, {label}"),
            "POST",
            "/import",
            Some(&content_type),
            body,
        )
        .await;
    }

    for p in pages {
        send(format!("{p} at the end"), "GET", p, None, Vec::new()).await;
    }
    // every review of Alice's has a feedback page that works
    let ids: Vec<i64> = {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&app.db_path)
            .read_only(true);
        let pool = sqlx::SqlitePool::connect_with(opts).await.expect("db");
        let ids = sqlx::query_scalar("SELECT id FROM reviews WHERE learner_id = 1 ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("ids");
        let ok: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&pool)
            .await
            .expect("integrity");
        assert_eq!(ok, ["ok"]);
        pool.close().await;
        ids
    };
    for id in ids.iter().take(200) {
        let p = format!("/quiz/feedback/{id}");
        send(format!("{p} at the end"), "GET", &p, None, Vec::new()).await;
    }

    let bob_after = rows_of(&app.db_path, 2).await;
    println!(
        "account pages: {count} requests ({accepted} settings saved, {imported} imports accepted) in {:.1} s; status histogram: {}",
        started.elapsed().as_secs_f64(),
        histogram
            .iter()
            .map(|(k, v)| format!("{k} → {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(
        failures.is_empty(),
        "{} of {count} requests to the account pages failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        bob_before, bob_after,
        "Alice's imports and settings changed Bob's rows"
    );
}
