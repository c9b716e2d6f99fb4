//! Reading: home, the paper list and pages, the glossary, and the health check.

use super::error::AppError;
use super::shared::{self, shared_or_return};
use super::{render, Nav, PaperPath};
use crate::content::{Concept, GlossaryTerm, Paper, TimelineItem};
use crate::startup::AppState;
use crate::web::Page;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn routes(r: &mut super::Routes) {
    r.get("/", home)
        .get("/papers", papers_index)
        .get("/papers/{slug}", paper_show)
        .get("/timeline", timeline)
        .get("/concepts", concepts_index)
        .get("/concepts/{slug}", concept_show)
        .get("/glossary", glossary_index);
}

/// How a paper's title is shown. Several `title_zh` already start with the short name
/// ("PaLM：用 Pathways…", "GPT-4 技术报告"), and putting the short name in front again read
/// "PaLM：PaLM：…"; used by the templates of this module.
pub trait PaperTitles {
    /// The whole title: `title_zh`, with the short name in front only when it lacks it.
    fn full_title(&self) -> String;
    /// What to show after the short name when both are shown: `title_zh` without a leading
    /// short name and its separator.
    fn title_rest(&self) -> &str;
}

impl PaperTitles for Paper {
    fn full_title(&self) -> String {
        if self.title_zh.starts_with(self.short.as_str()) {
            self.title_zh.clone()
        } else {
            format!("{}：{}", self.short, self.title_zh)
        }
    }

    fn title_rest(&self) -> &str {
        self.title_zh
            .strip_prefix(self.short.as_str())
            .map(|r| r.trim_start_matches(['：', ':', ' ']))
            .filter(|r| !r.is_empty())
            .unwrap_or(&self.title_zh)
    }
}

pub use crate::text::html::keep_numbers_whole;

/// `{"database": "ok", "writer": "ok", "writer_restarts": 0}`: 200 while answers can be
/// recorded (a writer being restarted will be back in a moment), 503 otherwise.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    use crate::store::writer::Health;
    let database = match state.db.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            "unavailable"
        }
    };
    let writer = state.answers.health();
    let body = serde_json::json!({
        "database": database,
        "writer": writer.as_str(),
        "writer_restarts": state.answers.restarts(),
    });
    let mut res = if database == "ok" && writer != Health::Stopped {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    res.insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// Liveness: 200 as long as the process serves HTTP, whatever the database does. A supervisor
/// restarts an instance whose `/livez` fails; `/healthz` (readiness) is what a load balancer
/// should use to stop sending it requests while the database is away, without a restart that
/// would not help.
pub async fn livez() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "live": true }))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    nav: Nav,
    papers: &'a [Paper],
    concept_count: usize,
    /// Today's plan, for a logged-in learner.
    today: Option<Today>,
    /// "继续读": the paper and the section (id, title) she reads next.
    continue_at: Option<(&'a Paper, &'static str, &'static str)>,
}

struct Today {
    plan: crate::scheduler::Plan,
    unlocked: usize,
    papers_read: usize,
    next_due: Option<String>,
    /// She has no unused recovery code (an account from before they existed, or all used):
    /// one quiet line sends her to make some.
    no_codes: bool,
}

async fn home(state: web::Data<AppState>, req: HttpRequest) -> Page {
    let (visitor, fill) = shared_or_return!(req, state);
    // One snapshot for both parts (a snapshot copies her states and today's answers).
    let (continue_at, today) = match &visitor.learner {
        Some(l) => {
            let snap = crate::quiz::service::snapshot(&state.quiz_as(l), l.id).await?;
            let continue_at =
                crate::reading::continue_reading(&state.content.papers, &snap.data.reached)
                    .map(|(p, s)| (p, s, crate::reading::section_title(s)));
            let today = Today {
                plan: snap.plan(),
                unlocked: snap.states.len(),
                // The cached snapshot already holds them: no second query.
                papers_read: snap.data.papers_read.len(),
                next_due: snap
                    .next_due()
                    .map(|t| super::describe_when(t, snap.now, &snap.prefs)),
                no_codes: snap.data.codes_unused == 0,
            };
            (continue_at, Some(today))
        }
        None => (None, None),
    };
    let page = render(&HomePage {
        nav: visitor.nav("home"),
        papers: &state.content.papers,
        concept_count: state.content.concepts.len(),
        today,
        continue_at,
    });
    shared::finish(&state, fill, page).await
}

#[derive(Template)]
#[template(path = "papers/index.html")]
struct PapersIndex<'a> {
    nav: Nav,
    papers: &'a [Paper],
    /// Per paper, how many of its check sections she has reached; empty when logged out.
    reached: Vec<usize>,
    sections: usize,
}

impl PapersIndex<'_> {
    /// How far she has read paper `i`, when logged in.
    fn reached_label(&self, i: &usize) -> Option<String> {
        let n = *self.reached.get(*i)?;
        Some(match n {
            0 => "还没开始读".to_string(),
            n if n >= self.sections => "✓ 三节都读完了".to_string(),
            n => format!("已读到 {n} / {} 节", self.sections),
        })
    }
}

async fn papers_index(state: web::Data<AppState>, req: HttpRequest) -> Page {
    let (visitor, fill) = shared_or_return!(req, state);
    let reached = match &visitor.learner {
        Some(l) => {
            let snap = crate::quiz::service::snapshot(&state.quiz_as(l), l.id).await?;
            let papers = state.content.papers.iter();
            papers
                .map(|p| crate::reading::sections_reached(&snap.data.reached, &p.slug))
                .collect()
        }
        None => Vec::new(),
    };
    let page = render(&PapersIndex {
        nav: visitor.nav("papers"),
        papers: &state.content.papers,
        reached,
        sections: crate::reading::CHECK_SECTIONS.len(),
    });
    shared::finish(&state, fill, page).await
}

#[derive(Template)]
#[template(path = "papers/timeline.html")]
struct TimelinePage<'a> {
    nav: Nav,
    svg: String,
    items: &'a [TimelineItem],
}

/// The ten papers and the events between them by date. The same for every visitor (only the
/// header knows who is logged in), so it can be cached like the other reading pages.
async fn timeline(state: web::Data<AppState>, req: HttpRequest) -> Page {
    let (visitor, fill) = shared_or_return!(req, state);
    let items = &state.content.timeline;
    let page = render(&TimelinePage {
        nav: visitor.nav("papers"),
        svg: crate::timeline::svg(items),
        items,
    });
    shared::finish(&state, fill, page).await
}

/// The items before and after one in a list, for a page's previous and next links.
pub(super) struct Neighbours<'a, T> {
    pub(super) prev: Option<&'a T>,
    pub(super) next: Option<&'a T>,
}

impl<'a, T> Neighbours<'a, T> {
    pub(super) fn of(items: &'a [T], idx: usize) -> Neighbours<'a, T> {
        Neighbours {
            prev: idx.checked_sub(1).and_then(|i| items.get(i)),
            next: items.get(idx + 1),
        }
    }
}

/// A concept as a link target: slug and Chinese name.
pub struct ConceptLink<'a> {
    pub slug: &'a str,
    pub name: &'a str,
}

#[derive(Template)]
#[template(path = "papers/show.html")]
struct PaperPage<'a> {
    nav: Nav,
    paper: &'a Paper,
    /// What is the same for every reader, rendered once.
    parts: &'a super::paper_parts::PaperParts,
    /// `None` when nobody is logged in.
    read: Option<bool>,
    just_read: bool,
    /// Read, but its concepts wait for tomorrow: today's new concepts are used up.
    held_back: Option<super::quiz::HeldBack>,
    /// The questions inside the page and what she has reached.
    reading: super::reading::PageReading<'a>,
    /// "读完这一节" just pressed: (the section it leads to, the section finished).
    reached_now: Option<(&'static str, &'static str)>,
}

async fn paper_show(
    state: web::Data<AppState>,
    req: HttpRequest,
    paper: PaperPath,
    q: web::Query<super::reading::PaperQuery>,
) -> Page {
    let (visitor, fill) = shared_or_return!(req, state);
    let idx = paper.index();
    let paper: &Paper = &paper;
    // From her cached data (checked against her data version on a shared database), not a
    // query of its own: one round trip less per page.
    // One snapshot for the whole page (a snapshot copies her states and today's answers).
    let snap = match &visitor.learner {
        Some(l) => Some(crate::quiz::service::snapshot(&state.quiz_as(l), l.id).await?),
        None => None,
    };
    let read = snap
        .as_ref()
        .map(|s| s.data.papers_read.contains(&paper.slug));
    let parts = state
        .paper_parts
        .get(idx)
        .ok_or_else(|| anyhow::anyhow!("no fixed parts for paper {idx}"))?;
    let held_back = match &snap {
        Some(snap) if read == Some(true) => held_back(snap, paper),
        _ => None,
    };
    let page = render(&PaperPage {
        held_back,
        nav: visitor.nav("papers"),
        paper,
        parts,
        just_read: read == Some(true) && q.read == Some(1),
        read,
        reading: super::reading::page_reading(&state, &visitor, snap.as_ref(), paper, &q).await?,
        reached_now: q
            .reached
            .as_deref()
            .filter(|s| crate::reading::is_check_section(s))
            .map(|s| {
                (
                    crate::reading::section_after(s),
                    crate::reading::section_title(s),
                )
            }),
    });
    shared::finish(&state, fill, page).await
}

/// This paper's concepts not learned yet, when today's new-concept limit holds them back.
fn held_back(
    snap: &crate::quiz::service::Snapshot,
    paper: &Paper,
) -> Option<super::quiz::HeldBack> {
    let waiting = snap
        .states
        .iter()
        .filter(|s| s.is_new() && paper.concepts.contains(&s.concept))
        .count();
    let what = format!("{} 的 {waiting} 个概念", paper.short);
    super::quiz::HeldBack::of(&snap.plan(), what, waiting).filter(|_| waiting > 0)
}

impl PaperPage<'_> {
    /// The confirmation shown at the top of section `id` when she has just finished the one
    /// before it.
    fn reached_note(&self, id: &str) -> Option<&'static str> {
        self.reached_now
            .filter(|(next, _)| *next == id)
            .map(|(_, done)| done)
    }
}

#[derive(Template)]
#[template(path = "concepts/index.html")]
struct ConceptsIndex<'a> {
    nav: Nav,
    concepts: &'a [Concept],
}

async fn concepts_index(state: web::Data<AppState>, req: HttpRequest) -> Page {
    let (visitor, fill) = shared_or_return!(req, state);
    let page = render(&ConceptsIndex {
        nav: visitor.nav("concepts"),
        concepts: &state.content.concepts,
    });
    shared::finish(&state, fill, page).await
}

#[derive(Template)]
#[template(path = "concepts/show.html")]
struct ConceptPage<'a> {
    nav: Nav,
    concept: &'a Concept,
    papers: Vec<&'a Paper>,
    around: Neighbours<'a, Concept>,
}

async fn concept_show(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Page {
    let (visitor, fill) = shared_or_return!(req, state);
    let content = &state.content;
    let idx = content.concept_index(&slug).ok_or(AppError::NotFound)?;
    let concept = &content.concepts[idx];
    let papers = content
        .papers
        .iter()
        .filter(|p| concept.papers.contains(&p.slug))
        .collect();
    let page = render(&ConceptPage {
        nav: visitor.nav("concepts"),
        concept,
        papers,
        around: Neighbours::of(&content.concepts, idx),
    });
    shared::finish(&state, fill, page).await
}

/// One group of the glossary page.
struct TermGroup<'a> {
    title: &'static str,
    terms: Vec<(&'a GlossaryTerm, Option<&'a Paper>)>,
}

#[derive(Template)]
#[template(path = "glossary/index.html")]
struct GlossaryIndex<'a> {
    nav: Nav,
    groups: Vec<TermGroup<'a>>,
}

/// The glossary of terms: every word a quiz answer or a page relies on that is not one of the
/// scheduling concepts, explained in plain words or pointed to the paper that explains it.
async fn glossary_index(state: web::Data<AppState>, req: HttpRequest) -> Page {
    let (visitor, fill) = shared_or_return!(req, state);
    const GROUPS: [(&str, &[&str]); 4] = [
        ("基本术语", &["term", "method"]),
        ("模型", &["model"]),
        ("数据集与基准", &["dataset", "benchmark"]),
        ("系统与机构", &["system", "org"]),
    ];
    let content = &state.content;
    let groups = GROUPS
        .iter()
        .map(|(title, kinds)| TermGroup {
            title,
            terms: content
                .glossary
                .iter()
                .filter(|t| kinds.contains(&t.kind.as_str()))
                .map(|t| (t, t.paper.as_deref().and_then(|p| content.paper(p))))
                .collect(),
        })
        .filter(|g| !g.terms.is_empty())
        .collect();
    let page = render(&GlossaryIndex {
        nav: visitor.nav("concepts"),
        groups,
    });
    shared::finish(&state, fill, page).await
}

#[cfg(test)]
mod tests {
    use super::keep_numbers_whole;

    #[test]
    fn number_words_stay_whole_and_text_is_escaped() {
        assert_eq!(
            keep_numbers_whole("比 PaLM-540B 小 <b>"),
            r#"比 <span class="nobr">PaLM-540B</span> 小 &lt;b&gt;"#
        );
        assert_eq!(
            keep_numbers_whole("1.4 万亿"),
            r#"<span class="nobr">1.4</span> 万亿"#
        );
        assert_eq!(keep_numbers_whole("GPT 70B"), "GPT 70B");
    }
}
