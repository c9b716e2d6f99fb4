//! HTML text the app writes by hand (charts, figures, table cells), escaped, with number-like
//! words kept on one line. Below `content`, `charts` and `web`, which all write such text.

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes `text` for HTML and keeps each number-like word ("PaLM-540B", "1.4", "5-shot") on
/// one line: a number split across lines ("PaLM-/540B") misreads, and on a phone a narrow
/// column breaks at any hyphen. Chinese text around it still wraps anywhere.
pub fn keep_numbers_whole(text: &str) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || ".,:%+/×-".contains(c);
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
        out.push_str(&escape(&rest[..start]));
        let word = &rest[start..];
        let len = word.find(|c: char| !is_word(c)).unwrap_or(word.len());
        let (w, after) = word.split_at(len);
        if w.chars().any(|c| c.is_ascii_digit()) && w.contains(['-', '.', ',', ':', '/', '+', '×'])
        {
            out.push_str(r#"<span class="nobr">"#);
            out.push_str(&escape(w));
            out.push_str("</span>");
        } else {
            out.push_str(&escape(w));
        }
        rest = after;
    }
    out.push_str(&escape(rest));
    out
}
