//! The content's domain types. They are built only by [`super::parse`], so a value of these
//! types has passed validation: slugs are well formed, every reference resolves.

use serde::Serialize;

/// The page sections a fact can point at; each is an HTML id on the paper page.
pub const SECTIONS: [(&str, &str); 6] = [
    ("core", "核心贡献"),
    ("explain", "入门解读"),
    ("figures", "关键数字"),
    ("terms", "术语"),
    ("connections", "与其他论文的联系"),
    ("seminar", "研讨要点"),
];

/// The section whose `recall` facts are the paper's 讨论题: open questions for a seminar, shown
/// in a box after 研讨要点 and asked in the quiz as self-graded cards.
pub const SEMINAR_SECTION: &str = "seminar";

#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub label: String,
    pub value: String,
    pub note: Option<String>,
    /// `label`, `value` and `note` as the key-figures table shows them (escaped, numbers kept
    /// on one line: [`crate::text::html::keep_numbers_whole`]), made once at load rather than
    /// on every render of the paper page.
    #[serde(skip)]
    pub html: FigureHtml,
}

#[derive(Debug, Clone, Default)]
pub struct FigureHtml {
    pub label: String,
    pub value: String,
    pub note: Option<String>,
}

impl Figure {
    pub fn new(label: String, value: String, note: Option<String>) -> Figure {
        use crate::text::html::keep_numbers_whole as whole;
        let html = FigureHtml {
            label: whole(&label),
            value: whole(&value),
            note: note.as_deref().map(whole),
        };
        Figure {
            label,
            value,
            note,
            html,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Term {
    pub zh: String,
    pub en: String,
    pub concept: String,
    pub gloss: Option<String>,
}

/// One body section, already rendered from Markdown to HTML.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub html: String,
    /// The Markdown it was rendered from: the page is rendered again with notes once the
    /// concepts and the glossary are known.
    #[serde(skip)]
    pub markdown: String,
    /// The concepts and glossary terms it mentions, as note keys (see
    /// [`super::markdown::Note::key`]); `#{id}-{key}` is the first mention.
    pub anchors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FactBody {
    Qa {
        question: String,
        answer: String,
        accept: Vec<String>,
        group: String,
        distractors: Vec<String>,
        fill: bool,
    },
    Figure {
        question: String,
        number: f64,
        unit: String,
        accept: Vec<String>,
        /// Set when the paper gives a bound ("超过 5000 人"), not a value.
        bound: Option<Bound>,
        /// Hand-picked wrong numbers; when given, they replace the generated ones (a count out
        /// of a stated total, an order of magnitude, a score a test can plausibly give).
        distractors: Vec<f64>,
    },
    Statement {
        statement: String,
        false_variants: Vec<String>,
    },
    Contribution {
        text: String,
    },
    Recall {
        question: String,
        answer: String,
    },
}

/// Which side of a figure is also true. For a lower bound ("超过 5000 人") every smaller number
/// is a true statement too, so wrong options may only lie above it; an upper bound is the mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    Lower,
    Upper,
}

impl Bound {
    /// Whether `candidate` is false as an answer to a question whose true figure is `answer`.
    pub fn is_false_option(bound: Option<Bound>, candidate: f64, answer: f64) -> bool {
        match bound {
            None => true,
            Some(Bound::Lower) => candidate > answer,
            Some(Bound::Upper) => candidate < answer,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fact {
    pub key: String,
    pub concept: String,
    pub section: String,
    pub why: String,
    pub body: FactBody,
}

#[derive(Debug, Clone, Serialize)]
pub struct Paper {
    pub slug: String,
    pub order: u32,
    pub title: String,
    pub title_zh: String,
    pub short: String,
    pub year: u32,
    pub month: u32,
    pub authors: String,
    pub org: String,
    pub venue: Option<String>,
    pub arxiv: String,
    pub hook: String,
    pub concepts: Vec<String>,
    pub figures: Vec<Figure>,
    pub terms: Vec<Term>,
    pub facts: Vec<Fact>,
    pub sections: Vec<Section>,
    pub reading_minutes: u32,
}

impl Paper {
    pub fn arxiv_url(&self) -> String {
        format!("https://arxiv.org/abs/{}", self.arxiv)
    }

    /// The 讨论题 of the paper: (key, question, model answer) of its seminar facts, in file order.
    pub fn discussion(&self) -> Vec<(&str, &str, &str)> {
        self.facts
            .iter()
            .filter(|f| f.section == SEMINAR_SECTION)
            .filter_map(|f| match &f.body {
                FactBody::Recall { question, answer } => {
                    Some((f.key.as_str(), question.as_str(), answer.as_str()))
                }
                _ => None,
            })
            .collect()
    }
}

/// A day, or only a month when the day could not be checked against a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TimelineDate {
    pub year: u32,
    pub month: u32,
    pub day: Option<u32>,
}

impl TimelineDate {
    /// Parses `YYYY-MM-DD` or `YYYY-MM`.
    pub fn parse(s: &str) -> Option<TimelineDate> {
        let mut parts = s.split('-');
        let year: u32 = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        let day = match parts.next() {
            None => None,
            Some(d) => Some(d.parse().ok()?),
        };
        if parts.next().is_some() || !(2000..=2100).contains(&year) {
            return None;
        }
        // Rejects month 13 and 30 February alike.
        chrono::NaiveDate::from_ymd_opt(year as i32, month, day.unwrap_or(1))?;
        Some(TimelineDate { year, month, day })
    }

    /// Days since 2000-01-01; a month without a day sits at its middle (the 15th), which keeps
    /// it in the right order against dated items of other months.
    pub fn day_number(&self) -> i64 {
        let d =
            chrono::NaiveDate::from_ymd_opt(self.year as i32, self.month, self.day.unwrap_or(15))
                .unwrap_or_default();
        let origin = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
        (d - origin).num_days()
    }

    /// `2022 年 3 月 29 日`, or `2022 年 3 月` without a day.
    pub fn label(&self) -> String {
        match self.day {
            Some(d) => format!("{} 年 {} 月 {d} 日", self.year, self.month),
            None => format!("{} 年 {} 月", self.year, self.month),
        }
    }
}

/// One item of the /timeline page: a paper's first arXiv version, or an event that explains the
/// order of the papers. `source` says where the date (and the event) can be checked.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineItem {
    pub date: TimelineDate,
    /// The paper's slug, for a paper; `None` for an event.
    pub paper: Option<String>,
    pub title: String,
    pub text: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Concept {
    pub slug: String,
    pub name: String,
    pub en: String,
    /// Other names a learner may type or read for this concept.
    pub aliases: Vec<String>,
    pub papers: Vec<String>,
    pub summary: String,
    pub body_html: String,
}

/// A term explained in `glossary.toml`: a word a beginner meets on many pages, or a model,
/// system, dataset, benchmark or organisation that the quiz may ask for.
#[derive(Debug, Clone, Serialize)]
pub struct GlossaryTerm {
    pub slug: String,
    pub name: String,
    pub en: Option<String>,
    pub aliases: Vec<String>,
    pub kind: String,
    /// The paper page that explains it, for models and the like.
    pub paper: Option<String>,
    pub gloss: Option<String>,
}

/// The kinds a glossary term may have.
pub const TERM_KINDS: [&str; 7] = [
    "term",
    "model",
    "system",
    "dataset",
    "benchmark",
    "org",
    "method",
];

/// All content: papers in reading order, concepts in glossary order, and the /timeline's papers
/// and events by date (`timeline.toml`; empty when the tree has none).
#[derive(Debug, Clone, Serialize)]
pub struct Content {
    pub papers: Vec<Paper>,
    pub concepts: Vec<Concept>,
    pub glossary: Vec<GlossaryTerm>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<TimelineItem>,
}

impl Content {
    pub fn paper(&self, slug: &str) -> Option<&Paper> {
        self.papers.iter().find(|p| p.slug == slug)
    }

    pub fn paper_index(&self, slug: &str) -> Option<usize> {
        self.papers.iter().position(|p| p.slug == slug)
    }

    pub fn concept(&self, slug: &str) -> Option<&Concept> {
        self.concepts.iter().find(|c| c.slug == slug)
    }

    pub fn concept_index(&self, slug: &str) -> Option<usize> {
        self.concepts.iter().position(|c| c.slug == slug)
    }

    pub fn section_title(id: &str) -> &'static str {
        SECTIONS
            .iter()
            .find(|(sid, _)| *sid == id)
            .map(|(_, t)| *t)
            .unwrap_or("")
    }
}
