use crate::helpers::spawn_app;
use paperdeck::content;

#[tokio::test]
async fn every_paper_page_answers_with_its_title_and_arxiv_link() {
    let app = spawn_app().await;
    let content = content::embedded().unwrap();
    assert_eq!(content.papers.len(), 10);
    for p in &content.papers {
        let page = app.get(&format!("/papers/{}", p.slug)).await;
        assert_eq!(page.status, 200, "{}", p.slug);
        page.assert_has(&p.title_zh);
        page.assert_has(format!("https://arxiv.org/abs/{}", p.arxiv));
        for id in ["core", "explain", "figures", "terms", "connections"] {
            page.assert_has(format!("id=\"{id}\""));
        }
    }
}

#[tokio::test]
async fn every_concept_page_answers_and_links_its_papers() {
    let app = spawn_app().await;
    let content = content::embedded().unwrap();
    assert!(content.concepts.len() >= 18);
    for c in &content.concepts {
        let page = app.get(&format!("/concepts/{}", c.slug)).await;
        assert_eq!(page.status, 200, "{}", c.slug);
        page.assert_has(&c.name);
        for p in &c.papers {
            page.assert_has(format!("href=\"/papers/{p}\""));
        }
    }
}

#[tokio::test]
async fn lists_and_home_show_all_ten_papers_in_reading_order() {
    let app = spawn_app().await;
    let content = content::embedded().unwrap();
    for path in ["/", "/papers"] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200);
        let mut last = 0;
        for p in &content.papers {
            let at = page
                .body
                .find(&format!("/papers/{}\"", p.slug))
                .unwrap_or_else(|| panic!("{path} lacks {}", p.slug));
            assert!(at > last, "{path}: {} out of order", p.slug);
            last = at;
        }
    }
    let glossary = app.get("/concepts").await;
    assert_eq!(glossary.status, 200);
    assert!(glossary.body.contains("lang=\"zh-CN\""));
}

#[tokio::test]
async fn unknown_paths_and_slugs_get_a_friendly_404() {
    let app = spawn_app().await;
    let unknown = [
        "/papers/nope",
        "/concepts/nope",
        "/no/such/page",
        "/papers/../etc/passwd",
    ];
    for (path, page) in app.get_each(&unknown, 404).await {
        assert!(
            page.body.contains("页面不存在") || page.body.contains("找不到"),
            "{path}"
        );
        assert!(page.body.contains("href=\"/\""), "{path} has a way back");
    }
}

#[tokio::test]
async fn health_check_answers_ok() {
    let app = spawn_app().await;
    let page = app.get("/healthz").await;
    assert_eq!(page.status, 200);
    page.assert_has("\"writer\":\"ok\"");
}

#[tokio::test]
async fn static_assets_are_cached_and_traversal_is_refused() {
    let app = spawn_app().await;
    // The bare URL changes with each release, so it is revalidated; the versioned URL the pages
    // link to is cached for a year.
    let css = app.get("/static/style.css").await;
    assert_eq!(css.status, 200);
    assert!(css.header("cache-control").contains("no-cache"));
    let home = app.get("/").await;
    let at = home
        .body
        .find("/static/style.css?v=")
        .expect("versioned link");
    let link = &home.body[at..];
    let link = &link[..link.find('"').unwrap()];
    let versioned = app.get(link).await;
    assert_eq!(versioned.status, 200);
    assert!(versioned.header("cache-control").contains("immutable"));
    assert!(css.header("content-type").starts_with("text/css"));
    let refused = [
        "/static/..%2fCargo.toml",
        "/static/%2e%2e/Cargo.toml",
        "/static/nope.css",
    ];
    app.get_each(&refused, 404).await;
}

#[tokio::test]
async fn paper_pages_show_how_many_questions_they_have() {
    let app = spawn_app().await;
    let page = app.get("/papers/qlora").await;
    page.assert_has_all(&["道测验题", "href=\"/concepts/quantization\""]);
}

#[tokio::test]
async fn the_glossary_explains_every_term_and_every_quiz_answer_links_somewhere() {
    let app = spawn_app().await;
    let content = content::embedded().unwrap();
    let page = app.get("/glossary").await;
    assert_eq!(page.status, 200);
    for t in &content.glossary {
        page.assert_has(format!("id=\"{}\"", t.slug));
        if let Some(g) = &t.gloss {
            // askama escapes quotes; the first few characters are plain text
            let start: String = g.chars().take(8).collect();
            page.assert_has(&start);
        }
    }
    for word in ["Transformer", "注意力", "验证器"] {
        assert!(
            content.glossary.iter().any(|t| t.name == word),
            "{word} is explained"
        );
    }
    // Every place a name is explained is a page that answers.
    for e in paperdeck::content::names::Names::new(&content).entries {
        if let Some(href) = e.href {
            let path = href.split('#').next().unwrap_or("/");
            assert_eq!(app.get(path).await.status, 200, "{} → {href}", e.key);
        }
    }
}
