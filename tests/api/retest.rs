//! The security re-test of 2026-12-06 (`shared/reviews/security-2026-12-06.md`): one regression
//! test per finding, named after it. Load-shaped findings are tested with a handful of requests
//! and the server's own bounds set small, never with timing.

use crate::helpers::{new_learner, spawn_app_with, Page, TestApp};
use crate::security::{behind_proxy_with, login_from, signup_from};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PW: &str = "a good long passphrase";
const BOUNDARY: &str = "----paperdeck-retest-boundary";

/// A connection to `app` that has sent `head` (a request line and headers, with the blank
/// line) and `body` (the start of a body, maybe not all of it).
async fn sent(app: &TestApp, head: &str, body: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("connect");
    // A connection the server has already closed may refuse the bytes; its answer (none)
    // is what the caller looks at.
    let _ = s.write_all(head.as_bytes()).await;
    let _ = s.write_all(body).await;
    s
}

/// The status of the response on `s`, if one arrives in 30 s. The bound only keeps a
/// regression from hanging the suite: a fixed server answers at once.
async fn status_of(s: &mut TcpStream) -> Option<u16> {
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(30), s.read(&mut buf))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&buf[..n]).to_string();
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// The head of a 20 MB upload to `/import` from `app`'s browser (its cookies), with `extra`
/// headers.
fn upload_head(app: &TestApp, extra: &str) -> String {
    format!(
        "POST /import HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n{extra}\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: 20000000\r\n\r\n",
        app.cookie_header()
    )
}

/// The start of an upload's body: the token field (when given), then the file's part header
/// and its first bytes. The rest never comes.
fn upload_start(csrf: Option<&str>) -> Vec<u8> {
    let mut body = String::new();
    if let Some(t) = csrf {
        body += &format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{t}\r\n"
        );
    }
    body += &format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"e.json\"\r\nContent-Type: application/json\r\n\r\n{{\"format\": "
    );
    body.into_bytes()
}

/// N1: `/import` read the whole multipart body (up to 20 MB) into memory before it looked at
/// the session, the token or the heavy gate, so anonymous uploads held memory for as long as
/// they trickled. Now the server answers before the body has arrived: an anonymous upload is
/// sent to log in, and a learner's upload with a wrong token (in a header, or in the form's
/// first field) is refused, each with 20 MB still to come.
#[tokio::test]
async fn n1_an_upload_is_decided_before_its_body_is_read() {
    // A long idle deadline, so only a decision made before reading can answer in time.
    let app = spawn_app_with(|s| s.body_idle_timeout = Duration::from_secs(300)).await;
    let anon = app.other_browser();
    anon.get("/signup").await;
    let mut s = sent(&anon, &upload_head(&anon, ""), &upload_start(None)).await;
    assert_eq!(status_of(&mut s).await, Some(303), "anonymous upload");

    assert_eq!(app.signup("uploader", PW).await.status, 303);
    let mut s = sent(
        &app,
        &upload_head(&app, "X-CSRF-Token: not-the-token\r\n"),
        &upload_start(None),
    )
    .await;
    assert_eq!(
        status_of(&mut s).await,
        Some(403),
        "wrong token in a header"
    );
    let mut s = sent(&app, &upload_head(&app, ""), &upload_start(Some("nope"))).await;
    assert_eq!(status_of(&mut s).await, Some(403), "wrong token field");
    // A file sent before any token is refused unread as well.
    let mut s = sent(&app, &upload_head(&app, ""), &upload_start(None)).await;
    assert_eq!(
        status_of(&mut s).await,
        Some(403),
        "no token before the file"
    );
}

/// N1: uploads in flight were not bounded at all. A learner's second upload while her first is
/// still arriving is now refused, and the first, once the right token is read, holds her place.
#[tokio::test]
async fn n1_uploads_in_flight_are_bounded_per_learner() {
    let app = new_learner("twouploads").await;
    let csrf = app.get("/import").await.csrf();
    let held = sent(&app, &upload_head(&app, ""), &upload_start(Some(&csrf))).await;
    // Her second upload, whole and valid, while the first one still trickles. The first may
    // not have reached its handler yet when the second arrives (then the second is simply
    // imported), so she tries a few times; she must be refused before long.
    let file = crate::export::export_json(&app).await;
    let file = serde_json::to_vec(&file).expect("json");
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let second = crate::export::import(&app, &file).await;
        statuses.push(second.status);
        if second.status == 429 {
            second.assert_has("还在进行中");
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    drop(held);
}

/// N2: log-in names had no length limit: 900 failures with 60,000-character names left
/// hundreds of megabytes in the limiter and the table of failures. A name longer than any
/// account's is now wrong without being stored or counted, and failures past the window are
/// deleted as new ones come in rather than hourly.
#[tokio::test]
async fn n2_overlong_log_in_names_are_neither_stored_nor_counted() {
    let app = new_learner("n2owner").await;
    let long = "x".repeat(60_000);
    for _ in 0..3 {
        let page = app.other_browser().login(&long, "whatever it is").await;
        assert_eq!(page.status, 401, "{}", page.body);
    }
    app.assert_count("SELECT COUNT(*) FROM login_failures", 0)
        .await;
    assert_eq!(
        app.other_browser()
            .login("n2owner", &"p".repeat(200))
            .await
            .status,
        401
    );
    app.assert_count("SELECT COUNT(*) FROM login_failures", 0)
        .await;

    // A failure from two windows ago, then a new one: only the new one stays.
    let now: i64 = app
        .count("SELECT MAX(created_at) FROM login_sessions")
        .await;
    let pool = app.writable_db().await;
    sqlx::query("INSERT INTO login_failures (name_key, addr, failed_at) VALUES ('old', '', $1)")
        .bind(now - 1800)
        .execute(&pool)
        .await
        .expect("old failure");
    pool.close().await;
    assert_eq!(
        app.other_browser()
            .login("n2owner", "wrong password")
            .await
            .status,
        401
    );
    app.assert_count("SELECT COUNT(*) FROM login_failures", 1)
        .await;
    app.assert_count(
        "SELECT COUNT(*) FROM login_failures WHERE name_key = 'n2owner'",
        1,
    )
    .await;
}

/// N3: a download that was never read held its heavy-gate place for ever (two of them locked
/// every import, export and optimisation for everyone). Now a download whose client takes
/// nothing for `download_idle` gives its place back.
#[tokio::test]
async fn n3_a_download_not_being_read_gives_its_place_back() {
    let app = spawn_app_with(|s| s.download_idle = Duration::from_secs(1)).await;
    assert_eq!(app.signup("staller", PW).await.status, 303);
    // More than the socket buffers hold (the client's receive buffer is kept small too).
    app.plant_reviews(40_000, 1_767_225_600, 60).await;
    let held = app.stalled_download().await;
    // Once the server has filled the socket buffers and the download has sat a second
    // unread, her next download is served: the stalled one gave its place back. (How long the
    // filling takes depends on the machine, so she tries once a second; an unfixed server
    // refuses her for as long as the first connection stays open.)
    let mut statuses = Vec::new();
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let next = app.get("/export/revlog.csv").await;
        statuses.push(next.status);
        if next.status == 200 {
            break;
        }
    }
    assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
    drop(held);
}

/// M1r: 1,100 trickling connections from one client took every file descriptor. Connections
/// per address are capped: past the cap a new connection is closed unanswered, and a client at
/// another address is served. (Under the parallel suite this test failed for a week: on a
/// loaded machine the server had not yet seen the start's health-check connection close, so it
/// shut the third trickled connection as over the cap, and then had room for the fourth. The
/// test now makes sure it holds three before it tries a fourth.)
#[tokio::test]
async fn m1r_connections_per_address_are_capped() {
    // A server process of its own: the cap counts the connections of the whole process.
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = &crate::common::process::server_binary();
    let mut server = crate::common::process::ServerProcess::new(bin, dir.path());
    server.env = vec![
        ("PAPERDECK_CONNECTIONS_PER_ADDR".into(), "3".into()),
        ("PAPERDECK_BODY_IDLE_SECS".into(), "300".into()),
        ("PAPERDECK_FORM_DEADLINE_SECS".into(), "300".into()),
        ("RUST_LOG".into(), "info".into()),
    ];
    server.start(&reqwest::Client::new()).await;
    let log = dir.path().join("server.log");
    let app = TestApp::on_server(server, dir);
    // Three connections whose body trickles (the server waits for the rest). One the server
    // shuts at once was over the cap because an earlier connection (the start's health check)
    // was still counted: it is tried again once that one's close has been seen.
    let mut open = Vec::new();
    for _ in 0..50 {
        if open.len() == 3 {
            break;
        }
        let head = "POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\
                    Content-Type: application/x-www-form-urlencoded\r\n\r\n";
        let mut s = sent(&app, head, b"a").await;
        let mut buf = [0u8; 64];
        match tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await {
            Err(_) => open.push(s),
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    assert_eq!(open.len(), 3, "three trickled connections held open");
    // A fourth connection from the same address is closed unanswered. (The server counts a
    // connection when a worker takes it up, so the first tries may still be served.)
    let head = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let mut answers = Vec::new();
    for _ in 0..50 {
        let mut fourth = sent(&app, head, b"").await;
        let status = status_of(&mut fourth).await;
        answers.push(status);
        if status.is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if answers.last() != Some(&None) {
        // What the trickled connections got, and the server's log: why it served the fourth.
        let mut held = Vec::new();
        for s in &mut open {
            let mut buf = [0u8; 64];
            let r = tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await;
            held.push(match r {
                Err(_) => "still open".to_string(),
                Ok(Ok(n)) => format!("{:?}", String::from_utf8_lossy(&buf[..n])),
                Ok(Err(e)) => e.to_string(),
            });
        }
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(40).collect();
        panic!(
            "past the cap: {answers:?}; the three held: {held:?}; server log (newest first):\n{}",
            tail.join("\n")
        );
    }
    let elsewhere = app.browser_from("127.0.0.2".parse().expect("ip"));
    assert_eq!(elsewhere.get("/healthz").await.status, 200);
    drop(open);
}

/// A log-in in browser `b` (its own cookies, so a device cookie it holds is sent), with the
/// client address `from` as a trusted proxy reports it.
async fn login_in(b: &TestApp, from: &str, user: &str, pw: &str) -> Page {
    let csrf = b.get("/login").await.csrf();
    let form = [
        ("csrf", csrf.as_str()),
        ("username", user),
        ("password", pw),
    ];
    let res = b
        .client
        .post(b.url("/login"))
        .header("x-forwarded-for", from)
        .form(&form)
        .send()
        .await
        .expect("log-in");
    Page::read(res).await.expect("body")
}

/// H3r: the spacing of attempts on an account, and on an address, let an attacker keep a
/// chosen owner out by failing once in a while, and everyone behind a shared address out.
/// A browser that has logged in to the account before now has its own budget: the owner's
/// device logs in while her account is under attack, from her own address and from the
/// attacker's (a shared NAT), while a new browser is still slowed.
#[tokio::test]
async fn h3r_a_known_device_logs_in_during_a_targeted_attack() {
    let app = behind_proxy_with("target").await;
    let device = app.other_browser();
    assert_eq!(
        login_in(&device, "10.0.0.7", "target", PW).await.status,
        303
    );
    assert!(device.cookie_header().contains("pd_device"));
    // Sixteen failures on her name from sixteen addresses in the last minute (as every
    // instance sees them): attempts on the account are spaced a minute apart.
    let now = app
        .count("SELECT MAX(created_at) FROM login_sessions")
        .await;
    let pool = app.writable_db().await;
    for i in 0..16 {
        sqlx::query(
            "INSERT INTO login_failures (name_key, addr, failed_at) VALUES ('target', $1, $2)",
        )
        .bind(format!("10.9.0.{i}"))
        .bind(now - 16 + i)
        .execute(&pool)
        .await
        .expect("failure");
    }
    pool.close().await;
    let fresh = login_from(&app, "10.0.0.8", "target", PW).await;
    assert_eq!(fresh.status, 429, "a new browser is slowed: {}", fresh.body);
    assert_eq!(
        login_in(&device, "10.0.0.7", "target", PW).await.status,
        303
    );
    assert_eq!(
        login_in(&device, "10.9.0.1", "target", PW).await.status,
        303
    );
}

/// N5: 120 sign-ups from 12 addresses closed sign-up for every newcomer for an hour. The
/// overall budget now only holds back addresses that have signed up already: a newcomer's
/// first sign-up goes through.
#[tokio::test]
async fn n5_a_sign_up_flood_does_not_close_sign_up_for_a_newcomer() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
        s.signups_per_addr_per_hour = 2;
        s.signups_per_hour = 4;
    })
    .await;
    for (from, name) in [
        ("10.0.0.1", "flood1"),
        ("10.0.0.1", "flood2"),
        ("10.0.0.2", "flood3"),
        ("10.0.0.3", "flood4"),
    ] {
        assert_eq!(signup_from(&app, from, name).await.status, 303);
    }
    assert_eq!(signup_from(&app, "10.0.0.2", "flood5").await.status, 429);
    let newcomer = signup_from(&app, "10.0.0.9", "newcomer").await;
    assert_eq!(newcomer.status, 303, "{}", newcomer.body);
}

/// N8: changing the password kept this device's session id, so a stolen copy of the cookie
/// stayed valid and could "log out everywhere" without a password. The change now gives this
/// device a new session, and logging out everywhere asks for the password.
#[tokio::test]
async fn n8_changing_the_password_gives_this_device_a_new_session() {
    let app = new_learner("rotated").await;
    let thief = app.other_browser();
    let stolen = app.cookie_header();
    let with_stolen = |path: &str| {
        thief
            .client
            .get(thief.url(path))
            .header("cookie", stolen.clone())
    };
    assert_eq!(thief.send(with_stolen("/progress")).await.status, 200);

    let csrf = app.get("/account").await.csrf();
    let new = "another long passphrase";
    let form = [
        ("csrf", csrf.as_str()),
        ("current_password", PW),
        ("new_password", new),
        ("new_password_confirm", new),
    ];
    assert_eq!(app.post("/account/password", &form).await.status, 303);
    assert_eq!(app.get("/progress").await.status, 200, "this device stays");
    assert_eq!(
        thief.send(with_stolen("/progress")).await.status,
        303,
        "the copy of the old cookie is logged out"
    );

    // Log out everywhere: the password is asked for, and a wrong one changes nothing.
    let csrf = app.get("/account").await.csrf();
    let no_pw = app
        .post("/account/logout-everywhere", &[("csrf", &csrf)])
        .await;
    assert_eq!(no_pw.status, 400, "{}", no_pw.body);
    let wrong = [("csrf", csrf.as_str()), ("password", "not the password")];
    let wrong = app.post("/account/logout-everywhere", &wrong).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(app.get("/progress").await.status, 200);
}

/// N9: a typo in `copy-data --from` created an empty SQLite file and reported "复制完成" with
/// no rows. A missing source is now refused, and nothing is created.
#[tokio::test]
async fn n9_copy_data_refuses_a_missing_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let from = dir.path().join("no-such.db");
    let to = dir.path().join("target.db");
    let out = std::process::Command::new(crate::common::process::server_binary())
        .args([
            "copy-data",
            "--from",
            &format!("sqlite://{}", from.display()),
            "--to",
            &format!("sqlite://{}", to.display()),
        ])
        .env_remove("DATABASE_URL")
        .output()
        .expect("run paperdeck");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("源数据库不存在"), "{stderr}");
    assert!(!from.exists(), "the missing source was created");
}

fn copy_data(from: &str, to: &std::path::Path) -> (bool, String) {
    let out = std::process::Command::new(crate::common::process::server_binary())
        .args(["copy-data", "--from", from, "--to"])
        .arg(format!("sqlite://{}", to.display()))
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run paperdeck copy-data");
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    (out.status.success(), text)
}

async fn sqlite_exec(file: &std::path::Path, sql: &str) {
    use sqlx::ConnectOptions as _;
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(file)
        .connect()
        .await
        .expect("open the source");
    sqlx::query(sql).execute(&mut conn).await.expect(sql);
    sqlx::Connection::close(conn).await.expect("close");
}

/// N9, the rest: the source of a copy is opened read-only and never migrated (its bytes do not
/// change), a whole number an old bug stored as a REAL is copied as the integer it is, a value
/// that is not one is refused with its table, row and column, and a source whose schema is not
/// this program's is refused before anything is copied.
#[tokio::test]
async fn n9_copy_data_reads_its_source_only_and_names_a_bad_row() {
    if crate::common::app::skip_on_postgres("SQLite files on both sides, as the SQLite run has") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("source.db");
    let from = format!("sqlite://{}", src.display());
    let status = std::process::Command::new(crate::common::process::server_binary())
        .args([
            "simulate",
            "--learners",
            "1",
            "--days",
            "3",
            "--database",
            &from,
        ])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run paperdeck simulate");
    assert!(status.success());
    let before = std::fs::read(&src).expect("read the source");

    let (ok, out) = copy_data(&from, &dir.path().join("a.db"));
    assert!(ok, "{out}");
    assert!(out.contains("复制完成"), "{out}");
    assert_eq!(
        std::fs::read(&src).expect("source"),
        before,
        "the copy wrote to its source"
    );

    sqlite_exec(&src, "UPDATE concept_states SET version = 3.0").await;
    let (ok, out) = copy_data(&from, &dir.path().join("b.db"));
    assert!(ok, "a whole REAL is an integer: {out}");

    sqlite_exec(&src, "UPDATE concept_states SET version = 9.3e18").await;
    let (ok, out) = copy_data(&from, &dir.path().join("c.db"));
    assert!(!ok, "{out}");
    assert!(
        out.contains("concept_states.version") && out.contains("learner_id="),
        "{out}"
    );
    sqlite_exec(&src, "UPDATE concept_states SET version = 1").await;

    sqlite_exec(
        &src,
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .await;
    let migrations = std::fs::read(&src).expect("source");
    let (ok, out) = copy_data(&from, &dir.path().join("d.db"));
    assert!(!ok, "{out}");
    assert!(out.contains("比本程序的"), "{out}");
    assert_eq!(
        std::fs::read(&src).expect("source"),
        migrations,
        "the source was migrated"
    );
}

/// N4 (re-test 2026-12-07): during a flood of failed log-ins a normal log-in still took a
/// second or more, because every attempt the in-memory limiter let through stored a failure in
/// the database (a write transaction) before the hashing queue was asked, and took it back when
/// the queue was full: the flood's refusals queued for a connection and the SQLite writer. Now
/// the place in the hashing queue is taken first, so an attempt refused for want of one never
/// touches the database. Tested with the table of failures locked by another connection: the
/// refusals are answered while it is held; before the fix every attempt waited for it.
#[tokio::test]
async fn n4_a_refused_log_in_does_not_wait_for_the_database() {
    let app = &behind_proxy_with("n4owner").await;
    let pool = app.writable_db().await;
    let mut lock = pool.acquire().await.expect("connection");
    let statements: &[&str] = if app.database_url.starts_with("postgres") {
        &["BEGIN", "LOCK TABLE login_failures IN EXCLUSIVE MODE"]
    } else {
        &["BEGIN IMMEDIATE"]
    };
    for sql in statements {
        sqlx::query(sql).execute(&mut *lock).await.expect(sql);
    }
    // Twelve failing log-ins at once from one address, for made-up names: the limiter lets
    // them all through (they are under its per-address budget), the address's lane of the
    // hashing queue has room for QUEUED_PER_LANE.
    let queued = paperdeck::auth::QUEUED_PER_LANE;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..12 {
        let (b, tx) = (app.other_browser(), tx.clone());
        tokio::spawn(async move {
            let page = login_from(&b, "10.0.4.4", &format!("nobody{i}"), "wrong password").await;
            let _ = tx.send(page.status);
        });
    }
    // The refusals come back while the database is locked, so they never waited for it.
    for _ in 0..12 - queued {
        assert_eq!(
            next_status(&mut rx).await,
            429,
            "refused without the database"
        );
    }
    sqlx::query("ROLLBACK")
        .execute(&mut *lock)
        .await
        .expect("unlock");
    drop(lock);
    pool.close().await;
    for _ in 0..queued {
        assert_eq!(
            next_status(&mut rx).await,
            401,
            "checked once the database is free"
        );
    }
    app.assert_count("SELECT COUNT(*) FROM login_failures", queued as i64)
        .await;
    assert_eq!(login_from(app, "10.0.4.5", "n4owner", PW).await.status, 303);
}

/// The next status sent on `rx` (a minute at most: only so a failure does not hang).
async fn next_status(rx: &mut tokio::sync::mpsc::UnboundedReceiver<u16>) -> u16 {
    let got = tokio::time::timeout(Duration::from_secs(60), rx.recv()).await;
    got.expect("an answer").expect("a status")
}
