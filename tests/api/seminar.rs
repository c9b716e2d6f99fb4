//! What to say about each paper: the 研讨要点 section and 讨论题 box of every paper page, the
//! discussion questions as quiz cards, and the /timeline page.

use crate::helpers::spawn_app;
use paperdeck::content;

/// Text as askama writes it into HTML.
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn every_paper_page_has_seminar_points_and_three_discussion_questions() {
    let app = spawn_app().await;
    let papers = content::embedded().unwrap().papers;
    let paths: Vec<String> = papers
        .iter()
        .map(|p| format!("/papers/{}", p.slug))
        .collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let pages = app.get_each(&paths, 200).await;
    assert_eq!(pages.len(), 10);
    for (p, (_, page)) in papers.iter().zip(&pages) {
        let b = &page.body;
        let seminar = b
            .find("id=\"seminar\"")
            .unwrap_or_else(|| panic!("{}", p.slug));
        let connections = b.find("id=\"connections\"").unwrap_or(usize::MAX);
        assert!(connections < seminar, "{}: 研讨要点 after 联系", p.slug);
        assert!(b[seminar..].contains("<h2>研讨要点</h2>"), "{}", p.slug);
        assert!(
            b.contains("href=\"#seminar\""),
            "{}: in the table of contents",
            p.slug
        );
        // The four points, each with its source.
        let section = &b[seminar
            ..b[seminar..]
                .find("</section>")
                .map_or(b.len(), |i| seminar + i)];
        for point in ["为什么重要", "反响", "主要批评与局限", "后续影响"] {
            assert!(section.contains(point), "{}: lacks {point}", p.slug);
        }
        assert!(section.contains("来源"), "{}: names no source", p.slug);
        assert!(section.contains(">讨论题</h3>"), "{}", p.slug);
        assert_eq!(section.matches("id=\"discuss-").count(), 3, "{}", p.slug);
        let questions = p.discussion();
        assert_eq!(questions.len(), 3, "{}", p.slug);
        for (_, q, a) in questions {
            assert!(section.contains(&html(q)), "{}: {q}", p.slug);
            assert!(
                section.contains(&html(a)),
                "{}: the model answer of {q}",
                p.slug
            );
        }
    }
}

#[tokio::test]
async fn discussion_questions_are_self_graded_recall_cards() {
    let app = spawn_app().await;
    let content = content::embedded().unwrap();
    for p in &content.papers {
        let n = app
            .count(&format!(
                "SELECT COUNT(*) FROM cards WHERE paper_slug = '{}' AND section = 'seminar' \
                 AND kind = 'recall' AND retired = 0",
                p.slug
            ))
            .await;
        assert_eq!(n, 3, "{}", p.slug);
    }
    let other = app
        .count("SELECT COUNT(*) FROM cards WHERE section = 'seminar' AND kind <> 'recall'")
        .await;
    assert_eq!(other, 0);
}

#[tokio::test]
async fn timeline_lists_all_ten_papers_in_date_order_with_an_svg_and_a_table() {
    let page = spawn_app().await.get("/timeline").await;
    assert_eq!(page.status, 200);
    let b = &page.body;
    let content = content::embedded().unwrap();
    let svg = b.find("<svg").expect("an SVG chart");
    let table = b.find("<table").expect("a table");
    assert!(svg < table, "the table comes under the chart");
    let chart = &b[svg..b[svg..].find("</svg>").map_or(b.len(), |i| svg + i)];
    for a11y in [
        "role=\"img\"",
        "<title id=",
        "<desc id=",
        "aria-labelledby=",
    ] {
        assert!(chart.contains(a11y), "chart lacks {a11y}");
    }
    // Every paper is linked from the table once, in order of its year and month as its own
    // page states them, and drawn in the chart in the same order.
    let rows = &b[table..];
    let mut last = (0, 0, 0usize);
    let mut last_in_chart = 0;
    let mut seen = 0;
    let mut by_position: Vec<(usize, &content::Paper)> = content
        .papers
        .iter()
        .map(|p| {
            let link = format!("href=\"/papers/{}\"", p.slug);
            assert_eq!(rows.matches(&link).count(), 1, "{}", p.slug);
            (rows.find(&link).unwrap_or(0), p)
        })
        .collect();
    by_position.sort_by_key(|(at, _)| *at);
    for (at, p) in by_position {
        assert!(
            (p.year, p.month) >= (last.0, last.1),
            "{} out of date order",
            p.slug
        );
        let in_chart = chart
            .find(&format!(">{} <tspan", html(&p.short)))
            .unwrap_or_else(|| panic!("{} not drawn", p.slug));
        assert!(in_chart > last_in_chart, "{} drawn out of order", p.slug);
        last = (p.year, p.month, at);
        last_in_chart = in_chart;
        seen += 1;
    }
    assert_eq!(seen, 10);
    // The events that explain the order.
    for event in ["ChatGPT 发布", "LLaMA 权重开放申请", "Llama 2 许可允许商用"] {
        assert!(chart.contains(event) && rows.contains(event), "{event}");
    }
    assert!(rows.contains("来源："));
    // Chain-of-Thought (January 2022) opens it and Llama 2 (July 2023) closes it.
    let first = rows.find("/papers/chain-of-thought").unwrap_or(usize::MAX);
    let last_paper = rows.find("/papers/llama-2").unwrap_or(0);
    assert!(content.papers.iter().all(|p| {
        let at = rows.find(&format!("/papers/{}\"", p.slug)).unwrap_or(0);
        first <= at && at <= last_paper
    }));
}

#[tokio::test]
async fn the_paper_list_links_the_timeline_and_it_is_the_same_for_everyone() {
    let app = spawn_app().await;
    let mut pages = app.get_each(&["/papers", "/timeline"], 200).await;
    let (_, anonymous) = pages.pop().expect("/timeline");
    let (_, papers) = pages.pop().expect("/papers");
    papers.assert_has("href=\"/timeline\"");
    assert!(
        anonymous.headers.get("set-cookie").is_none(),
        "no per-visitor state"
    );
    let learner = spawn_app().await;
    learner
        .signup("timeline_reader", "a long enough password 1")
        .await;
    let logged_in = learner.get("/timeline").await;
    assert_eq!(logged_in.status, 200);
    // Past the header, the page is the same whoever asks.
    let main = |body: &str| body[body.find("<main").unwrap_or(0)..].to_string();
    assert_eq!(main(&anonymous.body), main(&logged_in.body));
}
