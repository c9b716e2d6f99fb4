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
//!   not one of its declared names (Llama-2 beside Llama 2).

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

/// All issues, in a stable order.
pub fn lint(content: &Content, cards: &[Card]) -> Vec<LintIssue> {
    let entries = Names::new(content);
    let mut out = Vec::new();
    options_rules(cards, &entries, &mut out);
    bound_rules(content, cards, &mut out);
    unexplained_answers(content, &entries, &mut out);
    spelling(content, &entries, &mut out);
    out
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
        && crate::cards::normalize::parse_quantity(s).is_some()
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
            let asks = |words: &[&'static str]| -> Option<&'static str> {
                words.iter().find(|w| question.contains(**w)).copied()
            };
            match (bound, asks(&LOWER_WORDS), asks(&UPPER_WORDS)) {
                (None, Some(w), _) => out.push(LintIssue {
                    rule: "bound-words",
                    place: place.clone(),
                    message: format!(
                        "问题里有 “{w}”：更小的数字也会是对的。请改问论文给出的数字，或写 bound = \"lower\""
                    ),
                }),
                (None, None, Some(w)) => out.push(LintIssue {
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
            for d in distractors {
                let Some(v) = crate::cards::normalize::parse_quantity(d) else {
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
    names.sort_by_key(|(n, _)| std::cmp::Reverse(crate::cards::normalize::fold(n).len()));
    for (place, text) in texts(content) {
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for (name, entry) in &names {
            for (s, e) in names::find_all_loose(&text, name) {
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
}
