//! Who is asking: the session cookie, the anonymous cookie, and the CSRF token bound to them.
//!
//! Two private cookies (encrypted and authenticated with the app key):
//! - `pd_session` holds a log-in session id; the row in `login_sessions` makes it valid, so
//!   deleting the row logs out for good, and a session idle longer than the configured days ends.
//! - `pd_anon` holds a random id for a visitor who is shown the sign-up or log-in form, so those
//!   forms also carry a CSRF token bound to something the attacker cannot read. It is made only
//!   by a page that carries such a form ([`Visitor::form_nav`]): reading pages send no cookie, so
//!   a logged-out page is the same bytes for everyone and can be served from memory
//!   ([`super::shared`]).
//!
//! The CSRF token is an HMAC of the session (or anonymous) id under the app key. Pages carry it
//! masked with a fresh random pad per response ([`mask_token`]): responses are gzipped and some
//! reflect input (`/login?next=…`), so a constant secret in them would let an attacker who sees
//! compressed sizes recover it byte by byte (BREACH).

use super::error::AppError;
use crate::startup::AppState;

use crate::signing::{mask_token, unmask_token, Signer};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, CookieJar, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

pub const SESSION_COOKIE: &str = "pd_session";
pub const ANON_COOKIE: &str = "pd_anon";

/// Refresh `last_seen_at` at most this often, so reading pages does not write on every request.
const TOUCH_EVERY_SECS: i64 = 600;

#[derive(Debug, Clone)]
pub struct Learner {
    pub id: i64,
    pub username: String,
    /// Her data version, when the session was read from the database in this request.
    pub seen: Option<crate::store::cache::Seen>,
}

/// The anonymous id of this request, put into the request extensions by [`anon_cookie`]: the
/// one its cookie holds, else one made by the first [`Visitor::form_nav`] (and then sent as a
/// new cookie).
#[derive(Clone, Default)]
struct AnonId {
    existing: Option<String>,
    made: Arc<OnceLock<String>>,
}

pub use crate::auth::random_id;

pub(crate) fn read_private(req: &HttpRequest, state: &AppState, name: &str) -> Option<String> {
    let cookie = req.cookie(name)?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie);
    jar.private(&state.key)
        .get(name)
        .map(|c| c.value().to_string())
}

/// Builds an encrypted cookie with the attributes every paperdeck cookie has.
pub fn private_cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    let mut jar = CookieJar::new();
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(state.settings.secure_cookies);
    c.set_path("/");
    jar.private_mut(&state.key).add(c);
    jar.get(name)
        .cloned()
        .unwrap_or_else(|| Cookie::new(name, ""))
}

/// Home, with this device's session cookie removed: the learner is logged out here.
pub fn logged_out(state: &AppState) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .cookie(removal_cookie(state, SESSION_COOKIE))
        .finish()
}

pub fn removal_cookie(state: &AppState, name: &'static str) -> Cookie<'static> {
    let mut c = Cookie::new(name, "");
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(state.settings.secure_cookies);
    c.set_path("/");
    c.make_removal();
    c
}

/// Middleware: reads the `pd_anon` id back, and sets the cookie when this response made one.
pub async fn anon_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(|res| res.map_into_boxed_body());
    };
    // Static files and the health check never render a form, and a response that sets a cookie
    // is not stored by shared caches, which would undo the long cache lifetime of the assets.
    let path = req.path();
    if path.starts_with("/static/")
        || path == "/favicon.ico"
        || path == "/healthz"
        || path == "/livez"
    {
        return next.call(req).await.map(|res| res.map_into_boxed_body());
    }
    // Decrypting costs: a request without the cookie (every reader) skips it.
    let existing = match req.cookie(ANON_COOKIE) {
        Some(_) => read_private(req.request(), &state, ANON_COOKIE).filter(|id| id.len() == 48),
        None => None,
    };
    let anon = AnonId {
        existing,
        made: Arc::default(),
    };
    let made = anon.made.clone();
    req.extensions_mut().insert(anon);
    let mut res = next.call(req).await?;
    if let Some(id) = made.get() {
        let cookie = private_cookie(&state, ANON_COOKIE, id.clone());
        let _ = res.response_mut().add_cookie(&cookie);
    }
    Ok(res.map_into_boxed_body())
}

/// The visitor of this request: maybe a logged-in learner, always a CSRF token.
#[derive(Clone)]
pub struct Visitor {
    pub learner: Option<Learner>,
    pub session_id: Option<String>,
    /// The token as this response's forms carry it: masked, different on every response; empty
    /// for a visitor with neither a session nor an anonymous id.
    csrf: String,
    /// What the token is bound to (the session id, else the anonymous id; empty when neither),
    /// and the key to check a submitted one with.
    bound_to: String,
    signer: Signer,
    /// Where an anonymous id made by [`Visitor::form_nav`] goes, for the cookie.
    anon_slot: Arc<OnceLock<String>>,
}

impl Visitor {
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Checks a submitted form token; a missing or wrong token is a 403 and the caller stops
    /// before changing anything.
    pub fn verify_csrf(&self, submitted: &str) -> Result<(), AppError> {
        let unmasked = unmask_token(submitted).unwrap_or_default();
        // Nothing to bind to (no cookie at all): no token can be right.
        if !self.bound_to.is_empty() && self.signer.verify(CSRF, &[&self.bound_to], &unmasked) {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "表单已过期或来源不明（CSRF 校验失败），所以没有做任何修改。请回到上一页，刷新后再提交一次。",
            ))
        }
    }

    pub fn nav(&self, area: &'static str) -> super::Nav {
        super::Nav {
            user: self.learner.as_ref().map(|l| l.username.clone()),
            csrf: self.csrf.clone(),
            area,
        }
    }

    /// The header of a page that carries a form a logged-out visitor sends with a token (sign-up,
    /// log-in): a visitor with no id yet gets one here, sent as the `pd_anon` cookie with this
    /// response.
    pub fn form_nav(&self, area: &'static str) -> super::Nav {
        if !self.bound_to.is_empty() {
            return self.nav(area);
        }
        let id = self.anon_slot.get_or_init(random_id);
        super::Nav {
            csrf: mask_token(&self.signer.sign(CSRF, &[id])),
            ..self.nav(area)
        }
    }

    /// A logged-out visitor with no cookie, for a page that is the same for everyone.
    pub fn anonymous(state: &AppState) -> Visitor {
        Visitor {
            learner: None,
            session_id: None,
            csrf: String::new(),
            bound_to: String::new(),
            signer: state.signer.clone(),
            anon_slot: Arc::default(),
        }
    }

    /// The learner, or a redirect to the log-in page that comes back afterwards.
    pub fn require(&self, req: &HttpRequest) -> Result<&Learner, AppError> {
        self.learner
            .as_ref()
            .ok_or_else(|| AppError::LoginRequired(return_to(req)))
    }
}

/// Where to come back to after logging in: the page asked for; for a form sent (POST), whose
/// path answers only POST, the page the form was on (its `Referer`, same site only), else
/// the quiz.
fn return_to(req: &HttpRequest) -> String {
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return path.to_string();
    }
    referer_path(req).unwrap_or_else(|| "/quiz".to_string())
}

/// The path and query of the page the request came from, when it is on this site.
pub(super) fn referer_path(req: &HttpRequest) -> Option<String> {
    let host = req.connection_info().host().to_string();
    req.headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| same_site_path(r, &host))
}

/// The visitor an error page is shown to, so that it keeps her header (B2): the one read for
/// this request, else read now. Not read again for a server error, whose cause (the database,
/// say) would only fail the read as well.
pub(super) async fn visitor_for_error(req: &HttpRequest, server_error: bool) -> Option<Visitor> {
    let known = req.extensions().get::<Visitor>().cloned();
    match known {
        Some(v) => Some(v),
        None if server_error => None,
        None => Visitor::from_request(req, &mut Payload::None).await.ok(),
    }
}

/// The path and query of `url` if it points at `host`.
fn same_site_path(url: &str, host: &str) -> Option<String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let (h, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    (h == host && path.starts_with('/') && !path.starts_with("//")).then(|| path.to_string())
}

const CSRF: &str = "paperdeck-csrf";
impl FromRequest for Visitor {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Visitor, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("app state missing"))?;
            let anon = req
                .extensions()
                .get::<AnonId>()
                .cloned()
                .unwrap_or_default();
            let mut learner = None;
            let mut session_id = None;
            if let Some(sid) = read_private(&req, &state, SESSION_COOKIE) {
                if let Some(l) = live_session(&state, &sid).await? {
                    learner = Some(l);
                    session_id = Some(sid);
                }
            }
            let bound_to = session_id.clone().or(anon.existing).unwrap_or_default();
            let csrf = match bound_to.is_empty() {
                true => String::new(),
                false => mask_token(&state.signer.sign(CSRF, &[&bound_to])),
            };
            let visitor = Visitor {
                learner,
                session_id,
                csrf,
                bound_to,
                signer: state.signer.clone(),
                anon_slot: anon.made,
            };
            // Kept for an error page of this request (see `visitor_for_error`).
            req.extensions_mut().insert(visitor.clone());
            Ok(visitor)
        })
    }
}

/// The learner of a log-in session that is still live: an idle one is ended here, and a
/// busy one's `last_seen_at` refreshed now and then. Sessions are read through the cache.
async fn live_session(state: &AppState, sid: &str) -> Result<Option<Learner>, AppError> {
    use crate::store::learners;
    let cache = &state.db.cache;
    let now = state.clock.now();
    let (row, fresh) = match cache.session(sid) {
        Some(row) => (Some(row), false),
        None => {
            let row = learners::session(&state.db, sid).await?;
            if let Some(r) = &row {
                cache.put_session(sid, r.clone());
            }
            (row, true)
        }
    };
    let Some(mut s) = row else {
        return Ok(None);
    };
    // A cached session's version may be old; only one read now may stand in for a check.
    let seen = fresh.then_some(crate::store::cache::Seen {
        learner: s.learner_id,
        data_version: s.data_version,
    });
    // Idle too long, or older than the absolute lifetime: the session ends however active it
    // has been, so a stolen cookie does not live forever.
    let idle = i64::from(state.settings.session_idle_days) * 86_400;
    let max_age = i64::from(state.settings.session_max_days) * 86_400;
    if now - s.last_seen_at > idle || now - s.created_at > max_age {
        learners::delete_session(&state.db, sid).await?;
        cache.forget_session(sid);
        return Ok(None);
    }
    if now - s.last_seen_at > TOUCH_EVERY_SECS {
        learners::touch_session(&state.db, sid, now).await?;
        s.last_seen_at = now;
        cache.put_session(sid, s.clone());
    }
    Ok(Some(Learner {
        id: s.learner_id,
        username: s.username,
        seen,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_same_site_referer_is_a_place_to_return_to() {
        assert_eq!(
            same_site_path("http://h:8080/papers/x?y=1", "h:8080").as_deref(),
            Some("/papers/x?y=1")
        );
        assert_eq!(same_site_path("https://evil.example/quiz", "h:8080"), None);
        assert_eq!(
            same_site_path("http://h:8080//evil.example", "h:8080"),
            None
        );
        assert_eq!(same_site_path("javascript:alert(1)", "h:8080"), None);
    }
}
