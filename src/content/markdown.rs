//! Markdown to HTML for content bodies. Raw HTML in the source is shown as text, never passed
//! through: content from `--content DIR` is trusted to be correct, not to be safe.

use pulldown_cmark::{html, Event, Options, Parser};

pub fn render(src: &str) -> String {
    let parser =
        Parser::new_ext(src, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|ev| {
            match ev {
                Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
                other => other,
            }
        });
    let mut out = String::with_capacity(src.len() * 3 / 2);
    html::push_html(&mut out, parser);
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn raw_html_is_escaped() {
        let out = render("hi <script>alert(1)</script>");
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
    }

    #[test]
    fn links_and_emphasis_render() {
        let out = render("见 [Chinchilla](/papers/chinchilla) 和 **重点**");
        assert!(out.contains(r#"<a href="/papers/chinchilla">Chinchilla</a>"#));
        assert!(out.contains("<strong>重点</strong>"));
    }
}
