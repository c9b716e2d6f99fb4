//! Markdown to HTML for content bodies. Raw HTML in the source is shown as text, never passed
//! through: content from `--content DIR` is trusted to be correct, not to be safe.
//!
//! Paper sections are rendered with [`render_section`], which also explains terms where she
//! reads them: the first mention of a concept or glossary term on a page gets a note, a
//! `<details>` right after the paragraph (a `<details>` inside a `<p>` would end the paragraph,
//! so the note follows it), readable without JavaScript and announced by screen readers as a
//! button. The first mention of each in every section is a `<span class="term">` with an id, so
//! "回到原文" can point at the very words, and every paragraph has an id too.

use super::names::Haystack;
use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};
use std::collections::HashSet;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// Raw HTML in the source becomes text.
fn no_raw_html(ev: Event<'_>) -> Event<'_> {
    match ev {
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        other => other,
    }
}

pub fn render(src: &str) -> String {
    let parser = Parser::new_ext(src, options()).map(no_raw_html);
    let mut out = String::with_capacity(src.len() * 3 / 2);
    html::push_html(&mut out, parser);
    out
}

/// Something a note can explain: a concept or a glossary term.
#[derive(Debug, Clone)]
pub struct Note {
    /// Used in ids: the concept's slug, or `g-` and the glossary term's slug.
    pub key: String,
    /// The name shown in the note's summary.
    pub display: String,
    /// Every name it is mentioned by, longest first (so 基于人类反馈的强化学习 wins over 强化学习).
    pub names: Vec<String>,
    /// The short explanation.
    pub text: String,
    /// The full explanation: the concept page or the glossary entry.
    pub href: String,
    /// The paper that explains it (a model's own paper), whose page needs no note for it.
    pub paper: Option<String>,
    /// Matched but never explained: an organisation (Google, OpenAI) needs no note to follow
    /// a paper, and a note on it only crowds the ones that help.
    pub quiet: bool,
}

/// The notes of one page, and which of them it has explained already.
pub struct PageNotes<'a> {
    notes: &'a [Note],
    /// Notes this page does not show (a model on its own paper's page). They still take part in
    /// matching, so that "LLaMA" is not found inside "Llama 2" on the Llama 2 page.
    silent: HashSet<usize>,
    explained: HashSet<usize>,
    /// Per note, per name: the name's first letter as the search folds it, or `None` for a name
    /// too short to look for. Folding is slow enough to do once.
    firsts: Vec<Vec<Option<char>>>,
}

impl<'a> PageNotes<'a> {
    /// Notes for a page; those for which `silent` is true are matched but never shown.
    pub fn new(notes: &'a [Note], silent: impl Fn(&Note) -> bool) -> PageNotes<'a> {
        PageNotes {
            notes,
            silent: (0..notes.len())
                .filter(|i| notes[*i].quiet || silent(&notes[*i]))
                .collect(),
            explained: HashSet::new(),
            firsts: notes
                .iter()
                .map(|n| {
                    n.names
                        .iter()
                        .map(|name| {
                            let folded = crate::text::normalize::fold(name);
                            let mut chars = folded.chars();
                            let first = chars.next();
                            first.filter(|_| chars.next().is_some())
                        })
                        .collect()
                })
                .collect(),
        }
    }
}

/// A rendered paper section.
pub struct Rendered {
    pub html: String,
    /// The keys of the notes mentioned in it; `#{section}-{key}` is the first mention.
    pub anchors: Vec<String>,
}

/// Every mention in `text` of any note, in reading order, none overlapping: at each place the
/// longest name wins, so "Llama 2" is one mention, not "LLaMA" and a stray "2". A name followed
/// by `.` and a digit is part of a longer one ("GPT-3" in "GPT-3.5"). Returns (start, end, note).
fn mentions(text: &str, page: &PageNotes<'_>) -> Vec<(usize, usize, usize)> {
    // A quick test before the full search, which is slow when run for every name: a name whose
    // folded first letter the folded text lacks cannot be in it.
    let hay = Haystack::new(text);
    let present: HashSet<char> = hay.folded().iter().copied().collect();
    let mut all: Vec<(usize, usize, usize)> = Vec::new();
    for (i, n) in page.notes.iter().enumerate() {
        for (name, first) in n.names.iter().zip(&page.firsts[i]) {
            let Some(first) = *first else {
                continue;
            };
            if !present.contains(&first) {
                continue;
            }
            for (s, e) in hay.find_all(name) {
                let mut after = text[e..].chars();
                let longer =
                    after.next() == Some('.') && after.next().is_some_and(|c| c.is_ascii_digit());
                if !longer {
                    all.push((s, e, i));
                }
            }
        }
    }
    all.sort_by_key(|&(s, e, i)| (s, std::cmp::Reverse(e), i));
    let mut out: Vec<(usize, usize, usize)> = Vec::new();
    for m in all {
        if out.last().is_none_or(|last| m.0 >= last.1) {
            out.push(m);
        }
    }
    out
}

fn esc(s: &str) -> String {
    crate::charts::esc(s)
}

/// What one section has marked so far.
#[derive(Default)]
struct Marks {
    /// The notes whose first mention in this section is marked.
    anchored: HashSet<usize>,
    anchors: Vec<String>,
    /// Notes to explain once the paragraph or list item ends.
    pending: Vec<usize>,
    /// The paragraph's text so far (links and emphasis included), to tell a term the
    /// paragraph defines itself.
    para: String,
}

/// Words that introduce a definition: "所谓思维链，就是……", "这种做法称为 LoRA".
const DEFINES: [&str; 7] = ["所谓", "就是", "是指", "指的是", "叫做", "叫作", "称为"];

/// Whether a sentence of `text` naming `note` also defines it: a note there would repeat what
/// she has just read.
fn defined_in(text: &str, note: &Note) -> bool {
    text.split(['。', '！', '？', '；', '!', '?'])
        .any(|sentence| {
            note.names.iter().any(|n| sentence.contains(n.as_str()))
                && DEFINES.iter().any(|d| sentence.contains(d))
        })
}

/// A note's title as a question she would ask: "什么是 LoRA？", "什么是思维链？", and quoted
/// when the name is a list ("什么是“预训练、token 与参数”？").
fn note_title(display: &str) -> String {
    if display.contains(['、', '，']) || display.contains(" 与 ") {
        format!("什么是“{display}”？")
    } else if display.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        format!("什么是 {display}？")
    } else {
        format!("什么是{display}？")
    }
}

impl Marks {
    /// Pushes `text` with this section's first mention of each note as a `<span class="term">`;
    /// a note the page has not explained yet waits in `pending`.
    fn text(
        &mut self,
        text: &str,
        section: &str,
        page: &mut PageNotes<'_>,
        events: &mut Vec<Event<'_>>,
    ) {
        let mut at = 0;
        for (s, e, i) in mentions(text, page) {
            let n = &page.notes[i];
            if page.silent.contains(&i) || !self.anchored.insert(i) {
                continue;
            }
            self.anchors.push(n.key.clone());
            if page.explained.insert(i) {
                self.pending.push(i);
            }
            events.push(Event::Text(CowStr::from(text[at..s].to_string())));
            events.push(Event::Html(CowStr::from(format!(
                "<span class=\"term\" id=\"{section}-{}\">{}</span>",
                esc(&n.key),
                esc(&text[s..e])
            ))));
            at = e;
        }
        events.push(Event::Text(CowStr::from(text[at..].to_string())));
        self.para.push_str(text);
    }

    /// Pushes the waiting notes, each a `<details>`.
    fn flush(&mut self, notes: &[Note], events: &mut Vec<Event<'_>>) {
        let para = std::mem::take(&mut self.para);
        for i in self.pending.drain(..) {
            let n = &notes[i];
            if defined_in(&para, n) {
                continue;
            }
            events.push(Event::Html(CowStr::from(format!(
                "<details class=\"note\"><summary>{}</summary><p>{} <a href=\"{}\">详细解释</a></p></details>\n",
                esc(&note_title(&n.display)),
                esc(&n.text),
                esc(&n.href)
            ))));
        }
    }
}

/// Renders one section of a paper page (`section` is its id) with notes and anchors.
pub fn render_section(src: &str, section: &str, page: &mut PageNotes<'_>) -> Rendered {
    let notes = page.notes;
    let mut marks = Marks::default();
    let mut events: Vec<Event<'_>> = Vec::new();
    // Inside a link, a heading or a table a note would be out of place (a link inside a link,
    // a button in a heading).
    let mut blocked = 0usize;
    let mut in_text_block = 0usize;
    let mut paragraph = 0usize;
    let mut in_cell = 0usize;
    for ev in Parser::new_ext(src, options()).map(no_raw_html) {
        match ev {
            Event::Start(Tag::Paragraph) => {
                paragraph += 1;
                in_text_block += 1;
                events.push(Event::Html(CowStr::from(format!(
                    "<p id=\"{section}-p{paragraph}\">"
                ))));
            }
            Event::End(TagEnd::Paragraph) => {
                in_text_block -= 1;
                events.push(Event::Html(CowStr::from("</p>\n")));
                marks.flush(notes, &mut events);
            }
            Event::Start(Tag::Item) => {
                in_text_block += 1;
                events.push(Event::Start(Tag::Item));
            }
            Event::End(TagEnd::Item) => {
                in_text_block -= 1;
                marks.flush(notes, &mut events);
                events.push(Event::End(TagEnd::Item));
            }
            ev @ Event::Start(Tag::Link { .. } | Tag::Heading { .. } | Tag::Table(_)) => {
                blocked += 1;
                events.push(ev);
            }
            ev @ Event::End(TagEnd::Link | TagEnd::Heading(_) | TagEnd::Table) => {
                blocked = blocked.saturating_sub(1);
                events.push(ev);
            }
            Event::Text(text) if blocked == 0 && in_text_block > 0 => {
                marks.text(&text, section, page, &mut events);
            }
            Event::Text(text) if in_text_block > 0 => {
                marks.para.push_str(&text);
                events.push(Event::Text(text));
            }
            ev @ Event::Start(Tag::TableCell) => {
                in_cell += 1;
                events.push(ev);
            }
            ev @ Event::End(TagEnd::TableCell) => {
                in_cell = in_cell.saturating_sub(1);
                events.push(ev);
            }
            // A narrow column on a phone breaks at any hyphen: "GPT-3" must not become "GPT-/3".
            Event::Text(text) if in_cell > 0 => {
                let kept = crate::text::html::keep_numbers_whole(&text);
                events.push(Event::Html(CowStr::from(kept)));
            }
            other => events.push(other),
        }
    }
    marks.flush(notes, &mut events);
    let mut html_out = String::with_capacity(src.len() * 2);
    html::push_html(&mut html_out, events.into_iter());
    Rendered {
        html: html_out,
        anchors: marks.anchors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_table_cells_stay_whole_and_escaped() {
        let mut page = PageNotes::new(&[], |_| false);
        let out = render_section("| a |\n|---|\n| 微调 GPT-3 <b> |\n", "s", &mut page).html;
        assert!(out.contains(r#"<span class="nobr">GPT-3</span>"#), "{out}");
        assert!(out.contains("&lt;b&gt;") && !out.contains("<b>"), "{out}");
    }

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

    fn note(key: &str, display: &str, names: &[&str], text: &str, href: &str) -> Note {
        Note {
            key: key.into(),
            display: display.into(),
            names: names.iter().map(|n| n.to_string()).collect(),
            text: text.into(),
            href: href.into(),
            paper: None,
            quiet: false,
        }
    }

    fn notes() -> Vec<Note> {
        vec![
            note(
                "rlhf",
                "基于人类反馈的强化学习",
                &["基于人类反馈的强化学习", "RLHF"],
                "用人的偏好<打分>训练",
                "/concepts/rlhf",
            ),
            note(
                "g-transformer",
                "Transformer",
                &["Transformer"],
                "通用底盘",
                "/glossary#transformer",
            ),
        ]
    }

    /// Renders `sections` (id, Markdown) in order as the sections of one page with [`notes`],
    /// none of them silent.
    fn render_page<const N: usize>(sections: [(&str, &str); N]) -> [Rendered; N] {
        let notes = notes();
        let mut page = PageNotes::new(&notes, |_| false);
        sections.map(|(id, src)| render_section(src, id, &mut page))
    }

    #[test]
    fn the_first_mention_on_a_page_gets_a_note_after_its_paragraph() {
        let [a, b] = render_page([
            (
                "core",
                "它用 RLHF 微调 Transformer，RLHF 很有效。\n\n第二段又说 RLHF。",
            ),
            ("explain", "再看 RLHF。"),
        ]);
        assert_eq!(a.anchors, ["rlhf", "g-transformer"]);
        assert_eq!(
            a.html.matches("<details class=\"note\">").count(),
            2,
            "{}",
            a.html
        );
        assert_eq!(a.html.matches("class=\"term\"").count(), 2, "{}", a.html);
        assert!(
            a.html
                .contains(r#"<p id="core-p1">它用 <span class="term" id="core-rlhf">RLHF</span>"#),
            "{}",
            a.html
        );
        // The note follows the paragraph, and its text is escaped.
        let p_end = a.html.find("</p>").unwrap_or(0);
        let note = a.html.find("<details").unwrap_or(0);
        assert!(p_end < note, "{}", a.html);
        assert!(a.html.contains("&lt;打分&gt;"), "{}", a.html);
        assert!(a.html.contains(r#"<p id="core-p2">"#));
        // Another section anchors its own first mention but explains nothing twice.
        assert_eq!(b.anchors, ["rlhf"]);
        assert!(b.html.contains(r#"id="explain-rlhf""#));
        assert!(!b.html.contains("<details"), "{}", b.html);
    }

    #[test]
    fn a_silent_note_still_wins_its_words() {
        let mut notes = notes();
        notes.push(Note {
            paper: Some("p".into()),
            ..note(
                "g-rlhf-v2",
                "RLHF v2",
                &["RLHF v2"],
                "x",
                "/glossary#rlhf-v2",
            )
        });
        let mut page = PageNotes::new(&notes, |n| n.paper.as_deref() == Some("p"));
        let r = render_section("本文的 RLHF v2 和 GPT-3.5。", "core", &mut page);
        assert!(r.anchors.is_empty(), "{}", r.html);
        assert!(!r.html.contains("<details"), "{}", r.html);
    }

    /// Friction 16: notes help, never crowd. No note for an organisation, none for a term the
    /// sentence defines itself, and titles that read as her question.
    #[test]
    fn notes_skip_organisations_and_terms_defined_in_their_sentence() {
        let mut notes = notes();
        notes.push(Note {
            quiet: true,
            ..note(
                "g-google",
                "Google",
                &["Google"],
                "美国科技公司",
                "/glossary#google",
            )
        });
        let mut page = PageNotes::new(&notes, |_| false);
        let r = render_section(
            "Google 的研究者用了 RLHF。所谓 Transformer，就是通用底盘。",
            "core",
            &mut page,
        );
        assert!(!r.html.contains("Google？"), "{}", r.html);
        assert!(!r.html.contains("什么是 Transformer？"), "{}", r.html);
        assert!(
            r.html
                .contains("<summary>什么是基于人类反馈的强化学习？</summary>"),
            "{}",
            r.html
        );
        // Defined where she read it: no note later on the page either.
        let later = render_section("Transformer 又出现了。", "explain", &mut page);
        assert!(!later.html.contains("<details"), "{}", later.html);
        assert_eq!(note_title("LoRA"), "什么是 LoRA？");
        assert_eq!(
            note_title("预训练、token 与参数"),
            "什么是“预训练、token 与参数”？"
        );
    }

    #[test]
    fn names_in_links_and_headings_are_left_alone() {
        let [r] = render_page([("core", "### RLHF\n\n见 [RLHF](/concepts/rlhf) 一节。")]);
        assert!(r.anchors.is_empty(), "{}", r.html);
        assert!(!r.html.contains("<details"));
    }
}
