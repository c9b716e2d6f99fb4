//! Reading that teaches: which questions sit inside a paper page, where she should continue
//! reading, and how dense the questions are. Pure: the web layer and `check-content` call it
//! with what they already hold.

use crate::cards::{Card, CardKind};
use crate::content::Paper;

/// The sections of a paper page that end with check-yourself questions, in page order.
pub const CHECK_SECTIONS: [(&str, &str); 3] = [
    ("core", "核心贡献"),
    ("explain", "入门解读"),
    ("figures", "关键数字"),
];

/// Most questions after one section: enough to check the section, few enough that reading
/// still reads as reading.
pub const MAX_PER_SECTION: usize = 3;

/// Most questions after 入门解读, the long explaining section, which aims at Quantum Country's
/// density ([`QUANTUM_COUNTRY_PER_THOUSAND`]) when the paper has the cards for it.
pub const MAX_EXPLAIN: usize = 6;

/// How many questions follow `section` of a page whose section text has `chars` characters.
pub fn question_limit(section: &str, chars: usize) -> usize {
    if section == "explain" {
        let wanted = (chars as f64 * QUANTUM_COUNTRY_PER_THOUSAND / 1000.0).ceil() as usize;
        wanted.clamp(MAX_PER_SECTION, MAX_EXPLAIN)
    } else {
        MAX_PER_SECTION
    }
}

/// The questions of every paper page, by paper and check section, as card ids. They depend
/// only on the content and the cards, and choosing them renders each section to measure it, so
/// they are chosen once at start rather than on every page view.
#[derive(Debug, Default)]
pub struct PageQuestions {
    by_paper: std::collections::HashMap<String, Vec<(&'static str, Vec<String>)>>,
}

impl PageQuestions {
    pub fn new(papers: &[Paper], cards: &[Card]) -> PageQuestions {
        let by_paper = papers
            .iter()
            .map(|p| {
                let sections = CHECK_SECTIONS
                    .iter()
                    .map(|(id, _)| {
                        let ids = questions_for(cards, p, id)
                            .into_iter()
                            .map(|c| c.id.clone())
                            .collect();
                        (*id, ids)
                    })
                    .collect();
                (p.slug.clone(), sections)
            })
            .collect();
        PageQuestions { by_paper }
    }

    /// The check sections of `paper` in page order, each with its questions' card ids; empty
    /// for a paper it does not know.
    pub fn of(&self, paper: &str) -> &[(&'static str, Vec<String>)] {
        self.by_paper.get(paper).map_or(&[], Vec::as_slice)
    }
}

/// The questions after `section` of `paper` (see [`section_questions`] and [`question_limit`]).
pub fn questions_for<'a>(cards: &'a [Card], paper: &Paper, section: &str) -> Vec<&'a Card> {
    let limit = question_limit(section, section_chars(paper, section));
    section_questions(cards, &paper.slug, section, limit)
}

/// Whether `section` is one of [`CHECK_SECTIONS`].
pub fn is_check_section(section: &str) -> bool {
    CHECK_SECTIONS.iter().any(|(id, _)| *id == section)
}

/// Where "读完这一节" leads: the heading of the section after `section` on the page (关键数字
/// is followed by 术语), so finishing a section moves her forward, not back up to its questions.
pub fn section_after(section: &str) -> &'static str {
    match section {
        "core" => "explain",
        "explain" => "figures",
        "figures" => "terms",
        _ => "read",
    }
}

pub fn section_title(section: &str) -> &'static str {
    CHECK_SECTIONS
        .iter()
        .find(|(id, _)| *id == section)
        .map_or("", |(_, t)| *t)
}

/// The cards that can be answered in place: graded by the server in one step. A recall card
/// needs her own rating after seeing the answer, and "which paper" is trivial on the paper's
/// own page.
fn answerable_in_place(kind: CardKind) -> bool {
    matches!(
        kind,
        CardKind::Choice | CardKind::TrueFalse | CardKind::Fill
    )
}

/// The questions after `section` of `paper`: at most `limit` of its cards, one per fact,
/// different concepts first, choice before true/false before fill-in, in the order the facts
/// are written. The same content always gives the same questions.
pub fn section_questions<'a>(
    cards: &'a [Card],
    paper: &str,
    section: &str,
    limit: usize,
) -> Vec<&'a Card> {
    let rank = |k: CardKind| match k {
        CardKind::Choice => 0,
        CardKind::TrueFalse => 1,
        _ => 2,
    };
    // One card per fact: the best-ranked kind, in the order the facts come.
    let mut per_fact: Vec<&Card> = Vec::new();
    for c in cards
        .iter()
        .filter(|c| c.paper == paper && c.section == section && answerable_in_place(c.kind))
    {
        match per_fact.iter_mut().find(|p| p.fact_key == c.fact_key) {
            Some(p) if rank(c.kind) < rank(p.kind) => *p = c,
            Some(_) => {}
            None => per_fact.push(c),
        }
    }
    // Concepts not yet asked about first, so three questions cover as much as they can.
    let mut out: Vec<&Card> = Vec::new();
    for c in &per_fact {
        if out.len() < limit && !out.iter().any(|o| o.concept == c.concept) {
            out.push(c);
        }
    }
    for c in &per_fact {
        if out.len() < limit && !out.iter().any(|o| o.id == c.id) {
            out.push(c);
        }
    }
    out
}

/// One section she reached, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reached {
    pub paper: String,
    pub section: String,
    pub at: i64,
}

/// Where "继续读" leads: the first section not yet reached of the paper she touched last,
/// or, when that paper is done, the first section of the next paper (in reading order) she has
/// not finished. `None` before she has reached anything, and after she has reached everything.
pub fn continue_reading<'a>(
    papers: &'a [Paper],
    reached: &[Reached],
) -> Option<(&'a Paper, &'static str)> {
    let last = reached.iter().max_by_key(|r| r.at)?;
    let start = papers
        .iter()
        .position(|p| p.slug == last.paper)
        .unwrap_or(0);
    let next_of = |p: &Paper| {
        CHECK_SECTIONS
            .iter()
            .find(|(id, _)| {
                !reached
                    .iter()
                    .any(|r| r.paper == p.slug && r.section == *id)
            })
            .map(|(id, _)| *id)
    };
    papers[start..]
        .iter()
        .chain(papers[..start].iter())
        .find_map(|p| next_of(p).map(|s| (p, s)))
}

/// Where a paper explains a concept: the first words that name it in a section, as an anchor
/// of the paper page (`{section}-{concept}`, see [`crate::content::markdown`]).
#[derive(Debug, Clone)]
pub struct Passage<'a> {
    pub paper: &'a Paper,
    pub section: &'static str,
    pub anchor: String,
}

impl Passage<'_> {
    pub fn href(&self) -> String {
        format!("/papers/{}#{}", self.paper.slug, self.anchor)
    }

    pub fn section_title(&self) -> &'static str {
        crate::content::Content::section_title(self.section)
    }
}

/// The passage of `paper` that explains `concept`: in section `prefer` when it names the
/// concept there, else in the first section that does, 入门解读 before the others (it is the
/// one written to explain).
pub fn passage<'a>(paper: &'a Paper, prefer: &str, concept: &str) -> Option<Passage<'a>> {
    let names = |s: &&crate::content::Section| s.anchors.iter().any(|a| a == concept);
    let section = paper
        .sections
        .iter()
        .filter(names)
        .find(|s| s.id == prefer)
        .or_else(|| {
            paper
                .sections
                .iter()
                .filter(names)
                .find(|s| s.id == "explain")
        })
        .or_else(|| paper.sections.iter().find(names))?;
    Some(Passage {
        paper,
        section: section.id,
        anchor: format!("{}-{concept}", section.id),
    })
}

/// A passage worth reading again for `concept`: in `missed_in` first, the paper of the card
/// she is weakest on (where she made her mistake, not the first paper that names the concept:
/// learner walk 2026-12-06, item 14), then in the papers she has read, in reading order, then
/// in any paper.
pub fn reread<'a>(
    papers: &'a [Paper],
    read: &[String],
    concept: &str,
    missed_in: Option<&str>,
) -> Option<Passage<'a>> {
    let missed = papers.iter().filter(|p| Some(p.slug.as_str()) == missed_in);
    let read_first = papers
        .iter()
        .filter(|p| read.contains(&p.slug))
        .chain(papers.iter().filter(|p| !read.contains(&p.slug)));
    missed
        .chain(read_first)
        .filter_map(|p| passage(p, "explain", concept))
        .next()
}

/// How many of the check sections of `paper` she has reached.
pub fn sections_reached(reached: &[Reached], paper: &str) -> usize {
    CHECK_SECTIONS
        .iter()
        .filter(|(id, _)| reached.iter().any(|r| r.paper == paper && r.section == *id))
        .count()
}

/// The characters a reader reads in a piece of rendered HTML: tags and whitespace left out.
pub fn reading_chars(html: &str) -> usize {
    let mut in_tag = false;
    let mut n = 0;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag && !c.is_whitespace() => n += 1,
            _ => {}
        }
    }
    n
}

/// The text of a section as she reads it, for measuring: the Markdown sections as written
/// (the notes on terms are optional reading and not counted), and the 关键数字 table's cells.
pub fn section_chars(paper: &Paper, section: &str) -> usize {
    if section == "figures" {
        return paper
            .figures
            .iter()
            .map(|f| {
                reading_chars(&f.label)
                    + reading_chars(&f.value)
                    + f.note.as_deref().map_or(0, reading_chars)
            })
            .sum();
    }
    paper
        .sections
        .iter()
        .filter(|s| s.id == section)
        .map(|s| reading_chars(&crate::content::markdown::render(&s.markdown)))
        .sum()
}

/// Questions per 1,000 characters read.
pub fn per_thousand(questions: usize, chars: usize) -> f64 {
    if chars == 0 {
        0.0
    } else {
        questions as f64 * 1000.0 / chars as f64
    }
}

/// Quantum Country's density, about one prompt per 180 English words, in questions per 1,000
/// Chinese characters. One English word carries about as much as 1.7 汉字 (the ratio of the
/// Chinese and English versions of the same texts in parallel corpora is about 1.6–1.8), so 180
/// words are about 300 汉字.
pub const QUANTUM_COUNTRY_PER_THOUSAND: f64 = 1000.0 / (180.0 * 1.7);

/// The question density of every paper page, per check section and for the page, for
/// `check-content --report`: questions, characters read, questions per 1,000 characters, and
/// whether 入门解读 reaches Quantum Country's density.
pub fn density_table(content: &crate::content::Content, cards: &[Card]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n页内小题密度 (in-page questions per 1,000 characters; Quantum Country ≈ {:.1}):",
        QUANTUM_COUNTRY_PER_THOUSAND
    );
    let _ = writeln!(
        s,
        "  {:<18} {:>14} {:>14} {:>14} {:>14}",
        "paper", "核心贡献", "入门解读", "关键数字", "整页 (page)"
    );
    let (mut all_q, mut all_c) = (0, 0);
    let mut below = Vec::new();
    for p in &content.papers {
        let _ = write!(s, "  {:<18}", p.slug);
        let (mut page_q, mut page_c) = (0, 0);
        for (id, _) in CHECK_SECTIONS {
            let q = questions_for(cards, p, id).len();
            let c = section_chars(p, id);
            page_q += q;
            page_c += c;
            if id == "explain" && per_thousand(q, c) < QUANTUM_COUNTRY_PER_THOUSAND {
                below.push(p.slug.as_str());
            }
            let _ = write!(s, " {:>2}/{:>5} {:>4.1}", q, c, per_thousand(q, c));
        }
        // The whole page also counts 与其他论文的联系, which has no questions.
        page_c += section_chars(p, "connections");
        all_q += page_q;
        all_c += page_c;
        let _ = writeln!(
            s,
            " {:>2}/{:>5} {:>4.1}",
            page_q,
            page_c,
            per_thousand(page_q, page_c)
        );
    }
    let _ = writeln!(
        s,
        "  {:<18} 共 {all_q} 题 / {all_c} 字 = {:.1} 题每千字",
        "all",
        per_thousand(all_q, all_c)
    );
    if below.is_empty() {
        let _ = writeln!(s, "  入门解读全部达到 Quantum Country 的密度。");
    } else {
        let _ = writeln!(
            s,
            "  入门解读低于 Quantum Country 密度的论文: {}",
            below.join(", ")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_passage_to_reread_is_in_the_paper_of_her_mistake() {
        let content = crate::content::embedded().unwrap();
        let papers = &content.papers;
        // A concept several papers explain: by reading order the first of them is suggested,
        // unless she missed its card in another one.
        let (concept, naming) = content
            .concepts
            .iter()
            .map(|c| {
                let naming: Vec<&str> = papers
                    .iter()
                    .filter(|p| super::passage(p, "explain", &c.slug).is_some())
                    .map(|p| p.slug.as_str())
                    .collect();
                (c.slug.as_str(), naming)
            })
            .find(|(_, n)| n.len() >= 2)
            .expect("a concept explained in two papers");
        let read: Vec<String> = naming.iter().map(|s| s.to_string()).collect();
        let first = super::reread(papers, &read, concept, None).expect("a passage");
        assert_eq!(first.paper.slug, naming[0]);
        let last = naming[naming.len() - 1];
        let missed = super::reread(papers, &read, concept, Some(last)).expect("a passage");
        assert_eq!(missed.paper.slug, last, "{concept}");
        // A paper that does not explain the concept is passed over.
        let other = papers
            .iter()
            .find(|p| !naming.contains(&p.slug.as_str()))
            .map(|p| p.slug.as_str());
        if other.is_some() {
            let fallback = super::reread(papers, &read, concept, other).expect("a passage");
            assert_eq!(fallback.paper.slug, naming[0]);
        }
    }

    #[test]
    fn page_questions_chosen_at_start_are_the_ones_chosen_on_demand() {
        let content = crate::content::embedded().unwrap();
        let cards = crate::cards::generate(&content, crate::cards::APP_SEED).expect("cards");
        let chosen = PageQuestions::new(&content.papers, &cards);
        let mut total = 0;
        for p in &content.papers {
            let sections = chosen.of(&p.slug);
            assert_eq!(sections.len(), CHECK_SECTIONS.len(), "{}", p.slug);
            for (id, ids) in sections {
                let wanted: Vec<&str> = questions_for(&cards, p, id)
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect();
                assert_eq!(ids, &wanted, "{} {id}", p.slug);
                total += ids.len();
            }
        }
        assert!(total > 50, "{total} questions");
        assert!(chosen.of("no-such-paper").is_empty());
    }

    use super::*;
    use crate::cards::CardData;

    fn card(id: &str, fact: &str, kind: CardKind, concept: &str, section: &str) -> Card {
        Card {
            id: id.into(),
            paper: "p".into(),
            fact_key: fact.into(),
            kind,
            concept: concept.into(),
            prompt: "?".into(),
            data: CardData::Recall {
                model_answer: String::new(),
            },
            explanation: String::new(),
            section: section.into(),
            prompt_html: Default::default(),
        }
    }

    #[test]
    fn questions_are_one_per_fact_different_concepts_first_and_at_most_three() {
        let cards = vec![
            card("a1", "a", CardKind::Fill, "x", "core"),
            card("a2", "a", CardKind::Choice, "x", "core"),
            card("b1", "b", CardKind::TrueFalse, "x", "core"),
            card("c1", "c", CardKind::Recall, "y", "core"),
            card("d1", "d", CardKind::Fill, "y", "core"),
            card("e1", "e", CardKind::Choice, "z", "core"),
            card("f1", "f", CardKind::Choice, "w", "explain"),
        ];
        let ids: Vec<&str> = section_questions(&cards, "p", "core", MAX_PER_SECTION)
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(ids, ["a2", "d1", "e1"]);
        assert!(section_questions(&cards, "q", "core", 3).is_empty());
        assert_eq!(
            section_questions(&cards, "p", "core", 9).len(),
            4,
            "one per fact"
        );
        assert_eq!(question_limit("core", 5000), MAX_PER_SECTION);
        assert_eq!(question_limit("explain", 100), MAX_PER_SECTION);
        assert_eq!(question_limit("explain", 1500), 5);
        assert_eq!(question_limit("explain", 9000), MAX_EXPLAIN);
    }

    fn content() -> crate::content::Content {
        crate::content::embedded().expect("embedded content parses")
    }

    #[test]
    fn continue_reading_follows_the_last_paper_touched() {
        let c = content();
        let qlora = c.paper("qlora").map(|p| p.order).unwrap_or(0);
        let at = |paper: &str, section: &str, at: i64| Reached {
            paper: paper.into(),
            section: section.into(),
            at,
        };
        assert!(continue_reading(&c.papers, &[]).is_none());
        let r = [
            at("palm", "core", 1),
            at("qlora", "core", 2),
            at("qlora", "explain", 3),
        ];
        let (p, s) = continue_reading(&c.papers, &r).expect("somewhere to go");
        assert_eq!((p.slug.as_str(), s), ("qlora", "figures"));
        assert!(qlora > 0);
        // A finished paper leads on to the next one she has not finished.
        let mut done: Vec<Reached> = CHECK_SECTIONS
            .iter()
            .map(|(id, _)| at(&c.papers[0].slug, id, 5))
            .collect();
        let (p, s) = continue_reading(&c.papers, &done).expect("next paper");
        assert_eq!((p.slug.as_str(), s), (c.papers[1].slug.as_str(), "core"));
        assert_eq!(sections_reached(&done, &c.papers[0].slug), 3);
        done.clear();
        assert_eq!(sections_reached(&done, &c.papers[0].slug), 0);
    }

    #[test]
    fn every_paper_page_has_questions_after_each_check_section() {
        let c = content();
        let cards = crate::cards::generate(&c, crate::cards::APP_SEED).expect("cards");
        for p in &c.papers {
            for (id, _) in CHECK_SECTIONS {
                let n = questions_for(&cards, p, id).len();
                let most = question_limit(id, section_chars(p, id));
                assert!((2..=most).contains(&n), "{} {id}: {n}", p.slug);
            }
        }
    }

    #[test]
    fn a_passage_points_at_the_first_words_naming_the_concept() {
        let c = content();
        let p = c.paper("qlora").expect("qlora");
        let found = passage(p, "core", "lora").expect("QLoRA names LoRA");
        assert!(found.anchor.ends_with("-lora"), "{found:?}");
        let section = p
            .sections
            .iter()
            .find(|s| s.id == found.section)
            .expect("section");
        assert!(section.html.contains(&format!("id=\"{}\"", found.anchor)));
        assert!(passage(p, "core", "no-such-concept").is_none());
    }

    #[test]
    fn counting_leaves_out_tags_and_spaces() {
        assert_eq!(reading_chars("<p>大 模型</p>\n<p>ab</p>"), 5);
        assert_eq!(per_thousand(3, 1000), 3.0);
        assert_eq!(per_thousand(3, 0), 0.0);
    }
}
