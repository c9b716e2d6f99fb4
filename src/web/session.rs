//! Who is asking: the session cookie, the anonymous cookie, and the CSRF token bound to them.
//!
//! Two private cookies (encrypted and authenticated with the app key):
//! - `pd_session` holds a log-in session id; the row in `login_sessions` makes it valid, so
//!   deleting the row logs out for good, and a session idle longer than the configured days ends.
//! - `pd_anon` holds a random id given to every visitor, so the sign-up and log-in forms also
//!   carry a CSRF token bound to something the attacker cannot read.
//!
//! The CSRF token is an HMAC of the session (or anonymous) id under the app key.

use crate::web::error::AppError;
use crate::startup::AppState;
use crate::store;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, CookieJar, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::future::Future;
use std::pin::Pin;

pub const SESSION_COOKIE: &str = "pd_session";
pub const ANON_COOKIE: &str = "pd_anon";

/// Refresh `last_seen_at` at most this often, so reading pages does not write on every request.
const TOUCH_EVERY_SECS: i64 = 600;

#[derive(Debug, Clone)]
pub struct Learner {
    pub id: i64,
    pub username: String,
}

/// The anonymous id of this request, put into the request extensions by [`anon_cookie`].
#[derive(Clone)]
struct AnonId(String);

pub fn random_id() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn read_private(req: &HttpRequest, state: &AppState, name: &str) -> Option<String> {
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

pub fn removal_cookie(state: &AppState, name: &'static str) -> Cookie<'static> {
    let mut c = Cookie::new(name, "");
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(state.settings.secure_cookies);
    c.set_path("/");
    c.make_removal();
    c
}

/// Middleware: every visitor gets a `pd_anon` id (set once, then read back).
pub async fn anon_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    let existing = read_private(req.request(), &state, ANON_COOKIE);
    let (id, fresh) = match existing {
        Some(id) if id.len() == 48 => (id, false),
        _ => (random_id(), true),
    };
    req.extensions_mut().insert(AnonId(id.clone()));
    let mut res = next.call(req).await?;
    if fresh {
        let cookie = private_cookie(&state, ANON_COOKIE, id);
        let _ = res.response_mut().add_cookie(&cookie);
    }
    Ok(res)
}

/// The visitor of this request: maybe a logged-in learner, always a CSRF token.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub learner: Option<Learner>,
    pub session_id: Option<String>,
    csrf: String,
}

impl Visitor {
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Checks a submitted form token; a missing or wrong token is a 403 and the caller stops
    /// before changing anything.
    pub fn verify_csrf(&self, submitted: &str) -> Result<(), AppError> {
        if !submitted.is_empty() && constant_time_eq(submitted.as_bytes(), self.csrf.as_bytes()) {
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

    /// The learner, or a redirect to the log-in page that comes back here afterwards.
    pub fn require(&self, req: &HttpRequest) -> Result<&Learner, AppError> {
        self.learner.as_ref().ok_or_else(|| {
            let target = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            AppError::LoginRequired(target.to_string())
        })
    }
}

pub fn csrf_token(state: &AppState, bound_to: &str) -> String {
    sign(state, "paperdeck-csrf", &[bound_to])
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

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
                .map(|a| a.0.clone())
                .unwrap_or_default();
            let mut learner = None;
            let mut session_id = None;
            if let Some(sid) = read_private(&req, &state, SESSION_COOKIE) {
                let now = store::now_ts();
                let idle = i64::from(state.settings.session_idle_days) * 86_400;
                let row = match state.cache.session(&sid) {
                    Some(row) => Some(row),
                    None => {
                        let row = store::learners::session(&state.db, &sid).await?;
                        if let Some(r) = &row {
                            state.cache.put_session(&sid, r.clone());
                        }
                        row
                    }
                };
                if let Some(mut s) = row {
                    if now - s.last_seen_at > idle {
                        store::learners::delete_session(&state.db, &sid).await?;
                        state.cache.forget_session(&sid);
                    } else {
                        if now - s.last_seen_at > TOUCH_EVERY_SECS {
                            store::learners::touch_session(&state.db, &sid, now).await?;
                            s.last_seen_at = now;
                            state.cache.put_session(&sid, s.clone());
                        }
                        learner = Some(Learner {
                            id: s.learner_id,
                            username: s.username,
                        });
                        session_id = Some(sid);
                    }
                }
            }
            let csrf = csrf_token(&state, session_id.as_deref().unwrap_or(&anon));
            Ok(Visitor {
                learner,
                session_id,
                csrf,
            })
        })
    }
}

/// An HMAC over `parts` under the app key: tokens the server can check without storing them.
pub fn sign(state: &AppState, purpose: &str, parts: &[&str]) -> String {
    let mut msg = purpose.as_bytes().to_vec();
    for p in parts {
        msg.push(0x1f);
        msg.extend_from_slice(p.as_bytes());
    }
    // HMAC accepts keys of any length, so this never fails; the fallback only keeps the
    // request path free of panics.
    let digest = match <Hmac<Sha256> as KeyInit>::new_from_slice(state.key.signing()) {
        Ok(mut mac) => {
            mac.update(&msg);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => {
            use sha2::Digest;
            Sha256::new()
                .chain_update(state.key.signing())
                .chain_update(&msg)
                .finalize()
                .to_vec()
        }
    };
    hex::encode(&digest[..20])
}

pub fn tokens_equal(a: &str, b: &str) -> bool {
    constant_time_eq(a.as_bytes(), b.as_bytes())
}
