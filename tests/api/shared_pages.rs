//! Pages that are the same for every logged-out reader (issue 23 §1): served from memory with
//! no cookie, the same bytes for everyone, a strong `ETag` answered with `304`, gzipped once;
//! the in-page question on them still works without JavaScript and without any cookie.

use crate::helpers::{spawn_app, Page, TestApp};

const PW: &str = crate::common::PW;

/// The logged-out pages that are built once.
const SHARED: [&str; 6] = [
    "/",
    "/papers",
    "/papers/qlora",
    "/concepts",
    "/concepts/scaling-laws",
    "/glossary",
];

async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Page {
    let mut req = app.client.get(app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    app.send(req).await
}

fn header<'a>(page: &'a Page, name: &str) -> &'a str {
    page.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn an_anonymous_paper_page_sets_no_cookie_is_the_same_for_two_visitors_and_answers_304() {
    let app = spawn_app().await;
    let (ann, bob) = (app.other_browser(), app.other_browser());
    for path in SHARED {
        let a = ann.get(path).await;
        let b = bob.get(path).await;
        assert_eq!(a.status, 200, "{path}");
        assert!(
            a.headers.get("set-cookie").is_none() && b.headers.get("set-cookie").is_none(),
            "{path} sets a cookie: {:?}",
            a.headers.get_all("set-cookie")
        );
        assert_eq!(a.body, b.body, "{path}: two visitors got different bytes");
        let etag = header(&a, "etag");
        assert!(
            etag.starts_with('"') && etag.len() > 10,
            "{path}: ETag {etag:?}"
        );
        assert_eq!(etag, header(&b, "etag"), "{path}");
        let again = get_with(&ann, path, &[("if-none-match", etag)]).await;
        assert_eq!(again.status, 304, "{path} with its own ETag");
        assert!(again.body.is_empty(), "{path}: a 304 has no body");
        let other = get_with(&ann, path, &[("if-none-match", "\"something-else\"")]).await;
        assert_eq!(other.status, 200, "{path} with another ETag");
        assert_eq!(other.body, a.body, "{path}");
    }
    assert_eq!(ann.cookie_header(), "", "no cookie was kept");
}

#[tokio::test]
async fn a_shared_page_is_gzipped_once_with_its_own_validator() {
    let app = spawn_app().await;
    let plain = app.get("/papers/qlora").await;
    let gz = get_with(&app, "/papers/qlora", &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.status, 200);
    assert_eq!(header(&gz, "content-encoding"), "gzip");
    assert!(header(&gz, "vary").contains("Accept-Encoding"));
    let gz_tag = header(&gz, "etag");
    assert!(!gz_tag.is_empty() && gz_tag != header(&plain, "etag"));
    // The body as sent (reqwest here does not decode gzip): smaller than the page.
    let raw = app
        .client
        .get(app.url("/papers/qlora"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("GET")
        .bytes()
        .await
        .expect("body");
    assert_eq!(&raw[..2], &[0x1f, 0x8b], "a gzip stream");
    assert!(
        raw.len() * 3 < plain.body.len(),
        "{} of {}",
        raw.len(),
        plain.body.len()
    );
    let again = get_with(
        &app,
        "/papers/qlora",
        &[("accept-encoding", "gzip"), ("if-none-match", gz_tag)],
    )
    .await;
    assert_eq!(again.status, 304);
}

#[tokio::test]
async fn logged_in_pages_are_her_own_and_the_shared_page_comes_back_after_log_out() {
    let app = spawn_app().await;
    let anonymous = app.other_browser().get("/papers/qlora").await;
    assert_eq!(app.signup("reader", PW).await.status, 303);
    let hers = app.get("/papers/qlora").await;
    assert_eq!(hers.status, 200);
    hers.assert_has("reader");
    assert!(
        hers.headers.get("etag").is_none(),
        "a personal page has no shared validator"
    );
    assert_ne!(hers.body, anonymous.body);
    let logout = hers.csrf();
    app.post_expect("/logout", &[("csrf", &logout)], 303).await;
    let after = app.get("/papers/qlora").await;
    assert_eq!(after.body, anonymous.body);
}

#[tokio::test]
async fn the_in_page_question_works_from_the_shared_page_with_no_cookie_at_all() {
    let app = spawn_app().await;
    let page = app.get("/papers/qlora").await;
    let doc = scraper::Html::parse_document(&page.body);
    let sel = |css: &str| scraper::Selector::parse(css).expect("selector");
    let form = doc
        .select(&sel("form.check-form"))
        .find(|f| f.select(&sel("input[type=radio]")).next().is_some())
        .expect("a choice question");
    let mut fields: Vec<(String, String)> = form
        .select(&sel("input[type=hidden]"))
        .filter_map(|i| {
            let v = i.value();
            Some((v.attr("name")?.to_string(), v.attr("value")?.to_string()))
        })
        .collect();
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    assert_eq!(csrf, Some(""), "the shared page carries no token");
    let option = form
        .select(&sel("input[type=radio]"))
        .next()
        .and_then(|i| i.value().attr("value"))
        .expect("an option")
        .to_string();
    fields.push(("answer".into(), option));
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = app.post("/papers/qlora/check", &form).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let to = res.location.clone().unwrap_or_default();
    let back = app.get(&to).await;
    assert_eq!(back.status, 200);
    back.assert_has("没有登录，所以这次作答没有保存");
    assert!(back.headers.get("set-cookie").is_none());
    app.assert_count("SELECT COUNT(*) FROM reviews", 0).await;
}

#[tokio::test]
async fn the_log_in_form_still_makes_its_token_and_only_there() {
    let app = spawn_app().await;
    let login = app.get("/login").await;
    assert!(
        header(&login, "set-cookie").starts_with("pd_anon="),
        "the log-in form binds its token to a new anonymous id"
    );
    // A form sent with no cookie at all has nothing its token could be bound to.
    let stranger = app.other_browser();
    let refused = stranger
        .post(
            "/login",
            &[("csrf", &login.csrf()), ("username", "x"), ("password", PW)],
        )
        .await;
    assert_eq!(refused.status, 403);
}

/// The text from `start` through the first `end` after it.
fn span<'a>(body: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = body.find(start)?;
    let len = body[from..].find(end)? + end.len();
    Some(&body[from..from + len])
}

/// What a paper page shows the same to every reader is rendered once at start
/// (`web::paper_parts`): her page carries exactly the logged-out page's header, key figures,
/// terms, discussion questions, card counts and links to the neighbours, on every paper.
#[tokio::test]
async fn her_paper_pages_carry_the_same_fixed_parts_as_the_logged_out_ones() {
    let app = spawn_app().await;
    let anonymous = app.other_browser();
    assert_eq!(app.signup("reader", PW).await.status, 303);
    let index = anonymous.get("/papers").await;
    let mut slugs: Vec<&str> = index
        .body
        .split("href=\"/papers/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    slugs.dedup();
    assert_eq!(slugs.len(), 10, "{slugs:?}");
    let parts = [
        ("<article class=\"paper\">", "</nav>"),
        ("<table class=\"figures\"", "</table>"),
        ("<dl class=\"terms\">", "</dl>"),
        ("<aside class=\"discussion\"", "</aside>"),
        ("这篇论文有 <strong>", "</p>"),
        ("<nav class=\"prevnext\"", "</nav>"),
    ];
    let mut discussions = 0;
    for slug in slugs {
        let path = format!("/papers/{slug}");
        let (theirs, hers) = (anonymous.get(&path).await, app.get(&path).await);
        assert_eq!((theirs.status, hers.status), (200, 200), "{path}");
        hers.assert_has("reader");
        for (start, end) in parts {
            let shown = span(&theirs.body, start, end);
            assert_eq!(shown, span(&hers.body, start, end), "{path}: {start}");
            match shown {
                Some(_) if start.contains("discussion") => discussions += 1,
                Some(_) => {}
                None => assert!(start.contains("discussion"), "{path} lacks {start}"),
            }
        }
    }
    assert!(
        discussions > 0,
        "no paper page showed its discussion questions"
    );
}
