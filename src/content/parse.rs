//! Turns content files into validated [`Content`]. Every problem is reported with the file and
//! the field it concerns, and all problems are collected, so an author fixes them in one pass.

use super::markdown;
use super::model::*;
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;

/// One problem in one content file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentError {
    pub file: String,
    pub field: String,
    pub message: String,
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: 字段 `{}`: {}", self.file, self.field, self.message)
    }
}

/// All problems found in a content tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentErrors(pub Vec<ContentError>);

impl fmt::Display for ContentErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "内容有 {} 处错误 (content has {} error(s)):",
            self.0.len(),
            self.0.len()
        )?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ContentErrors {}

/// A content file as text, named by its path relative to the content root.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

pub const CONCEPTS_FILE: &str = "concepts.toml";
pub const GLOSSARY_FILE: &str = "glossary.toml";
pub const PAPERS_DIR: &str = "papers";
pub const TIMELINE_FILE: &str = "timeline.toml";

const READING_CHARS_PER_MINUTE: usize = 300;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConcepts {
    concepts: Vec<RawConcept>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConcept {
    slug: String,
    name: String,
    en: String,
    papers: Vec<String>,
    summary: String,
    body: String,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGlossary {
    #[serde(default)]
    terms: Vec<RawGlossaryTerm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGlossaryTerm {
    slug: String,
    name: String,
    en: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    kind: Option<String>,
    paper: Option<String>,
    gloss: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPaper {
    slug: String,
    order: u32,
    title: String,
    title_zh: String,
    short: String,
    year: u32,
    month: u32,
    authors: String,
    org: String,
    venue: Option<String>,
    arxiv: String,
    hook: String,
    concepts: Vec<String>,
    #[serde(default)]
    figures: Vec<RawFigure>,
    #[serde(default)]
    terms: Vec<RawTerm>,
    #[serde(default)]
    facts: Vec<RawFact>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFigure {
    label: String,
    value: String,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerm {
    zh: String,
    en: String,
    concept: String,
    gloss: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimeline {
    #[serde(default)]
    papers: Vec<RawTimelinePaper>,
    #[serde(default)]
    events: Vec<RawTimelineEvent>,
}

/// A paper's first arXiv version: its title comes from the paper file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimelinePaper {
    paper: String,
    date: String,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimelineEvent {
    date: String,
    title: String,
    text: String,
    source: String,
}

/// A fact as written; which fields are required depends on `type`, checked in [`fact_body`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFact {
    key: String,
    #[serde(rename = "type")]
    kind: String,
    concept: String,
    section: String,
    why: String,
    question: Option<String>,
    answer: Option<String>,
    #[serde(default)]
    accept: Vec<String>,
    group: Option<String>,
    #[serde(default)]
    distractors: Vec<String>,
    fill: Option<bool>,
    number: Option<f64>,
    unit: Option<String>,
    bound: Option<String>,
    statement: Option<String>,
    #[serde(rename = "false", default)]
    false_variants: Vec<String>,
    text: Option<String>,
}

struct Errors<'a> {
    file: &'a str,
    list: &'a mut Vec<ContentError>,
}

impl Errors<'_> {
    fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.list.push(ContentError {
            file: self.file.to_string(),
            field: field.into(),
            message: message.into(),
        });
    }

    fn non_empty(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.push(field, "不能为空 (must not be empty)");
        }
    }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Parses TOML and turns a syntax or shape error into a [`ContentError`] naming the field when
/// the TOML library knows it, else the line.
fn parse_toml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
    line_offset: usize,
) -> Result<T, ContentError> {
    toml::from_str::<T>(text).map_err(|e| {
        let msg = e.message().to_string();
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1) + line_offset);
        let key_on_line = e.span().and_then(|sp| {
            let start = text[..sp.start.min(text.len())]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let line_text = text[start..].lines().next()?;
            let (key, _) = line_text.split_once('=')?;
            let key = key.trim();
            (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
        });
        let field = field_from_message(&msg)
            .or(key_on_line)
            .unwrap_or_else(|| match line {
                Some(l) => format!("第 {l} 行 (line {l})"),
                None => "(整个文件)".to_string(),
            });
        ContentError {
            file: file.to_string(),
            field,
            message: match line {
                Some(l) => format!("{msg} (line {l})"),
                None => msg,
            },
        }
    })
}

/// serde's messages name the field in backticks: "missing field `title`".
fn field_from_message(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(msg[start..start + len].to_string())
}

/// Splits `+++ front matter +++ body`.
fn split_front_matter(text: &str) -> Option<(&str, &str, usize)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            let front = &rest[..offset];
            let body = &rest[offset + line.len()..];
            return Some((front, body, 1));
        }
        offset += line.len();
    }
    None
}

/// Parses the whole content tree. Files other than `concepts.toml` and `papers/*.md` are ignored
/// (so `FORMAT.md` and editor backups do no harm).
pub fn parse(files: &[SourceFile]) -> Result<Content, ContentErrors> {
    let mut errors = Vec::new();

    let raw_concepts = read_concepts(files, &mut errors);
    let paper_files = paper_files(files, &mut errors);

    let concept_slugs: HashSet<String> = raw_concepts.iter().map(|c| c.slug.clone()).collect();
    let mut papers = Vec::new();
    for f in paper_files {
        if let Some(p) = parse_paper(f, &concept_slugs, &mut errors) {
            papers.push(p);
        }
    }
    papers.sort_by_key(|p| p.order);
    check_unique_papers(&papers, &mut errors);

    // Every paper file counts as known here, even one that failed to parse: its own error is
    // already reported, and the glossary should not add a second one for it.
    let paper_slugs: HashSet<&str> = files
        .iter()
        .filter_map(|f| f.path.strip_prefix("papers/")?.strip_suffix(".md"))
        .chain(papers.iter().map(|p| p.slug.as_str()))
        .collect();
    let (concepts, seen_concepts) = build_concepts(raw_concepts, &paper_slugs, &mut errors);

    let glossary = match files.iter().find(|f| f.path == GLOSSARY_FILE) {
        // Optional: a content tree without plain-language terms is still a valid tree.
        None => Vec::new(),
        Some(f) => match parse_toml::<RawGlossary>(&f.path, &f.text, 0) {
            Ok(g) => glossary_terms(g.terms, &seen_concepts, &paper_slugs, &mut errors),
            Err(e) => {
                errors.push(e);
                Vec::new()
            }
        },
    };

    let timeline = match files.iter().find(|f| f.path == TIMELINE_FILE) {
        // Optional, like the glossary: a tree without it simply has no /timeline items.
        None => Vec::new(),
        Some(f) => match parse_toml::<RawTimeline>(&f.path, &f.text, 0) {
            Ok(t) => dated(t, &papers, &mut errors),
            Err(e) => {
                errors.push(e);
                Vec::new()
            }
        },
    };

    if errors.is_empty() {
        let notes = notes(&concepts, &glossary);
        for p in &mut papers {
            explain_terms(p, &notes);
        }
        Ok(Content {
            papers,
            concepts,
            glossary,
            timeline,
        })
    } else {
        Err(ContentErrors(errors))
    }
}

/// What the notes on paper pages can explain: every concept, and every glossary term with a
/// plain-words explanation. Names come from the same rules as the name table
/// ([`super::names`]), longest first.
fn notes(concepts: &[Concept], glossary: &[GlossaryTerm]) -> Vec<markdown::Note> {
    let content = Content {
        papers: Vec::new(),
        concepts: concepts.to_vec(),
        glossary: glossary.to_vec(),
        timeline: Vec::new(),
    };
    let mut out = Vec::new();
    for e in super::names::entries(&content) {
        let mut quiet = false;
        let (key, text, href, paper) = if let Some(slug) = e.key.strip_prefix("concept:") {
            let Some(c) = concepts.iter().find(|c| c.slug == slug) else {
                continue;
            };
            let href = format!("/concepts/{slug}");
            (slug.to_string(), c.summary.clone(), href, None)
        } else if let Some(slug) = e.key.strip_prefix("glossary:") {
            let Some(t) = glossary.iter().find(|t| t.slug == slug) else {
                continue;
            };
            let Some(gloss) = t.gloss.clone() else {
                continue;
            };
            let href = format!("/glossary#{slug}");
            quiet = t.kind == "org";
            (format!("g-{slug}"), gloss, href, t.paper.clone())
        } else {
            continue;
        };
        let mut names = e.names;
        names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
        out.push(markdown::Note {
            key,
            display: e.display,
            names,
            text,
            href,
            paper,
            quiet,
        });
    }
    out
}

/// Renders a paper's sections again, with a note at the first mention of each concept and
/// glossary term on the page. A model's own paper does not explain it with a note.
fn explain_terms(paper: &mut Paper, notes: &[markdown::Note]) {
    let mut page = markdown::PageNotes::new(notes, |n| {
        n.text.is_empty() || n.paper.as_deref() == Some(paper.slug.as_str())
    });
    for s in &mut paper.sections {
        let r = markdown::render_section(&s.markdown, s.id, &mut page);
        s.html = r.html;
        s.anchors = r.anchors;
    }
}

/// Checks `timeline.toml` and returns its items by date. Every paper is listed exactly once, at
/// a date in the year and month its front matter gives, so the timeline and the paper pages
/// cannot disagree; every item names its source.
fn dated(raw: RawTimeline, papers: &[Paper], list: &mut Vec<ContentError>) -> Vec<TimelineItem> {
    let file = TIMELINE_FILE;
    let mut e = Errors { file, list };
    let mut items = Vec::new();
    let date_of = |at: &str, text: &str, e: &mut Errors| {
        let d = TimelineDate::parse(text);
        if d.is_none() {
            e.push(
                format!("{at}.date"),
                format!("“{text}” 不是日期（写作 2022-03-29，只知道月份时写 2022-03）"),
            );
        }
        d
    };
    let mut seen = HashSet::new();
    for (i, p) in raw.papers.iter().enumerate() {
        let at = format!("papers[{i}]");
        e.non_empty(&format!("{at}.source"), &p.source);
        let Some(paper) = papers.iter().find(|x| x.slug == p.paper) else {
            e.push(format!("{at}.paper"), format!("未知的论文 “{}”", p.paper));
            continue;
        };
        if !seen.insert(paper.slug.as_str()) {
            e.push(format!("{at}.paper"), format!("论文 “{}” 重复", p.paper));
        }
        let Some(date) = date_of(&at, &p.date, &mut e) else {
            continue;
        };
        if (date.year, date.month) != (paper.year, paper.month) {
            e.push(
                format!("{at}.date"),
                format!(
                    "日期 {} 与论文文件的 {} 年 {} 月不一致",
                    p.date, paper.year, paper.month
                ),
            );
        }
        items.push(TimelineItem {
            date,
            paper: Some(paper.slug.clone()),
            title: paper.short.clone(),
            text: paper.title_zh.clone(),
            source: p.source.clone(),
        });
    }
    for p in papers {
        if !seen.contains(p.slug.as_str()) {
            e.push("papers", format!("时间线缺少论文 “{}”", p.slug));
        }
    }
    for (i, ev) in raw.events.iter().enumerate() {
        let at = format!("events[{i}]");
        e.non_empty(&format!("{at}.title"), &ev.title);
        e.non_empty(&format!("{at}.text"), &ev.text);
        e.non_empty(&format!("{at}.source"), &ev.source);
        if let Some(date) = date_of(&at, &ev.date, &mut e) {
            items.push(TimelineItem {
                date,
                paper: None,
                title: ev.title.clone(),
                text: ev.text.clone(),
                source: ev.source.clone(),
            });
        }
    }
    // Stable: items of one day keep the file's order (papers first).
    items.sort_by_key(|it| it.date.day_number());
    items
}

/// The raw glossary entries of `concepts.toml`; none (and an error) when it is missing or broken.
fn read_concepts(files: &[SourceFile], errors: &mut Vec<ContentError>) -> Vec<RawConcept> {
    let concepts_src = files.iter().find(|f| f.path == CONCEPTS_FILE);
    match concepts_src {
        None => {
            errors.push(ContentError {
                file: CONCEPTS_FILE.into(),
                field: "(文件)".into(),
                message: "缺少概念表文件 (missing glossary file)".into(),
            });
            Vec::new()
        }
        Some(f) => match parse_toml::<RawConcepts>(&f.path, &f.text, 0) {
            Ok(c) => c.concepts,
            Err(e) => {
                errors.push(e);
                Vec::new()
            }
        },
    }
}

/// The paper files directly under `papers/`, sorted by path; an error when there are none.
fn paper_files<'f>(files: &'f [SourceFile], errors: &mut Vec<ContentError>) -> Vec<&'f SourceFile> {
    let mut paper_files: Vec<&SourceFile> = files
        .iter()
        .filter(|f| {
            f.path.starts_with(&format!("{PAPERS_DIR}/"))
                && f.path.ends_with(".md")
                && !f.path[PAPERS_DIR.len() + 1..].contains('/')
        })
        .collect();
    paper_files.sort_by(|a, b| a.path.cmp(&b.path));
    if paper_files.is_empty() {
        errors.push(ContentError {
            file: PAPERS_DIR.into(),
            field: "(目录)".into(),
            message: "没有任何论文文件 (no paper files)".into(),
        });
    }
    paper_files
}

/// Cross-file checks: no two papers share a reading order or a slug.
fn check_unique_papers(papers: &[Paper], errors: &mut Vec<ContentError>) {
    let mut seen_orders = HashSet::new();
    let mut seen_slugs = HashSet::new();
    for p in papers {
        let file = format!("{PAPERS_DIR}/{}.md", p.slug);
        if !seen_orders.insert(p.order) {
            errors.push(ContentError {
                file: file.clone(),
                field: "order".into(),
                message: format!("阅读顺序 {} 与另一篇论文重复 (duplicate order)", p.order),
            });
        }
        if !seen_slugs.insert(p.slug.clone()) {
            errors.push(ContentError {
                file,
                field: "slug".into(),
                message: "slug 重复 (duplicate slug)".into(),
            });
        }
    }
}

/// Checks and renders the glossary concepts; also returns every concept slug seen, which the
/// plain-language terms must not reuse.
fn build_concepts(
    raw_concepts: Vec<RawConcept>,
    paper_slugs: &HashSet<&str>,
    errors: &mut Vec<ContentError>,
) -> (Vec<Concept>, HashSet<String>) {
    let mut concepts = Vec::new();
    let mut seen_concepts = HashSet::new();
    for (i, c) in raw_concepts.into_iter().enumerate() {
        let mut e = Errors {
            file: CONCEPTS_FILE,
            list: errors,
        };
        let at = format!("concepts[{i}]");
        if !is_slug(&c.slug) {
            e.push(
                format!("{at}.slug"),
                format!("“{}” 不是合法的 slug（只用小写字母、数字和 -）", c.slug),
            );
        }
        if !seen_concepts.insert(c.slug.clone()) {
            e.push(format!("{at}.slug"), format!("概念 “{}” 重复", c.slug));
        }
        e.non_empty(&format!("{at}.name"), &c.name);
        e.non_empty(&format!("{at}.summary"), &c.summary);
        e.non_empty(&format!("{at}.body"), &c.body);
        if c.papers.is_empty() {
            e.push(format!("{at}.papers"), "至少要列出一篇论文");
        }
        for (j, p) in c.papers.iter().enumerate() {
            if !paper_slugs.contains(p.as_str()) && !paper_slugs.is_empty() {
                e.push(format!("{at}.papers[{j}]"), format!("未知的论文 “{p}”"));
            }
        }
        concepts.push(Concept {
            body_html: markdown::render(&c.body),
            slug: c.slug,
            name: c.name,
            en: c.en,
            papers: c.papers,
            summary: c.summary,
            aliases: c.aliases,
        });
    }
    (concepts, seen_concepts)
}

fn glossary_terms(
    raw: Vec<RawGlossaryTerm>,
    concepts: &HashSet<String>,
    papers: &HashSet<&str>,
    errors: &mut Vec<ContentError>,
) -> Vec<GlossaryTerm> {
    let mut e = Errors {
        file: GLOSSARY_FILE,
        list: errors,
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, t) in raw.into_iter().enumerate() {
        let at = format!("terms[{i}]");
        if !is_slug(&t.slug) {
            e.push(
                format!("{at}.slug"),
                format!("“{}” 不是合法的 slug（只用小写字母、数字和 -）", t.slug),
            );
        } else if concepts.contains(&t.slug) || !seen.insert(t.slug.clone()) {
            e.push(
                format!("{at}.slug"),
                format!("“{}” 与另一个术语或概念重复", t.slug),
            );
        }
        e.non_empty(&format!("{at}.name"), &t.name);
        let kind = t.kind.unwrap_or_else(|| "term".into());
        if !TERM_KINDS.contains(&kind.as_str()) {
            e.push(
                format!("{at}.kind"),
                format!("未知的种类 “{kind}”（可用：{}）", TERM_KINDS.join(", ")),
            );
        }
        if let Some(p) = &t.paper {
            if !papers.contains(p.as_str()) && !papers.is_empty() {
                e.push(format!("{at}.paper"), format!("未知的论文 “{p}”"));
            }
        }
        let gloss = t.gloss.filter(|g| !g.trim().is_empty());
        if gloss.is_none() && t.paper.is_none() {
            e.push(
                format!("{at}.gloss"),
                "没有 paper 的术语必须写一句解释 (a term needs a gloss or a paper)",
            );
        }
        out.push(GlossaryTerm {
            slug: t.slug,
            name: t.name,
            en: t.en.filter(|v| !v.trim().is_empty()),
            aliases: t.aliases,
            kind,
            paper: t.paper,
            gloss,
        });
    }
    out
}

fn parse_paper(
    f: &SourceFile,
    concepts: &HashSet<String>,
    errors: &mut Vec<ContentError>,
) -> Option<Paper> {
    let Some((front, body, offset)) = split_front_matter(&f.text) else {
        errors.push(ContentError {
            file: f.path.clone(),
            field: "(front matter)".into(),
            message: "文件必须以 +++ 开头，并用另一行 +++ 结束元数据 (missing +++ front matter)"
                .into(),
        });
        return None;
    };
    let raw: RawPaper = match parse_toml(&f.path, front, offset) {
        Ok(r) => r,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let mut e = Errors {
        file: &f.path,
        list: errors,
    };

    check_paper_fields(&raw, &f.path, concepts, &mut e);
    let facts = parse_facts(raw.facts, concepts, &mut e);

    let sections = parse_sections(body, &mut e);
    check_discussion(&facts, &sections, &mut e);
    let reading_minutes = reading_minutes(body, &raw.figures, &raw.terms);

    Some(Paper {
        slug: raw.slug,
        order: raw.order,
        title: raw.title,
        title_zh: raw.title_zh,
        short: raw.short,
        year: raw.year,
        month: raw.month,
        authors: raw.authors,
        org: raw.org,
        venue: raw.venue.filter(|v| !v.trim().is_empty()),
        arxiv: raw.arxiv,
        hook: raw.hook,
        concepts: raw.concepts,
        figures: raw
            .figures
            .into_iter()
            .map(|f| Figure::new(f.label, f.value, f.note))
            .collect(),
        terms: raw
            .terms
            .into_iter()
            .map(|t| Term {
                zh: t.zh,
                en: t.en,
                concept: t.concept,
                gloss: t.gloss,
            })
            .collect(),
        facts,
        sections,
        reading_minutes,
    })
}

/// Checks the front-matter fields of a paper other than its facts.
fn check_paper_fields(raw: &RawPaper, path: &str, concepts: &HashSet<String>, e: &mut Errors) {
    let expected_slug = path[PAPERS_DIR.len() + 1..].trim_end_matches(".md");
    if !is_slug(&raw.slug) {
        e.push("slug", format!("“{}” 不是合法的 slug", raw.slug));
    } else if raw.slug != expected_slug {
        e.push(
            "slug",
            format!("slug “{}” 必须与文件名 “{expected_slug}” 一致", raw.slug),
        );
    }
    for (field, value) in [
        ("title", &raw.title),
        ("title_zh", &raw.title_zh),
        ("short", &raw.short),
        ("authors", &raw.authors),
        ("org", &raw.org),
        ("hook", &raw.hook),
    ] {
        e.non_empty(field, value);
    }
    if !(2000..=2100).contains(&raw.year) {
        e.push("year", format!("年份 {} 不合理", raw.year));
    }
    if !(1..=12).contains(&raw.month) {
        e.push("month", format!("月份 {} 不在 1–12 之间", raw.month));
    }
    if !is_arxiv_id(&raw.arxiv) {
        e.push(
            "arxiv",
            format!("“{}” 不是 arXiv 编号（形如 2203.15556）", raw.arxiv),
        );
    }
    if raw.concepts.is_empty() {
        e.push("concepts", "至少要有一个概念");
    }
    for (i, c) in raw.concepts.iter().enumerate() {
        if !concepts.contains(c) && !concepts.is_empty() {
            e.push(format!("concepts[{i}]"), format!("未知的概念 “{c}”"));
        }
    }
    for (i, fig) in raw.figures.iter().enumerate() {
        e.non_empty(&format!("figures[{i}].label"), &fig.label);
        e.non_empty(&format!("figures[{i}].value"), &fig.value);
    }
    for (i, t) in raw.terms.iter().enumerate() {
        e.non_empty(&format!("terms[{i}].zh"), &t.zh);
        e.non_empty(&format!("terms[{i}].en"), &t.en);
        if !concepts.contains(&t.concept) && !concepts.is_empty() {
            e.push(
                format!("terms[{i}].concept"),
                format!("未知的概念 “{}”", t.concept),
            );
        }
    }
}

/// Checks a paper's facts and keeps those whose body is complete.
fn parse_facts(raw_facts: Vec<RawFact>, concepts: &HashSet<String>, e: &mut Errors) -> Vec<Fact> {
    let mut facts = Vec::new();
    let mut keys = HashSet::new();
    for (i, rf) in raw_facts.into_iter().enumerate() {
        let at = format!("facts[{i}]");
        if !is_slug(&rf.key) {
            e.push(format!("{at}.key"), format!("“{}” 不是合法的 key", rf.key));
        } else if !keys.insert(rf.key.clone()) {
            e.push(
                format!("{at}.key"),
                format!("key “{}” 在本文件中重复", rf.key),
            );
        }
        if !concepts.contains(&rf.concept) && !concepts.is_empty() {
            e.push(
                format!("{at}.concept"),
                format!("未知的概念 “{}”", rf.concept),
            );
        }
        if !SECTIONS.iter().any(|(id, _)| *id == rf.section) {
            e.push(
                format!("{at}.section"),
                format!(
                    "未知的段落 “{}”（可用：core, explain, figures, terms, connections, seminar）",
                    rf.section
                ),
            );
        }
        e.non_empty(&format!("{at}.why"), &rf.why);
        if let Some(body) = fact_body(&rf, &at, e) {
            facts.push(Fact {
                key: rf.key,
                concept: rf.concept,
                section: rf.section,
                why: rf.why,
                body,
            });
        }
    }
    facts
}

/// Estimated reading time: the body plus the figure and term text shown beside it.
fn reading_minutes(body: &str, figures: &[RawFigure], terms: &[RawTerm]) -> u32 {
    let text_len: usize = body.chars().count()
        + figures
            .iter()
            .map(|f| f.label.chars().count() + f.value.chars().count())
            .sum::<usize>()
        + terms
            .iter()
            .map(|t| t.zh.chars().count() + t.gloss.as_deref().unwrap_or("").chars().count())
            .sum::<usize>();
    text_len.div_ceil(READING_CHARS_PER_MINUTE).max(1) as u32
}

fn is_arxiv_id(s: &str) -> bool {
    let Some((a, b)) = s.split_once('.') else {
        return false;
    };
    a.len() == 4
        && (4..=5).contains(&b.len())
        && a.bytes().all(|c| c.is_ascii_digit())
        && b.bytes().all(|c| c.is_ascii_digit())
}

fn required<'a>(value: &'a Option<String>, field: String, kind: &str, e: &mut Errors) -> &'a str {
    match value.as_deref() {
        Some(v) if !v.trim().is_empty() => v,
        _ => {
            e.push(field, format!("type = \"{kind}\" 的事实必须填写这个字段"));
            ""
        }
    }
}

/// The body of a `type = "figure"` fact: a positive number, its unit and an optional bound.
fn figure_body(rf: &RawFact, at: &str, e: &mut Errors) -> FactBody {
    let question = required(&rf.question, format!("{at}.question"), "figure", e);
    let unit = rf.unit.clone().unwrap_or_default();
    let number = match rf.number {
        Some(n) if n.is_finite() && n > 0.0 => n,
        Some(_) => {
            e.push(format!("{at}.number"), "必须是正数");
            0.0
        }
        None => {
            e.push(
                format!("{at}.number"),
                "type = \"figure\" 的事实必须填写这个字段",
            );
            0.0
        }
    };
    let bound = match rf.bound.as_deref() {
        None => None,
        Some("lower") => Some(Bound::Lower),
        Some("upper") => Some(Bound::Upper),
        Some(other) => {
            e.push(
                format!("{at}.bound"),
                format!("“{other}” 不是 lower 或 upper"),
            );
            None
        }
    };
    let mut distractors = Vec::new();
    for (i, d) in rf.distractors.iter().enumerate() {
        match d.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 && v != number => distractors.push(v),
            _ => e.push(
                format!("{at}.distractors[{i}]"),
                format!("数字题的干扰项要写成不同于答案的正数（如 \"1e5\"），而不是 “{d}”"),
            ),
        }
    }
    if !distractors.is_empty() && distractors.len() < 3 {
        e.push(
            format!("{at}.distractors"),
            "数字题的干扰项要么不写，要么至少写 3 个",
        );
    }
    FactBody::Figure {
        question: question.into(),
        number,
        unit,
        accept: rf.accept.clone(),
        bound,
        distractors,
    }
}

fn fact_body(rf: &RawFact, at: &str, e: &mut Errors) -> Option<FactBody> {
    let before = e.list.len();
    let body = match rf.kind.as_str() {
        "qa" => {
            let question = required(&rf.question, format!("{at}.question"), "qa", e);
            let answer = required(&rf.answer, format!("{at}.answer"), "qa", e);
            let group = required(&rf.group, format!("{at}.group"), "qa", e);
            FactBody::Qa {
                question: question.into(),
                answer: answer.into(),
                accept: rf.accept.clone(),
                group: group.into(),
                distractors: rf.distractors.clone(),
                fill: rf.fill.unwrap_or(true),
            }
        }
        "figure" => figure_body(rf, at, e),
        "statement" => {
            let statement = required(&rf.statement, format!("{at}.statement"), "statement", e);
            if rf.false_variants.iter().any(|v| v.trim().is_empty()) {
                e.push(format!("{at}.false"), "错误说法不能为空");
            }
            FactBody::Statement {
                statement: statement.into(),
                false_variants: rf.false_variants.clone(),
            }
        }
        "contribution" => {
            let text = required(&rf.text, format!("{at}.text"), "contribution", e);
            FactBody::Contribution { text: text.into() }
        }
        "recall" => {
            let question = required(&rf.question, format!("{at}.question"), "recall", e);
            let answer = required(&rf.answer, format!("{at}.answer"), "recall", e);
            FactBody::Recall {
                question: question.into(),
                answer: answer.into(),
            }
        }
        other => {
            e.push(
                format!("{at}.type"),
                format!(
                    "未知的类型 “{other}”（可用：qa, figure, statement, contribution, recall）"
                ),
            );
            return None;
        }
    };
    (e.list.len() == before).then_some(body)
}

/// The Markdown body must hold these level-2 headings, in this order; the last,
/// 研讨要点, may be left out ([`REQUIRED_SECTIONS`] are required).
const BODY_SECTIONS: [(&str, &str); 4] = [
    ("core", "核心贡献"),
    ("explain", "入门解读"),
    ("connections", "与其他论文的联系"),
    (SEMINAR_SECTION, "研讨要点"),
];
const REQUIRED_SECTIONS: usize = 3;

/// 讨论题 are `recall` facts of the 研讨要点 section: the page shows them in a box there, so a
/// paper with 讨论题 needs the section, and a discussion question has no single right answer
/// that a choice or fill-in card could grade.
fn check_discussion(facts: &[Fact], sections: &[Section], e: &mut Errors) {
    let has_section = sections.iter().any(|s| s.id == SEMINAR_SECTION);
    for (i, f) in facts.iter().enumerate() {
        if f.section != SEMINAR_SECTION {
            continue;
        }
        if !matches!(f.body, FactBody::Recall { .. }) {
            e.push(
                format!("facts[{i}].type"),
                "研讨要点（seminar）里的事实是讨论题，必须是 type = \"recall\"",
            );
        }
        if !has_section && !sections.is_empty() {
            e.push(
                format!("facts[{i}].section"),
                "正文没有 “## 研讨要点”，讨论题无处显示",
            );
        }
    }
}

fn parse_sections(body: &str, e: &mut Errors) -> Vec<Section> {
    let mut found: Vec<(String, String)> = Vec::new();
    for line in body.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            found.push((h.trim().to_string(), String::new()));
        } else if let Some((_, text)) = found.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    let titles: Vec<&str> = found.iter().map(|(t, _)| t.as_str()).collect();
    let expected: Vec<&str> = BODY_SECTIONS.iter().map(|(_, t)| *t).collect();
    if titles != expected && titles != expected[..REQUIRED_SECTIONS] {
        e.push(
            "(正文)",
            format!(
                "正文必须依次包含二级标题 “## 核心贡献”、“## 入门解读”、“## 与其他论文的联系”（可再加 “## 研讨要点”），实际为 {titles:?}"
            ),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for ((id, title), (_, text)) in BODY_SECTIONS.iter().zip(found) {
        if text.trim().is_empty() {
            e.push(format!("(正文) {title}"), "段落不能为空");
        }
        out.push(Section {
            id,
            title,
            html: markdown::render(&text),
            markdown: text,
            anchors: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_words_with_dashes() {
        assert!(is_slug("llama-2"));
        assert!(!is_slug("Llama"));
        assert!(!is_slug("-x"));
        assert!(!is_slug("a/b"));
        assert!(!is_slug(""));
    }

    #[test]
    fn arxiv_ids_have_the_modern_form() {
        assert!(is_arxiv_id("2203.15556"));
        assert!(is_arxiv_id("2201.1190"));
        assert!(!is_arxiv_id("22031.5556"));
        assert!(!is_arxiv_id("abc"));
    }

    #[test]
    fn front_matter_is_split_at_the_closing_marker() {
        let (front, body, _) = split_front_matter("+++\na = 1\n+++\n## x\n").unwrap();
        assert_eq!(front, "a = 1\n");
        assert_eq!(body, "## x\n");
        assert!(split_front_matter("a = 1").is_none());
    }

    #[test]
    fn serde_messages_name_the_field() {
        assert_eq!(
            field_from_message("missing field `title`").as_deref(),
            Some("title")
        );
    }

    /// The shipped tree with `edit` applied to the text of file `path`.
    fn shipped_with(path: &str, edit: impl Fn(&str) -> String) -> Vec<SourceFile> {
        let mut files = crate::content::embedded_files();
        let f = files.iter_mut().find(|f| f.path == path).expect("file");
        f.text = edit(&f.text);
        files
    }

    fn errors(files: &[SourceFile]) -> Vec<ContentError> {
        match parse(files) {
            Ok(_) => Vec::new(),
            Err(ContentErrors(e)) => e,
        }
    }

    /// Whether `errors` name a field starting with `field` of `file` with `word` in the message.
    fn names(errors: &[ContentError], file: &str, field: &str, word: &str) -> bool {
        errors
            .iter()
            .any(|e| e.file == file && e.field.starts_with(field) && e.message.contains(word))
    }

    #[test]
    fn every_shipped_paper_has_seminar_points_and_three_discussion_questions() {
        let c = crate::content::embedded().expect("content");
        for p in &c.papers {
            let ids: Vec<&str> = p.sections.iter().map(|s| s.id).collect();
            assert_eq!(
                ids,
                ["core", "explain", "connections", "seminar"],
                "{}",
                p.slug
            );
            assert_eq!(p.discussion().len(), 3, "{}", p.slug);
            let seminar = &p.sections[3].markdown;
            for point in ["为什么重要", "反响", "主要批评与局限", "后续影响", "来源"]
            {
                assert!(seminar.contains(point), "{}: {point}", p.slug);
            }
        }
        let cards = crate::cards::generate(&c, crate::cards::APP_SEED).expect("cards");
        let seminar: Vec<_> = cards
            .iter()
            .filter(|k| k.section == SEMINAR_SECTION)
            .collect();
        assert_eq!(seminar.len(), 30);
        assert!(seminar
            .iter()
            .all(|k| k.kind == crate::cards::CardKind::Recall));
    }

    #[test]
    fn seminar_section_is_optional_but_discussion_needs_it_and_must_be_recall() {
        let drop_section =
            |t: &str| t[..t.find("\n## 研讨要点").expect("section")].to_string() + "\n";
        // Without the section and without its questions, a paper is still valid.
        let without = shipped_with("papers/palm.md", |t| {
            drop_section(t).replace("section = \"seminar\"", "section = \"explain\"")
        });
        let c = parse(&without).expect("valid without 研讨要点");
        let palm = c.paper("palm").expect("palm");
        assert_eq!(palm.sections.len(), 3);
        assert!(palm.discussion().is_empty());
        // Questions without the section have nowhere to be shown.
        let orphan = errors(&shipped_with("papers/palm.md", drop_section));
        assert!(
            names(&orphan, "papers/palm.md", "facts[", "研讨要点"),
            "{orphan:?}"
        );
        // A discussion question is open: it cannot be a quiz item with one right answer.
        let typed = errors(&shipped_with("papers/palm.md", |t| {
            t.replacen(
                "type = \"recall\"\nconcept = \"compute-optimal\"\nsection = \"seminar\"",
                "type = \"contribution\"\ntext = \"x\"\nconcept = \"compute-optimal\"\nsection = \"seminar\"",
                1,
            )
        }));
        assert!(
            names(&typed, "papers/palm.md", "facts[", "recall"),
            "{typed:?}"
        );
        // Headings out of order are still an error.
        let swapped = errors(&shipped_with("papers/palm.md", |t| {
            t.replace("## 研讨要点", "## 临时")
                .replace("## 与其他论文的联系", "## 研讨要点")
                .replace("## 临时", "## 与其他论文的联系")
        }));
        assert!(swapped.iter().any(|e| e.field == "(正文)"), "{swapped:?}");
    }

    #[test]
    fn the_shipped_timeline_holds_every_paper_once_by_date_with_sources() {
        let c = crate::content::embedded().expect("content");
        let papers: Vec<&str> = c
            .timeline
            .iter()
            .filter_map(|i| i.paper.as_deref())
            .collect();
        assert_eq!(papers.len(), 10);
        for p in &c.papers {
            assert_eq!(
                papers.iter().filter(|s| **s == p.slug).count(),
                1,
                "{}",
                p.slug
            );
        }
        assert!(c
            .timeline
            .windows(2)
            .all(|w| w[0].date.day_number() <= w[1].date.day_number()));
        assert!(c.timeline.iter().all(|i| !i.source.trim().is_empty()));
        assert_eq!(papers.first(), Some(&"chain-of-thought"));
        assert_eq!(papers.last(), Some(&"llama-2"));
        // Chinchilla came one week before PaLM, InstructGPT in the same month before both.
        let at = |s: &str| papers.iter().position(|p| *p == s).unwrap_or(99);
        assert!(at("instructgpt") < at("chinchilla") && at("chinchilla") < at("palm"));
    }

    #[test]
    fn a_timeline_must_agree_with_the_papers_and_name_its_sources() {
        let broken = shipped_with(TIMELINE_FILE, |t| {
            t.replace("date = \"2022-03-29\"", "date = \"2022-04-29\"")
                .replace("date = \"2022-04-05\"", "date = \"2022-04-31\"")
                .replacen("paper = \"qlora\"", "paper = \"nope\"", 1)
                .replacen(
                    "source = \"OpenAI 博客《Introducing ChatGPT》（2022 年 11 月 30 日）\"",
                    "source = \" \"",
                    1,
                )
        });
        let e = errors(&broken);
        let has = |field: &str, word: &str| names(&e, TIMELINE_FILE, field, word);
        assert!(has("papers[3].date", "不一致"), "{e:?}"); // Chinchilla moved to April
        assert!(has("papers[4].date", "不是日期"), "{e:?}"); // 31 April
        assert!(has("papers[8].paper", "未知"), "{e:?}");
        assert!(has("papers", "缺少论文 “qlora”"), "{e:?}");
        assert!(has("events[1].source", "不能为空"), "{e:?}");
        // Without the file the tree is valid and has no timeline.
        let mut files = crate::content::embedded_files();
        files.retain(|f| f.path != TIMELINE_FILE);
        assert!(parse(&files).expect("valid").timeline.is_empty());
    }
}
