//! Quiz cards, generated from the facts in the content. Pure: no I/O; randomness comes from a
//! seed, so the same content and seed always give the same cards.
//!
//! Each card's identity is derived from (paper, fact key, kind, variant), never from order, so
//! an edited fact keeps its card ids and their review history ([`crate::store::cards::sync`]).

pub mod grading;
pub mod lint;

use crate::content::names::{self, Names};
use crate::content::{Bound, Content, Fact, FactBody, Paper};
use crate::text::normalize;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The seed the app uses, fixed so that restarts regenerate identical cards.
pub const APP_SEED: u64 = 0x7061_7065_7264_6563;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    Choice,
    Fill,
    TrueFalse,
    WhichPaper,
    Recall,
}

impl CardKind {
    pub const ALL: [CardKind; 5] = [
        CardKind::Choice,
        CardKind::Fill,
        CardKind::TrueFalse,
        CardKind::WhichPaper,
        CardKind::Recall,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CardKind::Choice => "choice",
            CardKind::Fill => "fill",
            CardKind::TrueFalse => "true_false",
            CardKind::WhichPaper => "which_paper",
            CardKind::Recall => "recall",
        }
    }

    pub fn parse(s: &str) -> Option<CardKind> {
        CardKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The Chinese name shown to the learner.
    pub fn label(self) -> &'static str {
        match self {
            CardKind::Choice => "单选题",
            CardKind::Fill => "填空题",
            CardKind::TrueFalse => "判断题",
            CardKind::WhichPaper => "哪篇论文",
            CardKind::Recall => "自由回忆",
        }
    }
}

/// What a card needs to be shown and graded; stored as JSON in `cards.data_json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum CardData {
    /// Options are the answer plus three distractors, shuffled when shown.
    Choice {
        answer: String,
        distractors: Vec<String>,
    },
    Fill {
        answer: String,
        accept: Vec<String>,
        number: Option<f64>,
    },
    TrueFalse {
        truth: bool,
        /// The true statement, shown after a false one is answered.
        correct: String,
    },
    /// Paper slugs; names come from the content when shown.
    WhichPaper {
        answer: String,
        distractors: Vec<String>,
    },
    Recall {
        model_answer: String,
    },
}

impl CardData {
    /// A fill-in whose answer is a number: only there does the number-spelling hint belong.
    pub fn numeric(&self) -> bool {
        matches!(
            self,
            CardData::Fill {
                number: Some(_),
                ..
            }
        )
    }

    /// The answer and the distractors of a card with options (choice, which paper).
    pub fn options(&self) -> Option<(&String, &[String])> {
        match self {
            CardData::Choice {
                answer,
                distractors,
            }
            | CardData::WhichPaper {
                answer,
                distractors,
            } => Some((answer, distractors)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Card {
    pub id: String,
    pub paper: String,
    pub fact_key: String,
    pub kind: CardKind,
    pub concept: String,
    pub prompt: String,
    pub data: CardData,
    pub explanation: String,
    pub section: String,
    /// [`Card::prompt_html`], made on first use: a paper page shows a dozen prompts on every
    /// request, and making one was a tenth of the logged-in page's time.
    #[serde(skip)]
    pub prompt_html: Derived,
}

/// A value worked out from the other fields of its card, once. Two cards are equal or not by
/// those fields alone, whether or not it has been worked out yet.
#[derive(Debug, Clone, Default)]
pub struct Derived(std::sync::OnceLock<String>);

impl PartialEq for Derived {
    fn eq(&self, _: &Derived) -> bool {
        true
    }
}

impl Card {
    /// The prompt as escaped HTML with its number-like words ("Llama 2-Chat", "PaLM-540B") kept
    /// on one line: every page shows a prompt through this, so a narrow phone column cannot
    /// break one at its hyphen.
    pub fn prompt_html(&self) -> &str {
        self.prompt_html
            .0
            .get_or_init(|| crate::text::html::keep_numbers_whole(&self.prompt))
    }

    /// A hash of everything shown, so a sync can tell an edited card from an unchanged one.
    pub fn content_hash(&self) -> String {
        let json = serde_json::to_string(&(
            &self.concept,
            &self.prompt,
            &self.data,
            &self.explanation,
            &self.section,
        ))
        .unwrap_or_default();
        hex::encode(&Sha256::digest(json.as_bytes())[..12])
    }
}

pub fn card_id(paper: &str, fact_key: &str, kind: CardKind, variant: usize) -> String {
    let h = Sha256::digest(format!("{paper}/{fact_key}/{}/{variant}", kind.as_str()).as_bytes());
    hex::encode(&h[..10])
}

/// Shows a number the Chinese way: 700 亿, 1.4 万亿, 67.5.
pub fn format_number(n: f64) -> String {
    let (v, word) = if n >= 1e12 {
        (n / 1e12, "万亿")
    } else if n >= 1e8 {
        (n / 1e8, "亿")
    } else if n >= 1e5 {
        (n / 1e4, "万")
    } else {
        (n, "")
    };
    let mut s = format!("{:.2}", v);
    while s.contains('.') && (s.ends_with('0') || s.ends_with('.')) {
        s.pop();
    }
    if word.is_empty() {
        s
    } else {
        format!("{s} {word}")
    }
}

/// A number with its unit: `700 亿个参数`, `67.5%`, `48 GB`, `4 倍`.
pub fn format_figure(n: f64, unit: &str) -> String {
    let num = format_number(n);
    if unit.is_empty() {
        num
    } else if unit.starts_with('%') || num.ends_with('亿') || num.ends_with('万') {
        format!("{num}{unit}")
    } else {
        format!("{num} {unit}")
    }
}

/// The live cards in memory, by id and by concept.
#[derive(Debug, Default)]
pub struct CardIndex {
    pub cards: Vec<Card>,
    by_id: std::collections::HashMap<String, usize>,
    by_concept: BTreeMap<String, Vec<usize>>,
    /// Per paper, its card count per concept: the paper page shows it on every request.
    paper_counts: std::collections::HashMap<String, BTreeMap<String, usize>>,
    /// [`crate::scheduler::mean_concept_size`] of the content, once: every answer weighs by it.
    mean_concept_size: f32,
}

impl CardIndex {
    pub fn new(cards: Vec<Card>) -> CardIndex {
        let mut by_id = std::collections::HashMap::new();
        let mut by_concept: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut paper_counts = std::collections::HashMap::<String, BTreeMap<String, usize>>::new();
        for (i, c) in cards.iter().enumerate() {
            by_id.insert(c.id.clone(), i);
            by_concept.entry(c.concept.clone()).or_default().push(i);
            *paper_counts
                .entry(c.paper.clone())
                .or_default()
                .entry(c.concept.clone())
                .or_default() += 1;
        }
        let mean_concept_size =
            crate::scheduler::mean_concept_size(by_concept.values().map(Vec::len));
        CardIndex {
            cards,
            by_id,
            by_concept,
            paper_counts,
            mean_concept_size,
        }
    }

    pub fn get(&self, id: &str) -> Option<&Card> {
        self.by_id.get(id).map(|i| &self.cards[*i])
    }

    pub fn has_concept(&self, concept: &str) -> bool {
        self.by_concept.get(concept).is_some_and(|v| !v.is_empty())
    }

    pub fn for_concept(&self, concept: &str) -> Vec<&Card> {
        self.by_concept
            .get(concept)
            .map(|v| v.iter().map(|i| &self.cards[*i]).collect())
            .unwrap_or_default()
    }

    /// How many cards a concept has (0 for an unknown one).
    pub fn concept_size(&self, concept: &str) -> usize {
        self.by_concept.get(concept).map_or(0, Vec::len)
    }

    /// The mean number of cards of a concept that has any: the size a concept keeps her own
    /// target at ([`crate::scheduler::concept_retention`]).
    pub fn mean_concept_size(&self) -> f32 {
        self.mean_concept_size
    }

    /// Her preferences for scheduling `concept`, its desired retention weighted by its size.
    pub fn prefs_for(
        &self,
        prefs: &crate::scheduler::Prefs,
        concept: &str,
    ) -> crate::scheduler::Prefs {
        prefs.for_concept(self.concept_size(concept), self.mean_concept_size())
    }

    /// Card counts per concept for one paper, by concept slug; none for a paper with no cards.
    pub fn counts_for_paper(&self, paper: &str) -> impl Iterator<Item = (&str, usize)> {
        self.paper_counts
            .get(paper)
            .into_iter()
            .flatten()
            .map(|(slug, n)| (slug.as_str(), *n))
    }
}

/// Why generation failed: too few distinct wrong options for a choice card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenError {
    pub paper: String,
    pub fact_key: String,
    pub message: String,
}

impl std::fmt::Display for GenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "papers/{}.md: 事实 `{}`: {}",
            self.paper, self.fact_key, self.message
        )
    }
}

/// Generates every card of the content. Each card draws from its own RNG seeded from `seed`
/// and its id, so editing one fact never changes another fact's cards.
pub fn generate(content: &Content, seed: u64) -> Result<Vec<Card>, Vec<GenError>> {
    let mut cards = Vec::new();
    let mut errors = Vec::new();
    let entries = Names::new(content);
    for paper in &content.papers {
        for fact in &paper.facts {
            match cards_for_fact(content, &entries, paper, fact, seed) {
                Ok(mut c) => cards.append(&mut c),
                Err(e) => errors.push(e),
            }
        }
    }
    if errors.is_empty() {
        Ok(cards)
    } else {
        Err(errors)
    }
}

fn rng_for(seed: u64, id: &str) -> StdRng {
    let h = Sha256::digest(id.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    StdRng::seed_from_u64(seed ^ u64::from_le_bytes(b))
}

/// What every card of one fact shares: where it comes from, and the seed its options are drawn with.
struct FactCards<'a> {
    content: &'a Content,
    entries: &'a Names,
    paper: &'a Paper,
    fact: &'a Fact,
    seed: u64,
}

impl FactCards<'_> {
    /// A generation error blamed on this fact.
    fn err(&self, message: String) -> GenError {
        GenError {
            paper: self.paper.slug.clone(),
            fact_key: self.fact.key.clone(),
            message,
        }
    }

    /// A card of this fact, carrying the fact's concept, explanation and section.
    fn make(&self, kind: CardKind, variant: usize, prompt: String, data: CardData) -> Card {
        Card {
            id: card_id(&self.paper.slug, &self.fact.key, kind, variant),
            paper: self.paper.slug.clone(),
            fact_key: self.fact.key.clone(),
            kind,
            concept: self.fact.concept.clone(),
            prompt,
            data,
            explanation: self.fact.why.clone(),
            section: self.fact.section.clone(),
            prompt_html: Derived::default(),
        }
    }

    /// The generator for the options of this fact's first card of `kind`, so options are stable
    /// per card id.
    fn rng(&self, kind: CardKind) -> StdRng {
        let id = card_id(&self.paper.slug, &self.fact.key, kind, 0);
        rng_for(self.seed, &id)
    }
}

fn cards_for_fact(
    content: &Content,
    entries: &Names,
    paper: &Paper,
    fact: &Fact,
    seed: u64,
) -> Result<Vec<Card>, GenError> {
    let g = FactCards {
        content,
        entries,
        paper,
        fact,
        seed,
    };
    match &fact.body {
        FactBody::Qa {
            question,
            answer,
            accept,
            group,
            distractors,
            fill,
        } => qa_cards(&g, question, answer, accept, group, distractors, *fill),
        FactBody::Figure {
            question,
            number,
            unit,
            accept,
            bound,
            distractors,
        } => figure_cards(&g, question, *number, unit, accept, *bound, distractors),
        FactBody::Statement {
            statement,
            false_variants,
        } => Ok(statement_cards(&g, statement, false_variants)),
        FactBody::Contribution { text } => contribution_cards(&g, text),
        FactBody::Recall { question, answer } => Ok(vec![g.make(
            CardKind::Recall,
            0,
            question.clone(),
            CardData::Recall {
                model_answer: answer.clone(),
            },
        )]),
    }
}

/// A question fact: a choice card, plus a fill card when the fact asks for one.
fn qa_cards(
    g: &FactCards,
    question: &str,
    answer: &str,
    accept: &[String],
    group: &str,
    distractors: &[String],
    fill: bool,
) -> Result<Vec<Card>, GenError> {
    let mut rng = g.rng(CardKind::Choice);
    let pool = qa_pool(g.content, g.fact, group, distractors);
    // An option is wrong only if it means something else than the answer, and fair only
    // if the question does not name it ("compare with PaLM" must not offer PaLM).
    let pool: Vec<String> = pool
        .into_iter()
        .filter(|c| {
            !g.entries
                .all_names(c)
                .iter()
                .any(|n| names::mentions(question, n))
        })
        .collect();
    let rights: Vec<&str> = std::iter::once(answer)
        .chain(accept.iter().map(String::as_str))
        .collect();
    let chosen = pick_distinct(&pool, &rights, &mut rng, |a, b| {
        g.entries.same_meaning(a, b)
    });
    if chosen.len() < 3 {
        return Err(g.err(format!(
            "单选题需要 3 个不同于答案的干扰项，只找到 {} 个：请补充 distractors 或同组（group = \"{group}\"）的事实",
            chosen.len()
        )));
    }
    let mut out = vec![g.make(
        CardKind::Choice,
        0,
        question.to_string(),
        CardData::Choice {
            answer: answer.to_string(),
            distractors: chosen,
        },
    )];
    if fill {
        out.push(g.make(
            CardKind::Fill,
            0,
            question.to_string(),
            CardData::Fill {
                answer: answer.to_string(),
                accept: fill_accept(answer, accept, g.entries),
                number: None,
            },
        ));
    }
    Ok(out)
}

/// A figure fact: a choice card among false figures, and a fill card checked by number.
fn figure_cards(
    g: &FactCards,
    question: &str,
    number: f64,
    unit: &str,
    accept: &[String],
    bound: Option<Bound>,
    own: &[f64],
) -> Result<Vec<Card>, GenError> {
    let mut rng = g.rng(CardKind::Choice);
    let answer = format_figure(number, unit);
    let pool = if own.is_empty() {
        figure_pool(g.content, g.fact, number, unit)
    } else {
        own.to_vec()
    };
    let pool: Vec<String> = pool
        .into_iter()
        .filter(|n| Bound::is_false_option(bound, *n, number))
        .map(|n| format_figure(n, unit))
        .collect();
    let chosen = pick_distinct(&pool, &[answer.as_str()], &mut rng, same_figure);
    if chosen.len() < 3 {
        return Err(g.err("数字题找不到 3 个不同的干扰数字".into()));
    }
    Ok(vec![
        g.make(
            CardKind::Choice,
            0,
            question.to_string(),
            CardData::Choice {
                answer: answer.clone(),
                distractors: chosen,
            },
        ),
        g.make(
            CardKind::Fill,
            0,
            question.to_string(),
            CardData::Fill {
                answer,
                accept: accept.to_vec(),
                number: Some(number),
            },
        ),
    ])
}

/// A statement fact: the true statement, then one true/false card per false variant.
fn statement_cards(g: &FactCards, statement: &str, false_variants: &[String]) -> Vec<Card> {
    let mut out = vec![g.make(
        CardKind::TrueFalse,
        0,
        statement.to_string(),
        CardData::TrueFalse {
            truth: true,
            correct: statement.to_string(),
        },
    )];
    for (i, f) in false_variants.iter().enumerate() {
        out.push(g.make(
            CardKind::TrueFalse,
            i + 1,
            f.clone(),
            CardData::TrueFalse {
                truth: false,
                correct: statement.to_string(),
            },
        ));
    }
    out
}

/// A contribution fact: "which paper" with three other papers as wrong options.
fn contribution_cards(g: &FactCards, text: &str) -> Result<Vec<Card>, GenError> {
    let mut rng = g.rng(CardKind::WhichPaper);
    let mut others: Vec<&str> = g
        .content
        .papers
        .iter()
        .filter(|p| p.slug != g.paper.slug)
        .map(|p| p.slug.as_str())
        .collect();
    others.shuffle(&mut rng);
    if others.len() < 3 {
        return Err(g.err("“哪篇论文”题至少需要 4 篇论文".into()));
    }
    Ok(vec![g.make(
        CardKind::WhichPaper,
        0,
        text.to_string(),
        CardData::WhichPaper {
            answer: g.paper.slug.clone(),
            distractors: others[..3].iter().map(|s| s.to_string()).collect(),
        },
    )])
}

/// Wrong options for a question: answers of other questions in the same group, plus the fact's
/// own listed distractors.
fn qa_pool(content: &Content, fact: &Fact, group: &str, own: &[String]) -> Vec<String> {
    let mut pool: Vec<String> = own.to_vec();
    for p in &content.papers {
        for f in &p.facts {
            if let FactBody::Qa {
                group: g, answer, ..
            } = &f.body
            {
                if g == group && !(f.key == fact.key && f.concept == fact.concept && f == fact) {
                    pool.push(answer.clone());
                }
            }
        }
    }
    pool
}

/// The accepted names of a typed answer: the fact's own phrasings and every name the content
/// knows for the answer's term, so that names are declared once, in the glossary.
fn fill_accept(answer: &str, accept: &[String], entries: &Names) -> Vec<String> {
    let mut out: Vec<String> = accept.to_vec();
    for n in entries.all_names(answer) {
        let f = normalize::fold(&n);
        if f != normalize::fold(answer) && !out.iter().any(|m| normalize::fold(m) == f) {
            out.push(n);
        }
    }
    out
}

/// A shown number and the step of its last digit: `54.3%` is (54.3, 0.1), `700 亿` (7e10, 1e8).
fn shown_precision(shown: &str) -> Option<(f64, f64)> {
    let value = normalize::parse_quantity(shown)?;
    let digits: String = shown
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let decimals = digits.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
    let plain: f64 = digits.parse().ok()?;
    let scale = if plain > 0.0 { value / plain } else { 1.0 };
    Some((value, 10f64.powi(-decimals) * scale))
}

/// Two shown numbers are one option when either rounds to the other at its own precision:
/// 54% and 54.3% are one answer to a learner who rounds.
pub fn same_figure(a: &str, b: &str) -> bool {
    match (shown_precision(a), shown_precision(b)) {
        (Some((va, pa)), Some((vb, pb))) => (va - vb).abs() <= pa.max(pb) / 2.0 * (1.0 + 1e-9),
        _ => normalize::fold(a) == normalize::fold(b),
    }
}

/// Wrong numbers near the right one: other figures with the same unit within a factor of ten,
/// and scaled variants of the answer.
fn figure_pool(content: &Content, fact: &Fact, number: f64, unit: &str) -> Vec<f64> {
    let mut nums: Vec<f64> = Vec::new();
    for p in &content.papers {
        for f in &p.facts {
            if let FactBody::Figure {
                number: n, unit: u, ..
            } = &f.body
            {
                // A score far from the right one is a dead option (10% on a four-choice test
                // whose answer is 86.4%), so percentages stay within 25 points.
                let near = if unit.starts_with('%') {
                    (*n - number).abs() <= 25.0
                } else {
                    *n / number > 0.1 && *n / number < 10.0
                };
                if f != fact && u == unit && near {
                    nums.push(*n);
                }
            }
        }
    }
    let is_percent = unit.starts_with('%');
    if is_percent {
        for d in [-20.0, -12.0, -7.0, 6.0, 11.0, 18.0] {
            let v: f64 = number + d;
            if v > 0.0 && v < 100.0 {
                nums.push(if number.fract() == 0.0 { v.round() } else { v });
            }
        }
        // A small share under an upper bound ("前 10%") has too few steps below it otherwise.
        if number < 25.0 {
            nums.extend([number / 2.0, number / 4.0, number / 10.0]);
        }
    } else {
        for m in [0.1, 0.5, 2.0, 4.0, 10.0, 0.25, 1.5] {
            let v = number * m;
            let v = if number >= 100.0 || number.fract() != 0.0 {
                v
            } else {
                v.round()
            };
            if v > 0.0 {
                nums.push(v);
            }
        }
    }
    nums
}

/// Three wrong options from `pool`, each different in meaning (by `same`) from every right
/// answer and from each other.
fn pick_distinct(
    pool: &[String],
    rights: &[&str],
    rng: &mut StdRng,
    same: impl Fn(&str, &str) -> bool,
) -> Vec<String> {
    let mut candidates: Vec<&String> = pool.iter().collect();
    // Stable order first, then shuffle: the result depends only on the seed, not on map order.
    candidates.sort();
    candidates.dedup();
    candidates.shuffle(rng);
    let mut out: Vec<String> = Vec::new();
    for c in candidates {
        if normalize::fold(c).is_empty()
            || rights.iter().any(|r| same(c, r))
            || out.iter().any(|o| same(c, o))
        {
            continue;
        }
        out.push(c.clone());
        if out.len() == 3 {
            break;
        }
    }
    out
}

/// Card counts per paper, per concept and per kind, and whether they meet the minimums.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub total: usize,
    pub per_paper: BTreeMap<String, usize>,
    pub per_concept: BTreeMap<String, BTreeMap<String, usize>>,
    pub per_kind: BTreeMap<String, usize>,
    pub problems: Vec<String>,
}

pub const MIN_TOTAL: usize = 150;
pub const MIN_PER_PAPER: usize = 10;
pub const MIN_PER_CONCEPT: usize = 5;
pub const MIN_KINDS_PER_CONCEPT: usize = 3;

pub fn coverage(content: &Content, cards: &[Card]) -> Coverage {
    let mut per_paper: BTreeMap<String, usize> =
        content.papers.iter().map(|p| (p.slug.clone(), 0)).collect();
    let mut per_concept: BTreeMap<String, BTreeMap<String, usize>> = content
        .concepts
        .iter()
        .map(|c| (c.slug.clone(), BTreeMap::new()))
        .collect();
    let mut per_kind: BTreeMap<String, usize> = BTreeMap::new();
    for c in cards {
        *per_paper.entry(c.paper.clone()).or_default() += 1;
        *per_concept
            .entry(c.concept.clone())
            .or_default()
            .entry(c.kind.as_str().to_string())
            .or_default() += 1;
        *per_kind.entry(c.kind.as_str().to_string()).or_default() += 1;
    }
    let mut problems = Vec::new();
    if cards.len() < MIN_TOTAL {
        problems.push(format!(
            "卡片总数 {} 少于 {MIN_TOTAL} (too few cards in all)",
            cards.len()
        ));
    }
    for (p, n) in &per_paper {
        if *n < MIN_PER_PAPER {
            problems.push(format!(
                "论文 {p} 只有 {n} 张卡片，至少需要 {MIN_PER_PAPER} (paper has too few cards)"
            ));
        }
    }
    for (c, kinds) in &per_concept {
        let n: usize = kinds.values().sum();
        if n < MIN_PER_CONCEPT || kinds.len() < MIN_KINDS_PER_CONCEPT {
            problems.push(format!(
                "概念 {c} 有 {n} 张卡片、{} 种题型，至少需要 {MIN_PER_CONCEPT} 张、{MIN_KINDS_PER_CONCEPT} 种 (concept under-covered)",
                kinds.len()
            ));
        }
    }
    Coverage {
        total: cards.len(),
        per_paper,
        per_concept,
        per_kind,
        problems,
    }
}

impl Coverage {
    /// The coverage table as text, for `check-content --report`.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "卡片总数 (cards in all): {}\n", self.total);
        let _ = writeln!(s, "按题型 (per kind):");
        for k in CardKind::ALL {
            let _ = writeln!(
                s,
                "  {:<12} {:<6} {:>4}",
                k.as_str(),
                k.label(),
                self.per_kind.get(k.as_str()).copied().unwrap_or(0)
            );
        }
        let _ = writeln!(s, "\n按论文 (per paper):");
        for (p, n) in &self.per_paper {
            let _ = writeln!(s, "  {p:<18} {n:>4}");
        }
        let _ = writeln!(
            s,
            "\n按概念 (per concept): total  choice fill true_false which_paper recall"
        );
        for (c, kinds) in &self.per_concept {
            let n: usize = kinds.values().sum();
            let _ = write!(s, "  {c:<18} {n:>5} ");
            for k in CardKind::ALL {
                let _ = write!(s, " {:>6}", kinds.get(k.as_str()).copied().unwrap_or(0));
            }
            let _ = writeln!(s);
        }
        if !self.problems.is_empty() {
            let _ = writeln!(s, "\n未达标 (below the minimums):");
            for p in &self.problems {
                let _ = writeln!(s, "  - {p}");
            }
        }
        s
    }
}

#[cfg(test)]
mod tests;
