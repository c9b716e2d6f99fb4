//! The parts of a paper page that are the same for every reader (its header, key-figures table,
//! terms, discussion questions, quiz-card counts and links to its neighbours), rendered once at
//! start. A logged-in paper page is rendered for her on every request; before, it escaped and
//! laid out these parts every time as well, the largest share of its rendering.

use super::pages::{ConceptLink, Neighbours};
use crate::cards::CardIndex;
use crate::content::{Content, Paper};
use askama::Template;

/// One paper's fixed parts, as HTML.
pub struct PaperParts {
    pub header: String,
    pub figures: String,
    pub terms: String,
    pub discussion: String,
    pub counts: String,
    pub prev_next: String,
}

/// Every paper's parts, in the content's order.
pub struct AllPaperParts(Vec<PaperParts>);

impl AllPaperParts {
    pub fn new(content: &Content, cards: &CardIndex) -> askama::Result<AllPaperParts> {
        (0..content.papers.len())
            .map(|i| PaperParts::new(content, cards, i))
            .collect::<askama::Result<Vec<_>>>()
            .map(AllPaperParts)
    }

    /// The parts of the paper at `index` in the content's order.
    pub fn get(&self, index: usize) -> Option<&PaperParts> {
        self.0.get(index)
    }
}

#[derive(Clone, Copy)]
enum Part {
    Header,
    Figures,
    Terms,
    Discussion,
    Counts,
    PrevNext,
}

#[derive(Template)]
#[template(path = "papers/parts/fixed.html")]
struct Fixed<'a> {
    part: Part,
    paper: &'a Paper,
    concepts: Vec<ConceptLink<'a>>,
    around: Neighbours<'a, Paper>,
    position: usize,
    total: usize,
    /// Quiz cards of this paper, per concept: (slug, name, count).
    card_counts: Vec<(&'a str, &'a str, usize)>,
    card_total: usize,
}

impl PaperParts {
    fn new(content: &Content, cards: &CardIndex, index: usize) -> askama::Result<PaperParts> {
        let papers = &content.papers;
        let paper = &papers[index];
        let card_counts: Vec<(&str, &str, usize)> = cards
            .counts_for_paper(&paper.slug)
            .map(|(slug, n)| {
                let name = content.concept(slug).map_or(slug, |c| c.name.as_str());
                (slug, name, n)
            })
            .collect();
        let mut fixed = Fixed {
            part: Part::Header,
            paper,
            concepts: concept_links(
                content,
                paper
                    .concepts
                    .iter()
                    .chain(paper.terms.iter().map(|t| &t.concept)),
            ),
            around: Neighbours::of(papers, index),
            position: index + 1,
            total: papers.len(),
            card_total: card_counts.iter().map(|(_, _, n)| n).sum(),
            card_counts,
        };
        let mut part = |p: Part| {
            fixed.part = p;
            fixed.render()
        };
        Ok(PaperParts {
            header: part(Part::Header)?,
            figures: part(Part::Figures)?,
            terms: part(Part::Terms)?,
            discussion: part(Part::Discussion)?,
            counts: part(Part::Counts)?,
            prev_next: part(Part::PrevNext)?,
        })
    }
}

/// The concepts a paper page links to at its top: its own, then those of its terms, each once.
fn concept_links<'a>(
    content: &'a Content,
    slugs: impl Iterator<Item = &'a String>,
) -> Vec<ConceptLink<'a>> {
    let mut out: Vec<ConceptLink<'a>> = Vec::new();
    for s in slugs {
        if out.iter().any(|c| c.slug == s) {
            continue;
        }
        if let Some(c) = content.concept(s) {
            out.push(ConceptLink {
                slug: &c.slug,
                name: &c.name,
            });
        }
    }
    out
}
