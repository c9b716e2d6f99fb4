//! Pages that are the same for every logged-out reader (home, the paper list and pages, the
//! concepts, the glossary): rendered once per process on first use and served from memory,
//! gzipped once, with a strong `ETag` and `304 Not Modified`.
//!
//! A request is served from here when it carries no session cookie and no query (a query
//! shows an in-page answer's feedback, which is per request). Content is fixed for the life of
//! the process, so an entry never goes stale; the keys are the paths of pages that rendered
//! (an unknown slug is a 404 and is not kept), so the map is as small as the content.
//!
//! Such a page must not depend on the visitor: it is rendered with [`Visitor::anonymous`],
//! whose forms carry no token (the only form on these pages, the in-page question, needs
//! none when logged out: see [`super::SessionForm`]).

use super::error::AppError;
use super::session::SESSION_COOKIE;
use super::{Page, Visitor};
use crate::startup::AppState;
use actix_web::http::header::{self, AcceptEncoding, Encoding, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, RwLock};

/// One page as every logged-out reader gets it.
pub struct Entry {
    plain: Bytes,
    gzip: Bytes,
    /// Strong validators of the two representations (quoted, as sent).
    etag: HeaderValue,
    etag_gzip: HeaderValue,
}

/// The rendered pages, by path.
#[derive(Default)]
pub struct SharedPages {
    pages: RwLock<HashMap<String, Arc<Entry>>>,
}

impl SharedPages {
    fn get(&self, path: &str) -> Option<Arc<Entry>> {
        self.pages.read().ok()?.get(path).cloned()
    }

    fn put(&self, path: &str, entry: Arc<Entry>) {
        if let Ok(mut pages) = self.pages.write() {
            pages.insert(path.to_string(), entry);
        }
    }

    /// How many pages are held (for tests).
    pub fn len(&self) -> usize {
        self.pages.read().map_or(0, |p| p.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Entry {
    fn new(plain: Bytes) -> Result<Entry, AppError> {
        let digest = Sha256::digest(&plain);
        let tag = hex::encode(&digest[..16]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&plain)
            .map_err(|e| anyhow::anyhow!("gzip: {e}"))?;
        let gzip = gz.finish().map_err(|e| anyhow::anyhow!("gzip: {e}"))?;
        let quoted = |t: String| {
            HeaderValue::from_str(&format!("\"{t}\"")).map_err(|e| anyhow::anyhow!("etag: {e}"))
        };
        Ok(Entry {
            plain,
            gzip: Bytes::from(gzip),
            etag: quoted(tag.clone())?,
            etag_gzip: quoted(format!("{tag}-gz"))?,
        })
    }

    /// The response for `req`: 304 when it already holds this page, else the gzipped bytes
    /// when the compression middleware would have chosen gzip (it leaves a response that
    /// has a `Content-Encoding` alone), else the plain ones.
    fn respond(&self, req: &HttpRequest) -> HttpResponse {
        const OFFERED: [Encoding; 3] =
            [Encoding::identity(), Encoding::gzip(), Encoding::deflate()];
        let chosen = match req.get_header::<AcceptEncoding>() {
            Some(accept) => accept.negotiate(OFFERED.iter()),
            None => Some(Encoding::identity()),
        };
        let matches = |tag: &HeaderValue| {
            req.headers()
                .get_all(header::IF_NONE_MATCH)
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t.as_bytes() == tag.as_bytes())
        };
        let (body, etag) = match chosen {
            Some(e) if e == Encoding::gzip() => (Some(&self.gzip), Some(&self.etag_gzip)),
            Some(e) if e == Encoding::identity() => (None, Some(&self.etag)),
            // Deflate, or nothing acceptable: the middleware encodes (or refuses) the plain
            // bytes, and those are another representation, without our validator.
            _ => (None, None),
        };
        let mut res = HttpResponse::Ok();
        res.insert_header((header::VARY, "Accept-Encoding"));
        if let Some(tag) = etag {
            res.insert_header((header::ETAG, tag.clone()));
            // Either representation is current: a cache may revalidate the other one.
            if matches(&self.etag) || matches(&self.etag_gzip) {
                return res.status(StatusCode::NOT_MODIFIED).finish();
            }
        }
        res.insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"));
        match body {
            Some(gz) => res
                .insert_header((header::CONTENT_ENCODING, "gzip"))
                .body(gz.clone()),
            None => res.body(self.plain.clone()),
        }
    }
}

/// How a page's handler goes on: with the page from memory, or rendering for this visitor
/// (and keeping the result when it is the shared page).
pub enum Shared {
    Hit(HttpResponse),
    /// Boxed: a visitor is large, and a hit (the common case) should not carry its room.
    Render(Box<(Visitor, Option<Fill>)>),
}

/// `let (visitor, fill) = shared_or_return!(req, state);` at the top of a handler: returns the
/// kept page when there is one; else the visitor to render for, and where to keep the result
/// (for [`finish`]).
macro_rules! shared_or_return {
    ($req:expr, $state:expr) => {
        match $crate::web::shared::lookup(&$req, &$state).await? {
            $crate::web::shared::Shared::Hit(res) => return Ok(res),
            $crate::web::shared::Shared::Render(render) => *render,
        }
    };
}
pub(crate) use shared_or_return;

/// The key under which a rendered page is to be kept.
pub struct Fill {
    path: String,
    req: HttpRequest,
}

/// Whether `req` gets the page every logged-out reader gets. Only a path as the app writes it
/// is a key: `/concepts/%61ttention` renders the same page, and spellings like it are endless.
fn is_shared(req: &HttpRequest) -> bool {
    req.cookie(SESSION_COOKIE).is_none()
        && req.query_string().is_empty()
        && !req.path().contains('%')
}

/// The page from memory, or the visitor to render it for.
pub async fn lookup(req: &HttpRequest, state: &AppState) -> Result<Shared, AppError> {
    if !is_shared(req) {
        let visitor = Visitor::extract(req).await?;
        return Ok(Shared::Render(Box::new((visitor, None))));
    }
    let path = req.path().to_string();
    if let Some(entry) = state.shared.get(&path) {
        return Ok(Shared::Hit(entry.respond(req)));
    }
    let fill = Fill {
        path,
        req: req.clone(),
    };
    Ok(Shared::Render(Box::new((
        Visitor::anonymous(state),
        Some(fill),
    ))))
}

impl Fill {
    /// Keeps a rendered 200 page and answers from the kept copy; anything else goes out as it is.
    pub async fn keep(self, state: &AppState, page: Page) -> Page {
        let res = page?;
        if res.status() != StatusCode::OK {
            return Ok(res);
        }
        let body = actix_web::body::to_bytes(res.into_body())
            .await
            .map_err(|e| anyhow::anyhow!("page body: {e}"))?;
        let entry = Arc::new(Entry::new(body)?);
        state.shared.put(&self.path, entry.clone());
        Ok(entry.respond(&self.req))
    }
}

/// The end of a handler that may render the shared page: keeps it when it is.
pub async fn finish(state: &AppState, fill: Option<Fill>, page: Page) -> Page {
    match fill {
        Some(fill) => fill.keep(state, page).await,
        None => page,
    }
}
