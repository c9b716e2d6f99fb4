//! Content lints that `paperdeck check-content` runs over the content and the cards generated
//! from it. Pure. Each rule catches a class of quiz defect that a reviewer found once by hand,
//! so that it cannot come back unnoticed:
//!
//! - `duplicate-option`: two options of one card mean the same (奖励模型 / 奖励模型（RM）,
//!   PaLM / PaLM 540B, 54% / 54.3%);
//! - `option-named-in-question`: an option is the thing the question is about, or the question
//!   gives its answer away;
//! - `bound-words`: a figure question asks for a bound (超过多少, 至少多少倍, 最多多少) without
//!   saying so with `bound`, so generated smaller numbers would be true as well;
//! - `bound-options`: a bounded figure offers an option on the side where it is also true;
//! - `unexplained-answer`: a quiz answer names a term the learner can find explained nowhere;
//! - `spelling`: a model, system, dataset, benchmark or organisation is spelled in a way that is
//!   not one of its declared names (Llama-2 beside Llama 2);
//! - `impossible-option`: an option that cannot be right in the question's own terms (240 of
//!   "26 种语言", 96 GB for what fits on "一块 48GB 的 GPU");
//! - `bound-extreme`: a bounded figure whose wrong options all lie on one side, so the right
//!   answer is always the largest (or smallest) option;
//! - `word-match`: a word of the question that only the right option shares (微调 → 监督微调);
//! - `paperless-prompt`: a prompt that says 这篇论文 / 本文 / 论文 but names no paper of its own;
//! - `why-verdict`: a statement's `why` opens by calling "the statement" false (or true), while
//!   it is shown after the true and the false variants alike.

use super::{same_figure, Card, CardData, CardKind};
use crate::content::names::{self, NameEntry, Names};
use crate::content::{Bound, Content, FactBody};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LintIssue {
    pub rule: &'static str,
    /// `papers/palm.md facts.gsm8k-cot` and the like.
    pub place: String,
    pub message: String,
}

impl std::fmt::Display for LintIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}: {}", self.rule, self.place, self.message)
    }
}

/// Words that make a figure question ask for a bound rather than a value.
const LOWER_WORDS: [&str; 6] = ["超过", "至少", "以上", "多于", "不少于", "不止"];
/// "排在前百分之多少": a rank within the top 10% is within the top 20% too.
const UPPER_WORDS: [&str; 7] = ["最多", "至多", "不超过", "以内", "不到", "少于", "前百分之"];

/// "一块 48GB 的 GPU 就能微调": what suffices, so anything bigger suffices too.
const IMPLIED_UPPER_WORDS: [&str; 6] = ["就能", "只需", "仅需", "只要", "就够", "即可"];
/// A question that asks for the number the paper states asks for a value, not a bound.
const STATED_WORDS: [&str; 3] = ["给出的数字", "报告的数字", "写的数字"];

/// All issues, in a stable order.
pub fn lint(content: &Content, cards: &[Card]) -> Vec<LintIssue> {
    let entries = Names::new(content);
    let mut out = Vec::new();
    options_rules(cards, &entries, &mut out);
    bound_rules(content, cards, &mut out);
    unexplained_answers(content, &entries, &mut out);
    spelling(content, &entries, &mut out);
    quiz::impossible_options(content, cards, &mut out);
    quiz::word_match(content, cards, &mut out);
    quiz::paperless_prompts(content, cards, &entries, &mut out);
    quiz::why_verdicts(content, &mut out);
    out
}

/// The bound a figure question implies by its words: an explicit one (超过, 最多, 前百分之…), or
/// one implied by what suffices (就能, 只需, 一块…就). None when it asks for the stated number.
fn asked_bound(question: &str) -> Option<(Bound, &'static str)> {
    if STATED_WORDS.iter().any(|w| question.contains(w)) {
        return None;
    }
    let find = |words: &[&'static str]| words.iter().find(|w| question.contains(**w)).copied();
    if let Some(w) = find(&LOWER_WORDS) {
        return Some((Bound::Lower, w));
    }
    if let Some(w) = find(&UPPER_WORDS).or_else(|| find(&IMPLIED_UPPER_WORDS)) {
        return Some((Bound::Upper, w));
    }
    let one_then = question
        .find("一块")
        .is_some_and(|i| question[i..].contains('就'));
    one_then.then_some((Bound::Upper, "一块…就"))
}

fn card_place(c: &Card) -> String {
    format!(
        "papers/{}.md facts.{} ({})",
        c.paper,
        c.fact_key,
        c.kind.as_str()
    )
}

fn options_of(c: &Card) -> Option<(&String, &Vec<String>)> {
    match &c.data {
        CardData::Choice {
            answer,
            distractors,
        } => Some((answer, distractors)),
        _ => None,
    }
}

fn is_number(s: &str) -> bool {
    s.trim_start().starts_with(|c: char| c.is_ascii_digit())
        && crate::text::normalize::parse_quantity(s).is_some()
}

fn options_rules(cards: &[Card], entries: &Names, out: &mut Vec<LintIssue>) {
    for c in cards.iter().filter(|c| c.kind == CardKind::Choice) {
        let Some((answer, distractors)) = options_of(c) else {
            continue;
        };
        let options: Vec<&String> = std::iter::once(answer).chain(distractors).collect();
        for (i, a) in options.iter().enumerate() {
            for b in &options[i + 1..] {
                let same = if is_number(a) && is_number(b) {
                    same_figure(a, b)
                } else {
                    entries.same_meaning(a, b)
                };
                if same {
                    out.push(LintIssue {
                        rule: "duplicate-option",
                        place: card_place(c),
                        message: format!("选项 “{a}” 和 “{b}” 意思相同"),
                    });
                }
            }
            if is_number(a) {
                continue;
            }
            // A question may describe its answer in other words ("哪个竞赛编程数据集？" for
            // CodeContests), but must not write the answer itself, nor any name of a wrong option.
            let named = if i == 0 {
                names::names_in(a)
            } else {
                entries.all_names(a)
            };
            if let Some(n) = named.into_iter().find(|n| names::mentions(&c.prompt, n)) {
                out.push(LintIssue {
                    rule: "option-named-in-question",
                    place: card_place(c),
                    message: if i == 0 {
                        format!("题目里已经出现了答案 “{n}”")
                    } else {
                        format!("干扰项 “{a}” 就是题目所问的对象（题目里有 “{n}”）")
                    },
                });
            }
        }
    }
}

fn bound_rules(content: &Content, cards: &[Card], out: &mut Vec<LintIssue>) {
    for p in &content.papers {
        for f in &p.facts {
            let FactBody::Figure {
                question,
                number,
                bound,
                ..
            } = &f.body
            else {
                continue;
            };
            let place = format!("papers/{}.md facts.{}", p.slug, f.key);
            let asked = asked_bound(question);
            match (bound, asked) {
                (None, Some((Bound::Lower, w))) => out.push(LintIssue {
                    rule: "bound-words",
                    place: place.clone(),
                    message: format!(
                        "问题里有 “{w}”：更小的数字也会是对的。请改问论文给出的数字，或写 bound = \"lower\""
                    ),
                }),
                (None, Some((Bound::Upper, w))) => out.push(LintIssue {
                    rule: "bound-words",
                    place: place.clone(),
                    message: format!(
                        "问题里有 “{w}”：更大的数字也会是对的。请改问论文给出的数字，或写 bound = \"upper\""
                    ),
                }),
                _ => {}
            }
            let Some(card) = cards
                .iter()
                .find(|c| c.paper == p.slug && c.fact_key == f.key && c.kind == CardKind::Choice)
            else {
                continue;
            };
            let Some((_, distractors)) = options_of(card) else {
                continue;
            };
            if bound.is_some() || asked.is_some() {
                let sides: Vec<bool> = distractors
                    .iter()
                    .filter_map(|d| crate::text::normalize::parse_quantity(d))
                    .map(|v| v > *number)
                    .collect();
                if sides.len() == distractors.len() && sides.iter().all(|s| *s == sides[0]) {
                    out.push(LintIssue {
                        rule: "bound-extreme",
                        place: place.clone(),
                        message: format!(
                            "错误选项全在答案的{}一侧：答案总是{}的那个选项，不懂也能选对。请改问论文给出的数字（去掉 bound），让干扰项落在两侧",
                            if sides.first() == Some(&true) { "上方" } else { "下方" },
                            if sides.first() == Some(&true) { "最小" } else { "最大" }
                        ),
                    });
                }
            }
            for d in distractors {
                let Some(v) = crate::text::normalize::parse_quantity(d) else {
                    continue;
                };
                if !Bound::is_false_option(*bound, v, *number) {
                    out.push(LintIssue {
                        rule: "bound-options",
                        place: place.clone(),
                        message: format!("选项 “{d}” 也符合这个上下限，不能当错误选项"),
                    });
                }
            }
        }
    }
}

fn unexplained_answers(content: &Content, entries: &Names, out: &mut Vec<LintIssue>) {
    for p in &content.papers {
        for f in &p.facts {
            let FactBody::Qa { answer, .. } = &f.body else {
                continue;
            };
            let keys = entries.meaning(answer);
            let explained = entries
                .entries
                .iter()
                .any(|e| keys.contains(&e.key) && e.href.is_some());
            if !explained {
                out.push(LintIssue {
                    rule: "unexplained-answer",
                    place: format!("papers/{}.md facts.{}", p.slug, f.key),
                    message: format!(
                        "答案 “{answer}” 不在概念表、glossary.toml 或任何论文的术语表里：学习者找不到它的解释"
                    ),
                });
            }
        }
    }
}

/// Every text a learner reads, with where it stands. Paper titles are the papers' own English
/// titles and `accept` lists are meant to hold other spellings, so neither is checked.
fn texts(content: &Content) -> Vec<(String, String)> {
    let mut t = Vec::new();
    for p in &content.papers {
        let at = |field: &str| format!("papers/{}.md {field}", p.slug);
        t.push((at("hook"), p.hook.clone()));
        t.push((at("title_zh"), p.title_zh.clone()));
        for s in &p.sections {
            // The prose as written: the notes on terms are the glossary's text, checked there.
            let prose = crate::content::markdown::render(&s.markdown);
            t.push((at(&format!("(正文) {}", s.title)), strip_tags(&prose)));
        }
        for f in &p.figures {
            let text = format!(
                "{} {} {}",
                f.label,
                f.value,
                f.note.as_deref().unwrap_or("")
            );
            t.push((at("figures"), text));
        }
        for term in &p.terms {
            let text = format!("{} {}", term.zh, term.gloss.as_deref().unwrap_or(""));
            t.push((at("terms"), text));
        }
        for f in &p.facts {
            let mut parts = vec![f.why.clone()];
            match &f.body {
                FactBody::Qa {
                    question,
                    answer,
                    distractors,
                    ..
                } => {
                    parts.push(question.clone());
                    parts.push(answer.clone());
                    parts.extend(distractors.iter().cloned());
                }
                FactBody::Figure { question, .. } => parts.push(question.clone()),
                FactBody::Statement {
                    statement,
                    false_variants,
                } => {
                    parts.push(statement.clone());
                    parts.extend(false_variants.iter().cloned());
                }
                FactBody::Contribution { text } => parts.push(text.clone()),
                FactBody::Recall { question, answer } => {
                    parts.push(question.clone());
                    parts.push(answer.clone());
                }
            }
            t.push((at(&format!("facts.{}", f.key)), parts.join("\n")));
        }
    }
    for c in &content.concepts {
        let at = format!("concepts.toml {}", c.slug);
        t.push((
            at.clone(),
            format!("{}\n{}", c.summary, strip_tags(&c.body_html)),
        ));
    }
    for g in &content.glossary {
        if let Some(gloss) = &g.gloss {
            t.push((format!("glossary.toml {}", g.slug), gloss.clone()));
        }
    }
    t
}

/// The text of rendered HTML: link targets such as `/papers/chinchilla` are not prose.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    out
}

fn spelling(content: &Content, entries: &Names, out: &mut Vec<LintIssue>) {
    // Proper names only: a model, system, dataset, benchmark or organisation, and the papers'
    // short names. Common words may fairly change case at the start of a sentence.
    let proper: Vec<&NameEntry> = entries
        .entries
        .iter()
        .filter(|e| {
            content.glossary.iter().any(|g| {
                e.key == format!("glossary:{}", g.slug) && g.kind != "term" && g.kind != "method"
            }) || content.papers.iter().any(|p| e.display == p.short)
        })
        .collect();
    let mut names: Vec<(&str, &NameEntry)> = proper
        .iter()
        .flat_map(|e| e.names.iter().map(move |n| (n.as_str(), *e)))
        .filter(|(n, _)| n.chars().any(|c| c.is_ascii_alphabetic()))
        .collect();
    // Longest first, so that "Llama 2" is read before "LLaMA" and "GPT-3.5" before "GPT-3".
    names.sort_by_key(|(n, _)| std::cmp::Reverse(crate::text::normalize::fold(n).len()));
    for (place, text) in texts(content) {
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let hay = names::Haystack::new(&text);
        for (name, entry) in &names {
            for (s, e) in hay.find_all(name) {
                if taken.iter().any(|(a, b)| s < *b && *a < e) {
                    continue;
                }
                taken.push((s, e));
                let written = &text[s..e];
                let declared = proper
                    .iter()
                    .flat_map(|p| p.names.iter())
                    .any(|n| n == written);
                if !declared {
                    out.push(LintIssue {
                        rule: "spelling",
                        place: place.clone(),
                        message: format!(
                            "“{written}” 应写作 “{}”（或把这种写法加进它的 aliases）",
                            entry.display
                        ),
                    });
                }
            }
        }
    }
}

mod quiz;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Fact, GlossaryTerm};

    fn shipped() -> Content {
        crate::content::embedded().expect("shipped content is valid")
    }

    fn rules(content: &Content, cards: &[Card]) -> Vec<&'static str> {
        lint(content, cards).into_iter().map(|i| i.rule).collect()
    }

    fn choice_card(prompt: &str, answer: &str, distractors: &[&str]) -> Card {
        Card {
            id: "fixture".into(),
            paper: "palm".into(),
            fact_key: "fixture".into(),
            kind: CardKind::Choice,
            concept: "pretraining".into(),
            prompt: prompt.into(),
            data: CardData::Choice {
                answer: answer.into(),
                distractors: distractors.iter().map(|s| s.to_string()).collect(),
            },
            explanation: String::new(),
            section: "core".into(),
            prompt_html: Default::default(),
        }
    }

    fn with_glossary(mut content: Content) -> Content {
        for (slug, name, aliases) in [
            ("fixture-palm", "PaLM", vec!["PaLM 540B"]),
            ("fixture-chinchilla", "Chinchilla", vec![]),
        ] {
            content.glossary.push(GlossaryTerm {
                slug: slug.into(),
                name: name.into(),
                en: None,
                aliases: aliases.into_iter().map(String::from).collect(),
                kind: "model".into(),
                paper: Some("palm".into()),
                gloss: None,
            });
        }
        content
    }

    #[test]
    fn the_shipped_content_passes_every_lint() {
        let content = shipped();
        let cards = crate::cards::generate(&content, crate::cards::APP_SEED).unwrap();
        let issues = lint(&content, &cards);
        assert!(
            issues.is_empty(),
            "{}",
            issues
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn duplicate_options_are_found_by_meaning_and_by_rounding() {
        let content = with_glossary(shipped());
        let names = choice_card("哪个模型？", "Gopher", &["PaLM", "PaLM 540B", "BLOOM"]);
        let bracket = choice_card(
            "哪个部件？",
            "策略",
            &["奖励模型", "奖励模型（RM）", "价值"],
        );
        let numbers = choice_card("准确率？", "54%", &["54.3%", "60%", "70%"]);
        for card in [names, bracket, numbers] {
            assert!(
                rules(&content, std::slice::from_ref(&card)).contains(&"duplicate-option"),
                "{card:?}"
            );
        }
        let fine = choice_card("准确率？", "54%", &["64%", "60%", "70%"]);
        assert!(!rules(&content, &[fine]).contains(&"duplicate-option"));
    }

    #[test]
    fn an_option_named_in_the_question_is_found() {
        let content = with_glossary(shipped());
        let card = choice_card(
            "想对照 PaLM 的多语言能力，该看哪个模型？",
            "BLOOM",
            &["PaLM 540B", "Gopher", "LLaMA"],
        );
        assert!(rules(&content, &[card]).contains(&"option-named-in-question"));
    }

    fn first_figure(content: &mut Content) -> &mut Fact {
        content.papers[0]
            .facts
            .iter_mut()
            .find(|f| matches!(f.body, FactBody::Figure { .. }))
            .expect("a figure fact")
    }

    #[test]
    fn a_bound_question_without_a_bound_is_found() {
        let mut content = shipped();
        if let FactBody::Figure {
            question, bound, ..
        } = &mut first_figure(&mut content).body
        {
            *question = "参赛者都超过多少人？".into();
            *bound = None;
        }
        let cards = crate::cards::generate(&content, crate::cards::APP_SEED).unwrap();
        assert!(rules(&content, &cards).contains(&"bound-words"));
    }

    #[test]
    fn a_lower_bound_with_a_smaller_option_is_found() {
        let mut content = shipped();
        let fact = first_figure(&mut content);
        let key = fact.key.clone();
        let FactBody::Figure {
            number,
            unit,
            bound,
            ..
        } = &mut fact.body
        else {
            unreachable!()
        };
        *bound = Some(Bound::Lower);
        let smaller = crate::cards::format_figure(*number / 2.0, unit);
        let answer = crate::cards::format_figure(*number, unit);
        let mut card = choice_card("？", &answer, &[&smaller, "1", "2"]);
        card.paper = content.papers[0].slug.clone();
        card.fact_key = key;
        assert!(rules(&content, &[card]).contains(&"bound-options"));
    }

    #[test]
    fn a_quiz_answer_explained_nowhere_is_found() {
        let mut content = shipped();
        let fact = content.papers[0]
            .facts
            .iter_mut()
            .find(|f| matches!(f.body, FactBody::Qa { .. }))
            .expect("a qa fact");
        if let FactBody::Qa { answer, .. } = &mut fact.body {
            *answer = "一个谁也没解释过的词".into();
        }
        assert!(rules(&content, &[]).contains(&"unexplained-answer"));
    }

    #[test]
    fn a_model_spelled_two_ways_is_found() {
        let mut content = with_glossary(shipped());
        content.papers[0].hook = "PALM 和 Palm 540B 是一回事。".into();
        let hook = format!("papers/{}.md hook", content.papers[0].slug);
        let in_hook = |content: &Content| -> Vec<LintIssue> {
            lint(content, &[])
                .into_iter()
                .filter(|i| i.rule == "spelling" && i.place == hook)
                .collect()
        };
        assert_eq!(in_hook(&content).len(), 2, "{:?}", in_hook(&content));
        content.papers[0].hook = "PaLM 和 PaLM 540B 是一回事。".into();
        assert!(in_hook(&content).is_empty());
    }

    fn fact_mut<'a>(content: &'a mut Content, paper: &str, key: &str) -> &'a mut Fact {
        content
            .papers
            .iter_mut()
            .find(|p| p.slug == paper)
            .and_then(|p| p.facts.iter_mut().find(|f| f.key == key))
            .expect("the fact exists")
    }

    fn fixture_card(
        paper: &str,
        key: &str,
        kind: CardKind,
        prompt: &str,
        options: &[&str],
    ) -> Card {
        let mut card = choice_card(prompt, options[0], &options[1..]);
        card.paper = paper.into();
        card.fact_key = key.into();
        card.kind = kind;
        card
    }

    fn places_of(content: &Content, cards: &[Card], rule: &str) -> Vec<String> {
        lint(content, cards)
            .into_iter()
            .filter(|i| i.rule == rule)
            .map(|i| i.place)
            .collect()
    }

    /// A choice card of the fact `paper`/`key` showing `options` ("right|wrong|wrong|wrong").
    fn shown(paper: &str, key: &str, options: &str) -> Card {
        let options: Vec<&str> = options.split('|').collect();
        fixture_card(paper, key, CardKind::Choice, "", &options)
    }

    fn messages(content: &Content, cards: &[Card], rule: &str) -> Vec<String> {
        lint(content, cards)
            .into_iter()
            .filter(|i| i.rule == rule)
            .map(|i| format!("{}: {}", i.place, i.message))
            .collect()
    }

    /// Puts a figure fact back as c7985f2 had it: this question and bound, no own distractors.
    fn set_figure(
        content: &mut Content,
        paper: &str,
        key: &str,
        old: &str,
        old_bound: Option<Bound>,
    ) {
        if let FactBody::Figure {
            question,
            bound,
            distractors,
            ..
        } = &mut fact_mut(content, paper, key).body
        {
            *question = old.into();
            *bound = old_bound;
            distractors.clear();
        }
    }

    /// c7985f2 offered 240 and 36 of "26 种语言" (review G-1); and what must fit on a named GPU
    /// cannot be bigger than it.
    #[test]
    fn an_option_above_the_stated_total_is_found() {
        let content = shipped();
        let old = shown("gpt-4", "translated-mmlu", "24 种|240 种|36 种|12 种");
        let found = messages(&content, &[old], "impossible-option");
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|m| m.contains("240") || m.contains("36")));
        let fixed = shown("gpt-4", "translated-mmlu", "24 种|13 种|20 种|26 种");
        assert!(messages(&content, &[fixed], "impossible-option").is_empty());

        let mut gpu = shipped();
        let question = "在单块 48GB 的 GPU 上微调 65B 模型，显存实际用掉了多少 GB？";
        set_figure(&mut gpu, "qlora", "single-gpu-65b", question, None);
        let card = shown("qlora", "single-gpu-65b", "41 GB|96 GB|24 GB|16 GB");
        let found = messages(&gpu, &[card], "impossible-option");
        assert!(found.len() == 1 && found[0].contains("96 GB"), "{found:?}");
    }

    /// c7985f2's `rank-54` and `bar-exam` had `bound = "upper"`: every wrong option was smaller,
    /// so the largest option was always right (review X-1).
    #[test]
    fn a_bound_whose_answer_is_always_the_extreme_option_is_found() {
        let mut content = shipped();
        let rank = "在 Codeforces 近期比赛的模拟评测中，AlphaCode 的平均排名位于前百分之多少？";
        let bar = "在模拟律师资格考试中，GPT-4 的成绩约排在考生的前百分之多少？";
        set_figure(
            &mut content,
            "alphacode",
            "rank-54",
            rank,
            Some(Bound::Upper),
        );
        set_figure(&mut content, "gpt-4", "bar-exam", bar, Some(Bound::Upper));
        let cards = crate::cards::generate(&content, crate::cards::APP_SEED).unwrap();
        let mut places = places_of(&content, &cards, "bound-extreme");
        places.sort();
        let expected = [
            "papers/alphacode.md facts.rank-54",
            "papers/gpt-4.md facts.bar-exam",
        ];
        assert_eq!(places, expected);
    }

    /// c7985f2's `single-gpu-65b` asked "一块…GPU 就能", so 96 GB and 480 GB were right too.
    #[test]
    fn bounds_implied_by_what_suffices_are_found() {
        for old in [
            "QLoRA 证明，一块显存多少 GB 的 GPU 就能微调 65B 模型？",
            "QLoRA 只需多少 GB 显存来微调 65B 模型？",
            "用一块多少 GB 的 GPU，QLoRA 就把 65B 模型微调完了？",
        ] {
            let mut content = shipped();
            set_figure(&mut content, "qlora", "single-gpu-65b", old, None);
            let cards = crate::cards::generate(&content, crate::cards::APP_SEED).unwrap();
            assert_eq!(
                places_of(&content, &cards, "bound-words"),
                vec!["papers/qlora.md facts.single-gpu-65b"],
                "{old}"
            );
        }
    }

    /// The six cards of review X-2, with the options c7985f2 showed.
    #[test]
    fn a_word_only_the_right_option_shares_with_the_question_is_found() {
        let content = shipped();
        let old = [
            ("instructgpt", "sft-step-name", "InstructGPT 的第一步：标注员针对提示亲手写出理想回答，再用这些示范去微调 GPT-3。这一步叫什么？", ["监督微调", "预训练", "奖励建模", "思维链提示"], "微调"),
            ("gpt-4", "rlhf-post-training", "GPT-4 的后训练中用到了哪种依据人类偏好来调整模型的方法？", ["基于人类反馈的强化学习", "量化", "采样与筛选", "低秩适配"], "人类"),
            ("gpt-4", "predictable-scaling-idea", "OpenAI 先训练计算量小得多的模型，再根据它们的结果提前预测 GPT-4 的部分表现。报告把这种能力叫作什么？", ["可预测的缩放", "涌现能力", "对齐", "计算最优训练"], "预测"),
            ("qlora", "double-quantization", "量化时要额外记下一些“量化常数”。QLoRA 把这些常数本身也再量化一次来节省显存，这项技术叫什么？", ["双重量化", "模型剪枝", "旋转位置编码", "思维链"], "量化"),
            ("qlora", "nf4", "QLoRA 专门为呈正态分布的模型权重设计了一种 4 位数据类型，它叫什么？", ["NF4", "bfloat16", "FP16", "Int8"], "4"),
            ("bloom", "bloomz", "BLOOM 再经过多任务提示微调（用许多改写成“指令 + 答案”形式的任务继续训练）后得到的版本叫什么？", ["BLOOMZ", "Guanaco", "InstructGPT", "Llama 2-Chat"], "bloom"),
        ];
        for (paper, key, prompt, options, word) in old {
            let card = fixture_card(paper, key, CardKind::Choice, prompt, &options);
            let found = lint(&content, &[card]);
            assert!(
                found
                    .iter()
                    .any(|i| i.rule == "word-match" && i.message.contains(&format!("“{word}”"))),
                "{key}: {found:?}"
            );
        }
        // A same-family lure that shares the word is the fix.
        let fixed = fixture_card(
            "qlora",
            "nf4",
            CardKind::Choice,
            "QLoRA 专门为呈正态分布的模型权重设计了一种 4 位数据类型，它叫什么？",
            &["NF4", "FP4", "Int4", "bfloat16"],
        );
        assert!(places_of(&content, &[fixed], "word-match").is_empty());
    }

    /// Review B8: c7985f2 asked "论文在单块 48GB GPU 上…" and "这篇论文的方法就是…". Naming another
    /// paper is no better ("这篇论文" then reads as the PaLM paper), and a "which paper" card must
    /// not name its paper. Each row: paper, card kind, issues expected, prompt.
    #[test]
    fn a_prompt_that_names_no_paper_is_found() {
        let content = shipped();
        let rows = [
            "qlora|fill|1|论文在单块 48GB GPU 上微调的最大模型有多少个参数？",
            "chain-of-thought|true_false|1|这篇论文的方法就是在问题后面加一句“Let's think step by step”，不需要任何示范题。",
            "chain-of-thought|choice|1|据这篇论文，PaLM 540B 在 GSM8K 上创下当时最好成绩时，提示里放了多少个思维链示例？",
            "qlora|fill|0|QLoRA 论文在单块 48GB GPU 上微调的最大模型有多少个参数？",
            "llama-2|choice|0|为了训练 Llama 2-Chat 的奖励模型，论文给出的数字是哪个数量级？",
            "qlora|which_paper|0|这篇论文把 65B 模型的微调装进了一块 GPU。",
        ];
        for row in rows {
            let [paper, kind, expected, prompt] = row.splitn(4, '|').collect::<Vec<_>>()[..] else {
                unreachable!("{row}")
            };
            let kind = CardKind::parse(kind).expect("a card kind");
            let card = fixture_card(paper, "fixture", kind, prompt, &["1", "2", "3", "4"]);
            let found = places_of(&content, &[card], "paperless-prompt").len();
            assert_eq!(found.to_string(), expected, "{prompt}");
        }
    }

    /// Review B7: c7985f2's `gpu-size-claim` opened its `why` with "这是流传很广的夸大说法", shown
    /// after the true statement as well.
    #[test]
    fn a_why_that_judges_both_variants_is_found() {
        let mut content = shipped();
        fact_mut(&mut content, "qlora", "gpu-size-claim").why =
            "这是流传很广的夸大说法。即使压到 4 位，65B 模型仍需一块 48GB 的专业显卡；24GB 的消费级显卡对应的例子是 33B 模型。".into();
        assert_eq!(
            places_of(&content, &[], "why-verdict"),
            vec!["papers/qlora.md facts.gpu-size-claim"]
        );
        fact_mut(&mut content, "qlora", "gpu-size-claim").why =
            "“一块游戏显卡就能微调 65B”是流传很广的夸大说法。65B 仍需 48GB。".into();
        assert!(places_of(&content, &[], "why-verdict").is_empty());
    }
}
