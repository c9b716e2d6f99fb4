//! Text folding and quantity reading shared by card generation and grading. Pure: no I/O.
//!
//! The quiz grades typed answers with [`super::grading::check`]; [`matches`] is the older
//! exact-text grader, kept for callers that compare option texts.

/// Folds a string for comparison: full-width forms to half-width, lower case, no white space or
/// punctuation (ASCII or CJK). A '.' between two digits is kept: "6.5B" and "65B" are different
/// numbers, and "GPT-3.5" is not "GPT-35".
pub fn fold(s: &str) -> String {
    let chars: Vec<char> = s.chars().map(to_halfwidth).collect();
    chars
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            let decimal_point = **c == '.'
                && *i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            decimal_point || !(c.is_whitespace() || is_punct(**c))
        })
        .flat_map(|(_, c)| c.to_lowercase())
        .collect()
}

pub(crate) fn to_halfwidth(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

pub(crate) fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            c,
            '，' | '。'
                | '、'
                | '；'
                | '：'
                | '？'
                | '！'
                | '“'
                | '”'
                | '‘'
                | '’'
                | '（'
                | '）'
                | '《'
                | '》'
                | '【'
                | '】'
                | '—'
                | '…'
                | '·'
                | '「'
                | '」'
                | '『'
                | '』'
                | '〈'
                | '〉'
                | '～'
                | '\u{200b}'
                | '\u{feff}'
        )
}

/// Reads a typed quantity: Arabic or Chinese numerals, an optional magnitude word (万, 亿, 万亿,
/// K, M, B, T, thousand, million, billion, trillion), and any unit words around it, which are
/// ignored. `None` when it is not exactly one quantity ("70b或7b" is not one answer). A
/// percentage is read as written: "67.5%" and "百分之六十七点五" are 67.5.
pub fn parse_quantity(input: &str) -> Option<f64> {
    let all = super::grading::read_numbers(input);
    // "Llama 2 的 70B": the 2 belongs to the name.
    let strong: Vec<_> = all.iter().filter(|r| !r.weak).collect();
    let used: Vec<_> = if strong.is_empty() {
        all.iter().collect()
    } else {
        strong
    };
    match used.as_slice() {
        [one] if !one.vague && one.value.is_finite() => Some(one.value),
        _ => None,
    }
}

/// True when `got` is within half a percent of `want`.
pub fn same_quantity(got: f64, want: f64) -> bool {
    if want == 0.0 {
        return got.abs() < 1e-9;
    }
    ((got - want) / want).abs() < 0.005
}

/// Checks a typed answer against the expected text, its alternatives, and (for figure cards)
/// the expected quantity.
pub fn matches(input: &str, answer: &str, accept: &[String], number: Option<f64>) -> bool {
    let got = fold(input);
    if got.is_empty() {
        return false;
    }
    if std::iter::once(answer)
        .chain(accept.iter().map(String::as_str))
        .any(|a| fold(a) == got)
    {
        return true;
    }
    match (number, parse_quantity(input)) {
        (Some(want), Some(v)) => same_quantity(v, want),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// (typed, expected answer, accepted alternatives, expected number, should match)
    #[allow(clippy::type_complexity)]
    const TABLE: &[(&str, &str, &[&str], Option<f64>, bool)] = &[
        // numbers with magnitude words, Chinese and English
        ("700亿", "700 亿个参数", &[], Some(70e9), true),
        ("70B", "700 亿个参数", &[], Some(70e9), true),
        ("70 billion", "700 亿个参数", &[], Some(70e9), true),
        ("七百亿", "700 亿个参数", &[], Some(70e9), true),
        ("７０Ｂ", "700 亿个参数", &[], Some(70e9), true),
        ("70b parameters", "700 亿个参数", &[], Some(70e9), true),
        ("700 亿个参数", "700 亿个参数", &[], Some(70e9), true),
        ("70,000,000,000", "700 亿个参数", &[], Some(70e9), true),
        ("70亿", "700 亿个参数", &[], Some(70e9), false),
        ("7B", "700 亿个参数", &[], Some(70e9), false),
        ("70", "700 亿个参数", &[], Some(70e9), false),
        ("70B或7B", "700 亿个参数", &[], Some(70e9), false),
        ("1.4万亿", "1.4 万亿个 token", &[], Some(1.4e12), true),
        ("1.4T", "1.4 万亿个 token", &[], Some(1.4e12), true),
        (
            "1.4 trillion tokens",
            "1.4 万亿个 token",
            &[],
            Some(1.4e12),
            true,
        ),
        ("一万四千亿", "1.4 万亿个 token", &[], Some(1.4e12), true),
        ("一千四百亿", "1.4 万亿个 token", &[], Some(1.4e12), false),
        ("14000亿", "1.4 万亿个 token", &[], Some(1.4e12), true),
        ("两万亿", "2 万亿个 token", &[], Some(2e12), true),
        ("2T tokens", "2 万亿个 token", &[], Some(2e12), true),
        ("5400亿", "5400 亿个参数", &[], Some(540e9), true),
        ("540B", "5400 亿个参数", &[], Some(540e9), true),
        ("五千四百亿", "5400 亿个参数", &[], Some(540e9), true),
        ("65B", "650 亿个参数", &[], Some(65e9), true),
        ("6.5B", "650 亿个参数", &[], Some(65e9), false),
        // percentages
        ("67.5%", "67.5%", &[], Some(67.5), true),
        ("67.5", "67.5%", &[], Some(67.5), true),
        ("６７．５％", "67.5%", &[], Some(67.5), true),
        ("六十七点五", "67.5%", &[], Some(67.5), true),
        ("百分之六十七点五", "67.5%", &[], Some(67.5), true),
        ("67", "67.5%", &[], Some(67.5), false),
        ("约 58%", "58%", &[], Some(58.0), true),
        ("前10%", "10%", &[], Some(10.0), true),
        // small counts with unit words
        ("4倍", "4 倍", &[], Some(4.0), true),
        ("四倍", "4 倍", &[], Some(4.0), true),
        ("5倍", "4 倍", &[], Some(4.0), false),
        ("6144", "6144 块 TPU v4 芯片", &[], Some(6144.0), true),
        (
            "六千一百四十四块",
            "6144 块 TPU v4 芯片",
            &[],
            Some(6144.0),
            true,
        ),
        ("3.5个月", "3.5 个月", &[], Some(3.5), true),
        ("48GB", "48 GB", &[], Some(48.0), true),
        ("十", "10 份程序", &[], Some(10.0), true),
        ("100万", "100 万条比较", &[], Some(1e6), true),
        ("1 million", "100 万条比较", &[], Some(1e6), true),
        ("1M", "100 万条比较", &[], Some(1e6), true),
        // text answers: case, width, spaces, punctuation, alternatives
        ("rlhf", "RLHF", &[], None, true),
        ("ＲＬＨＦ", "RLHF", &[], None, true),
        ("R L H F", "RLHF", &[], None, true),
        (
            "基于人类反馈的强化学习",
            "RLHF",
            &["基于人类反馈的强化学习"],
            None,
            true,
        ),
        (
            "基于人类反馈的强化学习。",
            "RLHF",
            &["基于人类反馈的强化学习"],
            None,
            true,
        ),
        ("PPO", "PPO", &["近端策略优化"], None, true),
        ("近端策略优化", "PPO", &["近端策略优化"], None, true),
        ("SFT", "PPO", &["近端策略优化"], None, false),
        ("Chinchilla", "Chinchilla", &[], None, true),
        ("chinchilla ", "Chinchilla", &[], None, true),
        ("Gopher", "Chinchilla", &[], None, false),
        (
            "NF4",
            "4-bit NormalFloat（NF4）",
            &["NF4", "NormalFloat"],
            None,
            true,
        ),
        ("nf-4", "4-bit NormalFloat（NF4）", &["NF4"], None, true),
        ("《思维链》", "思维链", &[], None, true),
        (
            "chain of thought",
            "思维链",
            &["chain-of-thought"],
            None,
            true,
        ),
        ("", "思维链", &[], None, false),
        ("   ", "思维链", &[], None, false),
        ("思维", "思维链", &[], None, false),
        ("Codeforces", "Codeforces", &[], None, true),
        ("LeetCode", "Codeforces", &[], None, false),
    ];

    #[test]
    fn answer_table() {
        assert!(TABLE.len() >= 40);
        for (typed, answer, accept, number, want) in TABLE {
            assert_eq!(
                matches(typed, answer, &acc(accept), *number),
                *want,
                "typed {typed:?} for {answer:?}"
            );
        }
    }

    #[test]
    fn quantities_parse() {
        assert_eq!(parse_quantity("七百亿"), Some(7e10));
        assert_eq!(parse_quantity("一千四百亿"), Some(1.4e11));
        assert_eq!(parse_quantity("1.4万亿"), Some(1.4e12));
        assert_eq!(parse_quantity("十二"), Some(12.0));
        assert_eq!(parse_quantity("two"), None);
        assert_eq!(parse_quantity("tokens"), None);
        assert_eq!(parse_quantity("3 months"), Some(3.0));
    }

    #[test]
    fn fold_removes_width_case_space_and_punctuation() {
        assert_eq!(fold("ＧＰＴ－４ Report！"), "gpt4report");
        assert_eq!(fold("“思维链”（CoT）"), "思维链cot");
    }
}
