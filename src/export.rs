//! A learner's data out and back in: the JSON export (settings, papers read, concept states,
//! the whole review log), the review log as CSV for `paperdeck evaluate`, the live cards as an
//! Anki deck, and the import that takes a JSON export back.
//!
//! The web pages (`/export`, `/import`) and the `export`/`import` commands are thin wrappers
//! around [`export`], [`parse`] and [`import`], so the browser and the command line behave the
//! same.
//!
//! What a file never carries: the password hash, the recovery codes (`recovery_codes`) and the
//! log-in sessions. An export is a backup she keeps in a cloud folder or mails to herself, and
//! it must not be a way into her account; a new account's codes are its own. Moving a whole
//! deployment, codes included, is `copy-data`'s job (`store::copy`). Nor does it carry when she
//! last exported (`backup_reminders`), which belongs to this server's reminder.
//!
//! Import validates the whole file before writing anything, so a bad file changes nothing; it
//! then writes in short batches so that it never holds the one write connection for long (see
//! [`import`]). Downloads are written a page of rows at a time ([`Download`]), so their memory
//! does not grow with the account.
//!
//! The queries live at the bottom of this file ([`queries`]), one function per query, written
//! the way `store/` writes them (`$N` placeholders, portable SQL), because the export reads and
//! writes every per-learner table at once and is easier to check in one place.
pub use crate::store::card_memory::CardRow;
use crate::store::transfer as queries;
pub use crate::store::transfer::{Account, PaperRead, Review, SectionReached, State};

use crate::cards::{Card, CardData, CardIndex, CardKind};
use crate::content::Content;
use crate::scheduler::ReviewKind;
use crate::store::Db;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The marker in every export file: a file without it is not ours.
pub const FORMAT: &str = "paperdeck-export";
/// The version of the file layout; bump it when a field changes meaning.
pub const VERSION: i64 = 1;

/// Largest review log an import takes: far above years of daily use, small enough that a
/// hostile file cannot make the server hold millions of rows.
pub const MAX_REVIEWS: usize = 200_000;
/// Longest stored answer, the same limit the quiz puts on a typed answer.
const MAX_ANSWER_CHARS: usize = 2000;
/// Card ids are 20 hex digits; anything much longer is not one of ours.
const MAX_ID_CHARS: usize = 64;
/// Timestamps must fall between 1970 and 2100: a wider value is a corrupt or hostile file, and
/// this range always formats as an ISO date.
const MAX_TS: i64 = 4_102_444_800;
/// The quiz clamps answer times to 30 minutes; a day leaves room for other writers.
const MAX_DURATION_MS: i64 = 86_400_000;
/// FSRS keeps stability within 0.001..=36 500 days and difficulty within 1..=10.
const MAX_STABILITY: f32 = 36_500.0;
/// Far above any real count of answers, far below an overflow when the database adds one.
const MAX_COUNT: i64 = 10_000_000;
const MAX_VERSION: i64 = 1_000_000_000;
/// Elapsed and scheduled days: the whole range of valid timestamps.
const MAX_DAYS: i64 = MAX_TS / 86_400;

/// The whole export file. Timestamps are Unix seconds, as in the database, so a round trip
/// through the file is exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Export {
    pub format: String,
    pub version: i64,
    pub exported_at: i64,
    pub account: Account,
    pub papers_read: Vec<PaperRead>,
    pub concept_states: Vec<State>,
    /// Absent from files written before reading progress was exported: those import with none.
    #[serde(default)]
    pub reading_progress: Vec<SectionReached>,
    /// Her memory of each card she has answered. Derived from `reviews`, so an import rebuilds
    /// it by replaying her merged log instead of trusting the file's, and files written before
    /// card memory existed (without the field) import the same way.
    #[serde(default)]
    pub card_memory: Vec<CardRow>,
    pub reviews: Vec<Review>,
}

/// What an import did, for the summary page and the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// The account was empty, so the file's settings and parameters were taken too.
    pub settings_taken: bool,
    pub reviews_added: usize,
    /// Already present: same card, concept and time, as many times as she has them.
    pub reviews_duplicate: usize,
    /// Their card is not in this database (content from another version), so the review
    /// cannot be stored.
    pub reviews_unknown_card: usize,
    pub states_added: usize,
    pub states_updated: usize,
    pub papers_added: usize,
    pub papers_updated: usize,
    /// Sections of paper pages reached (reading progress).
    pub sections_added: usize,
    pub sections_updated: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not a valid export; the message (Chinese) says what is wrong. Nothing was
    /// written.
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Everything the learner has, ready to serialise. Holds the whole log in memory: the command
/// line and tests use it; downloads use [`Download`], which streams the log.
pub async fn export(db: &Db, learner: i64) -> sqlx::Result<Export> {
    let head = head(db, learner, crate::store::now_ts()).await?;
    let reviews = queries::reviews(db, learner).await?;
    Ok(Export {
        format: head.format,
        version: head.version,
        exported_at: head.exported_at,
        account: head.account,
        papers_read: head.papers_read,
        concept_states: head.concept_states,
        reading_progress: head.reading_progress,
        card_memory: head.card_memory,
        reviews,
    })
}

/// Everything in an export but the review log, in the file's field order.
#[derive(Serialize)]
struct Head {
    format: String,
    version: i64,
    exported_at: i64,
    account: Account,
    papers_read: Vec<PaperRead>,
    concept_states: Vec<State>,
    reading_progress: Vec<SectionReached>,
    card_memory: Vec<CardRow>,
}

async fn head(db: &Db, learner: i64, exported_at: i64) -> sqlx::Result<Head> {
    let account = queries::account(db, learner)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let mut papers_read: Vec<PaperRead> = crate::store::quiz::papers_read(db, learner)
        .await?
        .into_iter()
        .map(|(paper_slug, read_at)| PaperRead {
            paper_slug,
            read_at,
        })
        .collect();
    // Papers read in the same second would otherwise come out in any order.
    papers_read.sort_by(|a, b| (a.read_at, &a.paper_slug).cmp(&(b.read_at, &b.paper_slug)));
    let concept_states = crate::store::quiz::states(db, learner).await?;
    let reading_progress = crate::store::reading::reached(db, learner)
        .await?
        .into_iter()
        .map(|r| SectionReached {
            paper_slug: r.paper,
            section: r.section,
            reached_at: r.at,
        })
        .collect();
    Ok(Head {
        format: FORMAT.to_string(),
        version: VERSION,
        exported_at,
        account,
        papers_read,
        concept_states,
        reading_progress,
        card_memory: crate::store::card_memory::rows(db, learner).await?,
    })
}

/// Which download a [`Download`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadKind {
    /// The JSON export, byte for byte what `serde_json::to_vec(&export(..))` gives.
    Json,
    /// The review log as [`revlog_csv`] writes it.
    RevlogCsv,
}

/// A download written in pieces: the head, then the review log a page at a time, so memory per
/// download is one page of rows ([`queries::PAGE_ROWS`]) whatever the size of the account.
/// Reviews answered while it runs may or may not be included; an import skips duplicates, so a
/// file with a review more or less is still a valid export.
pub struct Download {
    db: Db,
    learner: i64,
    kind: DownloadKind,
    exported_at: i64,
    after: Option<queries::PageKey>,
    /// Nothing written yet.
    started: bool,
    /// At least one review written (the JSON needs commas between them).
    any_review: bool,
    done: bool,
}

impl Download {
    pub fn new(db: Db, learner: i64, kind: DownloadKind, exported_at: i64) -> Download {
        Download {
            db,
            learner,
            kind,
            exported_at,
            after: None,
            started: false,
            any_review: false,
            done: false,
        }
    }

    /// The next piece of the file, or `None` after the last one. Takes and gives back `self`,
    /// so that a response body can keep the one pending call as a boxed future.
    pub async fn next_chunk(mut self) -> (Download, Result<Option<Vec<u8>>, DownloadError>) {
        let chunk = self.advance().await;
        (self, chunk)
    }

    async fn advance(&mut self) -> Result<Option<Vec<u8>>, DownloadError> {
        if self.done {
            return Ok(None);
        }
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            match self.kind {
                DownloadKind::Json => {
                    let head = head(&self.db, self.learner, self.exported_at).await?;
                    serde_json::to_writer(&mut out, &head)?;
                    // The head is an object; the log goes in as its last field.
                    out.pop();
                    out.extend_from_slice(br#","reviews":["#);
                }
                DownloadKind::RevlogCsv => out.extend_from_slice(REVLOG_HEADER.as_bytes()),
            }
            return Ok(Some(out));
        }
        let page =
            queries::reviews_page(&self.db, self.learner, self.after, queries::PAGE_ROWS).await?;
        self.after = page.last().map(|(key, _)| *key);
        let last_page = (page.len() as i64) < queries::PAGE_ROWS;
        match self.kind {
            DownloadKind::Json => {
                for (_, r) in &page {
                    if self.any_review {
                        out.push(b',');
                    }
                    self.any_review = true;
                    serde_json::to_writer(&mut out, r)?;
                }
                if last_page {
                    out.extend_from_slice(b"]}");
                }
            }
            DownloadKind::RevlogCsv => {
                let reviews: Vec<&Review> = page.iter().map(|(_, r)| r).collect();
                out.extend(revlog_rows(&reviews)?);
            }
        }
        self.done = last_page;
        Ok(Some(out))
    }
}

/// Why a download stopped half-way; the client then gets a cut-off file.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
    #[error("CSV error: {0}")]
    Csv(#[from] csv::Error),
}

/// Reads an export file. Anything that is not a paperdeck export of a version we know gets a
/// message saying so, before any field is looked at.
pub fn parse(bytes: &[u8]) -> Result<Export, ImportError> {
    /// Only the marker and the version, so that a file of another shape is recognised as
    /// "not ours" rather than reported as a confusing missing field. Each is read as a
    /// [`Marker`], which skips any other shape without building it: a 20 MB
    /// `{"format":[0,0,…]}` costs no memory before it is refused.
    #[derive(Deserialize)]
    struct Probe {
        format: Option<Marker>,
        version: Option<Marker>,
    }
    let invalid = |m: String| ImportError::Invalid(m);
    // Some editors save JSON with a byte-order mark, which serde_json would call a syntax error.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(
            "文件是空的：请选择从 paperdeck 导出的 JSON 文件。".into(),
        ));
    }
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| {
        invalid(if e.is_syntax() || e.is_eof() {
            "这个文件不是 JSON：请选择从 paperdeck 导出的 .json 文件（不是 CSV 或其他文件）。"
                .into()
        } else {
            "这不是 paperdeck 的导出文件：文件内容的结构不对。".into()
        })
    })?;
    if probe.format != Some(Marker::Text(FORMAT.to_string())) {
        return Err(invalid(format!(
            "这不是 paperdeck 的导出文件：缺少标记 \"format\": \"{FORMAT}\"。"
        )));
    }
    match probe.version {
        Some(Marker::Int(VERSION)) => {}
        Some(Marker::Int(v)) => {
            return Err(invalid(format!(
                "这个导出文件的格式版本是 {v}，这个版本的 paperdeck 只能导入版本 {VERSION}。"
            )))
        }
        Some(Marker::Text(_) | Marker::Other) | None => {
            return Err(invalid(
                "导出文件缺少格式版本（\"version\"），无法确认能否导入。".into(),
            ))
        }
    }
    serde_json::from_slice(bytes).map_err(|e| {
        invalid(format!(
            "导出文件的内容不完整或格式不对（{e}），所以没有导入任何数据。"
        ))
    })
}

/// A probed field: a short string, an integer, or anything else, skipped as it is read.
#[derive(Debug, PartialEq)]
enum Marker {
    Text(String),
    Int(i64),
    Other,
}

impl<'de> Deserialize<'de> for Marker {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Marker, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Marker;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Marker, E> {
                // The marker is short; a long string cannot be it and is not kept.
                Ok(if v.len() <= 64 {
                    Marker::Text(v.to_string())
                } else {
                    Marker::Other
                })
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Marker, E> {
                Ok(Marker::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Marker, E> {
                Ok(i64::try_from(v).map_or(Marker::Other, Marker::Int))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Marker, E> {
                Ok(Marker::Other)
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Marker, E> {
                Ok(Marker::Other)
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Marker, E> {
                Ok(Marker::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Marker, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Marker::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Marker, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Marker::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// Checks every value of a parsed export against the content and sane bounds. Pure, so the
/// whole file is judged before the import writes anything.
pub fn validate(content: &Content, e: &Export) -> Result<(), String> {
    if e.format != FORMAT || e.version != VERSION {
        return Err(format!(
            "这不是 paperdeck 导出文件（格式 {FORMAT}，版本 {VERSION}）。"
        ));
    }
    validate_account(&e.account)?;
    validate_papers_read(content, e)?;
    validate_reading_progress(content, e)?;
    let concepts = validate_concept_states(content, e)?;
    validate_reviews(e, &concepts)
}

// Every number is checked against its real domain, not just its sign: the database does
// arithmetic on them (`version + 1`, `reps + 1`), and an i64::MAX there overflowed to REAL
// and broke every later read of the account (M2).

/// How far ahead of the server's clock a time of reading may be (the clock of the device or
/// instance that wrote the file may run a little ahead).
const CLOCK_SLACK_SECS: i64 = 86_400;

/// Times of reading lie in the past: a paper read or a section reached "in 2100" would pin
/// 继续读 for good (re-test 2026-12-06, I3). Checked at import against the app's clock (`now`,
/// which tests move forward), so [`validate`] stays pure.
fn not_ahead(e: &Export, now: i64) -> Result<(), String> {
    let latest = now.saturating_add(CLOCK_SLACK_SECS);
    let read = e.papers_read.iter().map(|p| (&p.paper_slug, p.read_at));
    let reached = e
        .reading_progress
        .iter()
        .map(|r| (&r.paper_slug, r.reached_at));
    match read.chain(reached).find(|(_, at)| *at > latest) {
        Some((paper, _)) => Err(format!("论文“{}”的阅读时间在未来，文件有误。", clip(paper))),
        None => Ok(()),
    }
}

/// A timestamp within the range the app can store and show.
fn ts_ok(t: i64) -> bool {
    (0..=MAX_TS).contains(&t)
}

/// A finite FSRS stability within the scheduler's range.
fn stability_ok(v: f32) -> bool {
    v.is_finite() && (0.0..=MAX_STABILITY).contains(&v)
}

/// A finite FSRS difficulty, which lies in 1–10.
fn difficulty_ok(v: f32) -> bool {
    v.is_finite() && (1.0..=10.0).contains(&v)
}

/// A review or lapse count the database can still add one to.
fn count_ok(n: i64) -> bool {
    (0..=MAX_COUNT).contains(&n)
}

/// A row version the database can still add one to.
fn version_ok(n: i64) -> bool {
    (0..=MAX_VERSION).contains(&n)
}

/// A day count within the scheduler's range.
fn days_ok(n: i64) -> bool {
    (0..=MAX_DAYS).contains(&n)
}

/// The account: its creation time, settings and personal parameters.
fn validate_account(a: &Account) -> Result<(), String> {
    if !ts_ok(a.created_at) {
        return Err("账户的创建时间不合理。".into());
    }
    // The same bounds as the settings form.
    crate::settings::LearnerSettings::new(
        a.desired_retention,
        a.new_per_day,
        a.max_reviews_per_day,
        &a.timezone,
        a.rollover_hour,
    )
    .map_err(|m| format!("文件里的设置有误：{m}"))?;
    if let Some(p) = &a.fsrs_params {
        if p.len() != 21 || !p.iter().all(|v| v.is_finite() && v.abs() <= 1000.0) {
            return Err("个人复习参数应当是 21 个有限的数。".into());
        }
    }

    Ok(())
}

/// The papers read: known, each once, at a sane time.
fn validate_papers_read(content: &Content, e: &Export) -> Result<(), String> {
    let rows = e.papers_read.iter().map(|p| (&p.paper_slug, "", p.read_at));
    paper_rows(content, "读过的论文", content.papers.len(), rows, |_| true)
}

/// The sections reached: of known papers, known sections, each once, at a sane time.
fn validate_reading_progress(content: &Content, e: &Export) -> Result<(), String> {
    let most = content.papers.len() * crate::reading::CHECK_SECTIONS.len();
    let rows = e
        .reading_progress
        .iter()
        .map(|r| (&r.paper_slug, r.section.as_str(), r.reached_at));
    paper_rows(
        content,
        "阅读进度",
        most,
        rows,
        crate::reading::is_check_section,
    )
}

/// One of the file's per-paper lists, as (paper, part of the paper or "", time) rows: at most
/// `most` rows, each of a known paper and a known part, none twice, each at a sane time. `list`
/// names the list in the message.
fn paper_rows<'a>(
    content: &Content,
    list: &str,
    most: usize,
    rows: impl ExactSizeIterator<Item = (&'a String, &'a str, i64)>,
    part_ok: fn(&str) -> bool,
) -> Result<(), String> {
    if rows.len() > most {
        return Err(format!("{list}比论文里能有的还多，文件有误。"));
    }
    let mut seen = HashSet::new();
    for (paper, part, at) in rows {
        let name = if part.is_empty() {
            format!("论文“{}”", clip(paper))
        } else {
            format!("论文“{}”的小节“{}”", clip(paper), clip(part))
        };
        if content.paper(paper).is_none() {
            return Err(format!("{list}里有不认识的论文“{}”。", clip(paper)));
        }
        if !part_ok(part) {
            return Err(format!("{list}里有不认识的小节：{name}。"));
        }
        if !seen.insert((paper, part)) {
            return Err(format!("{list}里{name}出现了两次。"));
        }
        if !ts_ok(at) {
            return Err(format!("{list}里{name}的时间不合理。"));
        }
    }
    Ok(())
}

/// The concept states: known, each once, with sane numbers; returns the concepts they cover,
/// which every review must belong to.
fn validate_concept_states<'e>(
    content: &Content,
    e: &'e Export,
) -> Result<HashSet<&'e str>, String> {
    if e.concept_states.len() > content.concepts.len() {
        return Err("概念状态比概念总数还多，文件有误。".into());
    }
    let mut concepts = HashSet::new();
    for s in &e.concept_states {
        let name = clip(&s.concept);
        if content.concept(&s.concept).is_none() {
            return Err(format!("概念状态里有不认识的概念“{name}”。"));
        }
        if !concepts.insert(s.concept.as_str()) {
            return Err(format!("概念“{name}”的状态出现了两次。"));
        }
        let times_ok = ts_ok(s.unlocked_at)
            && s.due_at.is_none_or(ts_ok)
            && s.last_review_at.is_none_or(ts_ok);
        let numbers_ok = s.stability.is_none_or(stability_ok)
            && s.difficulty.is_none_or(difficulty_ok)
            && count_ok(s.reps)
            && count_ok(s.lapses)
            && s.lapses <= s.reps
            && version_ok(s.version)
            && s.last_card_id
                .as_ref()
                .is_none_or(|c| c.chars().count() <= MAX_ID_CHARS);
        if !times_ok || !numbers_ok {
            return Err(format!("概念“{name}”的状态里有不合理的数值。"));
        }
    }

    Ok(concepts)
}

/// The review log: bounded in size, every review well-formed and consistent with itself.
fn validate_reviews(e: &Export, concepts: &HashSet<&str>) -> Result<(), String> {
    if e.reviews.len() > MAX_REVIEWS {
        return Err(format!(
            "复习记录太多：最多导入 {MAX_REVIEWS} 条，文件里有 {} 条。",
            e.reviews.len()
        ));
    }
    for (i, r) in e.reviews.iter().enumerate() {
        let n = i + 1;
        if !(1..=4).contains(&r.rating) {
            return Err(format!(
                "第 {n} 条复习记录的评分是 {}，评分只能是 1–4。",
                r.rating
            ));
        }
        if r.card_id.is_empty() || r.card_id.chars().count() > MAX_ID_CHARS {
            return Err(format!("第 {n} 条复习记录的题目编号不对。"));
        }
        if !concepts.contains(r.concept_slug.as_str()) {
            return Err(format!(
                "第 {n} 条复习记录的概念“{}”不在文件的概念状态里。",
                clip(&r.concept_slug)
            ));
        }
        if ReviewKind::parse(&r.review_kind).is_none() {
            return Err(format!(
                "第 {n} 条复习记录的类型“{}”不认识（应为 learn、review 或 practice）。",
                clip(&r.review_kind)
            ));
        }
        if r.answer.chars().count() > MAX_ANSWER_CHARS {
            return Err(format!(
                "第 {n} 条复习记录的答案太长（最多 {MAX_ANSWER_CHARS} 字）。"
            ));
        }
        let times_ok = ts_ok(r.reviewed_at)
            && ts_ok(r.due_after_at)
            && r.due_before_at.is_none_or(ts_ok)
            && r.last_review_before_at.is_none_or(ts_ok);
        let numbers_ok = (0..=MAX_DURATION_MS).contains(&r.duration_ms)
            && r.stability_before.is_none_or(stability_ok)
            && r.difficulty_before.is_none_or(difficulty_ok)
            && stability_ok(r.stability_after)
            && difficulty_ok(r.difficulty_after)
            && count_ok(r.reps_before)
            && count_ok(r.lapses_before)
            && days_ok(r.elapsed_days)
            && days_ok(r.scheduled_days)
            && version_ok(r.version_after);
        if !times_ok || !numbers_ok {
            return Err(format!("第 {n} 条复习记录里有不合理的时间或数值。"));
        }
        // An override turns a wrong answer into a right one; an overridden wrong answer would
        // make the log contradict the state computed from it.
        if r.overridden && !r.correct {
            return Err(format!(
                "第 {n} 条复习记录标着“算我对”，却记为答错，前后矛盾。"
            ));
        }
    }
    Ok(())
}

/// The first 40 characters of a name from the file, for messages.
fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Most answers one account may hold: far above years of daily study (18 concepts at ten answers
/// a day is a decade), low enough that every per-learner read stays cheap and an account's export
/// still fits in one upload. Imports that would go above it are refused.
pub const MAX_REVIEWS_PER_LEARNER: usize = 40_000;

/// Reviews written per write transaction by an import: a batch holds the one write connection
/// for a few milliseconds, and answers from other learners queued meanwhile go first.
pub const IMPORT_BATCH: usize = 200;

/// Takes an export into the learner's account.
///
/// Into an empty account (no papers read, no states, no reviews) everything is taken, settings
/// and parameters included. Into an account with data the two are merged: reviews already
/// present (same card, concept and time) are skipped; papers read are unioned with the earlier
/// time kept; for each concept the state with the later last review wins and the earlier unlock
/// time is kept; her settings stay. Reviews whose card is not in this database are skipped and
/// counted.
///
/// The file is validated, and the account's size checked against [`MAX_REVIEWS_PER_LEARNER`],
/// before anything is written. The reviews then go in batches of [`IMPORT_BATCH`], each its own
/// short transaction, so an import never holds the write path for long; settings, papers and
/// states follow in one last transaction. A database failure half-way leaves the reviews
/// written so far, and importing the same file again completes it (they are skipped as
/// duplicates).
pub async fn import(
    db: &Db,
    content: &Content,
    learner: i64,
    file: &Export,
    now: i64,
) -> Result<ImportReport, ImportError> {
    validate(content, file).map_err(ImportError::Invalid)?;
    not_ahead(file, now).map_err(ImportError::Invalid)?;
    let mut report = ImportReport::default();
    // What is there already, read without the write connection: the batches below only add rows
    // this learner's own (serialised) import decides on.
    let mut read = db.read.acquire().await?;
    let cards = queries::card_ids(&mut read).await?;
    let was_empty = queries::papers_of(&mut read, learner).await?.is_empty()
        && queries::states_of(&mut read, learner).await?.is_empty();
    let mut seen = queries::review_keys(&mut read, learner).await?;
    drop(read);
    let was_empty = was_empty && seen.is_empty();
    let existing = seen.values().sum();

    let new_reviews = new_reviews(file, &cards, &mut seen, &mut report);
    drop(seen);
    check_account_size(existing, new_reviews.len()).map_err(ImportError::Invalid)?;
    insert_reviews(db, learner, &new_reviews, &mut report).await?;

    let mut tx = db.write.begin().await?;
    crate::store::bump(&mut tx, learner).await?;
    if was_empty {
        queries::set_settings(&mut tx, learner, &file.account).await?;
        report.settings_taken = true;
    }
    merge_papers_states_and_sections(&mut tx, learner, file, &mut report).await?;
    crate::store::commit_for(db, tx, learner).await?;
    // After the settings: the replay uses her parameters and time zone.
    crate::store::card_memory::rebuild(db, learner).await?;
    Ok(report)
}

/// The file's reviews this learner does not have yet, oldest first; counts the ones skipped.
fn new_reviews<'f>(
    file: &'f Export,
    cards: &HashSet<String>,
    seen: &mut queries::ReviewKeys,
    report: &mut ImportReport,
) -> Vec<&'f Review> {
    // Oldest first, so review ids keep following time as the quiz expects.
    let mut order: Vec<&Review> = file.reviews.iter().collect();
    order.sort_by_key(|r| r.reviewed_at);
    let mut new_reviews = Vec::new();
    for r in order {
        if !cards.contains(&r.card_id) {
            report.reviews_unknown_card += 1;
        } else {
            let key = (r.card_id.clone(), r.concept_slug.clone(), r.reviewed_at);
            match seen.get_mut(&key) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    report.reviews_duplicate += 1;
                }
                _ => new_reviews.push(r),
            }
        }
    }
    new_reviews
}

/// Adds the new reviews in batches of `IMPORT_BATCH`, one transaction each.
async fn insert_reviews(
    db: &Db,
    learner: i64,
    new_reviews: &[&Review],
    report: &mut ImportReport,
) -> Result<(), ImportError> {
    for batch in new_reviews.chunks(IMPORT_BATCH) {
        let mut tx = db.write.begin().await?;
        crate::store::bump(&mut tx, learner).await?;
        // Her card memory must be rebuilt with these reviews; queued with them, so that a
        // failure before the rebuild below leaves it to the next start-up.
        crate::store::card_memory::enqueue_in(&mut tx, learner).await?;
        let mut last_id = None;
        for r in batch {
            last_id = Some(queries::insert_review(&mut tx, learner, r).await?);
        }
        if let Some(id) = last_id {
            // Undo is for the answer just given: an imported review must not be undoable.
            queries::raise_undo_floor(&mut tx, learner, id).await?;
        }
        tx.commit().await?;
        report.reviews_added += batch.len();
    }

    Ok(())
}

/// Merges what is not the review log: adds the papers she had not read and moves earlier the
/// ones the file read first; adds the concept states she lacks and merges the ones she has;
/// adds the sections she had not reached and takes the file's time for a section it reached
/// later (so "继续读" follows whichever reading was the latest).
async fn merge_papers_states_and_sections(
    tx: &mut crate::store::Conn,
    learner: i64,
    file: &Export,
    report: &mut ImportReport,
) -> Result<(), ImportError> {
    // Read inside the transaction: what is merged is exactly what is there when it commits.
    let papers = queries::papers_of(&mut *tx, learner).await?;
    let states = queries::states_of(&mut *tx, learner).await?;
    let sections = queries::sections_of(&mut *tx, learner).await?;
    for p in &file.papers_read {
        match papers.get(&p.paper_slug) {
            None => report.papers_added += 1,
            Some(at) if p.read_at < *at => report.papers_updated += 1,
            Some(_) => continue,
        }
        queries::put_paper(tx, learner, &p.paper_slug, p.read_at).await?;
    }
    for s in &file.concept_states {
        match states.get(&s.concept) {
            None => {
                // A state she never had: no question for it was ever shown to her, so no open
                // quiz token can refer to it and the file's version is kept as it is.
                queries::put_state(tx, learner, s).await?;
                report.states_added += 1;
            }
            Some(mine) => {
                if let Some(merged) = merge_state(mine, s) {
                    queries::put_state(tx, learner, &merged).await?;
                    report.states_updated += 1;
                }
            }
        }
    }
    for r in &file.reading_progress {
        match sections.get(&(r.paper_slug.clone(), r.section.clone())) {
            None => report.sections_added += 1,
            Some(at) if r.reached_at > *at => report.sections_updated += 1,
            Some(_) => continue,
        }
        queries::put_section(tx, learner, r).await?;
    }
    Ok(())
}

/// Whether an account holding `existing` answers can take `adding` more.
fn check_account_size(existing: usize, adding: usize) -> Result<(), String> {
    if existing.saturating_add(adding) > MAX_REVIEWS_PER_LEARNER {
        return Err(format!(
            "导入后你的答题记录会有 {} 条，超过每个账户最多 {MAX_REVIEWS_PER_LEARNER} 条的上限，所以没有导入任何数据。",
            existing.saturating_add(adding)
        ));
    }
    Ok(())
}

/// The state to store when a file's state meets the learner's own, or `None` when hers stays
/// as it is. The one with the later last review wins, the earlier unlock time is kept, and the
/// version goes up by one so that a question she has open for this concept becomes stale.
fn merge_state(mine: &State, theirs: &State) -> Option<State> {
    // `None` (never reviewed) sorts before any time, so a reviewed state beats a new one.
    let theirs_wins = theirs.last_review_at > mine.last_review_at;
    let unlocked_at = mine.unlocked_at.min(theirs.unlocked_at);
    if !theirs_wins && unlocked_at == mine.unlocked_at {
        return None;
    }
    let base = if theirs_wins { theirs } else { mine };
    Some(State {
        unlocked_at,
        version: mine.version + 1,
        ..base.clone()
    })
}

/// The first line of the review log CSV.
const REVLOG_HEADER: &str = "card_id,review_rating,review_time,review_duration\n";

/// The review log in the CSV format `paperdeck evaluate --revlog` reads:
/// `card_id,review_rating,review_time,review_duration`, time in ISO-8601 UTC, duration in ms.
pub fn revlog_csv(reviews: &[Review]) -> Result<Vec<u8>, csv::Error> {
    let mut out = REVLOG_HEADER.as_bytes().to_vec();
    out.extend(revlog_rows(&reviews.iter().collect::<Vec<_>>())?);
    Ok(out)
}

/// The rows of the review log CSV, without the header.
fn revlog_rows(reviews: &[&Review]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in reviews {
        let time = chrono::DateTime::from_timestamp(r.reviewed_at, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        w.write_record([
            r.card_id.clone(),
            r.rating.to_string(),
            time,
            r.duration_ms.to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// The lines Anki reads before the rows: comma-separated, fields are HTML, a "Basic" note type
/// with Front and Back.
pub const ANKI_HEADER: &str =
    "#separator:Comma\n#html:true\n#notetype:Basic\n#columns:Front;Back\n";

/// The live cards as a CSV that Anki imports as a "Basic" deck.
pub fn anki_csv(content: &Content, cards: &CardIndex) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .flexible(false)
        .from_writer(ANKI_HEADER.as_bytes().to_vec());
    for c in &cards.cards {
        let (front, back) = anki_note(content, c);
        w.write_record([front, back])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// Front and back of one card, as HTML (escaped, since the deck says `#html:true`).
pub fn anki_note(content: &Content, c: &Card) -> (String, String) {
    let paper_name = |slug: &str| {
        content
            .paper(slug)
            .map(|p| format!("{}（{}）", p.short, p.title_zh))
            .unwrap_or_else(|| slug.to_string())
    };
    let with_options = |lead: &str, options: Vec<String>| {
        let mut s = format!("{lead}{}", html_escape(&c.prompt));
        for (i, o) in options.iter().enumerate() {
            let letter = char::from(b'A' + (i % 26) as u8);
            s.push_str(&format!("<br>{letter}. {}", html_escape(o)));
        }
        s
    };
    let (front, answer) = match &c.data {
        CardData::Choice {
            answer,
            distractors,
        } => {
            // Sorted, so the right answer is not always option A.
            let mut options: Vec<String> = std::iter::once(answer)
                .chain(distractors)
                .cloned()
                .collect();
            options.sort();
            (with_options("", options), answer.clone())
        }
        CardData::WhichPaper {
            answer,
            distractors,
        } => {
            // In reading order, as on the paper list.
            let mut slugs: Vec<&String> = std::iter::once(answer).chain(distractors).collect();
            slugs.sort_by_key(|s| content.paper_index(s).unwrap_or(usize::MAX));
            let options = slugs.into_iter().map(|s| paper_name(s)).collect();
            (with_options("哪篇论文？", options), paper_name(answer))
        }
        CardData::TrueFalse { truth, correct } => (
            format!("判断：{}", html_escape(&c.prompt)),
            if *truth {
                "正确".to_string()
            } else {
                format!("错误。正确的说法是：{correct}")
            },
        ),
        CardData::Fill { answer, .. } => (html_escape(&c.prompt), answer.clone()),
        CardData::Recall { model_answer } => (html_escape(&c.prompt), model_answer.clone()),
    };
    let kind = if c.kind == CardKind::Recall {
        "参考答案"
    } else {
        "答案"
    };
    let back = format!(
        "{kind}：{}<br><br>{}",
        html_escape(&answer),
        html_escape(&c.explanation)
    );
    (front, back)
}

/// Escapes text for an HTML field; line breaks become `<br>` so they survive in Anki.
pub fn html_escape(s: &str) -> String {
    crate::charts::esc(s).replace('\n', "<br>")
}

/// A file name for a download: `paperdeck-<name>.<ext>` with the ASCII letters, digits, `_` and
/// `-` of the user name, or `paperdeck.<ext>` when none are left (a Chinese name): header
/// values must be ASCII to be read the same by every browser.
pub fn file_name(username: &str, suffix: &str) -> String {
    let safe: String = username
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(32)
        .collect();
    if safe.is_empty() {
        format!("paperdeck{suffix}")
    } else {
        format!("paperdeck-{safe}{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> Content {
        crate::content::embedded().expect("embedded content")
    }

    /// I3 (re-test 2026-12-06): a reading time in 2100 pinned 继续读 for good. Times of reading
    /// may be at most a day ahead of the server's clock.
    #[test]
    fn reading_times_in_the_future_are_refused() {
        let c = content();
        let now = 1_767_323_045;
        assert!(not_ahead(&sample(&c), now).is_ok());
        let mut late = sample(&c);
        late.reading_progress[0].reached_at = 4_102_444_800; // 2100-01-01
        assert!(not_ahead(&late, now).unwrap_err().contains("未来"));
        let mut read = sample(&c);
        read.papers_read[0].read_at = now + CLOCK_SLACK_SECS + 1;
        assert!(not_ahead(&read, now).is_err());
        read.papers_read[0].read_at = now + CLOCK_SLACK_SECS;
        assert!(
            not_ahead(&read, now).is_ok(),
            "another clock a little ahead is fine"
        );
    }

    fn sample(content: &Content) -> Export {
        let concept = content.concepts[0].slug.clone();
        Export {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: 1_767_323_045,
            account: Account::with_defaults("alice".into(), 1_767_000_000),
            papers_read: vec![PaperRead {
                paper_slug: content.papers[0].slug.clone(),
                read_at: 1_767_000_100,
            }],
            concept_states: vec![State {
                concept: concept.clone(),
                unlocked_at: 1_767_000_100,
                stability: Some(2.3065),
                difficulty: Some(2.118_104_2),
                due_at: Some(1_767_300_000),
                last_review_at: Some(1_767_000_200),
                reps: 1,
                lapses: 0,
                last_card_id: Some("0123456789abcdef0123".into()),
                version: 1,
            }],
            reading_progress: vec![SectionReached {
                paper_slug: content.papers[0].slug.clone(),
                section: "core".into(),
                reached_at: 1_767_000_150,
            }],
            card_memory: Vec::new(),
            reviews: vec![Review {
                card_id: "0123456789abcdef0123".into(),
                concept_slug: concept,
                reviewed_at: 1_767_323_045,
                answer: "true".into(),
                correct: true,
                rating: 3,
                duration_ms: 8123,
                review_kind: "learn".into(),
                stability_before: None,
                difficulty_before: None,
                due_before_at: None,
                last_review_before_at: None,
                reps_before: 0,
                lapses_before: 0,
                stability_after: 2.3065,
                difficulty_after: 2.118_104_2,
                due_after_at: 1_767_300_000,
                elapsed_days: 0,
                scheduled_days: 2,
                version_after: 1,
                overridden: false,
            }],
        }
    }

    #[test]
    fn export_round_trips_through_json_exactly() {
        let c = content();
        let mut e = sample(&c);
        // Values as the scheduler produces them: f32 with all their digits.
        e.concept_states[0].stability = Some(1.0 / 3.0);
        e.reviews[0].difficulty_after = 7.123_456_7;
        let json = serde_json::to_vec(&e).unwrap();
        let back = parse(&json).unwrap();
        assert_eq!(back, e);
        assert!(validate(&c, &back).is_ok());
    }

    #[test]
    fn overrides_round_trip_and_old_files_without_them_still_parse() {
        let c = content();
        let mut e = sample(&c);
        e.reviews[0].overridden = true;
        let back = parse(&serde_json::to_vec(&e).unwrap()).unwrap();
        assert_eq!(back, e);
        // A file written before the override existed has no `overridden` field at all.
        let mut old = serde_json::to_value(sample(&c)).unwrap();
        old["reviews"][0]
            .as_object_mut()
            .unwrap()
            .remove("overridden");
        let back = parse(&serde_json::to_vec(&old).unwrap()).unwrap();
        assert!(!back.reviews[0].overridden);
        assert!(validate(&c, &back).is_ok());
        // Nor, before reading progress was exported, a `reading_progress` field.
        let mut old = serde_json::to_value(sample(&c)).unwrap();
        old.as_object_mut().unwrap().remove("reading_progress");
        let back = parse(&serde_json::to_vec(&old).unwrap()).unwrap();
        assert!(back.reading_progress.is_empty());
        assert!(validate(&c, &back).is_ok());
    }

    #[test]
    fn files_that_are_not_exports_are_named_as_such() {
        let msg = |b: &[u8]| match parse(b) {
            Err(ImportError::Invalid(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(msg(b"").contains("空"));
        assert!(
            msg(b"\xEF\xBB\xBF{}").contains("format"),
            "a BOM is not an error"
        );
        assert!(msg(b"card_id,review_rating\n").contains("不是 JSON"));
        assert!(msg(b"[1,2]").contains("不是 paperdeck"));
        assert!(msg(br#"{"reviews": []}"#).contains("format"));
        assert!(msg(br#"{"format": "paperdeck-export", "version": 2}"#).contains("版本是 2"));
        assert!(msg(br#"{"format": "paperdeck-export", "version": 1}"#).contains("不完整"));
    }

    /// M4: the probe decoded `format` and `version` as `serde_json::Value`, so a 20 MB
    /// `{"format":[0,0,…]}` took +340 MB before being refused. They are skipped as they are read
    /// now; odd shapes get the "not ours" messages and nesting is refused, not followed.
    #[test]
    fn m4_probe_skips_odd_shapes_without_building_them() {
        let msg = |b: &[u8]| match parse(b) {
            Err(ImportError::Invalid(m)) => m,
            other => panic!("{other:?}"),
        };
        let zeros = vec!["0"; 2_000_000].join(",");
        assert!(
            msg(format!(r#"{{"format":[{zeros}],"version":1}}"#).as_bytes()).contains("format")
        );
        let objects = vec!["{}"; 500_000].join(",");
        assert!(msg(format!(r#"{{"format":[{objects}]}}"#).as_bytes()).contains("format"));
        let long = "x".repeat(1_000_000);
        assert!(msg(format!(r#"{{"format":"{long}"}}"#).as_bytes()).contains("format"));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(msg(format!(r#"{{"format":{deep}}}"#).as_bytes()).contains("不是 paperdeck"));
        assert!(msg(br#"{"format": "paperdeck-export", "version": "1"}"#).contains("缺少格式版本"));
        assert!(msg(br#"{"format": "paperdeck-export", "version": [1]}"#).contains("缺少格式版本"));
    }

    #[test]
    fn m3_account_size_is_checked_before_writing() {
        assert!(check_account_size(0, MAX_REVIEWS_PER_LEARNER).is_ok());
        assert!(check_account_size(MAX_REVIEWS_PER_LEARNER - 1, 1).is_ok());
        let err = check_account_size(MAX_REVIEWS_PER_LEARNER, 1).unwrap_err();
        assert!(err.contains("上限"), "{err}");
        assert!(check_account_size(usize::MAX, usize::MAX).is_err());
    }

    /// Breaks one value of a valid export.
    type Breaker = fn(&mut Export);

    #[test]
    fn validation_rejects_bad_values_with_a_message() {
        let c = content();
        let cases: Vec<(Breaker, &str)> = vec![
            (|e| e.reviews[0].rating = 9, "评分是 9"),
            (|e| e.reviews[0].rating = 0, "评分"),
            (|e| e.reviews[0].stability_after = f32::INFINITY, "不合理"),
            (|e| e.reviews[0].review_kind = "cram".into(), "类型"),
            (|e| e.reviews[0].concept_slug = "nope".into(), "概念"),
            (|e| e.concept_states[0].concept = "nope".into(), "不认识"),
            (
                |e| e.concept_states[0].difficulty = Some(f32::NAN),
                "不合理",
            ),
            (|e| e.papers_read[0].paper_slug = "gpt-9".into(), "不认识"),
            (
                |e| e.reading_progress[0].paper_slug = "gpt-9".into(),
                "不认识的论文",
            ),
            (
                |e| e.reading_progress[0].section = "intro".into(),
                "不认识的小节",
            ),
            (|e| e.reading_progress[0].reached_at = -1, "时间不合理"),
            (|e| e.account.desired_retention = 1.5, "保持率"),
            (|e| e.account.timezone = "Mars/Base".into(), "时区"),
            (|e| e.account.fsrs_params = Some(vec![1.0; 3]), "21"),
            (|e| e.reviews[0].reviewed_at = -5, "不合理"),
            (
                |e| {
                    e.reviews[0].correct = false;
                    e.reviews[0].overridden = true;
                },
                "算我对",
            ),
        ];
        for (break_it, expected) in cases {
            let mut e = sample(&c);
            break_it(&mut e);
            let err = validate(&c, &e).unwrap_err();
            assert!(err.contains(expected), "{err} should mention {expected}");
        }
        let mut twice = sample(&c);
        twice.papers_read.push(twice.papers_read[0].clone());
        assert!(validate(&c, &twice).unwrap_err().contains("两次"));
        let mut twice = sample(&c);
        twice
            .reading_progress
            .push(twice.reading_progress[0].clone());
        assert!(validate(&c, &twice).unwrap_err().contains("两次"));
    }

    #[test]
    fn merging_keeps_the_later_review_and_the_earlier_unlock() {
        let c = content();
        let mine = sample(&c).concept_states[0].clone();
        assert_eq!(
            merge_state(&mine, &mine),
            None,
            "the same state changes nothing"
        );
        let mut newer = mine.clone();
        newer.last_review_at = Some(1_767_500_000);
        newer.reps = 4;
        newer.unlocked_at = mine.unlocked_at + 10;
        newer.version = 9;
        let m = merge_state(&mine, &newer).unwrap();
        assert_eq!(m.reps, 4);
        assert_eq!(m.unlocked_at, mine.unlocked_at);
        assert_eq!(m.version, mine.version + 1);
        let mut earlier_unlock = mine.clone();
        earlier_unlock.unlocked_at -= 100;
        earlier_unlock.last_review_at = None;
        let m = merge_state(&mine, &earlier_unlock).unwrap();
        assert_eq!((m.reps, m.unlocked_at), (mine.reps, mine.unlocked_at - 100));
    }

    #[test]
    fn anki_notes_escape_html_and_show_options() {
        let c = content();
        let cards = crate::cards::generate(&c, crate::cards::APP_SEED).unwrap();
        let index = CardIndex::new(cards);
        let csv = String::from_utf8(anki_csv(&c, &index).unwrap()).unwrap();
        assert!(csv.starts_with(ANKI_HEADER));
        let choice = index
            .cards
            .iter()
            .find(|c| c.kind == CardKind::Choice)
            .unwrap();
        let (front, _) = anki_note(&c, choice);
        assert!(
            front.contains("<br>A. ") && front.contains("<br>D. "),
            "{front}"
        );
        let tf = index
            .cards
            .iter()
            .find(|c| c.kind == CardKind::TrueFalse)
            .unwrap();
        assert!(anki_note(&c, tf).0.starts_with("判断："));
        assert_eq!(
            html_escape("a<b & \"c\"\nd"),
            "a&lt;b &amp; &quot;c&quot;<br>d"
        );
    }

    #[test]
    fn revlog_rows_use_iso_times_and_milliseconds() {
        let c = content();
        let csv = String::from_utf8(revlog_csv(&sample(&c).reviews).unwrap()).unwrap();
        assert_eq!(
            csv,
            "card_id,review_rating,review_time,review_duration\n\
             0123456789abcdef0123,3,2026-01-02T03:04:05Z,8123\n"
        );
    }

    #[test]
    fn file_names_keep_only_safe_ascii() {
        assert_eq!(file_name("Alice_1", ".json"), "paperdeck-Alice_1.json");
        assert_eq!(file_name("小明", "-revlog.csv"), "paperdeck-revlog.csv");
        assert_eq!(file_name("小明ab", ".json"), "paperdeck-ab.json");
    }
}
