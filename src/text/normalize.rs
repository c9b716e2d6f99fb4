//! Text folding and quantity reading shared by card generation and grading. Pure: no I/O.
//!
//! The quiz grades typed answers with [`crate::cards::grading::check`]; [`matches`] is the older
//! exact-text grader, kept for callers that compare option texts.

use super::numbers::to_halfwidth;

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
    let all = super::numbers::read_numbers(input);
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

    /// A case of `normalize_cases.toml`.
    #[derive(serde::Deserialize)]
    struct Case {
        answer: String,
        #[serde(default)]
        accept: Vec<String>,
        number: Option<f64>,
        right: Vec<String>,
        #[serde(default)]
        wrong: Vec<String>,
    }

    #[derive(serde::Deserialize)]
    struct Cases {
        case: Vec<Case>,
    }

    #[test]
    fn answer_table() {
        let cases: Cases =
            toml::from_str(include_str!("normalize_cases.toml")).expect("the cases parse");
        let mut rows = 0;
        for c in &cases.case {
            let right = c.right.iter().map(|t| (t, true));
            for (typed, want) in right.chain(c.wrong.iter().map(|t| (t, false))) {
                let got = matches(typed, &c.answer, &c.accept, c.number);
                assert_eq!(got, want, "typed {typed:?} for {:?}", c.answer);
                rows += 1;
            }
        }
        assert!(rows >= 40, "{rows}");
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
