//! Several instances on one PostgreSQL database (only in tests/api_postgres.rs): they start
//! together, serve one learner in turns without a stale page, record a double submit once, and
//! ride out the database going away.

use crate::common::app::{
    postgres_server, spawn_app_on, spawn_three, Backend, PgDatabase, TestApp,
};
use crate::common::quiz::{question, Question};
use crate::common::PW;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn three_instances_starting_at_once_on_a_missing_database_all_start() {
    // Not created beforehand: the instances race to create it, then to migrate it.
    let pg = Arc::new(PgDatabase::named());
    let apps = spawn_three(&pg, &pg.url).await;
    for app in &apps {
        assert_eq!(app.get("/healthz").await.status, 200);
    }
    let a = &apps[0];
    // Each migration applied once (under the migrator's advisory lock) ...
    assert_eq!(
        a.count("SELECT COUNT(*) FROM _sqlx_migrations").await,
        a.count("SELECT COUNT(DISTINCT version) FROM _sqlx_migrations")
            .await
    );
    assert_eq!(
        a.count("SELECT COUNT(*) FROM _sqlx_migrations WHERE NOT success")
            .await,
        0
    );
    // ... and every card is there, live, once (the id is the key; none was retired by a sync
    // that ran beside another).
    assert!(a.count("SELECT COUNT(*) FROM cards").await > 100);
    assert_eq!(
        a.count("SELECT COUNT(*) FROM cards WHERE retired <> 0")
            .await,
        0
    );
}

/// The next question on `h`: the daily quiz's, or once that is done, extra practice's.
async fn next_question(h: &TestApp) -> Question {
    let page = h.get("/quiz").await;
    assert_eq!(page.status, 200, "{}: {}", h.address, page.body);
    match Question::parse(&page.body) {
        Some(q) => q,
        None => question(&h.get("/quiz?mode=practice").await),
    }
}

/// Three fresh instances on `pg`, reached through `url`, and one learner's browser on each:
/// `name` signs up on the first, and reads `papers` in turn on the next ones (so even the
/// setup goes through more than one instance).
async fn her_on_three(
    pg: &Arc<PgDatabase>,
    url: &str,
    name: &str,
    papers: &[&str],
) -> Vec<TestApp> {
    let apps = spawn_three(pg, url).await;
    let her: Vec<TestApp> = apps.iter().map(|i| apps[0].on(i)).collect();
    assert_eq!(her[0].signup(name, PW).await.status, 303);
    for (i, slug) in papers.iter().enumerate() {
        let page = her[(i + 1) % 3].mark_read(slug).await;
        assert_eq!(page.status, 303, "{name} reads {slug}: {}", page.body);
    }
    her
}

/// One learner, her requests spread over three instances as a load balancer would: sign up on
/// A, read on B and C, then each question shown by one instance, answered on the next, its
/// feedback read on the third, now and then undone on yet another. With the cache on, not one
/// page may be stale and not one answer refused.
#[tokio::test]
async fn one_learner_alternating_over_three_instances_sees_no_stale_page() {
    let pg = Arc::new(PgDatabase::create().await);
    let her = her_on_three(&pg, &pg.url, "mei", &["llama", "qlora"]).await;
    let mut answered = 0;
    let mut undone = 0;
    for i in 0..24 {
        let (show, answer, feedback) = (&her[i % 3], &her[(i + 1) % 3], &her[(i + 2) % 3]);
        // Every instance is asked first, so each has her data cached when the others write.
        for h in &her {
            next_question(h).await;
        }
        let q = next_question(show).await;
        let res = answer.post_answer(&q.some_answer()).await;
        assert_eq!(
            res.status, 303,
            "round {i}: an answer to a question shown a moment ago was refused: {}",
            res.body
        );
        answered += 1;
        let location = res.location.clone().expect("feedback location");
        let fb = feedback.get(&location).await;
        assert_eq!(fb.status, 200, "round {i}: feedback: {}", fb.body);
        // The question just answered is never shown again as it was, on any instance.
        for h in &her {
            let next = next_question(h).await;
            assert!(
                !(next.field("concept") == q.field("concept")
                    && next.field("version") == q.field("version")),
                "round {i}: {} showed the answered question again",
                h.address
            );
        }
        if i % 4 == 3 {
            let id = res.review_id();
            let undo = her[i % 3]
                .post("/quiz/undo", &[("csrf", &fb.csrf()), ("review", &id)])
                .await;
            assert_eq!(undo.status, 303, "round {i}: undo: {}", undo.body);
            undone += 1;
        }
    }
    assert_eq!(
        her[0].count("SELECT COUNT(*) FROM reviews").await,
        answered - undone
    );
}

/// The same answer form posted to two instances at the same moment is recorded once.
#[tokio::test]
async fn a_double_submit_to_two_instances_records_one_review() {
    let pg = Arc::new(PgDatabase::create().await);
    let her = her_on_three(&pg, &pg.url, "lan", &["chinchilla"]).await;
    for round in 0..5 {
        let fields = next_question(&her[0]).await.some_answer();
        let before = her[0].count("SELECT COUNT(*) FROM reviews").await;
        let (x, y) = tokio::join!(her[1].post_answer(&fields), her[2].post_answer(&fields));
        let recorded = [&x, &y]
            .iter()
            .filter(|p| p.feedback_id().is_some())
            .count();
        assert!(
            recorded >= 1,
            "round {round}: neither was recorded: {} / {}",
            x.status,
            y.status
        );
        assert_eq!(
            her[0].count("SELECT COUNT(*) FROM reviews").await,
            before + 1,
            "round {round}: statuses {} and {}",
            x.status,
            y.status
        );
    }
}

/// A TCP proxy in front of PostgreSQL that the test can cut: every open connection dropped and
/// new ones closed at once, as a server restart looks to its clients.
struct Proxy {
    port: u16,
    down: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let down = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (d, o) = (down.clone(), open.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if d.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                if let Ok(mut o) = o.lock() {
                    o.push(task.abort_handle());
                }
            }
        });
        Proxy { port, down, open }
    }

    fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        if let Ok(mut o) = self.open.lock() {
            for t in o.drain(..) {
                t.abort();
            }
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

/// The database goes away under three instances: pages say so with a 503 (never a 500),
/// `/healthz` reports the database unavailable while `/livez` stays 200, and when it is back
/// every instance serves again by itself, sessions intact.
#[tokio::test]
async fn instances_answer_503_while_the_database_is_away_and_recover_by_themselves() {
    let pg = Arc::new(PgDatabase::create().await);
    let server = postgres_server();
    let host = server.rsplit('@').next().expect("host:port").to_string();
    let proxy = Proxy::start(host).await;
    let via_proxy = format!("postgres://postgres@127.0.0.1:{}/{}", proxy.port, pg.name);
    let her = her_on_three(&pg, &via_proxy, "yun", &["llama"]).await;

    proxy.cut();
    for h in &her {
        let page = h.get("/quiz").await;
        assert_eq!(page.status, 503, "{}: {}", h.address, page.body);
        page.assert_has("数据库暂时连不上");
        let health = h.get("/healthz").await;
        assert_eq!(health.status, 503);
        health.assert_has("\"database\":\"unavailable\"");
        assert_eq!(h.get("/livez").await.status, 200);
    }

    proxy.restore();
    for h in &her {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let page = h.get("/quiz").await;
            if page.status == 200 {
                assert!(question(&page).field("concept").len() > 1);
                break;
            }
            assert_eq!(page.status, 503, "{}: {}", h.address, page.body);
            assert!(Instant::now() < deadline, "{} did not recover", h.address);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(h.get("/healthz").await.status, 200);
    }
}

/// Wrong passwords for one account spread over three instances count together: the limit that
/// protects an account does not grow with the number of instances.
#[tokio::test]
async fn failed_log_ins_count_across_instances() {
    let pg = Arc::new(PgDatabase::create().await);
    let apps = spawn_three(&pg, &pg.url).await;
    assert_eq!(apps[0].signup("hua", PW).await.status, 303);
    for i in 0..5 {
        let b = apps[i % 3].other_browser();
        let res = b.login("hua", "not her password").await;
        assert_eq!(res.status, 401, "attempt {i}: {}", res.body);
    }
    // No instance has seen five failures itself; together they have.
    for app in &apps {
        let res = app.other_browser().login("hua", "not her password").await;
        assert_eq!(res.status, 429, "{}: {}", app.address, res.body);
    }
}

/// N6 (review 2026-12-06): each instance let five guesses per (address, name) be in flight
/// at once, so a burst over two instances had twice the budget checked. A guess is now stored
/// before its hash under the name's lock in the database: a concurrent burst over two
/// instances has five guesses checked in all.
#[tokio::test]
async fn n6_a_concurrent_burst_over_two_instances_gets_one_budget() {
    let pg = Arc::new(PgDatabase::create().await);
    let apps = spawn_three(&pg, &pg.url).await;
    assert_eq!(apps[0].signup("burst", PW).await.status, 303);
    let browsers: Vec<TestApp> = (0..12).map(|i| apps[i % 2].other_browser()).collect();
    let guesses = browsers
        .iter()
        .enumerate()
        .map(|(i, b)| async move { b.login("burst", &format!("guess number {i}")).await.status });
    let mut checked = 0;
    for status in crate::security::futures_join_all(guesses).await {
        assert!(matches!(status, 401 | 429), "{status}");
        checked += usize::from(status == 401);
    }
    assert!(checked <= 5, "{checked} guesses were checked");
}

/// N6 (review 2026-12-06): the heavy-request gate counted per instance, so one learner could
/// run an export on each. While her download is in progress on one instance, another instance
/// refuses her second.
#[tokio::test]
async fn n6_the_heavy_gate_holds_across_instances() {
    let pg = Arc::new(PgDatabase::create().await);
    let apps = spawn_three(&pg, &pg.url).await;
    let a = &apps[0];
    assert_eq!(a.signup("heavyboth", PW).await.status, 303);
    a.plant_reviews(60_000, 1_767_225_600, 60).await;
    let held = a.stalled_download().await;
    let on_b = a.on(&apps[1]);
    let second = on_b.get("/export/revlog.csv").await;
    assert_eq!(second.status, 429, "a second download on another instance");
    second.assert_has("还在进行中");
    drop(held);
}

/// Runs the binary; (success, stdout, stderr).
fn paperdeck(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(crate::common::process::server_binary())
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run paperdeck");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A SQLite deployment moved to PostgreSQL with `copy-data`: every row arrives, `export` gives
/// the same file from both, a second copy into the now full database is refused, and the
/// copied learner goes on studying there (new ids continue after the copied ones) and can
/// still use a recovery code made before the move.
#[tokio::test]
async fn copy_data_moves_a_sqlite_database_to_postgres_exactly() {
    let sqlite = spawn_app_on(Backend::Sqlite, |_| {}).await;
    let codes = sqlite.signup_with_codes("ming", PW).await;
    for slug in ["chinchilla", "qlora"] {
        assert_eq!(sqlite.mark_read(slug).await.status, 303);
    }
    crate::export::answer_questions(&sqlite, 12).await;
    let pg = Arc::new(PgDatabase::create().await);

    let (ok, out, err) = paperdeck(&["copy-data", "--from", &sqlite.database_url, "--to", &pg.url]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("reviews: 12 rows"), "{out}");

    let export = |url: &str| {
        let (ok, out, err) = paperdeck(&["export", "--user", "ming", "--database", url]);
        assert!(ok, "{err}");
        let mut v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        v["exported_at"] = serde_json::json!(0);
        v
    };
    let from_sqlite = export(&sqlite.database_url);
    assert_eq!(from_sqlite["reviews"].as_array().map(Vec::len), Some(12));
    let card_memory = from_sqlite["card_memory"].as_array().map(Vec::len);
    assert!(
        card_memory.is_some_and(|n| n > 0),
        "card memory is copied too"
    );
    assert_eq!(from_sqlite, export(&pg.url));

    let (ok, _, err) = paperdeck(&["copy-data", "--from", &sqlite.database_url, "--to", &pg.url]);
    assert!(!ok);
    assert!(err.contains("目标数据库不是空的"), "{err}");

    let apps = spawn_three(&pg, &pg.url).await;
    assert_eq!(apps[0].login("ming", PW).await.status, 303);
    let q = next_question(&apps[0]).await;
    let (id, _) = apps[0].submit(&q.some_answer()).await;
    let copied_max = sqlite.count("SELECT MAX(id) FROM reviews").await;
    assert!(id > copied_max, "new review {id} after copied {copied_max}");
    // Her recovery codes moved with her: one made on SQLite resets her password here.
    let res = apps[1]
        .other_browser()
        .recover("ming", &codes[2], "moved and remembered")
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
}
