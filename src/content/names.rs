//! Every name the content knows for a thing: the concepts, the glossary terms (models, systems,
//! datasets, plain-language terms) and the terms listed on paper pages. Pure; built from
//! [`Content`].
//!
//! One table serves three jobs, so a name is declared once in the content: typed answers accept
//! any name of the expected thing, two options that name one thing are never shown together, and
//! `check-content` finds a thing spelled two ways.

use super::model::Content;
use crate::text::normalize::fold;
use std::collections::HashMap;

/// One thing and all its names.
#[derive(Debug, Clone, PartialEq)]
pub struct NameEntry {
    /// Unique: `concept:rlhf`, `glossary:transformer`, `term:稠密激活`.
    pub key: String,
    /// The name the site shows.
    pub display: String,
    /// Every name, the display name first.
    pub names: Vec<String>,
    /// Where a learner finds it explained, when anywhere.
    pub href: Option<String>,
}

/// The names in one written name: `少样本提示（上下文学习）` is itself, 少样本提示 and 上下文学习;
/// `benchmarks (MMLU, GSM8K)` is itself and benchmarks (a list in brackets names no synonym).
pub fn names_in(written: &str) -> Vec<String> {
    let written = written.trim();
    let mut out = vec![written.to_string()];
    let open = written.find(['（', '(']);
    let close = written.rfind(['）', ')']);
    if let (Some(o), Some(c)) = (open, close) {
        if o < c {
            let outside = format!(
                "{}{}",
                &written[..o],
                &written[c + written[c..].chars().next().map_or(1, char::len_utf8)..]
            );
            let inside_start = o + written[o..].chars().next().map_or(1, char::len_utf8);
            let inside = &written[inside_start..c];
            out.push(outside.trim().to_string());
            if !inside.contains([',', '，', '、']) {
                out.push(inside.trim().to_string());
            }
        }
    }
    out.retain(|n| !fold(n).is_empty());
    out
}

/// The names in an `en` field: comma-separated parts, each read by [`names_in`].
fn names_in_list(list: &str) -> Vec<String> {
    // Commas inside brackets belong to the bracket ("benchmarks (MMLU, GSM8K)").
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for ch in list.chars() {
        match ch {
            '(' | '（' => depth += 1,
            ')' | '）' => depth -= 1,
            _ => {}
        }
        if (ch == ',' || ch == '，') && depth <= 0 {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(ch);
        }
    }
    parts.push(cur);
    parts.iter().flat_map(|p| names_in(p)).collect()
}

fn push_unique(names: &mut Vec<String>, more: impl IntoIterator<Item = String>) {
    for n in more {
        let f = fold(&n);
        if !f.is_empty() && !names.iter().any(|m| fold(m) == f) {
            names.push(n);
        }
    }
}

/// All the things the content names. Paper terms that repeat a concept's or a glossary term's
/// name are not listed again, and one paper term listed on several pages is one entry.
pub fn entries(content: &Content) -> Vec<NameEntry> {
    let mut out: Vec<NameEntry> = Vec::new();
    for c in &content.concepts {
        let mut names = Vec::new();
        push_unique(&mut names, names_in(&c.name));
        push_unique(&mut names, names_in_list(&c.en));
        push_unique(&mut names, c.aliases.iter().flat_map(|a| names_in(a)));
        out.push(NameEntry {
            key: format!("concept:{}", c.slug),
            display: c.name.clone(),
            names,
            href: Some(format!("/concepts/{}", c.slug)),
        });
    }
    for t in &content.glossary {
        let mut names = Vec::new();
        push_unique(&mut names, names_in(&t.name));
        if let Some(en) = &t.en {
            push_unique(&mut names, names_in_list(en));
        }
        push_unique(&mut names, t.aliases.iter().flat_map(|a| names_in(a)));
        let href = match (&t.gloss, &t.paper) {
            (Some(_), _) => Some(format!("/glossary#{}", t.slug)),
            (None, Some(p)) => Some(format!("/papers/{p}")),
            (None, None) => None,
        };
        out.push(NameEntry {
            key: format!("glossary:{}", t.slug),
            display: t.name.clone(),
            names,
            href,
        });
    }
    for p in &content.papers {
        for t in &p.terms {
            let primary = names_in(&t.zh);
            let known = primary.iter().any(|n| {
                let f = fold(n);
                out.iter()
                    .any(|e| e.names.iter().take(2).any(|m| fold(m) == f))
            });
            if known {
                continue;
            }
            let mut names = Vec::new();
            push_unique(&mut names, primary);
            push_unique(&mut names, names_in_list(&t.en));
            let explained = t.gloss.is_some();
            out.push(NameEntry {
                key: format!("term:{}", t.zh),
                display: t.zh.clone(),
                names,
                href: explained.then(|| format!("/papers/{}#terms", p.slug)),
            });
        }
    }
    out
}

/// The size after a model's name: `540B`, `65B`, `70B`, `5400 亿`.
fn strip_size(s: &str) -> &str {
    let t = s.trim_end();
    let t = t
        .strip_suffix("个参数")
        .or_else(|| t.strip_suffix("参数"))
        .unwrap_or(t)
        .trim_end();
    let t = t
        .strip_suffix(['B', 'b', 'M', 'K', 'T'])
        .or_else(|| t.strip_suffix('亿'))
        .map(str::trim_end);
    let Some(t) = t else { return s };
    let digits = t
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit() || *c == '.')
        .last()
        .map(|(i, _)| i);
    match digits {
        Some(i) if i > 0 => t[..i].trim_end_matches([' ', '-']),
        _ => s,
    }
}

/// The name table: every entry, and each folded name to the entries it names.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub entries: Vec<NameEntry>,
    by_fold: HashMap<String, Vec<usize>>,
}

impl Names {
    pub fn new(content: &Content) -> Names {
        Names::from_entries(entries(content))
    }

    pub fn from_entries(entries: Vec<NameEntry>) -> Names {
        let mut by_fold: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            for n in &e.names {
                let v = by_fold.entry(fold(n)).or_default();
                if !v.contains(&i) {
                    v.push(i);
                }
            }
        }
        Names { entries, by_fold }
    }

    /// What an option means, for telling apart two options: the things it names (a model's
    /// name with its size names the model), else its folded text without any bracketed part.
    pub fn meaning(&self, option: &str) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for candidate in [option, strip_size(option)].into_iter().flat_map(names_in) {
            for i in self.by_fold.get(&fold(&candidate)).into_iter().flatten() {
                let k = &self.entries[*i].key;
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        if keys.is_empty() {
            let names = names_in(option);
            let base = names.get(1).unwrap_or(&names[0]);
            keys.push(format!("text:{}", fold(strip_size(base))));
        }
        keys
    }

    /// Whether the two options say the same thing.
    pub fn same_meaning(&self, a: &str, b: &str) -> bool {
        let ma = self.meaning(a);
        self.meaning(b).iter().any(|k| ma.contains(k))
    }

    /// All names of the things `option` names, and the option itself.
    pub fn all_names(&self, option: &str) -> Vec<String> {
        let keys = self.meaning(option);
        let mut names = names_in(option);
        for e in self.entries.iter().filter(|e| keys.contains(&e.key)) {
            push_unique(&mut names, e.names.iter().cloned());
        }
        names
    }
}

/// Whether `text` mentions `name`: CJK names as substrings, Latin names as whole words (so that
/// "RM" is not found in "RMSNorm"). Case, width, spaces and hyphens are ignored.
pub fn mentions(text: &str, name: &str) -> bool {
    let n = fold(name);
    if n.chars().count() < 2 {
        return false;
    }
    find_loose(text, name).is_some()
}

/// A text prepared for [`Haystack::find_all`]: its characters with their byte offsets, each
/// also folded once (full-width to ASCII, lower case). Searching one text for many names
/// (the glossary links, the spelling lint) folds it once instead of once per name, which was
/// most of a start-up in the test build.
pub struct Haystack<'a> {
    text: &'a str,
    chars: Vec<(usize, char)>,
    lowered: Vec<char>,
}

impl<'a> Haystack<'a> {
    pub fn new(text: &'a str) -> Haystack<'a> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let lowered = chars.iter().map(|&(_, c)| fold_char(c)).collect();
        Haystack {
            text,
            chars,
            lowered,
        }
    }

    /// The text's characters as the search compares them (full-width to ASCII, lower case).
    pub fn folded(&self) -> &[char] {
        &self.lowered
    }

    /// Where `name` occurs when case, spaces and hyphens are ignored, as byte ranges of the
    /// text, whole words only at Latin edges.
    pub fn find_all(&self, name: &str) -> Vec<(usize, usize)> {
        let pat: Vec<char> = fold(name).chars().collect();
        let (chars, lowered) = (&self.chars, &self.lowered);
        let (Some(&first), Some(&last)) = (pat.first(), pat.last()) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if lowered[i] != first {
                i += 1;
                continue;
            }
            let mut j = i;
            let mut k = 0;
            while k < pat.len() && j < chars.len() {
                let c = chars[j].1;
                if k > 0 && (c == ' ' || c == '-' || c == '\u{3000}') {
                    j += 1;
                    continue;
                }
                if lowered[j] != pat[k] {
                    break;
                }
                j += 1;
                k += 1;
            }
            if k == pat.len() {
                let before_ok = i == 0
                    || !(chars[i - 1].1.is_ascii_alphanumeric() && first.is_ascii_alphanumeric());
                let after_ok = j >= chars.len()
                    || !(chars[j].1.is_ascii_alphanumeric() && last.is_ascii_alphanumeric());
                if before_ok && after_ok {
                    let start = chars[i].0;
                    let end = chars.get(j).map_or(self.text.len(), |c| c.0);
                    out.push((start, end));
                    i = j;
                    continue;
                }
            }
            i += 1;
        }
        out
    }
}

/// One character as the loose search compares it: full-width forms as ASCII, lower case.
fn fold_char(c: char) -> char {
    let c = match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        _ => c,
    };
    c.to_lowercase().next().unwrap_or(c)
}

/// Where `name` occurs in `text` when case, spaces and hyphens are ignored, as byte ranges of
/// `text`, whole words only at Latin edges. For many names in one text, [`Haystack`].
pub fn find_all_loose(text: &str, name: &str) -> Vec<(usize, usize)> {
    Haystack::new(text).find_all(name)
}

fn find_loose(text: &str, name: &str) -> Option<(usize, usize)> {
    find_all_loose(text, name).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracketed_synonyms_are_names_and_bracketed_lists_are_not() {
        assert_eq!(
            names_in("少样本提示（上下文学习）"),
            vec!["少样本提示（上下文学习）", "少样本提示", "上下文学习"]
        );
        assert_eq!(
            names_in_list("benchmarks (MMLU, GSM8K), evals"),
            vec!["benchmarks (MMLU, GSM8K)", "benchmarks", "evals"]
        );
        assert_eq!(
            names_in_list("RLHF, Reinforcement Learning"),
            vec!["RLHF", "Reinforcement Learning"]
        );
    }

    #[test]
    fn sizes_after_model_names_are_stripped() {
        assert_eq!(strip_size("PaLM 540B"), "PaLM");
        assert_eq!(strip_size("LLaMA-65B"), "LLaMA");
        assert_eq!(strip_size("Llama 2-70B"), "Llama 2");
        assert_eq!(strip_size("GPT-4"), "GPT-4");
        assert_eq!(strip_size("T5"), "T5");
        assert_eq!(strip_size("540B"), "540B");
    }

    #[test]
    fn loose_matches_ignore_case_space_and_hyphen_at_word_edges() {
        assert_eq!(find_all_loose("用 Llama-2 和 LLaMA 2", "Llama 2").len(), 2);
        assert!(find_all_loose("QLoRA 用了 LoRA", "LoRA").len() == 1);
        assert!(!mentions("RMSNorm 归一化", "RM"));
        assert!(mentions("奖励模型（RM）给回答打分", "RM"));
        assert!(mentions("想对照 PaLM 的多语言能力", "PaLM"));
    }
}
