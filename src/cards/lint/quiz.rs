//! The lints that read a quiz item the way a learner does: an option ruled out by the question
//! itself, a word only the right option shares, a prompt that leans on a paper it does not name,
//! and an explanation that judges "the statement" for both of its variants.

use super::{card_place, is_number, options_of, LintIssue};
use crate::cards::{Card, CardKind};
use crate::content::names::{self, Names};
use crate::content::{Content, FactBody};
use crate::text::normalize::{fold, parse_quantity};

/// "其中几种": the number before the unit is the whole, and the answer is a part of it.
const PART_WORDS: [&str; 5] = ["其中", "之中", "当中", "中的", "里的"];
/// "一块 48GB 的 GPU": a device named by its size; what must fit on it cannot be bigger.
const DEVICE_WORDS: [&str; 4] = ["一块", "单块", "一张", "单张"];
/// Ways to say "the paper this card comes from" without naming it.
const PAPER_WORDS: [&str; 4] = ["这篇论文", "本论文", "本文", "论文"];
/// Opening verdicts on "the statement" as a whole.
const FALSE_VERDICTS: [&str; 10] = [
    "夸大说法",
    "说法不对",
    "说法错误",
    "说法有误",
    "这是错的",
    "这是误解",
    "这是谣言",
    "这是误区",
    "不成立",
    "并不属实",
];
const TRUE_VERDICTS: [&str; 5] = ["说法正确", "这是对的", "这是真的", "确实如此", "说法属实"];

/// The numbers in `question` written right before `unit` (its first word): "26 种语言" for 种,
/// "48GB" for GB.
fn numbers_before_unit(question: &str, unit: &str) -> Vec<f64> {
    let Some(head) = unit.split_whitespace().next() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (at, _) in question.match_indices(head) {
        let before = question[..at].trim_end();
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_digit() || *c == '.' || *c == ',')
            .last()
            .map(|(i, _)| i);
        if let Some(v) = start.and_then(|s| before[s..].replace(',', "").parse::<f64>().ok()) {
            out.push(v);
        }
    }
    out
}

/// An option above the whole the question states: 240 of "26 种语言", 96 GB for "一块 48GB GPU".
pub(super) fn impossible_options(content: &Content, cards: &[Card], out: &mut Vec<LintIssue>) {
    for c in cards.iter().filter(|c| c.kind == CardKind::Choice) {
        let Some(FactBody::Figure { question, unit, .. }) = content
            .paper(&c.paper)
            .and_then(|p| p.facts.iter().find(|f| f.key == c.fact_key))
            .map(|f| &f.body)
        else {
            continue;
        };
        let limited = PART_WORDS
            .iter()
            .chain(&DEVICE_WORDS)
            .any(|w| question.contains(w));
        let Some(total) = numbers_before_unit(question, unit)
            .into_iter()
            .reduce(f64::max)
            .filter(|_| limited)
        else {
            continue;
        };
        let Some((answer, distractors)) = options_of(c) else {
            continue;
        };
        for o in std::iter::once(answer).chain(distractors) {
            if parse_quantity(o).is_some_and(|v| v > total) {
                out.push(LintIssue {
                    rule: "impossible-option",
                    place: card_place(c),
                    message: format!(
                        "选项 “{o}” 超出了题目自己给出的 {total} {unit}：不看论文也能排除"
                    ),
                });
            }
        }
    }
}

/// The longest word of the question that `answer` contains and no wrong option does: a run of
/// two or more Chinese characters, a whole Latin word ("BLOOM" in BLOOMZ) or a whole number
/// ("4" in NF4). Pieces of Latin words do not count: "pa" is not a word of "Pathways".
fn shared_only_by_answer(question: &str, answer: &str, distractors: &[String]) -> Option<String> {
    let q = fold(question);
    let a = fold(answer);
    let wrong: Vec<String> = distractors.iter().map(|d| fold(d)).collect();
    let mut candidates: Vec<String> = Vec::new();
    // Whole Latin words and numbers of the question.
    let mut word = String::new();
    for ch in q.chars().chain(std::iter::once(' ')) {
        let same_kind = word
            .chars()
            .last()
            .is_none_or(|last| last.is_ascii_digit() == ch.is_ascii_digit());
        if ch.is_ascii_alphanumeric() && same_kind {
            word.push(ch);
            continue;
        }
        let long_enough =
            word.chars().count() >= 2 || word.starts_with(|c: char| c.is_ascii_digit());
        if !word.is_empty() && long_enough {
            candidates.push(std::mem::take(&mut word));
        }
        word.clear();
        if ch.is_ascii_alphanumeric() {
            word.push(ch);
        }
    }
    // Runs of Chinese characters of the answer that the question contains.
    let chars: Vec<char> = a.chars().collect();
    for i in 0..chars.len() {
        for j in i + 2..=chars.len() {
            let piece: String = chars[i..j].iter().collect();
            if chars[i..j]
                .iter()
                .all(|c| !c.is_ascii() && c.is_alphanumeric())
                && q.contains(&piece)
            {
                candidates.push(piece);
            }
        }
    }
    candidates
        .into_iter()
        .filter(|c| a.contains(c.as_str()) && !wrong.iter().any(|w| w.contains(c.as_str())))
        .max_by_key(|c| c.chars().count())
}

/// A word of the question that the right option shares and no wrong option does.
pub(super) fn word_match(content: &Content, cards: &[Card], out: &mut Vec<LintIssue>) {
    for c in cards.iter().filter(|c| c.kind == CardKind::Choice) {
        let Some((answer, distractors)) = options_of(c) else {
            continue;
        };
        let is_qa = content
            .paper(&c.paper)
            .and_then(|p| p.facts.iter().find(|f| f.key == c.fact_key))
            .is_some_and(|f| matches!(f.body, FactBody::Qa { .. }));
        if !is_qa || is_number(answer) {
            continue;
        }
        if let Some(w) = shared_only_by_answer(&c.prompt, answer, distractors) {
            out.push(LintIssue {
                rule: "word-match",
                place: card_place(c),
                message: format!(
                    "只有正确答案 “{answer}” 和题目共用 “{w}”：照字面就能选对。请给一个含 “{w}” 的同类干扰项（distractors），或改写题目"
                ),
            });
        }
    }
}

/// A prompt that says "这篇论文" and names none of its own paper's names, so weeks later,
/// among ten papers, nobody can tell which paper it means.
pub(super) fn paperless_prompts(
    content: &Content,
    cards: &[Card],
    entries: &Names,
    out: &mut Vec<LintIssue>,
) {
    for c in cards {
        // "Which paper" cards must not name their paper; that is the question.
        if c.kind == CardKind::WhichPaper {
            continue;
        }
        let Some(paper) = content.paper(&c.paper) else {
            continue;
        };
        let Some(word) = PAPER_WORDS.iter().find(|w| c.prompt.contains(**w)) else {
            continue;
        };
        // The paper's own names: its short name, its title, and the models the glossary sends
        // to its page (PaLM 540B, Guanaco). A concept's name is not one: PaLM's prompts say 思维链
        // too.
        let mut own = vec![paper.short.clone(), paper.title.clone()];
        for g in content
            .glossary
            .iter()
            .filter(|g| g.kind == "model" && g.paper.as_deref() == Some(paper.slug.as_str()))
        {
            let key = format!("glossary:{}", g.slug);
            if let Some(e) = entries.entries.iter().find(|e| e.key == key) {
                own.extend(e.names.iter().cloned());
            }
        }
        if !own.iter().any(|n| names::mentions(&c.prompt, n)) {
            out.push(LintIssue {
                rule: "paperless-prompt",
                place: card_place(c),
                message: format!(
                    "题目说 “{word}”，却没有写出是哪篇论文（{}）：混在十篇论文里，几周后无法作答",
                    paper.short
                ),
            });
        }
    }
}

/// A statement fact whose `why` opens by judging the statement, shown after every variant.
pub(super) fn why_verdicts(content: &Content, out: &mut Vec<LintIssue>) {
    for p in &content.papers {
        for f in &p.facts {
            let FactBody::Statement { false_variants, .. } = &f.body else {
                continue;
            };
            if false_variants.is_empty() {
                continue;
            }
            let first = f.why.split(['。', '；', '！']).next().unwrap_or("");
            // A sentence that quotes the claim it judges says which variant it means.
            if first.contains(['“', '「', '"']) {
                continue;
            }
            let verdict = FALSE_VERDICTS
                .iter()
                .map(|w| (w, "错"))
                .chain(TRUE_VERDICTS.iter().map(|w| (w, "对")))
                .find(|(w, _)| first.contains(**w));
            if let Some((w, side)) = verdict {
                out.push(LintIssue {
                    rule: "why-verdict",
                    place: format!("papers/{}.md facts.{}", p.slug, f.key),
                    message: format!(
                        "why 开头用 “{w}” 判定题目是{side}的，但它在正确说法和错误说法之后都会显示：请说清是哪一种说法"
                    ),
                });
            }
        }
    }
}
