//! Typed answers a careful Chinese student writes, right and wrong, and properties of the
//! grader over any number and any formatting noise.

use super::*;
use crate::cards::tests::content;
use crate::cards::{format_figure, generate, CardData, CardKind, APP_SEED};
use proptest::prelude::*;

/// A glossary like the content's: one list of names per term.
fn index() -> NameIndex {
    let entries: &[&[&str]] = &[
        &[
            "基于人类反馈的强化学习",
            "RLHF",
            "Reinforcement Learning from Human Feedback",
        ],
        &["监督微调", "SFT", "supervised fine-tuning"],
        &["奖励模型", "RM", "reward model"],
        // No "PPO" here: the acronym comes from the English name.
        &["近端策略优化", "Proximal Policy Optimization"],
        &["量化", "quantization"],
        &["双重量化", "double quantization"],
        &["4 位 NormalFloat", "4-bit NormalFloat", "NF4"],
        &["低秩适配器", "LoRA", "Low-Rank Adapters", "低秩适配"],
        &["QLoRA"],
        &["PaLM"],
        &["LLaMA"],
        &["Llama 2"],
        &["Llama 2-Chat"],
        &["GPT-3"],
        &["GPT-3.5"],
        &["GPT-4"],
        &["ChatGPT"],
        &["InstructGPT"],
        &["Codex"],
        &["AlphaCode"],
        &["Chinchilla"],
        &["Gopher"],
        &[
            "思维链",
            "chain of thought",
            "CoT",
            "chain-of-thought prompting",
        ],
        &[
            "少样本提示",
            "few-shot prompting",
            "上下文学习",
            "in-context learning",
        ],
        &["GSM8K"],
        &["MMLU"],
        &["Codeforces"],
        &["CodeContests"],
        &["分组查询注意力", "GQA", "grouped-query attention"],
        &["注意力", "attention"],
        &["Transformer"],
        &["Ghost Attention", "幽灵注意力", "GAtt"],
        &["拒绝采样", "rejection sampling"],
        &["旋转位置编码", "RoPE", "rotary position embeddings"],
        &["多模态", "multimodal"],
        &["BLOOM"],
        &["BLOOMZ"],
        &["ROOTS"],
        &["Hugging Face", "HuggingFace"],
        &["Jean Zay"],
        &["Pathways"],
        &["验证器", "verifier"],
        &["微调", "fine-tuning"],
        &["基准测试", "benchmarks", "基准"],
        &["Google", "谷歌"],
        &["Meta"],
        &["OpenAI"],
        &["DeepMind"],
    ];
    let makers = ["Google", "Meta", "OpenAI", "DeepMind"];
    NameIndex::with_makers(
        entries
            .iter()
            .map(|e| e.iter().map(|s| s.to_string()).collect())
            .collect(),
        (0..entries.len())
            .filter(|&i| makers.contains(&entries[i][0]))
            .collect(),
    )
}

/// The typed-answer table (`typed_answers.toml`): every figure and name a fill card of the
/// shipped content asks for, each with its right spellings and its near misses.
#[derive(serde::Deserialize)]
struct Table {
    number: Vec<NumberGroup>,
    name: Vec<NameGroup>,
}

#[derive(serde::Deserialize)]
struct NumberGroup {
    expected: f64,
    percent: bool,
    right: Vec<String>,
    wrong: Vec<String>,
}

#[derive(serde::Deserialize)]
struct NameGroup {
    answer: String,
    accept: Vec<String>,
    right: Vec<String>,
    wrong: Vec<String>,
}

/// Every group of the renderings table names at most one thing of the shipped content: a
/// group that joined two terms would accept one for the other.
#[test]
fn no_rendering_joins_two_terms() {
    let plain = NameIndex::new(Vec::new());
    assert!(
        !renderings().is_empty(),
        "renderings.toml parses and has groups"
    );
    let names = crate::content::names::entries(content());
    for group in renderings() {
        let owners: HashSet<&str> = names
            .iter()
            .filter(|e| {
                e.names.iter().any(|n| {
                    let f = fold_name(n).text();
                    group.iter().any(|g| fold_name(g).text() == f)
                })
            })
            .map(|e| e.key.as_str())
            .collect();
        assert!(owners.len() <= 1, "{group:?} names {owners:?}");
    }
    assert!(plain.is_empty());
}

#[test]
fn acronyms_come_from_english_names_and_skip_small_words() {
    assert_eq!(
        acronyms("Reinforcement Learning from Human Feedback"),
        ["RLfHF", "RLHF"]
    );
    assert_eq!(acronyms("in-context learning"), ["icl"]);
    assert_eq!(acronyms("chain of thought"), ["cot"]);
    // Two letters guess too much; one word and non-Latin names have none.
    assert!(acronyms("scaling laws").is_empty());
    assert!(acronyms("Transformer").is_empty());
    assert!(acronyms("奖励 模型").is_empty());
}

fn table() -> Table {
    toml::from_str(include_str!("typed_answers.toml")).expect("typed_answers.toml parses")
}

/// A group's typed answers, each with whether it must be graded right.
fn graded<'g>(
    right: &'g [String],
    wrong: &'g [String],
) -> impl Iterator<Item = (String, bool)> + 'g {
    let right = right.iter().map(|t| (t.clone(), true));
    right.chain(wrong.iter().map(|t| (t.clone(), false)))
}

/// Each typed number is a row: (typed, expected number, percent, graded right).
fn numbers() -> Vec<(String, f64, bool, bool)> {
    let groups = table().number;
    let rows = groups.iter().flat_map(|g| {
        graded(&g.right, &g.wrong).map(move |(typed, right)| (typed, g.expected, g.percent, right))
    });
    rows.collect()
}

/// Each typed name is a row: (typed, card answer, accepted names, graded right).
fn names() -> Vec<(String, String, Vec<String>, bool)> {
    let groups = table().name;
    let rows = groups.iter().flat_map(|g| {
        graded(&g.right, &g.wrong)
            .map(move |(typed, right)| (typed, g.answer.clone(), g.accept.clone(), right))
    });
    rows.collect()
}

/// Fails with every row graded against the table, if any.
fn assert_none_wrong(wrong: &[String]) {
    assert!(
        wrong.is_empty(),
        "{} rows:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn typed_numbers_table() {
    let mut wrong = Vec::new();
    for (typed, expected, percent, right) in numbers() {
        if check_number(&typed, expected, percent) != right {
            wrong.push(format!(
                "{typed:?} for {expected} (percent {percent}): want {right}"
            ));
        }
    }
    assert_none_wrong(&wrong);
}

#[test]
fn typed_names_table() {
    let index = index();
    let mut wrong = Vec::new();
    for (typed, answer, accept, right) in names() {
        if check(&typed, &answer, &accept, None, false, &index) != right {
            wrong.push(format!("{typed:?} for {answer:?}: want {right}"));
        }
    }
    assert_none_wrong(&wrong);
}

#[test]
fn the_table_is_large_and_balanced() {
    let (numbers, names) = (numbers(), names());
    let rows = numbers.len() + names.len();
    let right = numbers.iter().filter(|r| r.3).count() + names.iter().filter(|r| r.3).count();
    assert!(rows >= 150, "{rows}");
    assert!(
        right * 4 > rows && right * 4 < rows * 3,
        "{right} of {rows}"
    );
}

#[test]
fn numbers_are_read_with_their_precision() {
    let r = read_numbers("1.4万亿");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].value, 1.4e12);
    assert_eq!(r[0].precision, 1e11);
    assert_eq!(read_numbers("700亿")[0].precision, 1e8);
    assert_eq!(read_numbers("七百亿")[0].value, 7e10);
    assert_eq!(read_numbers("一百零五")[0].value, 105.0);
    assert_eq!(read_numbers("一万四")[0].value, 14000.0);
    assert_eq!(read_numbers("1亿4千万")[0].value, 1.4e8);
    assert!(read_numbers("GPT-4 和 TPU v4").is_empty());
    assert!(is_percent_answer("67.5%"));
    assert!(!is_percent_answer("700 亿个参数"));
}

#[test]
fn every_shipped_fill_card_is_graded_fairly() {
    let content = content();
    let cards = generate(content, APP_SEED).expect("generates");
    let index = NameIndex::from_content(content);
    let mut failures = Vec::new();
    let mut checked = 0;
    for card in &cards {
        let CardData::Fill {
            answer,
            accept,
            number,
        } = &card.data
        else {
            continue;
        };
        let unit = crate::cards::tests::figure_unit(card);
        let percent = unit.starts_with('%');
        assert_eq!(
            percent,
            number.is_some() && is_percent_answer(answer),
            "{}",
            card.id
        );
        let grade = |typed: &str| check(typed, answer, accept, *number, percent, &index);
        checked += 1;
        if !grade(answer) {
            failures.push(format!(
                "{}: its own answer {answer:?} is rejected",
                card.id
            ));
        }
        for a in accept {
            if !grade(a) {
                failures.push(format!("{}: accepted spelling {a:?} is rejected", card.id));
            }
        }
        if let Some(n) = number {
            for wrong in [
                format_figure(n * 10.0, &unit),
                format_figure(n / 10.0, &unit),
            ] {
                if grade(&wrong) {
                    failures.push(format!("{}: 10× off {wrong:?} is accepted", card.id));
                }
            }
        }
        let sibling = cards.iter().find(|c| {
            c.paper == card.paper && c.fact_key == card.fact_key && c.kind == CardKind::Choice
        });
        if let Some(CardData::Choice { distractors, .. }) = sibling.map(|c| &c.data) {
            for d in distractors {
                if grade(d) {
                    failures.push(format!(
                        "{}: the choice card's distractor {d:?} is accepted for {answer:?}",
                        card.id
                    ));
                }
            }
        }
    }
    assert!(checked >= 50, "{checked}");
    assert!(
        failures.is_empty(),
        "{}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Properties

/// sig × 10^exp written out in plain decimal: (14, 11) → "1400000000000", (14, -1) → "1.4".
fn dec(sig: u64, exp: i32) -> String {
    let digits = sig.to_string();
    if exp >= 0 {
        return format!("{digits}{}", "0".repeat(exp as usize));
    }
    let shift = (-exp) as usize;
    let padded = if digits.len() <= shift {
        format!("{}{digits}", "0".repeat(shift - digits.len() + 1))
    } else {
        digits
    };
    let (int, frac) = padded.split_at(padded.len() - shift);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    }
}

const MAGNITUDES: [(&str, i32); 14] = [
    ("", 0),
    ("万", 4),
    ("亿", 8),
    ("万亿", 12),
    ("千", 3),
    ("K", 3),
    ("M", 6),
    ("B", 9),
    ("T", 12),
    (" thousand", 3),
    (" million", 6),
    (" billion", 9),
    (" trillion", 12),
    ("bn", 9),
];
const PREFIXES: [&str; 14] = [
    "",
    "约",
    "大约",
    "将近",
    "近",
    "超过",
    "至少",
    "最多",
    "top ",
    "前",
    "about ",
    "over ",
    "more than ",
    "~",
];
const SUFFIXES: [&str; 7] = ["", "左右", "以上", "多", "余", "上下", " 个"];

fn superscript(n: i32) -> String {
    n.to_string()
        .chars()
        .map(|c| match c {
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            '9' => '⁹',
            other => other,
        })
        .collect()
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xfee0).unwrap_or(c),
            ' ' => '\u{3000}',
            _ => c,
        })
        .collect()
}

/// sig × 10^exp in one of many spellings.
fn render(sig: u64, exp: i32, style: usize, space: bool) -> String {
    let sp = if space { " " } else { "" };
    if style < MAGNITUDES.len() {
        let (word, m) = MAGNITUDES[style];
        return format!("{}{sp}{word}", dec(sig, exp - m));
    }
    let digits = sig.to_string();
    let mantissa = if digits.len() > 1 {
        format!("{}.{}", &digits[..1], digits[1..].trim_end_matches('0'))
            .trim_end_matches('.')
            .to_string()
    } else {
        digits.clone()
    };
    let e = exp + digits.len() as i32 - 1;
    match style - MAGNITUDES.len() {
        0 => format!("{mantissa}e{e}"),
        1 => format!("{mantissa}{sp}×{sp}10^{e}"),
        2 if e >= 0 => format!("{mantissa}x10{}", superscript(e)),
        _ => format!("{mantissa}{sp}*{sp}10^{e}"),
    }
}

const STYLES: usize = MAGNITUDES.len() + 4;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_rendering_of_a_number_is_right_and_ten_times_off_never(
        sig in 1u64..10_000,
        exp in -2i32..=12,
        style in 0..STYLES,
        prefix in 0..PREFIXES.len(),
        suffix in 0..SUFFIXES.len(),
        space in any::<bool>(),
        wide in any::<bool>(),
    ) {
        let expected = decimal(&sig.to_string(), exp);
        prop_assume!((0.1..=1e13).contains(&expected));
        let dress = |s: String| {
            let s = format!("{}{s}{}", PREFIXES[prefix], SUFFIXES[suffix]);
            if wide { full_width(&s) } else { s }
        };
        let right = dress(render(sig, exp, style, space));
        prop_assert!(check_number(&right, expected, false), "{right:?} for {expected}");
        for off in [exp + 1, exp - 1] {
            let wrong = dress(render(sig, off, style, space));
            prop_assert!(!check_number(&wrong, expected, false), "{wrong:?} for {expected}");
        }
    }

    #[test]
    fn any_rendering_of_a_percentage_is_right_and_ten_times_off_never(
        sig in 1u64..=1000,
        exp in -2i32..=0,
        style in 0usize..6,
        prefix in 0..PREFIXES.len(),
        suffix in 0..SUFFIXES.len(),
        wide in any::<bool>(),
    ) {
        let expected = decimal(&sig.to_string(), exp);
        prop_assume!((0.1..=100.0).contains(&expected));
        let render = |exp: i32| {
            let p = dec(sig, exp);
            let s = match style {
                0 => format!("{p}%"),
                1 => p,
                2 => format!("百分之{p}"),
                3 => dec(sig, exp - 2),
                4 => format!("{p} %"),
                _ => format!("{p} percent"),
            };
            let s = format!("{}{s}{}", PREFIXES[prefix], SUFFIXES[suffix]);
            if wide { full_width(&s) } else { s }
        };
        let right = render(exp);
        prop_assert!(check_number(&right, expected, true), "{right:?} for {expected}%");
        for off in [exp + 1, exp - 1] {
            let wrong = render(off);
            prop_assert!(!check_number(&wrong, expected, true), "{wrong:?} for {expected}%");
        }
    }

    #[test]
    fn formatting_noise_never_changes_a_verdict(
        row in 0..(numbers().len() + names().len()),
        lead in 0usize..3,
        trail in 0usize..3,
        punct in 0usize..7,
        qualifier in 0usize..6,
        case in 0usize..3,
        wide in any::<bool>(),
    ) {
        const PUNCT: [&str; 7] = ["", "。", ".", "！", "?", "～", "…"];
        const QUALIFIERS: [&str; 6] = ["", "约", "大约", "about ", "我觉得是", "top "];
        let index = index();
        type Grader = Box<dyn Fn(&str) -> bool>;
        let numbers = numbers();
        let (typed, grade): (String, Grader) = if row < numbers.len() {
            let (t, e, p, _) = numbers[row].clone();
            (t, Box::new(move |s: &str| check_number(s, e, p)))
        } else {
            let (t, a, acc, _) = names().swap_remove(row - numbers.len());
            let index = index.clone();
            (t, Box::new(move |s: &str| check(s, &a, &acc, None, false, &index)))
        };
        let mut noisy = format!(
            "{}{}{typed}{}{}",
            " ".repeat(lead),
            QUALIFIERS[qualifier],
            PUNCT[punct],
            " ".repeat(trail)
        );
        noisy = match case {
            1 => noisy.to_uppercase(),
            2 => noisy.to_lowercase(),
            _ => noisy,
        };
        if wide {
            noisy = full_width(&noisy);
        }
        prop_assert_eq!(grade(&noisy), grade(&typed), "{:?} vs {:?}", noisy, typed);
    }

    /// Issue 21 §2 as properties over the test index: any name of a term, with a maker before
    /// it (with or without 的) or a generic word after it, or inside a sentence, is that term;
    /// the same with a second, different term joined by 和 or 还是, or negated, is not.
    #[test]
    fn the_spelling_rules_hold_for_every_term(
        entry in 0usize..64,
        name in 0usize..4,
        other in 0usize..64,
        maker in 0usize..4,
        with_de in any::<bool>(),
        head in 0usize..GENERIC_HEADS.len(),
        frame in 0usize..3,
    ) {
        const MAKERS: [&str; 4] = ["Google", "Meta", "OpenAI", "DeepMind"];
        const FRAMES: [(&str, &str); 3] = [("", ""), ("我觉得是", "吧"), ("答案应该是", "。")];
        let index = index();
        let (entry, other) = (entry % index.len(), other % index.len());
        let names = index.entry(entry).unwrap_or_default().to_vec();
        let others = index.entry(other).unwrap_or_default().to_vec();
        // Makers are answers of their own; a name that is itself a generic word or a bare
        // number is not what the rules are about.
        prop_assume!(!MAKERS.contains(&names[0].as_str()));
        let n = names[name % names.len()].clone();
        prop_assume!(!GENERIC_HEADS.contains(&fold_name(&n).text().as_str()));
        let expected = [names[0].clone()];
        let right = |typed: &str| check_name(typed, &expected, &index);
        let (open, close) = FRAMES[frame];
        prop_assert!(right(&n), "{n:?}");
        let de = if with_de { " 的 " } else { " " };
        let made = format!("{open}{}{de}{n}{close}", MAKERS[maker]);
        prop_assert!(right(&made), "{made:?}");
        let headed = format!("{open}{n} {}{close}", GENERIC_HEADS[head]);
        prop_assert!(right(&headed), "{headed:?}");
        prop_assert!(!right(&format!("不是{n}")), "negated {n:?}");
        let shares = index.lookup(&others[0]).contains(&entry) || others.iter().any(|o| names.contains(o));
        let o = &others[0];
        // A second term that contains the first ("双重量化" and "量化") is one candidate.
        let nested = fold_name(o).text().contains(&fold_name(&n).text())
            || fold_name(&n).text().contains(&fold_name(o).text());
        if other != entry && !shares && !nested && !MAKERS.contains(&o.as_str()) {
            for joined in [format!("{n}和{o}"), format!("{n} 还是 {o}")] {
                prop_assert!(!right(&joined), "{joined:?}");
            }
        }
    }
}
