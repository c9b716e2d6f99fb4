//! The question form (`POST /quiz/answer`), read with the HTML parser: what kind of question it
//! is, its hidden fields, and a valid answer to send back.

use super::page::{choices, form_fields, has_control, Page};

pub const ANSWER: &str = "/quiz/answer";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum QuestionKind {
    /// Radio buttons named `answer`: one of the options.
    Choice,
    /// Two submit buttons named `answer` (`true`, `false`).
    TrueFalse,
    /// A text field, and a "give up" button named `give_up`.
    Fill,
    /// A text area and self-grading buttons named `grade` (1–4).
    Recall,
}

/// A question as its form shows it.
pub struct Question {
    pub kind: QuestionKind,
    /// The form's fields as a browser sends them before an answer is chosen (csrf, concept,
    /// card, version, token, mode, shown_at, and an empty text answer for fill and recall).
    pub fields: Vec<(String, String)>,
    /// The values the page offers for `answer` (options, or true/false); empty for typed answers.
    pub options: Vec<String>,
}

impl Question {
    /// Reads the question form; `None` when the page shows no question (the day is done, an
    /// error page, …).
    pub fn parse(html: &str) -> Option<Question> {
        let fields = form_fields(html, ANSWER)?;
        let options = choices(html, ANSWER, "answer");
        let kind = if has_control(html, ANSWER, "give_up") {
            QuestionKind::Fill
        } else if has_control(html, ANSWER, "grade") {
            QuestionKind::Recall
        } else if options.iter().any(|o| o == "true") && options.iter().any(|o| o == "false") {
            QuestionKind::TrueFalse
        } else if !options.is_empty() {
            QuestionKind::Choice
        } else {
            panic!("a question form of no known kind:\n{html}");
        };
        Some(Question {
            kind,
            fields,
            options,
        })
    }

    pub fn field(&self, name: &str) -> String {
        field(&self.fields, name)
    }

    /// The form with an answer that is valid for its kind (not necessarily right): the first
    /// option, "true", giving up on a fill-in, or a recall graded 3.
    pub fn some_answer(&self) -> Vec<(String, String)> {
        let f = self.fields.clone();
        match self.kind {
            QuestionKind::Choice | QuestionKind::TrueFalse => set(&f, "answer", &self.options[0]),
            QuestionKind::Fill => set(&set(&f, "answer", ""), "give_up", "1"),
            QuestionKind::Recall => set(&set(&f, "answer", "我的回答"), "grade", "3"),
        }
    }
}

/// The question form on `page` with some valid answer (see [`Question::some_answer`]); panics
/// with the page when it shows no question.
pub fn answer_fields(page: &Page) -> Vec<(String, String)> {
    question(page).some_answer()
}

/// The question on `page`; panics with the page when it shows none.
pub fn question(page: &Page) -> Question {
    Question::parse(&page.body).unwrap_or_else(|| {
        panic!(
            "no question form on the page (status {}):\n{}",
            page.status, page.body
        )
    })
}

pub fn as_pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// `f` with field `k` (every occurrence) replaced by one `k=v`.
pub fn set(f: &[(String, String)], k: &str, v: &str) -> Vec<(String, String)> {
    let mut f = without(f, k);
    f.push((k.to_string(), v.to_string()));
    f
}

/// `f` without field `k`.
pub fn without(f: &[(String, String)], k: &str) -> Vec<(String, String)> {
    f.iter().filter(|(key, _)| key != k).cloned().collect()
}

/// The value of field `k` in `f` (empty when it is missing).
pub fn field(f: &[(String, String)], k: &str) -> String {
    f.iter()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Owned pairs from borrowed ones.
pub fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
