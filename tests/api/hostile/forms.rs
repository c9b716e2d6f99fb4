//! The POST forms: bodies with forged, foreign and missing CSRF tokens, wrong content types, huge
//! and broken encodings for every POST route; then marking papers read, sign-up, log-in and
//! log-out with a valid token and everything else wrong.

use super::*;

/// A recovery code of the right shape that is nobody's.
const NOBODYS_CODE: &str = "2345-6789-abcd-efgh";

pub fn add(c: &mut Corpus) {
    let ctx = c.ctx;
    let a_last = ctx.a_last();
    let alice = Who::Alice;
    let bob = Who::Bob;

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
        ("/settings/optimise", Vec::new()),
        ("/settings/reset-params", Vec::new()),
        (
            "/quiz/override",
            kv(&[
                ("review", &a_last.to_string()),
                ("version", "1"),
                ("token", "0"),
            ]),
        ),
        (
            "/recover",
            kv(&[
                ("username", "alice"),
                ("code", NOBODYS_CODE),
                ("new_password", PW),
                ("new_password_confirm", PW),
            ]),
        ),
        (
            "/account/recovery-codes",
            kv(&[("password", "not the password")]),
        ),
        ("/progress/backup-reminder", Vec::new()),
    ];
    let big = big();
    let huge = "B".repeat(1024 * 1024);
    for (path, fields) in &post_routes {
        let reject = Expect::Reject;
        // These write for a learner with a valid token (`account_pages_survive_garbage` sends
        // them valid tokens); here they get only the bad ones.
        let writes = matches!(
            *path,
            "/import"
                | "/settings"
                | "/settings/optimise"
                | "/settings/reset-params"
                | "/progress/backup-reminder"
        );
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
                c.post_refused(&format!("{label} as {who:?}"), who, path, &with(&token));
            }
            c.post_refused(
                &format!("no csrf as {who:?}"),
                who,
                path,
                &without(&with(""), "csrf"),
            );
            // The body formats below carry the valid token, yet must be refused for their form;
            // logging out would end the session the rest of the corpus uses, so /logout gets
            // them only from visitors who are not logged in.
            if *path == "/logout" && who.logged_in() {
                continue;
            }
            if writes && who.logged_in() {
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
            c.post_refused(&format!("1 MB body as {who:?}"), who, path, &one_mb);
            let mut field_100k = good.clone();
            field_100k.push(("extra".into(), big.clone()));
            c.post_refused(
                &format!("100 KB extra field as {who:?}"),
                who,
                path,
                &field_100k,
            );
            if !fields.is_empty() {
                // every field 100 KB long
                let all_big: Vec<(String, String)> = good
                    .iter()
                    .map(|(k, v)| (k.clone(), if k == "csrf" { v.clone() } else { big.clone() }))
                    .collect();
                c.post_refused(&format!("100 KB fields as {who:?}"), who, path, &all_big);
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
            c.post_refused(
                &format!("read {} as {who:?}", cut(s, 30)),
                who,
                &path,
                &kv(&[("csrf", &ctx.csrf(who))]),
            );
        }
    }
    for who in [Who::Anon, Who::Nobody, Who::Forged] {
        c.post_refused(
            &format!("read a real paper as {who:?}"),
            who,
            "/papers/qlora/read",
            &kv(&[("csrf", &ctx.csrf(who))]),
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
            c.post_refused(
                &format!("signup {:?} as {who:?}", cut(n, 30)),
                who,
                "/signup",
                &kv(&[
                    ("csrf", &ctx.csrf(who)),
                    ("username", n),
                    ("password", PW),
                    ("password_confirm", PW),
                ]),
            );
        }
    }
    for (label, pw, confirm) in [
        ("short password", "short", "short"),
        ("password 129 chars", &*"p".repeat(129), &*"p".repeat(129)),
        ("confirm differs", PW, "another passphrase"),
        ("password 100 KB", &*big, &*big),
    ] {
        c.post_refused(
            &format!("signup, {label}"),
            Who::Anon,
            "/signup",
            &kv(&[
                ("csrf", &ctx.csrf_anon),
                ("username", "valid_name"),
                ("password", pw),
                ("password_confirm", confirm),
            ]),
        );
    }
    c.post_refused(
        "signup, no password",
        Who::Anon,
        "/signup",
        &kv(&[("csrf", &ctx.csrf_anon), ("username", "valid_name")]),
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
        c.post_refused(
            &format!("login {user:?}"),
            Who::Anon,
            "/login",
            &kv(&[
                ("csrf", &ctx.csrf_anon),
                ("username", user),
                ("password", pw),
            ]),
        );
    }
    c.post_refused(
        "login, 100 KB name",
        Who::Anon,
        "/login",
        &kv(&[
            ("csrf", &ctx.csrf_anon),
            ("username", &big),
            ("password", PW),
        ]),
    );
    c.post_refused(
        "login, no password",
        Who::Anon,
        "/login",
        &kv(&[("csrf", &ctx.csrf_anon), ("username", "alice")]),
    );

    // 3e'. 忘记密码 with a valid token and names and codes that are wrong, hostile or huge (the
    //     limiter answers 429 once they add up); nothing may change.
    for (user, code) in [
        ("alice", NOBODYS_CODE),
        ("alice", SQLI[0]),
        (SQLI[1], NOBODYS_CODE),
        ("alice", HTML[0]),
        (HTML[1], HTML[0]),
        ("alice", &*big),
        (&*big, NOBODYS_CODE),
        ("alice", ""),
        ("nobody-here", NOBODYS_CODE),
        ("ALICE ", "２３４５－６７８９－ａｂｃｄ－ｅｆｇｈ"),
    ] {
        c.post_refused(
            &format!("recover {:?} with {:?}", cut(user, 30), cut(code, 30)),
            Who::Anon,
            "/recover",
            &kv(&[
                ("csrf", &ctx.csrf_anon),
                ("username", user),
                ("code", code),
                ("new_password", PW),
                ("new_password_confirm", PW),
            ]),
        );
    }
    c.post_refused(
        "recover, no code",
        Who::Anon,
        "/recover",
        &kv(&[
            ("csrf", &ctx.csrf_anon),
            ("username", "alice"),
            ("new_password", PW),
            ("new_password_confirm", PW),
        ]),
    );

    // 3f. Log-out with someone else's or no token, from a learner (must not log her out).
    for who in [alice, bob] {
        for (label, token) in [
            ("foreign", ctx.other_csrf(who)),
            ("anonymous", ctx.csrf_anon.clone()),
            ("forged", "f".repeat(40)),
        ] {
            c.post_refused(
                &format!("logout with {label} csrf as {who:?}"),
                who,
                "/logout",
                &kv(&[("csrf", &token)]),
            );
        }
    }
}
