//! Reading: home, the paper list and pages, the glossary, and the health check.

use super::{render, Nav, Visitor};
use crate::content::{Concept, Paper};
use crate::error::AppError;
use crate::startup::AppState;
use actix_web::{web, HttpResponse};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", super::get().to(home))
        .route("/papers", super::get().to(papers_index))
        .route("/papers/{slug}", super::get().to(paper_show))
        .route("/concepts", super::get().to(concepts_index))
        .route("/concepts/{slug}", super::get().to(concept_show));
}

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unreachable")
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    nav: Nav,
    papers: &'a [Paper],
    concept_count: usize,
}

async fn home(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, AppError> {
    render(&HomePage {
        nav: visitor.nav("home"),
        papers: &state.content.papers,
        concept_count: state.content.concepts.len(),
    })
}

#[derive(Template)]
#[template(path = "papers/index.html")]
struct PapersIndex<'a> {
    nav: Nav,
    papers: &'a [Paper],
}

async fn papers_index(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, AppError> {
    render(&PapersIndex {
        nav: visitor.nav("papers"),
        papers: &state.content.papers,
    })
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
    concepts: Vec<ConceptLink<'a>>,
    prev: Option<&'a Paper>,
    next: Option<&'a Paper>,
    position: usize,
    total: usize,
}

async fn paper_show(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let content = &state.content;
    let idx = content.paper_index(&slug).ok_or(AppError::NotFound)?;
    let paper = &content.papers[idx];
    let concepts = concept_links(&state, paper.concepts.iter().chain(paper.terms.iter().map(|t| &t.concept)));
    render(&PaperPage {
        nav: visitor.nav("papers"),
        paper,
        concepts,
        prev: idx.checked_sub(1).map(|i| &content.papers[i]),
        next: content.papers.get(idx + 1),
        position: idx + 1,
        total: content.papers.len(),
    })
}

fn concept_links<'a>(
    state: &'a AppState,
    slugs: impl Iterator<Item = &'a String>,
) -> Vec<ConceptLink<'a>> {
    let mut out: Vec<ConceptLink<'a>> = Vec::new();
    for s in slugs {
        if out.iter().any(|c| c.slug == s) {
            continue;
        }
        if let Some(c) = state.content.concept(s) {
            out.push(ConceptLink {
                slug: &c.slug,
                name: &c.name,
            });
        }
    }
    out
}

#[derive(Template)]
#[template(path = "concepts/index.html")]
struct ConceptsIndex<'a> {
    nav: Nav,
    concepts: &'a [Concept],
}

async fn concepts_index(
    state: web::Data<AppState>,
    visitor: Visitor,
) -> Result<HttpResponse, AppError> {
    render(&ConceptsIndex {
        nav: visitor.nav("concepts"),
        concepts: &state.content.concepts,
    })
}

#[derive(Template)]
#[template(path = "concepts/show.html")]
struct ConceptPage<'a> {
    nav: Nav,
    concept: &'a Concept,
    papers: Vec<&'a Paper>,
    prev: Option<&'a Concept>,
    next: Option<&'a Concept>,
}

async fn concept_show(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let content = &state.content;
    let idx = content
        .concepts
        .iter()
        .position(|c| c.slug == *slug)
        .ok_or(AppError::NotFound)?;
    let concept = &content.concepts[idx];
    let papers = content
        .papers
        .iter()
        .filter(|p| concept.papers.contains(&p.slug))
        .collect();
    render(&ConceptPage {
        nav: visitor.nav("concepts"),
        concept,
        papers,
        prev: idx.checked_sub(1).map(|i| &content.concepts[i]),
        next: content.concepts.get(idx + 1),
    })
}
