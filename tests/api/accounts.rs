//! Accounts: each rule of sign-up, log-in, sessions, CSRF and isolation, through HTTP.

use crate::helpers::{new_learner, spawn_app, spawn_app_with};

const PW: &str = "a good long passphrase";

#[tokio::test]
async fn signup_validation_table() {
    let app = new_learner("Alice").await;
    let other = app.other_browser();
    // (username, password, expected message fragment)
    let cases: &[(&str, &str, &str)] = &[
        ("ab", PW, "至少要 3 个字符"),
        (&"x".repeat(33), PW, "最多 32 个字符"),
        ("alice", PW, "已经有人用了"),
        ("ALICE", PW, "已经有人用了"),
        ("名\u{200b}字字", PW, "只能包含"),
        ("ｆｕｌｌｗｉｄｔｈ", PW, "只能包含"),
        ("bob smith", PW, "只能包含"),
        ("<script>x</script>", PW, "只能包含"),
        ("valid_name", "short", "至少要 8 个字符"),
        ("valid_name", &"p".repeat(129), "最多 128 个字符"),
    ];
    for (name, pw, want) in cases {
        let page = other.signup(name, pw).await;
        assert_eq!(page.status, 400, "{name:?}");
        assert!(page.body.contains(want), "{name:?}: wanted {want}");
        assert!(
            !page.body.contains("<script>x"),
            "{name:?} echoed unescaped"
        );
    }
    let html = other.signup("<b>bold</b>", PW).await;
    assert!(html.body.contains("&lt;b&gt;bold&lt;/b&gt;") || html.body.contains("&#60;b&#62;"));
    app.assert_count("SELECT COUNT(*) FROM learners", 1).await;
    // Chinese names and the full allowed alphabet work.
    assert_eq!(other.signup("学习者_01-x", PW).await.status, 303);
}

#[tokio::test]
async fn login_succeeds_with_the_right_password_and_fails_the_same_way_otherwise() {
    let app = new_learner("carol").await;
    let b = app.other_browser();
    let wrong = b.login("carol", "not the password").await;
    let unknown = b.login("nobody-here", "not the password").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert!(wrong.body.contains("用户名或密码不对"));
    assert!(unknown.body.contains("用户名或密码不对"));
    let ok = b.login("CAROL", PW).await;
    assert_eq!(ok.status, 303);
    let home = b.get("/").await;
    assert!(home.body.contains("carol"), "header shows who is logged in");
    assert!(home.body.contains("action=\"/logout\""));
}

#[tokio::test]
async fn failed_logins_are_rate_limited_with_a_clear_message() {
    let app = new_learner("dave").await;
    let b = app.other_browser();
    for _ in 0..5 {
        assert_eq!(b.login("dave", "wrong password").await.status, 401);
    }
    let blocked = b.login("dave", PW).await;
    assert_eq!(blocked.status, 429);
    assert!(blocked.body.contains("分钟后再试"), "{}", blocked.body);
}

/// The limiter counts failures per name and per address (5 in the window). Each learner here
/// uses her own loopback address, so only the per-name counts are in play.
#[tokio::test]
async fn a_successful_login_resets_nothing_for_other_names_and_is_not_slowed() {
    let app = new_learner("erin").await;
    app.other_browser().signup("zoe", PW).await;
    let ip = |last: u8| std::net::IpAddr::from([127, 0, 0, last]);
    let zoe_1 = app.browser_from(ip(11));
    for _ in 0..3 {
        assert_eq!(zoe_1.login("zoe", "wrong password").await.status, 401);
    }
    // Three failures of her own do not slow erin down: the right password works at once.
    let erin = app.browser_from(ip(12));
    for _ in 0..3 {
        assert_eq!(erin.login("erin", "wrong password").await.status, 401);
    }
    assert_eq!(erin.login("erin", PW).await.status, 303);
    // erin's success cleared only erin's count: zoe's 3 failures from her first address still
    // count, so 2 more from there block that address for her name (H3: the pair is limited,
    // so the owner elsewhere is not).
    for _ in 0..2 {
        assert_eq!(zoe_1.login("zoe", "wrong password").await.status, 401);
    }
    assert_eq!(zoe_1.login("zoe", PW).await.status, 429);
    assert_eq!(app.browser_from(ip(13)).login("zoe", PW).await.status, 303);
}

#[tokio::test]
async fn posts_without_a_valid_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    for csrf in ["", "0000000000000000000000000000000000000000"] {
        let page = app
            .post(
                "/signup",
                &[("csrf", csrf), ("username", "mallory"), ("password", PW)],
            )
            .await;
        assert_eq!(page.status, 403, "csrf {csrf:?}");
        assert!(page.body.contains("CSRF"));
    }
    let missing = app
        .post("/signup", &[("username", "mallory"), ("password", PW)])
        .await;
    assert_eq!(missing.status, 403);
    app.assert_count("SELECT COUNT(*) FROM learners", 0).await;

    // Logged in: marking a paper read with another session's token fails.
    app.signup("frank", PW).await;
    let other = app.other_browser();
    let foreign = other.get("/signup").await.csrf();
    let page = app.post("/papers/qlora/read", &[("csrf", &foreign)]).await;
    assert_eq!(page.status, 403);
    app.assert_count("SELECT COUNT(*) FROM papers_read", 0)
        .await;
}

#[tokio::test]
async fn session_cookie_is_httponly_lax_and_secure_when_configured() {
    let app = spawn_app().await;
    let res = app.signup("gina", PW).await;
    let cookie = res.set_cookie("pd_session").expect("session cookie");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"));
    assert!(!cookie.contains("gina"), "value is encrypted");

    let https = spawn_app_with(|s| s.secure_cookies = true).await;
    let res = https.signup("gina", PW).await;
    let cookie = res.set_cookie("pd_session").expect("session cookie");
    assert!(cookie.contains("Secure"));
}

#[tokio::test]
async fn logging_out_ends_the_session_even_for_a_copied_cookie() {
    let app = spawn_app().await;
    let res = app.signup("hana", PW).await;
    let pair = res.cookie("pd_session").expect("session cookie");
    assert_eq!(app.get("/quiz").await.status, 200);
    let csrf = app.get("/").await.csrf();
    assert_eq!(app.post("/logout", &[("csrf", &csrf)]).await.status, 303);
    assert_eq!(app.get("/quiz").await.status, 303);
    // Replaying the old cookie does not bring the session back.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/quiz"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status().as_u16(), 303);
}

#[tokio::test]
async fn idle_sessions_expire() {
    // No caching: the test moves time by editing the database behind the app's back.
    let app = spawn_app_with(|s| {
        s.session_idle_days = 1;
        s.cache_ttl = std::time::Duration::ZERO;
    })
    .await;
    app.signup("ines", PW).await;
    assert_eq!(app.get("/quiz").await.status, 200);
    let pool = app.writable_db().await;
    sqlx::query("UPDATE login_sessions SET last_seen_at = last_seen_at - 2 * 86400")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(app.get("/quiz").await.status, 303);
}

#[tokio::test]
async fn pages_that_need_an_account_redirect_to_login_and_come_back() {
    let app = spawn_app().await;
    for (_, page) in app.get_each(&["/quiz", "/quiz?mode=practice"], 303).await {
        let loc = page.location.unwrap();
        assert!(
            loc.starts_with("/login?next=%2Fquiz") || loc.starts_with("/login?next=/quiz"),
            "{loc}"
        );
    }
    app.signup("jack", PW).await;
    let b = app.other_browser();
    let page = b.login_then("jack", PW, Some("/quiz")).await;
    assert_eq!(page.location.as_deref(), Some("/quiz"));
}

#[tokio::test]
async fn next_only_accepts_local_paths() {
    let app = new_learner("kim").await;
    for evil in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:evil.example",
    ] {
        // The form of a plain /login, sent with a `next` of the attacker's choosing.
        let b = app.other_browser();
        let csrf = b.get("/login").await.csrf();
        let form = [
            ("csrf", csrf.as_str()),
            ("username", "kim"),
            ("password", PW),
            ("next", evil),
        ];
        let page = b.post("/login", &form).await;
        assert_eq!(page.status, 303);
        assert_eq!(page.location.as_deref(), Some("/"), "{evil}");
        // the login form does not echo it either (asked by a browser not logged in: a
        // logged-in one is told so instead of getting the form)
        let form = app
            .other_browser()
            .get(&format!("/login?next={}", urlencode(evil)))
            .await;
        assert_eq!(form.input("next").as_deref(), Some("/"), "{evil}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = spawn_app().await;
    for path in ["/", "/papers/palm", "/nope", "/static/style.css", "/login"] {
        let page = app.get(path).await;
        let csp = page.header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(page.headers["x-content-type-options"], "nosniff", "{path}");
        assert!(page.headers.contains_key("referrer-policy"), "{path}");
    }
    // No inline script anywhere in a page.
    let home = app.get("/").await;
    assert!(!home.body.contains("<script>"));
}

#[tokio::test]
async fn oversized_and_malformed_bodies_get_400_and_write_nothing() {
    let app = spawn_app().await;
    let csrf = app.get("/signup").await.csrf();
    let huge = "x".repeat(200 * 1024);
    let page = app
        .post(
            "/signup",
            &[("csrf", &csrf), ("username", &huge), ("password", PW)],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("太大"));
    // missing field
    let page = app
        .post("/signup", &[("csrf", &csrf), ("username", "x")])
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("password"));
    // invalid UTF-8 in a field
    let form = "application/x-www-form-urlencoded";
    let body = format!("csrf={csrf}&username=%FF%FE&password=12345678");
    assert_eq!(app.post_raw("/signup", form, body).await.status, 400);
    // wrong content type
    let res = app.post_raw("/signup", "application/json", "{}").await;
    assert_eq!(res.status, 400);
    app.assert_count("SELECT COUNT(*) FROM learners", 0).await;
}

#[tokio::test]
async fn two_learners_cannot_see_or_change_each_others_data() {
    let app = new_learner("lena").await;
    app.mark_read("chinchilla").await;
    // lena answers one question
    let answer_form = app.some_answer().await;
    let fb = app.post_answer(&answer_form).await;
    assert_eq!(fb.status, 303, "{}", fb.body);
    let lena_feedback = fb.location.unwrap();

    let mo = app.other_browser();
    assert_eq!(mo.signup("moe", PW).await.status, 303);
    // mo sees none of lena's reading or reviews
    assert!(mo.get("/papers/chinchilla").await.body.contains("我读完了"));
    assert_eq!(mo.get(&lena_feedback).await.status, 404);
    // mo's quiz has nothing unlocked
    assert!(mo.get("/quiz").await.body.contains("先读一篇论文"));
    // replaying lena's question token as mo is refused
    let mut forged = answer_form.clone();
    forged.retain(|(k, _)| k != "csrf");
    forged.push(("csrf".into(), mo.get("/").await.csrf()));
    let page = mo.post_answer(&forged).await;
    assert!(page.status == 403 || page.status == 400, "{}", page.status);
    // undoing lena's review as mo is refused
    let id = lena_feedback
        .rsplit('/')
        .next()
        .and_then(|last| last.split('?').next())
        .unwrap();
    let csrf = mo.get("/").await.csrf();
    let page = mo
        .post("/quiz/undo", &[("csrf", &csrf), ("review", id)])
        .await;
    assert_eq!(page.status, 404);
    app.assert_count("SELECT COUNT(*) FROM reviews", 1).await;
}
