//! Typed edges: extractors that check who is asking and the form's CSRF token before a handler
//! runs, and the route table every route is registered through.
//!
//! - [`LoggedIn`]: a page for learners only; without a session, a redirect to log in that
//!   comes back afterwards.
//! - [`CsrfForm<T>`]: a form anyone may send (sign-up, log-in, log-out), its token checked.
//! - [`LearnerForm<T>`]: a learner's form: the session first (an expired session is sent to log
//!   in, not told its token is wrong), then the token, then the fields.
//! - [`CheckForm<T>`]: a form that writes only for a logged-in learner (an answer inside a paper
//!   page): her token is checked; logged out nothing is written, so none is asked for, and the
//!   page that carries the form is the same bytes for every reader.
//!
//! [`Routes::post`] only accepts a handler whose last argument is one of the two form
//! extractors, so a new POST route cannot forget CSRF; [`route_table`] lists every route, and a
//! test sends each POST route a missing and a wrong token.

use super::error::AppError;
use super::session::{Learner, Visitor};
use crate::content::{Content, Paper};
use crate::startup::AppState;
use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, Handler, HttpRequest, Responder};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

/// A logged-in learner, and the visitor (for the page's header).
pub struct LoggedIn {
    pub learner: Learner,
    pub visitor: Visitor,
}

impl FromRequest for LoggedIn {
    type Error = AppError;
    type Future = Boxed<LoggedIn>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let visitor = Visitor::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let visitor = visitor.await?;
            let learner = visitor.require(&req)?.clone();
            Ok(LoggedIn { learner, visitor })
        })
    }
}

/// The paper a `/papers/{slug}…` path names, looked up before the handler runs: an unknown
/// slug is a 404 page. Derefs to the [`Paper`].
pub struct PaperPath {
    content: Arc<Content>,
    index: usize,
}

impl PaperPath {
    /// Its place in the content's order of papers.
    pub fn index(&self) -> usize {
        self.index
    }
}

impl std::ops::Deref for PaperPath {
    type Target = Paper;

    fn deref(&self) -> &Paper {
        &self.content.papers[self.index]
    }
}

impl FromRequest for PaperPath {
    type Error = AppError;
    type Future = std::future::Ready<Result<PaperPath, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let content = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.content.clone());
        let found = content
            .zip(req.match_info().get("slug"))
            .and_then(|(content, slug)| {
                let index = content.paper_index(slug)?;
                Some(PaperPath { content, index })
            });
        std::future::ready(found.ok_or(AppError::NotFound))
    }
}

/// A form with no fields besides its token.
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// A form anyone may send, its CSRF token checked before the handler runs.
pub struct CsrfForm<T> {
    pub visitor: Visitor,
    pub form: T,
}

/// A learner's form: session, then CSRF token, then fields.
pub struct LearnerForm<T> {
    pub learner: Learner,
    pub visitor: Visitor,
    pub form: T,
}

/// A form whose token is checked when a learner is logged in; see the module's notes.
pub struct CheckForm<T> {
    pub visitor: Visitor,
    pub form: T,
}

/// Who may send a form, and when its token is checked.
#[derive(Clone, Copy, PartialEq)]
enum Sender {
    /// Anyone; the token always.
    Anyone,
    /// A logged-in learner (checked before the token, since an expired session's token is bound
    /// to the session that ended); the token always.
    Learner,
    /// Anyone; the token when logged in (logged out, the handler writes nothing).
    TokenIfLearner,
}

/// The extractor of a form made of the visitor and the fields, sent by `$sender`.
macro_rules! visitor_form {
    ($form:ident, $sender:expr) => {
        impl<T: DeserializeOwned + 'static> FromRequest for $form<T> {
            type Error = AppError;
            type Future = Boxed<$form<T>>;

            fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
                form_request(req, payload, $sender, |_, visitor, form| {
                    Ok($form { visitor, form })
                })
            }
        }
    };
}
visitor_form!(CsrfForm, Sender::Anyone);
visitor_form!(CheckForm, Sender::TokenIfLearner);

impl<T: DeserializeOwned + 'static> FromRequest for LearnerForm<T> {
    type Error = AppError;
    type Future = Boxed<LearnerForm<T>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        form_request(req, payload, Sender::Learner, |learner, visitor, form| {
            let learner = learner.ok_or_else(|| anyhow::anyhow!("login was checked"))?;
            Ok(LearnerForm {
                learner,
                visitor,
                form,
            })
        })
    }
}

/// The form extractors: the visitor, the learner (required from a [`Sender::Learner`]) and the
/// checked form, put together by `build`.
fn form_request<T: DeserializeOwned + 'static, F: 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    sender: Sender,
    build: fn(Option<Learner>, Visitor, T) -> Result<F, AppError>,
) -> Boxed<F> {
    let visitor = Visitor::from_request(req, payload);
    let body = web::Bytes::from_request(req, payload);
    let req = req.clone();
    Box::pin(async move {
        let visitor = visitor.await?;
        let learner = match sender {
            Sender::Learner => Some(visitor.require(&req)?.clone()),
            _ => visitor.learner.clone(),
        };
        let token = sender != Sender::TokenIfLearner || learner.is_some();
        let form = checked_form(&req, &visitor, body, token).await?;
        build(learner, visitor, form)
    })
}

/// Reads a URL-encoded body, checks its `csrf` field against the visitor's token (when `token`),
/// then parses the fields. The body is read once and parsed twice, so form types need no `csrf`
/// field.
async fn checked_form<T: DeserializeOwned>(
    req: &HttpRequest,
    visitor: &Visitor,
    body: impl Future<Output = Result<web::Bytes, actix_web::Error>>,
    token: bool,
) -> Result<T, AppError> {
    use actix_web::error::UrlencodedError;
    let urlencoded = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !urlencoded {
        return Err(super::form_error(UrlencodedError::ContentType));
    }
    // A body that stalled past its deadline is a timeout (408), not a bad form (M1).
    let body = body
        .await
        .map_err(|e| match e.as_error::<actix_web::error::PayloadError>() {
            Some(p) if super::guard::is_body_timeout(p) => AppError::RequestTimeout,
            _ => super::form_error(UrlencodedError::Overflow {
                size: 0,
                limit: super::FORM_LIMIT,
            }),
        })?;
    #[derive(Deserialize)]
    struct Token {
        #[serde(default)]
        csrf: String,
    }
    // A body the token cannot be read from has no valid token.
    if token {
        let sent = serde_urlencoded::from_bytes::<Token>(&body).map_or(String::new(), |t| t.csrf);
        visitor.verify_csrf(&sent)?;
    }
    serde_urlencoded::from_bytes(&body).map_err(|e| super::form_error(UrlencodedError::Parse(e)))
}

/// Extractors that check the CSRF token before the handler runs.
pub trait CsrfChecked {}
impl<T> CsrfChecked for CsrfForm<T> {}
impl<T> CsrfChecked for LearnerForm<T> {}
impl<T> CsrfChecked for CheckForm<T> {}

/// Handler argument lists whose last argument checks the CSRF token.
pub trait EndsWithCsrf {}
impl<Z: CsrfChecked> EndsWithCsrf for (Z,) {}
impl<A, Z: CsrfChecked> EndsWithCsrf for (A, Z) {}
impl<A, B, Z: CsrfChecked> EndsWithCsrf for (A, B, Z) {}
impl<A, B, C, Z: CsrfChecked> EndsWithCsrf for (A, B, C, Z) {}

/// Registers routes, and remembers each one's method and path.
pub struct Routes<'a> {
    cfg: Option<&'a mut web::ServiceConfig>,
    table: Vec<(Method, &'static str)>,
}

impl<'a> Routes<'a> {
    pub fn new(cfg: &'a mut web::ServiceConfig) -> Routes<'a> {
        Routes {
            cfg: Some(cfg),
            table: Vec::new(),
        }
    }

    /// A GET route that also answers HEAD (actix leaves the body out for HEAD).
    pub fn get<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, path, super::get().to(handler))
    }

    /// A POST route; its handler's last argument must check the CSRF token.
    pub fn post<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + EndsWithCsrf + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, path, web::post().to(handler))
    }

    /// A resource built by hand (a file upload, whose token is inside a multipart body and is
    /// checked by its handler). Listed under `methods`, so the CSRF test covers it all the same.
    pub fn resource(
        &mut self,
        path: &'static str,
        methods: &[Method],
        resource: impl FnOnce() -> actix_web::Resource,
    ) -> &mut Self {
        self.table.extend(methods.iter().map(|m| (m.clone(), path)));
        if let Some(cfg) = self.cfg.as_deref_mut() {
            cfg.service(resource());
        }
        self
    }

    /// A service that is not a page (static files): not listed.
    pub fn service(&mut self, s: impl actix_web::dev::HttpServiceFactory + 'static) -> &mut Self {
        if let Some(cfg) = self.cfg.as_deref_mut() {
            cfg.service(s);
        }
        self
    }

    fn add(&mut self, method: Method, path: &'static str, route: actix_web::Route) -> &mut Self {
        self.table.push((method, path));
        if let Some(cfg) = self.cfg.as_deref_mut() {
            cfg.route(path, route);
        }
        self
    }
}

/// Every route of the app as (method, path pattern), in registration order.
pub fn route_table() -> Vec<(Method, &'static str)> {
    let mut r = Routes {
        cfg: None,
        table: Vec::new(),
    };
    super::register(&mut r);
    r.table
}
