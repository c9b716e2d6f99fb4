//! An account she cannot lose (issue 20 §5), through HTTP: recovery codes shown once at
//! sign-up, the 忘记密码 reset with one of them (throttled like a log-in), new codes from
//! /account, and the monthly backup reminder on /progress.

use crate::common::app::{backend, spawn_three, Backend, PgDatabase};
use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use paperdeck::clock::Clock;
use std::net::IpAddr;
use std::sync::Arc;

const PW: &str = crate::common::PW;
const NEW_PW: &str = "a brand new passphrase";
const WRONG: &str = "用户名或恢复码不对";

fn ip(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

/// A code that has the right shape but is no one's.
const NOBODYS: &str = "2345-6789-abcd-efgh";

async fn codes_left(app: &TestApp, name: &str) -> i64 {
    let sql = format!(
        "SELECT COUNT(*) FROM recovery_codes c JOIN learners l ON l.id = c.learner_id \
         WHERE l.username_key = '{name}' AND c.used_at IS NULL"
    );
    app.count(&sql).await
}

#[tokio::test]
async fn codes_are_shown_once_at_sign_up_and_stored_only_as_hashes() {
    let app = spawn_app().await;
    let csrf = app.get("/signup").await.csrf();
    let form = [
        ("csrf", csrf.as_str()),
        ("username", "anna"),
        ("password", PW),
        ("password_confirm", PW),
        ("next", "/papers/qlora"),
    ];
    let res = app.post("/signup", &form).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let to = res.location.clone().expect("a redirect");
    assert_eq!(to, "/account/recovery-codes?next=/papers/qlora");
    // The codes travel in an encrypted cookie sent only to the page that shows them.
    let cookie = res.set_cookie("pd_codes").expect("the codes' cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("Path=/account/recovery-codes"), "{cookie}");
    assert!(res.set_cookie("pd_session").is_some(), "she is logged in");

    let page = app.get(&to).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.header("cache-control"), "no-store");
    let codes = page.texts(".recovery-codes code");
    assert_eq!(codes.len(), 8, "{}", page.body);
    for c in &codes {
        assert_eq!(c.len(), 19, "{c}");
        assert_eq!(c.split('-').count(), 4, "{c}");
        assert!(!cookie.contains(c.as_str()), "the cookie is encrypted");
    }
    page.assert_has_all(&["只显示这一次", "没有邮箱", "只能用一次", "忘记密码"]);
    let on = page.texts("a.button");
    assert!(on.iter().any(|t| t.contains("继续")), "{on:?}");
    assert!(
        page.body.contains("href=\"/papers/qlora\""),
        "goes on to next"
    );
    assert!(
        page.set_cookie("pd_codes").is_some(),
        "the cookie is removed"
    );

    // Shown once: coming back shows no codes, and says where new ones are made.
    let again = app.get(&to).await;
    assert_eq!(again.status, 200);
    assert!(again.texts(".recovery-codes code").is_empty());
    again.assert_has_all(&["已经显示过了", "/account#recovery"]);

    // Stored as hashes: eight rows, none of them holding a code.
    app.assert_count("SELECT COUNT(*) FROM recovery_codes", 8)
        .await;
    let pool = app.db().await;
    let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM recovery_codes")
        .fetch_all(&pool)
        .await
        .expect("hashes");
    pool.close().await;
    for c in &codes {
        let bare = c.replace('-', "");
        assert!(
            stored.iter().all(|h| !h.contains(&bare) && h.len() == 64),
            "{stored:?}"
        );
    }
    // Nor are they in her backup file.
    let export = app.get("/export/paperdeck.json").await;
    assert_eq!(export.status, 200);
    assert!(!export.body.contains("recovery"), "the export has no codes");
    assert!(stored.iter().all(|h| !export.body.contains(h.as_str())));
    let account = app.get("/account").await;
    account.assert_has_all(&["恢复码", "<strong>8</strong>"]);
}

#[tokio::test]
async fn a_code_resets_the_password_ends_every_session_and_logs_her_in() {
    let app = spawn_app().await;
    let codes = app.signup_with_codes("Bea", PW).await;
    let laptop = app.other_browser();
    assert_eq!(laptop.login("bea", PW).await.status, 303);
    app.assert_count("SELECT COUNT(*) FROM login_sessions", 2)
        .await;

    // On a new phone she has forgotten her password: 忘记密码 on the log-in page.
    let phone = app.other_browser();
    let login = phone.get("/login").await;
    assert!(login.body.contains("href=\"/recover\""), "{}", login.body);
    assert!(login.body.contains("忘记密码"));
    let form = phone.get("/recover").await;
    assert_eq!(form.status, 200);
    // Typed loosely: another case, spaces for hyphens.
    let typed = codes[0].to_uppercase().replace('-', " ");
    let res = phone.recover("BEA", &typed, NEW_PW).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(res.location.as_deref(), Some("/account?done=recovered"));
    assert!(
        res.set_cookie("pd_session").is_some(),
        "a fresh session here"
    );
    let account = phone.get("/account?done=recovered").await;
    assert_eq!(account.status, 200);
    account.assert_has_all(&["密码已经重设", "<strong>7</strong>"]);

    // Every other session ended: the browser she signed up in and the laptop.
    for b in [&app, &laptop] {
        assert_eq!(b.get("/quiz").await.status, 303);
    }
    app.assert_count("SELECT COUNT(*) FROM login_sessions", 1)
        .await;
    // The old password no longer works; the new one does.
    let other = app.other_browser();
    assert_eq!(other.login("bea", PW).await.status, 401);
    assert_eq!(other.login("bea", NEW_PW).await.status, 303);

    // The same code a second time fails, with the one message, and changes nothing.
    let thief = app.browser_from(ip(31));
    let again = thief.recover("bea", &codes[0], "a thiefs passphrase").await;
    assert_eq!(again.status, 401, "{}", again.body);
    again.assert_has(WRONG);
    assert_eq!(codes_left(&app, "bea").await, 7);
    assert_eq!(other.login("bea", "a thiefs passphrase").await.status, 401);
    // Another code still works.
    let res = app.other_browser().recover("bea", &codes[1], PW).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(codes_left(&app, "bea").await, 6);
}

#[tokio::test]
async fn two_requests_with_one_code_at_once_reset_the_password_once() {
    let app = spawn_app().await;
    let codes = app.signup_with_codes("cleo", PW).await;
    let (a, b) = (app.browser_from(ip(41)), app.browser_from(ip(42)));
    let (ra, rb) = tokio::join!(
        a.recover("cleo", &codes[0], "first new passphrase"),
        b.recover("cleo", &codes[0], "second new passphrase"),
    );
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [303, 401], "{} / {}", ra.body, rb.body);
    assert_eq!(codes_left(&app, "cleo").await, 7);
    let winner = if ra.status == 303 {
        "first new passphrase"
    } else {
        "second new passphrase"
    };
    assert_eq!(app.other_browser().login("cleo", winner).await.status, 303);
}

#[tokio::test]
async fn wrong_names_and_codes_get_one_message_and_are_throttled_like_log_ins() {
    let app = spawn_app().await;
    let codes = app.signup_with_codes("dora", PW).await;
    let guesser = app.browser_from(ip(51));
    // An unknown name and a wrong code cannot be told apart.
    let unknown = guesser.recover("nobody-here", &codes[0], NEW_PW).await;
    assert_eq!(unknown.status, 401);
    unknown.assert_has(WRONG);
    for i in 0..5 {
        let res = guesser.recover("dora", NOBODYS, NEW_PW).await;
        assert_eq!(res.status, 401, "guess {i}: {}", res.body);
        res.assert_has(WRONG);
    }
    // Stored where every instance reads them, with the log-in failures.
    let failures = "SELECT COUNT(*) FROM login_failures WHERE name_key = 'dora'";
    assert_eq!(app.count(failures).await, 5);
    // Like five wrong passwords: that (address, name) pair is refused, even the right code,
    // and log-ins from there too (one budget for both).
    let refused = guesser.recover("dora", &codes[0], NEW_PW).await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    refused.assert_has("分钟后再试");
    assert_eq!(guesser.login("dora", PW).await.status, 429);
    assert_eq!(codes_left(&app, "dora").await, 8);
    // The owner elsewhere is not locked out.
    let owner = app.browser_from(ip(52));
    assert_eq!(owner.recover("dora", &codes[0], NEW_PW).await.status, 303);
}

#[tokio::test]
async fn fields_are_bounded_and_checked_before_any_attempt_is_counted() {
    let app = spawn_app().await;
    let codes = app.signup_with_codes("emma", PW).await;
    let b = app.other_browser();
    let failures = "SELECT COUNT(*) FROM login_failures";
    // Longer than any name or code: wrong without a look.
    let long_code = format!("{} ", codes[0]).repeat(10);
    for (name, code) in [("emma", long_code.as_str()), (&"x".repeat(40), &codes[0])] {
        let res = b.recover(name, code, NEW_PW).await;
        assert_eq!(res.status, 401, "{}", res.body);
        res.assert_has(WRONG);
    }
    // The new password follows the sign-up rules, and a typo there costs no attempt.
    let csrf = b.get("/recover").await.csrf();
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("username", "emma"),
        ("code", codes[0].as_str()),
        ("new_password", "12345678"),
        ("new_password_confirm", "12345678"),
    ];
    let common = b.post("/recover", &form).await;
    assert_eq!(common.status, 400, "{}", common.body);
    common.assert_has("太常见");
    form[3].1 = NEW_PW;
    let mismatch = b.post("/recover", &form).await;
    assert_eq!(mismatch.status, 400);
    mismatch.assert_has("不一致");
    app.assert_count(failures, 0).await;
    assert_eq!(codes_left(&app, "emma").await, 8);
    // Without its token the form changes nothing.
    form[4].1 = NEW_PW;
    assert_eq!(b.post("/recover", &form[1..]).await.status, 403);
    assert_eq!(codes_left(&app, "emma").await, 8);
    // The form is sent back with what was typed, escaped.
    let res = b.recover("<b>emma</b>", NOBODYS, NEW_PW).await;
    assert!(!res.body.contains("<b>emma"), "escaped");
}

#[tokio::test]
async fn new_codes_need_the_password_and_end_the_old_ones() {
    let app = spawn_app().await;
    let old = app.signup_with_codes("fang", PW).await;
    let account = app.get("/account").await;
    let csrf = account.csrf();
    assert!(account.form("/account/recovery-codes").is_some());

    let wrong = app
        .post(
            "/account/recovery-codes",
            &[("csrf", &csrf), ("password", "not her password")],
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    wrong.assert_has("密码不对");
    assert_eq!(codes_left(&app, "fang").await, 8);
    let no_token = app
        .post("/account/recovery-codes", &[("password", PW)])
        .await;
    assert_eq!(no_token.status, 403);

    let res = app
        .post(
            "/account/recovery-codes",
            &[("csrf", &csrf), ("password", PW)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let to = res.location.expect("to the codes");
    assert_eq!(to, "/account/recovery-codes?next=/account");
    let page = app.get(&to).await;
    let new = page.texts(".recovery-codes code");
    assert_eq!(new.len(), 8, "{}", page.body);
    assert!(new.iter().all(|c| !old.contains(c)));
    assert!(app.get(&to).await.texts(".recovery-codes code").is_empty());
    app.assert_count("SELECT COUNT(*) FROM recovery_codes", 8)
        .await;

    // The old codes are gone; a new one works.
    let b = app.other_browser();
    let res = b.recover("fang", &old[3], NEW_PW).await;
    assert_eq!(res.status, 401, "{}", res.body);
    let res = b.recover("fang", &new[3], NEW_PW).await;
    assert_eq!(res.status, 303, "{}", res.body);
}

/// An account from before recovery codes existed has none: home says so in one line, and
/// /account makes them.
#[tokio::test]
async fn an_account_without_codes_is_told_where_to_make_them() {
    const NOTE: &str = "你还没有可用的恢复码";
    // Her code count comes with her cached data, which rows deleted behind the app's back do
    // not refresh (a server started on an old database reads it fresh): no cache here.
    let app = spawn_app_with(|s| s.cache_ttl = std::time::Duration::ZERO).await;
    app.signup_with_codes("ines", PW).await;
    assert!(!app.get("/").await.body.contains(NOTE));
    app.execute("DELETE FROM recovery_codes").await;
    let home = app.get("/").await;
    home.assert_has_all(&[NOTE, "href=\"/account#recovery\""]);
    let account = app.get("/account").await;
    account.assert_has("<strong>没有</strong>");
    let res = app
        .post(
            "/account/recovery-codes",
            &[("csrf", &account.csrf()), ("password", PW)],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(!app.get("/").await.body.contains(NOTE));
}

/// Wrong codes spread over three instances count together, as wrong passwords do.
#[tokio::test]
async fn wrong_codes_count_across_instances() {
    if backend() != Backend::Postgres {
        eprintln!("skipped on SQLite: several instances need PostgreSQL");
        return;
    }
    let pg = Arc::new(PgDatabase::create().await);
    let apps = spawn_three(&pg, &pg.url).await;
    let codes = apps[0].signup_with_codes("gwen", PW).await;
    for i in 0..5 {
        let res = apps[i % 3]
            .other_browser()
            .recover("gwen", NOBODYS, NEW_PW)
            .await;
        assert_eq!(res.status, 401, "attempt {i}: {}", res.body);
    }
    for app in &apps {
        let res = app.other_browser().recover("gwen", &codes[0], NEW_PW).await;
        assert_eq!(res.status, 429, "{}: {}", app.address, res.body);
    }
}

const REMINDER: &str = "下载一次备份";

/// An app on a clock the test moves, without caches (reviews are planted behind its back),
/// with one learner signed up.
async fn learner_on_clock() -> (TestApp, Clock) {
    let clock = Clock::midday_shanghai();
    let app = spawn_app_with(|s| {
        s.clock = clock.clone();
        s.cache_ttl = std::time::Duration::ZERO;
    })
    .await;
    app.signup_with_codes("hana", PW).await;
    (app, clock)
}

async fn reminded(app: &TestApp) -> bool {
    let page = app.get("/progress").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let shown = page.body.contains(REMINDER);
    if shown {
        assert!(
            page.body.contains("href=\"/export\""),
            "links to the export"
        );
        assert!(page.form("/progress/backup-reminder").is_some());
    }
    shown
}

#[tokio::test]
async fn the_backup_reminder_appears_after_real_use_and_goes_after_an_export() {
    let (app, clock) = learner_on_clock().await;
    assert!(!reminded(&app).await, "nothing to back up yet");
    // Real use: 25 answers (a write of hers bumps her data version; planted rows do not).
    app.plant_reviews(25, clock.now() - 25 * 3600, 3600).await;
    app.execute("UPDATE learners SET data_version = data_version + 1")
        .await;
    assert!(reminded(&app).await);
    // The answer log alone is not a backup ...
    assert_eq!(app.get("/export/revlog.csv").await.status, 200);
    assert!(reminded(&app).await);
    // ... her whole export, read to the end, is.
    let export = app.get("/export/paperdeck.json").await;
    assert_eq!(export.status, 200);
    assert!(!reminded(&app).await);
    let at = "SELECT COUNT(*) FROM backup_reminders WHERE last_export_at IS NOT NULL";
    app.assert_count(at, 1).await;
    // A month later it asks again (she visits in between, so her session lasts).
    clock.advance(15 * 86_400);
    assert!(!reminded(&app).await);
    clock.advance(15 * 86_400 + 60);
    assert!(reminded(&app).await);
    // Dismissed, it is quiet for a month.
    let csrf = app.get("/progress").await.csrf();
    let res = app
        .post("/progress/backup-reminder", &[("csrf", &csrf)])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location.as_deref(), Some("/progress"));
    assert!(!reminded(&app).await);
}
