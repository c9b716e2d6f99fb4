//! Answer checking for typed answers. Pure functions: no I/O.
//!
//! Two ways an answer can match:
//! 1. as text: both sides are folded (full-width → half-width, case, spaces and punctuation
//!    removed) and compared with the answer and its accepted alternatives;
//! 2. as a quantity, when the card expects a number: `700亿`, `70B`, `70 billion` and `七百亿` all
//!    read as 7×10¹⁰ and are compared with the expected value.

/// Folds a string for comparison: full-width forms to half-width, lower case, no white space or
/// punctuation (ASCII or CJK).
pub fn fold(s: &str) -> String {
    s.chars()
        .map(to_halfwidth)
        .filter(|c| !c.is_whitespace() && !is_punct(*c))
        .flat_map(|c| c.to_lowercase())
        .collect()
}

fn to_halfwidth(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

fn is_punct(c: char) -> bool {
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
/// K, M, B, T, thousand, million, billion, trillion), and any unit words after it, which are
/// ignored as long as they hold no further digits. `None` when it is not a quantity.
pub fn parse_quantity(input: &str) -> Option<f64> {
    let s: String = input
        .chars()
        .map(to_halfwidth)
        .filter(|c| *c != ',' && *c != '，' && *c != '_')
        .flat_map(|c| c.to_lowercase())
        .collect();
    let s = s.trim();
    let s = s.strip_prefix("约").unwrap_or(s).trim_start();
    let s = s.strip_prefix("前").unwrap_or(s);
    // 百分之六十 is 60 (percent): the value is read as written, like "60%".
    let s = s.strip_prefix("百分之").unwrap_or(s);
    let (value, rest) = leading_number(s)?;
    let (mult, rest) = magnitude(rest.trim_start());
    let value = value * mult;
    // What follows must be unit words, not another number ("70b或7b" is not one answer).
    if rest
        .chars()
        .any(|c| c.is_ascii_digit() || chinese_digit(c).is_some())
    {
        return None;
    }
    value.is_finite().then_some(value)
}

/// True when `got` is within half a percent of `want`.
pub fn same_quantity(got: f64, want: f64) -> bool {
    if want == 0.0 {
        return got.abs() < 1e-9;
    }
    ((got - want) / want).abs() < 0.005
}

fn chinese_digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// An Arabic decimal or a Chinese numeral at the start of `s`, and the rest.
fn leading_number(s: &str) -> Option<(f64, &str)> {
    let arabic_len = s
        .char_indices()
        .take_while(|(_, c)| c.is_ascii_digit() || *c == '.')
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    if arabic_len > 0 {
        let v: f64 = s[..arabic_len].parse().ok()?;
        return Some((v, &s[arabic_len..]));
    }
    chinese_number(s)
}

/// Parses a Chinese numeral such as 七百亿, 一千四百亿, 六十七点五, 两万亿 at the start of `s`.
fn chinese_number(s: &str) -> Option<(f64, &str)> {
    let mut total = 0f64; // completed 亿-groups
    let mut wan = 0f64; // completed 万-group inside the current 亿-group
    let mut section = 0f64; // below 万
    let mut digit: Option<f64> = None;
    let mut end = 0;
    let mut any = false;
    let mut chars = s.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if let Some(d) = chinese_digit(c) {
            digit = Some(f64::from(d));
        } else {
            match c {
                '十' | '百' | '千' => {
                    let unit = match c {
                        '十' => 10.0,
                        '百' => 100.0,
                        _ => 1000.0,
                    };
                    section += digit.unwrap_or(1.0) * unit;
                    digit = None;
                }
                '万' => {
                    // 万亿: the 万 belongs to the magnitude word, leave it to `magnitude`.
                    if !any {
                        break;
                    }
                    if s[i + c.len_utf8()..].starts_with('亿') {
                        break;
                    }
                    wan = (section + digit.take().unwrap_or(0.0)) * 1e4;
                    section = 0.0;
                }
                '亿' => {
                    break;
                }
                '点' if any => {
                    let int = total + wan + section + digit.take().unwrap_or(0.0);
                    let mut frac = String::from("0.");
                    let mut j = i + c.len_utf8();
                    for (k, fc) in s[j..].char_indices() {
                        match chinese_digit(fc) {
                            Some(d) => frac.push(char::from_digit(d, 10).unwrap_or('0')),
                            None => {
                                j += k;
                                let f: f64 = frac.parse().ok()?;
                                return Some((int + f, &s[j..]));
                            }
                        }
                    }
                    let f: f64 = frac.parse().ok()?;
                    return Some((int + f, ""));
                }
                _ => break,
            }
        }
        any = true;
        end = i + c.len_utf8();
        chars.next();
    }
    if !any {
        return None;
    }
    total += wan + section + digit.unwrap_or(0.0);
    Some((total, &s[end..]))
}

/// A magnitude word at the start of `s`: its multiplier and the rest.
fn magnitude(s: &str) -> (f64, &str) {
    const WORDS: [(&str, f64); 16] = [
        ("万亿", 1e12),
        ("千亿", 1e11),
        ("百亿", 1e10),
        ("十亿", 1e9),
        ("亿", 1e8),
        ("千万", 1e7),
        ("百万", 1e6),
        ("万", 1e4),
        ("千", 1e3),
        ("trillion", 1e12),
        ("billion", 1e9),
        ("million", 1e6),
        ("thousand", 1e3),
        ("t", 1e12),
        ("b", 1e9),
        ("m", 1e6),
    ];
    for (w, m) in WORDS {
        if let Some(rest) = s.strip_prefix(w) {
            // "m" and "t" alone are magnitudes only if no letter follows ("months", "tokens").
            if w.len() == 1 && rest.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
                continue;
            }
            return (m, rest);
        }
    }
    if let Some(rest) = s.strip_prefix('k') {
        if !rest.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
            return (1e3, rest);
        }
    }
    (1.0, s)
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
