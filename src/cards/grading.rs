//! Grading typed (fill-in) answers as a careful teacher would. Pure functions: no I/O.
//!
//! **Numbers** ([`check_number`]). A card that expects a number is graded by value only, never
//! by text: folded text cannot tell "6.5B" from "65B", and this app exists partly to correct a
//! famous 10× mistake. Every number she wrote is read with its decimal point and magnitude
//! (`700亿`, `1.4万亿`, `1万4千亿`, `七百亿`, `70B`, `70 billion`, `1.4e12`, `1.4×10^12`,
//! `5,000`, `百分之五十四点三`, `3个半月`); unit words and qualifiers (约, 超过, 最多, 以上,
//! 左右, 多, top, 前, about, over …) are read around it and ignored, because the question itself
//! invites them. A number is right when
//! 1. the expected value rounds to it at the precision she typed (54 or 54.3 for 54.3, not 50;
//!    `700亿` is precise to 1亿, `1.4万亿` to 0.1万亿), so a shorter spelling of the right
//!    figure counts, and a longer one must be exact; and
//! 2. it is within 5% of the expected value, because rounding alone would let a coarse spelling
//!    through (`1万亿` is 1.4万亿 rounded to a whole 万亿, but 29% off).
//!
//! For a percentage, `0.675`, `67.5` and `67.5%` are the same answer (a decimal ≤ 1 without a
//! percent sign is also read as a fraction). Every number in the answer must be right, so
//! "70B或7B" is wrong; digits that are part of a name (GPT-4, TPU v4, Llama 2) are not numbers.
//! A negation (不是, 并非, not) makes any answer wrong.
//!
//! **Names** ([`check_name`]). A name is right when she typed any known name of the expected
//! thing: the [`NameIndex`] holds, per term, all its names (glossary name, English name,
//! aliases, paper terms). Both the typed text and the names are folded (width, case, spaces and
//! punctuation; a '.' between digits is kept so GPT-3.5 ≠ GPT-35; model sizes are spelled one
//! way, so `650亿参数` = `65B`). The known names found in the typed text are taken longest first
//! without overlap, so "双重量化" is one name and never also "量化". The answer is right when at
//! least one of them names the expected term and none names a different term: words around the
//! name ("NF4 数据类型"), both languages in either order ("RLHF 基于人类反馈的强化学习") and a
//! model's size ("PaLM 540B") are fine, while a different term that merely contains part of the
//! answer is not. Latin words must match whole ("RM" is not found inside "Transformer").

use crate::content::Content;
use crate::text::normalize::is_punct;
use crate::text::numbers::{
    arabic_at, decimal, english_magnitude, fold_chars, negated, skip_spaces, starts_with,
};
pub use crate::text::numbers::{read_numbers, Reading};
use std::collections::{HashMap, HashSet};

/// How far a typed number may be from the expected one, relative, after rounding agrees.
pub const MAX_RELATIVE_ERROR: f64 = 0.05;
/// A ratio ("2/3", "千分之一") has no typed precision: it must be this close, relative.
const RATIO_RELATIVE_ERROR: f64 = 0.01;

/// The quiz's entry point: a number card is graded by value, any other by name.
pub fn check(
    typed: &str,
    answer: &str,
    accept: &[String],
    number: Option<f64>,
    percent: bool,
    index: &NameIndex,
) -> bool {
    match number {
        Some(n) => check_number(typed, n, percent),
        None => {
            let expected: Vec<String> = std::iter::once(answer.to_string())
                .chain(accept.iter().cloned())
                .collect();
            check_name(typed, &expected, index)
        }
    }
}

/// True when a figure answer as shown (`67.5%`, `10%`) is a percentage. Fill cards carry the
/// formatted answer, not the unit, and a percent unit is written right after the number.
pub fn is_percent_answer(answer: &str) -> bool {
    answer
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
        .starts_with('%')
}

// ---------------------------------------------------------------------------------------------
// Numbers

/// True when `typed` gives the expected number: see the module documentation.
pub fn check_number(typed: &str, expected: f64, percent: bool) -> bool {
    if negated(&fold_chars(typed)) {
        return false;
    }
    let all = read_numbers(typed);
    let strong: Vec<Reading> = all.iter().copied().filter(|r| !r.weak).collect();
    let used = if strong.is_empty() { all } else { strong };
    !used.is_empty() && used.iter().all(|r| reading_matches(r, expected, percent))
}

fn reading_matches(r: &Reading, expected: f64, percent: bool) -> bool {
    if r.vague {
        return false;
    }
    if percent {
        if r.percent {
            close(r.value, r.precision, expected)
        } else if r.ratio {
            close(r.value * 100.0, 0.0, expected)
        } else {
            // 67.5 (in percent) or 0.675 (a fraction): both are how people write 67.5%.
            close(r.value, r.precision, expected)
                || (r.value <= 1.0 && close(r.value * 100.0, r.precision * 100.0, expected))
        }
    } else {
        // A percentage is not an answer to a count ("1000 倍" is not "100000%").
        !r.percent && close(r.value, r.precision, expected)
    }
}

/// The two rules: the expected value rounds to the typed one at the typed precision, and the
/// two are within [`MAX_RELATIVE_ERROR`].
fn close(typed: f64, precision: f64, expected: f64) -> bool {
    if !typed.is_finite() || !expected.is_finite() {
        return false;
    }
    if expected == 0.0 {
        return typed == 0.0;
    }
    let rel = ((typed - expected) / expected).abs();
    if rel > MAX_RELATIVE_ERROR + 1e-9 {
        return false;
    }
    if precision <= 0.0 {
        return rel <= RATIO_RELATIVE_ERROR + 1e-9;
    }
    let q = expected / precision;
    // Half rounds up; the few-ulp epsilon keeps 67.49999… (binary floats) rounding like 67.5.
    let rounded = (q + 0.5 + 8.0 * f64::EPSILON * q.abs().max(1.0)).floor();
    (rounded - (typed / precision).round()).abs() < 0.5
}

// ---------------------------------------------------------------------------------------------
// Names

/// Every known name of every term, for grading typed names. Built once from the content.
#[derive(Debug, Clone, Default)]
pub struct NameIndex {
    entries: Vec<Vec<String>>,
    by_name: HashMap<String, Vec<usize>>,
    /// Each folded name once, with its characters, for searching typed text.
    patterns: Vec<(Vec<char>, String)>,
    /// The entries that are organisations (the glossary's `org` terms): a maker named before
    /// a model ("Meta 的 LLaMA") is not a second answer.
    makers: HashSet<usize>,
}

/// The reviewed table of other common Chinese renderings of one English term
/// (`renderings.toml`): a group adds all its spellings to the entry any of them names.
#[derive(serde::Deserialize)]
struct Renderings {
    groups: Vec<Vec<String>>,
}

fn renderings() -> Vec<Vec<String>> {
    // The table is compiled in and checked by a unit test, so a parse error cannot reach a
    // learner; an empty table only means fewer accepted spellings.
    toml::from_str::<Renderings>(include_str!("grading/renderings.toml"))
        .map(|r| r.groups)
        .unwrap_or_default()
}

/// Words a term's acronym skips ("Reinforcement Learning from Human Feedback" is RLHF).
const ACRONYM_SKIPS: [&str; 10] = [
    "of", "from", "the", "for", "and", "with", "to", "a", "an", "on",
];

/// The acronyms of an English name of two or more words: the initials of every word (CoT,
/// ICL), and of every word but the small ones (RLHF). "fine-tuning" is two words (SFT).
fn acronyms(name: &str) -> Vec<String> {
    let t = name.trim();
    if !t.is_ascii() {
        return Vec::new();
    }
    let words: Vec<&str> = t.split([' ', '-']).filter(|w| !w.is_empty()).collect();
    if words.len() < 2
        || !words
            .iter()
            .all(|w| w.chars().all(|c| c.is_ascii_alphabetic()))
    {
        return Vec::new();
    }
    let initials = |skip: bool| -> String {
        words
            .iter()
            .filter(|w| !(skip && ACRONYM_SKIPS.contains(&w.to_ascii_lowercase().as_str())))
            .filter_map(|w| w.chars().next())
            .collect()
    };
    let mut out = vec![initials(false)];
    let short = initials(true);
    if !out.contains(&short) {
        out.push(short);
    }
    // Two letters guess too much (SL, EA); the established two-letter ones (RM) are listed.
    out.retain(|a| a.len() >= 3);
    out
}

/// Words after a name that only say what kind of thing it is or that it is being used
/// ("LoRA 方法", "QLoRA 微调"): when the name alone is the answer, they are part of it.
const GENERIC_HEADS: [&str; 14] = [
    "模型",
    "方法",
    "技术",
    "基准",
    "数据集",
    "框架",
    "算法",
    "微调",
    "训练",
    "model",
    "method",
    "technique",
    "benchmark",
    "dataset",
];

impl NameIndex {
    /// `entries`: one list of names per term. A name may belong to several entries; `X（Y）`
    /// also gives X and Y (the abbreviation or the other language) as names.
    /// Each entry also gets the other renderings of its terms ([`renderings`]) and the
    /// acronyms of its English names that name nothing else.
    pub fn new(entries: Vec<Vec<String>>) -> NameIndex {
        NameIndex::with_makers(entries, HashSet::new())
    }

    /// As [`NameIndex::new`], with the entries that are organisations.
    pub fn with_makers(mut entries: Vec<Vec<String>>, makers: HashSet<usize>) -> NameIndex {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        let add = |by_name: &mut HashMap<String, Vec<usize>>, id: usize, name: &str| {
            for n in name_variants(name) {
                let f = fold_name(&n).text();
                if f.is_empty() {
                    continue;
                }
                let ids = by_name.entry(f).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        };
        for (id, names) in entries.iter().enumerate() {
            for n in names {
                add(&mut by_name, id, n);
            }
        }
        for group in renderings() {
            let ids: HashSet<usize> = group
                .iter()
                .flat_map(|n| {
                    by_name
                        .get(&fold_name(n).text())
                        .cloned()
                        .unwrap_or_default()
                })
                .collect();
            for &id in &ids {
                for n in &group {
                    add(&mut by_name, id, n);
                    if !entries[id].contains(n) {
                        entries[id].push(n.clone());
                    }
                }
            }
        }
        // An acronym joins only when no other entry has or makes it: "PPO" from "Proximal
        // Policy Optimization", never a guess that two terms share.
        let mut made: HashMap<String, HashSet<usize>> = HashMap::new();
        for (id, names) in entries.iter().enumerate() {
            for a in names.iter().flat_map(|n| acronyms(n)) {
                made.entry(fold_name(&a).text()).or_default().insert(id);
            }
        }
        for (acronym, ids) in made {
            let taken = by_name
                .get(&acronym)
                .is_some_and(|owners| owners.iter().any(|o| !ids.contains(o)));
            if ids.len() == 1 && !taken {
                if let Some(&id) = ids.iter().next() {
                    by_name.entry(acronym).or_default().push(id);
                }
            }
        }
        let mut patterns: Vec<(Vec<char>, String)> = by_name
            .keys()
            .map(|k| (k.chars().collect(), k.clone()))
            .collect();
        patterns.sort_by(|a, b| a.1.cmp(&b.1));
        NameIndex {
            entries,
            by_name,
            patterns,
            makers,
        }
    }

    /// The names of every thing the content knows ([`crate::content::names::entries`]:
    /// concepts with their aliases, glossary terms, paper terms), one entry per thing.
    pub fn from_content(content: &Content) -> NameIndex {
        let entries = crate::content::names::entries(content);
        let makers = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                content.glossary.iter().any(|t| {
                    t.kind == "org" && e.key.strip_prefix("glossary:") == Some(t.slug.as_str())
                })
            })
            .map(|(i, _)| i)
            .collect();
        NameIndex::with_makers(entries.into_iter().map(|e| e.names).collect(), makers)
    }

    /// The entries that `name` names exactly (after folding).
    pub fn lookup(&self, name: &str) -> &[usize] {
        self.by_name
            .get(&fold_name(name).text())
            .map_or(&[], Vec::as_slice)
    }

    /// The names of one entry, as given.
    pub fn entry(&self, id: usize) -> Option<&[String]> {
        self.entries.get(id).map(Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A name and, for `X（Y）`, X and Y: the answer "奖励模型（RM）" is named by each.
fn name_variants(name: &str) -> Vec<String> {
    let mut out = vec![name.to_string()];
    let t = name.trim();
    // "Low-Rank Adapters" is also typed in the singular.
    if t.contains(' ') && t.ends_with('s') && t.is_ascii() && t.len() > 4 {
        out.push(t[..t.len() - 1].to_string());
    }
    if let Some(body) = t.strip_suffix(')').or_else(|| t.strip_suffix('）')) {
        if let Some(open) = body.rfind(['(', '（']) {
            let outer = body[..open].trim();
            let inner = body[open..].trim_start_matches(['(', '（']).trim();
            for part in [outer, inner] {
                let is_size = read_numbers(part).len() == 1
                    && part.chars().filter(|c| c.is_alphabetic()).count() <= 2
                    && !part.chars().any(|c| c.is_alphabetic() && !c.is_ascii());
                if part.chars().count() >= 2 && !inner.contains([',', '，', '、']) && !is_size {
                    out.push(part.to_string());
                }
            }
        }
    }
    out
}

/// Text folded for name matching: the kept characters, and for each whether a separator
/// (space, punctuation) stood right before it. Separators matter only at word edges.
#[derive(Debug, Clone, Default)]
struct Folded {
    chars: Vec<char>,
    sep: Vec<bool>,
}

impl Folded {
    fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// True when positions `k-1` and `k` are one Latin word or one number, so a name may not
    /// start or end between them.
    fn joined(&self, k: usize) -> bool {
        k > 0
            && k < self.chars.len()
            && !self.sep[k]
            && class(self.chars[k - 1]) != 0
            && class(self.chars[k - 1]) == class(self.chars[k])
    }
}

fn class(c: char) -> u8 {
    if c.is_ascii_alphabetic() {
        1
    } else if c.is_ascii_digit() || c == '.' {
        2
    } else {
        0
    }
}

/// Folds for names: width, case, separators dropped (remembered), a '.' between digits kept,
/// model sizes spelled one way (`650亿参数`, `65 billion` and `65B` all become `65b`).
fn fold_name(s: &str) -> Folded {
    let raw = canonical_sizes(&fold_chars(s));
    let mut out = Folded::default();
    let mut pending = false;
    for (i, &c) in raw.iter().enumerate() {
        let keep_dot = c == '.'
            && i > 0
            && raw[i - 1].is_ascii_digit()
            && raw.get(i + 1).is_some_and(char::is_ascii_digit);
        if !keep_dot && (c.is_whitespace() || is_punct(c)) {
            pending = true;
            continue;
        }
        out.sep.push(pending);
        out.chars.push(c);
        pending = false;
    }
    out
}

/// Rewrites model sizes as `<n>b` / `<n>m`, and drops a "参数"/"parameters" after them.
fn canonical_sizes(c: &[char]) -> Vec<char> {
    const CN: [(&str, i32); 4] = [("万亿", 12), ("千亿", 11), ("百亿", 10), ("亿", 8)];
    let mut out = Vec::with_capacity(c.len());
    let mut i = 0;
    while i < c.len() {
        let starts_number =
            c[i].is_ascii_digit() && (i == 0 || !(c[i - 1].is_ascii_digit() || c[i - 1] == '.'));
        if starts_number {
            if let Some((digits, decimals, _, j)) = arabic_at(c, i) {
                let k = skip_spaces(c, j);
                let mag = CN
                    .iter()
                    .find(|(w, _)| starts_with(c, k, w))
                    .map(|(w, e)| (*e, k + w.chars().count()))
                    .or_else(|| english_magnitude(c, j).filter(|(e, _)| *e >= 6));
                if let Some((e, mut end)) = mag {
                    let v = decimal(&digits, e - decimals);
                    let (unit, scale) = if v >= 1e9 { ('b', 1e9) } else { ('m', 1e6) };
                    let mut s = format!("{:.3}", v / scale);
                    while s.contains('.') && (s.ends_with('0') || s.ends_with('.')) {
                        s.pop();
                    }
                    out.extend(s.chars());
                    out.push(unit);
                    let k = skip_spaces(c, end);
                    for w in ["个参数", "参数", "parameters", "parameter", "params"] {
                        if starts_with(c, k, w) {
                            end = k + w.chars().count();
                            break;
                        }
                    }
                    i = end;
                    continue;
                }
                out.extend(&c[i..j]);
                i = j;
                continue;
            }
        }
        out.push(c[i]);
        i += 1;
    }
    out
}

/// A size token `65b`, `1.3b`, `700m` at `k` in folded text, and its text.
fn size_token(t: &Folded, k: usize) -> Option<String> {
    let mut j = k;
    while j < t.chars.len()
        && (t.chars[j].is_ascii_digit() || t.chars[j] == '.')
        && (j == k || !t.sep[j])
    {
        j += 1;
    }
    if j == k || j >= t.chars.len() || t.sep[j] || !matches!(t.chars[j], 'b' | 'm' | 'k' | 't') {
        return None;
    }
    if t.chars.get(j + 1).is_some_and(char::is_ascii_alphabetic) && !t.sep[j + 1] {
        return None;
    }
    Some(t.chars[k..=j].iter().collect())
}

/// Every place one of `patterns` occurs in `t`, whole words only: (start, end, length, name).
fn occurrences<'p>(
    t: &Folded,
    patterns: impl Iterator<Item = &'p (Vec<char>, String)>,
) -> Vec<(usize, usize, usize, &'p str)> {
    let mut found = Vec::new();
    for (pat, name) in patterns {
        let n = pat.len();
        if n == 0 || n > t.chars.len() {
            continue;
        }
        for s in 0..=t.chars.len() - n {
            if t.chars[s..s + n] != pat[..] || t.joined(s) {
                continue;
            }
            let mut e = s + n;
            if t.joined(e) {
                // "transformers" for "Transformer": a plural s ends the word.
                let plural = t.chars[e] == 's' && class(pat[n - 1]) == 1 && !t.joined(e + 1);
                if !plural {
                    continue;
                }
                e += 1;
            }
            found.push((s, e, n, name.as_str()));
        }
    }
    found
}

/// True when `typed` names the expected thing: see the module documentation. `expected` is
/// the card's answer and its accepted names.
pub fn check_name(typed: &str, expected: &[String], index: &NameIndex) -> bool {
    let t = fold_name(typed);
    if t.chars.is_empty() || negated(&fold_chars(typed)) {
        return false;
    }
    let expected_names: HashSet<String> = expected
        .iter()
        .flat_map(|e| name_variants(e))
        .map(|e| fold_name(&e).text())
        .filter(|e| !e.is_empty())
        .collect();
    let expected_entries: HashSet<usize> = expected_names
        .iter()
        .flat_map(|e| index.by_name.get(e).into_iter().flatten().copied())
        .collect();

    // Every place a known name occurs, whole words only.
    let extra: Vec<(Vec<char>, String)> = expected_names
        .iter()
        .filter(|e| !index.by_name.contains_key(*e))
        .map(|e| (e.chars().collect(), e.clone()))
        .collect();
    let mut found = occurrences(&t, index.patterns.iter().chain(extra.iter()));
    // Longest first, then leftmost; a shorter name inside a longer one is part of it.
    found.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let mut taken = vec![false; t.chars.len()];
    let mut names: Vec<(usize, usize, &str, bool)> = Vec::new(); // (start, end, name, right)
    for (s, e, _, name) in found {
        if taken[s..e].iter().any(|x| *x) {
            continue;
        }
        taken[s..e].iter_mut().for_each(|x| *x = true);
        let entries = index.by_name.get(name).map_or(&[][..], Vec::as_slice);
        let right =
            expected_names.contains(name) || entries.iter().any(|i| expected_entries.contains(i));
        names.push((s, e, name, right));
    }
    names.sort_by_key(|n| n.0);
    let mut any_right = false;
    for (k, &(s, e, name, right)) in names.iter().enumerate() {
        if !right {
            let entries = index.by_name.get(name).map_or(&[][..], Vec::as_slice);
            // "Meta 的 LLaMA": a maker right before the right name, at most a 的 between.
            let maker = !entries.is_empty() && entries.iter().all(|i| index.makers.contains(i));
            let next_right = names
                .get(k + 1)
                .filter(|n| n.3 && (n.0 == e || (n.0 == e + 1 && t.chars[e] == '的')));
            // "QLoRA 微调": a generic word right after the right name.
            let after_right = k > 0 && names[k - 1].3 && names[k - 1].1 == s;
            let generic = GENERIC_HEADS.contains(&name);
            let excused = (maker && next_right.is_some()) || (generic && after_right);
            if !excused {
                return false;
            }
            continue;
        }
        // "PaLM 62B" for "PaLM 540B": the right model with a different size is another model.
        if let Some(size) = size_token(&t, e) {
            let contradicts = expected_names.iter().any(|x| {
                x.strip_prefix(name).is_some_and(|rest| {
                    let r = fold_name(rest);
                    size_token(&r, 0).is_some_and(|s| s.len() == rest.chars().count() && s != size)
                })
            });
            if contradicts {
                return false;
            }
        }
        any_right = true;
    }
    any_right
}

#[cfg(test)]
mod tests;
