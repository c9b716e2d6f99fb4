//! Reading the numbers in typed text, as a Chinese reader writes them: `700亿`, `1.4万亿`,
//! `七百亿`, `70B`, `70 billion`, `1.4e12`, `百分之五十四点三`, `3个半月`. Pure; used by the
//! grader (`cards::grading`), the older exact matcher ([`super::normalize`]) and the content
//! lints alike, so it lives below all of them.

/// Full-width ASCII (Ａ１％) and the ideographic space as their half-width forms: a Chinese input
/// method types either.
pub(crate) fn to_halfwidth(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// One number as she wrote it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub value: f64,
    /// The place value of the last digit she wrote: 0.1 for `54.3`, 1e8 for `700亿`, 1e11 for
    /// `1.4万亿`. Zero for a ratio (`2/3`), which has none.
    pub precision: f64,
    /// Written as a percentage: `%`, `百分之`, `percent`.
    pub percent: bool,
    /// Written as a fraction: `1/10`, `千分之一`.
    pub ratio: bool,
    /// Probably not the answer (a lone 一 as in 每一个, the 2 of "Llama 2", the 5 of "5-shot"):
    /// ignored when the answer holds another number.
    pub weak: bool,
    /// Deliberately vague (数百万, 几千): never a right answer.
    pub vague: bool,
}

/// English words that may touch a number ("top10%") without making it part of a name.
const QUALIFIER_WORDS: [&str; 12] = [
    "top",
    "about",
    "around",
    "over",
    "than",
    "approx",
    "approximately",
    "nearly",
    "almost",
    "under",
    "least",
    "most",
];

/// Every number in `typed`, in order.
pub fn read_numbers(typed: &str) -> Vec<Reading> {
    let c = fold_chars(typed);
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_ascii_digit() {
            if name_digit(&c, i) {
                // "GPT-4", "TPU v4", "GPT-3.5": part of a name, unless a size follows
                // ("LLaMA-65B").
                let j = arabic_end(&c, i);
                if english_magnitude(&c, j).is_none() {
                    i = j;
                    continue;
                }
            }
        } else if !starts_chinese_number(&c, i) {
            i += 1;
            continue;
        }
        match read_at(&c, i) {
            Some((r, j)) => {
                out.push(r);
                i = j.max(i + 1);
            }
            None => i += 1,
        }
    }
    out
}

/// Half-width, lower case: the form every reader below works on.
pub(crate) fn fold_chars(s: &str) -> Vec<char> {
    s.chars()
        .map(to_halfwidth)
        .flat_map(char::to_lowercase)
        .collect()
}

pub(crate) fn negated(c: &[char]) -> bool {
    let s: String = c.iter().collect();
    if s.contains("不是") || s.contains("并非") || s.contains("并不") || s.contains("而非")
    {
        return true;
    }
    // "not", but not "not more than" / "not over", which are bounds, not negations.
    let words: Vec<&str> = s
        .split(|ch: char| !ch.is_ascii_alphabetic() && ch != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().enumerate().any(|(k, w)| {
        (*w == "not" || *w == "isn't")
            && !matches!(
                words.get(k + 1).copied(),
                Some("more" | "less" | "over" | "under" | "fewer" | "exceeding" | "below")
            )
    })
}

/// Digits at `i` that continue a Latin word: "gpt4", "gpt-4", "v4".
fn name_digit(c: &[char], i: usize) -> bool {
    let word_end = if i > 0 && c[i - 1].is_ascii_alphabetic() {
        i
    } else if i > 1 && c[i - 1] == '-' && c[i - 2].is_ascii_alphabetic() {
        i - 1
    } else {
        return false;
    };
    let word_start = (0..word_end)
        .rev()
        .take_while(|k| c[*k].is_ascii_alphabetic())
        .last()
        .unwrap_or(word_end);
    let word: String = c[word_start..word_end].iter().collect();
    !QUALIFIER_WORDS.contains(&word.as_str())
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

fn small_unit(c: char) -> Option<f64> {
    match c {
        '十' => Some(10.0),
        '百' => Some(100.0),
        '千' => Some(1000.0),
        _ => None,
    }
}

fn starts_chinese_number(c: &[char], i: usize) -> bool {
    chinese_digit(c[i]).is_some() || small_unit(c[i]).is_some()
}

/// The end of an Arabic numeral at `i`: digits, ',' thousands groups, a decimal part.
fn arabic_end(c: &[char], i: usize) -> usize {
    arabic_at(c, i).map_or(i, |(_, _, _, j)| j)
}

/// An Arabic numeral at `i`: (digits without separators, number of decimals, value, end).
pub(crate) fn arabic_at(c: &[char], i: usize) -> Option<(String, i32, f64, usize)> {
    let mut j = i;
    let mut digits = String::new();
    let mut decimals = 0;
    let mut in_frac = false;
    while j < c.len() {
        let ch = c[j];
        if ch.is_ascii_digit() {
            digits.push(ch);
            if in_frac {
                decimals += 1;
            }
            j += 1;
        } else if ch == ','
            && !in_frac
            && !digits.is_empty()
            && (1..=3).all(|k| c.get(j + k).is_some_and(char::is_ascii_digit))
            && !c.get(j + 4).is_some_and(char::is_ascii_digit)
        {
            // 5,000 and 70,000,000,000: a thousands separator, not a list.
            j += 1;
        } else if ch == '.'
            && !in_frac
            && !digits.is_empty()
            && c.get(j + 1).is_some_and(char::is_ascii_digit)
        {
            in_frac = true;
            j += 1;
        } else {
            break;
        }
    }
    if digits.is_empty() {
        return None;
    }
    let value = decimal(&digits, -decimals);
    Some((digits, decimals, value, j))
}

/// digits × 10^exp, read by the float parser so that `1.4万亿` is exactly 1.4e12.
pub(crate) fn decimal(digits: &str, exp: i32) -> f64 {
    format!("{digits}e{exp}").parse().unwrap_or(f64::NAN)
}

pub(crate) fn skip_spaces(c: &[char], mut j: usize) -> usize {
    while j < c.len() && c[j].is_whitespace() {
        j += 1;
    }
    j
}

pub(crate) fn starts_with(c: &[char], j: usize, word: &str) -> bool {
    (j..).zip(word.chars()).all(|(k, w)| c.get(k) == Some(&w))
}

/// A numeral mixing Arabic and Chinese digits with 十百千万亿 (`1万4千亿`, `七百亿`,
/// `1.4万亿`, `五十四点三`). Returns (value, precision, end, exact digits and power of ten
/// when it is one Arabic numeral times powers of ten, chinese-only, lone 一).
struct Numeral {
    value: f64,
    precision: f64,
    end: usize,
    /// digits × 10^exp when it is one Arabic numeral times powers of ten.
    exact: Option<(String, i32)>,
    plain_integer: bool,
    lone_yi: bool,
}

/// What `NumeralParse::step` did with one character.
enum Step {
    /// The numeral goes on at this index.
    Next(usize),
    /// The numeral ended before this character.
    Stop,
    /// The text is not a numeral at all.
    Fail,
}

/// The running state of `numeral_at`, so each kind of character gets its own small step.
struct NumeralParse {
    total: f64,                      // completed 亿-groups
    wan: f64,                        // the 万-group inside the current 亿-group
    section: f64,                    // below 万
    digit: Option<(f64, f64, bool)>, // (value, precision, a single Chinese digit)
    precision: f64,
    last_unit: f64,
    zero_after_unit: bool,
    any: bool,
    exact: Option<(String, i32)>,
    arabic_chunks: u32,
    chinese: bool,
    plain_integer: bool,
}

impl NumeralParse {
    /// The state before the first character: nothing read, an integer so far.
    fn new() -> Self {
        NumeralParse {
            total: 0.0,
            wan: 0.0,
            section: 0.0,
            digit: None,
            precision: 1.0,
            last_unit: 0.0,
            zero_after_unit: false,
            any: false,
            exact: None,
            arabic_chunks: 0,
            chinese: false,
            plain_integer: true,
        }
    }

    /// Dispatches on the character at `i`.
    fn step(&mut self, c: &[char], i: usize) -> Step {
        let ch = c[i];
        if ch.is_whitespace() {
            return self.space(c, i);
        }
        if ch.is_ascii_digit() {
            return self.arabic(c, i);
        }
        if let Some(d) = chinese_digit(ch) {
            return self.chinese_digit(d, i);
        }
        if ch == '点' && self.any && self.digit.is_none_or(|(_, _, cn)| cn) {
            return self.point(c, i);
        }
        if let Some(u) = small_unit(ch) {
            self.small_unit(u);
            return Step::Next(i + 1);
        }
        if ch == '万' || ch == '亿' {
            return self.big_unit(c, i);
        }
        Step::Stop
    }

    /// "1.4 万亿": a space before a unit stays inside the number.
    fn space(&self, c: &[char], i: usize) -> Step {
        let k = skip_spaces(c, i);
        if self.any && k < c.len() && (small_unit(c[k]).is_some() || matches!(c[k], '万' | '亿'))
        {
            Step::Next(k)
        } else {
            Step::Stop
        }
    }

    /// A run of Arabic digits, possibly with a decimal point.
    fn arabic(&mut self, c: &[char], i: usize) -> Step {
        if self.digit.is_some() {
            return Step::Stop;
        }
        let Some((digits, decimals, value, j)) = arabic_at(c, i) else {
            return Step::Fail;
        };
        if decimals > 0 {
            self.plain_integer = false;
        }
        self.digit = Some((value, 10f64.powi(-decimals), false));
        self.arabic_chunks += 1;
        self.exact = Some((digits, -decimals));
        self.any = true;
        Step::Next(j)
    }

    /// One Chinese digit 〇–九.
    fn chinese_digit(&mut self, d: u32, i: usize) -> Step {
        if self.digit.is_some() && !self.zero_after_unit {
            // 二〇二三 and similar digit strings are not quantities the quiz asks for.
            return Step::Stop;
        }
        if d == 0 {
            self.zero_after_unit = true;
        }
        self.digit = Some((f64::from(d), 1.0, true));
        self.chinese = true;
        self.any = true;
        Step::Next(i + 1)
    }

    /// 点 and the Chinese digits after it (五十四点三).
    fn point(&mut self, c: &[char], i: usize) -> Step {
        let mut frac = String::new();
        let mut k = i + 1;
        while let Some(d) = c.get(k).and_then(|x| chinese_digit(*x)) {
            frac.push(char::from_digit(d, 10).unwrap_or('0'));
            k += 1;
        }
        if frac.is_empty() {
            return Step::Stop;
        }
        let int = self.digit.map_or(0.0, |(v, _, _)| v) + self.total + self.wan + self.section;
        (self.total, self.wan, self.section) = (0.0, 0.0, 0.0);
        let decimals = frac.len() as i32;
        let f = decimal(&frac, -decimals);
        self.digit = Some((int + f, 10f64.powi(-decimals), false));
        self.plain_integer = false;
        Step::Next(k)
    }

    /// 十, 百 or 千, worth `u`.
    fn small_unit(&mut self, u: f64) {
        let (v, p, _) = self.digit.take().unwrap_or((1.0, 1.0, true));
        self.exact = None;
        self.section += v * u;
        self.precision = p * u;
        self.last_unit = u;
        self.zero_after_unit = false;
        self.chinese = true;
        self.any = true;
    }

    /// 万, 亿 or 万亿, which close a group.
    fn big_unit(&mut self, c: &[char], i: usize) -> Step {
        let ch = c[i];
        if !self.any {
            return Step::Stop;
        }
        let (mult, exp, len) = if ch == '万' && c.get(i + 1) == Some(&'亿') {
            (1e12, 12, 2)
        } else if ch == '万' {
            (1e4, 4, 1)
        } else {
            (1e8, 8, 1)
        };
        if let Some((_, p, _)) = self.digit {
            self.precision = p;
        }
        let d = self.digit.take().map_or(0.0, |(v, _, _)| v);
        if mult == 1e4 {
            self.wan = (self.section + d) * mult;
        } else {
            self.total = (self.total + self.wan + self.section + d) * mult;
            self.wan = 0.0;
        }
        self.section = 0.0;
        self.precision *= mult;
        self.last_unit = mult;
        self.zero_after_unit = false;
        self.exact = self.exact.take().map(|(digits, e)| (digits, e + exp));
        self.any = true;
        Step::Next(i + len)
    }

    /// The numeral read from `start` to `end`, or none when nothing numeric was seen.
    fn finish(self, c: &[char], start: usize, end: usize) -> Option<Numeral> {
        if !self.any {
            return None;
        }
        let mut value = self.total + self.wan + self.section;
        let mut precision = self.precision;
        match self.digit {
            // 一万四 is 14000 and 两千五 is 2500: a final bare digit counts in the next place down.
            Some((d, _, true)) if self.last_unit >= 100.0 && !self.zero_after_unit => {
                value += d * self.last_unit / 10.0;
                precision = self.last_unit / 10.0;
            }
            Some((d, p, _)) => {
                value += d;
                precision = p;
            }
            None => {}
        }
        // Only a single Arabic numeral times powers of ten can be read exactly from its digits.
        let exact = self
            .exact
            .filter(|_| self.arabic_chunks == 1 && !self.chinese);
        if let Some((digits, e)) = &exact {
            let v = decimal(digits, *e);
            if (v - value).abs() <= value.abs() * 1e-12 {
                value = v;
            }
        }
        let lone_yi = end == start + 1 && c[start] == '一';
        Some(Numeral {
            value,
            precision,
            end,
            exact,
            plain_integer: self.plain_integer && self.last_unit == 0.0,
            lone_yi,
        })
    }
}

fn numeral_at(c: &[char], start: usize) -> Option<Numeral> {
    let mut s = NumeralParse::new();
    let mut i = start;
    while i < c.len() {
        match s.step(c, i) {
            Step::Next(k) => i = k,
            Step::Stop => break,
            Step::Fail => return None,
        }
    }
    s.finish(c, start, i)
}

/// An English magnitude word at `j` (after spaces): its power of ten and end.
pub(crate) fn english_magnitude(c: &[char], j: usize) -> Option<(i32, usize)> {
    const WORDS: [(&str, i32); 11] = [
        ("trillion", 12),
        ("billion", 9),
        ("million", 6),
        ("thousand", 3),
        ("bn", 9),
        ("tn", 12),
        ("mn", 6),
        ("k", 3),
        ("m", 6),
        ("b", 9),
        ("t", 12),
    ];
    let k = skip_spaces(c, j);
    for (w, e) in WORDS {
        if starts_with(c, k, w) {
            let end = k + w.chars().count();
            // "m" and "t" alone are magnitudes only if no letter follows ("months", "tokens").
            if c.get(end).is_some_and(char::is_ascii_alphabetic) {
                continue;
            }
            return Some((e, end));
        }
    }
    None
}

/// A number being read by `read_at`, as each suffix that belongs to it is taken in.
struct PendingReading {
    value: f64,
    precision: f64,
    /// Where the number ends so far.
    j: usize,
    percent: bool,
    ratio: bool,
    plain: bool,
    exact: Option<(String, i32)>,
}

impl PendingReading {
    /// 个半 (3个半月 = 3.5), 分之 (百分之五十四, 千分之一) or an Arabic /d fraction.
    fn fraction(&mut self, c: &[char], n: &Numeral) -> Option<()> {
        let j = self.j;
        let k = skip_spaces(c, j);
        if starts_with(c, k, "个半") {
            self.value += 0.5;
            self.precision = 0.5;
            self.j = k + 2;
        } else if starts_with(c, j, "分之") {
            // 百分之五十四 is a percentage; 千分之一, 十分之一 are fractions.
            let m = numeral_at(c, j + 2)?;
            if n.value == 100.0 {
                self.value = m.value;
                self.precision = m.precision;
                self.percent = true;
            } else {
                self.value = m.value / n.value;
                self.precision = 0.0;
                self.ratio = true;
            }
            self.j = m.end;
        } else if c.get(j) == Some(&'/') && c.get(j + 1).is_some_and(char::is_ascii_digit) {
            let (_, _, d, end) = arabic_at(c, j + 1)?;
            self.value /= d;
            self.precision = 0.0;
            self.ratio = true;
            self.j = end;
        } else {
            return Some(());
        }
        self.plain = false;
        self.exact = None;
        Some(())
    }

    /// 85±3%: the tolerance is part of the figure, not a second answer.
    fn tolerance(&mut self, c: &[char]) {
        let k = skip_spaces(c, self.j);
        if c.get(k) == Some(&'±') || starts_with(c, k, "+/-") {
            let from = skip_spaces(c, k + if c[k] == '±' { 1 } else { 3 });
            if let Some((_, _, _, end)) = arabic_at(c, from) {
                self.j = end;
            }
        }
    }

    /// Scientific forms: 1.4e12, 1.4×10^12, 1.4x10¹², 10^12.
    fn exponent(&mut self, c: &[char], n: &Numeral) {
        if let Some((exp, end)) = exponent(c, self.j, n.exact.as_ref()) {
            let (base, base_prec) = if exp.1 {
                (1.0, 1.0)
            } else {
                (self.value, self.precision)
            };
            self.value = base * 10f64.powi(exp.0);
            self.precision = base_prec * 10f64.powi(exp.0);
            self.exact = if exp.1 {
                Some(("1".into(), exp.0))
            } else {
                self.exact.take().map(|(d, e)| (d, e + exp.0))
            };
            self.j = end;
            self.plain = false;
        }
    }

    /// An English magnitude word (1.4 trillion, 70B), then the value snapped to its exact digits.
    fn magnitude(&mut self, c: &[char]) {
        if !self.ratio && !self.percent {
            if let Some((e, end)) = english_magnitude(c, self.j) {
                self.value *= 10f64.powi(e);
                self.precision *= 10f64.powi(e);
                self.exact = self.exact.take().map(|(d, x)| (d, x + e));
                self.j = end;
                self.plain = false;
            }
        }
        if let Some((d, e)) = &self.exact {
            let v = decimal(d, *e);
            if (v - self.value).abs() <= self.value.abs() * 1e-9 {
                self.value = v;
            }
        }
    }

    /// A percent sign or word after the number.
    fn percent_sign(&mut self, c: &[char]) {
        let k = skip_spaces(c, self.j);
        if !self.ratio && c.get(k) == Some(&'%') {
            self.percent = true;
            self.j = k + 1;
        } else if !self.ratio && (starts_with(c, k, "percent") || starts_with(c, k, "per cent")) {
            self.percent = true;
            self.j = k + if starts_with(c, k, "percent") { 7 } else { 8 };
        }
    }
}

/// Reads one number at `i` with what belongs to it: 个半, a fraction, a ± tolerance, an
/// exponent, an English magnitude and a percent sign.
fn read_at(c: &[char], i: usize) -> Option<(Reading, usize)> {
    let vague = i > 0 && matches!(c[i - 1], '几' | '数') && !c[i].is_ascii_digit();
    let n = numeral_at(c, i)?;
    let mut r = PendingReading {
        value: n.value,
        precision: n.precision,
        j: n.end,
        percent: false,
        ratio: false,
        plain: n.plain_integer,
        exact: n.exact.clone(),
    };
    r.fraction(c, &n)?;
    r.tolerance(c);
    r.exponent(c, &n);
    r.magnitude(c);
    r.percent_sign(c);

    let j = r.j;
    let (plain, percent, value) = (r.plain, r.percent, r.value);
    let after_word = i > 1 && c[i - 1] == ' ' && c[i - 2].is_ascii_alphabetic();
    let before_hyphen_word =
        c.get(j) == Some(&'-') && c.get(j + 1).is_some_and(char::is_ascii_alphabetic);
    let weak = n.lone_yi
        || (plain && !percent && value < 10.0 && after_word)
        || (plain && !percent && before_hyphen_word);
    Some((
        Reading {
            value,
            precision: r.precision,
            percent,
            ratio: r.ratio,
            weak,
            vague,
        },
        j,
    ))
}

/// A power of ten at `j`: ((exponent, replaces the mantissa), end). `10^12` replaces the
/// mantissa 10; `1.4×10^12` and `1.4e12` multiply it.
fn exponent(
    c: &[char],
    j: usize,
    mantissa: Option<&(String, i32)>,
) -> Option<((i32, bool), usize)> {
    // 1.4e12, 1e-3
    if c.get(j) == Some(&'e') {
        let mut k = j + 1;
        let neg = match c.get(k) {
            Some('-') => {
                k += 1;
                true
            }
            Some('+') => {
                k += 1;
                false
            }
            _ => false,
        };
        if let Some((n, end)) = small_int(c, k) {
            if !c.get(end).is_some_and(char::is_ascii_alphabetic) {
                return Some(((if neg { -n } else { n }, false), end));
            }
        }
    }
    // 10^12 or 10¹² on its own
    if mantissa.is_some_and(|(d, e)| d == "10" && *e == 0) {
        if let Some((n, end)) = power_suffix(c, j) {
            return Some(((n, true), end));
        }
    }
    // 1.4×10^12, 1.4 x 10¹², 1.4*10**12
    let k = skip_spaces(c, j);
    if matches!(c.get(k), Some('×' | 'x' | '*' | '·')) {
        let k = skip_spaces(c, k + 1);
        if starts_with(c, k, "10") {
            if let Some((n, end)) = power_suffix(c, k + 2) {
                return Some(((n, false), end));
            }
        }
    }
    None
}

/// `^12`, `^-3`, `**12`, `¹²`: the exponent and its end.
fn power_suffix(c: &[char], j: usize) -> Option<(i32, usize)> {
    let k = if c.get(j) == Some(&'^') {
        j + 1
    } else if starts_with(c, j, "**") {
        j + 2
    } else {
        let mut k = j;
        let mut s = String::new();
        while let Some(d) = c.get(k).and_then(|x| superscript_digit(*x)) {
            s.push(d);
            k += 1;
        }
        return s.parse().ok().map(|n| (n, k));
    };
    let (neg, k) = if c.get(k) == Some(&'-') {
        (true, k + 1)
    } else {
        (false, k)
    };
    small_int(c, k).map(|(n, end)| (if neg { -n } else { n }, end))
}

fn superscript_digit(c: char) -> Option<char> {
    Some(match c {
        '⁰' => '0',
        '¹' => '1',
        '²' => '2',
        '³' => '3',
        '⁴' => '4',
        '⁵' => '5',
        '⁶' => '6',
        '⁷' => '7',
        '⁸' => '8',
        '⁹' => '9',
        _ => return None,
    })
}

fn small_int(c: &[char], j: usize) -> Option<(i32, usize)> {
    let mut k = j;
    let mut s = String::new();
    while let Some(ch) = c.get(k).filter(|x| x.is_ascii_digit()) {
        s.push(*ch);
        k += 1;
    }
    let n: i32 = s.parse().ok()?;
    (n <= 30).then_some((n, k))
}
